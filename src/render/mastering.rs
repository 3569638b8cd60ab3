//! `tracksmith master`: a finished mix from elsewhere through the same master chain and
//! loudness targeting as a song's render.

use super::loudness::{self, Fades, Mastered};
use super::{LoudnessOptions, RenderError, write_report, write_wav};
use crate::song::{self, BitDepth, Master};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The chain as given on the command line: a file holding a master section, then flags.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ChainOptions {
    pub file: Option<PathBuf>,
    pub gain_db: Option<f32>,
    pub width_percent: Option<f32>,
    pub mono_below_hz: Option<f32>,
    pub compressor_threshold_db: Option<f32>,
    pub compressor_ratio: Option<f32>,
}

impl ChainOptions {
    /// The master section these options describe, checked like a song's.
    pub fn master(&self) -> Result<Master, Box<dyn std::error::Error>> {
        let mut m = match &self.file {
            Some(path) => {
                let m: Master = song::from_json(&song::read_text(path)?, path)?;
                let problems = song::master_problems(&m, "");
                if !problems.is_empty() {
                    return Err(song::SongError::Invalid {
                        file: path.clone(),
                        problems,
                    }
                    .into());
                }
                m
            }
            None => Master::default(),
        };
        if let Some(g) = self.gain_db {
            m.gain_db = g;
        }
        if let Some(w) = self.width_percent {
            m.width.width_percent = w;
        }
        if let Some(f) = self.mono_below_hz {
            m.width.mono_below_hz = f;
        }
        // Giving a compressor setting on the command line means wanting it in circuit.
        if let Some(t) = self.compressor_threshold_db {
            m.compressor.threshold_db = t;
            m.compressor.bypass = false;
        }
        if let Some(r) = self.compressor_ratio {
            m.compressor.ratio = r;
            m.compressor.bypass = false;
        }
        let problems = song::master_problems(&m, "");
        if problems.is_empty() {
            Ok(m)
        } else {
            let flags = [
                ("width.width_percent", "--width"),
                ("width.mono_below_hz", "--mono-below"),
                ("compressor.threshold_db", "--comp-threshold"),
                ("compressor.ratio", "--comp-ratio"),
                ("gain_db", "--gain"),
            ];
            let named = problems
                .iter()
                .map(|p| {
                    flags
                        .iter()
                        .fold(p.clone(), |p, (field, flag)| p.replacen(field, flag, 1))
                })
                .collect::<Vec<_>>();
            Err(named.join("; ").into())
        }
    }
}

/// A WAV (mono is spread to both sides) as interleaved stereo, and its sample rate.
pub fn read_mix(path: &Path) -> Result<(Vec<f32>, u32), RenderError> {
    let data = song::load_wav(path)
        .map_err(|message| RenderError::Settings(format!("{}: {message}", path.display())))?;
    if data.frames() == 0 {
        return Err(RenderError::Settings(format!(
            "{}: has no audio",
            path.display()
        )));
    }
    let (left, right) = match data.channels.as_slice() {
        [mono] => (mono, mono),
        [left, right] => (left, right),
        _ => unreachable!("load_wav allows only mono or stereo"),
    };
    let mix = left.iter().zip(right).flat_map(|(&l, &r)| [l, r]).collect();
    Ok((mix, data.sample_rate))
}

/// The whole chain over a mix, with the loudness target reached if there is one.
pub fn master_mix(mut mix: Vec<f32>, sample_rate: u32, master: &Master, fades: Fades) -> Mastered {
    loudness::pre_limiter(&mut mix, master, sample_rate);
    loudness::reach_target(&mix, master, sample_rate, master.target_lufs, fades)
}

#[derive(Serialize)]
struct MasterReport<'a> {
    input: &'a Path,
    #[serde(flatten)]
    render: super::RenderReport,
}

pub fn master_command(
    input: &Path,
    output: &Path,
    bit_depth: BitDepth,
    loudness_options: &LoudnessOptions,
    chain: &ChainOptions,
    report_path: Option<&Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let master = loudness_options.apply(&chain.master()?)?;
    let started = Instant::now();
    let (mix, sample_rate) = read_mix(input)?;
    let mastered = master_mix(mix, sample_rate, &master, Fades::default());
    let written = write_wav(output, &mastered.audio, sample_rate, bit_depth)?;
    let elapsed = started.elapsed().as_secs_f64();
    let report = super::RenderReport {
        target_lufs: master.target_lufs,
        ceiling_dbtp: master.ceiling_db,
        loudness_gain_db: mastered.loudness_gain_db,
        elapsed_seconds: elapsed,
        realtime_factor: written.loudness.duration_seconds / elapsed.max(1e-9),
        ..super::RenderReport::of(output, sample_rate, bit_depth, &written)
    };
    println!("{}", report.summary().replacen("rendered", "mastered", 1));
    if let Some(path) = report_path {
        write_report(
            path,
            &MasterReport {
                input,
                render: report,
            },
        )?;
    }
    Ok(())
}
