//! Patterns: loops of rows x channels. In files a pattern lists only the rows that hold
//! something, each as one line of cells separated by `|`, so a diff reads like the grid.

use super::automation::Lane;
use super::cell::Cell;
use super::groove::Groove;
use super::note::serde_via_string;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

pub const MAX_ROWS: usize = 512;
pub const MAX_CHANNELS: usize = 128;

/// A loop of `length` rows over every channel of the song; cells are stored row-major.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "PatternFile", into = "PatternFile")]
pub struct Pattern {
    pub name: String,
    /// This pattern's own groove, overriding the song's.
    pub groove: Option<Groove>,
    length: usize,
    channels: usize,
    cells: Vec<Cell>,
    /// Parameter movement that loops with the pattern; rows count from its top.
    pub automation: Vec<Lane>,
}

impl Pattern {
    pub fn new(name: impl Into<String>, length: usize, channels: usize) -> Pattern {
        Pattern {
            name: name.into(),
            groove: None,
            length,
            channels,
            cells: vec![Cell::EMPTY; length * channels],
            automation: Vec::new(),
        }
    }

    pub fn length(&self) -> usize {
        self.length
    }

    pub fn channels(&self) -> usize {
        self.channels
    }

    pub fn cell(&self, row: usize, channel: usize) -> Cell {
        self.cells[row * self.channels + channel]
    }

    pub fn cell_mut(&mut self, row: usize, channel: usize) -> &mut Cell {
        &mut self.cells[row * self.channels + channel]
    }

    pub fn row(&self, row: usize) -> &[Cell] {
        &self.cells[row * self.channels..(row + 1) * self.channels]
    }

    /// Changes the loop length, keeping the rows that still fit.
    pub fn set_length(&mut self, length: usize) {
        self.cells.resize(length * self.channels, Cell::EMPTY);
        self.length = length;
    }

    /// Changes the channel count, keeping the channels that still fit.
    pub fn set_channels(&mut self, channels: usize) {
        let mut cells = vec![Cell::EMPTY; self.length * channels];
        let kept = channels.min(self.channels);
        for row in 0..self.length {
            cells[row * channels..row * channels + kept].copy_from_slice(&self.row(row)[..kept]);
        }
        self.cells = cells;
        self.channels = channels;
    }

    /// The highest channel count any row of this pattern uses (trailing empty cells aside).
    pub fn used_channels(&self) -> usize {
        (0..self.length)
            .map(|r| {
                self.row(r)
                    .iter()
                    .rposition(|c| !c.is_empty())
                    .map_or(0, |i| i + 1)
            })
            .max()
            .unwrap_or(0)
    }
}

/// One row as written in a file: `C-4 01 40 ... | --- .. .. ... | D#5 02 .. 301`.
#[derive(Clone, Debug, PartialEq)]
pub struct RowText(pub Vec<Cell>);

impl fmt::Display for RowText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let used = self
            .0
            .iter()
            .rposition(|c| !c.is_empty())
            .map_or(0, |i| i + 1);
        for (i, cell) in self.0[..used].iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{cell}")?;
        }
        Ok(())
    }
}

impl FromStr for RowText {
    type Err = String;
    fn from_str(s: &str) -> Result<RowText, String> {
        s.split('|')
            .enumerate()
            .map(|(ch, text)| {
                text.parse::<Cell>()
                    .map_err(|e| format!("channel {}: {e}", ch + 1))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(RowText)
    }
}

serde_via_string!(
    RowText,
    "a row of cells such as \"C-4 01 40 ... | --- .. .. ...\""
);

/// The file form of a pattern.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatternFile {
    name: String,
    length: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    groove: Option<Groove>,
    #[serde(default)]
    rows: BTreeMap<usize, RowText>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    automation: Vec<Lane>,
}

impl TryFrom<PatternFile> for Pattern {
    type Error = String;
    fn try_from(file: PatternFile) -> Result<Pattern, String> {
        if !(1..=MAX_ROWS).contains(&file.length) {
            return Err(format!(
                "length {} is out of range (allowed 1 to {MAX_ROWS} rows)",
                file.length
            ));
        }
        let channels = file.rows.values().map(|r| r.0.len()).max().unwrap_or(1);
        if channels > MAX_CHANNELS {
            return Err(format!(
                "a row has {channels} channels (allowed at most {MAX_CHANNELS})"
            ));
        }
        let mut pattern = Pattern::new(file.name, file.length, channels);
        pattern.groove = file.groove;
        pattern.automation = file.automation;
        for (row, RowText(cells)) in file.rows {
            if row >= file.length {
                return Err(format!(
                    "rows.{row} is past the end of the pattern (its length is {}, so rows go from 0 to {})",
                    file.length,
                    file.length - 1
                ));
            }
            for (ch, cell) in cells.into_iter().enumerate() {
                *pattern.cell_mut(row, ch) = cell;
            }
        }
        Ok(pattern)
    }
}

impl From<Pattern> for PatternFile {
    fn from(p: Pattern) -> PatternFile {
        let rows = (0..p.length)
            .filter(|&r| p.row(r).iter().any(|c| !c.is_empty()))
            .map(|r| (r, RowText(p.row(r).to_vec())))
            .collect();
        PatternFile {
            name: p.name,
            length: p.length,
            groove: p.groove,
            rows,
            automation: p.automation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_rows_with_notes_are_written() {
        let mut p = Pattern::new("Verse", 16, 3);
        *p.cell_mut(4, 1) = "C-4 01 40 ...".parse().unwrap();
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"name":"Verse","length":16,"rows":{"4":"--- .. .. ... | C-4 01 40 ..."}}"#
        );
        let mut back: Pattern = serde_json::from_str(&json).unwrap();
        back.set_channels(3);
        assert_eq!(back, p);
    }

    #[test]
    fn rows_past_the_end_are_refused() {
        let err = serde_json::from_str::<Pattern>(r#"{"name":"x","length":4,"rows":{"4":"C-4"}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("past the end"), "{err}");
    }

    #[test]
    fn resizing_keeps_what_fits() {
        let mut p = Pattern::new("x", 8, 2);
        *p.cell_mut(7, 1) = "C-4".parse().unwrap();
        *p.cell_mut(1, 0) = "D-4".parse().unwrap();
        p.set_channels(4);
        assert_eq!(p.cell(7, 1).to_string(), "C-4 .. .. ...");
        p.set_length(4);
        p.set_channels(1);
        assert_eq!(p.cell(1, 0).to_string(), "D-4 .. .. ...");
        assert_eq!(p.used_channels(), 1);
    }
}
