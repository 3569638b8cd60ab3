//! Notes, keys and scales: the musical vocabulary the pattern grid is written in.

use std::fmt;
use std::str::FromStr;

const NAMES: [&str; 12] = [
    "C-", "C#", "D-", "D#", "E-", "F-", "F#", "G-", "G#", "A-", "A#", "B-",
];
const PITCH_CLASS_NAMES: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];

/// Highest note the grid can hold: B-9.
pub const MAX_PITCH: u8 = 119;

/// A pitch as the grid writes it: `C-4` is MIDI note 60 (middle C), `A-4` is 440 Hz.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pitch(u8);

impl Pitch {
    /// `semitones` counts from C-0; returns `None` past B-9.
    pub fn new(semitones: u8) -> Option<Pitch> {
        (semitones <= MAX_PITCH).then_some(Pitch(semitones))
    }
    pub fn from_midi(midi: u8) -> Option<Pitch> {
        midi.checked_sub(12).and_then(Pitch::new)
    }
    pub fn semitones(self) -> u8 {
        self.0
    }
    pub fn midi(self) -> u8 {
        self.0 + 12
    }
    pub fn octave(self) -> u8 {
        self.0 / 12
    }
    pub fn pitch_class(self) -> u8 {
        self.0 % 12
    }
    /// Moves by `delta` semitones, or `None` when that leaves C-0..B-9.
    pub fn transpose(self, delta: i32) -> Option<Pitch> {
        u8::try_from(i32::from(self.0) + delta)
            .ok()
            .and_then(Pitch::new)
    }
}

impl fmt::Display for Pitch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}",
            NAMES[usize::from(self.pitch_class())],
            self.octave()
        )
    }
}

impl FromStr for Pitch {
    type Err = String;
    /// Accepts the grid's three-character form (`C-4`, `F#2`) and the
    /// everyday form (`C4`, `Bb3`, `f#2`).
    fn from_str(s: &str) -> Result<Pitch, String> {
        let err = || format!("\"{s}\" is not a note (write it like C-4, F#2 or Bb3; C-0 to B-9)");
        let mut chars = s.chars();
        let letter = chars.next().ok_or_else(err)?.to_ascii_uppercase();
        let base: i32 = match letter {
            'C' => 0,
            'D' => 2,
            'E' => 4,
            'F' => 5,
            'G' => 7,
            'A' => 9,
            'B' => 11,
            _ => return Err(err()),
        };
        let rest = chars.as_str();
        let (accidental, octave) = match rest.chars().next() {
            Some('#') => (1, &rest[1..]),
            Some('b') => (-1, &rest[1..]),
            Some('-') => (0, &rest[1..]),
            _ => (0, rest),
        };
        if octave.len() != 1 {
            return Err(err());
        }
        let octave = octave.parse::<i32>().map_err(|_| err())?;
        let semis = octave * 12 + base + accidental;
        u8::try_from(semis)
            .ok()
            .and_then(Pitch::new)
            .ok_or_else(err)
    }
}

/// Scales a song's key can be in, as semitone steps from the root.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scale {
    Major,
    Minor,
    HarmonicMinor,
    MelodicMinor,
    Dorian,
    Phrygian,
    Lydian,
    Mixolydian,
    Locrian,
    MajorPentatonic,
    MinorPentatonic,
    Blues,
    Chromatic,
}

impl Scale {
    pub const ALL: [Scale; 13] = [
        Scale::Major,
        Scale::Minor,
        Scale::HarmonicMinor,
        Scale::MelodicMinor,
        Scale::Dorian,
        Scale::Phrygian,
        Scale::Lydian,
        Scale::Mixolydian,
        Scale::Locrian,
        Scale::MajorPentatonic,
        Scale::MinorPentatonic,
        Scale::Blues,
        Scale::Chromatic,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Scale::Major => "major",
            Scale::Minor => "minor",
            Scale::HarmonicMinor => "harmonic minor",
            Scale::MelodicMinor => "melodic minor",
            Scale::Dorian => "dorian",
            Scale::Phrygian => "phrygian",
            Scale::Lydian => "lydian",
            Scale::Mixolydian => "mixolydian",
            Scale::Locrian => "locrian",
            Scale::MajorPentatonic => "major pentatonic",
            Scale::MinorPentatonic => "minor pentatonic",
            Scale::Blues => "blues",
            Scale::Chromatic => "chromatic",
        }
    }

    pub fn intervals(self) -> &'static [u8] {
        match self {
            Scale::Major => &[0, 2, 4, 5, 7, 9, 11],
            Scale::Minor => &[0, 2, 3, 5, 7, 8, 10],
            Scale::HarmonicMinor => &[0, 2, 3, 5, 7, 8, 11],
            Scale::MelodicMinor => &[0, 2, 3, 5, 7, 9, 11],
            Scale::Dorian => &[0, 2, 3, 5, 7, 9, 10],
            Scale::Phrygian => &[0, 1, 3, 5, 7, 8, 10],
            Scale::Lydian => &[0, 2, 4, 6, 7, 9, 11],
            Scale::Mixolydian => &[0, 2, 4, 5, 7, 9, 10],
            Scale::Locrian => &[0, 1, 3, 5, 6, 8, 10],
            Scale::MajorPentatonic => &[0, 2, 4, 7, 9],
            Scale::MinorPentatonic => &[0, 3, 5, 7, 10],
            Scale::Blues => &[0, 3, 5, 6, 7, 10],
            Scale::Chromatic => &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
        }
    }
}

/// A song's key, written in files as `"A minor"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// Pitch class of the root, 0 = C.
    pub root: u8,
    pub scale: Scale,
}

impl Default for Key {
    fn default() -> Key {
        Key {
            root: 0,
            scale: Scale::Major,
        }
    }
}

impl Key {
    pub fn contains(self, pitch: Pitch) -> bool {
        let degree = (pitch.pitch_class() + 12 - self.root) % 12;
        self.scale.intervals().contains(&degree)
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}",
            PITCH_CLASS_NAMES[usize::from(self.root % 12)],
            self.scale.name()
        )
    }
}

impl FromStr for Key {
    type Err = String;
    fn from_str(s: &str) -> Result<Key, String> {
        let allowed = || {
            let scales: Vec<&str> = Scale::ALL.iter().map(|s| s.name()).collect();
            format!(
                "\"{s}\" is not a key (write a root C..B with optional # or b, then one of: {})",
                scales.join(", ")
            )
        };
        let s = s.trim();
        let (root, scale) = s.split_once(' ').ok_or_else(allowed)?;
        let root = Pitch::from_str(&format!("{root}4")).map_err(|_| allowed())?;
        let scale_name = scale.trim().to_ascii_lowercase();
        let scale = Scale::ALL
            .into_iter()
            .find(|sc| sc.name() == scale_name)
            .ok_or_else(allowed)?;
        Ok(Key {
            root: root.pitch_class(),
            scale,
        })
    }
}

macro_rules! serde_via_string {
    ($ty:ty, $expecting:literal) => {
        impl serde::Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl<'de> serde::Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                struct V;
                impl serde::de::Visitor<'_> for V {
                    type Value = $ty;
                    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                        f.write_str($expecting)
                    }
                    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<$ty, E> {
                        v.parse().map_err(E::custom)
                    }
                }
                d.deserialize_str(V)
            }
        }
    };
}
pub(crate) use serde_via_string;

serde_via_string!(Pitch, "a note such as \"C-4\"");
serde_via_string!(Key, "a key such as \"A minor\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pitch_round_trips_through_text() {
        for n in 0..=MAX_PITCH {
            let p = Pitch::new(n).unwrap();
            assert_eq!(p.to_string().parse::<Pitch>().unwrap(), p);
        }
        assert_eq!("C-4".parse::<Pitch>().unwrap().midi(), 60);
        assert_eq!("A4".parse::<Pitch>().unwrap().midi(), 69);
        assert_eq!("Bb3".parse::<Pitch>().unwrap().to_string(), "A#3");
        assert!("H-4".parse::<Pitch>().is_err());
        assert!("C-10".parse::<Pitch>().is_err());
        assert!("Cb0".parse::<Pitch>().is_err());
    }

    #[test]
    fn keys_parse_and_know_their_notes() {
        let a_minor: Key = "A minor".parse().unwrap();
        assert_eq!(a_minor.to_string(), "A minor");
        assert!(a_minor.contains("C-4".parse().unwrap()));
        assert!(!a_minor.contains("C#4".parse().unwrap()));
        let fs: Key = "F# harmonic minor".parse().unwrap();
        assert!(
            fs.contains("F-5".parse().unwrap()),
            "E# is the leading tone"
        );
        assert!("H major".parse::<Key>().is_err());
        assert!("C minr".parse::<Key>().is_err());
    }
}
