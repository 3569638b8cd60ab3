//! Movement: what can be automated and how a parameter is named, automation lanes (in a
//! pattern or across the arrangement) and LFOs.
//!
//! Every automatable parameter is a `Target`, named the same way everywhere: in lane and
//! LFO fields of a song file (`"inst01.filter.cutoff"`, `"ch3.eq.low.gain_db"`,
//! `"reverb.mix"`, `"master.gain_db"`), in the editor's parameter list, and, by a number,
//! in the effect column (`Sxx` picks the channel's parameter `xx`, `Zxx`/`Wxx` set it or
//! glide to it).

use super::mixer::{ChannelStrip, Mixer, NoteKind, SILENT_DB};
use super::note::serde_via_string;
use super::{Instrument, Master, Song, Source};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How a parameter's range is walked by curves, LFO depth and the effect column's 00-FF.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    Linear,
    /// Equal ratios are equal steps (frequencies).
    Log,
}

/// What a parameter is: its name (the part after the owner in a target name), range and unit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ParamInfo {
    pub name: &'static str,
    pub min: f32,
    pub max: f32,
    pub unit: &'static str,
    pub scale: Scale,
}

impl ParamInfo {
    /// `value` as a share 0..1 of the range, in the parameter's scale.
    pub fn normalise(&self, value: f32) -> f32 {
        let v = value.clamp(self.min, self.max);
        match self.scale {
            Scale::Linear => (v - self.min) / (self.max - self.min),
            Scale::Log => (v / self.min).ln() / (self.max / self.min).ln(),
        }
    }

    /// The value at share `x` (0..1, clamped) of the range.
    pub fn denormalise(&self, x: f32) -> f32 {
        let x = x.clamp(0.0, 1.0);
        let v = match self.scale {
            Scale::Linear => self.min + x * (self.max - self.min),
            Scale::Log => self.min * (self.max / self.min).powf(x),
        };
        v.clamp(self.min, self.max)
    }

    pub fn contains(&self, value: f32) -> bool {
        value.is_finite() && (self.min..=self.max).contains(&value)
    }

    pub fn allowed(&self) -> String {
        format!("allowed {} to {}{}", self.min, self.max, self.unit)
    }
}

const fn info(name: &'static str, min: f32, max: f32, unit: &'static str) -> ParamInfo {
    ParamInfo {
        name,
        min,
        max,
        unit,
        scale: Scale::Linear,
    }
}

const fn hz(name: &'static str, min: f32, max: f32) -> ParamInfo {
    ParamInfo {
        name,
        min,
        max,
        unit: " Hz",
        scale: Scale::Log,
    }
}

/// Declares a parameter enum over an owner type: its variants in order (their position is
/// the effect column's number), their `ParamInfo`, and where each lives in the owner.
macro_rules! params {
    ($(#[$doc:meta])* $Enum:ident, $Owner:ty, |$o:ident| {
        $($Variant:ident => $info:expr, $place:expr;)*
    }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $Enum {
            $($Variant,)*
        }

        impl $Enum {
            pub const ALL: &[$Enum] = &[$($Enum::$Variant,)*];

            pub fn info(self) -> ParamInfo {
                match self {
                    $($Enum::$Variant => $info,)*
                }
            }

            pub fn from_name(name: &str) -> Option<$Enum> {
                Self::ALL.iter().copied().find(|p| p.info().name == name)
            }

            /// The place of this parameter in `owner`, if `owner` has it.
            #[allow(unreachable_patterns)]
            pub fn place(self, $o: &mut $Owner) -> Option<&mut f32> {
                match self {
                    $($Enum::$Variant => $place,)*
                }
            }
        }
    };
}

params!(
    /// A parameter of an instrument (a synth's or a sampler's; `gain_db` is both).
    InstrumentParam, Instrument, |inst| {
        Gain => info("gain_db", -60.0, 24.0, " dB"), Some(&mut inst.gain_db);
        Cutoff => hz("filter.cutoff", 20.0, 20_000.0), synth(inst).map(|s| &mut s.filter.cutoff);
        Resonance => info("filter.resonance", 0.0, 1.0, ""), synth(inst).map(|s| &mut s.filter.resonance);
        FilterEnvAmount => info("filter.env_amount", -10.0, 10.0, " octaves"), synth(inst).map(|s| &mut s.filter.env_amount);
        KeyTrack => info("filter.key_track", 0.0, 1.0, ""), synth(inst).map(|s| &mut s.filter.key_track);
        Mix => info("mix", 0.0, 1.0, ""), synth(inst).map(|s| &mut s.mix);
        Osc1Detune => info("osc1.detune", -100.0, 100.0, " cents"), synth(inst).map(|s| &mut s.osc1.detune);
        Osc2Detune => info("osc2.detune", -100.0, 100.0, " cents"), synth(inst).map(|s| &mut s.osc2.detune);
        Osc1PulseWidth => info("osc1.pulse_width", 0.05, 0.95, ""), synth(inst).map(|s| &mut s.osc1.pulse_width);
        Osc2PulseWidth => info("osc2.pulse_width", 0.05, 0.95, ""), synth(inst).map(|s| &mut s.osc2.pulse_width);
        AmpAttack => info("amp.attack", 0.0, 30.0, " s"), amp(inst).map(|e| &mut e.attack);
        AmpDecay => info("amp.decay", 0.0, 30.0, " s"), amp(inst).map(|e| &mut e.decay);
        AmpSustain => info("amp.sustain", 0.0, 1.0, ""), amp(inst).map(|e| &mut e.sustain);
        AmpRelease => info("amp.release", 0.0, 30.0, " s"), amp(inst).map(|e| &mut e.release);
        FilterAttack => info("filter.envelope.attack", 0.0, 30.0, " s"), synth(inst).map(|s| &mut s.filter.envelope.attack);
        FilterDecay => info("filter.envelope.decay", 0.0, 30.0, " s"), synth(inst).map(|s| &mut s.filter.envelope.decay);
        FilterSustain => info("filter.envelope.sustain", 0.0, 1.0, ""), synth(inst).map(|s| &mut s.filter.envelope.sustain);
        FilterRelease => info("filter.envelope.release", 0.0, 30.0, " s"), synth(inst).map(|s| &mut s.filter.envelope.release);
        Glide => info("glide", 0.0, 10.0, " s"), synth(inst).map(|s| &mut s.glide);
        Start => info("start", 0.0, 1.0, ""), sampler(inst).map(|s| &mut s.start);
        FineTune => info("fine_tune", -100.0, 100.0, " cents"), sampler(inst).map(|s| &mut s.fine_tune);
    }
);

fn synth(inst: &mut Instrument) -> Option<&mut super::Synth> {
    match &mut inst.source {
        Source::Synth(s) => Some(s),
        Source::Sampler(_) => None,
    }
}

fn sampler(inst: &mut Instrument) -> Option<&mut super::Sampler> {
    match &mut inst.source {
        Source::Sampler(s) => Some(s),
        Source::Synth(_) => None,
    }
}

fn amp(inst: &mut Instrument) -> Option<&mut super::Envelope> {
    Some(match &mut inst.source {
        Source::Synth(s) => &mut s.amp,
        Source::Sampler(s) => &mut s.amp,
    })
}

params!(
    /// A parameter of a channel strip.
    StripParam, ChannelStrip, |ch| {
        Gain => info("gain_db", SILENT_DB, 24.0, " dB"), Some(&mut ch.gain_db);
        Pan => info("pan", -1.0, 1.0, ""), Some(&mut ch.pan);
        Trim => info("input.trim_db", -24.0, 24.0, " dB"), Some(&mut ch.input.trim_db);
        HighPassFreq => hz("high_pass.freq", 10.0, 2_000.0), Some(&mut ch.high_pass.freq);
        LowFreq => hz("eq.low.freq", 20.0, 20_000.0), Some(&mut ch.eq.low.freq);
        LowGain => info("eq.low.gain_db", -24.0, 24.0, " dB"), Some(&mut ch.eq.low.gain_db);
        Mid1Freq => hz("eq.mid1.freq", 20.0, 20_000.0), Some(&mut ch.eq.mid1.freq);
        Mid1Gain => info("eq.mid1.gain_db", -24.0, 24.0, " dB"), Some(&mut ch.eq.mid1.gain_db);
        Mid2Freq => hz("eq.mid2.freq", 20.0, 20_000.0), Some(&mut ch.eq.mid2.freq);
        Mid2Gain => info("eq.mid2.gain_db", -24.0, 24.0, " dB"), Some(&mut ch.eq.mid2.gain_db);
        HighFreq => hz("eq.high.freq", 20.0, 20_000.0), Some(&mut ch.eq.high.freq);
        HighGain => info("eq.high.gain_db", -24.0, 24.0, " dB"), Some(&mut ch.eq.high.gain_db);
        Threshold => info("compressor.threshold_db", -60.0, 0.0, " dB"), Some(&mut ch.compressor.threshold_db);
        Makeup => info("compressor.makeup_db", -24.0, 24.0, " dB"), Some(&mut ch.compressor.makeup_db);
        ReverbSend => info("sends.reverb.level_db", SILENT_DB, 6.0, " dB"), Some(&mut ch.sends.reverb.level_db);
        DelaySend => info("sends.delay.level_db", SILENT_DB, 6.0, " dB"), Some(&mut ch.sends.delay.level_db);
    }
);

params!(
    /// A parameter of the reverb or delay bus (named with its bus: `reverb.mix`).
    BusParam, Mixer, |m| {
        ReverbReturn => info("reverb.return.gain_db", SILENT_DB, 24.0, " dB"), Some(&mut m.reverb.bus_return.gain_db);
        ReverbMix => info("reverb.mix", 0.0, 1.0, ""), Some(&mut m.reverb.mix);
        ReverbDecay => info("reverb.decay_s", super::MIN_DECAY_S, super::MAX_DECAY_S, " s"), Some(&mut m.reverb.decay_s);
        ReverbDamping => info("reverb.damping", 0.0, 1.0, ""), Some(&mut m.reverb.damping);
        DelayReturn => info("delay.return.gain_db", SILENT_DB, 24.0, " dB"), Some(&mut m.delay.bus_return.gain_db);
        DelayFeedback => info("delay.feedback", 0.0, 1.0, ""), Some(&mut m.delay.feedback);
        DelayMix => info("delay.mix", 0.0, 1.0, ""), Some(&mut m.delay.mix);
        DelayLowCut => hz("delay.low_cut_hz", 10.0, 2_000.0), Some(&mut m.delay.low_cut_hz);
        DelayHighCut => hz("delay.high_cut_hz", 500.0, 20_000.0), Some(&mut m.delay.high_cut_hz);
    }
);

params!(
    /// An input of the master chain (named `master.gain_db`).
    MasterParam, Master, |m| {
        Gain => info("gain_db", -48.0, 24.0, " dB"), Some(&mut m.gain_db);
        LowGain => info("eq.low.gain_db", -24.0, 24.0, " dB"), Some(&mut m.eq.low.gain_db);
        Mid1Gain => info("eq.mid1.gain_db", -24.0, 24.0, " dB"), Some(&mut m.eq.mid1.gain_db);
        Mid2Gain => info("eq.mid2.gain_db", -24.0, 24.0, " dB"), Some(&mut m.eq.mid2.gain_db);
        HighGain => info("eq.high.gain_db", -24.0, 24.0, " dB"), Some(&mut m.eq.high.gain_db);
        Threshold => info("compressor.threshold_db", -60.0, 0.0, " dB"), Some(&mut m.compressor.threshold_db);
        Width => info("width.width_percent", 0.0, 200.0, " %"), Some(&mut m.width.width_percent);
    }
);

/// One automatable parameter of a song.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// A parameter of instrument `instrument` (0-based; written 1-based in hex, `inst01`).
    Instrument {
        instrument: usize,
        param: InstrumentParam,
    },
    /// A parameter of the strip of channel `channel` (0-based; written 1-based, `ch1`).
    Strip {
        channel: usize,
        param: StripParam,
    },
    Bus(BusParam),
    Master(MasterParam),
}

/// The effect column numbers the channel's own parameters: its instrument's from 00,
/// its strip's from this number on.
pub const STRIP_PARAM_BASE: u8 = 0x40;

impl Target {
    pub fn info(self) -> ParamInfo {
        match self {
            Target::Instrument { param, .. } => param.info(),
            Target::Strip { param, .. } => param.info(),
            Target::Bus(p) => p.info(),
            Target::Master(p) => p.info(),
        }
    }

    /// The parameter's place in `song`, if the song has it (the instrument exists and is
    /// of a kind that has the parameter, the channel exists).
    pub fn place(self, song: &mut Song) -> Option<&mut f32> {
        match self {
            Target::Instrument { instrument, param } => {
                param.place(song.instruments.get_mut(instrument)?)
            }
            Target::Strip { channel, param } => param.place(song.mixer.channels.get_mut(channel)?),
            Target::Bus(p) => p.place(&mut song.mixer),
            Target::Master(p) => p.place(&mut song.master),
        }
    }

    /// The parameter's value as the song sets it. Clones the owner: not for the audio path.
    pub fn value(self, song: &Song) -> Option<f32> {
        match self {
            Target::Instrument { instrument, param } => param
                .place(&mut song.instruments.get(instrument)?.clone())
                .copied(),
            Target::Strip { channel, param } => param
                .place(&mut song.mixer.channels.get(channel)?.clone())
                .copied(),
            Target::Bus(p) => p.place(&mut song.mixer.clone()).copied(),
            Target::Master(p) => p.place(&mut song.master.clone()).copied(),
        }
    }

    /// The parameter number `index` of channel `channel` as the effect column counts:
    /// below `STRIP_PARAM_BASE` a parameter of `instrument`, from there one of the strip.
    pub fn channel_param(index: u8, channel: usize, instrument: Option<usize>) -> Option<Target> {
        if index < STRIP_PARAM_BASE {
            let param = *InstrumentParam::ALL.get(usize::from(index))?;
            Some(Target::Instrument {
                instrument: instrument?,
                param,
            })
        } else {
            let param = *StripParam::ALL.get(usize::from(index - STRIP_PARAM_BASE))?;
            Some(Target::Strip { channel, param })
        }
    }

    /// Every parameter of a song with `instruments` instruments and `channels` channels,
    /// in the order the editor lists them.
    pub fn all(instruments: usize, channels: usize) -> Vec<Target> {
        let mut all = Vec::new();
        for instrument in 0..instruments {
            all.extend(
                InstrumentParam::ALL
                    .iter()
                    .map(|&param| Target::Instrument { instrument, param }),
            );
        }
        for channel in 0..channels {
            all.extend(
                StripParam::ALL
                    .iter()
                    .map(|&param| Target::Strip { channel, param }),
            );
        }
        all.extend(BusParam::ALL.iter().map(|&p| Target::Bus(p)));
        all.extend(MasterParam::ALL.iter().map(|&p| Target::Master(p)));
        all
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Target::Instrument { instrument, param } => {
                write!(f, "inst{:02X}.{}", instrument + 1, param.info().name)
            }
            Target::Strip { channel, param } => {
                write!(f, "ch{}.{}", channel + 1, param.info().name)
            }
            Target::Bus(p) => f.write_str(p.info().name),
            Target::Master(p) => write!(f, "master.{}", p.info().name),
        }
    }
}

pub const TARGET_ALLOWED: &str = "a parameter such as \"inst01.filter.cutoff\", \"ch3.gain_db\", \
\"reverb.mix\" or \"master.gain_db\" (the README lists them all)";

impl FromStr for Target {
    type Err = String;
    fn from_str(s: &str) -> Result<Target, String> {
        let bad = || format!("\"{s}\" is not {TARGET_ALLOWED}");
        if let Some(p) = BusParam::from_name(s) {
            return Ok(Target::Bus(p));
        }
        let (owner, name) = s.split_once('.').ok_or_else(bad)?;
        if owner == "master" {
            return MasterParam::from_name(name)
                .map(Target::Master)
                .ok_or_else(bad);
        }
        if let Some(hex) = owner.strip_prefix("inst") {
            let n = u8::from_str_radix(hex, 16).map_err(|_| bad())?;
            let param = InstrumentParam::from_name(name).ok_or_else(bad)?;
            return match n {
                0 => Err(bad()),
                n => Ok(Target::Instrument {
                    instrument: usize::from(n) - 1,
                    param,
                }),
            };
        }
        if let Some(digits) = owner.strip_prefix("ch") {
            let n: usize = digits.parse().map_err(|_| bad())?;
            let param = StripParam::from_name(name).ok_or_else(bad)?;
            return match n {
                0 => Err(bad()),
                n => Ok(Target::Strip {
                    channel: n - 1,
                    param,
                }),
            };
        }
        Err(bad())
    }
}

serde_via_string!(Target, "a parameter name such as \"inst01.filter.cutoff\"");

/// How a lane moves from a point to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Curve {
    /// Holds the point's value until the next point.
    Step,
    #[default]
    Linear,
    /// Equal ratios per row (for values of one sign; quadratic otherwise): slow, then fast.
    Exp,
    /// An S-curve: eases out of one point and into the next.
    Smooth,
}

impl Curve {
    pub const ALL: [Curve; 4] = [Curve::Step, Curve::Linear, Curve::Exp, Curve::Smooth];

    pub fn name(self) -> &'static str {
        match self {
            Curve::Step => "step",
            Curve::Linear => "lin",
            Curve::Exp => "exp",
            Curve::Smooth => "smooth",
        }
    }

    /// The value at `t` (0..1) of the way from `a` to `b`.
    pub fn interpolate(self, a: f32, b: f32, t: f32) -> f32 {
        match self {
            Curve::Step => a,
            Curve::Linear => a + (b - a) * t,
            Curve::Exp if a > 0.0 && b > 0.0 || a < 0.0 && b < 0.0 => a * (b / a).powf(t),
            Curve::Exp => a + (b - a) * t * t,
            Curve::Smooth => a + (b - a) * t * t * (3.0 - 2.0 * t),
        }
    }
}

/// A point of a lane: at `row` (fractions of a row allowed) the value is `value`, and
/// from here to the next point it moves along `curve`. Written `"16.5 0.75 lin"`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub row: f32,
    pub value: f32,
    pub curve: Curve,
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.row, self.value)?;
        if self.curve != Curve::Linear {
            write!(f, " {}", self.curve.name())?;
        }
        Ok(())
    }
}

impl FromStr for Point {
    type Err = String;
    fn from_str(s: &str) -> Result<Point, String> {
        let bad = || {
            format!(
                "point \"{s}\" is not ROW VALUE [CURVE] (e.g. \"16.5 0.75 lin\"; curves: step, lin, exp, smooth)"
            )
        };
        let mut words = s.split_whitespace();
        let row: f32 = words.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let value: f32 = words.next().ok_or_else(bad)?.parse().map_err(|_| bad())?;
        let curve = match words.next() {
            None => Curve::Linear,
            Some(w) => *Curve::ALL.iter().find(|c| c.name() == w).ok_or_else(bad)?,
        };
        if words.next().is_some() || !row.is_finite() || !value.is_finite() {
            return Err(bad());
        }
        Ok(Point { row, value, curve })
    }
}

serde_via_string!(Point, "a point such as \"16.5 0.75 lin\"");

/// A parameter's movement over a stretch of rows.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lane {
    pub target: Target,
    /// In row order.
    pub points: Vec<Point>,
}

impl Lane {
    /// The lane's value at `row` (with its fraction): before the first point the first
    /// value, after the last the last. `None` for a lane without points.
    pub fn value_at(&self, row: f64) -> Option<f32> {
        value_at(&self.points, row)
    }

    /// Rows from the first point to the last.
    pub fn span(&self) -> Option<(f32, f32)> {
        Some((self.points.first()?.row, self.points.last()?.row))
    }
}

/// The value at `row` of a lane with `points` (see `Lane::value_at`).
pub fn value_at(points: &[Point], row: f64) -> Option<f32> {
    let first = points.first()?;
    if row <= f64::from(first.row) {
        return Some(first.value);
    }
    // Lanes are short (tens of points): a linear scan costs less than a search setup.
    let next = points
        .iter()
        .position(|p| f64::from(p.row) > row)
        .unwrap_or(points.len());
    let a = points[next - 1];
    let Some(b) = points.get(next) else {
        return Some(a.value);
    };
    let t = ((row - f64::from(a.row)) / f64::from(b.row - a.row)) as f32;
    Some(a.curve.interpolate(a.value, b.value, t.clamp(0.0, 1.0)))
}

/// A lane over the arrangement: its rows count from the top of order entry `entry` on
/// through the entries after it (repeats included), and while it runs (from its first
/// point to its last) it overrides the pattern lanes of its parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArrangementLane {
    pub entry: usize,
    pub target: Target,
    pub points: Vec<Point>,
}

impl ArrangementLane {
    pub fn lane(&self) -> Lane {
        Lane {
            target: self.target,
            points: self.points.clone(),
        }
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LfoShape {
    #[default]
    Sine,
    Triangle,
    SawUp,
    SawDown,
    Square,
    /// A new random level every cycle, held.
    SampleHold,
    /// Random levels every cycle, glided between with an S-curve.
    SmoothRandom,
}

impl LfoShape {
    pub const ALL: [LfoShape; 7] = [
        LfoShape::Sine,
        LfoShape::Triangle,
        LfoShape::SawUp,
        LfoShape::SawDown,
        LfoShape::Square,
        LfoShape::SampleHold,
        LfoShape::SmoothRandom,
    ];
}

/// How fast an LFO cycles: a note value that follows the tempo or a rate in Hz.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum LfoRate {
    /// A cycle lasts `whole_notes` whole notes (4 beats each): `"4/1"` is four bars of
    /// 4/4, `"1/16"` a sixteenth, `"1/8."` dotted, `"1/8t"` triplet.
    Note {
        whole_notes: f64,
    },
    Hz(f32),
}

pub const MAX_LFO_HZ: f32 = 50.0;

impl LfoRate {
    pub const ALLOWED: &str = "a note value from \"4/1\" (four bars) to \"1/32\", optionally dotted (\"1/8.\") or triplet (\"1/8t\"), or a rate in Hz (\"2.5hz\", up to 50)";

    /// Beats (quarter notes) a cycle lasts, for a tempo-synced rate.
    pub fn beats(self) -> Option<f64> {
        match self {
            LfoRate::Note { whole_notes } => Some(whole_notes * 4.0),
            LfoRate::Hz(_) => None,
        }
    }
}

impl FromStr for LfoRate {
    type Err = String;
    fn from_str(s: &str) -> Result<LfoRate, String> {
        let bad = || format!("\"{s}\" is not an LFO rate (allowed: {})", LfoRate::ALLOWED);
        let t = s.trim().to_ascii_lowercase();
        if let Some(hz) = t.strip_suffix("hz") {
            let hz: f32 = hz.trim().parse().map_err(|_| bad())?;
            if !(hz > 0.0 && hz <= MAX_LFO_HZ) {
                return Err(bad());
            }
            return Ok(LfoRate::Hz(hz));
        }
        let (num, rest) = t.split_once('/').ok_or_else(bad)?;
        let (digits, kind) = NoteKind::split(rest);
        let num: u8 = num.parse().map_err(|_| bad())?;
        let den: u8 = digits.parse().map_err(|_| bad())?;
        let ok = match den {
            1 => [1, 2, 4].contains(&num),
            2 | 4 | 8 | 16 | 32 => num == 1,
            _ => false,
        };
        if !ok {
            return Err(bad());
        }
        let whole_notes = kind.length(f64::from(num) / f64::from(den));
        Ok(LfoRate::Note { whole_notes })
    }
}

impl fmt::Display for LfoRate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LfoRate::Hz(hz) => write!(f, "{hz}hz"),
            LfoRate::Note { whole_notes } => {
                for (num, den) in [
                    (4, 1),
                    (2, 1),
                    (1, 1),
                    (1, 2),
                    (1, 4),
                    (1, 8),
                    (1, 16),
                    (1, 32),
                ] {
                    let straight = f64::from(num) / f64::from(den);
                    for kind in NoteKind::ALL {
                        if (kind.length(straight) - whole_notes).abs() < 1e-9 {
                            return write!(f, "{num}/{den}{}", kind.suffix());
                        }
                    }
                }
                write!(f, "{whole_notes}")
            }
        }
    }
}

serde_via_string!(LfoRate, "an LFO rate such as \"1/4\" or \"2.5hz\"");

/// A low-frequency oscillator of an instrument or a strip, moving one parameter around
/// its set (or automated) value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lfo {
    /// The owner's own parameter (`"filter.cutoff"` on an instrument, `"pan"` on a
    /// strip) or any parameter of the song by its full name (`"ch2.gain_db"`).
    pub target: String,
    #[serde(default)]
    pub shape: LfoShape,
    pub rate: LfoRate,
    /// How far it swings either way, as a share (0 to 1) of the parameter's range.
    pub depth: f32,
    /// Where in its cycle it starts, 0 to 1.
    #[serde(default)]
    pub phase: f32,
    /// Restarts its cycle on every note of its instrument (or its channel) instead of
    /// running with the song.
    #[serde(default)]
    pub retrigger: bool,
}

/// Whose LFO it is, for resolving its target.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LfoOwner {
    Instrument(usize),
    Strip(usize),
}

impl Lfo {
    /// The parameter this LFO moves.
    pub fn resolve(&self, owner: LfoOwner) -> Result<Target, String> {
        if let Ok(target) = self.target.parse::<Target>() {
            return Ok(target);
        }
        let own = match owner {
            LfoOwner::Instrument(instrument) => InstrumentParam::from_name(&self.target)
                .map(|param| Target::Instrument { instrument, param }),
            LfoOwner::Strip(channel) => {
                StripParam::from_name(&self.target).map(|param| Target::Strip { channel, param })
            }
        };
        own.ok_or_else(|| {
            let names: Vec<&str> = match owner {
                LfoOwner::Instrument(_) => {
                    InstrumentParam::ALL.iter().map(|p| p.info().name).collect()
                }
                LfoOwner::Strip(_) => StripParam::ALL.iter().map(|p| p.info().name).collect(),
            };
            format!(
                "\"{}\" is not a parameter here (allowed: {}, or {TARGET_ALLOWED})",
                self.target,
                names.join(", ")
            )
        })
    }

    /// The LFOs a song has, each with its owner.
    pub fn all(song: &Song) -> impl Iterator<Item = (LfoOwner, &Lfo)> {
        let instruments = song.instruments.iter().enumerate().flat_map(|(i, inst)| {
            inst.lfos
                .iter()
                .map(move |lfo| (LfoOwner::Instrument(i), lfo))
        });
        let strips = song
            .mixer
            .channels
            .iter()
            .enumerate()
            .flat_map(|(c, ch)| ch.lfos.iter().map(move |lfo| (LfoOwner::Strip(c), lfo)));
        instruments.chain(strips)
    }
}

/// Keeping movement attached to what it moves when the song's shape changes in the
/// editor (otherwise a saved song would name instruments, channels or entries it no
/// longer has).
impl Song {
    /// Maps every lane's and every full-named LFO target through `f`; `None` drops it.
    fn retarget(&mut self, f: impl Fn(Target) -> Option<Target>) {
        for p in &mut self.patterns {
            p.automation.retain_mut(|lane| match f(lane.target) {
                Some(t) => {
                    lane.target = t;
                    true
                }
                None => false,
            });
        }
        self.automation.retain_mut(|lane| match f(lane.target) {
            Some(t) => {
                lane.target = t;
                true
            }
            None => false,
        });
        // Full-named LFO targets follow too; an LFO of its own owner goes with it.
        let follow = |lfo: &mut Lfo| match lfo.target.parse::<Target>() {
            Ok(t) => match f(t) {
                Some(t) => {
                    lfo.target = t.to_string();
                    true
                }
                None => false,
            },
            Err(_) => true,
        };
        for lfos in self
            .instruments
            .iter_mut()
            .map(|i| &mut i.lfos)
            .chain(self.mixer.channels.iter_mut().map(|c| &mut c.lfos))
        {
            lfos.retain_mut(follow);
        }
    }

    /// Instrument `index` (0-based) has been removed: its movement goes, later ones move down.
    pub fn instrument_removed(&mut self, index: usize) {
        self.retarget(|t| match t {
            Target::Instrument { instrument, .. } if instrument == index => None,
            Target::Instrument { instrument, param } if instrument > index => {
                Some(Target::Instrument {
                    instrument: instrument - 1,
                    param,
                })
            }
            t => Some(t),
        });
    }

    /// Only the first `count` channels are left.
    pub fn channels_truncated(&mut self, count: usize) {
        self.retarget(|t| match t {
            Target::Strip { channel, .. } if channel >= count => None,
            t => Some(t),
        });
    }

    /// An arrangement entry has been inserted at `at`.
    pub fn entry_inserted(&mut self, at: usize) {
        for lane in &mut self.automation {
            if lane.entry >= at {
                lane.entry += 1;
            }
        }
    }

    /// The arrangement entry at `at` has been removed (with the lanes that start on it).
    pub fn entry_removed(&mut self, at: usize) {
        self.automation.retain(|lane| lane.entry != at);
        for lane in &mut self.automation {
            if lane.entry > at {
                lane.entry -= 1;
            }
        }
    }

    /// Entries `a` and `b` have changed places.
    pub fn entries_swapped(&mut self, a: usize, b: usize) {
        for lane in &mut self.automation {
            if lane.entry == a {
                lane.entry = b;
            } else if lane.entry == b {
                lane.entry = a;
            }
        }
    }
}

/// Problems with a target in `song`: it must exist there.
pub(super) fn target_problem(song: &Song, target: Target) -> Option<String> {
    match target {
        Target::Instrument { instrument, param } => match song.instruments.get(instrument) {
            None => Some(format!(
                "{target}: instrument {:02X} does not exist (the song has {} instruments)",
                instrument + 1,
                song.instruments.len()
            )),
            Some(inst) if param.place(&mut inst.clone()).is_none() => Some(format!(
                "{target}: instrument {:02X} is a {} and has no {}",
                instrument + 1,
                match inst.source {
                    Source::Synth(_) => "synth",
                    Source::Sampler(_) => "sampler",
                },
                param.info().name
            )),
            Some(_) => None,
        },
        Target::Strip { channel, .. } if channel >= song.channel_count() => Some(format!(
            "{target}: channel {} does not exist (the song has {} channels)",
            channel + 1,
            song.channel_count()
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_names_read_back_as_themselves() {
        let all = Target::all(2, 3);
        for t in &all {
            let text = t.to_string();
            assert_eq!(text.parse::<Target>().as_ref(), Ok(t), "{text}");
        }
        assert_eq!(
            "inst0A.filter.cutoff".parse::<Target>(),
            Ok(Target::Instrument {
                instrument: 9,
                param: InstrumentParam::Cutoff
            })
        );
        for bad in ["inst00.mix", "ch0.pan", "ch1.cutoff", "nope", "master.pan"] {
            assert!(bad.parse::<Target>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_parameter_maps_its_range_both_ways() {
        for t in Target::all(1, 1) {
            let i = t.info();
            for x in [0.0, 0.25, 0.5, 1.0] {
                let v = i.denormalise(x);
                assert!(i.contains(v), "{t} {v}");
                assert!((i.normalise(v) - x).abs() < 1e-4, "{t} {x}");
            }
        }
    }

    #[test]
    fn points_read_write_and_curves_interpolate() {
        let p: Point = "16.5 0.75 exp".parse().unwrap();
        assert_eq!((p.row, p.value, p.curve), (16.5, 0.75, Curve::Exp));
        assert_eq!(p.to_string(), "16.5 0.75 exp");
        assert_eq!("4 -3".parse::<Point>().unwrap().to_string(), "4 -3");
        assert!("4".parse::<Point>().is_err());
        assert!("4 1 wobble".parse::<Point>().is_err());
        let lane = Lane {
            target: "master.gain_db".parse().unwrap(),
            points: ["0 100 exp", "8 400 step", "12 0 smooth", "16 10"]
                .iter()
                .map(|s| s.parse().unwrap())
                .collect(),
        };
        assert_eq!(lane.value_at(-1.0), Some(100.0));
        assert!((lane.value_at(4.0).unwrap() - 200.0).abs() < 1e-3);
        assert_eq!(lane.value_at(11.9), Some(400.0));
        assert_eq!(lane.value_at(14.0), Some(5.0));
        assert_eq!(lane.value_at(99.0), Some(10.0));
    }

    #[test]
    fn movement_follows_removed_instruments_channels_and_entries() {
        let mut song = Song::new(3);
        song.instruments = vec![
            Instrument::synth("a", Default::default()),
            Instrument::synth("b", Default::default()),
        ];
        let lane = |t: &str| Lane {
            target: t.parse().unwrap(),
            points: vec!["0 1".parse().unwrap()],
        };
        song.patterns[0].automation = vec![lane("inst01.mix"), lane("inst02.mix"), lane("ch3.pan")];
        song.mixer.channels[0].lfos = vec![Lfo {
            target: "inst02.filter.cutoff".into(),
            shape: LfoShape::Sine,
            rate: "1/4".parse().unwrap(),
            depth: 0.5,
            phase: 0.0,
            retrigger: false,
        }];
        song.arrangement.push(song.arrangement[0].clone());
        song.automation = vec![ArrangementLane {
            entry: 1,
            target: "master.gain_db".parse().unwrap(),
            points: vec![],
        }];
        song.instrument_removed(0);
        song.channels_truncated(2);
        let names: Vec<String> = song.patterns[0]
            .automation
            .iter()
            .map(|l| l.target.to_string())
            .collect();
        assert_eq!(names, ["inst01.mix"]);
        assert_eq!(
            song.mixer.channels[0].lfos[0].target,
            "inst01.filter.cutoff"
        );
        song.instrument_removed(0);
        assert!(song.mixer.channels[0].lfos.is_empty());
        song.entry_inserted(0);
        assert_eq!(song.automation[0].entry, 2);
        song.entries_swapped(2, 0);
        assert_eq!(song.automation[0].entry, 0);
        song.entry_removed(0);
        assert!(song.automation.is_empty());
    }

    #[test]
    fn lfo_rates_read_and_write() {
        for text in ["4/1", "2/1", "1/1", "1/4", "1/8.", "1/16t", "1/32", "2.5hz"] {
            let r: LfoRate = text.parse().unwrap();
            assert_eq!(r.to_string(), text);
        }
        assert_eq!("4/1".parse::<LfoRate>().unwrap().beats(), Some(16.0));
        assert_eq!("1/8.".parse::<LfoRate>().unwrap().beats(), Some(0.75));
        for bad in ["3/1", "1/3", "0hz", "99hz", "fast"] {
            assert!(bad.parse::<LfoRate>().is_err(), "{bad}");
        }
    }
}
