//! Harmony in the song's key: snapping to the scale, chords built on scale degrees,
//! roman-numeral progressions, arpeggios, and moving notes by scale steps or to
//! another key.
//!
//! Degrees count scale notes from the key's root, 0-based and unbounded: degree 7 of a
//! seven-note scale is the root an octave up, degree -1 the note below the root.

use super::cell::{Cell, NoteField};
use super::note::{Key, Pitch, Scale};
use super::pattern::Pattern;
use std::fmt;
use std::str::FromStr;

impl Key {
    fn len(self) -> i32 {
        self.scale.intervals().len() as i32
    }

    /// The scale degree of `pitch` counted from the root of octave 0, if it is in the key.
    pub fn degree_of(self, pitch: Pitch) -> Option<i32> {
        let from_root = i32::from(pitch.semitones()) - i32::from(self.root);
        let octave = from_root.div_euclid(12);
        let interval = from_root.rem_euclid(12) as u8;
        let step = self.scale.intervals().iter().position(|&i| i == interval)?;
        Some(octave * self.len() + step as i32)
    }

    /// The pitch of a degree counted from the root of octave 0 (`None` off the grid).
    pub fn pitch_of(self, degree: i32) -> Option<Pitch> {
        let octave = degree.div_euclid(self.len());
        let step = degree.rem_euclid(self.len()) as usize;
        let semitones =
            i32::from(self.root) + octave * 12 + i32::from(self.scale.intervals()[step]);
        u8::try_from(semitones).ok().and_then(Pitch::new)
    }

    /// The nearest degree at or below `pitch`, and how many semitones `pitch` lies above it.
    fn degree_below(self, pitch: Pitch) -> (i32, i32) {
        let from_root = i32::from(pitch.semitones()) - i32::from(self.root);
        let interval = from_root.rem_euclid(12);
        let intervals = self.scale.intervals();
        // Every scale starts on its root (interval 0), so a step is always found.
        let step = intervals
            .iter()
            .rposition(|&i| i32::from(i) <= interval)
            .unwrap_or(0);
        (
            from_root.div_euclid(12) * self.len() + step as i32,
            interval - i32::from(intervals[step]),
        )
    }

    /// Scale lock: the nearest note of the key; halfway between two, the lower one.
    pub fn snap(self, pitch: Pitch) -> Pitch {
        let (below, above_by) = self.degree_below(pitch);
        if above_by == 0 {
            return pitch;
        }
        let distance = |p: Pitch| (i32::from(p.semitones()) - i32::from(pitch.semitones())).abs();
        match (self.pitch_of(below), self.pitch_of(below + 1)) {
            (Some(lower), Some(upper)) if distance(upper) < distance(lower) => upper,
            (Some(lower), _) => lower,
            (None, Some(upper)) => upper,
            (None, None) => pitch,
        }
    }

    /// Moves `pitch` by `steps` scale steps; a note outside the key keeps its distance
    /// above the scale note below it.
    pub fn step(self, pitch: Pitch, steps: i32) -> Option<Pitch> {
        let (degree, above_by) = self.degree_below(pitch);
        self.pitch_of(degree + steps)
            .and_then(|p| p.transpose(above_by))
    }
}

/// How a note moves when a song or selection changes key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyChange {
    /// Every note by the same number of semitones (the nearest way from root to root).
    Chromatic,
    /// Degree to degree: a note's place in the old scale becomes its place in the new.
    Diatonic,
}

/// `pitch` moved from key `from` to key `to`.
pub fn change_key(pitch: Pitch, from: Key, to: Key, how: KeyChange) -> Option<Pitch> {
    let mut shift = (i32::from(to.root) - i32::from(from.root)).rem_euclid(12);
    if shift > 6 {
        shift -= 12;
    }
    match how {
        KeyChange::Chromatic => pitch.transpose(shift),
        KeyChange::Diatonic => {
            let (degree, above_by) = from.degree_below(pitch);
            // Keep the octave of the move: the same degree, counted from the new root.
            let octave = degree.div_euclid(from.len());
            let step = degree.rem_euclid(from.len());
            let from_root = from.pitch_of(octave * from.len())?;
            let to_root = from_root.transpose(shift)?;
            let to_step = step * to.len() / from.len();
            let base = to.degree_of(to_root)?;
            to.pitch_of(base + to_step)?.transpose(above_by)
        }
    }
}

/// Chord shapes, as scale degrees stacked on the chord's root degree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChordShape {
    Triad,
    Seventh,
    Sus2,
    Sus4,
    Add9,
}

impl ChordShape {
    pub const ALL: [ChordShape; 5] = [
        ChordShape::Triad,
        ChordShape::Seventh,
        ChordShape::Sus2,
        ChordShape::Sus4,
        ChordShape::Add9,
    ];

    fn degrees(self) -> &'static [i32] {
        match self {
            ChordShape::Triad => &[0, 2, 4],
            ChordShape::Seventh => &[0, 2, 4, 6],
            ChordShape::Sus2 => &[0, 1, 4],
            ChordShape::Sus4 => &[0, 3, 4],
            ChordShape::Add9 => &[0, 2, 4, 8],
        }
    }

    /// How many notes the chord has: also the number of its positions (root and
    /// inversions).
    pub fn note_count(self) -> usize {
        self.degrees().len()
    }

    pub fn name(self) -> &'static str {
        match self {
            ChordShape::Triad => "triad",
            ChordShape::Seventh => "7th",
            ChordShape::Sus2 => "sus2",
            ChordShape::Sus4 => "sus4",
            ChordShape::Add9 => "add9",
        }
    }
}

/// Raises the lowest `inversion` notes of a chord by an octave each (more, past a note
/// already there); lowest first after.
fn invert(mut notes: Vec<Pitch>, inversion: usize) -> Vec<Pitch> {
    for _ in 0..inversion.min(notes.len().saturating_sub(1)) {
        let lowest = notes.remove(0);
        // In scales of other than seven notes a raised note can meet one already there.
        let raised = (1..=9)
            .filter_map(|octaves| lowest.transpose(12 * octaves))
            .find(|p| !notes.contains(p))
            .unwrap_or(lowest);
        notes.push(raised);
        notes.sort();
    }
    notes
}

/// The chord of `shape` on the scale degree of `root` (snapped into the key first), in
/// the given inversion, lowest note first. Notes past B-9 are left out.
pub fn chord(key: Key, root: Pitch, shape: ChordShape, inversion: usize) -> Vec<Pitch> {
    let degree = key
        .degree_of(key.snap(root))
        .expect("a snapped note is in the key");
    let notes = shape
        .degrees()
        .iter()
        .filter_map(|d| key.pitch_of(degree + d))
        .collect();
    invert(notes, inversion)
}

/// One chord of a progression, e.g. `vi`, `IV7`, `bVII`, `iisus4`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RomanChord {
    /// 0 for I, 6 for VII.
    pub degree: i32,
    /// Semitones from `b` or `#` written before the numeral.
    pub alteration: i32,
    /// Upper case asks for a major third, lower case for a minor one.
    pub major: bool,
    pub shape: ChordShape,
}

const NUMERALS: [&str; 7] = ["I", "II", "III", "IV", "V", "VI", "VII"];

impl FromStr for RomanChord {
    type Err = String;
    fn from_str(text: &str) -> Result<RomanChord, String> {
        let bad = || {
            format!(
                "\"{text}\" is not a chord (write a numeral I..VII, upper case major, lower \
                 case minor, optionally after b or #, then optionally 7, sus2, sus4 or add9)"
            )
        };
        let (alteration, rest) = match text.as_bytes().first() {
            Some(b'b') if text.len() > 1 && text[1..].starts_with(['I', 'V', 'i', 'v']) => {
                (-1, &text[1..])
            }
            Some(b'#') => (1, &text[1..]),
            _ => (0, text),
        };
        let numeral_len = rest
            .find(|c: char| !matches!(c, 'I' | 'V' | 'i' | 'v'))
            .unwrap_or(rest.len());
        let (numeral, suffix) = rest.split_at(numeral_len);
        let upper = numeral.to_ascii_uppercase();
        let degree = NUMERALS.iter().position(|&n| n == upper).ok_or_else(bad)? as i32;
        let major = numeral.chars().all(|c| c.is_ascii_uppercase());
        if !major && numeral.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(bad());
        }
        let shape = match suffix {
            "" => ChordShape::Triad,
            "7" => ChordShape::Seventh,
            "sus2" => ChordShape::Sus2,
            "sus4" => ChordShape::Sus4,
            "add9" => ChordShape::Add9,
            _ => return Err(bad()),
        };
        Ok(RomanChord {
            degree,
            alteration,
            major,
            shape,
        })
    }
}

impl fmt::Display for RomanChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let accidental = match self.alteration {
            -1 => "b",
            1 => "#",
            _ => "",
        };
        let numeral = NUMERALS[self.degree as usize];
        let numeral = if self.major {
            numeral.to_owned()
        } else {
            numeral.to_ascii_lowercase()
        };
        let suffix = match self.shape {
            ChordShape::Triad => "",
            ChordShape::Seventh => "7",
            other => other.name(),
        };
        write!(f, "{accidental}{numeral}{suffix}")
    }
}

/// A progression such as `vi-IV-I-V` (chords separated by `-`, spaces or commas).
pub fn parse_progression(text: &str) -> Result<Vec<RomanChord>, String> {
    let chords: Vec<RomanChord> = text
        .split(['-', ' ', ','])
        .filter(|s| !s.is_empty())
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    if chords.is_empty() {
        return Err("a progression needs at least one chord, e.g. vi-IV-I-V".into());
    }
    Ok(chords)
}

impl RomanChord {
    /// The chord's notes in `key`, counted from the key's root in `octave`. The scale
    /// gives the chord its notes; the numeral's case then fixes the triad (so `IV` in A
    /// minor is D major, `iv` D minor).
    pub fn notes(self, key: Key, octave: u8) -> Vec<Pitch> {
        let base = Pitch::new(octave.min(9) * 12 + key.root)
            .and_then(|p| key.degree_of(p))
            .unwrap_or(0);
        let root_degree = base + self.degree;
        let mut notes: Vec<i32> = self
            .shape
            .degrees()
            .iter()
            .filter_map(|d| key.pitch_of(root_degree + d))
            .map(|p| i32::from(p.semitones()) + self.alteration)
            .collect();
        let seven_note = key.scale.intervals().len() == 7 && key.scale != Scale::Chromatic;
        if seven_note
            && matches!(
                self.shape,
                ChordShape::Triad | ChordShape::Seventh | ChordShape::Add9
            )
        {
            // Upper case is a major triad (major third, perfect fifth); lower case a
            // minor third over the scale's own fifth, so `vii` stays diminished.
            if self.major {
                notes[1] = notes[0] + 4;
                notes[2] = notes[0] + 7;
            } else {
                notes[1] = notes[0] + 3;
            }
        }
        notes
            .into_iter()
            .filter_map(|s| u8::try_from(s).ok().and_then(Pitch::new))
            .collect()
    }
}

/// The order an arpeggio walks a chord's notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArpDirection {
    Up,
    Down,
    UpDown,
}

impl FromStr for ArpDirection {
    type Err = String;
    fn from_str(s: &str) -> Result<ArpDirection, String> {
        match s {
            "up" => Ok(ArpDirection::Up),
            "down" => Ok(ArpDirection::Down),
            "updown" | "up-down" => Ok(ArpDirection::UpDown),
            _ => Err(format!("\"{s}\" is not an arpeggio (up, down or updown)")),
        }
    }
}

/// The `i`-th note of an arpeggio over `notes` (lowest first).
pub fn arpeggio_note(notes: &[Pitch], direction: ArpDirection, i: usize) -> Pitch {
    let n = notes.len();
    match direction {
        ArpDirection::Up => notes[i % n],
        ArpDirection::Down => notes[n - 1 - i % n],
        ArpDirection::UpDown if n < 2 => notes[0],
        ArpDirection::UpDown => {
            // Up then back down without repeating the top or bottom: 0 1 2 1 0 1 2 ...
            let period = 2 * (n - 1);
            let k = i % period;
            notes[if k < n { k } else { period - k }]
        }
    }
}

/// How `fill_progression` writes a progression into a pattern, one chord per bar.
#[derive(Clone, Debug)]
pub struct ProgressionFill<'a> {
    pub chords: &'a [RomanChord],
    /// The octave the key's root is counted from (4: the chords sit around middle C).
    pub octave: u8,
    pub first_channel: usize,
    /// 1-based, as the grid shows it.
    pub instrument: u8,
    /// One character per row, repeated over each bar: `x` strikes the chord, `-` releases
    /// it, `.` holds. Ignored when arpeggiated.
    pub rhythm: &'a str,
    /// Play the chord one note at a time on one channel: direction, and rows per note.
    pub arpeggio: Option<(ArpDirection, usize)>,
}

/// Writes `fill.chords` into `pattern`, chord `i` over bar `i` (the progression repeats
/// to the pattern's end), replacing the notes of the channels it uses and keeping their
/// effects.
pub fn fill_progression(
    pattern: &mut Pattern,
    key: Key,
    rows_per_bar: usize,
    fill: &ProgressionFill,
) -> Result<(), String> {
    if fill.chords.is_empty() {
        return Err("a progression needs at least one chord".into());
    }
    if !fill.rhythm.chars().all(|c| matches!(c, 'x' | '-' | '.')) || fill.rhythm.is_empty() {
        return Err(format!(
            "rhythm \"{}\": write one of x (strike), - (release), . (hold) per row",
            fill.rhythm
        ));
    }
    let voicings: Vec<Vec<Pitch>> = fill
        .chords
        .iter()
        .map(|c| c.notes(key, fill.octave))
        .collect();
    let width = match fill.arpeggio {
        Some(_) => 1,
        None => voicings.iter().map(Vec::len).max().unwrap_or(1),
    };
    if fill.first_channel + width > pattern.channels() {
        return Err(format!(
            "the chords need {width} channels from channel {} but the pattern has {}",
            fill.first_channel + 1,
            pattern.channels()
        ));
    }
    let channels = fill.first_channel..fill.first_channel + width;
    for row in 0..pattern.length() {
        for ch in channels.clone() {
            let cell = pattern.cell_mut(row, ch);
            *cell = Cell {
                effect: cell.effect,
                ..Cell::EMPTY
            };
        }
    }
    let strike = |pitch: Pitch| Cell {
        note: NoteField::On(pitch),
        instrument: Some(fill.instrument),
        ..Cell::EMPTY
    };
    let rhythm: Vec<char> = fill.rhythm.chars().collect();
    let bar_len = rows_per_bar.max(1);
    for row in 0..pattern.length() {
        let notes = &voicings[(row / bar_len) % voicings.len()];
        let in_bar = row % bar_len;
        match fill.arpeggio {
            Some((direction, rate)) => {
                let rate = rate.max(1);
                if in_bar.is_multiple_of(rate) {
                    let note = arpeggio_note(notes, direction, in_bar / rate);
                    *pattern.cell_mut(row, fill.first_channel) = Cell {
                        effect: pattern.cell(row, fill.first_channel).effect,
                        ..strike(note)
                    };
                }
            }
            None => {
                let note_field = match rhythm[in_bar % rhythm.len()] {
                    'x' => None,
                    '-' => Some(NoteField::Off),
                    _ => continue,
                };
                for (i, ch) in channels.clone().enumerate() {
                    let effect = pattern.cell(row, ch).effect;
                    let cell = match (note_field, notes.get(i)) {
                        (None, Some(&p)) => strike(p),
                        // A shorter chord releases the channels it does not use.
                        _ => Cell {
                            note: NoteField::Off,
                            ..Cell::EMPTY
                        },
                    };
                    *pattern.cell_mut(row, ch) = Cell { effect, ..cell };
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(s: &str) -> Key {
        s.parse().unwrap()
    }

    fn pitch(s: &str) -> Pitch {
        s.parse().unwrap()
    }

    fn names(notes: &[Pitch]) -> Vec<String> {
        notes.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn degrees_and_pitches_agree_in_every_scale() {
        for scale in Scale::ALL {
            for root in 0..12 {
                let k = Key { root, scale };
                for p in (0..).map_while(|d| k.pitch_of(d)) {
                    let d = k.degree_of(p).unwrap();
                    assert!(k.contains(p));
                    assert_eq!(k.pitch_of(d), Some(p), "{k} degree {d}");
                }
            }
        }
        assert_eq!(key("C major").degree_of(pitch("C#4")), None);
    }

    #[test]
    fn snapping_lands_on_the_nearest_scale_note() {
        let c = key("C major");
        assert_eq!(c.snap(pitch("C#4")), pitch("C-4"), "a tie goes down");
        assert_eq!(c.snap(pitch("F#4")), pitch("F-4"));
        assert_eq!(c.snap(pitch("E-4")), pitch("E-4"));
        let pent = key("A minor pentatonic");
        // A C D E G: B-3 is nearer C than A; G#4 is halfway between G and A.
        assert_eq!(pent.snap(pitch("B-3")), pitch("C-4"));
        assert_eq!(pent.snap(pitch("G#4")), pitch("G-4"));
        assert_eq!(pent.snap(pitch("F-4")), pitch("E-4"));
        assert_eq!(pent.snap(pitch("F#4")), pitch("G-4"));
        for scale in Scale::ALL {
            for s in 0..=119 {
                let p = Pitch::new(s).unwrap();
                let k = Key { root: 2, scale };
                let snapped = k.snap(p);
                assert!(k.contains(snapped));
                assert!((i32::from(snapped.semitones()) - i32::from(s)).abs() <= 2);
            }
        }
    }

    #[test]
    fn triads_in_c_major_and_a_minor() {
        let c = key("C major");
        let triads: Vec<Vec<String>> = ["C-4", "D-4", "E-4", "F-4", "G-4", "A-4", "B-4"]
            .iter()
            .map(|r| names(&chord(c, pitch(r), ChordShape::Triad, 0)))
            .collect();
        assert_eq!(
            triads,
            [
                ["C-4", "E-4", "G-4"],
                ["D-4", "F-4", "A-4"],
                ["E-4", "G-4", "B-4"],
                ["F-4", "A-4", "C-5"],
                ["G-4", "B-4", "D-5"],
                ["A-4", "C-5", "E-5"],
                ["B-4", "D-5", "F-5"],
            ]
        );
        let a = key("A minor");
        assert_eq!(
            names(&chord(a, pitch("A-3"), ChordShape::Triad, 0)),
            ["A-3", "C-4", "E-4"]
        );
        assert_eq!(
            names(&chord(a, pitch("E-4"), ChordShape::Seventh, 0)),
            ["E-4", "G-4", "B-4", "D-5"]
        );
    }

    #[test]
    fn shapes_and_inversions() {
        let c = key("C major");
        let on_c = |shape, inv| names(&chord(c, pitch("C-4"), shape, inv));
        assert_eq!(on_c(ChordShape::Seventh, 0), ["C-4", "E-4", "G-4", "B-4"]);
        assert_eq!(on_c(ChordShape::Sus2, 0), ["C-4", "D-4", "G-4"]);
        assert_eq!(on_c(ChordShape::Sus4, 0), ["C-4", "F-4", "G-4"]);
        assert_eq!(on_c(ChordShape::Add9, 0), ["C-4", "E-4", "G-4", "D-5"]);
        assert_eq!(on_c(ChordShape::Triad, 1), ["E-4", "G-4", "C-5"]);
        assert_eq!(on_c(ChordShape::Triad, 2), ["G-4", "C-5", "E-5"]);
        // An out-of-key root is snapped before the chord is built.
        assert_eq!(
            names(&chord(c, pitch("C#4"), ChordShape::Triad, 0)),
            ["C-4", "E-4", "G-4"]
        );
    }

    #[test]
    fn every_chord_of_every_scale_stays_in_the_scale() {
        for scale in Scale::ALL {
            let k = Key { root: 9, scale };
            for d in 0..14 {
                let root = k.pitch_of(3 * k.len() + d).unwrap();
                for shape in ChordShape::ALL {
                    for inversion in 0..3 {
                        let notes = chord(k, root, shape, inversion);
                        assert_eq!(notes.len(), shape.degrees().len());
                        assert!(notes.iter().all(|&p| k.contains(p)), "{k} {shape:?}");
                        assert!(notes.windows(2).all(|w| w[0] < w[1]), "rising: {notes:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn progressions_in_a_minor_and_c_major() {
        let prog = parse_progression("vi-IV-I-V").unwrap();
        let in_c: Vec<Vec<String>> = prog
            .iter()
            .map(|c| names(&c.notes(key("C major"), 4)))
            .collect();
        assert_eq!(
            in_c,
            [
                ["A-4", "C-5", "E-5"],
                ["F-4", "A-4", "C-5"],
                ["C-4", "E-4", "G-4"],
                ["G-4", "B-4", "D-5"],
            ]
        );
        let prog = parse_progression("i-VI-III-VII").unwrap();
        let in_a: Vec<Vec<String>> = prog
            .iter()
            .map(|c| names(&c.notes(key("A minor"), 3)))
            .collect();
        assert_eq!(
            in_a,
            [
                ["A-3", "C-4", "E-4"],
                ["F-4", "A-4", "C-5"],
                ["C-4", "E-4", "G-4"],
                ["G-4", "B-4", "D-5"],
            ]
        );
        // The numeral's case sets the third: a major V in A minor has G#.
        let v = "V7".parse::<RomanChord>().unwrap();
        assert_eq!(
            names(&v.notes(key("A minor"), 3)),
            ["E-4", "G#4", "B-4", "D-5"]
        );
        let iv = "iv".parse::<RomanChord>().unwrap();
        assert_eq!(names(&iv.notes(key("C major"), 4)), ["F-4", "G#4", "C-5"]);
        let flat_seven = "bVII".parse::<RomanChord>().unwrap();
        assert_eq!(
            names(&flat_seven.notes(key("C major"), 4)),
            ["A#4", "D-5", "F-5"]
        );
    }

    #[test]
    fn numerals_read_and_write_and_bad_ones_are_explained() {
        for text in ["I", "vi", "IV7", "bVII", "iisus4", "Vadd9", "#iv"] {
            assert_eq!(text.parse::<RomanChord>().unwrap().to_string(), text);
        }
        for bad in ["VIII", "Iv", "x", "I9", ""] {
            let err = bad.parse::<RomanChord>().unwrap_err();
            assert!(err.contains("is not a chord"), "{bad}: {err}");
        }
        assert!(parse_progression(" - ").is_err());
        assert_eq!(parse_progression("I, V vi-IV").unwrap().len(), 4);
    }

    #[test]
    fn scale_steps_and_key_changes() {
        let c = key("C major");
        assert_eq!(c.step(pitch("E-4"), 1), Some(pitch("F-4")));
        assert_eq!(c.step(pitch("B-4"), 1), Some(pitch("C-5")));
        assert_eq!(c.step(pitch("C-4"), -1), Some(pitch("B-3")));
        // Out of the key, a note keeps its distance above the scale note below it.
        assert_eq!(c.step(pitch("C#4"), 2), Some(pitch("F-4")));
        // Chromatic: every note by the same interval, the short way round.
        let g = key("G major");
        assert_eq!(
            change_key(pitch("C-4"), c, g, KeyChange::Chromatic),
            Some(pitch("G-3"))
        );
        assert_eq!(
            change_key(pitch("E-4"), c, key("D major"), KeyChange::Chromatic),
            Some(pitch("F#4"))
        );
        // Diatonic: C major to A minor keeps each note's degree.
        let a = key("A minor");
        let melody = ["C-4", "D-4", "E-4", "G-4", "C-5"];
        let moved: Vec<String> = melody
            .iter()
            .map(|m| {
                change_key(pitch(m), c, a, KeyChange::Diatonic)
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(moved, ["A-3", "B-3", "C-4", "E-4", "A-4"]);
        // Into a five-note scale every note still lands in the new key.
        let pent = key("A minor pentatonic");
        for s in 36..84 {
            let p = Pitch::new(s).unwrap();
            if c.contains(p) {
                let q = change_key(p, c, pent, KeyChange::Diatonic).unwrap();
                assert!(pent.contains(q), "{p} -> {q}");
            }
        }
    }

    #[test]
    fn a_progression_fills_a_pattern_bar_by_bar() {
        let chords = parse_progression("vi-IV-I-V").unwrap();
        let mut p = Pattern::new("P", 128, 4);
        *p.cell_mut(0, 1) = "--- .. .. A04".parse().unwrap();
        let fill = ProgressionFill {
            chords: &chords,
            octave: 4,
            first_channel: 1,
            instrument: 3,
            rhythm: "x.......-.......",
            arpeggio: None,
        };
        fill_progression(&mut p, key("C major"), 16, &fill).unwrap();
        let row = |r: usize| -> Vec<String> { (1..4).map(|c| p.cell(r, c).to_string()).collect() };
        assert_eq!(row(0), ["A-4 03 .. A04", "C-5 03 .. ...", "E-5 03 .. ..."]);
        assert_eq!(row(8), ["OFF .. .. ...", "OFF .. .. ...", "OFF .. .. ..."]);
        assert_eq!(row(16), ["F-4 03 .. ...", "A-4 03 .. ...", "C-5 03 .. ..."]);
        assert_eq!(row(48), ["G-4 03 .. ...", "B-4 03 .. ...", "D-5 03 .. ..."]);
        // The progression repeats: bar 5 is vi again.
        assert_eq!(
            row(64),
            row(0)
                .iter()
                .map(|c| c.replace("A04", "..."))
                .collect::<Vec<_>>()
        );
        assert!(p.cell(3, 1).is_empty() && p.cell(0, 0).is_empty());
    }

    #[test]
    fn an_arpeggiated_progression_in_a_minor() {
        let chords = parse_progression("i-VI").unwrap();
        let mut p = Pattern::new("P", 32, 2);
        let fill = ProgressionFill {
            chords: &chords,
            octave: 3,
            first_channel: 0,
            instrument: 1,
            rhythm: "x",
            arpeggio: Some((ArpDirection::UpDown, 2)),
        };
        fill_progression(&mut p, key("A minor"), 16, &fill).unwrap();
        let notes: Vec<String> = (0..32)
            .step_by(2)
            .map(|r| p.cell(r, 0).to_string()[..3].to_owned())
            .collect();
        assert_eq!(
            notes,
            [
                "A-3", "C-4", "E-4", "C-4", "A-3", "C-4", "E-4", "C-4", "F-4", "A-4", "C-5", "A-4",
                "F-4", "A-4", "C-5", "A-4"
            ]
        );
        assert!((1..32).step_by(2).all(|r| p.cell(r, 0).is_empty()));
        assert!((0..32).all(|r| p.cell(r, 1).is_empty()), "one channel only");
        // Too few channels for a block chord is refused.
        let err = fill_progression(
            &mut p,
            key("A minor"),
            16,
            &ProgressionFill {
                arpeggio: None,
                ..fill
            },
        )
        .unwrap_err();
        assert!(err.contains("need 3 channels"), "{err}");
    }

    #[test]
    fn arpeggios_walk_the_chord() {
        let notes = chord(key("C major"), pitch("C-4"), ChordShape::Triad, 0);
        let walk = |d| -> Vec<String> {
            (0..6)
                .map(|i| arpeggio_note(&notes, d, i).to_string())
                .collect()
        };
        assert_eq!(
            walk(ArpDirection::Up),
            ["C-4", "E-4", "G-4", "C-4", "E-4", "G-4"]
        );
        assert_eq!(
            walk(ArpDirection::Down),
            ["G-4", "E-4", "C-4", "G-4", "E-4", "C-4"]
        );
        assert_eq!(
            walk(ArpDirection::UpDown),
            ["C-4", "E-4", "G-4", "E-4", "C-4", "E-4"]
        );
    }
}
