//! The sample editor, opened on a sampler instrument from the Instruments view: the
//! waveform with the selection and loop points, and edits (trim, normalise, fades,
//! reverse, gain, slicing into new instruments) that each write a new WAV file beside
//! the song and point the instrument at it, as one undoable step. The sample can loop
//! through the player while the loop points move, to set them by ear.

use super::app::{App, PromptKind, Scope};
use super::theme;
use crate::dsp::util::gain_to_db;
use crate::song::sample_edit::{self, Fade, FadeCurve};
use crate::song::{Instrument, LoopMode, Pitch, SampleData, SampleLoop, Source};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;

/// What a sample-editor key asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleAction {
    Close,
    /// Moves the active marker by one waveform column (coarse: ten).
    Move {
        right: bool,
        coarse: bool,
    },
    /// The active marker to the start or the end of the sample.
    MoveToEnd {
        end: bool,
    },
    NextMarker,
    PrevMarker,
    SelectAll,
    ZoomIn,
    ZoomOut,
    Trim,
    Normalise,
    FadeIn,
    FadeOut,
    NextCurve,
    Reverse,
    Gain,
    LoopSelection,
    LoopOff,
    ToggleSnap,
    Audition,
    SliceEqual,
    SliceTransients,
}

/// A value the editor asks for before an edit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SampleAsk {
    NormalisePeak,
    Gain,
    Slices,
    Threshold,
}

impl SampleAsk {
    pub fn label(self) -> &'static str {
        match self {
            SampleAsk::NormalisePeak => "Normalise the selection to a peak of (dBFS, -60 to 0): ",
            SampleAsk::Gain => "Gain for the selection (dB, -60 to 24): ",
            SampleAsk::Slices => "Slice the selection into how many instruments (2-64): ",
            SampleAsk::Threshold => "Slice at transients rising by (dB, 3-60): ",
        }
    }
}

/// The marker the arrow keys move.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Marker {
    SelectionStart,
    SelectionEnd,
    LoopStart,
    LoopEnd,
}

impl Marker {
    fn name(self) -> &'static str {
        match self {
            Marker::SelectionStart => "selection start",
            Marker::SelectionEnd => "selection end",
            Marker::LoopStart => "loop start",
            Marker::LoopEnd => "loop end",
        }
    }
}

/// The editor's state while it is open.
#[derive(Clone, Debug, PartialEq)]
pub struct SampleEditor {
    /// Frames, start inclusive, end exclusive; never empty once clamped to a sample.
    pub selection: Range<usize>,
    pub marker: Marker,
    /// The waveform shows 1/zoom of the sample, around the active marker.
    pub zoom: usize,
    pub curve: FadeCurve,
    pub normalise_peak_db: f32,
    pub gain_db: f32,
    pub slices: usize,
    pub threshold_db: f32,
    /// The sample loops through the player while on.
    pub auditioning: bool,
    /// Moved loop points land on the nearest rising zero crossing, so the loop does not
    /// click.
    pub snap: bool,
    /// The song revision right after a loop-marker move: a next move while nothing else
    /// changed joins that move's undo step, so a nudged loop undoes in one go.
    loop_move_revision: Option<u64>,
}

impl SampleEditor {
    fn new(frames: usize) -> SampleEditor {
        SampleEditor {
            selection: 0..frames,
            marker: Marker::SelectionStart,
            zoom: 1,
            curve: FadeCurve::EqualPower,
            normalise_peak_db: -1.0,
            gain_db: -6.0,
            slices: 8,
            threshold_db: 9.0,
            auditioning: false,
            snap: true,
            loop_move_revision: None,
        }
    }
}

/// The edit names used in new file names (`vocal-trim.wav`).
const EDIT_NAMES: [&str; 8] = [
    "trim",
    "normalise",
    "fadein",
    "fadeout",
    "reverse",
    "gain",
    "slice",
    "chop",
];

/// The most zoom: the view still spans this many frames per waveform column or more.
const MAX_ZOOM: usize = 1 << 16;

/// The frames the waveform shows: 1/zoom of the sample, centred on `at`.
pub fn visible_frames(frames: usize, zoom: usize, at: usize) -> Range<usize> {
    let length = (frames / zoom.max(1)).max(1).min(frames.max(1));
    let start = at
        .saturating_sub(length / 2)
        .min(frames.saturating_sub(length));
    start..start + length
}

/// The lowest and highest value of `samples` (all channels) in each of `columns` equal
/// parts of `frames`; a part holds at least one frame.
pub fn column_peaks(
    channels: &[Vec<f32>],
    frames: Range<usize>,
    columns: usize,
) -> Vec<(f32, f32)> {
    let total = channels.first().map_or(0, Vec::len);
    let length = frames.len();
    (0..columns)
        .map(|c| {
            let start = (frames.start + c * length / columns).min(total);
            let end = (frames.start + (c + 1) * length / columns)
                .max(start + 1)
                .min(total);
            channels
                .iter()
                .flat_map(|ch| ch[start..end].iter())
                .fold((0.0f32, 0.0f32), |(lo, hi), &s| (lo.min(s), hi.max(s)))
        })
        .collect()
}

/// Braille rows for a waveform: two peak columns per character, four dots per character
/// row, each column filled from its lowest to its highest value, `scale` at the edges.
pub fn braille_rows(peaks: &[(f32, f32)], rows: usize, scale: f32) -> Vec<Vec<char>> {
    const LEFT: [u8; 4] = [0x01, 0x02, 0x04, 0x40];
    const RIGHT: [u8; 4] = [0x08, 0x10, 0x20, 0x80];
    let dots = rows * 4;
    let width = peaks.len().div_ceil(2);
    let mut bits = vec![vec![0u8; width]; rows];
    let dot_of = |v: f32| -> usize {
        let y = (1.0 - (v / scale).clamp(-1.0, 1.0)) / 2.0 * (dots as f32 - 1.0);
        y.round() as usize
    };
    for (x, &(lo, hi)) in peaks.iter().enumerate() {
        let marks = if x % 2 == 0 { &LEFT } else { &RIGHT };
        for y in dot_of(hi)..=dot_of(lo) {
            bits[y / 4][x / 2] |= marks[y % 4];
        }
    }
    bits.into_iter()
        .map(|row| {
            row.into_iter()
                .map(|b| char::from_u32(0x2800 + u32::from(b)).unwrap_or(' '))
                .collect()
        })
        .collect()
}

fn seconds(frames: usize, rate: u32) -> f64 {
    frames as f64 / f64::from(rate.max(1))
}

impl App {
    /// The decoded sample of the selected instrument, when it is a sampler whose file
    /// could be read.
    pub(super) fn edited_sample(&self) -> Option<(usize, Arc<SampleData>)> {
        let index = self.instrument_index;
        match &self.song.instruments.get(index)?.source {
            Source::Sampler(s) => match self.samples.get(&s.path) {
                Some(Ok(data)) => Some((index, data.clone())),
                _ => None,
            },
            Source::Synth(_) => None,
        }
    }

    fn sample_loop(&self) -> Option<SampleLoop> {
        match &self.song.instruments.get(self.instrument_index)?.source {
            Source::Sampler(s) => s.sample_loop,
            Source::Synth(_) => None,
        }
    }

    /// The instrument (index) and note the player should hold while the editor
    /// auditions: the sampler's root, so the sample plays at its own speed.
    pub fn audition(&self) -> Option<(usize, Pitch)> {
        let editor = self.sample_editor.as_ref()?;
        if !editor.auditioning {
            return None;
        }
        match &self.song.instruments.get(self.instrument_index)?.source {
            Source::Sampler(s) => Some((self.instrument_index, s.root)),
            Source::Synth(_) => None,
        }
    }

    pub(super) fn open_sample_editor(&mut self) {
        match self
            .song
            .instruments
            .get(self.instrument_index)
            .map(|i| &i.source)
        {
            Some(Source::Sampler(s)) => match self.samples.get(&s.path) {
                Some(Ok(data)) => {
                    self.sample_editor = Some(SampleEditor::new(data.frames()));
                    self.info("sample editor: Tab picks a marker, Left/Right move it, Esc closes");
                }
                Some(Err(e)) => self.error(format!("{}: {e}", s.path)),
                None => self.error(format!("{} is not loaded", s.path)),
            },
            _ => self.error("only a sampler instrument has a sample to edit"),
        }
    }

    /// The selection, kept inside the sample and at least one frame long.
    fn sample_selection(&self, frames: usize) -> Range<usize> {
        let selection = self
            .sample_editor
            .as_ref()
            .map_or(0..frames, |e| e.selection.clone());
        let start = selection.start.min(frames.saturating_sub(1));
        start..selection.end.clamp(start + 1, frames.max(1))
    }

    pub(super) fn sample_editor_action(&mut self, action: SampleAction) {
        let Some((_, data)) = self.edited_sample() else {
            self.sample_editor = None;
            self.error("the sample editor needs a sampler instrument whose file can be read");
            return;
        };
        let frames = data.frames();
        let selection = self.sample_selection(frames);
        let Some(editor) = self.sample_editor.as_mut() else {
            return;
        };
        editor.selection = selection.clone();
        match action {
            SampleAction::Close => {
                self.sample_editor = None;
                self.info("sample editor closed");
            }
            SampleAction::Move { right, coarse } => {
                let shown = visible_frames(frames, editor.zoom, 0).len();
                let columns = usize::from(self.screen.0.saturating_sub(2)).max(1) * 2;
                let step = (shown / columns).max(1) * if coarse { 10 } else { 1 };
                let at = self.marker_position(frames);
                let to = if right {
                    at.saturating_add(step)
                } else {
                    at.saturating_sub(step)
                };
                self.set_marker(to, frames, step / 2);
            }
            SampleAction::MoveToEnd { end } => {
                self.set_marker(if end { frames } else { 0 }, frames, 0)
            }
            SampleAction::NextMarker | SampleAction::PrevMarker => {
                let mut order = vec![Marker::SelectionStart, Marker::SelectionEnd];
                if self.sample_loop().is_some() {
                    order.extend([Marker::LoopStart, Marker::LoopEnd]);
                }
                let editor = self.sample_editor.as_mut().expect("open");
                let i = order.iter().position(|&m| m == editor.marker).unwrap_or(0);
                let n = order.len();
                let next = if action == SampleAction::NextMarker {
                    i + 1
                } else {
                    i + n - 1
                };
                editor.marker = order[next % n];
                // Moves of another marker are another undo step.
                editor.loop_move_revision = None;
                let name = editor.marker.name();
                self.info(format!("moving the {name} (Left/Right)"));
            }
            SampleAction::SelectAll => {
                editor.selection = 0..frames;
                self.info("selected the whole sample");
            }
            SampleAction::ZoomIn | SampleAction::ZoomOut => {
                editor.zoom = if action == SampleAction::ZoomIn {
                    (editor.zoom * 2).min(MAX_ZOOM).min(frames.max(1))
                } else {
                    (editor.zoom / 2).max(1)
                };
                let zoom = editor.zoom;
                self.info(format!("zoom {zoom}x"));
            }
            SampleAction::Trim => {
                self.apply_sample_edit("trim", |d| Ok(sample_edit::trim(d, selection.clone())))
            }
            SampleAction::Reverse => self.apply_sample_edit("reverse", |d| {
                Ok(sample_edit::reverse(d, selection.clone()))
            }),
            SampleAction::FadeIn | SampleAction::FadeOut => {
                let curve = editor.curve;
                let (name, direction) = if action == SampleAction::FadeIn {
                    ("fadein", Fade::In)
                } else {
                    ("fadeout", Fade::Out)
                };
                self.apply_sample_edit(name, |d| {
                    Ok(sample_edit::fade(d, selection.clone(), direction, curve))
                });
            }
            SampleAction::NextCurve => {
                let i = FadeCurve::ALL
                    .iter()
                    .position(|&c| c == editor.curve)
                    .unwrap_or(0);
                editor.curve = FadeCurve::ALL[(i + 1) % FadeCurve::ALL.len()];
                let name = editor.curve.name();
                self.info(format!("fade curve: {name}"));
            }
            SampleAction::Normalise => {
                let text = format!("{:.1}", editor.normalise_peak_db);
                self.open_prompt(PromptKind::SampleValue(SampleAsk::NormalisePeak), text);
            }
            SampleAction::Gain => {
                let text = format!("{:.1}", editor.gain_db);
                self.open_prompt(PromptKind::SampleValue(SampleAsk::Gain), text);
            }
            SampleAction::SliceEqual => {
                let text = editor.slices.to_string();
                self.open_prompt(PromptKind::SampleValue(SampleAsk::Slices), text);
            }
            SampleAction::SliceTransients => {
                let text = format!("{:.1}", editor.threshold_db);
                self.open_prompt(PromptKind::SampleValue(SampleAsk::Threshold), text);
            }
            SampleAction::LoopSelection => {
                let (start, end) = (selection.start as u32, selection.end as u32);
                self.edit_loop(Some((start, end)), false);
                self.info(format!(
                    "loop {start}-{end} ({:.3} s)",
                    seconds(selection.len(), data.sample_rate)
                ));
            }
            SampleAction::LoopOff => {
                self.edit_loop(None, false);
                if let Some(editor) = self.sample_editor.as_mut()
                    && matches!(editor.marker, Marker::LoopStart | Marker::LoopEnd)
                {
                    editor.marker = Marker::SelectionStart;
                }
                self.info("loop off");
            }
            SampleAction::ToggleSnap => {
                editor.snap = !editor.snap;
                let on = editor.snap;
                self.info(if on {
                    "loop points snap to rising zero crossings"
                } else {
                    "loop points move freely"
                });
            }
            SampleAction::Audition => {
                if !self.audio.available {
                    self.error("no audio output: the sample cannot be heard");
                    return;
                }
                editor.auditioning = !editor.auditioning;
                let on = editor.auditioning;
                self.info(match (on, self.sample_loop().is_some()) {
                    (false, _) => "stopped",
                    (true, true) => "looping: move the loop points with Tab and Left/Right",
                    (true, false) => "playing once (no loop; l loops the selection)",
                });
            }
        }
    }

    fn marker_position(&self, frames: usize) -> usize {
        let Some(editor) = &self.sample_editor else {
            return 0;
        };
        let selection = self.sample_selection(frames);
        let l = self.sample_loop();
        match editor.marker {
            Marker::SelectionStart => selection.start,
            Marker::SelectionEnd => selection.end,
            Marker::LoopStart => l.map_or(0, |l| l.start as usize),
            Marker::LoopEnd => l.map_or(frames, |l| l.end as usize),
        }
    }

    /// Puts the active marker at frame `to`, keeping start before end; a loop point
    /// snaps (when asked) to a rising zero crossing up to `snap_within` frames away.
    fn set_marker(&mut self, to: usize, frames: usize, snap_within: usize) {
        let sample_loop = self.sample_loop();
        let snapped = match (&self.sample_editor, self.edited_sample()) {
            (Some(e), Some((_, data))) if e.snap && snap_within > 0 => {
                sample_edit::nearest_rising_zero(&data, to, snap_within).unwrap_or(to)
            }
            _ => to,
        };
        let Some(editor) = self.sample_editor.as_mut() else {
            return;
        };
        let selection = editor.selection.clone();
        match editor.marker {
            Marker::SelectionStart => {
                editor.selection.start = to.min(selection.end.saturating_sub(1));
            }
            Marker::SelectionEnd => {
                editor.selection.end = to.clamp(selection.start + 1, frames);
            }
            Marker::LoopStart | Marker::LoopEnd => {
                let Some(l) = sample_loop else {
                    return;
                };
                let to = snapped;
                let (start, end) = if editor.marker == Marker::LoopStart {
                    ((to as u32).min(l.end.saturating_sub(1)), l.end)
                } else {
                    (l.start, (to.min(frames) as u32).max(l.start + 1))
                };
                self.edit_loop(Some((start, end)), true);
            }
        }
    }

    /// Sets the selected sampler's loop (forward unless it already loops another way),
    /// or turns it off. `nudge` joins a run of marker moves into one undo step.
    fn edit_loop(&mut self, points: Option<(u32, u32)>, nudge: bool) {
        let index = self.instrument_index;
        let Some(Source::Sampler(s)) = self.song.instruments.get(index).map(|i| &i.source) else {
            return;
        };
        let new_loop = points.map(|(start, end)| SampleLoop {
            mode: s.sample_loop.map_or(LoopMode::Forward, |l| l.mode),
            start,
            end,
        });
        if new_loop == s.sample_loop {
            return;
        }
        let joined = nudge
            && self
                .sample_editor
                .as_ref()
                .is_some_and(|e| e.loop_move_revision == Some(self.revision));
        if !joined {
            self.begin_edit(Scope::Settings);
        }
        if let Source::Sampler(s) = &mut self.song.instruments[index].source {
            s.sample_loop = new_loop;
        }
        self.edited();
        let revision = self.revision;
        if let Some(editor) = self.sample_editor.as_mut() {
            editor.loop_move_revision = nudge.then_some(revision);
        }
    }

    /// A typed value for a sample edit.
    pub(super) fn sample_value(&mut self, ask: SampleAsk, text: &str) {
        let Some((_, data)) = self.edited_sample() else {
            return;
        };
        let selection = self.sample_selection(data.frames());
        let number = text.trim().trim_end_matches("dBFS").trim_end_matches("dB");
        let Ok(value) = number.trim().parse::<f32>() else {
            self.error(format!("\"{text}\" is not a number"));
            return;
        };
        let Some(editor) = self.sample_editor.as_mut() else {
            return;
        };
        match ask {
            SampleAsk::NormalisePeak if (-60.0..=0.0).contains(&value) => {
                editor.normalise_peak_db = value;
                self.apply_sample_edit("normalise", |d| {
                    sample_edit::normalise(d, selection.clone(), value)
                });
            }
            SampleAsk::Gain if (-60.0..=24.0).contains(&value) => {
                editor.gain_db = value;
                self.apply_sample_edit("gain", |d| {
                    Ok(sample_edit::gain(d, selection.clone(), value))
                });
                let now = self.edited_sample().map_or(data, |d| d.1);
                let peak = sample_edit::peak(&now, selection);
                if peak > 1.0 {
                    self.error(format!(
                        "the selection now peaks at +{:.1} dBFS: over full scale",
                        gain_to_db(peak)
                    ));
                }
            }
            SampleAsk::Slices if value.fract() == 0.0 && (2.0..=64.0).contains(&value) => {
                editor.slices = value as usize;
                let parts = sample_edit::equal_slices(selection.len(), value as usize)
                    .into_iter()
                    .map(|r| r.start + selection.start..r.end + selection.start)
                    .collect();
                self.slice_into_instruments("slice", parts);
            }
            SampleAsk::Threshold if (3.0..=60.0).contains(&value) => {
                editor.threshold_db = value;
                let part = sample_edit::trim(&data, selection.clone());
                let parts: Vec<Range<usize>> = sample_edit::transient_slices(&part, value)
                    .into_iter()
                    .map(|r| r.start + selection.start..r.end + selection.start)
                    .collect();
                if parts.is_empty() {
                    self.error(format!(
                        "no transient rises {value} dB in the selection (try a lower threshold)"
                    ));
                } else {
                    self.slice_into_instruments("chop", parts);
                }
            }
            _ => self.error(format!(
                "\"{text}\" is out of range: {}",
                ask.label().trim_end_matches(": ")
            )),
        }
    }

    /// Runs `edit` on the selected sample, writes the result to a new file and points
    /// the instrument at it, as one undoable step.
    fn apply_sample_edit(
        &mut self,
        name: &str,
        edit: impl FnOnce(&SampleData) -> Result<SampleData, String>,
    ) {
        let Some((index, data)) = self.edited_sample() else {
            return;
        };
        let result = match edit(&data) {
            Ok(r) => r,
            Err(e) => {
                self.error(e);
                return;
            }
        };
        let Some(path) = self.write_edit(index, name, &result) else {
            return;
        };
        let frames = (data.frames(), result.frames());
        let selection = self.sample_selection(data.frames());
        self.begin_edit(Scope::Settings);
        if let Source::Sampler(s) = &mut self.song.instruments[index].source {
            s.path = path.clone();
            s.sample_loop = match (name, s.sample_loop) {
                // Loop points follow the frames they were on, or go when trimmed away.
                ("trim", Some(l)) => {
                    let start = (l.start as usize).saturating_sub(selection.start);
                    let end = (l.end as usize)
                        .saturating_sub(selection.start)
                        .min(frames.1);
                    (start < end).then_some(SampleLoop {
                        start: start as u32,
                        end: end as u32,
                        ..l
                    })
                }
                ("reverse", Some(l)) if selection == (0..frames.0) => Some(SampleLoop {
                    start: frames.0 as u32 - l.end,
                    end: frames.0 as u32 - l.start,
                    ..l
                }),
                (_, l) => l,
            };
        }
        self.edited();
        if name == "trim"
            && let Some(editor) = self.sample_editor.as_mut()
        {
            editor.selection = 0..frames.1;
            editor.zoom = 1;
        }
        self.info(format!(
            "{name}: wrote {path} ({:.3} s; the old file is kept, Ctrl+Z goes back to it)",
            seconds(frames.1, result.sample_rate)
        ));
    }

    /// Writes an edit of instrument `index`'s sample to a new file beside the song, and
    /// keeps it decoded; the file's path relative to the song, or `None` (said) on failure.
    fn write_edit(&mut self, index: usize, name: &str, data: &SampleData) -> Option<String> {
        let Source::Sampler(s) = &self.song.instruments[index].source else {
            return None;
        };
        let dir = self.path.parent().unwrap_or(Path::new("")).to_owned();
        let path = sample_edit::new_sample_path(&dir, &s.path, name, &EDIT_NAMES);
        if let Err(e) = sample_edit::write_new_wav(&dir.join(&path), data) {
            self.error(format!("{path} could not be written: {e}"));
            return None;
        }
        self.samples
            .insert(path.clone(), Ok(Arc::new(data.clone())));
        Some(path)
    }

    /// Each range of the selected sample becomes a new sampler instrument (a copy of this
    /// one, without its loop) playing its own new file; all in one undoable step.
    fn slice_into_instruments(&mut self, name: &str, parts: Vec<Range<usize>>) {
        let Some((index, data)) = self.edited_sample() else {
            return;
        };
        let room = 255 - self.song.instruments.len();
        if parts.len() > room {
            self.error(format!(
                "{} slices but room for {room} more instruments (a song holds 255)",
                parts.len()
            ));
            return;
        }
        let original = self.song.instruments[index].clone();
        let mut added: Vec<Instrument> = Vec::with_capacity(parts.len());
        for (i, part) in parts.iter().enumerate() {
            let Some(path) = self.write_edit(index, name, &sample_edit::trim(&data, part.clone()))
            else {
                return;
            };
            let mut inst = original.clone();
            inst.name = format!("{} {}", original.name, i + 1);
            if let Source::Sampler(s) = &mut inst.source {
                s.path = path;
                s.sample_loop = None;
            }
            added.push(inst);
        }
        let first = self.song.instruments.len() + 1;
        let count = added.len();
        self.begin_edit(Scope::Settings);
        self.song.instruments.extend(added);
        self.edited();
        self.info(format!(
            "{count} slices became instruments {first:02X}-{:02X}",
            first + count - 1
        ));
    }
}

// ----- drawing -----

const SELECTION: Style = Style::new().bg(Color::Indexed(61));
const WAVE: Style = Style::new().fg(Color::LightCyan);
const SELECTION_MARK: Style = Style::new().fg(Color::LightGreen);
const LOOP_MARK: Style = Style::new().fg(Color::Yellow);

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let (Some(editor), Some((index, data))) = (&app.sample_editor, app.edited_sample()) else {
        return;
    };
    let inst = &app.song.instruments[index];
    let Source::Sampler(sampler) = &inst.source else {
        return;
    };
    let frames = data.frames();
    let rate = data.sample_rate;
    let selection = app.sample_selection(frames);
    let sample_loop = sampler.sample_loop;
    let [wave_area, info_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let peak = sample_edit::peak(&data, 0..frames);
    let title = format!(
        " {:02X} {}: {}  {:.3} s {} Hz {}  peak {:.1} dBFS ",
        index + 1,
        inst.name,
        sampler.path,
        seconds(frames, rate),
        rate,
        if data.channels.len() == 2 {
            "stereo"
        } else {
            "mono"
        },
        gain_to_db(peak)
    );
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(wave_area);
    frame.render_widget(block, wave_area);

    let width = usize::from(inner.width).max(1);
    let rows = usize::from(inner.height).max(1);
    let shown = visible_frames(frames, editor.zoom, app.marker_position(frames));
    let peaks = column_peaks(&data.channels, shown.clone(), width * 2);
    // Scaled to the sample's peak, so a quiet take still shows its shape.
    let scale = if peak > 1e-6 { peak } else { 1.0 };
    let braille = braille_rows(&peaks, rows, scale);
    let column_of = |at: usize| -> Option<usize> {
        (shown.start..=shown.end)
            .contains(&at)
            .then(|| ((at - shown.start) * width / shown.len().max(1)).min(width - 1))
    };
    let mut marks: Vec<(usize, Style, bool)> = Vec::new();
    if let Some(l) = sample_loop {
        for (at, m) in [(l.start, Marker::LoopStart), (l.end, Marker::LoopEnd)] {
            if let Some(c) = column_of(at as usize) {
                marks.push((c, LOOP_MARK, editor.marker == m));
            }
        }
    }
    for (at, m) in [
        (selection.start, Marker::SelectionStart),
        (selection.end, Marker::SelectionEnd),
    ] {
        if let Some(c) = column_of(at) {
            marks.push((c, SELECTION_MARK, editor.marker == m));
        }
    }
    let selected = |c: usize| {
        let from = shown.start + c * shown.len() / width;
        let to = shown.start + (c + 1) * shown.len() / width;
        from < selection.end && to.max(from + 1) > selection.start
    };
    let lines: Vec<Line> = braille
        .into_iter()
        .map(|row| {
            let spans: Vec<Span> = row
                .into_iter()
                .enumerate()
                .map(|(c, ch)| {
                    let mut style = WAVE;
                    if selected(c) {
                        style = style.patch(SELECTION);
                    }
                    let mut text = ch;
                    if let Some(&(_, mark, active)) = marks.iter().rev().find(|m| m.0 == c) {
                        style = style.patch(mark);
                        if active {
                            style = style.add_modifier(Modifier::BOLD);
                        }
                        if ch == '\u{2800}' {
                            text = if active { '┃' } else { '│' };
                        }
                    }
                    Span::styled(text.to_string(), style)
                })
                .collect();
            Line::from(spans)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);

    let loop_text = sample_loop.map_or("loop off".to_owned(), |l| {
        format!(
            "loop {} {}-{}",
            match l.mode {
                LoopMode::Forward => "fwd",
                LoopMode::PingPong => "pingpong",
            },
            l.start,
            l.end
        )
    });
    let info = vec![
        Line::from(vec![
            Span::styled(if editor.auditioning { "▶ " } else { "" }, theme::TITLE),
            Span::styled("sel ", theme::LABEL),
            Span::styled(
                format!(
                    "{:.3}-{:.3} s ({} fr)",
                    seconds(selection.start, rate),
                    seconds(selection.end, rate),
                    selection.len()
                ),
                theme::VALUE,
            ),
            Span::styled(format!("  {loop_text}  "), LOOP_MARK),
            Span::styled(format!("[{}]", editor.marker.name()), theme::VALUE),
            Span::styled(format!("  {}x", editor.zoom), theme::LABEL),
        ]),
        Line::from(vec![
            Span::styled("curve ", theme::LABEL),
            Span::styled(editor.curve.name(), theme::VALUE),
            Span::styled(
                format!(
                    "  norm {:.1} dBFS  gain {:.1} dB  slices {}  chop {:.0} dB  snap {}",
                    editor.normalise_peak_db,
                    editor.gain_db,
                    editor.slices,
                    editor.threshold_db,
                    if editor.snap { "on" } else { "off" }
                ),
                theme::LABEL,
            ),
        ]),
        Line::styled(
            "t trim n norm i/o fade c curve r rev g gain l/L loop s/S slice Space play Esc",
            theme::MUTED,
        ),
    ];
    frame.render_widget(Paragraph::new(info), info_area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peaks_take_the_extremes_of_each_column() {
        let ramp: Vec<f32> = (0..100).map(|i| i as f32 / 100.0 - 0.5).collect();
        let peaks = column_peaks(std::slice::from_ref(&ramp), 0..100, 4);
        assert_eq!(peaks.len(), 4);
        assert_eq!(peaks[0], (-0.5, 0.0), "the zero line is always in");
        assert_eq!(peaks[3], (0.0, ramp[99]));
        // Zoomed past one frame per column, each column still shows a frame.
        let close = column_peaks(std::slice::from_ref(&ramp), 10..12, 8);
        assert!(close.iter().all(|&(lo, _)| lo <= ramp[11]));
    }

    #[test]
    fn braille_fills_from_low_to_high() {
        // One column full scale, one silent: left dots all set, right only the middle.
        let rows = braille_rows(&[(-1.0, 1.0), (0.0, 0.0)], 2, 1.0);
        assert_eq!(rows.len(), 2);
        // 8 dot rows; 0.0 lands on dot row 4 (round(3.5)), the top dot of row 1.
        assert_eq!(rows[0][0], '⡇');
        assert_eq!(rows[1][0], '⡏');
        assert_eq!(rows[1][0] as u32 & 0x08, 0x08, "the silent column's dot");
    }

    #[test]
    fn the_view_follows_the_marker_and_stays_in_the_sample() {
        assert_eq!(visible_frames(1000, 1, 700), 0..1000);
        assert_eq!(visible_frames(1000, 4, 700), 575..825);
        assert_eq!(visible_frames(1000, 4, 990), 750..1000);
        assert_eq!(visible_frames(1000, 4, 0), 0..250);
        assert_eq!(visible_frames(0, 4, 0), 0..1);
    }
}
