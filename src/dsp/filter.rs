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
    /// `1 / sample_rate`, so a moving cutoff's update multiplies instead of dividing.
    inv_rate: f32,
    mode: FilterMode,
    k: f32,
    a1: f32,
    a2: f32,
    a3: f32,
    ic1: f32,
    ic2: f32,
    steps: Steps,
    /// The first sample of a pair `process_pairs` has yet to step over.
    waiting: Option<f32>,
    /// What `set` was last given: a voice whose cutoff rests asks again every few
    /// samples, and the coefficients (a `tan` and a `powf`) need not be worked out again.
    last_set: (f32, f32),
}

impl Svf {
    pub fn new(sample_rate: f32) -> Svf {
        let mut f = Svf {
            sample_rate,
            inv_rate: 1.0 / sample_rate,
            mode: FilterMode::Lowpass,
            k: 1.0 / Q_MIN,
            a1: 0.0,
            a2: 0.0,
            a3: 0.0,
            ic1: 0.0,
            ic2: 0.0,
            steps: Steps::default(),
            waiting: None,
            last_set: (f32::NAN, f32::NAN),
        };
        f.set(FilterMode::Lowpass, 1_000.0, 0.0);
        f
    }

    /// Cutoff is clamped to 10 Hz .. 0.49 × the sample rate.
    pub fn set(&mut self, mode: FilterMode, cutoff_hz: f32, resonance: f32) {
        let Some(cutoff) = self.settle(mode, cutoff_hz, resonance) else {
            return;
        };
        self.prewarped((std::f32::consts::PI * cutoff / self.sample_rate).tan());
    }

    /// `set` for a cutoff that moves every few samples (a voice's filter envelope): the
    /// `tan` it needs comes from a rational approximation, within 4e-7 of the exact
    /// value (f32 carries 6e-8), and the coefficients from that fraction over one
    /// division (see `prewarped_fraction`), several times cheaper than `f32::tan` and three
    /// divisions, whose latency each voice's next samples would wait on.
    pub fn set_moving(&mut self, mode: FilterMode, cutoff_hz: f32, resonance: f32) {
        let Some(cutoff) = self.settle(mode, cutoff_hz, resonance) else {
            return;
        };
        let (numerator, denominator) = tan_pi_fraction(cutoff * self.inv_rate);
        self.prewarped_fraction(numerator, denominator);
    }

    /// The coefficients for `g = n / d`, the cutoff's prewarped angle, with one division:
    /// over `s = d² + n (n + k d)`, `a1 = 1 / (1 + g (g + k)) = d² / s`, `a2 = g a1 =
    /// n d / s`, `a3 = g a2 = n² / s` and `d11 = -2 g (g + k) a1 = -2 n (n + k d) / s`.
    /// Every term is a product or a sum of positive numbers, so each coefficient is
    /// within a few roundings of its exact value, as `prewarped`'s are.
    fn prewarped_fraction(&mut self, n: f32, d: f32) {
        let (n, d) = (f64::from(n), f64::from(d));
        let (dd, nk) = (d * d, n * (n + f64::from(self.k) * d));
        let r = 1.0 / (dd + nk);
        self.a1 = (dd * r) as f32;
        self.a2 = (n * d * r) as f32;
        self.a3 = (n * n * r) as f32;
        self.steps = Steps::new((-2.0 * nk * r) as f32, self.a2, self.a3);
    }

    /// The coefficients for `g`, the cutoff's prewarped angle `tan(π · cutoff / rate)`.
    fn prewarped(&mut self, g: f32) {
        self.a1 = 1.0 / (1.0 + g * (g + self.k));
        self.a2 = g * self.a1;
        self.a3 = g * self.a2;
        self.steps = Steps::new(-2.0 * g * (g + self.k) * self.a1, self.a2, self.a3);
    }

    /// Takes the mode, and the cutoff and resonance when they are new (updating `k`):
    /// returns the clamped cutoff to work the coefficients out for, or `None` when they
    /// stand as they are.
    fn settle(&mut self, mode: FilterMode, cutoff_hz: f32, resonance: f32) -> Option<f32> {
        self.mode = mode;
        // NaN never equals itself, so a NaN input is worked out (and clamped) each time.
        if (cutoff_hz, resonance) == self.last_set {
            return None;
        }
        let previous = std::mem::replace(&mut self.last_set, (cutoff_hz, resonance));
        // A cutoff moving under a held resonance leaves `k` (a `powf`) as it was.
        if resonance != previous.1 {
            self.k = 1.0 / (Q_MIN * Q_RANGE.powf(resonance.clamp(0.0, 1.0)));
        }
        Some(cutoff_hz.clamp(10.0, 0.49 * self.sample_rate))
    }

    pub fn process(&mut self, x: f32) -> f32 {
        let (v1, v2) = self.tick(x);
        self.flush();
        match self.mode {
            FilterMode::Lowpass => v2,
            FilterMode::Highpass => x - self.k * v1 - v2,
            // Scaled by k so the peak is at unity gain whatever the resonance.
            FilterMode::Bandpass => self.k * v1,
        }
    }

    /// Filters `signal` in place, with the mode chosen once rather than per sample, two
    /// samples per step of its state-space form (see `Steps`): the chain of operations
    /// each sample waits on is 6 deep rather than 20 (the filter's cost in a voice), for
    /// samples that differ from `process`'s by rounding alone. Samples pair up counting from the last
    /// `reset`, whatever the lengths of the calls (a call that ends inside a pair leaves
    /// its first sample waiting for the next), so the output is the same however a signal
    /// is split; to keep it so, change settings only between pairs (after an even
    /// number of samples), and call `flush` (which this leaves to the caller) at points
    /// that do not depend on the split either.
    pub fn process_pairs(&mut self, signal: &mut [f32]) {
        let k = self.k;
        match self.mode {
            FilterMode::Lowpass => self.run_pairs(signal, |_, _, v2| v2),
            FilterMode::Highpass => self.run_pairs(signal, |x, v1, v2| x - k * v1 - v2),
            FilterMode::Bandpass => self.run_pairs(signal, |_, v1, _| k * v1),
        }
    }

    /// Sets the integrators' inaudible values (under -400 dB) to zero, where they would
    /// otherwise decay towards denormals and slow the CPU down.
    pub fn flush(&mut self) {
        self.ic1 = flush_denormal(self.ic1);
        self.ic2 = flush_denormal(self.ic2);
    }

    /// `process_pairs` with the mode's output, `output(x, v1, v2)`, chosen.
    #[inline(always)]
    fn run_pairs(&mut self, signal: &mut [f32], output: impl Fn(f32, f32, f32) -> f32) {
        let s = self.steps;
        let (mut ic1, mut ic2) = (self.ic1, self.ic2);
        // Two steps at once, off the input alone: each new state waits on the old
        // through one product and two sums. The state between them serves the outputs.
        let pair = |ic1: f32, ic2: f32, x0: f32, x1: f32| {
            let (ahead1, ahead2) = (s.q01 * x0 + s.b1 * x1, s.q02 * x0 + s.b2 * x1);
            let next1 = (s.p11 * ic1 + s.p12 * ic2) + (ic1 + ahead1);
            let next2 = (s.p22 * ic2 - s.p12 * ic1) + (ic2 + ahead2);
            let (mid1, mid2) = s.step(ic1, ic2, x0);
            let second = output(x1, 0.5 * (mid1 + next1), 0.5 * (mid2 + next2));
            (next1, next2, (mid1, mid2), second)
        };
        let mut start = 0;
        if !signal.is_empty()
            && let Some(x0) = self.waiting.take()
        {
            let (next1, next2, _, second) = pair(ic1, ic2, x0, signal[0]);
            signal[0] = second;
            (ic1, ic2) = (next1, next2);
            start = 1;
        }
        let mut pairs = signal[start..].chunks_exact_mut(2);
        for p in &mut pairs {
            let (next1, next2, (mid1, mid2), second) = pair(ic1, ic2, p[0], p[1]);
            p[0] = output(p[0], 0.5 * (ic1 + mid1), 0.5 * (ic2 + mid2));
            p[1] = second;
            (ic1, ic2) = (next1, next2);
        }
        if let [x] = pairs.into_remainder() {
            // Its output now; the state steps over it with the next sample.
            let (mid1, mid2) = s.step(ic1, ic2, *x);
            self.waiting = Some(*x);
            *x = output(*x, 0.5 * (ic1 + mid1), 0.5 * (ic2 + mid2));
        }
        (self.ic1, self.ic2) = (ic1, ic2);
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
        self.waiting = None;
    }
}

/// The filter's step as a linear update of its state `s = (ic1, ic2)`:
/// `s' = s + D s + b x`, where `D = [[d11, -b1], [b1, -b2]]` and `b = (b1, b2)` follow
/// from `tick` (`ic1' - ic1 = 2 (v1 - ic1)`, `ic2' - ic2 = 2 (v2 - ic2)`), and two steps
/// at once: `s'' = s + P s + q0 x0 + b x1`, with `P = 2 D + D²` (so `P = [[p11, p12],
/// [-p12, p22]]`) and `q0 = b + D b`. Kept as changes to the state, as `tick` keeps
/// its integrators, so that a low cutoff's tiny steps are not lost beside the state.
#[derive(Clone, Copy, Debug, Default)]
struct Steps {
    d11: f32,
    b1: f32,
    b2: f32,
    p11: f32,
    p12: f32,
    p22: f32,
    q01: f32,
    q02: f32,
}

impl Steps {
    /// From `d11 = 2 (a1 - 1)`, worked out without the cancellation of taking 1 from
    /// an `a1` near 1, and `tick`'s `a2` and `a3`.
    fn new(d11: f32, a2: f32, a3: f32) -> Steps {
        let (b1, b2) = (2.0 * a2, 2.0 * a3);
        Steps {
            d11,
            b1,
            b2,
            p11: 2.0 * d11 + d11 * d11 - b1 * b1,
            p12: b1 * (b2 - d11 - 2.0),
            p22: b2 * b2 - 2.0 * b2 - b1 * b1,
            q01: b1 * (1.0 + d11 - b2),
            q02: b2 + b1 * b1 - b2 * b2,
        }
    }

    /// One step from `(ic1, ic2)` with input `x`.
    #[inline(always)]
    fn step(&self, ic1: f32, ic2: f32, x: f32) -> (f32, f32) {
        let v3 = x - ic2;
        (
            ic1 + (self.d11 * ic1 + self.b1 * v3),
            ic2 + (self.b1 * ic1 + self.b2 * v3),
        )
    }
}

/// `tan(π · w)` for `w` in 0 ..= 0.5 (a cutoff over the sample rate), within 4e-7 of
/// the exact value, as a numerator and a denominator (for `Svf::prewarped_fraction` to divide once).
/// Past a quarter it is `1 / tan(π · (0.5 - w))`, and `0.5 - w` is exact there, so the
/// reflected angle, like the direct one, stays within π/4, where the [5/4] Padé
/// approximant of `tan` (Lambert's continued fraction to its fifth term) is within
/// 1.4e-8.
fn tan_pi_fraction(w: f32) -> (f32, f32) {
    let reflected = w > 0.25;
    let u = std::f32::consts::PI * if reflected { 0.5 - w } else { w };
    let z = u * u;
    let numerator = u * (945.0 + z * (z - 105.0));
    let denominator = 945.0 + z * (15.0 * z - 420.0);
    if reflected {
        (denominator, numerator)
    } else {
        (numerator, denominator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: f32 = 48_000.0;

    /// Steady-state gain in dB for a sine at `hz`, through `process`; checks on the way
    /// that a voice's path (`set_moving`, `process_pairs` over 8-sample chunks) gives
    /// the same gain to a thousandth of a dB.
    fn gain_db(mode: FilterMode, cutoff: f32, resonance: f32, hz: f32) -> f32 {
        let n = 48_000;
        let input: Vec<f32> = (0..n)
            .map(|i| (std::f32::consts::TAU * hz * i as f32 / RATE).sin())
            .collect();
        let peak_db = |output: &[f32]| {
            let peak = output[n / 2 + 1..]
                .iter()
                .fold(0.0f32, |m, y| m.max(y.abs()));
            20.0 * peak.log10()
        };
        let mut f = Svf::new(RATE);
        f.set(mode, cutoff, resonance);
        let exact: Vec<f32> = input.iter().map(|&x| f.process(x)).collect();
        let mut f = Svf::new(RATE);
        f.set_moving(mode, cutoff, resonance);
        let mut paired = input;
        paired.chunks_mut(8).for_each(|c| f.process_pairs(c));
        let (want, got) = (peak_db(&exact), peak_db(&paired));
        assert!(
            (want - got).abs() < 1e-3,
            "{mode:?} {cutoff} Hz: {want} dB, paired {got}"
        );
        want
    }

    #[test]
    fn the_approximate_tan_is_within_its_bound_from_10_hz_to_0_49_of_the_rate() {
        for rate in [44_100.0f64, 48_000.0, 96_000.0] {
            let mut worst = 0.0f64;
            let mut cutoff = 10.0f64;
            while cutoff <= 0.49 * rate {
                let w = (cutoff / rate) as f32;
                let exact = (std::f64::consts::PI * f64::from(w)).tan();
                let (numerator, denominator) = tan_pi_fraction(w);
                let tan = numerator / denominator;
                worst = worst.max((f64::from(tan) / exact - 1.0).abs());
                cutoff *= 1.0005;
            }
            assert!(worst < 4e-7, "{rate}: relative error {worst:e}");
        }
    }

    /// The coefficients `set_moving` works out over one division, against the formula in
    /// double precision with the exact `tan` of the exact cutoff over the rate: within
    /// the approximate `tan`'s bound and roughly a rounding up to a quarter of the rate;
    /// above it, where `tan` magnifies the rounding of the cutoff over the rate itself,
    /// closer than `set` (exact `tan`, three divisions) comes.
    #[test]
    fn moving_coefficients_are_as_close_to_the_exact_formula_as_sets() {
        for rate in [44_100.0f32, 48_000.0, 96_000.0] {
            for resonance in [0.0f32, 0.3, 0.7, 1.0] {
                let k = 1.0 / (f64::from(Q_MIN) * f64::from(Q_RANGE).powf(f64::from(resonance)));
                let (mut worst, mut worst_set, mut below_quarter) = (0.0f64, 0.0f64, 0.0f64);
                let mut cutoff = 10.0f32;
                while cutoff <= 0.49 * rate {
                    let g = (std::f64::consts::PI * f64::from(cutoff) / f64::from(rate)).tan();
                    let a1 = 1.0 / (1.0 + g * (g + k));
                    let exact = [a1, g * a1, g * g * a1, -2.0 * g * (g + k) * a1];
                    let off = |f: &Svf| {
                        let got = [f.a1, f.a2, f.a3, f.steps.d11];
                        got.iter().zip(exact).fold(0.0f64, |m, (&got, want)| {
                            m.max((f64::from(got) / want - 1.0).abs())
                        })
                    };
                    let (mut moving, mut set) = (Svf::new(rate), Svf::new(rate));
                    moving.set_moving(FilterMode::Lowpass, cutoff, resonance);
                    set.set(FilterMode::Lowpass, cutoff, resonance);
                    worst = worst.max(off(&moving));
                    worst_set = worst_set.max(off(&set));
                    if cutoff < 0.25 * rate {
                        below_quarter = below_quarter.max(off(&moving));
                    }
                    cutoff *= 1.0007;
                }
                let at = format!("{rate} Hz, resonance {resonance}");
                assert!(below_quarter < 6e-7, "{at}: {below_quarter:e}");
                assert!(
                    worst < worst_set && worst < 5e-6,
                    "{at}: {worst:e}, set {worst_set:e}"
                );
            }
        }
    }

    /// A voice's control interval: settings change and the state is flushed this often.
    const CHUNK: usize = 8;

    /// `cutoff`, or where negative, a sweep from 20 Hz to 20 kHz over 300 chunks.
    fn swept(cutoff: f32, chunk: usize) -> f32 {
        if cutoff > 0.0 {
            cutoff
        } else {
            20.0 * 1000f32.powf((chunk % 300) as f32 / 300.0)
        }
    }

    /// The filter in double precision, coefficients and all: what both f32 forms
    /// approximate, with the cutoff `swept` chunk by chunk.
    fn reference(mode: FilterMode, cutoff: f32, resonance: f32, input: &[f32]) -> Vec<f64> {
        let rate = f64::from(RATE);
        let k = 1.0 / (f64::from(Q_MIN) * f64::from(Q_RANGE).powf(f64::from(resonance)));
        let (mut ic1, mut ic2) = (0.0f64, 0.0f64);
        let mut out = Vec::new();
        for (n, chunk) in input.chunks(CHUNK).enumerate() {
            let hz = f64::from(swept(cutoff, n)).clamp(10.0, 0.49 * rate);
            let g = (std::f64::consts::PI * hz / rate).tan();
            let a1 = 1.0 / (1.0 + g * (g + k));
            let (a2, a3) = (g * a1, g * g * a1);
            for &x in chunk {
                let x = f64::from(x);
                let v3 = x - ic2;
                let v1 = a1 * ic1 + a2 * v3;
                let v2 = ic2 + a2 * ic1 + a3 * v3;
                ic1 = 2.0 * v1 - ic1;
                ic2 = 2.0 * v2 - ic2;
                out.push(match mode {
                    FilterMode::Lowpass => v2,
                    FilterMode::Highpass => x - k * v1 - v2,
                    FilterMode::Bandpass => k * v1,
                });
            }
        }
        out
    }

    #[test]
    fn pairs_are_as_close_to_the_exact_filter_as_process_even_as_the_cutoff_moves() {
        let (mut worst, mut flushed) = (0.0f64, 0);
        for mode in [
            FilterMode::Lowpass,
            FilterMode::Highpass,
            FilterMode::Bandpass,
        ] {
            for resonance in [0.0, 0.5, 1.0] {
                // Held cutoffs across the range, then (-1) one swept every chunk.
                for cutoff in [20.0, 200.0, 2_000.0, 12_000.0, 23_000.0, -1.0] {
                    let (mut one, mut paired) = (Svf::new(RATE), Svf::new(RATE));
                    let mut rng = Rng::new(7);
                    let input: Vec<f32> = (0..24_000)
                        .map(|i| if i < 12_000 { rng.next_bipolar() } else { 0.0 })
                        .collect();
                    let (mut want, mut got) = (Vec::new(), Vec::new());
                    for (n, chunk) in input.chunks(CHUNK).enumerate() {
                        let hz = swept(cutoff, n);
                        one.set(mode, hz, resonance);
                        paired.set_moving(mode, hz, resonance);
                        paired.flush();
                        want.extend(chunk.iter().map(|&x| one.process(x)));
                        let mut c = chunk.to_vec();
                        paired.process_pairs(&mut c);
                        got.extend(c);
                    }
                    let truth = reference(mode, cutoff, resonance, &input);
                    let peak = truth.iter().fold(0.0f64, |m, y| m.max(y.abs()));
                    let off = |y: &[f32]| {
                        let error = y.iter().zip(&truth);
                        error.fold(0.0f64, |m, (&a, b)| m.max((f64::from(a) - b).abs())) / peak
                    };
                    let (process_off, pairs_off) = (off(&want), off(&got));
                    // Half again `process`'s distance, or 120 dB under the peak.
                    assert!(
                        pairs_off <= 1.5 * process_off + 1e-6,
                        "{mode:?} {cutoff} Hz, resonance {resonance}: {pairs_off:e} from \
                         the exact filter, process {process_off:e}"
                    );
                    worst = worst.max(pairs_off);
                    // Where the per-sample filter has rung out to silence, this does too,
                    // within a quarter second more (its tail, 1e-6 apart, crosses the
                    // flush level at another time, and it flushes at chunk ends only).
                    if (one.ic1, one.ic2) == (0.0, 0.0) {
                        let mut silence = [0.0f32; 8];
                        for _ in 0..1_500 {
                            silence = [0.0; 8];
                            paired.flush();
                            paired.process_pairs(&mut silence);
                        }
                        let state = (paired.ic1, paired.ic2);
                        assert_eq!(state, (0.0, 0.0), "{mode:?} {cutoff} {resonance}");
                        assert_eq!(silence, [0.0; 8]);
                        flushed += 1;
                    }
                }
            }
        }
        assert!(flushed >= 36, "only {flushed} of 54 rang out");
        // Rounding, more than 90 dB under the loudest sample; `process` is within 3e-5.
        assert!(
            worst < 2e-5,
            "up to {worst:e} of the peak from the exact filter"
        );
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
    fn pairs_give_the_same_samples_however_the_signal_is_split() {
        let mut rng = Rng::new(11);
        let input: Vec<f32> = (0..4_000).map(|_| rng.next_bipolar()).collect();
        // Settings change and the state flushes every 8 samples, wherever calls end.
        let run = |splits: &mut dyn Iterator<Item = usize>| {
            let mut f = Svf::new(RATE);
            let mut out = input.clone();
            let mut at = 0;
            while at < out.len() {
                let end = (at + splits.next().unwrap()).min(out.len());
                let end = end.min((at / CHUNK + 1) * CHUNK);
                if at % CHUNK == 0 {
                    f.set_moving(FilterMode::Bandpass, swept(-1.0, at / CHUNK), 0.7);
                    f.flush();
                }
                f.process_pairs(&mut out[at..end]);
                at = end;
            }
            out.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        };
        let whole = run(&mut std::iter::repeat(CHUNK));
        for lengths in [[1, 2, 3].as_slice(), &[5], &[3, 7, 1, 1, 6], &[13]] {
            let split = run(&mut lengths.iter().copied().cycle());
            assert_eq!(whole, split, "calls of {lengths:?}");
        }
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
