//! What the benchmarks share: the songs they play.

use std::path::{Path, PathBuf};
use tracksmith::song::{self, Instrument, OrderEntry, Pattern, SampleBank, Song, Synth, Waveform};

pub const RATE: u32 = 48_000;

/// 64 channels, every one playing a filtered two-saw synth note on every beat for 8 bars.
pub fn stress_song() -> Song {
    let channels = 64;
    let mut s = Song::new(channels);
    s.tempo = 128.0;
    s.render.tail = 1.0;
    let mut synth = Synth::default();
    synth.osc2.wave = Waveform::Pulse;
    synth.filter.cutoff = 1_200.0;
    synth.filter.resonance = 0.3;
    synth.filter.env_amount = 2.0;
    synth.amp.sustain = 0.7;
    s.instruments.push(Instrument::synth("stress", synth));
    let mut p = Pattern::new("Stress", 128, channels);
    for ch in 0..channels {
        for row in (0..128).step_by(4) {
            let note = 36 + (ch * 7 + row / 4) % 48;
            *p.cell_mut(row, ch) = format!("{} 01 20", song::Pitch::new(note as u8).unwrap())
                .parse()
                .unwrap();
        }
    }
    s.patterns = vec![p];
    s.arrangement = vec![OrderEntry {
        pattern: "Stress".into(),
        section: "drop".into(),
        repeat: 4,
    }];
    s
}

/// The demo songs in `songs/`, by file name, with their samples.
pub fn demo_songs() -> Vec<(String, Song, SampleBank)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let song = song::load(&path).unwrap();
            let samples = SampleBank::load(&song, &path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, song, samples)
        })
        .collect()
}
