//! Instruments: a two-oscillator subtractive synth and a sampler.

use super::automation::Lfo;
use super::note::Pitch;
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Waveform {
    Sine,
    Saw,
    Pulse,
    Triangle,
    Noise,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FilterMode {
    Lowpass,
    Highpass,
    Bandpass,
}

/// Attack, decay and release in seconds; sustain as a level from 0 to 1.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Envelope {
    pub attack: f32,
    pub decay: f32,
    pub sustain: f32,
    pub release: f32,
}

impl Default for Envelope {
    fn default() -> Envelope {
        Envelope {
            attack: 0.005,
            decay: 0.2,
            sustain: 0.8,
            release: 0.2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Oscillator {
    pub wave: Waveform,
    /// Coarse tuning in semitones.
    pub semitones: i32,
    /// Fine tuning in cents.
    pub detune: f32,
    /// Duty cycle of the pulse wave, 0.05 to 0.95.
    pub pulse_width: f32,
}

impl Default for Oscillator {
    fn default() -> Oscillator {
        Oscillator {
            wave: Waveform::Saw,
            semitones: 0,
            detune: 0.0,
            pulse_width: 0.5,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    pub mode: FilterMode,
    /// Hz.
    pub cutoff: f32,
    /// 0 is flat, 1 is close to self-oscillation.
    pub resonance: f32,
    /// How far the filter envelope moves the cutoff, in octaves (negative closes it).
    pub env_amount: f32,
    /// 0 keeps the cutoff fixed, 1 moves it with the note's pitch.
    pub key_track: f32,
    pub envelope: Envelope,
}

impl Default for Filter {
    fn default() -> Filter {
        Filter {
            mode: FilterMode::Lowpass,
            cutoff: 20_000.0,
            resonance: 0.0,
            env_amount: 0.0,
            key_track: 0.0,
            envelope: Envelope::default(),
        }
    }
}

/// A pitch that falls (or rises) to the note over `decay` seconds: the heart of a synth kick or tom.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PitchSweep {
    /// Semitones above the note at the start.
    pub amount: f32,
    pub decay: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Synth {
    pub osc1: Oscillator,
    pub osc2: Oscillator,
    /// 0 plays only oscillator 1, 1 only oscillator 2.
    pub mix: f32,
    pub amp: Envelope,
    pub filter: Filter,
    pub pitch_sweep: PitchSweep,
    /// Seconds to glide from the previous note of the channel (0 = off).
    pub glide: f32,
}

impl Default for Synth {
    fn default() -> Synth {
        Synth {
            osc1: Oscillator::default(),
            osc2: Oscillator {
                detune: 7.0,
                ..Oscillator::default()
            },
            mix: 0.5,
            amp: Envelope::default(),
            filter: Filter::default(),
            pitch_sweep: PitchSweep::default(),
            glide: 0.0,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoopMode {
    Forward,
    PingPong,
}

/// A loop over sample frames `start..end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SampleLoop {
    pub mode: LoopMode,
    pub start: u32,
    pub end: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sampler {
    /// WAV file, relative to the song file.
    pub path: String,
    /// The note at which the sample plays at its recorded pitch.
    #[serde(default = "default_root")]
    pub root: Pitch,
    /// Cents.
    #[serde(default)]
    pub fine_tune: f32,
    #[serde(default, rename = "loop", skip_serializing_if = "Option::is_none")]
    pub sample_loop: Option<SampleLoop>,
    #[serde(default = "sampler_envelope")]
    pub amp: Envelope,
    /// Where notes start, as a share (0 to 1) of the sample's length (9xx adds to it).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub start: f32,
}

fn is_zero(x: &f32) -> bool {
    *x == 0.0
}

fn default_root() -> Pitch {
    "C-4".parse().expect("C-4 is a note")
}

/// One-shots play to their end unless told otherwise.
fn sampler_envelope() -> Envelope {
    Envelope {
        attack: 0.0,
        decay: 0.0,
        sustain: 1.0,
        release: 0.05,
    }
}

impl Sampler {
    pub fn new(path: impl Into<String>) -> Sampler {
        Sampler {
            path: path.into(),
            root: default_root(),
            fine_tune: 0.0,
            sample_loop: None,
            amp: sampler_envelope(),
            start: 0.0,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Synth(Synth),
    Sampler(Sampler),
}

/// In files: `{"name": "Bass", "gain_db": -3.0, "synth": {...}}` or `{..., "sampler": {...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "InstrumentFile", into = "InstrumentFile")]
pub struct Instrument {
    pub name: String,
    pub gain_db: f32,
    pub source: Source,
    pub lfos: Vec<Lfo>,
}

impl Instrument {
    pub fn synth(name: impl Into<String>, synth: Synth) -> Instrument {
        Instrument {
            name: name.into(),
            gain_db: 0.0,
            source: Source::Synth(synth),
            lfos: Vec::new(),
        }
    }

    pub fn sampler(name: impl Into<String>, sampler: Sampler) -> Instrument {
        Instrument {
            name: name.into(),
            gain_db: 0.0,
            source: Source::Sampler(sampler),
            lfos: Vec::new(),
        }
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstrumentFile {
    name: String,
    #[serde(default)]
    gain_db: f32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    synth: Option<Synth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sampler: Option<Sampler>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    lfos: Vec<Lfo>,
}

impl TryFrom<InstrumentFile> for Instrument {
    type Error = String;
    fn try_from(f: InstrumentFile) -> Result<Instrument, String> {
        let source = match (f.synth, f.sampler) {
            (Some(s), None) => Source::Synth(s),
            (None, Some(s)) => Source::Sampler(s),
            _ => {
                return Err(format!(
                    "instrument \"{}\" needs exactly one of \"synth\" or \"sampler\"",
                    f.name
                ));
            }
        };
        Ok(Instrument {
            name: f.name,
            gain_db: f.gain_db,
            source,
            lfos: f.lfos,
        })
    }
}

impl From<Instrument> for InstrumentFile {
    fn from(i: Instrument) -> InstrumentFile {
        let (synth, sampler) = match i.source {
            Source::Synth(s) => (Some(s), None),
            Source::Sampler(s) => (None, Some(s)),
        };
        InstrumentFile {
            name: i.name,
            gain_db: i.gain_db,
            synth,
            sampler,
            lfos: i.lfos,
        }
    }
}
