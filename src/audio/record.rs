//! Recording from an input device (a microphone, a line in): the cpal input stream, its
//! level meter, and takes written to WAV.
//!
//! The input callback follows the output's real-time rules: it never allocates, frees,
//! locks, blocks or panics. It converts the device's samples to f32, measures their
//! peak, and pushes the frames of a take into a lock-free SPSC queue (`ringbuf`); a
//! writer thread empties the queue into the WAV file (hound). Frames are counted on the
//! input's own clock, so a take starts and ends on an exact frame whatever the block
//! size, and a take may be any length: the queue only has to cover the writer's stalls.
//! Should it ever be full anyway, the frames that did not fit are counted and reported,
//! never waited for.

use super::{at_preferred_rate, device_id, format_rank, host, quiet};
use crate::dsp::util::finite_or_silence;
use cpal::traits::{DeviceTrait, HostTrait, StreamTrait};
use cpal::{SampleFormat, SizedSample};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Seconds of audio the queue holds: far more than any stall of a disk write.
const QUEUE_SECONDS: usize = 20;
/// A sample at or above this (about -0.01 dBFS) counts as clipped.
pub const CLIP_LEVEL: f32 = 0.999;
/// Leading frames quieter than this are trimmed from a take unless told otherwise.
pub const DEFAULT_TRIM_DB: f32 = -50.0;
/// "Not set" for the start and stop frames.
const NEVER: u64 = u64::MAX;
/// How long the writer waits for the input to reach the stop frame once asked to stop,
/// should the device have gone quiet (unplugged) meanwhile.
const STOP_GRACE: Duration = Duration::from_secs(2);
/// How often the writer looks at an empty queue.
const WRITER_NAP: Duration = Duration::from_millis(5);

#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("no audio input ({0}); recording needs a microphone or line input")]
    NoInput(String),
    #[error("no audio input device named \"{name}\" (inputs: {})", .available.join(", "))]
    UnknownDevice {
        name: String,
        available: Vec<String>,
    },
    #[error("audio input \"{device}\" cannot be opened: {message}")]
    Open { device: String, message: String },
    #[error("a take is already being recorded")]
    Busy,
    #[error("{}: {message}", .path.display())]
    File { path: PathBuf, message: String },
}

/// Written by the input callback (and its error callback); read by anyone.
struct Shared {
    /// The largest |sample| since the meter last read it, as f32 bits (for non-negative
    /// floats the bit patterns order like the values, so `fetch_max` works on them).
    peak_bits: AtomicU32,
    /// Samples at or past `CLIP_LEVEL` since the stream opened.
    clipped: AtomicU64,
    /// Frames the device has delivered since the stream opened. Stored after the frames
    /// of a block are in the queue.
    frames: AtomicU64,
    /// The first frame of the take (`NEVER` when not recording).
    start_at: AtomicU64,
    /// The first frame after the take.
    stop_at: AtomicU64,
    /// Asks the callback to end the take at the next frame it sees.
    stop_now: AtomicBool,
    /// Samples of the take the full queue could not take.
    dropped: AtomicU64,
    /// The take was dropped unfinished: its file is not wanted.
    abandoned: AtomicBool,
    error: Mutex<Option<String>>,
}

impl Shared {
    fn new() -> Shared {
        Shared {
            peak_bits: AtomicU32::new(0),
            clipped: AtomicU64::new(0),
            frames: AtomicU64::new(0),
            start_at: AtomicU64::new(NEVER),
            stop_at: AtomicU64::new(NEVER),
            stop_now: AtomicBool::new(false),
            dropped: AtomicU64::new(0),
            abandoned: AtomicBool::new(false),
            error: Mutex::new(None),
        }
    }

    fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// The input callback's whole work (what `Input`'s stream runs), apart from any device.
pub struct Capture {
    shared: Arc<Shared>,
    queue: HeapProd<f32>,
    /// Channels the device delivers, and how many of them go into a take (the first
    /// one or two).
    device_channels: usize,
    kept_channels: usize,
}

impl Capture {
    /// One block of interleaved samples from the device. Real-time safe.
    pub fn process<T>(&mut self, data: &[T])
    where
        T: SizedSample,
        f32: cpal::FromSample<T>,
    {
        let shared = &*self.shared;
        let first = shared.frames.load(Ordering::Relaxed);
        let frames = (data.len() / self.device_channels) as u64;
        if shared.stop_now.load(Ordering::Acquire) {
            let stop = shared.stop_at.load(Ordering::Acquire);
            if stop > first {
                shared.stop_at.store(first, Ordering::Release);
            }
            shared.stop_now.store(false, Ordering::Release);
        }
        let start = shared.start_at.load(Ordering::Acquire);
        let stop = shared.stop_at.load(Ordering::Acquire);
        let mut peak = 0.0f32;
        let mut clipped = 0u64;
        let mut dropped = 0u64;
        for (i, frame) in data.chunks_exact(self.device_channels).enumerate() {
            let position = first + i as u64;
            let recording = position >= start && position < stop;
            let room = !recording || self.queue.vacant_len() >= self.kept_channels;
            for &sample in &frame[..self.kept_channels] {
                let x: f32 = sample.to_sample();
                let x = finite_or_silence(x);
                let level = x.abs();
                peak = peak.max(level);
                if level >= CLIP_LEVEL {
                    clipped += 1;
                }
                if recording && room {
                    let _ = self.queue.try_push(x);
                }
            }
            if recording && !room {
                dropped += self.kept_channels as u64;
            }
        }
        shared
            .peak_bits
            .fetch_max(peak.to_bits(), Ordering::Relaxed);
        if clipped > 0 {
            shared.clipped.fetch_add(clipped, Ordering::Relaxed);
        }
        if dropped > 0 {
            shared.dropped.fetch_add(dropped, Ordering::Relaxed);
        }
        // Release: the frames pushed above are visible to whoever sees the new count.
        shared.frames.store(first + frames, Ordering::Release);
    }
}

/// A `Capture` recording from its first frame into a queue of `capacity` samples, with
/// the queue's other end: for checking the callback without a device (tests/realtime.rs).
#[doc(hidden)]
pub fn detached_capture(device_channels: usize, capacity: usize) -> (Capture, CaptureProbe) {
    let (producer, consumer) = HeapRb::<f32>::new(capacity).split();
    let shared = Arc::new(Shared::new());
    shared.start_at.store(0, Ordering::Release);
    let capture = Capture {
        shared: Arc::clone(&shared),
        queue: producer,
        device_channels,
        kept_channels: device_channels.min(2),
    };
    (capture, CaptureProbe { shared, consumer })
}

#[doc(hidden)]
pub struct CaptureProbe {
    shared: Arc<Shared>,
    consumer: HeapCons<f32>,
}

impl CaptureProbe {
    /// Samples queued so far.
    pub fn take_samples(&mut self) -> Vec<f32> {
        self.consumer.pop_iter().collect()
    }
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
    /// As `Take::stop`.
    pub fn stop(&self) {
        self.shared.stop_now.store(true, Ordering::Release);
    }
}

/// The input level since the last look.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Level {
    /// Sample peak in dBFS (`-inf` for silence).
    pub peak_dbfs: f32,
    /// Samples at full scale since the stream opened.
    pub clipped: u64,
}

/// An open input stream: metering from the moment it opens, recording on demand.
pub struct Input {
    stream: cpal::Stream,
    shared: Arc<Shared>,
    /// The queue's reading end; lent to the writer thread during a take.
    queue: Option<HeapCons<f32>>,
    device: String,
    sample_rate: u32,
    channels: u16,
    format: SampleFormat,
}

impl Input {
    /// Opens `device` (a name `--list-devices` shows; `None` for the default input) and
    /// prepares its stream; `start` starts it. Prints nothing; ALSA's own complaint is
    /// quoted in the error.
    pub fn open(device: Option<&str>) -> Result<Input, InputError> {
        let alsa_messages = quiet::capture_on_this_thread();
        let explain = |fallback: String| alsa_messages.last_message().unwrap_or(fallback);
        let host = host().map_err(|e| InputError::NoInput(explain(e)))?;
        let chosen = match device {
            None => host
                .default_input_device()
                .ok_or_else(|| InputError::NoInput(explain("no default input device".into())))?,
            Some(name) => find_input(&host, name)?,
        };
        let name = device_id(&chosen);
        let open_error = |e: cpal::Error| {
            let message = explain(e.to_string());
            if device.is_none() {
                InputError::NoInput(message)
            } else {
                InputError::Open {
                    device: name.clone(),
                    message,
                }
            }
        };
        let (config, format) = choose_config(&chosen).map_err(open_error)?;
        let device_channels = usize::from(config.channels).max(1);
        let kept_channels = device_channels.min(2);
        let capacity = QUEUE_SECONDS * config.sample_rate as usize * kept_channels;
        let (producer, consumer) = HeapRb::<f32>::new(capacity).split();
        let shared = Arc::new(Shared::new());
        let capture = Capture {
            shared: Arc::clone(&shared),
            queue: producer,
            device_channels,
            kept_channels,
        };
        let stream = match format {
            SampleFormat::F32 => open_stream::<f32>(&chosen, &config, capture, &shared),
            SampleFormat::I32 => open_stream::<i32>(&chosen, &config, capture, &shared),
            SampleFormat::I16 => open_stream::<i16>(&chosen, &config, capture, &shared),
            SampleFormat::U16 => open_stream::<u16>(&chosen, &config, capture, &shared),
            other => {
                return Err(InputError::Open {
                    device: name,
                    message: format!("its sample format {other} is not supported"),
                });
            }
        }
        .map_err(open_error)?;
        Ok(Input {
            stream,
            shared,
            queue: Some(consumer),
            device: name,
            sample_rate: config.sample_rate,
            channels: kept_channels as u16,
            format,
        })
    }

    /// Starts the stream: the meter moves, frames are counted from here.
    pub fn start(&self) -> Result<(), InputError> {
        self.stream.play().map_err(|e| InputError::Open {
            device: self.device.clone(),
            message: e.to_string(),
        })
    }

    pub fn device(&self) -> &str {
        &self.device
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Channels a take has (the device's first one or two).
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// The device's sample format, as cpal names it (`f32`, `i16`, ...).
    pub fn format(&self) -> SampleFormat {
        self.format
    }

    /// Frames the device has delivered since the stream opened.
    pub fn frames(&self) -> u64 {
        self.shared.frames.load(Ordering::Acquire)
    }

    /// The peak since the last call, and the clip count.
    pub fn level(&self) -> Level {
        let peak = f32::from_bits(self.shared.peak_bits.swap(0, Ordering::Relaxed));
        Level {
            peak_dbfs: crate::dsp::util::gain_to_db(peak),
            clipped: self.shared.clipped.load(Ordering::Relaxed),
        }
    }

    /// Set once the device failed (unplugged, ...).
    pub fn error(&self) -> Option<String> {
        self.shared.error()
    }

    /// Starts a take into `plan.path`: frames `plan.start_frame` (on this input's clock)
    /// up to `plan.length` frames later, or until `Take::stop`. The file appears only
    /// once the take is finished (written beside it under a temporary name until then).
    pub fn record(&mut self, plan: TakePlan) -> Result<Take, InputError> {
        if !plan.overwrite && plan.path.exists() {
            return Err(InputError::File {
                path: plan.path,
                message: "already exists; not overwriting it".into(),
            });
        }
        let queue = self.queue.take().ok_or(InputError::Busy)?;
        let file_error = |e: io::Error| InputError::File {
            path: plan.path.clone(),
            message: format!("cannot be written ({e})"),
        };
        let temporary = temporary_path(&plan.path);
        let writer =
            match WavOut::create(&temporary, self.channels, self.sample_rate).map_err(file_error) {
                Ok(w) => w,
                Err(e) => {
                    let _ = fs::remove_file(&temporary);
                    self.queue = Some(queue);
                    return Err(e);
                }
            };
        let shared = &self.shared;
        shared.dropped.store(0, Ordering::Relaxed);
        shared.abandoned.store(false, Ordering::Release);
        shared.stop_now.store(false, Ordering::Release);
        let stop = plan
            .length
            .map_or(NEVER, |n| plan.start_frame.saturating_add(n));
        // The stop first: the start is what lets the callback begin.
        shared.stop_at.store(stop, Ordering::Release);
        shared.start_at.store(plan.start_frame, Ordering::Release);
        let job = WriterJob {
            shared: Arc::clone(&self.shared),
            queue,
            writer,
            channels: usize::from(self.channels),
            trim_gain: plan.trim_below_db.map(crate::dsp::util::db_to_gain),
            temporary,
            path: plan.path.clone(),
            overwrite: plan.overwrite,
            written: Arc::new(AtomicU64::new(0)),
            stop_asked: Arc::new(Mutex::new(None)),
        };
        let written = Arc::clone(&job.written);
        let stop_asked = Arc::clone(&job.stop_asked);
        let handle = std::thread::Builder::new()
            .name("take writer".into())
            .spawn(move || job.run())
            .map_err(|e| InputError::File {
                path: plan.path.clone(),
                message: format!("cannot start the writer: {e}"),
            })?;
        Ok(Take {
            handle: Some(handle),
            shared: Arc::clone(&self.shared),
            written,
            stop_asked,
            start_frame: plan.start_frame,
            path: plan.path,
            sample_rate: self.sample_rate,
        })
    }

    /// Hands the queue back after a take, so the next take can use it.
    pub fn finish(&mut self, take: Take) -> Result<TakeSummary, InputError> {
        let (queue, result) = take.join();
        if let Some(queue) = queue {
            self.queue = Some(queue);
        }
        result
    }
}

impl Drop for Input {
    fn drop(&mut self) {
        let _ = self.stream.pause();
    }
}

/// What to record.
#[derive(Clone, Debug, PartialEq)]
pub struct TakePlan {
    pub path: PathBuf,
    /// The take's first frame on the input's clock (`Input::frames`); frames before it
    /// that already went by are not recorded, the take starts with the next.
    pub start_frame: u64,
    /// Frames to record; `None` until `Take::stop`.
    pub length: Option<u64>,
    /// Leading frames with every sample below this level (dBFS) are left out; `None`
    /// keeps them.
    pub trim_below_db: Option<f32>,
    pub overwrite: bool,
}

/// What the writer thread ends with: the queue (for the next take) and the take.
type WriterOutcome = (HeapCons<f32>, Result<TakeSummary, InputError>);

/// A take being recorded.
pub struct Take {
    handle: Option<JoinHandle<WriterOutcome>>,
    shared: Arc<Shared>,
    written: Arc<AtomicU64>,
    stop_asked: Arc<Mutex<Option<Instant>>>,
    start_frame: u64,
    path: PathBuf,
    sample_rate: u32,
}

/// A take dropped without `Input::finish` ends at once and leaves no file (its writer
/// thread finishes on its own).
impl Drop for Take {
    fn drop(&mut self) {
        if self.handle.is_some() {
            self.shared.abandoned.store(true, Ordering::Release);
            self.stop();
        }
    }
}

/// A finished take.
#[derive(Clone, Debug, PartialEq)]
pub struct TakeSummary {
    pub path: PathBuf,
    /// Frames in the file.
    pub frames: u64,
    /// Frames recorded but left out as leading silence.
    pub trimmed: u64,
    /// Samples lost because the queue was full (0 unless the disk could not keep up).
    pub dropped: u64,
    /// Peak of the take, dBFS.
    pub peak_dbfs: f32,
    pub sample_rate: u32,
    pub channels: u16,
}

impl Take {
    /// Ends the take with the frame the input delivers next (a take with a length ends
    /// by itself). Returns at once; `Input::finish` waits for the file.
    pub fn stop(&self) {
        self.shared.stop_now.store(true, Ordering::Release);
        let mut asked = self.stop_asked.lock().unwrap_or_else(|e| e.into_inner());
        asked.get_or_insert_with(Instant::now);
    }

    /// Every frame of the take is in the file: finished, or failed.
    pub fn is_done(&self) -> bool {
        self.handle.as_ref().is_none_or(|h| h.is_finished())
    }

    /// Frames into the take so far (0 until its start frame comes).
    pub fn frames_recorded(&self) -> u64 {
        let now = self.shared.frames.load(Ordering::Acquire);
        let stop = self.shared.stop_at.load(Ordering::Acquire);
        now.min(stop).saturating_sub(self.start_frame)
    }

    /// Seconds into the take so far.
    pub fn seconds(&self) -> f64 {
        self.frames_recorded() as f64 / f64::from(self.sample_rate)
    }

    /// Frames written to the file so far (after the trim).
    pub fn frames_written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Frames until the take's first frame (0 once it has begun).
    pub fn frames_until_start(&self) -> u64 {
        self.start_frame
            .saturating_sub(self.shared.frames.load(Ordering::Acquire))
    }

    /// Whether the take has begun (its start frame has come).
    pub fn started(&self) -> bool {
        self.shared.frames.load(Ordering::Acquire) > self.start_frame
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn join(mut self) -> (Option<HeapCons<f32>>, Result<TakeSummary, InputError>) {
        self.stop();
        let path = self.path.clone();
        match self.handle.take().map(JoinHandle::join) {
            Some(Ok((queue, result))) => (Some(queue), result),
            _ => (
                None,
                Err(InputError::File {
                    path,
                    message: "the writer stopped unexpectedly".into(),
                }),
            ),
        }
    }
}

/// A 32-bit float WAV file written as the take comes in. Ours rather than hound's
/// writer, which takes one sample per call: the take's samples go out as whole blocks of
/// bytes, so that the writer outpaces even an input with no clock of its own.
struct WavOut {
    file: io::BufWriter<fs::File>,
    channels: u16,
    sample_rate: u32,
    data_bytes: u64,
    bytes: Vec<u8>,
}

/// RIFF header, `fmt ` chunk (IEEE float) and `data` chunk header.
const HEADER_BYTES: u64 = 44;

impl WavOut {
    fn create(path: &Path, channels: u16, sample_rate: u32) -> io::Result<WavOut> {
        let mut out = WavOut {
            file: io::BufWriter::with_capacity(1 << 16, fs::File::create(path)?),
            channels,
            sample_rate,
            data_bytes: 0,
            bytes: Vec::new(),
        };
        out.write_header()?;
        Ok(out)
    }

    fn write_header(&mut self) -> io::Result<()> {
        use io::Write;
        // Past 4 GiB the sizes cannot be told; they saturate (readers then read to the end).
        let data = u32::try_from(self.data_bytes).unwrap_or(u32::MAX - 36);
        let block_align = 4 * self.channels;
        let mut header = Vec::with_capacity(HEADER_BYTES as usize);
        header.extend_from_slice(b"RIFF");
        header.extend_from_slice(&(36 + data).to_le_bytes());
        header.extend_from_slice(b"WAVEfmt ");
        header.extend_from_slice(&16u32.to_le_bytes());
        header.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
        header.extend_from_slice(&self.channels.to_le_bytes());
        header.extend_from_slice(&self.sample_rate.to_le_bytes());
        header.extend_from_slice(&(self.sample_rate * u32::from(block_align)).to_le_bytes());
        header.extend_from_slice(&block_align.to_le_bytes());
        header.extend_from_slice(&32u16.to_le_bytes());
        header.extend_from_slice(b"data");
        header.extend_from_slice(&data.to_le_bytes());
        self.file.write_all(&header)
    }

    fn write(&mut self, samples: &[f32]) -> io::Result<()> {
        use io::Write;
        self.bytes.clear();
        self.bytes
            .extend(samples.iter().flat_map(|x| x.to_le_bytes()));
        self.data_bytes += self.bytes.len() as u64;
        self.file.write_all(&self.bytes)
    }

    /// Writes the sizes into the header and makes the file durable.
    fn finalize(mut self) -> io::Result<()> {
        use io::{Seek, Write};
        self.file.flush()?;
        self.file.seek(io::SeekFrom::Start(0))?;
        self.write_header()?;
        let file = self.file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    }
}

/// The writer thread's work: the queue into the file.
struct WriterJob {
    shared: Arc<Shared>,
    queue: HeapCons<f32>,
    writer: WavOut,
    channels: usize,
    trim_gain: Option<f32>,
    temporary: PathBuf,
    path: PathBuf,
    overwrite: bool,
    written: Arc<AtomicU64>,
    stop_asked: Arc<Mutex<Option<Instant>>>,
}

impl WriterJob {
    fn run(mut self) -> WriterOutcome {
        let result = self.write();
        // Whatever happened, the callback records no more into this queue.
        self.shared.start_at.store(NEVER, Ordering::Release);
        // Leftovers (a failed take) must not start the next one.
        self.queue.clear();
        let WriterJob {
            queue,
            writer,
            temporary,
            path,
            overwrite,
            ..
        } = self;
        let result = result.and_then(|mut summary| {
            finish_file(writer, &temporary, &path, overwrite).map_err(|e| InputError::File {
                path: path.clone(),
                message: e,
            })?;
            summary.path = path.clone();
            Ok(summary)
        });
        if result.is_err() {
            let _ = fs::remove_file(&temporary);
        }
        (queue, result)
    }

    fn write(&mut self) -> Result<TakeSummary, InputError> {
        let channels = self.channels;
        let mut buffer = vec![0.0f32; 1 << 15];
        // Samples of a frame not complete at the end of a read wait at the buffer's start.
        let mut carried = 0;
        let mut sounding = self.trim_gain.is_none();
        let mut trimmed = 0u64;
        let mut written = 0u64;
        let mut peak = 0.0f32;
        let io_error = |e: io::Error| InputError::File {
            path: self.path.clone(),
            message: e.to_string(),
        };
        loop {
            // Read the frame count before draining: every frame it covers is in the
            // queue by then (the callback stores it after pushing).
            let delivered = self.shared.frames.load(Ordering::Acquire);
            let stop = self.shared.stop_at.load(Ordering::Acquire);
            let mut got = 0;
            loop {
                let n = self.queue.pop_slice(&mut buffer[carried..]);
                if n == 0 {
                    break;
                }
                got += n;
                let available = carried + n;
                let whole = available - available % channels;
                let mut from = 0;
                if !sounding {
                    let threshold = self.trim_gain.unwrap_or(0.0);
                    let quiet = buffer[..whole]
                        .chunks_exact(channels)
                        .take_while(|f| f.iter().all(|s| s.abs() < threshold))
                        .count();
                    trimmed += quiet as u64;
                    from = quiet * channels;
                    sounding = from < whole;
                }
                let frames = &buffer[from..whole];
                peak = frames.iter().fold(peak, |p, s| p.max(s.abs()));
                self.writer.write(frames).map_err(io_error)?;
                written += (frames.len() / channels) as u64;
                buffer.copy_within(whole..available, 0);
                carried = available - whole;
                self.written.store(written, Ordering::Relaxed);
            }
            if delivered >= stop {
                break;
            }
            if got == 0 {
                if self.shared.error().is_some() {
                    break;
                }
                let asked = *self.stop_asked.lock().unwrap_or_else(|e| e.into_inner());
                if asked.is_some_and(|t| t.elapsed() > STOP_GRACE) {
                    break;
                }
                std::thread::sleep(WRITER_NAP);
            }
        }
        if self.shared.abandoned.load(Ordering::Acquire) {
            return Err(InputError::File {
                path: self.path.clone(),
                message: "the take was abandoned".into(),
            });
        }
        if let Some(e) = self.shared.error() {
            return Err(InputError::File {
                path: self.path.clone(),
                message: format!("the input stopped during the take: {e}"),
            });
        }
        Ok(TakeSummary {
            path: self.path.clone(),
            frames: written,
            trimmed,
            dropped: self.shared.dropped.load(Ordering::Relaxed),
            peak_dbfs: crate::dsp::util::gain_to_db(peak),
            sample_rate: self.writer.sample_rate,
            channels: self.writer.channels,
        })
    }
}

/// Finalises the header, syncs, and moves the file into place; never over an existing
/// file unless `overwrite`.
fn finish_file(
    writer: WavOut,
    temporary: &Path,
    path: &Path,
    overwrite: bool,
) -> Result<(), String> {
    writer.finalize().map_err(|e| e.to_string())?;
    if overwrite {
        fs::rename(temporary, path).map_err(|e| e.to_string())?;
    } else {
        // A hard link fails if the name is taken, where a rename would replace it.
        fs::hard_link(temporary, path).map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => "appeared during the take; not overwriting it \
                                             (the take is lost)"
                .to_owned(),
            _ => e.to_string(),
        })?;
        let _ = fs::remove_file(temporary);
    }
    Ok(())
}

fn temporary_path(path: &Path) -> PathBuf {
    let mut name = std::ffi::OsString::from(".");
    name.push(path.file_name().unwrap_or_default());
    name.push(format!(".{}.part", std::process::id()));
    path.with_file_name(name)
}

fn open_stream<T>(
    device: &cpal::Device,
    config: &cpal::StreamConfig,
    mut capture: Capture,
    shared: &Arc<Shared>,
) -> Result<cpal::Stream, cpal::Error>
where
    T: SizedSample,
    f32: cpal::FromSample<T>,
{
    let mut quiet = false;
    let data = move |data: &[T], _: &cpal::InputCallbackInfo| {
        if !quiet {
            quiet::discard_on_this_thread();
            quiet = true;
        }
        capture.process(data);
    };
    let shared = Arc::clone(shared);
    let error = move |e: cpal::Error| match e.kind() {
        // An overrun loses input the device had; the take goes on.
        cpal::ErrorKind::Xrun
        | cpal::ErrorKind::RealtimeDenied
        | cpal::ErrorKind::DeviceChanged => {}
        _ => {
            let mut slot = shared.error.lock().unwrap_or_else(|e| e.into_inner());
            slot.get_or_insert_with(|| e.to_string());
        }
    };
    device.build_input_stream::<T, _, _>(*config, data, error, None)
}

fn find_input(host: &cpal::Host, name: &str) -> Result<cpal::Device, InputError> {
    let inputs: Vec<cpal::Device> = host
        .input_devices()
        .map(|d| d.collect())
        .unwrap_or_default();
    let matches = |d: &cpal::Device| {
        device_id(d) == name
            || d.description()
                .is_ok_and(|desc| desc.name().eq_ignore_ascii_case(name))
    };
    match inputs.iter().position(matches) {
        Some(i) => Ok(inputs.into_iter().nth(i).expect("the index was just found")),
        None => Err(InputError::UnknownDevice {
            name: name.to_owned(),
            available: inputs.iter().map(device_id).collect(),
        }),
    }
}

/// The device's own channel count when it is mono or stereo (a mono microphone gives a
/// mono take), 48 or 44.1 kHz, and the most precise sample format it has.
fn choose_config(device: &cpal::Device) -> Result<(cpal::StreamConfig, SampleFormat), cpal::Error> {
    let natural = device
        .default_input_config()
        .map(|c| c.channels())
        .unwrap_or(2);
    let wanted = if (1..=2).contains(&natural) {
        natural
    } else {
        2
    };
    let best = device
        .supported_input_configs()?
        .filter(|c| format_rank(c.sample_format()) > 0)
        .max_by_key(|c| {
            (
                c.channels() == wanted,
                c.channels() <= 2,
                c.contains_rate(48_000),
                c.contains_rate(44_100),
                format_rank(c.sample_format()),
            )
        });
    let chosen = match best {
        Some(range) => at_preferred_rate(range),
        None => device.default_input_config()?,
    };
    Ok((chosen.config(), chosen.sample_format()))
}

/// `tracksmith record` from the command line.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RecordOptions {
    pub output: PathBuf,
    /// Seconds of audio to record; `None` records until Ctrl+C.
    pub seconds: Option<f64>,
    pub trim_below_db: Option<f32>,
    pub overwrite: bool,
    /// Input device name; `None` for the default.
    pub device: Option<String>,
}

/// How often the command looks at the take.
const COMMAND_POLL: Duration = Duration::from_millis(50);

/// Records until Ctrl+C (or SIGTERM) or for `seconds`, then finalises the WAV either
/// way and prints a summary. On a terminal a status line shows the time and the level.
pub fn record_command(options: &RecordOptions) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{IsTerminal, Write};
    let output = &options.output;
    if !options.overwrite && output.exists() {
        return Err(format!(
            "{}: already exists; not overwriting it (give another name, or --overwrite)",
            output.display()
        )
        .into());
    }
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second Ctrl+C ends the process at once, should stopping ever hang.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&interrupted))?;
        signal_hook::flag::register(signal, Arc::clone(&interrupted))?;
    }
    let mut input = Input::open(options.device.as_deref())?;
    let rate = input.sample_rate();
    let take = input.record(TakePlan {
        path: output.clone(),
        start_frame: 0,
        length: options
            .seconds
            .map(|s| (s * f64::from(rate)).round().max(1.0) as u64),
        trim_below_db: options.trim_below_db,
        overwrite: options.overwrite,
    })?;
    if let Err(e) = input.start() {
        let _ = input.finish(take);
        return Err(e.into());
    }
    let live = io::stderr().is_terminal();
    if live {
        eprintln!(
            "recording from {} ({rate} Hz, {} channel{}) to {}; Ctrl+C stops",
            input.device(),
            input.channels(),
            if input.channels() == 1 { "" } else { "s" },
            output.display()
        );
    }
    let mut stopped_early = false;
    let mut clipped_before = 0;
    while !take.is_done() {
        std::thread::sleep(COMMAND_POLL);
        if interrupted.load(Ordering::Relaxed) && !stopped_early {
            take.stop();
            stopped_early = true;
        }
        if input.error().is_some() {
            take.stop();
        }
        let level = input.level();
        if live {
            let clip = if level.clipped > clipped_before {
                " CLIP"
            } else {
                ""
            };
            clipped_before = level.clipped;
            eprint!(
                "\r{} | peak {:>6.1} dBFS{clip}\x1b[K",
                crate::render::format_time(take.seconds()),
                level.peak_dbfs.max(-99.9)
            );
            let _ = io::stderr().flush();
        }
    }
    if live {
        eprintln!();
    }
    let clipped = input.level().clipped;
    let summary = input.finish(take)?;
    let seconds = |frames: u64| crate::render::format_time(frames as f64 / f64::from(rate));
    println!(
        "{} {}: {} from {} ({rate} Hz, {} channel{}, {} input), {} of leading silence trimmed, peak {:.1} dBFS, {} samples dropped",
        if stopped_early {
            "stopped, wrote"
        } else {
            "recorded"
        },
        summary.path.display(),
        seconds(summary.frames),
        input.device(),
        summary.channels,
        if summary.channels == 1 { "" } else { "s" },
        input.format(),
        seconds(summary.trimmed),
        summary.peak_dbfs.max(-999.0),
        summary.dropped
    );
    if summary.frames == 0 {
        eprintln!(
            "tracksmith: warning: the take was silent (nothing above the trim level); {} holds no audio",
            summary.path.display()
        );
    }
    if summary.dropped > 0 {
        eprintln!(
            "tracksmith: warning: {} samples were lost (the disk could not keep up)",
            summary.dropped
        );
    }
    if clipped > 0 {
        eprintln!("tracksmith: warning: the input clipped ({clipped} samples at full scale)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use cpal::Sample;

    fn capture(channels: usize, capacity: usize) -> (Capture, HeapCons<f32>, Arc<Shared>) {
        let (producer, consumer) = HeapRb::<f32>::new(capacity).split();
        let shared = Arc::new(Shared::new());
        (
            Capture {
                shared: Arc::clone(&shared),
                queue: producer,
                device_channels: channels,
                kept_channels: channels.min(2),
            },
            consumer,
            shared,
        )
    }

    #[test]
    fn a_take_starts_and_stops_on_exact_frames_whatever_the_blocks() {
        let (mut cap, mut queue, shared) = capture(2, 1000);
        shared.stop_at.store(13, Ordering::Release);
        shared.start_at.store(5, Ordering::Release);
        let input: Vec<i16> = (0..40).collect();
        for block in input.chunks(6) {
            cap.process(block);
        }
        let got: Vec<f32> = queue.pop_iter().collect();
        let expected: Vec<f32> = (10..26).map(|v: i16| v.to_sample()).collect();
        assert_eq!(got, expected);
        assert_eq!(shared.frames.load(Ordering::Relaxed), 20);
    }

    #[test]
    fn a_full_queue_drops_whole_frames_and_counts_them() {
        let (mut cap, mut queue, shared) = capture(2, 5);
        shared.start_at.store(0, Ordering::Release);
        cap.process(&[0.1f32, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]);
        let got: Vec<f32> = queue.pop_iter().collect();
        assert_eq!(got, [0.1, 0.2, 0.3, 0.4]);
        assert_eq!(shared.dropped.load(Ordering::Relaxed), 4);
    }

    #[test]
    fn the_meter_sees_peaks_and_clips_and_extra_channels_are_left_out() {
        let (mut cap, mut queue, shared) = capture(3, 100);
        shared.start_at.store(0, Ordering::Release);
        cap.process(&[0.25f32, -0.5, 0.9, 1.0, 0.0, 0.0]);
        assert_eq!(
            f32::from_bits(shared.peak_bits.load(Ordering::Relaxed)),
            1.0
        );
        assert_eq!(shared.clipped.load(Ordering::Relaxed), 1);
        let got: Vec<f32> = queue.pop_iter().collect();
        assert_eq!(got, [0.25, -0.5, 1.0, 0.0], "the third channel is not kept");
    }

    #[test]
    fn stop_now_ends_the_take_at_the_next_block() {
        let (mut cap, mut queue, shared) = capture(1, 100);
        shared.start_at.store(0, Ordering::Release);
        cap.process(&[0.1f32; 4]);
        shared.stop_now.store(true, Ordering::Release);
        cap.process(&[0.2f32; 4]);
        assert_eq!(shared.stop_at.load(Ordering::Relaxed), 4);
        assert_eq!(queue.pop_iter().count(), 4);
    }
}
