//! A feed-forward stereo compressor with a soft knee.
//!
//! The detector takes the louder side's peak each frame, so both sides get the same gain
//! and the stereo image holds. The static curve is the quadratic soft knee of Giannoulis,
//! Massberg and Reiss ("Digital Dynamic Range Compressor Design", JAES 2012); the gain
//! reduction is smoothed in dB by a branching one-pole, so `attack` and `release` are the
//! time constants (63 %) of the reduction's rise and fall.

use super::biquad::{LANES, LaneFrame};
use super::smooth::Smoothed;
use super::util::{db_to_gain, fast_db_to_gain, fast_gain_to_db};

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CompressorSettings {
    pub threshold_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    pub knee_db: f32,
    pub makeup_db: f32,
}

impl Default for CompressorSettings {
    fn default() -> CompressorSettings {
        CompressorSettings {
            threshold_db: -18.0,
            ratio: 4.0,
            attack_ms: 10.0,
            release_ms: 120.0,
            knee_db: 6.0,
            makeup_db: 0.0,
        }
    }
}

/// Reductions smaller than this are none: the envelope lands on exactly zero.
const SETTLED_DB: f32 = 1e-6;
const BYPASS_FADE_SECONDS: f32 = 0.01;

pub struct Compressor {
    sample_rate: f32,
    settings: CompressorSettings,
    curve: Curve,
    /// Below this linear level the curve is a straight line: no reduction, no logarithm.
    knee_start: f32,
    attack: f32,
    release: f32,
    makeup: Smoothed,
    /// 1 in circuit, 0 bypassed; crossfades between the two.
    engaged: Smoothed,
    reduction_db: f32,
    peak_reduction_db: f32,
}

impl Compressor {
    pub fn new(sample_rate: f32) -> Compressor {
        let mut c = Compressor {
            sample_rate,
            settings: CompressorSettings::default(),
            curve: Curve::new(&CompressorSettings::default()),
            knee_start: 0.0,
            attack: 0.0,
            release: 0.0,
            makeup: Smoothed::new(sample_rate, 0.01, 1.0),
            engaged: Smoothed::new(sample_rate, BYPASS_FADE_SECONDS, 1.0),
            reduction_db: 0.0,
            peak_reduction_db: 0.0,
        };
        c.set(CompressorSettings::default());
        c.makeup.snap(1.0);
        c
    }

    /// Threshold, ratio and knee act through the smoothed reduction, so they change
    /// without steps; make-up gain glides over 10 ms.
    pub fn set(&mut self, settings: CompressorSettings) {
        let coefficient = |ms: f32| (-1.0 / (ms.max(0.01) * 0.001 * self.sample_rate)).exp();
        self.settings = CompressorSettings {
            ratio: settings.ratio.max(1.0),
            knee_db: settings.knee_db.max(0.0),
            ..settings
        };
        self.curve = Curve::new(&self.settings);
        self.knee_start = db_to_gain(settings.threshold_db - self.settings.knee_db / 2.0);
        self.attack = coefficient(settings.attack_ms);
        self.release = coefficient(settings.release_ms);
        self.makeup.set_target(db_to_gain(settings.makeup_db));
    }

    /// Takes the compressor out of circuit (or back in) with a 10 ms crossfade.
    pub fn set_bypass(&mut self, bypass: bool, snap: bool) {
        let target = if bypass { 0.0 } else { 1.0 };
        if snap {
            self.engaged.snap(target);
            self.makeup.snap(db_to_gain(self.settings.makeup_db));
        } else {
            self.engaged.set_target(target);
        }
    }

    pub fn reset(&mut self) {
        self.reduction_db = 0.0;
        self.peak_reduction_db = 0.0;
    }

    /// The static curve: output level for a steady input level, both in dB.
    pub fn curve_db(&self, input_db: f32) -> f32 {
        self.curve.output_db(input_db)
    }

    /// The gain reduction now, in dB (positive).
    pub fn gain_reduction_db(&self) -> f32 {
        self.reduction_db * self.engaged.value()
    }

    /// The most reduction since the last call, for a meter that must not miss a peak.
    pub fn take_peak_reduction_db(&mut self) -> f32 {
        std::mem::take(&mut self.peak_reduction_db)
    }

    /// Whether the compressor is out of circuit and has finished fading out (its
    /// reduction may still need clearing, which `process` does).
    pub fn is_out(&self) -> bool {
        self.engaged.value() == 0.0 && self.engaged.is_settled()
    }

    /// Whether the compressor is out of circuit and has finished fading out.
    pub fn is_idle(&self) -> bool {
        self.engaged.value() == 0.0 && self.reduction_db == 0.0
    }

    /// Whether `process` on silence would change nothing: no reduction to release and
    /// no gain gliding.
    pub fn is_at_rest(&self) -> bool {
        self.reduction_db == 0.0 && self.engaged.is_settled() && self.makeup.is_settled()
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.process_keyed(left, right, None);
    }

    /// With a `key`, the detector hears it instead of the signal (a sidechain): the
    /// key's frames line up with the signal's.
    pub fn process_keyed(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        key: Option<(&[f32], &[f32])>,
    ) {
        if self.is_out() {
            self.reduction_db = 0.0;
            return;
        }
        let mut peak = self.peak_reduction_db;
        for (i, (l, r)) in left.iter_mut().zip(right.iter_mut()).enumerate() {
            let level = match key {
                Some((kl, kr)) => kl[i].abs().max(kr[i].abs()),
                None => l.abs().max(r.abs()),
            };
            let target = if level > self.knee_start {
                let input_db = fast_gain_to_db(level);
                (input_db - self.curve_db(input_db)).max(0.0)
            } else {
                0.0
            };
            let coefficient = if target > self.reduction_db {
                self.attack
            } else {
                self.release
            };
            self.reduction_db = target + coefficient * (self.reduction_db - target);
            if self.reduction_db < SETTLED_DB {
                self.reduction_db = 0.0;
            }
            peak = peak.max(self.reduction_db);
            let reduction = if self.reduction_db == 0.0 {
                1.0
            } else {
                fast_db_to_gain(-self.reduction_db)
            };
            let wet = reduction * self.makeup.next_value();
            let engaged = self.engaged.next_value();
            let gain = 1.0 + engaged * (wet - 1.0);
            *l *= gain;
            *r *= gain;
        }
        self.peak_reduction_db = peak;
    }
}

/// The static curve, with its divisions done once when the settings change: a
/// division costs several multiplies, and the curve is worked out for every frame.
#[derive(Clone, Copy, Debug)]
struct Curve {
    threshold: f32,
    knee: f32,
    /// 1 / ratio.
    slope: f32,
    /// (1 / ratio - 1) / (2 · knee): the knee's parabola.
    bend: f32,
}

impl Curve {
    /// For settings whose ratio is at least 1 and knee at least 0.
    fn new(s: &CompressorSettings) -> Curve {
        let slope = 1.0 / s.ratio;
        Curve {
            threshold: s.threshold_db,
            knee: s.knee_db,
            slope,
            bend: (slope - 1.0) / (2.0 * s.knee_db),
        }
    }

    /// Output level for a steady input level, both in dB. Every branch is worked out
    /// and one picked, so the compiler can run it on several frames at once.
    #[inline(always)]
    fn output_db(&self, input_db: f32) -> f32 {
        let (t, w) = (self.threshold, self.knee);
        let over = input_db - t;
        let knee = input_db + self.bend * (over + w / 2.0).powi(2);
        let above = t + over * self.slope;
        if 2.0 * over < -w {
            input_db
        } else if 2.0 * over.abs() <= w && w > 0.0 {
            knee
        } else {
            above
        }
    }
}

/// Compressors run side by side, one per stereo strip of a lane frame.
pub const STRIPS: usize = LANES / 2;
/// A value per compressor.
type Quad = [f32; STRIPS];
/// Frames worked on at a time (the glides' values for them are laid out first).
const CHUNK: usize = 32;

/// Up to four compressors over the strips of lane frames (strip `j`'s left side in lane
/// `j`, its right side in lane `j + STRIPS`, as `LaneCascade` holds them), with the same
/// arithmetic as `Compressor::process_keyed`, so each strip's samples are exactly those
/// of its compressor run alone; the work on four at once runs as vectors.
pub struct LaneCompressors {
    runs: [bool; STRIPS],
    keyed: [bool; STRIPS],
    curve: [Curve; STRIPS],
    knee_start: Quad,
    attack: Quad,
    release: Quad,
    reduction: Quad,
    peak: Quad,
    makeup: [Smoothed; STRIPS],
    engaged: [Smoothed; STRIPS],
}

impl Default for LaneCompressors {
    fn default() -> LaneCompressors {
        LaneCompressors::new()
    }
}

impl LaneCompressors {
    pub fn new() -> LaneCompressors {
        let still = || Smoothed::new(1.0, 1.0, 1.0);
        LaneCompressors {
            runs: [false; STRIPS],
            keyed: [false; STRIPS],
            curve: [Curve::new(&CompressorSettings::default()); STRIPS],
            knee_start: [0.0; STRIPS],
            attack: [0.0; STRIPS],
            release: [0.0; STRIPS],
            reduction: [0.0; STRIPS],
            peak: [0.0; STRIPS],
            makeup: std::array::from_fn(|_| still()),
            engaged: std::array::from_fn(|_| still()),
        }
    }

    /// Every strip passes through.
    pub fn clear(&mut self) {
        self.runs = [false; STRIPS];
        self.keyed = [false; STRIPS];
    }

    /// Runs `compressor` on strip `j`, its detector hearing the key levels given to
    /// `process` if `keyed`. A compressor out of circuit that has faded out is left
    /// alone (and the strip passes through), as `process_keyed` leaves it.
    pub fn load(&mut self, j: usize, compressor: &mut Compressor, keyed: bool) {
        if j >= STRIPS {
            return;
        }
        if compressor.is_out() {
            compressor.reduction_db = 0.0;
            return;
        }
        self.runs[j] = true;
        self.keyed[j] = keyed;
        self.curve[j] = compressor.curve;
        self.knee_start[j] = compressor.knee_start;
        self.attack[j] = compressor.attack;
        self.release[j] = compressor.release;
        self.reduction[j] = compressor.reduction_db;
        self.peak[j] = compressor.peak_reduction_db;
        self.makeup[j] = compressor.makeup.clone();
        self.engaged[j] = compressor.engaged.clone();
    }

    /// Hands strip `j`'s state back to its compressor after `process`.
    pub fn store(&self, j: usize, compressor: &mut Compressor) {
        if j < STRIPS && self.runs[j] {
            compressor.reduction_db = self.reduction[j];
            compressor.peak_reduction_db = self.peak[j];
            compressor.makeup = self.makeup[j].clone();
            compressor.engaged = self.engaged[j].clone();
        }
    }

    /// `keys` holds, frame by frame, the level each keyed strip's detector hears (the
    /// louder side of its key).
    pub fn process(&mut self, frames: &mut [LaneFrame], keys: &[Quad]) {
        if !self.runs.iter().any(|&r| r) {
            return;
        }
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has just been seen to have AVX.
            unsafe { self.process_avx(frames, keys) };
            return;
        }
        self.process_portable(frames, keys);
    }

    /// `process` with 256-bit vectors, without FMA: the same bits as the portable path.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn process_avx(&mut self, frames: &mut [LaneFrame], keys: &[Quad]) {
        self.process_portable(frames, keys);
    }

    #[inline(always)]
    fn process_portable(&mut self, frames: &mut [LaneFrame], keys: &[Quad]) {
        for (at, chunk) in frames.chunks_mut(CHUNK).enumerate() {
            let keys = keys.get(at * CHUNK..).unwrap_or(&[]);
            self.process_chunk(chunk, keys);
        }
    }

    /// The smoothed reduction of strip `j` over a chunk whose target is zero throughout:
    /// `0 + release · (r - 0)` is exactly `release · r`, and it only falls, so the
    /// chain is a bare multiply and the settling to zero is found afterwards (every
    /// value before the first one below `SETTLED_DB` was above it). The same values as
    /// the general recurrence, in a third of its time.
    #[inline(always)]
    fn release_only(&mut self, j: usize, row: &mut [f32]) {
        let (mut r, release) = (self.reduction[j], self.release[j]);
        for x in row.iter_mut() {
            r *= release;
            *x = r;
        }
        if let Some(settled) = row.iter().position(|&x| x < SETTLED_DB) {
            row[settled..].fill(0.0);
        }
        let last = row.last().copied().unwrap_or(self.reduction[j]);
        self.peak[j] = self.peak[j].max(row.first().copied().unwrap_or(0.0));
        self.reduction[j] = last;
    }

    #[inline(always)]
    fn process_chunk(&mut self, frames: &mut [LaneFrame], keys: &[Quad]) {
        let n = frames.len();
        let running: [bool; STRIPS] = self.runs;
        // What each detector hears, strip by strip (so the work below scales with the
        // strips that run, not the four lanes a group always has).
        let mut level = [[0.0f32; CHUNK]; STRIPS];
        if (0..STRIPS).any(|j| running[j] && !self.keyed[j]) {
            let mut louder = [[0.0f32; STRIPS]; CHUNK];
            for (louder, frame) in louder.iter_mut().zip(frames.iter()) {
                for j in 0..STRIPS {
                    louder[j] = frame[j].abs().max(frame[j + STRIPS].abs());
                }
            }
            for j in (0..STRIPS).filter(|&j| running[j] && !self.keyed[j]) {
                for (level, louder) in level[j].iter_mut().zip(&louder[..n]) {
                    *level = louder[j];
                }
            }
        }
        for j in (0..STRIPS).filter(|&j| running[j] && self.keyed[j]) {
            for (level, key) in level[j].iter_mut().zip(keys) {
                *level = key[j];
            }
        }
        // The reduction the static curve asks for, frame by frame. A chunk that never
        // passes the knee asks for none: no logarithm is taken.
        let mut target = [[0.0f32; CHUNK]; STRIPS];
        let mut asks = [false; STRIPS];
        for j in (0..STRIPS).filter(|&j| running[j]) {
            let loudest = level[j][..n].iter().fold(0.0f32, |m, &x| m.max(x));
            if loudest <= self.knee_start[j] {
                continue;
            }
            asks[j] = true;
            let (curve, start) = (self.curve[j], self.knee_start[j]);
            for (target, &level) in target[j].iter_mut().zip(&level[j]) {
                let input_db = fast_gain_to_db(level);
                let wanted = (input_db - curve.output_db(input_db)).max(0.0);
                *target = if level > start { wanted } else { 0.0 };
            }
        }
        // The smoothed reduction: the only stage that waits on the frame before. A
        // strip with none to release and none asked for stays at exactly zero.
        let smooths: [bool; STRIPS] =
            std::array::from_fn(|j| running[j] && (asks[j] || self.reduction[j] != 0.0));
        let mut reduces = [false; STRIPS];
        if asks.contains(&true) {
            let (mut reduction, attack, release) = (self.reduction, self.attack, self.release);
            let mut most = [0.0f32; STRIPS];
            let mut smoothed = [[0.0f32; STRIPS]; CHUNK];
            for (i, smoothed) in smoothed[..n].iter_mut().enumerate() {
                for j in 0..STRIPS {
                    let target = target[j][i];
                    let coefficient = if target > reduction[j] {
                        attack[j]
                    } else {
                        release[j]
                    };
                    let mut r = target + coefficient * (reduction[j] - target);
                    if r < SETTLED_DB {
                        r = 0.0;
                    }
                    reduction[j] = r;
                    most[j] = most[j].max(r);
                    smoothed[j] = r;
                }
            }
            for j in (0..STRIPS).filter(|&j| smooths[j]) {
                self.reduction[j] = reduction[j];
                self.peak[j] = self.peak[j].max(most[j]);
                reduces[j] = most[j] != 0.0;
                for (target, smoothed) in target[j].iter_mut().zip(&smoothed[..n]) {
                    *target = smoothed[j];
                }
            }
        } else {
            for j in (0..STRIPS).filter(|&j| smooths[j]) {
                self.release_only(j, &mut target[j][..n]);
                reduces[j] = target[j][0] != 0.0;
            }
        }
        // The gain: a strip whose reduction stayed at zero and whose glides have
        // settled has one gain for the whole chunk, 1 + engaged · (make-up - 1) (and
        // nothing to do at unity).
        let mut gains = [[1.0f32; STRIPS]; CHUNK];
        let mut scales = false;
        for j in (0..STRIPS).filter(|&j| running[j]) {
            let (makeup, engaged) = (&mut self.makeup[j], &mut self.engaged[j]);
            if !reduces[j] && makeup.is_settled() && engaged.is_settled() {
                let gain = 1.0 + engaged.value() * (makeup.value() - 1.0);
                if gain != 1.0 {
                    gains[..n].iter_mut().for_each(|g| g[j] = gain);
                    scales = true;
                }
                continue;
            }
            scales = true;
            let mut makeups = [1.0f32; CHUNK];
            let mut engageds = [0.0f32; CHUNK];
            for (glide, values) in [(makeup, &mut makeups), (engaged, &mut engageds)] {
                if glide.is_settled() {
                    values.fill(glide.value());
                } else {
                    values[..n].iter_mut().for_each(|v| *v = glide.next_value());
                }
            }
            let mut row = [1.0f32; CHUNK];
            for (((gain, reduction), makeup), engaged) in
                row.iter_mut().zip(&target[j]).zip(&makeups).zip(&engageds)
            {
                let reduced = fast_db_to_gain(-reduction);
                let reduced = if *reduction == 0.0 { 1.0 } else { reduced };
                let wet = reduced * makeup;
                *gain = 1.0 + engaged * (wet - 1.0);
            }
            for (gain, row) in gains[..n].iter_mut().zip(&row) {
                gain[j] = *row;
            }
        }
        if scales {
            for (frame, gain) in frames.iter_mut().zip(&gains) {
                for j in 0..STRIPS {
                    frame[j] *= gain[j];
                    frame[j + STRIPS] *= gain[j];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    fn compressor(settings: CompressorSettings) -> Compressor {
        let mut c = Compressor::new(RATE);
        c.set(settings);
        c.set_bypass(false, true);
        c
    }

    /// A steady level: a square wave at Nyquist, whose peak never changes.
    fn steady(level_db: f32, frames: usize) -> Vec<f32> {
        let a = db_to_gain(level_db);
        (0..frames)
            .map(|i| if i % 2 == 0 { a } else { -a })
            .collect()
    }

    fn level_db(x: f32) -> f32 {
        20.0 * x.abs().log10()
    }

    #[test]
    fn static_curve_matches_threshold_ratio_and_knee() {
        for &(t, r, w) in &[(-20.0, 4.0, 0.0), (-30.0, 2.0, 10.0), (-10.0, 10.0, 6.0)] {
            let settings = CompressorSettings {
                threshold_db: t,
                ratio: r,
                knee_db: w,
                attack_ms: 1.0,
                release_ms: 10.0,
                makeup_db: 0.0,
            };
            let mut input = -50.0;
            while input <= 0.0 {
                let mut c = compressor(settings);
                let mut l = steady(input, 9_600);
                let mut rr = l.clone();
                c.process(&mut l, &mut rr);
                let measured = level_db(*l.last().unwrap());
                // The curve written out independently of the code under test.
                let over = input - t;
                let expected = if w > 0.0 && over.abs() <= w / 2.0 {
                    input + (1.0 / r - 1.0) * (over + w / 2.0).powi(2) / (2.0 * w)
                } else if over > 0.0 {
                    t + over / r
                } else {
                    input
                };
                assert!(
                    (measured - expected).abs() < 0.05,
                    "T {t} R {r} W {w}: in {input} dB out {measured}, expected {expected}"
                );
                input += 2.5;
            }
        }
    }

    #[test]
    fn the_curve_with_its_divisions_done_ahead_is_the_formula_to_within_1e_5_db() {
        let mut worst = 0.0f64;
        for &(t, r, w) in &[
            (-20.0, 4.0, 0.0),
            (-30.0, 2.0, 10.0),
            (-10.0, 10.0, 6.0),
            (-40.0, 1.0, 3.0),
            (-6.0, 20.0, 24.0),
        ] {
            let c = compressor(CompressorSettings {
                threshold_db: t,
                ratio: r,
                knee_db: w,
                ..CompressorSettings::default()
            });
            let (t, r, w) = (f64::from(t), f64::from(r), f64::from(w));
            for k in 0..=800 {
                let input = -80.0 + k as f32 * 0.1;
                let x = f64::from(input);
                let over = x - t;
                let expected = if w > 0.0 && 2.0 * over.abs() <= w {
                    x + (1.0 / r - 1.0) * (over + w / 2.0).powi(2) / (2.0 * w)
                } else if over > 0.0 {
                    t + over / r
                } else {
                    x
                };
                worst = worst.max((f64::from(c.curve_db(input)) - expected).abs());
            }
        }
        assert!(worst < 1e-5, "{worst} dB");
    }

    /// Frames until the gain reduction has covered 63.2 % of a step from `from` to `to` dB.
    fn time_constant_ms(settings: CompressorSettings, from: f32, to: f32) -> f32 {
        let mut c = compressor(settings);
        let mut l = steady(from, 48_000);
        let mut r = l.clone();
        c.process(&mut l, &mut r);
        let start = c.gain_reduction_db();
        let frames = 8 * 48_000;
        let mut l = steady(to, frames);
        let mut r = l.clone();
        let input = l.clone();
        c.process(&mut l, &mut r);
        let end = level_db(input[frames - 1]) - level_db(l[frames - 1]);
        assert!((end - (to - c.curve_db(to))).abs() < 0.01, "settled");
        let goal = start + (end - start) * (1.0 - (-1.0f32).exp());
        let frames = (0..frames)
            .position(|i| {
                let reduction = level_db(input[i]) - level_db(l[i]);
                if end > start {
                    reduction >= goal
                } else {
                    reduction <= goal
                }
            })
            .unwrap();
        frames as f32 / RATE * 1000.0
    }

    #[test]
    fn attack_and_release_times_are_within_20_percent() {
        for &(attack, release) in &[(1.0, 50.0), (10.0, 120.0), (30.0, 600.0)] {
            let settings = CompressorSettings {
                threshold_db: -20.0,
                ratio: 4.0,
                knee_db: 0.0,
                attack_ms: attack,
                release_ms: release,
                makeup_db: 0.0,
            };
            let measured = time_constant_ms(settings, -40.0, 0.0);
            assert!(
                (measured / attack - 1.0).abs() < 0.2,
                "attack {attack} ms measured {measured}"
            );
            let measured = time_constant_ms(settings, 0.0, -40.0);
            assert!(
                (measured / release - 1.0).abs() < 0.2,
                "release {release} ms measured {measured}"
            );
        }
    }

    #[test]
    fn reduction_is_metered_and_settles_to_exactly_zero_in_silence() {
        let mut c = compressor(CompressorSettings::default());
        let mut l = steady(0.0, 4_800);
        let mut r = l.clone();
        c.process(&mut l, &mut r);
        assert!(c.take_peak_reduction_db() > 10.0);
        let mut l = vec![0.0; 48_000 * 2];
        let mut r = l.clone();
        c.process(&mut l, &mut r);
        assert_eq!(c.gain_reduction_db(), 0.0);
        assert!(l.iter().all(|&x| x == 0.0));
    }

    #[test]
    fn a_key_drives_the_detector_and_the_gain_acts_on_the_signal() {
        let mut c = compressor(CompressorSettings {
            threshold_db: -30.0,
            knee_db: 0.0,
            ..CompressorSettings::default()
        });
        let quiet = steady(-40.0, 4_800);
        let loud = steady(0.0, 4_800);
        let (mut l, mut r) = (quiet.clone(), quiet.clone());
        c.process_keyed(&mut l, &mut r, Some((&loud, &loud)));
        // 0 dB into -30 dB at 4:1 takes 22.5 dB away, from the quiet signal.
        assert!(
            (level_db(l[4_799]) + 62.5).abs() < 0.05,
            "{}",
            level_db(l[4_799])
        );
        let silence = vec![0.0; 48_000];
        let (mut l, mut r) = (steady(-6.0, 48_000), steady(-6.0, 48_000));
        c.process_keyed(&mut l, &mut r, Some((&silence, &silence)));
        assert!(
            (level_db(l[47_999]) + 6.0).abs() < 0.02,
            "a silent key lets go"
        );
    }

    #[test]
    fn compressors_side_by_side_give_the_samples_of_each_run_alone() {
        let settings = [
            CompressorSettings::default(),
            CompressorSettings {
                threshold_db: -30.0,
                ratio: 10.0,
                knee_db: 0.0,
                attack_ms: 1.0,
                ..CompressorSettings::default()
            },
            CompressorSettings {
                threshold_db: -12.0,
                ratio: 2.0,
                knee_db: 12.0,
                makeup_db: 4.0,
                ..CompressorSettings::default()
            },
            CompressorSettings::default(),
        ];
        let make = || -> Vec<Compressor> {
            settings
                .iter()
                .enumerate()
                .map(|(j, &s)| {
                    let mut c = compressor(s);
                    match j {
                        // Make-up gliding from 0 dB.
                        2 => c.makeup.snap(1.0),
                        // Fading out of circuit.
                        3 => c.set_bypass(true, false),
                        _ => {}
                    }
                    c
                })
                .collect()
        };
        let n = 5_000;
        // Bursts and gaps, so the reduction rises, falls and lands on zero.
        let signal = |lane: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let loud = if (i / 700 + lane).is_multiple_of(3) {
                        0.9
                    } else {
                        0.0
                    };
                    loud * ((i * (lane + 3)) as f32 * 0.05).sin()
                })
                .collect()
        };
        let key: Vec<f32> = signal(LANES - 1).iter().map(|x| x.abs()).collect();
        let mut alone = make();
        let mut together = make();
        let mut frames: Vec<LaneFrame> = (0..n)
            .map(|i| std::array::from_fn(|lane| signal(lane)[i]))
            .collect();
        let keys: Vec<Quad> = key
            .iter()
            .map(|&k| std::array::from_fn(|j| if j == 1 { k } else { 0.0 }))
            .collect();
        let mut lanes = LaneCompressors::new();
        let blocks = [0..1_000, 1_000..1_077, 1_077..n];
        for block in blocks.clone() {
            lanes.clear();
            for (j, c) in together.iter_mut().enumerate() {
                lanes.load(j, c, j == 1);
            }
            lanes.process(&mut frames[block.clone()], &keys[block]);
            for (j, c) in together.iter_mut().enumerate() {
                lanes.store(j, c);
            }
        }
        for (j, c) in alone.iter_mut().enumerate() {
            let (mut l, mut r) = (signal(j), signal(j + STRIPS));
            for block in blocks.clone() {
                let key = (j == 1).then_some((&key[block.clone()], &key[block.clone()]));
                c.process_keyed(&mut l[block.clone()], &mut r[block], key);
            }
            for (i, frame) in frames.iter().enumerate() {
                assert_eq!(frame[j].to_bits(), l[i].to_bits(), "strip {j} frame {i}");
                assert_eq!(frame[j + STRIPS].to_bits(), r[i].to_bits());
            }
            let peaks = (
                c.take_peak_reduction_db(),
                together[j].take_peak_reduction_db(),
            );
            assert_eq!(peaks.0, peaks.1, "strip {j}");
            assert_eq!(c.gain_reduction_db(), together[j].gain_reduction_db());
        }
        assert!(
            alone[1].gain_reduction_db() > 1.0,
            "the key drove the detector"
        );
        assert!(alone[3].is_idle(), "faded out");
    }

    #[test]
    fn chunks_below_the_knee_and_pure_releases_give_the_samples_of_a_run_alone() {
        // Short releases, so the reduction lands on zero inside the gaps; a quiet signal
        // below the knee between the bursts; one strip at unity make-up (its gain is
        // skipped), one with make-up (a steady gain), one out of circuit.
        let settings = [
            CompressorSettings {
                release_ms: 1.0,
                ..CompressorSettings::default()
            },
            CompressorSettings {
                release_ms: 3.0,
                makeup_db: 3.0,
                ..CompressorSettings::default()
            },
            CompressorSettings::default(),
            CompressorSettings {
                threshold_db: -40.0,
                release_ms: 1.0,
                knee_db: 0.0,
                ..CompressorSettings::default()
            },
        ];
        let make = || -> Vec<Compressor> {
            settings
                .iter()
                .enumerate()
                .map(|(j, &s)| {
                    let mut c = compressor(s);
                    c.set_bypass(j == 2, true);
                    c
                })
                .collect()
        };
        let n = 6_000;
        let signal = |lane: usize| -> Vec<f32> {
            (0..n)
                .map(|i| {
                    let level = match (i / 500 + lane % STRIPS) % 4 {
                        0 => 0.9,
                        1 => 0.0,
                        _ => 0.01,
                    };
                    level * ((i * (lane + 2)) as f32 * 0.07).sin()
                })
                .collect()
        };
        let mut alone = make();
        let mut together = make();
        let mut frames: Vec<LaneFrame> = (0..n)
            .map(|i| std::array::from_fn(|lane| signal(lane)[i]))
            .collect();
        let keys = vec![[0.0; STRIPS]; n];
        let mut lanes = LaneCompressors::new();
        let mut ends = Vec::new();
        let mut at = 0;
        let mut length = 37;
        while at < n {
            let block = at..(at + length).min(n);
            lanes.clear();
            for (j, c) in together.iter_mut().enumerate() {
                lanes.load(j, c, false);
            }
            lanes.process(&mut frames[block.clone()], &keys[block.clone()]);
            for (j, c) in together.iter_mut().enumerate() {
                lanes.store(j, c);
            }
            ends.push(together[0].gain_reduction_db());
            at = block.end;
            length = length * 7 % 300 + 1;
        }
        assert!(ends.contains(&0.0), "the reduction settled to zero");
        assert!(ends.iter().any(|&r| r > 1.0), "and was working between");
        for (j, c) in alone.iter_mut().enumerate() {
            let (mut l, mut r) = (signal(j), signal(j + STRIPS));
            c.process(&mut l, &mut r);
            for (i, frame) in frames.iter().enumerate() {
                assert_eq!(frame[j].to_bits(), l[i].to_bits(), "strip {j} frame {i}");
                assert_eq!(frame[j + STRIPS].to_bits(), r[i].to_bits());
            }
            assert_eq!(
                c.take_peak_reduction_db(),
                together[j].take_peak_reduction_db()
            );
            assert_eq!(c.gain_reduction_db(), together[j].gain_reduction_db());
        }
    }

    #[test]
    fn compressors_side_by_side_give_the_same_bits_on_the_portable_path() {
        let make = || {
            let mut lanes = LaneCompressors::new();
            for j in 0..STRIPS {
                let mut c = compressor(CompressorSettings {
                    threshold_db: -10.0 - 4.0 * j as f32,
                    knee_db: j as f32 * 2.0,
                    makeup_db: 1.0,
                    ..CompressorSettings::default()
                });
                c.makeup.snap(0.5);
                lanes.load(j, &mut c, j % 3 == 1);
            }
            lanes
        };
        let n = 3_000;
        let input: Vec<LaneFrame> = (0..n)
            .map(|i| std::array::from_fn(|lane| ((i * (lane + 2)) as f32 * 0.01).sin() * 0.9))
            .collect();
        let keys: Vec<Quad> = (0..n)
            .map(|i| [if (i / 500) % 2 == 0 { 0.8 } else { 0.01 }; STRIPS])
            .collect();
        let (mut dispatched, mut portable) = (input.clone(), input);
        make().process(&mut dispatched, &keys);
        make().process_portable(&mut portable, &keys);
        let bits = |frames: &[LaneFrame]| -> Vec<u32> {
            frames.iter().flatten().map(|x| x.to_bits()).collect()
        };
        assert_eq!(bits(&dispatched), bits(&portable));
    }

    #[test]
    fn bypass_crossfades_and_then_costs_nothing() {
        let mut c = compressor(CompressorSettings {
            makeup_db: 6.0,
            ..CompressorSettings::default()
        });
        c.set_bypass(true, false);
        let mut l = steady(-40.0, 4_800);
        let mut r = l.clone();
        c.process(&mut l, &mut r);
        // From +6 dB make-up down to unity within the 10 ms fade, no step.
        assert!(level_db(l[0]) > -34.5);
        assert!((level_db(l[4_799]) + 40.0).abs() < 1e-3);
        let worst_step = l
            .windows(2)
            .map(|w| (w[0].abs() - w[1].abs()).abs())
            .fold(0.0f32, f32::max);
        assert!(worst_step < 1e-4, "{worst_step}");
        assert!(c.is_idle());
    }
}
