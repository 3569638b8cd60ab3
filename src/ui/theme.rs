//! Colours and styles, in one place so every view agrees.

use ratatui::style::{Color, Modifier, Style};

pub const TITLE: Style = Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD);
pub const HEADER: Style = Style::new().fg(Color::Cyan);
pub const MUTED: Style = Style::new().fg(Color::DarkGray);
pub const SEPARATOR: Style = Style::new().fg(Color::DarkGray);
pub const ROW_NUMBER: Style = Style::new().fg(Color::Gray);
pub const BEAT_NUMBER: Style = Style::new().fg(Color::Yellow);
pub const BAR_ROW: Style = Style::new().bg(Color::Indexed(237));
pub const BEAT_ROW: Style = Style::new().bg(Color::Indexed(235));
pub const CURSOR_ROW: Style = Style::new().bg(Color::Indexed(24));
pub const SELECTED: Style = Style::new().bg(Color::Indexed(61));
pub const NOTE: Style = Style::new().fg(Color::White);
pub const NOTE_OFF: Style = Style::new().fg(Color::LightBlue);
/// A note outside the song's key.
pub const OUT_OF_KEY: Style = Style::new()
    .fg(Color::LightRed)
    .add_modifier(Modifier::UNDERLINED);
pub const EMPTY: Style = Style::new().fg(Color::DarkGray);
pub const INSTRUMENT: Style = Style::new().fg(Color::LightCyan);
pub const VOLUME: Style = Style::new().fg(Color::LightGreen);
pub const EFFECT: Style = Style::new().fg(Color::LightMagenta);
pub const TAB: Style = Style::new().fg(Color::Gray);
pub const TAB_ACTIVE: Style = Style::new()
    .fg(Color::Black)
    .bg(Color::Yellow)
    .add_modifier(Modifier::BOLD);
pub const STATUS: Style = Style::new().fg(Color::White).bg(Color::Indexed(236));
pub const DIRTY: Style = Style::new().fg(Color::LightRed).bg(Color::Indexed(236));
pub const MESSAGE: Style = Style::new().fg(Color::Gray);
pub const ERROR: Style = Style::new()
    .fg(Color::LightRed)
    .add_modifier(Modifier::BOLD);
pub const HIGHLIGHT: Style = Style::new()
    .bg(Color::Indexed(24))
    .add_modifier(Modifier::BOLD);
pub const LABEL: Style = Style::new().fg(Color::Gray);
pub const VALUE: Style = Style::new().fg(Color::White);

/// A stable colour for a section label, so every "drop" looks the same.
pub fn section(label: &str) -> Style {
    let color = match label.to_ascii_lowercase().as_str() {
        "intro" => Color::LightBlue,
        "verse" => Color::LightGreen,
        "build" => Color::Yellow,
        "chorus" => Color::LightMagenta,
        "drop" => Color::LightRed,
        "break" => Color::Cyan,
        "outro" => Color::Blue,
        "" => Color::Gray,
        other => {
            const MORE: [Color; 4] = [Color::Green, Color::Magenta, Color::Red, Color::LightYellow];
            MORE[other.bytes().map(usize::from).sum::<usize>() % MORE.len()]
        }
    };
    Style::new().fg(color)
}
