//! Second-order IIR sections with Robert Bristow-Johnson's "Audio EQ Cookbook" designs:
//! one type serves the channel EQ's shelves and peaks and its high-pass.
//!
//! Coefficients are designed in f64 (low corners at high rates lose precision in f32)
//! and run in transposed direct form II, whose two state values are flushed to zero
//! when they fall below audibility so silence never leaves denormals behind.

use super::util::flush_denormal;
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
    #[inline]
    pub fn process(&mut self, c: &Coefficients, x: f32) -> f32 {
        let y = c.b0 * x + self.s1;
        self.s1 = flush_denormal(c.b1 * x - c.a1 * y + self.s2);
        self.s2 = flush_denormal(c.b2 * x - c.a2 * y);
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
