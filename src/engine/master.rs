//! The master chain on the master bus: gain → EQ → glue compressor → stereo width →
//! loudness gain → true-peak limiter.
//!
//! Every stage has a bypass that cross-fades over a few milliseconds, so switching a
//! stage in or out while playing never clicks. The chain splits in two at the limiter
//! (`pre_limiter`, `limit`) so an offline render can measure the loudness going into
//! the limiter and set the loudness gain; `process` runs both halves, and the two ways
//! give the same samples.

use crate::dsp::compressor::{Compressor, CompressorSettings};
use crate::dsp::eq::{BandSettings, ParametricEq};
use crate::dsp::limiter::{Limiter, LimiterParams};
use crate::dsp::smooth::Smoothed;
use crate::dsp::util::db_to_gain;
use crate::dsp::width::StereoWidth;
use crate::song::Master;

const BYPASS_FADE_SECONDS: f32 = 0.01;
const GAIN_RAMP_SECONDS: f32 = 0.02;
/// Frames `limit_block` hands the limiter at once.
const LIMIT_BLOCK: usize = 256;

/// A cross-fade between a stage's input (0) and its output (1).
struct Bypass(Smoothed);

impl Bypass {
    fn new(sample_rate: f32, bypassed: bool) -> Bypass {
        Bypass(Smoothed::new(
            sample_rate,
            BYPASS_FADE_SECONDS,
            if bypassed { 0.0 } else { 1.0 },
        ))
    }

    fn set(&mut self, bypassed: bool) {
        self.0.set_target(if bypassed { 0.0 } else { 1.0 });
    }

    /// Runs `stage` unless fully bypassed, and blends.
    fn run(&mut self, input: (f32, f32), stage: impl FnOnce(f32, f32) -> (f32, f32)) -> (f32, f32) {
        let mix = self.0.next_value();
        if mix == 0.0 {
            return input;
        }
        let wet = stage(input.0, input.1);
        if mix == 1.0 {
            return wet;
        }
        (
            input.0 + (wet.0 - input.0) * mix,
            input.1 + (wet.1 - input.1) * mix,
        )
    }

    /// The mix when it holds for a whole block: no cross-fade under way.
    fn settled(&self) -> Option<f32> {
        self.0.is_settled().then(|| self.0.value())
    }
}

fn compressor_settings(m: &Master) -> CompressorSettings {
    let c = &m.compressor;
    CompressorSettings {
        threshold_db: c.threshold_db,
        ratio: c.ratio,
        attack_ms: c.attack_ms,
        release_ms: c.release_ms,
        knee_db: c.knee_db,
        makeup_db: c.makeup_db,
    }
}

fn set_eq(eq: &mut ParametricEq, m: &Master) {
    for (i, band) in m.eq.bands().into_iter().enumerate() {
        eq.set_band(
            i,
            BandSettings {
                freq: band.freq,
                gain_db: band.gain_db,
                q: band.q,
            },
        );
    }
}

fn limiter_params(m: &Master) -> LimiterParams {
    LimiterParams {
        ceiling_db: m.ceiling_db,
        lookahead_ms: m.limiter.lookahead_ms,
        release_ms: m.limiter.release_ms,
    }
}

pub struct MasterChain {
    gain: Smoothed,
    eq_bypass: Bypass,
    eq: ParametricEq,
    compressor: Compressor,
    /// Whether the compressor is set to leave the circuit (it may still be fading out).
    compressor_bypassed: bool,
    width_bypass: Bypass,
    width: StereoWidth,
    loudness_gain: Smoothed,
    limiter_bypass: Bypass,
    limiter: Limiter,
    /// Room for the limiter's dry frames, kept so that no block clears its own.
    dry: Box<[[f32; LIMIT_BLOCK]; 2]>,
}

impl MasterChain {
    pub fn new(master: &Master, sample_rate: u32) -> MasterChain {
        let rate = sample_rate as f32;
        let mut eq = ParametricEq::new(rate);
        set_eq(&mut eq, master);
        eq.snap();
        let mut compressor = Compressor::new(rate);
        compressor.set(compressor_settings(master));
        compressor.set_bypass(master.compressor.bypass, true);
        MasterChain {
            gain: Smoothed::new(rate, GAIN_RAMP_SECONDS, db_to_gain(master.gain_db)),
            eq_bypass: Bypass::new(rate, master.eq.bypass),
            eq,
            compressor,
            compressor_bypassed: master.compressor.bypass,
            width_bypass: Bypass::new(rate, master.width.bypass),
            width: StereoWidth::new(
                rate,
                master.width.width_percent / 100.0,
                master.width.mono_below_hz,
            ),
            loudness_gain: Smoothed::new(rate, GAIN_RAMP_SECONDS, 1.0),
            limiter_bypass: Bypass::new(rate, master.limiter.bypass),
            limiter: Limiter::new(rate, &limiter_params(master)),
            dry: Box::new([[0.0; LIMIT_BLOCK]; 2]),
        }
    }

    /// New settings while playing: every change glides. The limiter's look-ahead stays
    /// what the chain was made with.
    pub fn set_params(&mut self, master: &Master) {
        self.gain.set_target(db_to_gain(master.gain_db));
        self.eq_bypass.set(master.eq.bypass);
        set_eq(&mut self.eq, master);
        self.compressor.set(compressor_settings(master));
        self.compressor.set_bypass(master.compressor.bypass, false);
        self.compressor_bypassed = master.compressor.bypass;
        self.width_bypass.set(master.width.bypass);
        self.width.set_params(
            master.width.width_percent / 100.0,
            master.width.mono_below_hz,
        );
        self.limiter_bypass.set(master.limiter.bypass);
        self.limiter.set_params(&limiter_params(master));
    }

    /// The gain (dB) between the width stage and the limiter that brings the export to
    /// its loudness target.
    pub fn set_loudness_gain_db(&mut self, gain_db: f32) {
        self.loudness_gain.set_target(db_to_gain(gain_db));
    }

    /// Sets the loudness gain at once, for a render that starts with it.
    pub fn snap_loudness_gain_db(&mut self, gain_db: f32) {
        self.loudness_gain.snap(db_to_gain(gain_db));
    }

    /// Frames between a frame going in and coming out (the limiter's look-ahead).
    pub fn latency(&self) -> usize {
        self.limiter.latency()
    }

    pub fn compressor_reduction_db(&self) -> f32 {
        self.compressor.gain_reduction_db()
    }

    pub fn limiter_reduction_db(&self) -> f32 {
        self.limiter.gain_reduction_db()
    }

    /// The most reduction (dB) of the compressor and the limiter since the last call.
    pub fn take_peak_reductions_db(&mut self) -> [f32; 2] {
        [
            self.compressor.take_peak_reduction_db(),
            self.limiter.take_peak_reduction_db(),
        ]
    }

    pub fn reset(&mut self) {
        self.eq.reset();
        self.compressor.reset();
        self.width.reset();
        self.limiter.reset();
    }

    /// Everything up to the loudness gain: gain, EQ, compressor, width.
    pub fn pre_limiter(&mut self, left: f32, right: f32) -> (f32, f32) {
        let gain = self.gain.next_value();
        let frame = (left * gain, right * gain);
        // One frame at a time: the EQ and compressor then see the same calls whatever
        // block sizes the engine is asked for, so the output stays bit-identical.
        let eq = &mut self.eq;
        let frame = self.eq_bypass.run(frame, |l, r| {
            let (mut l, mut r) = ([l], [r]);
            eq.process(&mut l, &mut r);
            (l[0], r[0])
        });
        let (mut l, mut r) = ([frame.0], [frame.1]);
        self.compressor.process(&mut l, &mut r);
        let frame = (l[0], r[0]);
        let width = &mut self.width;
        self.width_bypass.run(frame, |l, r| width.process(l, r))
    }

    /// `pre_limiter` over a block, in place: the same samples as frame by frame. The
    /// gain and EQ run over the whole block where no cross-fade or glide is under way
    /// (the EQ's own control grid does not depend on where a block ends), which spares
    /// the EQ setting up its cascade for every frame.
    /// The master gain alone (moving as set, or as a lane automates it), for a mix
    /// that is mastered elsewhere.
    pub fn gain_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.gain.multiply_stereo(left, right);
    }

    pub fn pre_limiter_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.gain_block(left, right);
        match self.eq_bypass.settled() {
            Some(0.0) => {}
            // A flat EQ (no band off 0 dB or moving, and the master has no high-pass)
            // passes its input as it is; only its control grid moves on.
            Some(1.0) if !self.eq.is_active() => self.eq.skip_silence(left.len()),
            Some(1.0) => self.eq.process(left, right),
            _ => {
                let eq = &mut self.eq;
                for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                    (*l, *r) = self.eq_bypass.run((*l, *r), |a, b| {
                        let (mut a, mut b) = ([a], [b]);
                        eq.process(&mut a, &mut b);
                        (a[0], b[0])
                    });
                }
            }
        }
        if !self.compressor_bypassed || self.compressor.is_out() {
            // Staying in circuit or out of it, the compressor gives the same samples
            // for the block as frame by frame.
            self.compressor.process(left, right);
        } else {
            // Frame by frame: a compressor fading out of circuit stops (and forgets its
            // reduction) on the frame it arrives, which a whole-block call would run past.
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                self.compressor
                    .process(std::slice::from_mut(l), std::slice::from_mut(r));
            }
        }
        // A width that leaves the image alone passes each frame as it is, and a
        // settled cross-fade between a frame and itself is that frame.
        let width_passes = self.width.is_transparent() && self.width_bypass.settled().is_some();
        if self.width_bypass.settled() != Some(0.0) && !width_passes {
            let width = &mut self.width;
            for (l, r) in left.iter_mut().zip(right.iter_mut()) {
                (*l, *r) = self.width_bypass.run((*l, *r), |a, b| width.process(a, b));
            }
        }
    }

    /// `process` over a block, in place.
    pub fn process_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.pre_limiter_block(left, right);
        self.limit_block(left, right);
    }

    /// `limit` over a block, in place: the same samples, with the limiter working a
    /// block at a time.
    pub fn limit_block(&mut self, left: &mut [f32], right: &mut [f32]) {
        for (left, right) in left
            .chunks_mut(LIMIT_BLOCK)
            .zip(right.chunks_mut(LIMIT_BLOCK))
        {
            self.loudness_gain.multiply_stereo(left, right);
            let [dry_left, dry_right] = &mut *self.dry;
            let n = left.len();
            let (dry_left, dry_right) = (&mut dry_left[..n], &mut dry_right[..n]);
            self.limiter.process_block(left, right, dry_left, dry_right);
            match self.limiter_bypass.settled() {
                Some(1.0) => {}
                Some(0.0) => {
                    left.copy_from_slice(dry_left);
                    right.copy_from_slice(dry_right);
                }
                _ => {
                    for ((l, r), (&dl, &dr)) in left
                        .iter_mut()
                        .zip(right.iter_mut())
                        .zip(dry_left.iter().zip(&*dry_right))
                    {
                        let limited = (*l, *r);
                        (*l, *r) = self.limiter_bypass.run((dl, dr), |_, _| limited);
                    }
                }
            }
        }
    }

    /// The loudness gain and the limiter.
    pub fn limit(&mut self, left: f32, right: f32) -> (f32, f32) {
        let gain = self.loudness_gain.next_value();
        let out = self.limiter.process(left * gain, right * gain);
        self.limiter_bypass.run(out.dry, |_, _| out.limited)
    }

    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let (l, r) = self.pre_limiter(left, right);
        self.limit(l, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: u32 = 48_000;

    fn noise(n: usize, level: f32) -> Vec<(f32, f32)> {
        let mut rng = Rng::new(11);
        (0..n)
            .map(|_| (level * rng.next_bipolar(), level * rng.next_bipolar()))
            .collect()
    }

    #[test]
    fn the_default_chain_only_delays_a_signal_under_the_ceiling() {
        let input = noise(10_000, 0.3);
        let mut chain = MasterChain::new(&Master::default(), RATE);
        let lat = chain.latency();
        let out: Vec<(f32, f32)> = input.iter().map(|&(l, r)| chain.process(l, r)).collect();
        assert_eq!(&out[lat..], &input[..input.len() - lat]);
    }

    #[test]
    fn the_transparent_chain_passes_loud_signals_untouched() {
        let input = noise(10_000, 3.0);
        let mut chain = MasterChain::new(&Master::transparent(), RATE);
        let lat = chain.latency();
        let out: Vec<(f32, f32)> = input.iter().map(|&(l, r)| chain.process(l, r)).collect();
        assert_eq!(&out[lat..], &input[..input.len() - lat]);
    }

    /// A master with every stage changing the sound: an EQ boost, a compressor working,
    /// width with mono lows.
    fn every_stage_working() -> Master {
        let mut master = Master::default();
        master.eq.mid1.gain_db = 4.0;
        master.compressor.bypass = false;
        master.compressor.ratio = 3.0;
        master.width.width_percent = 140.0;
        master.width.mono_below_hz = 100.0;
        master
    }

    #[test]
    fn pre_limiter_then_limit_equals_process() {
        let master = every_stage_working();
        let input = noise(20_000, 0.9);
        let mut whole = MasterChain::new(&master, RATE);
        whole.snap_loudness_gain_db(5.0);
        let mut split = MasterChain::new(&master, RATE);
        split.snap_loudness_gain_db(5.0);
        let pre: Vec<(f32, f32)> = input
            .iter()
            .map(|&(l, r)| split.pre_limiter(l, r))
            .collect();
        for (&(l, r), &(a, b)) in input.iter().zip(&pre) {
            assert_eq!(whole.process(l, r), split.limit(a, b));
        }
    }

    #[test]
    fn blocks_of_any_size_give_the_frame_by_frame_samples_through_every_change() {
        let master = every_stage_working();
        let input = noise(24_000, 1.5);
        // Every stage's cross-fade and the gain's ramp start somewhere mid-block;
        // `changes` says whether a setting changed at `at`.
        let changes = |at: usize, m: &mut Master| {
            match at {
                3_001 => m.eq.bypass = true,
                6_007 => m.compressor.bypass = true,
                9_011 => m.width.bypass = true,
                12_013 => m.gain_db = -3.0,
                15_017 => {
                    m.eq.bypass = false;
                    m.compressor.bypass = false;
                    m.width.bypass = false;
                    m.limiter.bypass = true;
                }
                // The EQ glides flat (in about 4,100 frames), then off flat again on the
                // grid its flat stretch kept.
                16_001 => m.eq.mid1.gain_db = 0.0,
                21_503 => m.eq.mid1.gain_db = -3.0,
                // The width glides to leaving the image alone, then fades out of circuit.
                18_019 => {
                    m.width.width_percent = 100.0;
                    m.width.mono_below_hz = 0.0;
                }
                21_023 => m.width.bypass = true,
                _ => return false,
            }
            true
        };
        // The settings handed over at every call (the EQ's bands are then always
        // moving), or only where they change, as the engine does (then the EQ rests flat).
        for every_call in [true, false] {
            let mut reference = MasterChain::new(&master, RATE);
            let mut m = master;
            let want: Vec<(f32, f32)> = input
                .iter()
                .enumerate()
                .map(|(i, &(l, r))| {
                    if changes(i, &mut m) || every_call {
                        reference.set_params(&m);
                    }
                    reference.process(l, r)
                })
                .collect();
            check_blocks(&master, &input, &want, every_call, changes);
        }
    }

    fn check_blocks(
        master: &Master,
        input: &[(f32, f32)],
        want: &[(f32, f32)],
        every_call: bool,
        changes: impl Fn(usize, &mut Master) -> bool,
    ) {
        let master = *master;
        for block in [1, 7, 64, 256, 1000] {
            let mut chain = MasterChain::new(&master, RATE);
            let mut m = master;
            let mut got = Vec::new();
            let mut at = 0;
            while at < input.len() {
                // Blocks end where a setting changes, as the engine's runs do.
                let next_change = [
                    3_001, 6_007, 9_011, 12_013, 15_017, 16_001, 18_019, 21_023, 21_503,
                ]
                .into_iter()
                .find(|&c| c > at)
                .unwrap_or(usize::MAX);
                let n = block.min(input.len() - at).min(next_change - at);
                if changes(at, &mut m) || every_call {
                    chain.set_params(&m);
                }
                let (mut l, mut r): (Vec<f32>, Vec<f32>) =
                    input[at..at + n].iter().copied().unzip();
                chain.process_block(&mut l, &mut r);
                got.extend(l.into_iter().zip(r));
                at += n;
            }
            assert!(got == want, "blocks of {block} differ ({every_call})");
        }
    }

    #[test]
    fn toggling_a_bypass_while_playing_does_not_click() {
        let mut master = Master::default();
        master.eq.low.gain_db = 12.0;
        master.eq.low.freq = 2_000.0;
        let mut chain = MasterChain::new(&master, RATE);
        let sine = |i: usize| 0.2 * (std::f32::consts::TAU * 440.0 * i as f32 / RATE as f32).sin();
        let mut last = 0.0f32;
        let mut worst = 0.0f32;
        for i in 0..RATE as usize {
            if i == RATE as usize / 2 {
                master.eq.bypass = true;
                chain.set_params(&master);
            }
            let (l, _) = chain.process(sine(i), sine(i));
            if i > 2_000 {
                worst = worst.max((l - last).abs());
            }
            last = l;
        }
        // A 440 Hz sine at 0.8 (0.2 boosted 12 dB) moves at most 0.046 a sample.
        assert!(worst < 0.06, "a step of {worst}");
    }
}
