//! The command line: parse, dispatch, exit codes. The work lives in the library.

use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use tracksmith::audio::{self, AudioOptions, PlayFrom};
use tracksmith::render::mastering::ChainOptions;
use tracksmith::render::{self, LoudnessOptions, RenderOptions, midi};
use tracksmith::song::{self, BitDepth, Key, Preset};

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
    /// List the audio devices (outputs and inputs) and exit.
    #[arg(long)]
    list_devices: bool,
    /// Audio output device, by a name `--list-devices` shows (default: the system's).
    #[arg(long, global = true, value_name = "NAME")]
    device: Option<String>,
    /// Frames per audio buffer: smaller is snappier, larger is safer (default 512).
    #[arg(long, global = true, value_name = "N",
          value_parser = clap::value_parser!(u32).range(16..=16384))]
    buffer_size: Option<u32>,
    /// Audio input device to record from, by a name `--list-devices` shows (default: the
    /// system's).
    #[arg(long, global = true, value_name = "NAME")]
    input_device: Option<String>,
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
        #[command(flatten)]
        loudness: LoudnessArgs,
        /// Also write the loudness report as JSON.
        #[arg(long, value_name = "FILE.json")]
        report: Option<PathBuf>,
        /// Also write one WAV per channel (post-fader, with its share of the reverb and
        /// delay) and one per bus return into this folder.
        #[arg(long, value_name = "DIR")]
        stems: Option<PathBuf>,
    },
    /// Master a finished mix (a mono or stereo WAV) through the master chain to a target.
    Master {
        input: PathBuf,
        /// Output WAV file (at the input's sample rate).
        #[arg(short, long)]
        output: PathBuf,
        /// 16, 24 or 32f.
        #[arg(long, default_value = "24", value_parser = parse_bit_depth)]
        bit_depth: BitDepth,
        #[command(flatten)]
        loudness: LoudnessArgs,
        #[command(flatten)]
        chain: ChainArgs,
        /// Also write the loudness report as JSON.
        #[arg(long, value_name = "FILE.json")]
        report: Option<PathBuf>,
    },
    /// Master an album: every track to WAV, the whole album as one WAV with a CUE sheet.
    Album {
        album: PathBuf,
        /// Folder for the tracks, album.wav, album.cue and report.json (created if missing).
        #[arg(short, long)]
        output: PathBuf,
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
    /// Record from the audio input to a WAV file, until Ctrl+C or for --seconds.
    Record {
        /// Output WAV file (32-bit float, the input's rate and channels).
        output: PathBuf,
        /// Stop after this many seconds of audio.
        #[arg(long, value_parser = parse_seconds)]
        seconds: Option<f64>,
        /// Leave out leading silence: frames quieter than this (dBFS) until the first
        /// louder one.
        #[arg(long, default_value_t = audio::record::DEFAULT_TRIM_DB,
              allow_negative_numbers = true, value_parser = parse_trim)]
        trim_below: f32,
        /// Keep the leading silence.
        #[arg(long, conflicts_with = "trim_below")]
        no_trim: bool,
        /// Replace OUTPUT if it exists (otherwise an existing file is never touched).
        #[arg(long)]
        overwrite: bool,
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

#[derive(clap::Args)]
struct LoudnessArgs {
    /// streaming (-14 LUFS, -1 dBTP), club (-8, -0.3), broadcast (-23, -1),
    /// podcast (-16, -1) or none.
    #[arg(long, value_parser = parse_preset)]
    preset: Option<Preset>,
    /// Integrated loudness to reach (LUFS), over the preset's.
    #[arg(long, allow_negative_numbers = true)]
    target_lufs: Option<f32>,
    /// True-peak ceiling (dBTP), over the preset's.
    #[arg(long, allow_negative_numbers = true)]
    ceiling: Option<f32>,
}

impl LoudnessArgs {
    fn options(&self) -> LoudnessOptions {
        LoudnessOptions {
            preset: self.preset,
            target_lufs: self.target_lufs,
            ceiling_dbtp: self.ceiling,
        }
    }
}

#[derive(clap::Args)]
struct ChainArgs {
    /// A JSON file holding a master section, as in a song's "master".
    #[arg(long, value_name = "FILE.json")]
    chain: Option<PathBuf>,
    /// Gain into the chain (dB).
    #[arg(long, allow_negative_numbers = true)]
    gain: Option<f32>,
    /// Stereo width in percent (0 mono, 100 unchanged, up to 200).
    #[arg(long)]
    width: Option<f32>,
    /// Keep the lows mono below this frequency (Hz).
    #[arg(long)]
    mono_below: Option<f32>,
    /// Glue compressor threshold (dB) and ratio.
    #[arg(long, allow_negative_numbers = true)]
    comp_threshold: Option<f32>,
    #[arg(long)]
    comp_ratio: Option<f32>,
}

impl ChainArgs {
    fn options(&self) -> ChainOptions {
        ChainOptions {
            file: self.chain.clone(),
            gain_db: self.gain,
            width_percent: self.width,
            mono_below_hz: self.mono_below,
            compressor_threshold_db: self.comp_threshold,
            compressor_ratio: self.comp_ratio,
        }
    }
}

fn parse_preset(s: &str) -> Result<Preset, String> {
    Preset::parse(s).ok_or_else(|| format!("allowed: {}", Preset::ALLOWED))
}

fn parse_bit_depth(s: &str) -> Result<BitDepth, String> {
    BitDepth::parse(s).ok_or_else(|| format!("allowed: {}", BitDepth::ALLOWED))
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v <= 24.0 * 3600.0 => Ok(v),
        _ => Err("allowed: a number of seconds above 0, up to 86400".to_owned()),
    }
}

fn parse_trim(s: &str) -> Result<f32, String> {
    match s.parse::<f32>() {
        Ok(v) if (-120.0..=0.0).contains(&v) => Ok(v),
        _ => Err("allowed: -120 to 0 (dBFS)".to_owned()),
    }
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
        input_device: cli.input_device.clone(),
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
            loudness,
            report,
            stems,
        }) => render::render_command(
            &song,
            &output,
            &RenderOptions {
                sample_rate,
                bit_depth,
                block_size: block_size as usize,
                loudness: loudness.options(),
                stems,
            },
            report.as_deref(),
        ),
        Some(Command::Master {
            input,
            output,
            bit_depth,
            loudness,
            chain,
            report,
        }) => render::mastering::master_command(
            &input,
            &output,
            bit_depth,
            &loudness.options(),
            &chain.options(),
            report.as_deref(),
        ),
        Some(Command::Album { album, output }) => render::album::album_command(&album, &output),
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
        Some(Command::Record {
            output,
            seconds,
            trim_below,
            no_trim,
            overwrite,
        }) => audio::record::record_command(&audio::record::RecordOptions {
            output,
            seconds,
            trim_below_db: (!no_trim).then_some(trim_below),
            overwrite,
            device: cli.input_device.clone(),
        }),
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
    let show = |d: &audio::DeviceInfo, default: bool| {
        let default = if default { " (default)" } else { "" };
        println!("  {:<28} {}{default}", d.name, d.description);
    };
    println!("outputs (--device NAME):");
    for d in devices.iter().filter(|d| d.output) {
        show(d, d.default_output);
    }
    println!("inputs (for recording, --input-device NAME):");
    for d in devices.iter().filter(|d| d.input) {
        show(d, d.default_input);
    }
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
