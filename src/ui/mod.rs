//! The terminal editor: an `App` owns the song; keys become actions that `update` applies;
//! drawing is a pure function of the state.

pub mod action;
pub mod app;
mod arrangement;
pub mod command;
mod harmony;
pub mod help;
mod instruments;
pub mod keymap;
pub mod lanes;
mod master;
pub mod meter;
mod midi;
mod mixer;
mod pattern;
pub mod playback;
pub mod record;
pub mod recovery;
pub mod render_job;
mod sample_editor;
mod song_view;
mod theme;

#[cfg(test)]
mod tests;

pub use action::{Action, View};
pub use app::App;

use crate::song::{self, Key as SongKey, templates};
use app::{Confirm, Mode};
use crossterm::event::{self, Event, KeyEventKind};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use ratatui::Frame;
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::error::Error;
use std::io;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// How often unsaved work is written to the recovery file.
pub const AUTOSAVE_EVERY: Duration = Duration::from_secs(30);

/// The starter song for a path: the bundled kit if it can be found from there.
pub fn starter_song(
    path: &Path,
    tempo: f32,
    key: SongKey,
    template: &str,
) -> Result<song::Song, String> {
    templates::starter(&templates::StarterOptions {
        tempo,
        key,
        template: template.to_owned(),
        title: path
            .file_stem()
            .map_or(String::new(), |s| s.to_string_lossy().into_owned()),
        kit: templates::find_kit(path),
    })
}

/// What the terminal has for us after a wait.
enum TerminalInput {
    Quiet,
    Readable,
    /// Gone (an SSH connection or a tmux server dropped), whether or not a SIGHUP
    /// reached us: reading it would only ever give end-of-file.
    HungUp,
}

/// Waits up to `wait` for the terminal, or for `wake` (MIDI input) to be readable. The
/// wait is ours rather than crossterm's because crossterm's keeps reading a terminal that
/// has gone and never returns.
fn wait_for_terminal(wait: Duration, wake: Option<std::os::fd::RawFd>) -> TerminalInput {
    let mut fds = [
        libc::pollfd {
            fd: libc::STDIN_FILENO,
            events: libc::POLLIN,
            revents: 0,
        },
        libc::pollfd {
            fd: wake.unwrap_or(-1),
            events: libc::POLLIN,
            revents: 0,
        },
    ];
    let millis = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX);
    // SAFETY: valid pollfds for the length given (a negative fd is skipped by poll).
    let ready = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) };
    let terminal = fds[0];
    if ready <= 0 || terminal.revents == 0 {
        TerminalInput::Quiet
    } else if terminal.revents & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
        TerminalInput::HungUp
    } else {
        TerminalInput::Readable
    }
}

/// Opens `path` in the editor, creating the song if the file does not exist.
pub fn run(path: &Path, audio: &crate::audio::AudioOptions) -> Result<(), Box<dyn Error>> {
    use std::io::IsTerminal;
    if !io::stdin().is_terminal() || !io::stdout().is_terminal() {
        return Err(format!(
            "{}: the editor needs a terminal (to render without one: tracksmith render {} -o OUT.wav)",
            path.display(),
            path.display()
        )
        .into());
    }
    let created = !path.exists();
    let song = if created {
        let song = starter_song(path, 120.0, SongKey::default(), "basic")?;
        song::save(&song, path)?;
        song
    } else {
        song::load(path)?
    };
    let mut app = App::new(song, path.to_owned());
    app.record.input_device = audio.input_device.clone();
    if created {
        app.info(format!(
            "created {} (drums, bass, pad and lead ready; F1 for help)",
            path.display()
        ));
    } else {
        app.info("F1: help  Ctrl+S: save  Ctrl+Q: quit");
    }
    match recovery::find(path, &app.song) {
        Some(Ok(recovered)) => app.mode = Mode::Confirm(Confirm::Restore(Box::new(recovered))),
        Some(Err(e)) => app.error(format!("the recovery file cannot be read: {e}")),
        None => {}
    }

    let hangup = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGHUP, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(signal, hangup.clone())?;
    }

    // Opened before the terminal is taken, so that nothing the audio library says can
    // land on the editor's screen.
    let mut playback = playback::Playback::open(audio, &mut app);
    let mut terminal = enter_terminal()?;
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave_terminal();
        default_hook(info);
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        event_loop(&mut terminal, &mut app, &hangup, playback.as_mut())
    }));
    leave_terminal();
    let _ = std::panic::take_hook();
    match outcome {
        Ok(Ok(LoopEnd::Quit)) => Ok(()),
        Ok(Ok(LoopEnd::HungUp)) => {
            let saved = write_recovery(&app);
            Err(format!("stopped by a signal{saved}").into())
        }
        Ok(Err(e)) => {
            let saved = write_recovery(&app);
            Err(format!("terminal error: {e}{saved}").into())
        }
        Err(_) => {
            let saved = write_recovery(&app);
            Err(format!("the editor crashed{saved}").into())
        }
    }
}

/// Writes the recovery file if there is unsaved work; says where, for the exit message.
fn write_recovery(app: &App) -> String {
    if !app.dirty {
        return String::new();
    }
    match recovery::write(&app.song, &app.path) {
        Ok(p) => format!("; unsaved work is in {}", p.display()),
        Err(e) => format!("; the recovery file could not be written: {e}"),
    }
}

/// When to write the recovery file: unsaved changes not written yet, and the interval past.
pub struct Autosave {
    last: Instant,
    revision: u64,
}

impl Autosave {
    pub fn new(now: Instant, revision: u64) -> Autosave {
        Autosave {
            last: now,
            revision,
        }
    }

    pub fn due(&self, app: &App, now: Instant) -> bool {
        app.dirty
            && app.revision != self.revision
            && now.saturating_duration_since(self.last) >= AUTOSAVE_EVERY
    }

    pub fn done(&mut self, revision: u64, now: Instant) {
        self.last = now;
        self.revision = revision;
    }
}

enum LoopEnd {
    Quit,
    HungUp,
}

fn enter_terminal() -> io::Result<Terminal<CrosstermBackend<io::Stdout>>> {
    terminal::enable_raw_mode()?;
    crossterm::execute!(io::stdout(), EnterAlternateScreen)?;
    Terminal::new(CrosstermBackend::new(io::stdout()))
}

fn leave_terminal() {
    let _ = terminal::disable_raw_mode();
    let _ = crossterm::execute!(io::stdout(), LeaveAlternateScreen, crossterm::cursor::Show);
}

fn event_loop(
    terminal: &mut Terminal<CrosstermBackend<io::Stdout>>,
    app: &mut App,
    hangup: &AtomicBool,
    mut playback: Option<&mut playback::Playback>,
) -> io::Result<LoopEnd> {
    let size = terminal.size()?;
    app.screen = (size.width, size.height);
    let mut autosave = Autosave::new(Instant::now(), app.revision);
    let mut recorder = record::Recorder::default();
    let midi_inputs = midi::open(app);
    let mut drawn_revision = None;
    loop {
        if hangup.load(Ordering::Relaxed) {
            return Ok(LoopEnd::HungUp);
        }
        terminal.draw(|f| draw(f, app))?;
        drawn_revision = drawn_revision.max(Some(app.revision));
        let wait = if app.render_job.is_some() || app.audio.playing || app.record.is_active() {
            Duration::from_millis(50)
        } else {
            Duration::from_millis(200)
        };
        // Events crossterm has already read come first; then wait on the terminal itself.
        let ready = event::poll(Duration::ZERO)?
            || match wait_for_terminal(wait, midi_inputs.as_ref().map(|m| m.wake_fd())) {
                TerminalInput::HungUp => return Ok(LoopEnd::HungUp),
                TerminalInput::Readable => event::poll(Duration::ZERO)?,
                TerminalInput::Quiet => false,
            };
        if ready {
            // Take every pending event before drawing again, so held keys never lag.
            loop {
                match event::read()? {
                    Event::Key(key) if key.kind != KeyEventKind::Release => app.handle_key(key),
                    Event::Resize(w, h) => {
                        app.screen = (w, h);
                        app.update(Action::Show(app.view));
                    }
                    _ => {}
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
        }
        app.tick();
        if let Some(inputs) = &midi_inputs {
            midi::poll(inputs, app);
        }
        recorder.serve(app);
        if let Some(p) = playback.as_deref_mut() {
            p.serve(app);
        }
        if app.quit {
            if let Some(job) = &app.render_job {
                let _ = job.wait();
            }
            return Ok(LoopEnd::Quit);
        }
        let now = Instant::now();
        if autosave.due(app, now) {
            if let Err(e) = recovery::write(&app.song, &app.path) {
                app.error(format!("autosave failed: {e}"));
            }
            autosave.done(app.revision, now);
        }
    }
}

/// The whole screen: tab bar, the view, the status bar and the message or prompt line.
pub fn draw(frame: &mut Frame, app: &App) {
    let [tabs, body, status, message] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_tabs(frame, tabs, app);
    match app.view {
        View::Pattern => pattern::draw(frame, body, app),
        View::Arrangement => arrangement::draw(frame, body, app),
        View::Instruments => {
            let rest = record::draw_panel(frame, body, app);
            instruments::draw(frame, rest, app)
        }
        View::Song => song_view::draw(frame, body, app),
        View::Mixer => mixer::draw(frame, body, app),
        View::Master => master::draw(frame, body, app),
        View::Help => help::draw(frame, body, app),
    }
    if let Mode::Pick(list) = &app.mode {
        lanes::draw_param_list(frame, body, app, list);
    }
    draw_status(frame, status, app);
    draw_message(frame, message, app);
}

fn draw_tabs(frame: &mut Frame, area: ratatui::layout::Rect, app: &App) {
    let key = |view| match view {
        View::Help => "F1",
        View::Pattern => "F2",
        View::Arrangement => "F3",
        View::Instruments => "F4",
        View::Song => "F5",
        View::Mixer => "F9",
        View::Master => "F10",
    };
    // On a narrow screen the keys go (Help lists them) so every tab still fits.
    let full: usize = View::ALL
        .iter()
        .map(|&v| key(v).len() + v.title().len() + 3)
        .sum();
    let with_keys = full <= usize::from(area.width);
    let mut spans = Vec::new();
    for view in View::ALL {
        let label = if with_keys {
            format!(" {} {} ", key(view), view.title())
        } else {
            format!(" {} ", view.title())
        };
        let style = if view == app.view {
            theme::TAB_ACTIVE
        } else {
            theme::TAB
        };
        spans.push(Span::styled(label, style));
    }
    let title = if app.song.title.is_empty() {
        String::new()
    } else {
        format!("  {}", app.song.title)
    };
    spans.push(Span::styled(title, theme::MUTED));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_status(frame: &mut Frame, area: ratatui::layout::Rect, app: &App) {
    let instrument = match app.instrument {
        0 => "--".to_owned(),
        n => format!(
            "{n:02X} {}",
            app.song
                .instruments
                .get(usize::from(n) - 1)
                .map_or("", |i| i.name.as_str())
        ),
    };
    let mut spans = vec![
        Span::styled(format!(" {}", app.file_name()), theme::STATUS),
        Span::styled(if app.dirty { " [+]" } else { "    " }, theme::DIRTY),
        Span::styled(
            format!(
                " │ {} │ oct {} │ step {} │ ins {} │ {} BPM ",
                if app.edit_mode { "EDIT" } else { "JAM " },
                app.octave,
                app.edit_step,
                instrument,
                app.song.tempo
            ),
            theme::STATUS,
        ),
    ];
    if app.chord_entry.on {
        spans.push(Span::styled(
            format!("│ {} ", app.chord_entry.label()),
            theme::STATUS,
        ));
    }
    if !app.audio.status.is_empty() && !app.audio.available {
        spans.push(Span::styled(
            format!("│ {} ", app.audio.status),
            theme::STATUS,
        ));
    }
    if app.audio.available {
        spans.push(Span::styled(
            format!(
                "│ {} {} ",
                if app.audio.playing { "PLAY" } else { "stop" },
                app.audio.status
            ),
            theme::STATUS,
        ));
    }
    if let Some(job) = &app.render_job {
        let pct = (job.progress() * 100.0).round() as u32;
        let filled = (pct / 10) as usize;
        spans.push(Span::styled(
            format!(
                "│ render [{}{}] {pct:>3}% ",
                "#".repeat(filled),
                ".".repeat(10 - filled)
            ),
            theme::STATUS,
        ));
    }
    let used: usize = spans.iter().map(|s| s.content.chars().count()).sum();
    spans.push(Span::styled(
        " ".repeat(usize::from(area.width).saturating_sub(used)),
        theme::STATUS,
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_message(frame: &mut Frame, area: ratatui::layout::Rect, app: &App) {
    let line = match &app.mode {
        Mode::Prompt(p) => Line::from(vec![
            Span::styled(p.kind.label(), theme::TITLE),
            Span::raw(p.text.clone()),
            Span::styled("_", theme::TITLE),
        ]),
        Mode::Confirm(Confirm::QuitUnsaved) => Line::styled(
            "Unsaved changes. Quit anyway? y: quit  s: save and quit  n: stay",
            theme::ERROR,
        ),
        Mode::Confirm(Confirm::Restore(_)) => Line::styled(
            format!(
                "Unsaved work from last time is in {}. Restore it? y/n",
                recovery::recovery_path(&app.path)
                    .file_name()
                    .map_or(String::new(), |n| n.to_string_lossy().into_owned())
            ),
            theme::ERROR,
        ),
        Mode::Pick(list) => lanes::param_list_line(list),
        Mode::Normal => match &app.message {
            Some(m) if m.error => Line::styled(m.text.clone(), theme::ERROR),
            Some(m) => Line::styled(m.text.clone(), theme::MESSAGE),
            None => Line::raw(""),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}
