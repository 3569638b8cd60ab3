//! The mixer graph: a strip per channel, the reverb and delay buses, and their sum, the
//! master bus (what the master stage then works on).
//!
//! Strip order: input trim and phase, high-pass and EQ, compressor, pre-fader sends,
//! fader and pan, post-fader sends, meter. Mute and solo silence the strip and its sends;
//! the bus returns are solo-safe. Every level glides, so nothing the user changes clicks.
//!
//! For stems, each channel that sends to a bus gets its own copy of that bus. The buses
//! are linear and time-invariant apart from parameter glides every copy shares, so the
//! copies' outputs add up to the shared bus's output.

use crate::dsp::biquad::{Coefficients, LANES, LaneCascade, LaneFrame, Shape, State};
use crate::dsp::compressor::{
    Compressor, CompressorSettings, LaneCompressors, Levels, SIDE_BY_SIDE, STRIPS,
};
use crate::dsp::delay::{Echo, EchoSettings};
use crate::dsp::ducker::{DuckShape, Ducker, ReleaseCurve};
use crate::dsp::eq::{BandSettings, HighPassOrder, ParametricEq};
use crate::dsp::meter::{LaneMeters, StereoMeter};
use crate::dsp::pan::constant_power;
use crate::dsp::reverb::{Reverb, ReverbSettings};
use crate::dsp::smooth::Smoothed;
use crate::dsp::util::db_to_gain;
#[cfg(target_arch = "x86_64")]
use crate::dsp::util::transpose8;
use crate::song::automation::StripParam;
use crate::song::{
    BusReturn, ChannelStrip, DelayBus, DuckCurve, DuckTrigger, Ducker as SongDucker, Eq,
    HighPassSlope, KeyBus, Mixer, ReverbBus, SILENT_DB, Stage,
};

const GLIDE_SECONDS: f32 = 0.01;
/// The longest delay the delay bus holds (the song format allows up to this).
const MAX_DELAY_SECONDS: f32 = crate::song::MAX_DELAY_MS / 1000.0;

/// One strip's (or bus's) meter readings, filled by the engine without allocating.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StripMeter {
    /// Highest sample of each side since the last reading, dBFS.
    pub peak_db: [f32; 2],
    /// RMS of each side over about 300 ms, dBFS.
    pub rms_db: [f32; 2],
    /// Most compressor gain reduction since the last reading, dB (0 without one).
    pub gain_reduction_db: f32,
}

impl Default for StripMeter {
    fn default() -> StripMeter {
        StripMeter {
            peak_db: [-200.0; 2],
            rms_db: [-200.0; 2],
            gain_reduction_db: 0.0,
        }
    }
}

/// Every meter of the mixer: one per channel strip, one per bus return, and the master
/// bus (before the master stage).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MixerMeters {
    pub channels: Vec<StripMeter>,
    pub reverb: StripMeter,
    pub delay: StripMeter,
    pub master: StripMeter,
}

fn glide(s: &mut Smoothed, target: f32, snap: bool) {
    if snap {
        s.snap(target);
    } else {
        s.set_target(target);
    }
}

/// A level that is 0 at and below the silent floor.
fn level(db: f32) -> f32 {
    if db <= SILENT_DB { 0.0 } else { db_to_gain(db) }
}

/// The ducker's shape at `tempo` (hold and release may follow it).
fn duck_shape(d: &SongDucker, tempo: f32) -> DuckShape {
    DuckShape {
        depth_db: d.depth_db,
        attack_seconds: d.attack_ms / 1000.0,
        hold_seconds: d.hold.seconds(tempo),
        release_seconds: d.release.seconds(tempo),
        curve: match d.curve {
            DuckCurve::Linear => ReleaseCurve::Linear,
            DuckCurve::Exponential => ReleaseCurve::Exponential,
            DuckCurve::SCurve => ReleaseCurve::SCurve,
        },
    }
}

/// A ducker with the song settings it follows and what starts it.
struct Pump {
    ducker: Ducker,
    settings: SongDucker,
}

impl Pump {
    fn new(sample_rate: f32) -> Pump {
        Pump {
            ducker: Ducker::new(sample_rate),
            settings: SongDucker::default(),
        }
    }

    fn apply(&mut self, settings: &SongDucker, tempo: f32, snap: bool) {
        self.settings = *settings;
        self.ducker.set(duck_shape(settings, tempo));
        self.ducker.set_bypass(settings.bypass, snap);
    }

    fn set_tempo(&mut self, tempo: f32) {
        self.ducker.set(duck_shape(&self.settings, tempo));
    }

    /// Starts the shape if a note on `channel` (or a beat, with `None`) is its trigger.
    fn on(&mut self, event: Option<usize>) {
        let fires = match (self.settings.trigger, event) {
            (DuckTrigger::Beat, None) => true,
            (DuckTrigger::Channel(n), Some(ch)) => n == ch + 1,
            _ => false,
        };
        if fires {
            self.ducker.trigger();
        }
    }
}

fn apply_eq(eq: &mut ParametricEq, settings: &Eq, snap: bool) {
    for (i, band) in settings.bands().iter().enumerate() {
        eq.set_band(
            i,
            BandSettings {
                freq: band.freq,
                gain_db: if settings.bypass { 0.0 } else { band.gain_db },
                q: band.q,
            },
        );
    }
    if snap {
        eq.snap();
    }
}

/// The high-pass on a compressor's key. Its state is settled (denormal-free) on a fixed
/// grid of frames, never where a run ends, so the output does not depend on block sizes.
struct KeyFilter {
    coefficients: Coefficients,
    state: [State; 2],
    until_settle: usize,
}

const KEY_SETTLE_FRAMES: usize = 64;

impl KeyFilter {
    fn new() -> KeyFilter {
        KeyFilter {
            coefficients: Coefficients::IDENTITY,
            state: [State::default(); 2],
            until_settle: KEY_SETTLE_FRAMES,
        }
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let c = self.coefficients;
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            *l = self.state[0].process(&c, *l);
            *r = self.state[1].process(&c, *r);
            self.until_settle -= 1;
            if self.until_settle == 0 {
                self.until_settle = KEY_SETTLE_FRAMES;
                self.state[0].settle();
                self.state[1].settle();
            }
        }
    }
}

/// A pair of gains that glide together.
struct StereoGain {
    left: Smoothed,
    right: Smoothed,
}

impl StereoGain {
    fn new(sample_rate: f32) -> StereoGain {
        StereoGain {
            left: Smoothed::new(sample_rate, GLIDE_SECONDS, 0.0),
            right: Smoothed::new(sample_rate, GLIDE_SECONDS, 0.0),
        }
    }

    fn set(&mut self, (l, r): (f32, f32), snap: bool) {
        glide(&mut self.left, l, snap);
        glide(&mut self.right, r, snap);
    }

    fn is_settled(&self) -> bool {
        self.left.is_settled() && self.right.is_settled()
    }

    fn is_silent(&self) -> bool {
        self.left.is_settled()
            && self.right.is_settled()
            && self.left.value() == 0.0
            && self.right.value() == 0.0
    }

    /// `into += gain · from`.
    fn add(&mut self, from: (&[f32], &[f32]), into: (&mut [f32], &mut [f32])) {
        if self.is_silent() {
            return;
        }
        Smoothed::multiply_add_pair((&mut self.left, &mut self.right), from, into);
    }

    /// `signal *= gain`.
    fn apply(&mut self, left: &mut [f32], right: &mut [f32]) {
        Smoothed::multiply_pair((&mut self.left, &mut self.right), left, right);
    }
}

struct Send {
    gain: StereoGain,
    pre_fader: bool,
}

struct Strip {
    sample_rate: f32,
    /// Trim times ±1 for the phase.
    input: Smoothed,
    eq: ParametricEq,
    compressor: Compressor,
    /// The channel (0-based) whose key the compressor's detector hears.
    key_source: Option<usize>,
    /// The bus whose return the compressor's detector hears (instead of a channel).
    key_bus: Option<KeyBus>,
    key_filter: KeyFilter,
    key_high_pass_hz: f32,
    /// Whether another strip's compressor hears this one: then `key` keeps this run's
    /// signal after the compressor.
    is_key: bool,
    key: [Vec<f32>; 2],
    pump: Pump,
    /// Fader (0 when muted or soloed out) times the pan law.
    output: StereoGain,
    pan: f32,
    fader: f32,
    /// The last fader setting in dB and its gain, so a moving pan costs no `powf`.
    fader_gain_of: (f32, f32),
    note_pan: f32,
    sends: [Send; 2],
    meter: StereoMeter,
}

impl Strip {
    /// `frames` is the most any one run asks for.
    fn new(sample_rate: f32, frames: usize) -> Strip {
        let send = || Send {
            gain: StereoGain::new(sample_rate),
            pre_fader: false,
        };
        Strip {
            sample_rate,
            input: Smoothed::new(sample_rate, GLIDE_SECONDS, 1.0),
            eq: ParametricEq::new(sample_rate),
            compressor: Compressor::new(sample_rate),
            key_source: None,
            key_bus: None,
            key_filter: KeyFilter::new(),
            key_high_pass_hz: 0.0,
            is_key: false,
            key: [vec![0.0; frames], vec![0.0; frames]],
            pump: Pump::new(sample_rate),
            output: StereoGain::new(sample_rate),
            pan: 0.0,
            fader: 0.0,
            fader_gain_of: (f32::NAN, 0.0),
            note_pan: 0.0,
            sends: [send(), send()],
            meter: StereoMeter::new(sample_rate),
        }
    }

    fn apply(&mut self, strip: &ChannelStrip, audible: bool, tempo: f32, snap: bool) {
        self.apply_input(strip, snap);
        self.apply_filters(strip, snap);
        self.apply_compressor(strip, snap);
        self.apply_sidechain(strip, tempo, snap);
        self.apply_fader(strip, audible, snap);
        self.apply_sends(strip, audible, snap);
    }

    /// Takes one moved parameter (automation, an LFO): only its stage is touched.
    fn apply_param(&mut self, param: StripParam, strip: &ChannelStrip, audible: bool) {
        use StripParam::*;
        match param {
            Gain | Pan => self.apply_fader(strip, audible, false),
            Trim => self.apply_input(strip, false),
            HighPassFreq | LowFreq | LowGain | Mid1Freq | Mid1Gain | Mid2Freq | Mid2Gain
            | HighFreq | HighGain => self.apply_filters(strip, false),
            Threshold | Makeup => self.apply_compressor(strip, false),
            ReverbSend | DelaySend => self.apply_sends(strip, audible, false),
        }
    }

    fn apply_input(&mut self, strip: &ChannelStrip, snap: bool) {
        let input = if strip.input.bypass {
            1.0
        } else {
            let sign = if strip.input.invert { -1.0 } else { 1.0 };
            sign * db_to_gain(strip.input.trim_db)
        };
        glide(&mut self.input, input, snap);
    }

    fn apply_filters(&mut self, strip: &ChannelStrip, snap: bool) {
        let hp = &strip.high_pass;
        let order = match hp.slope {
            _ if hp.bypass => HighPassOrder::Off,
            HighPassSlope::Off => HighPassOrder::Off,
            HighPassSlope::Db12 => HighPassOrder::Two,
            HighPassSlope::Db24 => HighPassOrder::Four,
        };
        self.eq.set_high_pass(order, hp.freq);
        apply_eq(&mut self.eq, &strip.eq, snap);
    }

    fn apply_compressor(&mut self, strip: &ChannelStrip, snap: bool) {
        let c = &strip.compressor;
        self.compressor.set(CompressorSettings {
            threshold_db: c.threshold_db,
            ratio: c.ratio,
            attack_ms: c.attack_ms,
            release_ms: c.release_ms,
            knee_db: c.knee_db,
            makeup_db: c.makeup_db,
        });
        self.compressor.set_bypass(c.bypass, snap);
    }

    fn apply_sidechain(&mut self, strip: &ChannelStrip, tempo: f32, snap: bool) {
        self.key_bus = strip.sidechain.bus;
        self.key_source = match self.key_bus {
            Some(_) => None,
            None => strip.sidechain.channel.and_then(|n| n.checked_sub(1)),
        };
        let hz = strip.sidechain.high_pass_hz;
        if hz != self.key_high_pass_hz {
            self.key_high_pass_hz = hz;
            self.key_filter.coefficients = Coefficients::design(
                Shape::HighPass,
                self.sample_rate,
                hz,
                std::f32::consts::FRAC_1_SQRT_2,
                0.0,
            );
        }
        self.pump.apply(&strip.ducker, tempo, snap);
    }

    fn apply_fader(&mut self, strip: &ChannelStrip, audible: bool, snap: bool) {
        if strip.gain_db.to_bits() != self.fader_gain_of.0.to_bits() {
            self.fader_gain_of = (strip.gain_db, level(strip.gain_db));
        }
        self.fader = if audible { self.fader_gain_of.1 } else { 0.0 };
        self.pan = strip.pan;
        self.set_output(snap);
    }

    fn apply_sends(&mut self, strip: &ChannelStrip, audible: bool, snap: bool) {
        for (send, song_send) in self
            .sends
            .iter_mut()
            .zip([strip.sends.reverb, strip.sends.delay])
        {
            let g = if audible {
                level(song_send.level_db)
            } else {
                0.0
            };
            send.pre_fader = song_send.pre_fader;
            send.gain.set((g, g), snap);
        }
    }

    fn set_output(&mut self, snap: bool) {
        let (l, r) = constant_power((self.pan + self.note_pan).clamp(-1.0, 1.0));
        self.output.set((self.fader * l, self.fader * r), snap);
    }

    /// Takes the pan of the channel's latest note (which the pan law adds to the strip's).
    fn follow_note_pan(&mut self, note_pan: f32) {
        if note_pan != self.note_pan {
            self.note_pan = note_pan;
            self.set_output(false);
        }
    }

    /// Whether the strip has no stage that runs in lanes: its EQ is flat and settled
    /// and its compressor out of circuit (and faded out).
    fn uses_no_lanes(&self) -> bool {
        !self.eq.is_active() && self.compressor.is_out()
    }

    /// The input stage (trim and phase) on the strip's own signal, as `trim_lanes`
    /// does it in a group.
    fn trim(&mut self, left: &mut [f32], right: &mut [f32]) {
        self.input.multiply_stereo(left, right);
    }

    /// The input stage (trim and phase) on the strip's lanes `j` and `j + STRIPS` while
    /// it glides; settled, its gain goes into `gains` (for every strip's at once).
    fn trim_lanes(&mut self, signal: &mut [LaneFrame], j: usize, gains: &mut LaneFrame) {
        if self.input.is_settled() {
            gains[j] = self.input.value();
            gains[j + STRIPS] = self.input.value();
            return;
        }
        for frame in signal {
            let g = self.input.next_value();
            frame[j] *= g;
            frame[j + STRIPS] *= g;
        }
    }

    /// The stages after the compressor but the meter, on the strip's signal in place
    /// (leaving the post-fader signal): the key other strips hear, the pump, sends, fader
    /// and pan. The sends are added into `buses` (reverb left, right, delay left, right).
    fn finish(&mut self, left: &mut [f32], right: &mut [f32], buses: &mut [Vec<f32>; 4]) {
        let n = left.len();
        if self.is_key {
            self.key[0][..n].copy_from_slice(left);
            self.key[1][..n].copy_from_slice(right);
        }
        self.pump.ducker.process(left, right);
        let [rl, rr, dl, dr] = buses;
        let mut targets = [(&mut rl[..n], &mut rr[..n]), (&mut dl[..n], &mut dr[..n])];
        for (send, target) in self.sends.iter_mut().zip(targets.iter_mut()) {
            if send.pre_fader {
                send.gain
                    .add((left, right), (&mut *target.0, &mut *target.1));
            }
        }
        self.output.apply(left, right);
        for (send, target) in self.sends.iter_mut().zip(targets.iter_mut()) {
            if !send.pre_fader {
                send.gain
                    .add((left, right), (&mut *target.0, &mut *target.1));
            }
        }
    }

    /// Whether this strip, fed silence, would put out silence and change no state but
    /// its meter's: then `skip_silence` stands in for `process`.
    fn is_at_rest(&self, note_pan: f32) -> bool {
        note_pan == self.note_pan
            && self.input.is_settled()
            && self.eq.is_at_rest()
            && self.compressor.is_at_rest()
            && self.output.is_settled()
            && self.sends.iter().all(|s| s.gain.is_settled())
    }

    /// `process` on `frames` frames of silence, for a strip `is_at_rest`.
    fn skip_silence(&mut self, frames: usize, metering: bool) {
        self.eq.skip_silence(frames);
        // The pump keeps time with the song while its silence is skipped.
        self.pump.ducker.skip(frames);
        if metering {
            self.meter.process_silence(frames);
        }
    }

    fn sends_to(&self, bus: usize) -> bool {
        !self.sends[bus].gain.is_silent()
    }
}

/// What an effect bus does between its input and the return.
trait Effect {
    fn process(&mut self, left: &mut [f32], right: &mut [f32]);
}

impl Effect for Reverb {
    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        Reverb::process(self, left, right);
    }
}

impl Effect for Echo {
    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        Echo::process(self, left, right);
    }
}

/// A bus's way back: EQ, then fader and balance.
struct Return {
    eq: ParametricEq,
    pump: Pump,
    output: StereoGain,
    meter: StereoMeter,
}

impl Return {
    fn new(sample_rate: f32) -> Return {
        Return {
            eq: ParametricEq::new(sample_rate),
            pump: Pump::new(sample_rate),
            output: StereoGain::new(sample_rate),
            meter: StereoMeter::new(sample_rate),
        }
    }

    fn apply(&mut self, r: &BusReturn, tempo: f32, snap: bool) {
        apply_eq(&mut self.eq, &r.eq, snap);
        self.pump.apply(&r.ducker, tempo, snap);
        let gain = if r.mute { 0.0 } else { level(r.gain_db) };
        // A balance: centred, both sides pass at unity; turned, the far side fades.
        let (l, rr) = constant_power(r.pan);
        let balance = |x: f32| (x * std::f32::consts::SQRT_2).min(1.0);
        self.output
            .set((gain * balance(l), gain * balance(rr)), snap);
    }

    fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        if self.eq.is_active() {
            self.eq.process(left, right);
        }
        self.pump.ducker.process(left, right);
        self.output.apply(left, right);
    }
}

fn reverb_settings(r: &ReverbBus) -> ReverbSettings {
    ReverbSettings {
        pre_delay_ms: r.pre_delay_ms,
        size: r.size,
        decay_s: r.decay_s,
        damping: r.damping,
        width: r.width,
        mix: r.mix,
    }
}

fn echo_settings(d: &DelayBus, tempo: f32) -> EchoSettings {
    EchoSettings {
        seconds: d.time.seconds(tempo).min(MAX_DELAY_SECONDS),
        feedback: d.feedback,
        ping_pong: d.ping_pong,
        low_cut_hz: d.low_cut_hz,
        high_cut_hz: d.high_cut_hz,
        mix: d.mix,
    }
}

/// A bus: its effect, its return, and the input the strips' sends fill.
struct Bus<E> {
    effect: E,
    back: Return,
    input: [Vec<f32>; 2],
    /// Whether anything has reached the effect since it was last cleared; while nothing
    /// has, it is silent and is not run.
    live: bool,
}

impl<E: Effect> Bus<E> {
    fn new(effect: E, sample_rate: f32, frames: usize) -> Bus<E> {
        Bus {
            effect,
            back: Return::new(sample_rate),
            input: [vec![0.0; frames], vec![0.0; frames]],
            live: false,
        }
    }

    /// Runs the effect on `input[..n]` and leaves the return in it (metered if
    /// `metering`).
    fn run(&mut self, n: usize, metering: bool) {
        let [l, r] = &mut self.input;
        let (l, r) = (&mut l[..n], &mut r[..n]);
        self.effect.process(l, r);
        self.back.process(l, r);
        if metering {
            self.back.meter.process(l, r);
        }
    }
}

/// Per-channel copies of the buses and the frames of every stem, for `--stems`.
pub struct Stems {
    reverbs: Vec<Option<Bus<Reverb>>>,
    delays: Vec<Option<Bus<Echo>>>,
    /// Per channel, interleaved stereo: post-fader plus its share of the returns.
    pub channels: Vec<Vec<f32>>,
    /// The reverb and delay returns, interleaved stereo.
    pub buses: [Vec<f32>; 2],
    /// The master bus, before the master stage, interleaved stereo.
    pub master_bus: Vec<f32>,
    sends: [Vec<f32>; 4],
    left: Vec<f32>,
    right: Vec<f32>,
}

/// A song's channel strips made ready away from the audio thread, for `adopt_strips`,
/// with the order they run in.
pub struct Strips {
    strips: Vec<Strip>,
    order: Vec<usize>,
}

impl Strips {
    /// One strip per channel of `mixer`, at its settings; `frames` is the most any one
    /// run asks for.
    pub fn new(mixer: &Mixer, tempo: f32, sample_rate: f32, frames: usize) -> Strips {
        let any_solo = mixer.channels.iter().any(|c| c.solo);
        Strips {
            strips: mixer
                .channels
                .iter()
                .map(|song_strip| {
                    let mut strip = Strip::new(sample_rate, frames);
                    let audible = !song_strip.mute && (song_strip.solo || !any_solo);
                    strip.apply(song_strip, audible, tempo, true);
                    strip
                })
                .collect(),
            order: processing_order(mixer),
        }
    }
}

/// The order the channels run in: a sidechain's key before the channel it keys (a bus
/// after every channel that feeds it), else channel order; see `Mixer::run_order`. (A
/// key loop, which validation rejects, is broken anywhere.)
fn processing_order(mixer: &Mixer) -> Vec<usize> {
    if let Ok(stages) = mixer.run_order() {
        return stages
            .into_iter()
            .filter_map(|s| match s {
                Stage::Channel(i) => Some(i),
                Stage::Bus(_) => None,
            })
            .collect();
    }
    let n = mixer.channels.len();
    let key = |i: usize| {
        mixer.channels[i]
            .sidechain
            .channel
            .and_then(|c| c.checked_sub(1))
            .filter(|&c| c < n)
    };
    let mut placed = vec![false; n];
    let mut order = Vec::with_capacity(n);
    let mut chain = Vec::with_capacity(n);
    for first in 0..n {
        chain.clear();
        let mut at = first;
        while !placed[at] && !chain.contains(&at) {
            chain.push(at);
            match key(at) {
                Some(k) => at = k,
                None => break,
            }
        }
        for &c in chain.iter().rev() {
            placed[c] = true;
            order.push(c);
        }
    }
    order
}

/// Copies lane `k` of each frame of `signal` to `rows[k * stride + frame]`.
#[inline(always)]
fn lanes_to_rows(signal: &[LaneFrame], rows: &mut [f32], stride: usize) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if rows.len() >= LANES * stride
        && stride >= signal.len()
        && std::arch::is_x86_feature_detected!("avx")
    {
        // SAFETY: the CPU has just been seen to have AVX, and the rows were seen to
        // hold `LANES` of `stride >= signal.len()` samples each.
        done = unsafe { lanes_to_rows_avx(signal, rows, stride) };
    }
    lanes_to_rows_plain(&signal[done..], &mut rows[done..], stride);
}

/// `lanes_to_rows` a sample at a time.
fn lanes_to_rows_plain(signal: &[LaneFrame], rows: &mut [f32], stride: usize) {
    for (i, frame) in signal.iter().enumerate() {
        for (k, &x) in frame.iter().enumerate() {
            rows[k * stride + i] = x;
        }
    }
}

/// Copies row `k` of `rows` (`rows[k * stride + frame]`) into lane `k` of each frame
/// of `signal`: `lanes_to_rows` the other way.
#[inline(always)]
fn rows_to_lanes(rows: &[f32], signal: &mut [LaneFrame], stride: usize) {
    let mut done = 0;
    #[cfg(target_arch = "x86_64")]
    if rows.len() >= LANES * stride
        && stride >= signal.len()
        && std::arch::is_x86_feature_detected!("avx")
    {
        // SAFETY: the CPU has just been seen to have AVX, and the rows were seen to
        // hold `LANES` of `stride >= signal.len()` samples each.
        done = unsafe { rows_to_lanes_avx(rows, signal, stride) };
    }
    rows_to_lanes_plain(&rows[done..], &mut signal[done..], stride);
}

/// `rows_to_lanes` a sample at a time.
fn rows_to_lanes_plain(rows: &[f32], signal: &mut [LaneFrame], stride: usize) {
    for (i, frame) in signal.iter_mut().enumerate() {
        for (k, x) in frame.iter_mut().enumerate() {
            *x = rows[k * stride + i];
        }
    }
}

/// `rows_to_lanes` for whole blocks of eight frames; returns the frames done. Needs
/// `rows.len() >= LANES * stride` and `stride >= signal.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn rows_to_lanes_avx(rows: &[f32], signal: &mut [LaneFrame], stride: usize) -> usize {
    use std::arch::x86_64::*;
    let whole = signal.len() / 8 * 8;
    let from = rows.as_ptr();
    for at in (0..whole).step_by(8) {
        // SAFETY: each load reads samples `k * stride + at..+ 8` with `k < 8` and
        // `at + 8 <= stride`, inside `rows`; frames `at..at + 8` are in `signal`.
        unsafe {
            let r: [__m256; 8] =
                std::array::from_fn(|k| _mm256_loadu_ps(from.add(k * stride + at)));
            for (i, frame) in transpose8(r).into_iter().enumerate() {
                _mm256_storeu_ps(signal[at + i].as_mut_ptr(), frame);
            }
        }
    }
    whole
}

/// `lanes_to_rows` for whole blocks of eight frames, each turned as an 8 x 8 block with
/// shuffles (where a lane at a time is a load and a store per sample); returns the
/// frames done. Needs `rows.len() >= LANES * stride` and `stride >= signal.len()`.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
unsafe fn lanes_to_rows_avx(signal: &[LaneFrame], rows: &mut [f32], stride: usize) -> usize {
    use std::arch::x86_64::*;
    const _: () = assert!(LANES == 8);
    let whole = signal.len() / 8 * 8;
    let out = rows.as_mut_ptr();
    for at in (0..whole).step_by(8) {
        // SAFETY: frames `at..at + 8` are in `signal`; each store writes samples
        // `k * stride + at..+ 8` with `k < 8` and `at + 8 <= stride`, inside `rows`.
        unsafe {
            let r: [__m256; 8] = std::array::from_fn(|i| _mm256_loadu_ps(signal[at + i].as_ptr()));
            let lanes = transpose8(r);
            for (k, lane) in lanes.into_iter().enumerate() {
                _mm256_storeu_ps(out.add(k * stride + at), lane);
            }
        }
    }
    whole
}

/// Strips waiting to run side by side. A strip spends most of its time in the EQ and
/// compressor, whose recurrences wait on every previous sample; eight strips' worth of
/// them at once keep the vector units busy instead. Strips join in the order they run,
/// and the group runs when it is full, when a strip's key is still waiting in it, or at
/// the end of the run.
///
/// The members sit in two halves of four, each half a lane signal (a lane frame a
/// vector) with its own EQ sections and meters; the compressors of both halves run
/// together, a frame of all eight one vector.
struct StripGroup {
    /// The waiting strips' channel indices.
    members: [usize; SIDE_BY_SIDE],
    len: usize,
    /// Frames in this run.
    frames: usize,
    /// Where this run starts within the engine call (for stems).
    offset: usize,
    /// Each half's signals, frame by frame: member `j`'s left side in lane `j % STRIPS`
    /// of half `j / STRIPS`, its right side in lane `j % STRIPS + STRIPS`.
    signals: [Vec<LaneFrame>; 2],
    /// What each keyed member's detector hears, frame by frame.
    key_levels: Vec<Levels>,
    keyed: [bool; SIDE_BY_SIDE],
    cascades: [LaneCascade; 2],
    compressors: LaneCompressors,
    meters: [LaneMeters; 2],
    /// Scratch for a strip that runs on its own, outside the lanes (no EQ, no
    /// compressor): its signal through the stages after the input.
    left: Vec<f32>,
    right: Vec<f32>,
    /// Every lane's signal as a row of `frames` samples (lane `k` of half `h` in row
    /// `h * LANES + k`): the members' input as they join, turned into the lanes all at
    /// once when the group runs, and their output after the compressor, turned back out
    /// the same way.
    rows: Vec<f32>,
}

impl StripGroup {
    fn new(frames: usize) -> StripGroup {
        StripGroup {
            members: [0; SIDE_BY_SIDE],
            len: 0,
            frames: 0,
            offset: 0,
            signals: std::array::from_fn(|_| vec![[0.0; LANES]; frames]),
            key_levels: vec![[0.0; SIDE_BY_SIDE]; frames],
            keyed: [false; SIDE_BY_SIDE],
            cascades: std::array::from_fn(|_| LaneCascade::new()),
            compressors: LaneCompressors::new(),
            meters: std::array::from_fn(|_| LaneMeters::new()),
            left: vec![0.0; frames],
            right: vec![0.0; frames],
            rows: vec![0.0; frames * 2 * LANES],
        }
    }

    fn holds(&self, index: usize) -> bool {
        self.members[..self.len].contains(&index)
    }

    fn is_full(&self) -> bool {
        self.len == SIDE_BY_SIDE
    }

    /// The rows of member `j`'s left and right side.
    fn rows_of(j: usize) -> (usize, usize) {
        let left = j + STRIPS * (j / STRIPS);
        (left, left + STRIPS)
    }

    /// Puts channel `index`'s frames into the next lanes, with the key its detector
    /// hears if it is keyed.
    fn join(
        &mut self,
        index: usize,
        (left, right): (&[f32], &[f32]),
        key: Option<(&[f32], &[f32])>,
        offset: usize,
    ) {
        let j = self.len;
        let n = left.len();
        debug_assert!(j == 0 || n == self.frames, "one run, one length");
        self.members[j] = index;
        self.len += 1;
        self.frames = n;
        self.offset = offset;
        let stride = self.rows.len() / (2 * LANES);
        let (l, r) = StripGroup::rows_of(j);
        self.rows[l * stride..l * stride + n].copy_from_slice(left);
        self.rows[r * stride..r * stride + n].copy_from_slice(right);
        self.keyed[j] = key.is_some();
        if let Some((kl, kr)) = key {
            for ((level, l), r) in self.key_levels.iter_mut().zip(kl).zip(kr) {
                level[j] = l.abs().max(r.abs());
            }
        }
    }
}

pub struct MixerGraph {
    sample_rate: f32,
    strips: Vec<Strip>,
    /// Channel indices in the order they run (see `processing_order`).
    order: Vec<usize>,
    /// A keyed strip's detector signal this run, high-passed.
    detector: [Vec<f32>; 2],
    reverb: Bus<Reverb>,
    delay: Bus<Echo>,
    /// The strips' sends this run: reverb left, right, delay left, right.
    sends: [Vec<f32>; 4],
    /// Whether the reverb and the delay bus have run this run: a bus that keys a
    /// compressor runs before that strip, after every strip that feeds it.
    buses_ran: [bool; 2],
    group: StripGroup,
    master_meter: StereoMeter,
    delay_song: DelayBus,
    tempo: f32,
    stems: Option<Box<Stems>>,
    /// Off for exports, where nobody reads the strips' meters.
    metering: bool,
    /// Whether any channel was soloed when the mixer was last applied (a moved
    /// parameter never changes solo, so it need not look through every channel).
    any_solo: bool,
    /// Whether a strip with nothing to run in lanes runs on its own (off only to check
    /// that it gives the samples the lanes give).
    direct: bool,
}

impl MixerGraph {
    /// `frames` is the most any one run asks for.
    pub fn new(mixer: &Mixer, tempo: f32, sample_rate: f32, frames: usize) -> MixerGraph {
        let mut graph = MixerGraph {
            sample_rate,
            strips: mixer
                .channels
                .iter()
                .map(|_| Strip::new(sample_rate, frames))
                .collect(),
            order: processing_order(mixer),
            detector: [vec![0.0; frames], vec![0.0; frames]],
            reverb: Bus::new(Reverb::new(sample_rate), sample_rate, frames),
            delay: Bus::new(
                Echo::new(sample_rate, MAX_DELAY_SECONDS),
                sample_rate,
                frames,
            ),
            sends: std::array::from_fn(|_| vec![0.0; frames]),
            buses_ran: [false; 2],
            group: StripGroup::new(frames),
            master_meter: StereoMeter::new(sample_rate),
            delay_song: mixer.delay,
            tempo,
            stems: None,
            metering: true,
            any_solo: false,
            direct: true,
        };
        graph.apply(mixer, true);
        graph
    }

    /// Takes on the song's mixer settings; with `snap` they apply at once, otherwise
    /// they glide.
    pub fn apply(&mut self, mixer: &Mixer, snap: bool) {
        let any_solo = mixer.channels.iter().any(|c| c.solo);
        self.any_solo = any_solo;
        let tempo = self.tempo;
        for (strip, song_strip) in self.strips.iter_mut().zip(&mixer.channels) {
            let audible = !song_strip.mute && (song_strip.solo || !any_solo);
            strip.apply(song_strip, audible, tempo, snap);
            strip.is_key = false;
        }
        for song_strip in &mixer.channels {
            if let Some(source) = song_strip.sidechain.channel.and_then(|n| n.checked_sub(1))
                && let Some(strip) = self.strips.get_mut(source)
            {
                strip.is_key = true;
            }
        }
        self.apply_buses(mixer, snap);
    }

    /// Takes one moved parameter of channel `index`'s strip, now `mixer.channels[index]`;
    /// the rest of the strip is left alone.
    pub fn apply_strip_param(&mut self, index: usize, param: StripParam, mixer: &Mixer) {
        let (Some(strip), Some(song_strip)) =
            (self.strips.get_mut(index), mixer.channels.get(index))
        else {
            return;
        };
        let audible = !song_strip.mute && (song_strip.solo || !self.any_solo);
        strip.apply_param(param, song_strip, audible);
    }

    /// Takes the reverb and delay buses' settings (gliding unless `snap`).
    pub fn apply_buses(&mut self, mixer: &Mixer, snap: bool) {
        let tempo = self.tempo;
        let reverb = reverb_settings(&mixer.reverb);
        let echo = echo_settings(&mixer.delay, tempo);
        self.reverb.effect.set(reverb, snap);
        self.reverb
            .back
            .apply(&mixer.reverb.bus_return, tempo, snap);
        self.delay.effect.set(echo, snap);
        self.delay.back.apply(&mixer.delay.bus_return, tempo, snap);
        self.delay_song = mixer.delay;
        if let Some(stems) = &mut self.stems {
            for bus in stems.reverbs.iter_mut().flatten() {
                bus.effect.set(reverb, snap);
                bus.back.apply(&mixer.reverb.bus_return, tempo, snap);
            }
            for bus in stems.delays.iter_mut().flatten() {
                bus.effect.set(echo, snap);
                bus.back.apply(&mixer.delay.bus_return, tempo, snap);
            }
        }
    }

    /// Takes an edited song's strips: the channels that were already playing keep their
    /// strips (and their EQ, compressor and meter state); `next` is left with the
    /// strips that are no longer used, to be dropped elsewhere. Call `apply` after.
    pub fn adopt_strips(&mut self, next: &mut Strips) {
        let kept = self.strips.len().min(next.strips.len());
        for (playing, fresh) in self.strips[..kept].iter_mut().zip(&mut next.strips[..kept]) {
            std::mem::swap(playing, fresh);
        }
        std::mem::swap(&mut self.strips, &mut next.strips);
        std::mem::swap(&mut self.order, &mut next.order);
    }

    /// The channel that runs `k`th in a run (sidechain keys run before what they key).
    pub fn channel_at(&self, k: usize) -> usize {
        self.order.get(k).copied().unwrap_or(k)
    }

    /// A note started on `channel` (0-based) at the first frame of the next run: the
    /// duckers it triggers start their shape there.
    pub fn note_started(&mut self, channel: usize) {
        self.pump_event(Some(channel));
    }

    /// A beat starts at the first frame of the next run.
    pub fn beat(&mut self) {
        self.pump_event(None);
    }

    fn pump_event(&mut self, event: Option<usize>) {
        for strip in &mut self.strips {
            strip.pump.on(event);
        }
        self.reverb.back.pump.on(event);
        self.delay.back.pump.on(event);
        if let Some(stems) = &mut self.stems {
            for bus in stems.reverbs.iter_mut().flatten() {
                bus.back.pump.on(event);
            }
            for bus in stems.delays.iter_mut().flatten() {
                bus.back.pump.on(event);
            }
        }
    }

    /// Whether the strip, bus and master-bus meters run (they cost time and change no
    /// sample of the output).
    pub fn set_metering(&mut self, on: bool) {
        self.metering = on;
    }

    /// A tempo change moves tempo-synced delay times (gliding).
    pub fn set_tempo(&mut self, tempo: f32) {
        if tempo != self.tempo {
            self.tempo = tempo;
            for strip in &mut self.strips {
                strip.pump.set_tempo(tempo);
            }
            self.reverb.back.pump.set_tempo(tempo);
            self.delay.back.pump.set_tempo(tempo);
            let echo = echo_settings(&self.delay_song, tempo);
            self.delay.effect.set(echo, false);
            if let Some(stems) = &mut self.stems {
                for bus in stems.reverbs.iter_mut().flatten() {
                    bus.back.pump.set_tempo(tempo);
                }
                for bus in stems.delays.iter_mut().flatten() {
                    bus.effect.set(echo, false);
                    bus.back.pump.set_tempo(tempo);
                }
            }
        }
    }

    /// From now on, keeps every stem's frames, up to `max_frames` per engine call.
    /// Allocates: call it before playing.
    pub fn capture_stems(&mut self, mixer: &Mixer, max_frames: usize) {
        let rate = self.sample_rate;
        let run = self.sends[0].len();
        let reverb = reverb_settings(&mixer.reverb);
        let echo = echo_settings(&mixer.delay, self.tempo);
        let stems = Stems {
            reverbs: self
                .strips
                .iter()
                .map(|s| {
                    s.sends_to(0).then(|| {
                        let mut bus = Bus::new(Reverb::new(rate), rate, run);
                        bus.effect.set(reverb, true);
                        bus.back.apply(&mixer.reverb.bus_return, self.tempo, true);
                        bus
                    })
                })
                .collect(),
            delays: self
                .strips
                .iter()
                .map(|s| {
                    s.sends_to(1).then(|| {
                        let mut bus = Bus::new(Echo::new(rate, MAX_DELAY_SECONDS), rate, run);
                        bus.effect.set(echo, true);
                        bus.back.apply(&mixer.delay.bus_return, self.tempo, true);
                        bus
                    })
                })
                .collect(),
            channels: vec![vec![0.0; 2 * max_frames]; self.strips.len()],
            buses: [vec![0.0; 2 * max_frames], vec![0.0; 2 * max_frames]],
            master_bus: vec![0.0; 2 * max_frames],
            sends: std::array::from_fn(|_| vec![0.0; run]),
            left: vec![0.0; run],
            right: vec![0.0; run],
        };
        self.stems = Some(Box::new(stems));
    }

    pub fn stems(&self) -> Option<&Stems> {
        self.stems.as_deref()
    }

    /// Starts a run of `n` frames: the buses' inputs start empty.
    pub fn begin_run(&mut self, n: usize) {
        debug_assert_eq!(self.group.len, 0, "the last run finished");
        for s in &mut self.sends {
            s[..n].fill(0.0);
        }
        self.buses_ran = [false; 2];
    }

    /// Runs channel `index`'s strip over its voices' frames and adds the result into the
    /// master bus, the same `master` each call of a run: strips run in groups, so a
    /// strip's share may land there in a later call or in `finish_run`. `offset` is the
    /// run's first frame within the engine call (where its stem frames go).
    pub fn strip(
        &mut self,
        index: usize,
        note_pan: f32,
        left: &[f32],
        right: &[f32],
        master: (&mut [f32], &mut [f32]),
        offset: usize,
    ) {
        let n = left.len();
        let Some(source) = self.strips.get(index).map(|s| s.key_source) else {
            return;
        };
        if source.is_some_and(|s| self.group.holds(s)) {
            // Its key has not run yet.
            self.run_group((&mut *master.0, &mut *master.1));
        }
        if let Some(bus) = self.strips[index].key_bus {
            // Its key is a bus's return: the strips that feed the bus have all been
            // given (the run order sees to it); they run, then the bus.
            self.run_group((&mut *master.0, &mut *master.1));
            self.run_bus_once(bus, n, (&mut *master.0, &mut *master.1));
        }
        let keyed = self.key_into_detector(index, n);
        let strip = &mut self.strips[index];
        // Most channels are quiet much of a song: a strip at rest fed silence puts out
        // exactly silence, so it is not run (unless a key drives its compressor, or each
        // channel's stem is wanted).
        if self.stems.is_none()
            && !keyed
            && strip.is_at_rest(note_pan)
            && is_silence(left)
            && is_silence(right)
        {
            strip.skip_silence(n, self.metering);
            return;
        }
        strip.follow_note_pan(note_pan);
        if self.direct && strip.uses_no_lanes() {
            // No EQ and no compressor: nothing for the lanes to do, so the strip runs at
            // once, on its own, with the same arithmetic as in a group.
            let (l, r) = (&mut self.group.left[..n], &mut self.group.right[..n]);
            l.copy_from_slice(left);
            r.copy_from_slice(right);
            strip.trim(l, r);
            strip.compressor.process(l, r);
            finish_strip(
                strip,
                index,
                (l, r),
                &mut self.sends,
                &mut self.stems,
                offset,
                master,
            );
            if self.metering {
                strip
                    .meter
                    .process(&self.group.left[..n], &self.group.right[..n]);
            }
            return;
        }
        let [dl, dr] = &self.detector;
        let key = keyed.then_some((&dl[..n], &dr[..n]));
        self.group.join(index, (left, right), key, offset);
        if self.group.is_full() {
            self.run_group(master);
        }
    }

    /// Runs the waiting strips, stage by stage, and adds their output into `master`.
    fn run_group(&mut self, master: (&mut [f32], &mut [f32])) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx") {
            // SAFETY: the CPU has just been seen to have AVX.
            unsafe { self.run_group_avx(master) };
            return;
        }
        self.run_group_lanes(master);
    }

    /// `run_group` with 256-bit vectors, a lane frame to a register. Without FMA, whose
    /// single rounding would change the samples: both paths give the same bits.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx")]
    fn run_group_avx(&mut self, master: (&mut [f32], &mut [f32])) {
        self.run_group_lanes(master);
    }

    #[inline(always)]
    fn run_group_lanes(&mut self, master: (&mut [f32], &mut [f32])) {
        let MixerGraph {
            strips,
            group,
            sends,
            stems,
            metering,
            ..
        } = self;
        let (n, len) = (group.frames, group.len);
        if len == 0 {
            return;
        }
        group.len = 0;
        let members = group.members;
        let members = &members[..len];
        let halves = len.div_ceil(STRIPS);
        let stride = group.rows.len() / (2 * LANES);
        for j in len..halves * STRIPS {
            let (l, r) = StripGroup::rows_of(j);
            group.rows[l * stride..l * stride + n].fill(0.0);
            group.rows[r * stride..r * stride + n].fill(0.0);
        }
        // Member `j` is strip `j % STRIPS` of half `j / STRIPS`.
        let lanes = |j: usize| (j % STRIPS, j % STRIPS + STRIPS);
        let [first, second] = &mut group.signals;
        let (first, second) = (&mut first[..n], &mut second[..n]);
        for (h, half) in members.chunks(STRIPS).enumerate() {
            let signal = if h == 0 { &mut *first } else { &mut *second };
            rows_to_lanes(&group.rows[h * LANES * stride..], signal, stride);
            // Trim and phase; a strip at unity (or gliding, done above) is multiplied by 1.
            let mut trims = [1.0; LANES];
            for (s, &index) in half.iter().enumerate() {
                strips[index].trim_lanes(signal, s, &mut trims);
            }
            if trims != [1.0; LANES] {
                for frame in signal.iter_mut() {
                    for i in 0..LANES {
                        frame[i] *= trims[i];
                    }
                }
            }
        }
        // High-pass and EQ, in stretches within every member's coefficient grid. The
        // sections stay in the lanes for the whole run; a strip's are handed back and
        // loaded again only where its coefficients move.
        let mut equalised = [false; SIDE_BY_SIDE];
        for (j, &index) in members.iter().enumerate() {
            equalised[j] = strips[index].eq.is_active();
        }
        let in_half = |h: usize| equalised[h * STRIPS..(h + 1) * STRIPS].contains(&true);
        let halves_equalised = [in_half(0), in_half(1)];
        for (h, cascade) in group.cascades.iter_mut().enumerate() {
            if halves_equalised[h] {
                cascade.clear();
            }
        }
        for (j, &index) in members.iter().enumerate() {
            if equalised[j] {
                let cascade = &mut group.cascades[j / STRIPS];
                strips[index].eq.load_lanes(cascade, lanes(j));
            }
        }
        let mut start = 0;
        while halves_equalised.contains(&true) && start < n {
            let mut stretch = n - start;
            for (j, &index) in members.iter().enumerate() {
                if !equalised[j] {
                    continue;
                }
                let cascade = &mut group.cascades[j / STRIPS];
                let eq = &mut strips[index].eq;
                if eq.updates_next_stretch() {
                    eq.store_lanes(cascade, lanes(j));
                    stretch = stretch.min(eq.begin_stretch(n - start));
                    cascade.clear_lanes(lanes(j));
                    eq.load_lanes(cascade, lanes(j));
                } else {
                    stretch = stretch.min(eq.begin_stretch(n - start));
                }
            }
            if halves_equalised == [true, true] {
                // Both halves at once, and while no coefficient moves, stretch after
                // stretch in one call, settling each member's lanes at the end of each
                // step of its grid as below.
                let mut stretches = [(0, [[false; LANES]; 2]); 16];
                let mut count = 0;
                let mut end = start;
                loop {
                    let mut settles = [[false; LANES]; 2];
                    for (j, &index) in members.iter().enumerate() {
                        if equalised[j] && strips[index].eq.end_stretch_in_lanes(stretch) {
                            let (left, right) = lanes(j);
                            settles[j / STRIPS][left] = true;
                            settles[j / STRIPS][right] = true;
                        }
                    }
                    stretches[count] = (stretch, settles);
                    count += 1;
                    end += stretch;
                    let moves = members
                        .iter()
                        .enumerate()
                        .any(|(j, &index)| equalised[j] && strips[index].eq.updates_next_stretch());
                    if end == n || count == stretches.len() || moves {
                        break;
                    }
                    stretch = n - end;
                    for (j, &index) in members.iter().enumerate() {
                        if equalised[j] {
                            stretch = stretch.min(strips[index].eq.begin_stretch(n - end));
                        }
                    }
                }
                let [a, b] = &mut group.cascades;
                let span = start..end;
                LaneCascade::process_pair_settling(
                    a,
                    b,
                    &mut first[span.clone()],
                    &mut second[span],
                    &stretches[..count],
                );
                start = end;
                continue;
            }
            let span = start..start + stretch;
            let [a, b] = &mut group.cascades;
            match halves_equalised {
                [true, false] => a.process(&mut first[span]),
                _ => b.process(&mut second[span]),
            }
            for (j, &index) in members.iter().enumerate() {
                if equalised[j] && strips[index].eq.end_stretch_in_lanes(stretch) {
                    group.cascades[j / STRIPS].settle(lanes(j));
                }
            }
            start += stretch;
        }
        for (j, &index) in members.iter().enumerate() {
            if equalised[j] {
                strips[index]
                    .eq
                    .store_lanes(&group.cascades[j / STRIPS], lanes(j));
            }
        }
        group.compressors.clear();
        for (j, &index) in members.iter().enumerate() {
            group
                .compressors
                .load(j, &mut strips[index].compressor, group.keyed[j]);
        }
        let second = if halves == 2 { second } else { &mut [] };
        group
            .compressors
            .process(first, second, &group.key_levels[..n]);
        for (j, &index) in members.iter().enumerate() {
            group.compressors.store(j, &mut strips[index].compressor);
        }
        // The rest strip by strip: it is mostly vectorised over the frames already.
        for (h, signal) in [&*first, &*second].into_iter().enumerate().take(halves) {
            lanes_to_rows(signal, &mut group.rows[h * LANES * stride..], stride);
        }
        for (j, &index) in members.iter().enumerate() {
            let (l, r) = StripGroup::rows_of(j);
            let (lefts, rights) = group.rows.split_at_mut(r * stride);
            let left = &mut lefts[l * stride..l * stride + n];
            let right = &mut rights[..n];
            finish_strip(
                &mut strips[index],
                index,
                (&mut *left, &mut *right),
                sends,
                stems,
                group.offset,
                (&mut *master.0, &mut *master.1),
            );
        }
        if *metering {
            for (h, half) in members.chunks(STRIPS).enumerate() {
                // Back into the lanes, post-fader, for the meters.
                let signal = if h == 0 { &mut *first } else { &mut *second };
                rows_to_lanes(&group.rows[h * LANES * stride..], signal, stride);
                let meters = &mut group.meters[h];
                meters.clear();
                for (s, &index) in half.iter().enumerate() {
                    meters.load(s, &strips[index].meter);
                }
            }
            let [a, b] = &mut group.meters;
            if halves == 2 {
                LaneMeters::process_pair((a, b), first, second);
            } else {
                a.process(first);
            }
            for (j, &index) in members.iter().enumerate() {
                group.meters[j / STRIPS].store(j % STRIPS, &mut strips[index].meter);
            }
        }
    }

    /// Runs bus `bus` on what has been sent to it this run and adds its return into
    /// `master`, unless it has run already. Whatever is sent to it later in the run is
    /// not heard (a strip that hears the bus cannot feed it: validation refuses that loop).
    fn run_bus_once(&mut self, bus: KeyBus, n: usize, master: (&mut [f32], &mut [f32])) {
        let [rl, rr, dl, dr] = &self.sends;
        let slot = match bus {
            KeyBus::Reverb => 0,
            KeyBus::Delay => 1,
        };
        if std::mem::replace(&mut self.buses_ran[slot], true) {
            return;
        }
        let metering = self.metering;
        match bus {
            KeyBus::Reverb => run_bus(&mut self.reverb, &rl[..n], &rr[..n], master, metering),
            KeyBus::Delay => run_bus(&mut self.delay, &dl[..n], &dr[..n], master, metering),
        }
    }

    /// Fills the detector with the key of strip `index`'s compressor for this run of `n`
    /// frames, through its high-pass; false when the strip is not keyed.
    fn key_into_detector(&mut self, index: usize, n: usize) -> bool {
        let Some(strip) = self.strips.get(index) else {
            return false;
        };
        let key: [&[f32]; 2] = match (strip.key_bus, strip.key_source) {
            // A bus that nothing has reached yet returns silence (its input is untouched).
            (Some(KeyBus::Reverb), _) => [&self.reverb.input[0], &self.reverb.input[1]],
            (Some(KeyBus::Delay), _) => [&self.delay.input[0], &self.delay.input[1]],
            (None, Some(source)) if source != index && source < self.strips.len() => {
                [&self.strips[source].key[0], &self.strips[source].key[1]]
            }
            _ => return false,
        };
        let [dl, dr] = &mut self.detector;
        let (dl, dr) = (&mut dl[..n], &mut dr[..n]);
        dl.copy_from_slice(&key[0][..n]);
        dr.copy_from_slice(&key[1][..n]);
        let strip = &mut self.strips[index];
        if strip.key_high_pass_hz > crate::song::MIN_KEY_HIGH_PASS_HZ {
            strip.key_filter.process(dl, dr);
        }
        true
    }

    /// Runs the buses on what the strips sent and adds their returns into the master bus.
    pub fn finish_run(&mut self, master_left: &mut [f32], master_right: &mut [f32], offset: usize) {
        self.run_group((&mut *master_left, &mut *master_right));
        let n = master_left.len();
        for bus in KeyBus::ALL {
            self.run_bus_once(bus, n, (&mut *master_left, &mut *master_right));
        }
        if self.metering {
            self.master_meter.process(master_left, master_right);
        }
        if let Some(stems) = &mut self.stems {
            for (bus_stem, (live, [l, r])) in stems.buses.iter_mut().zip([
                (self.reverb.live, &self.reverb.input),
                (self.delay.live, &self.delay.input),
            ]) {
                if live {
                    interleave(&l[..n], &r[..n], bus_stem, offset);
                } else if let Some(frames) = bus_stem.get_mut(2 * offset..2 * (offset + n)) {
                    frames.fill(0.0);
                }
            }
            interleave(master_left, master_right, &mut stems.master_bus, offset);
        }
    }

    /// Fills `meters` with the readings since the last call.
    pub fn read_meters(&mut self, meters: &mut MixerMeters) {
        let read = |meter: &mut StereoMeter, out: &mut StripMeter| {
            out.peak_db = meter.take_peak_db();
            out.rms_db = meter.rms_db();
        };
        for (strip, out) in self.strips.iter_mut().zip(meters.channels.iter_mut()) {
            read(&mut strip.meter, out);
            out.gain_reduction_db = strip
                .compressor
                .take_peak_reduction_db()
                .max(strip.pump.ducker.take_peak_reduction_db());
        }
        read(&mut self.reverb.back.meter, &mut meters.reverb);
        meters.reverb.gain_reduction_db = self.reverb.back.pump.ducker.take_peak_reduction_db();
        read(&mut self.delay.back.meter, &mut meters.delay);
        meters.delay.gain_reduction_db = self.delay.back.pump.ducker.take_peak_reduction_db();
        read(&mut self.master_meter, &mut meters.master);
    }

    /// Channel strips in the graph (a meters struct needs a place for each).
    pub fn strip_count(&self) -> usize {
        self.strips.len()
    }

    /// A meters struct with a place for every strip (allocates; make it once).
    pub fn new_meters(&self) -> MixerMeters {
        MixerMeters {
            channels: vec![StripMeter::default(); self.strips.len()],
            ..MixerMeters::default()
        }
    }
}

/// The stages after the compressor on channel `index`'s signal in `left` and `right`
/// (`Strip::finish`, its sends going into `sends`), its stem if stems are captured
/// (`offset` is where the run starts in them), and its share of `master`.
fn finish_strip(
    strip: &mut Strip,
    index: usize,
    (left, right): (&mut [f32], &mut [f32]),
    sends: &mut [Vec<f32>; 4],
    stems: &mut Option<Box<Stems>>,
    offset: usize,
    master: (&mut [f32], &mut [f32]),
) {
    let n = left.len();
    match stems {
        None => strip.finish(left, right, sends),
        Some(stems) => {
            // This channel's sends alone, through its own copies of the buses as well as
            // into the shared ones.
            for s in &mut stems.sends {
                s[..n].fill(0.0);
            }
            strip.finish(left, right, &mut stems.sends);
            for (own, shared) in stems.sends.iter().zip(sends.iter_mut()) {
                add(&own[..n], &mut shared[..n]);
            }
            let [rl, rr, dl, dr] = &stems.sends;
            let (stem_l, stem_r) = (&mut stems.left[..n], &mut stems.right[..n]);
            stem_l.copy_from_slice(left);
            stem_r.copy_from_slice(right);
            if let Some(Some(bus)) = stems.reverbs.get_mut(index) {
                run_bus(bus, &rl[..n], &rr[..n], (stem_l, stem_r), false);
            }
            if let Some(Some(bus)) = stems.delays.get_mut(index) {
                run_bus(bus, &dl[..n], &dr[..n], (stem_l, stem_r), false);
            }
            if let Some(stem) = stems.channels.get_mut(index) {
                interleave(stem_l, stem_r, stem, offset);
            }
        }
    }
    add(left, master.0);
    add(right, master.1);
}

/// Writes a stereo pair into an interleaved buffer from frame `offset` on.
fn interleave(left: &[f32], right: &[f32], into: &mut [f32], offset: usize) {
    let Some(into) = into.get_mut(2 * offset..) else {
        return;
    };
    for ((frame, &l), &r) in into.chunks_exact_mut(2).zip(left).zip(right) {
        frame[0] = l;
        frame[1] = r;
    }
}

/// Whether every sample is zero (either sign), looked at a vector's worth at a time
/// rather than stopping at each sample to ask.
fn is_silence(x: &[f32]) -> bool {
    let (blocks, rest) = x.as_chunks::<16>();
    // Shifting the sign bit out leaves nothing of a zero of either sign.
    blocks
        .iter()
        .all(|b| b.iter().fold(0, |any, v| any | (v.to_bits() << 1)) == 0)
        && rest.iter().all(|&v| v == 0.0)
}

fn add(from: &[f32], into: &mut [f32]) {
    for (x, y) in from.iter().zip(into.iter_mut()) {
        *y += x;
    }
}

/// Runs `bus` on the sends and adds its return into the master bus (its meter running
/// if `metering`). A bus nothing has reached is silent and is skipped; once it has been
/// reached it runs until reset.
fn run_bus<E: Effect>(
    bus: &mut Bus<E>,
    send_left: &[f32],
    send_right: &[f32],
    (master_left, master_right): (&mut [f32], &mut [f32]),
    metering: bool,
) {
    let n = send_left.len();
    if !bus.live {
        if is_silence(send_left) && is_silence(send_right) {
            bus.back.pump.ducker.skip(n);
            return;
        }
        bus.live = true;
    }
    bus.input[0][..n].copy_from_slice(send_left);
    bus.input[1][..n].copy_from_slice(send_right);
    bus.run(n, metering);
    add(&bus.input[0][..n], master_left);
    add(&bus.input[1][..n], master_right);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::Mixer;

    const RATE: f32 = 48_000.0;
    const RUN: usize = 128;

    #[test]
    fn lanes_turned_into_rows_and_back_by_blocks_are_those_turned_a_sample_at_a_time() {
        let stride = 40;
        for frames in [0, 1, 7, 8, 9, 16, 23, 40] {
            let signal: Vec<LaneFrame> = (0..frames)
                .map(|i| std::array::from_fn(|k| (i * LANES + k) as f32 * 0.5 - 3.0))
                .collect();
            let mut fast = vec![f32::NAN; LANES * stride];
            let mut plain = fast.clone();
            lanes_to_rows(&signal, &mut fast, stride);
            lanes_to_rows_plain(&signal, &mut plain, stride);
            let mut back = vec![[f32::NAN; LANES]; frames];
            let mut back_plain = back.clone();
            rows_to_lanes(&fast, &mut back, stride);
            rows_to_lanes_plain(&fast, &mut back_plain, stride);
            assert_eq!(back, signal, "{frames} frames");
            assert_eq!(back_plain, signal, "{frames} frames");
            for k in 0..LANES {
                for i in 0..frames {
                    assert_eq!(fast[k * stride + i], signal[i][k], "{frames} frames");
                    assert_eq!(plain[k * stride + i], signal[i][k], "{frames} frames");
                }
                // Nothing is written past the frames given.
                assert!(
                    fast[k * stride + frames..(k + 1) * stride]
                        .iter()
                        .all(|x| x.is_nan())
                );
            }
        }
    }

    fn sine(n: usize, start: usize, level: f32) -> Vec<f32> {
        (start..start + n)
            .map(|i| level * (std::f32::consts::TAU * 440.0 * i as f32 / RATE).sin())
            .collect()
    }

    /// Plays `input` (the same on both sides) through channel 0 for `runs` runs; returns
    /// the master bus.
    fn play(graph: &mut MixerGraph, level: f32, runs: usize, start: usize) -> (Vec<f32>, Vec<f32>) {
        let (mut out_l, mut out_r) = (Vec::new(), Vec::new());
        for k in 0..runs {
            let l = sine(RUN, start + k * RUN, level);
            let r = l.clone();
            let (mut ml, mut mr) = (vec![0.0; RUN], vec![0.0; RUN]);
            graph.begin_run(RUN);
            graph.strip(0, 0.0, &l, &r, (&mut ml, &mut mr), 0);
            for ch in 1..graph.strips.len() {
                let (zl, zr) = (vec![0.0; RUN], vec![0.0; RUN]);
                graph.strip(ch, 0.0, &zl, &zr, (&mut ml, &mut mr), 0);
            }
            graph.finish_run(&mut ml, &mut mr, 0);
            out_l.extend(ml);
            out_r.extend(mr);
        }
        (out_l, out_r)
    }

    fn peak(x: &[f32]) -> f32 {
        x.iter().fold(0.0f32, |m, v| m.max(v.abs()))
    }

    #[test]
    fn a_centred_mono_signal_is_minus_3_db_each_side() {
        let mixer = Mixer::with_channels(1);
        let mut graph = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        let (l, r) = play(&mut graph, 1.0, 100, 0);
        let db = |x: &[f32]| 20.0 * peak(&x[6_400..]).log10();
        assert!((db(&l) + 3.01).abs() < 0.02, "{}", db(&l));
        assert!((db(&r) + 3.01).abs() < 0.02, "{}", db(&r));
    }

    fn everything_on(channels: usize) -> Mixer {
        let mut mixer = Mixer::with_channels(channels);
        for strip in &mut mixer.channels {
            strip.input.trim_db = 3.0;
            strip.high_pass.slope = HighPassSlope::Db24;
            strip.eq.low.gain_db = 4.0;
            strip.eq.mid1.gain_db = -3.0;
            strip.eq.mid2.gain_db = 2.0;
            strip.eq.high.gain_db = -5.0;
            strip.compressor.bypass = false;
            strip.compressor.threshold_db = -30.0;
            strip.sends.reverb.level_db = -6.0;
            strip.sends.delay.level_db = -9.0;
        }
        mixer.reverb.decay_s = 1.0;
        mixer.delay.feedback = 0.5;
        mixer
    }

    #[test]
    fn strips_at_rest_skipped_on_silence_give_the_same_samples_as_run() {
        // Bursts with long gaps, so strips come to rest and are skipped; with stems
        // captured every strip always runs. The master bus must not differ by a bit.
        let mixer = everything_on(2);
        let mut skipping = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        let mut running = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        running.capture_stems(&mixer, RUN);
        let mut skipped = 0;
        for k in 0..6_000 {
            let level = if (k / 200) % 15 == 0 { 0.8 } else { 0.0 };
            let mut outs = Vec::new();
            for graph in [&mut skipping, &mut running] {
                let (mut ml, mut mr) = (vec![0.0; RUN], vec![0.0; RUN]);
                graph.begin_run(RUN);
                for ch in 0..2 {
                    let l = sine(RUN, k * RUN, level * (ch + 1) as f32 / 2.0);
                    let r = l.clone();
                    graph.strip(ch, 0.0, &l, &r, (&mut ml, &mut mr), 0);
                }
                graph.finish_run(&mut ml, &mut mr, 0);
                outs.push((ml, mr));
            }
            skipped += usize::from(level == 0.0 && skipping.strips[0].is_at_rest(0.0));
            assert_eq!(outs[0], outs[1], "run {k}");
        }
        assert!(
            skipped > 500,
            "strips came to rest and were skipped ({skipped} runs)"
        );
    }

    #[test]
    fn after_a_loud_signal_silence_leaves_every_state_at_exact_zero() {
        let mut graph = MixerGraph::new(&everything_on(1), 120.0, RATE, RUN);
        let (l, _) = play(&mut graph, 1.0, 400, 0);
        assert!(peak(&l) > 0.3);
        let strip = &graph.strips[0];
        assert!(!strip.eq.is_silent() && strip.compressor.gain_reduction_db() > 1.0);
        // Forty seconds of silence: the reverb (1 s) and echo (-6 dB a repeat) tails die
        // out too, to exact zero rather than into denormals.
        let (l, r) = play(&mut graph, 0.0, 15_000, 0);
        let strip = &graph.strips[0];
        assert!(
            strip.eq.is_silent(),
            "EQ state is exactly zero, not denormal"
        );
        assert_eq!(strip.compressor.gain_reduction_db(), 0.0);
        assert!(
            graph.reverb.effect.is_silent(),
            "reverb state is exactly zero"
        );
        assert!(graph.delay.effect.is_silent(), "echo state is exactly zero");
        assert!(
            l[l.len() - RUN..]
                .iter()
                .chain(&r[r.len() - RUN..])
                .all(|&x| x == 0.0)
        );
    }

    #[test]
    fn mute_silences_a_strip_and_its_sends_and_solo_keeps_the_returns() {
        let mut mixer = everything_on(2);
        mixer.channels[0].mute = true;
        let mut graph = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        let (l, _) = play(&mut graph, 1.0, 100, 0);
        assert_eq!(peak(&l), 0.0, "muted: nothing, not even the sends");
        // Soloing another channel silences channel 0's strip, but not its returns'
        // tails... and soloing channel 0 itself keeps its sends going to the returns.
        let mut mixer = everything_on(2);
        mixer.channels[0].solo = true;
        mixer.channels[0].gain_db = SILENT_DB;
        mixer.channels[0].sends.reverb.pre_fader = true;
        let mut graph = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        let (l, _) = play(&mut graph, 1.0, 100, 0);
        assert!(
            peak(&l) > 0.01,
            "the soloed strip's pre-fader send reaches the return"
        );
        let mut meters = graph.new_meters();
        graph.read_meters(&mut meters);
        assert!(meters.reverb.peak_db[0] > -40.0, "{:?}", meters.reverb);
        assert_eq!(meters.channels[0].peak_db, [-200.0, -200.0], "fader down");
        assert!(meters.channels[0].gain_reduction_db > 1.0);
        assert!(meters.master.rms_db[0] > -60.0);
    }

    #[test]
    fn gliding_eqs_side_by_side_give_the_samples_of_each_eq_alone() {
        // Only EQs in circuit. Runs of 100 frames, and EQs switched in late, each at
        // its own run, so the strips' 32-frame coefficient grids are out of step. With
        // 7 and 11 channels a group of eight has EQs gliding in both its halves (its
        // two lane signals) at once; with 11 a second group has one half.
        for channels in [2, 7, 11] {
            let mut mixer = Mixer::with_channels(channels);
            mixer.channels[0].eq.mid1.gain_db = 6.0;
            mixer.channels[0].high_pass.slope = HighPassSlope::Db24;
            if channels > 5 {
                mixer.channels[5].eq.low.gain_db = 5.0;
            }
            let mut graph = MixerGraph::new(&mixer, 120.0, RATE, RUN);
            // Each channel's own samples (the master bus sums more than two channels in
            // an order of its own).
            graph.capture_stems(&mixer, RUN);
            let mut alone: Vec<Strip> = (0..channels).map(|_| Strip::new(RATE, RUN)).collect();
            for (strip, song_strip) in alone.iter_mut().zip(&mixer.channels) {
                strip.apply(song_strip, true, 120.0, true);
            }
            let run = 100;
            for k in 0..60 {
                // Channel `ch > 1` switched in at run `3 + 4 * ch` (channel 1 at run 3).
                let switched_in =
                    (1..channels).find(|&ch| k == if ch == 1 { 3 } else { 3 + 4 * ch });
                let moves = k == 20 || k == 41;
                if switched_in.is_some() || moves {
                    if let Some(ch) = switched_in {
                        mixer.channels[ch].eq.high.gain_db = -4.0 - ch as f32 / 2.0;
                    }
                    if moves {
                        // Moves that glide: a gain and a corner in the first half, a
                        // gain in the second.
                        mixer.channels[1].eq.high.gain_db = -4.0 - k as f32 / 10.0;
                        mixer.channels[0].eq.mid1.gain_db = 6.0 - k as f32 / 5.0;
                        mixer.channels[0].high_pass.freq = 40.0 + k as f32;
                        if channels > 5 {
                            mixer.channels[5].eq.low.gain_db = 5.0 - k as f32 / 8.0;
                        }
                    }
                    graph.apply(&mixer, false);
                    for (strip, song_strip) in alone.iter_mut().zip(&mixer.channels) {
                        strip.apply(song_strip, true, 120.0, false);
                    }
                }
                let (mut ml, mut mr) = (vec![0.0; run], vec![0.0; run]);
                let (mut expected_l, mut expected_r) = (vec![0.0; run], vec![0.0; run]);
                let mut expected_stems = Vec::new();
                graph.begin_run(run);
                for (ch, strip) in alone.iter_mut().enumerate() {
                    let l = sine(run, k * run, 0.5 / (ch + 1) as f32);
                    let r: Vec<f32> = l.iter().map(|x| -0.7 * x).collect();
                    graph.strip(ch, 0.0, &l, &r, (&mut ml, &mut mr), 0);
                    let (mut el, mut er) = (l.clone(), r.clone());
                    if strip.eq.is_active() {
                        strip.eq.process(&mut el, &mut er);
                    }
                    strip.output.apply(&mut el, &mut er);
                    add(&el, &mut expected_l);
                    add(&er, &mut expected_r);
                    let stem: Vec<f32> = el.iter().zip(&er).flat_map(|(&l, &r)| [l, r]).collect();
                    expected_stems.push(stem);
                }
                graph.finish_run(&mut ml, &mut mr, 0);
                let stems = &graph.stems().unwrap().channels;
                for (ch, expected) in expected_stems.iter().enumerate() {
                    assert_eq!(
                        &stems[ch][..2 * run],
                        expected,
                        "{channels} channels, {ch}, run {k}"
                    );
                }
                if channels == 2 {
                    assert_eq!(ml, expected_l, "run {k}");
                    assert_eq!(mr, expected_r, "run {k}");
                }
            }
            for ch in 0..channels {
                assert!(graph.strips[ch].eq.is_active(), "{channels} channels, {ch}");
            }
        }
    }

    #[test]
    fn strips_run_on_their_own_give_the_samples_they_give_in_lanes() {
        // Plain strips (no EQ, no compressor) beside lane strips, with a trim gliding,
        // phase, pan, sends both sides of the fader, a ducker and a compressor switched
        // out mid-way: each channel's stem and meter must match the lanes' bit for bit.
        let mut mixer = everything_on(5);
        for (i, strip) in mixer.channels.iter_mut().enumerate().skip(1) {
            strip.high_pass.slope = HighPassSlope::Off;
            strip.eq = Eq::default();
            strip.compressor.bypass = i != 4;
            strip.pan = i as f32 / 5.0 - 0.4;
            strip.input.invert = i == 2;
        }
        mixer.channels[2].sends.delay.pre_fader = true;
        mixer.channels[3].ducker.bypass = false;
        mixer.channels[3].ducker.trigger = DuckTrigger::Beat;
        let mut direct = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        let mut lanes = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        lanes.direct = false;
        for graph in [&mut direct, &mut lanes] {
            graph.capture_stems(&mixer, RUN);
        }
        let mut ran_directly = 0;
        for k in 0..300 {
            if k == 20 || k == 90 {
                mixer.channels[1].input.trim_db = -4.0 - k as f32 / 10.0;
                mixer.channels[4].compressor.bypass = true;
                for graph in [&mut direct, &mut lanes] {
                    graph.apply(&mixer, false);
                }
            }
            let mut outs = Vec::new();
            for graph in [&mut direct, &mut lanes] {
                if k % 40 == 0 {
                    graph.beat();
                }
                let (mut ml, mut mr) = (vec![0.0; RUN], vec![0.0; RUN]);
                graph.begin_run(RUN);
                for ch in 0..5 {
                    let l = sine(RUN, k * RUN + 7 * ch, 0.9 / (ch + 1) as f32);
                    let r: Vec<f32> = l.iter().map(|x| 0.5 * x).collect();
                    graph.strip(ch, 0.0, &l, &r, (&mut ml, &mut mr), 0);
                }
                graph.finish_run(&mut ml, &mut mr, 0);
                let mut meters = graph.new_meters();
                graph.read_meters(&mut meters);
                let stems = graph.stems().unwrap();
                outs.push((ml, mr, meters, stems.channels.clone()));
            }
            ran_directly += (1..5)
                .filter(|&ch| direct.strips[ch].uses_no_lanes())
                .count();
            let (d, l) = (&outs[0], &outs[1]);
            assert_eq!(d.2.channels, l.2.channels, "run {k}: strip meters");
            assert_eq!(d.3, l.3, "run {k}: channel stems");
            // Only the order the strips are summed in differs.
            for (a, b) in d.0.iter().chain(&d.1).zip(l.0.iter().chain(&l.1)) {
                assert!((a - b).abs() <= 1e-6 * (1.0 + b.abs()), "run {k}: {a} {b}");
            }
        }
        assert!(ran_directly > 600, "{ran_directly}");
    }

    #[test]
    fn silence_is_every_sample_zero_of_either_sign() {
        for n in [0, 1, 15, 16, 17, 128, 131] {
            let mut x = vec![0.0f32; n];
            assert!(is_silence(&x), "{n}");
            for i in 0..n {
                for v in [-0.0, 1e-40, -1e-30, f32::NAN, f32::INFINITY, 0.5] {
                    x[i] = v;
                    assert_eq!(is_silence(&x), v == 0.0, "{n} {i} {v}");
                }
                x[i] = 0.0;
            }
        }
    }

    #[test]
    fn a_fader_move_glides_instead_of_stepping() {
        let mixer = Mixer::with_channels(1);
        let mut graph = MixerGraph::new(&mixer, 120.0, RATE, RUN);
        play(&mut graph, 0.5, 10, 0);
        let mut quiet = mixer.clone();
        quiet.channels[0].gain_db = -40.0;
        graph.apply(&quiet, false);
        let (l, _) = play(&mut graph, 0.5, 10, 10 * RUN);
        let worst = l
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0f32, f32::max);
        // A 440 Hz sine at 0.35 moves at most 0.02 a sample; a step would be ~0.35.
        assert!(worst < 0.03, "{worst}");
    }
}
