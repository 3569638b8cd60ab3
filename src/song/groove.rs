//! Grooves: how far each row of a 1-, 2- or 4-beat cycle is played late, and how hard
//! (an accent scales the level of the notes that start on it).
//!
//! In files a groove is a preset name (`"straight"`, `"swing 62"`, `"house"`,
//! `"triplet"`) or its own table (`{"beats": 1, "timing": [0, 0.2, 0, 0.2],
//! "accents": [1, 0.7, 0.9, 0.7]}`), timing in fractions of a row.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The longest cycle in rows: 4 beats of 16 rows.
pub const MAX_GROOVE_ROWS: usize = 64;
/// The latest a row may be played, in rows (a dotted-16th swing).
pub const MAX_GROOVE_DELAY: f32 = 0.75;
pub const GROOVE_BEATS: [u8; 3] = [1, 2, 4];
/// MPC-style swing percent: 50 is straight, 66.7 a triplet, 75 a dotted 16th.
pub const MIN_SWING_PERCENT: f32 = 50.0;
pub const MAX_SWING_PERCENT: f32 = 75.0;
/// The house shuffle's swing.
const HOUSE_SWING_PERCENT: f64 = 58.0;

#[derive(Clone, Debug, PartialEq)]
pub enum Groove {
    Straight,
    /// Every odd row late by (2·percent/100 - 1) of a row.
    Swing(f32),
    /// A light 16th shuffle (58 %) with the off-beat 8th accented over the 16ths.
    House,
    /// The 16ths of each half beat spread over an 8th-note triplet.
    Triplet,
    Custom {
        beats: u8,
        /// Per row of the cycle, how late it plays, in rows (0 to 0.75).
        timing: Vec<f32>,
        /// Per row of the cycle, the level of notes starting on it (0 to 1); empty is all 1.
        accents: Vec<f32>,
    },
}

/// A groove worked out for one rows-per-beat, in a form the audio thread copies freely.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GrooveTable {
    /// Rows in the cycle.
    pub rows: usize,
    /// How late each row plays, in rows.
    pub timing: [f64; MAX_GROOVE_ROWS],
    pub accents: [f32; MAX_GROOVE_ROWS],
}

impl GrooveTable {
    pub const STRAIGHT: GrooveTable = GrooveTable {
        rows: 1,
        timing: [0.0; MAX_GROOVE_ROWS],
        accents: [1.0; MAX_GROOVE_ROWS],
    };

    /// The song-wide `swing` of files written before grooves: odd rows late by
    /// `percent_of_a_row` % of a row.
    pub fn legacy_swing(percent_of_a_row: f32) -> GrooveTable {
        let mut t = GrooveTable::STRAIGHT;
        t.rows = 2;
        t.timing[1] = f64::from(percent_of_a_row) / 100.0;
        t
    }

    /// How late `row` plays, in rows.
    pub fn delay(&self, row: usize) -> f64 {
        self.timing[row % self.rows.max(1)]
    }

    pub fn accent(&self, row: usize) -> f32 {
        self.accents[row % self.rows.max(1)]
    }
}

impl Groove {
    /// The presets the editor steps through.
    pub fn presets() -> Vec<Groove> {
        let mut all = vec![Groove::Straight];
        all.extend((54..=75).step_by(3).map(|p| Groove::Swing(p as f32)));
        all.extend([Groove::House, Groove::Triplet]);
        all
    }

    /// The table for a grid of `rows_per_beat` rows to the beat.
    pub fn table(&self, rows_per_beat: usize) -> GrooveTable {
        let r = rows_per_beat.clamp(1, MAX_GROOVE_ROWS);
        let mut t = GrooveTable::STRAIGHT;
        let swing = |t: &mut GrooveTable, percent: f64| {
            t.rows = 2;
            t.timing[1] = 2.0 * percent / 100.0 - 1.0;
        };
        match self {
            Groove::Straight => {}
            Groove::Swing(p) => swing(&mut t, f64::from(*p)),
            Groove::House => {
                swing(&mut t, HOUSE_SWING_PERCENT);
                // Within a beat: the downbeat full, the off-beat 8th next, 16ths softer.
                t.rows = r.max(2);
                for row in 0..t.rows {
                    t.timing[row] = if row % 2 == 1 {
                        2.0 * HOUSE_SWING_PERCENT / 100.0 - 1.0
                    } else {
                        0.0
                    };
                    t.accents[row] = if row == 0 {
                        1.0
                    } else if 2 * row == r {
                        0.9
                    } else {
                        0.7
                    };
                }
            }
            Groove::Triplet => {
                t.rows = r;
                for row in 0..r {
                    // Where the row sits in the beat, and where the triplet feel puts it:
                    // the first half beat spread over two thirds, the second over one.
                    let x = row as f64 / r as f64;
                    let target = if x < 0.5 {
                        x * 4.0 / 3.0
                    } else {
                        2.0 / 3.0 + (x - 0.5) * 2.0 / 3.0
                    };
                    t.timing[row] = (target - x) * r as f64;
                    t.accents[row] = if row == 0 { 1.0 } else { 0.8 };
                }
            }
            Groove::Custom {
                timing, accents, ..
            } => {
                t.rows = timing.len().clamp(1, MAX_GROOVE_ROWS);
                for (slot, &x) in t.timing.iter_mut().zip(timing) {
                    *slot = f64::from(x);
                }
                for (slot, &a) in t.accents.iter_mut().zip(accents) {
                    *slot = a;
                }
            }
        }
        t
    }

    pub const ALLOWED: &str = "straight, swing 50 to 75 (percent), house, triplet, or a table {\"beats\": 1, 2 or 4, \"timing\": [rows late, 0 to 0.75, one per row of the cycle], \"accents\": [0 to 1, one per row]}";

    /// Problems with the values, each with its place under `at`.
    pub fn problems(&self, at: &str, rows_per_beat: usize) -> Vec<String> {
        let mut problems = Vec::new();
        match self {
            Groove::Swing(p) if !(MIN_SWING_PERCENT..=MAX_SWING_PERCENT).contains(p) => {
                problems.push(format!(
                    "{at}: swing {p} is out of range (allowed {MIN_SWING_PERCENT} to {MAX_SWING_PERCENT} %)"
                ));
            }
            Groove::Custom {
                beats,
                timing,
                accents,
            } => {
                let rows = usize::from(*beats) * rows_per_beat;
                if !GROOVE_BEATS.contains(beats) {
                    problems.push(format!(
                        "{at}.beats: {beats} is not allowed (allowed 1, 2 or 4)"
                    ));
                } else if timing.len() != rows {
                    problems.push(format!(
                        "{at}.timing: {} values for a {beats}-beat cycle of {rows} rows (one per row)",
                        timing.len()
                    ));
                }
                if !accents.is_empty() && accents.len() != timing.len() {
                    problems.push(format!(
                        "{at}.accents: {} values for {} timing values (one per row, or none)",
                        accents.len(),
                        timing.len()
                    ));
                }
                for (i, x) in timing.iter().enumerate() {
                    if !(0.0..=MAX_GROOVE_DELAY).contains(x) {
                        problems.push(format!(
                            "{at}.timing[{i}]: {x} is out of range (allowed 0 to {MAX_GROOVE_DELAY} rows)"
                        ));
                    }
                }
                for (i, a) in accents.iter().enumerate() {
                    if !(0.0..=1.0).contains(a) {
                        problems.push(format!(
                            "{at}.accents[{i}]: {a} is out of range (allowed 0 to 1)"
                        ));
                    }
                }
            }
            _ => {}
        }
        problems
    }
}

impl fmt::Display for Groove {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Groove::Straight => write!(f, "straight"),
            Groove::Swing(p) => write!(f, "swing {p}"),
            Groove::House => write!(f, "house"),
            Groove::Triplet => write!(f, "triplet"),
            Groove::Custom { beats, .. } => write!(f, "custom ({beats} beat)"),
        }
    }
}

impl std::str::FromStr for Groove {
    type Err = String;

    /// A preset name: `straight`, `swing 62` (or `swing62`, `swing 62%`), `house`, `triplet`.
    fn from_str(text: &str) -> Result<Groove, String> {
        let t = text.trim().to_ascii_lowercase();
        let bad = || format!("\"{text}\" is not a groove (allowed {})", Groove::ALLOWED);
        match t.as_str() {
            "straight" => Ok(Groove::Straight),
            "house" => Ok(Groove::House),
            "triplet" => Ok(Groove::Triplet),
            _ => {
                let percent = t.strip_prefix("swing").ok_or_else(bad)?;
                let p: f32 = percent
                    .trim()
                    .trim_end_matches('%')
                    .trim()
                    .parse()
                    .map_err(|_| bad())?;
                if !p.is_finite() {
                    return Err(bad());
                }
                Ok(Groove::Swing(p))
            }
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct CustomFile {
    beats: u8,
    timing: Vec<f32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    accents: Vec<f32>,
}

impl Serialize for Groove {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Groove::Custom {
                beats,
                timing,
                accents,
            } => CustomFile {
                beats: *beats,
                timing: timing.clone(),
                accents: accents.clone(),
            }
            .serialize(serializer),
            preset => serializer.collect_str(preset),
        }
    }
}

impl<'de> Deserialize<'de> for Groove {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Groove, D::Error> {
        use serde::de::Error;
        match serde_json::Value::deserialize(deserializer)? {
            serde_json::Value::String(text) => text.parse().map_err(D::Error::custom),
            object @ serde_json::Value::Object(_) => {
                let c: CustomFile = serde_json::from_value(object).map_err(D::Error::custom)?;
                Ok(Groove::Custom {
                    beats: c.beats,
                    timing: c.timing,
                    accents: c.accents,
                })
            }
            other => Err(D::Error::custom(format!(
                "{other} is not a groove (allowed {})",
                Groove::ALLOWED
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_read_and_write_as_names_and_tables_as_objects() {
        for text in ["straight", "swing 62", "house", "triplet"] {
            let g: Groove = text.parse().unwrap();
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{text}\""));
            assert_eq!(serde_json::from_str::<Groove>(&json).unwrap(), g);
        }
        let custom = r#"{"beats":1,"timing":[0.0,0.25,0.0,0.1],"accents":[1.0,0.5,0.8,0.5]}"#;
        let g: Groove = serde_json::from_str(custom).unwrap();
        assert_eq!(serde_json::to_string(&g).unwrap(), custom);
        assert!(g.problems("groove", 4).is_empty());
        assert!(g.problems("groove", 2)[0].contains("groove.timing: 4 values"));
        let e = serde_json::from_str::<Groove>("\"shuffle\"").unwrap_err();
        assert!(e.to_string().contains("not a groove"), "{e}");
        let e = serde_json::from_str::<Groove>(r#"{"beats":1,"timng":[]}"#).unwrap_err();
        assert!(e.to_string().contains("unknown field"), "{e}");
        assert!(Groove::Swing(80.0).problems("g", 4)[0].contains("allowed 50 to 75"));
    }

    #[test]
    fn tables_place_rows_where_the_feel_says() {
        let t = Groove::Swing(66.0).table(4);
        assert!((t.delay(1) - 0.32).abs() < 1e-9 && t.delay(2) == 0.0);
        let t = Groove::Triplet.table(4);
        let expected = [0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0 / 3.0];
        for (row, e) in expected.iter().enumerate() {
            assert!((t.delay(row + 4) - e).abs() < 1e-12, "row {row}");
        }
        let t = Groove::House.table(4);
        assert_eq!(
            (t.accent(0), t.accent(1), t.accent(2), t.accent(3)),
            (1.0, 0.7, 0.9, 0.7)
        );
        assert!((t.delay(3) - 0.16).abs() < 1e-9);
        assert_eq!(GrooveTable::legacy_swing(30.0).delay(3), 0.3);
    }
}
