//! One cell of the pattern grid, written the way a tracker shows it: `C-4 01 40 A0F`
//! (note, instrument, volume, effect). Empty fields are dots.

use super::note::Pitch;
use std::fmt;
use std::str::FromStr;

/// Highest value of the volume column (FastTracker 2's 0x40).
pub const MAX_VOLUME: u8 = 0x40;

/// What the note field of a cell says.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum NoteField {
    #[default]
    Empty,
    On(Pitch),
    /// Releases the playing note (its envelope goes to its release stage).
    Off,
}

/// Effect commands the engine plays. Letters follow FastTracker 2 where they overlap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EffectKind {
    /// `0xy` — cycle the note, +x and +y semitones, every tick.
    Arpeggio,
    /// `1xx` — slide pitch up xx/16 semitones per tick.
    PortaUp,
    /// `2xx` — slide pitch down xx/16 semitones per tick.
    PortaDown,
    /// `3xx` — glide toward the cell's note at xx/16 semitones per tick (00 = keep going).
    TonePorta,
    /// `4xy` — vibrato, speed x, depth y.
    Vibrato,
    /// `8xx` — pan, 00 left, 80 centre, FF right.
    Pan,
    /// `9xx` — start the sample at xx * 256 frames.
    SampleOffset,
    /// `Axy` — volume slide up x or down y per tick.
    VolumeSlide,
    /// `Bxx` — jump to order-list entry xx after this row.
    PositionJump,
    /// `Cxx` — set volume (00-40).
    SetVolume,
    /// `Dxx` — break to row xx of the next entry.
    PatternBreak,
    /// `E9x` — retrigger the note every x ticks.
    Retrigger,
    /// `ECx` — cut the note after x ticks.
    NoteCut,
    /// `EDx` — delay the note by x ticks.
    NoteDelay,
    /// `Fxx` — below 20: ticks per row; 20 and up: tempo in BPM.
    SpeedTempo,
    /// `Sxx` — pick the channel's parameter xx for `Z` and `W`: below 40 its instrument's
    /// (numbered as `song::automation::InstrumentParam`), from 40 its strip's.
    ParamSelect,
    /// `Zxx` — set the picked parameter to xx/FF of its range.
    ParamSet,
    /// `Wxx` — glide the picked parameter to xx/FF of its range over this row.
    ParamGlide,
}

/// An effect command with its parameter byte, e.g. `A0F`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Effect {
    pub kind: EffectKind,
    pub param: u8,
}

impl Effect {
    /// The two hex digits of the parameter, e.g. (0, 15) for `A0F`.
    pub fn nibbles(self) -> (u8, u8) {
        (self.param >> 4, self.param & 0x0F)
    }

    fn letter_and_param(self) -> (char, u8) {
        let (hi, lo) = self.nibbles();
        match self.kind {
            EffectKind::Arpeggio => ('0', self.param),
            EffectKind::PortaUp => ('1', self.param),
            EffectKind::PortaDown => ('2', self.param),
            EffectKind::TonePorta => ('3', self.param),
            EffectKind::Vibrato => ('4', self.param),
            EffectKind::Pan => ('8', self.param),
            EffectKind::SampleOffset => ('9', self.param),
            EffectKind::VolumeSlide => ('A', self.param),
            EffectKind::PositionJump => ('B', self.param),
            EffectKind::SetVolume => ('C', self.param),
            EffectKind::PatternBreak => ('D', self.param),
            EffectKind::Retrigger => ('E', 0x90 | lo),
            EffectKind::NoteCut => ('E', 0xC0 | lo),
            EffectKind::NoteDelay => ('E', 0xD0 | lo),
            EffectKind::SpeedTempo => ('F', (hi << 4) | lo),
            EffectKind::ParamSelect => ('S', self.param),
            EffectKind::ParamSet => ('Z', self.param),
            EffectKind::ParamGlide => ('W', self.param),
        }
    }
}

const EFFECTS_ALLOWED: &str = "0xy arpeggio, 1xx/2xx portamento, 3xx tone portamento, 4xy vibrato, \
8xx pan, 9xx sample offset, Axy volume slide, Bxx jump, Cxx volume, Dxx break, \
E9x retrigger, ECx cut, EDx delay, Fxx speed/tempo, Sxx pick parameter, Zxx set it, \
Wxx glide it";

impl FromStr for Effect {
    type Err = String;
    fn from_str(s: &str) -> Result<Effect, String> {
        let bad = || format!("effect \"{s}\" is not one of: {EFFECTS_ALLOWED}");
        if s.len() != 3 || !s.is_ascii() {
            return Err(bad());
        }
        let letter = s.as_bytes()[0].to_ascii_uppercase();
        let param = u8::from_str_radix(&s[1..], 16).map_err(|_| bad())?;
        let kind = match letter {
            b'0' => EffectKind::Arpeggio,
            b'1' => EffectKind::PortaUp,
            b'2' => EffectKind::PortaDown,
            b'3' => EffectKind::TonePorta,
            b'4' => EffectKind::Vibrato,
            b'8' => EffectKind::Pan,
            b'9' => EffectKind::SampleOffset,
            b'A' => EffectKind::VolumeSlide,
            b'B' => EffectKind::PositionJump,
            b'C' => EffectKind::SetVolume,
            b'D' => EffectKind::PatternBreak,
            b'E' => match param >> 4 {
                0x9 => EffectKind::Retrigger,
                0xC => EffectKind::NoteCut,
                0xD => EffectKind::NoteDelay,
                _ => return Err(bad()),
            },
            b'F' => EffectKind::SpeedTempo,
            b'S' => EffectKind::ParamSelect,
            b'Z' => EffectKind::ParamSet,
            b'W' => EffectKind::ParamGlide,
            _ => return Err(bad()),
        };
        if kind == EffectKind::SetVolume && param > MAX_VOLUME {
            return Err(format!("effect \"{s}\": volume goes from 00 to 40"));
        }
        Ok(Effect { kind, param })
    }
}

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (letter, param) = self.letter_and_param();
        write!(f, "{letter}{param:02X}")
    }
}

/// One step of one channel.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Cell {
    pub note: NoteField,
    /// 1-based instrument number as shown in the grid; `None` keeps the channel's last one.
    pub instrument: Option<u8>,
    /// 00-40; `None` plays at the instrument's full volume.
    pub volume: Option<u8>,
    pub effect: Option<Effect>,
}

impl Cell {
    pub const EMPTY: Cell = Cell {
        note: NoteField::Empty,
        instrument: None,
        volume: None,
        effect: None,
    };

    pub fn is_empty(&self) -> bool {
        *self == Cell::EMPTY
    }

    pub fn note(pitch: Pitch, instrument: u8) -> Cell {
        Cell {
            note: NoteField::On(pitch),
            instrument: Some(instrument),
            ..Cell::EMPTY
        }
    }
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.note {
            NoteField::Empty => f.write_str("---")?,
            NoteField::Off => f.write_str("OFF")?,
            NoteField::On(p) => write!(f, "{p}")?,
        }
        match self.instrument {
            Some(i) => write!(f, " {i:02X}")?,
            None => f.write_str(" ..")?,
        }
        match self.volume {
            Some(v) => write!(f, " {v:02X}")?,
            None => f.write_str(" ..")?,
        }
        match self.effect {
            Some(e) => write!(f, " {e}"),
            None => f.write_str(" ..."),
        }
    }
}

fn is_blank(field: &str) -> bool {
    !field.is_empty() && field.bytes().all(|b| b == b'.' || b == b'-')
}

impl FromStr for Cell {
    type Err = String;
    /// Fields may be left off at the end (`C-4 01` is a note with an instrument).
    fn from_str(s: &str) -> Result<Cell, String> {
        let mut fields = s.split_whitespace();
        let mut cell = Cell::EMPTY;
        if let Some(note) = fields.next() {
            cell.note = match note {
                n if is_blank(n) => NoteField::Empty,
                "OFF" | "off" | "===" | "^^^" => NoteField::Off,
                n => NoteField::On(n.parse()?),
            };
        }
        if let Some(inst) = fields.next().filter(|f| !is_blank(f)) {
            let n = u8::from_str_radix(inst, 16)
                .ok()
                .filter(|&n| n > 0 && inst.len() == 2)
                .ok_or_else(|| {
                    format!("instrument \"{inst}\" is not two hex digits from 01 to FF (or ..)")
                })?;
            cell.instrument = Some(n);
        }
        if let Some(vol) = fields.next().filter(|f| !is_blank(f)) {
            let v = u8::from_str_radix(vol, 16)
                .ok()
                .filter(|&v| v <= MAX_VOLUME && vol.len() == 2)
                .ok_or_else(|| {
                    format!("volume \"{vol}\" is not two hex digits from 00 to 40 (or ..)")
                })?;
            cell.volume = Some(v);
        }
        if let Some(fx) = fields.next().filter(|f| !is_blank(f)) {
            cell.effect = Some(fx.parse()?);
        }
        if let Some(extra) = fields.next() {
            return Err(format!(
                "unexpected \"{extra}\" after the effect (a cell is: note instrument volume effect, e.g. C-4 01 40 A0F)"
            ));
        }
        Ok(cell)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_read_and_write_like_a_tracker_row() {
        let cell: Cell = "C-4 01 40 A0F".parse().unwrap();
        assert_eq!(cell.note, NoteField::On("C-4".parse().unwrap()));
        assert_eq!(cell.instrument, Some(1));
        assert_eq!(cell.volume, Some(0x40));
        assert_eq!(
            cell.effect,
            Some(Effect {
                kind: EffectKind::VolumeSlide,
                param: 0x0F
            })
        );
        assert_eq!(cell.to_string(), "C-4 01 40 A0F");
        assert_eq!(Cell::EMPTY.to_string(), "--- .. .. ...");
        assert_eq!("OFF".parse::<Cell>().unwrap().to_string(), "OFF .. .. ...");
        assert_eq!(
            "--- .. .. ED3".parse::<Cell>().unwrap().to_string(),
            "--- .. .. ED3"
        );
        assert_eq!(
            "F#2 0A".parse::<Cell>().unwrap().to_string(),
            "F#2 0A .. ..."
        );
    }

    #[test]
    fn every_effect_round_trips() {
        for text in [
            "037", "110", "2FF", "308", "464", "880", "904", "A0F", "B02", "C20", "D10", "E93",
            "EC2", "ED1", "F06", "F8C", "S41", "Z80", "WFF",
        ] {
            let e: Effect = text.parse().unwrap();
            assert_eq!(e.to_string(), text);
        }
    }

    #[test]
    fn bad_cells_say_what_is_allowed() {
        assert!("H-4".parse::<Cell>().unwrap_err().contains("not a note"));
        assert!("C-4 00".parse::<Cell>().unwrap_err().contains("01 to FF"));
        assert!(
            "C-4 01 41"
                .parse::<Cell>()
                .unwrap_err()
                .contains("00 to 40")
        );
        assert!(
            "C-4 01 40 G01"
                .parse::<Cell>()
                .unwrap_err()
                .contains("arpeggio")
        );
        assert!("C-4 01 40 E51".parse::<Cell>().unwrap_err().contains("E9x"));
        assert!(
            "C-4 01 40 A0F x"
                .parse::<Cell>()
                .unwrap_err()
                .contains("unexpected")
        );
    }
}
