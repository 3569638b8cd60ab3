//! Delay lines, and the stereo echo built on them.
//!
//! The echo's feedback path runs through a one-pole high-pass and low-pass, each of gain
//! below one everywhere but at one frequency, so the loop loses energy at every frequency
//! and stays stable even at 100 % feedback. Everything is linear, so the echo of a sum is
//! the sum of the echoes.

use super::smooth::Smoothed;
use super::util::{flush_denormal, flush_denormal_in_loop};

/// A ring buffer read at a fractional delay (linear interpolation).
#[derive(Clone, Debug)]
pub struct DelayLine {
    buffer: Vec<f32>,
    mask: usize,
    write: usize,
}

impl DelayLine {
    /// Holds at least `max_frames` of delay.
    pub fn new(max_frames: usize) -> DelayLine {
        let size = (max_frames + 2).next_power_of_two();
        DelayLine {
            buffer: vec![0.0; size],
            mask: size - 1,
            write: 0,
        }
    }

    /// The longest delay `read` can give.
    pub fn capacity(&self) -> usize {
        self.buffer.len() - 2
    }

    pub fn reset(&mut self) {
        self.buffer.fill(0.0);
        self.write = 0;
    }

    pub fn push(&mut self, x: f32) {
        self.buffer[self.write] = flush_denormal(x);
        self.write = (self.write + 1) & self.mask;
    }

    /// The sample pushed `delay` frames ago (1 is the latest), clamped to what it holds.
    #[inline]
    pub fn read(&self, delay: f32) -> f32 {
        let delay = delay.clamp(1.0, self.capacity() as f32);
        let whole = delay as usize;
        let frac = delay - whole as f32;
        let a = self.buffer[(self.write.wrapping_sub(whole)) & self.mask];
        let b = self.buffer[(self.write.wrapping_sub(whole + 1)) & self.mask];
        a + (b - a) * frac
    }

    /// The sample pushed exactly `delay` frames ago.
    #[inline]
    pub fn tap(&self, delay: usize) -> f32 {
        self.buffer[(self.write.wrapping_sub(delay.clamp(1, self.capacity()))) & self.mask]
    }

    /// The `n` samples pushed from `delay` frames ago on, oldest first, in the ring's
    /// order: two slices, the second empty unless the run wraps. Sample `t` of the run
    /// is what `tap(delay - t)` gives, so `n` must not pass `delay`.
    #[inline]
    pub fn run(&self, delay: usize, n: usize) -> (&[f32], &[f32]) {
        debug_assert!(n <= delay && delay <= self.buffer.len());
        let start = self.write.wrapping_sub(delay) & self.mask;
        let first = n.min(self.buffer.len() - start);
        (
            &self.buffer[start..start + first],
            &self.buffer[..n - first],
        )
    }

    /// Pushes `xs`, in order: as many calls of `push`.
    #[inline]
    pub fn push_slice(&mut self, xs: &[f32]) {
        let (a, b) = self.next_slots(xs.len());
        let (xa, xb) = xs.split_at(a.len());
        for (y, &x) in a.iter_mut().zip(xa) {
            *y = flush_denormal(x);
        }
        for (y, &x) in b.iter_mut().zip(xb) {
            *y = flush_denormal(x);
        }
        self.advance(xs.len());
    }

    /// The ring's next `n` slots, in order (two slices, the second empty unless they
    /// wrap), to be written with what `push` would store (the samples with denormals
    /// flushed to zero) and then taken as pushed with `advance(n)`.
    #[inline]
    pub fn next_slots(&mut self, n: usize) -> (&mut [f32], &mut [f32]) {
        debug_assert!(n <= self.buffer.len());
        let first = n.min(self.buffer.len() - self.write);
        let (before_write, from_write) = self.buffer.split_at_mut(self.write);
        (&mut from_write[..first], &mut before_write[..n - first])
    }

    /// Takes the `n` slots `next_slots` gave as pushed.
    #[inline]
    pub fn advance(&mut self, n: usize) {
        self.write = (self.write + n) & self.mask;
    }

    /// What `read(delay)` gives at each of the next `out.len()` frames, one push
    /// between each: the same samples, a run at a time. The run must not pass `delay`'s
    /// whole frames, so that every sample it reads is already in.
    #[inline]
    pub fn read_run(&self, delay: f32, out: &mut [f32]) {
        let (whole, fraction) = self.whole_and_fraction(delay);
        debug_assert!(out.len() <= whole);
        self.read_run_at(whole, fraction, out);
    }

    /// `read` splits its delay so.
    #[inline]
    fn whole_and_fraction(&self, delay: f32) -> (usize, f32) {
        let delay = delay.clamp(1.0, self.capacity() as f32);
        let whole = delay as usize;
        (whole, delay - whole as f32)
    }

    /// Sample `t` of `out` interpolates between the samples pushed `whole - t` and
    /// `whole + 1 - t` frames ago, as `read` does, in stretches where neither wraps.
    #[inline]
    fn read_run_at(&self, whole: usize, fraction: f32, out: &mut [f32]) {
        let size = self.buffer.len();
        let first = self.write.wrapping_sub(whole) & self.mask;
        let mut t = 0;
        while t < out.len() {
            let a = (first + t) & self.mask;
            let b = a.wrapping_sub(1) & self.mask;
            let len = (out.len() - t).min(size - a).min(size - b);
            let (newer, older) = (&self.buffer[a..a + len], &self.buffer[b..b + len]);
            for ((y, &a), &b) in out[t..t + len].iter_mut().zip(newer).zip(older) {
                *y = a + (b - a) * fraction;
            }
            t += len;
        }
    }

    /// `xs.len()` frames of `read(delay)` then `push(x)`, with the reads left in `out`:
    /// the same samples, a run at a time.
    #[inline]
    pub fn read_then_push(&mut self, delay: f32, xs: &[f32], out: &mut [f32]) {
        let n = xs.len();
        let out = &mut out[..n];
        let (whole, fraction) = self.whole_and_fraction(delay);
        if whole >= n {
            // Every read is of a sample pushed before this run.
            self.read_run_at(whole, fraction, out);
            self.push_slice(xs);
        } else {
            // Some reads are of this run's own pushes: push first, and read further back.
            debug_assert!(whole + n < self.buffer.len());
            self.push_slice(xs);
            self.read_run_at(whole + n, fraction, out);
        }
    }
}

/// One-pole low-pass; `1 - lowpass` is the matching high-pass.
#[derive(Clone, Copy, Debug, Default)]
struct OnePole {
    coefficient: f32,
    state: f32,
}

impl OnePole {
    fn set(&mut self, sample_rate: f32, cutoff: f32) {
        let cutoff = cutoff.clamp(1.0, 0.45 * sample_rate);
        self.coefficient = 1.0 - (-std::f32::consts::TAU * cutoff / sample_rate).exp();
    }

    #[inline(always)]
    fn lowpass(&mut self, x: f32) -> f32 {
        self.state = flush_denormal_in_loop(self.state + self.coefficient * (x - self.state));
        self.state
    }

    #[inline(always)]
    fn highpass(&mut self, x: f32) -> f32 {
        x - self.lowpass(x)
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EchoSettings {
    pub seconds: f32,
    /// 0 to 1.
    pub feedback: f32,
    pub ping_pong: bool,
    pub low_cut_hz: f32,
    pub high_cut_hz: f32,
    /// Wet share of the output.
    pub mix: f32,
}

impl Default for EchoSettings {
    fn default() -> EchoSettings {
        EchoSettings {
            seconds: 0.375,
            feedback: 0.35,
            ping_pong: true,
            low_cut_hz: 120.0,
            high_cut_hz: 6_000.0,
            mix: 1.0,
        }
    }
}

/// A stereo echo, straight or ping-pong.
pub struct Echo {
    sample_rate: f32,
    lines: [DelayLine; 2],
    low_cut: [OnePole; 2],
    high_cut: [OnePole; 2],
    /// The delay in frames; a change glides over 50 ms (a short tape-like pitch bend).
    frames: Smoothed,
    feedback: Smoothed,
    mix: Smoothed,
    ping_pong: bool,
    scratch: Box<Scratch>,
}

/// Room for a stretch's work, kept with the echo so that no stretch clears its own.
struct Scratch {
    outs: [[f32; STRETCH]; 2],
    backs: [[f32; STRETCH]; 2],
    entering: [f32; STRETCH],
}

impl Echo {
    pub fn new(sample_rate: f32, max_seconds: f32) -> Echo {
        let max = (max_seconds * sample_rate).ceil() as usize + 1;
        let mut e = Echo {
            sample_rate,
            lines: [DelayLine::new(max), DelayLine::new(max)],
            low_cut: [OnePole::default(); 2],
            high_cut: [OnePole::default(); 2],
            frames: Smoothed::new(sample_rate, 0.05, 1.0),
            feedback: Smoothed::new(sample_rate, 0.02, 0.0),
            mix: Smoothed::new(sample_rate, 0.02, 1.0),
            ping_pong: false,
            scratch: Box::new(Scratch {
                outs: [[0.0; STRETCH]; 2],
                backs: [[0.0; STRETCH]; 2],
                entering: [0.0; STRETCH],
            }),
        };
        e.set(EchoSettings::default(), true);
        e
    }

    pub fn set(&mut self, s: EchoSettings, snap: bool) {
        let frames = (s.seconds * self.sample_rate).clamp(1.0, self.lines[0].capacity() as f32);
        let feedback = s.feedback.clamp(0.0, 1.0);
        if snap {
            self.frames.snap(frames);
            self.feedback.snap(feedback);
            self.mix.snap(s.mix);
        } else {
            self.frames.set_target(frames);
            self.feedback.set_target(feedback);
            self.mix.set_target(s.mix);
        }
        self.ping_pong = s.ping_pong;
        for f in &mut self.low_cut {
            f.set(self.sample_rate, s.low_cut_hz);
        }
        for f in &mut self.high_cut {
            f.set(self.sample_rate, s.high_cut_hz);
        }
    }

    pub fn reset(&mut self) {
        for l in &mut self.lines {
            l.reset();
        }
        self.low_cut = [OnePole {
            state: 0.0,
            ..self.low_cut[0]
        }; 2];
        self.high_cut = [OnePole {
            state: 0.0,
            ..self.high_cut[0]
        }; 2];
    }

    /// Whether everything inside has died to exact silence.
    pub fn is_silent(&self) -> bool {
        self.lines
            .iter()
            .all(|l| l.buffer.iter().all(|&x| x == 0.0))
            && self
                .low_cut
                .iter()
                .chain(&self.high_cut)
                .all(|f| f.state == 0.0)
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len().min(right.len());
        let mut start = 0;
        // Frame by frame while anything glides; the rest in stretches.
        while start < n && !self.is_steady() {
            self.frame(&mut left[start], &mut right[start]);
            start += 1;
        }
        let (left, right) = (&mut left[start..n], &mut right[start..n]);
        // Within a stretch no longer than the delay's whole frames (at least one: `set`
        // keeps the delay there) every sample read went in before the stretch began.
        let stretch = (self.frames.value() as usize).clamp(1, STRETCH);
        for (l, r) in left.chunks_mut(stretch).zip(right.chunks_mut(stretch)) {
            self.stretch(l, r);
        }
    }

    fn is_steady(&self) -> bool {
        self.frames.is_settled() && self.feedback.is_settled() && self.mix.is_settled()
    }

    #[inline]
    fn frame(&mut self, l: &mut f32, r: &mut f32) {
        let frames = self.frames.next_value();
        let feedback = self.feedback.next_value();
        let mix = self.mix.next_value();
        let out = [self.lines[0].read(frames), self.lines[1].read(frames)];
        let mut back = [0.0; 2];
        for side in 0..2 {
            let x = self.low_cut[side].highpass(out[side]);
            back[side] = self.high_cut[side].lowpass(x) * feedback;
        }
        if self.ping_pong {
            // The input enters on the left only; each repeat crosses to the other side.
            self.lines[0].push((*l + *r) * 0.5 + back[1]);
            self.lines[1].push(back[0]);
        } else {
            self.lines[0].push(*l + back[0]);
            self.lines[1].push(*r + back[1]);
        }
        *l += mix * (out[0] - *l);
        *r += mix * (out[1] - *r);
    }

    /// `frame` over a stretch no longer than the delay, with nothing gliding: the
    /// reads are runs, the two sides' filters run side by side, and the pushes are
    /// runs. The same arithmetic in the same order, so the same samples.
    fn stretch(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = left.len();
        let (frames, feedback, mix) =
            (self.frames.value(), self.feedback.value(), self.mix.value());
        let Scratch {
            outs,
            backs,
            entering,
        } = &mut *self.scratch;
        let [out_left, out_right] = outs;
        let (out_left, out_right) = (&mut out_left[..n], &mut out_right[..n]);
        self.lines[0].read_run(frames, out_left);
        self.lines[1].read_run(frames, out_right);
        let [back_left, back_right] = backs;
        let (back_left, back_right) = (&mut back_left[..n], &mut back_right[..n]);
        let [low_left, low_right] = &mut self.low_cut;
        let [high_left, high_right] = &mut self.high_cut;
        for (((&ol, &or), bl), br) in out_left
            .iter()
            .zip(&*out_right)
            .zip(back_left.iter_mut())
            .zip(back_right.iter_mut())
        {
            *bl = high_left.lowpass(low_left.highpass(ol)) * feedback;
            *br = high_right.lowpass(low_right.highpass(or)) * feedback;
        }
        if self.ping_pong {
            for (((e, &l), &r), &b) in entering
                .iter_mut()
                .zip(&*left)
                .zip(&*right)
                .zip(&*back_right)
            {
                *e = (l + r) * 0.5 + b;
            }
            self.lines[0].push_slice(&entering[..n]);
            self.lines[1].push_slice(back_left);
        } else {
            for ((b, &l), (c, &r)) in back_left
                .iter_mut()
                .zip(&*left)
                .zip(back_right.iter_mut().zip(&*right))
            {
                *b += l;
                *c += r;
            }
            self.lines[0].push_slice(back_left);
            self.lines[1].push_slice(back_right);
        }
        for ((l, &o), (r, &p)) in left
            .iter_mut()
            .zip(&*out_left)
            .zip(right.iter_mut().zip(&*out_right))
        {
            *l += mix * (o - *l);
            *r += mix * (p - *r);
        }
    }
}

/// The longest stretch `Echo::process` works on at once.
const STRETCH: usize = 256;

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    #[test]
    fn a_line_gives_back_what_went_in_after_the_delay() {
        let mut line = DelayLine::new(100);
        for i in 0..200 {
            line.push(i as f32);
        }
        assert_eq!(line.read(1.0), 199.0);
        assert_eq!(line.tap(10), 190.0);
        assert_eq!(line.read(10.5), 189.5);
    }

    #[test]
    fn echoes_arrive_on_time_and_ping_pong_alternates() {
        let mut e = Echo::new(RATE, 2.0);
        e.set(
            EchoSettings {
                seconds: 0.25,
                feedback: 0.5,
                ping_pong: true,
                low_cut_hz: 10.0,
                high_cut_hz: 20_000.0,
                mix: 1.0,
            },
            true,
        );
        let n = RATE as usize;
        let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
        l[0] = 1.0;
        r[0] = 1.0;
        e.process(&mut l, &mut r);
        let first = l
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap();
        assert_eq!(first.0, 12_000, "first repeat on the left at 250 ms");
        let right_peak = r[..30_000]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.abs().total_cmp(&b.1.abs()))
            .unwrap();
        assert_eq!(right_peak.0, 24_000, "second repeat on the right at 500 ms");
        assert!(right_peak.1.abs() < first.1.abs() * 0.6);
    }

    #[test]
    fn stretches_give_the_frame_by_frame_samples_through_glides() {
        let settings = |seconds: f32, ping_pong: bool| EchoSettings {
            seconds,
            feedback: 0.9,
            ping_pong,
            low_cut_hz: 80.0,
            high_cut_hz: 9_000.0,
            mix: 0.6,
        };
        // Delays longer than a stretch, shorter (a few frames, fractional), and a glide
        // from one to the other starting mid-block.
        for (first, second) in [(0.3, 0.21), (3.4 / RATE, 0.01), (0.05, 7.6 / RATE)] {
            for ping_pong in [false, true] {
                let mut rng = crate::dsp::rng::Rng::new(3);
                let (left, right): (Vec<f32>, Vec<f32>) = (0..30_000)
                    .map(|i| {
                        let level = if i < 12_000 { 0.5 } else { 0.0 };
                        (level * rng.next_bipolar(), level * rng.next_bipolar())
                    })
                    .unzip();
                let change = 9_001;
                let mut framed = Echo::new(RATE, 2.0);
                framed.set(settings(first, ping_pong), true);
                let (mut want_l, mut want_r) = (left.clone(), right.clone());
                for (i, (l, r)) in want_l.iter_mut().zip(want_r.iter_mut()).enumerate() {
                    if i == change {
                        framed.set(settings(second, ping_pong), false);
                    }
                    framed.frame(l, r);
                }
                for block in [1, 7, 256, 1000] {
                    let mut e = Echo::new(RATE, 2.0);
                    e.set(settings(first, ping_pong), true);
                    let (mut l, mut r) = (left.clone(), right.clone());
                    let mut at = 0;
                    while at < l.len() {
                        if at == change {
                            e.set(settings(second, ping_pong), false);
                        }
                        let end = (at + block).min(l.len());
                        let end = if at < change { end.min(change) } else { end };
                        e.process(&mut l[at..end], &mut r[at..end]);
                        at = end;
                    }
                    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                    let what = format!(
                        "{first} s then {second} s, ping-pong {ping_pong}, blocks of {block}"
                    );
                    assert!(bits(&l) == bits(&want_l), "{what}");
                    assert!(bits(&r) == bits(&want_r), "{what}");
                }
            }
        }
    }

    #[test]
    fn full_feedback_stays_bounded_and_dies_away() {
        let mut e = Echo::new(RATE, 2.0);
        e.set(
            EchoSettings {
                seconds: 0.05,
                feedback: 1.0,
                ping_pong: false,
                low_cut_hz: 10.0,
                high_cut_hz: 20_000.0,
                mix: 1.0,
            },
            true,
        );
        let mut rng = crate::dsp::rng::Rng::new(1);
        let n = RATE as usize;
        let mut l: Vec<f32> = (0..n).map(|_| rng.next_bipolar() * 0.5).collect();
        let mut r = l.clone();
        e.process(&mut l, &mut r);
        let mut energies = Vec::new();
        for _ in 0..60 {
            let (mut l, mut r) = (vec![0.0; n], vec![0.0; n]);
            e.process(&mut l, &mut r);
            assert!(l.iter().chain(&r).all(|x| x.is_finite() && x.abs() < 4.0));
            energies.push(l.iter().map(|x| x * x).sum::<f32>());
        }
        assert!(
            energies.windows(2).all(|w| w[1] <= w[0] * 1.0001),
            "never grows"
        );
        assert!(energies[59] < energies[0] * 0.5, "and does die away");
    }
}
