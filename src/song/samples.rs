//! Sample files: WAV in any of hound's integer depths or 32-bit float, mono or stereo,
//! at any rate. Decoded once to planar f32; the engine resamples as it plays.

use super::{Song, SongError, Source};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Debug, PartialEq)]
pub struct SampleData {
    pub sample_rate: u32,
    /// One vector per channel (one or two), all the same length.
    pub channels: Vec<Vec<f32>>,
}

impl SampleData {
    pub fn frames(&self) -> usize {
        self.channels.first().map_or(0, Vec::len)
    }
}

/// Reads a WAV file into planar f32 in -1..1.
pub fn load_wav(path: &Path) -> Result<SampleData, String> {
    // Opened apart from the decoder, so "missing" and "corrupt" get different messages.
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read ({e})"))?;
    let mut reader =
        hound::WavReader::new(std::io::BufReader::new(file)).map_err(|e| describe(&e))?;
    let spec = reader.spec();
    let channel_count = usize::from(spec.channels);
    if !(1..=2).contains(&channel_count) {
        return Err(format!(
            "has {channel_count} channels (allowed: mono or stereo)"
        ));
    }
    let interleaved: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .samples::<f32>()
            .collect::<Result<_, _>>()
            .map_err(|e| describe(&e))?,
        (hound::SampleFormat::Int, bits @ (8 | 16 | 24 | 32)) => {
            let scale = 1.0 / (1u64 << (bits - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.map(|v| v as f32 * scale))
                .collect::<Result<_, _>>()
                .map_err(|e| describe(&e))?
        }
        (format, bits) => {
            return Err(format!(
                "is {bits}-bit {format:?} (allowed: 8, 16, 24 or 32-bit integer, or 32-bit float)"
            ));
        }
    };
    if let Some(bad) = interleaved.iter().position(|s| !s.is_finite()) {
        return Err(format!(
            "frame {} is not a finite number",
            bad / channel_count
        ));
    }
    let mut channels = vec![Vec::with_capacity(interleaved.len() / channel_count); channel_count];
    for frame in interleaved.chunks_exact(channel_count) {
        for (ch, s) in frame.iter().enumerate() {
            channels[ch].push(*s);
        }
    }
    Ok(SampleData {
        sample_rate: spec.sample_rate,
        channels,
    })
}

fn describe(e: &hound::Error) -> String {
    match e {
        hound::Error::IoError(io) => format!("is not a readable WAV file ({io})"),
        other => format!("is not a readable WAV file ({other})"),
    }
}

/// The decoded sample of every sampler instrument, indexed like `song.instruments`.
#[derive(Clone, Debug, Default)]
pub struct SampleBank {
    samples: Vec<Option<Arc<SampleData>>>,
}

impl SampleBank {
    /// Loads every sampler's file, relative to the folder of `song_file`.
    pub fn load(song: &Song, song_file: &Path) -> Result<SampleBank, SongError> {
        let dir = song_file.parent().unwrap_or(Path::new(""));
        let samples = song
            .instruments
            .iter()
            .enumerate()
            .map(|(i, inst)| match &inst.source {
                Source::Synth(_) => Ok(None),
                Source::Sampler(s) => {
                    let sample_path = dir.join(&s.path);
                    let fail = |message: String| SongError::Sample {
                        file: song_file.to_owned(),
                        at: format!("instruments[{i}].sampler.path"),
                        sample: PathBuf::from(&s.path),
                        message,
                    };
                    let data = load_wav(&sample_path).map_err(fail)?;
                    if let Some(l) = s.sample_loop
                        && l.end as usize > data.frames()
                    {
                        return Err(SongError::Sample {
                            file: song_file.to_owned(),
                            at: format!("instruments[{i}].sampler.loop.end"),
                            sample: PathBuf::from(&s.path),
                            message: format!(
                                "loop end {} is past the sample's {} frames",
                                l.end,
                                data.frames()
                            ),
                        });
                    }
                    Ok(Some(Arc::new(data)))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(SampleBank { samples })
    }

    pub fn from_samples(samples: Vec<Option<Arc<SampleData>>>) -> SampleBank {
        SampleBank { samples }
    }

    pub fn get(&self, instrument: usize) -> Option<&Arc<SampleData>> {
        self.samples.get(instrument).and_then(Option::as_ref)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(path: &Path, spec: hound::WavSpec, frames: &[f32]) {
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for &s in frames {
            match spec.sample_format {
                hound::SampleFormat::Float => w.write_sample(s).unwrap(),
                hound::SampleFormat::Int => {
                    let max = (1i64 << (spec.bits_per_sample - 1)) as f32;
                    let v = (s * max).round().clamp(-max, max - 1.0) as i32;
                    if spec.bits_per_sample == 8 {
                        w.write_sample(v as i8).unwrap()
                    } else {
                        w.write_sample(v).unwrap()
                    }
                }
            }
        }
        w.finalize().unwrap();
    }

    #[test]
    fn reads_every_depth_and_layout() {
        let dir = tempfile::tempdir().unwrap();
        let signal = [0.0, 0.5, -0.5, 0.25];
        for (bits, format) in [
            (8, hound::SampleFormat::Int),
            (16, hound::SampleFormat::Int),
            (24, hound::SampleFormat::Int),
            (32, hound::SampleFormat::Float),
        ] {
            for channels in [1u16, 2] {
                let spec = hound::WavSpec {
                    channels,
                    sample_rate: 22_050,
                    bits_per_sample: bits,
                    sample_format: format,
                };
                let path = dir.path().join(format!("{bits}-{channels}.wav"));
                let frames: Vec<f32> = signal
                    .iter()
                    .flat_map(|&s| std::iter::repeat_n(s, usize::from(channels)))
                    .collect();
                write(&path, spec, &frames);
                let data = load_wav(&path).unwrap();
                assert_eq!(data.sample_rate, 22_050);
                assert_eq!(data.channels.len(), usize::from(channels));
                for ch in &data.channels {
                    for (got, want) in ch.iter().zip(signal) {
                        assert!((got - want).abs() < 0.01, "{bits}-bit: {got} vs {want}");
                    }
                }
            }
        }
    }

    #[test]
    fn corrupt_and_missing_files_are_described() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.wav");
        std::fs::write(&bad, b"RIFF nonsense").unwrap();
        assert!(load_wav(&bad).unwrap_err().contains("not a readable WAV"));
        assert!(
            load_wav(&dir.path().join("none.wav"))
                .unwrap_err()
                .contains("cannot be read")
        );
    }
}
