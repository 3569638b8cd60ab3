//! The command line: parse, dispatch, exit codes. The work lives in the library.

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tracksmith::render::{self, RenderOptions};
use tracksmith::song::{self, BitDepth, Key, templates};

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
    let cli = Cli::parse();
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
        Some(Command::Info { song }) => render::info_command(&song),
        Some(Command::New {
            song,
            bpm,
            key,
            template,
        }) => new_song(&song, bpm, key, template),
        Some(Command::MakeKit { dir }) => render::kit::write_kit(&dir),
        None => match cli.song {
            Some(path) => tracksmith::ui::run(&path),
            None => {
                eprintln!("tracksmith: give a song file to open, or a command (see --help)");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracksmith: {e}");
            ExitCode::FAILURE
        }
    }
}

fn new_song(
    path: &std::path::Path,
    tempo: f32,
    key: Key,
    template: String,
) -> Result<(), Box<dyn std::error::Error>> {
    if path.exists() {
        return Err(format!("{}: already exists; not overwriting it", path.display()).into());
    }
    let song = templates::starter(&templates::StarterOptions {
        tempo,
        key,
        template,
    })?;
    song::save(&song, path)?;
    println!("wrote {}", path.display());
    Ok(())
}
