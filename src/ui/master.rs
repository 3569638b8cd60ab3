//! The Master view: the master chain's settings in signal order (gain, EQ, glue
//! compressor, width, limiter, loudness target), edited with the Mixer's keys, beside
//! the loudness (momentary, short-term, integrated), true-peak, correlation and
//! gain-reduction meters, and a render with a chosen delivery preset whose loudness
//! report stays on show.
//!
//! The meters show their scales until the player reports a reading; after a stop they
//! keep the last one (the integrated loudness of what was played).

use super::action::Action;
use super::app::{App, PromptKind};
use super::meter;
use super::mixer::{
    BAND_NAMES, COMP_PARAMS, CompParam, EQ_PARAMS, EqParam, Kind, Range, Slot, Step, Value,
    comp_slot, draw_eq_curve, eq_slot, parse, prompt_text, stepped, text,
};
use super::theme;
use crate::dsp::meter::SILENCE;
use crate::song::{Master, Preset};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

/// A setting of the master section, in signal order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum MasterParam {
    Gain,
    Eq(EqParam),
    Comp(CompParam),
    WidthOn,
    Width,
    MonoBelow,
    LimiterOn,
    Ceiling,
    Release,
    Lookahead,
    /// Sets target and ceiling together (a preset is a complete delivery spec).
    Preset,
    Target,
}

pub(super) fn master_params() -> &'static [MasterParam] {
    static LIST: std::sync::OnceLock<Vec<MasterParam>> = std::sync::OnceLock::new();
    LIST.get_or_init(|| {
        use MasterParam::*;
        let mut list = vec![Gain];
        list.extend(EQ_PARAMS.map(Eq));
        list.extend(COMP_PARAMS.map(Comp));
        list.extend([
            WidthOn, Width, MonoBelow, LimiterOn, Ceiling, Release, Lookahead, Preset, Target,
        ]);
        list
    })
}

/// The validator's ranges (`song/validate.rs`); a test checks both ends pass it.
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
const WIDTH: Range = Range {
    min: 0.0,
    max: 200.0,
    step: Step::Linear {
        fine: 1.0,
        coarse: 10.0,
    },
    unit: " %",
    decimals: 0,
};
/// The mono-bass crossover when on (0 is off).
const MONO_BELOW: Range = Range {
    min: 20.0,
    max: 500.0,
    step: Step::Ratio {
        fine: 1.0 / 12.0,
        coarse: 0.5,
    },
    unit: " Hz",
    decimals: 0,
};
const LIMITER_RELEASE: Range = Range {
    min: 1.0,
    max: 1_000.0,
    step: Step::Ratio {
        fine: 0.25,
        coarse: 1.0,
    },
    unit: " ms",
    decimals: 0,
};
const LOOKAHEAD: Range = Range {
    min: 0.5,
    max: 10.0,
    step: Step::Linear {
        fine: 0.1,
        coarse: 1.0,
    },
    unit: " ms",
    decimals: 1,
};
/// The loudness target when on (`None` leaves the level alone).
const TARGET: Range = Range {
    min: -40.0,
    max: -3.0,
    step: Step::Linear {
        fine: 0.5,
        coarse: 1.0,
    },
    unit: " LUFS",
    decimals: 1,
};

const STAGE: Kind = Kind::Toggle("byp", "on");

impl MasterParam {
    pub fn label(self) -> String {
        match self {
            MasterParam::Gain => "gain into the chain".into(),
            MasterParam::Eq(EqParam::On) => "EQ".into(),
            MasterParam::Eq(EqParam::Freq(b)) => format!("EQ {} freq", BAND_NAMES[b]),
            MasterParam::Eq(EqParam::Gain(b)) => format!("EQ {} gain", BAND_NAMES[b]),
            MasterParam::Eq(EqParam::Q(b)) => format!("EQ {} Q", BAND_NAMES[b]),
            MasterParam::Comp(CompParam::On) => "glue compressor".into(),
            MasterParam::Comp(c) => format!("glue {}", c.label()),
            MasterParam::WidthOn => "stereo width stage".into(),
            MasterParam::Width => "width".into(),
            MasterParam::MonoBelow => "mono below (bass crossover)".into(),
            MasterParam::LimiterOn => "limiter".into(),
            MasterParam::Ceiling => "limiter ceiling".into(),
            MasterParam::Release => "limiter release".into(),
            MasterParam::Lookahead => "limiter look-ahead (from the next play)".into(),
            MasterParam::Preset => "delivery preset (target and ceiling)".into(),
            MasterParam::Target => "loudness target (renders)".into(),
        }
    }

    /// The first setting of each stage (PgUp/PgDn jump between them).
    fn starts_stage(self) -> bool {
        matches!(
            self,
            MasterParam::Gain
                | MasterParam::Eq(EqParam::On)
                | MasterParam::Comp(CompParam::On)
                | MasterParam::WidthOn
                | MasterParam::LimiterOn
                | MasterParam::Preset
        )
    }

    /// The stage's bypass this setting belongs to, if the stage has one.
    fn stage_bypass(self) -> Option<MasterParam> {
        match self {
            MasterParam::Eq(_) => Some(MasterParam::Eq(EqParam::On)),
            MasterParam::Comp(_) => Some(MasterParam::Comp(CompParam::On)),
            MasterParam::WidthOn | MasterParam::Width | MasterParam::MonoBelow => {
                Some(MasterParam::WidthOn)
            }
            MasterParam::LimiterOn
            | MasterParam::Ceiling
            | MasterParam::Release
            | MasterParam::Lookahead => Some(MasterParam::LimiterOn),
            _ => None,
        }
    }
}

/// Where a plain setting lives; `None` for the ones with an "off" outside their range
/// (mono below, target) and for the preset, which `step`, `typed` and `reset` handle.
fn slot(master: &mut Master, p: MasterParam) -> Option<(Slot<'_>, Kind)> {
    Some(match p {
        MasterParam::Gain => (Slot::Number(&mut master.gain_db), Kind::Number(MASTER_GAIN)),
        MasterParam::Eq(e) => eq_slot(&mut master.eq, e),
        MasterParam::Comp(c) => comp_slot(&mut master.compressor, c),
        MasterParam::WidthOn => (Slot::Toggle(&mut master.width.bypass), STAGE),
        MasterParam::Width => (
            Slot::Number(&mut master.width.width_percent),
            Kind::Number(WIDTH),
        ),
        MasterParam::LimiterOn => (Slot::Toggle(&mut master.limiter.bypass), STAGE),
        MasterParam::Ceiling => (Slot::Number(&mut master.ceiling_db), Kind::Number(CEILING)),
        MasterParam::Release => (
            Slot::Number(&mut master.limiter.release_ms),
            Kind::Number(LIMITER_RELEASE),
        ),
        MasterParam::Lookahead => (
            Slot::Number(&mut master.limiter.lookahead_ms),
            Kind::Number(LOOKAHEAD),
        ),
        MasterParam::MonoBelow | MasterParam::Preset | MasterParam::Target => return None,
    })
}

fn read(master: &Master, p: MasterParam) -> Option<(Value, Kind)> {
    let mut copy = *master;
    slot(&mut copy, p).map(|(s, k)| (s.get(), k))
}

/// A value with an "off" below its range: stepping down from the bottom turns it off,
/// stepping up from off starts at the bottom.
fn step_or_off(range: Range, value: Option<f32>, dir: i32, coarse: bool) -> Option<f32> {
    match value {
        None if dir > 0 => Some(range.min),
        None => None,
        Some(v) if dir < 0 && v <= range.min => None,
        Some(v) => match stepped(Kind::Number(range), Value::Number(v), dir, coarse) {
            Value::Number(n) => Some(n),
            _ => Some(v),
        },
    }
}

fn or_off_text(range: Range, value: Option<f32>) -> String {
    value.map_or("off".to_owned(), |v| {
        text(Kind::Number(range), Value::Number(v))
    })
}

fn parse_or_off(range: Range, typed: &str) -> Result<Option<f32>, String> {
    if typed.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    match parse(Kind::Number(range), typed) {
        Ok(Value::Number(v)) => Ok(Some(v)),
        Ok(_) => Ok(None),
        Err(e) => Err(format!("{e}, or off")),
    }
}

fn mono_below(master: &Master) -> Option<f32> {
    (master.width.mono_below_hz > 0.0).then_some(master.width.mono_below_hz)
}

fn preset_text(preset: Option<Preset>) -> String {
    preset.map_or("custom".to_owned(), |p| p.name().to_owned())
}

/// The setting as the view shows it.
fn shown(master: &Master, p: MasterParam) -> String {
    match p {
        MasterParam::MonoBelow => or_off_text(MONO_BELOW, mono_below(master)),
        MasterParam::Target => or_off_text(TARGET, master.target_lufs),
        MasterParam::Preset => preset_text(Preset::matching(master)),
        _ => read(master, p).map_or(String::new(), |(v, k)| text(k, v)),
    }
}

/// `master` with the setting one step up (`dir` 1) or down (-1).
fn step(master: &Master, p: MasterParam, dir: i32, coarse: bool) -> Master {
    let mut m = *master;
    match p {
        MasterParam::MonoBelow => {
            m.width.mono_below_hz =
                step_or_off(MONO_BELOW, mono_below(master), dir, coarse).unwrap_or(0.0);
        }
        MasterParam::Target => {
            m.target_lufs = step_or_off(TARGET, master.target_lufs, dir, coarse);
        }
        MasterParam::Preset => {
            let all = Preset::ALL;
            let next = match Preset::matching(master).and_then(|p| all.iter().position(|&x| x == p))
            {
                Some(i) => all[(i as i32 + dir).rem_euclid(all.len() as i32) as usize],
                None => all[0],
            };
            next.apply(&mut m);
        }
        _ => {
            if let Some((value, kind)) = read(master, p)
                && let Some((mut s, _)) = slot(&mut m, p)
            {
                s.set(stepped(kind, value, dir, coarse));
            }
        }
    }
    m
}

/// `master` with the setting as typed.
fn typed(master: &Master, p: MasterParam, input: &str) -> Result<Master, String> {
    let mut m = *master;
    match p {
        MasterParam::MonoBelow => {
            m.width.mono_below_hz = parse_or_off(MONO_BELOW, input)?.unwrap_or(0.0);
        }
        MasterParam::Target => m.target_lufs = parse_or_off(TARGET, input)?,
        MasterParam::Preset => {
            let preset = Preset::parse(input.trim().to_ascii_lowercase().as_str())
                .ok_or_else(|| format!("\"{input}\": allowed {}", Preset::ALLOWED))?;
            preset.apply(&mut m);
        }
        _ => {
            if let Some((_, kind)) = read(master, p) {
                let value = parse(kind, input)?;
                if let Some((mut s, _)) = slot(&mut m, p) {
                    s.set(value);
                }
            }
        }
    }
    Ok(m)
}

/// `master` with the setting back at its default.
fn reset(master: &Master, p: MasterParam) -> Master {
    let default = Master::default();
    let mut m = *master;
    match p {
        MasterParam::MonoBelow => m.width.mono_below_hz = default.width.mono_below_hz,
        MasterParam::Target => m.target_lufs = default.target_lufs,
        MasterParam::Preset => {
            m.target_lufs = default.target_lufs;
            m.ceiling_db = default.ceiling_db;
        }
        _ => {
            if let Some((value, _)) = read(&default, p)
                && let Some((mut s, _)) = slot(&mut m, p)
            {
                s.set(value);
            }
        }
    }
    m
}

/// The value as a prompt starts it: what typing it back gives.
fn prompt_start(master: &Master, p: MasterParam) -> String {
    let or_off = |range: Range, value: Option<f32>| {
        value.map_or("off".to_owned(), |v| {
            prompt_text(Kind::Number(range), Value::Number(v))
        })
    };
    match p {
        MasterParam::MonoBelow => or_off(MONO_BELOW, mono_below(master)),
        MasterParam::Target => or_off(TARGET, master.target_lufs),
        MasterParam::Preset => Preset::matching(master).map_or(String::new(), |p| p.name().into()),
        _ => read(master, p).map_or(String::new(), |(v, k)| prompt_text(k, v)),
    }
}

/// The presets a render from the Master view can use, after the song's own settings.
pub(super) const RENDER_PRESETS: [Option<Preset>; 6] = [
    None,
    Some(Preset::Streaming),
    Some(Preset::Club),
    Some(Preset::Broadcast),
    Some(Preset::Podcast),
    Some(Preset::None),
];

fn render_preset_text(preset: Option<Preset>) -> String {
    match preset {
        None => "the song's own".to_owned(),
        Some(Preset::None) => "none (no normalisation)".to_owned(),
        Some(p) => format!(
            "{} {:.0} LUFS {:.1} dBTP",
            p.name(),
            p.target_lufs().unwrap_or(0.0),
            p.ceiling_dbtp()
        ),
    }
}

impl App {
    pub(super) fn master_param(&self) -> MasterParam {
        let list = master_params();
        list[self.master_param.min(list.len() - 1)]
    }

    pub(super) fn master_action(&mut self, action: Action) {
        let list = master_params();
        let p = self.master_param();
        let here = self.master_param.min(list.len() - 1);
        match action {
            Action::Up => self.master_param = here.saturating_sub(1),
            Action::Down => self.master_param = (here + 1).min(list.len() - 1),
            Action::Home => self.master_param = 0,
            Action::End => self.master_param = list.len() - 1,
            Action::PageDown => {
                self.master_param = list[here + 1..]
                    .iter()
                    .position(|p| p.starts_stage())
                    .map_or(list.len() - 1, |i| here + 1 + i);
            }
            Action::PageUp => {
                self.master_param = list[..here]
                    .iter()
                    .rposition(|p| p.starts_stage())
                    .unwrap_or(0);
            }
            Action::Increase => self.set_master(step(&self.song.master, p, 1, false)),
            Action::Decrease => self.set_master(step(&self.song.master, p, -1, false)),
            Action::IncreaseCoarse => self.set_master(step(&self.song.master, p, 1, true)),
            Action::DecreaseCoarse => self.set_master(step(&self.song.master, p, -1, true)),
            Action::ResetValue => self.set_master(reset(&self.song.master, p)),
            Action::ToggleBypass => match p.stage_bypass() {
                Some(bypass) => self.set_master(step(&self.song.master, bypass, 1, false)),
                None => self.error(format!("{} has no bypass", p.label())),
            },
            Action::EditValue => {
                let start = prompt_start(&self.song.master, p);
                self.open_prompt(PromptKind::MasterValue, start);
            }
            Action::NextRenderPreset | Action::PrevRenderPreset => {
                let n = RENDER_PRESETS.len();
                let i = RENDER_PRESETS
                    .iter()
                    .position(|&x| x == self.render_preset)
                    .unwrap_or(0);
                let next = if action == Action::NextRenderPreset {
                    i + 1
                } else {
                    i + n - 1
                };
                self.render_preset = RENDER_PRESETS[next % n];
                self.info(format!(
                    "render preset: {} (r renders)",
                    render_preset_text(self.render_preset)
                ));
            }
            Action::RenderWithPreset => {
                let suffix = self
                    .render_preset
                    .map_or(String::new(), |p| format!("-{}", p.name()));
                let stem = self
                    .path
                    .file_stem()
                    .map_or("song".into(), |s| s.to_string_lossy().into_owned());
                let default = self.path.with_file_name(format!("{stem}{suffix}.wav"));
                self.open_prompt(PromptKind::MasterRenderPath, default.display().to_string());
            }
            _ => {}
        }
    }

    pub fn set_master_text(&mut self, input: &str) {
        let p = self.master_param();
        match typed(&self.song.master, p, input) {
            Ok(m) => self.set_master(m),
            Err(e) => self.error(format!("{}: {e}", p.label())),
        }
    }

    /// One undoable edit, made only when something changes; heard at once while playing.
    fn set_master(&mut self, master: Master) {
        if master == self.song.master {
            return;
        }
        self.edit_settings(|app| app.song.master = master);
    }
}

/// The loudness bars' scale: -60 to 0 LUFS (and dBTP).
const LOUDNESS_FLOOR: f32 = -60.0;
/// The gain-reduction bars' full scale (dB).
const REDUCTION_RANGE: f32 = 12.0;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let settings_width = if area.width >= 120 { 46 } else { 40 };
    let [settings_area, right] =
        Layout::horizontal([Constraint::Length(settings_width), Constraint::Min(20)]).areas(area);
    draw_settings(frame, settings_area, app);
    let meters_height = 10.min(right.height);
    let [meters_area, below] =
        Layout::vertical([Constraint::Length(meters_height), Constraint::Min(0)]).areas(right);
    draw_meters(frame, meters_area, app);
    // On a tall screen the EQ curve sits between the meters and the render panel.
    let curve_height = if below.height >= 16 {
        (below.height - 8).min(16)
    } else {
        0
    };
    let [curve_area, render_area] =
        Layout::vertical([Constraint::Length(curve_height), Constraint::Min(0)]).areas(below);
    if curve_area.height >= 6 {
        draw_eq_curve(
            frame,
            curve_area,
            &app.song.master.eq,
            None,
            app.song.render.sample_rate,
        );
    }
    draw_render(frame, render_area, app);
}

fn draw_settings(frame: &mut Frame, area: Rect, app: &App) {
    let master = &app.song.master;
    let selected = app.master_param();
    let v = |p: MasterParam, width: usize| -> Span<'static> {
        let style = if p == selected {
            theme::HIGHLIGHT
        } else {
            theme::VALUE
        };
        Span::styled(format!("{:>width$}", shown(master, p)), style)
    };
    let label = |t: &str, width: usize| Span::styled(format!("{t:<width$}"), theme::LABEL);
    let muted = |t: &str| Span::styled(t.to_owned(), theme::MUTED);
    let mut lines = vec![Line::from(vec![
        label("gain in", 12),
        v(MasterParam::Gain, 8),
    ])];
    lines.push(Line::from(vec![
        label("EQ", 8),
        v(MasterParam::Eq(EqParam::On), 4),
        muted("    freq    gain     Q"),
    ]));
    for (b, name) in BAND_NAMES.iter().enumerate() {
        lines.push(Line::from(vec![
            label(&format!(" {name}"), 12),
            v(MasterParam::Eq(EqParam::Freq(b)), 8),
            v(MasterParam::Eq(EqParam::Gain(b)), 8),
            v(MasterParam::Eq(EqParam::Q(b)), 6),
        ]));
    }
    lines.push(Line::from(vec![
        label("compressor", 12),
        v(MasterParam::Comp(CompParam::On), 4),
        label("  thresh", 10),
        v(MasterParam::Comp(CompParam::Threshold), 8),
    ]));
    lines.push(Line::from(vec![
        label(" ratio", 8),
        v(MasterParam::Comp(CompParam::Ratio), 8),
        label("  attack", 10),
        v(MasterParam::Comp(CompParam::Attack), 8),
    ]));
    lines.push(Line::from(vec![
        label(" release", 8),
        v(MasterParam::Comp(CompParam::Release), 8),
        label("  knee", 10),
        v(MasterParam::Comp(CompParam::Knee), 8),
    ]));
    lines.push(Line::from(vec![
        label(" make-up", 8),
        v(MasterParam::Comp(CompParam::Makeup), 8),
    ]));
    lines.push(Line::from(vec![
        label("width", 12),
        v(MasterParam::WidthOn, 4),
        v(MasterParam::Width, 6),
        label("  mono <", 9),
        v(MasterParam::MonoBelow, 7),
    ]));
    lines.push(Line::from(vec![
        label("limiter", 12),
        v(MasterParam::LimiterOn, 4),
        label("  ceiling", 10),
        v(MasterParam::Ceiling, 8),
    ]));
    lines.push(Line::from(vec![
        label(" release", 8),
        v(MasterParam::Release, 8),
        label("  look-ahd", 10),
        v(MasterParam::Lookahead, 8),
    ]));
    lines.push(Line::from(vec![
        label("preset", 8),
        v(MasterParam::Preset, 10),
        label("  target", 8),
        v(MasterParam::Target, 10),
    ]));
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" master chain ", theme::TITLE))
        .title_bottom(Span::styled(
            format!(" {} ", selected.label()),
            theme::HEADER,
        ));
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

const LABEL_WIDTH: u16 = 13;
const VALUE_WIDTH: u16 = 11;

/// A meter row's label, bar fill (0 to 1, colour), mark (0 to 1) and value text.
type MeterRow<'a> = (&'a str, Option<(f32, Color)>, Option<f32>, String);

/// One meter row: label, bar, value text.
fn meter_row(
    buf: &mut Buffer,
    area: Rect,
    y: u16,
    name: &str,
    fill: Option<(f32, Color)>,
    mark: Option<f32>,
    value: &str,
) {
    let label_width = LABEL_WIDTH;
    let value_width = VALUE_WIDTH;
    let bar_width = area.width.saturating_sub(label_width + value_width);
    buf.set_string(area.x, y, format!(" {name:<12}"), theme::LABEL);
    meter::horizontal(
        buf,
        Rect::new(area.x + label_width, y, bar_width, 1),
        fill,
        mark,
    );
    let style = if fill.is_some() {
        theme::VALUE
    } else {
        theme::MUTED
    };
    buf.set_string(
        area.x + label_width + bar_width,
        y,
        format!("{value:>11}"),
        style,
    );
}

fn loudness_color(lufs: f32, target: Option<f32>) -> Color {
    match target {
        Some(t) if lufs > t + 1.0 => Color::LightRed,
        Some(t) if lufs >= t - 1.0 => Color::LightGreen,
        _ if lufs > -6.0 => Color::LightRed,
        _ => Color::LightCyan,
    }
}

fn number(v: f32, unit: &str) -> String {
    if v <= SILENCE {
        format!("-∞ {unit}")
    } else {
        format!("{v:.1} {unit}")
    }
}

fn draw_meters(frame: &mut Frame, area: Rect, app: &App) {
    let title = if app.audio.playing {
        " meters "
    } else if app.master_levels.is_some() {
        " meters (last playback) "
    } else {
        " meters (while playing) "
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme::TITLE));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if inner.width < 28 || inner.height < 2 {
        return;
    }
    let buf = frame.buffer_mut();
    let master = &app.song.master;
    let levels = app.master_levels;
    let target = master.target_lufs;
    let target_mark = target.map(|t| meter::fraction(t, LOUDNESS_FLOOR));
    let loudness = |pick: fn(&crate::dsp::meter::MeterReading) -> f32| {
        levels.map(|l| {
            let v = pick(&l.loudness);
            (
                Some((
                    meter::fraction(v, LOUDNESS_FLOOR),
                    loudness_color(v, target),
                )),
                number(v, "LUFS"),
            )
        })
    };
    let mut rows: Vec<MeterRow> = Vec::new();
    for (name, pick) in [
        (
            "momentary",
            (|r: &crate::dsp::meter::MeterReading| r.momentary_lufs) as fn(&_) -> f32,
        ),
        ("short-term", |r| r.short_term_lufs),
        ("integrated", |r| r.integrated_lufs),
    ] {
        let (fill, value) = loudness(pick).unwrap_or((None, "- LUFS".into()));
        rows.push((name, fill, target_mark, value));
    }
    let ceiling_mark = meter::fraction(master.ceiling_db, LOUDNESS_FLOOR);
    match levels {
        Some(l) => {
            let tp = l.loudness.true_peak_dbtp;
            let max = l.loudness.max_true_peak_dbtp;
            let color = if max > master.ceiling_db {
                Color::LightRed
            } else {
                Color::LightGreen
            };
            rows.push((
                "true peak",
                Some((meter::fraction(tp, LOUDNESS_FLOOR), color)),
                Some(meter::fraction(max, LOUDNESS_FLOOR)),
                number(max, "dBTP"),
            ));
            let c = l.loudness.correlation;
            let color = if c < 0.0 {
                Color::LightRed
            } else {
                Color::LightGreen
            };
            rows.push((
                "correlation",
                Some(((c + 1.0) / 2.0, color)),
                Some(0.5),
                format!("{c:+.2}"),
            ));
            for (name, r) in [
                ("comp GR", l.reduction_db[0]),
                ("limiter GR", l.reduction_db[1]),
            ] {
                // No reduction reads 0.0 (a limiter at unity reports -0.0).
                let r = if r > 0.0 { r } else { 0.0 };
                rows.push((
                    name,
                    Some(((r / REDUCTION_RANGE).clamp(0.0, 1.0), Color::LightMagenta)),
                    None,
                    format!("{r:.1} dB"),
                ));
            }
        }
        None => {
            rows.push(("true peak", None, Some(ceiling_mark), "- dBTP".into()));
            rows.push(("correlation", None, Some(0.5), "-".into()));
            rows.push(("comp GR", None, None, "- dB".into()));
            rows.push(("limiter GR", None, None, "- dB".into()));
        }
    }
    for (i, (name, fill, mark, value)) in rows.iter().enumerate() {
        let y = inner.y + i as u16;
        if y >= inner.y + inner.height {
            return;
        }
        meter_row(buf, inner, y, name, *fill, *mark, value);
    }
    // The scale under the loudness bars.
    let y = inner.y + rows.len() as u16;
    if y >= inner.y + inner.height {
        return;
    }
    let scale_left = inner.x + LABEL_WIDTH;
    let bar_width = inner.width.saturating_sub(LABEL_WIDTH + VALUE_WIDTH);
    let mut free_from = scale_left;
    for db in [-60.0f32, -40.0, -23.0, -14.0, 0.0] {
        let label = format!("{db:.0}");
        let x = scale_left
            + ((meter::fraction(db, LOUDNESS_FLOOR) * f32::from(bar_width.saturating_sub(1)))
                as u16);
        let x = x.min(scale_left + bar_width.saturating_sub(label.len() as u16));
        // A label that would run into the previous one is left out.
        if x >= free_from {
            buf.set_string(x, y, &label, Style::new().fg(Color::DarkGray));
            free_from = x + label.len() as u16 + 1;
        }
    }
}

fn draw_render(frame: &mut Frame, area: Rect, app: &App) {
    let block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" render ", theme::TITLE))
        .title(Span::styled(" p preset, r render ", theme::MUTED));
    let mut lines = vec![Line::from(vec![
        Span::styled("preset ", theme::LABEL),
        Span::styled(render_preset_text(app.render_preset), theme::VALUE),
    ])];
    if let Some(job) = &app.render_job {
        lines.push(Line::from(Span::styled(
            format!("rendering ... {:.0} %", 100.0 * job.progress()),
            theme::VALUE,
        )));
    } else if let Some(r) = &app.last_render {
        let name = r.output.file_name().map_or_else(
            || r.output.display().to_string(),
            |n| n.to_string_lossy().into(),
        );
        lines.push(Line::from(vec![
            Span::styled("last ", theme::LABEL),
            Span::styled(name, theme::VALUE),
            Span::styled(
                format!(" {}", crate::render::format_time(r.duration_seconds)),
                theme::MUTED,
            ),
        ]));
        let target = r
            .target_lufs
            .map_or(String::new(), |t| format!(" (target {t:.1})"));
        lines.push(Line::from(vec![
            Span::styled("integrated ", theme::LABEL),
            Span::styled(format!("{:.1} LUFS", r.loudness_lufs), theme::VALUE),
            Span::styled(target, theme::MUTED),
        ]));
        lines.push(Line::from(vec![
            Span::styled("true peak ", theme::LABEL),
            Span::styled(format!("{:.1} dBTP", r.true_peak_dbtp), theme::VALUE),
            Span::styled(format!(" (ceiling {:.1})", r.ceiling_dbtp), theme::MUTED),
        ]));
        lines.push(Line::from(vec![
            Span::styled("LRA ", theme::LABEL),
            Span::styled(format!("{:.1} LU", r.loudness_range_lu), theme::VALUE),
            Span::styled("  short-term max ", theme::LABEL),
            Span::styled(format!("{:.1}", r.short_term_max_lufs), theme::VALUE),
        ]));
        lines.push(Line::from(vec![
            Span::styled("sample peak ", theme::LABEL),
            Span::styled(format!("{:.1} dBFS", r.peak_dbfs), theme::VALUE),
        ]));
    } else {
        lines.push(Line::from(Span::styled("no render yet", theme::MUTED)));
    }
    frame.render_widget(Paragraph::new(lines).block(block), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_setting_steps_to_both_ends_of_what_the_validator_allows() {
        for &p in master_params() {
            for dir in [-1, 1] {
                let mut m = Master::default();
                // A preset walks round; everything else stops at its end.
                for _ in 0..400 {
                    m = step(&m, p, dir, true);
                }
                let problems = crate::song::master_problems(&m, "master.");
                assert!(problems.is_empty(), "{p:?} {dir}: {problems:?}");
            }
        }
    }

    #[test]
    fn off_values_step_type_and_read_back() {
        let m = Master::default();
        assert_eq!(shown(&m, MasterParam::Target), "off");
        let on = step(&m, MasterParam::Target, 1, false);
        assert_eq!(on.target_lufs, Some(-40.0));
        assert_eq!(step(&on, MasterParam::Target, -1, false).target_lufs, None);
        let typed_target = typed(&m, MasterParam::Target, "-14").unwrap();
        assert_eq!(shown(&typed_target, MasterParam::Target), "-14.0LUFS");
        assert!(
            typed(&m, MasterParam::Target, "-2")
                .unwrap_err()
                .contains("allowed -40 to -3")
        );
        let mono = typed(&m, MasterParam::MonoBelow, "120 Hz").unwrap();
        assert_eq!(mono.width.mono_below_hz, 120.0);
        assert_eq!(
            typed(&mono, MasterParam::MonoBelow, "off")
                .unwrap()
                .width
                .mono_below_hz,
            0.0
        );
        let club = typed(&m, MasterParam::Preset, "Club").unwrap();
        assert_eq!((club.target_lufs, club.ceiling_db), (Some(-8.0), -0.3));
        assert_eq!(shown(&club, MasterParam::Preset), "club");
        assert_eq!(
            shown(
                &step(&club, MasterParam::Preset, 1, false),
                MasterParam::Preset
            ),
            "broadcast"
        );
        assert_eq!(reset(&club, MasterParam::Preset), Master::default());
        assert!(typed(&m, MasterParam::Preset, "loud").is_err());
    }

    #[test]
    fn every_prompt_starts_with_what_types_back_to_the_value_shown() {
        let mut m = Master::default();
        Preset::Podcast.apply(&mut m);
        m.width.mono_below_hz = 150.0;
        m.eq.high.freq = 12_000.0;
        m.compressor.bypass = false;
        for &p in master_params() {
            let start = prompt_start(&m, p);
            let back = typed(&m, p, &start).unwrap();
            // Equal as shown: a prompt holds the value to the decimals the view shows.
            for &q in master_params() {
                assert_eq!(shown(&back, q), shown(&m, q), "{p:?}: \"{start}\"");
            }
        }
        let plain = Master::default();
        assert_eq!(prompt_start(&plain, MasterParam::Target), "off");
        assert_eq!(prompt_start(&plain, MasterParam::MonoBelow), "off");
    }
}
