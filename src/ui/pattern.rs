//! The pattern editor: the tracker grid, note and digit entry, blocks, and pattern operations.

use super::action::Action;
use super::app::{App, Clip, Column, NotePreview, PromptKind, Rect, Scope, Selection};
use super::lanes;
use super::theme;
use crate::song::automation::Point;
use crate::song::{
    Cell, Effect, EffectKind, Lane, MAX_ROWS, MAX_VOLUME, NoteField, Pattern, Pitch,
};
use ratatui::Frame;
use ratatui::layout::Rect as Area;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Width of the row-number column, and of one channel (`│C-4 01 40 A0F`).
const ROW_NUMBER_WIDTH: u16 = 4;
const CHANNEL_WIDTH: u16 = 14;

/// How many channels fit across `width` columns.
pub fn visible_channels(width: u16) -> usize {
    usize::from((width.saturating_sub(ROW_NUMBER_WIDTH) / CHANNEL_WIDTH).max(1))
}

impl App {
    pub(super) fn pattern_action(&mut self, action: Action) {
        let length = self.pattern().length();
        let channels = self.pattern().channels();
        let bar = self.song.rows_per_bar().max(1);
        if self.cursor.column == Column::Lane && self.lane_action(action) {
            return;
        }
        match action {
            Action::Up => self.cursor.row = self.cursor.row.saturating_sub(1),
            Action::Down => self.cursor.row = (self.cursor.row + 1).min(length - 1),
            Action::PageUp => self.cursor.row = self.cursor.row.saturating_sub(bar),
            Action::PageDown => self.cursor.row = (self.cursor.row + bar).min(length - 1),
            Action::Home => {
                if self.cursor.row == 0 {
                    self.cursor.channel = 0;
                    self.cursor.column = Column::Note;
                }
                self.cursor.row = 0;
            }
            Action::End => {
                if self.cursor.row == length - 1 {
                    self.cursor.channel = channels - 1;
                }
                self.cursor.row = length - 1;
            }
            Action::Left => {
                let i = self.cursor.column.index();
                if i > 0 {
                    self.cursor.column = Column::ALL[i - 1];
                } else if self.cursor.channel > 0 {
                    self.cursor.channel -= 1;
                    self.cursor.column = Column::ALL[Column::ALL.len() - 1];
                }
            }
            Action::Right => {
                let i = self.cursor.column.index();
                if i + 1 < Column::ALL.len() {
                    self.cursor.column = Column::ALL[i + 1];
                } else if self.cursor.channel + 1 < channels {
                    self.cursor.channel += 1;
                    self.cursor.column = Column::Note;
                } else if self.shown_lane().is_some() {
                    self.cursor.column = Column::Lane;
                }
            }
            Action::NextChannel => {
                self.cursor.channel = (self.cursor.channel + 1) % channels;
                self.cursor.column = Column::Note;
            }
            Action::PrevChannel => {
                self.cursor.channel = (self.cursor.channel + channels - 1) % channels;
                self.cursor.column = Column::Note;
            }
            Action::GotoRowPrompt => self.open_prompt(PromptKind::GotoRow, ""),
            Action::PickParam => self.open_param_list(),
            Action::ToggleLaneColumn => self.toggle_lane_column(),
            Action::Note(semitones) => self.enter_note(semitones),
            Action::NoteOff => self.write_cell(|cell| {
                cell.note = NoteField::Off;
                cell.instrument = None;
                Ok(())
            }),
            Action::ClearField => {
                let column = self.cursor.column;
                self.write_cell(|cell| {
                    match column {
                        Column::Note => {
                            cell.note = NoteField::Empty;
                            cell.instrument = None;
                        }
                        Column::Instrument(_) => cell.instrument = None,
                        Column::Volume(_) => cell.volume = None,
                        Column::Effect(_) => cell.effect = None,
                        Column::Lane => {}
                    }
                    Ok(())
                })
            }
            Action::HexDigit(d) => self.enter_digit(d),
            Action::ParamCommand(letter) => self.enter_param_command(letter),
            Action::InsertRow => self.shift_rows(true),
            Action::DeleteRow => self.shift_rows(false),
            Action::OctaveUp => {
                self.octave = (self.octave + 1).min(8);
                self.info(format!("octave {}", self.octave));
            }
            Action::OctaveDown => {
                self.octave = self.octave.saturating_sub(1);
                self.info(format!("octave {}", self.octave));
            }
            Action::StepUp => {
                self.edit_step = (self.edit_step + 1).min(16);
                self.info(format!("edit step {}", self.edit_step));
            }
            Action::StepDown => {
                self.edit_step = self.edit_step.saturating_sub(1);
                self.info(format!("edit step {}", self.edit_step));
            }
            Action::InstrumentNext | Action::InstrumentPrev => {
                let count = self.song.instruments.len() as u8;
                if count == 0 {
                    self.error("the song has no instruments (add one in the Instruments view, F4)");
                } else {
                    self.instrument = if action == Action::InstrumentNext {
                        self.instrument % count + 1
                    } else if self.instrument <= 1 {
                        count
                    } else {
                        self.instrument - 1
                    };
                    self.instrument_index = usize::from(self.instrument - 1);
                    let name = &self.song.instruments[self.instrument_index].name;
                    self.info(format!("instrument {:02X} {name}", self.instrument));
                }
            }
            Action::SelectUp | Action::SelectDown | Action::SelectLeft | Action::SelectRight => {
                let anchor = self
                    .selection
                    .map_or((self.cursor.row, self.cursor.channel), |s| s.anchor);
                match action {
                    Action::SelectUp => self.cursor.row = self.cursor.row.saturating_sub(1),
                    Action::SelectDown => self.cursor.row = (self.cursor.row + 1).min(length - 1),
                    Action::SelectLeft => {
                        self.cursor.channel = self.cursor.channel.saturating_sub(1)
                    }
                    _ => self.cursor.channel = (self.cursor.channel + 1).min(channels - 1),
                }
                self.selection = Some(Selection {
                    anchor,
                    head: (self.cursor.row, self.cursor.channel),
                });
            }
            Action::SelectChannel => {
                self.selection = Some(Selection {
                    anchor: (0, self.cursor.channel),
                    head: (length - 1, self.cursor.channel),
                });
            }
            Action::SelectPattern => {
                self.selection = Some(Selection {
                    anchor: (0, 0),
                    head: (length - 1, channels - 1),
                });
            }
            Action::ClearSelection => self.selection = None,
            Action::Copy => {
                self.clipboard = Some(self.copy_block(self.block()));
                let r = self.block();
                self.info(format!("copied {} rows x {} channels", r.rows, r.channels));
            }
            Action::Cut => self.cut(),
            Action::Paste => self.paste(false),
            Action::MixPaste => self.paste(true),
            Action::TransposeUp => self.transpose(1),
            Action::TransposeDown => self.transpose(-1),
            Action::TransposeOctaveUp => self.transpose(12),
            Action::TransposeOctaveDown => self.transpose(-12),
            Action::Interpolate => self.interpolate(),
            Action::ToggleChordMode | Action::ChordShape(_) | Action::NextInversion => {
                self.chord_entry_action(action)
            }
            Action::NewPattern => {
                let name = self.unique_pattern_name("Pattern");
                self.open_prompt(PromptKind::NewPattern, name);
            }
            Action::ClonePattern => {
                let name = self.unique_pattern_name(&self.pattern().name.clone());
                let mut copy = self.pattern().clone();
                copy.name = name.clone();
                self.add_pattern(copy);
                self.info(format!("cloned into \"{name}\""));
            }
            Action::RenamePattern => {
                let name = self.pattern().name.clone();
                self.open_prompt(PromptKind::RenamePattern, name);
            }
            Action::PatternLengthPrompt => {
                let length = self.pattern().length().to_string();
                self.open_prompt(PromptKind::PatternLength, length);
            }
            Action::NextPattern | Action::PrevPattern => {
                let n = self.song.patterns.len();
                let next = if action == Action::NextPattern {
                    (self.cursor.pattern + 1).min(n - 1)
                } else {
                    self.cursor.pattern.saturating_sub(1)
                };
                self.show_pattern(next);
            }
            _ => {}
        }
    }

    pub fn show_pattern(&mut self, index: usize) {
        if index != self.cursor.pattern {
            self.selection = None;
        }
        self.cursor.pattern = index;
        self.clamp_places();
        let p = self.pattern();
        let text = format!("pattern {:02} \"{}\", {} rows", index, p.name, p.length());
        self.info(text);
    }

    /// The selection, or the cell under the cursor when nothing is selected.
    pub fn block(&self) -> Rect {
        self.selection.map_or(
            Rect {
                row: self.cursor.row,
                channel: self.cursor.channel,
                rows: 1,
                channels: 1,
            },
            |s| s.rect(),
        )
    }

    fn copy_block(&self, rect: Rect) -> Clip {
        let p = self.pattern();
        let mut cells = Vec::with_capacity(rect.rows * rect.channels);
        for r in rect.row..rect.row + rect.rows {
            cells.extend_from_slice(&p.row(r)[rect.channel..rect.channel + rect.channels]);
        }
        let lane = self.shown_lane().map(|lane| {
            let (top, end) = (rect.row as f32, (rect.row + rect.rows) as f32);
            let points = lane
                .points
                .iter()
                .filter(|p| p.row >= top && p.row < end)
                .map(|p| Point {
                    row: p.row - top,
                    ..*p
                })
                .collect();
            (lane.target, points)
        });
        Clip {
            rows: rect.rows,
            channels: rect.channels,
            cells,
            lane,
        }
    }

    /// Applies `f` to every cell of `rect` as one undoable edit.
    pub(super) fn edit_block(&mut self, rect: Rect, mut f: impl FnMut((usize, usize), &mut Cell)) {
        let pattern = self.cursor.pattern;
        self.begin_edit(Scope::Cells(pattern, rect));
        let p = &mut self.song.patterns[pattern];
        for r in rect.row..rect.row + rect.rows {
            for c in rect.channel..rect.channel + rect.channels {
                f((r - rect.row, c - rect.channel), p.cell_mut(r, c));
            }
        }
        self.edited();
    }

    /// Changes the cell under the cursor and moves on by the edit step.
    fn write_cell(&mut self, f: impl FnOnce(&mut Cell) -> Result<(), String>) {
        if self.change_cursor_cell(f) {
            self.advance();
        }
    }

    /// Changes the cell under the cursor as one undoable edit; refused (and `false`) when
    /// edit mode is off, or when `f` says the value is not allowed.
    fn change_cursor_cell(&mut self, f: impl FnOnce(&mut Cell) -> Result<(), String>) -> bool {
        if !self.edit_mode {
            self.error("edit mode is off (Ctrl+E turns it on)");
            return false;
        }
        let mut cell = self.pattern().cell(self.cursor.row, self.cursor.channel);
        if let Err(e) = f(&mut cell) {
            self.error(e);
            return false;
        }
        let rect = self.block_at_cursor();
        self.edit_block(rect, |_, c| *c = cell);
        true
    }

    fn block_at_cursor(&self) -> Rect {
        Rect {
            row: self.cursor.row,
            channel: self.cursor.channel,
            rows: 1,
            channels: 1,
        }
    }

    /// Moves down by the edit step, wrapping at the end of the pattern.
    pub(super) fn advance(&mut self) {
        let length = self.pattern().length();
        self.cursor.row = (self.cursor.row + self.edit_step) % length;
    }

    fn enter_note(&mut self, semitones: u8) {
        let Some(pitch) = Pitch::new(self.octave * 12 + semitones) else {
            self.error("that note is above B-9");
            return;
        };
        let pitch = if self.scale_lock {
            self.song.key.snap(pitch)
        } else {
            pitch
        };
        self.preview = Some(NotePreview {
            pitch,
            instrument: self.instrument,
            channel: self.cursor.channel,
        });
        if !self.edit_mode {
            self.info(format!("{pitch} (edit mode is off: nothing written)"));
            return;
        }
        if self.chord_entry.on {
            self.enter_chord(pitch);
            return;
        }
        self.write_note(pitch, None);
    }

    /// Writes `pitch` (and the current instrument, and `volume` if given) at the cursor
    /// and moves on: a piano key's or a MIDI key's entry.
    pub(super) fn write_note(&mut self, pitch: Pitch, volume: Option<u8>) {
        let instrument = (self.instrument > 0).then_some(self.instrument);
        self.write_cell(|cell| {
            cell.note = NoteField::On(pitch);
            cell.instrument = instrument.or(cell.instrument);
            if volume.is_some() {
                cell.volume = volume;
            }
            Ok(())
        });
        if !self.song.key.contains(pitch) {
            self.info(format!("{pitch} is outside {}", self.song.key));
        }
    }

    /// One hex digit into the instrument, volume or effect field under the cursor.
    fn enter_digit(&mut self, digit: u8) {
        let column = self.cursor.column;
        let instruments = self.song.instruments.len();
        let set_nibble = |value: u8, position: u8| -> u8 {
            if position == 0 {
                (value & 0x0F) | (digit << 4)
            } else {
                (value & 0xF0) | digit
            }
        };
        self.write_cell_in_place(|cell| match column {
            Column::Note | Column::Lane => Ok(()),
            Column::Instrument(pos) => {
                let value = set_nibble(cell.instrument.unwrap_or(0), pos);
                if usize::from(value) > instruments {
                    return Err(format!(
                        "instrument {value:02X} does not exist (the song has {instruments:02X})"
                    ));
                }
                cell.instrument = (value > 0).then_some(value);
                Ok(())
            }
            Column::Volume(pos) => {
                cell.volume = Some(set_nibble(cell.volume.unwrap_or(0), pos).min(MAX_VOLUME));
                Ok(())
            }
            Column::Effect(0) => {
                let param = cell.effect.map_or(0, |e| e.param);
                cell.effect = Some(effect_with_command(digit, param)?);
                Ok(())
            }
            Column::Effect(pos) => {
                let old = cell.effect.unwrap_or(Effect {
                    kind: EffectKind::Arpeggio,
                    param: 0,
                });
                let text = format!("{old}");
                let mut digits: Vec<char> = text.chars().collect();
                digits[usize::from(pos)] = char::from_digit(u32::from(digit), 16)
                    .unwrap_or('0')
                    .to_ascii_uppercase();
                let text: String = digits.into_iter().collect();
                cell.effect = Some(
                    text.parse::<Effect>()
                        .or_else(|_| clamp_volume_effect(&text))?,
                );
                Ok(())
            }
        });
    }

    /// `S`, `Z` or `W` typed on the effect column's command digit, keeping the parameter.
    fn enter_param_command(&mut self, letter: char) {
        if self.cursor.column != Column::Effect(0) {
            self.error(format!(
                "{letter} is an effect command: type it on the effect column's first digit"
            ));
            return;
        }
        self.write_cell_in_place(|cell| {
            let param = cell.effect.map_or(0, |e| e.param);
            cell.effect = Some(format!("{letter}{param:02X}").parse()?);
            Ok(())
        });
    }

    /// Like `write_cell`, but steps to the next digit of the field (and on by the edit
    /// step after its last digit), as trackers do.
    fn write_cell_in_place(&mut self, f: impl FnOnce(&mut Cell) -> Result<(), String>) {
        if !self.change_cursor_cell(f) {
            return;
        }
        self.cursor.column = match self.cursor.column {
            Column::Instrument(0) => Column::Instrument(1),
            Column::Volume(0) => Column::Volume(1),
            Column::Effect(d) if d < 2 => Column::Effect(d + 1),
            Column::Instrument(_) => {
                self.advance();
                Column::Instrument(0)
            }
            Column::Volume(_) => {
                self.advance();
                Column::Volume(0)
            }
            _ => {
                self.advance();
                Column::Effect(0)
            }
        };
    }

    /// Insert (or delete) a row at the cursor in the cursor's channel.
    fn shift_rows(&mut self, insert: bool) {
        if !self.edit_mode {
            self.error("edit mode is off (Ctrl+E turns it on)");
            return;
        }
        let length = self.pattern().length();
        let rect = Rect {
            row: self.cursor.row,
            channel: self.cursor.channel,
            rows: length - self.cursor.row,
            channels: 1,
        };
        let before = self.copy_block(rect).cells;
        self.edit_block(rect, |(r, _), cell| {
            *cell = if insert {
                if r == 0 { Cell::EMPTY } else { before[r - 1] }
            } else {
                before.get(r + 1).copied().unwrap_or(Cell::EMPTY)
            };
        });
    }

    /// Cuts the block, and the shown lane's points in its rows with it (as copy takes
    /// them); a lane left without points keeps one at row 0 holding the value it had at
    /// the block's top, so the parameter does not jump back to its set value.
    fn cut(&mut self) {
        let rect = self.block();
        let clip = self.copy_block(rect);
        let cut_points = clip.lane.as_ref().is_some_and(|(_, p)| !p.is_empty());
        self.clipboard = Some(clip);
        if !cut_points {
            self.edit_block(rect, |_, cell| *cell = Cell::EMPTY);
            return;
        }
        let target = self.lane.expect("points were copied from the shown lane");
        let index = self.cursor.pattern;
        self.begin_edit(Scope::Pattern(index));
        let p = &mut self.song.patterns[index];
        for r in rect.row..rect.row + rect.rows {
            for c in rect.channel..rect.channel + rect.channels {
                *p.cell_mut(r, c) = Cell::EMPTY;
            }
        }
        if let Some(lane) = p.automation.iter_mut().find(|l| l.target == target) {
            let (top, end) = (rect.row as f32, (rect.row + rect.rows) as f32);
            let held = lane.value_at(rect.row as f64);
            lane.points.retain(|p| p.row < top || p.row >= end);
            if let (true, Some(value)) = (lane.points.is_empty(), held) {
                lane.points.push(Point {
                    row: 0.0,
                    value,
                    curve: crate::song::automation::Curve::Linear,
                });
            }
        }
        self.edited();
    }

    fn paste(&mut self, mix: bool) {
        let Some(clip) = self.clipboard.clone() else {
            self.error("nothing copied yet (Ctrl+C copies the selection)");
            return;
        };
        let p = self.pattern();
        let rect = Rect {
            row: self.cursor.row,
            channel: self.cursor.channel,
            rows: clip.rows.min(p.length() - self.cursor.row),
            channels: clip.channels.min(p.channels() - self.cursor.channel),
        };
        let instruments = self.song.instruments.len();
        if clip
            .cells
            .iter()
            .any(|c| c.instrument.is_some_and(|i| usize::from(i) > instruments))
        {
            self.error("the copied notes use an instrument this song does not have");
            return;
        }
        let paste_cell = |(r, c): (usize, usize), cell: &mut Cell| {
            let from = clip.cells[r * clip.channels + c];
            if mix {
                if from.note != NoteField::Empty {
                    cell.note = from.note;
                }
                cell.instrument = from.instrument.or(cell.instrument);
                cell.volume = from.volume.or(cell.volume);
                cell.effect = from.effect.or(cell.effect);
            } else {
                *cell = from;
            }
        };
        match &clip.lane {
            Some((target, points)) if !points.is_empty() => {
                // Lane points come along: the edit covers the pattern, lanes included.
                let index = self.cursor.pattern;
                self.begin_edit(Scope::Pattern(index));
                let p = &mut self.song.patterns[index];
                for r in rect.row..rect.row + rect.rows {
                    for c in rect.channel..rect.channel + rect.channels {
                        paste_cell((r - rect.row, c - rect.channel), p.cell_mut(r, c));
                    }
                }
                let (top, end) = (rect.row as f32, (rect.row + rect.rows) as f32);
                let lane = match p.automation.iter().position(|l| l.target == *target) {
                    Some(i) => &mut p.automation[i],
                    None => {
                        p.automation.push(Lane {
                            target: *target,
                            points: Vec::new(),
                        });
                        p.automation.last_mut().expect("just pushed")
                    }
                };
                if !mix {
                    lane.points.retain(|p| p.row < top || p.row >= end);
                }
                for point in points {
                    let row = point.row + top;
                    if row < end {
                        lane.points.retain(|p| p.row != row);
                        lane.points.push(Point { row, ..*point });
                    }
                }
                lane.points.sort_by(|a, b| {
                    a.row
                        .partial_cmp(&b.row)
                        .unwrap_or(std::cmp::Ordering::Equal)
                });
                self.edited();
            }
            _ => self.edit_block(rect, paste_cell),
        }
        self.info(format!(
            "{} {} rows x {} channels",
            if mix { "mix-pasted" } else { "pasted" },
            rect.rows,
            rect.channels
        ));
    }

    fn transpose(&mut self, semitones: i32) {
        let rect = self.block();
        let mut outside = 0;
        let p = self.pattern();
        for r in rect.row..rect.row + rect.rows {
            for c in rect.channel..rect.channel + rect.channels {
                if let NoteField::On(pitch) = p.cell(r, c).note
                    && pitch.transpose(semitones).is_none()
                {
                    outside += 1;
                }
            }
        }
        self.edit_block(rect, |_, cell| {
            if let NoteField::On(pitch) = cell.note
                && let Some(moved) = pitch.transpose(semitones)
            {
                cell.note = NoteField::On(moved);
            }
        });
        if outside > 0 {
            self.error(format!(
                "{outside} notes would leave C-0..B-9 and stayed put"
            ));
        } else {
            self.info(format!("transposed {semitones:+} semitones"));
        }
    }

    /// Fills the rows between the first and last row of the selection, per channel,
    /// with values on the straight line between theirs.
    fn interpolate(&mut self) {
        let Some(sel) = self.selection else {
            self.error("select the rows to interpolate first (Shift+Down)");
            return;
        };
        let rect = sel.rect();
        if rect.rows < 3 {
            self.error("select at least three rows to interpolate");
            return;
        }
        let effects = matches!(self.cursor.column, Column::Effect(_));
        let p = self.pattern();
        let last = rect.row + rect.rows - 1;
        let mut ends = Vec::new();
        for c in rect.channel..rect.channel + rect.channels {
            let (a, b) = (p.cell(rect.row, c), p.cell(last, c));
            let pair = if effects {
                match (a.effect, b.effect) {
                    (Some(x), Some(y)) if x.kind == y.kind && !is_nibble_command(x.kind) => {
                        Some((x.param, y.param, Some(x.kind)))
                    }
                    _ => None,
                }
            } else {
                a.volume.zip(b.volume).map(|(x, y)| (x, y, None))
            };
            ends.push(pair);
        }
        if ends.iter().all(Option::is_none) {
            self.error(if effects {
                "the first and last rows need the same effect (not an E command) to interpolate"
            } else {
                "the first and last rows need volumes to interpolate"
            });
            return;
        }
        let span = (rect.rows - 1) as f32;
        self.edit_block(rect, |(r, c), cell| {
            if let Some((from, to, kind)) = ends[c] {
                let t = r as f32 / span;
                let value = (f32::from(from) + (f32::from(to) - f32::from(from)) * t).round() as u8;
                match kind {
                    Some(kind) => {
                        let value = if kind == EffectKind::SetVolume {
                            value.min(MAX_VOLUME)
                        } else {
                            value
                        };
                        cell.effect = Some(Effect { kind, param: value });
                    }
                    None => cell.volume = Some(value),
                }
            }
        });
        self.info(if effects {
            "interpolated effect values"
        } else {
            "interpolated volumes"
        });
    }

    pub fn unique_pattern_name(&self, base: &str) -> String {
        (1..)
            .map(|n| format!("{base} {n}"))
            .find(|name| self.song.pattern_index(name).is_none())
            .expect("some number is free")
    }

    fn add_pattern(&mut self, pattern: Pattern) {
        if self.song.patterns.len() >= 256 {
            self.error("a song holds at most 256 patterns");
            return;
        }
        self.begin_edit(Scope::Pattern(self.song.patterns.len()));
        self.song.patterns.push(pattern);
        self.edited();
        self.show_pattern(self.song.patterns.len() - 1);
    }

    pub fn new_pattern(&mut self, name: &str) {
        if name.is_empty() || self.song.pattern_index(name).is_some() {
            self.error(format!("\"{name}\": give a name no other pattern has"));
            return;
        }
        let length = self.song.rows_per_bar() * 8;
        let pattern = Pattern::new(name, length.clamp(1, MAX_ROWS), self.song.channel_count());
        self.add_pattern(pattern);
    }

    pub fn rename_pattern(&mut self, name: &str) {
        let old = self.pattern().name.clone();
        if name == old {
            return;
        }
        if name.is_empty() || self.song.pattern_index(name).is_some() {
            self.error(format!("\"{name}\": give a name no other pattern has"));
            return;
        }
        let index = self.cursor.pattern;
        self.begin_edit(Scope::Pattern(index));
        self.song.patterns[index].name = name.to_owned();
        for entry in &mut self.song.arrangement {
            if entry.pattern == old {
                entry.pattern = name.to_owned();
            }
        }
        self.edited();
        self.info(format!("renamed \"{old}\" to \"{name}\""));
    }

    pub fn set_pattern_length_text(&mut self, text: &str) {
        match text.parse::<usize>() {
            Ok(n) if (1..=MAX_ROWS).contains(&n) => self.set_pattern_length(n),
            _ => self.error(format!("\"{text}\" is not a length (1 to {MAX_ROWS} rows)")),
        }
    }

    pub fn set_pattern_length(&mut self, length: usize) {
        if length == self.pattern().length() {
            return;
        }
        let index = self.cursor.pattern;
        self.begin_edit(Scope::Pattern(index));
        self.song.patterns[index].set_length(length);
        self.edited();
        self.clamp_places();
        self.info(format!("pattern length {length} rows"));
    }

    /// Scrolls the grid sideways so the cursor's channel shows.
    pub(super) fn keep_cursor_visible(&mut self) {
        self.clamp_places();
        let visible = visible_channels(self.screen.0);
        let c = self.cursor.channel;
        if c < self.channel_scroll {
            self.channel_scroll = c;
        } else if c >= self.channel_scroll + visible {
            self.channel_scroll = c + 1 - visible;
        }
        let max_scroll = self.pattern().channels().saturating_sub(visible);
        self.channel_scroll = self.channel_scroll.min(max_scroll);
    }
}

fn is_nibble_command(kind: EffectKind) -> bool {
    matches!(
        kind,
        EffectKind::Retrigger | EffectKind::NoteCut | EffectKind::NoteDelay
    )
}

/// The effect a command digit makes, keeping the parameter where it still means something.
fn effect_with_command(digit: u8, param: u8) -> Result<Effect, String> {
    let letter = char::from_digit(u32::from(digit), 16)
        .unwrap_or('0')
        .to_ascii_uppercase();
    let text = match letter {
        // E commands live in the high digit of the parameter: start with a cut.
        'E' => format!("EC{:X}", param & 0x0F),
        _ => format!("{letter}{param:02X}"),
    };
    text.parse::<Effect>()
        .or_else(|_| clamp_volume_effect(&text))
}

/// `C` sets the volume, so a typed parameter above 40 becomes 40.
fn clamp_volume_effect(text: &str) -> Result<Effect, String> {
    if text.starts_with('C') {
        Ok(Effect {
            kind: EffectKind::SetVolume,
            param: MAX_VOLUME,
        })
    } else {
        text.parse()
    }
}

// ----- drawing -----

pub fn draw(frame: &mut Frame, area: Area, app: &App) {
    let p = app.pattern();
    let lane = app.shown_lane();
    let lane_width = if lane.is_some() { lanes::LANE_WIDTH } else { 0 };
    let visible = visible_channels(area.width.saturating_sub(lane_width));
    // Drawing must show the cursor even if `update` scrolled for another width.
    let mut first = app.channel_scroll.min(p.channels().saturating_sub(visible));
    if app.cursor.channel < first {
        first = app.cursor.channel;
    } else if app.cursor.channel >= first + visible {
        first = app.cursor.channel + 1 - visible;
    }
    let last = (first + visible).min(p.channels());
    let rows_per_bar = app.song.rows_per_bar().max(1);
    let rows_per_beat = usize::from(app.song.rows_per_beat).max(1);
    let selection = app.selection.map(|s| s.rect());

    let mut lines = Vec::with_capacity(usize::from(area.height));
    let mut sel_text = selection.map_or(String::new(), |r| {
        format!("  sel {}x{}", r.rows, r.channels)
    });
    // A pattern's own groove (`:groove pattern ...`) shows, since it overrides the song's.
    if let Some(groove) = &p.groove {
        sel_text = format!("  groove {groove}{sel_text}");
    }
    lines.push(Line::from(vec![
        Span::styled(
            format!(" {:02} {}", app.cursor.pattern, p.name),
            theme::TITLE,
        ),
        Span::raw(format!(
            "  {}/{} patterns  {} rows  {}  ch {}-{}/{}{}",
            app.cursor.pattern + 1,
            app.song.patterns.len(),
            p.length(),
            app.song.key,
            first + 1,
            last,
            p.channels(),
            sel_text
        )),
    ]));
    let mut header = vec![Span::raw(" ".repeat(usize::from(ROW_NUMBER_WIDTH)))];
    for c in first..last {
        let strip = &app.song.mixer.channels[c];
        let mut name: String = format!("{:>2} {}", c + 1, strip.name)
            .chars()
            .take(13)
            .collect();
        while name.chars().count() < 13 {
            name.push(' ');
        }
        let style = if strip.mute {
            theme::MUTED
        } else {
            theme::HEADER
        };
        header.push(Span::raw("│"));
        header.push(Span::styled(name, style));
    }
    if let Some(lane) = lane {
        header.push(lanes::header(lane));
    }
    lines.push(Line::from(header));

    let grid_rows = usize::from(area.height.saturating_sub(2));
    let top = app.cursor.row as isize - (grid_rows / 2) as isize;
    for i in 0..grid_rows {
        let row = top + i as isize;
        if row < 0 || row as usize >= p.length() {
            lines.push(Line::raw(""));
            continue;
        }
        let row = row as usize;
        let is_cursor_row = row == app.cursor.row;
        let base = if is_cursor_row {
            theme::CURSOR_ROW
        } else if row.is_multiple_of(rows_per_bar) {
            theme::BAR_ROW
        } else if row.is_multiple_of(rows_per_beat) {
            theme::BEAT_ROW
        } else {
            Style::default()
        };
        let number_style = if row.is_multiple_of(rows_per_beat) {
            base.patch(theme::BEAT_NUMBER)
        } else {
            base.patch(theme::ROW_NUMBER)
        };
        let mut spans = vec![Span::styled(format!("{row:03} "), number_style)];
        for c in first..last {
            let cell = p.cell(row, c);
            let selected = selection.is_some_and(|r| r.contains(row, c));
            let style = if selected {
                base.patch(theme::SELECTED)
            } else {
                base
            };
            spans.push(Span::styled("│", style.patch(theme::SEPARATOR)));
            let cursor_column =
                (is_cursor_row && c == app.cursor.channel && app.cursor.column != Column::Lane)
                    .then_some(app.cursor.column);
            push_cell(&mut spans, cell, style, cursor_column, app);
        }
        if let Some(lane) = lane {
            let in_lane = app.cursor.column == Column::Lane;
            let selected =
                in_lane && selection.is_some_and(|r| (r.row..r.row + r.rows).contains(&row));
            let style = if selected {
                base.patch(theme::SELECTED)
            } else {
                base
            };
            spans.extend(lanes::cell(lane, row, style, in_lane && is_cursor_row));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

/// The cell's four fields, coloured by kind; the cursor's digit reversed; notes outside
/// the song's key marked.
fn push_cell(
    spans: &mut Vec<Span<'static>>,
    cell: Cell,
    base: Style,
    cursor: Option<Column>,
    app: &App,
) {
    let text = cell.to_string();
    let note_style = match cell.note {
        NoteField::On(p) if !app.song.key.contains(p) => theme::OUT_OF_KEY,
        NoteField::On(_) => theme::NOTE,
        NoteField::Off => theme::NOTE_OFF,
        NoteField::Empty => theme::EMPTY,
    };
    let field_style = |filled: bool, kind: Style| -> Style {
        if filled {
            base.patch(kind)
        } else {
            base.patch(theme::EMPTY)
        }
    };
    let parts: [(std::ops::Range<usize>, Style); 4] = [
        (0..3, base.patch(note_style)),
        (
            4..6,
            field_style(cell.instrument.is_some(), theme::INSTRUMENT),
        ),
        (7..9, field_style(cell.volume.is_some(), theme::VOLUME)),
        (10..13, field_style(cell.effect.is_some(), theme::EFFECT)),
    ];
    let cursor_span = cursor.map(|c| c.span());
    let mut at = 0;
    for (range, style) in parts {
        if range.start > at {
            spans.push(Span::styled(text[at..range.start].to_owned(), base));
        }
        match cursor_span {
            Some((start, width)) if start >= range.start && start < range.end => {
                if start > range.start {
                    spans.push(Span::styled(text[range.start..start].to_owned(), style));
                }
                spans.push(Span::styled(
                    text[start..start + width].to_owned(),
                    style.add_modifier(Modifier::REVERSED),
                ));
                if start + width < range.end {
                    spans.push(Span::styled(
                        text[start + width..range.end].to_owned(),
                        style,
                    ));
                }
            }
            _ => spans.push(Span::styled(text[range.clone()].to_owned(), style)),
        }
        at = range.end;
    }
}
