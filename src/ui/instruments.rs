//! The instrument editor: the list, every synth and sampler parameter, and pictures of the
//! envelope and of the sample.

use super::action::Action;
use super::app::{App, PromptKind, Scope};
use super::theme;
use crate::song::{
    Envelope, FilterMode, Instrument, LoopMode, Pitch, SampleLoop, Sampler, Source, Synth, Waveform,
};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Line as CanvasLine};
use ratatui::widgets::{Block, Borders, Paragraph};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Param {
    Name,
    Gain,
    Osc1Wave,
    Osc1Semitones,
    Osc1Detune,
    Osc1Width,
    Osc2Wave,
    Osc2Semitones,
    Osc2Detune,
    Osc2Width,
    Mix,
    AmpAttack,
    AmpDecay,
    AmpSustain,
    AmpRelease,
    FilterMode,
    Cutoff,
    Resonance,
    FilterEnvAmount,
    KeyTrack,
    FilterAttack,
    FilterDecay,
    FilterSustain,
    FilterRelease,
    SweepAmount,
    SweepDecay,
    Glide,
    Path,
    Root,
    FineTune,
    LoopMode,
    LoopStart,
    LoopEnd,
}

const SYNTH_PARAMS: [Param; 27] = [
    Param::Name,
    Param::Gain,
    Param::Osc1Wave,
    Param::Osc1Semitones,
    Param::Osc1Detune,
    Param::Osc1Width,
    Param::Osc2Wave,
    Param::Osc2Semitones,
    Param::Osc2Detune,
    Param::Osc2Width,
    Param::Mix,
    Param::AmpAttack,
    Param::AmpDecay,
    Param::AmpSustain,
    Param::AmpRelease,
    Param::FilterMode,
    Param::Cutoff,
    Param::Resonance,
    Param::FilterEnvAmount,
    Param::KeyTrack,
    Param::FilterAttack,
    Param::FilterDecay,
    Param::FilterSustain,
    Param::FilterRelease,
    Param::SweepAmount,
    Param::SweepDecay,
    Param::Glide,
];

const SAMPLER_PARAMS: [Param; 12] = [
    Param::Name,
    Param::Gain,
    Param::Path,
    Param::Root,
    Param::FineTune,
    Param::LoopMode,
    Param::LoopStart,
    Param::LoopEnd,
    Param::AmpAttack,
    Param::AmpDecay,
    Param::AmpSustain,
    Param::AmpRelease,
];

/// The parameters an instrument has, in the order the editor lists them.
pub fn params(inst: &Instrument) -> &'static [Param] {
    match inst.source {
        Source::Synth(_) => &SYNTH_PARAMS,
        Source::Sampler(_) => &SAMPLER_PARAMS,
    }
}

/// How a number moves: by a fixed amount, or by a ratio (for times and frequencies).
#[derive(Clone, Copy)]
enum Step {
    Linear(f64, f64),
    /// Octaves per fine and coarse step, and the smallest value above zero.
    Ratio(f64, f64, f64),
}

enum Kind {
    Text,
    Note,
    Choice(&'static [&'static str]),
    Number {
        min: f64,
        max: f64,
        step: Step,
        unit: &'static str,
        decimals: usize,
    },
}

const WAVES: [&str; 5] = ["sine", "saw", "pulse", "triangle", "noise"];
const MODES: [&str; 3] = ["lowpass", "highpass", "bandpass"];
const LOOPS: [&str; 3] = ["off", "forward", "pingpong"];

const fn number(min: f64, max: f64, step: Step, unit: &'static str, decimals: usize) -> Kind {
    Kind::Number {
        min,
        max,
        step,
        unit,
        decimals,
    }
}

const TIME: Kind = number(0.0, 30.0, Step::Ratio(0.25, 1.0, 0.001), " s", 3);
const LEVEL: Kind = number(0.0, 1.0, Step::Linear(0.01, 0.1), "", 2);
const CENTS: Kind = number(-100.0, 100.0, Step::Linear(1.0, 10.0), " ct", 1);

impl Param {
    pub fn label(self) -> &'static str {
        match self {
            Param::Name => "name",
            Param::Gain => "gain",
            Param::Osc1Wave => "osc 1 wave",
            Param::Osc1Semitones => "osc 1 semitones",
            Param::Osc1Detune => "osc 1 detune",
            Param::Osc1Width => "osc 1 width",
            Param::Osc2Wave => "osc 2 wave",
            Param::Osc2Semitones => "osc 2 semitones",
            Param::Osc2Detune => "osc 2 detune",
            Param::Osc2Width => "osc 2 width",
            Param::Mix => "osc 1<>2 mix",
            Param::AmpAttack => "amp attack",
            Param::AmpDecay => "amp decay",
            Param::AmpSustain => "amp sustain",
            Param::AmpRelease => "amp release",
            Param::FilterMode => "filter mode",
            Param::Cutoff => "filter cutoff",
            Param::Resonance => "filter reso",
            Param::FilterEnvAmount => "filter env amt",
            Param::KeyTrack => "filter key track",
            Param::FilterAttack => "filter attack",
            Param::FilterDecay => "filter decay",
            Param::FilterSustain => "filter sustain",
            Param::FilterRelease => "filter release",
            Param::SweepAmount => "pitch sweep",
            Param::SweepDecay => "sweep decay",
            Param::Glide => "glide",
            Param::Path => "sample file",
            Param::Root => "root note",
            Param::FineTune => "fine tune",
            Param::LoopMode => "loop",
            Param::LoopStart => "loop start",
            Param::LoopEnd => "loop end",
        }
    }

    fn kind(self) -> Kind {
        match self {
            Param::Name | Param::Path => Kind::Text,
            Param::Root => Kind::Note,
            Param::Osc1Wave | Param::Osc2Wave => Kind::Choice(&WAVES),
            Param::FilterMode => Kind::Choice(&MODES),
            Param::LoopMode => Kind::Choice(&LOOPS),
            Param::Gain => number(-60.0, 24.0, Step::Linear(0.5, 3.0), " dB", 1),
            Param::Osc1Semitones | Param::Osc2Semitones => {
                number(-48.0, 48.0, Step::Linear(1.0, 12.0), " st", 0)
            }
            Param::Osc1Detune | Param::Osc2Detune | Param::FineTune => CENTS,
            Param::Osc1Width | Param::Osc2Width => {
                number(0.05, 0.95, Step::Linear(0.01, 0.1), "", 2)
            }
            Param::Mix | Param::Resonance | Param::KeyTrack => LEVEL,
            Param::AmpSustain | Param::FilterSustain => LEVEL,
            Param::AmpAttack
            | Param::AmpDecay
            | Param::AmpRelease
            | Param::FilterAttack
            | Param::FilterDecay
            | Param::FilterRelease => TIME,
            Param::Cutoff => number(20.0, 20_000.0, Step::Ratio(1.0 / 12.0, 1.0, 20.0), " Hz", 0),
            Param::FilterEnvAmount => number(-10.0, 10.0, Step::Linear(0.1, 1.0), " oct", 2),
            Param::SweepAmount => number(-48.0, 48.0, Step::Linear(1.0, 12.0), " st", 1),
            Param::SweepDecay => number(0.0, 10.0, Step::Ratio(0.25, 1.0, 0.001), " s", 3),
            Param::Glide => number(0.0, 10.0, Step::Ratio(0.25, 1.0, 0.001), " s", 3),
            Param::LoopStart | Param::LoopEnd => {
                number(0.0, f64::from(u32::MAX), Step::Linear(1.0, 1000.0), "", 0)
            }
        }
    }
}

fn wave_index(w: Waveform) -> usize {
    match w {
        Waveform::Sine => 0,
        Waveform::Saw => 1,
        Waveform::Pulse => 2,
        Waveform::Triangle => 3,
        Waveform::Noise => 4,
    }
}

fn wave_from(i: usize) -> Waveform {
    [
        Waveform::Sine,
        Waveform::Saw,
        Waveform::Pulse,
        Waveform::Triangle,
        Waveform::Noise,
    ][i % 5]
}

fn envelope_mut(inst: &mut Instrument, filter: bool) -> Option<&mut Envelope> {
    match (&mut inst.source, filter) {
        (Source::Synth(s), true) => Some(&mut s.filter.envelope),
        (Source::Synth(s), false) => Some(&mut s.amp),
        (Source::Sampler(s), false) => Some(&mut s.amp),
        (Source::Sampler(_), true) => None,
    }
}

/// A parameter's number (choices by their index), or `None` for text.
fn get_number(inst: &Instrument, p: Param) -> Option<f64> {
    let mut copy = inst.clone();
    number_slot(&mut copy, p, None)
}

/// Reads a number, and writes `value` first when given. One match for reading and
/// writing keeps the two from ever disagreeing about which field a parameter is.
fn number_slot(inst: &mut Instrument, p: Param, value: Option<f64>) -> Option<f64> {
    fn slot<T: Copy>(
        field: &mut T,
        value: Option<f64>,
        to: impl Fn(f64) -> T,
        from: impl Fn(T) -> f64,
    ) -> Option<f64> {
        if let Some(v) = value {
            *field = to(v);
        }
        Some(from(*field))
    }
    let f32_slot =
        |field: &mut f32, value: Option<f64>| slot(field, value, |v| v as f32, f64::from);
    if p == Param::Gain {
        return f32_slot(&mut inst.gain_db, value);
    }
    match p {
        Param::AmpAttack => return f32_slot(&mut envelope_mut(inst, false)?.attack, value),
        Param::AmpDecay => return f32_slot(&mut envelope_mut(inst, false)?.decay, value),
        Param::AmpSustain => return f32_slot(&mut envelope_mut(inst, false)?.sustain, value),
        Param::AmpRelease => return f32_slot(&mut envelope_mut(inst, false)?.release, value),
        Param::FilterAttack => return f32_slot(&mut envelope_mut(inst, true)?.attack, value),
        Param::FilterDecay => return f32_slot(&mut envelope_mut(inst, true)?.decay, value),
        Param::FilterSustain => return f32_slot(&mut envelope_mut(inst, true)?.sustain, value),
        Param::FilterRelease => return f32_slot(&mut envelope_mut(inst, true)?.release, value),
        _ => {}
    }
    match &mut inst.source {
        Source::Synth(s) => match p {
            Param::Osc1Wave => slot(
                &mut s.osc1.wave,
                value,
                |v| wave_from(v as usize),
                |w| wave_index(w) as f64,
            ),
            Param::Osc2Wave => slot(
                &mut s.osc2.wave,
                value,
                |v| wave_from(v as usize),
                |w| wave_index(w) as f64,
            ),
            Param::Osc1Semitones => slot(
                &mut s.osc1.semitones,
                value,
                |v| v.round() as i32,
                f64::from,
            ),
            Param::Osc2Semitones => slot(
                &mut s.osc2.semitones,
                value,
                |v| v.round() as i32,
                f64::from,
            ),
            Param::Osc1Detune => f32_slot(&mut s.osc1.detune, value),
            Param::Osc2Detune => f32_slot(&mut s.osc2.detune, value),
            Param::Osc1Width => f32_slot(&mut s.osc1.pulse_width, value),
            Param::Osc2Width => f32_slot(&mut s.osc2.pulse_width, value),
            Param::Mix => f32_slot(&mut s.mix, value),
            Param::FilterMode => slot(
                &mut s.filter.mode,
                value,
                |v| {
                    [
                        FilterMode::Lowpass,
                        FilterMode::Highpass,
                        FilterMode::Bandpass,
                    ][v as usize % 3]
                },
                |m| match m {
                    FilterMode::Lowpass => 0.0,
                    FilterMode::Highpass => 1.0,
                    FilterMode::Bandpass => 2.0,
                },
            ),
            Param::Cutoff => f32_slot(&mut s.filter.cutoff, value),
            Param::Resonance => f32_slot(&mut s.filter.resonance, value),
            Param::FilterEnvAmount => f32_slot(&mut s.filter.env_amount, value),
            Param::KeyTrack => f32_slot(&mut s.filter.key_track, value),
            Param::SweepAmount => f32_slot(&mut s.pitch_sweep.amount, value),
            Param::SweepDecay => f32_slot(&mut s.pitch_sweep.decay, value),
            Param::Glide => f32_slot(&mut s.glide, value),
            _ => None,
        },
        Source::Sampler(s) => match p {
            Param::FineTune => f32_slot(&mut s.fine_tune, value),
            Param::LoopMode => {
                if let Some(v) = value {
                    let mode = v as usize % 3;
                    s.sample_loop = match (mode, s.sample_loop) {
                        (0, _) => None,
                        (m, l) => {
                            let mode = if m == 1 {
                                LoopMode::Forward
                            } else {
                                LoopMode::PingPong
                            };
                            let (start, end) = l.map_or((0, 0), |l| (l.start, l.end));
                            Some(SampleLoop { mode, start, end })
                        }
                    };
                }
                Some(match s.sample_loop.map(|l| l.mode) {
                    None => 0.0,
                    Some(LoopMode::Forward) => 1.0,
                    Some(LoopMode::PingPong) => 2.0,
                })
            }
            Param::LoopStart => {
                let l = s.sample_loop.as_mut()?;
                slot(&mut l.start, value, |v| v as u32, f64::from)
            }
            Param::LoopEnd => {
                let l = s.sample_loop.as_mut()?;
                slot(&mut l.end, value, |v| v as u32, f64::from)
            }
            _ => None,
        },
    }
}

/// The value as the editor shows it.
pub fn value_text(inst: &Instrument, p: Param) -> String {
    match (p, &inst.source) {
        (Param::Name, _) => inst.name.clone(),
        (Param::Path, Source::Sampler(s)) => s.path.clone(),
        (Param::Root, Source::Sampler(s)) => s.root.to_string(),
        _ => match (p.kind(), get_number(inst, p)) {
            (Kind::Choice(names), Some(v)) => names[v as usize % names.len()].to_owned(),
            (Kind::Number { unit, decimals, .. }, Some(v)) => format!("{v:.decimals$}{unit}"),
            (_, None) if matches!(p, Param::LoopStart | Param::LoopEnd) => "-".to_owned(),
            _ => String::new(),
        },
    }
}

impl App {
    pub fn param_count(&self) -> usize {
        self.song
            .instruments
            .get(self.instrument_index)
            .map_or(0, |i| params(i).len())
    }

    fn current_param(&self) -> Option<Param> {
        let inst = self.song.instruments.get(self.instrument_index)?;
        params(inst).get(self.param).copied()
    }

    /// The sample frames of the selected sampler, when its file could be read.
    fn sample_frames(&self) -> Option<u32> {
        match &self.song.instruments.get(self.instrument_index)?.source {
            Source::Sampler(s) => match self.samples.get(&s.path) {
                Some(Ok(data)) => Some(data.frames() as u32),
                _ => None,
            },
            Source::Synth(_) => None,
        }
    }

    pub(super) fn instruments_action(&mut self, action: Action) {
        let count = self.song.instruments.len();
        match action {
            Action::PageUp => self.select_instrument(self.instrument_index.saturating_sub(1)),
            Action::PageDown => {
                self.select_instrument((self.instrument_index + 1).min(count.saturating_sub(1)))
            }
            Action::Up => self.param = self.param.saturating_sub(1),
            Action::Down => self.param = (self.param + 1).min(self.param_count().saturating_sub(1)),
            Action::Increase => self.step_param(1, false),
            Action::Decrease => self.step_param(-1, false),
            Action::IncreaseCoarse => self.step_param(1, true),
            Action::DecreaseCoarse => self.step_param(-1, true),
            Action::EditValue => {
                if let (Some(inst), Some(p)) = (
                    self.song.instruments.get(self.instrument_index),
                    self.current_param(),
                ) {
                    let text = value_text(inst, p);
                    let text = text.split(' ').next().unwrap_or_default().to_owned();
                    let text = if matches!(p, Param::Name | Param::Path) {
                        value_text(inst, p)
                    } else {
                        text
                    };
                    self.open_prompt(PromptKind::InstrumentValue, text);
                }
            }
            Action::AddSynth => {
                let name = format!("Synth {}", count + 1);
                self.add_instrument(Instrument::synth(name, Synth::default()));
            }
            Action::AddSampler => self.open_prompt(PromptKind::SamplerPath, ""),
            Action::DuplicateInstrument => {
                if let Some(inst) = self.song.instruments.get(self.instrument_index) {
                    let mut copy = inst.clone();
                    copy.name = format!("{} copy", copy.name);
                    self.add_instrument(copy);
                }
            }
            Action::DeleteInstrument => self.delete_instrument(),
            Action::RecordArm | Action::RecordTake | Action::RecordCountIn => {
                self.record_action(action)
            }
            Action::OpenSampleEditor => self.open_sample_editor(),
            Action::Sample(a) => self.sample_editor_action(a),
            _ => {}
        }
    }

    fn select_instrument(&mut self, index: usize) {
        self.instrument_index = index;
        if index < self.song.instruments.len() {
            self.instrument = index as u8 + 1;
        }
        self.clamp_places();
    }

    pub(super) fn add_instrument(&mut self, inst: Instrument) {
        if self.song.instruments.len() >= 255 {
            self.error("a song holds at most 255 instruments");
            return;
        }
        let name = inst.name.clone();
        self.edit_settings(|app| app.song.instruments.push(inst));
        self.select_instrument(self.song.instruments.len() - 1);
        self.load_samples();
        self.info(format!("added instrument {:02X} {name}", self.instrument));
    }

    pub fn add_sampler(&mut self, path: &str) {
        if let Err(e) = self.check_sample(path) {
            self.error(e);
            return;
        }
        let name = Path::new(path)
            .file_stem()
            .map_or("Sample".to_owned(), |s| s.to_string_lossy().into_owned());
        self.add_instrument(Instrument::sampler(name, Sampler::new(path)));
    }

    fn check_sample(&self, path: &str) -> Result<(), String> {
        if path.trim().is_empty() {
            return Err("give a WAV file, relative to the song's folder".to_owned());
        }
        let dir = self.path.parent().unwrap_or(Path::new(""));
        crate::song::load_wav(&dir.join(path))
            .map(|_| ())
            .map_err(|e| format!("sample \"{path}\" {e}"))
    }

    fn delete_instrument(&mut self) {
        let index = self.instrument_index;
        if index >= self.song.instruments.len() {
            return;
        }
        let number = index as u8 + 1;
        self.begin_edit(Scope::Whole);
        let name = self.song.instruments.remove(index).name;
        self.song.instrument_removed(index);
        for p in &mut self.song.patterns {
            for r in 0..p.length() {
                for c in 0..p.channels() {
                    let cell = p.cell_mut(r, c);
                    cell.instrument = match cell.instrument {
                        Some(i) if i == number => None,
                        Some(i) if i > number => Some(i - 1),
                        other => other,
                    };
                }
            }
        }
        self.edited();
        self.clamp_places();
        self.info(format!("deleted instrument {number:02X} {name} (its notes now play the channel's last instrument)"));
    }

    fn step_param(&mut self, direction: i32, coarse: bool) {
        let Some(p) = self.current_param() else {
            return;
        };
        let inst = &self.song.instruments[self.instrument_index];
        let new_value = match (p.kind(), get_number(inst, p)) {
            (Kind::Choice(names), Some(v)) => {
                let n = names.len() as i32;
                Some(f64::from((v as i32 + direction).rem_euclid(n)))
            }
            (Kind::Number { min, max, step, .. }, Some(v)) => {
                let v = match step {
                    Step::Linear(fine, big) => {
                        v + f64::from(direction) * if coarse { big } else { fine }
                    }
                    Step::Ratio(fine, big, smallest) => {
                        let octaves = f64::from(direction) * if coarse { big } else { fine };
                        if v < smallest && direction > 0 {
                            smallest
                        } else {
                            let next = v * 2f64.powf(octaves);
                            if next < smallest && direction < 0 {
                                0.0
                            } else {
                                next
                            }
                        }
                    }
                };
                Some(v.clamp(min, max))
            }
            (Kind::Note, _) => {
                if let Source::Sampler(s) = &inst.source {
                    let delta = direction * if coarse { 12 } else { 1 };
                    if let Some(root) = s.root.transpose(delta) {
                        self.edit_instrument(|i| {
                            if let Source::Sampler(s) = &mut i.source {
                                s.root = root;
                            }
                        });
                    }
                }
                return;
            }
            (Kind::Number { .. }, None) => {
                self.error("set the loop mode first");
                return;
            }
            _ => {
                self.error("type this value (Enter)");
                return;
            }
        };
        if let Some(v) = new_value {
            self.set_param_number(p, v);
        }
    }

    /// Writes a number, keeping loop points inside the sample and in order.
    fn set_param_number(&mut self, p: Param, value: f64) {
        let frames = self.sample_frames();
        let inst = &self.song.instruments[self.instrument_index];
        let mut value = value;
        if let Source::Sampler(s) = &inst.source {
            let (start, end) = s.sample_loop.map_or((0, 0), |l| (l.start, l.end));
            let frames = f64::from(frames.unwrap_or(u32::MAX));
            match p {
                Param::LoopStart => value = value.clamp(0.0, (f64::from(end) - 1.0).max(0.0)),
                Param::LoopEnd => value = value.clamp(f64::from(start) + 1.0, frames),
                _ => {}
            }
        }
        let frames = frames.unwrap_or(0);
        self.edit_instrument(|inst| {
            number_slot(inst, p, Some(value));
            // A loop switched on for the first time spans the whole sample.
            if p == Param::LoopMode
                && let Source::Sampler(s) = &mut inst.source
                && let Some(l) = &mut s.sample_loop
                && l.end == 0
            {
                l.end = frames.max(1);
            }
        });
    }

    fn edit_instrument(&mut self, f: impl FnOnce(&mut Instrument)) {
        let index = self.instrument_index;
        let mut inst = self.song.instruments[index].clone();
        f(&mut inst);
        if inst == self.song.instruments[index] {
            return;
        }
        self.edit_settings(|app| app.song.instruments[index] = inst);
        self.load_samples();
    }

    /// A typed value for the selected parameter.
    pub fn set_param_text(&mut self, text: &str) {
        let Some(p) = self.current_param() else {
            return;
        };
        match p.kind() {
            Kind::Text if p == Param::Name => {
                if text.is_empty() {
                    self.error("an instrument needs a name");
                } else {
                    let name = text.to_owned();
                    self.edit_instrument(|i| i.name = name);
                }
            }
            Kind::Text => {
                if let Err(e) = self.check_sample(text) {
                    self.error(e);
                    return;
                }
                let path = text.to_owned();
                self.edit_instrument(|i| {
                    if let Source::Sampler(s) = &mut i.source {
                        s.path = path;
                        s.sample_loop = None;
                    }
                });
            }
            Kind::Note => match text.parse::<Pitch>() {
                Ok(root) => self.edit_instrument(|i| {
                    if let Source::Sampler(s) = &mut i.source {
                        s.root = root;
                    }
                }),
                Err(e) => self.error(e),
            },
            Kind::Choice(names) => match names.iter().position(|n| n.eq_ignore_ascii_case(text)) {
                Some(i) => self.set_param_number(p, i as f64),
                None => self.error(format!("\"{text}\": allowed {}", names.join(", "))),
            },
            Kind::Number { min, max, unit, .. } => {
                match text.trim_end_matches(unit.trim()).trim().parse::<f64>() {
                    Ok(v) if (min..=max).contains(&v) => {
                        if get_number(&self.song.instruments[self.instrument_index], p).is_none() {
                            self.error("set the loop mode first");
                        } else {
                            self.set_param_number(p, v);
                        }
                    }
                    _ => self.error(format!(
                        "\"{text}\" is out of range (allowed {min} to {max}{unit})"
                    )),
                }
            }
        }
    }
}

// ----- drawing -----

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    if app.sample_editor.is_some() && app.edited_sample().is_some() {
        super::sample_editor::draw(frame, area, app);
        return;
    }
    let [list_area, params_area, picture_area] = Layout::horizontal([
        Constraint::Length(20),
        Constraint::Min(32),
        Constraint::Percentage(35),
    ])
    .areas(area);

    // The list.
    let visible = usize::from(list_area.height.saturating_sub(2)).max(1);
    let skip = app.instrument_index.saturating_sub(visible - 1);
    let lines: Vec<Line> = app
        .song
        .instruments
        .iter()
        .enumerate()
        .skip(skip)
        .take(visible)
        .map(|(i, inst)| {
            let kind = match inst.source {
                Source::Synth(_) => "~",
                Source::Sampler(_) => "#",
            };
            let style = if i == app.instrument_index {
                theme::HIGHLIGHT
            } else {
                Style::default()
            };
            Line::styled(format!("{:02X}{kind}{}", i + 1, inst.name), style)
        })
        .collect();
    let empty = app.song.instruments.is_empty();
    let list = if empty {
        Paragraph::new("no instruments:\na adds a synth,\nw a sampler")
    } else {
        Paragraph::new(lines)
    };
    frame.render_widget(
        list.block(
            Block::default()
                .borders(Borders::ALL)
                .title(" instruments "),
        ),
        list_area,
    );
    let Some(inst) = app.song.instruments.get(app.instrument_index) else {
        return;
    };

    // The parameters.
    let list = params(inst);
    let visible = usize::from(params_area.height.saturating_sub(2)).max(1);
    let skip = app.param.saturating_sub(visible - 1);
    let value_width = usize::from(params_area.width.saturating_sub(2 + 16)).max(4);
    let lines: Vec<Line> = list
        .iter()
        .enumerate()
        .skip(skip)
        .take(visible)
        .map(|(i, &p)| {
            let style = if i == app.param {
                theme::HIGHLIGHT
            } else {
                Style::default()
            };
            Line::from(vec![
                Span::styled(format!("{:<16}", p.label()), theme::LABEL.patch(style)),
                Span::styled(
                    fit_left(&value_text(inst, p), value_width),
                    theme::VALUE.patch(style),
                ),
            ])
        })
        .collect();
    let kind = match inst.source {
        Source::Synth(_) => "synth",
        Source::Sampler(_) => "sampler",
    };
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(format!(
            " {:02X} {} ({kind}) ",
            app.instrument_index + 1,
            inst.name
        ))),
        params_area,
    );

    // The pictures.
    match &inst.source {
        Source::Synth(s) => {
            let [amp, filter] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(picture_area);
            draw_envelope(frame, amp, &s.amp, " amp envelope ");
            draw_envelope(frame, filter, &s.filter.envelope, " filter envelope ");
        }
        Source::Sampler(s) => {
            let [wave, amp] =
                Layout::vertical([Constraint::Percentage(60), Constraint::Percentage(40)])
                    .areas(picture_area);
            match app.samples.get(&s.path) {
                Some(Ok(data)) => draw_waveform(frame, wave, data, s.sample_loop),
                Some(Err(e)) => frame.render_widget(
                    Paragraph::new(format!("{}: {e}", s.path))
                        .style(theme::ERROR)
                        .wrap(ratatui::widgets::Wrap { trim: true })
                        .block(Block::default().borders(Borders::ALL).title(" sample ")),
                    wave,
                ),
                None => {}
            }
            draw_envelope(frame, amp, &s.amp, " amp envelope ");
        }
    }
}

/// Long values (sample paths) keep their end, where the file name is.
fn fit_left(text: &str, width: usize) -> String {
    let count = text.chars().count();
    if count <= width {
        text.to_owned()
    } else {
        let tail: String = text.chars().skip(count + 1 - width).collect();
        format!("…{tail}")
    }
}

/// The ADSR shape: attack, decay to the sustain level, a held stretch, release.
fn draw_envelope(frame: &mut Frame, area: Rect, env: &Envelope, title: &str) {
    let (a, d, s, r) = (
        f64::from(env.attack),
        f64::from(env.decay),
        f64::from(env.sustain),
        f64::from(env.release),
    );
    let hold = ((a + d + r) * 0.3).max(0.05);
    let total = a + d + hold + r;
    let points = [
        (0.0, 0.0),
        (a, 1.0),
        (a + d, s),
        (a + d + hold, s),
        (total, 0.0),
    ];
    let canvas = Canvas::default()
        .block(
            Block::default()
                .borders(Borders::ALL)
                .title(format!("{title}{:.3}/{:.3}/{:.2}/{:.3} ", a, d, s, r)),
        )
        .marker(Marker::Braille)
        .x_bounds([0.0, total])
        .y_bounds([0.0, 1.0])
        .paint(move |ctx| {
            for pair in points.windows(2) {
                ctx.draw(&CanvasLine {
                    x1: pair[0].0,
                    y1: pair[0].1,
                    x2: pair[1].0,
                    y2: pair[1].1,
                    color: Color::LightGreen,
                });
            }
        });
    frame.render_widget(canvas, area);
}

/// The sample's first channel as min/max columns, with the loop points marked.
fn draw_waveform(
    frame: &mut Frame,
    area: Rect,
    data: &crate::song::SampleData,
    sample_loop: Option<SampleLoop>,
) {
    let samples = data.channels.first().map_or(&[][..], |c| &c[..]);
    let frames = samples.len().max(1);
    let columns = usize::from(area.width.saturating_sub(2)).max(1) * 2;
    let mut peaks = Vec::with_capacity(columns);
    for col in 0..columns {
        let start = col * frames / columns;
        let end = ((col + 1) * frames / columns)
            .max(start + 1)
            .min(samples.len());
        let chunk = &samples[start.min(end)..end];
        let lo = chunk.iter().copied().fold(0.0f32, f32::min);
        let hi = chunk.iter().copied().fold(0.0f32, f32::max);
        peaks.push((f64::from(lo), f64::from(hi)));
    }
    let title = format!(
        " sample: {} frames, {} Hz{} ",
        data.frames(),
        data.sample_rate,
        if data.channels.len() == 2 {
            ", stereo"
        } else {
            ""
        }
    );
    let canvas = Canvas::default()
        .block(Block::default().borders(Borders::ALL).title(title))
        .marker(Marker::Braille)
        .x_bounds([0.0, columns as f64])
        .y_bounds([-1.0, 1.0])
        .paint(move |ctx| {
            for (x, &(lo, hi)) in peaks.iter().enumerate() {
                ctx.draw(&CanvasLine {
                    x1: x as f64,
                    y1: lo,
                    x2: x as f64,
                    y2: hi,
                    color: Color::LightCyan,
                });
            }
            if let Some(l) = sample_loop {
                for at in [l.start, l.end] {
                    let x = f64::from(at) / frames as f64 * columns as f64;
                    ctx.draw(&CanvasLine {
                        x1: x,
                        y1: -1.0,
                        x2: x,
                        y2: 1.0,
                        color: Color::Yellow,
                    });
                }
            }
        });
    frame.render_widget(canvas, area);
}
