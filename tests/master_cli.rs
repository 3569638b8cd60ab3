//! Mastering through the real binary: loudness presets on the demo songs, the `master`
//! command's width and dither, albums with exact gaps and CUE times, and bad input.
//! Every file is read back and measured with an independent meter (libebur128's
//! algorithm in the `ebur128` crate, fed the samples as written).

use std::path::{Path, PathBuf};

mod common;

use common::{demo_songs, read_wav, tracksmith};

fn ok(args: &[&str]) -> String {
    let o = tracksmith(args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn fails(args: &[&str], wanted: &[&str]) {
    let o = tracksmith(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    for w in wanted {
        assert!(err.contains(w), "expected {w:?} in: {err}");
    }
}

fn write_wav(path: &Path, samples: &[f32], rate: u32, channels: u16) {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(path, spec).unwrap();
    for &s in samples {
        w.write_sample(s).unwrap();
    }
    w.finalize().unwrap();
}

/// (integrated LUFS, true peak dBTP) as the independent meter reads the file.
fn measure(path: &Path) -> (f64, f64) {
    let (spec, samples) = read_wav(path);
    let rate = spec.sample_rate;
    let mut m =
        ebur128::EbuR128::new(2, rate, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK).unwrap();
    m.add_frames_f32(&samples).unwrap();
    let tp = (0..2).map(|c| m.true_peak(c).unwrap()).fold(0.0, f64::max);
    (m.loudness_global().unwrap(), 20.0 * tp.log10())
}

fn check_preset(preset: &str, target: f64, ceiling: f64) {
    let dir = tempfile::tempdir().unwrap();
    for song in demo_songs() {
        let out = dir.path().join("out.wav");
        let report = dir.path().join("report.json");
        let stdout = ok(&[
            "render",
            song.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--preset",
            preset,
            "--report",
            report.to_str().unwrap(),
        ]);
        for field in [
            "integrated",
            "range",
            "short-term max",
            "true peak",
            "sample peak",
        ] {
            assert!(stdout.contains(field), "{field} missing: {stdout}");
        }
        let (lufs, true_peak) = measure(&out);
        assert!(
            (lufs - target).abs() <= 0.5,
            "{} {preset}: {lufs:.2} LUFS, target {target}",
            song.display()
        );
        assert!(
            true_peak <= ceiling + 0.1,
            "{} {preset}: {true_peak:.2} dBTP over {ceiling}",
            song.display()
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let reported = json["integrated_lufs"].as_f64().unwrap();
        assert!((reported - lufs).abs() < 0.05, "report says {reported}");
        for key in [
            "loudness_range_lu",
            "short_term_max_lufs",
            "true_peak_dbtp",
            "sample_peak_dbfs",
            "duration_seconds",
        ] {
            assert!(json[key].is_f64(), "{key} in {json}");
        }
    }
}

#[test]
fn streaming_preset_on_every_demo_song() {
    check_preset("streaming", -14.0, -1.0);
}

#[test]
fn club_preset_on_every_demo_song() {
    check_preset("club", -8.0, -0.3);
}

#[test]
fn broadcast_preset_on_every_demo_song() {
    check_preset("broadcast", -23.0, -1.0);
}

#[test]
fn podcast_preset_on_every_demo_song() {
    check_preset("podcast", -16.0, -1.0);
}

/// A few seconds of stereo music-like material: a chord, a bass line and noise hits,
/// with a different balance left and right.
fn mix(seconds: f32, level: f32, rate: u32) -> Vec<f32> {
    let mut seed = 12345u32;
    let n = (seconds * rate as f32) as usize;
    (0..n)
        .flat_map(|i| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            let t = i as f32 / rate as f32;
            let tau = std::f32::consts::TAU;
            let chord = (tau * 220.0 * t).sin() + (tau * 277.2 * t).sin() + (tau * 329.6 * t).sin();
            let bass = (tau * 55.0 * t).sin();
            let hit = (-(t % 0.5) * 25.0).exp() * noise;
            [
                level * (0.2 * chord + 0.5 * bass + 0.6 * hit),
                level * (0.25 * chord + 0.5 * bass + 0.4 * hit),
            ]
        })
        .collect()
}

#[test]
fn width_zero_is_mono_and_width_100_leaves_the_mix_alone() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mix.wav");
    let source = mix(3.0, 0.4, 48_000);
    write_wav(&input, &source, 48_000, 2);
    let out = dir.path().join("out.wav");
    let master = |width: &str| {
        ok(&[
            "master",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--preset",
            "none",
            "--bit-depth",
            "32f",
            "--width",
            width,
        ]);
        read_wav(&out).1
    };
    let mono = master("0");
    assert_eq!(mono.len(), source.len());
    assert!(mono.chunks_exact(2).all(|f| f[0] == f[1]));
    assert!(mono.iter().any(|x| x.abs() > 0.1));
    let same = master("100");
    assert!(same == source, "100 % width changed the mix");
}

/// Power in each of 16 bands of the spectrum of `error`, in dB.
fn bands_db(error: &[f32]) -> Vec<f32> {
    use rustfft::{FftPlanner, num_complex::Complex};
    let mut buf: Vec<Complex<f32>> = error.iter().map(|&e| Complex::new(e, 0.0)).collect();
    let n = buf.len();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    buf[1..n / 2]
        .chunks(n / 32)
        .map(|b| 10.0 * b.iter().map(|c| c.norm_sqr()).sum::<f32>().log10())
        .collect()
}

#[test]
fn sixteen_bit_export_is_dithered_and_float_is_not() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("quiet.wav");
    // A 1 kHz sine of three 16-bit steps: plain rounding would turn it into harmonics.
    let n = 1 << 15;
    let source: Vec<f32> = (0..n)
        .flat_map(|i| {
            let x = 3.0 / 32_768.0 * (std::f32::consts::TAU * 1_000.0 * i as f32 / 48_000.0).sin();
            [x, x]
        })
        .collect();
    write_wav(&input, &source, 48_000, 2);
    let out = dir.path().join("out.wav");
    let export = |depth: &str| {
        ok(&[
            "master",
            input.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--preset",
            "none",
            "--bit-depth",
            depth,
        ]);
        read_wav(&out).1
    };
    let float = export("32f");
    assert!(float == source, "32-bit float is written as it is");
    let sixteen = export("16");
    let error: Vec<f32> = sixteen
        .iter()
        .zip(&source)
        .step_by(2)
        .map(|(q, x)| q - x)
        .collect();
    let bands = bands_db(&error);
    let (lo, hi) = bands
        .iter()
        .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
    assert!(
        hi - lo < 3.0,
        "error spectrum spread {:.1} dB: not flat",
        hi - lo
    );
    let rms = (error.iter().map(|e| e * e).sum::<f32>() / error.len() as f32).sqrt() * 32_768.0;
    // TPDF dither of ±1 LSB plus rounding: 0.5 LSB RMS in all.
    assert!((rms - 0.5).abs() < 0.05, "error {rms} LSB RMS");
}

#[test]
fn master_reaches_a_custom_target_from_a_mono_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("mono.wav");
    let stereo = mix(6.0, 0.2, 44_100);
    let mono: Vec<f32> = stereo.chunks_exact(2).map(|f| f[0]).collect();
    write_wav(&input, &mono, 44_100, 1);
    let out = dir.path().join("out.wav");
    let stdout = ok(&[
        "master",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--target-lufs",
        "-11",
        "--ceiling",
        "-0.5",
    ]);
    assert!(stdout.contains("target -11.0 LUFS"), "{stdout}");
    let (lufs, tp) = measure(&out);
    assert!((lufs + 11.0).abs() <= 0.5, "{lufs}");
    assert!(tp <= -0.4, "{tp}");
    let spec = hound::WavReader::open(&out).unwrap().spec();
    assert_eq!(
        (spec.channels, spec.sample_rate, spec.bits_per_sample),
        (2, 44_100, 24)
    );
}

#[test]
fn master_refuses_bad_input_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("mix.wav");
    write_wav(&input, &mix(1.0, 0.3, 48_000), 48_000, 2);
    let out = d.join("out.wav");
    let (i, o) = (input.to_str().unwrap(), out.to_str().unwrap());
    fails(
        &["master", i, "-o", o, "--width", "300"],
        &["--width: 300 is out of range (allowed 0 to 200 %)"],
    );
    fails(
        &["master", i, "-o", o, "--target-lufs", "2"],
        &["--target-lufs: 2 is out of range"],
    );
    fails(
        &["master", "nope.wav", "-o", o],
        &["nope.wav", "cannot be read"],
    );
    let chain = d.join("chain.json");
    std::fs::write(&chain, "{\n  \"eq\": {\"mid1\": {\"gain_db\": 40}}\n}\n").unwrap();
    let c = chain.to_str().unwrap();
    fails(
        &["master", i, "-o", o, "--chain", c],
        &["chain.json: eq.mid1.gain_db: 40 is out of range"],
    );
    std::fs::write(&chain, "{\n  \"width\": {\"width_percent\": \"wide\"}\n}\n").unwrap();
    fails(
        &["master", i, "-o", o, "--chain", c],
        &["chain.json:2:", "width.width_percent", "invalid type"],
    );
    assert!(!out.exists(), "no output is left behind");
}

/// A short song (two bars of kick and a saw) beside a copy of the kick sample.
fn short_song(dir: &Path, name: &str, level: &str) -> PathBuf {
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/kick.wav"),
        dir.join("kick.wav"),
    )
    .unwrap();
    let text = format!(
        r#"{{
  "format": 1, "title": "{name}", "tempo": 150, "render": {{"tail": 0.5}},
  "instruments": [{{"name": "Lead", "synth": {{}}}}, {{"name": "Kick", "sampler": {{"path": "kick.wav"}}}}],
  "mixer": {{"channels": [{{"name": "A"}}, {{"name": "B"}}]}},
  "patterns": [{{"name": "P", "length": 32, "rows": {{
    "0": "C-4 01 {level} ... | C-4 02", "8": "D#4 01 {level} ... | C-4 02",
    "16": "G-3 01 {level} ... | C-4 02", "24": "A#3 01 {level} ... | C-4 02"}}}}],
  "arrangement": [{{"pattern": "P", "section": "verse"}}]
}}"#
    );
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, text).unwrap();
    path
}

fn album_report(dir: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn album_gaps_are_exact_cue_times_match_and_album_mode_keeps_differences() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    short_song(d, "one", "40");
    write_wav(&d.join("loud.wav"), &mix(5.0, 0.3, 48_000), 48_000, 2);
    write_wav(&d.join("quiet.wav"), &mix(4.0, 0.1, 48_000), 48_000, 2);
    let album = d.join("album.json");
    std::fs::write(
        &album,
        r#"{
  "format": 1, "title": "Test \"Album\"", "artist": "tracksmith",
  "target_lufs": -18, "ceiling_db": -1, "loudness": "album", "bit_depth": "32f",
  "tracks": [
    {"wav": "loud.wav", "gap": 1.5, "fade_in": 0.2},
    {"wav": "quiet.wav", "title": "Quiet one", "gap": 0},
    {"song": "one.json", "gap": 0.7371, "fade_out": 0.5}
  ]
}"#,
    )
    .unwrap();
    let out = d.join("out");
    let stdout = ok(&[
        "album",
        album.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(
        stdout.contains("Quiet one") && stdout.contains("album"),
        "{stdout}"
    );
    let report = album_report(&out);
    let tracks = report["tracks"].as_array().unwrap();
    assert_eq!(tracks.len(), 3);

    let (spec, album_audio) = read_wav(&out.join("album.wav"));
    let rate = spec.sample_rate;
    let cue = std::fs::read_to_string(out.join("album.cue")).unwrap();
    let indexes: Vec<&str> = cue
        .lines()
        .filter_map(|l| l.trim().strip_prefix("INDEX 01 "))
        .collect();
    assert_eq!(indexes.len(), 3, "{cue}");
    let mut position = 0u64;
    for (i, t) in tracks.iter().enumerate() {
        let start = t["start_frame"].as_u64().unwrap();
        assert_eq!(start, position, "track {i} starts right after the last gap");
        let (_, track) = read_wav(Path::new(t["file"].as_str().unwrap()));
        let frames = track.len() as u64 / 2;
        let s = start as usize * 2;
        assert!(
            album_audio[s..s + track.len()] == track[..],
            "track {i} sits in album.wav exactly at frame {start}"
        );
        let gap = t["gap_frames"].as_u64().unwrap();
        let wanted_gap = [1.5, 0.0, 0.7371][i] * f64::from(rate);
        assert_eq!(gap, wanted_gap.round() as u64);
        let after = &album_audio[s + track.len()..s + track.len() + 2 * gap as usize];
        assert!(after.iter().all(|&x| x == 0.0), "the gap is silence");
        // mm:ss:ff at 75 frames a second, rounded to the nearest frame.
        let parts: Vec<u64> = indexes[i].split(':').map(|p| p.parse().unwrap()).collect();
        let cue_frames = (parts[0] * 60 + parts[1]) * 75 + parts[2];
        let cue_samples = cue_frames as f64 * f64::from(rate) / 75.0;
        assert!(
            (cue_samples - start as f64).abs() <= f64::from(rate) / 150.0,
            "track {i}: CUE {} is not the nearest frame to sample {start}",
            indexes[i]
        );
        position = start + frames + gap;
    }
    assert_eq!(
        album_audio.len() as u64 / 2,
        position,
        "album.wav ends with the last gap"
    );
    assert_eq!(report["frames"].as_u64().unwrap(), position);

    // The two mixes differ by 9.5 dB going in; album mode keeps that difference.
    let (loud, _) = measure(Path::new(tracks[0]["file"].as_str().unwrap()));
    let (quiet, _) = measure(Path::new(tracks[1]["file"].as_str().unwrap()));
    let (loud_in, _) = measure(&d.join("loud.wav"));
    let (quiet_in, _) = measure(&d.join("quiet.wav"));
    let (before, after) = (loud_in - quiet_in, loud - quiet);
    assert!(
        (before - after).abs() <= 0.5,
        "difference {before:.2} LU going in, {after:.2} LU out"
    );
    let (whole, tp) = measure(&out.join("album.wav"));
    assert!((whole + 18.0).abs() <= 0.5, "album at {whole} LUFS");
    assert!(tp <= -0.9, "{tp}");
}

#[test]
fn album_per_track_mode_brings_every_track_to_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    short_song(d, "one", "20");
    write_wav(&d.join("quiet.wav"), &mix(4.0, 0.05, 44_100), 44_100, 2);
    let album = d.join("album.json");
    std::fs::write(
        &album,
        r#"{"format": 1, "title": "T", "preset": "podcast", "sample_rate": 44100,
            "tracks": [{"song": "one.json", "gap": 2}, {"wav": "quiet.wav"}]}"#,
    )
    .unwrap();
    let out = d.join("out");
    ok(&[
        "album",
        album.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    for t in album_report(&out)["tracks"].as_array().unwrap() {
        let (lufs, tp) = measure(Path::new(t["file"].as_str().unwrap()));
        assert!((lufs + 16.0).abs() <= 0.5, "{t}: {lufs}");
        assert!(tp <= -0.9, "{t}: {tp}");
    }
}

#[test]
fn album_bad_input_names_the_file_and_place() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = d.join("out");
    let o = out.to_str().unwrap();
    let cases: [(&str, &[&str]); 5] = [
        (
            "{\"format\": 1, \"title\": \"T\",\n \"tracks\": [{\"song\": \"a.json\", \"gap\": -2}]}",
            &["album.json: tracks[0].gap: -2 is out of range (allowed 0 to 600 s)"],
        ),
        (
            "{\"format\": 1, \"title\": \"T\",\n \"tracks\": [{\"song\": \"a.json\", \"gpa\": 2}]}",
            &["album.json:2:", "tracks[0]", "unknown field `gpa`"],
        ),
        (
            "{\"format\": 1, \"title\": \"T\", \"tracks\": [{\"wav\": \"x.wav\", \"song\": \"a.json\"}]}",
            &["tracks[0]: give either \"song\""],
        ),
        (
            "{\"format\": 1, \"title\": \"T\", \"tracks\": [{\"song\": \"missing.json\"}]}",
            &["missing.json: cannot read"],
        ),
        (
            "{\"format\": 1, \"title\": \"T\" \"tracks\": []}",
            &["album.json:1:", "expected"],
        ),
    ];
    for (text, wanted) in cases {
        std::fs::write(d.join("album.json"), text).unwrap();
        fails(
            &["album", d.join("album.json").to_str().unwrap(), "-o", o],
            wanted,
        );
        assert!(!out.join("album.wav").exists());
    }
}
