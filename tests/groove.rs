//! Grooves, measured in WAVs rendered by the real binary: every row of a pattern starts
//! a short constant-level sample, so each note's first sample and its level can be read
//! straight off the render and compared with where the groove says it belongs.

use std::path::Path;

mod common;

use common::{left_channel, read_wav, render_json, tracksmith_command};

const RATE: f64 = 48_000.0;
const TEMPO: f64 = 130.0;
const ROWS_PER_BEAT: usize = 4;
const ROWS: usize = 16;
/// Frames of one row (fractional: 130 BPM does not divide 48 kHz evenly).
const ROW: f64 = RATE * 60.0 / (TEMPO * ROWS_PER_BEAT as f64);
/// The level of the sample, and what the centred pan law leaves of it.
const LEVEL: f64 = 0.5 * std::f64::consts::FRAC_1_SQRT_2;

/// A song whose only channel plays a note on every row. `song_fields` go at the top
/// level, `pattern_fields` into the pattern.
fn song(song_fields: &str, pattern_fields: &str) -> String {
    let rows: Vec<String> = (0..ROWS).map(|r| format!("\"{r}\": \"C-4 01\"")).collect();
    format!(
        r#"{{
  "format": 1, "tempo": {TEMPO}, "speed": 6, "rows_per_beat": {ROWS_PER_BEAT} {song_fields},
  "render": {{ "sample_rate": 48000, "tail": 0.1 }},
  "instruments": [ {{ "name": "Dc", "gain_db": 0.0, "sampler": {{ "path": "dc.wav",
      "amp": {{ "attack": 0.0, "decay": 0.0, "sustain": 1.0, "release": 0.0 }} }} }} ],
  "mixer": {{ "channels": [ {{ "name": "Dc" }} ] }},
  "master": {{ "eq": {{ "bypass": true }}, "compressor": {{ "bypass": true }},
              "width": {{ "bypass": true }}, "limiter": {{ "bypass": true }} }},
  "patterns": [ {{ "name": "P", "length": {ROWS} {pattern_fields}, "rows": {{ {} }} }} ],
  "arrangement": [ {{ "pattern": "P" }} ]
}}"#,
        rows.join(", ")
    )
}

/// Renders `song` beside a 1000-frame constant 0.5 sample; returns the left channel.
fn render(dir: &Path, song: &str) -> Vec<f32> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 32,
        sample_format: hound::SampleFormat::Float,
    };
    let mut w = hound::WavWriter::create(dir.join("dc.wav"), spec).unwrap();
    for _ in 0..1_000 {
        w.write_sample(0.5f32).unwrap();
    }
    w.finalize().unwrap();
    let (o, out) = render_json(dir, "groove", song, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    left_channel(&read_wav(&out).1)
}

/// Every note's first sample and its level 100 frames in.
fn onsets(out: &[f32]) -> Vec<(usize, f64)> {
    let mut found = Vec::new();
    let mut i = 0;
    while i < out.len() {
        if out[i] != 0.0 {
            found.push((i, f64::from(out[i + 100])));
            i += 1_100;
        } else {
            i += 1;
        }
    }
    found
}

/// Checks onsets at `row·ROW + delay(row)·ROW` (rounded up to a whole frame, as the
/// sequencer schedules) and levels of `accent(row)`.
fn check(name: &str, out: &[f32], delay: impl Fn(usize) -> f64, accent: impl Fn(usize) -> f64) {
    let found = onsets(out);
    assert_eq!(found.len(), ROWS, "{name}: one onset a row");
    for (row, &(at, level)) in found.iter().enumerate() {
        let expected = (row as f64 * ROW + delay(row) * ROW).ceil() as usize;
        assert_eq!(at, expected, "{name}: row {row}");
        let expected_level = LEVEL * accent(row);
        assert!(
            (level - expected_level).abs() < 1e-5,
            "{name}: row {row} level {level}, expected {expected_level}"
        );
    }
}

fn full(_: usize) -> f64 {
    1.0
}

#[test]
fn each_preset_puts_every_onset_on_its_sample() {
    let dir = tempfile::tempdir().unwrap();
    check(
        "no groove",
        &render(dir.path(), &song("", "")),
        |_| 0.0,
        full,
    );
    check(
        "straight",
        &render(dir.path(), &song(r#", "groove": "straight""#, "")),
        |_| 0.0,
        full,
    );
    for percent in [54.0, 62.0, 66.0, 75.0] {
        let out = render(
            dir.path(),
            &song(&format!(r#", "groove": "swing {percent}""#), ""),
        );
        // MPC swing: the second 16th of each 8th sits at `percent` of the 8th.
        let late = |row: usize| {
            if row % 2 == 1 {
                2.0 * percent / 100.0 - 1.0
            } else {
                0.0
            }
        };
        check(&format!("swing {percent}"), &out, late, full);
    }
    let out = render(dir.path(), &song(r#", "groove": "house""#, ""));
    check(
        "house",
        &out,
        |row| if row % 2 == 1 { 0.16 } else { 0.0 },
        |row| match row % 4 {
            0 => 1.0,
            2 => 0.9,
            _ => 0.7,
        },
    );
    // The 16ths of a beat on an 8th-note triplet grid: at 0, 1/3, 2/3 and 5/6 of a beat.
    let out = render(dir.path(), &song(r#", "groove": "triplet""#, ""));
    check(
        "triplet",
        &out,
        |row| [0.0, 4.0 / 3.0 - 1.0, 8.0 / 3.0 - 2.0, 10.0 / 3.0 - 3.0][row % 4],
        |row| if row % 4 == 0 { 1.0 } else { 0.8 },
    );
}

#[test]
fn legacy_swing_custom_tables_and_pattern_overrides() {
    let dir = tempfile::tempdir().unwrap();
    // A song written before grooves: `swing` 30 delays odd rows by 30 % of a row.
    let out = render(dir.path(), &song(r#", "swing": 30"#, ""));
    check(
        "swing field",
        &out,
        |r| if r % 2 == 1 { 0.3 } else { 0.0 },
        full,
    );
    // A two-beat table of its own, with accents.
    // As the file holds them: single precision.
    let timing: Vec<f64> = (0..8)
        .map(|r| f64::from([0.0, 0.1, 0.05, 0.25][r % 4] * (1 + r / 4) as f32))
        .collect();
    let accents: Vec<f64> = (0..8).map(|r| f64::from(1.0 - r as f32 * 0.1)).collect();
    let table =
        format!(r#", "groove": {{"beats": 2, "timing": {timing:?}, "accents": {accents:?}}}"#);
    let out = render(dir.path(), &song(&table, ""));
    check("table", &out, |r| timing[r % 8], |r| accents[r % 8]);
    // The pattern's own groove wins over the song's.
    let out = render(
        dir.path(),
        &song(r#", "groove": "swing 75""#, r#", "groove": "house""#),
    );
    check(
        "pattern override",
        &out,
        |row| if row % 2 == 1 { 0.16 } else { 0.0 },
        |row| match row % 4 {
            0 => 1.0,
            2 => 0.9,
            _ => 0.7,
        },
    );
}

#[test]
fn bad_grooves_are_named_by_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    for (fields, pattern, wanted) in [
        (
            r#", "groove": "swing 80""#,
            "",
            "groove: swing 80 is out of range (allowed 50 to 75 %)",
        ),
        (r#", "groove": "shuffle""#, "", "not a groove"),
        (
            r#", "groove": {"beats": 1, "timing": [0, 0.9, 0, 0]}"#,
            "",
            "groove.timing[1]: 0.9 is out of range (allowed 0 to 0.75 rows)",
        ),
        (
            "",
            r#", "groove": {"beats": 3, "timing": [0]}"#,
            "patterns[0].groove.beats: 3 is not allowed",
        ),
        (
            r#", "swing": 20, "groove": "house""#,
            "",
            "swing: 20 with a groove as well",
        ),
    ] {
        std::fs::write(&path, song(fields, pattern)).unwrap();
        let o = tracksmith_command()
            .args(["info", path.to_str().unwrap()])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(!o.status.success());
        assert!(err.contains(wanted), "{fields}{pattern}: {err}");
    }
}
