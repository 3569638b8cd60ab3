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
        let previous = std::mem::replace(&mut self.last_set, (cutoff_hz, resonance));
        let cutoff = cutoff_hz.clamp(10.0, 0.49 * self.sample_rate);
        let g = (std::f32::consts::PI * cutoff / self.sample_rate).tan();
        // A cutoff moving under a held resonance leaves `k` (a `powf`) as it was.
        if resonance != previous.1 {
            self.k = 1.0 / (Q_MIN * Q_RANGE.powf(resonance.clamp(0.0, 1.0)));
        }
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
    }

    pub fn process(&mut self, x: f32) -> f32 {
        let (v1, v2) = self.tick(x);
        self.ic1 = flush_denormal(self.ic1);
        self.ic2 = flush_denormal(self.ic2);
        match self.mode {
            FilterMode::Lowpass => v2,
            FilterMode::Highpass => x - self.k * v1 - v2,
            // Scaled by k so the peak is at unity gain whatever the resonance.
            FilterMode::Bandpass => self.k * v1,
        }
    }

    /// Filters `signal` in place, with the mode chosen once rather than per sample and
    /// the integrators' tiny values flushed once at the end rather than after every
    /// sample, off the feedback path. Meant for short blocks (a voice's control chunk):
    /// the samples are `process`'s own until the state falls under the flush level
    /// (-400 dB), and differ from them by less than that after.
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
        self.ic1 = flush_denormal(self.ic1);
        self.ic2 = flush_denormal(self.ic2);
    }

    /// One step of the two integrators: the band-pass and low-pass outputs.
    #[inline(always)]
    fn tick(&mut self, x: f32) -> (f32, f32) {
        let v3 = x - self.ic2;
        let v1 = self.a1 * self.ic1 + self.a2 * v3;
        let v2 = self.ic2 + self.a2 * self.ic1 + self.a3 * v3;
        self.ic1 = 2.0 * v1 - self.ic1;
        self.ic2 = 2.0 * v2 - self.ic2;
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
    fn blocks_give_the_per_sample_output_to_far_below_hearing_and_still_flush() {
        let mut worst = 0.0f32;
        let mut differing = 0;
        let mut flushed = 0;
        for mode in [
            FilterMode::Lowpass,
            FilterMode::Highpass,
            FilterMode::Bandpass,
        ] {
            for cutoff in [20.0, 200.0, 2_000.0, 12_000.0, 23_000.0] {
                for resonance in [0.0, 0.5, 1.0] {
                    let (mut one, mut block) = (Svf::new(RATE), Svf::new(RATE));
                    one.set(mode, cutoff, resonance);
                    block.set(mode, cutoff, resonance);
                    // A burst of noise, then silence long enough to ring out entirely.
                    let mut rng = Rng::new(7);
                    let input: Vec<f32> = (0..48_000)
                        .map(|i| if i < 480 { rng.next_bipolar() } else { 0.0 })
                        .collect();
                    let want: Vec<f32> = input.iter().map(|&x| one.process(x)).collect();
                    let mut got = input.clone();
                    got.chunks_mut(8).for_each(|c| block.process_block(c));
                    for (a, b) in want.iter().zip(&got) {
                        if a != b {
                            differing += 1;
                            worst = worst.max((a - b).abs());
                        }
                    }
                    // Where the per-sample filter has flushed to silence, so has this.
                    if (one.ic1, one.ic2) == (0.0, 0.0) {
                        assert_eq!((block.ic1, block.ic2), (0.0, 0.0), "{mode:?} {cutoff}");
                        assert_eq!(got.last(), Some(&0.0));
                        flushed += 1;
                    }
                }
            }
        }
        assert!(flushed >= 30, "only {flushed} of 45 rang out");
        // Under 1e-18 is more than 350 dB under full scale.
        assert!(
            worst < 1e-18,
            "{differing} samples differ, by up to {worst:e}"
        );
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
