//! Live playback through a real cpal stream on ALSA, with no sound card: ALSA's `file`
//! plugin (set up by an `.asoundrc` in a temporary HOME) writes what the stream plays to
//! a raw file, which is compared with the offline render of the same song.

use std::path::{Path, PathBuf};
mod common;

use common::{
    alsa_missing, command_with_home, home_playing_to_file, home_with_asoundrc, read_raw_f32,
    run_with_home, tracksmith_command,
};
use tracksmith::engine::Engine;
use tracksmith::song::{self, SampleBank, Source};

const RATE: u32 = 48_000;

/// A few seconds of the house demo: its drop pattern cut to 4 bars, played once, so the
/// test plays in real time quickly. Sample paths are made absolute to move the file.
/// The other entries go as the arrangement view removes them, with the arrangement
/// lanes that start on them (the intro's filter build), so the drop plays as a drop.
fn short_song(dir: &Path) -> PathBuf {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/house.json");
    let mut s = song::load(&demo).unwrap();
    let drop = s.pattern_index("Drop").unwrap();
    s.patterns[drop].set_length(64);
    let first_drop = s
        .arrangement
        .iter()
        .position(|e| e.pattern == "Drop")
        .unwrap();
    for at in (0..s.arrangement.len())
        .rev()
        .filter(|&at| at != first_drop)
    {
        s.arrangement.remove(at);
        s.entry_removed(at);
    }
    s.arrangement[0].repeat = 1;
    assert!(s.automation.is_empty(), "no build left over the drop");
    s.render.tail = 0.5;
    for inst in &mut s.instruments {
        if let Source::Sampler(sampler) = &mut inst.source {
            let path = demo.parent().unwrap().join(&sampler.path);
            sampler.path = path.canonicalize().unwrap().to_string_lossy().into_owned();
        }
    }
    let path = dir.join("short.json");
    song::save(&s, &path).unwrap();
    path
}

#[test]
fn what_is_played_is_what_is_rendered() {
    // The plug converts nothing here: cpal is offered float stereo at 48 kHz and takes
    // it, so the file holds the callback's samples bit for bit.
    let Some((dir, captured)) = home_playing_to_file() else {
        return;
    };
    let song_path = short_song(dir.path());

    let played = run_with_home(dir.path(), &["play", song_path.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&played.stdout);
    let stderr = String::from_utf8_lossy(&played.stderr);
    assert!(played.status.success(), "play failed: {stdout}{stderr}");
    assert!(stdout.contains("on default (48000 Hz"), "{stdout}");
    assert!(stdout.contains(" 0 underruns"), "{stdout}");
    let played: Vec<f64> = stdout
        .trim_start_matches("played ")
        .split_whitespace()
        .next()
        .unwrap()
        .split(':')
        .map(|x| x.parse().unwrap())
        .collect();
    let s = song::load(&song_path).unwrap();
    let length = Engine::length(&s, RATE) as f64 / f64::from(RATE);
    assert!(
        (played[0] * 60.0 + played[1] - length).abs() < 0.02,
        "the summary gives the song's length, {length} s: {stdout}"
    );
    assert!(!stderr.contains("ALSA"), "ALSA printed: {stderr}");

    let rendered_path = dir.path().join("rendered.wav");
    let rendered = tracksmith_command()
        .args(["render", song_path.to_str().unwrap(), "-o"])
        .arg(&rendered_path)
        .args(["--sample-rate", "48000", "--bit-depth", "32f"])
        .output()
        .unwrap();
    assert!(rendered.status.success());
    let reference: Vec<f32> = hound::WavReader::open(&rendered_path)
        .unwrap()
        .samples::<f32>()
        .map(Result::unwrap)
        .collect();

    // Live output starts at the engine's first sample; a render drops the limiter's
    // look-ahead (silence) from its start.
    let bank = SampleBank::load(&s, &song_path).unwrap();
    let latency = 2 * Engine::new(&s, &bank, RATE).latency();
    let live = read_raw_f32(&captured);
    assert!(
        live.len() >= latency + reference.len(),
        "captured {} samples, the render has {}",
        live.len(),
        reference.len()
    );
    assert!(live[..latency].iter().all(|&x| x == 0.0));
    let played_song = &live[latency..latency + reference.len()];
    let first_difference = played_song
        .iter()
        .zip(&reference)
        .position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(first_difference, None, "live and rendered samples differ");
    assert!(
        reference.iter().any(|x| x.abs() > 0.1),
        "the song is audible"
    );
    assert!(
        live[latency + reference.len()..].iter().all(|&x| x == 0.0),
        "silence after the end"
    );
}

/// stderr must be one line of ours: no "ALSA lib ..." lines around it.
fn assert_one_clean_line(stderr: &str, expected: &str) {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {stderr}");
    assert!(
        lines[0].starts_with("tracksmith: ") && lines[0].contains(expected),
        "stderr: {stderr}"
    );
    assert!(!stderr.contains("ALSA lib"), "ALSA printed: {stderr}");
}

#[test]
fn without_a_usable_device_play_says_so_once_and_fails() {
    if alsa_missing() {
        return;
    }
    // alsa-lib itself prints "ALSA lib confmisc.c:...: Cannot get card index for
    // NoSuchCard" on opening this; none of it may reach the terminal.
    let home = home_with_asoundrc("pcm.!default { type hw; card \"NoSuchCard\" }\n");
    let song = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/house.json");
    let out = run_with_home(home.path(), &["play", song.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_one_clean_line(&stderr, "no audio output");
    assert!(
        stderr.contains("NoSuchCard"),
        "the cause is quoted: {stderr}"
    );
    assert!(stderr.contains("rendering to WAV still works"));

    let unknown = run_with_home(
        home.path(),
        &["play", song.to_str().unwrap(), "--device", "nope"],
    );
    assert_eq!(unknown.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&unknown.stderr);
    assert_one_clean_line(&stderr, "no audio output device named \"nope\"");
    assert!(stderr.contains("null"), "the outputs are listed: {stderr}");

    // A corrupt configuration makes the whole audio system unavailable: still a message.
    std::fs::write(home.path().join(".asoundrc"), "pcm.!default {{{ oops\n").unwrap();
    for args in [&["play", song.to_str().unwrap()][..], &["--list-devices"]] {
        let broken = run_with_home(home.path(), args);
        assert_eq!(broken.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&broken.stderr);
        assert_one_clean_line(&stderr, "no audio output");
        assert!(
            stderr.contains(".asoundrc"),
            "the culprit is named: {stderr}"
        );
    }
}

#[test]
fn a_device_failing_while_playing_stops_playback_with_a_message() {
    if alsa_missing() {
        return;
    }
    // Writing to /dev/full fails once the stream runs: what an unplugged card looks like
    // to the callback thread.
    let home = home_with_asoundrc(
        "pcm.!default {\n  type plug\n  slave { pcm \"broken\"; format FLOAT_LE; rate 48000; channels 2 }\n}\n\
         pcm.broken {\n  type file\n  slave.pcm \"null\"\n  file \"/dev/full\"\n  format \"raw\"\n}\n",
    );
    let song = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/house.json");
    let out = run_with_home(home.path(), &["play", song.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_one_clean_line(&stderr, "audio output stopped");
}

#[test]
fn devices_are_listed_and_chosen_by_name() {
    if alsa_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let captured = dir.path().join("out.raw");
    // The default is unusable: only `--device tracksmith_test` can play.
    std::fs::write(
        dir.path().join(".asoundrc"),
        format!(
            "pcm.!default {{ type hw; card \"NoSuchCard\" }}\n\
             pcm.tracksmith_test {{\n  type plug\n  slave {{ pcm \"capture\"; format S16_LE; rate 44100; channels 2 }}\n}}\n\
             pcm.capture {{\n  type file\n  slave.pcm \"null\"\n  file \"{}\"\n  format \"raw\"\n}}\n",
            captured.display()
        ),
    )
    .unwrap();
    let listed = run_with_home(dir.path(), &["--list-devices"]);
    assert!(listed.status.success());
    let stdout = String::from_utf8_lossy(&listed.stdout);
    let outputs = stdout.split("inputs").next().unwrap();
    assert!(outputs.contains("tracksmith_test"), "{stdout}");
    assert!(stdout.contains("inputs (for recording"), "{stdout}");
    assert!(listed.stderr.is_empty());

    let song_path = short_song(dir.path());
    let out = run_with_home(
        dir.path(),
        &[
            "play",
            song_path.to_str().unwrap(),
            "--device",
            "tracksmith_test",
            "--buffer-size",
            "256",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("on tracksmith_test (48000 Hz, 256 frames"),
        "{stdout}"
    );
    let bytes = std::fs::metadata(&captured).unwrap().len();
    let s = song::load(&song_path).unwrap();
    let song_frames = Engine::length(&s, 44_100);
    // The plug resamples 48 kHz to 44.1 kHz 16-bit stereo: 4 bytes a frame.
    assert!(bytes >= 4 * song_frames, "{bytes} bytes captured");
}

#[test]
fn a_looped_pattern_plays_until_ctrl_c_then_stops_cleanly() {
    if alsa_missing() {
        return;
    }
    let home = home_with_asoundrc(
        "pcm.!default { type plug; slave { pcm \"null\"; format FLOAT_LE; rate 48000; channels 2 } }\n",
    );
    let song = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/techno.json");
    let mut child = command_with_home(
        home.path(),
        &["play", song.to_str().unwrap(), "--loop-pattern", "Drop"],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "a loop never ends by itself"
    );
    // SAFETY: sending SIGINT to our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.starts_with("stopped after "), "{stdout}");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The meters the editor shows come from the real stream: a `Player` on ALSA's `null`
/// device (no clock: it plays as fast as it is fed) reports every strip's peak, which
/// must be the highest peak the same song reaches offline, and the master's loudness,
/// which must agree with an independent meter (libebur128) on the rendered samples.
#[test]
fn live_meters_read_the_levels_of_the_render() {
    use tracksmith::audio::{AudioOptions, Player};
    use tracksmith::engine::Start;

    if alsa_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let song_path = short_song(dir.path());
    let s = song::load(&song_path).unwrap();
    let bank = SampleBank::load(&s, &song_path).unwrap();
    let options = AudioOptions {
        device: Some("null".into()),
        ..AudioOptions::default()
    };
    let mut player = match Player::open(&options) {
        Ok(p) => p,
        Err(e) => panic!("ALSA's null device should open: {e}"),
    };
    let rate = player.sample_rate();
    player.play(&s, &bank, Start::TOP).unwrap();
    let strips = s.mixer.channels.len();
    let mut live_peaks = vec![-200.0f32; strips + 3];
    let mut master_levels = Vec::new();
    let mut loudness = None;
    let mut readings = 0;
    let started = std::time::Instant::now();
    while !player.is_idle() {
        assert!(started.elapsed().as_secs() < 60, "the song should end");
        std::thread::sleep(std::time::Duration::from_millis(2));
        let status = player.poll();
        assert_eq!(status.error, None);
        let Some(frame) = &status.meters else {
            continue;
        };
        readings += 1;
        assert_eq!(frame.mixer.channels.len(), strips);
        let m = &frame.mixer;
        for (peak, strip) in live_peaks
            .iter_mut()
            .zip(m.channels.iter().chain([&m.reverb, &m.delay, &m.master]))
        {
            *peak = peak.max(strip.peak_db[0].max(strip.peak_db[1]));
        }
        master_levels.push(m.master.rms_db[0]);
        loudness = Some(frame.loudness);
    }

    let mut engine = Engine::new(&s, &bank, rate);
    let mut meters = engine.new_meters();
    let mut offline_peaks = vec![-200.0f32; strips + 3];
    let mut rendered = Vec::new();
    let mut block = vec![0.0f32; 2 * 512];
    while !engine.is_finished() {
        engine.process(&mut block);
        rendered.extend_from_slice(&block);
        engine.read_meters(&mut meters);
        let m = &meters;
        for (peak, strip) in offline_peaks
            .iter_mut()
            .zip(m.channels.iter().chain([&m.reverb, &m.delay, &m.master]))
        {
            *peak = peak.max(strip.peak_db[0].max(strip.peak_db[1]));
        }
    }
    assert!(readings >= 20, "{readings} meter readings came");
    master_levels.dedup();
    assert!(
        master_levels.len() >= 10,
        "the levels moved while playing: {master_levels:?}"
    );
    assert!(
        offline_peaks.iter().filter(|&&p| p > -40.0).count() >= 4,
        "several strips play: {offline_peaks:?}"
    );
    for (i, (live, offline)) in live_peaks.iter().zip(&offline_peaks).enumerate() {
        assert!(
            (live - offline).abs() < 1e-4,
            "strip {i}: live peak {live} dBFS, offline {offline} dBFS"
        );
    }

    let loudness = loudness.unwrap();
    let mut reference =
        ebur128::EbuR128::new(2, rate, ebur128::Mode::I | ebur128::Mode::TRUE_PEAK).unwrap();
    reference.add_frames_f32(&rendered).unwrap();
    let integrated = reference.loudness_global().unwrap();
    let true_peak = (0..2)
        .map(|c| reference.true_peak(c).unwrap())
        .fold(0.0f64, f64::max);
    let true_peak_db = 20.0 * true_peak.log10();
    assert!(
        (f64::from(loudness.integrated_lufs) - integrated).abs() < 0.1,
        "live {} LUFS, libebur128 {integrated:.2} LUFS",
        loudness.integrated_lufs
    );
    assert!(
        (f64::from(loudness.max_true_peak_dbtp) - true_peak_db).abs() < 0.3,
        "live {} dBTP, libebur128 {true_peak_db:.2} dBTP",
        loudness.max_true_peak_dbtp
    );
}
