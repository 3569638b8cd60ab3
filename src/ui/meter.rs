//! Level meters for the Mixer and Master views: vertical bars in dBFS with a scale, and
//! the peak hold that the display keeps between readings.
//!
//! The readings themselves come from the engine through the player; this file only
//! holds them for display. With no reading, a meter draws its empty frame.

use crate::dsp::meter::MeterReading;
use crate::engine::mixer::{MixerMeters, StripMeter};
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Style};
use std::time::{Duration, Instant};

/// The bottom of the level scale (dBFS); quieter reads as empty.
pub const FLOOR_DB: f32 = -60.0;
/// How long a peak stays held before the hold falls back to the current peak.
pub const HOLD: Duration = Duration::from_millis(1500);
/// The gain-reduction meter's full scale (dB of reduction).
pub const GR_RANGE_DB: f32 = 24.0;

/// A reading with its peak hold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeldLevel {
    pub level: StripMeter,
    pub hold_db: [f32; 2],
    held_at: [Instant; 2],
}

impl HeldLevel {
    pub fn new(level: StripMeter, now: Instant) -> HeldLevel {
        HeldLevel {
            level,
            hold_db: level.peak_db,
            held_at: [now; 2],
        }
    }

    /// Takes a new reading: a higher peak is held from now; a held peak older than
    /// `HOLD` falls back to the new one.
    pub fn update(&mut self, level: StripMeter, now: Instant) {
        for side in 0..2 {
            let peak = level.peak_db[side];
            if peak >= self.hold_db[side] || now.duration_since(self.held_at[side]) >= HOLD {
                self.hold_db[side] = peak;
                self.held_at[side] = now;
            }
        }
        self.level = level;
    }
}

/// What the meters show: one entry per mixer strip (channels, then the reverb and delay
/// returns), `None` until a reading has arrived.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meters {
    pub strips: Vec<Option<HeldLevel>>,
}

impl Meters {
    /// Records the reading of strip `index` (channels first, then the bus returns).
    pub fn feed(&mut self, index: usize, level: StripMeter, now: Instant) {
        if self.strips.len() <= index {
            self.strips.resize(index + 1, None);
        }
        match &mut self.strips[index] {
            Some(held) => held.update(level, now),
            slot => *slot = Some(HeldLevel::new(level, now)),
        }
    }

    /// Records every reading the engine made (`Engine::read_meters`): channels, then
    /// the reverb and delay returns.
    pub fn feed_mixer(&mut self, meters: &MixerMeters, now: Instant) {
        let returns = [meters.reverb, meters.delay];
        let count = meters.channels.len() + returns.len();
        // With fewer channels than before, the returns move down: no stale strip stays.
        self.strips.truncate(count);
        for (index, &level) in meters.channels.iter().chain(returns.iter()).enumerate() {
            self.feed(index, level, now);
        }
    }

    /// Nothing plays: the bars fall to empty at once, the holds after `HOLD`, and then
    /// the meters are back to their empty frames.
    pub fn fall_silent(&mut self, now: Instant) {
        for held in self.strips.iter_mut().flatten() {
            held.update(StripMeter::default(), now);
        }
        let all_down = self
            .strips
            .iter()
            .flatten()
            .all(|h| h.hold_db.iter().all(|&db| db <= FLOOR_DB));
        if all_down {
            self.strips.clear();
        }
    }

    pub fn strip(&self, index: usize) -> Option<&HeldLevel> {
        self.strips.get(index).and_then(Option::as_ref)
    }
}

/// What the Master view's meters show: the engine's loudness meter and the master
/// chain's gain reductions, as of the latest reading.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MasterLevels {
    pub loudness: MeterReading,
    /// Glue compressor and limiter (dB), the most since the previous reading.
    pub reduction_db: [f32; 2],
}

/// Eighth blocks, from empty to full.
const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
const EMPTY: Style = Style::new().fg(Color::Indexed(238));
const HOLD_STYLE: Style = Style::new().fg(Color::White);

fn level_color(db: f32) -> Color {
    if db > -3.0 {
        Color::LightRed
    } else if db > -12.0 {
        Color::Yellow
    } else {
        Color::LightGreen
    }
}

/// 0 at the floor, 1 at 0 dBFS.
pub fn fraction(db: f32, floor: f32) -> f32 {
    ((db - floor) / -floor).clamp(0.0, 1.0)
}

/// A vertical bar in one column, bottom-up: `fill` in eighths of `height` cells.
/// `mark` (a fraction) draws a hold tick where the bar does not reach.
pub fn bar(
    buf: &mut Buffer,
    x: u16,
    top: u16,
    height: u16,
    fill: Option<(f32, Color)>,
    mark: Option<f32>,
) {
    let h = f32::from(height);
    let eighths = fill.map_or(0, |(f, _)| (f * h * 8.0).round() as u32);
    let color = fill.map_or(Color::Reset, |(_, c)| c);
    let mark_row = mark
        .filter(|&m| m > 0.0)
        .map(|m| ((1.0 - m) * h).floor().min(h - 1.0) as u16);
    for row in 0..height {
        let from_bottom = u32::from(height - 1 - row);
        let in_cell = eighths.saturating_sub(from_bottom * 8).min(8) as usize;
        let cell = &mut buf[(x, top + row)];
        if in_cell > 0 {
            cell.set_symbol(EIGHTHS[in_cell])
                .set_style(Style::new().fg(color));
        } else if mark_row == Some(row) {
            cell.set_symbol("▔").set_style(HOLD_STYLE);
        } else {
            cell.set_symbol("·").set_style(EMPTY);
        }
    }
}

/// A gain-reduction bar, top-down (reduction pulls the level down).
pub fn reduction_bar(buf: &mut Buffer, x: u16, top: u16, height: u16, reduction_db: Option<f32>) {
    let cells = reduction_db.map_or(0, |r| {
        ((r / GR_RANGE_DB).clamp(0.0, 1.0) * f32::from(height)).round() as u16
    });
    for row in 0..height {
        let cell = &mut buf[(x, top + row)];
        if row < cells {
            cell.set_symbol("█")
                .set_style(Style::new().fg(Color::LightMagenta));
        } else {
            cell.set_symbol("·").set_style(EMPTY);
        }
    }
}

/// A stereo level meter: two columns from `x`, RMS as the bar, the peak above it in a
/// dimmer colour, the hold as a tick.
pub fn stereo(buf: &mut Buffer, x: u16, top: u16, height: u16, reading: Option<&HeldLevel>) {
    for side in 0..2u16 {
        let column = x + side;
        let s = usize::from(side);
        match reading {
            Some(r) => {
                let peak = fraction(r.level.peak_db[s], FLOOR_DB);
                let rms = fraction(r.level.rms_db[s], FLOOR_DB);
                // The peak first, in grey; the RMS over it in colour.
                bar(
                    buf,
                    column,
                    top,
                    height,
                    Some((peak, Color::Gray)),
                    Some(fraction(r.hold_db[s], FLOOR_DB)),
                );
                let rms_cells = (rms * f32::from(height) * 8.0).round() as u32;
                for row in 0..height {
                    let from_bottom = u32::from(height - 1 - row);
                    let in_cell = rms_cells.saturating_sub(from_bottom * 8).min(8) as usize;
                    if in_cell > 0 {
                        buf[(column, top + row)]
                            .set_symbol(EIGHTHS[in_cell])
                            .set_style(Style::new().fg(level_color(r.level.rms_db[s])));
                    }
                }
            }
            None => bar(buf, column, top, height, None, None),
        }
    }
}

/// Scale labels for a meter `height` rows tall whose top is 0 dB and bottom `floor`:
/// (row, text) for every label that fits, at least two rows apart.
pub fn scale(height: u16, floor: f32) -> Vec<(u16, String)> {
    let mut labels = Vec::new();
    let mut last: Option<u16> = None;
    let mut db = 0.0f32;
    while db >= floor {
        let row = ((1.0 - fraction(db, floor)) * f32::from(height)).floor() as u16;
        let row = row.min(height.saturating_sub(1));
        if last.is_none_or(|l| row >= l + 2) {
            labels.push((row, format!("{db:>3.0}")));
            last = Some(row);
        }
        db -= 6.0;
    }
    labels
}

/// Writes the scale labels right-aligned in `area` (its height is the meter's).
pub fn draw_scale(buf: &mut Buffer, area: Rect, floor: f32) {
    for (row, text) in scale(area.height, floor) {
        let text: String = text
            .chars()
            .rev()
            .take(usize::from(area.width))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let x = area.x + area.width.saturating_sub(text.chars().count() as u16);
        buf.set_string(x, area.y + row, text, Style::new().fg(Color::DarkGray));
    }
}

/// A horizontal bar with a label and value: for loudness, true peak and correlation.
/// `fill` is 0 to 1; `None` draws the empty track.
pub fn horizontal(buf: &mut Buffer, area: Rect, fill: Option<(f32, Color)>, mark: Option<f32>) {
    let w = f32::from(area.width);
    let eighths = fill.map_or(0, |(f, _)| (f.clamp(0.0, 1.0) * w * 8.0).round() as u32);
    const LEFT: [&str; 9] = [" ", "▏", "▎", "▍", "▌", "▋", "▊", "▉", "█"];
    let color = fill.map_or(Color::Reset, |(_, c)| c);
    let mark_col =
        mark.map(|m| ((m.clamp(0.0, 1.0) * w).floor() as u16).min(area.width.saturating_sub(1)));
    for col in 0..area.width {
        let in_cell = eighths.saturating_sub(u32::from(col) * 8).min(8) as usize;
        let cell = &mut buf[(area.x + col, area.y)];
        if in_cell > 0 {
            cell.set_symbol(LEFT[in_cell])
                .set_style(Style::new().fg(color));
        } else if mark_col == Some(col) {
            cell.set_symbol("│").set_style(HOLD_STYLE);
        } else {
            cell.set_symbol("·").set_style(EMPTY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(peak: f32) -> StripMeter {
        StripMeter {
            peak_db: [peak, peak - 6.0],
            rms_db: [peak - 10.0, peak - 16.0],
            gain_reduction_db: 0.0,
        }
    }

    #[test]
    fn a_peak_is_held_then_falls_back() {
        let start = Instant::now();
        let mut meters = Meters::default();
        meters.feed(2, level(-3.0), start);
        assert_eq!(meters.strips.len(), 3);
        assert!(meters.strip(0).is_none());
        meters.feed(2, level(-20.0), start + Duration::from_millis(500));
        let held = meters.strip(2).unwrap();
        assert_eq!(held.hold_db, [-3.0, -9.0], "held");
        assert_eq!(held.level.peak_db[0], -20.0, "the bar follows the signal");
        meters.feed(2, level(-20.0), start + HOLD + Duration::from_millis(1));
        assert_eq!(meters.strip(2).unwrap().hold_db, [-20.0, -26.0], "released");
        meters.feed(2, level(-1.0), start + HOLD + Duration::from_millis(2));
        assert_eq!(
            meters.strip(2).unwrap().hold_db[0],
            -1.0,
            "a higher peak is held at once"
        );
    }

    #[test]
    fn stopped_meters_fall_then_go_blank_and_a_smaller_mixer_drops_strips() {
        let start = Instant::now();
        let mut meters = Meters::default();
        let mixer = MixerMeters {
            channels: vec![level(-6.0); 3],
            ..MixerMeters::default()
        };
        meters.feed_mixer(&mixer, start);
        assert_eq!(meters.strips.len(), 5, "3 channels and 2 returns");
        meters.fall_silent(start + Duration::from_millis(10));
        let held = meters.strip(0).unwrap();
        assert_eq!(held.level.peak_db, [-200.0; 2], "the bar falls at once");
        assert_eq!(held.hold_db[0], -6.0, "the hold stays a while");
        meters.fall_silent(start + HOLD + Duration::from_millis(20));
        assert!(meters.strips.is_empty(), "{meters:?}");

        meters.feed_mixer(&mixer, start);
        let smaller = MixerMeters {
            channels: vec![level(-6.0); 1],
            ..MixerMeters::default()
        };
        meters.feed_mixer(&smaller, start);
        assert_eq!(meters.strips.len(), 3);
    }

    #[test]
    fn the_scale_starts_at_zero_and_never_crowds() {
        let labels = scale(5, FLOOR_DB);
        assert_eq!(labels[0], (0, "  0".to_owned()));
        for pair in labels.windows(2) {
            assert!(pair[1].0 >= pair[0].0 + 2, "{labels:?}");
        }
        let tall = scale(30, FLOOR_DB);
        assert_eq!(tall.len(), 11, "{tall:?}");
        assert_eq!(tall.last().unwrap().1, "-60");
    }

    #[test]
    fn bars_fill_from_the_bottom_in_eighths() {
        let mut buf = Buffer::empty(Rect::new(0, 0, 3, 4));
        bar(&mut buf, 0, 0, 4, Some((0.5, Color::Green)), None);
        let column: Vec<&str> = (0..4).map(|y| buf[(0, y)].symbol()).collect();
        assert_eq!(column, ["·", "·", "█", "█"]);
        bar(
            &mut buf,
            1,
            0,
            4,
            Some((0.25 + 1.0 / 32.0, Color::Green)),
            Some(0.8),
        );
        let column: Vec<&str> = (0..4).map(|y| buf[(1, y)].symbol()).collect();
        assert_eq!(column, ["▔", "·", "▁", "█"]);
        reduction_bar(&mut buf, 2, 0, 4, Some(12.0));
        let column: Vec<&str> = (0..4).map(|y| buf[(2, y)].symbol()).collect();
        assert_eq!(column, ["█", "█", "·", "·"]);
    }
}
