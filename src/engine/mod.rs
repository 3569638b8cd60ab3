//! The engine: sequencer, voices, channel strips and master, asked for "the next N frames".
//!
//! Pure and deterministic: no I/O, no allocation in `process`, and the same samples for
//! any block size, because every event is scheduled on an absolute sample, not a block.

mod channel;
mod live;
pub mod master;
pub mod mixer;
mod modulation;
pub mod sequencer;
mod voice;

pub use live::{Playhead, Snapshot, Start};

use crate::dsp::meter::{LoudnessMeter, MeterReading};
use crate::dsp::util::finite_or_silence;
use crate::song::automation::{InstrumentParam, Target};
use crate::song::{EffectKind, Master, SampleBank, Song};
use channel::{Channel, Context};
use master::MasterChain;
use mixer::{MixerGraph, MixerMeters, Stems};
use modulation::{CONTROL_FRAMES, Modulation};
use sequencer::Sequencer;

/// The final fade at the very end of the tail, so a render never stops on a click.
const END_FADE_SECONDS: f64 = 0.05;
/// Frames rendered per pass over the channels; events split passes at their exact sample.
const MAX_RUN: usize = 128;
/// Frames of the mix gathered, run after run, for one pass through the master chain:
/// movement splits passes over the channels into runs of 64 frames or less, and the
/// master chain's true-peak detector and limiter do better with longer blocks. The
/// chain gives the same samples for any blocks (it is tested to), so only where its
/// settings change must a block end.
const MASTER_BLOCK: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Playing,
    /// Notes released at the song's end; rings until `end`.
    Tail {
        end: u64,
    },
}

pub struct Engine {
    song: Song,
    samples: SampleBank,
    sample_rate: u32,
    sequencer: Sequencer,
    channels: Vec<Channel>,
    mixer: MixerGraph,
    stage: Stage,
    now: u64,
    tick_length: f64,
    tail_frames: u64,
    fade_frames: u64,
    master: MasterChain,
    /// Whether `process` runs the master chain (see `set_master_chain`).
    master_chain: bool,
    meter: LoudnessMeter,
    metering: bool,
    /// The most gain reduction of the master compressor and limiter since it was last
    /// taken, frame by frame (gathered after each pass through the master chain).
    master_reduction_peak: [f32; 2],
    /// The master bus: runs gather here until the master chain takes them.
    mix_left: Vec<f32>,
    mix_right: Vec<f32>,
    /// Frames of `mix_left` and `mix_right` waiting for the master chain.
    mixed: usize,
    /// A moved master setting waits for the frames mixed before it.
    master_moved: bool,
    channel_left: Vec<f32>,
    channel_right: Vec<f32>,
    modulation: Modulation,
    /// A row started at `now`: movement is evaluated there too, not only on the grid.
    row_started: bool,
}

impl Engine {
    /// Builds an engine for a validated song; all memory it will need is allocated here.
    pub fn new(song: &Song, samples: &SampleBank, sample_rate: u32) -> Engine {
        let mut engine = Engine::build(song, samples, sample_rate);
        engine.prime();
        engine
    }

    /// An engine at the top of the song, not yet primed (see `prime`).
    fn build(song: &Song, samples: &SampleBank, sample_rate: u32) -> Engine {
        crate::dsp::osc::prepare();
        let rate = sample_rate as f32;
        let sequencer = Sequencer::new(song, sample_rate);
        let modulation = Modulation::new(song, sequencer.order(), sample_rate);
        Engine {
            song: song.clone(),
            samples: samples.clone(),
            sample_rate,
            sequencer,
            channels: (0..song.channel_count())
                .map(|i| Channel::new(rate, i))
                .collect(),
            mixer: MixerGraph::new(&song.mixer, song.tempo, rate, MAX_RUN),
            stage: Stage::Playing,
            now: 0,
            tick_length: 1.0,
            tail_frames: tail_frames(song, sample_rate),
            fade_frames: (END_FADE_SECONDS * f64::from(sample_rate)) as u64,
            master: MasterChain::new(&song.master, sample_rate),
            master_chain: true,
            meter: LoudnessMeter::new(rate),
            metering: true,
            master_reduction_peak: [0.0; 2],
            mix_left: vec![0.0; MASTER_BLOCK],
            mix_right: vec![0.0; MASTER_BLOCK],
            mixed: 0,
            master_moved: false,
            channel_left: vec![0.0; MAX_RUN],
            channel_right: vec![0.0; MAX_RUN],
            modulation,
            row_started: false,
        }
    }

    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Frames by which the output trails the song (the limiter's look-ahead).
    pub fn latency(&self) -> usize {
        if self.master_chain {
            self.master.latency()
        } else {
            0
        }
    }

    /// Takes the master chain out (or puts it back) for a render of the mix alone, to
    /// be mastered offline, or of stems: `process` then hands out the master bus as it
    /// is mixed, through the master gain alone (as set or automated), with no latency
    /// and any sample that is not finite made silence (as the limiter does). The same
    /// frames as a chain with every other stage bypassed, without its work. Call it
    /// before playing.
    pub fn set_master_chain(&mut self, on: bool) {
        self.master_chain = on;
    }

    /// New master chain settings while playing; every change glides.
    pub fn set_master(&mut self, master: &Master) {
        self.song.master = *master;
        self.master.set_params(master);
    }

    /// The gain into the limiter that brings the song to its loudness target (dB).
    pub fn set_loudness_gain_db(&mut self, gain_db: f32) {
        self.master.set_loudness_gain_db(gain_db);
    }

    /// The meters (the master's loudness, true peak and correlation, and the mixer's
    /// strip meters) are on unless turned off here; offline renders measure their
    /// output themselves.
    pub fn set_metering(&mut self, on: bool) {
        self.metering = on;
        self.mixer.set_metering(on);
    }

    pub fn meter(&self) -> MeterReading {
        self.meter.reading()
    }

    pub fn reset_meter(&mut self) {
        self.meter.reset();
    }

    /// Gain reduction (dB) of the master compressor and limiter, for their meters.
    pub fn master_reduction_db(&self) -> (f32, f32) {
        (
            self.master.compressor_reduction_db(),
            self.master.limiter_reduction_db(),
        )
    }

    /// The most gain reduction (dB) of the master compressor and limiter since the last
    /// call, so that a meter read now and then misses no peak; starts over.
    pub fn take_master_reduction_db(&mut self) -> [f32; 2] {
        std::mem::take(&mut self.master_reduction_peak)
    }

    /// Frames from the start to the end of the tail, the length of a render.
    pub fn length(song: &Song, sample_rate: u32) -> u64 {
        sequencer::song_length(song, sample_rate) + tail_frames(song, sample_rate)
    }

    /// Whether everything, tail included, has been played.
    pub fn is_finished(&self) -> bool {
        matches!(self.stage, Stage::Tail { end } if self.now >= end)
    }

    /// From now on every `process` call of up to `max_frames` frames also leaves each
    /// stem's frames in `stems()`. Allocates: call it before playing.
    pub fn capture_stems(&mut self, max_frames: usize) {
        self.mixer.capture_stems(&self.song.mixer, max_frames);
    }

    /// The stems of the last `process` call (see `capture_stems`).
    pub fn stems(&self) -> Option<&Stems> {
        self.mixer.stems()
    }

    /// A meters struct with a place for every strip (allocates; make it once).
    pub fn new_meters(&self) -> MixerMeters {
        self.mixer.new_meters()
    }

    /// Channel strips the mixer has now (an edit can add some).
    pub fn strip_count(&self) -> usize {
        self.mixer.strip_count()
    }

    /// Fills `meters` with the peaks since the last reading, the RMS levels and the gain
    /// reductions; a strip without a place in `meters.channels` keeps its peak for a
    /// later reading. Does not allocate.
    pub fn read_meters(&mut self, meters: &mut MixerMeters) {
        self.mixer.read_meters(meters);
    }

    /// The sample the next sequencer event falls on.
    fn next_event(&self) -> u64 {
        match self.stage {
            Stage::Playing if self.sequencer.is_finished() => self.sequencer.end_at(),
            Stage::Playing => self.sequencer.next_tick_at(),
            Stage::Tail { .. } => u64::MAX,
        }
    }

    fn fire_event(&mut self) {
        if self.sequencer.is_finished() {
            for c in &mut self.channels {
                c.release_all();
            }
            self.stage = Stage::Tail {
                end: self.now + self.tail_frames,
            };
            return;
        }
        let Some(tick) = self.sequencer.advance(&self.song) else {
            return;
        };
        self.tick_length = tick.tick_length;
        self.mixer.set_tempo(self.sequencer.tempo() as f32);
        let ctx = Context {
            instruments: &self.song.instruments,
            ticks_per_row: self.sequencer.speed(),
            tick_length: self.tick_length,
            accent: tick.accent,
        };
        if tick.tick == 0 {
            self.modulation.start_row(&tick);
            self.row_started = true;
        }
        let pattern = &self.song.patterns[tick.pattern];
        let moving = self.modulation.is_active();
        for (ch, channel) in self.channels.iter_mut().enumerate() {
            let notes = channel.notes_started();
            let cell = pattern.cell(tick.row, ch);
            if tick.tick == 0 {
                channel.start_row(cell, &ctx);
            } else {
                channel.tick(tick.tick, &ctx);
            }
            if channel.notes_started() != notes {
                self.mixer.note_started(ch);
                if moving {
                    self.modulation
                        .note_started(ch, channel.instrument(), self.now);
                }
            }
            if !moving {
                continue;
            }
            if tick.tick == 0
                && let Some(fx) = cell.effect
                && matches!(
                    fx.kind,
                    EffectKind::ParamSelect | EffectKind::ParamSet | EffectKind::ParamGlide
                )
            {
                self.modulation
                    .queue_effect(ch, channel.instrument(), fx.kind, fx.param);
            }
        }
        let rows_per_beat = usize::from(self.song.rows_per_beat.max(1));
        if tick.tick == 0 && tick.row.is_multiple_of(rows_per_beat) {
            self.mixer.beat();
        }
        if moving {
            self.modulation.apply_effects(&mut self.song);
        }
    }

    /// Starts the song where the sequencer stands: plays the first row and sets every
    /// moving parameter to its value there at once, so playback does not begin with a
    /// glide from the song's set values. Allocates; call it before playing.
    fn prime(&mut self) {
        if !self.modulation.is_active() {
            return;
        }
        while self.next_event() <= self.now {
            self.fire_event();
        }
        self.modulate();
        self.modulation.settle(&mut self.song);
        self.mixer.apply(&self.song.mixer, true);
        self.master = MasterChain::new(&self.song.master, self.sample_rate);
        self.master_moved = false;
    }

    /// Evaluates automation and LFOs at `now` and hands the moved values to the strips,
    /// buses and voices that read them; a moved master setting is left to the caller
    /// (`master_moved`), which first passes the frames mixed so far through the chain.
    fn modulate(&mut self) {
        self.row_started = false;
        self.modulation.update(self.now, &mut self.song);
        let (mut gains, mut buses, mut master) = (false, false, false);
        for target in self.modulation.changed() {
            match target {
                Target::Strip { channel, param } => {
                    self.mixer
                        .apply_strip_param(channel, param, &self.song.mixer);
                }
                Target::Instrument {
                    param: InstrumentParam::Gain,
                    ..
                } => gains = true,
                // Voices read the other instrument parameters from the song as they play.
                Target::Instrument { .. } => {}
                Target::Bus(_) => buses = true,
                Target::Master(_) => master = true,
            }
        }
        if gains {
            let ctx = Context {
                instruments: &self.song.instruments,
                ticks_per_row: self.sequencer.speed(),
                tick_length: self.tick_length,
                // Read only where a note starts; playing notes keep the accent they began with.
                accent: 1.0,
            };
            for c in &mut self.channels {
                c.refresh_gain(&ctx);
            }
        }
        if buses {
            self.mixer.apply_buses(&self.song.mixer, false);
        }
        self.master_moved |= master;
    }

    /// Fills `out` (interleaved stereo) with the next frames; silence once finished.
    pub fn process(&mut self, out: &mut [f32]) {
        let frames = out.len() / 2;
        let mut done = 0;
        while done < frames {
            while self.next_event() <= self.now {
                self.fire_event();
            }
            let mut until_control = usize::MAX;
            if self.modulation.is_active() {
                let into_grid = self.now % CONTROL_FRAMES;
                if into_grid == 0 || self.row_started {
                    self.modulate();
                    if std::mem::take(&mut self.master_moved) {
                        self.master_pass(&mut out[..2 * done]);
                        self.master.set_params(&self.song.master);
                    }
                }
                until_control = (CONTROL_FRAMES - into_grid) as usize;
            }
            let until_event = usize::try_from(self.next_event() - self.now).unwrap_or(usize::MAX);
            let run = (frames - done)
                .min(MAX_RUN)
                .min(until_event)
                .min(until_control);
            if self.mixed + run > MASTER_BLOCK {
                self.master_pass(&mut out[..2 * done]);
            }
            self.render_run(run, done);
            done += run;
        }
        self.master_pass(&mut out[..2 * frames]);
    }

    /// Renders `n` frames in which no event falls, channel by channel, onto the master
    /// bus after the frames already there; `offset` is where they start within the
    /// `process` call.
    fn render_run(&mut self, n: usize, offset: usize) {
        let mixed = self.mixed..self.mixed + n;
        let mix_left = &mut self.mix_left[mixed.clone()];
        let mix_right = &mut self.mix_right[mixed];
        mix_left.fill(0.0);
        mix_right.fill(0.0);
        let channel_left = &mut self.channel_left[..n];
        let channel_right = &mut self.channel_right[..n];
        self.mixer.begin_run(n);
        for k in 0..self.channels.len() {
            let i = self.mixer.channel_at(k);
            let Some(c) = self.channels.get_mut(i) else {
                continue;
            };
            c.render(
                &self.song.instruments,
                &self.samples,
                channel_left,
                channel_right,
            );
            self.mixer.strip(
                i,
                c.note_pan(),
                channel_left,
                channel_right,
                (&mut *mix_left, &mut *mix_right),
                offset,
            );
        }
        self.mixer.finish_run(mix_left, mix_right, offset);
        if let Stage::Tail { .. } = self.stage {
            for (i, (l, r)) in mix_left.iter_mut().zip(mix_right.iter_mut()).enumerate() {
                let fade = end_fade(self.stage, self.now + i as u64, self.fade_frames);
                *l *= fade;
                *r *= fade;
            }
        }
        self.mixed += n;
        self.now += n as u64;
    }

    /// Passes the frames mixed so far through the master chain into the end of `out`
    /// (interleaved stereo, as many frames as were mixed).
    fn master_pass(&mut self, out: &mut [f32]) {
        let n = std::mem::take(&mut self.mixed);
        if n == 0 {
            return;
        }
        let (mix_left, mix_right) = (&mut self.mix_left[..n], &mut self.mix_right[..n]);
        if self.master_chain {
            self.master.process_block(mix_left, mix_right);
        } else {
            self.master.gain_block(mix_left, mix_right);
            for x in mix_left.iter_mut().chain(mix_right.iter_mut()) {
                *x = finite_or_silence(*x);
            }
        }
        let start = out.len() - 2 * n;
        let out = &mut out[start..];
        if self.metering {
            for (&l, &r) in mix_left.iter().zip(&*mix_right) {
                self.meter.process(l, r);
            }
        }
        for ((frame, &l), &r) in out.chunks_exact_mut(2).zip(&*mix_left).zip(&*mix_right) {
            frame[0] = l;
            frame[1] = r;
        }
        let taken = self.master.take_peak_reductions_db();
        for (peak, taken) in self.master_reduction_peak.iter_mut().zip(taken) {
            *peak = peak.max(taken);
        }
    }
}

/// 1 until the last `fade_frames` of the tail, then a straight line down to silence.
fn end_fade(stage: Stage, now: u64, fade_frames: u64) -> f32 {
    match stage {
        Stage::Tail { end } if now >= end => 0.0,
        Stage::Tail { end } if end - now < fade_frames => (end - now) as f32 / fade_frames as f32,
        _ => 1.0,
    }
}

fn tail_frames(song: &Song, sample_rate: u32) -> u64 {
    (f64::from(song.render.tail) * f64::from(sample_rate)).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::render_to_vec;
    use crate::song::{
        Envelope, Instrument, OrderEntry, Pattern, SampleData, Sampler, Synth, Waveform,
    };
    use std::sync::Arc;

    const RATE: u32 = 48_000;

    /// A one-channel song with `cells` (row, text) in a 16-row pattern.
    fn song(instrument: Instrument, cells: &[(usize, &str)]) -> Song {
        let mut s = Song::new(1);
        s.tempo = 125.0;
        s.render.tail = 0.5;
        s.instruments.push(instrument);
        let mut p = Pattern::new("P", 16, 1);
        for &(row, text) in cells {
            *p.cell_mut(row, 0) = text.parse().unwrap();
        }
        s.patterns = vec![p];
        s.arrangement = vec![OrderEntry {
            pattern: "P".into(),
            section: "verse".into(),
            repeat: 1,
        }];
        s
    }

    fn sine_synth() -> Instrument {
        let mut synth = Synth::default();
        synth.osc1.wave = Waveform::Sine;
        synth.mix = 0.0;
        synth.amp = Envelope {
            attack: 0.0,
            decay: 0.0,
            sustain: 1.0,
            release: 0.0,
        };
        Instrument::synth("sine", synth)
    }

    /// A sampler playing a constant level, so its first output sample is easy to find.
    fn dc_sampler() -> (Instrument, SampleBank) {
        let data = SampleData {
            sample_rate: RATE,
            channels: vec![vec![0.5; RATE as usize]],
        };
        let bank = SampleBank::from_samples(vec![Some(Arc::new(data))]);
        (Instrument::sampler("dc", Sampler::new("dc.wav")), bank)
    }

    fn left(frames: &[f32]) -> Vec<f32> {
        frames.iter().step_by(2).copied().collect()
    }

    #[test]
    fn a_note_starts_on_the_exact_sample_of_its_row() {
        let (inst, bank) = dc_sampler();
        for (swing, row) in [(0.0, 5), (0.0, 6), (40.0, 5), (40.0, 6), (0.0, 0)] {
            let mut s = song(inst.clone(), &[(row, "C-4 01")]);
            s.swing = swing;
            let out = left(&render_to_vec(&s, &bank, RATE, 256));
            let row_len = f64::from(RATE) * 60.0 / (125.0 * 4.0);
            let delay = if row % 2 == 1 {
                f64::from(swing) / 100.0 * row_len
            } else {
                0.0
            };
            let expected = (row as f64 * row_len + delay).ceil() as usize;
            let first = out.iter().position(|&x| x != 0.0).unwrap();
            assert_eq!(first, expected, "row {row} swing {swing}");
        }
    }

    /// The song rendered in blocks of 512 frames, checked to equal its renders in blocks
    /// of 1, 64 and 4096 frames sample for sample.
    fn render_at_every_block_size(s: &Song, bank: &SampleBank) -> Vec<f32> {
        let reference = render_to_vec(s, bank, RATE, 512);
        for block in [1, 64, 4096] {
            assert!(
                render_to_vec(s, bank, RATE, block) == reference,
                "block size {block}"
            );
        }
        reference
    }

    #[test]
    fn output_is_identical_for_any_block_size() {
        let mut synth = Synth::default();
        synth.filter.cutoff = 800.0;
        synth.filter.env_amount = 3.0;
        synth.glide = 0.05;
        let mut s = song(
            Instrument::synth("lead", synth),
            &[
                (0, "C-4 01 30 037"),
                (2, "E-4 .. .. 304"),
                (4, "G-4 01 .. 464"),
                (7, "OFF"),
                (9, "C-5 01 .. E93"),
                (12, "A-3 01 .. A04"),
                (14, "--- .. .. EC2"),
            ],
        );
        // Movement too: a lane on the cutoff and an LFO on the pan, evaluated on a grid
        // of song samples, not of blocks.
        s.patterns[0].automation = vec![crate::song::Lane {
            target: "inst01.filter.cutoff".parse().unwrap(),
            points: vec!["0 300 exp".parse().unwrap(), "13.5 5000".parse().unwrap()],
        }];
        s.mixer.channels[0].lfos = vec![
            serde_json::from_str(r#"{"target": "pan", "rate": "1/16t", "depth": 0.5}"#).unwrap(),
        ];
        let bank = SampleBank::default();
        let reference = render_at_every_block_size(&s, &bank);
        assert!(reference.iter().any(|&x| x.abs() > 0.01));
    }

    #[test]
    fn sidechains_duckers_and_grooves_give_identical_output_for_any_block_size() {
        let mut s = song(Instrument::synth("saw", Synth::default()), &[]);
        s.mixer.channels = vec![Default::default(); 3];
        let mut p = Pattern::new("P", 16, 3);
        for row in (0..16).step_by(3) {
            *p.cell_mut(row, 2) = "C-3 01 40".parse().unwrap();
        }
        *p.cell_mut(0, 0) = "A-3 01 30".parse().unwrap();
        *p.cell_mut(1, 1) = "E-4 01 30 ED3".parse().unwrap();
        s.patterns = vec![p];
        // Channel 1 keyed by channel 3 (which runs first), channel 2 ducking on 3's notes,
        // the reverb return on the beat.
        let strips = &mut s.mixer.channels;
        strips[0].compressor.bypass = false;
        strips[0].compressor.threshold_db = -40.0;
        strips[0].sidechain.channel = Some(3);
        strips[0].sidechain.high_pass_hz = 200.0;
        strips[0].sends.reverb.level_db = -6.0;
        strips[1].ducker.bypass = false;
        strips[1].ducker.trigger = crate::song::DuckTrigger::Channel(3);
        s.mixer.reverb.bus_return.ducker.bypass = false;
        s.groove = Some(crate::song::Groove::House);
        assert_eq!(s.problems(), Vec::<String>::new());
        let bank = SampleBank::default();
        let reference = render_at_every_block_size(&s, &bank);
        let mut plain = s.clone();
        plain.mixer.channels[0].sidechain.channel = None;
        plain.mixer.channels[1].ducker.bypass = true;
        assert!(render_to_vec(&plain, &bank, RATE, 512) != reference);
    }

    #[test]
    fn loud_songs_stay_under_the_ceiling_and_finite() {
        let mut s = song(Instrument::synth("saw", Synth::default()), &[]);
        s.mixer.channels = vec![Default::default(); 8];
        s.master.gain_db = 24.0;
        s.master.ceiling_db = -1.0;
        let mut p = Pattern::new("P", 16, 8);
        for ch in 0..8 {
            *p.cell_mut(0, ch) = format!("C-{} 01 40", ch % 4 + 2).parse().unwrap();
        }
        s.patterns = vec![p];
        let out = render_to_vec(&s, &SampleBank::default(), RATE, 512);
        let ceiling = crate::dsp::util::db_to_gain(-1.0);
        assert!(out.iter().all(|x| x.is_finite() && x.abs() <= ceiling));
        // The limiter's meter: the most reduction since the last reading, then none.
        let mut engine = Engine::new(&s, &SampleBank::default(), RATE);
        let mut block = vec![0.0; 2 * 4_800];
        engine.process(&mut block);
        let [_, limiting] = engine.take_master_reduction_db();
        assert!(
            limiting > 6.0,
            "24 dB into the limiter: {limiting} dB taken off"
        );
        while !engine.is_finished() {
            engine.process(&mut block);
        }
        // A second of silence for the release, then the next reading shows none left.
        for _ in 0..10 {
            engine.process(&mut block);
        }
        engine.take_master_reduction_db();
        engine.process(&mut block);
        let [compressing, limiting] = engine.take_master_reduction_db();
        assert!(
            compressing == 0.0 && limiting < 0.01,
            "silence: {compressing} and {limiting} dB"
        );
        assert!(
            out.iter().any(|x| x.abs() > 0.8 * ceiling),
            "the limiter should be working"
        );
    }

    /// The largest step between neighbouring samples, relative to what a clean sine of
    /// that frequency and level can do. A hard cut or start of this sine scores up to 35;
    /// a fade of a few milliseconds stays under 3.
    fn worst_step(out: &[f32], freq: f32, level: f32) -> f32 {
        let slope = std::f32::consts::TAU * freq / RATE as f32 * level;
        out.windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max)
            / slope
    }

    #[test]
    fn notes_start_stop_cut_and_steal_without_clicks() {
        // Starts, a note-off with no release, a cut, a retrigger on a sustaining note,
        // and a note right after one that is still ringing.
        let s = song(
            sine_synth(),
            &[
                (0, "A-3 01 40"),
                (2, "OFF"),
                (3, "A-3 01 40"),
                (4, "--- .. .. EC1"),
                (6, "A-3 01 40"),
                (7, "A-3 01 40"),
                (8, "A-3 01 40 E92"),
                (10, "OFF"),
            ],
        );
        let out = left(&render_to_vec(&s, &SampleBank::default(), RATE, 512));
        let level = out.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(level > 0.1);
        let step = worst_step(&out, 220.0, level);
        assert!(
            step < 3.0,
            "a click {step:.2} times a clean sine's steepest slope"
        );
    }

    #[test]
    fn renders_are_the_same_every_time() {
        let mut synth = Synth::default();
        synth.osc2.wave = Waveform::Noise;
        let s = song(
            Instrument::synth("noisy", synth),
            &[(0, "C-4 01"), (8, "C-5 01")],
        );
        let a = render_to_vec(&s, &SampleBank::default(), RATE, 333);
        let b = render_to_vec(&s, &SampleBank::default(), RATE, 333);
        assert!(a == b);
    }

    #[test]
    fn the_render_is_as_long_as_the_song_and_its_tail() {
        let s = song(sine_synth(), &[(0, "C-4 01")]);
        let out = render_to_vec(&s, &SampleBank::default(), RATE, 1000);
        let rows = 16.0 * f64::from(RATE) * 60.0 / (125.0 * 4.0);
        assert_eq!(out.len() as u64 / 2, rows.ceil() as u64 + RATE as u64 / 2);
        assert_eq!(*out.last().unwrap(), 0.0, "the tail fades to silence");
    }
}
