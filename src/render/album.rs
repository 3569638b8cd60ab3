//! Albums: tracks (songs or WAV mixes) mastered to one loudness target, written one WAV
//! per track and as one album WAV with exact gaps, a CUE sheet and a loudness report.

use super::loudness::{self, Fades, LoudnessReport};
use super::mastering::read_mix;
use super::{RenderError, render_mix, write_report, write_wav};
use crate::song::{self, BitDepth, Master, Preset, SAMPLE_RATES, SampleBank, SongError};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::{Deserialize, Serialize};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// CUE sheet time runs in frames of 1/75 s.
const CUE_FRAMES_PER_SECOND: u64 = 75;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoudnessMode {
    /// Every track is brought to the target on its own.
    #[default]
    Track,
    /// One gain for the whole album: the album reaches the target and the tracks keep
    /// their loudness differences.
    Album,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Album {
    pub format: u32,
    pub title: String,
    #[serde(default)]
    pub artist: String,
    /// Target and ceiling; `target_lufs` and `ceiling_db` override it.
    #[serde(default = "streaming")]
    pub preset: Preset,
    #[serde(default)]
    pub target_lufs: Option<f32>,
    #[serde(default)]
    pub ceiling_db: Option<f32>,
    #[serde(default)]
    pub loudness: LoudnessMode,
    #[serde(default = "default_rate")]
    pub sample_rate: u32,
    #[serde(default = "default_depth")]
    pub bit_depth: BitDepth,
    pub tracks: Vec<Track>,
}

fn streaming() -> Preset {
    Preset::Streaming
}
fn default_rate() -> u32 {
    48_000
}
fn default_depth() -> BitDepth {
    BitDepth::Int24
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Track {
    /// The track's name (default: the song's title, or the file name).
    #[serde(default)]
    pub title: Option<String>,
    /// A song file, relative to the album file.
    #[serde(default)]
    pub song: Option<PathBuf>,
    /// Or a mixed-down WAV, relative to the album file, at the album's sample rate.
    #[serde(default)]
    pub wav: Option<PathBuf>,
    /// Seconds of silence after the track; 0 runs straight into the next (gapless).
    #[serde(default)]
    pub gap: f32,
    #[serde(default)]
    pub fade_in: f32,
    #[serde(default)]
    pub fade_out: f32,
}

impl Album {
    pub fn load(path: &Path) -> Result<Album, SongError> {
        let album: Album = song::from_json(&song::read_text(path)?, path)?;
        let problems = album.problems();
        if problems.is_empty() {
            Ok(album)
        } else {
            Err(SongError::Invalid {
                file: path.to_owned(),
                problems,
            })
        }
    }

    pub fn problems(&self) -> Vec<String> {
        let mut p = Vec::new();
        let mut range = |at: String, v: f32, lo: f32, hi: f32, unit: &str| {
            if !v.is_finite() || v < lo || v > hi {
                p.push(format!(
                    "{at}: {v} is out of range (allowed {lo} to {hi}{unit})"
                ));
            }
        };
        if let Some(t) = self.target_lufs {
            range("target_lufs".into(), t, -40.0, -3.0, " LUFS");
        }
        if let Some(c) = self.ceiling_db {
            range("ceiling_db".into(), c, -24.0, 0.0, " dBTP");
        }
        for (i, t) in self.tracks.iter().enumerate() {
            range(format!("tracks[{i}].gap"), t.gap, 0.0, 600.0, " s");
            range(format!("tracks[{i}].fade_in"), t.fade_in, 0.0, 60.0, " s");
            range(format!("tracks[{i}].fade_out"), t.fade_out, 0.0, 60.0, " s");
        }
        if self.format != 1 {
            p.push(format!(
                "format: {} is not one this tracksmith reads (it reads 1)",
                self.format
            ));
        }
        if !SAMPLE_RATES.contains(&self.sample_rate) {
            p.push(format!(
                "sample_rate: {} is not allowed (allowed {SAMPLE_RATES:?})",
                self.sample_rate
            ));
        }
        if self.tracks.is_empty() {
            p.push("tracks: the album needs at least one track".into());
        }
        for (i, t) in self.tracks.iter().enumerate() {
            if t.song.is_some() == t.wav.is_some() {
                p.push(format!(
                    "tracks[{i}]: give either \"song\" (a song file) or \"wav\" (a mix), not {}",
                    if t.song.is_some() { "both" } else { "neither" }
                ));
            }
        }
        p
    }

    /// The master settings the album's loudness options give a track's own master.
    fn master_for(&self, own: &Master) -> Master {
        let mut m = *own;
        self.preset.apply(&mut m);
        if let Some(t) = self.target_lufs {
            m.target_lufs = Some(t);
        }
        if let Some(c) = self.ceiling_db {
            m.ceiling_db = c;
        }
        m
    }
}

/// One track after the first half of its chain: what the limiter passes start from.
struct Prepared {
    title: String,
    pre: Vec<f32>,
    master: Master,
    fades: Fades,
}

/// Where a track sits in the album and how loud it came out.
#[derive(Clone, Debug, Serialize)]
pub struct TrackReport {
    pub number: usize,
    pub title: String,
    pub file: PathBuf,
    /// First frame of the track in album.wav.
    pub start_frame: u64,
    pub frames: u64,
    /// Silence after the track (frames).
    pub gap_frames: u64,
    /// The CUE sheet's INDEX 01 for the track (mm:ss:ff, 75 frames a second).
    pub cue_index: String,
    pub loudness_gain_db: f32,
    #[serde(flatten)]
    pub loudness: LoudnessReport,
}

#[derive(Clone, Debug, Serialize)]
pub struct AlbumReport {
    pub title: String,
    pub artist: String,
    pub loudness_mode: LoudnessMode,
    pub target_lufs: Option<f32>,
    pub ceiling_dbtp: f32,
    pub sample_rate: u32,
    pub bit_depth: &'static str,
    pub file: PathBuf,
    pub frames: u64,
    pub album: LoudnessReport,
    pub tracks: Vec<TrackReport>,
}

/// `mm:ss:ff` for a position in samples, rounded to the nearest CUE frame.
pub fn cue_time(frame: u64, sample_rate: u32) -> String {
    let rate = u64::from(sample_rate);
    let cue_frames = (frame * CUE_FRAMES_PER_SECOND + rate / 2) / rate;
    let seconds = cue_frames / CUE_FRAMES_PER_SECOND;
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 60,
        seconds % 60,
        cue_frames % CUE_FRAMES_PER_SECOND
    )
}

fn cue_quote(s: &str) -> String {
    s.replace('"', "'")
}

/// A name safe in any file system.
fn file_stem(number: usize, title: &str) -> String {
    let clean: String = title
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || " -_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("{number:02} {}", clean.trim())
}

/// Runs `work` on every item on all cores, keeping the results in order.
fn parallel<T: Sync, R: Send>(items: &[T], work: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(item) = items.get(i) else { break };
                    let r = work(i, item);
                    results.lock().expect("no worker panics")[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .expect("no worker panics")
        .into_iter()
        .map(|r| r.expect("every item was done"))
        .collect()
}

fn bar_style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).expect("the template is valid")
}

/// Loads and renders one track up to the limiter.
fn prepare(
    album: &Album,
    album_file: &Path,
    index: usize,
    track: &Track,
    bar: &ProgressBar,
) -> Result<Prepared, Box<dyn std::error::Error + Send + Sync>> {
    let base = album_file.parent().unwrap_or(Path::new("."));
    let rate = album.sample_rate;
    let (title, mix, own) = if let Some(song_path) = &track.song {
        let path = base.join(song_path);
        let s = song::load(&path)?;
        let samples = SampleBank::load(&s, &path)?;
        let title = track.title.clone().unwrap_or_else(|| s.title.clone());
        bar.set_message(format!("{title}: render"));
        let mix = render_mix(&s, &samples, rate, 512, &mut |done, total| {
            bar.set_length(total);
            bar.set_position(done);
        });
        (title, mix, s.master)
    } else {
        let path = base.join(track.wav.as_ref().expect("validated: song or wav"));
        let (mix, wav_rate) = read_mix(&path).map_err(|e| e.to_string())?;
        if wav_rate != rate {
            return Err(format!(
                "{}: tracks[{index}].wav: {} is at {wav_rate} Hz but the album is at {rate} Hz",
                album_file.display(),
                path.display()
            )
            .into());
        }
        let title = track.title.clone().unwrap_or_else(|| {
            path.file_stem()
                .map_or(String::new(), |s| s.to_string_lossy().into_owned())
        });
        (title, mix, Master::default())
    };
    let frames = (mix.len() / 2) as u64;
    let to_frames = |seconds: f32| (f64::from(seconds) * f64::from(rate)).round() as u64;
    let fades = Fades {
        in_frames: to_frames(track.fade_in),
        out_frames: to_frames(track.fade_out),
    };
    if fades.in_frames + fades.out_frames > frames {
        return Err(format!(
            "{}: tracks[{index}]: fade_in + fade_out ({} s) is longer than the track ({:.3} s)",
            album_file.display(),
            track.fade_in + track.fade_out,
            frames as f64 / f64::from(rate)
        )
        .into());
    }
    let master = album.master_for(&own);
    let mut pre = mix;
    bar.set_message(format!("{title}: master"));
    loudness::pre_limiter(&mut pre, &master, rate);
    Ok(Prepared {
        title,
        pre,
        master,
        fades,
    })
}

/// Mastered audio of every track and the loudness gain each got.
fn master_tracks(
    album: &Album,
    prepared: &[Prepared],
    bars: &[ProgressBar],
) -> Vec<(Vec<f32>, f32)> {
    let rate = album.sample_rate;
    match album.loudness {
        LoudnessMode::Track => parallel(prepared, |i, p| {
            let m = loudness::reach_target(&p.pre, &p.master, rate, p.master.target_lufs, p.fades);
            bars[i].set_message(format!("{}: done", p.title));
            (m.audio, m.loudness_gain_db)
        }),
        LoudnessMode::Album => {
            // Every track is limited with the same gain; the album's integrated loudness
            // is gated over all tracks together, as over the album WAV.
            let target = prepared[0].master.target_lufs.map(f64::from);
            let pass = |gain: f64| {
                parallel(prepared, |_, p| {
                    loudness::limit(&p.pre, &p.master, rate, gain as f32, p.fades)
                })
            };
            let album_lufs = |tracks: &[Vec<f32>]| {
                let tracks: Vec<&[f32]> = tracks.iter().map(Vec::as_slice).collect();
                loudness::integrated_lufs_together(&tracks, rate)
            };
            let gain: (f64, Vec<Vec<f32>>) = match target {
                Some(target) => {
                    let incoming = {
                        let faded: Vec<Vec<f32>> = prepared
                            .iter()
                            .map(|p| {
                                let mut t = p.pre.clone();
                                p.fades.apply(&mut t);
                                t
                            })
                            .collect();
                        album_lufs(&faded)
                    };
                    let (gain, _, tracks, _) = loudness::find_gain(target, incoming, |g| {
                        let tracks = pass(g);
                        (album_lufs(&tracks), tracks)
                    });
                    (gain, tracks)
                }
                None => (0.0, pass(0.0)),
            };
            let (gain, tracks) = gain;
            for (bar, p) in bars.iter().zip(prepared) {
                bar.set_message(format!("{}: done", p.title));
            }
            tracks.into_iter().map(|t| (t, gain as f32)).collect()
        }
    }
}

/// Renders and masters the album into `dir`: one WAV per track, album.wav, album.cue
/// and report.json.
pub fn render_album(
    album: &Album,
    album_file: &Path,
    dir: &Path,
) -> Result<AlbumReport, Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir).map_err(|source| RenderError::Write {
        path: dir.to_owned(),
        source,
    })?;
    let rate = album.sample_rate;
    let progress = MultiProgress::with_draw_target(if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    });
    let bars: Vec<ProgressBar> = album
        .tracks
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let bar = progress.add(ProgressBar::new(0));
            bar.set_style(bar_style(&format!(
                "{:02} {{bar:30}} {{percent:>3}}% {{msg}}",
                i + 1
            )));
            bar.set_message("waiting");
            bar
        })
        .collect();
    let prepared = parallel(&album.tracks, |i, t| {
        prepare(album, album_file, i, t, &bars[i])
    });
    let prepared = prepared
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| -> Box<dyn std::error::Error> { e.to_string().into() })?;
    let mastered = master_tracks(album, &prepared, &bars);
    for bar in &bars {
        bar.finish_and_clear();
    }

    let mut tracks = Vec::new();
    let mut album_audio = Vec::new();
    for (i, ((audio, gain), (p, t))) in mastered
        .iter()
        .zip(prepared.iter().zip(&album.tracks))
        .enumerate()
    {
        let file = dir.join(format!("{}.wav", file_stem(i + 1, &p.title)));
        let written = write_wav(&file, audio, rate, album.bit_depth)?;
        let start_frame = (album_audio.len() / 2) as u64;
        let gap_frames = (f64::from(t.gap) * f64::from(rate)).round() as u64;
        album_audio.extend_from_slice(audio);
        album_audio.resize(album_audio.len() + 2 * gap_frames as usize, 0.0);
        tracks.push(TrackReport {
            number: i + 1,
            title: p.title.clone(),
            file,
            start_frame,
            frames: written.frames,
            gap_frames,
            cue_index: cue_time(start_frame, rate),
            loudness_gain_db: *gain,
            loudness: written.loudness,
        });
    }
    let album_file_out = dir.join("album.wav");
    let written = write_wav(&album_file_out, &album_audio, rate, album.bit_depth)?;

    let mut cue = String::new();
    if !album.artist.is_empty() {
        cue += &format!("PERFORMER \"{}\"\n", cue_quote(&album.artist));
    }
    cue += &format!(
        "TITLE \"{}\"\nFILE \"album.wav\" WAVE\n",
        cue_quote(&album.title)
    );
    for t in &tracks {
        cue += &format!(
            "  TRACK {:02} AUDIO\n    TITLE \"{}\"\n",
            t.number,
            cue_quote(&t.title)
        );
        if !album.artist.is_empty() {
            cue += &format!("    PERFORMER \"{}\"\n", cue_quote(&album.artist));
        }
        cue += &format!("    INDEX 01 {}\n", t.cue_index);
    }
    let cue_path = dir.join("album.cue");
    song::write_atomically(&cue_path, |f| std::io::Write::write_all(f, cue.as_bytes())).map_err(
        |source| RenderError::Write {
            path: cue_path.clone(),
            source,
        },
    )?;

    let report = AlbumReport {
        title: album.title.clone(),
        artist: album.artist.clone(),
        loudness_mode: album.loudness,
        target_lufs: prepared[0].master.target_lufs,
        ceiling_dbtp: prepared[0].master.ceiling_db,
        sample_rate: rate,
        bit_depth: album.bit_depth.label(),
        file: album_file_out,
        frames: written.frames,
        album: written.loudness,
        tracks,
    };
    write_report(&dir.join("report.json"), &report)?;
    Ok(report)
}

/// `tracksmith album`: renders, then prints a table of the tracks and the album.
pub fn album_command(album_file: &Path, dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let album = Album::load(album_file)?;
    let started = std::time::Instant::now();
    let report = render_album(&album, album_file, dir)?;
    println!(
        "{} ({} tracks, {} mode, target {}, ceiling {:.1} dBTP)",
        report.title,
        report.tracks.len(),
        match report.loudness_mode {
            LoudnessMode::Track => "per-track",
            LoudnessMode::Album => "album",
        },
        report
            .target_lufs
            .map_or("none".to_owned(), |t| format!("{t:.1} LUFS")),
        report.ceiling_dbtp
    );
    println!(" #  start     length    LUFS   range  ST max  dBTP    gain   title");
    let line = |n: String, start: &str, l: &LoudnessReport, gain: String, title: &str| {
        println!(
            "{n:>2}  {start:<9} {:<9} {:>6.1} {:>6.1} {:>6.1} {:>6.2} {gain:>7}  {title}",
            super::format_time(l.duration_seconds),
            l.integrated_lufs,
            l.loudness_range_lu,
            l.short_term_max_lufs,
            l.true_peak_dbtp,
        );
    };
    for t in &report.tracks {
        line(
            t.number.to_string(),
            &t.cue_index,
            &t.loudness,
            format!("{:+.2}", t.loudness_gain_db),
            &t.title,
        );
    }
    line(
        String::new(),
        "album",
        &report.album,
        String::new(),
        &report.file.display().to_string(),
    );
    println!(
        "wrote {} track WAVs, album.wav, album.cue and report.json to {} in {:.1} s",
        report.tracks.len(),
        dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cue_times_round_to_the_nearest_75th_of_a_second() {
        assert_eq!(cue_time(0, 48_000), "00:00:00");
        assert_eq!(cue_time(640, 48_000), "00:00:01");
        assert_eq!(cue_time(48_000 * 61 + 320, 48_000), "01:01:01");
        assert_eq!(cue_time(48_000 * 61 + 319, 48_000), "01:01:00");
        assert_eq!(cue_time(44_100 * 3 + 588 * 74, 44_100), "00:03:74");
    }

    #[test]
    fn tracks_need_a_song_or_a_wav_and_sane_values() {
        let album: Album = serde_json::from_str(
            r#"{"format": 1, "title": "T", "sample_rate": 22050,
                "tracks": [{"song": "a.json", "wav": "b.wav"}, {"gap": -1}]}"#,
        )
        .unwrap();
        let p = album.problems().join("\n");
        assert!(p.contains("tracks[0]: give either"), "{p}");
        assert!(p.contains("tracks[1]: give either"), "{p}");
        assert!(p.contains("tracks[1].gap: -1 is out of range"), "{p}");
        assert!(p.contains("sample_rate: 22050 is not allowed"), "{p}");
    }
}
