//! Sample edits as plain functions on decoded samples: trim, normalise, fade, reverse,
//! gain, and where to slice. Each returns a new `SampleData` and leaves its input alone;
//! the editor writes the result to a new WAV file (`write_new_wav`), so the original
//! take is never lost.

use super::SampleData;
use crate::dsp::onset::OnsetDetector;
use crate::dsp::util::{db_to_gain, gain_to_db};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The shape of a fade, as gain against position (0 at the silent end, 1 at full level).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FadeCurve {
    Linear,
    /// sin(t·π/2): keeps the power of two crossfaded sounds constant.
    EqualPower,
    /// Straight in dB from -60 dB, pulled to exact silence at the end: sounds even.
    Exponential,
    /// Half a cosine: gentle at both ends.
    SCurve,
}

impl FadeCurve {
    pub const ALL: [FadeCurve; 4] = [
        FadeCurve::Linear,
        FadeCurve::EqualPower,
        FadeCurve::Exponential,
        FadeCurve::SCurve,
    ];

    pub fn name(self) -> &'static str {
        match self {
            FadeCurve::Linear => "linear",
            FadeCurve::EqualPower => "equal power",
            FadeCurve::Exponential => "exponential",
            FadeCurve::SCurve => "s-curve",
        }
    }

    /// The gain at `t` in 0..=1, from 0 at `t = 0` to 1 at `t = 1`.
    pub fn gain(self, t: f32) -> f32 {
        let t = t.clamp(0.0, 1.0);
        match self {
            FadeCurve::Linear => t,
            FadeCurve::EqualPower => (t * std::f32::consts::FRAC_PI_2).sin(),
            FadeCurve::Exponential => {
                const FLOOR: f32 = 0.001; // -60 dB
                (FLOOR.powf(1.0 - t) - FLOOR) / (1.0 - FLOOR)
            }
            FadeCurve::SCurve => 0.5 - 0.5 * (t * std::f32::consts::PI).cos(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fade {
    In,
    Out,
}

/// `range` kept inside the sample (an empty range where it lies past the end).
pub fn clamp_range(data: &SampleData, range: Range<usize>) -> Range<usize> {
    let frames = data.frames();
    range.start.min(frames)..range.end.clamp(range.start.min(frames), frames)
}

/// Applies `f` to each channel's frames in `range`, on a copy.
fn map_range(data: &SampleData, range: Range<usize>, mut f: impl FnMut(&mut [f32])) -> SampleData {
    let range = clamp_range(data, range);
    let mut out = data.clone();
    for channel in &mut out.channels {
        f(&mut channel[range.clone()]);
    }
    out
}

/// Only the frames in `range`.
pub fn trim(data: &SampleData, range: Range<usize>) -> SampleData {
    let range = clamp_range(data, range);
    SampleData {
        sample_rate: data.sample_rate,
        channels: data
            .channels
            .iter()
            .map(|c| c[range.clone()].to_vec())
            .collect(),
    }
}

/// The frames in `range` played backwards.
pub fn reverse(data: &SampleData, range: Range<usize>) -> SampleData {
    map_range(data, range, <[f32]>::reverse)
}

/// The frames in `range` louder or quieter by `db`.
pub fn gain(data: &SampleData, range: Range<usize>, db: f32) -> SampleData {
    let g = db_to_gain(db);
    map_range(data, range, |frames| {
        frames.iter_mut().for_each(|s| *s *= g);
    })
}

/// The highest absolute sample value in `range`, over all channels.
pub fn peak(data: &SampleData, range: Range<usize>) -> f32 {
    let range = clamp_range(data, range);
    data.channels
        .iter()
        .flat_map(|c| c[range.clone()].iter())
        .fold(0.0f32, |m, s| m.max(s.abs()))
}

/// The frames in `range` scaled so that their peak is `peak_dbfs`. Silence cannot be
/// normalised.
pub fn normalise(
    data: &SampleData,
    range: Range<usize>,
    peak_dbfs: f32,
) -> Result<SampleData, String> {
    let now = peak(data, range.clone());
    if now <= 1e-9 {
        return Err("the selection is silent: nothing to normalise".into());
    }
    Ok(gain(data, range, peak_dbfs - gain_to_db(now)))
}

/// A fade over `range`: in rises from silence at its first frame to full level at its
/// last; out falls from full level at its first frame to silence at its last.
pub fn fade(
    data: &SampleData,
    range: Range<usize>,
    direction: Fade,
    curve: FadeCurve,
) -> SampleData {
    map_range(data, range, |frames| {
        let last = frames.len().saturating_sub(1).max(1) as f32;
        for (i, s) in frames.iter_mut().enumerate() {
            let t = i as f32 / last;
            *s *= curve.gain(match direction {
                Fade::In => t,
                Fade::Out => 1.0 - t,
            });
        }
    })
}

/// The rising zero crossing (a frame whose sum over channels is >= 0 after one below 0)
/// nearest to `at` within `within` frames either side, if any: a loop whose ends are both
/// such frames joins without a click.
pub fn nearest_rising_zero(data: &SampleData, at: usize, within: usize) -> Option<usize> {
    let frames = data.frames();
    let level = |i: usize| data.channels.iter().map(|c| c[i]).sum::<f32>();
    let rising = |i: usize| i > 0 && i < frames && level(i - 1) < 0.0 && level(i) >= 0.0;
    (0..=within).find_map(|d| {
        [at.checked_sub(d), at.checked_add(d)]
            .into_iter()
            .flatten()
            .find(|&i| rising(i))
    })
}

/// `parts` ranges of (nearly) equal length, in order, covering `0..frames` exactly.
pub fn equal_slices(frames: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, frames.max(1));
    (0..parts)
        .map(|i| i * frames / parts..(i + 1) * frames / parts)
        .collect()
}

/// One range per transient, from each onset to the next (the last to the end); what
/// comes before the first onset is left out. Stereo is mixed down to find them.
pub fn transient_slices(data: &SampleData, threshold_db: f32) -> Vec<Range<usize>> {
    let mono: Vec<f32> = match data.channels.as_slice() {
        [only] => only.clone(),
        [left, right, ..] => left.iter().zip(right).map(|(l, r)| 0.5 * (l + r)).collect(),
        [] => Vec::new(),
    };
    let mut detector = OnsetDetector::new(data.sample_rate);
    detector.threshold_db = threshold_db;
    let onsets = detector.detect(&mono);
    let ends = onsets.iter().skip(1).copied().chain([data.frames()]);
    onsets.iter().zip(ends).map(|(&a, b)| a..b).collect()
}

/// A file name for an edit of `source` (a path relative to the song's folder `dir`)
/// that no file has yet: beside the source when that lies inside the song's folder,
/// else in the song's folder itself. `vocal.wav` trimmed becomes `vocal-trim.wav`, then
/// `vocal-trim-2.wav`; an edit of an edit replaces the edit name (`vocal-trim.wav`
/// normalised is `vocal-normalise.wav`), so names stay short.
pub fn new_sample_path(dir: &Path, source: &str, edit: &str, known_edits: &[&str]) -> String {
    let source_path = Path::new(source);
    let inside = source_path.is_relative()
        && source_path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
    let folder = match source_path.parent() {
        Some(p) if inside => p.to_owned(),
        _ => PathBuf::new(),
    };
    let stem = source_path
        .file_stem()
        .map_or("sample".to_owned(), |s| s.to_string_lossy().into_owned());
    let base = base_name(&stem, known_edits);
    (1..)
        .map(|n| {
            let name = if n == 1 {
                format!("{base}-{edit}.wav")
            } else {
                format!("{base}-{edit}-{n}.wav")
            };
            folder.join(name)
        })
        .find(|p| !dir.join(p).exists())
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .expect("some number is free")
}

/// `stem` without a trailing `-EDIT` or `-EDIT-N` of the known edit names.
fn base_name<'a>(stem: &'a str, known_edits: &[&str]) -> &'a str {
    let without_number = match stem.rsplit_once('-') {
        Some((rest, n)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest,
        _ => stem,
    };
    for edit in known_edits {
        if let Some(base) = without_number.strip_suffix(&format!("-{edit}"))
            && !base.is_empty()
        {
            return base;
        }
    }
    stem
}

/// Writes `data` as a 32-bit float WAV (no edit loses precision) to `path`, which must
/// not exist yet: the file appears whole or not at all, and never replaces another.
pub fn write_new_wav(path: &Path, data: &SampleData) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(path.file_name().unwrap_or_default());
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        let mut out = io::BufWriter::new(file);
        write_wav(&mut out, data)?;
        out.flush()?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        // A hard link, unlike a rename, fails when the name is taken. Where the
        // filesystem has no hard links, a rename after a last look has to do.
        match std::fs::hard_link(&tmp, path) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            Err(_) if path.exists() => return Err(io::ErrorKind::AlreadyExists.into()),
            Err(_) => std::fs::rename(&tmp, path)?,
        }
        if let Ok(d) = std::fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    let _ = std::fs::remove_file(&tmp);
    result
}

fn write_wav(out: &mut impl io::Write, data: &SampleData) -> io::Result<()> {
    let spec = hound::WavSpec {
        channels: data.channels.len().max(1) as u16,
        sample_rate: data.sample_rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    // hound wants to seek back to fill in the sizes; build the file in memory.
    let mut cursor = io::Cursor::new(Vec::new());
    {
        let mut writer = hound::WavWriter::new(&mut cursor, spec).map_err(io::Error::other)?;
        for i in 0..data.frames() {
            for channel in &data.channels {
                writer.write_sample(channel[i]).map_err(io::Error::other)?;
            }
        }
        writer.finalize().map_err(io::Error::other)?;
    }
    out.write_all(&cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::load_wav;

    fn ramp(frames: usize) -> SampleData {
        SampleData {
            sample_rate: 48_000,
            channels: vec![
                (0..frames).map(|i| 0.5 * (i as f32 * 0.37).sin()).collect(),
                (0..frames)
                    .map(|i| 0.25 * (i as f32 * 0.11).cos())
                    .collect(),
            ],
        }
    }

    #[test]
    fn trim_keeps_exactly_the_selected_frames() {
        let data = ramp(1000);
        let t = trim(&data, 123..456);
        assert_eq!(t.frames(), 333);
        for (c, channel) in t.channels.iter().enumerate() {
            assert_eq!(channel[..], data.channels[c][123..456]);
        }
        assert_eq!(trim(&data, 900..5000).frames(), 100, "clamped to the end");
    }

    #[test]
    fn reverse_equals_the_reversed_samples() {
        let data = ramp(1000);
        let whole = reverse(&data, 0..1000);
        for (c, channel) in whole.channels.iter().enumerate() {
            let mut expected = data.channels[c].clone();
            expected.reverse();
            assert_eq!(*channel, expected);
        }
        let part = reverse(&data, 100..200);
        assert_eq!(part.channels[0][..100], data.channels[0][..100]);
        assert_eq!(part.channels[0][200..], data.channels[0][200..]);
        for i in 0..100 {
            assert_eq!(part.channels[1][100 + i], data.channels[1][199 - i]);
        }
    }

    #[test]
    fn normalise_reaches_the_target_peak() {
        let data = ramp(4800);
        for target in [-0.1f32, -1.0, -6.0, -20.0] {
            let n = normalise(&data, 0..4800, target).unwrap();
            let measured = gain_to_db(peak(&n, 0..4800));
            assert!(
                (measured - target).abs() < 0.01,
                "{target} dBFS asked, {measured} measured"
            );
        }
        // A selection only: the rest keeps its level.
        let n = normalise(&data, 1000..2000, -3.0).unwrap();
        assert!((gain_to_db(peak(&n, 1000..2000)) + 3.0).abs() < 0.01);
        assert_eq!(n.channels[0][..1000], data.channels[0][..1000]);
        let silent = SampleData {
            sample_rate: 48_000,
            channels: vec![vec![0.0; 100]],
        };
        assert!(normalise(&silent, 0..100, -1.0).is_err());
    }

    #[test]
    fn gain_scales_by_the_decibels_asked() {
        let data = ramp(100);
        let louder = gain(&data, 0..100, 6.0);
        let ratio = peak(&louder, 0..100) / peak(&data, 0..100);
        assert!((gain_to_db(ratio) - 6.0).abs() < 1e-3);
    }

    #[test]
    fn fades_follow_their_curve() {
        let ones = SampleData {
            sample_rate: 48_000,
            channels: vec![vec![1.0; 2001]],
        };
        // Over frames 500..1501 (1001 frames: t = i / 1000).
        for curve in FadeCurve::ALL {
            let faded_in = fade(&ones, 500..1501, Fade::In, curve);
            let faded_out = fade(&ones, 500..1501, Fade::Out, curve);
            for (i, t) in [(0, 0.0), (250, 0.25), (500, 0.5), (750, 0.75), (1000, 1.0)] {
                let expected = match curve {
                    FadeCurve::Linear => t,
                    FadeCurve::EqualPower => (t * std::f32::consts::FRAC_PI_2).sin(),
                    // Straight in dB from -60 dB, less the -60 dB so it ends in silence.
                    FadeCurve::Exponential => (db_to_gain(-60.0 * (1.0 - t)) - 0.001) / 0.999,
                    FadeCurve::SCurve => (1.0 - (t * std::f32::consts::PI).cos()) / 2.0,
                };
                let got_in = faded_in.channels[0][500 + i];
                let got_out = faded_out.channels[0][1500 - i];
                assert!(
                    (got_in - expected).abs() < 1e-4,
                    "{} in at t={t}: {got_in} (expected {expected})",
                    curve.name()
                );
                assert!(
                    (got_out - expected).abs() < 1e-4,
                    "{} out at t={t}: {got_out}",
                    curve.name()
                );
            }
            // Outside the fade nothing changes.
            assert_eq!(faded_in.channels[0][499], 1.0);
            assert_eq!(faded_in.channels[0][1501], 1.0);
        }
    }

    #[test]
    fn the_nearest_rising_zero_crossing_is_found() {
        // A 100-frame-period sine: rising crossings at 0, 100, 200 ... (the first has no
        // frame before it, so it does not count).
        let sine = SampleData {
            sample_rate: 48_000,
            channels: vec![
                (0..1000)
                    .map(|i| (std::f32::consts::TAU * (i as f32 + 0.5) / 100.0).sin())
                    .collect(),
            ],
        };
        assert_eq!(nearest_rising_zero(&sine, 310, 50), Some(300));
        assert_eq!(nearest_rising_zero(&sine, 370, 50), Some(400));
        assert_eq!(nearest_rising_zero(&sine, 350, 10), None);
        assert_eq!(nearest_rising_zero(&sine, 5, 10), None);
        assert_eq!(
            nearest_rising_zero(&sine, 990, 50),
            None,
            "none past the end"
        );
        for at in [120, 480, 777] {
            let z = nearest_rising_zero(&sine, at, 60).unwrap();
            assert!(sine.channels[0][z - 1] < 0.0 && sine.channels[0][z] >= 0.0);
        }
    }

    #[test]
    fn equal_slices_cover_the_sample_exactly() {
        for (frames, parts) in [(1000, 4), (1001, 3), (7, 7), (10, 16), (48_000, 16)] {
            let slices = equal_slices(frames, parts);
            assert_eq!(slices.len(), parts.min(frames));
            assert_eq!(slices[0].start, 0);
            assert_eq!(slices.last().unwrap().end, frames);
            for pair in slices.windows(2) {
                assert_eq!(pair[0].end, pair[1].start);
            }
            let (short, long) = slices.iter().fold((usize::MAX, 0), |(s, l), r| {
                (s.min(r.len()), l.max(r.len()))
            });
            assert!(long - short <= 1, "{frames}/{parts}: {short}..{long}");
        }
    }

    #[test]
    fn transient_slices_start_at_the_hits() {
        // Three clicks of decaying noise over near-silence, in stereo.
        let rate = 44_100;
        let mut rng = crate::dsp::rng::Rng::new(3);
        let onsets = [2_205usize, 15_000, 30_870];
        let mut left = vec![0.0f32; rate];
        for &at in &onsets {
            for n in 0..5_000 {
                left[at + n] = 0.7 * rng.next_bipolar() * (-(n as f32) / 800.0).exp();
            }
        }
        let data = SampleData {
            sample_rate: rate as u32,
            channels: vec![left.clone(), left],
        };
        let slices = transient_slices(&data, 9.0);
        assert_eq!(slices.len(), 3, "{slices:?}");
        for (s, &at) in slices.iter().zip(&onsets) {
            let ms = (s.start as f32 - at as f32).abs() / rate as f32 * 1000.0;
            assert!(ms < 2.0, "slice at {}, hit at {at}", s.start);
        }
        assert_eq!(slices[2].end, rate);
        assert_eq!(slices[0].end, slices[1].start);
    }

    #[test]
    fn new_files_get_free_names_and_never_replace_one() {
        let dir = tempfile::tempdir().unwrap();
        let edits = ["trim", "normalise"];
        assert_eq!(
            new_sample_path(dir.path(), "takes/vocal.wav", "trim", &edits),
            "takes/vocal-trim.wav"
        );
        assert_eq!(
            new_sample_path(dir.path(), "../samples/kick.wav", "trim", &edits),
            "kick-trim.wav",
            "outside the song's folder: into it"
        );
        let data = ramp(300);
        let first = new_sample_path(dir.path(), "vocal-trim.wav", "normalise", &edits);
        assert_eq!(first, "vocal-normalise.wav");
        write_new_wav(&dir.path().join(&first), &data).unwrap();
        assert_eq!(
            new_sample_path(dir.path(), "vocal-trim-3.wav", "normalise", &edits),
            "vocal-normalise-2.wav"
        );
        // Written exactly (32-bit float) and never over an existing file.
        let back = load_wav(&dir.path().join(&first)).unwrap();
        assert_eq!(back, data);
        let err = write_new_wav(&dir.path().join(&first), &ramp(10)).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(load_wav(&dir.path().join(&first)).unwrap(), data);
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left: {leftovers:?}");
    }
}
