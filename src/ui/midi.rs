//! Notes from a MIDI keyboard, entered and previewed like the piano keys: a note-on
//! writes the note at the cursor in edit mode (its velocity into the volume column) and
//! sounds it until its note-off.

use super::action::View;
use super::app::{App, Mode};
use crate::audio::midi_input::{MidiEvent, MidiInputs};
use crate::song::Pitch;

/// A note to start or release on the player, for `Playback` to sound.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidiNote {
    On {
        /// The MIDI key, to match its note-off.
        key: u8,
        pitch: Pitch,
        /// 1-based; 0 when the song has no instruments.
        instrument: u8,
        /// 01-40, as the volume column writes it.
        volume: u8,
    },
    Off {
        key: u8,
    },
}

/// Velocity 1-127 onto the volume column's 01-40 (127 is 40, the inverse of MIDI export).
pub fn velocity_to_volume(velocity: u8) -> u8 {
    ((u32::from(velocity) * 0x40 + 63) / 127).clamp(1, 0x40) as u8
}

impl App {
    /// One event from a MIDI input port.
    pub fn midi_event(&mut self, event: MidiEvent) {
        match event {
            MidiEvent::NoteOn { key, velocity } => {
                let Some(pitch) = Pitch::from_midi(key) else {
                    self.error(format!("MIDI note {key} is below C-0: not playable"));
                    return;
                };
                let pitch = if self.scale_lock {
                    self.song.key.snap(pitch)
                } else {
                    pitch
                };
                let volume = velocity_to_volume(velocity);
                self.midi_notes.push(MidiNote::On {
                    key,
                    pitch,
                    instrument: self.instrument,
                    volume,
                });
                let typing = !matches!(self.mode, Mode::Normal);
                if self.view == View::Pattern && self.on_note_column() && !typing {
                    if self.edit_mode {
                        self.write_note(pitch, Some(volume));
                    } else {
                        self.info(format!("{pitch} (edit mode is off: nothing written)"));
                    }
                }
            }
            MidiEvent::NoteOff { key } => self.midi_notes.push(MidiNote::Off { key }),
        }
    }
}

/// Connects to the MIDI input ports, if there are any; says so when there are. No MIDI
/// system at all is not worth a message: most machines have no MIDI keyboard.
pub fn open(app: &mut App) -> Option<MidiInputs> {
    let inputs = MidiInputs::open().ok()?;
    if inputs.ports.is_empty() {
        return None;
    }
    let ports = inputs.ports.join(", ");
    match app.message.take() {
        Some(m) => {
            let text = format!("{}; MIDI input: {ports}", m.text);
            if m.error {
                app.error(text);
            } else {
                app.info(text);
            }
        }
        None => app.info(format!("MIDI input: {ports}")),
    }
    Some(inputs)
}

/// Takes every waiting MIDI event into the app.
pub fn poll(inputs: &MidiInputs, app: &mut App) {
    inputs.drain_wake();
    while let Some(event) = inputs.try_next() {
        app.midi_event(event);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{Cell, templates};
    use std::path::PathBuf;

    fn app() -> App {
        let song = templates::starter(&templates::StarterOptions {
            tempo: 120.0,
            key: "A minor".parse().unwrap(),
            template: "basic".into(),
            title: "Test".into(),
            kit: None,
        })
        .unwrap();
        App::new(song, PathBuf::from("/nonexistent/test.json"))
    }

    #[test]
    fn velocity_maps_onto_the_volume_column_as_midi_export_reads_it() {
        assert_eq!(velocity_to_volume(127), 0x40);
        assert_eq!(velocity_to_volume(64), 0x20);
        assert_eq!(velocity_to_volume(1), 0x01);
        // The export writes volume v as round(v * 127 / 64): a round trip keeps it.
        for v in 1..=0x40u32 {
            let velocity = ((v * 127 + 32) / 64) as u8;
            assert_eq!(u32::from(velocity_to_volume(velocity)), v, "{velocity}");
        }
    }

    #[test]
    fn a_note_on_is_entered_with_its_velocity_and_previewed_until_its_note_off() {
        let mut app = app();
        app.instrument = 6;
        app.midi_event(MidiEvent::NoteOn {
            key: 64,
            velocity: 127,
        });
        let cell = app.pattern().cell(0, 0);
        assert_eq!(cell, "E-4 06 40".parse::<Cell>().unwrap());
        assert_eq!(app.cursor.row, 1, "moved on by the edit step");
        app.midi_event(MidiEvent::NoteOn {
            key: 67,
            velocity: 32,
        });
        assert_eq!(
            app.pattern().cell(1, 0),
            "G-4 06 10".parse::<Cell>().unwrap()
        );
        app.midi_event(MidiEvent::NoteOff { key: 64 });
        assert_eq!(
            app.midi_notes,
            vec![
                MidiNote::On {
                    key: 64,
                    pitch: "E-4".parse().unwrap(),
                    instrument: 6,
                    volume: 0x40
                },
                MidiNote::On {
                    key: 67,
                    pitch: "G-4".parse().unwrap(),
                    instrument: 6,
                    volume: 0x10
                },
                MidiNote::Off { key: 64 },
            ]
        );
        assert_eq!(app.preview, None, "not the piano keys' short preview");
        // One undo step per note.
        app.update(crate::ui::Action::Undo);
        assert!(app.pattern().cell(1, 0).is_empty());
    }

    #[test]
    fn outside_edit_mode_or_the_note_column_notes_only_sound() {
        let mut app = app();
        app.update(crate::ui::Action::ToggleEditMode);
        app.midi_event(MidiEvent::NoteOn {
            key: 60,
            velocity: 100,
        });
        assert!(app.pattern().cell(0, 0).is_empty());
        assert_eq!(app.midi_notes.len(), 1);
        let mut app = self::app();
        app.update(crate::ui::Action::Show(View::Instruments));
        app.midi_event(MidiEvent::NoteOn {
            key: 60,
            velocity: 100,
        });
        assert!(app.pattern().cell(0, 0).is_empty());
        assert_eq!(app.midi_notes.len(), 1);
    }

    #[test]
    fn scale_lock_snaps_midi_notes_too() {
        let mut app = app();
        app.scale_lock = true;
        // C#4 is not in A minor; it snaps down to C-4 (down on a tie).
        app.midi_event(MidiEvent::NoteOn {
            key: 61,
            velocity: 127,
        });
        let cell = app.pattern().cell(0, 0);
        assert_eq!(
            cell.note,
            crate::song::NoteField::On("C-4".parse().unwrap())
        );
    }
}
