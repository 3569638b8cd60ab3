//! A feed-forward, stereo-linked compressor with a soft knee.
//!
//! The gain computer works in dB on the louder channel, so the stereo image never
//! shifts; the gain reduction follows with separate attack and release times (a
//! one-pole each way in the dB domain, which is how analog bus compressors move).

use super::smooth::Smoothed;
use super::util::{db_to_gain, gain_to_db};

/// Width of the soft knee around the threshold (dB).
const KNEE_DB: f32 = 6.0;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorParams {
    pub threshold_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    pub makeup_db: f32,
}

pub struct Compressor {
    sample_rate: f32,
    threshold_db: f32,
    slope: f32,
    attack: f32,
    release: f32,
    makeup: Smoothed,
    /// Current gain reduction (dB, >= 0).
    reduction_db: f32,
}

impl Compressor {
    pub fn new(sample_rate: f32, params: &CompressorParams) -> Compressor {
        let mut c = Compressor {
            sample_rate,
            threshold_db: 0.0,
            slope: 0.0,
            attack: 0.0,
            release: 0.0,
            makeup: Smoothed::new(sample_rate, 0.02, db_to_gain(params.makeup_db)),
            reduction_db: 0.0,
        };
        c.set_params(params);
        c
    }

    /// Threshold and ratio changes reach the gain through the attack and release, the
    /// make-up gain through a short ramp, so no change steps.
    pub fn set_params(&mut self, p: &CompressorParams) {
        let coefficient = |ms: f32| (-1.0 / (ms.max(0.01) * 0.001 * self.sample_rate)).exp();
        self.threshold_db = p.threshold_db;
        self.slope = 1.0 - 1.0 / p.ratio.max(1.0);
        self.attack = coefficient(p.attack_ms);
        self.release = coefficient(p.release_ms);
        self.makeup.set_target(db_to_gain(p.makeup_db));
    }

    pub fn reset(&mut self) {
        self.reduction_db = 0.0;
    }

    pub fn gain_reduction_db(&self) -> f32 {
        self.reduction_db
    }

    /// Static curve: how many dB a steady level `level_db` is turned down.
    fn wanted_reduction(&self, level_db: f32) -> f32 {
        let over = level_db - self.threshold_db;
        if over <= -KNEE_DB / 2.0 {
            0.0
        } else if over >= KNEE_DB / 2.0 {
            self.slope * over
        } else {
            let x = over + KNEE_DB / 2.0;
            self.slope * x * x / (2.0 * KNEE_DB)
        }
    }

    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let level_db = gain_to_db(left.abs().max(right.abs()));
        let wanted = self.wanted_reduction(level_db);
        let coefficient = if wanted > self.reduction_db {
            self.attack
        } else {
            self.release
        };
        self.reduction_db = wanted + (self.reduction_db - wanted) * coefficient;
        if self.reduction_db < 1e-6 {
            self.reduction_db = 0.0;
        }
        let makeup = self.makeup.next_value();
        let gain = if self.reduction_db == 0.0 {
            makeup
        } else {
            db_to_gain(-self.reduction_db) * makeup
        };
        (left * gain, right * gain)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    fn params(ratio: f32) -> CompressorParams {
        CompressorParams {
            threshold_db: -20.0,
            ratio,
            attack_ms: 5.0,
            release_ms: 100.0,
            makeup_db: 0.0,
        }
    }

    /// Output level (dB) of a steady square wave at `level_db` (its level never dips
    /// between crests, so the static curve shows alone) once the compressor settles.
    fn steady_output_db(c: &mut Compressor, level_db: f32) -> f32 {
        let amplitude = db_to_gain(level_db);
        let mut peak = 0.0f32;
        for i in 0..RATE as usize {
            let x = if (i / 24) % 2 == 0 {
                amplitude
            } else {
                -amplitude
            };
            let (y, _) = c.process(x, x);
            if i > RATE as usize / 2 {
                peak = peak.max(y.abs());
            }
        }
        gain_to_db(peak)
    }

    #[test]
    fn above_the_knee_the_ratio_holds_and_below_it_nothing_changes() {
        let mut c = Compressor::new(RATE, &params(4.0));
        // 12 dB over the threshold comes out 3 dB over it.
        let out = steady_output_db(&mut c, -8.0);
        assert!((out + 17.0).abs() < 0.5, "{out}");
        let mut c = Compressor::new(RATE, &params(4.0));
        let out = steady_output_db(&mut c, -30.0);
        assert!((out + 30.0).abs() < 0.01, "{out}");
    }

    #[test]
    fn ratio_one_is_transparent_and_makeup_is_applied() {
        let mut c = Compressor::new(RATE, &params(1.0));
        for i in 0..1000 {
            let x = (i as f32 * 0.1).sin();
            assert_eq!(c.process(x, -x), (x, -x));
        }
        let mut p = params(1.0);
        p.makeup_db = 6.0;
        let mut c = Compressor::new(RATE, &p);
        assert!((steady_output_db(&mut c, -20.0) + 14.0).abs() < 0.01);
    }
}
