//! `tracksmith play`: a song to the sound card with a one-line status, no editor.

use super::{AudioOptions, Player, Status};
use crate::engine::{Playhead, Start};
use crate::render::format_time;
use crate::song::{self, SampleBank, Song};
use std::error::Error;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// How often the player is polled.
const POLL: Duration = Duration::from_millis(25);
/// The status line is redrawn every this many polls.
const REDRAW: u32 = 4;

/// Where to start, from the command line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlayFrom {
    /// Order entry to start at (0 = the first).
    pub entry: Option<usize>,
    /// Name of a pattern to loop instead of playing the arrangement.
    pub loop_pattern: Option<String>,
}

fn start(song: &Song, path: &Path, from: &PlayFrom) -> Result<Start, String> {
    if let Some(name) = &from.loop_pattern {
        let pattern = song.pattern_index(name).ok_or_else(|| {
            let names: Vec<&str> = song.patterns.iter().map(|p| p.name.as_str()).collect();
            format!(
                "{}: --loop-pattern: no pattern named \"{name}\" (patterns: {})",
                path.display(),
                names.join(", ")
            )
        })?;
        return Ok(Start::LoopPattern { pattern, row: 0 });
    }
    let entry = from.entry.unwrap_or(0);
    if entry >= song.arrangement.len() {
        return Err(format!(
            "{}: --from {entry}: the arrangement has {} entries (0 to {})",
            path.display(),
            song.arrangement.len(),
            song.arrangement.len().saturating_sub(1)
        ));
    }
    Ok(Start::Song { entry, row: 0 })
}

/// Plays `song_path` until its end (or, looping, until Ctrl+C). On a terminal a status
/// line shows the position, the callback's CPU load and underruns; a summary follows.
pub fn play_command(
    song_path: &Path,
    from: &PlayFrom,
    options: &AudioOptions,
) -> Result<(), Box<dyn Error>> {
    let song = song::load(song_path)?;
    let samples = SampleBank::load(&song, song_path)?;
    let start = start(&song, song_path, from)?;
    let interrupted = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        // A second Ctrl+C ends the process at once, should stopping ever hang.
        signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&interrupted))?;
        signal_hook::flag::register(signal, Arc::clone(&interrupted))?;
    }
    let mut player = Player::open(options)?;
    player.play(&song, &samples, start)?;
    let live = std::io::stderr().is_terminal();
    let mut worst_cpu = 0.0f32;
    let mut peak_cpu = 0.0f32;
    let mut stopped_early = false;
    for polls in 1.. {
        std::thread::sleep(POLL);
        let status = player.poll();
        if let Some(error) = &status.error {
            if live {
                eprintln!();
            }
            return Err(format!("audio output stopped: {error}").into());
        }
        worst_cpu = worst_cpu.max(status.cpu_percent);
        peak_cpu = peak_cpu.max(status.cpu_peak_percent);
        if live && polls % REDRAW == 0 {
            eprint!("\r{}\x1b[K", status_line(&song, status));
            let _ = std::io::stderr().flush();
        }
        if !status.playing {
            break;
        }
        if interrupted.load(Ordering::Relaxed) {
            player.stop();
            stopped_early = true;
        }
    }
    // What the callback wrote last is still in the device's buffer: let it play out.
    for _ in 0..40 {
        if player.is_idle() {
            break;
        }
        std::thread::sleep(POLL);
        player.poll();
    }
    let status = player.poll().clone();
    if live {
        eprintln!();
    }
    println!(
        "{} {} on {} ({} Hz, {} frames per buffer): CPU up to {:.1} % ({:.1} % in the slowest buffer), {} underruns",
        if stopped_early {
            "stopped after"
        } else {
            "played"
        },
        format_time(status.song_frames as f64 / f64::from(status.sample_rate)),
        status.device,
        status.sample_rate,
        status
            .buffer_frames
            .map_or("default".to_owned(), |n| n.to_string()),
        worst_cpu,
        peak_cpu,
        status.underruns
    );
    Ok(())
}

fn status_line(song: &Song, status: &Status) -> String {
    let position = match status.playhead {
        Some(Playhead {
            entry,
            pattern,
            row,
        }) => {
            let name = song.patterns.get(pattern).map_or("?", |p| p.name.as_str());
            match entry {
                Some(e) => format!("entry {e} {name} row {row:>3}"),
                None => format!("loop {name} row {row:>3}"),
            }
        }
        None => "ending".to_owned(),
    };
    format!(
        "{} | {position} | CPU {:>5.1} % | underruns {} | {} {} Hz",
        format_time(status.song_frames as f64 / f64::from(status.sample_rate)),
        status.cpu_percent,
        status.underruns,
        status.device,
        status.sample_rate
    )
}
