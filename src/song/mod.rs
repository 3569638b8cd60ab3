//! The song model: what a song is, how it reads and writes as JSON, and what values it allows.
//!
//! Files are diff-friendly JSON with a `format` version. Loading validates everything
//! once, so the engine and the editor can trust a `Song` they are handed.

pub mod automation;
mod cell;
pub mod groove;
mod instrument;
mod io;
mod master;
mod mixer;
mod note;
mod pattern;
pub mod sample_edit;
mod samples;
pub mod templates;
pub mod theory;
mod validate;

pub use automation::{ArrangementLane, Lane, Lfo, LfoRate, LfoShape, Target};
pub use cell::{Cell, Effect, EffectKind, MAX_VOLUME, NoteField};
pub use instrument::{
    Envelope, Filter, FilterMode, Instrument, LoopMode, Oscillator, PitchSweep, SampleLoop,
    Sampler, Source, Synth, Waveform,
};
pub use io::{
    SongError, backup_path, from_json, load, parse, read_text, save, to_json, write_atomically,
};
pub use master::{Limiter, Master, Preset, Width};
pub use mixer::{
    Band, BusReturn, ChannelStrip, Compressor, DelayBus, DelayTime, DuckCurve, DuckTrigger, Ducker,
    Eq, HighPass, HighPassSlope, Input, KeyBus, MAX_DECAY_S, MAX_DELAY_MS, MAX_DUCK_ATTACK_MS,
    MAX_DUCK_TIME_MS, MAX_KEY_HIGH_PASS_HZ, MAX_PRE_DELAY_MS, MIN_DECAY_S, MIN_DUCK_DEPTH_DB,
    MIN_KEY_HIGH_PASS_HZ, Mixer, NoteKind, ReverbBus, SILENT_DB, Send, Sends, Sidechain, Stage,
};
pub use note::{Key, MAX_PITCH, Pitch, Scale};
pub use pattern::{MAX_CHANNELS, MAX_ROWS, Pattern};
pub use samples::{SampleBank, SampleData, load_wav};
pub use validate::{bus_loop, key_loop, master_problems};

pub use groove::{Groove, GrooveTable};
use serde::{Deserialize, Serialize};

/// The file format this build writes; older formats are upgraded on load.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Song {
    pub format: u32,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub artist: String,
    /// Beats per minute.
    pub tempo: f32,
    /// Ticks per row: how finely effects such as slides and retriggers move.
    #[serde(default = "default_speed")]
    pub speed: u8,
    #[serde(default = "default_beats_per_bar")]
    pub beats_per_bar: u8,
    #[serde(default = "default_rows_per_beat")]
    pub rows_per_beat: u8,
    /// Percent of a row by which every odd row is late (0 = straight); the groove of
    /// files from before grooves, used when `groove` is not given.
    #[serde(default)]
    pub swing: f32,
    /// The song's groove (timing and accents); a pattern may have its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groove: Option<Groove>,
    #[serde(default)]
    pub key: Key,
    #[serde(default)]
    pub render: RenderSettings,
    pub instruments: Vec<Instrument>,
    pub mixer: Mixer,
    #[serde(default)]
    pub master: Master,
    pub patterns: Vec<Pattern>,
    pub arrangement: Vec<OrderEntry>,
    /// Lanes that run across order entries (a build over several patterns).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub automation: Vec<ArrangementLane>,
}

fn default_speed() -> u8 {
    6
}
fn default_beats_per_bar() -> u8 {
    4
}
fn default_rows_per_beat() -> u8 {
    4
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum BitDepth {
    #[serde(rename = "16")]
    Int16,
    #[serde(rename = "24")]
    Int24,
    #[serde(rename = "32f")]
    Float32,
}

impl BitDepth {
    pub const ALLOWED: &str = "16, 24 or 32f";

    pub fn parse(s: &str) -> Option<BitDepth> {
        match s {
            "16" => Some(BitDepth::Int16),
            "24" => Some(BitDepth::Int24),
            "32f" | "32" => Some(BitDepth::Float32),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            BitDepth::Int16 => "16-bit",
            BitDepth::Int24 => "24-bit",
            BitDepth::Float32 => "32-bit float",
        }
    }
}

pub const SAMPLE_RATES: [u32; 4] = [44_100, 48_000, 88_200, 96_000];

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RenderSettings {
    pub sample_rate: u32,
    pub bit_depth: BitDepth,
    /// Seconds rendered after the last row so releases ring out.
    pub tail: f32,
}

impl Default for RenderSettings {
    fn default() -> RenderSettings {
        RenderSettings {
            sample_rate: 48_000,
            bit_depth: BitDepth::Int24,
            tail: 2.0,
        }
    }
}

/// One line of the order list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderEntry {
    /// The name of a pattern.
    pub pattern: String,
    /// intro, verse, build, chorus, drop, break, outro, or any text.
    #[serde(default)]
    pub section: String,
    #[serde(default = "one")]
    pub repeat: u16,
}

fn one() -> u16 {
    1
}

pub const SECTIONS: [&str; 7] = [
    "intro", "verse", "build", "chorus", "drop", "break", "outro",
];

impl Song {
    /// An empty song: one 8-bar loop over `channels` channels, no instruments.
    pub fn new(channels: usize) -> Song {
        let mut song = Song {
            format: FORMAT_VERSION,
            title: String::new(),
            artist: String::new(),
            tempo: 120.0,
            speed: default_speed(),
            beats_per_bar: default_beats_per_bar(),
            rows_per_beat: default_rows_per_beat(),
            swing: 0.0,
            groove: None,
            key: Key::default(),
            render: RenderSettings::default(),
            instruments: Vec::new(),
            mixer: Mixer::with_channels(channels),
            master: Master::default(),
            patterns: Vec::new(),
            arrangement: Vec::new(),
            automation: Vec::new(),
        };
        let pattern = Pattern::new("Loop 1", song.rows_per_bar() * 8, channels);
        song.arrangement.push(OrderEntry {
            pattern: pattern.name.clone(),
            section: "verse".into(),
            repeat: 1,
        });
        song.patterns.push(pattern);
        song
    }

    pub fn channel_count(&self) -> usize {
        self.mixer.channels.len()
    }

    pub fn rows_per_bar(&self) -> usize {
        usize::from(self.beats_per_bar) * usize::from(self.rows_per_beat)
    }

    pub fn pattern_index(&self, name: &str) -> Option<usize> {
        self.patterns.iter().position(|p| p.name == name)
    }

    /// Gives every pattern exactly the song's channel count.
    fn fit_patterns_to_channels(&mut self) {
        let channels = self.channel_count();
        for p in &mut self.patterns {
            if p.channels() != channels {
                p.set_channels(channels);
            }
        }
    }
}

impl Song {
    /// The timing and accents pattern `pattern` (an index) plays with: its own groove,
    /// else the song's, else the song's `swing`.
    pub fn groove_table(&self, pattern: usize) -> GrooveTable {
        let own = self.patterns.get(pattern).and_then(|p| p.groove.as_ref());
        match own.or(self.groove.as_ref()) {
            Some(g) => g.table(usize::from(self.rows_per_beat)),
            None if self.swing != 0.0 => GrooveTable::legacy_swing(self.swing),
            None => GrooveTable::STRAIGHT,
        }
    }

    /// Every problem with this song's values, each naming its place; empty when it is good.
    pub fn problems(&self) -> Vec<String> {
        validate::problems(self)
    }
}
