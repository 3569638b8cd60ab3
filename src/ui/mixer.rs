//! The Mixer view: every strip side by side (channels, then the reverb and delay returns)
//! with meters, fader, pan, mute/solo and sends; below, the selected strip's EQ (with its
//! curve), input, high-pass and compressor in full.
//!
//! Parameters are edited through `Slot`s, shared with the Master view: a value is read,
//! stepped, typed or reset the same way wherever it lives.

use super::action::Action;
use super::app::{App, PromptKind};
use super::meter;
use super::theme;
use crate::dsp::eq::{BandSettings, HighPassOrder, ParametricEq};
use crate::song::{
    ChannelStrip, Compressor, DelayBus, DelayTime, DuckCurve, DuckTrigger, Ducker, Eq, HighPass,
    HighPassSlope, KeyBus, MAX_DUCK_ATTACK_MS, MAX_KEY_HIGH_PASS_HZ, MIN_DUCK_DEPTH_DB,
    MIN_KEY_HIGH_PASS_HZ, Mixer, ReverbBus, SILENT_DB,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
use ratatui::widgets::{Block, Borders, Paragraph};

// ----- values, shared with the Master view -----

/// How a number moves: by a fixed amount, or by a ratio (frequencies, times, Q).
#[derive(Clone, Copy, Debug)]
pub(super) enum Step {
    Linear {
        fine: f32,
        coarse: f32,
    },
    /// Octaves per fine and coarse step.
    Ratio {
        fine: f32,
        coarse: f32,
    },
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Range {
    pub min: f32,
    pub max: f32,
    pub step: Step,
    pub unit: &'static str,
    pub decimals: usize,
}

const fn linear(
    min: f32,
    max: f32,
    fine: f32,
    coarse: f32,
    unit: &'static str,
    decimals: usize,
) -> Range {
    Range {
        min,
        max,
        step: Step::Linear { fine, coarse },
        unit,
        decimals,
    }
}

const fn ratio(
    min: f32,
    max: f32,
    fine: f32,
    coarse: f32,
    unit: &'static str,
    decimals: usize,
) -> Range {
    Range {
        min,
        max,
        step: Step::Ratio { fine, coarse },
        unit,
        decimals,
    }
}

/// The ranges are the validator's (`song/validate.rs`); a test checks both ends pass it.
pub(super) const GAIN_DB: Range = linear(-24.0, 24.0, 0.5, 3.0, " dB", 1);
pub(super) const FADER_DB: Range = linear(SILENT_DB, 24.0, 0.5, 3.0, " dB", 1);
const SEND_DB: Range = linear(SILENT_DB, 6.0, 0.5, 3.0, " dB", 1);
const BAND_FREQ: Range = ratio(20.0, 20_000.0, 1.0 / 12.0, 0.5, " Hz", 0);
const BAND_Q: Range = ratio(0.1, 18.0, 1.0 / 6.0, 0.5, "", 2);
const HIGH_PASS_FREQ: Range = ratio(10.0, 2_000.0, 1.0 / 12.0, 0.5, " Hz", 0);
const THRESHOLD: Range = linear(-60.0, 0.0, 0.5, 3.0, " dB", 1);
const RATIO: Range = linear(1.0, 20.0, 0.1, 1.0, ":1", 1);
const ATTACK: Range = ratio(0.1, 200.0, 0.25, 1.0, " ms", 1);
const RELEASE: Range = ratio(5.0, 5_000.0, 0.25, 1.0, " ms", 0);
const KNEE: Range = linear(0.0, 24.0, 0.5, 3.0, " dB", 1);
const UNIT: Range = linear(0.0, 1.0, 0.01, 0.1, "", 2);
const PRE_DELAY: Range = linear(0.0, 250.0, 1.0, 10.0, " ms", 0);
const DECAY: Range = ratio(0.1, 30.0, 0.25, 1.0, " s", 2);
const LOW_CUT: Range = ratio(10.0, 2_000.0, 1.0 / 12.0, 0.5, " Hz", 0);
const HIGH_CUT: Range = ratio(500.0, 20_000.0, 1.0 / 12.0, 0.5, " Hz", 0);
const KEY_HIGH_PASS: Range = ratio(
    MIN_KEY_HIGH_PASS_HZ,
    MAX_KEY_HIGH_PASS_HZ,
    1.0 / 12.0,
    0.5,
    " Hz",
    0,
);
const DUCK_DEPTH: Range = linear(MIN_DUCK_DEPTH_DB, 0.0, 0.5, 3.0, " dB", 1);
const DUCK_ATTACK: Range = linear(0.0, MAX_DUCK_ATTACK_MS, 0.5, 5.0, " ms", 1);

/// Note values the delay time steps through (typing also takes milliseconds: `350ms`).
const DELAY_TIMES: [&str; 14] = [
    "1/32", "1/16t", "1/16", "1/16.", "1/8t", "1/8", "1/8.", "1/4t", "1/4", "1/4.", "1/2t", "1/2",
    "1/2.", "1/1",
];
const SLOPES: [HighPassSlope; 3] = [HighPassSlope::Off, HighPassSlope::Db12, HighPassSlope::Db24];

/// What kind of value a parameter holds and how it reads.
#[derive(Clone, Copy, Debug)]
pub(super) enum Kind {
    Number(Range),
    /// A level where the bottom of the range is off.
    Level(Range),
    /// -1 (left) to 1 (right), shown and typed as L50 / C / R50.
    Pan,
    /// Shown as `on`/`off` text pairs: (text when true, text when false).
    Toggle(&'static str, &'static str),
    Slope,
    Time,
    /// A channel number, or none (shown as the text given).
    Channel(&'static str),
    /// A compressor's key: its own signal, a channel or a bus.
    Key,
    Curve,
}

/// What a compressor's detector hears.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum KeyChoice {
    Own,
    /// A channel number (1 = the first).
    Channel(usize),
    Bus(KeyBus),
}

impl KeyChoice {
    /// The choices in the order Left/Right step through them.
    fn all(channels: usize) -> Vec<KeyChoice> {
        std::iter::once(KeyChoice::Own)
            .chain((1..=channels).map(KeyChoice::Channel))
            .chain(KeyBus::ALL.map(KeyChoice::Bus))
            .collect()
    }
}

/// An owned value, for reset and for comparing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) enum Value {
    Number(f32),
    Toggle(bool),
    Slope(HighPassSlope),
    Time(DelayTime),
    /// A channel number (1 = the first).
    Channel(Option<usize>),
    Key(KeyChoice),
    Curve(DuckCurve),
}

/// Where a value lives in the song.
pub(super) enum Slot<'a> {
    Number(&'a mut f32),
    Toggle(&'a mut bool),
    Slope(&'a mut HighPassSlope),
    Time(&'a mut DelayTime),
    Key(&'a mut crate::song::Sidechain),
    /// A ducker's trigger, read as a channel (`None` for every beat).
    Trigger(&'a mut DuckTrigger),
    Curve(&'a mut DuckCurve),
}

impl Slot<'_> {
    pub fn get(&self) -> Value {
        match self {
            Slot::Number(x) => Value::Number(**x),
            Slot::Toggle(x) => Value::Toggle(**x),
            Slot::Slope(x) => Value::Slope(**x),
            Slot::Time(x) => Value::Time(**x),
            Slot::Key(k) => Value::Key(match (k.bus, k.channel) {
                (Some(bus), _) => KeyChoice::Bus(bus),
                (None, Some(n)) => KeyChoice::Channel(n),
                (None, None) => KeyChoice::Own,
            }),
            Slot::Trigger(x) => Value::Channel(match **x {
                DuckTrigger::Beat => None,
                DuckTrigger::Channel(n) => Some(n),
            }),
            Slot::Curve(x) => Value::Curve(**x),
        }
    }

    pub fn set(&mut self, value: Value) {
        match (self, value) {
            (Slot::Number(x), Value::Number(v)) => **x = v,
            (Slot::Toggle(x), Value::Toggle(v)) => **x = v,
            (Slot::Slope(x), Value::Slope(v)) => **x = v,
            (Slot::Time(x), Value::Time(v)) => **x = v,
            (Slot::Key(k), Value::Key(v)) => {
                (k.channel, k.bus) = match v {
                    KeyChoice::Own => (None, None),
                    KeyChoice::Channel(n) => (Some(n), None),
                    KeyChoice::Bus(bus) => (None, Some(bus)),
                };
            }
            (Slot::Trigger(x), Value::Channel(v)) => {
                **x = v.map_or(DuckTrigger::Beat, DuckTrigger::Channel);
            }
            (Slot::Curve(x), Value::Curve(v)) => **x = v,
            _ => {}
        }
    }
}

fn clamp(range: &Range, v: f32) -> f32 {
    v.clamp(range.min, range.max)
}

/// The next point of the step's grid in direction `dir`: -4 dB a 3 dB step up is -3,
/// so coarse steps land on round values.
fn grid_step(v: f32, step: f32, dir: i32) -> f32 {
    let q = v / step;
    let next = if dir > 0 {
        (q + 1e-3).floor() + 1.0
    } else {
        (q - 1e-3).ceil() - 1.0
    };
    next * step
}

/// The value one step up (`dir` 1) or down (-1).
pub(super) fn stepped(kind: Kind, value: Value, dir: i32, coarse: bool) -> Value {
    let d = dir as f32;
    match (kind, value) {
        (Kind::Number(r) | Kind::Level(r), Value::Number(v)) => Value::Number(match r.step {
            Step::Linear { fine, coarse: big } => {
                let step = if coarse { big } else { fine };
                clamp(&r, grid_step(v, step, dir))
            }
            Step::Ratio { fine, coarse: big } => clamp(
                &r,
                v.max(r.min) * (d * if coarse { big } else { fine }).exp2(),
            ),
        }),
        (Kind::Pan, Value::Number(v)) => {
            let step = if coarse { 0.1 } else { 0.01 };
            Value::Number(grid_step(v, step, dir).clamp(-1.0, 1.0))
        }
        (Kind::Toggle(..), Value::Toggle(b)) => Value::Toggle(!b),
        (Kind::Slope, Value::Slope(s)) => {
            let i = SLOPES.iter().position(|&x| x == s).unwrap_or(0) as i32;
            Value::Slope(SLOPES[(i + dir).clamp(0, SLOPES.len() as i32 - 1) as usize])
        }
        (Kind::Time, Value::Time(t)) => {
            let text = t.to_string();
            let i = DELAY_TIMES.iter().position(|&x| x == text);
            let next = match i {
                Some(i) => (i as i32 + dir).clamp(0, DELAY_TIMES.len() as i32 - 1) as usize,
                None => DELAY_TIMES.iter().position(|&x| x == "1/8").unwrap_or(0),
            };
            Value::Time(DELAY_TIMES[next].parse().unwrap_or(t))
        }
        // Up past the last channel is refused where the value is set.
        (Kind::Channel(_), Value::Channel(c)) => Value::Channel(match (c, dir > 0) {
            (None, true) => Some(1),
            (None, false) => None,
            (Some(1), false) => None,
            (Some(n), true) => Some(n + 1),
            (Some(n), false) => Some(n - 1),
        }),
        (Kind::Curve, Value::Curve(c)) => {
            let all = DuckCurve::ALL;
            let i = all.iter().position(|&x| x == c).unwrap_or(0) as i32;
            Value::Curve(all[(i + dir).clamp(0, all.len() as i32 - 1) as usize])
        }
        (_, v) => v,
    }
}

/// The value as the view shows it.
pub(super) fn text(kind: Kind, value: Value) -> String {
    match (kind, value) {
        (Kind::Level(r), Value::Number(v)) if v <= r.min => "off".to_owned(),
        (Kind::Number(r) | Kind::Level(r), Value::Number(v)) => {
            if r.unit == " Hz" && v >= 1_000.0 {
                format!("{:.1}k", v / 1_000.0)
            } else {
                let d = r.decimals;
                let unit = r.unit.trim_start();
                if r.min < 0.0 && v > 0.0 {
                    format!("+{v:.d$}{unit}")
                } else {
                    format!("{v:.d$}{unit}")
                }
            }
        }
        (Kind::Pan, Value::Number(v)) => {
            let pct = (v * 100.0).round() as i32;
            match pct {
                0 => "C".to_owned(),
                p if p < 0 => format!("L{}", -p),
                p => format!("R{p}"),
            }
        }
        (Kind::Toggle(on, off), Value::Toggle(b)) => if b { on } else { off }.to_owned(),
        (Kind::Slope, Value::Slope(s)) => match s {
            HighPassSlope::Off => "off",
            HighPassSlope::Db12 => "12dB",
            HighPassSlope::Db24 => "24dB",
        }
        .to_owned(),
        (Kind::Time, Value::Time(t)) => t.to_string(),
        (Kind::Channel(none), Value::Channel(c)) => match c {
            None => none.to_owned(),
            Some(n) => format!("ch {n}"),
        },
        (Kind::Key, Value::Key(k)) => match k {
            KeyChoice::Own => "own".to_owned(),
            KeyChoice::Channel(n) => format!("ch {n}"),
            KeyChoice::Bus(bus) => bus.name().to_owned(),
        },
        (Kind::Curve, Value::Curve(c)) => c.name().replace('_', "-"),
        _ => String::new(),
    }
}

/// The value as a prompt starts it: what typing it back gives.
pub(super) fn prompt_text(kind: Kind, value: Value) -> String {
    match (kind, value) {
        (Kind::Number(r) | Kind::Level(r), Value::Number(v)) => {
            let d = r.decimals;
            format!("{v:.d$}")
        }
        _ => text(kind, value),
    }
}

/// A typed value, checked against the parameter's range.
pub(super) fn parse(kind: Kind, text: &str) -> Result<Value, String> {
    let t = text.trim().to_ascii_lowercase();
    match kind {
        Kind::Number(r) | Kind::Level(r) => {
            if matches!(kind, Kind::Level(_)) && (t == "off" || t == "-inf") {
                return Ok(Value::Number(r.min));
            }
            let number = t
                .trim_end_matches(r.unit.trim().to_ascii_lowercase().as_str())
                .trim_end_matches("db")
                .trim();
            let (number, scale) = match number.strip_suffix('k') {
                Some(n) if r.unit == " Hz" => (n, 1_000.0),
                _ => (number, 1.0),
            };
            match number.parse::<f32>() {
                Ok(v) if (v * scale).is_finite() && (r.min..=r.max).contains(&(v * scale)) => {
                    Ok(Value::Number(v * scale))
                }
                _ => Err(format!(
                    "\"{text}\" is out of range (allowed {} to {}{})",
                    r.min, r.max, r.unit
                )),
            }
        }
        Kind::Pan => {
            let bad = || format!("\"{text}\" is not a pan (allowed L100 to R100, C, or -1 to 1)");
            let v = if t == "c" {
                0.0
            } else if let Some(n) = t.strip_prefix('l') {
                -n.trim().parse::<f32>().map_err(|_| bad())? / 100.0
            } else if let Some(n) = t.strip_prefix('r') {
                n.trim().parse::<f32>().map_err(|_| bad())? / 100.0
            } else {
                t.parse::<f32>().map_err(|_| bad())?
            };
            if v.is_finite() && (-1.0..=1.0).contains(&v) {
                Ok(Value::Number(v))
            } else {
                Err(bad())
            }
        }
        // The value's own words first: a bypass shows "on" when it is false.
        Kind::Toggle(on, off) => match t.as_str() {
            x if x == on.to_ascii_lowercase() => Ok(Value::Toggle(true)),
            x if x == off.to_ascii_lowercase() => Ok(Value::Toggle(false)),
            "on" | "yes" | "1" | "true" => Ok(Value::Toggle(true)),
            "off" | "no" | "0" | "false" => Ok(Value::Toggle(false)),
            _ => Err(format!("\"{text}\": allowed {on} or {off}")),
        },
        Kind::Slope => match t.trim_end_matches("db") {
            "off" | "0" => Ok(Value::Slope(HighPassSlope::Off)),
            "12" => Ok(Value::Slope(HighPassSlope::Db12)),
            "24" => Ok(Value::Slope(HighPassSlope::Db24)),
            _ => Err(format!("\"{text}\": allowed off, 12 or 24 (dB per octave)")),
        },
        Kind::Time => t.parse::<DelayTime>().map(Value::Time),
        Kind::Channel(none) => {
            let number = t.trim_start_matches("ch").trim();
            if t == none || t == "off" || t == "none" {
                Ok(Value::Channel(None))
            } else {
                match number.parse::<usize>() {
                    Ok(n) if n >= 1 => Ok(Value::Channel(Some(n))),
                    _ => Err(format!(
                        "\"{text}\": allowed a channel number (1 = the first) or {none}"
                    )),
                }
            }
        }
        Kind::Key => match t.as_str() {
            "own" | "off" | "none" => Ok(Value::Key(KeyChoice::Own)),
            "reverb" => Ok(Value::Key(KeyChoice::Bus(KeyBus::Reverb))),
            "delay" => Ok(Value::Key(KeyChoice::Bus(KeyBus::Delay))),
            _ => match t.trim_start_matches("ch").trim().parse::<usize>() {
                Ok(n) if n >= 1 => Ok(Value::Key(KeyChoice::Channel(n))),
                _ => Err(format!(
                    "\"{text}\": allowed own, a channel number (1 = the first), reverb or delay"
                )),
            },
        },
        Kind::Curve => DuckCurve::ALL
            .into_iter()
            .find(|c| c.name() == t.replace('-', "_"))
            .map(Value::Curve)
            .ok_or_else(|| format!("\"{text}\": allowed linear, exponential or s-curve")),
    }
}

/// An EQ parameter: shared by channel strips, bus returns and the master.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum EqParam {
    /// Toggles `bypass` (shown as the EQ being on or off).
    On,
    Freq(usize),
    Gain(usize),
    Q(usize),
}

pub(super) const EQ_PARAMS: [EqParam; 13] = [
    EqParam::On,
    EqParam::Freq(0),
    EqParam::Gain(0),
    EqParam::Q(0),
    EqParam::Freq(1),
    EqParam::Gain(1),
    EqParam::Q(1),
    EqParam::Freq(2),
    EqParam::Gain(2),
    EqParam::Q(2),
    EqParam::Freq(3),
    EqParam::Gain(3),
    EqParam::Q(3),
];

pub(super) const BAND_NAMES: [&str; 4] = ["low shelf", "peak 1", "peak 2", "high shelf"];

pub(super) const BYPASS: Kind = Kind::Toggle("byp", "on");

fn band_mut(eq: &mut Eq, band: usize) -> &mut crate::song::Band {
    match band {
        0 => &mut eq.low,
        1 => &mut eq.mid1,
        2 => &mut eq.mid2,
        _ => &mut eq.high,
    }
}

pub(super) fn eq_slot(eq: &mut Eq, p: EqParam) -> (Slot<'_>, Kind) {
    match p {
        EqParam::On => (Slot::Toggle(&mut eq.bypass), BYPASS),
        EqParam::Freq(b) => (
            Slot::Number(&mut band_mut(eq, b).freq),
            Kind::Number(BAND_FREQ),
        ),
        EqParam::Gain(b) => (
            Slot::Number(&mut band_mut(eq, b).gain_db),
            Kind::Number(GAIN_DB),
        ),
        EqParam::Q(b) => (Slot::Number(&mut band_mut(eq, b).q), Kind::Number(BAND_Q)),
    }
}

/// A compressor parameter: shared by channel strips and the master's glue compressor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum CompParam {
    On,
    Threshold,
    Ratio,
    Attack,
    Release,
    Knee,
    Makeup,
}

pub(super) const COMP_PARAMS: [CompParam; 7] = [
    CompParam::On,
    CompParam::Threshold,
    CompParam::Ratio,
    CompParam::Attack,
    CompParam::Release,
    CompParam::Knee,
    CompParam::Makeup,
];

impl CompParam {
    pub fn label(self) -> &'static str {
        match self {
            CompParam::On => "compressor",
            CompParam::Threshold => "threshold",
            CompParam::Ratio => "ratio",
            CompParam::Attack => "attack",
            CompParam::Release => "release",
            CompParam::Knee => "knee",
            CompParam::Makeup => "make-up",
        }
    }
}

pub(super) fn comp_slot(c: &mut Compressor, p: CompParam) -> (Slot<'_>, Kind) {
    match p {
        CompParam::On => (Slot::Toggle(&mut c.bypass), BYPASS),
        CompParam::Threshold => (Slot::Number(&mut c.threshold_db), Kind::Number(THRESHOLD)),
        CompParam::Ratio => (Slot::Number(&mut c.ratio), Kind::Number(RATIO)),
        CompParam::Attack => (Slot::Number(&mut c.attack_ms), Kind::Number(ATTACK)),
        CompParam::Release => (Slot::Number(&mut c.release_ms), Kind::Number(RELEASE)),
        CompParam::Knee => (Slot::Number(&mut c.knee_db), Kind::Number(KNEE)),
        CompParam::Makeup => (Slot::Number(&mut c.makeup_db), Kind::Number(GAIN_DB)),
    }
}

/// A ducker parameter: channel strips and bus returns have one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum DuckParam {
    On,
    Trigger,
    Depth,
    Attack,
    Hold,
    Release,
    Curve,
}

pub(super) const DUCK_PARAMS: [DuckParam; 7] = [
    DuckParam::On,
    DuckParam::Trigger,
    DuckParam::Depth,
    DuckParam::Attack,
    DuckParam::Hold,
    DuckParam::Release,
    DuckParam::Curve,
];

impl DuckParam {
    pub fn label(self) -> &'static str {
        match self {
            DuckParam::On => "ducker",
            DuckParam::Trigger => "duck trigger",
            DuckParam::Depth => "duck depth",
            DuckParam::Attack => "duck attack",
            DuckParam::Hold => "duck hold",
            DuckParam::Release => "duck release",
            DuckParam::Curve => "duck curve",
        }
    }
}

fn duck_slot(d: &mut Ducker, p: DuckParam) -> (Slot<'_>, Kind) {
    match p {
        DuckParam::On => (Slot::Toggle(&mut d.bypass), BYPASS),
        DuckParam::Trigger => (Slot::Trigger(&mut d.trigger), Kind::Channel("beat")),
        DuckParam::Depth => (Slot::Number(&mut d.depth_db), Kind::Number(DUCK_DEPTH)),
        DuckParam::Attack => (Slot::Number(&mut d.attack_ms), Kind::Number(DUCK_ATTACK)),
        DuckParam::Hold => (Slot::Time(&mut d.hold), Kind::Time),
        DuckParam::Release => (Slot::Time(&mut d.release), Kind::Time),
        DuckParam::Curve => (Slot::Curve(&mut d.curve), Kind::Curve),
    }
}

// ----- the mixer's strips and parameters -----

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strip {
    Channel(usize),
    Reverb,
    Delay,
}

/// Every parameter a strip can have; each strip lists the ones it has.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Param {
    Fader,
    Pan,
    Mute,
    Solo,
    ReverbSend,
    DelaySend,
    Eq(EqParam),
    HighPassOn,
    HighPassSlope,
    HighPassFreq,
    InputOn,
    Trim,
    Invert,
    ReverbPre,
    DelayPre,
    Comp(CompParam),
    KeySource,
    KeyHighPass,
    Duck(DuckParam),
    PreDelay,
    Size,
    Decay,
    Damping,
    Width,
    ReverbMix,
    DelayTime,
    Feedback,
    PingPong,
    LowCut,
    HighCut,
    DelayMix,
}

fn with_eq(head: &[Param], tail: &[Param]) -> Vec<Param> {
    let mut all = head.to_vec();
    all.extend(EQ_PARAMS.map(Param::Eq));
    all.extend_from_slice(tail);
    all
}

fn channel_params() -> &'static [Param] {
    static LIST: std::sync::OnceLock<Vec<Param>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        let mut tail = vec![
            Param::HighPassOn,
            Param::HighPassSlope,
            Param::HighPassFreq,
            Param::InputOn,
            Param::Trim,
            Param::Invert,
            Param::ReverbPre,
            Param::DelayPre,
        ];
        tail.extend(COMP_PARAMS.map(Param::Comp));
        tail.extend([Param::KeySource, Param::KeyHighPass]);
        tail.extend(DUCK_PARAMS.map(Param::Duck));
        use Param::*;
        with_eq(&[Fader, Pan, Mute, Solo, ReverbSend, DelaySend], &tail)
    })
}

fn reverb_params() -> &'static [Param] {
    static LIST: std::sync::OnceLock<Vec<Param>> = std::sync::OnceLock::new();
    use Param::*;
    LIST.get_or_init(|| {
        let mut tail = vec![PreDelay, Size, Decay, Damping, Width, ReverbMix];
        tail.extend(DUCK_PARAMS.map(Duck));
        with_eq(&[Fader, Pan, Mute], &tail)
    })
}

fn delay_params() -> &'static [Param] {
    static LIST: std::sync::OnceLock<Vec<Param>> = std::sync::OnceLock::new();
    use Param::*;
    LIST.get_or_init(|| {
        let mut tail = vec![DelayTime, Feedback, PingPong, LowCut, HighCut, DelayMix];
        tail.extend(DUCK_PARAMS.map(Duck));
        with_eq(&[Fader, Pan, Mute], &tail)
    })
}

pub(super) fn params(strip: Strip) -> &'static [Param] {
    match strip {
        Strip::Channel(_) => channel_params(),
        Strip::Reverb => reverb_params(),
        Strip::Delay => delay_params(),
    }
}

impl Param {
    pub fn label(self) -> String {
        match self {
            Param::Fader => "fader".into(),
            Param::Pan => "pan".into(),
            Param::Mute => "mute".into(),
            Param::Solo => "solo".into(),
            Param::ReverbSend => "reverb send".into(),
            Param::DelaySend => "delay send".into(),
            Param::Eq(EqParam::On) => "EQ".into(),
            Param::Eq(EqParam::Freq(b)) => format!("{} freq", BAND_NAMES[b]),
            Param::Eq(EqParam::Gain(b)) => format!("{} gain", BAND_NAMES[b]),
            Param::Eq(EqParam::Q(b)) => format!("{} Q", BAND_NAMES[b]),
            Param::HighPassOn => "high-pass".into(),
            Param::HighPassSlope => "high-pass slope".into(),
            Param::HighPassFreq => "high-pass freq".into(),
            Param::InputOn => "input".into(),
            Param::Trim => "input trim".into(),
            Param::Invert => "phase".into(),
            Param::ReverbPre => "reverb send pre/post".into(),
            Param::DelayPre => "delay send pre/post".into(),
            Param::Comp(c) => c.label().into(),
            Param::KeySource => "sidechain".into(),
            Param::KeyHighPass => "key high-pass".into(),
            Param::Duck(d) => d.label().into(),
            Param::PreDelay => "pre-delay".into(),
            Param::Size => "size".into(),
            Param::Decay => "decay".into(),
            Param::Damping => "damping".into(),
            Param::Width => "width".into(),
            Param::ReverbMix | Param::DelayMix => "mix".into(),
            Param::DelayTime => "time".into(),
            Param::Feedback => "feedback".into(),
            Param::PingPong => "ping-pong".into(),
            Param::LowCut => "low cut".into(),
            Param::HighCut => "high cut".into(),
        }
    }

    /// The first parameter of each group (PgUp/PgDn jump between them).
    fn starts_group(self) -> bool {
        matches!(
            self,
            Param::Fader
                | Param::Eq(EqParam::On)
                | Param::HighPassOn
                | Param::Comp(CompParam::On)
                | Param::Duck(DuckParam::On)
                | Param::PreDelay
                | Param::DelayTime
        )
    }
}

/// The value a strip's parameter lives in, and its kind; `None` if the strip lacks it.
fn slot(mixer: &mut Mixer, strip: Strip, p: Param) -> Option<(Slot<'_>, Kind)> {
    let fader = Kind::Level(FADER_DB);
    let send = Kind::Level(SEND_DB);
    if let Strip::Channel(i) = strip {
        let ch = mixer.channels.get_mut(i)?;
        return Some(match p {
            Param::Fader => (Slot::Number(&mut ch.gain_db), fader),
            Param::Pan => (Slot::Number(&mut ch.pan), Kind::Pan),
            Param::Mute => (Slot::Toggle(&mut ch.mute), Kind::Toggle("M", "-")),
            Param::Solo => (Slot::Toggle(&mut ch.solo), Kind::Toggle("S", "-")),
            Param::ReverbSend => (Slot::Number(&mut ch.sends.reverb.level_db), send),
            Param::DelaySend => (Slot::Number(&mut ch.sends.delay.level_db), send),
            Param::Eq(e) => eq_slot(&mut ch.eq, e),
            Param::HighPassOn => (Slot::Toggle(&mut ch.high_pass.bypass), BYPASS),
            Param::HighPassSlope => (Slot::Slope(&mut ch.high_pass.slope), Kind::Slope),
            Param::HighPassFreq => (
                Slot::Number(&mut ch.high_pass.freq),
                Kind::Number(HIGH_PASS_FREQ),
            ),
            Param::InputOn => (Slot::Toggle(&mut ch.input.bypass), BYPASS),
            Param::Trim => (Slot::Number(&mut ch.input.trim_db), Kind::Number(GAIN_DB)),
            Param::Invert => (
                Slot::Toggle(&mut ch.input.invert),
                Kind::Toggle("inverted", "normal"),
            ),
            Param::ReverbPre => (
                Slot::Toggle(&mut ch.sends.reverb.pre_fader),
                Kind::Toggle("pre", "post"),
            ),
            Param::DelayPre => (
                Slot::Toggle(&mut ch.sends.delay.pre_fader),
                Kind::Toggle("pre", "post"),
            ),
            Param::Comp(c) => comp_slot(&mut ch.compressor, c),
            Param::KeySource => (Slot::Key(&mut ch.sidechain), Kind::Key),
            Param::KeyHighPass => (
                Slot::Number(&mut ch.sidechain.high_pass_hz),
                Kind::Number(KEY_HIGH_PASS),
            ),
            Param::Duck(d) => duck_slot(&mut ch.ducker, d),
            _ => return None,
        });
    }
    match strip {
        Strip::Reverb => {
            let r = &mut mixer.reverb;
            Some(match p {
                Param::Fader | Param::Pan | Param::Mute | Param::Eq(_) | Param::Duck(_) => {
                    return return_slot(&mut r.bus_return, p);
                }
                Param::PreDelay => (Slot::Number(&mut r.pre_delay_ms), Kind::Number(PRE_DELAY)),
                Param::Size => (Slot::Number(&mut r.size), Kind::Number(UNIT)),
                Param::Decay => (Slot::Number(&mut r.decay_s), Kind::Number(DECAY)),
                Param::Damping => (Slot::Number(&mut r.damping), Kind::Number(UNIT)),
                Param::Width => (Slot::Number(&mut r.width), Kind::Number(UNIT)),
                Param::ReverbMix => (Slot::Number(&mut r.mix), Kind::Number(UNIT)),
                _ => return None,
            })
        }
        Strip::Delay => {
            let d = &mut mixer.delay;
            Some(match p {
                Param::Fader | Param::Pan | Param::Mute | Param::Eq(_) | Param::Duck(_) => {
                    return return_slot(&mut d.bus_return, p);
                }
                Param::DelayTime => (Slot::Time(&mut d.time), Kind::Time),
                Param::Feedback => (Slot::Number(&mut d.feedback), Kind::Number(UNIT)),
                Param::PingPong => (Slot::Toggle(&mut d.ping_pong), Kind::Toggle("on", "off")),
                Param::LowCut => (Slot::Number(&mut d.low_cut_hz), Kind::Number(LOW_CUT)),
                Param::HighCut => (Slot::Number(&mut d.high_cut_hz), Kind::Number(HIGH_CUT)),
                Param::DelayMix => (Slot::Number(&mut d.mix), Kind::Number(UNIT)),
                _ => return None,
            })
        }
        Strip::Channel(_) => None,
    }
}

fn return_slot(r: &mut crate::song::BusReturn, p: Param) -> Option<(Slot<'_>, Kind)> {
    Some(match p {
        Param::Duck(d) => duck_slot(&mut r.ducker, d),
        Param::Fader => (Slot::Number(&mut r.gain_db), Kind::Level(FADER_DB)),
        Param::Pan => (Slot::Number(&mut r.pan), Kind::Pan),
        Param::Mute => (Slot::Toggle(&mut r.mute), Kind::Toggle("M", "-")),
        Param::Eq(e) => eq_slot(&mut r.eq, e),
        _ => return None,
    })
}

/// A mixer with every strip at its default, the shape of `mixer`: where reset reads from.
fn defaults(mixer: &Mixer) -> Mixer {
    Mixer {
        channels: vec![ChannelStrip::default(); mixer.channels.len()],
        reverb: ReverbBus::default(),
        delay: DelayBus::default(),
    }
}

/// Reads a parameter's value and kind.
fn read(mixer: &Mixer, strip: Strip, p: Param) -> Option<(Value, Kind)> {
    // Slots borrow mutably; a copy of the one strip keeps reading cheap.
    let mut copy = Mixer {
        channels: match strip {
            Strip::Channel(i) => vec![mixer.channels.get(i)?.clone(); i + 1],
            _ => Vec::new(),
        },
        reverb: mixer.reverb,
        delay: mixer.delay,
    };
    slot(&mut copy, strip, p).map(|(s, k)| (s.get(), k))
}

/// Where the Mixer view's cursor is: a strip (channels, then the returns) and a parameter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MixerCursor {
    pub strip: usize,
    pub param: usize,
    /// The first strip shown.
    pub scroll: usize,
}

/// Strips in the mixer: the channels and the two returns.
pub fn strip_count(mixer: &Mixer) -> usize {
    mixer.channels.len() + 2
}

pub fn strip_at(mixer: &Mixer, index: usize) -> Strip {
    let n = mixer.channels.len();
    match index {
        i if i < n => Strip::Channel(i),
        i if i == n => Strip::Reverb,
        _ => Strip::Delay,
    }
}

const STRIP_WIDTH: u16 = 9;
const SCALE_WIDTH: u16 = 4;

/// How many strips fit side by side in a screen this wide.
pub fn visible_strips(width: u16) -> usize {
    usize::from(width.saturating_sub(SCALE_WIDTH) / STRIP_WIDTH).max(1)
}

impl App {
    pub(super) fn mixer_strip(&self) -> Strip {
        strip_at(&self.song.mixer, self.mixer.strip)
    }

    fn mixer_param(&self) -> Param {
        let list = params(self.mixer_strip());
        list[self.mixer.param.min(list.len() - 1)]
    }

    /// Keeps the cursor on a strip and parameter that exist, and the strip in view.
    pub(super) fn clamp_mixer(&mut self) {
        let count = strip_count(&self.song.mixer);
        let c = &mut self.mixer;
        c.strip = c.strip.min(count - 1);
        let list = params(strip_at(&self.song.mixer, c.strip));
        c.param = c.param.min(list.len() - 1);
        let visible = visible_strips(self.screen.0);
        if c.strip < c.scroll {
            c.scroll = c.strip;
        } else if c.strip >= c.scroll + visible {
            c.scroll = c.strip + 1 - visible;
        }
        c.scroll = c.scroll.min(count.saturating_sub(visible));
    }

    /// Moves to strip `index`, keeping the same parameter where that strip has it.
    fn select_strip(&mut self, index: usize) {
        let param = self.mixer_param();
        self.mixer.strip = index.min(strip_count(&self.song.mixer) - 1);
        if let Some(i) = params(self.mixer_strip()).iter().position(|&p| p == param) {
            self.mixer.param = i;
        }
        self.clamp_mixer();
    }

    pub(super) fn mixer_action(&mut self, action: Action) {
        self.clamp_mixer();
        let strip = self.mixer.strip;
        let list = params(self.mixer_strip());
        match action {
            Action::Left => self.select_strip(strip.saturating_sub(1)),
            Action::Right => self.select_strip(strip + 1),
            Action::Home => self.select_strip(0),
            Action::End => self.select_strip(usize::MAX),
            Action::Up => self.mixer.param = self.mixer.param.saturating_sub(1),
            Action::Down => self.mixer.param = (self.mixer.param + 1).min(list.len() - 1),
            Action::PageDown => {
                let next = list[self.mixer.param + 1..]
                    .iter()
                    .position(|p| p.starts_group())
                    .map_or(list.len() - 1, |i| self.mixer.param + 1 + i);
                self.mixer.param = next;
            }
            Action::PageUp => {
                let prev = list[..self.mixer.param]
                    .iter()
                    .rposition(|p| p.starts_group())
                    .unwrap_or(0);
                self.mixer.param = prev;
            }
            Action::Increase => self.step_mixer(1, false),
            Action::Decrease => self.step_mixer(-1, false),
            Action::IncreaseCoarse => self.step_mixer(1, true),
            Action::DecreaseCoarse => self.step_mixer(-1, true),
            Action::ResetValue => {
                let (strip, p) = (self.mixer_strip(), self.mixer_param());
                let mut def = defaults(&self.song.mixer);
                if let Some((s, _)) = slot(&mut def, strip, p) {
                    self.set_mixer_value(strip, p, s.get());
                }
            }
            Action::ToggleMute | Action::ToggleSolo => {
                let p = if action == Action::ToggleMute {
                    Param::Mute
                } else {
                    Param::Solo
                };
                let strip = self.mixer_strip();
                match read(&self.song.mixer, strip, p) {
                    Some((Value::Toggle(b), _)) => {
                        self.set_mixer_value(strip, p, Value::Toggle(!b))
                    }
                    _ => self.error("bus returns are solo-safe: they have no solo"),
                }
            }
            Action::EditValue => {
                if let Some((value, kind)) =
                    read(&self.song.mixer, self.mixer_strip(), self.mixer_param())
                {
                    self.open_prompt(PromptKind::MixerValue, prompt_text(kind, value));
                }
            }
            _ => {}
        }
    }

    fn step_mixer(&mut self, dir: i32, coarse: bool) {
        let (strip, p) = (self.mixer_strip(), self.mixer_param());
        let Some((mut value, kind)) = read(&self.song.mixer, strip, p) else {
            return;
        };
        // A channel or key choice steps over the ones that cannot be chosen (the
        // channel itself, or one that would key it in a loop).
        let channels = self.song.mixer.channels.len();
        for _ in 0..=channels + KeyBus::ALL.len() {
            let next = match value {
                Value::Key(k) => {
                    let all = KeyChoice::all(channels);
                    let i = all.iter().position(|&c| c == k).unwrap_or(0) as i32;
                    Value::Key(all[(i + dir).clamp(0, all.len() as i32 - 1) as usize])
                }
                _ => stepped(kind, value, dir, coarse),
            };
            if next == value {
                return;
            }
            value = next;
            if !matches!(kind, Kind::Channel(_) | Kind::Key)
                || self.refusal(strip, p, value).is_none()
            {
                break;
            }
        }
        self.set_mixer_value(strip, p, value);
    }

    /// Why `value` cannot go into the parameter, if it cannot.
    fn refusal(&self, strip: Strip, p: Param, value: Value) -> Option<String> {
        let channels = self.song.mixer.channels.len();
        if let Value::Channel(Some(n)) | Value::Key(KeyChoice::Channel(n)) = value
            && n > channels
        {
            return Some(format!("channel {n} does not exist (1 to {channels})"));
        }
        // The mixer as it would be: no key may loop, through channels or a bus.
        let mut mixer = self.song.mixer.clone();
        if let Some((mut s, _)) = slot(&mut mixer, strip, p) {
            s.set(value);
        }
        if let (Strip::Channel(i), Param::KeySource) = (strip, p)
            && let Some(path) = crate::song::key_loop(&mixer, i)
        {
            let path: Vec<String> = path.iter().map(|c| (c + 1).to_string()).collect();
            return Some(format!(
                "a sidechain cannot loop back to the channel it keys (channel {})",
                path.join(" keyed by channel ")
            ));
        }
        match crate::song::bus_loop(&mixer) {
            Some((_, chain)) if crate::song::bus_loop(&self.song.mixer).is_none() => Some(chain),
            _ => None,
        }
    }

    /// Typed into the prompt for the parameter under the cursor.
    pub fn set_mixer_text(&mut self, text: &str) {
        let (strip, p) = (self.mixer_strip(), self.mixer_param());
        let Some((_, kind)) = read(&self.song.mixer, strip, p) else {
            return;
        };
        match parse(kind, text) {
            Ok(v) => self.set_mixer_value(strip, p, v),
            Err(e) => self.error(format!("{}: {e}", p.label())),
        }
    }

    /// One undoable edit, made only when the value changes.
    fn set_mixer_value(&mut self, strip: Strip, p: Param, value: Value) {
        match read(&self.song.mixer, strip, p) {
            Some((old, _)) if old != value => {}
            _ => return,
        }
        if let Some(why) = self.refusal(strip, p, value) {
            self.error(format!("{}: {why}", p.label()));
            return;
        }
        self.edit_settings(|app| {
            if let Some((mut s, _)) = slot(&mut app.song.mixer, strip, p) {
                s.set(value);
            }
        });
    }
}

// ----- drawing -----

fn strip_name(mixer: &Mixer, strip: Strip) -> String {
    match strip {
        Strip::Channel(i) => {
            let name = &mixer.channels[i].name;
            let number = (i + 1).to_string();
            if name.is_empty() || *name == format!("Ch {number}") {
                format!("Ch {number}")
            } else {
                format!("{number} {name}")
            }
        }
        Strip::Reverb => "Reverb".into(),
        Strip::Delay => "Delay".into(),
    }
}

fn truncate(text: &str, width: usize) -> String {
    text.chars().take(width).collect()
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    // The detail panel keeps its size; the strips take the rest (their meters grow).
    let detail_height = 10.min(area.height.saturating_sub(8));
    let [strips, detail] =
        Layout::vertical([Constraint::Min(8), Constraint::Length(detail_height)]).areas(area);
    draw_strips(frame, strips, app);
    draw_detail(frame, detail, app);
}

/// Where the cursor is, when it is on this strip's parameter `p`.
fn selected(app: &App, index: usize, p: Param) -> bool {
    app.mixer.strip == index && app.mixer_param() == p
}

fn draw_strips(frame: &mut Frame, area: Rect, app: &App) {
    let mixer = &app.song.mixer;
    let count = strip_count(mixer);
    let visible = visible_strips(area.width);
    // The stored scroll follows the screen size `update` saw; keep the cursor in view here too.
    let mut scroll = app.mixer.scroll.min(count.saturating_sub(visible));
    if app.mixer.strip < scroll {
        scroll = app.mixer.strip;
    } else if app.mixer.strip >= scroll + visible {
        scroll = app.mixer.strip + 1 - visible;
    }
    let last = (scroll + visible).min(count);
    let title = format!(
        " mixer: strips {}-{} of {} ({} channels + 2 returns) ",
        scroll + 1,
        last,
        count,
        mixer.channels.len()
    );
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme::TITLE));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.height < 7 {
        return;
    }
    // Rows: name, meter (the rest), fader, pan, mute/solo, two sends.
    let meter_rows = inner.height - 6;
    let meter_top = inner.y + 1;
    let values_top = meter_top + meter_rows;
    let buf = frame.buffer_mut();
    meter::draw_scale(
        buf,
        Rect::new(inner.x, meter_top, SCALE_WIDTH - 1, meter_rows),
        meter::FLOOR_DB,
    );
    for (slot_index, index) in (scroll..last).enumerate() {
        let x = inner.x + SCALE_WIDTH + slot_index as u16 * STRIP_WIDTH;
        if x + STRIP_WIDTH > inner.x + inner.width + 1 {
            break;
        }
        let strip = strip_at(mixer, index);
        let name_style = if index == app.mixer.strip {
            theme::TAB_ACTIVE
        } else if matches!(strip, Strip::Channel(_)) {
            theme::HEADER
        } else {
            theme::INSTRUMENT
        };
        let w = usize::from(STRIP_WIDTH - 1);
        buf.set_string(
            x,
            inner.y,
            format!("{:<w$}", truncate(&strip_name(mixer, strip), w)),
            name_style,
        );
        // Separator between strips.
        for y in inner.y..inner.y + inner.height {
            buf.set_string(x + STRIP_WIDTH - 1, y, "│", theme::SEPARATOR);
        }
        let reading = app.meters.strip(index);
        meter::stereo(buf, x + 1, meter_top, meter_rows, reading);
        meter::reduction_bar(
            buf,
            x + 4,
            meter_top,
            meter_rows,
            reading.map(|r| r.level.gain_reduction_db),
        );
        let hold = reading.map_or("  -".to_owned(), |r| {
            let db = r.hold_db[0].max(r.hold_db[1]);
            if db <= meter::FLOOR_DB {
                "-∞".into()
            } else {
                format!("{db:.0}")
            }
        });
        buf.set_string(x + 5, meter_top, format!("{hold:>3}"), theme::MUTED);
        let cell = |p: Param, prefix: &str| -> (String, Style) {
            match read(mixer, strip, p) {
                Some((v, k)) => {
                    let text = format!("{prefix}{:>width$}", text(k, v), width = w - prefix.len());
                    let style = if selected(app, index, p) {
                        theme::HIGHLIGHT
                    } else {
                        theme::VALUE
                    };
                    (text, style)
                }
                None => (String::new(), theme::MUTED),
            }
        };
        let (fader, style) = cell(Param::Fader, "");
        buf.set_string(x, values_top, &fader, style);
        let (pan, style) = cell(Param::Pan, "pan");
        buf.set_string(x, values_top + 1, &pan, style);
        // Mute and solo as lit letters.
        let toggle = |p: Param, letter: &str, lit: Style| -> (String, Style) {
            match read(mixer, strip, p) {
                Some((Value::Toggle(on), _)) => {
                    let base = if on { lit } else { theme::MUTED };
                    let style = if selected(app, index, p) {
                        base.patch(theme::HIGHLIGHT)
                    } else {
                        base
                    };
                    (format!(" {letter} "), style)
                }
                _ => ("   ".into(), theme::MUTED),
            }
        };
        let (m, ms) = toggle(
            Param::Mute,
            "M",
            Style::new().fg(Color::Black).bg(Color::LightRed),
        );
        let (s, ss) = toggle(
            Param::Solo,
            "S",
            Style::new().fg(Color::Black).bg(Color::Yellow),
        );
        buf.set_string(x + 1, values_top + 2, &m, ms);
        buf.set_string(x + 4, values_top + 2, &s, ss);
        let (rev, style) = cell(Param::ReverbSend, "r");
        buf.set_string(x, values_top + 3, &rev, style);
        let (dly, style) = cell(Param::DelaySend, "d");
        buf.set_string(x, values_top + 4, &dly, style);
    }
    // Row labels at the left, under the scale.
    for (i, label) in ["dB", "", "", "snd", ""].iter().enumerate() {
        buf.set_string(inner.x, values_top + i as u16, *label, theme::MUTED);
    }
}

/// One labelled value in the detail panel.
fn value_span(app: &App, p: Param, strip: Strip) -> Span<'static> {
    let Some((v, k)) = read(&app.song.mixer, strip, p) else {
        return Span::raw("");
    };
    let style = if app.mixer.strip == strip_index(&app.song.mixer, strip) && app.mixer_param() == p
    {
        theme::HIGHLIGHT
    } else {
        theme::VALUE
    };
    Span::styled(text(k, v), style)
}

fn strip_index(mixer: &Mixer, strip: Strip) -> usize {
    match strip {
        Strip::Channel(i) => i,
        Strip::Reverb => mixer.channels.len(),
        Strip::Delay => mixer.channels.len() + 1,
    }
}

/// Pads a span to `width` characters (as a new span).
fn padded(span: Span<'static>, width: usize) -> Span<'static> {
    let text = format!("{:>width$}", span.content);
    Span::styled(text, span.style)
}

fn label(text: &str, width: usize) -> Span<'static> {
    Span::styled(format!("{text:<width$}"), theme::LABEL)
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App) {
    let strip = app.mixer_strip();
    let mixer = &app.song.mixer;
    let title = format!(" {} ", strip_name(mixer, strip));
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme::TITLE))
        .title(Span::styled(
            format!(" {} ", app.mixer_param().label()),
            theme::HEADER,
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    // The ducker gets a column of its own where there is room; otherwise it takes the
    // compressor's place while the cursor is on it.
    let duck_width = if inner.width >= 37 + 21 + 23 + 12 {
        23
    } else {
        0
    };
    let [eq_area, side_area, duck_area, curve_area] = Layout::horizontal([
        Constraint::Length(37),
        Constraint::Length(21),
        Constraint::Length(duck_width),
        Constraint::Min(10),
    ])
    .areas(inner);
    let on_ducker = matches!(app.mixer_param(), Param::Duck(_));
    let v = |p: Param, w: usize| padded(value_span(app, p, strip), w);
    let mut lines = vec![Line::from(vec![
        label("EQ", 10),
        v(Param::Eq(EqParam::On), 4),
        Span::styled("    freq    gain     Q", theme::MUTED),
    ])];
    for (b, name) in BAND_NAMES.iter().enumerate() {
        lines.push(Line::from(vec![
            label(name, 14),
            v(Param::Eq(EqParam::Freq(b)), 8),
            v(Param::Eq(EqParam::Gain(b)), 8),
            v(Param::Eq(EqParam::Q(b)), 6),
        ]));
    }
    if let Strip::Channel(_) = strip {
        lines.push(Line::from(vec![
            label("high-pass", 10),
            v(Param::HighPassOn, 4),
            v(Param::HighPassFreq, 8),
            v(Param::HighPassSlope, 8),
        ]));
        lines.push(Line::from(vec![
            label("input", 10),
            v(Param::InputOn, 4),
            v(Param::Trim, 8),
            Span::raw(" "),
            v(Param::Invert, 8),
        ]));
        lines.push(Line::from(vec![
            label("sends", 14),
            Span::styled("  rev ", theme::MUTED),
            v(Param::ReverbPre, 4),
            Span::styled("  dly ", theme::MUTED),
            v(Param::DelayPre, 4),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), eq_area);

    let side: Vec<(Param, &str)> = match strip {
        Strip::Channel(_) => COMP_PARAMS
            .iter()
            .map(|&c| (Param::Comp(c), c.label()))
            .chain([
                (Param::KeySource, "sidechain"),
                (Param::KeyHighPass, "key hp"),
            ])
            .collect(),
        Strip::Reverb => vec![
            (Param::PreDelay, "reverb pre"),
            (Param::Size, "size"),
            (Param::Decay, "decay"),
            (Param::Damping, "damping"),
            (Param::Width, "width"),
            (Param::ReverbMix, "mix"),
        ],
        Strip::Delay => vec![
            (Param::DelayTime, "delay time"),
            (Param::Feedback, "feedback"),
            (Param::PingPong, "ping-pong"),
            (Param::LowCut, "low cut"),
            (Param::HighCut, "high cut"),
            (Param::DelayMix, "mix"),
        ],
    };
    let lines: Vec<Line> = side
        .into_iter()
        .map(|(p, name)| Line::from(vec![label(name, 11), v(p, 9)]))
        .collect();
    let ducker: Vec<Line> = DUCK_PARAMS
        .iter()
        .map(|&d| {
            let name = d.label().strip_prefix("duck ").unwrap_or(d.label());
            Line::from(vec![label(name, 9), v(Param::Duck(d), 12)])
        })
        .collect();
    if duck_width > 0 {
        frame.render_widget(Paragraph::new(lines), side_area);
        frame.render_widget(Paragraph::new(ducker), duck_area);
    } else if on_ducker {
        frame.render_widget(Paragraph::new(ducker), side_area);
    } else {
        frame.render_widget(Paragraph::new(lines), side_area);
    }

    let (eq, high_pass) = match strip {
        Strip::Channel(i) => (&mixer.channels[i].eq, Some(&mixer.channels[i].high_pass)),
        Strip::Reverb => (&mixer.reverb.bus_return.eq, None),
        Strip::Delay => (&mixer.delay.bus_return.eq, None),
    };
    draw_eq_curve(
        frame,
        curve_area,
        eq,
        high_pass,
        app.song.render.sample_rate,
    );
}

/// The EQ the engine would run for these settings (same mapping of bypass and slope).
pub(super) fn design_eq(eq: &Eq, high_pass: Option<&HighPass>, sample_rate: u32) -> ParametricEq {
    let mut design = ParametricEq::new(sample_rate as f32);
    for (i, band) in eq.bands().iter().enumerate() {
        design.set_band(
            i,
            BandSettings {
                freq: band.freq,
                gain_db: if eq.bypass { 0.0 } else { band.gain_db },
                q: band.q,
            },
        );
    }
    if let Some(hp) = high_pass {
        let order = match hp.slope {
            _ if hp.bypass => HighPassOrder::Off,
            HighPassSlope::Off => HighPassOrder::Off,
            HighPassSlope::Db12 => HighPassOrder::Two,
            HighPassSlope::Db24 => HighPassOrder::Four,
        };
        design.set_high_pass(order, hp.freq);
    }
    design
}

/// The curve's vertical range: ±this many dB.
const CURVE_DB: f64 = 18.0;

/// The EQ's magnitude response from 20 Hz to 20 kHz on a log axis, ±18 dB.
pub(super) fn draw_eq_curve(
    frame: &mut Frame,
    area: Rect,
    eq: &Eq,
    high_pass: Option<&HighPass>,
    sample_rate: u32,
) {
    if area.width < 6 || area.height < 3 {
        return;
    }
    let design = design_eq(eq, high_pass, sample_rate);
    let columns = usize::from(area.width.saturating_sub(2)) * 2;
    let points: Vec<(f64, f64)> = (0..=columns)
        .map(|i| {
            let x = i as f64 / columns as f64;
            let freq = 20.0 * 1_000f64.powf(x);
            let db = f64::from(design.response_db(freq as f32));
            (x, db.clamp(-CURVE_DB, CURVE_DB))
        })
        .collect();
    let color = if eq.bypass {
        Color::DarkGray
    } else {
        Color::LightCyan
    };
    let canvas = Canvas::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .border_style(theme::SEPARATOR)
                .title(Span::styled(" 20Hz-20kHz ±18dB ", theme::MUTED)),
        )
        .marker(Marker::Braille)
        .x_bounds([0.0, 1.0])
        .y_bounds([-CURVE_DB, CURVE_DB])
        .paint(move |ctx| {
            // The 0 dB line under the curve.
            ctx.draw(&CanvasLine::new(0.0, 0.0, 1.0, 0.0, Color::Indexed(238)));
            for pair in points.windows(2) {
                ctx.draw(&CanvasLine::new(
                    pair[0].0, pair[0].1, pair[1].0, pair[1].1, color,
                ));
            }
        });
    frame.render_widget(canvas, area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_curve_is_the_engines_design_with_bypass_and_slope_applied() {
        let mut eq = Eq::default();
        eq.low.gain_db = 6.0;
        eq.mid2.gain_db = -9.0;
        let design = design_eq(&eq, None, 48_000);
        assert!((design.response_db(20.0) - 6.0).abs() < 0.2);
        assert!(
            (design.response_db(100.0) - 3.0).abs() < 0.1,
            "half the shelf at its corner"
        );
        assert!((design.response_db(2_500.0) + 9.0).abs() < 0.1);
        eq.bypass = true;
        assert_eq!(design_eq(&eq, None, 48_000).response_db(2_500.0), 0.0);
        let hp = HighPass {
            bypass: false,
            slope: HighPassSlope::Db24,
            freq: 200.0,
        };
        let design = design_eq(&eq, Some(&hp), 48_000);
        assert!((design.response_db(200.0) + 3.0).abs() < 0.1);
        assert!(
            (design.response_db(100.0) + 24.0).abs() < 1.0,
            "24 dB an octave down"
        );
        let off = HighPass { bypass: true, ..hp };
        assert_eq!(design_eq(&eq, Some(&off), 48_000).response_db(100.0), 0.0);
    }

    #[test]
    fn values_read_and_type_back() {
        let fader = Kind::Level(FADER_DB);
        assert_eq!(text(fader, Value::Number(SILENT_DB)), "off");
        assert_eq!(text(fader, Value::Number(2.5)), "+2.5dB");
        assert_eq!(parse(fader, "off"), Ok(Value::Number(SILENT_DB)));
        assert_eq!(parse(fader, "-6 dB"), Ok(Value::Number(-6.0)));
        assert!(
            parse(fader, "25")
                .unwrap_err()
                .contains("allowed -96 to 24 dB")
        );
        assert!(parse(fader, "nan").is_err());
        assert_eq!(text(Kind::Pan, Value::Number(-0.25)), "L25");
        assert_eq!(parse(Kind::Pan, "r40"), Ok(Value::Number(0.4)));
        assert_eq!(parse(Kind::Pan, "C"), Ok(Value::Number(0.0)));
        assert!(parse(Kind::Pan, "L120").is_err());
        let freq = Kind::Number(BAND_FREQ);
        assert_eq!(text(freq, Value::Number(2_500.0)), "2.5k");
        assert_eq!(parse(freq, "2.5k"), Ok(Value::Number(2_500.0)));
        assert_eq!(parse(freq, "440 Hz"), Ok(Value::Number(440.0)));
        assert_eq!(
            parse(Kind::Slope, "24"),
            Ok(Value::Slope(HighPassSlope::Db24))
        );
        assert_eq!(parse(BYPASS, "byp"), Ok(Value::Toggle(true)));
        assert_eq!(
            parse(BYPASS, "on"),
            Ok(Value::Toggle(false)),
            "a stage shown \"on\" is not bypassed"
        );
        let time = parse(Kind::Time, "350ms").unwrap();
        assert_eq!(text(Kind::Time, time), "350ms");
        // Stepping from a time in ms goes to the note values.
        assert_eq!(text(Kind::Time, stepped(Kind::Time, time, 1, false)), "1/8");
    }
}
