//! Starter songs for `tracksmith new` (and for opening a file that does not exist yet):
//! an empty 8-bar loop with a drum kit, bass, pad and lead set up and named in the mixer.

use super::{
    ChannelStrip, Envelope, Filter, FilterMode, Instrument, Key, Oscillator, PitchSweep, Sampler,
    Song, Synth, Waveform,
};
use std::path::{Component, Path, PathBuf};

/// Options a user can give `tracksmith new`.
#[derive(Clone, Debug)]
pub struct StarterOptions {
    pub tempo: f32,
    pub key: Key,
    pub template: String,
    pub title: String,
    /// The bundled kit's folder, relative to the song's folder (`None`: use synth drums).
    pub kit: Option<String>,
}

/// The names `--template` accepts.
pub const TEMPLATES: [&str; 2] = ["basic", "empty"];

/// The kit files a starter song plays, with instrument names.
const KIT: [(&str, &str); 5] = [
    ("Kick", "kick.wav"),
    ("Snare", "snare.wav"),
    ("Clap", "clap.wav"),
    ("Closed hat", "hat_closed.wav"),
    ("Open hat", "hat_open.wav"),
];

/// A song ready to play: an empty 8-bar loop with instruments set up.
pub fn starter(opts: &StarterOptions) -> Result<Song, String> {
    if !TEMPLATES.contains(&opts.template.as_str()) {
        return Err(format!(
            "no template is named \"{}\" (templates: {})",
            opts.template,
            TEMPLATES.join(", ")
        ));
    }
    if opts.template == "empty" {
        let mut song = Song::new(8);
        song.tempo = opts.tempo;
        song.key = opts.key;
        song.title = opts.title.clone();
        return Ok(song);
    }
    let mut instruments: Vec<Instrument> = match &opts.kit {
        Some(dir) => KIT
            .iter()
            .map(|(name, file)| {
                let path = if dir.is_empty() {
                    (*file).to_owned()
                } else {
                    format!("{dir}/{file}")
                };
                Instrument::sampler(*name, Sampler::new(path))
            })
            .collect(),
        None => synth_drums(),
    };
    let gains = [0.0, -2.0, -3.0, -2.0, -4.0];
    for (inst, gain) in instruments.iter_mut().zip(gains) {
        inst.gain_db = gain;
    }
    instruments.push(named(Instrument::synth("Bass", bass()), -3.0));
    instruments.push(named(Instrument::synth("Pad", pad()), -6.0));
    instruments.push(named(Instrument::synth("Lead", lead()), -4.0));

    // name, gain, pan
    let strips: [(&str, f32, f32); 10] = [
        ("Kick", 0.0, 0.0),
        ("Snare", -3.0, 0.0),
        ("Clap", -4.0, 0.05),
        ("Hat", -8.0, 0.2),
        ("Open hat", -9.0, 0.25),
        ("Bass", -3.0, 0.0),
        ("Pad 1", -9.0, -0.3),
        ("Pad 2", -9.0, 0.0),
        ("Pad 3", -9.0, 0.3),
        ("Lead", -5.0, 0.1),
    ];
    let mut song = Song::new(strips.len());
    for (strip, (name, gain_db, pan)) in song.mixer.channels.iter_mut().zip(strips) {
        *strip = ChannelStrip {
            name: name.to_owned(),
            gain_db,
            pan,
            ..ChannelStrip::default()
        };
    }
    song.tempo = opts.tempo;
    song.key = opts.key;
    song.title = opts.title.clone();
    song.instruments = instruments;
    song.arrangement[0].section = "loop".into();
    Ok(song)
}

fn named(inst: Instrument, gain_db: f32) -> Instrument {
    Instrument { gain_db, ..inst }
}

fn env(attack: f32, decay: f32, sustain: f32, release: f32) -> Envelope {
    Envelope {
        attack,
        decay,
        sustain,
        release,
    }
}

fn osc(wave: Waveform, semitones: i32, detune: f32) -> Oscillator {
    Oscillator {
        wave,
        semitones,
        detune,
        pulse_width: 0.5,
    }
}

fn filter(
    mode: FilterMode,
    cutoff: f32,
    resonance: f32,
    env_amount: f32,
    envelope: Envelope,
) -> Filter {
    Filter {
        mode,
        cutoff,
        resonance,
        env_amount,
        key_track: 0.0,
        envelope,
    }
}

/// Drums from the synth alone, for when the bundled kit cannot be found.
fn synth_drums() -> Vec<Instrument> {
    let noise = |mode, cutoff, resonance, decay| Synth {
        osc1: osc(Waveform::Noise, 0, 0.0),
        osc2: osc(Waveform::Noise, 0, 0.0),
        mix: 0.0,
        amp: env(0.0, decay, 0.0, decay * 0.5),
        filter: filter(mode, cutoff, resonance, 0.0, Envelope::default()),
        pitch_sweep: PitchSweep::default(),
        glide: 0.0,
    };
    // Drum notes are entered anywhere; the kick sits two octaves below what is typed.
    let kick = Synth {
        osc1: osc(Waveform::Sine, -24, 0.0),
        osc2: osc(Waveform::Triangle, -24, 0.0),
        mix: 0.2,
        amp: env(0.0, 0.35, 0.0, 0.08),
        filter: filter(FilterMode::Lowpass, 2_000.0, 0.0, 0.0, Envelope::default()),
        pitch_sweep: PitchSweep {
            amount: 30.0,
            decay: 0.04,
        },
        glide: 0.0,
    };
    let snare = Synth {
        osc1: osc(Waveform::Triangle, -12, 0.0),
        osc2: osc(Waveform::Noise, 0, 0.0),
        mix: 0.7,
        amp: env(0.0, 0.18, 0.0, 0.1),
        filter: filter(FilterMode::Lowpass, 9_000.0, 0.1, 0.0, Envelope::default()),
        pitch_sweep: PitchSweep {
            amount: 7.0,
            decay: 0.03,
        },
        glide: 0.0,
    };
    vec![
        Instrument::synth("Kick", kick),
        Instrument::synth("Snare", snare),
        Instrument::synth("Clap", noise(FilterMode::Bandpass, 1_500.0, 0.3, 0.15)),
        Instrument::synth(
            "Closed hat",
            noise(FilterMode::Highpass, 8_000.0, 0.1, 0.05),
        ),
        Instrument::synth("Open hat", noise(FilterMode::Highpass, 7_000.0, 0.1, 0.4)),
    ]
}

fn bass() -> Synth {
    Synth {
        osc1: osc(Waveform::Saw, 0, 0.0),
        osc2: Oscillator {
            pulse_width: 0.3,
            ..osc(Waveform::Pulse, -12, 4.0)
        },
        mix: 0.4,
        amp: env(0.002, 0.3, 0.6, 0.08),
        filter: filter(
            FilterMode::Lowpass,
            500.0,
            0.35,
            2.5,
            env(0.0, 0.2, 0.0, 0.1),
        ),
        pitch_sweep: PitchSweep::default(),
        glide: 0.0,
    }
}

fn pad() -> Synth {
    Synth {
        osc1: osc(Waveform::Saw, 0, -8.0),
        osc2: osc(Waveform::Saw, 0, 8.0),
        mix: 0.5,
        amp: env(0.4, 0.6, 0.8, 1.2),
        filter: filter(
            FilterMode::Lowpass,
            2_200.0,
            0.1,
            1.0,
            env(0.6, 1.0, 0.5, 1.0),
        ),
        pitch_sweep: PitchSweep::default(),
        glide: 0.0,
    }
}

fn lead() -> Synth {
    Synth {
        osc1: Oscillator {
            pulse_width: 0.35,
            ..osc(Waveform::Pulse, 0, 0.0)
        },
        osc2: osc(Waveform::Saw, 0, 6.0),
        mix: 0.5,
        amp: env(0.005, 0.2, 0.7, 0.2),
        filter: filter(
            FilterMode::Lowpass,
            4_000.0,
            0.2,
            1.5,
            env(0.0, 0.25, 0.3, 0.2),
        ),
        pitch_sweep: PitchSweep::default(),
        glide: 0.03,
    }
}

/// Where the bundled kit is, as a path relative to the folder `song_path` will be in:
/// looked for beside the working folder, beside the program, and in the source tree.
pub fn find_kit(song_path: &Path) -> Option<String> {
    let song_dir = absolute_dir(song_path)?;
    let mut candidates = vec![PathBuf::from("samples")];
    if let Ok(exe) = std::env::current_exe() {
        candidates.extend(exe.ancestors().skip(1).map(|d| d.join("samples")));
    }
    candidates.push(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"));
    let kit = candidates
        .into_iter()
        .filter(|dir| KIT.iter().all(|(_, file)| dir.join(file).is_file()))
        .find_map(|dir| dir.canonicalize().ok())?;
    Some(relative_path(&song_dir, &kit))
}

fn absolute_dir(song_path: &Path) -> Option<PathBuf> {
    let parent = match song_path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    parent.canonicalize().ok()
}

/// `to` as seen from `from` (both absolute), with `/` between parts so songs move between systems.
pub fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<Component> = from.components().collect();
    let to: Vec<Component> = to.components().collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_owned(); from.len() - common];
    parts.extend(
        to[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(kit: Option<&str>) -> StarterOptions {
        StarterOptions {
            tempo: 128.0,
            key: "A minor".parse().unwrap(),
            template: "basic".into(),
            title: "Test".into(),
            kit: kit.map(str::to_owned),
        }
    }

    #[test]
    fn relative_paths_climb_and_descend() {
        assert_eq!(
            relative_path(Path::new("/a/b/songs"), Path::new("/a/b/samples")),
            "../samples"
        );
        assert_eq!(
            relative_path(Path::new("/a/b"), Path::new("/a/b/samples")),
            "samples"
        );
        assert_eq!(
            relative_path(Path::new("/x/y"), Path::new("/a/samples")),
            "../../a/samples"
        );
        assert_eq!(relative_path(Path::new("/a"), Path::new("/a")), "");
    }

    #[test]
    fn the_starter_song_is_valid_with_and_without_the_kit() {
        for kit in [Some("../samples"), None] {
            let song = starter(&opts(kit)).unwrap();
            assert!(song.problems().is_empty(), "{:?}", song.problems());
            assert_eq!(song.instruments.len(), 8);
            assert_eq!(song.patterns[0].length(), 8 * song.rows_per_bar());
            assert_eq!(song.mixer.channels[0].name, "Kick");
            assert_eq!(song.tempo, 128.0);
            assert_eq!(song.key.to_string(), "A minor");
        }
        let song = starter(&opts(Some("../samples"))).unwrap();
        match &song.instruments[0].source {
            crate::song::Source::Sampler(s) => assert_eq!(s.path, "../samples/kick.wav"),
            other => panic!("the kick should be a sample, got {other:?}"),
        }
        assert!(
            starter(&StarterOptions {
                template: "nope".into(),
                ..opts(None)
            })
            .unwrap_err()
            .contains("basic")
        );
    }
}
