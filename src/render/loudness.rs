//! Loudness measurement (EBU R128: BS.1770-4 gating, EBU Tech 3342 range) and loudness
//! targeting: the gain into the limiter is found so the master lands on its target.

use crate::dsp::meter::{KWeighting, lufs};
use crate::engine::master::MasterChain;
use crate::song::Master;
use serde::Serialize;

/// How close to the target the search stops (LU); the promise is 0.5 LU.
const TOLERANCE_LU: f64 = 0.05;
const MAX_PASSES: usize = 10;
/// The most the search will turn a mix up or down (dB).
const MAX_GAIN_DB: f64 = 60.0;
/// Loudness gained per dB of gain below which the limiter counts as saturated.
const PLATEAU_SLOPE: f64 = 0.1;

/// What a loudness meter says about a finished render.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LoudnessReport {
    pub integrated_lufs: f64,
    pub loudness_range_lu: f64,
    pub short_term_max_lufs: f64,
    pub true_peak_dbtp: f64,
    pub sample_peak_dbfs: f64,
    pub duration_seconds: f64,
}

fn to_db(x: f64) -> f64 {
    if x > 0.0 {
        20.0 * x.log10()
    } else {
        f64::NEG_INFINITY
    }
}

/// K-weighted mean squares (both channels summed) of consecutive 100 ms blocks: every
/// BS.1770 reading (momentary, short-term, gated integrated, loudness range) is a mean
/// over a run of them, so each sample is filtered and squared once however many
/// windows overlap it.
struct BlockEnergies {
    weighting: KWeighting,
    block_frames: usize,
    frames_in_block: usize,
    sum: f64,
    blocks: Vec<f64>,
}

/// Gating blocks span 4 blocks (400 ms), short-term windows 30 (3 s); the loudness
/// range takes a short-term window every 10 blocks (EBU Tech 3342, as libebur128).
const GATING_BLOCKS: usize = 4;
const SHORT_TERM_BLOCKS: usize = 30;
const RANGE_HOP_BLOCKS: usize = 10;
const ABSOLUTE_GATE_LUFS: f64 = -70.0;
const INTEGRATED_RELATIVE_GATE_LU: f64 = -10.0;
const RANGE_RELATIVE_GATE_LU: f64 = -20.0;

fn lufs_to_energy(lufs: f64) -> f64 {
    10f64.powf((lufs + 0.691) / 10.0)
}

impl BlockEnergies {
    fn new(sample_rate: u32) -> BlockEnergies {
        BlockEnergies {
            weighting: KWeighting::new(f64::from(sample_rate)),
            // libebur128's rounding of 100 ms, so blocks fall where other meters put them.
            block_frames: (sample_rate as usize + 5) / 10,
            frames_in_block: 0,
            sum: 0.0,
            blocks: Vec::new(),
        }
    }

    fn add(&mut self, frames: &[f32]) {
        for frame in frames.chunks_exact(2) {
            self.sum += self.weighting.energy(frame[0], frame[1]);
            self.frames_in_block += 1;
            if self.frames_in_block == self.block_frames {
                self.blocks.push(self.sum / self.block_frames as f64);
                self.sum = 0.0;
                self.frames_in_block = 0;
                self.weighting.flush_tiny_state();
            }
        }
    }

    /// The mean energy of each `span`-block window ending on a block boundary, every
    /// `hop` blocks, starting with the first full window.
    fn windows(&self, span: usize, hop: usize) -> impl Iterator<Item = f64> + '_ {
        self.blocks
            .windows(span)
            .step_by(hop)
            .map(move |w| w.iter().sum::<f64>() / span as f64)
    }

    /// The short-term energy after every block, the first windows counting the time
    /// before the start as silence (what a meter reads every 100 ms from the start).
    fn short_term_readings(&self) -> impl Iterator<Item = f64> + '_ {
        (0..self.blocks.len()).map(|i| {
            let start = (i + 1).saturating_sub(SHORT_TERM_BLOCKS);
            self.blocks[start..=i].iter().sum::<f64>() / SHORT_TERM_BLOCKS as f64
        })
    }
}

/// Gated integrated loudness (BS.1770-4) over the 400 ms gating blocks of one or more
/// signals together, as the gate would see them back to back.
fn gated_loudness<'a>(signals: impl Iterator<Item = &'a BlockEnergies> + Clone) -> f64 {
    let absolute = lufs_to_energy(ABSOLUTE_GATE_LUFS);
    let gated = || {
        signals
            .clone()
            .flat_map(|s| s.windows(GATING_BLOCKS, 1))
            .filter(move |&e| e >= absolute)
    };
    let (sum, count) = gated().fold((0.0, 0usize), |(s, n), e| (s + e, n + 1));
    if count == 0 {
        return f64::NEG_INFINITY;
    }
    let relative = sum / count as f64 * 10f64.powf(INTEGRATED_RELATIVE_GATE_LU / 10.0);
    let (sum, count) = gated()
        .filter(|&e| e >= relative)
        .fold((0.0, 0usize), |(s, n), e| (s + e, n + 1));
    lufs(sum / count.max(1) as f64)
}

/// Loudness range (EBU Tech 3342): the spread between the 10th and 95th percentiles of
/// the gated short-term loudness.
fn loudness_range(energies: &BlockEnergies) -> f64 {
    let absolute = lufs_to_energy(ABSOLUTE_GATE_LUFS);
    let mut windows: Vec<f64> = energies
        .windows(SHORT_TERM_BLOCKS, RANGE_HOP_BLOCKS)
        .filter(|&e| e >= absolute)
        .collect();
    if windows.is_empty() {
        return 0.0;
    }
    let relative = windows.iter().sum::<f64>() / windows.len() as f64
        * 10f64.powf(RANGE_RELATIVE_GATE_LU / 10.0);
    windows.retain(|&e| e >= relative);
    windows.sort_by(f64::total_cmp);
    let at = |fraction: f64| windows[((windows.len() - 1) as f64 * fraction + 0.5) as usize];
    lufs(at(0.95)) - lufs(at(0.10))
}

/// Measures interleaved stereo fed to it block by block.
pub struct Meter {
    energies: BlockEnergies,
    /// The standard's 4x true peak (libebur128's), so the report agrees with other meters.
    true_peak: ebur128::EbuR128,
    sample_rate: u32,
    frames: u64,
    sample_peak: f32,
}

impl Meter {
    pub fn new(sample_rate: u32) -> Meter {
        Meter {
            energies: BlockEnergies::new(sample_rate),
            true_peak: ebur128::EbuR128::new(2, sample_rate, ebur128::Mode::TRUE_PEAK)
                .expect("2 channels at an audio rate are always accepted"),
            sample_rate,
            frames: 0,
            sample_peak: 0.0,
        }
    }

    pub fn add(&mut self, frames: &[f32]) {
        self.energies.add(frames);
        self.true_peak
            .add_frames_f32(frames)
            .expect("frames are whole stereo pairs");
        self.sample_peak = frames.iter().fold(self.sample_peak, |m, x| m.max(x.abs()));
        self.frames += (frames.len() / 2) as u64;
    }

    pub fn report(&self) -> LoudnessReport {
        let true_peak = (0..2)
            .filter_map(|c| self.true_peak.true_peak(c).ok())
            .fold(0.0f64, f64::max);
        LoudnessReport {
            integrated_lufs: gated_loudness(std::iter::once(&self.energies)),
            loudness_range_lu: loudness_range(&self.energies),
            short_term_max_lufs: lufs(self.energies.short_term_readings().fold(0.0, f64::max)),
            true_peak_dbtp: to_db(true_peak),
            sample_peak_dbfs: to_db(f64::from(self.sample_peak)),
            duration_seconds: self.frames as f64 / f64::from(self.sample_rate),
        }
    }
}

pub fn measure(frames: &[f32], sample_rate: u32) -> LoudnessReport {
    let mut m = Meter::new(sample_rate);
    m.add(frames);
    m.report()
}

/// Integrated loudness alone (the cheap measurement the search repeats).
pub fn integrated_lufs(frames: &[f32], sample_rate: u32) -> f64 {
    integrated_lufs_together(std::slice::from_ref(&frames), sample_rate)
}

/// The integrated loudness of several signals gated together, as one file holding them
/// all would read (an album's loudness).
pub fn integrated_lufs_together(signals: &[&[f32]], sample_rate: u32) -> f64 {
    let energies: Vec<BlockEnergies> = signals
        .iter()
        .map(|frames| {
            let mut e = BlockEnergies::new(sample_rate);
            e.add(frames);
            e
        })
        .collect();
    gated_loudness(energies.iter())
}

/// Fades on a finished track, applied after the limiter so they never raise a peak.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Fades {
    pub in_frames: u64,
    pub out_frames: u64,
}

impl Fades {
    pub fn apply(&self, frames: &mut [f32]) {
        let total = (frames.len() / 2) as u64;
        for (i, frame) in frames.chunks_exact_mut(2).enumerate() {
            let i = i as u64;
            let mut gain = 1.0f64;
            if i < self.in_frames {
                gain *= i as f64 / self.in_frames as f64;
            }
            let left = total - i;
            if left <= self.out_frames {
                gain *= (left - 1) as f64 / self.out_frames as f64;
            }
            if gain < 1.0 {
                frame[0] *= gain as f32;
                frame[1] *= gain as f32;
            }
        }
    }
}

/// The first half of the master chain over a whole mix: gain, EQ, compressor, width.
pub fn pre_limiter(mix: &mut [f32], master: &Master, sample_rate: u32) {
    let mut chain = MasterChain::new(master, sample_rate);
    let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
    for block in mix.chunks_mut(2 * left.len()) {
        let frames = block.len() / 2;
        for (i, frame) in block.chunks_exact(2).enumerate() {
            (left[i], right[i]) = (frame[0], frame[1]);
        }
        chain.pre_limiter_block(&mut left[..frames], &mut right[..frames]);
        for (i, frame) in block.chunks_exact_mut(2).enumerate() {
            (frame[0], frame[1]) = (left[i], right[i]);
        }
    }
}

/// The loudness gain and limiter over `pre` (the output of `pre_limiter`), with the
/// look-ahead removed, then the fades: the finished master.
pub fn limit(
    pre: &[f32],
    master: &Master,
    sample_rate: u32,
    gain_db: f32,
    fades: Fades,
) -> Vec<f32> {
    let mut chain = MasterChain::new(master, sample_rate);
    chain.snap_loudness_gain_db(gain_db);
    let latency = chain.latency();
    let mut out = Vec::with_capacity(pre.len());
    // The mix, then the look-ahead's worth of silence to bring its end out.
    let frames = pre.len() / 2 + latency;
    let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
    for start in (0..frames).step_by(left.len()) {
        let n = left.len().min(frames - start);
        for (i, (l, r)) in left[..n].iter_mut().zip(&mut right[..n]).enumerate() {
            let frame = pre.get(2 * (start + i)..2 * (start + i) + 2);
            (*l, *r) = frame.map_or((0.0, 0.0), |f| (f[0], f[1]));
        }
        chain.limit_block(&mut left[..n], &mut right[..n]);
        for i in latency.saturating_sub(start).min(n)..n {
            out.extend_from_slice(&[left[i], right[i]]);
        }
    }
    fades.apply(&mut out);
    out
}

/// A finished master and how it got there.
pub struct Mastered {
    pub audio: Vec<f32>,
    /// The gain into the limiter (dB).
    pub loudness_gain_db: f32,
    /// The integrated loudness the search reached (before word-length reduction);
    /// NaN when there was no target to search for.
    pub integrated_lufs: f64,
    pub passes: usize,
}

/// Searches the gain (dB) into the limiter that brings the loudness `pass` measures to
/// `target`, starting from the loudness going in (`incoming`, measured without limiter).
///
/// Each pass limits and measures; the next guess follows the secant through the last
/// two passes (the limiter makes the loudness grow less than the gain). Returns the
/// best pass: its gain, loudness, what it made, and the number of passes run.
pub fn find_gain<T>(
    target: f64,
    incoming: f64,
    mut pass: impl FnMut(f64) -> (f64, T),
) -> (f64, f64, T, usize) {
    let mut gain = if incoming.is_finite() {
        (target - incoming).clamp(-MAX_GAIN_DB, MAX_GAIN_DB)
    } else {
        0.0
    };
    let mut previous: Option<(f64, f64)> = None;
    let mut best: Option<(f64, f64, T)> = None;
    for passes in 1..=MAX_PASSES {
        let (loudness, made) = pass(gain);
        let error = (loudness - target).abs();
        if best
            .as_ref()
            .is_none_or(|(_, l, _)| error < (l - target).abs() || !l.is_finite())
        {
            best = Some((gain, loudness, made));
        }
        // Silence, or all under the gate, cannot be brought to a loudness.
        if error <= TOLERANCE_LU || !loudness.is_finite() || passes == MAX_PASSES {
            let (gain, loudness, made) = best.expect("set above");
            return (gain, loudness, made, passes);
        }
        let measured_slope = match previous {
            Some((g, l)) if (gain - g).abs() > 1e-6 => Some((loudness - l) / (gain - g)),
            _ => None,
        };
        // Driven this hard, the limiter's output has stopped getting louder: the target
        // is out of its reach, and more gain would only add distortion (and, at tens of
        // dB, inter-sample peaks no meter agrees on). The best pass so far stands.
        if loudness < target && measured_slope.is_some_and(|s| s < PLATEAU_SLOPE) {
            let (gain, loudness, made) = best.expect("set above");
            return (gain, loudness, made, passes);
        }
        let slope = measured_slope.map_or(1.0, |s| s.clamp(0.05, 1.0));
        previous = Some((gain, loudness));
        gain = (gain + (target - loudness) / slope).clamp(-MAX_GAIN_DB, MAX_GAIN_DB);
    }
    unreachable!("the last pass returns")
}

/// The limiter pass over `pre`, at the gain that reaches `target_lufs` if there is one.
pub fn reach_target(
    pre: &[f32],
    master: &Master,
    sample_rate: u32,
    target_lufs: Option<f32>,
    fades: Fades,
) -> Mastered {
    let pass = |gain: f64| {
        let audio = limit(pre, master, sample_rate, gain as f32, fades);
        (integrated_lufs(&audio, sample_rate), audio)
    };
    let Some(target) = target_lufs.map(f64::from) else {
        return Mastered {
            audio: limit(pre, master, sample_rate, 0.0, fades),
            loudness_gain_db: 0.0,
            integrated_lufs: f64::NAN,
            passes: 1,
        };
    };
    let mut faded = pre.to_vec();
    fades.apply(&mut faded);
    let incoming = integrated_lufs(&faded, sample_rate);
    drop(faded);
    let (gain, integrated, audio, passes) = find_gain(target, incoming, pass);
    Mastered {
        audio,
        loudness_gain_db: gain as f32,
        integrated_lufs: integrated,
        passes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: u32 = 48_000;

    /// Drum-like material: noise bursts with a fast decay over a low sine.
    fn drums(seconds: usize, level: f32) -> Vec<f32> {
        let mut rng = Rng::new(21);
        (0..RATE as usize * seconds)
            .flat_map(|i| {
                let beat = (i % 24_000) as f32 / RATE as f32;
                let hit = (-beat * 30.0).exp() * rng.next_bipolar();
                let bass = 0.3 * (std::f32::consts::TAU * 55.0 * i as f32 / RATE as f32).sin();
                let x = level * (hit + bass);
                [x, 0.9 * x]
            })
            .collect()
    }

    #[test]
    fn each_target_is_reached_under_the_ceiling() {
        let mix = drums(6, 0.3);
        for (target, ceiling) in [(-14.0, -1.0), (-8.0, -0.3), (-23.0, -1.0), (-16.0, -1.0)] {
            let master = Master {
                ceiling_db: ceiling,
                ..Master::default()
            };
            let mut pre = mix.clone();
            pre_limiter(&mut pre, &master, RATE);
            let m = reach_target(&pre, &master, RATE, Some(target), Fades::default());
            let report = measure(&m.audio, RATE);
            assert!(
                (report.integrated_lufs - f64::from(target)).abs() < 0.1,
                "target {target}: {report:?} after {} passes",
                m.passes
            );
            assert!(
                report.true_peak_dbtp <= f64::from(ceiling) + 0.1,
                "ceiling {ceiling}: {report:?}"
            );
            assert_eq!(m.audio.len(), mix.len());
        }
    }

    #[test]
    fn the_search_stops_where_the_limiter_stops_getting_louder() {
        // A limiter whose output nears -9 LUFS however hard it is driven.
        let saturating = |gain: f64| (-9.0 - 3.0 * (-(gain - 11.0) / 3.0).exp(), ());
        let (gain, loudness, (), passes) = find_gain(-8.0, -20.0, saturating);
        assert!(gain < 30.0, "ran on to {gain} dB ({passes} passes)");
        assert!(loudness > -9.1, "{loudness}");
        assert!(passes < MAX_PASSES);
    }

    #[test]
    fn no_target_leaves_the_level_alone() {
        let mix = drums(2, 0.1);
        let master = Master::default();
        let m = reach_target(&mix, &master, RATE, None, Fades::default());
        assert_eq!(m.loudness_gain_db, 0.0);
        assert_eq!(m.audio, mix);
    }

    #[test]
    fn fades_start_and_end_at_silence() {
        let mut frames = vec![1.0f32; 2 * 1000];
        Fades {
            in_frames: 100,
            out_frames: 200,
        }
        .apply(&mut frames);
        assert_eq!(frames[0], 0.0);
        assert_eq!(frames[2 * 999], 0.0);
        assert!((frames[2 * 50] - 0.5).abs() < 1e-6);
        assert_eq!(frames[2 * 500], 1.0);
    }

    /// A signal whose level steps every 1.3 s over 30 dB, with a silent gap: every gate
    /// and both percentiles of the range have something to decide.
    fn uneven(seconds: usize, rate: u32, seed: u64) -> Vec<f32> {
        let mut rng = Rng::new(seed);
        let frames = rate as usize * seconds;
        (0..frames)
            .flat_map(|i| {
                let t = i as f32 / rate as f32;
                let step = (t / 1.3) as usize;
                let level = if (7..9).contains(&step) {
                    0.0
                } else {
                    0.5 * 10f32.powf(-(((step * 7) % 31) as f32) / 20.0)
                };
                let tone = (std::f32::consts::TAU * 220.0 * t).sin();
                let x = level * (0.5 * tone + 0.5 * rng.next_bipolar());
                [x, level * rng.next_bipolar() * 0.7]
            })
            .collect()
    }

    #[test]
    fn the_report_agrees_with_libebur128() {
        use ebur128::{EbuR128, Mode};
        for (rate, seconds, seed) in [(48_000, 25, 3), (44_100, 17, 4), (96_000, 9, 5)] {
            let audio = uneven(seconds, rate, seed);
            let ours = measure(&audio, rate);
            let mut reference = EbuR128::new(2, rate, Mode::I | Mode::LRA | Mode::S).unwrap();
            let mut short_term_max = f64::NEG_INFINITY;
            for block in audio.chunks(2 * (rate as usize / 10)) {
                reference.add_frames_f32(block).unwrap();
                short_term_max = short_term_max.max(reference.loudness_shortterm().unwrap());
            }
            let integrated = reference.loudness_global().unwrap();
            let range = reference.loudness_range().unwrap();
            assert!(range > 5.0, "the signal has a range to measure: {range}");
            for (what, got, want) in [
                ("integrated", ours.integrated_lufs, integrated),
                ("range", ours.loudness_range_lu, range),
                ("short-term max", ours.short_term_max_lufs, short_term_max),
            ] {
                assert!(
                    (got - want).abs() < 0.01,
                    "{rate} Hz {what}: {got} against libebur128's {want}"
                );
            }
        }
    }

    #[test]
    fn tracks_gated_together_agree_with_libebur128() {
        use ebur128::{EbuR128, Mode};
        let tracks = [uneven(6, RATE, 8), drums(4, 0.02), drums(3, 0.3)];
        let meters: Vec<EbuR128> = tracks
            .iter()
            .map(|t| {
                let mut m = EbuR128::new(2, RATE, Mode::I).unwrap();
                m.add_frames_f32(t).unwrap();
                m
            })
            .collect();
        let want = EbuR128::loudness_global_multiple(meters.iter()).unwrap();
        let slices: Vec<&[f32]> = tracks.iter().map(Vec::as_slice).collect();
        let got = integrated_lufs_together(&slices, RATE);
        assert!((got - want).abs() < 0.01, "{got} against {want}");
        assert_eq!(
            integrated_lufs(&vec![0.0; 2 * 48_000], RATE),
            f64::NEG_INFINITY
        );
    }

    #[test]
    fn the_short_term_maximum_is_the_loudest_three_seconds() {
        let mut mix = drums(8, 0.05);
        for x in &mut mix[2 * RATE as usize * 4..2 * RATE as usize * 7] {
            *x *= 4.0;
        }
        let r = measure(&mix, RATE);
        assert!(r.short_term_max_lufs > r.integrated_lufs + 3.0, "{r:?}");
        assert!(r.loudness_range_lu > 5.0, "{r:?}");
        assert!((r.duration_seconds - 8.0).abs() < 1e-9);
    }
}
