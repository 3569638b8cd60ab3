//! A ducker: a volume shape started on demand (a kick's note, every beat), the "pump"
//! of sidechain compression without a compressor.
//!
//! The shape is an envelope from 0 (untouched) to 1 (fully ducked): it rises in a
//! straight line over the attack, holds at 1, then falls back to 0 along the release
//! curve. The gain is `1 - amount · envelope`, where `amount` is the share of the level
//! taken away at the bottom (from the depth in dB). A new start mid-shape attacks from
//! wherever the envelope is, so quick triggers never step.

use super::smooth::Smoothed;
use super::util::db_to_gain;

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

impl ReleaseCurve {
    /// The envelope `u` (0 to 1) of the way through the release: 1 at its start, 0 at
    /// its end.
    pub fn remaining(self, u: f32) -> f32 {
        let u = u.clamp(0.0, 1.0);
        match self {
            ReleaseCurve::Linear => 1.0 - u,
            ReleaseCurve::Exponential => {
                let floor = (-EXPONENTIAL_RATE).exp();
                ((-EXPONENTIAL_RATE * u).exp() - floor) / (1.0 - floor)
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

    /// The envelope `t` samples after a start.
    fn envelope_at(&self, t: f32) -> f32 {
        if t < self.attack {
            return self.start + (1.0 - self.start) * t / self.attack;
        }
        let t = t - self.attack;
        if t < self.hold {
            return 1.0;
        }
        let t = t - self.hold;
        if t < self.release {
            self.curve.remaining(t / self.release)
        } else {
            0.0
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

    /// The next frame's gain.
    fn next_gain(&mut self) -> f32 {
        self.envelope = match self.position {
            Some(t) => {
                let e = self.envelope_at(t as f32);
                let end = self.attack + self.hold + self.release;
                self.position = if (t as f32) < end { Some(t + 1) } else { None };
                e
            }
            None => 0.0,
        };
        1.0 - self.amount.next_value() * self.envelope
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        if self.is_idle() {
            return;
        }
        let mut lowest = 1.0f32;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            let gain = self.next_gain();
            lowest = lowest.min(gain);
            *l *= gain;
            *r *= gain;
        }
        let reduction = -20.0 * lowest.max(1e-6).log10();
        self.peak_reduction_db = self.peak_reduction_db.max(reduction);
    }

    /// Moves on `frames` frames of silence: the shape keeps time with the song while
    /// the signal it would act on is skipped.
    pub fn skip(&mut self, frames: usize) {
        for _ in 0..frames {
            if self.is_idle() {
                return;
            }
            self.next_gain();
        }
    }
}

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
                    (gain - expected).abs() < 1e-4,
                    "{curve:?} frame {i}: {gain} expected {expected}"
                );
            }
            assert!(d.is_idle());
            assert!((d.take_peak_reduction_db() - 20.0).abs() < 0.01);
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
