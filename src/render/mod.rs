//! Offline rendering: song → WAV through the same `Engine::process` that plays live.

pub mod album;
pub mod kit;
pub mod loudness;
pub mod mastering;
pub mod midi;

use crate::dsp::dither::TpdfDither;
use crate::engine::mixer::Stems;
use crate::engine::{Engine, sequencer};
use crate::song::{self, BitDepth, Master, Preset, SAMPLE_RATES, SampleBank, Song, SongError};
use loudness::{Fades, LoudnessReport, Meter};
use serde::Serialize;
use std::io::{self, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// Overrides the song's render setting.
    pub sample_rate: Option<u32>,
    pub bit_depth: Option<BitDepth>,
    /// Frames per `Engine::process` call; the output does not depend on it.
    pub block_size: usize,
    pub loudness: LoudnessOptions,
    /// Also write one WAV per channel and per bus into this folder.
    pub stems: Option<PathBuf>,
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            sample_rate: None,
            bit_depth: None,
            block_size: 512,
            loudness: LoudnessOptions::default(),
            stems: None,
        }
    }
}

/// Loudness settings given on the command line, over the song's own.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LoudnessOptions {
    /// Sets both target and ceiling (a preset is a complete delivery spec).
    pub preset: Option<Preset>,
    pub target_lufs: Option<f32>,
    pub ceiling_dbtp: Option<f32>,
}

impl LoudnessOptions {
    /// `master` with these overrides applied, checked like a song's values.
    pub fn apply(&self, master: &Master) -> Result<Master, RenderError> {
        let mut m = *master;
        if let Some(p) = self.preset {
            p.apply(&mut m);
        }
        if let Some(t) = self.target_lufs {
            m.target_lufs = Some(t);
        }
        if let Some(c) = self.ceiling_dbtp {
            m.ceiling_db = c;
        }
        let problems = song::master_problems(&m, "master.");
        if problems.is_empty() {
            Ok(m)
        } else {
            Err(RenderError::Settings(
                problems
                    .join("; ")
                    .replace("master.target_lufs", "--target-lufs")
                    .replace("master.ceiling_db", "--ceiling"),
            ))
        }
    }
}

/// What a render wrote and how loud it is; printed by the CLI, written by `--report`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RenderReport {
    pub output: PathBuf,
    pub frames: u64,
    pub sample_rate: u32,
    pub bit_depth: &'static str,
    pub duration_seconds: f64,
    /// Integrated loudness (LUFS).
    #[serde(rename = "integrated_lufs")]
    pub loudness_lufs: f64,
    pub loudness_range_lu: f64,
    pub short_term_max_lufs: f64,
    pub true_peak_dbtp: f64,
    /// Sample peak (dBFS).
    #[serde(rename = "sample_peak_dbfs")]
    pub peak_dbfs: f64,
    pub target_lufs: Option<f32>,
    pub ceiling_dbtp: f32,
    /// The gain into the limiter that reached the target (dB).
    pub loudness_gain_db: f32,
    pub elapsed_seconds: f64,
    pub realtime_factor: f64,
    /// The stem files written, channels first, then the buses.
    pub stems: Vec<PathBuf>,
}

impl RenderReport {
    /// A report of `written` to `output`; the caller fills in the rest.
    pub fn of(output: &Path, sample_rate: u32, bit_depth: BitDepth, written: &Written) -> Self {
        let l = &written.loudness;
        RenderReport {
            output: output.to_owned(),
            frames: written.frames,
            sample_rate,
            bit_depth: bit_depth.label(),
            duration_seconds: l.duration_seconds,
            loudness_lufs: l.integrated_lufs,
            loudness_range_lu: l.loudness_range_lu,
            short_term_max_lufs: l.short_term_max_lufs,
            true_peak_dbtp: l.true_peak_dbtp,
            peak_dbfs: l.sample_peak_dbfs,
            target_lufs: None,
            ceiling_dbtp: 0.0,
            loudness_gain_db: 0.0,
            elapsed_seconds: 0.0,
            realtime_factor: 0.0,
            stems: Vec::new(),
        }
    }

    /// The lines the CLI prints.
    pub fn summary(&self) -> String {
        let l = self;
        let target = match self.target_lufs {
            Some(t) => format!(
                "target {t:.1} LUFS, {:+.2} dB into the limiter",
                self.loudness_gain_db
            ),
            None => "no loudness target".to_owned(),
        };
        format!(
            "wrote {}: {} ({} frames at {} Hz, {})\n\
             loudness {:.1} LUFS integrated, range {:.1} LU, short-term max {:.1} LUFS\n\
             true peak {:.2} dBTP (ceiling {:.1}), sample peak {:.2} dBFS; {target}\n\
             rendered in {:.2} s ({:.0}x realtime)",
            self.output.display(),
            format_time(l.duration_seconds),
            self.frames,
            self.sample_rate,
            self.bit_depth,
            l.loudness_lufs,
            l.loudness_range_lu,
            l.short_term_max_lufs,
            l.true_peak_dbtp,
            self.ceiling_dbtp,
            l.peak_dbfs,
            self.elapsed_seconds,
            self.realtime_factor
        )
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error(transparent)]
    Song(#[from] SongError),
    #[error("{0}")]
    Settings(String),
    #[error("{}: cannot write: {source}", path.display())]
    Write { path: PathBuf, source: io::Error },
}

/// Renders `song` and hands each block of finished frames (interleaved stereo, the
/// limiter's look-ahead already removed) to `sink`, with the frames done and the total.
pub fn render_blocks(
    song: &Song,
    samples: &SampleBank,
    sample_rate: u32,
    block_size: usize,
    sink: impl FnMut(&[f32], u64, u64) -> io::Result<()>,
) -> io::Result<()> {
    let engine = Engine::new(song, samples, sample_rate);
    render_engine_blocks(engine, Engine::length(song, sample_rate), block_size, sink)
}

/// `render_blocks` with an engine made for it, `total` frames long.
fn render_engine_blocks(
    mut engine: Engine,
    total: u64,
    block_size: usize,
    mut sink: impl FnMut(&[f32], u64, u64) -> io::Result<()>,
) -> io::Result<()> {
    // Exports measure what they write; the live meter would only cost time here.
    engine.set_metering(false);
    let mut skip = engine.latency() as u64;
    let mut buffer = vec![0.0f32; block_size.max(1) * 2];
    let mut done = 0u64;
    while done < total {
        let frames = if skip > 0 {
            skip.min(block_size as u64) as usize
        } else {
            (total - done).min(block_size as u64) as usize
        };
        let block = &mut buffer[..frames * 2];
        engine.process(block);
        if skip > 0 {
            skip -= frames as u64;
            continue;
        }
        done += frames as u64;
        sink(block, done, total)?;
    }
    Ok(())
}

/// The whole render in memory, for analysis and tests.
pub fn render_to_vec(
    song: &Song,
    samples: &SampleBank,
    sample_rate: u32,
    block_size: usize,
) -> Vec<f32> {
    let mut out = Vec::new();
    render_blocks(song, samples, sample_rate, block_size, |block, _, _| {
        out.extend_from_slice(block);
        Ok(())
    })
    .expect("rendering to memory cannot fail");
    out
}

fn check_sample_rate(rate: u32) -> Result<u32, RenderError> {
    if SAMPLE_RATES.contains(&rate) {
        Ok(rate)
    } else {
        Err(RenderError::Settings(format!(
            "sample rate {rate} is not allowed (allowed {SAMPLE_RATES:?})"
        )))
    }
}

/// The song's mix before the master chain (the limiter's look-ahead already removed).
pub fn render_mix(
    song: &Song,
    samples: &SampleBank,
    sample_rate: u32,
    block_size: usize,
    progress: &mut dyn FnMut(u64, u64),
) -> Vec<f32> {
    let mut unmastered = song.clone();
    unmastered.master = Master::transparent();
    let total = Engine::length(song, sample_rate);
    let mut out = Vec::with_capacity(2 * total as usize);
    let mut engine = Engine::new(&unmastered, samples, sample_rate);
    // The master is applied offline; the engine's, every stage bypassed, would only
    // delay the mix.
    engine.set_master_chain(false);
    render_engine_blocks(engine, total, block_size, |block, done, total| {
        out.extend_from_slice(block);
        progress(done, total);
        Ok(())
    })
    .expect("rendering to memory cannot fail");
    out
}

/// The WAV format of an export: stereo at the given rate and depth.
fn wav_spec(sample_rate: u32, bit_depth: BitDepth) -> hound::WavSpec {
    hound::WavSpec {
        channels: 2,
        sample_rate,
        bits_per_sample: match bit_depth {
            BitDepth::Int16 => 16,
            BitDepth::Int24 => 24,
            BitDepth::Float32 => 32,
        },
        sample_format: match bit_depth {
            BitDepth::Float32 => hound::SampleFormat::Float,
            _ => hound::SampleFormat::Int,
        },
    }
}

/// A finished master written to disk.
pub struct Written {
    pub frames: u64,
    pub loudness: LoudnessReport,
}

/// Writes interleaved stereo as a WAV (16/24-bit TPDF-dithered, or 32-bit float) under
/// a temporary name, renamed when complete, and measures what was written.
pub fn write_wav(
    output: &Path,
    audio: &[f32],
    sample_rate: u32,
    bit_depth: BitDepth,
) -> Result<Written, RenderError> {
    let spec = wav_spec(sample_rate, bit_depth);
    let mut meter = Meter::new(sample_rate);
    let mut dither = TpdfDither::new(u32::from(spec.bits_per_sample), 0x7261_636b);
    let scale = ((1i64 << (spec.bits_per_sample - 1)) - 1) as f32;
    let mut written = vec![0.0f32; 2 * 4096];
    song::write_atomically(output, |file| {
        let mut wav = hound::WavWriter::new(io::BufWriter::new(file), spec).map_err(to_io)?;
        for block in audio.chunks(2 * 4096) {
            let written = &mut written[..block.len()];
            for (&s, w) in block.iter().zip(written.iter_mut()) {
                if bit_depth == BitDepth::Float32 {
                    wav.write_sample(s).map_err(to_io)?;
                    *w = s;
                } else {
                    let q = dither.quantize(s);
                    wav.write_sample(q).map_err(to_io)?;
                    *w = q as f32 / scale;
                }
            }
            meter.add(written);
        }
        wav.finalize().map_err(to_io)
    })
    .map_err(|source| RenderError::Write {
        path: output.to_owned(),
        source,
    })?;
    Ok(Written {
        frames: (audio.len() / 2) as u64,
        loudness: meter.report(),
    })
}

/// Renders to a WAV file through the master chain, at the loudness target if there is
/// one: the mix is rendered once, and the limiter pass repeated until it lands.
pub fn render_to_wav(
    song: &Song,
    samples: &SampleBank,
    output: &Path,
    options: &RenderOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<RenderReport, RenderError> {
    let sample_rate = check_sample_rate(options.sample_rate.unwrap_or(song.render.sample_rate))?;
    let bit_depth = options.bit_depth.unwrap_or(song.render.bit_depth);
    let master = options.loudness.apply(&song.master)?;
    if let Some(dir) = &options.stems {
        // Before the mix, so a folder that cannot be made costs no render and leaves no mix.
        std::fs::create_dir_all(dir).map_err(|source| RenderError::Write {
            path: dir.to_owned(),
            source,
        })?;
    }
    let started = Instant::now();
    let mut audio = render_mix(song, samples, sample_rate, options.block_size, progress);
    loudness::pre_limiter(&mut audio, &master, sample_rate);
    let mastered = loudness::reach_target(
        &audio,
        &master,
        sample_rate,
        master.target_lufs,
        Fades::default(),
    );
    drop(audio);
    let written = write_wav(output, &mastered.audio, sample_rate, bit_depth)?;
    let stems = match &options.stems {
        Some(dir) => write_stems(
            song,
            samples,
            dir,
            wav_spec(sample_rate, bit_depth),
            options.block_size,
        )?,
        None => Vec::new(),
    };
    let elapsed = started.elapsed().as_secs_f64();
    Ok(RenderReport {
        target_lufs: master.target_lufs,
        ceiling_dbtp: master.ceiling_db,
        loudness_gain_db: mastered.loudness_gain_db,
        elapsed_seconds: elapsed,
        realtime_factor: written.loudness.duration_seconds / elapsed.max(1e-9),
        stems,
        ..RenderReport::of(output, sample_rate, bit_depth, &written)
    })
}

/// Writes a report as pretty JSON (atomically).
pub fn write_report(path: &Path, report: &impl Serialize) -> Result<(), RenderError> {
    let mut text = serde_json::to_string_pretty(report).expect("reports always serialise");
    text.push('\n');
    song::write_atomically(path, |file| file.write_all(text.as_bytes())).map_err(|source| {
        RenderError::Write {
            path: path.to_owned(),
            source,
        }
    })
}

/// Renders the song once more with every stem captured, and hands `sink` each block:
/// the engine's stems and how many frames of them are new.
pub fn render_stem_blocks(
    song: &Song,
    samples: &SampleBank,
    sample_rate: u32,
    block_size: usize,
    mut sink: impl FnMut(&Stems, usize) -> io::Result<()>,
) -> io::Result<()> {
    let block_size = block_size.max(1);
    let total = Engine::length(song, sample_rate);
    let mut engine = Engine::new(song, samples, sample_rate);
    // Stems are taken before the master chain.
    engine.set_master_chain(false);
    engine.capture_stems(block_size);
    let mut buffer = vec![0.0f32; block_size * 2];
    let mut done = 0u64;
    while done < total {
        let frames = (total - done).min(block_size as u64) as usize;
        engine.process(&mut buffer[..frames * 2]);
        if let Some(stems) = engine.stems() {
            sink(stems, frames)?;
        }
        done += frames as u64;
    }
    Ok(())
}

/// `01-Kick.wav` for channel strips, `bus-reverb.wav` and `bus-delay.wav` for the buses.
pub fn stem_file_names(song: &Song) -> Vec<String> {
    let mut names: Vec<String> = song
        .mixer
        .channels
        .iter()
        .enumerate()
        .map(|(i, strip)| {
            let clean: String = strip
                .name
                .trim()
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '-'
                    }
                })
                .collect();
            let clean = if clean.is_empty() {
                "channel".to_owned()
            } else {
                clean
            };
            format!("{:02}-{clean}.wav", i + 1)
        })
        .collect();
    names.push("bus-reverb.wav".into());
    names.push("bus-delay.wav".into());
    names
}

/// Writes every stem under a temporary name and renames them all into place once all
/// are complete; on failure none is left behind.
fn write_stems(
    song: &Song,
    samples: &SampleBank,
    dir: &Path,
    spec: hound::WavSpec,
    block_size: usize,
) -> Result<Vec<PathBuf>, RenderError> {
    let fail = |path: &Path| {
        let path = path.to_owned();
        move |source| RenderError::Write { path, source }
    };
    std::fs::create_dir_all(dir).map_err(fail(dir))?;
    let paths: Vec<PathBuf> = stem_file_names(song).iter().map(|n| dir.join(n)).collect();
    let temporary: Vec<PathBuf> = stem_file_names(song)
        .iter()
        .map(|n| dir.join(format!(".{n}.{}.tmp", std::process::id())))
        .collect();
    let result = (|| -> io::Result<()> {
        let mut writers = temporary
            .iter()
            .map(|t| hound::WavWriter::create(t, spec).map_err(to_io))
            .collect::<io::Result<Vec<_>>>()?;
        let mut dithers: Vec<TpdfDither> = (0..writers.len())
            .map(|i| TpdfDither::new(u32::from(spec.bits_per_sample), 0x7374_656d + i as u64))
            .collect();
        let float = spec.sample_format == hound::SampleFormat::Float;
        render_stem_blocks(
            song,
            samples,
            spec.sample_rate,
            block_size,
            |stems, frames| {
                let buffers = stems.channels.iter().chain(stems.buses.iter());
                for ((buffer, wav), dither) in buffers.zip(&mut writers).zip(&mut dithers) {
                    for &x in &buffer[..2 * frames] {
                        if float {
                            wav.write_sample(x).map_err(to_io)?;
                        } else {
                            wav.write_sample(dither.quantize(x)).map_err(to_io)?;
                        }
                    }
                }
                Ok(())
            },
        )?;
        for wav in writers {
            wav.finalize().map_err(to_io)?;
        }
        for (t, p) in temporary.iter().zip(&paths) {
            std::fs::File::open(t)?.sync_all()?;
            std::fs::rename(t, p)?;
        }
        Ok(())
    })();
    if let Err(source) = result {
        for t in &temporary {
            let _ = std::fs::remove_file(t);
        }
        return Err(RenderError::Write {
            path: dir.to_owned(),
            source,
        });
    }
    Ok(paths)
}

fn to_io(e: hound::Error) -> io::Error {
    match e {
        hound::Error::IoError(e) => e,
        other => io::Error::other(other.to_string()),
    }
}

/// `m:ss.mmm`
pub fn format_time(seconds: f64) -> String {
    let millis = (seconds * 1000.0).round() as u64;
    format!(
        "{}:{:02}.{:03}",
        millis / 60_000,
        millis / 1000 % 60,
        millis % 1000
    )
}

fn load_with_samples(path: &Path) -> Result<(Song, SampleBank), SongError> {
    let song = song::load(path)?;
    let samples = SampleBank::load(&song, path)?;
    Ok((song, samples))
}

/// A progress bar on a terminal, nothing otherwise.
pub fn progress_bar() -> indicatif::ProgressBar {
    if io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {percent:>3}% {elapsed} / {eta} left",
            )
            .expect("the template is valid"),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}

/// `tracksmith render`: renders with a progress bar on a terminal, then prints the report.
pub fn render_command(
    song_path: &Path,
    output: &Path,
    options: &RenderOptions,
    report_path: Option<&Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (song, samples) = load_with_samples(song_path)?;
    let bar = progress_bar();
    let report = render_to_wav(&song, &samples, output, options, &mut |done, total| {
        bar.set_length(total);
        bar.set_position(done);
    })?;
    bar.finish_and_clear();
    println!("{}", report.summary());
    if let Some(path) = report_path {
        write_report(path, &report)?;
    }
    if let Some(dir) = &options.stems {
        println!(
            "wrote {} stems to {} (each channel with its share of the reverb and delay; the bus stems are those returns alone)",
            report.stems.len(),
            dir.display()
        );
    }
    Ok(())
}

/// `tracksmith info`: the song's settings, arrangement and duration.
pub fn info_command(song_path: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let song = song::load(song_path)?;
    let rate = song.render.sample_rate;
    let seconds = |frames: u64| frames as f64 / f64::from(rate);
    println!("title:     {}", song.title);
    println!("artist:    {}", song.artist);
    println!(
        "tempo:     {} BPM, {}/4, {} rows per beat, speed {}, swing {}%",
        song.tempo, song.beats_per_bar, song.rows_per_beat, song.speed, song.swing
    );
    println!("key:       {}", song.key);
    println!("channels:  {}", song.channel_count());
    println!("instruments: {}", song.instruments.len());
    println!("patterns:  {}", song.patterns.len());
    for (i, p) in song.patterns.iter().enumerate() {
        println!("  {:>3}  {:<24} {} rows", i, p.name, p.length());
    }
    println!("arrangement:");
    let starts = sequencer::entry_start_times(&song, rate);
    for (i, (entry, start)) in song.arrangement.iter().zip(starts).enumerate() {
        let at = start.map_or("(skipped)".to_owned(), |s| format_time(seconds(s)));
        println!(
            "  {:>3}  {:<10} {:<10} {:<24} x{}",
            i, at, entry.section, entry.pattern, entry.repeat
        );
    }
    let song_frames = sequencer::song_length(&song, rate);
    let total = Engine::length(&song, rate);
    println!(
        "duration:  {} ({} frames at {} Hz, including a {} s tail)",
        format_time(seconds(total)),
        total,
        rate,
        song.render.tail
    );
    println!("song ends: {}", format_time(seconds(song_frames)));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{Instrument, OrderEntry, Pattern, Synth, Waveform};

    /// Three channels through every stage: EQ, compressor, both sends (one pre-fader),
    /// different pans, a return with its own EQ and balance.
    pub(crate) fn mixed_song() -> Song {
        let mut s = Song::new(3);
        s.tempo = 140.0;
        s.render.tail = 1.5;
        let mut synth = Synth::default();
        synth.osc2.wave = Waveform::Pulse;
        synth.amp.release = 0.2;
        s.instruments.push(Instrument::synth("saw", synth));
        let mut p = Pattern::new("P", 32, 3);
        for row in (0..32).step_by(4) {
            *p.cell_mut(row, 0) = "C-3 01 40".parse().unwrap();
            *p.cell_mut(row + 2, 1) = "G-4 01 30".parse().unwrap();
            *p.cell_mut(row + 1, 2) = "D#5 01 28".parse().unwrap();
        }
        s.patterns = vec![p];
        s.arrangement = vec![OrderEntry {
            pattern: "P".into(),
            section: "verse".into(),
            repeat: 1,
        }];
        let ch = &mut s.mixer.channels;
        ch[0].eq.low.gain_db = 4.0;
        ch[0].compressor.bypass = false;
        ch[0].compressor.threshold_db = -24.0;
        ch[0].sends.reverb.level_db = -6.0;
        ch[1].pan = -0.6;
        ch[1].high_pass.slope = crate::song::HighPassSlope::Db24;
        ch[1].sends.delay.level_db = -3.0;
        ch[1].sends.reverb.level_db = -10.0;
        ch[1].sends.reverb.pre_fader = true;
        ch[1].gain_db = -4.0;
        ch[2].pan = 0.7;
        ch[2].input.invert = true;
        ch[2].sends.delay.level_db = -8.0;
        ch[2].sends.delay.pre_fader = true;
        s.mixer.delay.time = "1/8.".parse().unwrap();
        s.mixer.delay.feedback = 0.6;
        s.mixer.reverb.bus_return.pan = 0.3;
        s.mixer.reverb.bus_return.eq.high.gain_db = -3.0;
        s.mixer.delay.bus_return.gain_db = -2.0;
        s
    }

    fn short_song() -> Song {
        let mut s = Song::new(2);
        s.tempo = 140.0;
        s.render.tail = 0.3;
        s.instruments
            .push(Instrument::synth("saw", Synth::default()));
        let mut p = Pattern::new("P", 16, 2);
        *p.cell_mut(0, 0) = "C-4 01 40".parse().unwrap();
        *p.cell_mut(4, 1) = "G-3 01 30".parse().unwrap();
        *p.cell_mut(8, 0) = "D#4 01 40".parse().unwrap();
        s.mixer.channels[1].pan = 0.6;
        s.patterns = vec![p];
        s.arrangement = vec![OrderEntry {
            pattern: "P".into(),
            section: "verse".into(),
            repeat: 1,
        }];
        s.master.gain_db = 9.0;
        s.master.eq.mid1.gain_db = 3.0;
        s.master.compressor.bypass = false;
        s.master.width.width_percent = 130.0;
        s.master.width.mono_below_hz = 150.0;
        s
    }

    #[test]
    fn the_offline_master_is_the_live_engine_output() {
        // Rendering the mix once and running the chain over it (as exports do) gives the
        // very samples the engine plays with the same settings.
        let song = short_song();
        let bank = SampleBank::default();
        let live = render_to_vec(&song, &bank, 48_000, 333);
        let mut offline = render_mix(&song, &bank, 48_000, 512, &mut |_, _| {});
        loudness::pre_limiter(&mut offline, &song.master, 48_000);
        let mastered = loudness::limit(&offline, &song.master, 48_000, 0.0, Fades::default());
        assert_eq!(mastered.len(), live.len());
        assert!(mastered == live, "offline and live masters differ");
        assert!(live.iter().any(|x| x.abs() > 0.5));
    }

    #[test]
    fn the_mix_is_what_a_chain_with_every_stage_bypassed_puts_out() {
        // `render_mix` leaves the master chain out rather than running it bypassed.
        let song = short_song();
        let bank = SampleBank::default();
        let mut bypassed = song.clone();
        bypassed.master = Master::transparent();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        let want = bits(&render_to_vec(&bypassed, &bank, 48_000, 333));
        for block in [64, 512] {
            let mix = render_mix(&song, &bank, 48_000, block, &mut |_, _| {});
            assert!(bits(&mix) == want, "blocks of {block}");
        }
    }

    #[test]
    fn loudness_options_override_the_song_and_are_checked() {
        let master = Master::default();
        let o = LoudnessOptions {
            preset: Some(Preset::Club),
            target_lufs: None,
            ceiling_dbtp: Some(-0.5),
        };
        let m = o.apply(&master).unwrap();
        assert_eq!((m.target_lufs, m.ceiling_db), (Some(-8.0), -0.5));
        let bad = LoudnessOptions {
            target_lufs: Some(5.0),
            ..LoudnessOptions::default()
        };
        let e = bad.apply(&master).unwrap_err().to_string();
        assert!(e.contains("--target-lufs: 5 is out of range"), "{e}");
    }

    #[test]
    fn stems_sum_to_the_master_bus() {
        stems_sum_to_the_master_bus_of(&mixed_song());
    }

    /// Also with a compressor keyed by the delay return, which runs the delay bus in the
    /// middle of the channels (after the two that feed it, before the one it keys).
    #[test]
    fn stems_sum_to_the_master_bus_with_a_bus_keyed_compressor() {
        let mut song = mixed_song();
        let strip = &mut song.mixer.channels[0];
        strip.sidechain.bus = Some(crate::song::KeyBus::Delay);
        strip.compressor.threshold_db = -40.0;
        assert_eq!(song.problems(), Vec::<String>::new());
        stems_sum_to_the_master_bus_of(&song);
    }

    fn stems_sum_to_the_master_bus_of(song: &Song) {
        let song = song.clone();
        let rate = 48_000;
        let mut sum = Vec::new();
        let mut master = Vec::new();
        let mut bus_energy = [0.0f64; 2];
        render_stem_blocks(&song, &SampleBank::default(), rate, 300, |stems, frames| {
            for i in 0..2 * frames {
                sum.push(stems.channels.iter().map(|c| c[i]).sum::<f32>());
                master.push(stems.master_bus[i]);
                for (energy, bus) in bus_energy.iter_mut().zip(&stems.buses) {
                    *energy += f64::from(bus[i] * bus[i]);
                }
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(sum.len() as u64, 2 * Engine::length(&song, rate));
        let peak = master.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.1, "the song is audible ({peak})");
        assert!(bus_energy.iter().all(|&e| e > 1.0), "{bus_energy:?}");
        let worst = sum
            .iter()
            .zip(&master)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        let worst_db = 20.0 * worst.max(1e-12).log10();
        assert!(
            worst_db < -60.0,
            "stems differ from the master bus by {worst_db} dBFS"
        );
    }

    #[test]
    fn stem_names_are_numbered_and_safe() {
        let mut song = Song::new(2);
        song.mixer.channels[0].name = "Kick/Sub".into();
        song.mixer.channels[1].name = String::new();
        assert_eq!(
            stem_file_names(&song),
            [
                "01-Kick-Sub.wav",
                "02-channel.wav",
                "bus-reverb.wav",
                "bus-delay.wav"
            ]
        );
    }
}
