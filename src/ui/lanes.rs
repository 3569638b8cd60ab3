//! Automation lanes in the pattern editor: one lane at a time is shown beside the grid
//! (a column of values with a small level bar), picked by name, and drawn point by
//! point or by shapes over the selected rows from the command line. Every change is one
//! undo step.

use super::app::{App, Scope};
use super::theme;
use crate::dsp::rng::Rng;
use crate::song::automation::{
    Curve, InstrumentParam, Lane, ParamInfo, Point, StripParam, TARGET_ALLOWED, Target,
};
use ratatui::style::Style;
use ratatui::text::Span;

/// Width of the lane column (`│ -12.5 ▆▆`).
pub const LANE_WIDTH: u16 = 12;

/// The shapes `:shape` draws.
pub const SHAPES: &str = "ramp, down, sine, triangle, random";

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
        if !SHAPES.split(", ").any(|s| s == shape) {
            return Err(format!(
                ":shape needs one of {SHAPES}, e.g. :shape ramp 200 8000"
            ));
        }
        let numbers: Vec<f32> = words
            .map(|w| {
                w.parse::<f32>()
                    .map_err(|_| format!("\"{w}\" is not a number"))
            })
            .collect::<Result<_, _>>()?;
        let (first, last) = match self.selection.map(|s| s.rect()) {
            Some(r) => (r.row, r.row + r.rows - 1),
            None => (0, self.pattern().length() - 1),
        };
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
        for v in [from, to] {
            if !info.contains(v) {
                return Err(format!("{v} is out of range ({})", info.allowed()));
            }
        }
        let (a, b) = (info.normalise(from), info.normalise(to));
        let span = (last - first).max(1) as f32;
        let mut rng = Rng::new(self.cursor.row as u64 ^ (first as u64) << 20);
        let shape = shape.to_owned();
        self.edit_lane(|lane, info| {
            lane.points
                .retain(|p| p.row < first as f32 || p.row > last as f32);
            for row in first..=last {
                let t = (row - first) as f32 / span;
                let x = match shape.as_str() {
                    "ramp" => t,
                    "down" => 1.0 - t,
                    "sine" => 0.5 - 0.5 * (std::f32::consts::TAU * t).cos(),
                    "triangle" => 1.0 - (2.0 * t - 1.0).abs(),
                    _ => rng.next_f32(),
                };
                lane.points.push(Point {
                    row: row as f32,
                    value: round(info.denormalise(a + (b - a) * x)),
                    curve: Curve::Linear,
                });
            }
        })?;
        self.info(format!(
            "{} points, rows {first} to {last}",
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

/// The lane column at `row`: its value there, a level bar, a dot where a point lies.
pub fn cell(lane: &Lane, row: usize, base: Style) -> Vec<Span<'static>> {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let info = lane.target.info();
    let value = lane.value_at(row as f64).unwrap_or(info.min);
    let level = info.normalise(value);
    let bar = BARS[((level * 7.0).round() as usize).min(7)];
    let has_point = lane
        .points
        .iter()
        .any(|p| p.row >= row as f32 && p.row < row as f32 + 1.0);
    let text = if value.abs() >= 1000.0 {
        format!("{:>6.0}", value)
    } else if value.abs() >= 100.0 {
        format!("{:>6.1}", value)
    } else {
        format!("{:>6.2}", value)
    };
    let style = if has_point {
        base.patch(theme::EFFECT)
    } else {
        base.patch(theme::EMPTY)
    };
    vec![
        Span::styled("│", base.patch(theme::SEPARATOR)),
        Span::styled(text, style),
        Span::styled(if has_point { "•" } else { " " }, style),
        Span::styled(format!("{bar}{bar} "), base.patch(theme::VOLUME)),
    ]
}
