//! The command line: parse, dispatch, exit codes. The work lives in the library.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tracksmith::audio::{self, AudioOptions, PlayFrom};
use tracksmith::render::{self, RenderOptions, midi};
use tracksmith::song::{self, BitDepth, Key};

#[derive(Parser)]
#[command(
    name = "tracksmith",
    version,
    about = "A keyboard-driven terminal tracker: write, arrange, mix and master a song",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    /// Song to open in the editor (created if it does not exist).
    song: Option<PathBuf>,
    /// List the audio devices (outputs, and inputs for later use) and exit.
    #[arg(long)]
    list_devices: bool,
    /// Audio output device, by a name `--list-devices` shows (default: the system's).
    #[arg(long, global = true, value_name = "NAME")]
    device: Option<String>,
    /// Frames per audio buffer: smaller is snappier, larger is safer (default 512).
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(16..=16384))]
    buffer_size: Option<u32>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Render a song to a WAV file, without a terminal UI or sound card.
    Render {
        song: PathBuf,
        /// Output WAV file.
        #[arg(short, long)]
        output: PathBuf,
        /// 44100, 48000, 88200 or 96000 (default: the song's render setting).
        #[arg(long)]
        sample_rate: Option<u32>,
        /// 16, 24 or 32f (default: the song's render setting).
        #[arg(long, value_parser = parse_bit_depth)]
        bit_depth: Option<BitDepth>,
        /// Frames the engine renders per call; the output is the same for any size.
        #[arg(long, default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..=65536))]
        block_size: u32,
        /// Also write one WAV per channel (post-fader, with its share of the reverb and
        /// delay) and one per bus return into this folder.
        #[arg(long, value_name = "DIR")]
        stems: Option<PathBuf>,
    },
    /// Play a song to the sound card with a status line, until its end or Ctrl+C.
    Play {
        song: PathBuf,
        /// Order entry to start at (0 is the first).
        #[arg(long, value_name = "ENTRY")]
        from: Option<usize>,
        /// Loop this pattern (by name) instead of playing the arrangement.
        #[arg(long, value_name = "NAME", conflicts_with = "from")]
        loop_pattern: Option<String>,
    },
    /// Print a song's settings, arrangement and duration.
    Info { song: PathBuf },
    /// Write a starter song: an empty 8-bar loop with drums, bass, pad and lead ready to play.
    New {
        song: PathBuf,
        #[arg(long, default_value_t = 120.0)]
        bpm: f32,
        #[arg(long, default_value = "C minor", value_parser = parse_key)]
        key: Key,
        #[arg(long, default_value = "basic")]
        template: String,
    },
    /// Write the song's notes as a Standard MIDI File (one track per channel).
    ExportMidi {
        song: PathBuf,
        /// Output .mid file.
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Make a song from a Standard MIDI File, notes quantised to rows.
    ImportMidi {
        midi: PathBuf,
        /// The song file to write (must not exist yet).
        #[arg(short, long)]
        output: PathBuf,
        /// Rows per beat of the grid the notes are quantised to.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u8).range(1..=16))]
        rows_per_beat: u8,
    },
    /// Synthesise the bundled drum and one-shot kit into a folder.
    MakeKit {
        #[arg(default_value = "samples")]
        dir: PathBuf,
    },
}

fn parse_bit_depth(s: &str) -> Result<BitDepth, String> {
    BitDepth::parse(s).ok_or_else(|| format!("allowed: {}", BitDepth::ALLOWED))
}

fn parse_key(s: &str) -> Result<Key, String> {
    s.parse()
}

fn main() -> ExitCode {
    // Like any Unix tool, stop quietly when a pipe's reader goes away (`info | head`).
    // SAFETY: called before any other thread exists; SIG_DFL is a valid disposition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    let cli = Cli::parse();
    let audio_options = AudioOptions {
        device: cli.device.clone(),
        buffer_size: cli.buffer_size,
    };
    if cli.list_devices {
        return finish(list_devices());
    }
    let result = match cli.command {
        Some(Command::Render {
            song,
            output,
            sample_rate,
            bit_depth,
            block_size,
            stems,
        }) => render::render_command(
            &song,
            &output,
            &RenderOptions {
                sample_rate,
                bit_depth,
                block_size: block_size as usize,
                stems,
            },
        ),
        Some(Command::Play {
            song,
            from,
            loop_pattern,
        }) => audio::play_command(
            &song,
            &PlayFrom {
                entry: from,
                loop_pattern,
            },
            &audio_options,
        ),
        Some(Command::Info { song }) => render::info_command(&song),
        Some(Command::New {
            song,
            bpm,
            key,
            template,
        }) => new_song(&song, bpm, key, template),
        Some(Command::ExportMidi { song, output }) => export_midi(&song, &output),
        Some(Command::ImportMidi {
            midi,
            output,
            rows_per_beat,
        }) => import_midi(&midi, &output, rows_per_beat),
        Some(Command::MakeKit { dir }) => render::kit::write_kit(&dir),
        None => match cli.song {
            Some(path) => tracksmith::ui::run(&path, &audio_options),
            None => {
                eprintln!("tracksmith: give a song file to open, or a command (see --help)");
                return ExitCode::from(2);
            }
        },
    };
    finish(result)
}

fn finish(result: Result<(), Box<dyn std::error::Error>>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracksmith: {e}");
            ExitCode::FAILURE
        }
    }
}

fn new_song(
    path: &Path,
    tempo: f32,
    key: Key,
    template: String,
) -> Result<(), Box<dyn std::error::Error>> {
    if path.exists() {
        return Err(format!("{}: already exists; not overwriting it", path.display()).into());
    }
    let song = tracksmith::ui::starter_song(path, tempo, key, &template)?;
    song::save(&song, path)?;
    let drums = match &song.instruments[0].source {
        song::Source::Sampler(s) if template == "basic" => {
            format!("drums from {}", s.path.trim_end_matches("/kick.wav"))
        }
        _ if template == "basic" => "synth drums (the sample kit was not found)".to_owned(),
        _ => "no instruments".to_owned(),
    };
    println!(
        "wrote {} ({drums}); open it with: tracksmith {}",
        path.display(),
        path.display()
    );
    Ok(())
}

fn list_devices() -> Result<(), Box<dyn std::error::Error>> {
    let devices = audio::list_devices()?;
    let show = |d: &audio::DeviceInfo| {
        let default = if d.default_output { " (default)" } else { "" };
        println!("  {:<28} {}{default}", d.name, d.description);
    };
    println!("outputs (--device NAME):");
    devices.iter().filter(|d| d.output).for_each(show);
    println!("inputs (for recording, not used yet):");
    devices.iter().filter(|d| d.input).for_each(show);
    Ok(())
}

fn export_midi(song_path: &Path, output: &Path) -> Result<(), Box<dyn std::error::Error>> {
    let song = song::load(song_path)?;
    midi::export_to_file(&song, output)?;
    println!("wrote {}", output.display());
    Ok(())
}

fn import_midi(
    input: &Path,
    output: &Path,
    rows_per_beat: u8,
) -> Result<(), Box<dyn std::error::Error>> {
    let options = midi::ImportOptions {
        rows_per_beat,
        ..midi::ImportOptions::default()
    };
    let song = midi::import_file(input, output, &options)?;
    println!(
        "wrote {}: {} channels, {} patterns, {} BPM",
        output.display(),
        song.channel_count(),
        song.patterns.len(),
        song.tempo
    );
    Ok(())
}
