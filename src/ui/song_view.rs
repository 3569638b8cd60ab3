//! Song settings: title, artist, tempo, time signature, grid, swing and groove, key,
//! channels, render.

use super::action::Action;
use super::app::{App, PromptKind, Scope};
use super::theme;
use crate::song::{
    BitDepth, ChannelStrip, DuckTrigger, Groove, Key, MAX_CHANNELS, SAMPLE_RATES, Scale, Song,
};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Field {
    Title,
    Artist,
    Tempo,
    BeatsPerBar,
    RowsPerBeat,
    Speed,
    Swing,
    Groove,
    KeyRoot,
    Scale,
    Channels,
    SampleRate,
    BitDepth,
    Tail,
    MasterGain,
    Ceiling,
}

pub const FIELDS: [Field; 16] = [
    Field::Title,
    Field::Artist,
    Field::Tempo,
    Field::BeatsPerBar,
    Field::RowsPerBeat,
    Field::Speed,
    Field::Swing,
    Field::Groove,
    Field::KeyRoot,
    Field::Scale,
    Field::Channels,
    Field::SampleRate,
    Field::BitDepth,
    Field::Tail,
    Field::MasterGain,
    Field::Ceiling,
];

const ROOTS: [&str; 12] = [
    "C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B",
];
const DEPTHS: [BitDepth; 3] = [BitDepth::Int16, BitDepth::Int24, BitDepth::Float32];

impl Field {
    pub fn label(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Artist => "artist",
            Field::Tempo => "tempo (BPM)",
            Field::BeatsPerBar => "time signature",
            Field::RowsPerBeat => "rows per beat",
            Field::Speed => "speed (ticks/row)",
            Field::Swing => "swing (%)",
            Field::Groove => "groove",
            Field::KeyRoot => "key root",
            Field::Scale => "scale",
            Field::Channels => "channels",
            Field::SampleRate => "render sample rate",
            Field::BitDepth => "render bit depth",
            Field::Tail => "render tail (s)",
            Field::MasterGain => "master gain (dB)",
            Field::Ceiling => "limiter ceiling (dBFS)",
        }
    }

    /// (min, max, fine, coarse) for numbers.
    fn range(self) -> Option<(f64, f64, f64, f64)> {
        Some(match self {
            Field::Tempo => (20.0, 999.0, 1.0, 10.0),
            Field::BeatsPerBar | Field::RowsPerBeat => (1.0, 16.0, 1.0, 4.0),
            Field::Speed => (1.0, 31.0, 1.0, 4.0),
            Field::Swing => (0.0, 75.0, 1.0, 10.0),
            Field::Channels => (1.0, MAX_CHANNELS as f64, 1.0, 8.0),
            Field::Tail => (0.0, 30.0, 0.5, 5.0),
            Field::MasterGain => (-60.0, 24.0, 0.5, 3.0),
            Field::Ceiling => (-20.0, 0.0, 0.1, 1.0),
            _ => return None,
        })
    }
}

pub fn value_text(song: &Song, field: Field) -> String {
    match field {
        Field::Title => song.title.clone(),
        Field::Artist => song.artist.clone(),
        Field::Tempo => format!("{}", song.tempo),
        Field::BeatsPerBar => format!("{}/4", song.beats_per_bar),
        Field::RowsPerBeat => song.rows_per_beat.to_string(),
        Field::Speed => song.speed.to_string(),
        Field::Swing => format!("{}", song.swing),
        Field::Groove => groove_text(song.groove.as_ref()),
        Field::KeyRoot => ROOTS[usize::from(song.key.root % 12)].to_owned(),
        Field::Scale => song.key.scale.name().to_owned(),
        Field::Channels => song.channel_count().to_string(),
        Field::SampleRate => song.render.sample_rate.to_string(),
        Field::BitDepth => song.render.bit_depth.label().to_owned(),
        Field::Tail => format!("{}", song.render.tail),
        Field::MasterGain => format!("{}", song.master.gain_db),
        Field::Ceiling => format!("{}", song.master.ceiling_db),
    }
}

/// A song's or pattern's groove as the editor shows it.
pub fn groove_text(groove: Option<&Groove>) -> String {
    groove.map_or_else(|| "off (swing)".to_owned(), Groove::to_string)
}

/// The preset `dir` steps from `groove` (off counts as straight).
pub fn step_groove(groove: Option<&Groove>, dir: i32) -> Groove {
    let presets = Groove::presets();
    let swing = |g: &Groove| match g {
        Groove::Swing(p) => Some(*p),
        _ => None,
    };
    let exact = groove.and_then(|g| presets.iter().position(|p| p == g));
    // A swing between the presets steps to the next one in that direction.
    let between = groove.and_then(swing).map(|percent| {
        let above = presets
            .iter()
            .position(|p| swing(p).is_some_and(|q| q > percent))
            .unwrap_or(presets.len() - 2);
        if dir > 0 { above } else { above - 1 }
    });
    match (exact, between) {
        (Some(i), _) => {
            presets[(i as i32 + dir).clamp(0, presets.len() as i32 - 1) as usize].clone()
        }
        (None, Some(i)) => presets[i].clone(),
        (None, None) => presets[usize::from(dir > 0)].clone(),
    }
}

/// A typed groove: a preset, or `off` for none.
pub fn parse_groove(text: &str) -> Result<Option<Groove>, String> {
    match text.trim() {
        "off" | "none" | "" => Ok(None),
        t => t.parse().map(Some),
    }
}

fn number(song: &Song, field: Field) -> f64 {
    match field {
        Field::Tempo => f64::from(song.tempo),
        Field::BeatsPerBar => f64::from(song.beats_per_bar),
        Field::RowsPerBeat => f64::from(song.rows_per_beat),
        Field::Speed => f64::from(song.speed),
        Field::Swing => f64::from(song.swing),
        Field::Channels => song.channel_count() as f64,
        Field::Tail => f64::from(song.render.tail),
        Field::MasterGain => f64::from(song.master.gain_db),
        Field::Ceiling => f64::from(song.master.ceiling_db),
        _ => 0.0,
    }
}

impl App {
    fn field(&self) -> Field {
        FIELDS[self.song_field.min(FIELDS.len() - 1)]
    }

    pub(super) fn song_action(&mut self, action: Action) {
        let field = self.field();
        match action {
            Action::Up => self.song_field = self.song_field.saturating_sub(1),
            Action::Down => self.song_field = (self.song_field + 1).min(FIELDS.len() - 1),
            Action::Increase
            | Action::Decrease
            | Action::IncreaseCoarse
            | Action::DecreaseCoarse => {
                let up = matches!(action, Action::Increase | Action::IncreaseCoarse);
                let coarse = matches!(action, Action::IncreaseCoarse | Action::DecreaseCoarse);
                let dir: i32 = if up { 1 } else { -1 };
                match field {
                    Field::Title | Field::Artist => self.error("type this value (Enter)"),
                    Field::Groove => {
                        let groove = step_groove(self.song.groove.as_ref(), dir);
                        self.set_song_groove(Some(groove));
                    }
                    Field::KeyRoot => {
                        let root = (i32::from(self.song.key.root)
                            + dir * if coarse { 7 } else { 1 })
                        .rem_euclid(12) as u8;
                        let key = Key {
                            root,
                            ..self.song.key
                        };
                        self.edit_settings(|app| app.song.key = key);
                    }
                    Field::Scale => {
                        let i = Scale::ALL
                            .iter()
                            .position(|&s| s == self.song.key.scale)
                            .unwrap_or(0) as i32;
                        let scale =
                            Scale::ALL[(i + dir).rem_euclid(Scale::ALL.len() as i32) as usize];
                        let key = Key {
                            scale,
                            ..self.song.key
                        };
                        self.edit_settings(|app| app.song.key = key);
                    }
                    Field::SampleRate => {
                        let i = SAMPLE_RATES
                            .iter()
                            .position(|&r| r == self.song.render.sample_rate)
                            .unwrap_or(1) as i32;
                        let rate = SAMPLE_RATES
                            [(i + dir).clamp(0, SAMPLE_RATES.len() as i32 - 1) as usize];
                        self.edit_settings(|app| app.song.render.sample_rate = rate);
                    }
                    Field::BitDepth => {
                        let i = DEPTHS
                            .iter()
                            .position(|&d| d == self.song.render.bit_depth)
                            .unwrap_or(1) as i32;
                        let depth = DEPTHS[(i + dir).clamp(0, DEPTHS.len() as i32 - 1) as usize];
                        self.edit_settings(|app| app.song.render.bit_depth = depth);
                    }
                    _ => {
                        if let Some((min, max, fine, big)) = field.range() {
                            let v = number(&self.song, field)
                                + f64::from(dir) * if coarse { big } else { fine };
                            self.set_song_number(field, v.clamp(min, max));
                        }
                    }
                }
            }
            Action::EditValue => {
                let text = match field {
                    Field::BeatsPerBar => self.song.beats_per_bar.to_string(),
                    Field::KeyRoot | Field::Scale => self.song.key.to_string(),
                    Field::BitDepth => match self.song.render.bit_depth {
                        BitDepth::Int16 => "16".into(),
                        BitDepth::Int24 => "24".into(),
                        BitDepth::Float32 => "32f".into(),
                    },
                    f => value_text(&self.song, f),
                };
                self.open_prompt(PromptKind::SongValue, text);
            }
            _ => {}
        }
    }

    pub fn set_song_field_text(&mut self, text: &str) {
        let field = self.field();
        match field {
            Field::Title => {
                let t = text.to_owned();
                self.edit_settings(|app| app.song.title = t);
            }
            Field::Artist => {
                let t = text.to_owned();
                self.edit_settings(|app| app.song.artist = t);
            }
            Field::KeyRoot | Field::Scale => match text.parse::<Key>() {
                Ok(key) => self.edit_settings(|app| app.song.key = key),
                Err(e) => self.error(e),
            },
            Field::Groove => match parse_groove(text) {
                Ok(groove) => self.set_song_groove(groove),
                Err(e) => self.error(e),
            },
            Field::BitDepth => match BitDepth::parse(text) {
                Some(d) => self.edit_settings(|app| app.song.render.bit_depth = d),
                None => self.error(format!("\"{text}\": allowed {}", BitDepth::ALLOWED)),
            },
            Field::SampleRate => match text.parse::<u32>() {
                Ok(r) if SAMPLE_RATES.contains(&r) => {
                    self.edit_settings(|app| app.song.render.sample_rate = r)
                }
                _ => self.error(format!("\"{text}\": allowed {SAMPLE_RATES:?}")),
            },
            _ => {
                let (min, max, _, _) = field.range().expect("numeric fields have ranges");
                match text.trim_end_matches("/4").trim().parse::<f64>() {
                    Ok(v) if v.is_finite() && (min..=max).contains(&v) => {
                        self.set_song_number(field, v)
                    }
                    _ => self.error(format!(
                        "\"{text}\" is out of range (allowed {min} to {max})"
                    )),
                }
            }
        }
    }

    /// Sets a numeric song field; every caller has checked the range.
    pub fn set_song_number(&mut self, field: Field, v: f64) {
        if (number(&self.song, field) - v).abs() < 1e-9 {
            return;
        }
        if field == Field::Channels {
            self.set_channel_count(v.round() as usize);
            return;
        }
        self.edit_settings(|app| {
            let s = &mut app.song;
            match field {
                Field::Tempo => s.tempo = v as f32,
                Field::BeatsPerBar => s.beats_per_bar = v.round() as u8,
                Field::RowsPerBeat => s.rows_per_beat = v.round() as u8,
                Field::Speed => s.speed = v.round() as u8,
                Field::Swing => {
                    // The plain swing of older songs; a groove would replace it.
                    s.swing = v as f32;
                    s.groove = None;
                }
                Field::Tail => s.render.tail = v as f32,
                Field::MasterGain => s.master.gain_db = v as f32,
                Field::Ceiling => s.master.ceiling_db = v as f32,
                _ => {}
            }
        });
    }

    /// The song's groove (it replaces the plain `swing`), one undo step.
    pub fn set_song_groove(&mut self, groove: Option<Groove>) {
        if let Some(g) = &groove {
            let problems = g.problems("groove", usize::from(self.song.rows_per_beat));
            if let Some(p) = problems.first() {
                self.error(p.clone());
                return;
            }
        }
        if self.song.groove == groove && (groove.is_none() || self.song.swing == 0.0) {
            return;
        }
        let text = groove_text(groove.as_ref());
        self.edit_settings(|app| {
            if groove.is_some() {
                app.song.swing = 0.0;
            }
            app.song.groove = groove;
        });
        self.info(format!("groove: {text}"));
    }

    /// The current pattern's own groove (`None`: the song's), one undo step.
    pub fn set_pattern_groove(&mut self, groove: Option<Groove>) {
        if let Some(g) = &groove {
            let problems = g.problems("groove", usize::from(self.song.rows_per_beat));
            if let Some(p) = problems.first() {
                self.error(p.clone());
                return;
            }
        }
        let index = self.cursor.pattern;
        if self.song.patterns[index].groove == groove {
            return;
        }
        self.begin_edit(Scope::Pattern(index));
        self.song.patterns[index].groove = groove;
        self.edited();
        let name = self.song.patterns[index].name.clone();
        let text = match &self.song.patterns[index].groove {
            Some(g) => g.to_string(),
            None => "the song's".to_owned(),
        };
        self.info(format!("pattern {name} groove: {text}"));
    }

    /// Adds or removes channels at the right (removing loses what they held; undo brings it back).
    pub fn set_channel_count(&mut self, count: usize) {
        let count = count.clamp(1, MAX_CHANNELS);
        if count == self.song.channel_count() {
            return;
        }
        self.begin_edit(Scope::Whole);
        let strips = &mut self.song.mixer.channels;
        while strips.len() < count {
            let name = format!("Ch {}", strips.len() + 1);
            strips.push(ChannelStrip {
                name,
                ..ChannelStrip::default()
            });
        }
        strips.truncate(count);
        // Keys and triggers that named a removed channel go with it.
        let gone = |n: usize| n > count;
        for strip in strips.iter_mut() {
            if strip.sidechain.channel.is_some_and(gone) {
                strip.sidechain.channel = None;
            }
        }
        let mixer = &mut self.song.mixer;
        let duckers = mixer.channels.iter_mut().map(|c| &mut c.ducker).chain([
            &mut mixer.reverb.bus_return.ducker,
            &mut mixer.delay.bus_return.ducker,
        ]);
        for d in duckers {
            if matches!(d.trigger, DuckTrigger::Channel(n) if gone(n)) {
                d.trigger = DuckTrigger::Beat;
            }
        }
        self.song.channels_truncated(count);
        for p in &mut self.song.patterns {
            p.set_channels(count);
        }
        self.edited();
        self.clamp_places();
        self.info(format!("{count} channels"));
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let lines: Vec<Line> = FIELDS
        .iter()
        .enumerate()
        .map(|(i, &f)| {
            let style = if i == app.song_field {
                theme::HIGHLIGHT
            } else {
                Style::default()
            };
            Line::from(vec![
                Span::styled(format!("  {:<24}", f.label()), theme::LABEL.patch(style)),
                Span::styled(value_text(&app.song, f), theme::VALUE.patch(style)),
            ])
        })
        .collect();
    let skip = app
        .song_field
        .saturating_sub(usize::from(area.height.saturating_sub(3)));
    let lines: Vec<Line> = lines.into_iter().skip(skip).collect();
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" song ")),
        area,
    );
}
