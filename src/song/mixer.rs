//! The mixing desk: one strip per channel, a reverb bus and a delay bus.
//!
//! Every field has a default that leaves the sound untouched, and stages left at their
//! defaults are not written out, so a song that does not use a stage reads as before.

use super::automation::Lfo;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mixer {
    /// One strip per channel of the pattern grid; their count is the song's channel count.
    pub channels: Vec<ChannelStrip>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub reverb: ReverbBus,
    #[serde(default, skip_serializing_if = "is_default")]
    pub delay: DelayBus,
}

/// A channel strip, in signal order: input, high-pass, EQ, compressor, sends (pre-fader),
/// fader and pan, sends (post-fader).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelStrip {
    pub name: String,
    /// The fader.
    pub gain_db: f32,
    /// -1 is hard left, 1 hard right.
    pub pan: f32,
    pub mute: bool,
    pub solo: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub input: Input,
    #[serde(skip_serializing_if = "is_default")]
    pub high_pass: HighPass,
    #[serde(skip_serializing_if = "is_default")]
    pub eq: Eq,
    #[serde(skip_serializing_if = "is_default")]
    pub compressor: Compressor,
    /// Where the compressor's detector listens: its own signal unless keyed.
    #[serde(skip_serializing_if = "is_default")]
    pub sidechain: Sidechain,
    /// The volume pump after the compressor.
    #[serde(skip_serializing_if = "is_default")]
    pub ducker: Ducker,
    #[serde(skip_serializing_if = "is_default")]
    pub sends: Sends,
    /// LFOs moving this strip's parameters (or any other).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lfos: Vec<Lfo>,
}

impl Default for ChannelStrip {
    fn default() -> ChannelStrip {
        ChannelStrip {
            name: String::new(),
            gain_db: 0.0,
            pan: 0.0,
            mute: false,
            solo: false,
            input: Input::default(),
            high_pass: HighPass::default(),
            eq: Eq::default(),
            compressor: Compressor::default(),
            sidechain: Sidechain::default(),
            ducker: Ducker::default(),
            sends: Sends::default(),
            lfos: Vec::new(),
        }
    }
}

/// Input trim and phase invert.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Input {
    pub bypass: bool,
    pub trim_db: f32,
    pub invert: bool,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum HighPassSlope {
    #[default]
    #[serde(rename = "off")]
    Off,
    #[serde(rename = "12")]
    Db12,
    #[serde(rename = "24")]
    Db24,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HighPass {
    pub bypass: bool,
    /// Off, 12 or 24 dB per octave (Butterworth).
    pub slope: HighPassSlope,
    pub freq: f32,
}

impl Default for HighPass {
    fn default() -> HighPass {
        HighPass {
            bypass: false,
            slope: HighPassSlope::Off,
            freq: 80.0,
        }
    }
}

/// One EQ band: centre (or corner) frequency, gain and Q.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Band {
    pub freq: f32,
    pub gain_db: f32,
    pub q: f32,
}

impl Band {
    const fn new(freq: f32, q: f32) -> Band {
        Band {
            freq,
            gain_db: 0.0,
            q,
        }
    }
}

impl Default for Band {
    fn default() -> Band {
        Band::new(1_000.0, 1.0)
    }
}

/// A four-band parametric EQ: low shelf, two peaking bands, high shelf. Flat by default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Eq {
    pub bypass: bool,
    pub low: Band,
    pub mid1: Band,
    pub mid2: Band,
    pub high: Band,
}

impl Default for Eq {
    fn default() -> Eq {
        Eq {
            bypass: false,
            low: Band::new(100.0, std::f32::consts::FRAC_1_SQRT_2),
            mid1: Band::new(500.0, 1.0),
            mid2: Band::new(2_500.0, 1.0),
            high: Band::new(8_000.0, std::f32::consts::FRAC_1_SQRT_2),
        }
    }
}

impl Eq {
    /// Whether the EQ changes the sound at all.
    pub fn is_active(&self) -> bool {
        !self.bypass && self.bands().iter().any(|b| b.gain_db != 0.0)
    }

    pub fn bands(&self) -> [Band; 4] {
        [self.low, self.mid1, self.mid2, self.high]
    }
}

/// A feed-forward compressor. Bypassed by default: compression is never neutral.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Compressor {
    pub bypass: bool,
    pub threshold_db: f32,
    pub ratio: f32,
    pub attack_ms: f32,
    pub release_ms: f32,
    /// Width of the soft knee, centred on the threshold.
    pub knee_db: f32,
    pub makeup_db: f32,
}

impl Default for Compressor {
    fn default() -> Compressor {
        Compressor {
            bypass: true,
            threshold_db: -18.0,
            ratio: 4.0,
            attack_ms: 10.0,
            release_ms: 120.0,
            knee_db: 6.0,
            makeup_db: 0.0,
        }
    }
}

/// The compressor's external key: the detector hears another channel (after that
/// channel's EQ and compressor, before its fader, so a muted "ghost" kick still keys)
/// or an effect bus's return, through a high-pass filter, while the gain acts on this
/// channel.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sidechain {
    /// The keying channel's number (1 = the first), or none for the channel's own signal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<usize>,
    /// The keying bus, whose return the detector hears (instead of a channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bus: Option<KeyBus>,
    /// The detector's high-pass corner (12 dB per octave); 20 leaves the key whole.
    pub high_pass_hz: f32,
}

/// An effect bus whose return can key a compressor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyBus {
    Reverb,
    Delay,
}

impl KeyBus {
    pub const ALL: [KeyBus; 2] = [KeyBus::Reverb, KeyBus::Delay];

    pub fn name(self) -> &'static str {
        match self {
            KeyBus::Reverb => "reverb",
            KeyBus::Delay => "delay",
        }
    }

    /// Whether `strip` feeds this bus (its send to it is on).
    pub fn fed_by(self, strip: &ChannelStrip) -> bool {
        match self {
            KeyBus::Reverb => strip.sends.reverb.is_on(),
            KeyBus::Delay => strip.sends.delay.is_on(),
        }
    }
}

/// A step of the mixer that other steps can wait for: a channel strip (0-based) or an
/// effect bus.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Channel(usize),
    Bus(KeyBus),
}

pub const MIN_KEY_HIGH_PASS_HZ: f32 = 20.0;
pub const MAX_KEY_HIGH_PASS_HZ: f32 = 2_000.0;

impl Default for Sidechain {
    fn default() -> Sidechain {
        Sidechain {
            channel: None,
            bus: None,
            high_pass_hz: MIN_KEY_HIGH_PASS_HZ,
        }
    }
}

/// What starts the ducker's shape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuckTrigger {
    /// Every beat of the song (rows that are a multiple of `rows_per_beat`).
    #[default]
    Beat,
    /// Every note start on this channel (its number, 1 = the first).
    Channel(usize),
}

/// How the ducker's level comes back after the hold.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DuckCurve {
    /// A straight line in level.
    Linear,
    /// Most of the way back early, then slowly (an exponential, as a compressor releases).
    #[default]
    Exponential,
    /// Slow, fast, slow: a smooth S.
    SCurve,
}

impl DuckCurve {
    pub const ALL: [DuckCurve; 3] = [DuckCurve::Linear, DuckCurve::Exponential, DuckCurve::SCurve];

    pub fn name(self) -> &'static str {
        match self {
            DuckCurve::Linear => "linear",
            DuckCurve::Exponential => "exponential",
            DuckCurve::SCurve => "s_curve",
        }
    }
}

/// A volume shape (the "pump") started by a channel's notes or by every beat: the level
/// falls by `depth_db` over `attack_ms`, holds, then comes back over `release` along
/// `curve`. Hold and release may follow the tempo (`"1/8"`) or be milliseconds.
/// Off by default.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ducker {
    pub bypass: bool,
    pub trigger: DuckTrigger,
    /// The level at the bottom of the shape, dB (negative).
    pub depth_db: f32,
    pub attack_ms: f32,
    pub hold: DelayTime,
    pub release: DelayTime,
    pub curve: DuckCurve,
}

pub const MIN_DUCK_DEPTH_DB: f32 = -60.0;
pub const MAX_DUCK_ATTACK_MS: f32 = 100.0;
/// The longest hold or release (at the song's tempo).
pub const MAX_DUCK_TIME_MS: f32 = 4_000.0;

impl Default for Ducker {
    fn default() -> Ducker {
        Ducker {
            bypass: true,
            trigger: DuckTrigger::Beat,
            depth_db: -12.0,
            attack_ms: 2.0,
            hold: DelayTime::Ms(0.0),
            release: DelayTime::Note {
                division: 8,
                kind: NoteKind::Straight,
            },
            curve: DuckCurve::Exponential,
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Sends {
    #[serde(skip_serializing_if = "is_default")]
    pub reverb: Send,
    #[serde(skip_serializing_if = "is_default")]
    pub delay: Send,
}

/// The longest delay time the delay bus holds.
pub const MAX_DELAY_MS: f32 = 4_000.0;
pub const MAX_PRE_DELAY_MS: f32 = 250.0;
pub const MIN_DECAY_S: f32 = 0.1;
pub const MAX_DECAY_S: f32 = 30.0;

/// The level at and below which a send (or fader) is silent.
pub const SILENT_DB: f32 = -96.0;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Send {
    /// -96 (the default) is off.
    pub level_db: f32,
    /// Taken before the fader and pan (after the compressor) rather than after them.
    pub pre_fader: bool,
}

impl Default for Send {
    fn default() -> Send {
        Send {
            level_db: SILENT_DB,
            pre_fader: false,
        }
    }
}

impl Send {
    pub fn is_on(&self) -> bool {
        self.level_db > SILENT_DB
    }
}

/// What every effect bus has on its way back into the master bus. Returns are solo-safe:
/// soloing a channel never silences them.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BusReturn {
    pub gain_db: f32,
    pub pan: f32,
    pub mute: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub eq: Eq,
    #[serde(skip_serializing_if = "is_default")]
    pub ducker: Ducker,
}

impl Default for BusReturn {
    fn default() -> BusReturn {
        BusReturn {
            gain_db: 0.0,
            pan: 0.0,
            mute: false,
            eq: Eq::default(),
            ducker: Ducker::default(),
        }
    }
}

/// An algorithmic reverb (a feedback delay network).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReverbBus {
    pub pre_delay_ms: f32,
    /// 0 (a small room) to 1 (a hall): scales the network's delay lengths.
    pub size: f32,
    /// RT60: seconds for the tail to fall by 60 dB.
    pub decay_s: f32,
    /// 0 (bright) to 1 (dark): how much faster the highs die than the lows.
    pub damping: f32,
    /// 0 (mono) to 1 (full stereo).
    pub width: f32,
    /// Wet share of the bus output (the bus is fed by sends, so usually 1).
    pub mix: f32,
    #[serde(rename = "return", skip_serializing_if = "is_default")]
    pub bus_return: BusReturn,
}

impl Default for ReverbBus {
    fn default() -> ReverbBus {
        ReverbBus {
            pre_delay_ms: 20.0,
            size: 0.7,
            decay_s: 2.0,
            damping: 0.5,
            width: 1.0,
            mix: 1.0,
            bus_return: BusReturn::default(),
        }
    }
}

/// A stereo delay with a filtered feedback path.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DelayBus {
    pub time: DelayTime,
    /// 0 to 1 (1 repeats for as long as the feedback filter lets it).
    pub feedback: f32,
    /// Repeats alternate between left and right.
    pub ping_pong: bool,
    /// The feedback path's high-pass corner: each repeat loses more lows.
    pub low_cut_hz: f32,
    /// The feedback path's low-pass corner: each repeat gets darker.
    pub high_cut_hz: f32,
    pub mix: f32,
    #[serde(rename = "return", skip_serializing_if = "is_default")]
    pub bus_return: BusReturn,
}

impl Default for DelayBus {
    fn default() -> DelayBus {
        DelayBus {
            time: DelayTime::Note {
                division: 8,
                kind: NoteKind::Dotted,
            },
            feedback: 0.35,
            ping_pong: true,
            low_cut_hz: 120.0,
            high_cut_hz: 6_000.0,
            mix: 1.0,
            bus_return: BusReturn::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    Straight,
    /// One and a half times as long.
    Dotted,
    /// Two thirds as long.
    Triplet,
}

impl NoteKind {
    pub const ALL: [NoteKind; 3] = [NoteKind::Straight, NoteKind::Dotted, NoteKind::Triplet];

    /// Splits a written note value's kind off its end: `"8."` is dotted, `"8t"` triplet.
    pub fn split(text: &str) -> (&str, NoteKind) {
        if let Some(rest) = text.strip_suffix('.') {
            (rest, NoteKind::Dotted)
        } else if let Some(rest) = text.strip_suffix('t') {
            (rest, NoteKind::Triplet)
        } else {
            (text, NoteKind::Straight)
        }
    }

    pub fn suffix(self) -> &'static str {
        match self {
            NoteKind::Straight => "",
            NoteKind::Dotted => ".",
            NoteKind::Triplet => "t",
        }
    }

    /// The length of a note of this kind whose straight length is `straight`.
    pub fn length<T>(self, straight: T) -> T
    where
        T: std::ops::Mul<Output = T> + std::ops::Div<Output = T> + From<f32>,
    {
        match self {
            NoteKind::Straight => straight,
            NoteKind::Dotted => straight * T::from(1.5),
            NoteKind::Triplet => straight * T::from(2.0) / T::from(3.0),
        }
    }
}

/// A delay time: a note value that follows the tempo (`"1/8."`) or milliseconds (`"350ms"`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DelayTime {
    Note { division: u8, kind: NoteKind },
    Ms(f32),
}

impl DelayTime {
    pub const ALLOWED: &str = "a note value 1/1 to 1/32, optionally dotted (1/8.) or triplet (1/8t), or milliseconds (350ms)";
    pub const DIVISIONS: [u8; 6] = [1, 2, 4, 8, 16, 32];

    /// Seconds at `tempo` BPM, a quarter note being one beat.
    pub fn seconds(&self, tempo: f32) -> f32 {
        match *self {
            DelayTime::Ms(ms) => ms / 1000.0,
            DelayTime::Note { division, kind } => {
                let whole = 4.0 * 60.0 / tempo.max(1.0);
                kind.length(whole / f32::from(division.max(1)))
            }
        }
    }
}

impl std::str::FromStr for DelayTime {
    type Err = String;

    fn from_str(s: &str) -> Result<DelayTime, String> {
        let s = s.trim();
        let bad = || {
            format!(
                "\"{s}\" is not a delay time (allowed: {})",
                DelayTime::ALLOWED
            )
        };
        if let Some(ms) = s.strip_suffix("ms") {
            let ms: f32 = ms.trim().parse().map_err(|_| bad())?;
            return Ok(DelayTime::Ms(ms));
        }
        let rest = s.strip_prefix("1/").ok_or_else(bad)?;
        let (digits, kind) = NoteKind::split(rest);
        let division: u8 = digits.parse().map_err(|_| bad())?;
        if !DelayTime::DIVISIONS.contains(&division) {
            return Err(bad());
        }
        Ok(DelayTime::Note { division, kind })
    }
}

impl fmt::Display for DelayTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            DelayTime::Ms(ms) => write!(f, "{ms}ms"),
            DelayTime::Note { division, kind } => write!(f, "1/{division}{}", kind.suffix()),
        }
    }
}

impl Serialize for DelayTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DelayTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<DelayTime, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl Mixer {
    /// What has to run before `stage`: a strip's key (a channel or a bus); every strip
    /// that feeds a bus.
    fn stage_inputs(&self, stage: Stage) -> Vec<Stage> {
        let channels = self.channels.len();
        match stage {
            Stage::Channel(i) => {
                let key = self.channels[i].sidechain;
                match (key.bus, key.channel.and_then(|n| n.checked_sub(1))) {
                    (Some(bus), _) => vec![Stage::Bus(bus)],
                    (None, Some(k)) if k < channels && k != i => vec![Stage::Channel(k)],
                    _ => Vec::new(),
                }
            }
            Stage::Bus(bus) => (0..channels)
                .filter(|&i| bus.fed_by(&self.channels[i]))
                .map(Stage::Channel)
                .collect(),
        }
    }

    /// Whether channel `i`'s compressor hears a bus, itself or through channel keys.
    fn keyed_by_a_bus(&self, i: usize) -> bool {
        let mut at = i;
        for _ in 0..=self.channels.len() {
            let key = self.channels[at].sidechain;
            if key.bus.is_some() {
                return true;
            }
            match key.channel.and_then(|n| n.checked_sub(1)) {
                Some(k) if k < self.channels.len() => at = k,
                _ => return false,
            }
        }
        false
    }

    /// The order the strips run in, with the buses that key compressors among them: a
    /// key before the strip it keys, a bus after every strip that feeds it. Strips that
    /// hear no bus come first, in channel order (each after its key); a bus runs when a
    /// strip that hears it needs it. Err with the stages of a loop (in the order the
    /// signal goes round it) when there is no such order.
    pub fn run_order(&self) -> Result<Vec<Stage>, Vec<Stage>> {
        let channels = self.channels.len();
        let index = |stage: Stage| match stage {
            Stage::Channel(i) => i,
            Stage::Bus(KeyBus::Reverb) => channels,
            Stage::Bus(KeyBus::Delay) => channels + 1,
        };
        // 0: not reached, 1: on the path being placed, 2: placed.
        let mut state = vec![0u8; channels + 2];
        let mut order = Vec::with_capacity(channels + 2);
        let mut path = Vec::new();
        fn place(
            mixer: &Mixer,
            stage: Stage,
            index: &dyn Fn(Stage) -> usize,
            state: &mut [u8],
            path: &mut Vec<Stage>,
            order: &mut Vec<Stage>,
        ) -> Result<(), Vec<Stage>> {
            match state[index(stage)] {
                2 => return Ok(()),
                1 => {
                    let from = path.iter().position(|&s| s == stage).unwrap_or(0);
                    // The path runs from a stage to what it waits for: against the signal.
                    return Err(path[from..].iter().rev().copied().collect());
                }
                _ => {}
            }
            state[index(stage)] = 1;
            path.push(stage);
            for input in mixer.stage_inputs(stage) {
                place(mixer, input, index, state, path, order)?;
            }
            path.pop();
            state[index(stage)] = 2;
            order.push(stage);
            Ok(())
        }
        let (plain, keyed): (Vec<usize>, Vec<usize>) =
            (0..channels).partition(|&i| !self.keyed_by_a_bus(i));
        for i in plain.into_iter().chain(keyed) {
            place(
                self,
                Stage::Channel(i),
                &index,
                &mut state,
                &mut path,
                &mut order,
            )?;
        }
        Ok(order)
    }

    /// Strips named `Ch 1` .. `Ch n`, everything else at its default.
    pub fn with_channels(channels: usize) -> Mixer {
        Mixer {
            channels: (1..=channels)
                .map(|i| ChannelStrip {
                    name: format!("Ch {i}"),
                    ..ChannelStrip::default()
                })
                .collect(),
            reverb: ReverbBus::default(),
            delay: DelayBus::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` channels; `keys` as (channel, its key), both 0-based, a key past the channels
    /// meaning a bus (n: reverb, n + 1: delay); `sends` as (channel, bus).
    fn mixer(n: usize, keys: &[(usize, usize)], sends: &[(usize, KeyBus)]) -> Mixer {
        let mut m = Mixer::with_channels(n);
        for &(c, k) in keys {
            let key = &mut m.channels[c].sidechain;
            match k.checked_sub(n) {
                None => key.channel = Some(k + 1),
                Some(b) => key.bus = Some(KeyBus::ALL[b]),
            }
        }
        for &(c, bus) in sends {
            let send = match bus {
                KeyBus::Reverb => &mut m.channels[c].sends.reverb,
                KeyBus::Delay => &mut m.channels[c].sends.delay,
            };
            send.level_db = -10.0;
        }
        m
    }

    use KeyBus::{Delay, Reverb};
    use Stage::{Bus, Channel};

    #[test]
    fn keys_run_before_what_they_key_and_buses_after_what_feeds_them() {
        // Channel keys alone: the key first, the rest in channel order.
        assert_eq!(
            mixer(4, &[(0, 3)], &[]).run_order(),
            Ok(vec![Channel(3), Channel(0), Channel(1), Channel(2)])
        );
        // Channel 2 keyed by the delay, which channels 1 and 4 feed (and 3 does not):
        // every channel that hears no bus first, then the bus, then what it keys.
        assert_eq!(
            mixer(4, &[(1, 5)], &[(0, Delay), (3, Delay), (1, Reverb)]).run_order(),
            Ok(vec![
                Channel(0),
                Channel(2),
                Channel(3),
                Bus(Delay),
                Channel(1)
            ])
        );
        // Through a channel key: 3 keyed by 2, which hears the reverb.
        assert_eq!(
            mixer(3, &[(2, 1), (1, 3)], &[(0, Reverb)]).run_order(),
            Ok(vec![Channel(0), Bus(Reverb), Channel(1), Channel(2)])
        );
    }

    #[test]
    fn a_loop_through_a_bus_is_found_in_signal_order() {
        // Channel 1 hears the delay it feeds.
        assert_eq!(
            mixer(2, &[(0, 3)], &[(0, Delay)]).run_order(),
            Err(vec![Bus(Delay), Channel(0)])
        );
        // Channel 1 hears the delay and feeds the reverb; channel 2 hears the reverb and
        // feeds the delay.
        let looped = mixer(2, &[(0, 3), (1, 2)], &[(0, Reverb), (1, Delay)]);
        let stages = looped.run_order().unwrap_err();
        assert_eq!(stages.len(), 4);
        let (_, text) = crate::song::bus_loop(&looped).unwrap();
        assert!(
            text.contains("feeds the reverb bus, whose return keys ch2 (Ch 2)")
                && text.contains("feeds the delay bus, whose return keys ch1 (Ch 1)"),
            "{text}"
        );
        // Without the second send there is an order.
        assert!(
            mixer(2, &[(0, 3), (1, 2)], &[(0, Reverb)])
                .run_order()
                .is_ok()
        );
    }

    #[test]
    fn delay_times_read_and_write_as_text() {
        for text in ["1/4", "1/8.", "1/16t", "1/1", "350ms", "12.5ms"] {
            let t: DelayTime = text.parse().unwrap();
            assert_eq!(t.to_string(), text);
        }
        for bad in ["1/3", "1/8x", "quarter", "ms", "2/4"] {
            let e = bad.parse::<DelayTime>().unwrap_err();
            assert!(e.contains("not a delay time"), "{e}");
        }
        let at_120 = |s: &str| s.parse::<DelayTime>().unwrap().seconds(120.0);
        assert!((at_120("1/4") - 0.5).abs() < 1e-6);
        assert!((at_120("1/8.") - 0.375).abs() < 1e-6);
        assert!((at_120("1/8t") - 0.5 / 3.0).abs() < 1e-6);
        assert!((at_120("250ms") - 0.25).abs() < 1e-6);
    }

    #[test]
    fn default_stages_are_not_written_and_old_strips_still_read() {
        let strip: ChannelStrip =
            serde_json::from_str(r#"{"name": "Kick", "gain_db": -1.0, "pan": 0.0}"#).unwrap();
        assert_eq!(strip.eq, Eq::default());
        assert!(strip.compressor.bypass);
        assert!(!strip.sends.reverb.is_on());
        let text = serde_json::to_string(&strip).unwrap();
        assert_eq!(
            text,
            r#"{"name":"Kick","gain_db":-1.0,"pan":0.0,"mute":false,"solo":false}"#
        );
        let mut strip = strip;
        strip.eq.low.gain_db = 3.0;
        strip.sends.delay.level_db = -12.0;
        let text = serde_json::to_string(&strip).unwrap();
        assert!(text.contains(r#""sends":{"delay":{"level_db":-12.0,"pre_fader":false}}"#));
        let back: ChannelStrip = serde_json::from_str(&text).unwrap();
        assert_eq!(back, strip);
    }

    #[test]
    fn bad_mixer_values_are_named_by_their_place() {
        let song = |mixer: &str| {
            format!(
                r#"{{"format": 1, "tempo": {tempo}, "instruments": [],
                "mixer": {mixer},
                "patterns": [{{"name": "P", "length": 16}}],
                "arrangement": [{{"pattern": "P"}}]}}"#,
                tempo = if mixer.contains("1/1.") { 60 } else { 120 }
            )
        };
        let err = |mixer: &str| {
            crate::song::parse(&song(mixer), std::path::Path::new("s.json"))
                .unwrap_err()
                .to_string()
        };
        let good = r#"{"channels": [{"name": "A", "eq": {"low": {"gain_db": 3}},
            "compressor": {"bypass": false, "ratio": 3},
            "sends": {"reverb": {"level_db": -10, "pre_fader": true}}}],
            "reverb": {"decay_s": 3.5}, "delay": {"time": "1/16", "feedback": 1.0}}"#;
        let parsed = crate::song::parse(&song(good), std::path::Path::new("s.json")).unwrap();
        assert_eq!(parsed.mixer.channels[0].eq.low.gain_db, 3.0);
        assert_eq!(parsed.mixer.reverb.decay_s, 3.5);
        let e = err(&good.replace("\"gain_db\": 3", "\"gain_db\": 30"));
        assert!(
            e.contains(
                "mixer.channels[0].eq.low.gain_db: 30 is out of range (allowed -24 to 24 dB)"
            ),
            "{e}"
        );
        let e = err(&good.replace("\"ratio\": 3", "\"ratio\": 0.5"));
        assert!(e.contains("mixer.channels[0].compressor.ratio"), "{e}");
        let e = err(&good.replace("\"decay_s\": 3.5", "\"decay_s\": 99"));
        assert!(e.contains("mixer.reverb.decay_s: 99"), "{e}");
        let e = err(&good.replace("1/16", "1/7"));
        assert!(
            e.contains("mixer.delay.time") && e.contains("not a delay time"),
            "{e}"
        );
        let e = err(&good.replace("1/16", "1/1."));
        assert!(
            e.contains("mixer.delay.time: 1/1. at 60 BPM is 6.00 s"),
            "{e}"
        );
        let e = err(&good.replace("\"time\": \"1/16\"", "\"time\": \"9000ms\""));
        assert!(e.contains("mixer.delay.time: 9000 is out of range"), "{e}");
        let e = err(&good.replace("\"feedback\": 1.0", "\"feedback\": 1.5"));
        assert!(e.contains("mixer.delay.feedback: 1.5"), "{e}");
        let e = err(&good.replace("\"ratio\": 3", "\"ratoi\": 3"));
        assert!(e.contains("unknown field"), "{e}");
    }
}
