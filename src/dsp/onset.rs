//! Onset (transient) detection on an energy-flux envelope: the level of short blocks in
//! dB, and where it jumps above the level just before by more than a threshold. Offline
//! analysis for slicing a recording at its hits or syllables; not for the audio thread.

use super::util::db_to_gain;

/// Block length of the envelope: short enough to place an onset within a few
/// milliseconds, long enough that one cycle of a low note does not look like a hit.
const BLOCK_SECONDS: f32 = 0.0025;
/// The level a block is compared with: the mean energy of this many blocks before it
/// (10 ms), so a sustained or decaying sound does not keep triggering.
const REFERENCE_BLOCKS: usize = 4;
/// Blocks quieter than this are never onsets: noise coming up out of digital silence is
/// a huge jump in dB but nothing to cut at.
const FLOOR_DB: f32 = -60.0;

pub struct OnsetDetector {
    sample_rate: u32,
    /// How far (dB) a block must rise above the level before it.
    pub threshold_db: f32,
    /// Two onsets are at least this far apart (seconds); a later one within it is ignored.
    pub min_gap: f32,
}

impl OnsetDetector {
    pub fn new(sample_rate: u32) -> OnsetDetector {
        OnsetDetector {
            sample_rate: sample_rate.max(1),
            threshold_db: 9.0,
            min_gap: 0.05,
        }
    }

    /// The frames where a sound starts, in order. `samples` is one channel (mix stereo
    /// down first).
    pub fn detect(&self, samples: &[f32]) -> Vec<usize> {
        let block = ((self.sample_rate as f32 * BLOCK_SECONDS).round() as usize).max(1);
        let energies: Vec<f32> = samples
            .chunks(block)
            .map(|c| c.iter().map(|s| s * s).sum::<f32>() / c.len() as f32)
            .collect();
        let to_db = |energy: f32| 10.0 * (energy + 1e-12).log10();
        let min_gap = (self.min_gap.max(0.0) * self.sample_rate as f32) as usize;
        let mut onsets: Vec<usize> = Vec::new();
        for k in 1..energies.len() {
            let level = to_db(energies[k]);
            if level < FLOOR_DB {
                continue;
            }
            let before = &energies[k.saturating_sub(REFERENCE_BLOCKS)..k];
            let reference = to_db(before.iter().sum::<f32>() / before.len() as f32);
            if level - reference < self.threshold_db {
                continue;
            }
            let at = refine(samples, block, k, reference);
            if onsets.last().is_none_or(|&last| at >= last + min_gap) {
                onsets.push(at);
            }
        }
        onsets
    }
}

/// The first frame, from the block before `k` on, that stands clearly out of the level
/// before it: the block only says the onset lies within about two blocks.
fn refine(samples: &[f32], block: usize, k: usize, reference_db: f32) -> usize {
    let start = (k - 1) * block;
    let end = ((k + 1) * block).min(samples.len());
    let peak = samples[start..end]
        .iter()
        .fold(0.0f32, |m, s| m.max(s.abs()));
    // Halfway (in dB) between the noise before and the peak of the new sound, and never
    // below the noise's own peaks (an RMS level sits ~3 dB or more under them).
    let background = db_to_gain(reference_db) * 2.0;
    let level = (peak * background).sqrt().max(background);
    samples[start..end]
        .iter()
        .position(|s| s.abs() >= level)
        .map_or(k * block, |i| start + i)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: u32 = 48_000;

    /// Quiet noise with four different hits at known frames.
    fn hits() -> (Vec<f32>, Vec<usize>) {
        let mut rng = Rng::new(7);
        let mut x: Vec<f32> = (0..RATE as usize)
            .map(|_| 0.0005 * rng.next_bipolar())
            .collect();
        let onsets = vec![4_800, 16_000, 29_000, 40_100];
        for (i, &at) in onsets.iter().enumerate() {
            for n in 0..6_000 {
                let t = n as f32 / RATE as f32;
                let decay = (-t * 30.0).exp();
                let s = match i {
                    // A low sine, a high sine, a noise burst, a quiet mid sine.
                    0 => 0.8 * (std::f32::consts::TAU * 110.0 * t).sin(),
                    1 => 0.5 * (std::f32::consts::TAU * 2_000.0 * t).sin(),
                    2 => 0.6 * rng.next_bipolar(),
                    _ => 0.1 * (std::f32::consts::TAU * 440.0 * t).sin(),
                };
                x[at + n] += s * decay;
            }
        }
        (x, onsets)
    }

    #[test]
    fn finds_each_hit_within_half_a_millisecond() {
        let (x, expected) = hits();
        let found = OnsetDetector::new(RATE).detect(&x);
        assert_eq!(found.len(), expected.len(), "{found:?}");
        for (f, e) in found.iter().zip(&expected) {
            let ms = (*f as f32 - *e as f32).abs() / RATE as f32 * 1000.0;
            assert!(ms <= 0.5, "onset at {f}, expected {e} ({ms:.2} ms off)");
        }
    }

    #[test]
    fn a_higher_threshold_keeps_only_the_big_jumps() {
        let (x, _) = hits();
        let mut detector = OnsetDetector::new(RATE);
        detector.threshold_db = 55.0;
        let found = detector.detect(&x);
        // The quiet hit rises ~48 dB over the noise; the others over 60.
        assert_eq!(found.len(), 3, "{found:?}");
        assert!(OnsetDetector::new(RATE).detect(&[0.0; 4800]).is_empty());
        assert!(OnsetDetector::new(RATE).detect(&[]).is_empty());
    }
}
