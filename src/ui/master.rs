//! The Master view: the master section's settings, edited like the mixer's, beside the
//! loudness (momentary, short-term, integrated), true-peak and correlation meters.
//!
//! The meters show their scales until the player reports a loudness reading.

use super::action::Action;
use super::app::{App, PromptKind};
use super::meter;
use super::mixer::{Kind, Range, Slot, Step, Value, parse, prompt_text, stepped, text};
use super::theme;
use crate::song::Master;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MasterParam {
    Gain,
    Ceiling,
}

pub(super) const MASTER_PARAMS: [MasterParam; 2] = [MasterParam::Gain, MasterParam::Ceiling];

/// The validator's ranges (`song/validate.rs`).
const MASTER_GAIN: Range = Range {
    min: -48.0,
    max: 24.0,
    step: Step::Linear {
        fine: 0.5,
        coarse: 3.0,
    },
    unit: " dB",
    decimals: 1,
};
const CEILING: Range = Range {
    min: -24.0,
    max: 0.0,
    step: Step::Linear {
        fine: 0.1,
        coarse: 1.0,
    },
    unit: " dBTP",
    decimals: 1,
};

impl MasterParam {
    fn label(self) -> &'static str {
        match self {
            MasterParam::Gain => "gain into the chain",
            MasterParam::Ceiling => "limiter ceiling",
        }
    }
}

fn slot(master: &mut Master, p: MasterParam) -> (Slot<'_>, Kind) {
    match p {
        MasterParam::Gain => (Slot::Number(&mut master.gain_db), Kind::Number(MASTER_GAIN)),
        MasterParam::Ceiling => (Slot::Number(&mut master.ceiling_db), Kind::Number(CEILING)),
    }
}

fn read(master: &Master, p: MasterParam) -> (Value, Kind) {
    let mut copy = *master;
    let (s, k) = slot(&mut copy, p);
    (s.get(), k)
}

impl App {
    fn master_param(&self) -> MasterParam {
        MASTER_PARAMS[self.master_param.min(MASTER_PARAMS.len() - 1)]
    }

    pub(super) fn master_action(&mut self, action: Action) {
        let p = self.master_param();
        let (value, kind) = read(&self.song.master, p);
        match action {
            Action::Up => self.master_param = self.master_param.saturating_sub(1),
            Action::Down => {
                self.master_param = (self.master_param + 1).min(MASTER_PARAMS.len() - 1)
            }
            Action::Increase => self.set_master_value(p, stepped(kind, value, 1, false)),
            Action::Decrease => self.set_master_value(p, stepped(kind, value, -1, false)),
            Action::IncreaseCoarse => self.set_master_value(p, stepped(kind, value, 1, true)),
            Action::DecreaseCoarse => self.set_master_value(p, stepped(kind, value, -1, true)),
            Action::ResetValue => {
                let (default, _) = read(&Master::default(), p);
                self.set_master_value(p, default);
            }
            Action::EditValue => {
                self.open_prompt(PromptKind::MasterValue, prompt_text(kind, value));
            }
            _ => {}
        }
    }

    pub fn set_master_text(&mut self, text: &str) {
        let p = self.master_param();
        let (_, kind) = read(&self.song.master, p);
        match parse(kind, text) {
            Ok(v) => self.set_master_value(p, v),
            Err(e) => self.error(format!("{}: {e}", p.label())),
        }
    }

    fn set_master_value(&mut self, p: MasterParam, value: Value) {
        if read(&self.song.master, p).0 == value {
            return;
        }
        self.edit_settings(|app| slot(&mut app.song.master, p).0.set(value));
    }
}

/// The loudness bars' scale: -60 to 0 LUFS (and dBTP).
const LOUDNESS_FLOOR: f32 = -60.0;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let [params_area, meters_area] =
        Layout::horizontal([Constraint::Length(38), Constraint::Min(20)]).areas(area);
    let lines: Vec<Line> = MASTER_PARAMS
        .iter()
        .map(|&p| {
            let (v, k) = read(&app.song.master, p);
            let style = if p == app.master_param() {
                theme::HIGHLIGHT
            } else {
                theme::VALUE
            };
            Line::from(vec![
                Span::styled(format!("  {:<22}", p.label()), theme::LABEL),
                Span::styled(format!("{:>10}", text(k, v)), style),
            ])
        })
        .collect();
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(" master ", theme::TITLE)),
        ),
        params_area,
    );

    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" meters (while playing) ", theme::TITLE));
    let inner = block.inner(meters_area);
    frame.render_widget(block, meters_area);
    if inner.width < 24 || inner.height < 6 {
        return;
    }
    let label_width = 13u16;
    let value_width = 10u16;
    let bar_width = inner.width - label_width - value_width;
    let buf = frame.buffer_mut();
    let rows: [(&str, &str); 5] = [
        ("momentary", "LUFS"),
        ("short-term", "LUFS"),
        ("integrated", "LUFS"),
        ("true peak", "dBTP"),
        ("correlation", ""),
    ];
    for (i, (name, unit)) in rows.iter().enumerate() {
        let y = inner.y + i as u16;
        buf.set_string(inner.x, y, format!(" {name:<11}"), theme::LABEL);
        let bar = Rect::new(inner.x + label_width, y, bar_width, 1);
        // No reading yet: the empty track, with the target or centre marked.
        let mark = if *name == "correlation" {
            Some(0.5)
        } else {
            Some(meter::fraction(app.song.master.ceiling_db, LOUDNESS_FLOOR)).filter(|_| i == 3)
        };
        meter::horizontal(buf, bar, None, mark);
        buf.set_string(
            inner.x + label_width + bar_width,
            y,
            format!("{:>5} {unit:<4}", "-"),
            theme::MUTED,
        );
    }
    // The scale under the bars.
    let y = inner.y + rows.len() as u16;
    let scale_left = inner.x + label_width;
    let mut free_from = scale_left;
    for db in [-60.0f32, -40.0, -23.0, -14.0, 0.0] {
        let label = format!("{db:.0}");
        let x =
            scale_left + ((meter::fraction(db, LOUDNESS_FLOOR) * f32::from(bar_width - 1)) as u16);
        let x = x.min(scale_left + bar_width - label.len() as u16);
        // A label that would run into the previous one is left out.
        if x >= free_from {
            buf.set_string(
                x,
                y,
                &label,
                ratatui::style::Style::new().fg(Color::DarkGray),
            );
            free_from = x + label.len() as u16 + 1;
        }
    }
}
