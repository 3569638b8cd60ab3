//! Second-order IIR sections with Robert Bristow-Johnson's "Audio EQ Cookbook" designs:
//! one type serves the channel EQ's shelves and peaks and its high-pass.
//!
//! Coefficients are designed in f64 (low corners at high rates lose precision in f32)
//! and run in transposed direct form II, whose two state values are zeroed after each
//! block once they fall below -240 dB, so silence never leaves denormals behind.

use std::f64::consts::PI;

/// Normalised so that a0 = 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    pub b0: f32,
    pub b1: f32,
    pub b2: f32,
    pub a1: f32,
    pub a2: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    LowShelf,
    Peak,
    HighShelf,
    HighPass,
    LowPass,
}

impl Coefficients {
    pub const IDENTITY: Coefficients = Coefficients {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// The cookbook design. `gain_db` is ignored by the passes; `freq` is kept below
    /// 0.49 × the sample rate.
    pub fn design(shape: Shape, sample_rate: f32, freq: f32, q: f32, gain_db: f32) -> Coefficients {
        let rate = f64::from(sample_rate);
        let freq = f64::from(freq).clamp(1.0, 0.49 * rate);
        let q = f64::from(q).max(0.01);
        let w0 = 2.0 * PI * freq / rate;
        let (sin, cos) = w0.sin_cos();
        let alpha = sin / (2.0 * q);
        let a = 10f64.powf(f64::from(gain_db) / 40.0);
        let root = 2.0 * a.sqrt() * alpha;
        let (b0, b1, b2, a0, a1, a2) = match shape {
            Shape::Peak => (
                1.0 + alpha * a,
                -2.0 * cos,
                1.0 - alpha * a,
                1.0 + alpha / a,
                -2.0 * cos,
                1.0 - alpha / a,
            ),
            Shape::LowShelf => (
                a * ((a + 1.0) - (a - 1.0) * cos + root),
                2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
                a * ((a + 1.0) - (a - 1.0) * cos - root),
                (a + 1.0) + (a - 1.0) * cos + root,
                -2.0 * ((a - 1.0) + (a + 1.0) * cos),
                (a + 1.0) + (a - 1.0) * cos - root,
            ),
            Shape::HighShelf => (
                a * ((a + 1.0) + (a - 1.0) * cos + root),
                -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                a * ((a + 1.0) + (a - 1.0) * cos - root),
                (a + 1.0) - (a - 1.0) * cos + root,
                2.0 * ((a - 1.0) - (a + 1.0) * cos),
                (a + 1.0) - (a - 1.0) * cos - root,
            ),
            Shape::HighPass => (
                (1.0 + cos) / 2.0,
                -(1.0 + cos),
                (1.0 + cos) / 2.0,
                1.0 + alpha,
                -2.0 * cos,
                1.0 - alpha,
            ),
            Shape::LowPass => (
                (1.0 - cos) / 2.0,
                1.0 - cos,
                (1.0 - cos) / 2.0,
                1.0 + alpha,
                -2.0 * cos,
                1.0 - alpha,
            ),
        };
        Coefficients {
            b0: (b0 / a0) as f32,
            b1: (b1 / a0) as f32,
            b2: (b2 / a0) as f32,
            a1: (a1 / a0) as f32,
            a2: (a2 / a0) as f32,
        }
    }

    /// The exact magnitude response in dB at `freq`: the design curve, for drawing and
    /// for checking measurements against.
    pub fn magnitude_db(&self, sample_rate: f32, freq: f32) -> f32 {
        let w = 2.0 * PI * f64::from(freq) / f64::from(sample_rate);
        let (s1, c1) = w.sin_cos();
        let (s2, c2) = (2.0 * w).sin_cos();
        let c = |x: f32| f64::from(x);
        let num_re = c(self.b0) + c(self.b1) * c1 + c(self.b2) * c2;
        let num_im = -(c(self.b1) * s1 + c(self.b2) * s2);
        let den_re = 1.0 + c(self.a1) * c1 + c(self.a2) * c2;
        let den_im = -(c(self.a1) * s1 + c(self.a2) * s2);
        let power = (num_re * num_re + num_im * num_im) / (den_re * den_re + den_im * den_im);
        (10.0 * power.max(1e-30).log10()) as f32
    }
}

/// State below this is inaudible (-240 dB) and is dropped.
const SETTLED: f32 = 1e-12;

/// One channel's two state values.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct State {
    s1: f32,
    s2: f32,
}

impl State {
    /// One sample. No per-sample denormal guard: callers `settle` the state after each
    /// short block, which zeroes it long before it could decay into denormals.
    #[inline]
    pub fn process(&mut self, c: &Coefficients, x: f32) -> f32 {
        let y = c.b0 * x + self.s1;
        self.s1 = c.b1 * x - c.a1 * y + self.s2;
        self.s2 = c.b2 * x - c.a2 * y;
        y
    }

    pub fn reset(&mut self) {
        *self = State::default();
    }

    /// Zeroes a state that has decayed below -240 dBFS. In f32 a decaying low, sharp
    /// section can settle into a tiny limit cycle instead of reaching zero; this ends it,
    /// so a strip fed silence really goes quiet (and idle).
    pub fn settle(&mut self) {
        if self.s1.abs() < SETTLED && self.s2.abs() < SETTLED {
            self.reset();
        }
    }

    pub fn is_silent(&self) -> bool {
        self.s1 == 0.0 && self.s2 == 0.0
    }
}

/// A stereo section: one set of coefficients, a state per side.
#[derive(Clone, Debug)]
pub struct StereoBiquad {
    pub coefficients: Coefficients,
    left: State,
    right: State,
}

impl Default for StereoBiquad {
    fn default() -> StereoBiquad {
        StereoBiquad::new()
    }
}

impl StereoBiquad {
    pub fn new() -> StereoBiquad {
        StereoBiquad {
            coefficients: Coefficients::IDENTITY,
            left: State::default(),
            right: State::default(),
        }
    }

    pub fn reset(&mut self) {
        self.left.reset();
        self.right.reset();
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let c = self.coefficients;
        for x in left.iter_mut() {
            *x = self.left.process(&c, *x);
        }
        for x in right.iter_mut() {
            *x = self.right.process(&c, *x);
        }
        self.left.settle();
        self.right.settle();
    }

    pub fn is_silent(&self) -> bool {
        self.left.is_silent() && self.right.is_silent()
    }

    /// See `State::settle`.
    pub fn settle(&mut self) {
        self.left.settle();
        self.right.settle();
    }
}

/// The most sections a `Cascade` runs.
pub const MAX_CASCADE: usize = 8;

/// Sections run in series sample by sample, both sides in the same pass. Each section
/// is a chain of dependent multiply-adds; run one after another over a whole block they
/// leave the CPU waiting on each result, while interleaved here the chains overlap.
pub struct Cascade {
    coefficients: [Coefficients; MAX_CASCADE],
    states: [[State; 2]; MAX_CASCADE],
    len: usize,
}

impl Default for Cascade {
    fn default() -> Cascade {
        Cascade::new()
    }
}

impl Cascade {
    pub fn new() -> Cascade {
        Cascade {
            coefficients: [Coefficients::IDENTITY; MAX_CASCADE],
            states: [[State::default(); 2]; MAX_CASCADE],
            len: 0,
        }
    }

    /// Takes a copy of `section` as the next stage (ignored past `MAX_CASCADE`).
    pub fn push(&mut self, section: &StereoBiquad) {
        if self.len < MAX_CASCADE {
            self.coefficients[self.len] = section.coefficients;
            self.states[self.len] = [section.left, section.right];
            self.len += 1;
        }
    }

    /// Hands stage `index`'s state back to the section it was copied from.
    pub fn give_back(&self, index: usize, section: &mut StereoBiquad) {
        if let Some(&[left, right]) = self.states.get(index) {
            section.left = left;
            section.right = right;
        }
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        match self.len {
            0 => {}
            1 => self.run::<1>(left, right),
            2 => self.run::<2>(left, right),
            3 => self.run::<3>(left, right),
            4 => self.run::<4>(left, right),
            5 => self.run::<5>(left, right),
            6 => self.run::<6>(left, right),
            _ => self.run_any(left, right),
        }
    }

    /// `process` for exactly `N` sections, their coefficients and state in registers.
    #[inline(always)]
    fn run<const N: usize>(&mut self, left: &mut [f32], right: &mut [f32]) {
        let coefficients: [Coefficients; N] = std::array::from_fn(|k| self.coefficients[k]);
        let mut states: [[State; 2]; N] = std::array::from_fn(|k| self.states[k]);
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (mut x, mut y) = (*l, *r);
            for (c, [sl, sr]) in coefficients.iter().zip(states.iter_mut()) {
                x = sl.process(c, x);
                y = sr.process(c, y);
            }
            *l = x;
            *r = y;
        }
        self.states[..N].copy_from_slice(&states);
    }

    fn run_any(&mut self, left: &mut [f32], right: &mut [f32]) {
        let n = self.len;
        let coefficients = &self.coefficients[..n];
        let states = &mut self.states[..n];
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let (mut x, mut y) = (*l, *r);
            for (c, [sl, sr]) in coefficients.iter().zip(states.iter_mut()) {
                x = sl.process(c, x);
                y = sr.process(c, y);
            }
            *l = x;
            *r = y;
        }
    }
}

/// Signals a `LaneCascade` runs side by side: four stereo strips, their left sides in
/// lanes 0 to 3 and their right sides in lanes 4 to 7 (a 256-bit vector a frame). The
/// mixer groups eight strips as two such signals: when both have filters in circuit they
/// run together (`process_pair`, `process_pair_settling`), and a group with filters in
/// one half pays for that signal only.
pub const LANES: usize = 8;

/// One frame of every lane.
pub type LaneFrame = [f32; LANES];

/// The most sections a `LaneCascade` runs in series.
pub const LANE_SLOTS: usize = 6;

/// One position of a `LaneCascade`: a section per lane, or a pass-through.
#[derive(Clone, Copy)]
struct LaneSection {
    b0: LaneFrame,
    b1: LaneFrame,
    b2: LaneFrame,
    a1: LaneFrame,
    a2: LaneFrame,
    s1: LaneFrame,
    s2: LaneFrame,
    /// All ones in a lane that runs this section; zero in one it passes through.
    runs: [u32; LANES],
}

impl LaneSection {
    /// `State::settle` on `lane` if it runs this section.
    #[inline]
    fn settle_lane(&mut self, lane: usize) {
        if lane < LANES
            && self.runs[lane] != 0
            && self.s1[lane].abs() < SETTLED
            && self.s2[lane].abs() < SETTLED
        {
            self.s1[lane] = 0.0;
            self.s2[lane] = 0.0;
        }
    }

    const PASS: LaneSection = LaneSection {
        b0: [1.0; LANES],
        b1: [0.0; LANES],
        b2: [0.0; LANES],
        a1: [0.0; LANES],
        a2: [0.0; LANES],
        s1: [0.0; LANES],
        s2: [0.0; LANES],
        runs: [0; LANES],
    };
}

/// Sections in series on eight independent signals at once, the same arithmetic as
/// `State::process` in every lane, so a lane's samples are exactly those of its sections
/// run alone. Written as plain arrays of eight, which the compiler turns into vector
/// instructions: one strip's sections are a chain of dependent multiply-adds, while
/// eight lanes of them fill the vector units.
///
/// Each lane has its own sections in fixed slots; in a slot it does not use, the lane's
/// signal passes through untouched (bit for bit, not through an identity section).
pub struct LaneCascade {
    sections: [LaneSection; LANE_SLOTS],
}

impl Default for LaneCascade {
    fn default() -> LaneCascade {
        LaneCascade::new()
    }
}

impl LaneCascade {
    pub fn new() -> LaneCascade {
        LaneCascade {
            sections: [LaneSection::PASS; LANE_SLOTS],
        }
    }

    /// Every lane of every slot passes through.
    pub fn clear(&mut self) {
        self.sections = [LaneSection::PASS; LANE_SLOTS];
    }

    /// Every slot passes through in lanes `left` and `right`.
    pub fn clear_lanes(&mut self, (left, right): (usize, usize)) {
        for s in &mut self.sections {
            for lane in [left, right] {
                if lane < LANES {
                    s.b0[lane] = 1.0;
                    s.b1[lane] = 0.0;
                    s.b2[lane] = 0.0;
                    s.a1[lane] = 0.0;
                    s.a2[lane] = 0.0;
                    s.s1[lane] = 0.0;
                    s.s2[lane] = 0.0;
                    s.runs[lane] = 0;
                }
            }
        }
    }

    /// `State::settle` on lanes `left` and `right` of every slot they run, for state
    /// that stays in the lanes from one block to the next.
    pub fn settle(&mut self, (left, right): (usize, usize)) {
        for s in &mut self.sections {
            for lane in [left, right] {
                s.settle_lane(lane);
            }
        }
    }

    /// `settle` on every lane marked in `lanes`.
    pub fn settle_lanes(&mut self, lanes: [bool; LANES]) {
        for s in &mut self.sections {
            for lane in (0..LANES).filter(|&lane| lanes[lane]) {
                s.settle_lane(lane);
            }
        }
    }

    /// Runs `section` at `slot`, its left side in lane `left` and right in `right`.
    pub fn load(&mut self, slot: usize, (left, right): (usize, usize), section: &StereoBiquad) {
        let Some(s) = self.sections.get_mut(slot) else {
            return;
        };
        let c = section.coefficients;
        for (lane, state) in [(left, section.left), (right, section.right)] {
            if lane < LANES {
                s.b0[lane] = c.b0;
                s.b1[lane] = c.b1;
                s.b2[lane] = c.b2;
                s.a1[lane] = c.a1;
                s.a2[lane] = c.a2;
                s.s1[lane] = state.s1;
                s.s2[lane] = state.s2;
                s.runs[lane] = u32::MAX;
            }
        }
    }

    /// Hands the state of `slot` in lanes `left` and `right` back to `section`.
    pub fn store(&self, slot: usize, (left, right): (usize, usize), section: &mut StereoBiquad) {
        let Some(s) = self.sections.get(slot) else {
            return;
        };
        let state = |lane: usize| State {
            s1: s.s1[lane],
            s2: s.s2[lane],
        };
        if left < LANES && right < LANES {
            section.left = state(left);
            section.right = state(right);
        }
    }

    pub fn process(&mut self, frames: &mut [LaneFrame]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has just been seen to have AVX.
            unsafe { self.process_avx(frames) };
            return;
        }
        self.process_portable(frames);
    }

    /// `process` with 256-bit vectors: a lane frame is one register. Without FMA, whose
    /// single rounding would change the samples: every path gives the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn process_avx(&mut self, frames: &mut [LaneFrame]) {
        self.process_portable(frames);
    }

    #[inline(always)]
    fn process_portable(&mut self, frames: &mut [LaneFrame]) {
        // Only the slots some lane runs, in order; while every lane runs every one of
        // them, nothing needs passing through.
        let mut used = [0usize; LANE_SLOTS];
        let mut count = 0;
        let mut all = true;
        for (slot, s) in self.sections.iter().enumerate() {
            if s.runs.iter().any(|&r| r != 0) {
                used[count] = slot;
                count += 1;
                all &= s.runs.iter().all(|&r| r != 0);
            }
        }
        let used = &used[..count];
        match (count, all) {
            (0, _) => {}
            (1, true) => self.run::<1, false>(used, frames),
            (2, true) => self.run::<2, false>(used, frames),
            (3, true) => self.run::<3, false>(used, frames),
            (4, true) => self.run::<4, false>(used, frames),
            (5, true) => self.run::<5, false>(used, frames),
            (6, true) => self.run::<6, false>(used, frames),
            (1, false) => self.run::<1, true>(used, frames),
            (2, false) => self.run::<2, true>(used, frames),
            (3, false) => self.run::<3, true>(used, frames),
            (4, false) => self.run::<4, true>(used, frames),
            (5, false) => self.run::<5, true>(used, frames),
            _ => self.run::<6, true>(used, frames),
        }
    }

    /// The `N` slots `used` over a block, sample by sample through all of them: each
    /// slot's recurrence waits on its previous sample, so the slots' chains are
    /// interleaved to overlap (as in `Cascade`), in registers for a fixed `N`.
    #[inline(always)]
    fn run<const N: usize, const MASKED: bool>(
        &mut self,
        used: &[usize],
        frames: &mut [LaneFrame],
    ) {
        let mut local: [LaneSection; N] = std::array::from_fn(|k| self.sections[used[k]]);
        for frame in frames.iter_mut() {
            let mut x = *frame;
            for s in local.iter_mut() {
                let mut y = [0.0; LANES];
                for i in 0..LANES {
                    y[i] = s.b0[i] * x[i] + s.s1[i];
                    s.s1[i] = s.b1[i] * x[i] - s.a1[i] * y[i] + s.s2[i];
                    s.s2[i] = s.b2[i] * x[i] - s.a2[i] * y[i];
                }
                if MASKED {
                    for i in 0..LANES {
                        let runs = s.runs[i];
                        y[i] = f32::from_bits((y[i].to_bits() & runs) | (x[i].to_bits() & !runs));
                    }
                }
                x = y;
            }
            *frame = x;
        }
        for (k, s) in local.iter().enumerate() {
            self.sections[used[k]].s1 = s.s1;
            self.sections[used[k]].s2 = s.s2;
        }
    }

    /// `a.process(first)` and `b.process(second)` (as long as `first`) at once: with
    /// AVX-512, a frame of each is one 512-bit vector, so both cost about what one does.
    /// Every path gives the same bits.
    pub fn process_pair(
        a: &mut LaneCascade,
        b: &mut LaneCascade,
        first: &mut [LaneFrame],
        second: &mut [LaneFrame],
    ) {
        let frames = first.len();
        LaneCascade::process_pair_settling(a, b, first, second, &[(frames, [[false; LANES]; 2])]);
    }

    /// `process_pair` over stretches one after the other: stretch `k` is
    /// `stretches[k].0` frames long, and after it `a` settles the lanes marked in
    /// `stretches[k].1[0]` and `b` those in `stretches[k].1[1]` (`settle_lanes`). The
    /// sections stay in registers from one stretch to the next.
    pub fn process_pair_settling(
        a: &mut LaneCascade,
        b: &mut LaneCascade,
        first: &mut [LaneFrame],
        second: &mut [LaneFrame],
        stretches: &[(usize, [[bool; LANES]; 2])],
    ) {
        #[cfg(target_arch = "x86_64")]
        if first.len() == second.len()
            && stretches.iter().map(|s| s.0).sum::<usize>() <= first.len()
            && std::arch::is_x86_feature_detected!("avx512f")
        {
            // SAFETY: the CPU has just been seen to have AVX-512F; the stretches were
            // seen to lie within the frames.
            unsafe { LaneCascade::process_pair_avx512(a, b, first, second, stretches) };
            return;
        }
        let mut start = 0;
        for &(frames, [settles_a, settles_b]) in stretches {
            let end = (start + frames).min(first.len()).min(second.len());
            a.process(&mut first[start..end]);
            b.process(&mut second[start..end]);
            a.settle_lanes(settles_a);
            b.settle_lanes(settles_b);
            start = end;
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f")]
    fn process_pair_avx512(
        a: &mut LaneCascade,
        b: &mut LaneCascade,
        first: &mut [LaneFrame],
        second: &mut [LaneFrame],
        stretches: &[(usize, [[bool; LANES]; 2])],
    ) {
        // The slots some lane of either runs, in order, and whether every lane of both
        // runs every one of them.
        let mut used = [0usize; LANE_SLOTS];
        let mut count = 0;
        let mut all = true;
        for (slot, (x, y)) in a.sections.iter().zip(&b.sections).enumerate() {
            let lanes = || x.runs.iter().chain(&y.runs);
            if lanes().any(|&r| r != 0) {
                used[count] = slot;
                count += 1;
                all &= lanes().all(|&r| r != 0);
            }
        }
        let used = &used[..count];
        let run = |a: &mut LaneCascade, b: &mut LaneCascade, first, second| match (count, all) {
            (0, _) => {}
            (1, true) => run_pair::<1, false>(a, b, used, (first, second), stretches),
            (2, true) => run_pair::<2, false>(a, b, used, (first, second), stretches),
            (3, true) => run_pair::<3, false>(a, b, used, (first, second), stretches),
            (4, true) => run_pair::<4, false>(a, b, used, (first, second), stretches),
            (5, true) => run_pair::<5, false>(a, b, used, (first, second), stretches),
            (6, true) => run_pair::<6, false>(a, b, used, (first, second), stretches),
            (1, false) => run_pair::<1, true>(a, b, used, (first, second), stretches),
            (2, false) => run_pair::<2, true>(a, b, used, (first, second), stretches),
            (3, false) => run_pair::<3, true>(a, b, used, (first, second), stretches),
            (4, false) => run_pair::<4, true>(a, b, used, (first, second), stretches),
            (5, false) => run_pair::<5, true>(a, b, used, (first, second), stretches),
            _ => run_pair::<6, true>(a, b, used, (first, second), stretches),
        };
        run(a, b, first, second);
    }
}

/// Slot `used[k]` of `a` (low half) and `b` (high half) in 512-bit vectors.
#[cfg(target_arch = "x86_64")]
#[derive(Clone, Copy)]
struct WideSection {
    b0: std::arch::x86_64::__m512,
    b1: std::arch::x86_64::__m512,
    b2: std::arch::x86_64::__m512,
    a1: std::arch::x86_64::__m512,
    a2: std::arch::x86_64::__m512,
    s1: std::arch::x86_64::__m512,
    s2: std::arch::x86_64::__m512,
    runs: std::arch::x86_64::__mmask16,
}

/// Two lane frames side by side in one vector, `low` in the low half.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn join(low: &LaneFrame, high: &LaneFrame) -> std::arch::x86_64::__m512 {
    use std::arch::x86_64::*;
    // SAFETY: a lane frame is eight floats, one 256-bit vector.
    let (low, high) = unsafe {
        (
            _mm256_loadu_ps(low.as_ptr()),
            _mm256_loadu_ps(high.as_ptr()),
        )
    };
    _mm512_castpd_ps(_mm512_insertf64x4::<1>(
        _mm512_castpd256_pd512(_mm256_castps_pd(low)),
        _mm256_castps_pd(high),
    ))
}

/// A vector's low and high halves written back as two lane frames.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn split(x: std::arch::x86_64::__m512, low: &mut LaneFrame, high: &mut LaneFrame) {
    use std::arch::x86_64::*;
    let upper = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(x)));
    // SAFETY: a lane frame is eight floats, one 256-bit vector.
    unsafe {
        _mm256_storeu_ps(low.as_mut_ptr(), _mm512_castps512_ps256(x));
        _mm256_storeu_ps(high.as_mut_ptr(), upper);
    }
}

/// `LaneCascade::run` on two cascades' lanes at once, the same operations in each lane.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[inline]
fn run_pair<const N: usize, const MASKED: bool>(
    a: &mut LaneCascade,
    b: &mut LaneCascade,
    used: &[usize],
    (first, second): (&mut [LaneFrame], &mut [LaneFrame]),
    stretches: &[(usize, [[bool; LANES]; 2])],
) {
    use std::arch::x86_64::*;
    let mut local: [WideSection; N] = std::array::from_fn(|k| {
        let (x, y) = (&a.sections[used[k]], &b.sections[used[k]]);
        let runs = x
            .runs
            .iter()
            .chain(&y.runs)
            .enumerate()
            .fold(0u16, |m, (lane, &r)| m | (u16::from(r != 0) << lane));
        WideSection {
            b0: join(&x.b0, &y.b0),
            b1: join(&x.b1, &y.b1),
            b2: join(&x.b2, &y.b2),
            a1: join(&x.a1, &y.a1),
            a2: join(&x.a2, &y.a2),
            s1: join(&x.s1, &y.s1),
            s2: join(&x.s2, &y.s2),
            runs,
        }
    });
    let settled = _mm512_set1_ps(SETTLED);
    let magnitude = |x: __m512| {
        _mm512_castsi512_ps(_mm512_and_si512(
            _mm512_castps_si512(x),
            _mm512_set1_epi32(i32::MAX),
        ))
    };
    let mut start = 0;
    for &(frames, [settles_a, settles_b]) in stretches {
        let end = start + frames;
        for (low, high) in first[start..end]
            .iter_mut()
            .zip(second[start..end].iter_mut())
        {
            let mut x = join(low, high);
            for s in local.iter_mut() {
                let y = _mm512_add_ps(_mm512_mul_ps(s.b0, x), s.s1);
                s.s1 = _mm512_add_ps(
                    _mm512_sub_ps(_mm512_mul_ps(s.b1, x), _mm512_mul_ps(s.a1, y)),
                    s.s2,
                );
                s.s2 = _mm512_sub_ps(_mm512_mul_ps(s.b2, x), _mm512_mul_ps(s.a2, y));
                x = if MASKED {
                    _mm512_mask_blend_ps(s.runs, x, y)
                } else {
                    y
                };
            }
            split(x, low, high);
        }
        // `settle_lanes` on the marked lanes of each slot they run.
        let settles = settles_a
            .iter()
            .chain(&settles_b)
            .enumerate()
            .fold(0u16, |m, (lane, &on)| m | (u16::from(on) << lane));
        if settles != 0 {
            for s in local.iter_mut() {
                let quiet = _mm512_cmp_ps_mask::<_CMP_LT_OQ>(magnitude(s.s1), settled)
                    & _mm512_cmp_ps_mask::<_CMP_LT_OQ>(magnitude(s.s2), settled);
                let zero = settles & s.runs & quiet;
                s.s1 = _mm512_maskz_mov_ps(!zero, s.s1);
                s.s2 = _mm512_maskz_mov_ps(!zero, s.s2);
            }
        }
        start = end;
    }
    for (k, s) in local.iter().enumerate() {
        let (x, y) = (&mut a.sections[used[k]], &mut b.sections[used[k]]);
        split(s.s1, &mut x.s1, &mut y.s1);
        split(s.s2, &mut x.s2, &mut y.s2);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn designs_hit_their_defining_gains() {
        let rate = 48_000.0;
        let peak = Coefficients::design(Shape::Peak, rate, 1_000.0, 2.0, 9.0);
        assert!((peak.magnitude_db(rate, 1_000.0) - 9.0).abs() < 1e-3);
        assert!(peak.magnitude_db(rate, 20.0).abs() < 0.05);
        let low = Coefficients::design(Shape::LowShelf, rate, 200.0, 0.707, -6.0);
        assert!((low.magnitude_db(rate, 10.0) + 6.0).abs() < 0.05);
        assert!((low.magnitude_db(rate, 200.0) + 3.0).abs() < 0.05);
        assert!(low.magnitude_db(rate, 10_000.0).abs() < 0.05);
        let high = Coefficients::design(Shape::HighShelf, rate, 5_000.0, 0.707, 4.0);
        assert!((high.magnitude_db(rate, 23_000.0) - 4.0).abs() < 0.1);
        let hp = Coefficients::design(
            Shape::HighPass,
            rate,
            100.0,
            std::f32::consts::FRAC_1_SQRT_2,
            0.0,
        );
        assert!((hp.magnitude_db(rate, 100.0) + 3.01).abs() < 0.02);
        assert!((hp.magnitude_db(rate, 25.0) + 24.1).abs() < 0.2);
        let flat = Coefficients::design(Shape::Peak, rate, 1_000.0, 1.0, 0.0);
        assert!(flat.magnitude_db(rate, 1_000.0).abs() < 1e-6);
    }

    #[test]
    fn a_cascade_gives_the_same_samples_as_its_sections_one_by_one() {
        let designs = [
            Coefficients::design(Shape::HighPass, 48_000.0, 80.0, 0.7, 0.0),
            Coefficients::design(Shape::Peak, 48_000.0, 900.0, 2.0, 5.0),
            Coefficients::design(Shape::HighShelf, 48_000.0, 6_000.0, 0.7, -4.0),
            Coefficients::design(Shape::LowShelf, 48_000.0, 120.0, 0.7, 3.0),
        ];
        let input: Vec<f32> = (0..500)
            .map(|i| ((i * 7919) % 101) as f32 / 50.0 - 1.0)
            .collect();
        // Every length, the ones run with their sections in registers and the rest.
        for count in 1..=MAX_CASCADE {
            let section = |k: usize| StereoBiquad {
                coefficients: designs[k % designs.len()],
                ..StereoBiquad::new()
            };
            let mut sections: Vec<StereoBiquad> = (0..count).map(section).collect();
            let (mut l1, mut r1) = (input.clone(), input.clone());
            for s in &mut sections {
                s.process(&mut l1, &mut r1);
            }
            let mut fresh: Vec<StereoBiquad> = (0..count).map(section).collect();
            let mut cascade = Cascade::new();
            for s in &fresh {
                cascade.push(s);
            }
            let (mut l2, mut r2) = (input.clone(), input.clone());
            cascade.process(&mut l2, &mut r2);
            assert_eq!(l1, l2, "{count} sections");
            assert_eq!(r1, r2, "{count} sections");
            for (i, s) in fresh.iter_mut().enumerate() {
                cascade.give_back(i, s);
                assert_eq!(s.left, sections[i].left);
                assert_eq!(s.right, sections[i].right);
            }
        }
    }

    #[test]
    fn a_lane_cascade_gives_each_lane_the_samples_of_its_own_sections() {
        let rate = 48_000.0;
        // Lane pair k runs the sections whose bit k (mod 4) is set: lanes use different
        // sets, and one slot no lane runs.
        let designs = [
            (
                0b0111,
                Coefficients::design(Shape::HighPass, rate, 80.0, 0.7, 0.0),
            ),
            (
                0b1011,
                Coefficients::design(Shape::Peak, rate, 900.0, 2.0, 5.0),
            ),
            (
                0b0000,
                Coefficients::design(Shape::Peak, rate, 90.0, 2.0, 5.0),
            ),
            (
                0b1101,
                Coefficients::design(Shape::HighShelf, rate, 6_000.0, 0.7, -4.0),
            ),
            (
                0b1111,
                Coefficients::design(Shape::LowShelf, rate, 200.0, 0.7, 3.0),
            ),
        ];
        let signal = |lane: usize| -> Vec<f32> {
            (0..300)
                .map(|i| (((i + 31 * lane) * 7919) % 101) as f32 / 50.0 - 1.0)
                .collect()
        };
        let mut lanes: Vec<LaneFrame> = (0..300)
            .map(|i| std::array::from_fn(|lane| signal(lane)[i]))
            .collect();
        let mut cascade = LaneCascade::new();
        let half = LANES / 2;
        let mut sections: Vec<Vec<StereoBiquad>> = (0..half)
            .map(|_| {
                designs
                    .iter()
                    .map(|&(_, c)| StereoBiquad {
                        coefficients: c,
                        ..StereoBiquad::new()
                    })
                    .collect()
            })
            .collect();
        // Two blocks, the state handed back and forth in between.
        for block in [0..170, 170..300] {
            cascade.clear();
            for (k, own) in sections.iter().enumerate() {
                for (slot, &(lanes_on, _)) in designs.iter().enumerate() {
                    if lanes_on & (1 << (k % 4)) != 0 {
                        cascade.load(slot, (k, k + half), &own[slot]);
                    }
                }
            }
            cascade.process(&mut lanes[block]);
            for (k, own) in sections.iter_mut().enumerate() {
                for (slot, &(lanes_on, _)) in designs.iter().enumerate() {
                    if lanes_on & (1 << (k % 4)) != 0 {
                        cascade.store(slot, (k, k + half), &mut own[slot]);
                    }
                }
            }
        }
        for k in 0..half {
            let (mut left, mut right) = (signal(k), signal(k + half));
            for (slot, &(lanes_on, c)) in designs.iter().enumerate() {
                if lanes_on & (1 << (k % 4)) != 0 {
                    let mut alone = StereoBiquad {
                        coefficients: c,
                        ..StereoBiquad::new()
                    };
                    for x in left.iter_mut() {
                        *x = alone.left.process(&c, *x);
                    }
                    for x in right.iter_mut() {
                        *x = alone.right.process(&c, *x);
                    }
                    assert_eq!(alone.left, sections[k][slot].left, "state handed back");
                }
            }
            for (i, frame) in lanes.iter().enumerate() {
                assert_eq!(frame[k].to_bits(), left[i].to_bits(), "lane {k} frame {i}");
                assert_eq!(frame[k + half].to_bits(), right[i].to_bits());
            }
        }
    }

    #[test]
    fn a_lane_cascade_gives_the_same_bits_on_the_portable_path() {
        let rate = 48_000.0;
        let make = || {
            let mut cascade = LaneCascade::new();
            for slot in 0..LANE_SLOTS {
                for k in 0..LANES / 2 {
                    // Some lanes pass some slots through.
                    if (slot + k) % 3 != 0 {
                        let freq = 50.0 * (1 + slot + 2 * k) as f32;
                        let section = StereoBiquad {
                            coefficients: Coefficients::design(Shape::Peak, rate, freq, 1.5, 4.0),
                            ..StereoBiquad::new()
                        };
                        cascade.load(slot, (k, k + LANES / 2), &section);
                    }
                }
            }
            cascade
        };
        let input: Vec<LaneFrame> = (0..500)
            .map(|i| std::array::from_fn(|lane| ((i * 7 + lane * 13) % 17) as f32 / 8.0 - 1.0))
            .collect();
        let (mut dispatched, mut portable) = (input.clone(), input);
        make().process(&mut dispatched);
        make().process_portable(&mut portable);
        let bits = |frames: &[LaneFrame]| -> Vec<u32> {
            frames.iter().flatten().map(|x| x.to_bits()).collect()
        };
        assert_eq!(bits(&dispatched), bits(&portable));
    }

    #[test]
    fn two_lane_cascades_run_as_a_pair_give_the_bits_of_each_run_alone() {
        let rate = 48_000.0;
        // `skip` picks the lanes that pass a slot through; with none, every lane runs
        // every slot used (the unmasked path).
        let make = |shift: usize, skip: Option<usize>| {
            let mut cascade = LaneCascade::new();
            for slot in 0..LANE_SLOTS - 1 {
                for k in 0..LANES / 2 {
                    if skip.is_some_and(|m| (slot + k + shift).is_multiple_of(m)) {
                        continue;
                    }
                    let freq = 40.0 * (1 + slot + 2 * k + shift) as f32;
                    let section = StereoBiquad {
                        coefficients: Coefficients::design(Shape::Peak, rate, freq, 1.5, 4.0),
                        ..StereoBiquad::new()
                    };
                    cascade.load(slot, (k, k + LANES / 2), &section);
                }
            }
            cascade
        };
        let input = |shift: usize| -> Vec<LaneFrame> {
            (0..500)
                .map(|i| {
                    std::array::from_fn(|lane| {
                        ((i * 7 + lane * 13 + shift) % 17) as f32 / 8.0 - 1.0
                    })
                })
                .collect()
        };
        let bits = |frames: &[LaneFrame]| -> Vec<u32> {
            frames.iter().flatten().map(|x| x.to_bits()).collect()
        };
        for (skip_a, skip_b) in [
            (None, None),
            (Some(3), None),
            (None, Some(4)),
            (Some(2), Some(5)),
        ] {
            let (mut a, mut b) = (make(0, skip_a), make(5, skip_b));
            let (mut first, mut second) = (input(0), input(3));
            // Two blocks, the state kept in the lanes between them.
            for block in [0..123, 123..500] {
                LaneCascade::process_pair(
                    &mut a,
                    &mut b,
                    &mut first[block.clone()],
                    &mut second[block],
                );
            }
            let (mut a_alone, mut b_alone) = (make(0, skip_a), make(5, skip_b));
            let (mut first_alone, mut second_alone) = (input(0), input(3));
            a_alone.process_portable(&mut first_alone);
            b_alone.process_portable(&mut second_alone);
            assert_eq!(bits(&first), bits(&first_alone), "{skip_a:?}");
            assert_eq!(bits(&second), bits(&second_alone), "{skip_b:?}");
            assert_ne!(bits(&first), bits(&input(0)), "filtered");
            for slot in 0..LANE_SLOTS {
                for (x, y) in [(&a, &a_alone), (&b, &b_alone)] {
                    let (x, y) = (&x.sections[slot], &y.sections[slot]);
                    assert_eq!((x.s1, x.s2), (y.s1, y.s2), "state of slot {slot}");
                }
            }
        }
    }

    #[test]
    fn a_pair_run_stretch_after_stretch_settles_as_each_stretch_run_alone() {
        let rate = 48_000.0;
        let make = |shift: usize| {
            let mut cascade = LaneCascade::new();
            for slot in 0..3 {
                for k in 0..LANES / 2 {
                    let freq = 300.0 * (1 + slot + k + shift) as f32;
                    let section = StereoBiquad {
                        coefficients: Coefficients::design(Shape::Peak, rate, freq, 1.0, 6.0),
                        ..StereoBiquad::new()
                    };
                    cascade.load(slot, (k, k + LANES / 2), &section);
                }
            }
            cascade
        };
        // A burst, then silence long enough for the states to fall below settling.
        let input = |shift: usize| -> Vec<LaneFrame> {
            (0..6_000)
                .map(|i| {
                    std::array::from_fn(|lane| {
                        if i < 200 {
                            ((i * 7 + lane * 13 + shift) % 17) as f32 / 8.0 - 1.0
                        } else {
                            0.0
                        }
                    })
                })
                .collect()
        };
        // Stretches of 32 frames; the even lanes of `a` and the odd lanes of `b` settle
        // after every other one.
        let stretches: Vec<(usize, [[bool; LANES]; 2])> = (0..6_000 / 32)
            .map(|k| {
                let on = k % 2 == 1;
                (
                    32,
                    [
                        std::array::from_fn(|lane| on && lane % 2 == 0),
                        std::array::from_fn(|lane| on && lane % 2 == 1),
                    ],
                )
            })
            .collect();
        let (mut a, mut b) = (make(0), make(3));
        let (mut first, mut second) = (input(0), input(5));
        // Sixteen stretches a call, as the mixer hands them over.
        for (k, chunk) in stretches.chunks(16).enumerate() {
            let (start, span) = (32 * 16 * k, 32 * chunk.len());
            LaneCascade::process_pair_settling(
                &mut a,
                &mut b,
                &mut first[start..start + span],
                &mut second[start..start + span],
                chunk,
            );
        }
        let (mut a_alone, mut b_alone) = (make(0), make(3));
        let (mut first_alone, mut second_alone) = (input(0), input(5));
        for (k, &(length, [settles_a, settles_b])) in stretches.iter().enumerate() {
            let span = 32 * k..32 * k + length;
            a_alone.process_portable(&mut first_alone[span.clone()]);
            b_alone.process_portable(&mut second_alone[span]);
            a_alone.settle_lanes(settles_a);
            b_alone.settle_lanes(settles_b);
        }
        let bits = |frames: &[LaneFrame]| -> Vec<u32> {
            frames.iter().flatten().map(|x| x.to_bits()).collect()
        };
        assert_eq!(bits(&first), bits(&first_alone));
        assert_eq!(bits(&second), bits(&second_alone));
        for (x, y) in [(&a, &a_alone), (&b, &b_alone)] {
            for slot in 0..LANE_SLOTS {
                let (x, y) = (&x.sections[slot], &y.sections[slot]);
                assert_eq!((x.s1, x.s2), (y.s1, y.s2), "state of slot {slot}");
            }
        }
        let s = &a.sections[0];
        assert!(
            s.s1[0] == 0.0 && s.s2[0] == 0.0,
            "a settled lane is at exact zero"
        );
        assert!(s.s1[1] != 0.0, "a lane never settled is not: {:?}", s.s1);
    }

    #[test]
    fn state_snaps_to_exact_zero_after_the_signal_stops() {
        let c = Coefficients::design(Shape::Peak, 48_000.0, 60.0, 4.0, 12.0);
        let mut s = State::default();
        for i in 0..48_000 {
            s.process(&c, (i as f32 * 0.01).sin());
        }
        assert!(!s.is_silent());
        for _ in 0..48_000 * 4 {
            s.process(&c, 0.0);
            s.settle();
        }
        assert!(s.is_silent(), "{s:?} {c:?}");
    }
}
