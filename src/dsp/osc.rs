//! Band-limited oscillators.
//!
//! Saw and triangle play from mipmapped wavetables: each table holds only the harmonics
//! that, at the pitches it is used for, stay below `sample_rate - 20 kHz`, so whatever
//! folds back lands above the audible band. Tables come three to an octave, so a note
//! never loses more than a third of an octave of its top end. A pulse is the difference
//! of two phase-shifted saws, which makes its width free to move without aliasing.

use super::rng::Rng;
use std::sync::OnceLock;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waveform {
    Sine,
    Saw,
    Pulse,
    Triangle,
    Noise,
}

const TABLE_SIZE: usize = 2048;
/// A wavetable: one cycle and a copy of its first sample, so reads never wrap.
type Table = [f32; TABLE_SIZE + 1];
const LEVELS_PER_OCTAVE: f32 = 3.0;
/// Harmonics of the fullest table; below ~55 Hz at 48 kHz notes get fewer than they could.
const MAX_HARMONICS: usize = 512;
const LEVELS: usize = 28;
/// The one-harmonic saw is `-2/π · sin`; this turns it into a unit sine.
const SINE_FROM_SAW: f32 = -std::f32::consts::FRAC_PI_2;

struct Tables {
    /// Harmonic count of each level, falling a third of an octave per level.
    harmonics: [usize; LEVELS],
    /// Each table has one extra sample (a copy of the first) so reads never wrap.
    saw: Vec<Box<Table>>,
    triangle: Vec<Box<Table>>,
}

/// Harmonic count of each level, falling a third of an octave per level.
fn harmonic_counts() -> [usize; LEVELS] {
    let mut harmonics = [1; LEVELS];
    for (level, h) in harmonics.iter_mut().enumerate() {
        *h = ((MAX_HARMONICS as f32 / (level as f32 / LEVELS_PER_OCTAVE).exp2()) as usize).max(1);
    }
    harmonics
}

/// The saw's and the triangle's coefficient of harmonic `k`.
fn coefficients(k: usize) -> (f64, f64) {
    use std::f64::consts::PI;
    // A ramp from -1 up to 1 each cycle.
    let saw = -2.0 / (PI * k as f64);
    // Odd harmonics with alternating sign, peaking at ±1.
    let triangle = if k.is_multiple_of(2) {
        0.0
    } else {
        let sign = if (k / 2).is_multiple_of(2) { 1.0 } else { -1.0 };
        sign * 8.0 / (PI * PI * (k * k) as f64)
    };
    (saw, triangle)
}

/// Builds every level as a running sum: the levels hold the first n harmonics for
/// falling n, so going from the sparsest level up, each harmonic is computed once for
/// both waves and added to sums that already hold the ones below it. Each table
/// sample is the same sum, over the harmonics in the same order, as adding them up
/// level by level, at a tenth of the cost (the start-up of every render).
fn build_tables() -> Tables {
    let harmonics = harmonic_counts();
    // `Sum` for floats starts from -0.0; so do these, so the tables are the same bits.
    let mut saw_sum = vec![-0.0f64; TABLE_SIZE];
    let mut triangle_sum = vec![-0.0f64; TABLE_SIZE];
    // Levels are made sparsest first, so they go in back to front.
    let (mut saw, mut triangle) = (Vec::with_capacity(LEVELS), Vec::with_capacity(LEVELS));
    let finish = |sums: &[f64]| -> Box<Table> {
        let mut t = Box::new([0.0; TABLE_SIZE + 1]);
        for (t, &x) in t.iter_mut().zip(sums) {
            *t = x as f32;
        }
        t[TABLE_SIZE] = t[0];
        t
    };
    let mut summed = 0;
    for level in (0..LEVELS).rev() {
        for k in summed + 1..=harmonics[level] {
            let (a, b) = coefficients(k);
            for (i, (s, t)) in saw_sum.iter_mut().zip(triangle_sum.iter_mut()).enumerate() {
                let x = std::f64::consts::TAU * i as f64 / TABLE_SIZE as f64;
                let sine = (k as f64 * x).sin();
                *s += a * sine;
                *t += b * sine;
            }
        }
        summed = summed.max(harmonics[level]);
        saw.push(finish(&saw_sum));
        triangle.push(finish(&triangle_sum));
    }
    saw.reverse();
    triangle.reverse();
    Tables {
        harmonics,
        saw,
        triangle,
    }
}

fn tables() -> &'static Tables {
    static TABLES: OnceLock<Tables> = OnceLock::new();
    TABLES.get_or_init(build_tables)
}

/// Builds the wavetables now, so the first note played in the audio thread does not.
pub fn prepare() {
    tables();
}

#[derive(Clone, Debug)]
pub struct Oscillator {
    sample_rate: f32,
    /// Harmonics may reach this frequency: their aliases fall above 20 kHz.
    harmonic_limit: f32,
    /// A whole cycle is 2^32: wrapping is free and the table index is the top bits.
    phase: u32,
    rng: Rng,
    /// The table level for `level_freq`: pitches move every few samples, not every one.
    level_freq: f32,
    level: usize,
    // What `set` chose, so `next_sample` does no more than read a table.
    waveform: Waveform,
    increment: u32,
    pulse_offset: u32,
    table: &'static Table,
    /// What `set` was last given (NaN at first, which equals nothing).
    last_set: (Waveform, f32, f32),
}

impl Oscillator {
    pub fn new(sample_rate: f32, seed: u64) -> Oscillator {
        Oscillator {
            sample_rate,
            harmonic_limit: (sample_rate - 20_000.0).max(0.45 * sample_rate),
            phase: 0,
            rng: Rng::new(seed),
            level_freq: -1.0,
            level: 0,
            waveform: Waveform::Sine,
            increment: 0,
            pulse_offset: 0,
            table: &tables().saw[LEVELS - 1],
            last_set: (Waveform::Sine, f32::NAN, f32::NAN),
        }
    }

    /// Restarts the cycle at `phase` (0..1).
    pub fn reset(&mut self, phase: f32) {
        self.phase = (f64::from(phase.rem_euclid(1.0)) * CYCLE) as u32;
    }

    fn level(&mut self, freq_hz: f32) -> usize {
        if freq_hz != self.level_freq {
            let allowed = self.harmonic_limit / freq_hz.max(1.0);
            self.level = tables()
                .harmonics
                .iter()
                .position(|&h| (h as f32) <= allowed)
                .unwrap_or(LEVELS - 1);
            self.level_freq = freq_hz;
        }
        self.level
    }

    /// Chooses the wave, pitch and pulse width that the following `next_sample` calls play.
    pub fn set(&mut self, waveform: Waveform, freq_hz: f32, pulse_width: f32) {
        // A held note asks for the same again every few samples.
        if (waveform, freq_hz, pulse_width) == self.last_set {
            return;
        }
        self.last_set = (waveform, freq_hz, pulse_width);
        let increment = f64::from(freq_hz.abs().min(0.5 * self.sample_rate) / self.sample_rate);
        self.increment = (increment * CYCLE) as u32;
        self.waveform = waveform;
        self.table = match waveform {
            // The last level holds one harmonic: a sine, read ~130 dB clean.
            Waveform::Sine | Waveform::Noise => &tables().saw[LEVELS - 1],
            Waveform::Saw | Waveform::Pulse => &tables().saw[self.level(freq_hz)],
            Waveform::Triangle => &tables().triangle[self.level(freq_hz)],
        };
        self.pulse_offset = (f64::from(pulse_width.clamp(0.05, 0.95)) * CYCLE) as u32;
    }

    /// The next sample of what `set` chose.
    #[inline]
    pub fn next_sample(&mut self) -> f32 {
        let phase = self.phase;
        self.phase = self.phase.wrapping_add(self.increment);
        match self.waveform {
            Waveform::Sine => read(self.table, phase) * SINE_FROM_SAW,
            Waveform::Noise => self.rng.next_bipolar(),
            Waveform::Saw | Waveform::Triangle => read(self.table, phase),
            Waveform::Pulse => {
                read(self.table, phase) - read(self.table, phase.wrapping_add(self.pulse_offset))
            }
        }
    }

    /// Fills `out` with the next samples of what `set` chose: the same samples as
    /// `next_sample` in turn, with the wave chosen once rather than per sample.
    pub fn fill(&mut self, out: &mut [f32]) {
        self.each(out, None);
    }

    /// Blends the next samples into `out`, `out[i] + (next - out[i]) · mix`, in the
    /// loop that makes them: `out` is read sample by sample as it was written (by
    /// another oscillator's `fill`), never a whole vector over separate small writes.
    pub fn blend_into(&mut self, out: &mut [f32], mix: f32) {
        self.each(out, Some(mix));
    }

    /// Puts each of the next samples into `out`: in place of what is there, or with
    /// `blend`, blended into it. Table waves go four samples at a time where the CPU
    /// allows (`run_fours`), the rest one at a time, with the same bits.
    #[inline(always)]
    fn each(&mut self, out: &mut [f32], blend: Option<f32>) {
        let put = |x: &mut f32, sample: f32| match blend {
            None => *x = sample,
            Some(mix) => *x += (sample - *x) * mix,
        };
        let (table, offset) = (self.table, self.pulse_offset);
        #[cfg(target_arch = "x86_64")]
        let out = {
            let done = match self.waveform {
                Waveform::Noise => 0,
                wave => self.run_fours(out, wave, blend),
            };
            &mut out[done..]
        };
        match self.waveform {
            Waveform::Sine => self.run(out, |p| read(table, p) * SINE_FROM_SAW, put),
            Waveform::Saw | Waveform::Triangle => self.run(out, |p| read(table, p), put),
            Waveform::Pulse => self.run(
                out,
                |p| read(table, p) - read(table, p.wrapping_add(offset)),
                put,
            ),
            Waveform::Noise => {
                for x in out.iter_mut() {
                    let sample = self.next_sample();
                    put(x, sample);
                }
            }
        }
    }

    #[inline(always)]
    fn run(&mut self, out: &mut [f32], sample: impl Fn(u32) -> f32, put: impl Fn(&mut f32, f32)) {
        let (mut phase, increment) = (self.phase, self.increment);
        for x in out.iter_mut() {
            put(x, sample(phase));
            phase = phase.wrapping_add(increment);
        }
        self.phase = phase;
    }

    /// `each` for a table wave, as many fours of samples as `out` holds: the four
    /// phases side by side, the four reads' table pairs gathered, and the
    /// interpolation, the wave's arithmetic and the blend done as vectors, each with
    /// `run`'s operations in `run`'s order. Returns how many samples it put.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn run_fours(&mut self, out: &mut [f32], wave: Waveform, blend: Option<f32>) -> usize {
        use std::arch::x86_64::*;
        let (table, offset, increment) = (self.table, self.pulse_offset, self.increment);
        let mut fours = out.chunks_exact_mut(4);
        let done = 4 * fours.len();
        // SAFETY: SSE2 is part of every x86_64 CPU; each load and store covers four
        // floats of a four-float chunk.
        unsafe {
            let step = _mm_set1_epi32(increment.wrapping_mul(4) as i32);
            let mut phases = _mm_add_epi32(
                _mm_set1_epi32(self.phase as i32),
                _mm_set_epi32(
                    increment.wrapping_mul(3) as i32,
                    increment.wrapping_mul(2) as i32,
                    increment as i32,
                    0,
                ),
            );
            let pulse_offset = _mm_set1_epi32(offset as i32);
            for x in &mut fours {
                let sample = match wave {
                    Waveform::Sine => _mm_mul_ps(read4(table, phases), _mm_set1_ps(SINE_FROM_SAW)),
                    Waveform::Pulse => _mm_sub_ps(
                        read4(table, phases),
                        read4(table, _mm_add_epi32(phases, pulse_offset)),
                    ),
                    _ => read4(table, phases),
                };
                let sample = match blend {
                    None => sample,
                    Some(mix) => {
                        let was = _mm_loadu_ps(x.as_ptr());
                        _mm_add_ps(was, _mm_mul_ps(_mm_sub_ps(sample, was), _mm_set1_ps(mix)))
                    }
                };
                _mm_storeu_ps(x.as_mut_ptr(), sample);
                phases = _mm_add_epi32(phases, step);
            }
        }
        self.phase = self.phase.wrapping_add(increment.wrapping_mul(done as u32));
        done
    }

    /// One sample of `waveform` at `freq_hz`: `set` then `next`, for signals whose pitch
    /// moves every sample.
    pub fn process(&mut self, waveform: Waveform, freq_hz: f32, pulse_width: f32) -> f32 {
        self.set(waveform, freq_hz, pulse_width);
        self.next_sample()
    }
}

const CYCLE: f64 = 4_294_967_296.0;
const INDEX_SHIFT: u32 = 32 - TABLE_SIZE.trailing_zeros();
const FRACTION_SCALE: f32 = 1.0 / (1u32 << INDEX_SHIFT) as f32;

#[inline(always)]
fn read(table: &Table, phase: u32) -> f32 {
    // The index is the phase's top bits, under `TABLE_SIZE`: the reads need no checks.
    let i = (phase >> INDEX_SHIFT) as usize;
    let t = (phase & ((1 << INDEX_SHIFT) - 1)) as f32 * FRACTION_SCALE;
    table[i] + (table[i + 1] - table[i]) * t
}

/// `read` at four phases at once, lane by lane the same bits.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn read4(table: &Table, phases: std::arch::x86_64::__m128i) -> std::arch::x86_64::__m128 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86_64 CPU; each pair load reads the two floats
    // of a checked two-float slice of the table.
    unsafe {
        let index: [u32; 4] = std::mem::transmute(_mm_srli_epi32::<{ INDEX_SHIFT as i32 }>(phases));
        let pair = |i: u32| {
            // Under `TABLE_SIZE` already (the phase's top bits): the mask lets the
            // compiler see that the pair lies inside the table.
            let i = i as usize & (TABLE_SIZE - 1);
            let pair: &[f32; 2] = table[i..i + 2].try_into().expect("two samples");
            _mm_castpd_ps(_mm_load_sd(pair.as_ptr().cast()))
        };
        let low = _mm_movelh_ps(pair(index[0]), pair(index[1]));
        let high = _mm_movelh_ps(pair(index[2]), pair(index[3]));
        let (a, b) = (
            _mm_shuffle_ps::<0x88>(low, high),
            _mm_shuffle_ps::<0xDD>(low, high),
        );
        let fraction = _mm_and_si128(phases, _mm_set1_epi32((1 << INDEX_SHIFT) - 1));
        let t = _mm_mul_ps(_mm_cvtepi32_ps(fraction), _mm_set1_ps(FRACTION_SCALE));
        _mm_add_ps(a, _mm_mul_ps(_mm_sub_ps(b, a), t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::{FftPlanner, num_complex::Complex};

    /// Magnitude spectrum (dB re the strongest bin) of `n` samples, Blackman-Harris windowed.
    fn spectrum(signal: &[f32]) -> Vec<f32> {
        let n = signal.len();
        let mut buf: Vec<Complex<f32>> = signal
            .iter()
            .enumerate()
            .map(|(i, &x)| {
                let p = std::f32::consts::TAU * i as f32 / n as f32;
                let w = 0.35875 - 0.48829 * p.cos() + 0.14128 * (2.0 * p).cos()
                    - 0.01168 * (3.0 * p).cos();
                Complex::new(x * w, 0.0)
            })
            .collect();
        FftPlanner::new().plan_fft_forward(n).process(&mut buf);
        let mags: Vec<f32> = buf[..n / 2].iter().map(|c| c.norm()).collect();
        let peak = mags.iter().fold(0.0f32, |m, &x| m.max(x));
        mags.iter()
            .map(|m| 20.0 * (m / peak).max(1e-12).log10())
            .collect()
    }

    /// The loudest bin below 20 kHz that is not within a few bins of a harmonic.
    fn worst_alias_db(waveform: Waveform, freq: f32, rate: f32, width: f32) -> f32 {
        let n = 1 << 16;
        let mut osc = Oscillator::new(rate, 1);
        let signal: Vec<f32> = (0..n).map(|_| osc.process(waveform, freq, width)).collect();
        let db = spectrum(&signal);
        let bin_hz = rate / n as f32;
        let mut worst = -300.0f32;
        for (bin, &level) in db.iter().enumerate() {
            let hz = bin as f32 * bin_hz;
            if !(20.0..20_000.0).contains(&hz) {
                continue;
            }
            let harmonic = (hz / freq).round();
            if harmonic >= 1.0 && (hz - harmonic * freq).abs() < 6.0 * bin_hz {
                continue;
            }
            worst = worst.max(level);
        }
        worst
    }

    /// Each table the straightforward way: every sample summed over its harmonics.
    fn table_summed_directly(count: usize, coefficient: impl Fn(usize) -> f64) -> Vec<f32> {
        let mut t: Vec<f32> = (0..=TABLE_SIZE)
            .map(|i| {
                let x = std::f64::consts::TAU * (i % TABLE_SIZE) as f64 / TABLE_SIZE as f64;
                (1..=count)
                    .map(|k| coefficient(k) * (k as f64 * x).sin())
                    .sum::<f64>() as f32
            })
            .collect();
        t[TABLE_SIZE] = t[0];
        t
    }

    #[test]
    fn the_running_sums_build_the_same_tables_as_summing_each_directly() {
        let tables = tables();
        for level in [0, 1, 7, LEVELS - 2, LEVELS - 1] {
            let count = tables.harmonics[level];
            let bits = |t: &[f32]| t.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let saw = table_summed_directly(count, |k| coefficients(k).0);
            assert_eq!(
                bits(&tables.saw[level][..]),
                bits(&saw),
                "saw level {level}"
            );
            let triangle = table_summed_directly(count, |k| coefficients(k).1);
            let built = &tables.triangle[level];
            assert_eq!(bits(&built[..]), bits(&triangle), "triangle level {level}");
        }
    }

    #[test]
    fn fill_and_blend_play_the_samples_next_sample_would() {
        for wave in [
            Waveform::Sine,
            Waveform::Saw,
            Waveform::Pulse,
            Waveform::Triangle,
            Waveform::Noise,
        ] {
            let mut one = Oscillator::new(48_000.0, 5);
            let (mut block, mut blended) = (one.clone(), one.clone());
            for step in 0..200 {
                let freq = 50.0 * 1.03f32.powi(step);
                for osc in [&mut one, &mut block, &mut blended] {
                    osc.set(wave, freq, 0.3);
                }
                // Every length up to 13: none, some or several fours, and what is left.
                let length = step as usize % 14;
                let samples: Vec<f32> = (0..length).map(|_| one.next_sample()).collect();
                let want: Vec<u32> = samples.iter().map(|x| x.to_bits()).collect();
                let mut got = vec![0.0f32; length];
                block.fill(&mut got);
                let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
                assert_eq!(want, got, "{wave:?} at {freq} Hz");
                let mix = 0.3;
                let base = |i: usize| (i as f32 * 0.7).sin();
                let want: Vec<u32> = (samples.iter().enumerate())
                    .map(|(i, &x)| (base(i) + (x - base(i)) * mix).to_bits())
                    .collect();
                let mut got: Vec<f32> = (0..length).map(base).collect();
                blended.blend_into(&mut got, mix);
                let got: Vec<u32> = got.iter().map(|x| x.to_bits()).collect();
                assert_eq!(want, got, "{wave:?} blended at {freq} Hz");
            }
        }
    }

    #[test]
    fn c7_has_no_audible_aliasing() {
        let c7 = 2093.0;
        for rate in [44_100.0, 48_000.0] {
            for (wave, width) in [
                (Waveform::Saw, 0.5),
                (Waveform::Pulse, 0.5),
                (Waveform::Pulse, 0.25),
                (Waveform::Triangle, 0.5),
            ] {
                let alias = worst_alias_db(wave, c7, rate, width);
                assert!(
                    alias < -60.0,
                    "{wave:?} {width} at {rate}: alias at {alias:.1} dB"
                );
            }
        }
    }

    #[test]
    fn a_naive_saw_would_fail_the_same_test() {
        // Guards the measurement itself: a trivial ramp at C7 aliases loudly.
        let (n, rate, freq) = (1 << 16, 48_000.0f32, 2093.0f32);
        let signal: Vec<f32> = (0..n)
            .map(|i| 2.0 * (i as f32 * freq / rate).fract() - 1.0)
            .collect();
        let db = spectrum(&signal);
        let bin_hz = rate / n as f32;
        let worst = db
            .iter()
            .enumerate()
            .filter(|(b, _)| {
                let hz = *b as f32 * bin_hz;
                let h = (hz / freq).round();
                (20.0..20_000.0).contains(&hz) && (hz - h * freq).abs() >= 6.0 * bin_hz
            })
            .fold(-300.0f32, |m, (_, &l)| m.max(l));
        assert!(worst > -40.0, "{worst}");
    }

    #[test]
    fn pitch_is_right_and_low_notes_stay_bright() {
        let (n, rate) = (1 << 16, 48_000.0f32);
        let mut osc = Oscillator::new(rate, 1);
        let signal: Vec<f32> = (0..n)
            .map(|_| osc.process(Waveform::Saw, 55.0, 0.5))
            .collect();
        let db = spectrum(&signal);
        let bin = |hz: f32| (hz * n as f32 / rate).round() as usize;
        let peak_near = |hz: f32| {
            db[bin(hz) - 3..bin(hz) + 4]
                .iter()
                .fold(-300.0f32, |m, &x| m.max(x))
        };
        assert!(peak_near(55.0) > -0.5, "the fundamental is the strongest");
        // A saw's harmonic k is 1/k of the fundamental.
        let h100 = peak_near(5_500.0);
        assert!(
            (h100 + 40.0).abs() < 1.0,
            "harmonic 100 at {h100:.1} dB, want -40"
        );
        // Over whole cycles a saw has no DC.
        let period = 872;
        let mut osc = Oscillator::new(rate, 1);
        let cycles: Vec<f32> = (0..75 * period)
            .map(|_| osc.process(Waveform::Saw, rate / period as f32, 0.5))
            .collect();
        let dc = cycles.iter().map(|&x| f64::from(x)).sum::<f64>() / cycles.len() as f64;
        assert!(dc.abs() < 1e-4, "dc {dc}");
    }

    #[test]
    fn the_phase_runs_on_through_changes_of_wave_and_pitch() {
        let mut osc = Oscillator::new(48_000.0, 1);
        let mut last = osc.process(Waveform::Sine, 100.0, 0.5);
        for i in 0..48_000 {
            let freq = 100.0 + i as f32 * 0.01;
            let x = osc.process(Waveform::Sine, freq, 0.5);
            assert!((x - last).abs() < 0.1);
            last = x;
        }
    }
}
