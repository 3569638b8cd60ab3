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

/// Stereo strips in a lane frame: strip `j`'s left side in lane `j`, its right side in
/// lane `j + STRIPS`, as `LaneCascade` holds them.
pub const STRIPS: usize = LANES / 2;
/// Compressors a `LaneCompressors` runs side by side: the strips of two lane frames.
pub const SIDE_BY_SIDE: usize = 2 * STRIPS;
/// A value per compressor side by side.
pub type Levels = [f32; SIDE_BY_SIDE];
/// Frames whose detector levels are found before their reductions are worked out: a
/// stretch that never passes any knee takes no logarithm.
const CHUNK: usize = 32;
/// Up to this many compressors run one at a time along the frames; more run as a
/// vector a frame, whose work is the same for one compressor or eight (with AVX2; without
/// it, all run one at a time).
#[cfg(any(target_arch = "x86_64", test))]
const FEW: usize = 2;

/// Up to eight compressors over the strips of two lane signals (compressor `j < STRIPS`
/// on strip `j` of the first, compressor `j >= STRIPS` on strip `j - STRIPS` of the
/// second), with the same arithmetic as `Compressor::process_keyed`, so each strip's
/// samples are exactly those of its compressor run alone.
///
/// The smoothed reduction waits on the frame before, so one compressor's work is a
/// chain of dependent steps. With AVX2 and more than `FEW` compressors running, a frame
/// of all eight is one vector: the chain is paid once for eight, and the rest of a
/// frame's work (detector, logarithm, curve, gain) overlaps with the chains of the
/// frames around it. Otherwise (a few, or no AVX2) they run one at a time along chunks
/// of frames, so the work scales with the compressors that run.
pub struct LaneCompressors {
    runs: [bool; SIDE_BY_SIDE],
    keyed: [bool; SIDE_BY_SIDE],
    /// Infinite for a compressor that does not run, so it never asks for a reduction.
    knee_start: Levels,
    threshold: Levels,
    knee: Levels,
    slope: Levels,
    bend: Levels,
    attack: Levels,
    release: Levels,
    reduction: Levels,
    peak: Levels,
    makeup: [Smoothed; SIDE_BY_SIDE],
    engaged: [Smoothed; SIDE_BY_SIDE],
}

impl Default for LaneCompressors {
    fn default() -> LaneCompressors {
        LaneCompressors::new()
    }
}

impl LaneCompressors {
    pub fn new() -> LaneCompressors {
        let still = || Smoothed::new(1.0, 1.0, 1.0);
        let mut lanes = LaneCompressors {
            runs: [false; SIDE_BY_SIDE],
            keyed: [false; SIDE_BY_SIDE],
            knee_start: [f32::INFINITY; SIDE_BY_SIDE],
            threshold: [0.0; SIDE_BY_SIDE],
            knee: [0.0; SIDE_BY_SIDE],
            slope: [1.0; SIDE_BY_SIDE],
            bend: [0.0; SIDE_BY_SIDE],
            attack: [0.0; SIDE_BY_SIDE],
            release: [0.0; SIDE_BY_SIDE],
            reduction: [0.0; SIDE_BY_SIDE],
            peak: [0.0; SIDE_BY_SIDE],
            makeup: std::array::from_fn(|_| still()),
            engaged: std::array::from_fn(|_| still()),
        };
        lanes.clear();
        lanes
    }

    /// Every strip passes through.
    pub fn clear(&mut self) {
        self.runs = [false; SIDE_BY_SIDE];
        self.keyed = [false; SIDE_BY_SIDE];
        self.knee_start = [f32::INFINITY; SIDE_BY_SIDE];
        self.reduction = [0.0; SIDE_BY_SIDE];
        self.peak = [0.0; SIDE_BY_SIDE];
    }

    /// Runs `compressor` as compressor `j`, its detector hearing the key levels given
    /// to `process` if `keyed`. A compressor out of circuit that has faded out is left
    /// alone (and the strip passes through), as `process_keyed` leaves it.
    pub fn load(&mut self, j: usize, compressor: &mut Compressor, keyed: bool) {
        if j >= SIDE_BY_SIDE {
            return;
        }
        if compressor.is_out() {
            compressor.reduction_db = 0.0;
            return;
        }
        let curve = compressor.curve;
        self.runs[j] = true;
        self.keyed[j] = keyed;
        self.knee_start[j] = compressor.knee_start;
        self.threshold[j] = curve.threshold;
        self.knee[j] = curve.knee;
        self.slope[j] = curve.slope;
        self.bend[j] = curve.bend;
        self.attack[j] = compressor.attack;
        self.release[j] = compressor.release;
        self.reduction[j] = compressor.reduction_db;
        self.peak[j] = compressor.peak_reduction_db;
        self.makeup[j] = compressor.makeup.clone();
        self.engaged[j] = compressor.engaged.clone();
    }

    /// Hands compressor `j`'s state back after `process`.
    pub fn store(&self, j: usize, compressor: &mut Compressor) {
        if j < SIDE_BY_SIDE && self.runs[j] {
            compressor.reduction_db = self.reduction[j];
            compressor.peak_reduction_db = self.peak[j];
            compressor.makeup = self.makeup[j].clone();
            compressor.engaged = self.engaged[j].clone();
        }
    }

    /// Runs the compressors over `first` and `second` (empty, or as long as `first`).
    /// `keys` holds, frame by frame, the level each keyed compressor's detector hears
    /// (the louder side of its key).
    /// Compressors `j >= STRIPS` have no strip without `second`: they do not run, and
    /// their state is left as it is.
    pub fn process(&mut self, first: &mut [LaneFrame], second: &mut [LaneFrame], keys: &[Levels]) {
        if !self.runs.contains(&true) {
            return;
        }
        if !second.is_empty() || !self.runs[STRIPS..].contains(&true) {
            self.dispatch(first, second, keys);
            return;
        }
        // Every path then sees them as not running: no detector, glide or reduction of
        // theirs moves.
        let (runs, knee_start, reduction) = (self.runs, self.knee_start, self.reduction);
        self.runs[STRIPS..].fill(false);
        self.knee_start[STRIPS..].fill(f32::INFINITY);
        self.reduction[STRIPS..].fill(0.0);
        if self.runs.contains(&true) {
            self.dispatch(first, &mut [], keys);
        }
        self.runs = runs;
        self.knee_start = knee_start;
        self.reduction[STRIPS..].copy_from_slice(&reduction[STRIPS..]);
    }

    fn dispatch(&mut self, first: &mut [LaneFrame], second: &mut [LaneFrame], keys: &[Levels]) {
        let n = first.len();
        debug_assert!(second.is_empty() || second.len() == n);
        debug_assert!(!self.keyed.contains(&true) || keys.len() >= n);
        #[cfg(target_arch = "x86_64")]
        {
            let few = self.runs.iter().filter(|&&r| r).count() <= FEW;
            if !few
                && keys.len() >= n
                && (second.is_empty() || second.len() == n)
                && std::arch::is_x86_feature_detected!("avx2")
            {
                // SAFETY: the CPU has just been seen to have AVX2; the lengths were
                // checked.
                unsafe { self.process_avx2(first, second, keys) };
                return;
            }
            if std::arch::is_x86_feature_detected!("avx") {
                // SAFETY: the CPU has just been seen to have AVX.
                unsafe { self.process_few_avx(first, second, keys) };
                return;
            }
        }
        self.process_few(first, second, keys);
    }

    /// `process` for a few compressors, with 256-bit vectors (no FMA: the scalar
    /// path's bits): each one's detector, curve and gain worked out along the frames,
    /// so the work scales with the compressors that run rather than the eight places.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn process_few_avx(
        &mut self,
        first: &mut [LaneFrame],
        second: &mut [LaneFrame],
        keys: &[Levels],
    ) {
        self.process_few(first, second, keys);
    }

    #[inline(always)]
    fn process_few(&mut self, first: &mut [LaneFrame], second: &mut [LaneFrame], keys: &[Levels]) {
        let n = first.len();
        let mut at = 0;
        while at < n {
            let len = CHUNK.min(n - at);
            let second = second.get_mut(at..at + len).unwrap_or(&mut []);
            self.few_chunk(
                &mut first[at..at + len],
                second,
                keys.get(at..).unwrap_or(&[]),
            );
            at += len;
        }
    }

    /// The smoothed reduction of compressor `j` over a chunk whose target is zero
    /// throughout: `0 + release · (r - 0)` is exactly `release · r`, and it only falls,
    /// so the chain is a bare multiply and the settling to zero is found afterwards
    /// (every value before the first one below `SETTLED_DB` was above it). The same
    /// values as the general recurrence, in a third of its time.
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
    fn few_chunk(&mut self, first: &mut [LaneFrame], second: &mut [LaneFrame], keys: &[Levels]) {
        let n = first.len();
        // A compressor whose strip is missing (no second signal) does not run.
        let running: [bool; SIDE_BY_SIDE] =
            std::array::from_fn(|j| self.runs[j] && (j < STRIPS || second.len() == n));
        // What each detector hears, compressor by compressor.
        let mut level = [[0.0f32; CHUNK]; SIDE_BY_SIDE];
        for (h, frames) in [&*first, &*second].into_iter().enumerate() {
            let hears = |s: usize| running[h * STRIPS + s] && !self.keyed[h * STRIPS + s];
            if !(0..STRIPS).any(hears) {
                continue;
            }
            let mut louder = [[0.0f32; STRIPS]; CHUNK];
            for (louder, frame) in louder.iter_mut().zip(frames.iter()) {
                for s in 0..STRIPS {
                    louder[s] = frame[s].abs().max(frame[s + STRIPS].abs());
                }
            }
            for s in (0..STRIPS).filter(|&s| hears(s)) {
                for (level, louder) in level[h * STRIPS + s].iter_mut().zip(&louder[..n]) {
                    *level = louder[s];
                }
            }
        }
        for j in (0..SIDE_BY_SIDE).filter(|&j| running[j] && self.keyed[j]) {
            for (level, key) in level[j].iter_mut().zip(keys) {
                *level = key[j];
            }
        }
        // The reduction the static curve asks for, frame by frame. A chunk that never
        // passes the knee asks for none: no logarithm is taken.
        let mut target = [[0.0f32; CHUNK]; SIDE_BY_SIDE];
        let mut asks = [false; SIDE_BY_SIDE];
        for j in (0..SIDE_BY_SIDE).filter(|&j| running[j]) {
            let loudest = level[j][..n].iter().fold(0.0f32, |m, &x| m.max(x));
            if loudest <= self.knee_start[j] {
                continue;
            }
            asks[j] = true;
            let curve = self.curve(j);
            let start = self.knee_start[j];
            for (target, &level) in target[j].iter_mut().zip(&level[j]) {
                let input_db = fast_gain_to_db(level);
                let wanted = (input_db - curve.output_db(input_db)).max(0.0);
                *target = if level > start { wanted } else { 0.0 };
            }
        }
        // The smoothed reduction: the only stage that waits on the frame before. A
        // compressor with none to release and none asked for stays at exactly zero.
        let smooths: [bool; SIDE_BY_SIDE] =
            std::array::from_fn(|j| running[j] && (asks[j] || self.reduction[j] != 0.0));
        let mut reduces = [false; SIDE_BY_SIDE];
        if asks.contains(&true) {
            let (mut reduction, attack, release) = (self.reduction, self.attack, self.release);
            let mut most = [0.0f32; SIDE_BY_SIDE];
            let mut smoothed = [[0.0f32; SIDE_BY_SIDE]; CHUNK];
            for (i, smoothed) in smoothed[..n].iter_mut().enumerate() {
                for j in 0..SIDE_BY_SIDE {
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
            for j in (0..SIDE_BY_SIDE).filter(|&j| smooths[j]) {
                self.reduction[j] = reduction[j];
                self.peak[j] = self.peak[j].max(most[j]);
                reduces[j] = most[j] != 0.0;
                for (target, smoothed) in target[j].iter_mut().zip(&smoothed[..n]) {
                    *target = smoothed[j];
                }
            }
        } else {
            for j in (0..SIDE_BY_SIDE).filter(|&j| smooths[j]) {
                self.release_only(j, &mut target[j][..n]);
                reduces[j] = target[j][0] != 0.0;
            }
        }
        // The gain: a compressor whose reduction stayed at zero and whose glides have
        // settled has one gain for the whole chunk, 1 + engaged · (make-up - 1) (and
        // nothing to do at unity).
        let mut gains = [[1.0f32; SIDE_BY_SIDE]; CHUNK];
        let mut scales = [false; 2];
        for j in (0..SIDE_BY_SIDE).filter(|&j| running[j]) {
            let (makeup, engaged) = (&mut self.makeup[j], &mut self.engaged[j]);
            if !reduces[j] && makeup.is_settled() && engaged.is_settled() {
                let gain = 1.0 + engaged.value() * (makeup.value() - 1.0);
                if gain != 1.0 {
                    gains[..n].iter_mut().for_each(|g| g[j] = gain);
                    scales[j / STRIPS] = true;
                }
                continue;
            }
            scales[j / STRIPS] = true;
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
        for (h, frames) in [first, second].into_iter().enumerate() {
            if !scales[h] {
                continue;
            }
            for (frame, gain) in frames.iter_mut().zip(&gains) {
                for s in 0..STRIPS {
                    frame[s] *= gain[h * STRIPS + s];
                    frame[s + STRIPS] *= gain[h * STRIPS + s];
                }
            }
        }
    }

    fn curve(&self, j: usize) -> Curve {
        Curve {
            threshold: self.threshold[j],
            knee: self.knee[j],
            slope: self.slope[j],
            bend: self.bend[j],
        }
    }

    /// A compressor at a time, a frame at a time, exactly as `Compressor::process_keyed`:
    /// the reference the faster paths are checked against.
    #[cfg(test)]
    fn process_portable(
        &mut self,
        first: &mut [LaneFrame],
        second: &mut [LaneFrame],
        keys: &[Levels],
    ) {
        for j in (0..SIDE_BY_SIDE).filter(|&j| self.runs[j]) {
            let (frames, lane) = if j < STRIPS {
                (&mut *first, j)
            } else {
                (&mut *second, j - STRIPS)
            };
            let curve = self.curve(j);
            let (mut r, mut peak) = (self.reduction[j], self.peak[j]);
            for (i, frame) in frames.iter_mut().enumerate() {
                let level = if self.keyed[j] {
                    keys.get(i).map_or(0.0, |k| k[j])
                } else {
                    frame[lane].abs().max(frame[lane + STRIPS].abs())
                };
                let target = if level > self.knee_start[j] {
                    let input_db = fast_gain_to_db(level);
                    (input_db - curve.output_db(input_db)).max(0.0)
                } else {
                    0.0
                };
                let coefficient = if target > r {
                    self.attack[j]
                } else {
                    self.release[j]
                };
                r = target + coefficient * (r - target);
                if r < SETTLED_DB {
                    r = 0.0;
                }
                peak = peak.max(r);
                let reduced = if r == 0.0 { 1.0 } else { fast_db_to_gain(-r) };
                let wet = reduced * self.makeup[j].next_value();
                let gain = 1.0 + self.engaged[j].next_value() * (wet - 1.0);
                frame[lane] *= gain;
                frame[lane + STRIPS] *= gain;
            }
            self.reduction[j] = r;
            self.peak[j] = peak;
        }
    }

    /// `process` with a frame of all eight compressors in one 256-bit vector: every
    /// operation is the IEEE one of the scalar paths (no FMA), so the bits are its.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn process_avx2(&mut self, first: &mut [LaneFrame], second: &mut [LaneFrame], keys: &[Levels]) {
        use std::arch::x86_64::*;
        let n = first.len();
        let two = !second.is_empty();
        let any_keyed = self.keyed.contains(&true);
        let keyed: Levels = std::array::from_fn(|j| if self.keyed[j] { -1.0 } else { 0.0 });
        // SAFETY (every load and store of this function): each array read or written is
        // a `[f32; 8]`, a whole 256-bit vector, and every frame index is below `n`,
        // which the caller saw is within `first`, `second` (when it is not empty) and
        // `keys`.
        let ld = |x: &Levels| unsafe { _mm256_loadu_ps(x.as_ptr()) };
        let keyed = ld(&keyed);
        let knee_start = ld(&self.knee_start);
        let knee = ld(&self.knee);
        let curve = LaneCurve {
            threshold: ld(&self.threshold),
            knee,
            // Exactly `knee / 2.0`, as the scalar curve has it.
            half_knee: _mm256_mul_ps(knee, _mm256_set1_ps(0.5)),
            slope: ld(&self.slope),
            bend: ld(&self.bend),
        };
        let (attack, release) = (ld(&self.attack), ld(&self.release));
        let mut reduction = ld(&self.reduction);
        let mut most = _mm256_setzero_ps();
        let sign = _mm256_set1_ps(-0.0);
        let mut levels = [_mm256_setzero_ps(); CHUNK];
        // Two chunks in flight: while one chunk's reductions are smoothed (a chain of
        // short dependent steps), the gains of the chunk before, whose reductions are
        // known, are worked out beside them (long but independent steps), so the two
        // overlap. `pending` is the chunk whose gains are still to come: which of the
        // two places holds it, where it starts and how long it is.
        let mut reductions = [[_mm256_setzero_ps(); CHUNK]; 2];
        let mut glides = [Glides::steady(self), Glides::steady(self)];
        let mut pending: Option<(usize, usize, usize)> = None;
        let mut slot = 0;
        let mut at = 0;
        while at < n {
            let len = CHUNK.min(n - at);
            // What each detector hears, and whether any passes its knee.
            let mut loudest = _mm256_setzero_ps();
            for (i, level) in levels[..len].iter_mut().enumerate() {
                let louder = |frame: &LaneFrame| {
                    let x = _mm256_andnot_ps(sign, unsafe { _mm256_loadu_ps(frame.as_ptr()) });
                    let (left, right) = (_mm256_castps256_ps128(x), _mm256_extractf128_ps::<1>(x));
                    // `f32::max` on a NaN side: the other side (`_mm_max_ps` would give
                    // `right` whenever either is NaN).
                    _mm_blendv_ps(_mm_max_ps(left, right), left, _mm_cmpunord_ps(right, right))
                };
                let low = louder(&first[at + i]);
                let high = if two {
                    louder(&second[at + i])
                } else {
                    _mm_setzero_ps()
                };
                let mut x = _mm256_set_m128(high, low);
                if any_keyed {
                    x = _mm256_blendv_ps(x, ld(&keys[at + i]), keyed);
                }
                *level = x;
                // A NaN level leaves the loudest as it was, as `f32::max` does.
                loudest = _mm256_max_ps(x, loudest);
            }
            let asks = _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(loudest, knee_start)) != 0;
            let resting =
                _mm256_movemask_ps(_mm256_cmp_ps::<_CMP_NEQ_UQ>(reduction, _mm256_setzero_ps()))
                    == 0;
            let gliding = (0..SIDE_BY_SIDE).any(|j| {
                self.runs[j] && !(self.makeup[j].is_settled() && self.engaged[j].is_settled())
            });
            let steady = !asks && resting && !gliding;
            if let Some((p, from, count)) = pending.filter(|_| steady) {
                pending = None;
                let frames = halves(first, second, from, count);
                gains_pass(frames, &reductions[p][..count], &glides[p]);
            }
            if steady {
                // No reduction and no glide: one gain a compressor for the whole chunk.
                let gains: Levels = std::array::from_fn(|j| {
                    if self.runs[j] {
                        1.0 + self.engaged[j].value() * (self.makeup[j].value() - 1.0)
                    } else {
                        1.0
                    }
                });
                if gains != [1.0; SIDE_BY_SIDE] {
                    let gains = ld(&gains);
                    let (first, second) = halves(first, second, at, len);
                    for i in 0..len {
                        apply_gain(first, second, i, gains);
                    }
                }
            } else {
                glides[slot] = Glides::steady(self);
                if gliding {
                    glides[slot].lay_out(self, len);
                }
                let [even, odd] = &mut reductions;
                let (current, previous) = if slot == 0 {
                    (&mut even[..len], &*odd)
                } else {
                    (&mut odd[..len], &*even)
                };
                if asks {
                    for (target, &level) in current.iter_mut().zip(&levels[..len]) {
                        *target = curve.target(level, knee_start);
                    }
                } else {
                    current.fill(_mm256_setzero_ps());
                }
                let smoothing = Smoothing {
                    attack,
                    release,
                    reduction: &mut reduction,
                    most: &mut most,
                };
                match pending {
                    Some((p, from, count)) => smoothing.run_beside(
                        current,
                        halves(first, second, from, count),
                        &previous[..count],
                        &glides[p],
                    ),
                    None => smoothing.run_beside(current, (&mut [], &mut []), &[], &glides[slot]),
                }
                pending = Some((slot, at, len));
                slot ^= 1;
            }
            at += len;
        }
        if let Some((p, from, count)) = pending {
            let frames = halves(first, second, from, count);
            gains_pass(frames, &reductions[p][..count], &glides[p]);
        }
        let mut stored = [0.0; SIDE_BY_SIDE];
        // SAFETY: `stored` is a whole vector.
        unsafe { _mm256_storeu_ps(stored.as_mut_ptr(), reduction) };
        let mut peaks = [0.0; SIDE_BY_SIDE];
        // SAFETY: `peaks` is a whole vector.
        unsafe { _mm256_storeu_ps(peaks.as_mut_ptr(), _mm256_max_ps(ld(&self.peak), most)) };
        for j in (0..SIDE_BY_SIDE).filter(|&j| self.runs[j]) {
            self.reduction[j] = stored[j];
            self.peak[j] = peaks[j];
        }
    }
}

/// The make-up and engaged glides' values over a chunk, frame by frame, or one value a
/// compressor when none of them moves.
#[cfg(target_arch = "x86_64")]
struct Glides {
    makeup: Levels,
    engaged: Levels,
    moving: Option<([Levels; CHUNK], [Levels; CHUNK])>,
}

#[cfg(target_arch = "x86_64")]
impl Glides {
    /// A compressor that does not run has make-up 1 and is out of circuit: its gain is
    /// exactly 1.
    fn steady(lanes: &LaneCompressors) -> Glides {
        Glides {
            makeup: std::array::from_fn(|j| {
                if lanes.runs[j] {
                    lanes.makeup[j].value()
                } else {
                    1.0
                }
            }),
            engaged: std::array::from_fn(|j| {
                if lanes.runs[j] {
                    lanes.engaged[j].value()
                } else {
                    0.0
                }
            }),
            moving: None,
        }
    }

    /// The gain at frame `i` of the chunk for a smoothed reduction `r`.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn gain(&self, r: std::arch::x86_64::__m256, i: usize) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        // SAFETY: every `Levels` is a whole vector.
        let ld = |x: &Levels| unsafe { _mm256_loadu_ps(x.as_ptr()) };
        let one = _mm256_set1_ps(1.0);
        let reduced = lane_db_to_gain(_mm256_xor_ps(r, _mm256_set1_ps(-0.0)));
        let reduced = _mm256_blendv_ps(
            reduced,
            one,
            _mm256_cmp_ps::<_CMP_EQ_OQ>(r, _mm256_setzero_ps()),
        );
        let (makeup, engaged) = match &self.moving {
            Some((makeups, engageds)) => (ld(&makeups[i]), ld(&engageds[i])),
            None => (ld(&self.makeup), ld(&self.engaged)),
        };
        let wet = _mm256_mul_ps(reduced, makeup);
        _mm256_add_ps(one, _mm256_mul_ps(engaged, _mm256_sub_ps(wet, one)))
    }

    /// Steps the glides through `len` frames.
    fn lay_out(&mut self, lanes: &mut LaneCompressors, len: usize) {
        let mut makeups = [self.makeup; CHUNK];
        let mut engageds = [self.engaged; CHUNK];
        for j in (0..SIDE_BY_SIDE).filter(|&j| lanes.runs[j]) {
            for (glide, values) in [
                (&mut lanes.makeup[j], &mut makeups),
                (&mut lanes.engaged[j], &mut engageds),
            ] {
                if !glide.is_settled() {
                    values[..len]
                        .iter_mut()
                        .for_each(|v| v[j] = glide.next_value());
                }
            }
        }
        self.moving = Some((makeups, engageds));
    }
}

/// `Curve`'s values for eight compressors.
#[cfg(target_arch = "x86_64")]
struct LaneCurve {
    threshold: std::arch::x86_64::__m256,
    knee: std::arch::x86_64::__m256,
    half_knee: std::arch::x86_64::__m256,
    slope: std::arch::x86_64::__m256,
    bend: std::arch::x86_64::__m256,
}

#[cfg(target_arch = "x86_64")]
impl LaneCurve {
    /// `Curve::output_db`, each branch worked out and one picked.
    #[target_feature(enable = "avx2")]
    #[inline]
    fn output_db(&self, input_db: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        let over = _mm256_sub_ps(input_db, self.threshold);
        let bent = _mm256_add_ps(over, self.half_knee);
        let knee = _mm256_add_ps(
            input_db,
            _mm256_mul_ps(self.bend, _mm256_mul_ps(bent, bent)),
        );
        let above = _mm256_add_ps(self.threshold, _mm256_mul_ps(over, self.slope));
        let twice = _mm256_mul_ps(_mm256_set1_ps(2.0), over);
        let below =
            _mm256_cmp_ps::<_CMP_LT_OQ>(twice, _mm256_xor_ps(self.knee, _mm256_set1_ps(-0.0)));
        let within = _mm256_and_ps(
            _mm256_cmp_ps::<_CMP_LE_OQ>(_mm256_andnot_ps(_mm256_set1_ps(-0.0), twice), self.knee),
            _mm256_cmp_ps::<_CMP_GT_OQ>(self.knee, _mm256_setzero_ps()),
        );
        _mm256_blendv_ps(_mm256_blendv_ps(above, knee, within), input_db, below)
    }
}

#[cfg(target_arch = "x86_64")]
impl LaneCurve {
    /// The reduction the curve asks for at a detector `level`: none at or below
    /// `knee_start` (the level where the knee begins).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn target(
        &self,
        level: std::arch::x86_64::__m256,
        knee_start: std::arch::x86_64::__m256,
    ) -> std::arch::x86_64::__m256 {
        use std::arch::x86_64::*;
        let input_db = lane_gain_to_db(level);
        let wanted = _mm256_max_ps(
            _mm256_sub_ps(input_db, self.output_db(input_db)),
            _mm256_setzero_ps(),
        );
        _mm256_and_ps(_mm256_cmp_ps::<_CMP_GT_OQ>(level, knee_start), wanted)
    }
}

/// `fast_gain_to_db` on eight values, operation for operation.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn lane_gain_to_db(x: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let bits = _mm256_castps_si256(_mm256_max_ps(x, _mm256_set1_ps(1e-30)));
    let exponent = _mm256_sub_epi32(
        _mm256_and_si256(_mm256_srli_epi32::<23>(bits), _mm256_set1_epi32(0xFF)),
        _mm256_set1_epi32(127),
    );
    let mantissa = _mm256_castsi256_ps(_mm256_or_si256(
        _mm256_and_si256(bits, _mm256_set1_epi32(0x007F_FFFF)),
        _mm256_set1_epi32(0x3F80_0000),
    ));
    let one = _mm256_set1_ps(1.0);
    let t = _mm256_div_ps(_mm256_sub_ps(mantissa, one), _mm256_add_ps(mantissa, one));
    let t2 = _mm256_mul_ps(t, t);
    let term = |c: f32, inner| _mm256_add_ps(_mm256_set1_ps(c), _mm256_mul_ps(t2, inner));
    let series = _mm256_mul_ps(
        t,
        term(
            1.0,
            term(1.0 / 3.0, term(1.0 / 5.0, _mm256_set1_ps(1.0 / 7.0))),
        ),
    );
    let log2 = _mm256_add_ps(
        _mm256_cvtepi32_ps(exponent),
        _mm256_mul_ps(series, _mm256_set1_ps(2.0 * std::f32::consts::LOG2_E)),
    );
    _mm256_mul_ps(log2, _mm256_set1_ps(20.0 / std::f32::consts::LOG2_10))
}

/// `fast_db_to_gain` on eight values, operation for operation.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn lane_db_to_gain(db: std::arch::x86_64::__m256) -> std::arch::x86_64::__m256 {
    use std::arch::x86_64::*;
    let x = _mm256_mul_ps(db, _mm256_set1_ps(std::f32::consts::LOG2_10 / 20.0));
    let x = _mm256_min_ps(
        _mm256_max_ps(x, _mm256_set1_ps(-126.0)),
        _mm256_set1_ps(126.0),
    );
    const ROUND: f32 = 12_582_912.0;
    let shifted = _mm256_add_ps(x, _mm256_set1_ps(ROUND));
    let nearest = _mm256_sub_ps(shifted, _mm256_set1_ps(ROUND));
    let above = _mm256_cmp_ps::<_CMP_GT_OQ>(nearest, x);
    let whole = _mm256_blendv_ps(nearest, _mm256_sub_ps(nearest, _mm256_set1_ps(1.0)), above);
    // The mask is -1 where the nearest whole number was above x: one less.
    let k = _mm256_add_epi32(
        _mm256_sub_epi32(
            _mm256_castps_si256(shifted),
            _mm256_set1_epi32(ROUND.to_bits() as i32),
        ),
        _mm256_castps_si256(above),
    );
    let f = _mm256_mul_ps(
        _mm256_sub_ps(x, whole),
        _mm256_set1_ps(std::f32::consts::LN_2),
    );
    let term = |c: f32, inner| _mm256_add_ps(_mm256_set1_ps(c), _mm256_mul_ps(f, inner));
    let innermost = _mm256_add_ps(
        _mm256_set1_ps(1.0 / 120.0),
        _mm256_div_ps(f, _mm256_set1_ps(720.0)),
    );
    let poly = term(
        1.0,
        term(1.0, term(0.5, term(1.0 / 6.0, term(1.0 / 24.0, innermost)))),
    );
    let scale = _mm256_castsi256_ps(_mm256_slli_epi32::<23>(_mm256_add_epi32(
        k,
        _mm256_set1_epi32(127),
    )));
    _mm256_mul_ps(poly, scale)
}

/// Compressor `j`'s gain on strip `j` of `first`'s frame `i` (`j < STRIPS`) or of
/// `second`'s (an empty `second` has none).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn apply_gain(
    first: &mut [LaneFrame],
    second: &mut [LaneFrame],
    i: usize,
    gains: std::arch::x86_64::__m256,
) {
    use std::arch::x86_64::*;
    let scale = |frame: &mut LaneFrame, gain: __m256| {
        // SAFETY: a lane frame is a whole vector.
        unsafe {
            let x = _mm256_loadu_ps(frame.as_ptr());
            _mm256_storeu_ps(frame.as_mut_ptr(), _mm256_mul_ps(x, gain));
        }
    };
    scale(&mut first[i], _mm256_permute2f128_ps::<0x00>(gains, gains));
    if let Some(frame) = second.get_mut(i) {
        scale(frame, _mm256_permute2f128_ps::<0x11>(gains, gains));
    }
}

/// Frames `from..from + count` of `first` and of `second` (none if it is empty).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn halves<'a>(
    first: &'a mut [LaneFrame],
    second: &'a mut [LaneFrame],
    from: usize,
    count: usize,
) -> (&'a mut [LaneFrame], &'a mut [LaneFrame]) {
    let second = second.get_mut(from..from + count).unwrap_or(&mut []);
    (&mut first[from..from + count], second)
}

/// The smoothed reductions' state and settings, for eight compressors.
#[cfg(target_arch = "x86_64")]
struct Smoothing<'a> {
    attack: std::arch::x86_64::__m256,
    release: std::arch::x86_64::__m256,
    reduction: &'a mut std::arch::x86_64::__m256,
    most: &'a mut std::arch::x86_64::__m256,
}

#[cfg(target_arch = "x86_64")]
impl Smoothing<'_> {
    /// Turns the targets in `values` into smoothed reductions, frame by frame, and
    /// beside them puts the gains for the reductions `before` on `frames` (as many).
    #[target_feature(enable = "avx2")]
    #[inline]
    fn run_beside(
        self,
        values: &mut [std::arch::x86_64::__m256],
        frames: (&mut [LaneFrame], &mut [LaneFrame]),
        before: &[std::arch::x86_64::__m256],
        glides: &Glides,
    ) {
        use std::arch::x86_64::*;
        let settled = _mm256_set1_ps(SETTLED_DB);
        let (attack, release) = (self.attack, self.release);
        let (mut r, mut peak) = (*self.reduction, *self.most);
        let mut step = |target: __m256| {
            let rising = _mm256_cmp_ps::<_CMP_GT_OQ>(target, r);
            let coefficient = _mm256_blendv_ps(release, attack, rising);
            r = _mm256_add_ps(target, _mm256_mul_ps(coefficient, _mm256_sub_ps(r, target)));
            r = _mm256_andnot_ps(_mm256_cmp_ps::<_CMP_LT_OQ>(r, settled), r);
            peak = _mm256_max_ps(peak, r);
            r
        };
        let (first, second) = frames;
        let both = values.len().min(before.len());
        for (i, value) in values[..both].iter_mut().enumerate() {
            *value = step(*value);
            apply_gain(first, second, i, glides.gain(before[i], i));
        }
        for value in values[both..].iter_mut() {
            *value = step(*value);
        }
        for (i, &before) in before.iter().enumerate().skip(both) {
            apply_gain(first, second, i, glides.gain(before, i));
        }
        *self.reduction = r;
        *self.most = peak;
    }
}

/// The gains for the smoothed `reductions` on `frames` (as many).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
#[inline]
fn gains_pass(
    (first, second): (&mut [LaneFrame], &mut [LaneFrame]),
    reductions: &[std::arch::x86_64::__m256],
    glides: &Glides,
) {
    for (i, &r) in reductions.iter().enumerate() {
        apply_gain(first, second, i, glides.gain(r, i));
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

    /// Lanes `0..2 * LANES` as two lane signals: lane `k` of the first is lane `k`,
    /// lane `k` of the second is lane `LANES + k`.
    type TwoSignals = (Vec<LaneFrame>, Vec<LaneFrame>);

    fn two_signals(n: usize, signal: impl Fn(usize) -> Vec<f32>) -> TwoSignals {
        let lanes: Vec<Vec<f32>> = (0..2 * LANES).map(signal).collect();
        let frames = |from: usize| -> Vec<LaneFrame> {
            (0..n)
                .map(|i| std::array::from_fn(|k| lanes[from + k][i]))
                .collect()
        };
        (frames(0), frames(LANES))
    }

    /// The lanes of compressor `j`'s left and right side among `two_signals`' lanes.
    fn sides(j: usize) -> (usize, usize) {
        let left = j + STRIPS * (j / STRIPS);
        (left, left + STRIPS)
    }

    /// Every sample's bits, the first signal's frames then the second's.
    fn bits(signals: &TwoSignals) -> Vec<u32> {
        let (first, second) = signals;
        first
            .iter()
            .chain(second)
            .flatten()
            .map(|x| x.to_bits())
            .collect()
    }

    fn lane_of(signals: &TwoSignals, lane: usize, i: usize) -> f32 {
        if lane < LANES {
            signals.0[i][lane]
        } else {
            signals.1[i][lane - LANES]
        }
    }

    #[test]
    fn compressors_side_by_side_give_the_samples_of_each_run_alone() {
        let quick = CompressorSettings {
            threshold_db: -30.0,
            ratio: 10.0,
            knee_db: 0.0,
            attack_ms: 1.0,
            ..CompressorSettings::default()
        };
        let made_up = CompressorSettings {
            threshold_db: -12.0,
            ratio: 2.0,
            knee_db: 12.0,
            makeup_db: 4.0,
            ..CompressorSettings::default()
        };
        let settings = [
            CompressorSettings::default(),
            quick,
            made_up,
            CompressorSettings::default(),
            CompressorSettings {
                attack_ms: 3.0,
                ..made_up
            },
            CompressorSettings {
                release_ms: 20.0,
                ..quick
            },
            CompressorSettings {
                threshold_db: -24.0,
                knee_db: 3.0,
                ..CompressorSettings::default()
            },
            made_up,
        ];
        let keyed = |j: usize| j == 1 || j == 6;
        let make = || -> Vec<Compressor> {
            settings
                .iter()
                .enumerate()
                .map(|(j, &s)| {
                    let mut c = compressor(s);
                    match j {
                        // Make-up gliding from 0 dB.
                        2 | 7 => c.makeup.snap(1.0),
                        // Fading out of circuit.
                        3 => c.set_bypass(true, false),
                        // Fading into circuit.
                        4 => c.set_bypass(true, true),
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
        let key: Vec<f32> = signal(2 * LANES + 1).iter().map(|x| x.abs()).collect();
        // All eight over two signals; then, over the same two, a few (one or two, one
        // keyed, one on each signal), as a full group whose other strips have none runs
        // them: the strips without a compressor pass through.
        let all: Vec<usize> = (0..SIDE_BY_SIDE).collect();
        for loaded in [vec![1, 6], vec![6], all] {
            let mut alone = make();
            let mut together = make();
            together[4].set_bypass(false, false);
            alone[4].set_bypass(false, false);
            let mut frames = two_signals(n, signal);
            let keys: Vec<Levels> = key
                .iter()
                .map(|&k| std::array::from_fn(|j| if keyed(j) { k } else { 0.0 }))
                .collect();
            let mut lanes = LaneCompressors::new();
            let blocks = [0..1_000, 1_000..1_077, 1_077..n];
            for block in blocks.clone() {
                lanes.clear();
                for &j in &loaded {
                    lanes.load(j, &mut together[j], keyed(j));
                }
                lanes.process(
                    &mut frames.0[block.clone()],
                    &mut frames.1[block.clone()],
                    &keys[block],
                );
                for &j in &loaded {
                    lanes.store(j, &mut together[j]);
                }
            }
            for j in 0..SIDE_BY_SIDE {
                let c = &mut alone[j];
                let (left, right) = sides(j);
                let (mut l, mut r) = (signal(left), signal(right));
                for block in blocks.clone().into_iter().filter(|_| loaded.contains(&j)) {
                    let key = keyed(j).then_some((&key[block.clone()], &key[block.clone()]));
                    c.process_keyed(&mut l[block.clone()], &mut r[block], key);
                }
                for i in 0..n {
                    let (x, y) = (lane_of(&frames, left, i), lane_of(&frames, right, i));
                    assert_eq!(x.to_bits(), l[i].to_bits(), "strip {j} frame {i}");
                    assert_eq!(y.to_bits(), r[i].to_bits());
                }
                let peaks = (
                    c.take_peak_reduction_db(),
                    together[j].take_peak_reduction_db(),
                );
                assert_eq!(peaks.0, peaks.1, "strip {j}");
                assert_eq!(c.gain_reduction_db(), together[j].gain_reduction_db());
            }
            assert!(
                alone[6].gain_reduction_db() > 1.0,
                "the key drove the detector"
            );
            if loaded.len() == SIDE_BY_SIDE {
                assert!(
                    alone[1].gain_reduction_db() > 1.0,
                    "the key drove the detector"
                );
                assert!(alone[3].is_idle(), "faded out");
            }
        }
    }

    #[test]
    fn chunks_below_the_knee_and_pure_releases_give_the_samples_of_a_run_alone() {
        // Short releases, so the reduction lands on zero inside the gaps; a quiet signal
        // below the knee between the bursts; one strip at unity make-up (its gain is
        // skipped), one with make-up (a steady gain), one out of circuit. A few, then
        // four, run over one lane signal, as a part-full group has it; eight over two.
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
        for count in [FEW, STRIPS, SIDE_BY_SIDE] {
            let make = || -> Vec<Compressor> {
                (0..count)
                    .map(|j| {
                        let mut c = compressor(settings[j % STRIPS]);
                        c.set_bypass(j == 2, true);
                        c
                    })
                    .collect()
            };
            let n = 6_000;
            let signal = |lane: usize| -> Vec<f32> {
                (0..n)
                    .map(|i| {
                        let level = match (i / 500 + lane % STRIPS + lane / LANES) % 4 {
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
            let mut frames = two_signals(n, signal);
            if count <= STRIPS {
                frames.1.clear();
            }
            let keys = vec![[0.0; SIDE_BY_SIDE]; n];
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
                let second = frames.1.get_mut(block.clone()).unwrap_or(&mut []);
                lanes.process(&mut frames.0[block.clone()], second, &keys[block.clone()]);
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
                let (left, right) = sides(j);
                let (mut l, mut r) = (signal(left), signal(right));
                c.process(&mut l, &mut r);
                for i in 0..n {
                    let (x, y) = (lane_of(&frames, left, i), lane_of(&frames, right, i));
                    assert_eq!(x.to_bits(), l[i].to_bits(), "strip {j} frame {i}");
                    assert_eq!(y.to_bits(), r[i].to_bits());
                }
                assert_eq!(
                    c.take_peak_reduction_db(),
                    together[j].take_peak_reduction_db()
                );
                assert_eq!(c.gain_reduction_db(), together[j].gain_reduction_db());
            }
        }
    }

    #[test]
    fn compressors_side_by_side_give_the_same_bits_on_the_portable_path() {
        let make = |count: usize| {
            let mut lanes = LaneCompressors::new();
            for j in 0..count {
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
        let input = two_signals(n, |lane| {
            (0..n)
                .map(|i| ((i * (lane + 2)) as f32 * 0.01).sin() * 0.9)
                .collect()
        });
        let keys: Vec<Levels> = (0..n)
            .map(|i| [if (i / 500) % 2 == 0 { 0.8 } else { 0.01 }; SIDE_BY_SIDE])
            .collect();
        for count in [FEW, STRIPS, SIDE_BY_SIDE] {
            let (mut dispatched, mut portable) = (input.clone(), input.clone());
            if count <= STRIPS {
                dispatched.1.clear();
                portable.1.clear();
            }
            make(count).process(&mut dispatched.0, &mut dispatched.1, &keys);
            make(count).process_portable(&mut portable.0, &mut portable.1, &keys);
            assert_eq!(bits(&dispatched), bits(&portable), "{count} compressors");
            assert_ne!(bits(&dispatched), bits(&input), "they compressed");
        }
    }

    #[test]
    fn compressors_on_a_missing_second_signal_are_left_as_they_are() {
        // Loaded with a reduction held and a make-up glide under way, for one of them a
        // loud key: with no second signal, none of that moves, whichever path the
        // compressors on the first signal take (one of them, or more than a few).
        let settings = CompressorSettings {
            threshold_db: -30.0,
            knee_db: 0.0,
            makeup_db: 2.0,
            ..CompressorSettings::default()
        };
        let squeezed = || {
            let mut c = compressor(settings);
            let (mut l, mut r) = (steady(-6.0, 2_000), steady(-6.0, 2_000));
            c.process(&mut l, &mut r);
            c.set(CompressorSettings {
                makeup_db: 8.0,
                ..settings
            });
            assert!(c.gain_reduction_db() > 10.0 && !c.makeup.is_settled());
            c
        };
        let n = 500;
        let signal = |lane: usize| -> Vec<f32> {
            (0..n)
                .map(|i| ((i * (lane + 3)) as f32 * 0.05).sin() * 0.8)
                .collect()
        };
        let keys = vec![[0.9f32; SIDE_BY_SIDE]; n];
        for on_first in [vec![0], vec![0, 1, 2]] {
            let mut lanes = LaneCompressors::new();
            let mut together: Vec<Compressor> = (0..SIDE_BY_SIDE).map(|_| squeezed()).collect();
            let missing = [STRIPS + 1, STRIPS + 2];
            for &j in on_first.iter().chain(&missing) {
                lanes.load(j, &mut together[j], j == STRIPS + 2);
            }
            let (mut first, _) = two_signals(n, signal);
            let input = first.clone();
            lanes.process(&mut first, &mut [], &keys);
            for &j in on_first.iter().chain(&missing) {
                lanes.store(j, &mut together[j]);
            }
            for &j in &missing {
                let mut fresh = squeezed();
                let c = &mut together[j];
                assert_eq!(c.gain_reduction_db(), fresh.gain_reduction_db(), "{j}");
                assert_eq!(c.take_peak_reduction_db(), fresh.take_peak_reduction_db());
                assert_eq!(c.makeup.value(), fresh.makeup.value(), "{j}");
                assert_eq!(c.engaged.value(), fresh.engaged.value(), "{j}");
            }
            for &j in &on_first {
                let mut alone = squeezed();
                let (left, right) = sides(j);
                let mut l: Vec<f32> = input.iter().map(|f| f[left]).collect();
                let mut r: Vec<f32> = input.iter().map(|f| f[right]).collect();
                alone.process(&mut l, &mut r);
                for i in 0..n {
                    assert_eq!(first[i][left].to_bits(), l[i].to_bits(), "{j} at {i}");
                    assert_eq!(first[i][right].to_bits(), r[i].to_bits(), "{j} at {i}");
                }
                assert_eq!(together[j].gain_reduction_db(), alone.gain_reduction_db());
            }
        }
    }

    #[test]
    fn a_nan_sample_is_heard_as_the_scalar_paths_hear_it() {
        // A NaN on one side of a loud strip: its detector hears the other side, as
        // `f32::max` has it, on every path.
        let make = || {
            let mut lanes = LaneCompressors::new();
            for j in 0..SIDE_BY_SIDE {
                let mut c = compressor(CompressorSettings {
                    threshold_db: -30.0,
                    knee_db: 0.0,
                    attack_ms: 0.1,
                    ..CompressorSettings::default()
                });
                lanes.load(j, &mut c, false);
            }
            lanes
        };
        let n = 200;
        let mut input = two_signals(n, |lane| {
            (0..n)
                .map(|i| ((i * (lane + 2)) as f32 * 0.03).sin() * 0.9)
                .collect()
        });
        for i in 40..80 {
            input.0[i][STRIPS] = f32::NAN;
            input.1[i][1] = f32::NAN;
        }
        let (mut dispatched, mut portable) = (input.clone(), input);
        let keys = vec![[0.0; SIDE_BY_SIDE]; n];
        let (mut lanes, mut reference) = (make(), make());
        lanes.process(&mut dispatched.0, &mut dispatched.1, &keys);
        reference.process_portable(&mut portable.0, &mut portable.1, &keys);
        assert_eq!(bits(&dispatched), bits(&portable));
        assert_eq!(lanes.reduction, reference.reduction);
        assert!(reference.reduction[0] > 10.0 && reference.reduction[STRIPS + 1] > 10.0);
        // Only one strip loud, and silenced by NaNs on both sides at the end of a
        // chunk: what it asked for before them still counts.
        let mut input = two_signals(n, |lane| {
            (0..n)
                .map(|i| {
                    let level = if lane % STRIPS == 0 && lane < LANES && i < 62 {
                        0.9
                    } else {
                        0.001
                    };
                    ((i * (lane + 2)) as f32 * 0.03).sin() * level
                })
                .collect()
        });
        for frame in &mut input.0[62..64] {
            frame[0] = f32::NAN;
            frame[STRIPS] = f32::NAN;
        }
        let (mut dispatched, mut portable) = (input.clone(), input);
        let (mut lanes, mut reference) = (make(), make());
        lanes.process(&mut dispatched.0, &mut dispatched.1, &keys);
        reference.process_portable(&mut portable.0, &mut portable.1, &keys);
        assert_eq!(bits(&dispatched), bits(&portable));
        assert!(reference.peak[0] > 10.0);
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
