//! The arrangement: the order list of patterns, with sections, repeats and start times.

use super::action::{Action, View};
use super::app::{App, PromptKind, Scope};
use super::theme;
use crate::engine::sequencer;
use crate::render::format_time;
use crate::song::{OrderEntry, SECTIONS};
use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Cell, Paragraph, Row, Table};

impl App {
    pub(super) fn arrangement_action(&mut self, action: Action) {
        let count = self.song.arrangement.len();
        match action {
            Action::Up => self.order = self.order.saturating_sub(1),
            Action::Down => self.order = (self.order + 1).min(count.saturating_sub(1)),
            Action::Home => self.order = 0,
            Action::End => self.order = count.saturating_sub(1),
            Action::Enter => {
                if let Some(entry) = self.song.arrangement.get(self.order)
                    && let Some(index) = self.song.pattern_index(&entry.pattern)
                {
                    self.view = View::Pattern;
                    self.show_pattern(index);
                }
            }
            Action::OrderInsert | Action::OrderDuplicate => {
                let entry = match self.song.arrangement.get(self.order) {
                    Some(e) if action == Action::OrderDuplicate => e.clone(),
                    Some(e) => OrderEntry {
                        pattern: e.pattern.clone(),
                        section: e.section.clone(),
                        repeat: 1,
                    },
                    None => OrderEntry {
                        pattern: self.pattern().name.clone(),
                        section: String::new(),
                        repeat: 1,
                    },
                };
                let at = if count == 0 { 0 } else { self.order + 1 };
                self.edit_settings(|app| {
                    app.song.arrangement.insert(at, entry);
                    app.song.entry_inserted(at);
                });
                self.order = at;
            }
            Action::OrderDelete => {
                if count <= 1 {
                    self.error("the arrangement needs at least one entry");
                    return;
                }
                let at = self.order;
                self.edit_settings(|app| {
                    app.song.arrangement.remove(at);
                    app.song.entry_removed(at);
                });
                self.order = at.min(count - 2);
            }
            Action::OrderMoveUp | Action::OrderMoveDown => {
                let at = self.order;
                let to = if action == Action::OrderMoveUp {
                    at.checked_sub(1)
                } else {
                    (at + 1 < count).then_some(at + 1)
                };
                if let Some(to) = to {
                    self.edit_settings(|app| {
                        app.song.arrangement.swap(at, to);
                        app.song.entries_swapped(at, to);
                    });
                    self.order = to;
                }
            }
            Action::Increase | Action::Decrease => {
                let Some(entry) = self.song.arrangement.get(self.order) else {
                    return;
                };
                let n = self.song.patterns.len();
                let current = self.song.pattern_index(&entry.pattern).unwrap_or(0);
                let next = if action == Action::Increase {
                    (current + 1) % n
                } else {
                    (current + n - 1) % n
                };
                let name = self.song.patterns[next].name.clone();
                let at = self.order;
                self.edit_settings(|app| app.song.arrangement[at].pattern = name);
            }
            Action::OrderRepeatUp | Action::OrderRepeatDown => {
                let at = self.order;
                let Some(entry) = self.song.arrangement.get(at) else {
                    return;
                };
                let repeat = if action == Action::OrderRepeatUp {
                    entry.repeat.saturating_add(1).min(999)
                } else {
                    entry.repeat.saturating_sub(1).max(1)
                };
                if repeat != entry.repeat {
                    self.edit_settings(|app| app.song.arrangement[at].repeat = repeat);
                }
            }
            Action::OrderLabel => {
                let label = self
                    .song
                    .arrangement
                    .get(self.order)
                    .map_or(String::new(), |e| e.section.clone());
                self.open_prompt(PromptKind::SectionLabel, label);
            }
            _ => {}
        }
    }

    /// One undoable change to anything but pattern cells.
    pub fn edit_settings(&mut self, f: impl FnOnce(&mut App)) {
        self.begin_edit(Scope::Settings);
        f(self);
        self.edited();
    }

    pub fn set_section_label(&mut self, label: &str) {
        let at = self.order;
        if at >= self.song.arrangement.len() || self.song.arrangement[at].section == label {
            return;
        }
        self.edit_settings(|app| app.song.arrangement[at].section = label.to_owned());
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let rate = app.song.render.sample_rate;
    let starts = sequencer::entry_start_times(&app.song, rate);
    let rows_per_bar = app.song.rows_per_bar().max(1);
    let mut bar = 0usize;
    let mut rows = Vec::with_capacity(app.song.arrangement.len());
    for (i, entry) in app.song.arrangement.iter().enumerate() {
        let length = app
            .song
            .pattern_index(&entry.pattern)
            .map_or(0, |p| app.song.patterns[p].length());
        let at = starts
            .get(i)
            .copied()
            .flatten()
            .map_or("skipped".to_owned(), |s| {
                format_time(s as f64 / f64::from(rate))
            });
        let style = if i == app.order {
            theme::HIGHLIGHT
        } else {
            Style::default()
        };
        let playing = app.audio.playing && app.audio.playhead.is_some_and(|p| p.0 == Some(i));
        rows.push(
            Row::new(vec![
                Cell::from(if playing {
                    format!("▶{i:03}")
                } else {
                    format!("{i:03}")
                }),
                Cell::from(entry.pattern.clone()),
                Cell::from(Span::styled(
                    entry.section.clone(),
                    theme::section(&entry.section),
                )),
                Cell::from(format!("x{}", entry.repeat)),
                Cell::from(format!("{:>4}", bar + 1)),
                Cell::from(at),
            ])
            .style(style),
        );
        bar += (length * usize::from(entry.repeat)).div_ceil(rows_per_bar);
    }
    let total = sequencer::song_length(&app.song, rate);
    let [table_area, footer] =
        ratatui::layout::Layout::vertical([Constraint::Min(1), Constraint::Length(1)]).areas(area);
    // Keep the selected entry on screen.
    let visible = usize::from(table_area.height.saturating_sub(1)).max(1);
    let skip = app.order.saturating_sub(visible - 1);
    let rows: Vec<Row> = rows.into_iter().skip(skip).collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(5),
            Constraint::Min(12),
            Constraint::Length(10),
            Constraint::Length(5),
            Constraint::Length(5),
            Constraint::Length(10),
        ],
    )
    .header(Row::new(["#", "pattern", "section", "rep", "bar", "start"]).style(theme::HEADER));
    frame.render_widget(table, table_area);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(
                format!(
                    " {} entries, {} bars, ends at {}",
                    app.song.arrangement.len(),
                    bar,
                    format_time(total as f64 / f64::from(rate))
                ),
                theme::LABEL,
            ),
            Span::styled(format!("  sections: {}", SECTIONS.join(" ")), theme::MUTED),
        ])),
        footer,
    );
}
