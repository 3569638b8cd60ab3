//! The hand-off between the thread that owns the song and the audio callback: three
//! lock-free single-producer single-consumer queues (`ringbuf`) and nothing else shared.
//!
//! - commands, UI → callback: a new engine to play, an edited song, stop;
//! - returns, callback → UI: engines and old songs the callback is done with, so that
//!   they are freed on the UI thread, never on the audio thread;
//! - reports, callback → UI: playhead, peak levels and how long each block took;
//! - meters, callback → UI and back: a few preallocated `MeterFrame`s go round, so the
//!   callback copies every strip's meter into one the UI has handed back, and the UI
//!   reads it and hands it back again (nothing is allocated or freed on either trip).
//!
//! `Callback::process` is the whole of what the audio callback does.

use crate::dsp::meter::MeterReading;
use crate::dsp::smooth::Smoothed;
use crate::engine::mixer::{MixerMeters, StripMeter};
use crate::engine::{Engine, Playhead, Snapshot};
use crate::song::{Cell, MAX_CHANNELS};
use ringbuf::traits::{Consumer, Observer, Producer, Split};
use ringbuf::{HeapCons, HeapProd, HeapRb};
use std::collections::VecDeque;
use std::time::Instant;

/// Commands waiting in the queue at most; more wait on the UI side (see `Control::send`).
const COMMAND_CAPACITY: usize = 16;
/// Returns the callback may make per block: one per command it takes, one for the end
/// of a fade and one for an engine that finished.
const RETURNS_PER_BLOCK: usize = 3;
const RETURN_CAPACITY: usize = COMMAND_CAPACITY + RETURNS_PER_BLOCK;
/// Seconds of reports at small buffers, though the UI reads them every few ms: enough
/// even for devices with no clock (ALSA's `null`), which run as fast as the CPU.
const REPORT_CAPACITY: usize = 4096;
/// A stopped or replaced engine fades out over this long instead of being cut.
const STOP_FADE_SECONDS: f32 = 0.01;
/// Frames of the fading engine rendered at a time (its scratch buffer).
const SCRATCH_FRAMES: usize = 512;
/// Meter frames going round. While the UI holds them all, the callback skips reading the
/// meters and the engine's peaks keep building up until it can.
const METER_FRAMES: usize = 4;
/// The callback reads the meters at most this often (seconds of audio): a screen shows
/// 30 to 60 frames a second, and reading every strip costs a few microseconds.
const METER_INTERVAL_SECONDS: f32 = 0.01;

pub enum Command {
    /// Play this engine from where it stands, replacing (and fading out) any other.
    Play(Box<Engine>),
    /// The song was edited: swap this snapshot into the playing engine.
    Update(Box<Snapshot>),
    /// Fade out and stop.
    Stop,
    /// The engine that plays notes by hand (`Engine::preview`), replacing any other.
    Preview(Box<Engine>),
    /// The song was edited: swap this (`Snapshot::preview`) into the preview engine.
    UpdatePreview(Box<Snapshot>),
    /// Play `cell` on the preview engine's `channel` now.
    Jam { channel: usize, cell: Cell },
    /// Release every note of the preview engine.
    ReleaseJam,
}

enum Returned {
    // Held only to be dropped on the UI thread.
    Engine(#[allow(dead_code)] Box<Engine>),
    Snapshot(#[allow(dead_code)] Box<Snapshot>),
}

/// What one audio block did.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Report {
    /// `Play` commands taken so far, so the UI can tell a report from before its last
    /// `play` from one after it.
    pub plays: u32,
    /// An engine is playing (not stopped and not finished).
    pub playing: bool,
    /// Anything is heard: a playing engine, one fading out, or a note played by hand.
    pub sounding: bool,
    pub playhead: Option<Playhead>,
    /// Sample peak of the block's output, left and right.
    pub peak: [f32; 2],
    /// Time the block took to compute, as a share of the time it lasts (1 = 100 %).
    pub load: f32,
    pub frames: u32,
    /// Frames the stream has played since it opened, this block included.
    pub stream_frames: u64,
    /// Frames the engine has played since `play` (0 when stopped).
    pub song_frames: u64,
}

/// Every meter of the playing engine, read in the callback.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MeterFrame {
    /// `Play` commands taken when it was read: frames from an engine played before the
    /// last `play` are not shown.
    plays: u32,
    /// How many of `mixer.channels` the engine has (the rest are spare places).
    strips: usize,
    /// Channel strips, bus returns and the master bus before the master chain: peaks and
    /// gain reductions the most since the last reading, RMS as of the reading.
    pub mixer: MixerMeters,
    /// Loudness, true peak and stereo correlation of the engine's output.
    pub loudness: MeterReading,
    /// Gain reduction of the master's glue compressor and limiter (dB), the most since
    /// the last reading.
    pub master_reduction_db: [f32; 2],
}

impl MeterFrame {
    /// A frame with a place for the most channels a song can have.
    fn with_room() -> Box<MeterFrame> {
        Box::new(MeterFrame {
            mixer: MixerMeters {
                channels: vec![StripMeter::default(); MAX_CHANNELS],
                ..MixerMeters::default()
            },
            ..MeterFrame::default()
        })
    }

    /// A copy holding only the strips the engine has.
    fn trimmed(&self) -> MeterFrame {
        let mut copy = self.clone();
        copy.mixer.channels.truncate(self.strips);
        copy
    }

    /// Takes a later reading in: peaks and reductions keep the higher, levels the later.
    fn merge(&mut self, later: &MeterFrame) {
        fn merge_strip(into: &mut StripMeter, later: &StripMeter) {
            into.peak_db = [
                into.peak_db[0].max(later.peak_db[0]),
                into.peak_db[1].max(later.peak_db[1]),
            ];
            into.rms_db = later.rms_db;
            into.gain_reduction_db = into.gain_reduction_db.max(later.gain_reduction_db);
        }
        let channels = &mut self.mixer.channels;
        channels.resize(later.strips, StripMeter::default());
        for (into, later) in channels.iter_mut().zip(&later.mixer.channels) {
            merge_strip(into, later);
        }
        merge_strip(&mut self.mixer.reverb, &later.mixer.reverb);
        merge_strip(&mut self.mixer.delay, &later.mixer.delay);
        merge_strip(&mut self.mixer.master, &later.mixer.master);
        self.strips = later.strips;
        self.loudness = later.loudness;
        self.master_reduction_db = [
            self.master_reduction_db[0].max(later.master_reduction_db[0]),
            self.master_reduction_db[1].max(later.master_reduction_db[1]),
        ];
    }
}

/// The audio side: owned by the callback.
pub struct Callback {
    commands: HeapCons<Command>,
    returns: HeapProd<Returned>,
    reports: HeapProd<Report>,
    meters_read: HeapProd<Box<MeterFrame>>,
    meters_free: HeapCons<Box<MeterFrame>>,
    meter_interval: usize,
    frames_since_meters: usize,
    sample_rate: u32,
    engine: Option<Box<Engine>>,
    fading: Option<Box<Engine>>,
    preview: Option<Box<Engine>>,
    fade: Smoothed,
    scratch: Box<[f32]>,
    plays: u32,
    stream_frames: u64,
}

/// The UI side: sends commands, frees what comes back, reads reports.
pub struct Control {
    commands: HeapProd<Command>,
    returns: HeapCons<Returned>,
    reports: HeapCons<Report>,
    meters_read: HeapCons<Box<MeterFrame>>,
    meters_free: HeapProd<Box<MeterFrame>>,
    /// Commands the full queue could not take yet, in order.
    backlog: VecDeque<Command>,
    plays_sent: u32,
}

/// A connected pair for an engine running at `sample_rate`.
pub fn link(sample_rate: u32) -> (Control, Callback) {
    let (command_tx, command_rx) = HeapRb::new(COMMAND_CAPACITY).split();
    let (return_tx, return_rx) = HeapRb::new(RETURN_CAPACITY).split();
    let (report_tx, report_rx) = HeapRb::new(REPORT_CAPACITY).split();
    let (meters_read_tx, meters_read_rx) = HeapRb::new(METER_FRAMES).split();
    let (mut meters_free_tx, meters_free_rx) = HeapRb::new(METER_FRAMES).split();
    for _ in 0..METER_FRAMES {
        let _ = meters_free_tx.try_push(MeterFrame::with_room());
    }
    let control = Control {
        commands: command_tx,
        returns: return_rx,
        reports: report_rx,
        meters_read: meters_read_rx,
        meters_free: meters_free_tx,
        backlog: VecDeque::new(),
        plays_sent: 0,
    };
    let callback = Callback {
        commands: command_rx,
        returns: return_tx,
        reports: report_tx,
        meters_read: meters_read_tx,
        meters_free: meters_free_rx,
        meter_interval: (METER_INTERVAL_SECONDS * sample_rate as f32) as usize,
        frames_since_meters: 0,
        sample_rate,
        engine: None,
        fading: None,
        preview: None,
        fade: Smoothed::new(sample_rate as f32, STOP_FADE_SECONDS, 0.0),
        scratch: vec![0.0; 2 * SCRATCH_FRAMES].into_boxed_slice(),
        plays: 0,
        stream_frames: 0,
    };
    (control, callback)
}

impl Callback {
    /// Fills `out` (interleaved stereo) with the next frames. Never allocates, frees,
    /// locks or blocks: commands are taken only while the return queue has room for
    /// everything they could hand back.
    pub fn process(&mut self, out: &mut [f32]) {
        let started = Instant::now();
        while self.returns.vacant_len() >= RETURNS_PER_BLOCK {
            let Some(command) = self.commands.try_pop() else {
                break;
            };
            self.apply(command);
        }
        match &mut self.engine {
            Some(engine) => engine.process(out),
            None => out.fill(0.0),
        }
        self.publish_meters(out.len() / 2);
        let layered = self.fading.is_some() || self.preview.is_some();
        self.mix_fading(out);
        self.mix_preview(out);
        if layered {
            // Each engine is limited on its own; notes played by hand or a song fading
            // out on top of it could add up past full scale, which the device would wrap
            // or clip harder.
            for x in out.iter_mut() {
                *x = x.clamp(-1.0, 1.0);
            }
        }
        if self.engine.as_ref().is_some_and(|e| e.is_drained()) {
            let engine = self.engine.take();
            self.give_back(engine.map(Returned::Engine));
        }
        let mut peak = [0.0f32; 2];
        for frame in out.chunks_exact(2) {
            peak[0] = peak[0].max(frame[0].abs());
            peak[1] = peak[1].max(frame[1].abs());
        }
        let frames = out.len() / 2;
        self.stream_frames += frames as u64;
        let block_seconds = frames as f32 / self.sample_rate as f32;
        let report = Report {
            plays: self.plays,
            playing: self.engine.is_some(),
            sounding: self.engine.is_some() || self.fading.is_some() || peak != [0.0; 2],
            playhead: self.engine.as_ref().and_then(|e| e.playhead()),
            peak,
            load: started.elapsed().as_secs_f32() / block_seconds.max(f32::MIN_POSITIVE),
            frames: frames as u32,
            stream_frames: self.stream_frames,
            song_frames: self.engine.as_ref().map_or(0, |e| e.frames_played()),
        };
        // A full queue means nobody is reading: the report is not needed.
        let _ = self.reports.try_push(report);
    }

    /// Copies the playing engine's meters into a free frame for the UI, every
    /// `meter_interval` frames and on the engine's last block.
    fn publish_meters(&mut self, frames: usize) {
        let Some(engine) = &mut self.engine else {
            return;
        };
        self.frames_since_meters += frames;
        if self.frames_since_meters < self.meter_interval && !engine.is_drained() {
            return;
        }
        let Some(mut frame) = self.meters_free.try_pop() else {
            return;
        };
        self.frames_since_meters = 0;
        engine.read_meters(&mut frame.mixer);
        frame.plays = self.plays;
        frame.strips = engine.strip_count().min(frame.mixer.channels.len());
        frame.loudness = engine.meter();
        frame.master_reduction_db = engine.take_master_reduction_db();
        if let Err(frame) = self.meters_read.try_push(frame) {
            // Cannot happen: the queue holds every frame there is. Were it to, leaking
            // beats freeing on the audio thread.
            std::mem::forget(frame);
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Play(engine) => {
                self.plays = self.plays.wrapping_add(1);
                let previous = self.engine.replace(engine);
                self.fade_out(previous);
            }
            Command::Update(mut snapshot) => {
                if let Some(engine) = &mut self.engine {
                    engine.swap_snapshot(&mut snapshot);
                }
                self.give_back(Some(Returned::Snapshot(snapshot)));
            }
            Command::Stop => {
                let previous = self.engine.take();
                self.fade_out(previous);
            }
            Command::Preview(engine) => {
                let previous = self.preview.replace(engine);
                self.give_back(previous.map(Returned::Engine));
            }
            Command::UpdatePreview(mut snapshot) => {
                if let Some(preview) = &mut self.preview {
                    preview.swap_snapshot(&mut snapshot);
                }
                self.give_back(Some(Returned::Snapshot(snapshot)));
            }
            Command::Jam { channel, cell } => {
                if let Some(preview) = &mut self.preview {
                    preview.trigger(channel, cell);
                }
            }
            Command::ReleaseJam => {
                if let Some(preview) = &mut self.preview {
                    preview.release_all_notes();
                }
            }
        }
    }

    fn mix_preview(&mut self, out: &mut [f32]) {
        let Some(preview) = &mut self.preview else {
            return;
        };
        for chunk in out.chunks_mut(2 * SCRATCH_FRAMES) {
            let scratch = &mut self.scratch[..chunk.len()];
            preview.process(scratch);
            for (o, s) in chunk.iter_mut().zip(scratch.iter()) {
                *o += s;
            }
        }
    }

    /// Fades `engine` out over the next few milliseconds. One that was already fading
    /// is cut (only two stops within the fade time do that).
    fn fade_out(&mut self, engine: Option<Box<Engine>>) {
        let Some(engine) = engine else { return };
        let cut = self.fading.replace(engine);
        self.give_back(cut.map(Returned::Engine));
        self.fade.snap(1.0);
        self.fade.set_target(0.0);
    }

    fn mix_fading(&mut self, out: &mut [f32]) {
        let Some(fading) = &mut self.fading else {
            return;
        };
        for chunk in out.chunks_mut(2 * SCRATCH_FRAMES) {
            let scratch = &mut self.scratch[..chunk.len()];
            fading.process(scratch);
            for (o, s) in chunk.chunks_exact_mut(2).zip(scratch.chunks_exact(2)) {
                let gain = self.fade.next_value();
                o[0] += s[0] * gain;
                o[1] += s[1] * gain;
            }
        }
        if self.fade.value() == 0.0 {
            let done = self.fading.take();
            self.give_back(done.map(Returned::Engine));
        }
    }

    fn give_back(&mut self, item: Option<Returned>) {
        if let Some(item) = item
            && let Err(item) = self.returns.try_push(item)
        {
            // Cannot happen: commands are taken only with room for their returns. Were it
            // to, leaking beats freeing on the audio thread.
            std::mem::forget(item);
        }
    }
}

/// The latest state the callback reported, with peaks and load the worst since the last
/// read (so a short overload is not missed).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Reading {
    pub playing: bool,
    /// Frames at the end of the period during which nothing sounded.
    pub silent_frames: u64,
    pub playhead: Option<Playhead>,
    pub peak: [f32; 2],
    pub max_load: f32,
    /// Time spent computing over time played, across the blocks reported.
    pub mean_load: f32,
    /// Frames in the blocks reported (reports the queue had no room for are missing).
    pub frames: u64,
    pub stream_frames: u64,
    /// The engine's position in the last report that had an engine playing.
    pub song_frames: u64,
}

impl Control {
    /// Queues `command`. When the queue is full it waits here, and an edit replaces an
    /// edit still waiting (only the newest song matters).
    pub fn send(&mut self, command: Command) {
        if let Command::Play(_) = command {
            self.plays_sent = self.plays_sent.wrapping_add(1);
        }
        if let (Command::Update(_), Some(Command::Update(_))) = (&command, self.backlog.back()) {
            self.backlog.pop_back();
        }
        self.backlog.push_back(command);
        self.flush();
    }

    fn flush(&mut self) {
        while let Some(command) = self.backlog.pop_front() {
            if let Err(command) = self.commands.try_push(command) {
                self.backlog.push_front(command);
                break;
            }
        }
    }

    /// Frees what the callback handed back, sends waiting commands, and sums up the
    /// reports since the last call (`None` if there were none).
    pub fn collect(&mut self) -> Option<Reading> {
        while self.returns.try_pop().is_some() {}
        self.flush();
        let mut reading: Option<Reading> = None;
        let mut busy_frames = 0.0f64;
        while let Some(report) = self.reports.try_pop() {
            busy_frames += f64::from(report.load) * f64::from(report.frames);
            let r = reading.get_or_insert_with(Reading::default);
            // Until the callback has taken the last `play`, it is as good as playing.
            r.playing = report.playing || report.plays != self.plays_sent;
            if report.sounding || r.playing {
                r.silent_frames = 0;
            } else {
                r.silent_frames += u64::from(report.frames);
            }
            r.playhead = report.playhead;
            r.peak[0] = r.peak[0].max(report.peak[0]);
            r.peak[1] = r.peak[1].max(report.peak[1]);
            r.max_load = r.max_load.max(report.load);
            r.frames += u64::from(report.frames);
            r.stream_frames = report.stream_frames;
            if report.song_frames > 0 {
                r.song_frames = report.song_frames;
            }
            r.mean_load = (busy_frames / r.frames.max(1) as f64) as f32;
        }
        reading
    }

    /// The meter readings since the last call, from the engine of the last `play`
    /// (`None` if none came): peaks the highest since then, levels the latest.
    pub fn collect_meters(&mut self) -> Option<MeterFrame> {
        let mut merged: Option<MeterFrame> = None;
        while let Some(frame) = self.meters_read.try_pop() {
            if frame.plays == self.plays_sent {
                match &mut merged {
                    Some(m) => m.merge(&frame),
                    None => merged = Some(frame.trimmed()),
                }
            }
            let _ = self.meters_free.try_push(frame);
        }
        merged
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Start;
    use crate::song::{Instrument, SampleBank, Song, Synth};

    const RATE: u32 = 48_000;

    fn song() -> Song {
        let mut s = Song::new(1);
        s.instruments
            .push(Instrument::synth("lead", Synth::default()));
        for row in (0..128).step_by(2) {
            *s.patterns[0].cell_mut(row, 0) = "C-4 01".parse().unwrap();
        }
        s
    }

    fn engine(s: &Song) -> Box<Engine> {
        Box::new(Engine::live(s, &SampleBank::default(), RATE, Start::TOP))
    }

    #[test]
    fn plays_reports_and_stops_with_a_fade() {
        let s = song();
        let (mut control, mut callback) = link(RATE);
        let mut block = vec![0.0; 2 * 256];
        callback.process(&mut block);
        assert!(block.iter().all(|&x| x == 0.0), "silent before play");
        control.send(Command::Play(engine(&s)));
        assert!(control.collect().unwrap().playing, "play is on its way");
        for _ in 0..20 {
            callback.process(&mut block);
        }
        let reading = control.collect().unwrap();
        assert!(reading.playing);
        assert_eq!(reading.playhead.unwrap().entry, Some(0));
        assert!(reading.peak[0] > 0.01);
        assert_eq!(reading.frames, 20 * 256);
        let last = block[block.len() - 2];
        control.send(Command::Stop);
        callback.process(&mut block);
        assert!((block[0] - last).abs() < 0.05, "no step at the stop");
        for _ in 0..4 {
            callback.process(&mut block);
        }
        assert!(block.iter().all(|&x| x == 0.0), "silent after the fade");
        let reading = control.collect().unwrap();
        assert!(!reading.playing);
        assert_eq!(reading.playhead, None);
    }

    #[test]
    fn meter_frames_carry_the_engines_levels_and_go_round_without_end() {
        let s = song();
        let (mut control, mut callback) = link(RATE);
        let mut block = vec![0.0; 2 * 256];
        callback.process(&mut block);
        assert_eq!(
            control.collect_meters(),
            None,
            "nothing plays, nothing to meter"
        );
        control.send(Command::Play(engine(&s)));
        // The same song offline, read at the end: its highest peak and its loudness.
        let mut offline = engine(&s);
        let mut offline_meters = offline.new_meters();
        let mut peak = -200.0f32;
        let mut received = 0;
        let mut live_peak = -200.0f32;
        let mut last = None;
        // Far more blocks than there are frames: they must come back to be used again.
        for _ in 0..200 {
            callback.process(&mut block);
            offline.process(&mut vec![0.0; 2 * 256]);
            offline.read_meters(&mut offline_meters);
            peak = peak.max(offline_meters.channels[0].peak_db[0]);
            if let Some(frame) = control.collect_meters() {
                received += 1;
                assert_eq!(frame.mixer.channels.len(), 1, "one strip, no spare places");
                live_peak = live_peak.max(frame.mixer.channels[0].peak_db[0]);
                last = Some(frame);
            }
        }
        let frame = last.unwrap();
        // 200 blocks of 256 frames, a reading every 10 ms (480 frames): one every 2 blocks.
        assert!(received >= 90, "{received} readings");
        assert!(peak > -30.0, "the song plays: {peak} dBFS");
        assert_eq!(live_peak, peak, "no peak is lost between readings");
        assert_eq!(frame.loudness, offline.meter());
        assert!(
            frame.loudness.momentary_lufs > -60.0,
            "{:?}",
            frame.loudness
        );

        // Readings of an engine from before the last play are not shown as its.
        control.send(Command::Play(engine(&s)));
        assert!(
            control.collect_meters().is_none(),
            "the new engine has not been read yet"
        );
        callback.process(&mut block);
        callback.process(&mut block);
        let fresh = control.collect_meters().unwrap();
        assert!(
            fresh.loudness.integrated_lufs < frame.loudness.integrated_lufs,
            "a new play measures afresh: {:?}",
            fresh.loudness
        );
    }

    #[test]
    fn merged_readings_keep_the_highest_peak_and_the_latest_level() {
        let reading = |peak: f32, rms: f32, reduction: f32| {
            let strip = StripMeter {
                peak_db: [peak, peak - 1.0],
                rms_db: [rms, rms],
                gain_reduction_db: reduction,
            };
            MeterFrame {
                plays: 1,
                strips: 2,
                mixer: MixerMeters {
                    channels: vec![strip; 4],
                    reverb: strip,
                    delay: strip,
                    master: strip,
                },
                loudness: MeterReading {
                    momentary_lufs: rms,
                    ..MeterReading::default()
                },
                master_reduction_db: [reduction, 0.0],
            }
        };
        let mut merged = reading(-3.0, -20.0, 2.0).trimmed();
        assert_eq!(merged.mixer.channels.len(), 2);
        merged.merge(&reading(-10.0, -12.0, 5.0));
        for strip in merged.mixer.channels.iter().chain([&merged.mixer.master]) {
            assert_eq!(strip.peak_db, [-3.0, -4.0]);
            assert_eq!(strip.rms_db, [-12.0, -12.0]);
            assert_eq!(strip.gain_reduction_db, 5.0);
        }
        assert_eq!(merged.mixer.channels.len(), 2);
        assert_eq!(merged.loudness.momentary_lufs, -12.0);
        assert_eq!(merged.master_reduction_db, [5.0, 0.0]);
    }

    #[test]
    fn a_full_queue_keeps_commands_in_order_and_only_the_newest_edit() {
        let s = song();
        let (mut control, mut callback) = link(RATE);
        control.send(Command::Play(engine(&s)));
        for _ in 0..3 * COMMAND_CAPACITY {
            let snapshot = Snapshot::new(&s, &SampleBank::default(), RATE, Start::TOP);
            control.send(Command::Update(Box::new(snapshot)));
        }
        assert_eq!(control.backlog.len(), 1, "waiting edits collapse into one");
        control.send(Command::Stop);
        let mut block = vec![0.0; 2 * 64];
        for _ in 0..4 * COMMAND_CAPACITY {
            callback.process(&mut block);
            control.collect();
        }
        assert!(control.backlog.is_empty());
        callback.process(&mut block);
        assert!(!control.collect().unwrap().playing, "the stop came last");
    }

    #[test]
    fn notes_played_by_hand_sound_over_silence_and_are_released() {
        let s = song();
        let (mut control, mut callback) = link(RATE);
        let preview = Engine::preview(&s, &SampleBank::default(), RATE, 2);
        control.send(Command::Preview(Box::new(preview)));
        control.send(Command::Jam {
            channel: 0,
            cell: "A-4 01".parse().unwrap(),
        });
        let mut block = vec![0.0; 2 * 256];
        for _ in 0..10 {
            callback.process(&mut block);
        }
        assert!(block.iter().any(|x| x.abs() > 0.01), "the note sounds");
        let reading = control.collect().unwrap();
        assert!(!reading.playing, "a note by hand is not song playback");
        assert_eq!(reading.silent_frames, 0);
        control.send(Command::ReleaseJam);
        for _ in 0..200 {
            callback.process(&mut block);
        }
        assert!(block.iter().all(|&x| x == 0.0), "released, it ends");
        assert!(control.collect().unwrap().silent_frames > 0);
    }
}
