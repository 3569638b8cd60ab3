//! Stereo width in mid/side, with the lows kept mono below a crossover.
//!
//! The side signal is scaled (0 = mono, 1 = as it was, 2 = twice as wide). For the mono
//! lows, mid and side both go through the same 4th-order Linkwitz-Riley split, so they
//! keep the same phase; the low side is dropped and the mid is summed back whole.

use super::biquad::{Coefficients, Shape, State};
use super::smooth::Smoothed;

/// A 4th-order Linkwitz-Riley low/high split: two Butterworth sections each side. The
/// two outputs sum to an all-pass, flat in level, and are each -6 dB at the crossover.
#[derive(Clone, Debug)]
struct Crossover {
    low_pass: Coefficients,
    high_pass: Coefficients,
    low: [State; 2],
    high: [State; 2],
}

impl Crossover {
    fn new(sample_rate: f32, freq_hz: f32) -> Crossover {
        let mut c = Crossover {
            low_pass: Coefficients::IDENTITY,
            high_pass: Coefficients::IDENTITY,
            low: Default::default(),
            high: Default::default(),
        };
        c.set_frequency(sample_rate, freq_hz);
        c
    }

    fn set_frequency(&mut self, sample_rate: f32, freq_hz: f32) {
        let q = std::f32::consts::FRAC_1_SQRT_2;
        self.low_pass = Coefficients::design(Shape::LowPass, sample_rate, freq_hz, q, 0.0);
        self.high_pass = Coefficients::design(Shape::HighPass, sample_rate, freq_hz, q, 0.0);
    }

    fn reset(&mut self) {
        for s in self.low.iter_mut().chain(&mut self.high) {
            s.reset();
        }
    }

    /// (low, high)
    fn process(&mut self, x: f32) -> (f32, f32) {
        let low = self.low[0].process(&self.low_pass, x);
        let low = self.low[1].process(&self.low_pass, low);
        let high = self.high[0].process(&self.high_pass, x);
        let high = self.high[1].process(&self.high_pass, high);
        (low, high)
    }

    /// The high side of `process` alone, for a signal whose lows are dropped: the low
    /// side's sections keep no state the high side reads.
    fn high(&mut self, x: f32) -> f32 {
        let high = self.high[0].process(&self.high_pass, x);
        self.high[1].process(&self.high_pass, high)
    }
}

const RAMP_SECONDS: f32 = 0.02;
/// Crossover coefficients are recomputed this often while the frequency glides.
const COEFFICIENT_INTERVAL: u32 = 32;

pub struct StereoWidth {
    sample_rate: f32,
    width: Smoothed,
    /// 0 = the full side signal passes, 1 = the side's lows are removed.
    mono_lows: Smoothed,
    frequency: Smoothed,
    designed_frequency: f32,
    mid_split: Crossover,
    side_split: Crossover,
    countdown: u32,
}

impl StereoWidth {
    /// `width` is a factor (1 = unchanged); `mono_below_hz` 0 keeps the lows as they are.
    pub fn new(sample_rate: f32, width: f32, mono_below_hz: f32) -> StereoWidth {
        let frequency = if mono_below_hz > 0.0 {
            mono_below_hz
        } else {
            120.0
        };
        StereoWidth {
            sample_rate,
            width: Smoothed::new(sample_rate, RAMP_SECONDS, width),
            mono_lows: Smoothed::new(
                sample_rate,
                RAMP_SECONDS,
                if mono_below_hz > 0.0 { 1.0 } else { 0.0 },
            ),
            frequency: Smoothed::new(sample_rate, RAMP_SECONDS, frequency),
            designed_frequency: frequency,
            mid_split: Crossover::new(sample_rate, frequency),
            side_split: Crossover::new(sample_rate, frequency),
            countdown: 0,
        }
    }

    pub fn set_params(&mut self, width: f32, mono_below_hz: f32) {
        self.width.set_target(width);
        if mono_below_hz > 0.0 {
            self.mono_lows.set_target(1.0);
            self.frequency.set_target(mono_below_hz);
        } else {
            self.mono_lows.set_target(0.0);
        }
    }

    pub fn reset(&mut self) {
        self.mid_split.reset();
        self.side_split.reset();
    }

    /// Whether `process` passes every frame as it is, and will until a setting changes:
    /// the width is 1 and the lows are not made mono, with neither gliding.
    pub fn is_transparent(&self) -> bool {
        self.width.is_settled()
            && self.width.value() == 1.0
            && self.mono_lows.is_settled()
            && self.mono_lows.value() == 0.0
    }

    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let width = self.width.next_value();
        let mono_lows = self.mono_lows.next_value();
        if mono_lows == 0.0 {
            if width == 1.0 {
                return (left, right);
            }
            let mid = 0.5 * (left + right);
            let side = 0.5 * (left - right) * width;
            return (mid + side, mid - side);
        }
        let frequency = self.frequency.next_value();
        if self.countdown == 0 {
            self.countdown = COEFFICIENT_INTERVAL;
            if frequency != self.designed_frequency {
                self.designed_frequency = frequency;
                self.mid_split.set_frequency(self.sample_rate, frequency);
                self.side_split.set_frequency(self.sample_rate, frequency);
            }
        } else {
            self.countdown -= 1;
        }
        let mid = 0.5 * (left + right);
        let side = 0.5 * (left - right);
        let (mid_low, mid_high) = self.mid_split.process(mid);
        let side_high = self.side_split.high(side);
        let mid = mid + (mid_low + mid_high - mid) * mono_lows;
        let side = width * (side + (side_high - side) * mono_lows);
        (mid + side, mid - side)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: f32 = 48_000.0;

    fn stereo_noise(n: usize) -> Vec<(f32, f32)> {
        let mut rng = Rng::new(5);
        (0..n)
            .map(|_| (rng.next_bipolar(), 0.3 * rng.next_bipolar()))
            .collect()
    }

    #[test]
    fn zero_width_is_mono_and_full_width_is_untouched() {
        let input = stereo_noise(4800);
        let mut mono = StereoWidth::new(RATE, 0.0, 0.0);
        let mut same = StereoWidth::new(RATE, 1.0, 0.0);
        let mut mono_with_lows = StereoWidth::new(RATE, 0.0, 150.0);
        for &(l, r) in &input {
            let (a, b) = mono.process(l, r);
            assert_eq!(a, b);
            assert_eq!(same.process(l, r), (l, r));
            let (a, b) = mono_with_lows.process(l, r);
            assert_eq!(a, b);
        }
    }

    /// RMS of the side signal (L-R)/2 of a sine at `freq` that is only in the left channel.
    fn side_level(w: &mut StereoWidth, freq: f32) -> f32 {
        let n = RATE as usize / 2;
        let mut sum = 0.0f64;
        for i in 0..n {
            let x = (std::f32::consts::TAU * freq * i as f32 / RATE).sin();
            let (l, r) = w.process(x, 0.0);
            if i > n / 2 {
                sum += f64::from(0.5 * (l - r)).powi(2);
            }
        }
        (sum / (n / 2) as f64).sqrt() as f32
    }

    #[test]
    fn lows_go_mono_below_the_crossover_and_highs_keep_their_width() {
        let reference = 0.5 / std::f32::consts::SQRT_2;
        let mut w = StereoWidth::new(RATE, 1.0, 150.0);
        let low = side_level(&mut w, 30.0);
        assert!(low < 0.02 * reference, "30 Hz side left: {low}");
        w.reset();
        let high = side_level(&mut w, 2_000.0);
        assert!((high / reference - 1.0).abs() < 0.01, "2 kHz side: {high}");
        let mut wide = StereoWidth::new(RATE, 2.0, 150.0);
        let high = side_level(&mut wide, 2_000.0);
        assert!(
            (high / reference - 2.0).abs() < 0.02,
            "2 kHz at 200 %: {high}"
        );
    }

    /// Gain of a steady sine through `f`, in dB (from RMS, after it settles).
    fn gain_db(mut f: impl FnMut(f32) -> f32, freq: f32) -> f32 {
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
    fn crossover_halves_sum_flat_and_split_at_the_frequency() {
        let mut c = Crossover::new(RATE, 200.0);
        for freq in [30.0, 200.0, 1_000.0, 8_000.0] {
            c.reset();
            let sum = gain_db(
                |x| {
                    let (l, h) = c.process(x);
                    l + h
                },
                freq,
            );
            assert!(sum.abs() < 0.05, "{freq} Hz: {sum} dB");
        }
        c.reset();
        let low = gain_db(|x| c.process(x).0, 200.0);
        assert!((low + 6.02).abs() < 0.1, "{low}");
        c.reset();
        let high = gain_db(|x| c.process(x).1, 50.0);
        assert!(high < -40.0, "{high}");
    }

    #[test]
    fn width_changes_glide() {
        let mut w = StereoWidth::new(RATE, 1.0, 0.0);
        w.set_params(0.0, 0.0);
        let (l, r) = w.process(1.0, -1.0);
        assert!(
            l > 0.9 && r < -0.9,
            "the first sample barely moves: {l} {r}"
        );
    }
}
