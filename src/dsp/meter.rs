//! Metering: `StereoMeter` gives sample peak since the last reading and RMS over a
//! 300 ms window (a channel strip's meter); `LoudnessMeter` gives EBU R128 / ITU-R
//! BS.1770-4 loudness (momentary 400 ms, short-term 3 s, gated integrated), true peak
//! and stereo correlation (the master's meter).
//!
//! Both are made for the audio thread: fixed-size state only, so metering never
//! allocates.

use super::biquad::{LANES, LaneFrame};
use super::compressor::STRIPS;
use super::true_peak::TruePeakDetector;
use super::util::gain_to_db;

const RMS_SECONDS: f32 = 0.3;
/// Mean squares below this (-200 dB) are silence.
const SILENT_POWER: f32 = 1e-20;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoMeter {
    coefficient: f32,
    peak: [f32; 2],
    power: [f32; 2],
}

impl StereoMeter {
    pub fn new(sample_rate: f32) -> StereoMeter {
        StereoMeter {
            coefficient: 1.0 - (-1.0 / (RMS_SECONDS * sample_rate)).exp(),
            peak: [0.0; 2],
            power: [0.0; 2],
        }
    }

    pub fn reset(&mut self) {
        self.peak = [0.0; 2];
        self.power = [0.0; 2];
    }

    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        // Both sides in one pass: each running mean waits on its previous sample, and
        // side by side the two chains overlap.
        let (c, mut peak, mut power) = (self.coefficient, self.peak, self.power);
        for (&l, &r) in left.iter().zip(right) {
            for (side, x) in [l, r].into_iter().enumerate() {
                peak[side] = peak[side].max(x.abs());
                power[side] += c * (x * x - power[side]);
            }
        }
        self.peak = peak;
        self.power = power.map(|p| if p < SILENT_POWER { 0.0 } else { p });
    }

    /// The same as `process` on `frames` frames of silence, without reading them.
    pub fn process_silence(&mut self, frames: usize) {
        for power in &mut self.power {
            if *power == 0.0 {
                continue;
            }
            let mut p = *power;
            for _ in 0..frames {
                p += self.coefficient * (0.0 - p);
            }
            *power = if p < SILENT_POWER { 0.0 } else { p };
        }
    }

    /// The highest sample of each side since the last call, in dBFS; starts over.
    pub fn take_peak_db(&mut self) -> [f32; 2] {
        let peak = std::mem::take(&mut self.peak);
        peak.map(gain_to_db)
    }

    /// RMS of each side over about the last 300 ms, in dBFS.
    pub fn rms_db(&self) -> [f32; 2] {
        self.power.map(|p| gain_to_db(p.sqrt()))
    }
}

/// Up to four strips' meters over lane frames (strip `j`'s left side in lane `j`, its
/// right side in lane `j + STRIPS`, as `LaneCascade` holds them), with the same
/// arithmetic as `StereoMeter::process`: all their running means side by side rather
/// than each waiting on its own previous sample in turn.
pub struct LaneMeters {
    runs: [bool; STRIPS],
    coefficient: LaneFrame,
    peak: LaneFrame,
    power: LaneFrame,
}

impl Default for LaneMeters {
    fn default() -> LaneMeters {
        LaneMeters::new()
    }
}

impl LaneMeters {
    pub fn new() -> LaneMeters {
        LaneMeters {
            runs: [false; STRIPS],
            coefficient: [0.0; LANES],
            peak: [0.0; LANES],
            power: [0.0; LANES],
        }
    }

    /// No strip is metered.
    pub fn clear(&mut self) {
        self.runs = [false; STRIPS];
        self.coefficient = [0.0; LANES];
    }

    /// Meters strip `j` with `meter`.
    pub fn load(&mut self, j: usize, meter: &StereoMeter) {
        if j < STRIPS {
            self.runs[j] = true;
            for (side, lane) in [j, j + STRIPS].into_iter().enumerate() {
                self.coefficient[lane] = meter.coefficient;
                self.peak[lane] = meter.peak[side];
                self.power[lane] = meter.power[side];
            }
        }
    }

    /// Hands strip `j`'s readings back to its meter after `process`.
    pub fn store(&self, j: usize, meter: &mut StereoMeter) {
        if j < STRIPS && self.runs[j] {
            for (side, lane) in [j, j + STRIPS].into_iter().enumerate() {
                meter.peak[side] = self.peak[lane];
                let power = self.power[lane];
                meter.power[side] = if power < SILENT_POWER { 0.0 } else { power };
            }
        }
    }

    /// Inlined, so it runs with the vector width of its caller's lanes.
    #[inline(always)]
    pub fn process(&mut self, frames: &[LaneFrame]) {
        let (c, mut peak, mut power) = (self.coefficient, self.peak, self.power);
        for x in frames {
            LaneMeters::step(c, (&mut peak, &mut power), x);
        }
        self.peak = peak;
        self.power = power;
    }

    /// `a.process(first)` and `b.process(second)` (as long) in one pass: each running
    /// mean waits on its previous sample, and side by side the two chains overlap.
    #[inline(always)]
    pub fn process_pair(
        (a, b): (&mut LaneMeters, &mut LaneMeters),
        first: &[LaneFrame],
        second: &[LaneFrame],
    ) {
        let (ca, mut peak_a, mut power_a) = (a.coefficient, a.peak, a.power);
        let (cb, mut peak_b, mut power_b) = (b.coefficient, b.peak, b.power);
        for (x, y) in first.iter().zip(second) {
            LaneMeters::step(ca, (&mut peak_a, &mut power_a), x);
            LaneMeters::step(cb, (&mut peak_b, &mut power_b), y);
        }
        (a.peak, a.power) = (peak_a, power_a);
        (b.peak, b.power) = (peak_b, power_b);
    }

    #[inline(always)]
    fn step(c: LaneFrame, (peak, power): (&mut LaneFrame, &mut LaneFrame), x: &LaneFrame) {
        for i in 0..LANES {
            peak[i] = peak[i].max(x[i].abs());
            power[i] += c[i] * (x[i] * x[i] - power[i]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meters_side_by_side_read_exactly_what_each_reads_alone() {
        let rate = 48_000.0;
        let signal = |lane: usize| -> Vec<f32> {
            (0..2_000)
                .map(|i| (i as f32 * 0.01 * (lane + 1) as f32).sin() / (lane + 1) as f32)
                .collect()
        };
        let mut alone = [StereoMeter::new(rate); 3];
        let mut together = alone;
        let frames: Vec<LaneFrame> = (0..2_000)
            .map(|i| std::array::from_fn(|lane| signal(lane)[i]))
            .collect();
        let mut lanes = LaneMeters::new();
        for block in frames.chunks(300) {
            lanes.clear();
            for (j, m) in together.iter().enumerate() {
                lanes.load(j, m);
            }
            lanes.process(block);
            for (j, m) in together.iter_mut().enumerate() {
                lanes.store(j, m);
            }
        }
        for (j, m) in alone.iter_mut().enumerate() {
            for (l, r) in signal(j).chunks(300).zip(signal(j + STRIPS).chunks(300)) {
                m.process(l, r);
            }
            assert_eq!(*m, together[j], "strip {j}");
        }
    }

    #[test]
    fn two_lane_meters_run_as_a_pair_read_what_each_reads_alone() {
        let signal = |shift: usize| -> Vec<LaneFrame> {
            (0..1_000)
                .map(|i| std::array::from_fn(|lane| ((i * (lane + shift + 1)) as f32 * 0.01).sin()))
                .collect()
        };
        let (first, second) = (signal(0), signal(5));
        let make = || {
            let mut lanes = LaneMeters::new();
            for j in 0..STRIPS {
                lanes.load(j, &StereoMeter::new(48_000.0));
            }
            lanes
        };
        let (mut a, mut b) = (make(), make());
        LaneMeters::process_pair((&mut a, &mut b), &first, &second);
        let (mut a_alone, mut b_alone) = (make(), make());
        a_alone.process(&first);
        b_alone.process(&second);
        for (pair, alone) in [(&a, &a_alone), (&b, &b_alone)] {
            assert_eq!(pair.peak, alone.peak);
            assert_eq!(pair.power, alone.power);
        }
        assert!(a.power.iter().all(|&p| p > 0.01), "{:?}", a.power);
    }

    #[test]
    fn a_full_scale_sine_reads_0_dbfs_peak_and_minus_3_rms() {
        let rate = 48_000.0;
        let mut m = StereoMeter::new(rate);
        let sine: Vec<f32> = (0..96_000 * 2)
            .map(|i| (std::f32::consts::TAU * 1_000.0 * i as f32 / rate).sin())
            .collect();
        let half: Vec<f32> = sine.iter().map(|x| x * 0.5).collect();
        m.process(&sine, &half);
        let peak = m.take_peak_db();
        assert!(
            peak[0].abs() < 0.01 && (peak[1] + 6.02).abs() < 0.01,
            "{peak:?}"
        );
        let rms = m.rms_db();
        assert!(
            (rms[0] + 3.01).abs() < 0.1 && (rms[1] + 9.03).abs() < 0.1,
            "{rms:?}"
        );
        assert_eq!(m.take_peak_db(), [-200.0, -200.0], "the peak starts over");
        let silence = vec![0.0; 48_000 * 24];
        m.process(&silence, &silence);
        assert_eq!(m.rms_db(), [-200.0, -200.0], "silence reads as silence");
    }
}

// The integrated value of `LoudnessMeter` is gated on a histogram of 0.1 LU bins (as
// libebur128's histogram mode does), so it is exact to within 0.05 LU however long
// playback runs.

/// Blocks of 100 ms; momentary loudness spans 4 of them, short-term 30.
const BLOCKS: usize = 30;
const MOMENTARY_BLOCKS: usize = 4;
const HISTOGRAM_FLOOR: f64 = -70.0;
const HISTOGRAM_BINS: usize = 1000;
const BIN_WIDTH: f64 = 0.1;
/// Reported when there is nothing to measure yet (silence or under 400 ms).
pub const SILENCE: f32 = -200.0;

/// One moment's readings, cheap to copy to the UI thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeterReading {
    pub momentary_lufs: f32,
    pub short_term_lufs: f32,
    pub integrated_lufs: f32,
    /// The highest true peak in the last 100 ms block (dBTP).
    pub true_peak_dbtp: f32,
    /// The highest true peak since the meter was reset (dBTP).
    pub max_true_peak_dbtp: f32,
    /// +1 mono, 0 unrelated channels, -1 out of phase (over about the last 300 ms).
    pub correlation: f32,
}

impl Default for MeterReading {
    fn default() -> MeterReading {
        MeterReading {
            momentary_lufs: SILENCE,
            short_term_lufs: SILENCE,
            integrated_lufs: SILENCE,
            true_peak_dbtp: SILENCE,
            max_true_peak_dbtp: SILENCE,
            correlation: 0.0,
        }
    }
}

/// The K-weighting curve of BS.1770 for any sample rate (the formulas of libebur128),
/// as the shelf and the high-pass, each `[b0, b1, b2, a1, a2]` normalised by `a0`.
fn k_weighting(sample_rate: f64) -> ([f64; 5], [f64; 5]) {
    let rate = sample_rate;
    let normalised = |b: [f64; 3], a: [f64; 3]| {
        [
            b[0] / a[0],
            b[1] / a[0],
            b[2] / a[0],
            a[1] / a[0],
            a[2] / a[0],
        ]
    };
    let (f0, gain, q) = (1681.974450955533, 3.999843853973347, 0.7071752369554196);
    let k = (std::f64::consts::PI * f0 / rate).tan();
    let vh = 10f64.powf(gain / 20.0);
    let vb = vh.powf(0.4996667741545416);
    let shelf = normalised(
        [
            vh + vb * k / q + k * k,
            2.0 * (k * k - vh),
            vh - vb * k / q + k * k,
        ],
        [
            1.0 + k / q + k * k,
            2.0 * (k * k - 1.0),
            1.0 - k / q + k * k,
        ],
    );
    let (f0, q) = (38.13547087602444, 0.5003270373238773);
    let k = (std::f64::consts::PI * f0 / rate).tan();
    // BS.1770 gives the high-pass numerator as 1, -2, 1 with only the denominator
    // normalised (a passband gain of about +0.04 dB that every conforming meter has).
    let a0 = 1.0 + k / q + k * k;
    let highpass = [
        1.0,
        -2.0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ];
    (shelf, highpass)
}

/// BS.1770's K-weighting of a stereo signal, in double precision as libebur128 runs it:
/// each frame's weighted energy, both channels summed. Every loudness reading (live or
/// of an export) is a mean of these over 100 ms blocks.
#[derive(Clone, Debug)]
pub struct KWeighting {
    shelf: [f64; 5],
    highpass: [f64; 5],
    /// Per channel, per filter: the two state values of a transposed direct form II.
    state: [[[f64; 2]; 2]; 2],
}

impl KWeighting {
    pub fn new(sample_rate: f64) -> KWeighting {
        let (shelf, highpass) = k_weighting(sample_rate);
        KWeighting {
            shelf,
            highpass,
            state: [[[0.0; 2]; 2]; 2],
        }
    }

    pub fn reset(&mut self) {
        self.state = [[[0.0; 2]; 2]; 2];
    }

    /// The weighted `left² + right²` of one frame.
    pub fn energy(&mut self, left: f32, right: f32) -> f64 {
        fn biquad(c: &[f64; 5], z: &mut [f64; 2], x: f64) -> f64 {
            let y = c[0] * x + z[0];
            z[0] = c[1] * x - c[3] * y + z[1];
            z[1] = c[2] * x - c[4] * y;
            y
        }
        let mut sum = 0.0;
        for (x, [shelf_state, highpass_state]) in [left, right].into_iter().zip(&mut self.state) {
            let shelved = biquad(&self.shelf, shelf_state, f64::from(x));
            let weighted = biquad(&self.highpass, highpass_state, shelved);
            sum += weighted * weighted;
        }
        sum
    }

    /// Zeroes state too small to matter, so a silent tail never turns subnormal and slow
    /// (call it now and then, e.g. once a block).
    pub fn flush_tiny_state(&mut self) {
        for z in self.state.iter_mut().flatten().flatten() {
            if z.abs() < 1e-30 {
                *z = 0.0;
            }
        }
    }
}

/// BS.1770 loudness of a K-weighted mean square (summed over channels); silence (and
/// a mean square that is not a number) reads minus infinity.
pub(crate) fn lufs(mean_square: f64) -> f64 {
    if mean_square > 0.0 {
        -0.691 + 10.0 * mean_square.log10()
    } else {
        f64::NEG_INFINITY
    }
}

fn reported(lufs: f64) -> f32 {
    if lufs.is_finite() {
        (lufs as f32).max(SILENCE)
    } else {
        SILENCE
    }
}

pub struct LoudnessMeter {
    weighting: KWeighting,
    block_frames: usize,
    frames_in_block: usize,
    block_sum: f64,
    /// Mean square of the last `BLOCKS` blocks, a ring.
    blocks: [f64; BLOCKS],
    block_position: usize,
    blocks_seen: usize,
    histogram_count: [u32; HISTOGRAM_BINS],
    histogram_energy: [f64; HISTOGRAM_BINS],
    detector: TruePeakDetector,
    block_peak: f32,
    correlation_decay: f64,
    lr: f64,
    ll: f64,
    rr: f64,
    reading: MeterReading,
}

impl LoudnessMeter {
    pub fn new(sample_rate: f32) -> LoudnessMeter {
        LoudnessMeter {
            weighting: KWeighting::new(f64::from(sample_rate)),
            block_frames: (sample_rate / 10.0).round().max(1.0) as usize,
            frames_in_block: 0,
            block_sum: 0.0,
            blocks: [0.0; BLOCKS],
            block_position: 0,
            blocks_seen: 0,
            histogram_count: [0; HISTOGRAM_BINS],
            histogram_energy: [0.0; HISTOGRAM_BINS],
            detector: TruePeakDetector::new(),
            block_peak: 0.0,
            correlation_decay: (-1.0 / (0.3 * f64::from(sample_rate))).exp(),
            lr: 0.0,
            ll: 0.0,
            rr: 0.0,
            reading: MeterReading::default(),
        }
    }

    /// Starts integrating afresh (e.g. when playback starts).
    pub fn reset(&mut self) {
        self.weighting.reset();
        self.frames_in_block = 0;
        self.block_sum = 0.0;
        self.blocks = [0.0; BLOCKS];
        self.block_position = 0;
        self.blocks_seen = 0;
        self.histogram_count = [0; HISTOGRAM_BINS];
        self.histogram_energy = [0.0; HISTOGRAM_BINS];
        self.detector.reset();
        self.block_peak = 0.0;
        self.lr = 0.0;
        self.ll = 0.0;
        self.rr = 0.0;
        self.reading = MeterReading::default();
    }

    /// The readings as of the last completed 100 ms block.
    pub fn reading(&self) -> MeterReading {
        self.reading
    }

    pub fn process(&mut self, left: f32, right: f32) {
        self.block_sum += self.weighting.energy(left, right);
        self.block_peak = self.block_peak.max(self.detector.process(left, right));
        let d = self.correlation_decay;
        let (x, y) = (f64::from(left), f64::from(right));
        self.lr = self.lr * d + x * y;
        self.ll = self.ll * d + x * x;
        self.rr = self.rr * d + y * y;
        self.frames_in_block += 1;
        if self.frames_in_block == self.block_frames {
            self.finish_block();
        }
    }

    fn mean_of_last(&self, count: usize) -> f64 {
        let count = count.min(self.blocks_seen);
        let sum: f64 = (1..=count)
            .map(|back| self.blocks[(self.block_position + BLOCKS - back) % BLOCKS])
            .sum();
        sum / count.max(1) as f64
    }

    fn finish_block(&mut self) {
        self.blocks[self.block_position] = self.block_sum / self.block_frames as f64;
        self.block_position = (self.block_position + 1) % BLOCKS;
        self.blocks_seen += 1;
        self.frames_in_block = 0;
        self.block_sum = 0.0;
        self.weighting.flush_tiny_state();

        let momentary = if self.blocks_seen >= MOMENTARY_BLOCKS {
            let energy = self.mean_of_last(MOMENTARY_BLOCKS);
            let loudness = lufs(energy);
            if loudness >= HISTOGRAM_FLOOR {
                let bin =
                    (((loudness - HISTOGRAM_FLOOR) / BIN_WIDTH) as usize).min(HISTOGRAM_BINS - 1);
                self.histogram_count[bin] += 1;
                self.histogram_energy[bin] += energy;
            }
            loudness
        } else {
            f64::NEG_INFINITY
        };
        let short_term = if self.blocks_seen >= MOMENTARY_BLOCKS {
            lufs(self.mean_of_last(BLOCKS))
        } else {
            f64::NEG_INFINITY
        };
        let peak = gain_to_db(self.block_peak);
        self.block_peak = 0.0;
        let denominator = (self.ll * self.rr).sqrt();
        self.reading = MeterReading {
            momentary_lufs: reported(momentary),
            short_term_lufs: reported(short_term),
            integrated_lufs: reported(self.integrated()),
            true_peak_dbtp: peak,
            max_true_peak_dbtp: self.reading.max_true_peak_dbtp.max(peak),
            correlation: if denominator > 1e-12 {
                (self.lr / denominator).clamp(-1.0, 1.0) as f32
            } else {
                0.0
            },
        };
    }

    /// Gated integrated loudness over the histogram: the absolute gate at -70 LUFS
    /// (the histogram's floor), then the relative gate 10 LU under the gated mean.
    fn integrated(&self) -> f64 {
        let gated_mean = |from_bin: usize| {
            let count: u32 = self.histogram_count[from_bin..].iter().sum();
            let energy: f64 = self.histogram_energy[from_bin..].iter().sum();
            (count > 0).then(|| energy / f64::from(count))
        };
        let Some(mean) = gated_mean(0) else {
            return f64::NEG_INFINITY;
        };
        let relative_gate = lufs(mean) - 10.0;
        let from = ((relative_gate - HISTOGRAM_FLOOR) / BIN_WIDTH)
            .ceil()
            .max(0.0) as usize;
        gated_mean(from.min(HISTOGRAM_BINS)).map_or(f64::NEG_INFINITY, lufs)
    }
}

#[cfg(test)]
mod loudness_tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: u32 = 48_000;

    /// Runs the same stereo signal through this meter and libebur128.
    fn compare(signal: &[f32]) -> (MeterReading, f64, f64) {
        let mut m = LoudnessMeter::new(RATE as f32);
        for f in signal.chunks_exact(2) {
            m.process(f[0], f[1]);
        }
        let mut reference = ebur128::EbuR128::new(
            2,
            RATE,
            ebur128::Mode::I | ebur128::Mode::S | ebur128::Mode::TRUE_PEAK,
        )
        .unwrap();
        reference.add_frames_f32(signal).unwrap();
        (
            m.reading(),
            reference.loudness_global().unwrap(),
            reference.loudness_shortterm().unwrap(),
        )
    }

    #[test]
    fn agrees_with_libebur128_on_a_sine_and_on_varying_noise() {
        // A 1 kHz sine at -20 dBFS in both channels reads -20 + 3.01 - 0.691 + 0.69 ≈ -17 LUFS.
        let sine: Vec<f32> = (0..RATE as usize * 5)
            .flat_map(|i| {
                let x = 0.1 * (std::f32::consts::TAU * 1_000.0 * i as f32 / RATE as f32).sin();
                [x, x]
            })
            .collect();
        let (reading, integrated, short_term) = compare(&sine);
        // The gate's histogram has 0.1 LU bins; short-term is exact but for single precision.
        assert!((f64::from(reading.integrated_lufs) - integrated).abs() < 0.06);
        assert!((f64::from(reading.short_term_lufs) - short_term).abs() < 0.01);
        assert!((reading.correlation - 1.0).abs() < 1e-3);
        assert!((reading.max_true_peak_dbtp + 20.0).abs() < 0.1);

        // Loud and quiet passages, so both gates matter.
        let mut rng = Rng::new(4);
        let noise: Vec<f32> = (0..RATE as usize * 12)
            .flat_map(|i| {
                let level = [0.3, 0.02, 0.1, 0.001][(i / (RATE as usize * 3 / 2)) % 4];
                [level * rng.next_bipolar(), level * rng.next_bipolar()]
            })
            .collect();
        let (reading, integrated, _) = compare(&noise);
        assert!(
            (f64::from(reading.integrated_lufs) - integrated).abs() < 0.06,
            "{} vs {integrated}",
            reading.integrated_lufs
        );
        assert!(reading.correlation.abs() < 0.1, "{}", reading.correlation);
    }

    #[test]
    fn silence_reads_as_silence() {
        let mut m = LoudnessMeter::new(44_100.0);
        for _ in 0..44_100 {
            m.process(0.0, 0.0);
        }
        assert_eq!(m.reading().integrated_lufs, SILENCE);
        assert_eq!(m.reading().correlation, 0.0);
    }
}
