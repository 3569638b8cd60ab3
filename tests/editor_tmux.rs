//! The editor in a real terminal: the binary runs in tmux (its own server socket, a fixed
//! 80x24 window, a temporary folder); keys go in with send-keys and the screen comes back
//! with capture-pane, polled until the expected text shows.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;

use common::{home_capturing, home_playing_to_file, read_raw_f32, tracksmith};

const TIMEOUT: Duration = Duration::from_secs(30);

struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `tracksmith ARGS` in a new 80x24 session on a private tmux server.
    fn start(dir: &Path, args: &[&str]) -> Tmux {
        Tmux::start_with(dir, args, &[])
    }

    /// Like `start`, with extra environment (`NAME=value`) for the editor.
    fn start_with(dir: &Path, args: &[&str], env: &[&str]) -> Tmux {
        Tmux::start_in_pane(dir, args, env, "exec")
    }

    /// Starts the editor as a child of the pane's shell (not `exec`'d), as a login
    /// shell over SSH runs it: signals for the terminal then go to the shell.
    fn start_under_shell(dir: &Path, args: &[&str]) -> Tmux {
        Tmux::start_in_pane(dir, args, &[], "")
    }

    fn start_in_pane(dir: &Path, args: &[&str], env: &[&str], exec: &str) -> Tmux {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let socket = format!(
            "tracksmith-test-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        );
        let tmux = Tmux { socket };
        // `exec` makes the pane's process the editor itself, so signals reach it directly.
        let command = format!(
            "{exec} {} {}; true",
            env!("CARGO_BIN_EXE_tracksmith"),
            args.iter()
                .map(|a| format!("'{a}'"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let mut args: Vec<&str> = vec![
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "80",
            "-y",
            "24",
        ];
        for e in env {
            args.extend(["-e", e]);
        }
        args.extend(["-c", dir.to_str().unwrap(), &command]);
        let out = tmux.run(&args);
        assert!(
            out.status.success(),
            "tmux: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .env_remove("TMUX")
            .output()
            .expect("tmux runs (install it: apt-get install tmux)")
    }

    /// Each item is one tmux key name; `["-l", TEXT]` sends TEXT literally.
    fn keys(&self, keys: &[&str]) {
        if keys.first() == Some(&"-l") {
            let out = self.run(&["send-keys", "-t", "0", "-l", keys[1]]);
            assert!(out.status.success(), "send-keys -l {}", keys[1]);
            return;
        }
        for key in keys {
            let out = self.run(&["send-keys", "-t", "0", key]);
            assert!(out.status.success(), "send-keys {key}");
        }
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", "0"]).stdout).into_owned()
    }

    /// Waits until the screen shows `text`; panics with the screen after the timeout.
    fn wait_for(&self, text: &str) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) {
                return screen;
            }
            assert!(
                start.elapsed() < TIMEOUT,
                "\"{text}\" never showed:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn alive(&self) -> bool {
        self.run(&["has-session"]).status.success()
    }

    fn wait_for_exit(&self) {
        let start = Instant::now();
        while self.alive() {
            assert!(
                start.elapsed() < TIMEOUT,
                "the editor did not quit:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn pid(&self) -> u32 {
        let out = self.run(&["list-panes", "-F", "#{pane_pid}"]);
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn new_song(dir: &Path) -> PathBuf {
    let path = dir.join("tune.json");
    let out = tracksmith(&[
        "new",
        path.to_str().unwrap(),
        "--bpm",
        "128",
        "--key",
        "A minor",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

#[test]
fn type_a_melody_save_quit_and_render() {
    let dir = tempfile::tempdir().unwrap();
    let song = new_song(dir.path());
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    // Channel 10 (Lead), instrument 08 (one back from 01), then A C E G A: n, q, e, b, u.
    tmux.keys(&["BTab", "-"]);
    tmux.wait_for("ins 08 Lead");
    tmux.keys(&["n", "q", "e", "b", "]", "n"]);
    tmux.wait_for("A-5 08");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved");
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();

    let saved = tracksmith::song::load(&song).unwrap();
    let lead: Vec<String> = (0..6)
        .map(|r| saved.patterns[0].cell(r, 9).to_string())
        .collect();
    assert_eq!(
        lead,
        [
            "A-4 08 .. ...",
            "C-5 08 .. ...",
            "E-5 08 .. ...",
            "G-4 08 .. ...",
            "A-5 08 .. ...",
            "--- .. .. ..."
        ]
    );
    assert!(tracksmith::song::backup_path(&song).exists());

    let wav = dir.path().join("tune.wav");
    let out = tracksmith(&[
        "render",
        song.to_str().unwrap(),
        "-o",
        wav.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = String::from_utf8_lossy(&out.stdout);
    let lufs: f64 = report
        .split("loudness ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no loudness in: {report}"));
    assert!(
        lufs > -40.0 && lufs < 0.0,
        "the melody is audible: {lufs} LUFS"
    );
}

#[test]
fn quitting_with_changes_asks_and_render_runs_inside() {
    let dir = tempfile::tempdir().unwrap();
    new_song(dir.path());
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    tmux.keys(&["z", "C-q"]);
    tmux.wait_for("Quit anyway?");
    tmux.keys(&["n"]);
    tmux.wait_for("not quitting");
    tmux.keys(&["C-r"]);
    tmux.wait_for("Render to WAV file:");
    tmux.keys(&["Enter"]);
    let screen = tmux.wait_for("LUFS");
    assert!(screen.contains("tune.wav"), "{screen}");
    assert!(dir.path().join("tune.wav").exists());
    tmux.keys(&["C-q"]);
    tmux.wait_for("Quit anyway?");
    tmux.keys(&["y"]);
    tmux.wait_for_exit();
}

#[test]
fn a_hangup_leaves_a_recovery_file_that_the_next_start_restores() {
    let dir = tempfile::tempdir().unwrap();
    let song = new_song(dir.path());
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    tmux.keys(&["z", "x"]);
    tmux.wait_for("[+]");
    let pid = tmux.pid();
    let out = Command::new("kill")
        .args(["-HUP", &pid.to_string()])
        .output()
        .unwrap();
    assert!(out.status.success());
    tmux.wait_for_exit();

    let recovery = dir.path().join("tune.json.recovery");
    assert!(recovery.exists(), "no recovery file after SIGHUP");
    let recovered = tracksmith::song::load(&recovery).unwrap();
    assert_eq!(
        recovered.patterns[0].cell(1, 0).to_string(),
        "D-4 01 .. ..."
    );
    let saved = tracksmith::song::load(&song).unwrap();
    assert!(
        saved.patterns[0].cell(0, 0).is_empty(),
        "the song file itself is untouched"
    );

    // The next start offers it; taking it and saving puts the notes in the song.
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Restore it? y/n");
    tmux.keys(&["y"]);
    tmux.wait_for("restored");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved");
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();
    let saved = tracksmith::song::load(&song).unwrap();
    assert_eq!(saved.patterns[0].cell(1, 0).to_string(), "D-4 01 .. ...");
    assert!(!recovery.exists(), "saving removes the recovery file");
}

#[test]
fn a_terminal_that_goes_away_unsignalled_still_leaves_the_recovery_file() {
    let dir = tempfile::tempdir().unwrap();
    new_song(dir.path());
    let tmux = Tmux::start_under_shell(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    tmux.keys(&["z"]);
    tmux.wait_for("[+]");
    let shell = tmux.pid();
    let out = Command::new("pgrep")
        .args(["-P", &shell.to_string()])
        .output()
        .unwrap();
    let editor: u32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    // The whole terminal goes, as when an SSH connection drops.
    let _ = tmux.run(&["kill-server"]);
    let recovery = dir.path().join("tune.json.recovery");
    let start = Instant::now();
    while Path::new(&format!("/proc/{editor}")).exists() || !recovery.exists() {
        assert!(
            start.elapsed() < TIMEOUT,
            "the editor is still running, or left no recovery file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let recovered = tracksmith::song::load(&recovery).unwrap();
    assert_eq!(
        recovered.patterns[0].cell(0, 0).to_string(),
        "C-4 01 .. ..."
    );
}

#[test]
fn opening_a_missing_file_creates_a_starter_song() {
    let dir = tempfile::tempdir().unwrap();
    let tmux = Tmux::start(dir.path(), &["fresh.json"]);
    tmux.wait_for("created");
    tmux.keys(&[":", "q", "Enter"]);
    tmux.wait_for_exit();
    let song = tracksmith::song::load(&dir.path().join("fresh.json")).unwrap();
    assert_eq!(song.instruments.len(), 8);
    // The kit is found through the source tree and written relative to the song.
    let samples = tracksmith::song::SampleBank::load(&song, &dir.path().join("fresh.json"));
    assert!(samples.is_ok(), "{:?}", samples.err());
}

#[test]
fn a_crash_writes_the_recovery_file() {
    // `:debug-panic` exists only in debug builds, which is what `cargo test` runs.
    let dir = tempfile::tempdir().unwrap();
    new_song(dir.path());
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    tmux.keys(&["c", ":"]);
    tmux.keys(&["-l", "debug-panic"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for_exit();
    let recovery = dir.path().join("tune.json.recovery");
    let recovered = tracksmith::song::load(&recovery).expect("a recovery file after the panic");
    assert_eq!(
        recovered.patterns[0].cell(0, 0).to_string(),
        "E-4 01 .. ..."
    );
}

/// Waits until the captured output holds something audible; returns its peak.
fn wait_for_sound(captured: &Path, tmux: &Tmux) -> f32 {
    let start = Instant::now();
    loop {
        let peak = read_raw_f32(captured)
            .iter()
            .fold(0.0f32, |peak, s| peak.max(s.abs()));
        if peak > 0.1 {
            return peak;
        }
        assert!(
            start.elapsed() < TIMEOUT,
            "nothing audible was played:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_play_keys_play_through_alsa_and_edits_go_on_while_playing() {
    let Some((dir, captured)) = home_playing_to_file() else {
        return;
    };
    new_song(dir.path());
    let home = format!("HOME={}", dir.path().display());
    let tmux = Tmux::start_with(dir.path(), &["tune.json"], &[&home]);
    tmux.wait_for("Loop 1");
    tmux.wait_for("stop");
    // Kick on the first beats, then loop the pattern.
    tmux.keys(&["z", "Down", "Down", "Down", "z", "F7"]);
    tmux.wait_for("PLAY");
    // An edit while playing is taken without a hitch.
    tmux.keys(&["Down", "Down", "Down", "z"]);
    let loud = wait_for_sound(&captured, &tmux);
    assert!(loud <= 1.0, "the limiter keeps the output in range: {loud}");
    tmux.keys(&["Space"]);
    tmux.wait_for("stop");
    tmux.keys(&["C-q"]);
    tmux.wait_for("Quit anyway?");
    tmux.keys(&["y"]);
    tmux.wait_for_exit();
}

#[test]
fn piano_keys_sound_when_jamming_and_write_nothing() {
    let Some((dir, captured)) = home_playing_to_file() else {
        return;
    };
    let song = new_song(dir.path());
    let before = std::fs::read_to_string(&song).unwrap();
    let home = format!("HOME={}", dir.path().display());
    let tmux = Tmux::start_with(dir.path(), &["tune.json"], &[&home]);
    tmux.wait_for("Loop 1");
    tmux.wait_for("stop");
    // Edit mode off, then a kick on the piano keys: heard, not written.
    tmux.keys(&["C-e"]);
    tmux.wait_for("JAM");
    tmux.keys(&["z"]);
    let loud = wait_for_sound(&captured, &tmux);
    assert!(loud <= 1.0, "{loud}");
    assert!(!tmux.screen().contains("C-4 01"), "jamming wrote a note");
    tmux.keys(&["C-s"]);
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();
    assert_eq!(std::fs::read_to_string(&song).unwrap(), before);
}

impl Tmux {
    /// Waits until `ready` holds for the screen; panics with the screen after the timeout.
    fn wait_until(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(start.elapsed() < TIMEOUT, "{what} never showed:\n{screen}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The number a meter row shows before `unit` (`-14.2 LUFS`), if it shows one.
fn meter_value(screen: &str, row: &str, unit: &str) -> Option<f32> {
    let line = screen.lines().find(|l| l.contains(row))?;
    let before = line.split(unit).next()?;
    before.split_whitespace().last()?.parse().ok()
}

#[test]
fn the_mixer_and_master_meters_move_while_a_pattern_plays() {
    if !Path::new("/usr/share/alsa/alsa.conf").exists() {
        eprintln!("skipped: ALSA is not installed (no /usr/share/alsa/alsa.conf)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // ALSA's null device: no clock, nothing written anywhere.
    std::fs::write(
        dir.path().join(".asoundrc"),
        "pcm.!default { type plug; slave { pcm \"null\"; format FLOAT_LE; rate 48000; channels 2 } }\n",
    )
    .unwrap();
    new_song(dir.path());
    let home = format!("HOME={}", dir.path().display());
    let tmux = Tmux::start_with(dir.path(), &["tune.json"], &[&home]);
    tmux.wait_for("Loop 1");
    tmux.wait_for("stop");
    tmux.keys(&["F9"]);
    let idle = tmux.wait_for("strips 1-");
    assert!(!idle.contains("-∞"), "no readings before playing:\n{idle}");
    // A kick on every beat of a two-beat pattern, looped.
    tmux.keys(&["F2", ":"]);
    tmux.keys(&["-l", "len 8"]);
    tmux.keys(&["Enter", "z", "Down", "Down", "Down", "z", "F7", "F9"]);
    tmux.wait_for("PLAY");
    // Readings arrive: the silent strips read -∞, the kick's strip holds its level.
    let playing = tmux.wait_until("a meter reading", |s| {
        let kick_hold = s
            .lines()
            .nth(3)
            .and_then(|l| l.split('│').next())
            .and_then(|strip| strip.split_whitespace().last())
            .and_then(|hold| hold.parse::<f32>().ok());
        s.contains("-∞") && kick_hold.is_some_and(|db| db > -30.0)
    });
    assert!(playing.contains("strips 1-"), "{playing}");

    tmux.keys(&["F10"]);
    let master = tmux.wait_until("a loudness reading", |s| {
        meter_value(s, "integrated", "LUFS").is_some()
            && meter_value(s, "true peak", "dBTP").is_some()
    });
    let integrated = meter_value(&master, "integrated", "LUFS").unwrap();
    let true_peak = meter_value(&master, "true peak", "dBTP").unwrap();
    assert!(
        (-60.0..0.0).contains(&integrated),
        "{integrated} LUFS:\n{master}"
    );
    assert!(true_peak <= -0.9, "under the -1 dBTP ceiling:\n{master}");
    // An edit while playing is heard: the master gain down 12 dB lowers the loudness.
    tmux.keys(&["[", "[", "[", "[", "Space"]);
    let stopped = tmux.wait_for("(last playback)");
    assert!(stopped.contains("-12.0dB"), "{stopped}");
    tmux.keys(&["F7"]);
    tmux.wait_until("a quieter reading", |s| {
        meter_value(s, "short-term", "LUFS").is_some_and(|v| v < integrated - 6.0)
    });
    tmux.keys(&["Space", "C-q"]);
    tmux.wait_for("Quit anyway?");
    tmux.keys(&["y"]);
    tmux.wait_for_exit();
}

#[test]
fn a_take_recorded_in_the_instruments_view_becomes_a_sampler() {
    // 0.3 s of silence, then noise: the take starts after a 1-bar count-in at 128 BPM
    // (16 rows of 60/128/4 s: exactly 90000 frames into the input).
    const COUNT_IN: usize = 90_000;
    let frames = 30 * 48_000;
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let input: Vec<f32> = (0..2 * frames)
        .map(|i| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let x = (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            if i < 2 * 14_400 { 0.0 } else { x }
        })
        .collect();
    let Some(dir) = home_capturing(&input) else {
        return;
    };
    let song = new_song(dir.path());
    let home = format!("HOME={}", dir.path().display());
    let tmux = Tmux::start_with(dir.path(), &["tune.json"], &[&home]);
    tmux.wait_for("Loop 1");
    tmux.keys(&["F4"]);
    tmux.wait_for("instruments");
    tmux.keys(&["M-t"]);
    tmux.wait_for("● REC");
    let screen = tmux.wait_for("dBFS");
    assert!(
        screen.contains("record: default, 48000 Hz, 2 ch"),
        "{screen}"
    );
    tmux.keys(&["M-t"]);
    let screen = tmux.wait_for("recorded tune-take01.wav as instrument 09 (root C-4)");
    assert!(screen.contains("09#tune-take01"), "listed: {screen}");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved");
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();

    let saved = std::fs::read_to_string(&song).unwrap();
    assert!(saved.contains("\"path\": \"tune-take01.wav\""), "{saved}");
    let reader = hound::WavReader::open(dir.path().join("tune-take01.wav")).unwrap();
    assert_eq!(reader.spec().channels, 2);
    let take: Vec<f32> = reader.into_samples().map(Result::unwrap).collect();
    // The input file ends before the take does (the `null` device has no clock, so the
    // take runs far past it in the time the keys take); the part it covers must match.
    let expected = &input[2 * COUNT_IN..];
    assert!(take.len() > 48_000, "{} samples", take.len());
    let compared = take.len().min(expected.len());
    let first_difference = take[..compared]
        .iter()
        .zip(&expected[..compared])
        .position(|(a, b)| a.to_bits() != b.to_bits());
    assert_eq!(
        first_difference, None,
        "the take is the input after the count-in"
    );
}

#[test]
fn without_an_input_arming_says_so_and_the_editor_goes_on() {
    if !Path::new("/usr/share/alsa/alsa.conf").exists() {
        eprintln!("skipped: ALSA is not installed (no /usr/share/alsa/alsa.conf)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".asoundrc"),
        "pcm.!default { type asym; playback.pcm \"null\"; capture.pcm { type hw; card \"NoSuchCard\" } }\n",
    )
    .unwrap();
    new_song(dir.path());
    let home = format!("HOME={}", dir.path().display());
    let tmux = Tmux::start_with(dir.path(), &["tune.json"], &[&home]);
    tmux.wait_for("Loop 1");
    tmux.keys(&["F4"]);
    tmux.wait_for("instruments");
    tmux.keys(&["M-r"]);
    let screen = tmux.wait_for("cannot record: no audio input");
    assert!(!screen.contains("ALSA lib"), "{screen}");
    assert!(!screen.contains("ARMED"), "{screen}");
    // Still editing: add a synth.
    tmux.keys(&["a"]);
    tmux.wait_for("added instrument 09");
    tmux.keys(&["C-q"]);
    tmux.wait_for("Quit anyway?");
    tmux.keys(&["y"]);
    tmux.wait_for_exit();
}

/// Half a second of quiet with three decaying 330 Hz hits (48 kHz mono) as `take.wav`.
fn write_take(dir: &Path) -> Vec<f32> {
    let mut take = vec![0.0f32; 24_000];
    for at in [2_400, 9_600, 16_800] {
        for n in 0..3_000 {
            let t = n as f32 / 48_000.0;
            take[at + n] += 0.5 * (std::f32::consts::TAU * 330.0 * t).sin() * (-t * 40.0).exp();
        }
    }
    let data = tracksmith::song::SampleData {
        sample_rate: 48_000,
        channels: vec![take.clone()],
    };
    tracksmith::song::sample_edit::write_new_wav(&dir.join("take.wav"), &data).unwrap();
    take
}

#[test]
fn the_sample_editor_loops_a_take_through_alsa_and_trims_it_to_a_new_file() {
    let Some((dir, captured)) = home_playing_to_file() else {
        return;
    };
    let song = new_song(dir.path());
    let take = write_take(dir.path());
    let home = format!("HOME={}", dir.path().display());
    let tmux = Tmux::start_with(dir.path(), &["tune.json"], &[&home]);
    tmux.wait_for("Loop 1");
    tmux.wait_for("stop");
    // A sampler on the take, then its editor.
    tmux.keys(&["F4", "w"]);
    tmux.wait_for("WAV file");
    tmux.keys(&["-l", "take.wav"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("added instrument");
    tmux.keys(&["e"]);
    tmux.wait_for("take.wav  0.500 s 48000 Hz mono");
    // Loop the whole take and play it: it goes on past its half second.
    tmux.keys(&["l", "Space"]);
    tmux.wait_for("▶ sel");
    wait_for_sound(&captured, &tmux);
    let start = Instant::now();
    let samples = loop {
        let samples = read_raw_f32(&captured);
        let first = samples.iter().position(|s| s.abs() > 0.05).unwrap();
        if samples.len() > first + 2 * 2 * 48_000 {
            break samples[first..].to_vec();
        }
        assert!(start.elapsed() < TIMEOUT, "the take stopped playing");
        std::thread::sleep(Duration::from_millis(100));
    };
    // Stereo frames 1.0 to 1.5 s after the first hit: only a loop plays anything there.
    let later = samples[2 * 48_000..3 * 48_000]
        .iter()
        .fold(0.0f32, |m, s| m.max(s.abs()));
    assert!(
        later > 0.05,
        "nothing a second in: the take did not loop ({later})"
    );
    tmux.keys(&["Space"]);
    // Narrow the selection from the left by ten columns and trim.
    tmux.keys(&["S-Right", "t"]);
    tmux.wait_for("trim: wrote take-trim.wav");
    tmux.keys(&["e"]);
    tmux.wait_for("sample file");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved");
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();

    let saved = tracksmith::song::load(&song).unwrap();
    let tracksmith::song::Source::Sampler(s) = &saved.instruments.last().unwrap().source else {
        panic!("the last instrument is the sampler");
    };
    assert_eq!(s.path, "take-trim.wav");
    let trimmed = tracksmith::song::load_wav(&dir.path().join("take-trim.wav")).unwrap();
    // 78 columns of braille: 156 half-columns, 153 frames each, ten of them.
    assert_eq!(trimmed.channels[0], take[1_530..]);
    let kept = tracksmith::song::load_wav(&dir.path().join("take.wav")).unwrap();
    assert_eq!(kept.channels[0], take, "the take is kept as it was");
}

#[test]
fn chord_entry_writes_a_chord_from_alt_keys_in_a_real_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let song = new_song(dir.path());
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    // A minor: a 7th in first inversion on A-4 (n), across channels 1-4.
    tmux.keys(&["M-2", "M-0"]);
    tmux.wait_for("CHORD 7th inv 1");
    tmux.keys(&["n"]);
    tmux.wait_for("7th on A-4");
    tmux.keys(&["M-c"]);
    tmux.wait_for("chord entry off");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved");
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();
    let saved = tracksmith::song::load(&song).unwrap();
    let row: Vec<String> = (0..4)
        .map(|c| saved.patterns[0].cell(0, c).to_string()[..3].to_owned())
        .collect();
    assert_eq!(row, ["C-5", "E-5", "G-5", "A-5"]);
}

#[test]
fn an_automation_lane_is_picked_from_the_list_and_drawn_with_keys() {
    let dir = tempfile::tempdir().unwrap();
    let song = new_song(dir.path());
    let tmux = Tmux::start(dir.path(), &["tune.json"]);
    tmux.wait_for("Loop 1");
    // The lead's channel: its parameter list, filtered to the cutoff, picked.
    tmux.keys(&["BTab", "-", "M-a"]);
    tmux.wait_for("automate (ch10, inst08)");
    tmux.keys(&["-l", "cutoff"]);
    tmux.wait_for("Filter: cutoff");
    tmux.keys(&["Enter"]);
    tmux.wait_for("lane inst08.filter.cutoff");
    // 200 Hz on row 0, 8000 Hz on row 15, a point on every row between (Alt+I), then
    // row 15's segment turned to a step (c c c: exp, smooth, step).
    tmux.keys(&["-l", "200"]);
    tmux.wait_for("Point value: 200");
    tmux.keys(&["Enter"]);
    tmux.wait_for("row 0: 200 Hz");
    tmux.keys(&["C-g", "-l", "15", "Enter"]);
    tmux.keys(&["-l", "8000"]);
    tmux.keys(&["Enter"]);
    tmux.wait_for("row 15: 8000 Hz");
    tmux.keys(&["Up"]);
    tmux.keys(&["C-g", "-l", "0", "Enter"]);
    for _ in 0..15 {
        tmux.keys(&["S-Down"]);
    }
    tmux.wait_for("sel 16x1");
    tmux.keys(&["M-i"]);
    tmux.wait_for("16 points, rows 0 to 15");
    // (No Esc first: Esc then c reaches the editor as Alt+C.)
    tmux.keys(&["c", "c", "c"]);
    tmux.wait_for("curve from row 15: step");
    tmux.keys(&["C-s"]);
    tmux.wait_for("saved");
    tmux.keys(&["C-q"]);
    tmux.wait_for_exit();

    let saved = tracksmith::song::load(&song).unwrap();
    let lane = &saved.patterns[0].automation[0];
    assert_eq!(lane.target.to_string(), "inst08.filter.cutoff");
    let values: Vec<f32> = lane.points.iter().map(|p| p.value).collect();
    assert_eq!(values.len(), 16, "{values:?}");
    assert_eq!((values[0], values[15]), (200.0, 8000.0));
    assert!(values.windows(2).all(|w| w[1] > w[0]), "{values:?}");
    assert_eq!(lane.points[15].to_string(), "15 8000 step");
}
