//! What the integration tests share: running the binary, finding the demo songs, reading
//! what it wrote, and temporary HOMEs whose `.asoundrc` turns ALSA's default device into
//! files, so real cpal streams open on a machine with no sound card.

// Each test crate uses its own share of these.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The binary under test, with nothing set yet.
pub fn tracksmith_command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_tracksmith"))
}

/// Runs `tracksmith ARGS` to the end.
pub fn tracksmith(args: &[&str]) -> Output {
    tracksmith_command().args(args).output().unwrap()
}

/// The demo songs in `songs/`, sorted by name.
pub fn demo_songs() -> Vec<PathBuf> {
    let mut songs: Vec<PathBuf> =
        std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("songs"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
    songs.sort();
    assert!(songs.len() >= 3, "at least three demo songs");
    songs
}

/// A WAV's format and its interleaved samples as floats (integers scaled to +-1).
pub fn read_wav(path: &Path) -> (hound::WavSpec, Vec<f32>) {
    let mut reader = hound::WavReader::open(path).unwrap();
    let spec = reader.spec();
    let samples = match spec.sample_format {
        hound::SampleFormat::Float => reader.samples::<f32>().map(Result::unwrap).collect(),
        hound::SampleFormat::Int => {
            let scale = 1.0 / (1i64 << (spec.bits_per_sample - 1)) as f32;
            reader
                .samples::<i32>()
                .map(|s| s.unwrap() as f32 * scale)
                .collect()
        }
    };
    (spec, samples)
}

/// A raw file of little-endian f32 samples, as ALSA's `file` plugin writes them.
pub fn read_raw_f32(path: &Path) -> Vec<f32> {
    std::fs::read(path)
        .unwrap_or_default()
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// Whether ALSA's configuration is installed; without it no stream can open at all.
pub fn alsa_missing() -> bool {
    let missing = !Path::new("/usr/share/alsa/alsa.conf").exists();
    if missing {
        eprintln!("skipped: ALSA is not installed (no /usr/share/alsa/alsa.conf)");
    }
    missing
}

/// The binary with `home` as HOME, so ALSA reads `home/.asoundrc` and nothing else.
pub fn command_with_home(home: &Path, args: &[&str]) -> Command {
    let mut command = tracksmith_command();
    command
        .args(args)
        .env("HOME", home)
        .env_remove("ALSA_CONFIG_PATH")
        .env_remove("XDG_CONFIG_HOME");
    command
}

/// Runs the binary to the end with `home` as HOME.
pub fn run_with_home(home: &Path, args: &[&str]) -> Output {
    command_with_home(home, args).output().unwrap()
}

/// A temporary HOME whose `.asoundrc` is `config`.
pub fn home_with_asoundrc(config: &str) -> tempfile::TempDir {
    let home = tempfile::tempdir().unwrap();
    std::fs::write(home.path().join(".asoundrc"), config).unwrap();
    home
}

/// A temporary HOME whose default device writes what is played (float stereo at 48 kHz,
/// whatever the stream asks for) to the returned raw file, or `None` without ALSA.
pub fn home_playing_to_file() -> Option<(tempfile::TempDir, PathBuf)> {
    if alsa_missing() {
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    let played = home.path().join("played.raw");
    std::fs::write(
        home.path().join(".asoundrc"),
        format!(
            "pcm.!default {{\n  type plug\n  slave {{ pcm \"capture\"; format FLOAT_LE; rate 48000; channels 2 }}\n}}\n\
             pcm.capture {{\n  type file\n  slave.pcm \"null\"\n  file \"{}\"\n  format \"raw\"\n}}\n",
            played.display()
        ),
    )
    .unwrap();
    Some((home, played))
}

/// A temporary HOME whose default device plays into `null` and captures `input`
/// (interleaved stereo f32 at 48 kHz) through the `file` plugin, or `None` without ALSA.
/// The `null` slave has no clock, so a capture runs far faster than real time.
pub fn home_capturing(input: &[f32]) -> Option<tempfile::TempDir> {
    if alsa_missing() {
        return None;
    }
    let home = tempfile::tempdir().unwrap();
    let raw = home.path().join("in.raw");
    let bytes: Vec<u8> = input.iter().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(&raw, bytes).unwrap();
    std::fs::write(
        home.path().join(".asoundrc"),
        format!(
            "pcm.!default {{ type asym; playback.pcm \"out\"; capture.pcm \"in\" }}\n\
             pcm.out {{\n  type plug\n  slave {{ pcm \"null\"; format FLOAT_LE; rate 48000; channels 2 }}\n}}\n\
             pcm.in {{\n  type file\n  slave.pcm \"null\"\n  file \"/dev/null\"\n  infile \"{}\"\n  format \"raw\"\n}}\n",
            raw.display()
        ),
    )
    .unwrap();
    Some(home)
}

/// Writes `json` as `dir/NAME.json` and renders it as 32-bit float to `dir/NAME.wav`
/// (with `extra` arguments); returns how the binary ended and the WAV's path.
pub fn render_json(dir: &Path, name: &str, json: &str, extra: &[&str]) -> (Output, PathBuf) {
    let path = dir.join(format!("{name}.json"));
    let out = dir.join(format!("{name}.wav"));
    std::fs::write(&path, json).unwrap();
    let output = tracksmith_command()
        .args(["render", path.to_str().unwrap(), "-o"])
        .arg(&out)
        .args(["--bit-depth", "32f"])
        .args(extra)
        .output()
        .unwrap();
    (output, out)
}

/// The left channel of interleaved stereo.
pub fn left_channel(frames: &[f32]) -> Vec<f32> {
    frames.iter().step_by(2).copied().collect()
}
