//! Automation lanes in the pattern editor: one lane at a time is shown beside the grid
//! (a column of values with a small level bar), picked from a list of the channel's
//! parameters or by name, and drawn point by point or by shapes over the selected rows,
//! with single keys in the lane column or from the command line. Every change is one
//! undo step.

use super::action::Action;
use super::app::{App, Column, Mode, PromptKind, Scope};
use super::keymap::Key;
use super::theme;
use crate::dsp::rng::Rng;
use crate::song::NoteField;
use crate::song::automation::{
    Curve, InstrumentParam, Lane, ParamInfo, Point, StripParam, TARGET_ALLOWED, Target,
};
use crossterm::event::{KeyCode, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect as Area;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

/// Width of the lane column (`│ -12.5 ▆▆`).
pub const LANE_WIDTH: u16 = 12;

/// The shapes `:shape` draws.
pub const SHAPES: &str = "ramp, down, sine, triangle, random";

/// A shape drawn over rows: a point on every row, its value a share 0..1 of the way
/// between two values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    RampUp,
    RampDown,
    Sine,
    Triangle,
    Random,
}

impl Shape {
    pub const ALL: [Shape; 5] = [
        Shape::RampUp,
        Shape::RampDown,
        Shape::Sine,
        Shape::Triangle,
        Shape::Random,
    ];

    /// Its name on the command line (`:shape NAME`).
    pub fn name(self) -> &'static str {
        match self {
            Shape::RampUp => "ramp",
            Shape::RampDown => "down",
            Shape::Sine => "sine",
            Shape::Triangle => "triangle",
            Shape::Random => "random",
        }
    }

    /// Its key in the lane column.
    pub fn key(self) -> char {
        match self {
            Shape::RampUp => 'u',
            Shape::RampDown => 'd',
            Shape::Sine => 's',
            Shape::Triangle => 't',
            Shape::Random => 'r',
        }
    }

    pub fn description(self) -> &'static str {
        match self {
            Shape::RampUp => {
                "ramp up from the lower to the higher of the values at its ends (the whole range when they are equal)"
            }
            Shape::RampDown => "ramp down from the higher to the lower of those values",
            Shape::Sine => "one cycle of a sine, low to high and back",
            Shape::Triangle => "one triangle, low to high and back",
            Shape::Random => "random values between the two",
        }
    }

    fn from_name(name: &str) -> Option<Shape> {
        Shape::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The share of the way from the low to the high value at `t` (0..1) of the rows.
    fn at(self, t: f32, rng: &mut Rng) -> f32 {
        match self {
            Shape::RampUp => t,
            Shape::RampDown => 1.0 - t,
            Shape::Sine => 0.5 - 0.5 * (std::f32::consts::TAU * t).cos(),
            Shape::Triangle => 1.0 - (2.0 * t - 1.0).abs(),
            Shape::Random => rng.next_f32(),
        }
    }
}

/// The list of parameters a channel can automate, open over the pattern editor: filtered
/// by typing, picked with Enter.
#[derive(Clone, Debug, PartialEq)]
pub struct ParamList {
    pub channel: usize,
    /// The channel's instrument (0-based), whose parameters head the list.
    pub instrument: Option<usize>,
    pub targets: Vec<Target>,
    pub filter: String,
    /// Index into `matches()`.
    pub selected: usize,
}

impl ParamList {
    /// The parameters whose names hold every word of the filter.
    pub fn matches(&self) -> Vec<Target> {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.targets
            .iter()
            .copied()
            .filter(|t| {
                let name = t.to_string().to_lowercase();
                words.iter().all(|w| name.contains(w.as_str()))
            })
            .collect()
    }
}

impl App {
    /// The lane shown beside the grid, if the shown pattern has it.
    pub fn shown_lane(&self) -> Option<&Lane> {
        let target = self.lane?;
        self.pattern()
            .automation
            .iter()
            .find(|l| l.target == target)
    }

    /// `:lane NAME`: shows the lane of a parameter, making it (one point at row 0, the
    /// parameter's set value) if this pattern has none. A short name is the cursor
    /// channel's strip parameter (`pan`) or the entry instrument's (`filter.cutoff`).
    /// `:lane` alone hides it and lists the pattern's lanes.
    pub fn show_lane(&mut self, name: &str) -> Result<(), String> {
        if name.is_empty() {
            self.lane = None;
            let names: Vec<String> = self
                .pattern()
                .automation
                .iter()
                .map(|l| l.target.to_string())
                .collect();
            self.info(if names.is_empty() {
                "no lanes in this pattern (:lane NAME makes one)".to_owned()
            } else {
                format!("lanes: {}", names.join(", "))
            });
            return Ok(());
        }
        let target = self.target_named(name)?;
        self.show_target(target)
    }

    /// Shows the lane of `target`, making it in this pattern (one point at row 0, the
    /// parameter's set value) if the pattern has none.
    pub fn show_target(&mut self, target: Target) -> Result<(), String> {
        let value = target
            .value(&self.song)
            .ok_or_else(|| format!("{target}: the song has no such parameter"))?;
        if !self.pattern().automation.iter().any(|l| l.target == target) {
            let index = self.cursor.pattern;
            self.begin_edit(Scope::Pattern(index));
            self.song.patterns[index].automation.push(Lane {
                target,
                points: vec![Point {
                    row: 0.0,
                    value,
                    curve: Curve::Linear,
                }],
            });
            self.edited();
        }
        self.lane = Some(target);
        let info = target.info();
        self.info(format!("lane {target} ({})", info.allowed()));
        Ok(())
    }

    fn target_named(&self, name: &str) -> Result<Target, String> {
        if let Ok(t) = name.parse::<Target>() {
            return Ok(t);
        }
        if let Some(param) = StripParam::from_name(name) {
            return Ok(Target::Strip {
                channel: self.cursor.channel,
                param,
            });
        }
        if let Some(param) = InstrumentParam::from_name(name) {
            let instrument = usize::from(self.instrument.max(1)) - 1;
            return Ok(Target::Instrument { instrument, param });
        }
        Err(format!(
            "\"{name}\" is not {TARGET_ALLOWED}, nor a parameter of the channel (pan, gain_db, ...) or of the instrument (filter.cutoff, ...)"
        ))
    }

    /// Changes the shown lane's points (one undo step).
    fn edit_lane(&mut self, f: impl FnOnce(&mut Lane, ParamInfo)) -> Result<(), String> {
        let target = self
            .lane
            .filter(|_| self.shown_lane().is_some())
            .ok_or_else(|| "no lane is shown (:lane NAME shows one)".to_owned())?;
        let index = self.cursor.pattern;
        self.begin_edit(Scope::Pattern(index));
        let lane = self.song.patterns[index]
            .automation
            .iter_mut()
            .find(|l| l.target == target)
            .expect("the shown lane is in the pattern");
        f(lane, target.info());
        lane.points.sort_by(|a, b| {
            a.row
                .partial_cmp(&b.row)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        self.edited();
        Ok(())
    }

    /// `:pt VALUE [CURVE]`: a point at the cursor's row (replacing one there).
    pub fn set_lane_point(&mut self, arg: &str) -> Result<(), String> {
        let point: Point = format!("{} {arg}", self.cursor.row).parse()?;
        let info = self
            .shown_lane()
            .ok_or_else(|| "no lane is shown (:lane NAME shows one)".to_owned())?
            .target
            .info();
        if !info.contains(point.value) {
            return Err(format!(
                "{} is out of range ({})",
                point.value,
                info.allowed()
            ));
        }
        self.edit_lane(|lane, _| {
            lane.points.retain(|p| p.row != point.row);
            lane.points.push(point);
        })?;
        self.info(format!("point {point}"));
        Ok(())
    }

    /// `:shape NAME [FROM TO]`: a point on every row of the selection (or the pattern)
    /// along a ramp up (`ramp`: from the lane's own values at both ends when FROM and
    /// TO are left out, i.e. interpolates), a ramp down, one cycle of a sine or a
    /// triangle, or random values, in the parameter's scale.
    pub fn shape_lane(&mut self, arg: &str) -> Result<(), String> {
        let mut words = arg.split_whitespace();
        let shape = words.next().unwrap_or("");
        let shape = Shape::from_name(shape)
            .ok_or_else(|| format!(":shape needs one of {SHAPES}, e.g. :shape ramp 200 8000"))?;
        let numbers: Vec<f32> = words
            .map(|w| {
                w.parse::<f32>()
                    .map_err(|_| format!("\"{w}\" is not a number"))
            })
            .collect::<Result<_, _>>()?;
        let (first, last) = self.shape_rows();
        let lane = self
            .shown_lane()
            .ok_or_else(|| "no lane is shown (:lane NAME shows one)".to_owned())?;
        let info = lane.target.info();
        let (from, to) = match numbers[..] {
            [a, b] => (a, b),
            [] => (
                lane.value_at(first as f64).unwrap_or(info.min),
                lane.value_at(last as f64).unwrap_or(info.max),
            ),
            _ => return Err(":shape takes both FROM and TO, or neither".into()),
        };
        self.draw_shape(shape, first, last, from, to)
    }

    /// The rows a shape covers: the selection's, or the whole pattern's.
    fn shape_rows(&self) -> (usize, usize) {
        match self.selection.map(|s| s.rect()) {
            Some(r) => (r.row, r.row + r.rows - 1),
            None => (0, self.pattern().length() - 1),
        }
    }

    /// A point on every row from `first` to `last` along `shape`, from `from` (share 0)
    /// to `to` (share 1) in the parameter's scale, replacing the points there.
    fn draw_shape(
        &mut self,
        shape: Shape,
        first: usize,
        last: usize,
        from: f32,
        to: f32,
    ) -> Result<(), String> {
        let info = self
            .shown_lane()
            .ok_or_else(|| "no lane is shown (:lane NAME shows one)".to_owned())?
            .target
            .info();
        for v in [from, to] {
            if !info.contains(v) {
                return Err(format!("{v} is out of range ({})", info.allowed()));
            }
        }
        let (a, b) = (info.normalise(from), info.normalise(to));
        let span = (last - first).max(1) as f32;
        let mut rng = Rng::new(self.cursor.row as u64 ^ (first as u64) << 20);
        self.edit_lane(|lane, info| {
            lane.points
                .retain(|p| p.row < first as f32 || p.row > last as f32);
            for row in first..=last {
                let x = shape.at((row - first) as f32 / span, &mut rng);
                lane.points.push(Point {
                    row: row as f32,
                    value: round(info.denormalise(a + (b - a) * x)),
                    curve: Curve::Linear,
                });
            }
        })?;
        self.info(format!(
            "{}: {} points, rows {first} to {last}",
            shape.name(),
            last - first + 1
        ));
        Ok(())
    }

    /// `:unlane`: removes the shown lane from this pattern.
    pub fn delete_lane(&mut self) -> Result<(), String> {
        let target = self
            .shown_lane()
            .ok_or_else(|| "no lane is shown (:lane NAME shows one)".to_owned())?
            .target;
        let index = self.cursor.pattern;
        self.begin_edit(Scope::Pattern(index));
        self.song.patterns[index]
            .automation
            .retain(|l| l.target != target);
        self.edited();
        self.lane = None;
        self.info(format!("removed the lane of {target}"));
        Ok(())
    }
}

/// Four significant digits are plenty for a hand-drawn value and keep the file short.
fn round(v: f32) -> f32 {
    if v == 0.0 {
        return 0.0;
    }
    let scale = 10f32.powi(3 - v.abs().log10().floor() as i32);
    (v * scale).round() / scale
}

/// The lane column's header cell.
pub fn header(lane: &Lane) -> Span<'static> {
    let name: String = lane.target.to_string().chars().rev().take(11).collect();
    let name: String = name.chars().rev().collect();
    Span::styled(format!("│{name:<11}"), theme::HEADER)
}

/// The lane column at `row`: its value there, a mark where a point lies (by its curve:
/// `•` linear, `s` step, `e` exp, `~` smooth), a level bar; the value reversed under the
/// cursor.
pub fn cell(lane: &Lane, row: usize, base: Style, cursor: bool) -> Vec<Span<'static>> {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let info = lane.target.info();
    let value = lane.value_at(row as f64).unwrap_or(info.min);
    let level = info.normalise(value);
    let bar = BARS[((level * 7.0).round() as usize).min(7)];
    let point = lane
        .points
        .iter()
        .find(|p| p.row >= row as f32 && p.row < row as f32 + 1.0);
    let mark = match point.map(|p| p.curve) {
        None => " ",
        Some(Curve::Linear) => "•",
        Some(Curve::Step) => "s",
        Some(Curve::Exp) => "e",
        Some(Curve::Smooth) => "~",
    };
    let text = if value.abs() >= 1000.0 {
        format!("{:>6.0}", value)
    } else if value.abs() >= 100.0 {
        format!("{:>6.1}", value)
    } else {
        format!("{:>6.2}", value)
    };
    let style = if point.is_some() {
        base.patch(theme::EFFECT)
    } else {
        base.patch(theme::EMPTY)
    };
    let value_style = if cursor {
        style.add_modifier(Modifier::REVERSED)
    } else {
        style
    };
    vec![
        Span::styled("│", base.patch(theme::SEPARATOR)),
        Span::styled(text, value_style),
        Span::styled(mark, style),
        Span::styled(format!("{bar}{bar} "), base.patch(theme::VOLUME)),
    ]
}

// ----- the parameter list -----

impl App {
    /// The instrument a channel plays here: that of the last note at or above the cursor
    /// row in the channel, else of its first note in the pattern, else the entry one.
    fn channel_instrument(&self, channel: usize) -> Option<usize> {
        let p = self.pattern();
        let instrument_at = |row: usize| {
            let cell = p.cell(row, channel);
            matches!(cell.note, NoteField::On(_))
                .then_some(cell.instrument)
                .flatten()
        };
        (0..=self.cursor.row.min(p.length() - 1))
            .rev()
            .find_map(instrument_at)
            .or_else(|| (0..p.length()).find_map(instrument_at))
            .map(|i| usize::from(i) - 1)
            .or_else(|| (self.instrument > 0).then(|| usize::from(self.instrument) - 1))
            .filter(|&i| i < self.song.instruments.len())
    }

    /// Opens the list of the cursor channel's parameters: its instrument's, its strip's,
    /// the buses' and the master's, each as the song names it.
    pub fn open_param_list(&mut self) {
        let channel = self.cursor.channel;
        let instrument = self.channel_instrument(channel);
        let targets: Vec<Target> =
            Target::all(self.song.instruments.len(), self.song.channel_count())
                .into_iter()
                .filter(|t| match *t {
                    Target::Instrument { instrument: i, .. } => Some(i) == instrument,
                    Target::Strip { channel: c, .. } => c == channel,
                    Target::Bus(_) | Target::Master(_) => true,
                })
                .filter(|t| t.value(&self.song).is_some())
                .collect();
        let selected = self
            .lane
            .and_then(|shown| targets.iter().position(|&t| t == shown))
            .unwrap_or(0);
        self.mode = Mode::Pick(ParamList {
            channel,
            instrument,
            targets,
            filter: String::new(),
            selected,
        });
    }

    /// A key while the parameter list is open.
    pub(super) fn param_list_key(&mut self, key: Key) {
        let Mode::Pick(list) = &mut self.mode else {
            return;
        };
        let count = list.matches().len();
        let last = count.saturating_sub(1);
        match key.code {
            KeyCode::Esc => {
                self.mode = Mode::Normal;
                self.info("no parameter picked");
            }
            KeyCode::Enter => {
                let picked = list.matches().get(list.selected).copied();
                self.mode = Mode::Normal;
                match picked {
                    Some(target) => match self.show_target(target) {
                        Ok(()) => self.cursor.column = Column::Lane,
                        Err(e) => self.error(e),
                    },
                    None => self.error("no parameter matches the filter"),
                }
            }
            KeyCode::Up => list.selected = list.selected.saturating_sub(1),
            KeyCode::Down => list.selected = (list.selected + 1).min(last),
            KeyCode::PageUp => list.selected = list.selected.saturating_sub(10),
            KeyCode::PageDown => list.selected = (list.selected + 10).min(last),
            KeyCode::Home => list.selected = 0,
            KeyCode::End => list.selected = last,
            KeyCode::Backspace => {
                list.filter.pop();
                list.selected = 0;
            }
            KeyCode::Char(c) if !key.mods.contains(KeyModifiers::CONTROL) => {
                list.filter.push(c);
                list.selected = 0;
            }
            _ => {}
        }
    }
}

// ----- drawing points with keys (the cursor in the lane column) -----

impl App {
    /// The pattern editor's actions while the cursor is in the lane column; `false` for
    /// the ones that mean there what they mean on the grid.
    pub(super) fn lane_action(&mut self, action: Action) -> bool {
        let result = match action {
            Action::Left => {
                self.cursor.column = Column::Effect(2);
                Ok(())
            }
            Action::Right => Ok(()),
            Action::LaneType(c) => self.editing().map(|()| {
                self.open_prompt(PromptKind::LaneValue, c.to_string());
            }),
            Action::EditValue => self.editing().map(|()| {
                let value = self
                    .shown_lane()
                    .and_then(|l| l.value_at(self.cursor.row as f64))
                    .map_or(String::new(), |v| round(v).to_string());
                self.open_prompt(PromptKind::LaneValue, value);
            }),
            Action::Increase => self.nudge_lane(0.01),
            Action::Decrease => self.nudge_lane(-0.01),
            Action::IncreaseCoarse => self.nudge_lane(0.1),
            Action::DecreaseCoarse => self.nudge_lane(-0.1),
            Action::ClearField => self.delete_lane_point(),
            Action::Interpolate => self.interpolate_lane(),
            Action::LaneShape(shape) => self.shape_selection(shape),
            Action::CycleCurve => self.cycle_curve(),
            _ => return false,
        };
        if let Err(e) = result {
            self.error(e);
        }
        true
    }

    /// Key edits in the lane column follow the edit mode, as note entry does.
    fn editing(&self) -> Result<(), String> {
        if self.edit_mode {
            Ok(())
        } else {
            Err("edit mode is off (Ctrl+E turns it on)".into())
        }
    }

    /// The shown lane, or why there is none.
    fn lane_here(&self) -> Result<&Lane, String> {
        self.shown_lane()
            .ok_or_else(|| "no lane is shown (Alt+A picks a parameter)".to_owned())
    }

    /// A point of `value` at the cursor row (replacing one there), curved like the
    /// segment it lands in.
    fn put_lane_point(&mut self, value: f32) -> Result<(), String> {
        self.editing()?;
        let row = self.cursor.row as f32;
        let lane = self.lane_here()?;
        let info = lane.target.info();
        if !info.contains(value) {
            return Err(format!("{value} is out of range ({})", info.allowed()));
        }
        let curve = lane
            .points
            .iter()
            .rev()
            .find(|p| p.row <= row)
            .map_or(Curve::Linear, |p| p.curve);
        let point = Point { row, value, curve };
        self.edit_lane(|lane, _| {
            lane.points.retain(|p| p.row != row);
            lane.points.push(point);
        })?;
        self.info(format!("row {}: {value}{}", self.cursor.row, info.unit));
        Ok(())
    }

    /// A value typed in the lane column: the point at the cursor row, then on by the
    /// edit step.
    pub(super) fn type_lane_value(&mut self, text: &str) {
        let result = text
            .parse::<f32>()
            .map_err(|_| format!("\"{text}\" is not a number"))
            .and_then(|v| self.put_lane_point(v));
        match result {
            Ok(()) => self.advance(),
            Err(e) => self.error(e),
        }
    }

    /// Moves the value at the cursor row by `share` of the parameter's range (in its scale).
    fn nudge_lane(&mut self, share: f32) -> Result<(), String> {
        let lane = self.lane_here()?;
        let info = lane.target.info();
        let now = lane.value_at(self.cursor.row as f64).unwrap_or(info.min);
        let value = round(info.denormalise(info.normalise(now) + share));
        self.put_lane_point(value)
    }

    fn delete_lane_point(&mut self) -> Result<(), String> {
        self.editing()?;
        let row = self.cursor.row as f32;
        let lane = self.lane_here()?;
        let here = |p: &Point| p.row >= row && p.row < row + 1.0;
        let count = lane.points.iter().filter(|p| here(p)).count();
        if count == 0 {
            return Err(format!("no point on row {}", self.cursor.row));
        }
        if count == lane.points.len() {
            return Err("that is the lane's last point (:unlane removes the lane)".into());
        }
        self.edit_lane(|lane, _| lane.points.retain(|p| !here(p)))?;
        self.info(format!("deleted the point on row {}", self.cursor.row));
        Ok(())
    }

    /// A point on every selected row, on the line between the values at the ends.
    fn interpolate_lane(&mut self) -> Result<(), String> {
        let rect = self
            .selection
            .map(|s| s.rect())
            .filter(|r| r.rows >= 2)
            .ok_or_else(|| "select the rows to interpolate first (Shift+Down)".to_owned())?;
        self.editing()?;
        let (first, last) = (rect.row, rect.row + rect.rows - 1);
        let lane = self.lane_here()?;
        let info = lane.target.info();
        let at = |row: usize| lane.value_at(row as f64).unwrap_or(info.min);
        let (from, to) = (at(first), at(last));
        self.draw_shape(Shape::RampUp, first, last, from, to)
    }

    /// A shape over the selected rows (or the pattern), between the lower and the higher
    /// of the values at the ends (the parameter's whole range when they are equal).
    fn shape_selection(&mut self, shape: Shape) -> Result<(), String> {
        self.editing()?;
        let (first, last) = self.shape_rows();
        let lane = self.lane_here()?;
        let info = lane.target.info();
        let at = |row: usize| lane.value_at(row as f64).unwrap_or(info.min);
        let (a, b) = (at(first), at(last));
        let (low, high) = if a == b {
            (info.min, info.max)
        } else {
            (a.min(b), a.max(b))
        };
        self.draw_shape(shape, first, last, low, high)
    }

    /// The next curve (step, lin, exp, smooth) of the segment the cursor row is in.
    fn cycle_curve(&mut self) -> Result<(), String> {
        self.editing()?;
        let row = self.cursor.row as f32;
        let lane = self.lane_here()?;
        let index = lane
            .points
            .iter()
            .rposition(|p| p.row < row + 1.0)
            .ok_or_else(|| "no point at or above the cursor row".to_owned())?;
        let point = lane.points[index];
        let next = Curve::ALL[(Curve::ALL
            .iter()
            .position(|&c| c == point.curve)
            .unwrap_or(0)
            + 1)
            % Curve::ALL.len()];
        self.edit_lane(|lane, _| lane.points[index].curve = next)?;
        self.info(format!("curve from row {}: {}", point.row, next.name()));
        Ok(())
    }

    /// `\`: the cursor into the lane column and back; with no lane shown, the list.
    pub(super) fn toggle_lane_column(&mut self) {
        if self.cursor.column == Column::Lane {
            self.cursor.column = Column::Note;
        } else if let Some(lane) = self.shown_lane() {
            let text = format!(
                "lane {}: type a value, Alt+Up/Down nudge, Del deletes, u d s t r shapes, c curve",
                lane.target
            );
            self.cursor.column = Column::Lane;
            self.info(text);
        } else {
            self.open_param_list();
        }
    }
}

/// The parameter list, over the pattern grid.
pub fn draw_param_list(frame: &mut Frame, area: Area, app: &App, list: &ParamList) {
    let width = area.width.saturating_sub(4).min(64);
    let height = area.height.saturating_sub(2).min(18);
    if width < 20 || height < 4 {
        return;
    }
    let popup = Area {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let matches = list.matches();
    let rows = usize::from(height - 2);
    let top = list.selected.saturating_sub(rows - 1);
    let shown: Vec<Target> = app.pattern().automation.iter().map(|l| l.target).collect();
    let name_width = usize::from(width).saturating_sub(22);
    let lines: Vec<Line> = matches
        .iter()
        .enumerate()
        .skip(top)
        .take(rows)
        .map(|(i, &target)| {
            let info = target.info();
            let value = target.value(&app.song).unwrap_or(info.min);
            let mark = if shown.contains(&target) { "•" } else { " " };
            let name: String = target.to_string().chars().take(name_width).collect();
            let text = format!(
                "{mark}{name:<name_width$} {:>10} {:<7}",
                round(value),
                info.unit.trim()
            );
            let style = if i == list.selected {
                theme::HIGHLIGHT
            } else {
                theme::VALUE
            };
            Line::styled(text, style)
        })
        .collect();
    let lines = if lines.is_empty() {
        vec![Line::styled(" no parameter matches", theme::MUTED)]
    } else {
        lines
    };
    let owner = match list.instrument {
        Some(i) => format!("ch{}, inst{:02X}", list.channel + 1, i + 1),
        None => format!("ch{}", list.channel + 1),
    };
    let title = format!(" automate ({owner}): {} ", matches.len());
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::default()
                .borders(Borders::ALL)
                .title(Span::styled(title, theme::TITLE)),
        ),
        popup,
    );
}

/// The message line while the list is open.
pub fn param_list_line(list: &ParamList) -> Line<'static> {
    Line::from(vec![
        Span::styled("Filter: ", theme::TITLE),
        Span::raw(list.filter.clone()),
        Span::styled("_", theme::TITLE),
        Span::styled(
            "  (type to filter, Up/Down, Enter picks, Esc cancels)",
            theme::MESSAGE,
        ),
    ])
}
