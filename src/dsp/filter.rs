//! A state-variable filter in the topology-preserving (zero-delay feedback) form of
//! Zavalishin and Simper: it keeps its analog response right up to Nyquist, stays stable
//! when its cutoff moves every sample, and resonates cleanly.

use super::util::flush_denormal;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FilterMode {
    Lowpass,
    Highpass,
    Bandpass,
}

/// Resonance 0 gives Q = 1/√2 (Butterworth, flat); 1 gives Q ≈ 20.
const Q_MIN: f32 = std::f32::consts::FRAC_1_SQRT_2;
const Q_RANGE: f32 = 28.0;

#[derive(Clone, Debug)]
pub struct Svf {
    sample_rate: f32,
    mode: FilterMode,
    k: f32,
    a1: f32,
    a2: f32,
    a3: f32,
    ic1: f32,
    ic2: f32,
    /// What `set` was last given: a voice whose cutoff rests asks again every few
    /// samples, and the coefficients (a `tan` and a `powf`) need not be worked out again.
    last_set: (f32, f32),
}

impl Svf {
    pub fn new(sample_rate: f32) -> Svf {
        let mut f = Svf {
            sample_rate,
            mode: FilterMode::Lowpass,
            k: 1.0 / Q_MIN,
            a1: 0.0,
            a2: 0.0,
            a3: 0.0,
            ic1: 0.0,
            ic2: 0.0,
            last_set: (f32::NAN, f32::NAN),
        };
        f.set(FilterMode::Lowpass, 1_000.0, 0.0);
        f
    }

    /// Cutoff is clamped to 10 Hz .. 0.49 × the sample rate.
    pub fn set(&mut self, mode: FilterMode, cutoff_hz: f32, resonance: f32) {
        self.mode = mode;
        // NaN never equals itself, so a NaN input is worked out (and clamped) each time.
        if (cutoff_hz, resonance) == self.last_set {
            return;
        }
        self.last_set = (cutoff_hz, resonance);
        let cutoff = cutoff_hz.clamp(10.0, 0.49 * self.sample_rate);
        let g = (std::f32::consts::PI * cutoff / self.sample_rate).tan();
        self.k = 1.0 / (Q_MIN * Q_RANGE.powf(resonance.clamp(0.0, 1.0)));
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    pub fn process(&mut self, x: f32) -> f32 {
        let (v1, v2) = self.tick(x);
        match self.mode {
            FilterMode::Lowpass => v2,
            FilterMode::Highpass => x - self.k * v1 - v2,
            // Scaled by k so the peak is at unity gain whatever the resonance.
            FilterMode::Bandpass => self.k * v1,
        }
    }

    /// Filters `signal` in place: the same samples as `process` on each in turn, with
    /// the mode chosen once rather than per sample.
    pub fn process_block(&mut self, signal: &mut [f32]) {
        let k = self.k;
        match self.mode {
            FilterMode::Lowpass => signal.iter_mut().for_each(|x| *x = self.tick(*x).1),
            FilterMode::Highpass => signal.iter_mut().for_each(|x| {
                let (v1, v2) = self.tick(*x);
                *x = *x - k * v1 - v2;
            }),
            FilterMode::Bandpass => signal.iter_mut().for_each(|x| *x = k * self.tick(*x).0),
        }
    }

    /// One step of the two integrators: the band-pass and low-pass outputs.
    #[inline(always)]
    fn tick(&mut self, x: f32) -> (f32, f32) {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = flush_denormal(2.0 * v1 - self.ic1);
        self.ic2 = flush_denormal(2.0 * v2 - self.ic2);
        (v1, v2)
    }

    pub fn reset(&mut self) {
        self.ic1 = 0.0;
        self.ic2 = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: f32 = 48_000.0;

    /// Steady-state gain in dB for a sine at `hz`.
    fn gain_db(mode: FilterMode, cutoff: f32, resonance: f32, hz: f32) -> f32 {
        let mut f = Svf::new(RATE);
        f.set(mode, cutoff, resonance);
        let n = 48_000;
        let mut peak = 0.0f32;
        for i in 0..n {
            let y = f.process((std::f32::consts::TAU * hz * i as f32 / RATE).sin());
            if i > n / 2 {
                peak = peak.max(y.abs());
            }
        }
        20.0 * peak.log10()
    }

    #[test]
    fn lowpass_is_minus_3_db_at_cutoff_and_falls_12_db_per_octave() {
        assert!((gain_db(FilterMode::Lowpass, 1_000.0, 0.0, 1_000.0) + 3.01).abs() < 0.5);
        assert!(gain_db(FilterMode::Lowpass, 1_000.0, 0.0, 100.0).abs() < 0.1);
        let at_2x = gain_db(FilterMode::Lowpass, 500.0, 0.0, 1_000.0);
        let at_4x = gain_db(FilterMode::Lowpass, 500.0, 0.0, 2_000.0);
        assert!((at_4x + 24.0).abs() < 1.5, "{at_4x}");
        assert!((at_2x - at_4x - 12.0).abs() < 1.0, "{at_2x} {at_4x}");
    }

    #[test]
    fn highpass_mirrors_and_bandpass_peaks_at_cutoff() {
        assert!((gain_db(FilterMode::Highpass, 1_000.0, 0.0, 1_000.0) + 3.01).abs() < 0.5);
        let at_quarter = gain_db(FilterMode::Highpass, 1_000.0, 0.0, 250.0);
        assert!((at_quarter + 24.0).abs() < 1.5, "{at_quarter}");
        let centre = gain_db(FilterMode::Bandpass, 2_000.0, 0.5, 2_000.0);
        assert!(centre.abs() < 0.3, "{centre}");
        assert!(gain_db(FilterMode::Bandpass, 2_000.0, 0.5, 500.0) < centre - 12.0);
        assert!(gain_db(FilterMode::Bandpass, 2_000.0, 0.5, 8_000.0) < centre - 12.0);
    }

    #[test]
    fn resonance_peaks_yet_stays_bounded_under_noise_and_sweeps() {
        let peak = gain_db(FilterMode::Lowpass, 1_000.0, 1.0, 1_000.0);
        assert!(peak > 20.0, "{peak}");
        let mut f = Svf::new(RATE);
        let mut rng = Rng::new(3);
        let mut worst = 0.0f32;
        for i in 0..(10 * RATE as usize) {
            let sweep = 20.0 * 1000f32.powf((i % 48_000) as f32 / 48_000.0);
            f.set(FilterMode::Lowpass, sweep, 1.0);
            let y = f.process(rng.next_bipolar());
            assert!(y.is_finite());
            worst = worst.max(y.abs());
        }
        assert!(worst < 100.0, "{worst}");
    }
}
