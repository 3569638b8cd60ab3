//! Offline rendering: song → WAV through the same `Engine::process` that plays live.

pub mod album;
pub mod kit;
pub mod loudness;
pub mod mastering;
pub mod midi;

use crate::dsp::dither::TpdfDither;
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
}

impl Default for RenderOptions {
    fn default() -> RenderOptions {
        RenderOptions {
            sample_rate: None,
            bit_depth: None,
            block_size: 512,
            loudness: LoudnessOptions::default(),
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
    #[serde(flatten)]
    pub loudness: LoudnessReport,
    pub target_lufs: Option<f32>,
    pub ceiling_dbtp: f32,
    /// The gain into the limiter that reached the target (dB).
    pub loudness_gain_db: f32,
    pub elapsed_seconds: f64,
    pub realtime_factor: f64,
}

impl RenderReport {
    /// The lines the CLI prints.
    pub fn summary(&self) -> String {
        let l = &self.loudness;
        let target = match self.target_lufs {
            Some(t) => format!(
                "target {t:.1} LUFS, {:+.2} dB into the limiter",
                self.loudness_gain_db
            ),
            None => "no loudness target".to_owned(),
        };
        format!(
            "wrote {}: {} ({} frames at {} Hz, {})\n\
             integrated {:.1} LUFS, range {:.1} LU, short-term max {:.1} LUFS\n\
             true peak {:.2} dBTP (ceiling {:.1}), sample peak {:.2} dBFS; {target}\n\
             rendered in {:.2} s ({:.0}x realtime)",
            self.output.display(),
            format_time(l.duration_seconds),
            self.frames,
            self.sample_rate,
            self.bit_depth,
            l.integrated_lufs,
            l.loudness_range_lu,
            l.short_term_max_lufs,
            l.true_peak_dbtp,
            self.ceiling_dbtp,
            l.sample_peak_dbfs,
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
    mut sink: impl FnMut(&[f32], u64, u64) -> io::Result<()>,
) -> io::Result<()> {
    let total = Engine::length(song, sample_rate);
    let mut engine = Engine::new(song, samples, sample_rate);
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
    let mut out = Vec::with_capacity(2 * Engine::length(song, sample_rate) as usize);
    render_blocks(
        &unmastered,
        samples,
        sample_rate,
        block_size,
        |block, done, total| {
            out.extend_from_slice(block);
            progress(done, total);
            Ok(())
        },
    )
    .expect("rendering to memory cannot fail");
    out
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
    let spec = hound::WavSpec {
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
    };
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
    let elapsed = started.elapsed().as_secs_f64();
    Ok(RenderReport {
        output: output.to_owned(),
        frames: written.frames,
        sample_rate,
        bit_depth: bit_depth.label(),
        loudness: written.loudness,
        target_lufs: master.target_lufs,
        ceiling_dbtp: master.ceiling_db,
        loudness_gain_db: mastered.loudness_gain_db,
        elapsed_seconds: elapsed,
        realtime_factor: written.loudness.duration_seconds / elapsed.max(1e-9),
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
    use crate::song::{Instrument, OrderEntry, Pattern, Synth};

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
}
