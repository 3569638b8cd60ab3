//! A channel EQ: a Butterworth high-pass (12 or 24 dB per octave) and four parametric
//! bands (low shelf, two peaks, high shelf), in stereo.
//!
//! Settings glide: frequency (in octaves), gain (in dB) and Q move exponentially towards
//! their targets with a 10 ms time constant, the coefficients recomputed every 32 frames
//! while anything moves. A band at 0 dB is an exact identity and is skipped.

use super::biquad::{Cascade, Coefficients, LANE_SLOTS, LaneCascade, Shape, StereoBiquad};

const _: () = assert!(
    LANE_SLOTS >= 2 + BANDS,
    "a lane cascade holds every section"
);

pub const BANDS: usize = 4;
const SHAPES: [Shape; BANDS] = [Shape::LowShelf, Shape::Peak, Shape::Peak, Shape::HighShelf];
/// Frames between coefficient updates while a setting glides.
const CONTROL_FRAMES: usize = 32;
const GLIDE_SECONDS: f32 = 0.01;
/// Q of each section of a Butterworth high-pass of two and four poles.
const BUTTERWORTH_2: [f32; 1] = [std::f32::consts::FRAC_1_SQRT_2];
const BUTTERWORTH_4: [f32; 2] = [0.541_196_1, 1.306_563];

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BandSettings {
    pub freq: f32,
    pub gain_db: f32,
    pub q: f32,
}

impl BandSettings {
    pub const FLAT: BandSettings = BandSettings {
        freq: 1_000.0,
        gain_db: 0.0,
        q: 1.0,
    };
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HighPassOrder {
    Off,
    /// 12 dB per octave.
    Two,
    /// 24 dB per octave.
    Four,
}

/// A setting on its way to a target: log-frequency, dB and Q glide together.
#[derive(Clone, Copy, Debug)]
struct Glide {
    octaves: f32,
    gain_db: f32,
    q: f32,
}

impl Glide {
    fn from(s: BandSettings) -> Glide {
        Glide {
            octaves: s.freq.max(1.0).log2(),
            gain_db: s.gain_db,
            q: s.q,
        }
    }

    /// Moves a share of the way; returns whether it is still moving.
    fn approach(&mut self, target: Glide, share: f32) -> bool {
        let step = |x: &mut f32, t: f32, close: f32| {
            if (t - *x).abs() < close {
                *x = t;
                false
            } else {
                *x += (t - *x) * share;
                true
            }
        };
        let a = step(&mut self.octaves, target.octaves, 1e-4);
        let b = step(&mut self.gain_db, target.gain_db, 1e-3);
        let c = step(&mut self.q, target.q, 1e-4);
        a || b || c
    }

    fn freq(&self) -> f32 {
        self.octaves.exp2()
    }
}

#[derive(Clone, Debug)]
struct Band {
    shape: Shape,
    current: Glide,
    target: Glide,
    moving: bool,
    section: StereoBiquad,
}

pub struct ParametricEq {
    sample_rate: f32,
    glide_share: f32,
    bands: [Band; BANDS],
    high_pass_order: HighPassOrder,
    high_pass_current: f32,
    high_pass_target: f32,
    high_pass_moving: bool,
    high_pass: [StereoBiquad; 2],
    /// Frames until the next coefficient update.
    countdown: usize,
}

impl ParametricEq {
    pub fn new(sample_rate: f32) -> ParametricEq {
        let flat = Glide::from(BandSettings::FLAT);
        ParametricEq {
            sample_rate,
            glide_share: 1.0 - (-(CONTROL_FRAMES as f32) / (GLIDE_SECONDS * sample_rate)).exp(),
            bands: SHAPES.map(|shape| Band {
                shape,
                current: flat,
                target: flat,
                moving: false,
                section: StereoBiquad::new(),
            }),
            high_pass_order: HighPassOrder::Off,
            high_pass_current: 20f32.log2(),
            high_pass_target: 20f32.log2(),
            high_pass_moving: false,
            high_pass: [StereoBiquad::new(), StereoBiquad::new()],
            countdown: 0,
        }
    }

    /// Band 0 is the low shelf, 1 and 2 the peaks, 3 the high shelf. The band glides to
    /// its new setting.
    pub fn set_band(&mut self, index: usize, settings: BandSettings) {
        if let Some(band) = self.bands.get_mut(index) {
            band.target = Glide::from(settings);
            band.moving = true;
        }
    }

    pub fn set_high_pass(&mut self, order: HighPassOrder, freq: f32) {
        if order != self.high_pass_order {
            // A change of slope is a new filter: it starts from silence.
            self.high_pass_order = order;
            self.high_pass.iter_mut().for_each(StereoBiquad::reset);
        }
        self.high_pass_target = freq.max(1.0).log2();
        self.high_pass_moving = true;
    }

    /// Jumps every setting to its target (for a strip that is not yet playing).
    pub fn snap(&mut self) {
        for band in &mut self.bands {
            band.current = band.target;
            band.moving = true;
        }
        self.high_pass_current = self.high_pass_target;
        self.high_pass_moving = true;
        self.update(1.0);
    }

    pub fn reset(&mut self) {
        for band in &mut self.bands {
            band.section.reset();
        }
        self.high_pass.iter_mut().for_each(StereoBiquad::reset);
    }

    /// Whether processing changes anything (a setting is off flat or still gliding).
    pub fn is_active(&self) -> bool {
        self.high_pass_order != HighPassOrder::Off
            || self
                .bands
                .iter()
                .any(|b| b.moving || b.current.gain_db != 0.0)
    }

    /// Whether every section's state is exactly zero (it has rung out).
    pub fn is_silent(&self) -> bool {
        self.bands.iter().all(|b| b.section.is_silent())
            && self.high_pass.iter().all(StereoBiquad::is_silent)
    }

    /// Whether `process` on silence would leave the output silent and change nothing
    /// but the frame count: every section has rung out and no setting is moving.
    pub fn is_at_rest(&self) -> bool {
        !self.high_pass_moving && self.bands.iter().all(|b| !b.moving) && self.is_silent()
    }

    /// What `process` does on `frames` frames of silence when `is_at_rest`: keeps the
    /// coefficient-update grid where it would be.
    pub fn skip_silence(&mut self, frames: usize) {
        self.countdown = if frames <= self.countdown {
            self.countdown - frames
        } else {
            match (frames - self.countdown) % CONTROL_FRAMES {
                0 => 0,
                part => CONTROL_FRAMES - part,
            }
        };
    }

    /// The response the EQ is heading for at `freq`, in dB: the curve to draw.
    pub fn response_db(&self, freq: f32) -> f32 {
        let mut db = 0.0;
        for band in &self.bands {
            if band.target.gain_db != 0.0 {
                let c = Coefficients::design(
                    band.shape,
                    self.sample_rate,
                    band.target.freq(),
                    band.target.q,
                    band.target.gain_db,
                );
                db += c.magnitude_db(self.sample_rate, freq);
            }
        }
        for c in self.high_pass_designs(self.high_pass_target.exp2()) {
            db += c.magnitude_db(self.sample_rate, freq);
        }
        db
    }

    fn high_pass_designs(&self, freq: f32) -> impl Iterator<Item = Coefficients> + '_ {
        let qs: &[f32] = match self.high_pass_order {
            HighPassOrder::Off => &[],
            HighPassOrder::Two => &BUTTERWORTH_2,
            HighPassOrder::Four => &BUTTERWORTH_4,
        };
        qs.iter()
            .map(move |&q| Coefficients::design(Shape::HighPass, self.sample_rate, freq, q, 0.0))
    }

    fn update(&mut self, share: f32) {
        for band in &mut self.bands {
            if band.moving {
                band.moving = band.current.approach(band.target, share);
                band.section.coefficients = Coefficients::design(
                    band.shape,
                    self.sample_rate,
                    band.current.freq(),
                    band.current.q,
                    band.current.gain_db,
                );
                if !band.moving && band.current.gain_db == 0.0 {
                    band.section.reset();
                }
            }
        }
        if self.high_pass_moving {
            let t = self.high_pass_target;
            let x = &mut self.high_pass_current;
            if (t - *x).abs() < 1e-4 {
                *x = t;
                self.high_pass_moving = false;
            } else {
                *x += (t - *x) * share;
            }
            let freq = self.high_pass_current.exp2();
            let designs: [Option<Coefficients>; 2] = {
                let mut it = self.high_pass_designs(freq);
                [it.next(), it.next()]
            };
            for (section, design) in self.high_pass.iter_mut().zip(designs) {
                section.coefficients = design.unwrap_or(Coefficients::IDENTITY);
            }
        }
    }

    /// Starts a stretch of at most `frames` frames within one step of the coefficient
    /// grid (updating the coefficients where a step begins); returns its length.
    /// `process`, and strips run side by side, go stretch by stretch.
    pub fn begin_stretch(&mut self, frames: usize) -> usize {
        if self.updates_next_stretch() {
            self.update(self.glide_share);
        }
        if self.countdown == 0 {
            self.countdown = CONTROL_FRAMES;
        }
        self.countdown.min(frames)
    }

    /// Whether the next stretch begins with a coefficient update (after which other
    /// sections may run, at other coefficients).
    pub fn updates_next_stretch(&self) -> bool {
        self.countdown == 0 && (self.high_pass_moving || self.bands.iter().any(|b| b.moving))
    }

    /// Ends a stretch run in lanes, whose state is still there: returns whether a step
    /// of the grid ended with it, when the caller settles the lanes
    /// (`LaneCascade::settle`) as `end_stretch` settles the sections.
    pub fn end_stretch_in_lanes(&mut self, frames: usize) -> bool {
        self.countdown -= frames;
        self.countdown == 0
    }

    /// Ends a stretch of `frames` frames (at most what `begin_stretch` gave).
    pub fn end_stretch(&mut self, frames: usize) {
        if self.end_stretch_in_lanes(frames) {
            // On a fixed grid of frames, never where a caller's block happens to end,
            // so the output does not depend on block sizes.
            for section in &mut self.high_pass {
                section.settle();
            }
            for band in &mut self.bands {
                band.section.settle();
            }
        }
    }

    /// The sections that run in the current stretch, in order: the high-pass's, then
    /// each band that is off flat or moving (a flat band is an exact identity). Their
    /// positions are fixed, the high-pass's two first, then the bands.
    fn running(&mut self) -> impl Iterator<Item = (usize, &mut StereoBiquad)> {
        let high_pass = match self.high_pass_order {
            HighPassOrder::Off => 0,
            HighPassOrder::Two => 1,
            HighPassOrder::Four => 2,
        };
        let passes = self.high_pass[..high_pass].iter_mut().enumerate();
        let bands = self
            .bands
            .iter_mut()
            .enumerate()
            .filter(|(_, b)| b.moving || b.current.gain_db != 0.0)
            .map(|(i, b)| (2 + i, &mut b.section));
        passes.chain(bands)
    }

    /// Puts the current stretch's sections into `lanes` (left side, right side); a
    /// slot the EQ does not run there is left passing through.
    pub fn load_lanes(&mut self, cascade: &mut LaneCascade, lanes: (usize, usize)) {
        for (slot, section) in self.running() {
            cascade.load(slot, lanes, section);
        }
    }

    /// Takes the sections' state back from `lanes` after the stretch ran there.
    pub fn store_lanes(&mut self, cascade: &LaneCascade, lanes: (usize, usize)) {
        for (slot, section) in self.running() {
            cascade.store(slot, lanes, section);
        }
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let mut start = 0;
        while start < left.len() {
            let n = self.begin_stretch(left.len() - start);
            let (l, r) = (&mut left[start..start + n], &mut right[start..start + n]);
            let mut cascade = Cascade::new();
            for (_, section) in self.running() {
                cascade.push(section);
            }
            cascade.process(l, r);
            for (stage, (_, section)) in self.running().enumerate() {
                cascade.give_back(stage, section);
            }
            self.end_stretch(n);
            start += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::{FftPlanner, num_complex::Complex};

    const RATE: f32 = 48_000.0;
    const FFT: usize = 1 << 16;

    /// The measured magnitude response: the impulse response through an FFT.
    fn measured(eq: &mut ParametricEq) -> Vec<f32> {
        let mut left = vec![0.0f32; FFT];
        left[0] = 1.0;
        let mut right = left.clone();
        eq.process(&mut left, &mut right);
        let mut buf: Vec<Complex<f64>> = left
            .iter()
            .map(|&x| Complex::new(f64::from(x), 0.0))
            .collect();
        FftPlanner::new().plan_fft_forward(FFT).process(&mut buf);
        buf[..FFT / 2]
            .iter()
            .map(|c| (20.0 * c.norm().max(1e-12).log10()) as f32)
            .collect()
    }

    #[test]
    fn measured_response_is_within_half_a_db_of_the_design_over_a_grid() {
        let mut worst = 0.0f32;
        for &freq in &[40.0, 250.0, 1_000.0, 4_000.0, 12_000.0] {
            for &gain_db in &[-18.0, -6.0, 3.0, 15.0] {
                for &q in &[0.4, 1.0, 6.0] {
                    for band in 0..BANDS {
                        let mut eq = ParametricEq::new(RATE);
                        eq.set_band(band, BandSettings { freq, gain_db, q });
                        if band == 1 {
                            eq.set_high_pass(HighPassOrder::Four, 30.0);
                        }
                        if band == 2 {
                            eq.set_high_pass(HighPassOrder::Two, 60.0);
                        }
                        eq.snap();
                        let response = measured(&mut eq);
                        for (bin, &db) in response.iter().enumerate().skip(1).step_by(7) {
                            let f = bin as f32 * RATE / FFT as f32;
                            if f < 20.0 {
                                continue;
                            }
                            let design = eq.response_db(f);
                            // Far down the high-pass skirt, f32 noise is the floor.
                            if design < -60.0 {
                                continue;
                            }
                            let error = (db - design).abs();
                            worst = worst.max(error);
                            assert!(
                                error < 0.5,
                                "band {band} {freq} Hz {gain_db} dB Q {q}: at {f} Hz measured {db}, designed {design}"
                            );
                        }
                    }
                }
            }
        }
        assert!(worst > 0.0);
    }

    #[test]
    fn the_design_curve_is_what_the_settings_ask_for() {
        let mut eq = ParametricEq::new(RATE);
        eq.set_band(
            1,
            BandSettings {
                freq: 800.0,
                gain_db: 6.0,
                q: 2.0,
            },
        );
        eq.set_high_pass(HighPassOrder::Four, 100.0);
        assert!((eq.response_db(800.0) - 6.0).abs() < 0.05);
        assert!((eq.response_db(100.0) + 3.0).abs() < 0.1);
        // 24 dB per octave: an octave below the corner is about 24 dB down.
        assert!((eq.response_db(50.0) + 24.0).abs() < 1.0);
        eq.set_high_pass(HighPassOrder::Two, 100.0);
        assert!((eq.response_db(50.0) + 12.3).abs() < 0.5);
    }

    #[test]
    fn flat_bands_are_an_exact_identity_and_changes_glide() {
        let mut eq = ParametricEq::new(RATE);
        eq.snap();
        assert!(!eq.is_active());
        let input: Vec<f32> = (0..512).map(|i| (i as f32 * 0.1).sin()).collect();
        let (mut l, mut r) = (input.clone(), input.clone());
        eq.process(&mut l, &mut r);
        assert_eq!(l, input);
        // A 12 dB boost arrives over tens of milliseconds, not in one step.
        eq.set_band(
            1,
            BandSettings {
                freq: 1_000.0,
                gain_db: 12.0,
                q: 1.0,
            },
        );
        let tone: Vec<f32> = (0..4_800)
            .map(|i| (std::f32::consts::TAU * 1_000.0 * i as f32 / RATE).sin())
            .collect();
        let (mut l, mut r) = (tone.clone(), tone.clone());
        eq.process(&mut l, &mut r);
        let early = l[100..200].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        let late = l[4_000..].iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(early < 2.5, "{early}");
        assert!((late - 3.98).abs() < 0.1, "{late}");
    }
}
