//! Recording in the instruments view: arm the input and watch its level, record a take
//! while the current pattern loops (after an optional count-in, so the take is in time),
//! stop, and the take becomes a new sampler instrument.
//!
//! As with playback, the `App` only says what it wants (`RecordPanel::request`) and shows
//! what it is told; the `Recorder`, run by the main loop, owns the input stream.

use super::action::Action;
use super::app::{App, PlayRequest};
use super::meter::{FLOOR_DB, HOLD, fraction, horizontal};
use super::theme;
use crate::audio::record::{DEFAULT_TRIM_DB, Input, Take, TakePlan};
use crate::song::{Instrument, Pitch, Sampler, Song};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use std::path::Path;
use std::time::Instant;

/// Count-in lengths Alt+C steps through, in bars.
const COUNT_INS: [u8; 3] = [0, 1, 2];
/// How fast the shown level falls between readings, in dB per second (a peak meter's
/// usual fall-back, so short peaks stay readable).
const FALL_DB_PER_SECOND: f32 = 20.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordRequest {
    Start,
    Stop,
}

/// Where recording stands, for the panel.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Phase {
    #[default]
    Off,
    /// The input is open and metered.
    Armed,
    /// The pattern plays; the take starts in `seconds`.
    CountIn {
        seconds: f64,
    },
    Recording {
        seconds: f64,
    },
    /// Stopped: the last frames are going to disk.
    Finishing,
}

/// The recording state the editor shows and the keys change.
#[derive(Clone, Debug, PartialEq)]
pub struct RecordPanel {
    /// `--input-device`, `None` for the default input.
    pub input_device: Option<String>,
    /// The user wants the input open (the meter running).
    pub armed: bool,
    pub count_in_bars: u8,
    pub request: Option<RecordRequest>,
    pub phase: Phase,
    /// "default, 48000 Hz, 2 ch" once the input is open.
    pub input: Option<String>,
    /// The shown peak (dBFS), falling back between readings, and the held peak.
    pub level_db: f32,
    pub hold_db: f32,
    held_at: Option<Instant>,
    /// The input reached full scale since it was armed or the last take began.
    pub clipped: bool,
}

impl Default for RecordPanel {
    fn default() -> RecordPanel {
        RecordPanel {
            input_device: None,
            armed: false,
            count_in_bars: 1,
            request: None,
            phase: Phase::Off,
            input: None,
            level_db: f32::NEG_INFINITY,
            hold_db: f32::NEG_INFINITY,
            held_at: None,
            clipped: false,
        }
    }
}

impl RecordPanel {
    /// The input is open or a take is under way: the main loop should come round often.
    pub fn is_active(&self) -> bool {
        self.armed || self.phase != Phase::Off
    }

    fn busy(&self) -> bool {
        matches!(
            self.phase,
            Phase::CountIn { .. } | Phase::Recording { .. } | Phase::Finishing
        )
    }

    /// Takes a peak reading made `elapsed` seconds after the last one.
    fn show_level(&mut self, peak_db: f32, elapsed: f32, now: Instant) {
        let fallen = self.level_db - FALL_DB_PER_SECOND * elapsed;
        self.level_db = peak_db.max(fallen).max(FLOOR_DB - 1.0);
        let expired = self.held_at.is_none_or(|t| now.duration_since(t) >= HOLD);
        if peak_db >= self.hold_db || expired {
            self.hold_db = peak_db;
            self.held_at = Some(now);
        }
    }
}

impl App {
    pub(super) fn record_action(&mut self, action: Action) {
        match action {
            Action::RecordArm => {
                if self.record.busy() {
                    self.error("a take is being recorded: Alt+T stops it first");
                } else {
                    self.record.armed = !self.record.armed;
                    if !self.record.armed {
                        self.info("recording disarmed (input closed)");
                    }
                }
            }
            Action::RecordTake => {
                if self.record.busy() {
                    self.record.request = Some(RecordRequest::Stop);
                } else {
                    self.record.armed = true;
                    self.record.request = Some(RecordRequest::Start);
                }
            }
            Action::RecordCountIn => {
                let at = COUNT_INS
                    .iter()
                    .position(|&b| b == self.record.count_in_bars)
                    .unwrap_or(0);
                self.record.count_in_bars = COUNT_INS[(at + 1) % COUNT_INS.len()];
                self.info(match self.record.count_in_bars {
                    0 => "count-in: off (the take starts with the pattern)".to_owned(),
                    1 => "count-in: 1 bar".to_owned(),
                    n => format!("count-in: {n} bars"),
                });
            }
            _ => {}
        }
    }

    /// Adds the take at `path` (relative to the song) as a sampler playing at its recorded
    /// pitch on `root`: one undoable edit.
    pub fn add_take(&mut self, path: &str, root: Pitch) {
        let name = Path::new(path)
            .file_stem()
            .map_or("Take".to_owned(), |s| s.to_string_lossy().into_owned());
        let mut sampler = Sampler::new(path);
        sampler.root = root;
        self.add_instrument(Instrument::sampler(name, sampler));
    }
}

/// A name for the next take beside the song, `SONG-take01.wav` and up, that neither a
/// file nor an instrument already uses.
pub fn fresh_take_name(song_path: &Path, used: &[&str]) -> String {
    let dir = song_path.parent().unwrap_or(Path::new(""));
    let stem = song_path
        .file_stem()
        .map_or("song".to_owned(), |s| s.to_string_lossy().into_owned());
    (1..)
        .map(|n| format!("{stem}-take{n:02}.wav"))
        .find(|name| !used.contains(&name.as_str()) && !dir.join(name).exists())
        .expect("some number is free")
}

/// Where the loop starts and how many input frames the count-in lasts: the pattern's
/// last `bars` bars play first, and the take starts as the loop comes round to its first
/// row (a pattern shorter than the count-in goes round more than once before).
pub fn count_in(song: &Song, pattern_length: usize, bars: u8, sample_rate: u32) -> (usize, u64) {
    let rows = usize::from(bars) * song.rows_per_bar();
    let length = pattern_length.max(1);
    let row_seconds = 60.0 / (f64::from(song.tempo) * f64::from(song.rows_per_beat));
    let frames = (rows as f64 * row_seconds * f64::from(sample_rate)).round() as u64;
    ((length - rows % length) % length, frames)
}

/// The input stream and the take under way, owned by the main loop.
#[derive(Default)]
pub struct Recorder {
    input: Option<Input>,
    take: Option<Take>,
    /// The take's file name relative to the song, and whether the loop was started for it.
    take_name: String,
    looping: bool,
    clipped_before: u64,
    last_reading: Option<Instant>,
}

impl Recorder {
    /// Called by the main loop before `Playback::serve` (a take's loop starts in the same
    /// turn as the take is planned).
    pub fn serve(&mut self, app: &mut App) {
        let request = app.record.request.take();
        if app.record.armed && self.input.is_none() {
            if !self.open(app) {
                return;
            }
            // A take asked for with the arming is planned before the stream runs, so it
            // starts exactly on the input's first frame (plus the count-in).
            if request == Some(RecordRequest::Start) {
                self.start(app);
            }
            if let Some(Err(e)) = self.input.as_ref().map(Input::start) {
                app.error(format!("cannot record: {e}"));
                app.record.armed = false;
                self.take = None;
                self.close(app);
                return;
            }
        } else {
            if !app.record.armed && self.input.is_some() && self.take.is_none() {
                self.close(app);
            }
            match request {
                Some(RecordRequest::Start) => self.start(app),
                Some(RecordRequest::Stop) => self.stop(app),
                None => {}
            }
        }
        let Some(input) = &self.input else { return };
        let now = Instant::now();
        let level = input.level();
        let elapsed = self
            .last_reading
            .map_or(0.0, |t| now.duration_since(t).as_secs_f32());
        self.last_reading = Some(now);
        app.record.show_level(level.peak_dbfs, elapsed, now);
        if level.clipped > self.clipped_before {
            app.record.clipped = true;
        }
        let sample_rate = f64::from(input.sample_rate());
        if let Some(e) = input.error() {
            if self.take.is_none() {
                app.error(format!("audio input stopped: {e}"));
                app.record.armed = false;
                self.close(app);
                return;
            }
            if app.record.phase != Phase::Finishing {
                self.stop(app);
            }
        }
        if let Some(take) = &self.take {
            if app.record.phase == Phase::Finishing {
                if take.is_done() {
                    self.finish(app);
                }
            } else if take.started() {
                app.record.phase = Phase::Recording {
                    seconds: take.seconds(),
                };
            } else {
                app.record.phase = Phase::CountIn {
                    seconds: take.frames_until_start() as f64 / sample_rate,
                };
            }
        }
    }

    /// Opens the input (not started yet); false, with a message, when it cannot be.
    fn open(&mut self, app: &mut App) -> bool {
        match Input::open(app.record.input_device.as_deref()) {
            Ok(input) => {
                let info = format!(
                    "{}, {} Hz, {} ch",
                    input.device(),
                    input.sample_rate(),
                    input.channels()
                );
                app.info(format!("recording armed: {info} (Alt+T records)"));
                app.record.input = Some(info);
                app.record.phase = Phase::Armed;
                app.record.clipped = false;
                self.clipped_before = 0;
                self.input = Some(input);
                true
            }
            Err(e) => {
                app.error(format!("cannot record: {e}"));
                app.record.armed = false;
                false
            }
        }
    }

    fn close(&mut self, app: &mut App) {
        self.input = None;
        app.record.input = None;
        app.record.phase = Phase::Off;
        app.record.level_db = f32::NEG_INFINITY;
        app.record.hold_db = f32::NEG_INFINITY;
    }

    fn start(&mut self, app: &mut App) {
        let Some(input) = &mut self.input else {
            return;
        };
        if self.take.is_some() {
            return;
        }
        let used: Vec<&str> = app
            .song
            .instruments
            .iter()
            .filter_map(|i| match &i.source {
                crate::song::Source::Sampler(s) => Some(s.path.as_str()),
                crate::song::Source::Synth(_) => None,
            })
            .collect();
        let name = fresh_take_name(&app.path, &used);
        let dir = app.path.parent().unwrap_or(Path::new("")).to_owned();
        let bars = if app.audio.available {
            app.record.count_in_bars
        } else {
            0
        };
        let (loop_row, count_in_frames) =
            count_in(&app.song, app.pattern().length(), bars, input.sample_rate());
        let plan = TakePlan {
            path: dir.join(&name),
            start_frame: input.frames() + count_in_frames,
            length: None,
            trim_below_db: Some(DEFAULT_TRIM_DB),
            overwrite: false,
        };
        match input.record(plan) {
            Ok(take) => {
                self.take = Some(take);
                self.take_name = name;
                app.record.clipped = false;
                self.clipped_before = input.level().clipped;
                if app.audio.available {
                    app.play_request = Some(PlayRequest::LoopPatternFrom(loop_row));
                    self.looping = true;
                    app.info(format!(
                        "recording {}{} (Alt+T stops)",
                        self.take_name,
                        if count_in_frames > 0 {
                            " after the count-in"
                        } else {
                            ""
                        }
                    ));
                } else {
                    self.looping = false;
                    app.info(format!(
                        "recording {} without the pattern (no audio output; Alt+T stops)",
                        self.take_name
                    ));
                }
                app.record.phase = Phase::CountIn {
                    seconds: count_in_frames as f64 / f64::from(input.sample_rate()),
                };
            }
            Err(e) => app.error(format!("cannot record: {e}")),
        }
    }

    fn stop(&mut self, app: &mut App) {
        if let Some(take) = &self.take {
            take.stop();
            app.record.phase = Phase::Finishing;
            if self.looping {
                app.play_request = Some(PlayRequest::Stop);
                self.looping = false;
            }
        }
    }

    fn finish(&mut self, app: &mut App) {
        let (Some(input), Some(take)) = (&mut self.input, self.take.take()) else {
            return;
        };
        let path = take.path().to_owned();
        app.record.phase = Phase::Armed;
        match input.finish(take) {
            Ok(summary) if summary.frames == 0 => {
                let _ = std::fs::remove_file(&path);
                app.error(format!(
                    "the take was silent (nothing above {DEFAULT_TRIM_DB} dBFS): no instrument added"
                ));
            }
            Ok(summary) => {
                let root =
                    Pitch::new(app.octave.min(9) * 12).expect("C of an octave up to 9 is a note");
                let name = self.take_name.clone();
                app.add_take(&name, root);
                let seconds = summary.frames as f64 / f64::from(summary.sample_rate);
                let mut text = format!(
                    "recorded {name} as instrument {:02X} (root {root}): {seconds:.2} s, peak {:.1} dBFS, {:.2} s of silence trimmed",
                    app.instrument,
                    summary.peak_dbfs,
                    summary.trimmed as f64 / f64::from(summary.sample_rate),
                );
                if summary.dropped > 0 {
                    text.push_str(&format!(
                        "; {} samples lost (the disk could not keep up)",
                        summary.dropped
                    ));
                }
                if app.record.clipped {
                    text.push_str("; the input clipped");
                }
                app.info(text);
            }
            Err(e) => app.error(format!("the take failed: {e}")),
        }
        if !app.record.armed || input.error().is_some() {
            app.record.armed = false;
            self.close(app);
        }
    }
}

// ----- drawing -----

/// The recording panel along the bottom of the instruments view while recording is
/// armed; returns the area left for the view.
pub fn draw_panel(frame: &mut Frame, area: Rect, app: &App) -> Rect {
    let panel = &app.record;
    if !panel.is_active() || area.height < 8 {
        return area;
    }
    let [rest, bottom] = Layout::vertical([Constraint::Min(3), Constraint::Length(3)]).areas(area);
    let (state, style) = match &panel.phase {
        Phase::Off | Phase::Armed => ("ARMED".to_owned(), theme::TITLE),
        Phase::CountIn { seconds } => (format!("COUNT-IN {seconds:.1} s"), theme::TITLE),
        Phase::Recording { seconds } => (
            format!("● REC {}", crate::render::format_time(*seconds)),
            theme::ERROR,
        ),
        Phase::Finishing => ("saving".to_owned(), theme::TITLE),
    };
    let title = format!(
        " record: {} ",
        panel.input.as_deref().unwrap_or("opening the input")
    );
    let block = Block::default().borders(Borders::ALL).title(title);
    let inner = block.inner(bottom);
    frame.render_widget(block, bottom);
    let level = if panel.level_db < FLOOR_DB {
        "  -inf".to_owned()
    } else {
        format!("{:>6.1}", panel.level_db)
    };
    let count_in = match panel.count_in_bars {
        0 => "count-in off".to_owned(),
        1 => "count-in 1 bar".to_owned(),
        n => format!("count-in {n} bars"),
    };
    let left = format!(" {state:<16}");
    let right = format!(" {level} dBFS ");
    let clip = if panel.clipped { "CLIP" } else { "    " };
    let tail = format!(" {count_in}  Alt+T rec/stop ");
    let fixed = left.chars().count() + right.chars().count() + 4 + tail.chars().count();
    let bar_width = (inner.width as usize).saturating_sub(fixed).max(4) as u16;
    let line = Line::from(vec![
        Span::styled(left, style),
        Span::raw(" ".repeat(bar_width as usize)),
        Span::styled(right, theme::VALUE),
        Span::styled(clip, theme::ERROR),
        Span::styled(tail, theme::MUTED),
    ]);
    frame.render_widget(Paragraph::new(line), inner);
    let bar = Rect {
        x: inner.x + 17,
        y: inner.y,
        width: bar_width.min(inner.width.saturating_sub(17)),
        height: 1,
    };
    let fill = (panel.level_db >= FLOOR_DB).then(|| {
        let color = if panel.level_db > -3.0 {
            Color::LightRed
        } else if panel.level_db > -12.0 {
            Color::Yellow
        } else {
            Color::LightGreen
        };
        (fraction(panel.level_db, FLOOR_DB), color)
    });
    let mark = (panel.hold_db >= FLOOR_DB).then(|| fraction(panel.hold_db, FLOOR_DB));
    horizontal(frame.buffer_mut(), bar, fill, mark);
    rest
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{Source, templates};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn app(path: &Path) -> App {
        let song = templates::starter(&templates::StarterOptions {
            tempo: 120.0,
            key: "A minor".parse().unwrap(),
            template: "basic".into(),
            title: "Test".into(),
            kit: None,
        })
        .unwrap();
        let mut app = App::new(song, path.to_owned());
        app.update(Action::Show(crate::ui::View::Instruments));
        app
    }

    fn alt(app: &mut App, c: char) {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::ALT));
    }

    #[test]
    fn the_keys_arm_record_stop_and_set_the_count_in() {
        let mut app = app(Path::new("/nonexistent/song.json"));
        alt(&mut app, 'r');
        assert!(app.record.armed);
        alt(&mut app, 'r');
        assert!(!app.record.armed);
        alt(&mut app, 't');
        assert!(app.record.armed, "recording arms the input");
        assert_eq!(app.record.request, Some(RecordRequest::Start));
        app.record.request = None;
        app.record.phase = Phase::Recording { seconds: 1.0 };
        alt(&mut app, 'r');
        assert!(app.record.armed, "no disarming in the middle of a take");
        alt(&mut app, 't');
        assert_eq!(app.record.request, Some(RecordRequest::Stop));
        assert_eq!(app.record.count_in_bars, 1);
        alt(&mut app, 'c');
        assert_eq!(app.record.count_in_bars, 2);
        alt(&mut app, 'c');
        assert_eq!(app.record.count_in_bars, 0);
        alt(&mut app, 'c');
        assert_eq!(app.record.count_in_bars, 1);
    }

    #[test]
    fn a_take_becomes_a_sampler_in_one_undoable_step() {
        let dir = tempfile::tempdir().unwrap();
        let song_path = dir.path().join("tune.json");
        let wav = dir.path().join("tune-take01.wav");
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 48_000,
            bits_per_sample: 32,
            sample_format: hound::SampleFormat::Float,
        };
        let mut writer = hound::WavWriter::create(&wav, spec).unwrap();
        for i in 0..480 {
            writer.write_sample((i as f32 * 0.1).sin()).unwrap();
        }
        writer.finalize().unwrap();
        let mut app = app(&song_path);
        let count = app.song.instruments.len();
        let undo = app.undo_len();
        app.add_take("tune-take01.wav", "C-3".parse().unwrap());
        assert_eq!(app.song.instruments.len(), count + 1);
        let added = app.song.instruments.last().unwrap();
        assert_eq!(added.name, "tune-take01");
        let Source::Sampler(s) = &added.source else {
            panic!("a sampler")
        };
        assert_eq!(s.path, "tune-take01.wav", "relative to the song");
        assert_eq!(s.root.to_string(), "C-3");
        assert!(matches!(app.samples.get("tune-take01.wav"), Some(Ok(_))));
        assert_eq!(usize::from(app.instrument), count + 1, "selected");
        assert_eq!(app.undo_len(), undo + 1);
        app.handle_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::CONTROL));
        assert_eq!(app.song.instruments.len(), count);
    }

    #[test]
    fn the_count_in_plays_the_patterns_last_bars_and_lasts_exactly_that_long() {
        let mut song = Song::new(1);
        song.tempo = 128.0;
        song.rows_per_beat = 4;
        song.beats_per_bar = 4;
        // 16 rows of 60/128/4 s at 48 kHz.
        assert_eq!(count_in(&song, 64, 1, 48_000), (48, 90_000));
        assert_eq!(count_in(&song, 64, 0, 48_000), (0, 0));
        assert_eq!(count_in(&song, 16, 2, 48_000), (0, 180_000), "twice round");
        assert_eq!(count_in(&song, 24, 1, 44_100), (8, 82_688));
        song.beats_per_bar = 3;
        assert_eq!(count_in(&song, 64, 1, 48_000), (52, 67_500));
    }

    #[test]
    fn take_names_never_reuse_a_file_or_an_instrument_path() {
        let dir = tempfile::tempdir().unwrap();
        let song = dir.path().join("tune.json");
        assert_eq!(fresh_take_name(&song, &[]), "tune-take01.wav");
        std::fs::write(dir.path().join("tune-take01.wav"), "").unwrap();
        assert_eq!(fresh_take_name(&song, &[]), "tune-take02.wav");
        assert_eq!(
            fresh_take_name(&song, &["tune-take02.wav"]),
            "tune-take03.wav"
        );
    }

    #[test]
    fn the_level_falls_back_slowly_and_the_peak_is_held() {
        let mut panel = RecordPanel::default();
        let start = Instant::now();
        panel.show_level(-6.0, 0.05, start);
        assert_eq!(panel.level_db, -6.0);
        panel.show_level(-40.0, 0.1, start + std::time::Duration::from_millis(100));
        assert!((panel.level_db - -8.0).abs() < 1e-4, "{}", panel.level_db);
        assert_eq!(panel.hold_db, -6.0);
        panel.show_level(-40.0, 0.1, start + HOLD + HOLD);
        assert_eq!(panel.hold_db, -40.0, "an old hold falls back");
    }

    #[test]
    fn the_panel_shows_the_state_the_level_and_a_clip() {
        let mut app = app(Path::new("/nonexistent/song.json"));
        app.record.armed = true;
        app.record.phase = Phase::Recording { seconds: 2.5 };
        app.record.input = Some("default, 48000 Hz, 2 ch".into());
        app.record.level_db = -12.0;
        app.record.hold_db = -3.0;
        app.record.clipped = true;
        let backend = ratatui::backend::TestBackend::new(80, 24);
        let mut terminal = ratatui::Terminal::new(backend).unwrap();
        terminal.draw(|f| crate::ui::draw(f, &app)).unwrap();
        let screen: String = terminal
            .backend()
            .buffer()
            .content()
            .iter()
            .map(|c| c.symbol())
            .collect();
        assert!(
            screen.contains("record: default, 48000 Hz, 2 ch"),
            "{screen}"
        );
        assert!(screen.contains("● REC 0:02.500"));
        assert!(screen.contains("-12.0 dBFS CLIP"));
        assert!(screen.contains("count-in 1 bar"));
        assert!(screen.contains("instruments"), "the view is still there");
    }
}
