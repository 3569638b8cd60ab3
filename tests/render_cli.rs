//! Drives the real `tracksmith` binary: rendering the demo songs and refusing bad input.

use std::path::{Path, PathBuf};
use std::process::Output;

mod common;

use common::{demo_songs, read_wav, tracksmith};

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn render(song: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "render",
        song.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = tracksmith(&args);
    assert!(o.status.success(), "{}: {}", song.display(), stderr(&o));
    o
}

/// The frame count `info` reports in its duration line.
fn info_frames(song: &Path) -> u64 {
    let o = tracksmith(&["info", song.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("duration:"))
        .expect("a duration line");
    let inside = line.split('(').nth(1).unwrap();
    inside.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn every_demo_song_renders_to_its_full_length_within_the_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    for song in demo_songs() {
        let out = dir.path().join("out.wav");
        let o = render(&song, &out, &["--bit-depth", "32f"]);
        assert!(stdout(&o).contains("realtime"), "{}", stdout(&o));
        let (spec, samples) = read_wav(&out);
        assert_eq!(spec.channels, 2);
        let frames = samples.len() as u64 / 2;
        assert_eq!(frames, info_frames(&song), "{}", song.display());
        assert!(
            frames as f64 / f64::from(spec.sample_rate) >= 60.0,
            "{} is under 60 s",
            song.display()
        );
        let text = std::fs::read_to_string(&song).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let ceiling_db = value["master"]["ceiling_db"].as_f64().unwrap_or(-1.0);
        let ceiling = 10f64.powf(ceiling_db / 20.0) as f32;
        let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
        assert!(
            peak <= ceiling,
            "{}: peak {peak} over {ceiling}",
            song.display()
        );
        let rms =
            (samples.iter().map(|s| f64::from(s * s)).sum::<f64>() / samples.len() as f64).sqrt();
        assert!(rms > 0.03, "{}: nearly silent (rms {rms})", song.display());
    }
}

#[test]
fn renders_are_byte_identical_and_block_size_does_not_matter() {
    let dir = tempfile::tempdir().unwrap();
    let song = &demo_songs()[0];
    let wav = |name: &str, block: &str| {
        let out = dir.path().join(name);
        render(song, &out, &["--block-size", block]);
        std::fs::read(out).unwrap()
    };
    let reference = wav("a.wav", "512");
    assert!(wav("b.wav", "512") == reference, "two renders differ");
    assert!(wav("c.wav", "64") == reference, "block size 64 differs");
    assert!(wav("d.wav", "4096") == reference, "block size 4096 differs");
}

#[test]
fn sample_rate_and_bit_depth_are_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let song = &demo_songs()[0];
    for (rate, depth, bits, format) in [
        ("44100", "16", 16, hound::SampleFormat::Int),
        ("96000", "24", 24, hound::SampleFormat::Int),
        ("88200", "32f", 32, hound::SampleFormat::Float),
    ] {
        let out = dir.path().join("x.wav");
        render(song, &out, &["--sample-rate", rate, "--bit-depth", depth]);
        let spec = hound::WavReader::open(&out).unwrap().spec();
        assert_eq!(spec.sample_rate.to_string(), rate);
        assert_eq!((spec.bits_per_sample, spec.sample_format), (bits, format));
    }
}

/// Writes `text` as a song beside a copy of the kit, and returns its path.
fn bad_song(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

const GOOD: &str = r#"{
  "format": 1,
  "tempo": 120,
  "instruments": [
    {"name": "Lead", "synth": {}},
    {"name": "Kick", "sampler": {"path": "kick.wav"}}
  ],
  "mixer": {"channels": [{"name": "A"}, {"name": "B"}]},
  "patterns": [{"name": "P", "length": 16, "rows": {"0": "C-4 01 40 ... | C-4 02"}}],
  "arrangement": [{"pattern": "P", "section": "intro"}]
}"#;

fn expect_failure(song: &Path, out: &Path, wanted: &[&str]) {
    let o = tracksmith(&[
        "render",
        song.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in wanted {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
    assert!(!out.exists(), "no output file is left behind");
    let leftovers = std::fs::read_dir(out.parent().unwrap())
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".tmp")
        })
        .count();
    assert_eq!(leftovers, 0, "no temporary file is left behind");
}

#[test]
fn bad_input_gets_a_clear_message_and_exit_code_1() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/kick.wav"),
        d.join("kick.wav"),
    )
    .unwrap();
    let out = d.join("out.wav");

    let good = bad_song(d, "good.json", GOOD);
    render(&good, &out, &[]);
    std::fs::remove_file(&out).unwrap();

    let cases: Vec<(&str, String, Vec<&str>)> = vec![
        (
            "syntax.json",
            GOOD.replace("\"tempo\": 120,", "\"tempo\": 120"),
            vec!["syntax.json:4:", "expected"],
        ),
        (
            "type.json",
            GOOD.replace("\"tempo\": 120", "\"tempo\": \"fast\""),
            vec!["type.json:3:", "tempo", "invalid type"],
        ),
        (
            "range.json",
            GOOD.replace("\"tempo\": 120", "\"tempo\": 4000"),
            vec!["range.json: tempo: 4000 is out of range (allowed 20 to 999 BPM)"],
        ),
        (
            "pattern.json",
            GOOD.replace("\"pattern\": \"P\"", "\"pattern\": \"Chorus\""),
            vec!["arrangement[0].pattern", "no pattern is named \"Chorus\""],
        ),
        (
            "instrument.json",
            GOOD.replace("C-4 02", "C-4 07"),
            vec!["patterns[0].rows[0] channel 2: instrument 07 does not exist"],
        ),
        (
            "cell.json",
            GOOD.replace("C-4 02", "X-4 02"),
            vec!["patterns[0].rows.0", "channel 2", "not a note"],
        ),
        (
            "missing.json",
            GOOD.replace("kick.wav", "nope.wav"),
            vec!["instruments[1].sampler.path", "nope.wav", "cannot be read"],
        ),
    ];
    for (name, text, wanted) in cases {
        let song = bad_song(d, name, &text);
        expect_failure(&song, &out, &wanted);
    }

    std::fs::write(d.join("corrupt.wav"), b"RIFF\x10\x00\x00\x00WAVEjunk").unwrap();
    let song = bad_song(d, "corrupt.json", &GOOD.replace("kick.wav", "corrupt.wav"));
    expect_failure(&song, &out, &["corrupt.wav", "not a readable WAV"]);

    let missing_dir = d.join("no/such/dir/out.wav");
    let o = tracksmith(&[
        "render",
        good.to_str().unwrap(),
        "-o",
        missing_dir.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no/such/dir/out.wav: cannot write"),
        "{}",
        stderr(&o)
    );

    let o = tracksmith(&[
        "render",
        d.join("absent.json").to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("absent.json: cannot read"),
        "{}",
        stderr(&o)
    );

    let o = tracksmith(&[
        "render",
        good.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--sample-rate",
        "12345",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("sample rate 12345 is not allowed"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_existing_output_survives_a_failed_render() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("keep.wav");
    std::fs::write(&out, b"previous render").unwrap();
    let song = bad_song(dir.path(), "bad.json", "{ nope");
    let o = tracksmith(&[
        "render",
        song.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(std::fs::read(&out).unwrap(), b"previous render");
}

#[test]
fn info_lists_the_arrangement_with_sections_and_times() {
    let song = &demo_songs()[0];
    let o = tracksmith(&["info", song.to_str().unwrap()]);
    assert!(o.status.success());
    let text = stdout(&o);
    for field in [
        "title:",
        "tempo:",
        "key:",
        "channels:",
        "patterns:",
        "arrangement:",
        "duration:",
    ] {
        assert!(text.contains(field), "{field} missing from:\n{text}");
    }
    assert!(text.contains("intro") && text.contains("outro"), "{text}");
    assert!(
        text.contains("0:00.000"),
        "the first section starts at zero:\n{text}"
    );
}

#[test]
fn stems_are_written_beside_the_mix_one_per_channel_and_bus() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/kick.wav"),
        d.join("kick.wav"),
    )
    .unwrap();
    let text = GOOD.replace(
        r#"{"name": "A"}, {"name": "B"}"#,
        r#"{"name": "Lead", "sends": {"reverb": {"level_db": -6}, "delay": {"level_db": -9}}},
           {"name": "Kick", "compressor": {"bypass": false}}"#,
    );
    let song = bad_song(d, "mixed.json", &text);
    let out = d.join("mix.wav");
    let stems = d.join("stems");
    let o = render(
        &song,
        &out,
        &["--bit-depth", "32f", "--stems", stems.to_str().unwrap()],
    );
    assert!(stdout(&o).contains("wrote 4 stems"), "{}", stdout(&o));
    let (_, mix) = read_wav(&out);
    let mut names: Vec<String> = std::fs::read_dir(&stems)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "01-Lead.wav",
            "02-Kick.wav",
            "bus-delay.wav",
            "bus-reverb.wav"
        ]
    );
    for name in &names {
        let (spec, samples) = read_wav(&stems.join(name));
        assert_eq!(spec.channels, 2);
        assert_eq!(samples.len(), mix.len(), "{name} is as long as the mix");
        let peak = samples.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(peak > 0.01, "{name} is not silent");
    }

    // A stems folder that cannot be made is an error, and leaves nothing behind.
    let blocked = d.join("file");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let o = tracksmith(&[
        "render",
        song.to_str().unwrap(),
        "-o",
        d.join("again.wav").to_str().unwrap(),
        "--stems",
        blocked.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
    assert!(!d.join("again.wav").exists(), "no mix without its stems");
}

#[test]
fn make_kit_writes_the_bundled_samples_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let o = tracksmith(&["make-kit", dir.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let bundled = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let mut made: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    made.sort();
    assert!(made.len() >= 8, "a kit of at least 8 sounds: {made:?}");
    for name in made {
        let ours = std::fs::read(dir.path().join(&name)).unwrap();
        let theirs = std::fs::read(bundled.join(&name)).unwrap();
        assert!(ours == theirs, "{name:?} differs from samples/");
    }
}
