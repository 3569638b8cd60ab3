//! The editor's state and `update`, which applies one action to it. Nothing here draws
//! or touches the terminal, so tests drive it with keys and look at the song.

use super::action::{Action, View};
use super::command;
use super::keymap::{self, Key};
use super::meter::{MasterLevels, Meters};
use super::mixer::MixerCursor;
use super::recovery;
use super::render_job::RenderJob;
use crate::song::{self, Cell, SampleData, Song, Source};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Undo keeps at least this many steps.
pub const UNDO_LIMIT: usize = 2000;

/// The digit columns of a cell, left to right: `C-4 01 40 A0F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    Note,
    Instrument(u8),
    Volume(u8),
    Effect(u8),
    /// The automation lane column beside the grid (the shown lane, at the cursor row).
    Lane,
}

impl Column {
    pub const ALL: [Column; 8] = [
        Column::Note,
        Column::Instrument(0),
        Column::Instrument(1),
        Column::Volume(0),
        Column::Volume(1),
        Column::Effect(0),
        Column::Effect(1),
        Column::Effect(2),
    ];

    pub fn index(self) -> usize {
        Column::ALL.iter().position(|&c| c == self).unwrap_or(0)
    }

    /// Character offset inside the 13-character cell text, and its width.
    pub fn span(self) -> (usize, usize) {
        match self {
            Column::Note => (0, 3),
            Column::Instrument(d) => (4 + usize::from(d), 1),
            Column::Volume(d) => (7 + usize::from(d), 1),
            Column::Effect(d) => (10 + usize::from(d), 1),
            Column::Lane => (0, 0),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub pattern: usize,
    pub row: usize,
    pub channel: usize,
    pub column: Column,
}

/// A block of the pattern grid, from `anchor` (where Shift was first pressed) to the cursor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Selection {
    pub anchor: (usize, usize),
    pub head: (usize, usize),
}

impl Selection {
    /// The block of cells it covers.
    pub fn rect(self) -> Rect {
        let (r0, r1) = min_max(self.anchor.0, self.head.0);
        let (c0, c1) = min_max(self.anchor.1, self.head.1);
        Rect {
            row: r0,
            channel: c0,
            rows: r1 - r0 + 1,
            channels: c1 - c0 + 1,
        }
    }
}

fn min_max(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

/// A rectangle of cells in one pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rect {
    pub row: usize,
    pub channel: usize,
    pub rows: usize,
    pub channels: usize,
}

impl Rect {
    pub fn contains(&self, row: usize, channel: usize) -> bool {
        (self.row..self.row + self.rows).contains(&row)
            && (self.channel..self.channel + self.channels).contains(&channel)
    }
}

/// Copied cells, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Clip {
    pub rows: usize,
    pub channels: usize,
    pub cells: Vec<Cell>,
    /// The shown automation lane's points in the copied rows (rows counted from the
    /// block's top), pasted with the notes.
    pub lane: Option<(crate::song::Target, Vec<crate::song::automation::Point>)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    GotoRow,
    RenderPath,
    NewPattern,
    RenamePattern,
    PatternLength,
    SectionLabel,
    InstrumentValue,
    SongValue,
    MixerValue,
    MasterValue,
    /// The file a render with the Master view's preset writes.
    MasterRenderPath,
    SamplerPath,
    HelpSearch,
    SampleValue(super::sample_editor::SampleAsk),
    /// The value of the shown lane's point at the cursor row.
    LaneValue,
}

impl PromptKind {
    pub fn label(&self) -> &'static str {
        match self {
            PromptKind::Command => ":",
            PromptKind::GotoRow => "Go to row: ",
            PromptKind::RenderPath => "Render to WAV file: ",
            PromptKind::MasterRenderPath => "Render with the preset to WAV file: ",
            PromptKind::NewPattern => "New pattern name: ",
            PromptKind::RenamePattern => "Rename pattern to: ",
            PromptKind::PatternLength => "Pattern length (rows, 1-512): ",
            PromptKind::SectionLabel => "Section label: ",
            PromptKind::InstrumentValue
            | PromptKind::SongValue
            | PromptKind::MixerValue
            | PromptKind::MasterValue => "Value: ",
            PromptKind::SamplerPath => "WAV file (relative to the song): ",
            PromptKind::HelpSearch => "Search: ",
            PromptKind::LaneValue => "Point value: ",
            PromptKind::SampleValue(ask) => ask.label(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Confirm {
    /// Quit with unsaved changes: y quits, s saves then quits, n stays.
    QuitUnsaved,
    /// A recovery file newer than the song was found at start.
    Restore(Box<Song>),
}

#[derive(Clone, Debug, PartialEq)]
pub enum Mode {
    Normal,
    Prompt(Prompt),
    Confirm(Confirm),
    /// The list of parameters to automate, open over the pattern editor.
    Pick(super::lanes::ParamList),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub error: bool,
}

/// What an edit may touch, so undo keeps only that much.
pub enum Scope {
    Cells(usize, Rect),
    /// Anything but the patterns' cells (settings, instruments, arrangement).
    Settings,
    /// The settings and one whole pattern, which may also be a new one added at the end
    /// (new, clone, rename, length): far cheaper than the whole song on a big song.
    Pattern(usize),
    Whole,
}

enum Snapshot {
    Cells {
        pattern: usize,
        rect: Rect,
        cells: Vec<Cell>,
    },
    Settings(Box<Song>),
    Pattern {
        settings: Box<Song>,
        index: usize,
        pattern: Option<song::Pattern>,
        count: usize,
    },
    Whole(Box<Song>),
}

/// Where the user was when an edit happened; undo and redo go back there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Place {
    pub view: View,
    pub cursor: Cursor,
    pub order: usize,
    pub instrument_index: usize,
    pub param: usize,
    pub song_field: usize,
    pub mixer: MixerCursor,
    pub master_param: usize,
}

struct UndoStep {
    snapshot: Snapshot,
    place: Place,
}

/// What the play keys ask of the player.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayRequest {
    FromCursor,
    FromStart,
    LoopPattern,
    /// Loop the shown pattern from this row (a take's count-in).
    LoopPatternFrom(usize),
    Stop,
}

/// A note to sound at once: what a piano key played.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NotePreview {
    pub pitch: crate::song::Pitch,
    /// 1-based; 0 when the song has no instruments.
    pub instrument: u8,
    pub channel: usize,
}

pub struct App {
    pub song: Song,
    pub path: PathBuf,
    pub view: View,
    pub mode: Mode,
    pub cursor: Cursor,
    pub octave: u8,
    pub edit_step: usize,
    /// 1-based instrument that note entry writes; 0 when the song has none.
    pub instrument: u8,
    pub edit_mode: bool,
    /// Note entry snaps to the song's key.
    pub scale_lock: bool,
    /// The sample editor, while open on the selected sampler (Instruments view).
    pub sample_editor: Option<super::sample_editor::SampleEditor>,
    /// Piano keys write whole chords while on.
    pub chord_entry: super::harmony::ChordEntry,
    pub follow: bool,
    pub selection: Option<Selection>,
    pub clipboard: Option<Clip>,
    /// Selected arrangement entry.
    pub order: usize,
    /// Selected instrument (0-based) and parameter in the Instruments view.
    pub instrument_index: usize,
    pub param: usize,
    pub song_field: usize,
    pub mixer: MixerCursor,
    /// Selected setting in the Master view.
    pub master_param: usize,
    /// The delivery preset a render from the Master view uses (`None`: the song's own
    /// target and ceiling).
    pub render_preset: Option<song::Preset>,
    /// The report of the last render, for the Master view.
    pub last_render: Option<crate::render::RenderReport>,
    /// The mixer's meter readings, as the player reports them.
    pub meters: Meters,
    /// The master's loudness meter, as the player last reported it (kept after a stop,
    /// so the integrated loudness of what was played stays readable).
    pub master_levels: Option<MasterLevels>,
    pub help_filter: String,
    pub help_scroll: usize,
    pub channel_scroll: usize,
    /// The automation lane shown beside the pattern grid (by its parameter).
    pub lane: Option<crate::song::Target>,
    /// The terminal size, for scrolling decisions made in `update`.
    pub screen: (u16, u16),
    pub message: Option<Message>,
    /// Bumped by every change to the song (edits, undo, redo, restore): the player and
    /// caches compare it to know the song changed.
    pub revision: u64,
    pub dirty: bool,
    pub quit: bool,
    pub render_job: Option<RenderJob>,
    /// A play key pressed, for the main loop to hand to the player.
    pub play_request: Option<PlayRequest>,
    pub audio: super::playback::AudioState,
    /// The last piano key played (written or jammed), for a player to sound and clear.
    pub preview: Option<NotePreview>,
    /// Decoded samples by path, for the waveform picture.
    pub samples: HashMap<String, Result<Arc<SampleData>, String>>,
    /// Recording from the audio input (instruments view).
    pub record: super::record::RecordPanel,
    /// Notes from MIDI keys to start and release, for a player to sound and clear.
    pub midi_notes: Vec<super::midi::MidiNote>,
    undo: VecDeque<UndoStep>,
    redo: Vec<UndoStep>,
}

impl App {
    pub fn new(song: Song, path: PathBuf) -> App {
        let instrument = u8::from(!song.instruments.is_empty());
        let mut app = App {
            song,
            path,
            view: View::Pattern,
            mode: Mode::Normal,
            cursor: Cursor {
                pattern: 0,
                row: 0,
                channel: 0,
                column: Column::Note,
            },
            octave: 4,
            edit_step: 1,
            instrument,
            edit_mode: true,
            scale_lock: false,
            chord_entry: Default::default(),
            sample_editor: None,
            follow: true,
            selection: None,
            clipboard: None,
            order: 0,
            instrument_index: 0,
            param: 0,
            song_field: 0,
            mixer: MixerCursor::default(),
            master_param: 0,
            render_preset: None,
            last_render: None,
            meters: Meters::default(),
            master_levels: None,
            help_filter: String::new(),
            help_scroll: 0,
            channel_scroll: 0,
            lane: None,
            screen: (80, 24),
            message: None,
            revision: 0,
            dirty: false,
            quit: false,
            render_job: None,
            preview: None,
            play_request: None,
            audio: Default::default(),
            samples: HashMap::new(),
            record: Default::default(),
            midi_notes: Vec::new(),
            undo: VecDeque::new(),
            redo: Vec::new(),
        };
        app.load_samples();
        app
    }

    pub fn file_name(&self) -> String {
        self.path.file_name().map_or_else(
            || self.path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        )
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: false,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.message = Some(Message {
            text: text.into(),
            error: true,
        });
    }

    pub fn undo_len(&self) -> usize {
        self.undo.len()
    }

    pub fn redo_len(&self) -> usize {
        self.redo.len()
    }

    /// The pattern the editor shows.
    pub fn pattern(&self) -> &song::Pattern {
        &self.song.patterns[self.cursor.pattern]
    }

    pub fn on_note_column(&self) -> bool {
        self.cursor.column == Column::Note
    }

    /// Where in the pattern editor the keys are read: the note, digit or lane column.
    pub fn pattern_place(&self) -> keymap::PatternPlace {
        match self.cursor.column {
            Column::Note => keymap::PatternPlace::Note,
            Column::Lane => keymap::PatternPlace::Lane,
            _ => keymap::PatternPlace::Digit,
        }
    }

    // ----- keys -----

    /// One key press, as the terminal gave it.
    pub fn handle_key(&mut self, event: KeyEvent) {
        let key = Key::from_event(event);
        match &self.mode {
            Mode::Prompt(_) => self.prompt_key(key),
            Mode::Confirm(_) => self.confirm_key(key),
            Mode::Pick(_) => self.param_list_key(key),
            Mode::Normal => {
                let chain = if self.view == View::Instruments && self.sample_editor.is_some() {
                    keymap::SAMPLE_EDITOR_CHAIN
                } else {
                    keymap::Context::chain(self.view, self.pattern_place())
                };
                if let Some(action) = keymap::lookup_in(chain, key) {
                    self.update(action);
                } else if self.view == View::Help {
                    if let KeyCode::Char(c) = key.code
                        && key.mods.is_empty()
                    {
                        self.help_filter.push(c);
                        self.help_scroll = 0;
                    } else if key.code == KeyCode::Backspace {
                        self.help_filter.pop();
                    } else if key.code == KeyCode::Esc {
                        self.help_filter.clear();
                    }
                }
            }
        }
    }

    fn prompt_key(&mut self, key: Key) {
        let Mode::Prompt(prompt) = &mut self.mode else {
            return;
        };
        match key.code {
            KeyCode::Esc => {
                if prompt.kind == PromptKind::HelpSearch {
                    self.help_filter.clear();
                }
                self.mode = Mode::Normal;
            }
            KeyCode::Enter => {
                let Mode::Prompt(prompt) = std::mem::replace(&mut self.mode, Mode::Normal) else {
                    return;
                };
                self.submit_prompt(prompt.kind, prompt.text.trim().to_owned());
            }
            KeyCode::Backspace => {
                prompt.text.pop();
                if prompt.kind == PromptKind::HelpSearch {
                    self.help_filter = prompt.text.clone();
                }
            }
            KeyCode::Char(c) if !key.mods.contains(KeyModifiers::CONTROL) => {
                prompt.text.push(c);
                if prompt.kind == PromptKind::HelpSearch {
                    self.help_filter = prompt.text.clone();
                    self.help_scroll = 0;
                }
            }
            _ => {}
        }
    }

    fn confirm_key(&mut self, key: Key) {
        let Mode::Confirm(confirm) = std::mem::replace(&mut self.mode, Mode::Normal) else {
            return;
        };
        let answer = match key.code {
            KeyCode::Char(c) => c.to_ascii_lowercase(),
            KeyCode::Esc => 'n',
            _ => {
                self.mode = Mode::Confirm(confirm);
                return;
            }
        };
        match (confirm, answer) {
            (Confirm::QuitUnsaved, 'y') => self.quit = true,
            (Confirm::QuitUnsaved, 's') => {
                if self.save() {
                    self.quit = true;
                }
            }
            (Confirm::QuitUnsaved, 'n') => self.info("not quitting"),
            (Confirm::Restore(song), 'y') => {
                self.begin_edit(Scope::Whole);
                self.song = *song;
                self.clamp_places();
                self.edited();
                self.load_samples();
                self.info("restored the recovery file (save with Ctrl+S to keep it)");
            }
            (Confirm::Restore(_), 'n') => {
                self.info("kept the saved song; the recovery file is replaced at the next autosave")
            }
            (confirm, _) => self.mode = Mode::Confirm(confirm),
        }
    }

    pub fn open_prompt(&mut self, kind: PromptKind, text: impl Into<String>) {
        self.mode = Mode::Prompt(Prompt {
            kind,
            text: text.into(),
        });
    }

    fn submit_prompt(&mut self, kind: PromptKind, text: String) {
        match kind {
            PromptKind::Command => command::run(self, &text),
            PromptKind::GotoRow => match text.parse::<usize>() {
                Ok(row) if row < self.pattern().length() => {
                    self.cursor.row = row;
                }
                _ => self.error(format!(
                    "\"{text}\" is not a row (0 to {})",
                    self.pattern().length() - 1
                )),
            },
            PromptKind::RenderPath => self.start_render(&text),
            PromptKind::MasterRenderPath => {
                let options = crate::render::RenderOptions {
                    loudness: crate::render::LoudnessOptions {
                        preset: self.render_preset,
                        ..Default::default()
                    },
                    ..Default::default()
                };
                self.start_render_with(&text, options);
            }
            PromptKind::NewPattern => self.new_pattern(&text),
            PromptKind::RenamePattern => self.rename_pattern(&text),
            PromptKind::PatternLength => self.set_pattern_length_text(&text),
            PromptKind::SectionLabel => self.set_section_label(&text),
            PromptKind::InstrumentValue => self.set_param_text(&text),
            PromptKind::SongValue => self.set_song_field_text(&text),
            PromptKind::MixerValue => self.set_mixer_text(&text),
            PromptKind::MasterValue => self.set_master_text(&text),
            PromptKind::SamplerPath => self.add_sampler(&text),
            PromptKind::HelpSearch => self.help_filter = text,
            PromptKind::SampleValue(ask) => self.sample_value(ask, &text),
            PromptKind::LaneValue => self.type_lane_value(&text),
        }
    }

    // ----- update -----

    pub fn update(&mut self, action: Action) {
        match action {
            Action::Quit => self.request_quit(),
            Action::Save => {
                self.save();
            }
            Action::Undo => self.undo(),
            Action::Redo => self.redo(),
            Action::Show(view) => self.view = view,
            Action::NextView | Action::PrevView => {
                let i = View::ALL.iter().position(|&v| v == self.view).unwrap_or(0);
                let n = View::ALL.len();
                let next = if action == Action::NextView {
                    i + 1
                } else {
                    i + n - 1
                };
                self.view = View::ALL[next % n];
            }
            Action::CommandLine => self.open_prompt(PromptKind::Command, ""),
            Action::RenderPrompt => {
                let default = self.path.with_extension("wav");
                self.open_prompt(PromptKind::RenderPath, default.display().to_string());
            }
            Action::PlayFromCursor | Action::PlayFromStart | Action::LoopPattern => {
                if !self.audio.available {
                    self.error("no audio output: playback is not available (render with Ctrl+R)");
                } else if self.audio.playing && action == Action::PlayFromCursor {
                    self.play_request = Some(PlayRequest::Stop);
                } else {
                    self.play_request = Some(match action {
                        Action::PlayFromStart => PlayRequest::FromStart,
                        Action::LoopPattern => PlayRequest::LoopPattern,
                        _ => PlayRequest::FromCursor,
                    });
                }
            }
            Action::ToggleFollow => {
                self.follow = !self.follow;
                self.info(if self.follow {
                    "follow playhead: on"
                } else {
                    "follow playhead: off"
                });
            }
            Action::ToggleEditMode => {
                self.edit_mode = !self.edit_mode;
                self.info(if self.edit_mode {
                    "edit mode: on (piano keys write notes)"
                } else {
                    "edit mode: off (piano keys only play)"
                });
            }
            Action::HelpSearch => {
                let text = self.help_filter.clone();
                self.open_prompt(PromptKind::HelpSearch, text);
            }
            other => match self.view {
                View::Pattern => self.pattern_action(other),
                View::Arrangement => self.arrangement_action(other),
                View::Instruments => self.instruments_action(other),
                View::Song => self.song_action(other),
                View::Mixer => self.mixer_action(other),
                View::Master => self.master_action(other),
                View::Help => self.help_action(other),
            },
        }
        self.keep_cursor_visible();
    }

    fn help_action(&mut self, action: Action) {
        match action {
            Action::Up => self.help_scroll = self.help_scroll.saturating_sub(1),
            Action::Down => self.help_scroll += 1,
            Action::PageUp => self.help_scroll = self.help_scroll.saturating_sub(10),
            Action::PageDown => self.help_scroll += 10,
            _ => {}
        }
    }

    fn request_quit(&mut self) {
        if self.dirty {
            self.mode = Mode::Confirm(Confirm::QuitUnsaved);
        } else {
            self.quit = true;
        }
    }

    /// Saves to the song's file; true when it worked.
    pub fn save(&mut self) -> bool {
        let problems = self.song.problems();
        if let Some(first) = problems.first() {
            self.error(format!("not saved: {first}"));
            return false;
        }
        match song::save(&self.song, &self.path) {
            Ok(()) => {
                self.dirty = false;
                let _ = std::fs::remove_file(recovery::recovery_path(&self.path));
                self.info(format!("saved {}", self.path.display()));
                true
            }
            Err(e) => {
                self.error(format!("not saved: {e}"));
                false
            }
        }
    }

    /// Saves under a new name (`:w PATH`): the song's file becomes that one.
    pub fn save_as(&mut self, path: &Path) -> bool {
        let old = std::mem::replace(&mut self.path, path.to_owned());
        if self.save() {
            true
        } else {
            self.path = old;
            false
        }
    }

    // ----- undo -----

    fn place(&self) -> Place {
        Place {
            view: self.view,
            cursor: self.cursor,
            order: self.order,
            instrument_index: self.instrument_index,
            param: self.param,
            song_field: self.song_field,
            mixer: self.mixer,
            master_param: self.master_param,
        }
    }

    fn go_to(&mut self, place: Place) {
        self.view = place.view;
        self.cursor = place.cursor;
        self.order = place.order;
        self.instrument_index = place.instrument_index;
        self.param = place.param;
        self.song_field = place.song_field;
        self.mixer = place.mixer;
        self.master_param = place.master_param;
        self.clamp_places();
    }

    fn capture(&mut self, scope: &Scope) -> Snapshot {
        match scope {
            Scope::Cells(pattern, rect) => {
                let p = &self.song.patterns[*pattern];
                let mut cells = Vec::with_capacity(rect.rows * rect.channels);
                for r in rect.row..rect.row + rect.rows {
                    cells.extend_from_slice(&p.row(r)[rect.channel..rect.channel + rect.channels]);
                }
                Snapshot::Cells {
                    pattern: *pattern,
                    rect: *rect,
                    cells,
                }
            }
            Scope::Settings => {
                let patterns = std::mem::take(&mut self.song.patterns);
                let copy = self.song.clone();
                self.song.patterns = patterns;
                Snapshot::Settings(Box::new(copy))
            }
            Scope::Pattern(index) => {
                let Snapshot::Settings(settings) = self.capture(&Scope::Settings) else {
                    unreachable!("settings capture gives settings")
                };
                Snapshot::Pattern {
                    settings,
                    index: *index,
                    pattern: self.song.patterns.get(*index).cloned(),
                    count: self.song.patterns.len(),
                }
            }
            Scope::Whole => Snapshot::Whole(Box::new(self.song.clone())),
        }
    }

    /// Puts a snapshot back and returns the snapshot of what it replaced.
    fn restore(&mut self, snapshot: Snapshot) -> Snapshot {
        match snapshot {
            Snapshot::Cells {
                pattern,
                rect,
                cells,
            } => {
                let inverse = self.capture(&Scope::Cells(pattern, rect));
                let p = &mut self.song.patterns[pattern];
                for (i, cell) in cells.into_iter().enumerate() {
                    *p.cell_mut(
                        rect.row + i / rect.channels,
                        rect.channel + i % rect.channels,
                    ) = cell;
                }
                inverse
            }
            Snapshot::Settings(mut song) => {
                let patterns = std::mem::take(&mut self.song.patterns);
                std::mem::swap(&mut self.song, &mut song);
                self.song.patterns = patterns;
                Snapshot::Settings(song)
            }
            Snapshot::Pattern {
                settings,
                index,
                pattern,
                count,
            } => {
                let inverse = self.capture(&Scope::Pattern(index));
                self.restore(Snapshot::Settings(settings));
                self.song.patterns.truncate(count);
                if let Some(p) = pattern {
                    if index < self.song.patterns.len() {
                        self.song.patterns[index] = p;
                    } else {
                        self.song.patterns.push(p);
                    }
                }
                inverse
            }
            Snapshot::Whole(mut song) => {
                std::mem::swap(&mut self.song, &mut song);
                Snapshot::Whole(song)
            }
        }
    }

    /// Call before changing the song: remembers what `scope` covers for undo.
    pub fn begin_edit(&mut self, scope: Scope) {
        let snapshot = self.capture(&scope);
        self.undo.push_back(UndoStep {
            snapshot,
            place: self.place(),
        });
        if self.undo.len() > UNDO_LIMIT {
            self.undo.pop_front();
        }
        self.redo.clear();
    }

    /// Call after changing the song.
    pub fn edited(&mut self) {
        self.revision += 1;
        self.dirty = true;
    }

    fn undo(&mut self) {
        let Some(step) = self.undo.pop_back() else {
            self.info("nothing to undo");
            return;
        };
        let inverse = self.restore(step.snapshot);
        self.redo.push(UndoStep {
            snapshot: inverse,
            place: step.place,
        });
        self.go_to(step.place);
        self.edited();
        self.load_samples();
        self.info(format!("undone ({} more)", self.undo.len()));
    }

    fn redo(&mut self) {
        let Some(step) = self.redo.pop() else {
            self.info("nothing to redo");
            return;
        };
        let inverse = self.restore(step.snapshot);
        self.undo.push_back(UndoStep {
            snapshot: inverse,
            place: step.place,
        });
        self.go_to(step.place);
        self.edited();
        self.load_samples();
        self.info(format!("redone ({} more)", self.redo.len()));
    }

    /// Keeps every cursor inside the song after a change of its shape.
    pub fn clamp_places(&mut self) {
        let c = &mut self.cursor;
        c.pattern = c.pattern.min(self.song.patterns.len().saturating_sub(1));
        let p = &self.song.patterns[c.pattern];
        c.row = c.row.min(p.length() - 1);
        c.channel = c.channel.min(p.channels().saturating_sub(1));
        self.order = self
            .order
            .min(self.song.arrangement.len().saturating_sub(1));
        self.instrument_index = self
            .instrument_index
            .min(self.song.instruments.len().saturating_sub(1));
        let count = self.song.instruments.len();
        if usize::from(self.instrument) > count {
            self.instrument = count as u8;
        }
        if self.instrument == 0 && count > 0 {
            self.instrument = 1;
        }
        self.param = self.param.min(self.param_count().saturating_sub(1));
        if let Some(sel) = self.selection {
            let r = sel.rect();
            if r.row + r.rows > p.length() || r.channel + r.channels > p.channels() {
                self.selection = None;
            }
        }
        if self.cursor.column == Column::Lane && self.shown_lane().is_none() {
            self.cursor.column = Column::Effect(2);
        }
        self.clamp_mixer();
    }

    // ----- samples (for the waveform picture) -----

    /// Decodes any sampler file not decoded yet (or whose path changed).
    pub fn load_samples(&mut self) {
        let dir = self.path.parent().unwrap_or(Path::new("")).to_owned();
        for inst in &self.song.instruments {
            if let Source::Sampler(s) = &inst.source
                && !self.samples.contains_key(&s.path)
            {
                let data = song::load_wav(&dir.join(&s.path)).map(Arc::new);
                self.samples.insert(s.path.clone(), data);
            }
        }
    }

    // ----- background work -----

    /// Called by the main loop between key presses: finishes background work.
    pub fn tick(&mut self) {
        if let Some(job) = &self.render_job
            && let Some(result) = job.poll()
        {
            let output = job.output.clone();
            self.render_job = None;
            match result {
                Ok(r) => {
                    self.info(format!(
                        "rendered {}: {}, {:.1} LUFS, true peak {:.1} dBTP, peak {:.1} dBFS ({:.0}x realtime)",
                        output.display(),
                        crate::render::format_time(r.duration_seconds),
                        r.loudness_lufs,
                        r.true_peak_dbtp,
                        r.peak_dbfs,
                        r.realtime_factor
                    ));
                    self.last_render = Some(r);
                }
                Err(e) => self.error(format!("render failed: {e}")),
            }
        }
    }

    pub fn start_render(&mut self, output: &str) {
        self.start_render_with(output, crate::render::RenderOptions::default());
    }

    /// Renders on a thread with `options` (a preset, ...) over the song's settings.
    pub fn start_render_with(&mut self, output: &str, options: crate::render::RenderOptions) {
        if self.render_job.is_some() {
            self.error("a render is already running");
            return;
        }
        if output.is_empty() {
            self.error("give a file name to render to");
            return;
        }
        let output = PathBuf::from(output);
        self.info(format!("rendering {} ...", output.display()));
        self.render_job = Some(RenderJob::start(
            self.song.clone(),
            self.path.clone(),
            output,
            options,
        ));
    }
}
