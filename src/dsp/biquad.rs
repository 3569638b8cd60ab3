//! Second-order IIR sections with the Audio EQ Cookbook (R. Bristow-Johnson) designs:
//! shelves and peaks for equalisers, Butterworth pairs for Linkwitz-Riley crossovers.
//!
//! Transposed direct form II in f64: a 20 Hz shelf at 96 kHz keeps its shape, and a
//! coefficient change mid-signal does not blow up.

use super::util::flush_denormal;
use std::f64::consts::{FRAC_1_SQRT_2, PI};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    LowShelf,
    Peak,
    HighShelf,
    Lowpass,
    Highpass,
}

/// Normalised coefficients (a0 = 1).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    b0: f64,
    b1: f64,
    b2: f64,
    a1: f64,
    a2: f64,
}

impl Coefficients {
    pub const IDENTITY: Coefficients = Coefficients {
        b0: 1.0,
        b1: 0.0,
        b2: 0.0,
        a1: 0.0,
        a2: 0.0,
    };

    /// Raw coefficients, normalised so a0 = 1.
    pub fn from_raw(b: [f64; 3], a: [f64; 3]) -> Coefficients {
        Coefficients {
            b0: b[0] / a[0],
            b1: b[1] / a[0],
            b2: b[2] / a[0],
            a1: a[1] / a[0],
            a2: a[2] / a[0],
        }
    }

    /// `freq_hz` is clamped below Nyquist; `gain_db` only matters for shelves and peaks.
    pub fn design(shape: Shape, sample_rate: f32, freq_hz: f32, q: f32, gain_db: f32) -> Self {
        let rate = f64::from(sample_rate);
        let freq = f64::from(freq_hz).clamp(5.0, 0.49 * rate);
        let q = f64::from(q).max(0.05);
        let w = 2.0 * PI * freq / rate;
        let (sin, cos) = w.sin_cos();
        let alpha = sin / (2.0 * q);
        let a = 10f64.powf(f64::from(gain_db) / 40.0);
        let (b0, b1, b2, a0, a1, a2) = match shape {
            Shape::Peak => (
                1.0 + alpha * a,
                -2.0 * cos,
                1.0 - alpha * a,
                1.0 + alpha / a,
                -2.0 * cos,
                1.0 - alpha / a,
            ),
            Shape::LowShelf => {
                let s = 2.0 * a.sqrt() * alpha;
                (
                    a * ((a + 1.0) - (a - 1.0) * cos + s),
                    2.0 * a * ((a - 1.0) - (a + 1.0) * cos),
                    a * ((a + 1.0) - (a - 1.0) * cos - s),
                    (a + 1.0) + (a - 1.0) * cos + s,
                    -2.0 * ((a - 1.0) + (a + 1.0) * cos),
                    (a + 1.0) + (a - 1.0) * cos - s,
                )
            }
            Shape::HighShelf => {
                let s = 2.0 * a.sqrt() * alpha;
                (
                    a * ((a + 1.0) + (a - 1.0) * cos + s),
                    -2.0 * a * ((a - 1.0) + (a + 1.0) * cos),
                    a * ((a + 1.0) + (a - 1.0) * cos - s),
                    (a + 1.0) - (a - 1.0) * cos + s,
                    2.0 * ((a - 1.0) - (a + 1.0) * cos),
                    (a + 1.0) - (a - 1.0) * cos - s,
                )
            }
            Shape::Lowpass => (
                (1.0 - cos) / 2.0,
                1.0 - cos,
                (1.0 - cos) / 2.0,
                1.0 + alpha,
                -2.0 * cos,
                1.0 - alpha,
            ),
            Shape::Highpass => (
                (1.0 + cos) / 2.0,
                -(1.0 + cos),
                (1.0 + cos) / 2.0,
                1.0 + alpha,
                -2.0 * cos,
                1.0 - alpha,
            ),
        };
        Coefficients {
            b0: b0 / a0,
            b1: b1 / a0,
            b2: b2 / a0,
            a1: a1 / a0,
            a2: a2 / a0,
        }
    }

    /// Magnitude response at `freq_hz`, in dB.
    pub fn response_db(&self, sample_rate: f32, freq_hz: f32) -> f32 {
        let w = 2.0 * PI * f64::from(freq_hz) / f64::from(sample_rate);
        let (z1r, z1i) = (w.cos(), -w.sin());
        let (z2r, z2i) = ((2.0 * w).cos(), -(2.0 * w).sin());
        let nr = self.b0 + self.b1 * z1r + self.b2 * z2r;
        let ni = self.b1 * z1i + self.b2 * z2i;
        let dr = 1.0 + self.a1 * z1r + self.a2 * z2r;
        let di = self.a1 * z1i + self.a2 * z2i;
        (10.0 * ((nr * nr + ni * ni) / (dr * dr + di * di)).log10()) as f32
    }
}

#[derive(Clone, Debug)]
pub struct Biquad {
    c: Coefficients,
    s1: f64,
    s2: f64,
}

impl Default for Biquad {
    fn default() -> Biquad {
        Biquad::new(Coefficients::IDENTITY)
    }
}

impl Biquad {
    pub fn new(c: Coefficients) -> Biquad {
        Biquad {
            c,
            s1: 0.0,
            s2: 0.0,
        }
    }

    /// Keeps the state, so a sweep stays continuous.
    pub fn set(&mut self, c: Coefficients) {
        self.c = c;
    }

    pub fn reset(&mut self) {
        self.s1 = 0.0;
        self.s2 = 0.0;
    }

    pub fn process(&mut self, x: f32) -> f32 {
        let x = f64::from(x);
        let y = self.c.b0 * x + self.s1;
        self.s1 = self.c.b1 * x - self.c.a1 * y + self.s2;
        self.s2 = self.c.b2 * x - self.c.a2 * y;
        // A decaying tail would otherwise crawl through denormals.
        if self.s1.abs() < 1e-30 {
            self.s1 = 0.0;
        }
        if self.s2.abs() < 1e-30 {
            self.s2 = 0.0;
        }
        flush_denormal(y as f32)
    }
}

/// A 4th-order Linkwitz-Riley low/high split: two Butterworth sections each side. The
/// two outputs sum to an all-pass, flat in level, and are each -6 dB at the crossover.
#[derive(Clone, Debug)]
pub struct Crossover {
    low: [Biquad; 2],
    high: [Biquad; 2],
}

impl Crossover {
    pub fn new(sample_rate: f32, freq_hz: f32) -> Crossover {
        let mut c = Crossover {
            low: Default::default(),
            high: Default::default(),
        };
        c.set_frequency(sample_rate, freq_hz);
        c
    }

    pub fn set_frequency(&mut self, sample_rate: f32, freq_hz: f32) {
        let q = FRAC_1_SQRT_2 as f32;
        let lp = Coefficients::design(Shape::Lowpass, sample_rate, freq_hz, q, 0.0);
        let hp = Coefficients::design(Shape::Highpass, sample_rate, freq_hz, q, 0.0);
        for f in &mut self.low {
            f.set(lp);
        }
        for f in &mut self.high {
            f.set(hp);
        }
    }

    pub fn reset(&mut self) {
        for f in self.low.iter_mut().chain(&mut self.high) {
            f.reset();
        }
    }

    /// (low, high)
    pub fn process(&mut self, x: f32) -> (f32, f32) {
        let low = self.low[0].process(x);
        let low = self.low[1].process(low);
        let high = self.high[0].process(x);
        let high = self.high[1].process(high);
        (low, high)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    /// Gain of a steady sine through `f`, in dB (from RMS, measured after it settles).
    fn measured_db(mut f: impl FnMut(f32) -> f32, freq: f32) -> f32 {
        let n = RATE as usize / 2;
        let (mut out, mut input) = (0.0f64, 0.0f64);
        for i in 0..n {
            let x = (std::f32::consts::TAU * freq * i as f32 / RATE).sin();
            let y = f(x);
            if i >= n / 2 {
                out += f64::from(y * y);
                input += f64::from(x * x);
            }
        }
        (10.0 * (out / input).log10()) as f32
    }

    #[test]
    fn shelves_and_peaks_reach_their_gain_and_leave_the_rest_flat() {
        let peak = Coefficients::design(Shape::Peak, RATE, 1_000.0, 1.0, 6.0);
        assert!((peak.response_db(RATE, 1_000.0) - 6.0).abs() < 0.01);
        assert!(peak.response_db(RATE, 50.0).abs() < 0.1);
        assert!(peak.response_db(RATE, 15_000.0).abs() < 0.2);
        let mut f = Biquad::new(peak);
        assert!((measured_db(|x| f.process(x), 1_000.0) - 6.0).abs() < 0.05);

        let low = Coefficients::design(Shape::LowShelf, RATE, 100.0, 0.707, -4.0);
        assert!((low.response_db(RATE, 20.0) + 4.0).abs() < 0.2);
        assert!((low.response_db(RATE, 100.0) + 2.0).abs() < 0.05);
        assert!(low.response_db(RATE, 5_000.0).abs() < 0.05);

        let high = Coefficients::design(Shape::HighShelf, RATE, 8_000.0, 0.707, 3.0);
        assert!((high.response_db(RATE, 20_000.0) - 3.0).abs() < 0.3);
        assert!(high.response_db(RATE, 200.0).abs() < 0.05);
    }

    #[test]
    fn crossover_halves_sum_flat_and_split_at_the_frequency() {
        let mut c = Crossover::new(RATE, 200.0);
        for freq in [30.0, 200.0, 1_000.0, 8_000.0] {
            c.reset();
            let sum = measured_db(
                |x| {
                    let (l, h) = c.process(x);
                    l + h
                },
                freq,
            );
            assert!(sum.abs() < 0.05, "{freq} Hz: {sum} dB");
        }
        c.reset();
        let low = measured_db(|x| c.process(x).0, 200.0);
        assert!((low + 6.02).abs() < 0.1, "{low}");
        c.reset();
        let high = measured_db(|x| c.process(x).1, 50.0);
        assert!(high < -40.0, "{high}");
    }
}
