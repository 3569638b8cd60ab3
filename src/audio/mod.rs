//! Live output: the cpal stream, the choice of device, and the hand-off to the engine.
//! No DSP here: the callback runs `Engine::process` (through `link::Callback`).
//!
//! The UI owns a `Player`; it compiles the song into an engine or a snapshot on its own
//! thread and sends it through a lock-free queue, so the audio thread never allocates or
//! frees (see `link`).

pub mod link;
pub mod midi_input;
mod play;
pub mod quiet;
pub mod record;

pub use play::{PlayFrom, play_command};

use crate::engine::{Engine, Playhead, Snapshot, Start};
use crate::song::{Cell, Instrument, NoteField, Pitch, SampleBank, Song};
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{FromSample, SampleFormat, SizedSample};
use link::{Command, Control, MeterFrame};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Frames converted to the device's format at a time.
const CONVERT_FRAMES: usize = 1024;
/// Buffer size asked for when none is given: about 11 ms at 48 kHz.
const DEFAULT_BUFFER_FRAMES: u32 = 512;
/// Notes played by hand that may ring at once (each on a channel of its own).
const PREVIEW_CHANNELS: usize = 8;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AudioOptions {
    /// Output device name (as `--list-devices` prints it); `None` for the default.
    pub device: Option<String>,
    /// Frames per callback; `None` for 512 (or the device's own choice if it cannot).
    pub buffer_size: Option<u32>,
    /// Input device to record from (as `--list-devices` prints it); `None` for the default.
    pub input_device: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    #[error("no audio output ({0}); rendering to WAV still works")]
    NoOutput(String),
    #[error("no audio output device named \"{name}\" (outputs: {})", .available.join(", "))]
    UnknownDevice {
        name: String,
        available: Vec<String>,
    },
    #[error("audio output \"{device}\" cannot be opened: {message}")]
    Open { device: String, message: String },
    #[error("buffer size {asked} is not possible on \"{device}\" (allowed {min} to {max} frames)")]
    BufferSize {
        device: String,
        asked: u32,
        min: u32,
        max: u32,
    },
    #[error("audio output stopped: {0}")]
    Lost(String),
}

/// What the player is doing, for a status line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Status {
    pub device: String,
    pub sample_rate: u32,
    /// Frames per callback, when the device says.
    pub buffer_frames: Option<u32>,
    pub playing: bool,
    pub playhead: Option<Playhead>,
    /// Output sample peak (linear) since the last `poll`, left and right.
    pub peak: [f32; 2],
    /// Callback time since the last `poll`, in % of its time budget (the real time
    /// the blocks last).
    pub cpu_percent: f32,
    /// The slowest single callback since the last `poll`, in % of its budget; besides
    /// the work, it shows the audio thread being kept off the CPU.
    pub cpu_peak_percent: f32,
    /// Buffer underruns the device reported since the stream opened.
    pub underruns: u64,
    /// Frames the stream has played since it opened.
    pub stream_frames: u64,
    /// Frames into the song since the last `play` (kept after it ends or stops).
    pub song_frames: u64,
    /// Set once the device failed (unplugged, ...); playback has stopped for good.
    pub error: Option<String>,
    /// The playing engine's meters (every strip, the master's loudness) read since the
    /// last `poll`; `None` when no reading came (stopped, or too soon).
    pub meters: Option<MeterFrame>,
}

/// Written by cpal's error callback, read by `poll`.
#[derive(Default)]
struct Shared {
    underruns: AtomicU64,
    error: Mutex<Option<String>>,
}

/// An open output stream and the engine it plays.
pub struct Player {
    control: Control,
    stream: cpal::Stream,
    shared: Arc<Shared>,
    status: Status,
    /// How play last started; edits are compiled the same way (arrangement or loop).
    start: Start,
    /// The stream runs from `play` until it has been silent a while, so that play
    /// starts on the stream's first frame and an idle player costs nothing.
    running: bool,
    silent_frames: u64,
    /// The instruments the preview engine has, once there is one.
    preview_instruments: Option<Vec<Instrument>>,
    next_preview_channel: usize,
}

impl Player {
    /// Opens the output device and prepares its stream (started by the first `play`).
    /// Prints nothing; every failure comes back as an `AudioError` to show once.
    pub fn open(options: &AudioOptions) -> Result<Player, AudioError> {
        let alsa_messages = quiet::capture_on_this_thread();
        let explain = |fallback: String| alsa_messages.last_message().unwrap_or(fallback);
        let host = host().map_err(|e| AudioError::NoOutput(explain(e)))?;
        let device = match &options.device {
            None => host
                .default_output_device()
                .ok_or_else(|| AudioError::NoOutput("no default output device".into()))?,
            Some(name) => find_output(&host, name)?,
        };
        let device_name = device_id(&device);
        let open_error = |e: cpal::Error| {
            let message = explain(e.to_string());
            if options.device.is_none() {
                AudioError::NoOutput(message)
            } else {
                AudioError::Open {
                    device: device_name.clone(),
                    message,
                }
            }
        };
        let (mut config, format) = choose_config(&device).map_err(open_error)?;
        config.buffer_size = buffer_size(&device, &device_name, options.buffer_size)?;
        let sample_rate = config.sample_rate;
        let (control, callback) = link::link(sample_rate);
        let shared = Arc::new(Shared::default());
        let stream = match format {
            SampleFormat::F32 => open_stream::<f32>(&device, &config, callback, &shared),
            SampleFormat::I16 => open_stream::<i16>(&device, &config, callback, &shared),
            SampleFormat::I32 => open_stream::<i32>(&device, &config, callback, &shared),
            SampleFormat::U16 => open_stream::<u16>(&device, &config, callback, &shared),
            other => {
                return Err(AudioError::Open {
                    device: device_name,
                    message: format!("its sample format {other} is not supported"),
                });
            }
        }
        .map_err(open_error)?;
        let buffer_frames = match config.buffer_size {
            cpal::BufferSize::Fixed(n) => Some(n),
            cpal::BufferSize::Default => stream.buffer_size().ok(),
        };
        Ok(Player {
            control,
            stream,
            shared,
            status: Status {
                device: device_name,
                sample_rate,
                buffer_frames,
                ..Status::default()
            },
            start: Start::TOP,
            running: false,
            silent_frames: 0,
            preview_instruments: None,
            next_preview_channel: 0,
        })
    }

    pub fn sample_rate(&self) -> u32 {
        self.status.sample_rate
    }

    /// Plays `song` from `start`, replacing whatever plays (which fades out). The engine
    /// is built here, on the caller's thread.
    pub fn play(
        &mut self,
        song: &Song,
        samples: &SampleBank,
        start: Start,
    ) -> Result<(), AudioError> {
        if let Some(e) = self.failure() {
            return Err(e);
        }
        let engine = Engine::live(song, samples, self.sample_rate(), start);
        self.start = start;
        self.control.send(Command::Play(Box::new(engine)));
        self.status.playing = true;
        self.status.song_frames = 0;
        self.run_stream()
    }

    fn run_stream(&mut self) -> Result<(), AudioError> {
        self.silent_frames = 0;
        if !self.running {
            self.stream.play().map_err(|e| AudioError::Open {
                device: self.status.device.clone(),
                message: e.to_string(),
            })?;
            self.running = true;
        }
        Ok(())
    }

    /// Plays `pitch` on instrument `instrument` (index into `song.instruments`) at once,
    /// over whatever plays, until `release_notes` or until the 8th note after it (a
    /// terminal reports key presses, not releases). For previewing an entered note and
    /// for jamming on the keyboard.
    pub fn play_note(
        &mut self,
        song: &Song,
        samples: &SampleBank,
        instrument: usize,
        pitch: Pitch,
    ) -> Result<(), AudioError> {
        self.hold_note(song, samples, instrument, pitch, None)
            .map(|_| ())
    }

    /// Like `play_note`, at `volume` (00-40) if given, and held until `release_note` with
    /// the channel it returns (or until the 8th note after it). `None` when there is no
    /// such instrument.
    pub fn hold_note(
        &mut self,
        song: &Song,
        samples: &SampleBank,
        instrument: usize,
        pitch: Pitch,
        volume: Option<u8>,
    ) -> Result<Option<usize>, AudioError> {
        if let Some(e) = self.failure() {
            return Err(e);
        }
        let Ok(number) = u8::try_from(instrument + 1) else {
            return Ok(None);
        };
        if instrument >= song.instruments.len() {
            return Ok(None);
        }
        let rate = self.sample_rate();
        match &self.preview_instruments {
            None => {
                let engine = Engine::preview(song, samples, rate, PREVIEW_CHANNELS);
                self.control.send(Command::Preview(Box::new(engine)));
            }
            Some(known) if *known != song.instruments => {
                let snapshot = Snapshot::preview(song, samples, rate, PREVIEW_CHANNELS);
                self.control
                    .send(Command::UpdatePreview(Box::new(snapshot)));
            }
            Some(_) => {}
        }
        if self.preview_instruments.as_ref() != Some(&song.instruments) {
            self.preview_instruments = Some(song.instruments.clone());
        }
        let channel = self.next_preview_channel;
        self.next_preview_channel = (channel + 1) % PREVIEW_CHANNELS;
        let cell = Cell {
            note: NoteField::On(pitch),
            instrument: Some(number),
            volume,
            ..Cell::EMPTY
        };
        // The 8th note after this one takes its channel, which releases it (rings out).
        self.control.send(Command::Jam { channel, cell });
        self.run_stream().map(|()| Some(channel))
    }

    /// Releases the note `hold_note` started on `channel` (it rings out).
    pub fn release_note(&mut self, channel: usize) {
        if self.preview_instruments.is_some() {
            let cell = Cell {
                note: NoteField::Off,
                ..Cell::EMPTY
            };
            self.control.send(Command::Jam { channel, cell });
        }
    }

    /// Hands edited instruments (loop points, a new sample file) to the notes
    /// `play_note` holds: they play on from where they are, with the new settings.
    pub fn update_preview(&mut self, song: &Song, samples: &SampleBank) {
        if self
            .preview_instruments
            .as_ref()
            .is_some_and(|known| *known != song.instruments)
        {
            let snapshot = Snapshot::preview(song, samples, self.sample_rate(), PREVIEW_CHANNELS);
            self.control
                .send(Command::UpdatePreview(Box::new(snapshot)));
            self.preview_instruments = Some(song.instruments.clone());
        }
    }

    /// Releases the notes `play_note` started; they ring out with their release.
    pub fn release_notes(&mut self) {
        if self.preview_instruments.is_some() {
            self.control.send(Command::ReleaseJam);
        }
    }

    /// Hands an edited song (notes, tempo, mute/solo, mixer, ...) to the playing engine:
    /// heard from the next block, voices and playhead kept, level changes gliding.
    /// Does nothing when stopped (the next `play` takes the song as it is then).
    pub fn update_song(&mut self, song: &Song, samples: &SampleBank) {
        if !self.status.playing {
            return;
        }
        let snapshot = Snapshot::new(song, samples, self.sample_rate(), self.start);
        self.control.send(Command::Update(Box::new(snapshot)));
    }

    /// Stops with a fade of a few milliseconds.
    pub fn stop(&mut self) {
        self.control.send(Command::Stop);
        self.status.playing = false;
    }

    pub fn is_playing(&self) -> bool {
        self.status.playing
    }

    /// Nothing plays and the last sound has left the device's buffer (as of the last
    /// `poll`): the moment a command-line player may exit.
    pub fn is_idle(&self) -> bool {
        let buffer = u64::from(self.status.buffer_frames.unwrap_or(4096));
        !self.status.playing && self.silent_frames > 2 * buffer
    }

    /// Reads what the audio thread reported, frees what it handed back, and returns the
    /// current status. Call it often (every UI frame): it is also what frees old songs.
    pub fn poll(&mut self) -> &Status {
        if let Some(reading) = self.control.collect() {
            if reading.silent_frames < reading.frames {
                self.silent_frames = 0;
            }
            self.silent_frames += reading.silent_frames;
            self.status.playing = reading.playing;
            self.status.playhead = reading.playhead;
            self.status.peak = reading.peak;
            self.status.cpu_percent = 100.0 * reading.mean_load;
            self.status.cpu_peak_percent = 100.0 * reading.max_load;
            self.status.stream_frames = reading.stream_frames;
            if reading.song_frames > 0 {
                self.status.song_frames = reading.song_frames;
            }
        }
        self.status.meters = self.control.collect_meters();
        self.status.underruns = self.shared.underruns.load(Ordering::Relaxed);
        // Once the last sound has left the device's buffer, the stream rests (no wake-ups
        // for silence) until the next `play`, on devices that can pause.
        if self.running && self.is_idle() {
            self.running = self.stream.pause().is_err();
        }
        if let Some(AudioError::Lost(message)) = self.failure() {
            if self.status.error.is_none() {
                // The stream may be half alive; make sure nothing more plays.
                let _ = self.stream.pause();
            }
            self.status.error = Some(message);
            self.status.playing = false;
            self.status.playhead = None;
        }
        &self.status
    }

    fn failure(&self) -> Option<AudioError> {
        let error = self.shared.error.lock().unwrap_or_else(|e| e.into_inner());
        error.clone().map(AudioError::Lost)
    }
}

/// Builds the stream: the callback renders stereo f32 through `link::Callback` and
/// converts to the device's sample type and channel count.
fn open_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut callback: link::Callback,
    shared: &Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample + FromSample<f32>,
{
    let channels = usize::from(config.channels).max(1);
    let mut stereo = vec![0.0f32; 2 * CONVERT_FRAMES];
    let mut quiet = false;
    let data = move |out: &mut [T], _: &cpal::OutputCallbackInfo| {
        if !quiet {
            quiet::discard_on_this_thread();
            quiet = true;
        }
        for chunk in out.chunks_mut(channels * CONVERT_FRAMES) {
            let frames = chunk.len() / channels;
            let stereo = &mut stereo[..2 * frames];
            callback.process(stereo);
            for (frame, s) in chunk.chunks_exact_mut(channels).zip(stereo.chunks_exact(2)) {
                if channels == 1 {
                    frame[0] = T::from_sample(0.5 * (s[0] + s[1]));
                } else {
                    frame[0] = T::from_sample(s[0]);
                    frame[1] = T::from_sample(s[1]);
                    for extra in &mut frame[2..] {
                        *extra = T::EQUILIBRIUM;
                    }
                }
            }
        }
    };
    let shared = Arc::clone(shared);
    let error = move |e: cpal::Error| match e.kind() {
        cpal::ErrorKind::Xrun => {
            shared.underruns.fetch_add(1, Ordering::Relaxed);
        }
        // Playback goes on after these.
        cpal::ErrorKind::RealtimeDenied | cpal::ErrorKind::DeviceChanged => {}
        _ => {
            let mut slot = shared.error.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert_with(|| e.to_string());
        }
    };
    device.build_output_stream::<T, _, _>(*config, data, error, None)
}

/// The platform's audio host (ALSA on Linux). Unlike `cpal::default_host`, which
/// panics, a broken audio system (a corrupt `~/.asoundrc`) is an error to report.
fn host() -> Result<cpal::Host, String> {
    let id = cpal::available_hosts()
        .into_iter()
        .next()
        .ok_or("this system has no audio host")?;
    cpal::host_from_id(id).map_err(|e| e.to_string())
}

fn device_id(device: &cpal::Device) -> String {
    device
        .id()
        .map(|id| id.id().to_owned())
        .or_else(|_| device.description().map(|d| d.name().to_owned()))
        .unwrap_or_else(|_| "(unnamed)".into())
}

fn find_output(host: &cpal::Host, name: &str) -> Result<cpal::Device, AudioError> {
    let outputs: Vec<cpal::Device> = host
        .output_devices()
        .map(|d| d.collect())
        .unwrap_or_default();
    let matches = |d: &cpal::Device| {
        device_id(d) == name
            || d.description()
                .is_ok_and(|desc| desc.name().eq_ignore_ascii_case(name))
    };
    if let Some(i) = outputs.iter().position(matches) {
        return Ok(outputs
            .into_iter()
            .nth(i)
            .expect("the index was just found"));
    }
    Err(AudioError::UnknownDevice {
        name: name.to_owned(),
        available: outputs.iter().map(device_id).collect(),
    })
}

/// How well a sample format keeps the engine's f32 samples (0: not usable).
fn format_rank(f: SampleFormat) -> u8 {
    match f {
        SampleFormat::F32 => 4,
        SampleFormat::I32 => 3,
        SampleFormat::I16 => 2,
        SampleFormat::U16 => 1,
        _ => 0,
    }
}

/// The range at 48 kHz, else 44.1 kHz, else its highest rate.
fn at_preferred_rate(range: cpal::SupportedStreamConfigRange) -> cpal::SupportedStreamConfig {
    let rate = [48_000, 44_100]
        .into_iter()
        .find(|&r| range.contains_rate(r))
        .unwrap_or(range.max_sample_rate());
    range.with_sample_rate(rate)
}

/// Stereo f32 at 48 kHz if the device can (the engine's own format: no conversion at
/// all), else the nearest it offers.
fn choose_config(device: &cpal::Device) -> Result<(cpal::StreamConfig, SampleFormat), cpal::Error> {
    let best = device
        .supported_output_configs()?
        .filter(|c| format_rank(c.sample_format()) > 0)
        .max_by_key(|c| {
            (
                c.channels() == 2,
                c.contains_rate(48_000),
                c.contains_rate(44_100),
                format_rank(c.sample_format()),
            )
        });
    let chosen = match best {
        Some(range) => at_preferred_rate(range),
        None => device.default_output_config()?,
    };
    Ok((chosen.config(), chosen.sample_format()))
}

fn buffer_size(
    device: &cpal::Device,
    name: &str,
    asked: Option<u32>,
) -> Result<cpal::BufferSize, AudioError> {
    let range = device
        .default_output_config()
        .map(|c| *c.buffer_size())
        .unwrap_or(cpal::SupportedBufferSize::Unknown);
    match (asked, range) {
        (Some(n), cpal::SupportedBufferSize::Range { min, max }) if !(min..=max).contains(&n) => {
            Err(AudioError::BufferSize {
                device: name.to_owned(),
                asked: n,
                min,
                max,
            })
        }
        (Some(n), _) => Ok(cpal::BufferSize::Fixed(n)),
        (None, cpal::SupportedBufferSize::Range { min, max })
            if (min..=max).contains(&DEFAULT_BUFFER_FRAMES) =>
        {
            Ok(cpal::BufferSize::Fixed(DEFAULT_BUFFER_FRAMES))
        }
        (None, _) => Ok(cpal::BufferSize::Default),
    }
}

/// One device, as `--list-devices` shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceInfo {
    /// What `--device` takes.
    pub name: String,
    pub description: String,
    pub output: bool,
    pub input: bool,
    pub default_output: bool,
    pub default_input: bool,
}

/// Every device the audio host knows, outputs and inputs, without printing ALSA noise.
pub fn list_devices() -> Result<Vec<DeviceInfo>, AudioError> {
    let alsa_messages = quiet::capture_on_this_thread();
    let explain = |fallback: String| alsa_messages.last_message().unwrap_or(fallback);
    let host = host().map_err(|e| AudioError::NoOutput(explain(e)))?;
    let default = host.default_output_device().map(|d| device_id(&d));
    let default_input = host.default_input_device().map(|d| device_id(&d));
    let devices = host
        .devices()
        .map_err(|e| AudioError::NoOutput(explain(e.to_string())))?;
    Ok(devices
        .map(|d| {
            let name = device_id(&d);
            DeviceInfo {
                description: d
                    .description()
                    .map(|desc| desc.extended().collect::<Vec<_>>().join(" / "))
                    .unwrap_or_default(),
                output: d.supports_output(),
                input: d.supports_input(),
                default_output: default.as_deref() == Some(name.as_str()),
                default_input: default_input.as_deref() == Some(name.as_str()),
                name,
            }
        })
        .collect())
}
