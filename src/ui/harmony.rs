//! Harmony from the command line: scale lock, a chord on the note under the cursor, a
//! progression filling the pattern, and moving the song to another key.

use super::action::Action;
use super::app::{App, Rect, Scope};
use crate::song::theory::{
    self, ArpDirection, ChordShape, KeyChange, ProgressionFill, change_key, parse_progression,
};
use crate::song::{Key, NoteField, Pitch};

/// Chord entry from the keyboard: while on, a piano key writes the whole chord built on
/// the note's scale degree across the cursor's channel and those to its right.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChordEntry {
    pub on: bool,
    pub shape: ChordShape,
    /// 0 is root position; at most the chord's note count less one.
    pub inversion: usize,
}

impl Default for ChordEntry {
    fn default() -> ChordEntry {
        ChordEntry {
            on: false,
            shape: ChordShape::Triad,
            inversion: 0,
        }
    }
}

impl ChordEntry {
    /// What the status line shows while chord entry is on, e.g. `CHORD 7th inv 1`.
    pub fn label(&self) -> String {
        match self.inversion {
            0 => format!("CHORD {}", self.shape.name()),
            n => format!("CHORD {} inv {n}", self.shape.name()),
        }
    }
}

impl App {
    /// The chord-entry keys: on/off, a shape (which also turns it on), the next inversion.
    pub(super) fn chord_entry_action(&mut self, action: Action) {
        let entry = &mut self.chord_entry;
        match action {
            Action::ToggleChordMode => entry.on = !entry.on,
            Action::ChordShape(shape) => {
                entry.on = true;
                entry.shape = shape;
                entry.inversion = entry.inversion.min(shape.note_count() - 1);
            }
            Action::NextInversion => {
                entry.on = true;
                entry.inversion = (entry.inversion + 1) % entry.shape.note_count();
            }
            _ => return,
        }
        let text = if self.chord_entry.on {
            format!(
                "chord entry: {} (a piano key writes the chord from this channel rightwards)",
                self.chord_entry.label().to_lowercase()
            )
        } else {
            "chord entry off".to_owned()
        };
        self.info(text);
    }

    /// A piano key in chord entry: the chord on `root` at the cursor, then the edit step.
    pub(super) fn enter_chord(&mut self, root: Pitch) {
        let instrument = (self.instrument > 0).then_some(self.instrument);
        let ChordEntry {
            shape, inversion, ..
        } = self.chord_entry;
        match self.write_chord_on(root, instrument, shape, inversion) {
            Ok(()) => self.advance(),
            Err(e) => self.error(e),
        }
    }

    /// Writes `shape` built on the note under the cursor across it and the channels to
    /// its right, all on the same row.
    pub(super) fn write_chord(
        &mut self,
        shape: ChordShape,
        inversion: usize,
    ) -> Result<(), String> {
        let cell = self.pattern().cell(self.cursor.row, self.cursor.channel);
        let NoteField::On(root) = cell.note else {
            return Err("put the cursor on a note: the chord is built on it".into());
        };
        let instrument = cell
            .instrument
            .or((self.instrument > 0).then_some(self.instrument));
        self.write_chord_on(root, instrument, shape, inversion)
    }

    /// Writes `shape` built on `root`'s scale degree across the cursor's channel and the
    /// channels to its right on the cursor's row, as one undoable edit.
    pub(super) fn write_chord_on(
        &mut self,
        root: Pitch,
        instrument: Option<u8>,
        shape: ChordShape,
        inversion: usize,
    ) -> Result<(), String> {
        let notes = theory::chord(self.song.key, root, shape, inversion);
        let channels = self.song.channel_count() - self.cursor.channel;
        if notes.len() > channels {
            return Err(format!(
                "a {} needs {} channels from the cursor; there are {channels}",
                shape.name(),
                notes.len()
            ));
        }
        let rect = Rect {
            row: self.cursor.row,
            channel: self.cursor.channel,
            rows: 1,
            channels: notes.len(),
        };
        self.edit_block(rect, |(_, c), target| {
            target.note = NoteField::On(notes[c]);
            target.instrument = instrument;
        });
        let names: Vec<String> = notes.iter().map(ToString::to_string).collect();
        self.info(format!("{} on {root}: {}", shape.name(), names.join(" ")));
        Ok(())
    }

    /// Fills the shown pattern from `args`: `PROGRESSION [RHYTHM] [arp up|down|updown ROWS]`.
    pub(super) fn fill_progression(&mut self, args: &str) -> Result<(), String> {
        let mut words = args.split_whitespace();
        let chords = parse_progression(words.next().unwrap_or(""))?;
        let mut rhythm = "x".to_owned();
        let mut arpeggio = None;
        while let Some(word) = words.next() {
            if word == "arp" {
                let direction: ArpDirection = words.next().unwrap_or("up").parse()?;
                let rate = match words.next() {
                    Some(n) => n
                        .parse::<usize>()
                        .ok()
                        .filter(|&n| (1..=64).contains(&n))
                        .ok_or_else(|| format!("arp rows \"{n}\": give 1 to 64"))?,
                    None => 1,
                };
                arpeggio = Some((direction, rate));
            } else {
                rhythm = word.to_owned();
            }
        }
        let fill = ProgressionFill {
            chords: &chords,
            octave: self.octave,
            first_channel: self.cursor.channel,
            instrument: self.instrument.max(1),
            rhythm: &rhythm,
            arpeggio,
        };
        let index = self.cursor.pattern;
        let mut pattern = self.song.patterns[index].clone();
        theory::fill_progression(&mut pattern, self.song.key, self.song.rows_per_bar(), &fill)?;
        self.begin_edit(Scope::Pattern(index));
        self.song.patterns[index] = pattern;
        self.edited();
        self.info(format!("{} chords over the pattern", chords.len()));
        Ok(())
    }

    /// Sets the song's key and moves every note of every pattern into it.
    pub(super) fn move_to_key(&mut self, to: Key, how: KeyChange) -> Result<(), String> {
        let from = self.song.key;
        let mut song = self.song.clone();
        for pattern in &mut song.patterns {
            for row in 0..pattern.length() {
                for ch in 0..pattern.channels() {
                    let cell = pattern.cell_mut(row, ch);
                    if let NoteField::On(p) = cell.note {
                        let moved = change_key(p, from, to, how)
                            .ok_or_else(|| format!("{p} would leave the grid (C-0 to B-9)"))?;
                        cell.note = NoteField::On(moved);
                    }
                }
            }
        }
        song.key = to;
        self.begin_edit(Scope::Whole);
        self.song = song;
        self.edited();
        self.info(format!("moved from {from} to {to}"));
        Ok(())
    }
}

/// `:chord [SHAPE] [INVERSION]`: the shape by name (triad, 7th, sus2, sus4, add9).
pub(super) fn chord_args(args: &str) -> Result<(ChordShape, usize), String> {
    let mut shape = ChordShape::Triad;
    let mut inversion = 0;
    for word in args.split_whitespace() {
        if let Ok(n) = word.parse::<usize>() {
            if n > 3 {
                return Err(format!("inversion {n}: give 0 to 3"));
            }
            inversion = n;
        } else {
            shape = ChordShape::ALL
                .into_iter()
                .find(|s| s.name() == word)
                .ok_or_else(|| {
                    format!("\"{word}\" is not a chord shape (triad, 7th, sus2, sus4, add9)")
                })?;
        }
    }
    Ok((shape, inversion))
}

/// `:rekey ROOT SCALE [chromatic]`: diatonic unless told otherwise.
pub(super) fn rekey_args(args: &str) -> Result<(Key, KeyChange), String> {
    let (key_text, how) = match args.trim().strip_suffix("chromatic") {
        Some(rest) => (rest.trim(), KeyChange::Chromatic),
        None => (
            args.trim().trim_end_matches("diatonic").trim(),
            KeyChange::Diatonic,
        ),
    };
    Ok((key_text.parse()?, how))
}
