//! Recording through a real cpal input stream on ALSA, with no sound card: ALSA's `file`
//! plugin (set up by an `.asoundrc` in a temporary HOME) plays a raw file we wrote as
//! what the device captures (`infile`), and the take the binary writes is compared with
//! it sample for sample. The plugin's `null` slave has no clock, so the capture runs far
//! faster than real time: a 61-second take takes well under a second.

use std::path::{Path, PathBuf};
use std::process::Stdio;

mod common;

use common::{
    alsa_missing, command_with_home, home_capturing, home_with_asoundrc, read_wav, run_with_home,
};

const RATE: usize = 48_000;
/// Frames of digital silence, then of noise at -60 dBFS (below the default trim level of
/// -50 dBFS), before the signal proper begins.
const SILENCE: usize = 12_000;
const WHISPER: usize = 2_400;
const SIGNAL_START: usize = SILENCE + WHISPER;

/// A deterministic stereo signal, different in each channel, `frames` long, as the
/// device delivers it: interleaved f32.
fn signal(frames: usize) -> Vec<f32> {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut noise = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32 * 2.0 - 1.0
    };
    let mut out = Vec::with_capacity(2 * frames);
    for i in 0..frames {
        let gain = if i < SILENCE {
            0.0
        } else if i < SIGNAL_START {
            0.001 // -60 dBFS
        } else {
            // A slow swell, so the level varies over the take.
            0.3 + 0.5 * (i as f32 / RATE as f32 * 0.7).sin().abs()
        };
        out.push(gain * noise());
        out.push(gain * noise());
    }
    out
}

fn first_difference(a: &[f32], b: &[f32]) -> Option<usize> {
    a.iter()
        .zip(b)
        .position(|(x, y)| x.to_bits() != y.to_bits())
}

#[test]
fn a_61_second_take_is_the_input_sample_for_sample_after_the_trim() {
    let seconds = 61;
    let input = signal((seconds + 2) * RATE);
    let Some(home) = home_capturing(&input) else {
        return;
    };
    let take = home.path().join("take.wav");
    let out = run_with_home(
        home.path(),
        &[
            "record",
            take.to_str().unwrap(),
            "--seconds",
            &seconds.to_string(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "record failed: {stdout}{stderr}");
    assert!(
        stdout.contains("from default (48000 Hz, 2 channels, f32 input)"),
        "the device was opened as the test's input file is written: {stdout}"
    );
    assert!(stdout.contains(" 0 samples dropped"), "{stdout}");
    assert!(!stderr.contains("ALSA"), "ALSA printed: {stderr}");

    let (spec, samples) = read_wav(&take);
    assert_eq!(spec.channels, 2);
    assert_eq!(spec.sample_rate, RATE as u32);
    assert_eq!(spec.sample_format, hound::SampleFormat::Float);
    let expected = &input[2 * SIGNAL_START..2 * seconds * RATE];
    assert_eq!(
        samples.len(),
        expected.len(),
        "{seconds} s less the {SIGNAL_START} frames of leading silence"
    );
    assert_eq!(first_difference(&samples, expected), None);
    assert!(stdout.contains("1:00.700 from default"), "{stdout}");
    assert!(
        stdout.contains("0:00.300 of leading silence trimmed"),
        "{stdout}"
    );

    // The whole take, silence and all, when asked.
    let whole = home.path().join("whole.wav");
    let out = run_with_home(
        home.path(),
        &[
            "record",
            whole.to_str().unwrap(),
            "--seconds",
            "1",
            "--no-trim",
        ],
    );
    assert!(out.status.success());
    let (_, samples) = read_wav(&whole);
    assert_eq!(first_difference(&samples, &input[..2 * RATE]), None);
    assert_eq!(samples.len(), 2 * RATE);

    // A higher trim level cuts deeper: to the swell's first sample over -3 dBFS.
    let loud = home.path().join("loud.wav");
    let out = run_with_home(
        home.path(),
        &[
            "record",
            loud.to_str().unwrap(),
            "--seconds",
            "2",
            "--trim-below",
            "-3",
        ],
    );
    assert!(out.status.success());
    let threshold = 10f32.powf(-3.0 / 20.0);
    let first_loud = input
        .chunks_exact(2)
        .position(|f| f.iter().any(|x| x.abs() >= threshold))
        .unwrap();
    assert!(first_loud > SIGNAL_START);
    let (_, samples) = read_wav(&loud);
    assert_eq!(
        first_difference(&samples, &input[2 * first_loud..4 * RATE]),
        None
    );
    assert_eq!(samples.len(), 2 * (2 * RATE - first_loud));
}

#[test]
fn an_existing_file_is_never_overwritten_unless_asked() {
    let input = signal(RATE);
    let Some(home) = home_capturing(&input) else {
        return;
    };
    let take = home.path().join("take.wav");
    std::fs::write(&take, "a file worth keeping").unwrap();
    let out = run_with_home(
        home.path(),
        &["record", take.to_str().unwrap(), "--seconds", "0.5"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("take.wav: already exists; not overwriting it"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read_to_string(&take).unwrap(),
        "a file worth keeping"
    );

    let out = run_with_home(
        home.path(),
        &[
            "record",
            take.to_str().unwrap(),
            "--seconds",
            "0.5",
            "--overwrite",
        ],
    );
    assert!(out.status.success());
    let (_, samples) = read_wav(&take);
    assert_eq!(samples.len(), 2 * (RATE / 2 - SIGNAL_START));
}

/// Files in `dir` other than the ones the test made.
fn leftovers(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy();
            !matches!(name.as_ref(), ".asoundrc" | "in.raw")
        })
        .collect()
}

#[test]
fn ctrl_c_ends_the_take_with_a_valid_file() {
    // Longer than the take can get before the signal lands.
    let input = signal(30 * RATE);
    let Some(home) = home_capturing(&input) else {
        return;
    };
    let take = home.path().join("take.wav");
    let child = command_with_home(home.path(), &["record", take.to_str().unwrap()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The take is being written once its temporary file is there.
    let started = std::time::Instant::now();
    while leftovers(home.path()).is_empty() {
        assert!(started.elapsed().as_secs() < 10, "the take never started");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    // SAFETY: sending a signal to our own child process.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stdout}{stderr}");
    assert!(stdout.starts_with("stopped, wrote "), "{stdout}");
    // hound checks the header against the data: a file not finalised fails here.
    let (spec, samples) = read_wav(&take);
    assert_eq!(spec.channels, 2);
    assert!(!samples.is_empty());
    let compared = samples.len().min(input.len() - 2 * SIGNAL_START);
    assert_eq!(
        first_difference(&samples[..compared], &input[2 * SIGNAL_START..]),
        None
    );
    assert_eq!(leftovers(home.path()), vec![take], "no temporary file left");
}

#[test]
fn without_an_input_device_record_says_so_and_leaves_no_file() {
    if alsa_missing() {
        return;
    }
    let home = home_with_asoundrc("pcm.!default { type hw; card \"NoSuchCard\" }\n");
    let take = home.path().join("take.wav");
    let out = run_with_home(
        home.path(),
        &["record", take.to_str().unwrap(), "--seconds", "1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line of ours, no ALSA noise: {stderr}");
    assert!(
        lines[0].starts_with("tracksmith: no audio input"),
        "{stderr}"
    );
    assert!(
        stderr.contains("NoSuchCard"),
        "the cause is quoted: {stderr}"
    );
    assert!(!take.exists());
    assert_eq!(leftovers(home.path()), Vec::<PathBuf>::new());

    let out = run_with_home(
        home.path(),
        &["record", take.to_str().unwrap(), "--input-device", "nope"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no audio input device named \"nope\" (inputs: "),
        "{stderr}"
    );
    assert!(stderr.contains("null"), "the inputs are listed: {stderr}");
    assert_eq!(leftovers(home.path()), Vec::<PathBuf>::new());
}

#[test]
fn bad_record_arguments_are_refused_before_anything_opens() {
    let home = tempfile::tempdir().unwrap();
    for (args, expected) in [
        (
            &["record", "x.wav", "--seconds", "0"][..],
            "allowed: a number of seconds above 0",
        ),
        (
            &["record", "x.wav", "--trim-below", "6"][..],
            "allowed: -120 to 0 (dBFS)",
        ),
    ] {
        let out = run_with_home(home.path(), args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
    }
    let input = signal(RATE);
    let Some(home) = home_capturing(&input) else {
        return;
    };
    let missing = home.path().join("no/such/dir/take.wav");
    let out = run_with_home(
        home.path(),
        &["record", missing.to_str().unwrap(), "--seconds", "1"],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no/such/dir/take.wav: cannot be written"),
        "{stderr}"
    );
    assert_eq!(leftovers(home.path()), Vec::<PathBuf>::new());
}
