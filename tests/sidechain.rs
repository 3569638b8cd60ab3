//! Sidechain compression and the ducker, measured in WAVs rendered by the real binary.
//!
//! A steady sine pad plays against a kick on another channel. Each mix is rendered twice,
//! once with the pad's compressor or ducker and once without; their ratio, sample by
//! sample, is the gain the pad got.

use std::path::Path;

mod common;

use common::{left_channel, read_wav, render_json, tracksmith_command};

const RATE: usize = 48_000;
/// 120 BPM, 4 rows a beat: 6000 frames a row.
const ROW: usize = 6_000;
/// The kick plays on these rows of a 16-row pattern: on the beats and once off it.
const KICK_ROWS: [usize; 4] = [0, 4, 8, 11];

/// A two-channel song: channel 1 the kick, channel 2 the pad with `pad_strip` (JSON
/// fields of its mixer strip). `kick_strip` likewise for channel 1.
fn song(kick_strip: &str, pad_strip: &str) -> String {
    song_in_order(true, kick_strip, pad_strip)
}

/// The same with the kick on channel 2 and the pad on 1 unless `kick_first`.
fn song_in_order(kick_first: bool, kick_strip: &str, pad_strip: &str) -> String {
    let mut rows = String::new();
    for row in 0..16 {
        let kick = if KICK_ROWS.contains(&row) {
            "C-4 01"
        } else {
            "---"
        };
        let pad = if row == 0 { "A-3 02" } else { "---" };
        let cells = if kick_first {
            format!("{kick} | {pad}")
        } else {
            format!("{pad} | {kick}")
        };
        rows.push_str(&format!("\"{row}\": \"{cells}\","));
    }
    rows.pop();
    let kick = format!(r#"{{ "name": "Kick" {kick_strip} }}"#);
    let pad = format!(r#"{{ "name": "Pad" {pad_strip} }}"#);
    let strips = if kick_first {
        format!("{kick}, {pad}")
    } else {
        format!("{pad}, {kick}")
    };
    format!(
        r#"{{
  "format": 1, "tempo": 120.0, "speed": 6, "rows_per_beat": 4,
  "render": {{ "sample_rate": 48000, "tail": 0.0 }},
  "instruments": [
    {{ "name": "Kick", "gain_db": 0.0, "synth": {{
        "osc1": {{ "wave": "triangle" }}, "mix": 0.0,
        "amp": {{ "attack": 0.0, "decay": 0.04, "sustain": 0.0, "release": 0.0 }},
        "filter": {{ "cutoff": 20000.0 }},
        "pitch_sweep": {{ "amount": 24.0, "decay": 0.03 }} }} }},
    {{ "name": "Pad", "gain_db": -12.0, "synth": {{
        "osc1": {{ "wave": "sine" }}, "mix": 0.0,
        "amp": {{ "attack": 0.0, "decay": 0.0, "sustain": 1.0, "release": 0.0 }},
        "filter": {{ "cutoff": 20000.0 }} }} }}
  ],
  "mixer": {{ "channels": [ {strips} ] }},
  "master": {{ "eq": {{ "bypass": true }}, "compressor": {{ "bypass": true }},
              "width": {{ "bypass": true }}, "limiter": {{ "bypass": true }} }},
  "patterns": [ {{ "name": "P", "length": 16, "rows": {{ {rows} }} }} ],
  "arrangement": [ {{ "pattern": "P" }} ]
}}"#
    )
}

/// The left channel of `song` rendered as 32-bit float by the binary.
fn render(dir: &Path, name: &str, song: &str) -> Vec<f32> {
    let (o, out) = render_json(dir, name, song, &[]);
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    left_channel(&read_wav(&out).1)
}

/// Where the kick starts sounding after each of `KICK_ROWS` (first sample over -80 dB).
fn onsets(kick: &[f32]) -> Vec<usize> {
    KICK_ROWS
        .iter()
        .map(|&row| {
            let from = (row * ROW).saturating_sub(100);
            from + kick[from..].iter().position(|x| x.abs() > 1e-4).unwrap()
        })
        .collect()
}

/// The pad's gain at each frame (`None` near the sine's zero crossings).
fn gains(treated: &[f32], plain: &[f32]) -> Vec<Option<f32>> {
    treated
        .iter()
        .zip(plain)
        .map(|(&y, &x)| (x.abs() > 0.03).then(|| y / x))
        .collect()
}

/// The gain at `frame`, from the nearest frame that has one.
fn gain_near(g: &[Option<f32>], frame: usize) -> f32 {
    (0..40)
        .flat_map(|d| [frame + d, frame.saturating_sub(d)])
        .find_map(|i| g.get(i).copied().flatten())
        .unwrap()
}

fn db(gain: f32) -> f32 {
    20.0 * gain.log10()
}

const MUTED: &str = r#", "mute": true"#;

#[test]
fn the_kick_keys_the_pads_compressor_within_a_millisecond_and_it_recovers_on_release() {
    let dir = tempfile::tempdir().unwrap();
    let kick = render(dir.path(), "kick", &song("", MUTED));
    let onsets = onsets(&kick);
    for (&at, &row) in onsets.iter().zip(&KICK_ROWS) {
        assert!(at.abs_diff(row * ROW) <= 2, "kick row {row} at {at}");
    }
    // The pad alone (the kick muted: a muted key still keys, it is taken before the fader).
    let plain = render(dir.path(), "plain", &song(MUTED, ""));
    let release_ms = 40.0;
    let keyed = render(
        dir.path(),
        "keyed",
        &song(
            MUTED,
            &format!(
                r#", "compressor": {{ "bypass": false, "threshold_db": -30, "ratio": 8,
                     "attack_ms": 0.5, "release_ms": {release_ms}, "knee_db": 0 }},
                   "sidechain": {{ "channel": 1, "high_pass_hz": 60 }}"#
            ),
        ),
    );
    let g = gains(&keyed, &plain);
    let before = gain_near(&g, onsets[1] - 200);
    assert!(
        db(before).abs() < 0.05,
        "untouched between kicks: {}",
        db(before)
    );
    for &at in &onsets {
        // The first frame with 0.5 dB of reduction, from the kick's first sample.
        let begins = (at..at + RATE / 10)
            .find(|&i| g[i].is_some_and(|x| db(x) < -0.5))
            .expect("the pad ducks");
        let ms = (begins - at) as f32 * 1000.0 / RATE as f32;
        assert!(ms <= 1.0, "reduction begins {ms:.2} ms after the kick");
        // Recovery: from where the key falls back under the threshold, one release time
        // takes the reduction to 1/e of its value there; five leave nothing audible.
        let threshold = 10f32.powf(-30.0 / 20.0);
        let key_end = at
            + kick[at..at + RATE / 10]
                .iter()
                .rposition(|x| x.abs() > threshold)
                .unwrap();
        let at_end = -db(gain_near(&g, key_end));
        assert!(
            at_end > 3.0,
            "deep reduction while the kick plays: {at_end}"
        );
        let one_release = key_end + (release_ms * RATE as f32 / 1000.0) as usize;
        let left = -db(gain_near(&g, one_release)) / at_end;
        assert!(
            (0.25..0.5).contains(&left),
            "after one release time {left:.2} of the reduction is left (1/e expected)"
        );
        let five = key_end + (5.0 * release_ms * RATE as f32 / 1000.0) as usize;
        let left = -db(gain_near(&g, five)) / at_end;
        assert!(
            left < 0.01,
            "after five release times {left:.4} is left (e^-5 expected)"
        );
    }
}

#[test]
fn a_key_may_come_from_a_later_channel_and_loops_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    // The pad on channel 1 keyed by the kick on channel 2 runs after it all the same.
    let plain = render(dir.path(), "plain", &song_in_order(false, MUTED, ""));
    let later = render(
        dir.path(),
        "later",
        &song_in_order(
            false,
            MUTED,
            r#", "compressor": { "bypass": false, "threshold_db": -30, "ratio": 8,
                                   "release_ms": 20 },
               "sidechain": { "channel": 2 }"#,
        ),
    );
    let g = gains(&later, &plain);
    assert!(
        db(gain_near(&g, 4 * ROW + 200)) < -3.0,
        "the later kick keys"
    );
    assert!(db(gain_near(&g, 4 * ROW - 200)).abs() < 0.05);

    let looped = song(
        r#", "sidechain": { "channel": 2 }"#,
        r#", "sidechain": { "channel": 1 }"#,
    );
    let (o, _) = render_json(dir.path(), "loop", &looped, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success());
    assert!(
        err.contains("mixer.channels[0].sidechain.channel")
            && err.contains("channel 1 keyed by channel 2 keyed by channel 1"),
        "{err}"
    );
    assert!(!dir.path().join("loop.wav").exists(), "no output written");
}

/// The ducker's envelope `t` frames after a start, written out from the README's words.
fn duck_envelope(t: usize, attack: usize, hold: usize, release: usize, curve: &str) -> f32 {
    if t < attack {
        return t as f32 / attack as f32;
    }
    if t < attack + hold {
        return 1.0;
    }
    if t >= attack + hold + release {
        return 0.0;
    }
    let u = (t - attack - hold) as f32 / release as f32;
    match curve {
        "linear" => 1.0 - u,
        "exponential" => ((-5.0 * u).exp() - (-5.0f32).exp()) / (1.0 - (-5.0f32).exp()),
        _ => 1.0 - u * u * (3.0 - 2.0 * u),
    }
}

#[test]
fn the_ducker_draws_its_shape_on_a_steady_tone_from_notes_or_beats() {
    let dir = tempfile::tempdir().unwrap();
    let plain = render(dir.path(), "plain", &song(MUTED, ""));
    // Attack 3 ms, hold a 1/32 note (62.5 ms at 120 BPM), release a 1/16 (125 ms).
    let (attack, hold, release) = (144, 3_000, 6_000);
    for (trigger, starts) in [
        (r#"{"channel": 1}"#, KICK_ROWS.map(|r| r * ROW)),
        (r#""beat""#, [0, 4 * ROW, 8 * ROW, 12 * ROW]),
    ] {
        for curve in ["linear", "exponential", "s_curve"] {
            let ducked = render(
                dir.path(),
                curve,
                &song(
                    MUTED,
                    &format!(
                        r#", "ducker": {{ "bypass": false, "trigger": {trigger}, "depth_db": -12,
                        "attack_ms": 3, "hold": "1/32", "release": "1/16", "curve": "{curve}" }}"#
                    ),
                ),
            );
            let g = gains(&ducked, &plain);
            let bottom = 10f32.powf(-12.0 / 20.0);
            let mut checked = 0;
            for (i, gain) in g.iter().enumerate() {
                let Some(gain) = *gain else { continue };
                let t = starts.iter().rev().find(|&&s| s <= i).map(|&s| i - s);
                let envelope = t.map_or(0.0, |t| duck_envelope(t, attack, hold, release, curve));
                let expected = 1.0 - (1.0 - bottom) * envelope;
                assert!(
                    (gain - expected).abs() < 2e-3,
                    "{trigger} {curve} frame {i}: gain {gain} expected {expected}"
                );
                checked += 1;
            }
            assert!(checked > g.len() / 2);
        }
    }
}

/// Channel 1 a click on row 0 that reaches the master only through the delay bus (its
/// fader down, its send pre-fader): an echo every 1/8 (12 000 frames at 120 BPM), each
/// half the level of the one before. Channel 2 the steady pad with `pad_strip`.
fn echo_song(pad_strip: &str) -> String {
    song("", pad_strip)
        .replace(
            r#"{ "name": "Kick"  }"#,
            r#"{ "name": "Click", "gain_db": -96,
                 "sends": { "delay": { "level_db": 0, "pre_fader": true } } }"#,
        )
        .replace(
            r#""mixer": { "channels": ["#,
            r#""mixer": {
    "delay": { "time": "1/8", "feedback": 0.5, "ping_pong": false, "low_cut_hz": 10,
               "high_cut_hz": 20000, "mix": 1.0 },
    "channels": ["#,
        )
        .replace("\"4\": \"C-4 01 | ---\"", "\"4\": \"--- | ---\"")
        .replace("\"8\": \"C-4 01 | ---\"", "\"8\": \"--- | ---\"")
        .replace("\"11\": \"C-4 01 | ---\"", "\"11\": \"--- | ---\"")
}

/// Renders `song` with `--stems` at `block` frames a call: the mix and the stems, by
/// file name (`mix` for the mix), interleaved stereo.
fn render_stems(dir: &Path, name: &str, song: &str, block: usize) -> Vec<(String, Vec<f32>)> {
    let stems = dir.join(format!("{name}-stems"));
    let (o, out) = render_json(
        dir,
        name,
        song,
        &[
            "--block-size",
            &block.to_string(),
            "--stems",
            stems.to_str().unwrap(),
        ],
    );
    assert!(
        o.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let read = |path: &Path| read_wav(path).1;
    let mut files = vec![("mix".to_owned(), read(&out))];
    let mut names: Vec<String> = std::fs::read_dir(&stems)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    for n in names {
        let samples = read(&stems.join(&n));
        files.push((n, samples));
    }
    files
}

fn file<'a>(files: &'a [(String, Vec<f32>)], name: &str) -> &'a [f32] {
    &files.iter().find(|(n, _)| n == name).unwrap().1
}

#[test]
fn a_compressor_keyed_by_the_delay_return_ducks_on_every_echo() {
    let dir = tempfile::tempdir().unwrap();
    let keyed_strip = r#", "compressor": { "bypass": false, "threshold_db": -40, "ratio": 8,
                     "attack_ms": 0.5, "release_ms": 20, "knee_db": 0 },
                   "sidechain": { "bus": "delay" }"#;
    let plain = render_stems(dir.path(), "plain", &echo_song(""), 512);
    let keyed = render_stems(dir.path(), "keyed", &echo_song(keyed_strip), 512);
    let pad = |files: &[(String, Vec<f32>)]| left_channel(file(files, "02-Pad.wav"));
    let g = gains(&pad(&keyed), &pad(&plain));
    let echoes = left_channel(file(&keyed, "bus-delay.wav"));

    // The click itself keys nothing: the key is the return, where it first comes back
    // 1/8 later.
    assert!(db(gain_near(&g, 2 * ROW - 300)).abs() < 0.05);
    let mut depths = Vec::new();
    for k in 1..=4 {
        let due = 2 * k * ROW;
        let onset = due - 50
            + echoes[due - 50..]
                .iter()
                .position(|x| x.abs() > 1e-3)
                .expect("the echo comes back");
        assert!(onset.abs_diff(due) < 50, "echo {k} at {onset}, due {due}");
        let begins = (onset..onset + RATE / 20)
            .find(|&i| g[i].is_some_and(|x| db(x) < -0.5))
            .unwrap_or_else(|| panic!("echo {k} does not duck the pad"));
        let ms = (begins - onset) as f32 * 1000.0 / RATE as f32;
        assert!(ms <= 1.0, "echo {k}: reduction begins {ms:.2} ms after it");
        let deepest = (onset..onset + RATE / 20)
            .filter_map(|i| g[i])
            .fold(1.0f32, f32::min);
        depths.push(-db(deepest));
        // Back to untouched before the next echo.
        assert!(
            db(gain_near(&g, due + 2 * ROW - 300)).abs() < 0.05,
            "echo {k}: the pad recovers"
        );
    }
    // Each echo is 6 dB quieter, so each ducks less (by 6 dB less what a ratio of 8
    // lets through): the reduction follows the echoes.
    assert!(depths[0] > 20.0, "{depths:?}");
    for pair in depths.windows(2) {
        let step = pair[0] - pair[1];
        assert!((step - 6.0 * (1.0 - 1.0 / 8.0)).abs() < 0.5, "{depths:?}");
    }

    // The stems still sum to the mix (the master section is bypassed).
    let mix = file(&keyed, "mix");
    let (click, pad_stem) = (file(&keyed, "01-Click.wav"), file(&keyed, "02-Pad.wav"));
    let worst = mix
        .iter()
        .enumerate()
        .map(|(i, &m)| (click[i] + pad_stem[i] - m).abs())
        .fold(0.0f32, f32::max);
    assert!(worst < 1e-5, "stems differ from the mix by {worst}");
    // The same samples whatever the block size.
    for block in [64, 4096] {
        let name = format!("keyed-{block}");
        let other = render_stems(dir.path(), &name, &echo_song(keyed_strip), block);
        assert!(
            file(&other, "mix") == mix,
            "block size {block} changes the mix"
        );
    }
}

/// `tracksmith info` on `song`: its exit code and what it printed on stderr.
fn info(dir: &Path, song: &str) -> (Option<i32>, String) {
    let path = dir.join("loop.json");
    std::fs::write(&path, song).unwrap();
    let o = tracksmith_command()
        .args(["info", path.to_str().unwrap()])
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn a_compressor_cannot_hear_a_bus_it_feeds() {
    let dir = tempfile::tempdir().unwrap();
    // The pad keyed by the reverb return, feeding the reverb: its key would hear itself.
    let looped = echo_song(
        r#", "compressor": { "bypass": false }, "sidechain": { "bus": "reverb" },
           "sends": { "reverb": { "level_db": -12 } }"#,
    );
    let (o, _) = render_json(dir.path(), "loop", &looped, &[]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("loop.json")
            && err.contains("mixer.channels[1].sidechain.bus")
            && err.contains("ch2 (Pad) feeds the reverb bus, whose return keys ch2 (Pad)"),
        "{err}"
    );
    assert!(!dir.path().join("loop.wav").exists(), "no output written");

    // A loop through two buses names the whole chain.
    let chained = echo_song(
        r#", "compressor": { "bypass": false }, "sidechain": { "bus": "delay" },
           "sends": { "reverb": { "level_db": -12 } }"#,
    )
    .replace(
        r#""name": "Click", "gain_db": -96,"#,
        r#""name": "Click", "gain_db": -96, "sidechain": { "bus": "reverb" },"#,
    );
    let (code, err) = info(dir.path(), &chained);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("ch1 (Click) feeds the delay bus, whose return keys ch2 (Pad)")
            && err.contains("ch2 (Pad) feeds the reverb bus, whose return keys ch1 (Click)"),
        "{err}"
    );

    // Keyed by the delay with its delay send off, but a lane or the effect column
    // opening that send: refused, each by its place.
    let moved =
        echo_song(r#", "compressor": { "bypass": false }, "sidechain": { "bus": "delay" }"#)
            .replace(
                r#""length": 16,"#,
                r#""length": 16,
           "automation": [ { "target": "ch2.sends.delay.level_db", "points": ["0 -20"] } ],"#,
            )
            .replace("\"2\": \"--- | ---\"", "\"2\": \"--- | --- .. .. S4F\"");
    let (code, err) = info(dir.path(), &moved);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("patterns[0].automation[0].target: ch2's delay send cannot move")
            && err.contains("patterns[0].rows[2] channel 2: S4F picks the send"),
        "{err}"
    );
    // Both a channel and a bus: refused.
    let both = echo_song(r#", "sidechain": { "bus": "delay", "channel": 1 }"#);
    let (code, err) = info(dir.path(), &both);
    assert_eq!(code, Some(1), "{err}");
    assert!(
        err.contains("mixer.channels[1].sidechain: keyed by channel 1 and by the delay bus"),
        "{err}"
    );
}
