//! An algorithmic reverb: a feedback delay network (Jot and Chaigne) of eight lines
//! mixed by an orthogonal Hadamard matrix, fed through a pre-delay and four allpass
//! diffusers.
//!
//! Each line's loop gain is set from its own length so that every path through the
//! network falls by 60 dB in the decay time, whatever the size. Damping is a one-pole
//! low-pass in each loop with unity gain at DC, so it shortens the highs' decay and
//! leaves the lows' at the setting. The matrix is lossless and every loop gain is below
//! one, so the network cannot run away at any setting. A DC blocker at the input keeps
//! offsets out of the tail. It is linear: the reverb of a sum is the sum of the reverbs.

use super::delay::DelayLine;
use super::smooth::Smoothed;
#[cfg(target_arch = "x86_64")]
use super::util::transpose8;
use super::util::{flush_denormal, flush_denormal_in_loop};

const LINES: usize = 8;
/// Line lengths at size 1, in ms: mutually prime-ish so their echoes do not pile up.
const LINE_MS: [f32; LINES] = [43.1, 53.3, 59.9, 67.7, 79.3, 87.1, 97.9, 103.7];
/// Size 0 shrinks the lines to this share of their full length.
const SMALLEST: f32 = 0.2;
const DIFFUSER_MS: [f32; 4] = [4.77, 3.59, 2.61, 1.73];
const DIFFUSER_GAIN: f32 = 0.62;
pub const MAX_PRE_DELAY_SECONDS: f32 = 0.25;
const CONTROL_FRAMES: usize = 32;
/// The steady path's longest chunk. Chunks are also never longer than the shortest
/// line, so every sample a line gives back within one went in before it began.
const MAX_CHUNK: usize = 256;
/// Where each line's output goes in the left and right sums, and how the input enters
/// (three different rows of the 8x8 Hadamard matrix, so the three are uncorrelated).
const LEFT: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
const RIGHT: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
const INPUT: [f32; LINES] = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0];
/// 1/√8 twice over: one for the matrix, one to keep the tail near the input's level.
const SCALE: f32 = 0.353_553_4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverbSettings {
    pub pre_delay_ms: f32,
    /// 0 to 1.
    pub size: f32,
    /// RT60 in seconds.
    pub decay_s: f32,
    /// 0 to 1.
    pub damping: f32,
    /// 0 (mono) to 1.
    pub width: f32,
    /// Wet share of the output.
    pub mix: f32,
}

impl Default for ReverbSettings {
    fn default() -> ReverbSettings {
        ReverbSettings {
            pre_delay_ms: 20.0,
            size: 0.7,
            decay_s: 2.0,
            damping: 0.5,
            width: 1.0,
            mix: 1.0,
        }
    }
}

/// Schroeder allpass: flat magnitude, smeared phase.
struct Diffuser {
    line: DelayLine,
    frames: usize,
}

impl Diffuser {
    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let delayed = self.line.tap(self.frames);
        let v = x - DIFFUSER_GAIN * delayed;
        self.line.push(v);
        delayed + DIFFUSER_GAIN * v
    }

    /// `process` on every sample of `xs`, in place, a stretch no longer than the
    /// delay at a time: within one every delayed sample went in before it, so the
    /// stretch runs as plain vector arithmetic. `scratch` holds a stretch.
    #[inline(always)]
    fn process_run(&mut self, xs: &mut [f32], scratch: &mut [f32]) {
        // Each sample's delayed one straight from the ring, `v` into `scratch`.
        let stretch = |xs: &mut [f32], delayed: &[f32], vs: &mut [f32]| {
            for ((x, &d), v) in xs.iter_mut().zip(delayed).zip(vs) {
                *v = *x - DIFFUSER_GAIN * d;
                *x = d + DIFFUSER_GAIN * *v;
            }
        };
        for xs in xs.chunks_mut(self.frames) {
            let n = xs.len();
            let (older, newer) = self.line.run(self.frames, n);
            let vs = &mut scratch[..n];
            let (xs_older, xs_newer) = xs.split_at_mut(older.len());
            let (vs_older, vs_newer) = vs.split_at_mut(older.len());
            stretch(xs_older, older, vs_older);
            stretch(xs_newer, newer, vs_newer);
            self.line.push_slice(vs);
        }
    }
}

/// What a frame of the reverb draws from its settings while none of them moves.
struct Steady {
    pre_delay: f32,
    damping: f32,
    lengths: [usize; LINES],
    width: f32,
    mix: f32,
}

/// Working space for the steady path, a chunk long.
struct Scratch {
    /// What enters the network, frame by frame.
    input: Vec<f32>,
    /// The DC blocker's output, then a diffuser's stretch.
    stage: Vec<f32>,
    wet_left: Vec<f32>,
    wet_right: Vec<f32>,
    /// The lines' outputs, line by line, as their rings hold them.
    outs: Box<Rows>,
}

/// A chunk of each of the eight lines.
type Rows = [[f32; MAX_CHUNK]; LINES];

impl Scratch {
    fn new() -> Scratch {
        Scratch {
            input: vec![0.0; MAX_CHUNK],
            stage: vec![0.0; MAX_CHUNK],
            wet_left: vec![0.0; MAX_CHUNK],
            wet_right: vec![0.0; MAX_CHUNK],
            outs: Box::new([[0.0; MAX_CHUNK]; LINES]),
        }
    }
}

impl Steady {
    /// The longest chunk: no longer than the shortest line.
    fn chunk(&self) -> usize {
        self.lengths.iter().fold(MAX_CHUNK, |n, &l| n.min(l))
    }
}

pub struct Reverb {
    sample_rate: f32,
    settings: ReverbSettings,
    dc_coefficient: f32,
    dc_in: f32,
    dc_out: f32,
    pre_delay: DelayLine,
    pre_delay_frames: Smoothed,
    diffusers: [Diffuser; 4],
    lines: [DelayLine; LINES],
    /// Current lengths in frames; a size change glides over 100 ms.
    lengths: [Smoothed; LINES],
    loop_gains: [f32; LINES],
    damping_states: [f32; LINES],
    damping_coefficient: Smoothed,
    decay: Smoothed,
    width: Smoothed,
    mix: Smoothed,
    countdown: usize,
    scratch: Scratch,
}

#[inline(always)]
fn hadamard(x: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (a, b) = (x[j], x[j + h]);
                x[j] = a + b;
                x[j + h] = a - b;
            }
        }
        h *= 2;
    }
    for v in x.iter_mut() {
        *v *= SCALE;
    }
}

impl Reverb {
    pub fn new(sample_rate: f32) -> Reverb {
        let frames = |ms: f32| ms * 0.001 * sample_rate;
        let mut r = Reverb {
            sample_rate,
            settings: ReverbSettings::default(),
            dc_coefficient: 1.0 - std::f32::consts::TAU * 20.0 / sample_rate,
            dc_in: 0.0,
            dc_out: 0.0,
            pre_delay: DelayLine::new((MAX_PRE_DELAY_SECONDS * sample_rate) as usize + 2),
            pre_delay_frames: Smoothed::new(sample_rate, 0.05, 1.0),
            diffusers: DIFFUSER_MS.map(|ms| Diffuser {
                line: DelayLine::new(frames(ms) as usize + 1),
                frames: (frames(ms) as usize).max(1),
            }),
            lines: LINE_MS.map(|ms| DelayLine::new(frames(ms) as usize + 2)),
            lengths: LINE_MS.map(|ms| Smoothed::new(sample_rate, 0.1, frames(ms))),
            loop_gains: [0.0; LINES],
            damping_states: [0.0; LINES],
            damping_coefficient: Smoothed::new(sample_rate, 0.02, 1.0),
            decay: Smoothed::new(sample_rate, 0.05, 2.0),
            width: Smoothed::new(sample_rate, 0.02, 1.0),
            mix: Smoothed::new(sample_rate, 0.02, 1.0),
            countdown: 0,
            scratch: Scratch::new(),
        };
        r.set(ReverbSettings::default(), true);
        r
    }

    pub fn set(&mut self, s: ReverbSettings, snap: bool) {
        self.settings = s;
        let scale = SMALLEST + (1.0 - SMALLEST) * s.size.clamp(0.0, 1.0);
        let pre_delay = (s.pre_delay_ms * 0.001 * self.sample_rate).max(1.0);
        // The one-pole's coefficient: 1 passes everything, smaller darkens each pass.
        let damping = 1.0 - 0.8 * s.damping.clamp(0.0, 1.0);
        let targets = [
            (&mut self.pre_delay_frames, pre_delay),
            (&mut self.damping_coefficient, damping),
            (&mut self.decay, s.decay_s.max(0.01)),
            (&mut self.width, s.width.clamp(0.0, 1.0)),
            (&mut self.mix, s.mix.clamp(0.0, 1.0)),
        ];
        for (smoothed, target) in targets {
            if snap {
                smoothed.snap(target);
            } else {
                smoothed.set_target(target);
            }
        }
        for (length, ms) in self.lengths.iter_mut().zip(LINE_MS) {
            // Whole frames: a fractional read would low-pass every pass round the loop.
            let frames = (ms * scale * 0.001 * self.sample_rate).round();
            if snap {
                length.snap(frames);
            } else {
                length.set_target(frames);
            }
        }
        self.update_loop_gains();
    }

    pub fn reset(&mut self) {
        self.dc_in = 0.0;
        self.dc_out = 0.0;
        self.pre_delay.reset();
        for d in &mut self.diffusers {
            d.line.reset();
        }
        for l in &mut self.lines {
            l.reset();
        }
        self.damping_states = [0.0; LINES];
    }

    /// Every line loses 60 dB over the decay time: gain = 10^(-3 · length / (RT60 · rate)).
    fn update_loop_gains(&mut self) {
        let per_frame = -3.0 / (self.decay.value() * self.sample_rate);
        for (gain, length) in self.loop_gains.iter_mut().zip(&self.lengths) {
            *gain = 10f32.powf(per_frame * length.value());
        }
    }

    /// Whether everything inside has died to exact silence.
    pub fn is_silent(&self) -> bool {
        self.damping_states.iter().all(|&s| s == 0.0)
            && (1..=self.lines[0].capacity()).all(|d| self.lines[0].tap(d) == 0.0)
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = left.len().min(right.len());
        let mut start = 0;
        while start < len {
            if self.countdown == 0 {
                if !self.decay.is_settled() || !self.lengths.iter().all(Smoothed::is_settled) {
                    self.update_loop_gains();
                }
                self.countdown = CONTROL_FRAMES;
            }
            if self.is_steady() {
                // Nothing glides, and nothing will before the call ends: the rest runs
                // in chunks, and the control grid keeps its place as if frame by frame.
                let rest = len - start;
                self.process_steady(&mut left[start..len], &mut right[start..len]);
                self.countdown = if rest < self.countdown {
                    self.countdown - rest
                } else {
                    (CONTROL_FRAMES - (rest - self.countdown) % CONTROL_FRAMES) % CONTROL_FRAMES
                };
                return;
            }
            let n = self.countdown.min(len - start);
            let (l, r) = (&mut left[start..start + n], &mut right[start..start + n]);
            for (l, r) in l.iter_mut().zip(r.iter_mut()) {
                self.frame(l, r);
            }
            self.countdown -= n;
            start += n;
        }
    }

    /// Frames while nothing glides. The values `frame` would draw are the same every
    /// frame, and the settled line lengths are whole frames, read without
    /// interpolating (the same samples: the fraction is zero).
    fn process_steady(&mut self, left: &mut [f32], right: &mut [f32]) {
        let steady = self.steady();
        let chunk = steady.chunk();
        for (l, r) in left.chunks_mut(chunk).zip(right.chunks_mut(chunk)) {
            #[cfg(target_arch = "x86_64")]
            if std::arch::is_x86_feature_detected!("avx") {
                // SAFETY: the CPU has just been seen to have AVX.
                unsafe { self.chunk_avx(l, r, &steady) };
                continue;
            }
            self.chunk::<false>(l, r, &steady);
        }
    }

    fn steady(&self) -> Steady {
        Steady {
            pre_delay: self.pre_delay_frames.value(),
            damping: self.damping_coefficient.value(),
            lengths: std::array::from_fn(|i| {
                (self.lengths[i].value() as usize).clamp(1, self.lines[i].capacity())
            }),
            width: self.width.value(),
            mix: self.mix.value(),
        }
    }

    /// `chunk` with 256-bit vectors: a frame of the eight lines is one register.
    /// Without FMA, whose single rounding would change the samples.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn chunk_avx(&mut self, left: &mut [f32], right: &mut [f32], steady: &Steady) {
        self.chunk::<true>(left, right, steady);
    }

    /// One chunk of the steady path, stage by stage: each stage's arithmetic is
    /// `frame`'s, in the same order, so the samples are the same.
    #[inline(always)]
    fn chunk<const AVX: bool>(&mut self, left: &mut [f32], right: &mut [f32], steady: &Steady) {
        let n = left.len();
        let Scratch {
            input,
            stage,
            wet_left,
            wet_right,
            outs,
        } = &mut self.scratch;
        let (input, stage) = (&mut input[..n], &mut stage[..n]);
        let (wet_left, wet_right) = (&mut wet_left[..n], &mut wet_right[..n]);

        // DC blocker: y = x - x[-1] + R·y[-1], into `stage`.
        let (mut dc_in, mut dc_out) = (self.dc_in, self.dc_out);
        let dc_coefficient = self.dc_coefficient;
        let mut dc_block = |t: usize, stage: &mut [f32]| {
            let input = (left[t] + right[t]) * 0.5;
            dc_out = flush_denormal_in_loop(input - dc_in + dc_coefficient * dc_out);
            dc_in = input;
            stage[t] = dc_out;
        };
        // With a pre-delay at least a chunk long, what enters the network this chunk
        // went into the pre-delay before it: the DC blocker's serial chain can then run
        // in the loops' frame loop, where its latency hides behind theirs.
        let pre_delay_frames = steady
            .pre_delay
            .clamp(1.0, self.pre_delay.capacity() as f32) as usize;
        let blocker_in_loops = pre_delay_frames >= n;
        if blocker_in_loops {
            self.pre_delay.read_run(steady.pre_delay, input);
        } else {
            for t in 0..n {
                dc_block(t, stage);
            }
            self.pre_delay
                .read_then_push(steady.pre_delay, stage, input);
        }
        for d in &mut self.diffusers {
            d.process_run(input, stage);
        }

        // The lines' outputs (all went in before the chunk) and the wet sums, added in
        // line order as `run_network` adds them.
        wet_left.fill(0.0);
        wet_right.fill(0.0);
        for (i, (line, out)) in self.lines.iter().zip(outs.iter_mut()).enumerate() {
            let (older, newer) = line.run(steady.lengths[i], n);
            let (out, wet_left, wet_right) = (&mut out[..n], &mut *wet_left, &mut *wet_right);
            let (out_older, out_newer) = out.split_at_mut(older.len());
            let (left_older, left_newer) = wet_left.split_at_mut(older.len());
            let (right_older, right_newer) = wet_right.split_at_mut(older.len());
            gather(i, older, out_older, left_older, right_older);
            gather(i, newer, out_newer, left_newer, right_newer);
        }

        // The loops: damping, loop gain and matrix, the eight lines as one vector.
        let each_frame = |t: usize| {
            if blocker_in_loops {
                dc_block(t, stage);
            }
        };
        let mut states = self.damping_states;
        let network = (steady.damping, &self.loop_gains, &mut states);
        // What goes back into the lines is written straight into their rings.
        let mut back = self.lines.each_mut().map(|line| line.next_slots(n));
        let back = &mut back;
        #[cfg(target_arch = "x86_64")]
        if AVX {
            // SAFETY: `AVX` is true only in `chunk_avx`, called once AVX is seen.
            unsafe { loops_avx(outs, input, back, network, each_frame) };
        } else {
            loops(outs, input, back, network, each_frame);
        }
        #[cfg(not(target_arch = "x86_64"))]
        loops(outs, input, back, network, each_frame);
        self.damping_states = states;
        for line in &mut self.lines {
            line.advance(n);
        }
        if blocker_in_loops {
            self.pre_delay.push_slice(stage);
        }
        (self.dc_in, self.dc_out) = (dc_in, dc_out);

        for (((l, r), &wl), &wr) in left.iter_mut().zip(right).zip(&*wet_left).zip(&*wet_right) {
            mix_out(l, r, wl, wr, steady.width, steady.mix);
        }
    }

    fn is_steady(&self) -> bool {
        self.pre_delay_frames.is_settled()
            && self.damping_coefficient.is_settled()
            && self.decay.is_settled()
            && self.width.is_settled()
            && self.mix.is_settled()
            && self
                .lengths
                .iter()
                .all(|l| l.is_settled() && l.value().fract() == 0.0)
    }

    #[inline]
    fn frame(&mut self, l: &mut f32, r: &mut f32) {
        let pre_delay = self.pre_delay_frames.next_value();
        let x = self.diffused_input(*l, *r, pre_delay);
        let damping = self.damping_coefficient.next_value();
        self.decay.next_value();
        let mut outs = [0.0f32; LINES];
        for (i, out) in outs.iter_mut().enumerate() {
            *out = self.lines[i].read(self.lengths[i].next_value());
        }
        let (wet_l, wet_r) = self.run_network(x, &outs, damping);
        let (width, mix) = (self.width.next_value(), self.mix.next_value());
        mix_out(l, r, wet_l, wet_r, width, mix);
    }

    /// DC blocker, pre-delay and diffusers: what enters the network this frame.
    #[inline]
    fn diffused_input(&mut self, l: f32, r: f32, pre_delay: f32) -> f32 {
        let input = (l + r) * 0.5;
        // DC blocker: y = x - x[-1] + R·y[-1].
        self.dc_out = flush_denormal(input - self.dc_in + self.dc_coefficient * self.dc_out);
        self.dc_in = input;
        let delayed = self.pre_delay.read(pre_delay);
        self.pre_delay.push(self.dc_out);
        let mut x = delayed;
        for d in &mut self.diffusers {
            x = d.process(x);
        }
        x
    }

    /// Damps and mixes the lines' outputs back in with `x`; returns the wet sides.
    #[inline]
    fn run_network(&mut self, x: f32, outs: &[f32; LINES], damping: f32) -> (f32, f32) {
        let mut feedback = [0.0f32; LINES];
        for i in 0..LINES {
            let s = &mut self.damping_states[i];
            *s = flush_denormal(*s + damping * (outs[i] - *s));
            feedback[i] = *s * self.loop_gains[i];
        }
        hadamard(&mut feedback);
        let (mut wet_l, mut wet_r) = (0.0, 0.0);
        for i in 0..LINES {
            self.lines[i].push(feedback[i] + x * INPUT[i] * SCALE);
            wet_l += outs[i] * LEFT[i];
            wet_r += outs[i] * RIGHT[i];
        }
        (wet_l, wet_r)
    }
}

/// Line `line`'s run of outputs into its row, and into the wet sums (added in line
/// order, as `run_network` adds them): a copy with work in it, so no call to `memcpy`
/// for a few dozen samples.
#[inline(always)]
fn gather(line: usize, run: &[f32], out: &mut [f32], wet_left: &mut [f32], wet_right: &mut [f32]) {
    for (((&x, o), l), r) in run.iter().zip(out).zip(wet_left).zip(wet_right) {
        *o = x;
        *l += x * LEFT[line];
        *r += x * RIGHT[line];
    }
}

/// The next `n` slots of each line's ring (see `DelayLine::next_slots`).
type Slots<'a> = [(&'a mut [f32], &'a mut [f32]); LINES];

/// Sample `t` of a run of slots.
#[inline(always)]
fn put((first, wrapped): &mut (&mut [f32], &mut [f32]), t: usize, x: f32) {
    if t < first.len() {
        first[t] = x;
    } else {
        wrapped[t - first.len()] = x;
    }
}

/// The damping, loop gain, matrix and input of the eight loops for each frame, into
/// `back` (as `push` stores it): `run_network`'s arithmetic. `each_frame(t)` runs
/// first in frame `t`.
#[inline(always)]
fn loops(
    outs: &Rows,
    input: &[f32],
    back: &mut Slots,
    (damping, gains, states): (f32, &[f32; LINES], &mut [f32; LINES]),
    mut each_frame: impl FnMut(usize),
) {
    for (t, &x) in input.iter().enumerate() {
        each_frame(t);
        let mut feedback = [0.0f32; LINES];
        for i in 0..LINES {
            states[i] = flush_denormal(states[i] + damping * (outs[i][t] - states[i]));
            feedback[i] = states[i] * gains[i];
        }
        hadamard(&mut feedback);
        for i in 0..LINES {
            put(
                &mut back[i],
                t,
                flush_denormal(feedback[i] + x * INPUT[i] * SCALE),
            );
        }
    }
}

/// `loops` with each frame's eight lines in one AVX register: the same operations in
/// each lane (no FMA), and the matrix's butterflies as lane swaps and blends. Eight
/// frames at a time come out of the rows and go back into them as 8 x 8 transposes,
/// which fit in the time each frame waits on the damping's chain.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
fn loops_avx(
    outs: &Rows,
    input: &[f32],
    back: &mut Slots,
    (damping, gains, states): (f32, &[f32; LINES], &mut [f32; LINES]),
    mut each_frame: impl FnMut(usize),
) {
    use std::arch::x86_64::*;
    // `flush_denormal` on every lane: zero where |v| < 1e-20 (never for a NaN).
    let magnitude = _mm256_castsi256_ps(_mm256_set1_epi32(0x7fff_ffff));
    let tiny = _mm256_set1_ps(1e-20);
    let flush = |v: __m256| {
        let small = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_and_ps(v, magnitude), tiny);
        _mm256_andnot_ps(small, v)
    };
    // Lanes j and j + h: the lower takes the sum, the upper the lower minus the upper.
    let butterfly = |v: __m256, partner: __m256, upper: __m256| {
        let sum = _mm256_add_ps(v, partner);
        let difference = _mm256_sub_ps(partner, v);
        _mm256_blendv_ps(sum, difference, upper)
    };
    let lanes = |m: [f32; LINES]| {
        // SAFETY: eight floats are read from an eight-float array.
        unsafe { _mm256_loadu_ps(m.as_ptr()) }
    };
    let upper = |h: usize| lanes(std::array::from_fn(|j| if j & h == 0 { 0.0 } else { -0.0 }));
    let (upper1, upper2, upper4) = (upper(1), upper(2), upper(4));
    let damping = _mm256_set1_ps(damping);
    let gains = lanes(*gains);
    let scale = _mm256_set1_ps(SCALE);
    let signs = lanes(INPUT);
    let mut s = lanes(*states);
    let mut step = |o: __m256, x: f32| {
        s = _mm256_add_ps(s, _mm256_mul_ps(damping, _mm256_sub_ps(o, s)));
        // As `flush_denormal_in_loop`: a predicted branch keeps the comparison off the
        // loops' chain of dependent operations.
        let small = _mm256_cmp_ps::<_CMP_LT_OQ>(_mm256_and_ps(s, magnitude), tiny);
        if _mm256_movemask_ps(small) != 0 {
            std::hint::cold_path();
            s = _mm256_andnot_ps(small, s);
        }
        let f = _mm256_mul_ps(s, gains);
        let f = butterfly(f, _mm256_permute_ps::<0b1011_0001>(f), upper1);
        let f = butterfly(f, _mm256_permute_ps::<0b0100_1110>(f), upper2);
        let f = butterfly(f, _mm256_permute2f128_ps::<0x01>(f, f), upper4);
        let f = _mm256_mul_ps(f, scale);
        let entering = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(x), signs), scale);
        flush(_mm256_add_ps(f, entering))
    };
    let n = input.len();
    let mut t = 0;
    while t + 8 <= n {
        // SAFETY: t + 8 <= n <= MAX_CHUNK, so eight floats are read from each row.
        let frames = transpose8(std::array::from_fn(|i| unsafe {
            _mm256_loadu_ps(outs[i][t..t + 8].as_ptr())
        }));
        let mut results = frames;
        for (k, (result, frame)) in results.iter_mut().zip(frames).enumerate() {
            each_frame(t + k);
            *result = step(frame, input[t + k]);
        }
        for (slots, result) in back.iter_mut().zip(transpose8(results)) {
            let (older, newer) = slots;
            let to = if t + 8 <= older.len() {
                Some(&mut older[t..t + 8])
            } else if t >= older.len() {
                Some(&mut newer[t - older.len()..t - older.len() + 8])
            } else {
                None
            };
            if let Some(to) = to {
                // SAFETY: eight floats are written to eight.
                unsafe { _mm256_storeu_ps(to.as_mut_ptr(), result) };
                continue;
            }
            // The eight straddle the ring's end.
            let mut frame = [0.0f32; LINES];
            // SAFETY: eight floats are written to an eight-float array.
            unsafe { _mm256_storeu_ps(frame.as_mut_ptr(), result) };
            for (k, y) in frame.into_iter().enumerate() {
                put(slots, t + k, y);
            }
        }
        t += 8;
    }
    for (t, &x) in input.iter().enumerate().skip(t) {
        each_frame(t);
        let result = step(lanes(std::array::from_fn(|i| outs[i][t])), x);
        let mut frame = [0.0f32; LINES];
        // SAFETY: eight floats are written to an eight-float array.
        unsafe { _mm256_storeu_ps(frame.as_mut_ptr(), result) };
        for (slots, y) in back.iter_mut().zip(frame) {
            put(slots, t, y);
        }
    }
    // SAFETY: as above.
    unsafe { _mm256_storeu_ps(states.as_mut_ptr(), s) };
}

/// Blends the wet sides into the frame, at the stereo width and wet share given.
#[inline(always)]
fn mix_out(l: &mut f32, r: &mut f32, wet_l: f32, wet_r: f32, width: f32, mix: f32) {
    let (wet_l, wet_r) = (wet_l * SCALE, wet_r * SCALE);
    let mid = (wet_l + wet_r) * 0.5;
    let side = (wet_l - wet_r) * 0.5 * width;
    *l += mix * (mid + side - *l);
    *r += mix * (mid - side - *r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: f32 = 48_000.0;

    fn reverb(settings: ReverbSettings) -> Reverb {
        let mut r = Reverb::new(RATE);
        r.set(settings, true);
        r
    }

    /// RT60 from the Schroeder energy decay curve of the impulse response (T30 · 2).
    fn measured_rt60(settings: ReverbSettings) -> f32 {
        let mut r = reverb(settings);
        let n = (settings.decay_s * 1.6 * RATE) as usize + 24_000;
        let (mut left, mut right) = (vec![0.0f32; n], vec![0.0f32; n]);
        left[0] = 1.0;
        right[0] = 1.0;
        r.process(&mut left, &mut right);
        let mut tail = vec![0.0f64; n + 1];
        for i in (0..n).rev() {
            let e = f64::from(left[i]).powi(2) + f64::from(right[i]).powi(2);
            tail[i] = tail[i + 1] + e;
        }
        let db = |i: usize| 10.0 * (tail[i] / tail[0]).log10();
        let t5 = (0..n).position(|i| db(i) <= -5.0).unwrap();
        let t35 = (0..n).position(|i| db(i) <= -35.0).unwrap();
        2.0 * (t35 - t5) as f32 / RATE
    }

    #[test]
    fn measured_decay_time_is_within_5_percent_of_the_setting() {
        for &(decay_s, size) in &[(0.5, 0.3), (1.5, 0.7), (4.0, 1.0), (2.5, 0.0)] {
            let settings = ReverbSettings {
                decay_s,
                size,
                damping: 0.0,
                ..ReverbSettings::default()
            };
            let rt60 = measured_rt60(settings);
            assert!(
                (rt60 / decay_s - 1.0).abs() < 0.05,
                "decay {decay_s} s size {size}: measured {rt60} s"
            );
        }
        // Damping darkens the tail, so the broadband decay gets shorter, not longer.
        let damped = measured_rt60(ReverbSettings {
            decay_s: 2.0,
            damping: 1.0,
            ..ReverbSettings::default()
        });
        assert!(damped < 2.0, "{damped}");
    }

    fn noise(n: usize, seed: u64) -> (Vec<f32>, Vec<f32>) {
        let mut rng = Rng::new(seed);
        (0..n)
            .map(|_| (rng.next_bipolar(), rng.next_bipolar()))
            .unzip()
    }

    fn bits(v: &[f32]) -> Vec<u32> {
        v.iter().map(|x| x.to_bits()).collect()
    }

    #[test]
    fn steady_chunks_give_the_frame_by_frame_samples() {
        let settings = [
            ReverbSettings::default(),
            // The shortest lines and a pre-delay shorter than a chunk.
            ReverbSettings {
                pre_delay_ms: 0.3,
                size: 0.0,
                decay_s: 0.4,
                damping: 1.0,
                width: 0.5,
                mix: 0.7,
            },
            // The longest lines, the longest pre-delay, a fraction of a frame in it.
            ReverbSettings {
                pre_delay_ms: 249.99,
                size: 1.0,
                decay_s: 30.0,
                damping: 0.0,
                width: 1.0,
                mix: 1.0,
            },
        ];
        for s in settings {
            let (mut left, mut right) = noise(30_000, 5);
            // Silence after the noise: the tail runs on through the lines.
            left[20_000..].fill(0.0);
            right[20_000..].fill(0.0);
            let (mut want_l, mut want_r) = (left.clone(), right.clone());
            let mut framed = reverb(s);
            for (l, r) in want_l.iter_mut().zip(want_r.iter_mut()) {
                framed.frame(l, r);
            }
            let mut chunked = reverb(s);
            let mut start = 0;
            for len in [1, 37, 256, 700, 4096].into_iter().cycle() {
                if start == left.len() {
                    break;
                }
                let end = (start + len).min(left.len());
                chunked.process(&mut left[start..end], &mut right[start..end]);
                start = end;
            }
            assert_eq!(bits(&left), bits(&want_l), "{s:?}");
            assert_eq!(bits(&right), bits(&want_r), "{s:?}");
        }
    }

    #[test]
    fn the_portable_loops_give_the_vector_loops_samples() {
        for pre_delay_ms in [0.0, 20.0] {
            let settings = ReverbSettings {
                pre_delay_ms,
                size: 0.1,
                ..ReverbSettings::default()
            };
            let (mut left, mut right) = noise(6_000, 7);
            let (mut want_l, mut want_r) = (left.clone(), right.clone());
            reverb(settings).process(&mut want_l, &mut want_r);
            let mut portable = reverb(settings);
            let steady = portable.steady();
            let chunk = steady.chunk();
            for (l, r) in left.chunks_mut(chunk).zip(right.chunks_mut(chunk)) {
                portable.chunk::<false>(l, r, &steady);
            }
            assert_eq!(bits(&left), bits(&want_l));
            assert_eq!(bits(&right), bits(&want_r));
        }
    }

    #[test]
    fn gliding_settings_give_the_same_samples_for_any_block_size() {
        let run = |block: usize| {
            let mut r = reverb(ReverbSettings::default());
            let (mut left, mut right) = noise(24_000, 6);
            // The change lands mid-way through the control grid and glides for a while.
            let change = 3_001;
            for (range, settings) in [
                (0..change, None),
                (
                    change..left.len(),
                    Some(ReverbSettings {
                        size: 0.2,
                        decay_s: 1.1,
                        pre_delay_ms: 3.3,
                        ..ReverbSettings::default()
                    }),
                ),
            ] {
                if let Some(s) = settings {
                    r.set(s, false);
                }
                for (l, rr) in left[range.clone()]
                    .chunks_mut(block)
                    .zip(right[range].chunks_mut(block))
                {
                    r.process(l, rr);
                }
            }
            (bits(&left), bits(&right))
        };
        let one = run(1);
        for block in [7, 64, 512, 4096] {
            assert!(run(block) == one, "blocks of {block}");
        }
    }

    #[test]
    fn a_dc_offset_does_not_come_out() {
        let mut r = reverb(ReverbSettings::default());
        let n = 4 * RATE as usize;
        let (mut l, mut rr) = (vec![0.5f32; n], vec![0.5f32; n]);
        r.process(&mut l, &mut rr);
        let last = &l[n - RATE as usize..];
        let mean = last.iter().map(|&x| f64::from(x)).sum::<f64>() / last.len() as f64;
        assert!(mean.abs() < 1e-3, "{mean}");
    }

    #[test]
    fn maximum_settings_never_run_away_and_the_tail_dies_to_exact_zero() {
        let mut r = reverb(ReverbSettings {
            pre_delay_ms: 250.0,
            size: 1.0,
            decay_s: 30.0,
            damping: 0.0,
            width: 1.0,
            mix: 1.0,
        });
        let mut rng = Rng::new(9);
        let second = RATE as usize;
        let mut l: Vec<f32> = (0..second).map(|_| rng.next_bipolar()).collect();
        let mut rr: Vec<f32> = (0..second).map(|_| rng.next_bipolar()).collect();
        r.process(&mut l, &mut rr);
        let mut energies = Vec::new();
        for _ in 0..20 {
            let (mut l, mut rr) = (vec![0.0; second], vec![0.0; second]);
            r.process(&mut l, &mut rr);
            assert!(l.iter().chain(&rr).all(|x| x.is_finite() && x.abs() < 10.0));
            energies.push(l.iter().chain(&rr).map(|x| f64::from(x * x)).sum::<f64>());
        }
        // 60 dB in 30 s is 2 dB a second: twenty seconds later, about 40 dB down.
        let drop = 10.0 * (energies[1] / energies[19]).log10();
        assert!((drop - 36.0).abs() < 8.0, "{drop} dB");
        // A short reverb on the same state dies to exact zero, not to denormals.
        r.set(
            ReverbSettings {
                decay_s: 0.2,
                size: 0.0,
                ..ReverbSettings::default()
            },
            true,
        );
        for _ in 0..60 {
            let (mut l, mut rr) = (vec![0.0; second], vec![0.0; second]);
            r.process(&mut l, &mut rr);
        }
        assert!(r.is_silent());
    }
}
