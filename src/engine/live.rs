//! Playing live: start anywhere in the arrangement or loop one pattern, take an edited
//! song while playing (keeping voices and playhead), and say where the playhead is.
//!
//! Everything that allocates happens in `Engine::live` and `Snapshot::new`, on the
//! thread that owns the song; `Engine::swap_snapshot` only swaps, so the audio thread may
//! call it between two blocks, and the old song leaves in the snapshot to be freed
//! elsewhere. Offline rendering never calls any of this and stays as it was.

use super::channel::{Channel, Context};
use super::mixer::Strips;
use super::modulation::Modulation;
use super::sequencer::OrderList;
use super::{Engine, MAX_RUN, Stage, tail_frames};
use crate::song::{Cell, ChannelStrip, Mixer, Pattern, SampleBank, Song};

/// Where live play starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Start {
    /// The arrangement from `row` of order entry `entry`, to the song's end.
    Song { entry: usize, row: usize },
    /// Pattern `pattern` (index into `song.patterns`) from `row`, over and over.
    LoopPattern { pattern: usize, row: usize },
}

impl Start {
    /// The arrangement from its first row.
    pub const TOP: Start = Start::Song { entry: 0, row: 0 };

    fn order(self, song: &Song) -> OrderList {
        match self {
            Start::Song { .. } => OrderList::new(song),
            Start::LoopPattern { pattern, .. } if pattern < song.patterns.len() => {
                OrderList::pattern_loop(pattern)
            }
            // A pattern that no longer exists plays nothing.
            Start::LoopPattern { .. } => OrderList {
                looping: true,
                ..OrderList::default()
            },
        }
    }
}

/// What is being heard, as far as the engine knows (the device's buffer comes on top).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Playhead {
    /// The order entry playing; `None` while looping a pattern.
    pub entry: Option<usize>,
    /// Index into `song.patterns`.
    pub pattern: usize,
    pub row: usize,
}

/// A song compiled for the engine that is playing it: built where allocation is allowed,
/// swapped in by the audio thread, then carrying the old song back to be freed.
pub struct Snapshot {
    song: Song,
    samples: SampleBank,
    order: OrderList,
    /// Fresh strips for every channel of `song`; those that already play are swapped
    /// for the playing ones, so their voices ring on.
    channels: Vec<Channel>,
    /// The same for the mixer strips.
    strips: Strips,
    /// The song's movement, compiled; takes over the playing one's glides.
    modulation: Modulation,
}

impl Snapshot {
    /// `start` decides only whether the arrangement or one pattern loops (as it did when
    /// play started); `sample_rate` must be the playing engine's.
    pub fn new(song: &Song, samples: &SampleBank, sample_rate: u32, start: Start) -> Snapshot {
        let order = start.order(song);
        Snapshot {
            song: song.clone(),
            samples: samples.clone(),
            modulation: Modulation::new(song, &order, sample_rate),
            order,
            channels: (0..song.channel_count())
                .map(|i| Channel::new(sample_rate as f32, i))
                .collect(),
            strips: Strips::new(&song.mixer, song.tempo, sample_rate as f32, MAX_RUN),
        }
    }
}

impl Snapshot {
    /// A snapshot for an engine made by `Engine::preview` (same `channels`).
    pub fn preview(
        song: &Song,
        samples: &SampleBank,
        sample_rate: u32,
        channels: usize,
    ) -> Snapshot {
        Snapshot::new(
            &preview_song(song, channels),
            samples,
            sample_rate,
            PREVIEW_START,
        )
    }
}

/// A one-row empty pattern, looped: the clock runs, the cells never interfere.
const PREVIEW_START: Start = Start::LoopPattern { pattern: 0, row: 0 };

/// `song`'s instruments, tempo and master on `channels` plain channels that play only
/// what `Engine::trigger` gives them.
fn preview_song(song: &Song, channels: usize) -> Song {
    Song {
        mixer: Mixer {
            channels: vec![ChannelStrip::default(); channels],
            ..song.mixer.clone()
        },
        patterns: vec![Pattern::new("preview", 1, channels)],
        arrangement: Vec::new(),
        ..song.clone()
    }
}

impl Engine {
    /// An engine for playing `song`'s instruments by hand (previews, jamming) on
    /// `channels` channels of its own, through the song's master; it runs until dropped.
    pub fn preview(song: &Song, samples: &SampleBank, sample_rate: u32, channels: usize) -> Engine {
        Engine::live(
            &preview_song(song, channels),
            samples,
            sample_rate,
            PREVIEW_START,
        )
    }

    /// Plays `cell` on `channel` now, as if the channel had just reached it (a note, an
    /// `OFF`, a volume). Allocates nothing.
    pub fn trigger(&mut self, channel: usize, cell: Cell) {
        let ctx = Context {
            instruments: &self.song.instruments,
            ticks_per_row: self.sequencer.speed(),
            tick_length: self.tick_length,
            accent: 1.0,
        };
        if let Some(c) = self.channels.get_mut(channel) {
            c.start_row(cell, &ctx);
        }
    }

    /// Releases every held note (they ring out with their release).
    pub fn release_all_notes(&mut self) {
        for c in &mut self.channels {
            c.release_all();
        }
    }

    /// An engine that plays from `start`, with the tempo and speed the song has there.
    pub fn live(song: &Song, samples: &SampleBank, sample_rate: u32, start: Start) -> Engine {
        let mut engine = Engine::build(song, samples, sample_rate);
        let (slot, row) = match start {
            Start::Song { entry, row } => {
                let slot = engine
                    .sequencer
                    .order()
                    .entry_first_slot
                    .get(entry)
                    .copied()
                    .unwrap_or(usize::MAX);
                (slot, row)
            }
            Start::LoopPattern { row, .. } => {
                engine.sequencer.set_order(start.order(song));
                (0, row)
            }
        };
        if matches!(start, Start::LoopPattern { .. }) {
            engine.modulation = Modulation::new(song, engine.sequencer.order(), sample_rate);
        }
        engine.sequencer.seek(song, slot, row);
        engine.modulation.set_origin(engine.sequencer.origin());
        engine.prime();
        engine
    }

    /// Takes the edited song in `next` at this block boundary: voices, effect memory and
    /// the playhead carry on; mixer changes glide (no click); timing changes take effect
    /// from the current row. `next` then holds the old song, to be dropped elsewhere.
    pub fn swap_snapshot(&mut self, next: &mut Snapshot) {
        self.sequencer
            .adopt(&self.song, &next.song, &mut next.order);
        std::mem::swap(&mut self.song, &mut next.song);
        std::mem::swap(&mut self.samples, &mut next.samples);
        let kept = self.channels.len().min(next.channels.len());
        for (playing, fresh) in self.channels[..kept]
            .iter_mut()
            .zip(&mut next.channels[..kept])
        {
            std::mem::swap(playing, fresh);
        }
        std::mem::swap(&mut self.channels, &mut next.channels);
        let instruments = self.song.instruments.len();
        for c in &mut self.channels {
            c.forget_instruments_from(instruments);
        }
        // A tail already ringing keeps the length it started with.
        self.tail_frames = tail_frames(&self.song, self.sample_rate);
        self.master.set_params(&self.song.master);
        self.mixer.adopt_strips(&mut next.strips);
        self.mixer.apply(&self.song.mixer, false);
        next.modulation.take_over(&self.modulation);
        std::mem::swap(&mut self.modulation, &mut next.modulation);
    }

    /// The row being played, `None` before the first and after the last.
    pub fn playhead(&self) -> Option<Playhead> {
        if self.stage != Stage::Playing {
            return None;
        }
        let (slot, row) = self.sequencer.playing()?;
        let order = self.sequencer.order();
        let s = order.slots.get(slot)?;
        Some(Playhead {
            entry: (!order.looping).then_some(s.entry),
            pattern: s.pattern,
            row,
        })
    }

    /// Frames played since the start.
    pub fn frames_played(&self) -> u64 {
        self.now
    }

    /// Whether the last sample has left the limiter too: nothing more will sound.
    pub fn is_drained(&self) -> bool {
        matches!(self.stage, Stage::Tail { end } if self.now >= end + self.latency() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::render_to_vec;
    use crate::song::{Instrument, OrderEntry, Pattern, Synth};

    const RATE: u32 = 48_000;

    /// Two 16-row patterns, A then B, a note on every fourth row of each channel.
    fn song() -> Song {
        let mut s = Song::new(2);
        s.tempo = 140.0;
        s.render.tail = 0.2;
        s.instruments
            .push(Instrument::synth("lead", Synth::default()));
        s.patterns.clear();
        for (name, octave) in [("A", 3), ("B", 4)] {
            let mut p = Pattern::new(name, 16, 2);
            for row in (0..16).step_by(4) {
                *p.cell_mut(row, 0) = format!("C-{octave} 01 30").parse().unwrap();
                *p.cell_mut(row + 2, 1) = format!("G-{octave} 01 20").parse().unwrap();
            }
            s.patterns.push(p);
        }
        s.arrangement = ["A", "B"]
            .iter()
            .map(|p| OrderEntry {
                pattern: (*p).into(),
                section: "verse".into(),
                repeat: 1,
            })
            .collect();
        s
    }

    /// Plays `engine` in blocks until it is drained (or `limit` frames), with its output.
    fn play(engine: &mut Engine, block: usize, limit: usize) -> Vec<f32> {
        let mut out = Vec::new();
        let mut buffer = vec![0.0; 2 * block];
        while !engine.is_drained() && out.len() / 2 < limit {
            engine.process(&mut buffer);
            out.extend_from_slice(&buffer);
        }
        out
    }

    fn rows_heard(engine: &mut Engine, frames: usize) -> Vec<Playhead> {
        let mut heard: Vec<Playhead> = Vec::new();
        let mut buffer = vec![0.0; 2 * 64];
        for _ in 0..frames / 64 {
            engine.process(&mut buffer);
            if let Some(p) = engine.playhead()
                && heard.last() != Some(&p)
            {
                heard.push(p);
            }
        }
        heard
    }

    #[test]
    fn live_play_from_the_top_is_the_render_after_the_limiter_delay() {
        let s = song();
        let bank = SampleBank::default();
        let reference = render_to_vec(&s, &bank, RATE, 512);
        let mut engine = Engine::live(&s, &bank, RATE, Start::TOP);
        let latency = engine.latency();
        let out = play(&mut engine, 256, usize::MAX);
        assert!(out[..2 * latency].iter().all(|&x| x == 0.0));
        assert!(out[2 * latency..2 * latency + reference.len()] == reference[..]);
    }

    #[test]
    fn playing_from_an_entry_starts_on_its_row_at_once() {
        let s = song();
        let mut engine = Engine::live(
            &s,
            &SampleBank::default(),
            RATE,
            Start::Song { entry: 1, row: 4 },
        );
        let heard = rows_heard(&mut engine, 2 * RATE as usize);
        assert_eq!(
            heard[0],
            Playhead {
                entry: Some(1),
                pattern: 1,
                row: 4
            }
        );
        assert_eq!(heard.last().unwrap().row, 15, "plays on to B's end");
    }

    #[test]
    fn starting_after_a_tempo_change_keeps_the_changed_tempo() {
        let mut s = song();
        *s.patterns[0].cell_mut(0, 1) = "--- .. .. F50".parse().unwrap();
        let mut engine = Engine::live(
            &s,
            &SampleBank::default(),
            RATE,
            Start::Song { entry: 1, row: 0 },
        );
        assert_eq!(engine.sequencer.tempo(), 80.0);
        engine.process(&mut [0.0; 2]);
        assert_eq!(
            engine.sequencer.next_tick_at(),
            (RATE as f64 * 60.0 / (80.0 * 4.0 * 6.0)).ceil() as u64
        );
    }

    #[test]
    fn a_looped_pattern_plays_again_from_its_top() {
        let s = song();
        let mut engine = Engine::live(
            &s,
            &SampleBank::default(),
            RATE,
            Start::LoopPattern {
                pattern: 1,
                row: 14,
            },
        );
        let heard = rows_heard(&mut engine, RATE as usize);
        let rows: Vec<usize> = heard.iter().take(4).map(|p| p.row).collect();
        assert_eq!(rows, [14, 15, 0, 1]);
        assert!(heard.iter().all(|p| p.pattern == 1 && p.entry.is_none()));
        assert!(!engine.is_finished());
    }

    #[test]
    fn swapping_in_the_same_song_changes_nothing() {
        let s = song();
        let bank = SampleBank::default();
        let mut plain = Engine::live(&s, &bank, RATE, Start::TOP);
        let mut swapped = Engine::live(&s, &bank, RATE, Start::TOP);
        let reference = play(&mut plain, 300, usize::MAX);
        let mut out = Vec::new();
        let mut buffer = vec![0.0; 600];
        let mut snapshot = Snapshot::new(&s, &bank, RATE, Start::TOP);
        while !swapped.is_drained() {
            swapped.swap_snapshot(&mut snapshot);
            swapped.process(&mut buffer);
            out.extend_from_slice(&buffer);
        }
        assert!(out == reference);
    }

    #[test]
    fn an_edit_is_heard_from_the_next_row_and_keeps_the_playhead() {
        let s = song();
        let bank = SampleBank::default();
        let mut engine = Engine::live(&s, &bank, RATE, Start::TOP);
        let rows = rows_heard(&mut engine, RATE as usize / 4);
        let before = *rows.last().unwrap();
        let mut edited = s.clone();
        // A new first pattern entry shifts every slot; the playhead must follow its entry.
        edited.arrangement.insert(0, edited.arrangement[1].clone());
        edited.mixer.channels.push(Default::default());
        for p in &mut edited.patterns {
            p.set_channels(3);
        }
        edited.tempo = 70.0;
        let mut snapshot = Snapshot::new(&edited, &bank, RATE, Start::TOP);
        engine.swap_snapshot(&mut snapshot);
        assert_eq!(snapshot.song, s, "the old song comes back");
        assert_eq!(
            engine.playhead(),
            Some(Playhead {
                entry: Some(1),
                ..before
            })
        );
        let next = rows_heard(&mut engine, RATE as usize / 2);
        assert_eq!(next[1].row, before.row + 1);
        assert_eq!(engine.sequencer.tempo(), 70.0);
    }

    #[test]
    fn removing_the_playing_instrument_does_not_panic() {
        let s = song();
        let bank = SampleBank::default();
        let mut engine = Engine::live(&s, &bank, RATE, Start::TOP);
        play(&mut engine, 256, RATE as usize / 8);
        let mut edited = s.clone();
        edited.instruments.clear();
        for p in &mut edited.patterns {
            *p = Pattern::new(&p.name, p.length(), 2);
        }
        engine.swap_snapshot(&mut Snapshot::new(&edited, &bank, RATE, Start::TOP));
        let out = play(&mut engine, 256, RATE as usize / 8);
        assert!(out.iter().all(|x| x.is_finite()));
    }

    #[test]
    fn muting_a_channel_fades_it_without_a_click() {
        let mut s = song();
        s.mixer.channels[1].mute = true;
        let bank = SampleBank::default();
        let mut muted = Engine::live(&s, &bank, RATE, Start::TOP);
        let mut open = Engine::live(&s, &bank, RATE, Start::TOP);
        let before = play(&mut muted, 256, RATE as usize / 4);
        play(&mut open, 256, RATE as usize / 4);
        let level = before.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(level > 0.05);
        let mut edited = s.clone();
        edited.mixer.channels[0].mute = true;
        muted.swap_snapshot(&mut Snapshot::new(&edited, &bank, RATE, Start::TOP));
        let after = play(&mut muted, 256, RATE as usize / 2);
        let unmuted = play(&mut open, 256, RATE as usize / 2);
        // The change ramps in: the first frames barely differ from not muting at all.
        let latency = muted.latency();
        for (i, (a, b)) in after
            .iter()
            .zip(&unmuted)
            .enumerate()
            .skip(2 * latency)
            .take(16)
        {
            assert!(
                (a - b).abs() < 0.02 * level,
                "frame {}: a step at the mute",
                i / 2
            );
        }
        let end = &after[after.len() / 2..];
        assert!(
            end.iter().all(|&x| x.abs() < 1e-4),
            "every channel is muted"
        );
    }

    #[test]
    fn a_previewed_note_sounds_until_released_then_rings_out() {
        let s = song();
        let bank = SampleBank::default();
        let mut engine = Engine::preview(&s, &bank, RATE, 4);
        let silent = play(&mut engine, 256, RATE as usize / 10);
        assert!(silent.iter().all(|&x| x == 0.0));
        engine.trigger(2, "A-4 01".parse().unwrap());
        let held = play(&mut engine, 256, RATE as usize);
        let late = &held[held.len() / 2..];
        assert!(late.iter().any(|x| x.abs() > 0.05), "the note is held");
        engine.release_all_notes();
        let after = play(&mut engine, 256, RATE as usize);
        let end = &after[after.len() / 2..];
        assert!(end.iter().all(|&x| x == 0.0), "released, it ends");
        assert!(!engine.is_finished(), "the preview engine keeps running");
    }

    #[test]
    fn cutting_the_playing_pattern_short_moves_on_to_the_next_entry() {
        let s = song();
        let bank = SampleBank::default();
        let mut engine = Engine::live(&s, &bank, RATE, Start::Song { entry: 0, row: 12 });
        rows_heard(&mut engine, 2048);
        let mut edited = s.clone();
        edited.patterns[0].set_length(8);
        engine.swap_snapshot(&mut Snapshot::new(&edited, &bank, RATE, Start::TOP));
        let heard = rows_heard(&mut engine, 4096);
        assert_eq!(
            heard[0],
            Playhead {
                entry: Some(1),
                pattern: 1,
                row: 0
            }
        );
    }

    #[test]
    fn an_edit_while_looping_keeps_looping_the_same_pattern() {
        let s = song();
        let bank = SampleBank::default();
        let start = Start::LoopPattern {
            pattern: 0,
            row: 15,
        };
        let mut engine = Engine::live(&s, &bank, RATE, start);
        let mut edited = s.clone();
        edited.tempo = 200.0;
        edited.arrangement.clear();
        engine.swap_snapshot(&mut Snapshot::new(&edited, &bank, RATE, start));
        let rows: Vec<usize> = rows_heard(&mut engine, RATE as usize)
            .iter()
            .map(|p| p.row)
            .take(3)
            .collect();
        assert_eq!(rows, [15, 0, 1]);
        assert!(!engine.is_finished());
    }
}
