//! A ducker: a volume shape started on demand (a kick's note, every beat), the "pump"
//! of sidechain compression without a compressor.
//!
//! The shape is an envelope from 0 (untouched) to 1 (fully ducked): it rises in a
//! straight line over the attack, holds at 1, then falls back to 0 along the release
//! curve. The gain is `1 - amount · envelope`, where `amount` is the share of the level
//! taken away at the bottom (from the depth in dB). A new start mid-shape attacks from
//! wherever the envelope is, so quick triggers never step.

use super::smooth::Smoothed;
use super::util::{db_to_gain, fast_exp2};

/// How the level comes back after the hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ReleaseCurve {
    Linear,
    #[default]
    Exponential,
    SCurve,
}

/// How steep the exponential release is: e^-5 of the way is left at its end, then
/// scaled to land exactly on zero.
const EXPONENTIAL_RATE: f32 = 5.0;
/// e^-5, what the exponential release has left at its end before the scaling.
const EXPONENTIAL_FLOOR: f32 = 0.006_737_947;

impl ReleaseCurve {
    /// The envelope `u` (0 to 1) of the way through the release: 1 at its start, 0 at
    /// its end.
    #[inline(always)]
    pub fn remaining(self, u: f32) -> f32 {
        let u = u.clamp(0.0, 1.0);
        match self {
            ReleaseCurve::Linear => 1.0 - u,
            // Through `fast_exp2` (2e-5 relative), which runs as vectors over a block.
            ReleaseCurve::Exponential => {
                let e = fast_exp2(-EXPONENTIAL_RATE * std::f32::consts::LOG2_E * u);
                (e - EXPONENTIAL_FLOOR) * (1.0 / (1.0 - EXPONENTIAL_FLOOR))
            }
            ReleaseCurve::SCurve => 1.0 - u * u * (3.0 - 2.0 * u),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DuckShape {
    /// The level at the bottom of the shape, dB (0 or below).
    pub depth_db: f32,
    pub attack_seconds: f32,
    pub hold_seconds: f32,
    pub release_seconds: f32,
    pub curve: ReleaseCurve,
}

impl Default for DuckShape {
    fn default() -> DuckShape {
        DuckShape {
            depth_db: -12.0,
            attack_seconds: 0.002,
            hold_seconds: 0.0,
            release_seconds: 0.25,
            curve: ReleaseCurve::Exponential,
        }
    }
}

/// Depth and bypass changes glide over this long.
const GLIDE_SECONDS: f32 = 0.01;

pub struct Ducker {
    sample_rate: f32,
    curve: ReleaseCurve,
    /// Phase lengths in samples.
    attack: f32,
    hold: f32,
    release: f32,
    /// The share of the level taken away at the bottom; 0 when bypassed.
    amount: Smoothed,
    depth_amount: f32,
    bypass: bool,
    /// Samples since the last start; `None` once the shape has ended.
    position: Option<u32>,
    /// The envelope when the shape last started.
    start: f32,
    envelope: f32,
    peak_reduction_db: f32,
}

impl Ducker {
    pub fn new(sample_rate: f32) -> Ducker {
        let mut d = Ducker {
            sample_rate,
            curve: ReleaseCurve::default(),
            attack: 0.0,
            hold: 0.0,
            release: 0.0,
            amount: Smoothed::new(sample_rate, GLIDE_SECONDS, 0.0),
            depth_amount: 0.0,
            bypass: true,
            position: None,
            start: 0.0,
            envelope: 0.0,
            peak_reduction_db: 0.0,
        };
        d.set(DuckShape::default());
        d
    }

    /// New times take effect at once (a shape under way stretches); the depth glides.
    pub fn set(&mut self, shape: DuckShape) {
        let samples = |s: f32| (s.max(0.0) * self.sample_rate).round();
        self.attack = samples(shape.attack_seconds);
        self.hold = samples(shape.hold_seconds);
        self.release = samples(shape.release_seconds);
        self.curve = shape.curve;
        self.depth_amount = 1.0 - db_to_gain(shape.depth_db.min(0.0));
        self.update_amount(false);
    }

    /// Out of circuit (or back in), gliding unless `snap`.
    pub fn set_bypass(&mut self, bypass: bool, snap: bool) {
        self.bypass = bypass;
        self.update_amount(snap);
    }

    fn update_amount(&mut self, snap: bool) {
        let target = if self.bypass { 0.0 } else { self.depth_amount };
        if snap {
            self.amount.snap(target);
        } else {
            self.amount.set_target(target);
        }
    }

    /// Starts the shape at the next sample processed.
    pub fn trigger(&mut self) {
        if self.bypass {
            return;
        }
        self.start = self.envelope;
        self.position = Some(0);
    }

    pub fn reset(&mut self) {
        self.position = None;
        self.envelope = 0.0;
        self.start = 0.0;
        self.peak_reduction_db = 0.0;
    }

    /// The envelope in the attack, `t` samples after a start.
    #[inline(always)]
    fn attacking(&self, t: f32) -> f32 {
        self.start + (1.0 - self.start) * t / self.attack
    }

    /// The envelope in the release, `t` samples after a start, on `curve` (the
    /// ducker's own: passed in so a block's loop is made for one curve).
    #[inline(always)]
    fn releasing(&self, t: f32, curve: ReleaseCurve) -> f32 {
        curve.remaining((t - self.attack - self.hold) / self.release)
    }

    /// Moves the shape on by `envelope.len()` frames, writing each frame's envelope.
    fn advance(&mut self, envelope: &mut [f32]) {
        let mut done = 0;
        while done < envelope.len() {
            let Some(t) = self.position else {
                envelope[done..].fill(0.0);
                self.envelope = 0.0;
                return;
            };
            // Frames from `t` on before the shape's end (where the envelope is 0 and the
            // shape stops); every one is a whole number of samples well inside f32's
            // exact integers.
            let end = self.attack + self.hold + self.release;
            let before_end = (end.ceil() as u64).saturating_sub(u64::from(t));
            if before_end == 0 {
                envelope[done] = 0.0;
                self.envelope = 0.0;
                self.position = None;
                done += 1;
                continue;
            }
            let frames = (envelope.len() - done).min(before_end as usize);
            let segment = &mut envelope[done..done + frames];
            match self.curve {
                ReleaseCurve::Linear => self.fill(t, segment, ReleaseCurve::Linear),
                ReleaseCurve::Exponential => self.fill(t, segment, ReleaseCurve::Exponential),
                ReleaseCurve::SCurve => self.fill(t, segment, ReleaseCurve::SCurve),
            }
            self.envelope = segment[frames - 1];
            self.position = Some(t + frames as u32);
            done += frames;
        }
    }

    /// The envelope of the frames `t`, `t + 1`, ... before the shape's end, phase by
    /// phase (each phase's frames a plain loop, which runs as vectors). The phases'
    /// lengths are whole numbers of samples, so where one ends is exact.
    #[inline(always)]
    fn fill(&self, t: u32, envelope: &mut [f32], curve: ReleaseCurve) {
        let start = u64::from(t);
        let attack_end = self.attack as u64;
        let hold_end = (self.attack + self.hold) as u64;
        let phase = |end: u64| (end.saturating_sub(start) as usize).min(envelope.len());
        let (attack, hold) = (phase(attack_end), phase(hold_end));
        for (i, e) in envelope[..attack].iter_mut().enumerate() {
            *e = self.attacking((t + i as u32) as f32);
        }
        envelope[attack..hold].fill(1.0);
        let released = t + hold as u32;
        for (i, e) in envelope[hold..].iter_mut().enumerate() {
            *e = self.releasing((released + i as u32) as f32, curve);
        }
    }

    /// The most reduction since the last call, dB (positive), for a meter.
    pub fn take_peak_reduction_db(&mut self) -> f32 {
        std::mem::take(&mut self.peak_reduction_db)
    }

    /// Whether the ducker leaves the signal untouched (no shape, no depth gliding).
    pub fn is_idle(&self) -> bool {
        self.position.is_none() && self.amount.is_settled()
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        if self.is_idle() {
            return;
        }
        let mut lowest = 1.0f32;
        let mut envelope = [0.0f32; BLOCK];
        for (left, right) in left.chunks_mut(BLOCK).zip(right.chunks_mut(BLOCK)) {
            let n = left.len().min(right.len());
            let envelope = &mut envelope[..n];
            self.advance(envelope);
            // The envelope becomes the gain in place.
            if self.amount.is_settled() {
                let amount = self.amount.value();
                envelope.iter_mut().for_each(|e| *e = 1.0 - amount * *e);
            } else {
                for e in envelope.iter_mut() {
                    *e = 1.0 - self.amount.next_value() * *e;
                }
            }
            // A plain comparison rather than `f32::min` (a gain is never NaN), so the
            // search runs as vectors.
            lowest = envelope
                .iter()
                .fold(lowest, |low, &gain| if gain < low { gain } else { low });
            for ((l, r), gain) in left.iter_mut().zip(right.iter_mut()).zip(&*envelope) {
                *l *= gain;
                *r *= gain;
            }
        }
        let reduction = -20.0 * lowest.max(1e-6).log10();
        self.peak_reduction_db = self.peak_reduction_db.max(reduction);
    }

    /// Moves on `frames` frames of silence: the shape keeps time with the song while
    /// the signal it would act on is skipped.
    pub fn skip(&mut self, mut frames: usize) {
        let mut envelope = [0.0f32; BLOCK];
        while frames > 0 && !self.is_idle() {
            let n = frames.min(BLOCK);
            self.advance(&mut envelope[..n]);
            for _ in 0..n {
                if self.amount.is_settled() {
                    break;
                }
                self.amount.next_value();
            }
            frames -= n;
        }
    }
}

/// Frames worked on at a time (their envelope is laid out first).
const BLOCK: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    fn ducker(shape: DuckShape) -> Ducker {
        let mut d = Ducker::new(RATE);
        d.set(shape);
        d.set_bypass(false, true);
        d
    }

    /// The gain the ducker applies to a constant 1, frame by frame.
    fn gains(d: &mut Ducker, frames: usize) -> Vec<f32> {
        let mut l = vec![1.0; frames];
        let mut r = l.clone();
        d.process(&mut l, &mut r);
        l
    }

    #[test]
    fn the_shape_follows_attack_hold_release_and_curve() {
        for curve in [
            ReleaseCurve::Linear,
            ReleaseCurve::Exponential,
            ReleaseCurve::SCurve,
        ] {
            let shape = DuckShape {
                depth_db: -20.0,
                attack_seconds: 0.005,
                hold_seconds: 0.010,
                release_seconds: 0.100,
                curve,
            };
            let mut d = ducker(shape);
            d.trigger();
            let g = gains(&mut d, 9_600);
            let bottom = 0.1f32;
            let (a, h, r) = (240usize, 480usize, 4_800usize);
            // Written out independently: straight down, flat, back along the curve.
            for (i, &gain) in g.iter().enumerate() {
                let envelope = if i < a {
                    i as f32 / a as f32
                } else if i < a + h {
                    1.0
                } else if i < a + h + r {
                    let u = (i - a - h) as f32 / r as f32;
                    match curve {
                        ReleaseCurve::Linear => 1.0 - u,
                        ReleaseCurve::Exponential => {
                            ((-5.0 * u).exp() - (-5.0f32).exp()) / (1.0 - (-5.0f32).exp())
                        }
                        ReleaseCurve::SCurve => 1.0 - (3.0 * u * u - 2.0 * u * u * u),
                    }
                } else {
                    0.0
                };
                let expected = 1.0 - (1.0 - bottom) * envelope;
                assert!(
                    (gain - expected).abs() < 3e-5,
                    "{curve:?} frame {i}: {gain} expected {expected}"
                );
            }
            assert!(d.is_idle());
            assert!((d.take_peak_reduction_db() - 20.0).abs() < 0.01);
        }
    }

    #[test]
    fn blocks_of_any_size_and_skips_give_the_gains_of_frame_by_frame() {
        // Starts mid-shape, a depth gliding, a bypass fading in and out, and stretches
        // skipped, for every curve: in blocks of many sizes and one frame at a time the
        // gains and the metered reduction must agree bit for bit.
        for curve in [
            ReleaseCurve::Linear,
            ReleaseCurve::Exponential,
            ReleaseCurve::SCurve,
        ] {
            let shape = DuckShape {
                depth_db: -14.0,
                attack_seconds: 0.003,
                hold_seconds: 0.002,
                release_seconds: 0.05,
                curve,
            };
            let sizes = [1, 700, 63, 64, 65, 2_000, 5];
            let run = |blocks: bool| {
                let mut d = ducker(shape);
                let mut out = Vec::new();
                let mut peaks = Vec::new();
                for (k, &size) in sizes.iter().cycle().take(60).enumerate() {
                    match k % 9 {
                        0 | 4 => d.trigger(),
                        2 => d.set(DuckShape {
                            depth_db: -6.0 - k as f32 / 3.0,
                            ..shape
                        }),
                        5 => d.set_bypass(k % 2 == 0, false),
                        _ => {}
                    }
                    if k % 7 == 3 {
                        d.skip(size);
                        out.extend(std::iter::repeat_n(f32::NAN, size));
                        continue;
                    }
                    let mut l: Vec<f32> = (0..size).map(|i| 1.0 + i as f32 * 1e-3).collect();
                    let mut r: Vec<f32> = l.iter().map(|x| -x).collect();
                    if blocks {
                        d.process(&mut l, &mut r);
                    } else {
                        for i in 0..size {
                            d.process(&mut l[i..=i], &mut r[i..=i]);
                        }
                    }
                    assert_eq!(l.iter().map(|x| -x).collect::<Vec<_>>(), r);
                    out.extend(l);
                    peaks.push(d.take_peak_reduction_db());
                }
                (out, peaks, d.is_idle())
            };
            let (blocks, frames) = (run(true), run(false));
            let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&blocks.0), bits(&frames.0), "{curve:?}");
            assert_eq!(blocks.1, frames.1, "{curve:?}");
            assert_eq!(blocks.2, frames.2);
            assert!(blocks.1.iter().any(|&p| p > 5.0), "it ducked");
        }
    }

    #[test]
    fn a_start_mid_release_attacks_from_where_the_level_is() {
        let mut d = ducker(DuckShape {
            attack_seconds: 0.004,
            ..DuckShape::default()
        });
        d.trigger();
        let first = gains(&mut d, 4_800);
        d.trigger();
        let second = gains(&mut d, 400);
        let step = (second[0] - first[first.len() - 1]).abs();
        assert!(step < 0.01, "no jump at the new start: {step}");
        assert!(second[192] < second[0], "it ducks again");
    }

    #[test]
    fn bypassed_it_leaves_the_signal_alone() {
        let mut d = Ducker::new(RATE);
        d.trigger();
        assert!(gains(&mut d, 1_000).iter().all(|&g| g == 1.0));
        assert!(d.is_idle());
    }
}
