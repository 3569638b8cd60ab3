//! Live playback in the editor: the main loop hands the `App`'s play requests and edits
//! to an `audio::Player` and brings its playhead and status back. The `App` itself never
//! touches audio, so it works the same with no sound card (and in tests).

use super::action::View;
use super::app::{App, PlayRequest};
use super::meter::MasterLevels;
use super::midi::MidiNote;
use crate::audio::{AudioOptions, Player};
use crate::engine::Start;
use crate::song::{SampleBank, Source};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// How long a previewed or jammed note sounds: a terminal reports key presses, not
/// releases, so the note is let go after this.
const PREVIEW_LENGTH: Duration = Duration::from_millis(500);

pub struct Playback {
    player: Player,
    samples: Option<SampleBank>,
    /// The sample files `samples` was loaded from, one per instrument.
    sample_paths: Vec<Option<String>>,
    sent_revision: u64,
    reported_error: bool,
    /// When the last previewed note started, while it still sounds.
    preview_started: Option<Instant>,
    /// The preview channels of the piano keys played since then, to let go together.
    preview_channels: Vec<usize>,
    /// MIDI keys held down, and the preview channel each sounds on.
    held_keys: HashMap<u8, usize>,
}

/// What the status bar shows about the output.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AudioState {
    /// An output is open; play requests go to it.
    pub available: bool,
    pub playing: bool,
    /// Order entry, pattern and row playing.
    pub playhead: Option<(Option<usize>, usize, usize)>,
    /// Device, rate, buffer, callback load, underruns.
    pub status: String,
}

impl Playback {
    /// Opens the output; on failure the editor runs on without sound and says so once.
    pub fn open(options: &AudioOptions, app: &mut App) -> Option<Playback> {
        match Player::open(options) {
            Ok(player) => {
                app.audio.available = true;
                Some(Playback {
                    player,
                    samples: None,
                    sample_paths: Vec::new(),
                    sent_revision: app.revision,
                    reported_error: false,
                    preview_started: None,
                    preview_channels: Vec::new(),
                    held_keys: HashMap::new(),
                })
            }
            Err(e) => {
                let text = match app.message.take() {
                    Some(m) => format!("{}; {e}", m.text),
                    None => e.to_string(),
                };
                app.error(text);
                app.audio.status = "no audio output".to_owned();
                None
            }
        }
    }

    fn samples(&mut self, app: &mut App) -> Option<&SampleBank> {
        let paths: Vec<Option<String>> = app
            .song
            .instruments
            .iter()
            .map(|i| match &i.source {
                Source::Sampler(s) => Some(s.path.clone()),
                Source::Synth(_) => None,
            })
            .collect();
        if self.samples.is_none() || paths != self.sample_paths {
            match SampleBank::load(&app.song, &app.path) {
                Ok(bank) => {
                    self.samples = Some(bank);
                    self.sample_paths = paths;
                }
                Err(e) => {
                    app.error(e.to_string());
                    return None;
                }
            }
        }
        self.samples.as_ref()
    }

    /// Called by the main loop between key presses.
    pub fn serve(&mut self, app: &mut App) {
        if let Some(request) = app.play_request.take() {
            match request {
                PlayRequest::Stop => self.player.stop(),
                other => {
                    let start = start_for(app, other);
                    if self.samples(app).is_some() {
                        let samples = self.samples.as_ref().expect("just loaded");
                        match self.player.play(&app.song, samples, start) {
                            Ok(()) => self.sent_revision = app.revision,
                            Err(e) => app.error(e.to_string()),
                        }
                    }
                }
            }
        }
        if app.revision != self.sent_revision && self.player.is_playing() {
            if self.samples(app).is_some() {
                let samples = self.samples.as_ref().expect("just loaded");
                self.player.update_song(&app.song, samples);
            }
            self.sent_revision = app.revision;
        }
        self.preview(app);
        let status = self.player.poll().clone();
        let now = Instant::now();
        match &status.meters {
            Some(frame) => {
                app.meters.feed_mixer(&frame.mixer, now);
                app.master_levels = Some(MasterLevels {
                    loudness: frame.loudness,
                    reduction_db: frame.master_reduction_db,
                });
            }
            None if !status.playing => app.meters.fall_silent(now),
            None => {}
        }
        app.audio.playing = status.playing;
        app.audio.playhead = status.playhead.map(|p| (p.entry, p.pattern, p.row));
        app.audio.status = format!(
            "{} {} Hz {} CPU {:.0}% xruns {}",
            status.device,
            status.sample_rate,
            status
                .buffer_frames
                .map_or(String::new(), |b| format!("{b} fr")),
            status.cpu_percent,
            status.underruns
        );
        if let Some(e) = &status.error
            && !self.reported_error
        {
            self.reported_error = true;
            app.error(format!("audio output stopped: {e}"));
        }
        if app.follow
            && status.playing
            && app.view == View::Pattern
            && let Some(p) = status.playhead
            && p.pattern < app.song.patterns.len()
        {
            if p.pattern != app.cursor.pattern {
                app.selection = None;
            }
            app.cursor.pattern = p.pattern;
            app.cursor.row = p.row;
            app.clamp_places();
        }
    }
}

impl Playback {
    /// Sounds the piano key just played on the current instrument, and lets go of it
    /// after `PREVIEW_LENGTH`; sounds MIDI keys until they are let go.
    fn preview(&mut self, app: &mut App) {
        if let Some(note) = app.preview.take()
            && note.instrument > 0
            && self.samples(app).is_some()
        {
            let samples = self.samples.as_ref().expect("just loaded");
            let instrument = usize::from(note.instrument - 1);
            match self
                .player
                .hold_note(&app.song, samples, instrument, note.pitch, None)
            {
                Ok(Some(channel)) => {
                    self.preview_started = Some(Instant::now());
                    self.held_keys.retain(|_, c| *c != channel);
                    self.preview_channels.push(channel);
                }
                Ok(None) => {}
                Err(e) => app.error(e.to_string()),
            }
        }
        if self
            .preview_started
            .is_some_and(|t| t.elapsed() >= PREVIEW_LENGTH)
        {
            // Only the piano keys' own channels: MIDI keys held meanwhile ring on.
            for channel in std::mem::take(&mut self.preview_channels) {
                self.player.release_note(channel);
            }
            self.preview_started = None;
        }
        for note in std::mem::take(&mut app.midi_notes) {
            match note {
                MidiNote::On {
                    key,
                    pitch,
                    instrument,
                    volume,
                } if instrument > 0 && self.samples(app).is_some() => {
                    let samples = self.samples.as_ref().expect("just loaded");
                    let index = usize::from(instrument - 1);
                    match self
                        .player
                        .hold_note(&app.song, samples, index, pitch, Some(volume))
                    {
                        Ok(Some(channel)) => {
                            // A channel taken over now sounds this key alone.
                            self.held_keys.retain(|_, c| *c != channel);
                            self.preview_channels.retain(|c| *c != channel);
                            if let Some(old) = self.held_keys.insert(key, channel) {
                                self.player.release_note(old);
                            }
                        }
                        Ok(None) => {}
                        Err(e) => app.error(e.to_string()),
                    }
                }
                MidiNote::On { .. } => {}
                MidiNote::Off { key } => {
                    if let Some(channel) = self.held_keys.remove(&key) {
                        self.player.release_note(channel);
                    }
                }
            }
        }
    }
}

/// Where a request starts: the cursor's entry and row (the arrangement's selected entry
/// in that view), the top, or the shown pattern looping.
pub(super) fn start_for(app: &App, request: PlayRequest) -> Start {
    match request {
        PlayRequest::FromStart | PlayRequest::Stop => Start::TOP,
        PlayRequest::LoopPattern => Start::LoopPattern {
            pattern: app.cursor.pattern,
            row: 0,
        },
        PlayRequest::LoopPatternFrom(row) => Start::LoopPattern {
            pattern: app.cursor.pattern,
            row,
        },
        PlayRequest::FromCursor => {
            if app.view == View::Arrangement {
                return Start::Song {
                    entry: app.order,
                    row: 0,
                };
            }
            let name = &app.pattern().name;
            match app.song.arrangement.iter().position(|e| &e.pattern == name) {
                Some(entry) => Start::Song {
                    entry,
                    row: app.cursor.row,
                },
                None => Start::LoopPattern {
                    pattern: app.cursor.pattern,
                    row: app.cursor.row,
                },
            }
        }
    }
}
