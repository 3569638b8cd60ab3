//! Standard MIDI Files in and out: the song's notes as the sequencer plays them, for
//! working with other tools.
//!
//! Export walks the order list with the real sequencer (so jumps, breaks, repeats and
//! tempo changes come out as heard) and writes one track per channel. Import quantises
//! each note to the nearest row and spreads overlapping notes over as many channels as
//! a part needs, since a tracker channel plays one note at a time.

use crate::engine::sequencer::Sequencer;
use crate::song::{
    self, Cell, ChannelStrip, Effect, EffectKind, Instrument, Key, MAX_CHANNELS, MAX_PITCH,
    MAX_VOLUME, NoteField, OrderEntry, Pattern, Pitch, Scale, Song, Synth,
};
use midly::num::{u4, u7, u15, u24, u28};
use midly::{Format, Header, MetaMessage, MidiMessage, Smf, Timing, TrackEvent, TrackEventKind};
use std::collections::BTreeMap;
use std::path::Path;

/// MIDI ticks per quarter note in exported files: divisible by every rows-per-beat up to
/// 16 but 7, 9, 11, 13 and 14, and by every speed that divides 6, 8 or 12.
const EXPORT_PPQ: u16 = 960;
/// The clock rate the sequencer is run at for export; only row order matters here.
const WALK_RATE: u32 = 48_000;

/// One note as the song plays it, in rows from the start of the song.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoteSpan {
    pub channel: usize,
    /// MIDI note number.
    pub key: u8,
    pub start: f64,
    pub end: f64,
    /// 00-40, as the volume column writes it.
    pub volume: u8,
}

/// A tempo that holds from `row` on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TempoChange {
    pub row: f64,
    pub bpm: f64,
}

/// Every note of the song in playing order, the tempo map, and the song's length in rows.
pub fn song_notes(song: &Song) -> (Vec<NoteSpan>, Vec<TempoChange>, f64) {
    let channels = song.channel_count();
    let mut open: Vec<Option<NoteSpan>> = vec![None; channels];
    let mut volume = vec![MAX_VOLUME; channels];
    let mut notes = Vec::new();
    let mut tempos = vec![TempoChange {
        row: 0.0,
        bpm: f64::from(song.tempo),
    }];
    let mut seq = Sequencer::new(song, WALK_RATE);
    let mut row_index = 0.0f64;
    let close = |open: &mut Option<NoteSpan>, at: f64, notes: &mut Vec<NoteSpan>| {
        if let Some(mut n) = open.take() {
            n.end = at.max(n.start);
            notes.push(n);
        }
    };
    while let Some(tick) = seq.advance(song) {
        if tick.tick != 0 {
            continue;
        }
        let speed = f64::from(seq.speed().max(1));
        if seq.tempo() != tempos.last().map_or(0.0, |t| t.bpm) {
            tempos.push(TempoChange {
                row: row_index,
                bpm: seq.tempo(),
            });
        }
        let pattern = &song.patterns[tick.pattern];
        for (ch, cell) in pattern.row(tick.row).iter().enumerate() {
            let (kind, x) = match cell.effect {
                Some(Effect { kind, param }) => (Some(kind), param & 0x0F),
                None => (None, 0),
            };
            if kind == Some(EffectKind::NoteDelay) && f64::from(x) >= speed {
                continue; // a delay of a row or more never plays
            }
            let at = match kind {
                Some(EffectKind::NoteDelay) => row_index + f64::from(x) / speed,
                _ => row_index,
            };
            if cell.instrument.is_some() {
                volume[ch] = MAX_VOLUME;
            }
            if let Some(v) = cell.volume {
                volume[ch] = v;
            }
            if let Some(Effect {
                kind: EffectKind::SetVolume,
                param,
            }) = cell.effect
            {
                volume[ch] = param.min(MAX_VOLUME);
            }
            let sliding = kind == Some(EffectKind::TonePorta) && open[ch].is_some();
            match cell.note {
                NoteField::On(p) if !sliding => {
                    close(&mut open[ch], at, &mut notes);
                    open[ch] = Some(NoteSpan {
                        channel: ch,
                        key: p.midi(),
                        start: at,
                        end: at,
                        volume: volume[ch],
                    });
                }
                NoteField::Off => close(&mut open[ch], at, &mut notes),
                _ => {}
            }
            match kind {
                Some(EffectKind::NoteCut) if f64::from(x) < speed => {
                    close(&mut open[ch], row_index + f64::from(x) / speed, &mut notes);
                }
                Some(EffectKind::Retrigger) if x > 0 => {
                    let mut t = u32::from(x);
                    while f64::from(t) < speed {
                        let at = row_index + f64::from(t) / speed;
                        if let Some(n) = open[ch] {
                            close(&mut open[ch], at, &mut notes);
                            open[ch] = Some(NoteSpan { start: at, ..n });
                        }
                        t += u32::from(x);
                    }
                }
                _ => {}
            }
        }
        row_index += 1.0;
    }
    for slot in &mut open {
        close(slot, row_index, &mut notes);
    }
    notes.sort_by(|a, b| a.start.total_cmp(&b.start).then(a.channel.cmp(&b.channel)));
    (notes, tempos, row_index)
}

fn volume_to_velocity(volume: u8) -> u8 {
    ((u32::from(volume.min(MAX_VOLUME)) * 127 + 32) / u32::from(MAX_VOLUME)).max(1) as u8
}

fn velocity_to_volume(velocity: u8) -> u8 {
    ((u32::from(velocity) * u32::from(MAX_VOLUME) + 63) / 127) as u8
}

fn micros_per_beat(bpm: f64) -> u32 {
    (60_000_000.0 / bpm).round() as u32
}

/// The song as a Standard MIDI File (format 1): a conductor track with the title, time
/// signature and tempo map, then one track per channel named after its mixer strip.
pub fn export(song: &Song) -> Vec<u8> {
    let (notes, tempos, length) = song_notes(song);
    let ticks_per_row = f64::from(EXPORT_PPQ) / f64::from(song.rows_per_beat);
    let tick = |row: f64| (row * ticks_per_row).round() as u32;

    let mut conductor = vec![(
        0,
        TrackEventKind::Meta(MetaMessage::TrackName(song.title.as_bytes())),
    )];
    conductor.push((
        0,
        TrackEventKind::Meta(MetaMessage::TimeSignature(song.beats_per_bar, 2, 24, 8)),
    ));
    if let Some((sharps, minor)) = key_signature(song.key) {
        conductor.push((
            0,
            TrackEventKind::Meta(MetaMessage::KeySignature(sharps, minor)),
        ));
    }
    for t in &tempos {
        conductor.push((
            tick(t.row),
            TrackEventKind::Meta(MetaMessage::Tempo(u24::new(micros_per_beat(t.bpm)))),
        ));
    }
    conductor.push((tick(length), TrackEventKind::Meta(MetaMessage::EndOfTrack)));
    let mut tracks = vec![conductor];

    for (ch, strip) in song.mixer.channels.iter().enumerate() {
        let channel = u4::new((ch % 16) as u8);
        let mut events = vec![(
            0,
            TrackEventKind::Meta(MetaMessage::TrackName(strip.name.as_bytes())),
        )];
        for n in notes.iter().filter(|n| n.channel == ch) {
            let key = u7::new(n.key.min(127));
            let (start, end) = (tick(n.start), tick(n.end));
            events.push((
                start,
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOn {
                        key,
                        vel: u7::new(volume_to_velocity(n.volume)),
                    },
                },
            ));
            events.push((
                end.max(start + 1),
                TrackEventKind::Midi {
                    channel,
                    message: MidiMessage::NoteOff {
                        key,
                        vel: u7::new(64),
                    },
                },
            ));
        }
        // At one instant, note-offs first, so a note ending where the next begins stays two.
        events.sort_by_key(|(at, kind)| {
            let order = match kind {
                TrackEventKind::Meta(_) => 0,
                TrackEventKind::Midi {
                    message: MidiMessage::NoteOff { .. },
                    ..
                } => 1,
                _ => 2,
            };
            (*at, order)
        });
        let last = events.last().map_or(0, |e| e.0);
        events.push((
            last.max(tick(length)),
            TrackEventKind::Meta(MetaMessage::EndOfTrack),
        ));
        tracks.push(events);
    }

    let tracks: Vec<Vec<TrackEvent>> = tracks
        .into_iter()
        .map(|mut events| {
            events.sort_by_key(|e| e.0);
            let mut previous = 0;
            events
                .into_iter()
                .map(|(at, kind)| {
                    let delta = at - previous;
                    previous = at;
                    TrackEvent {
                        delta: u28::new(delta),
                        kind,
                    }
                })
                .collect()
        })
        .collect();
    let smf = Smf {
        header: Header::new(Format::Parallel, Timing::Metrical(u15::new(EXPORT_PPQ))),
        tracks,
    };
    let mut bytes = Vec::new();
    smf.write_std(&mut bytes)
        .expect("writing to memory cannot fail");
    bytes
}

/// Writes `song` as a MIDI file at `path`, atomically.
pub fn export_to_file(song: &Song, path: &Path) -> Result<(), String> {
    let bytes = export(song);
    song::write_atomically(path, |out| std::io::Write::write_all(out, &bytes))
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))
}

/// How `import` lays a MIDI file out on the grid.
#[derive(Clone, Copy, Debug)]
pub struct ImportOptions {
    pub rows_per_beat: u8,
    pub bars_per_pattern: usize,
}

impl Default for ImportOptions {
    fn default() -> ImportOptions {
        ImportOptions {
            rows_per_beat: 4,
            bars_per_pattern: 8,
        }
    }
}

/// A note read from the file, in MIDI ticks.
struct MidiNote {
    part: usize,
    key: u8,
    velocity: u8,
    start: u64,
    end: u64,
}

/// Makes a song from a Standard MIDI File: one instrument and as many channels as it
/// needs per part (a track's notes on one MIDI channel), notes quantised to rows.
pub fn import(bytes: &[u8], options: &ImportOptions) -> Result<Song, String> {
    let smf = Smf::parse(bytes).map_err(|e| format!("not a Standard MIDI File ({e})"))?;
    let ppq = match smf.header.timing {
        Timing::Metrical(t) if t.as_int() > 0 => u64::from(t.as_int()),
        Timing::Metrical(_) => return Err("the header gives 0 ticks per beat".into()),
        Timing::Timecode(..) => {
            return Err("SMPTE (timecode) timing is not supported, only ticks per beat".into());
        }
    };
    let rows_per_beat = u64::from(options.rows_per_beat);
    let to_row = |tick: u64| ((tick * rows_per_beat + ppq / 2) / ppq) as usize;

    let mut parts: Vec<(usize, u8)> = Vec::new();
    let mut part_names: Vec<String> = Vec::new();
    let mut notes = Vec::new();
    let mut tempos: Vec<(u64, u32)> = Vec::new();
    let mut time_signature = None;
    let mut key = None;
    let mut title = String::new();
    // Tracks play at once in format 0 and 1; format 2 (sequential) plays them one after another.
    let mut sequential_offset = 0u64;
    for (t, track) in smf.tracks.iter().enumerate() {
        let mut now = if smf.header.format == Format::Sequential {
            sequential_offset
        } else {
            0
        };
        let mut name = None;
        let mut held: BTreeMap<(u8, u8), Vec<(u64, u8)>> = BTreeMap::new();
        for event in track {
            now += u64::from(event.delta.as_int());
            match event.kind {
                TrackEventKind::Meta(MetaMessage::TrackName(n)) => {
                    name = Some(String::from_utf8_lossy(n).trim().to_owned());
                }
                TrackEventKind::Meta(MetaMessage::Tempo(us)) => tempos.push((now, us.as_int())),
                TrackEventKind::Meta(MetaMessage::TimeSignature(num, den, ..)) => {
                    time_signature.get_or_insert((num, den));
                }
                TrackEventKind::Meta(MetaMessage::KeySignature(sharps, minor)) => {
                    key.get_or_insert(key_from_signature(sharps, minor));
                }
                TrackEventKind::Midi { channel, message } => {
                    let channel = channel.as_int();
                    let (key, on) = match message {
                        MidiMessage::NoteOn { key, vel } if vel.as_int() > 0 => {
                            (key.as_int(), Some(vel.as_int()))
                        }
                        MidiMessage::NoteOn { key, .. } | MidiMessage::NoteOff { key, .. } => {
                            (key.as_int(), None)
                        }
                        _ => continue,
                    };
                    match on {
                        Some(velocity) => held
                            .entry((channel, key))
                            .or_default()
                            .push((now, velocity)),
                        None => {
                            let Some((start, velocity)) = held
                                .get_mut(&(channel, key))
                                .and_then(|q| (!q.is_empty()).then(|| q.remove(0)))
                            else {
                                continue; // a note-off with no note: ignore it
                            };
                            let part = part_index(&mut parts, t, channel);
                            notes.push(MidiNote {
                                part,
                                key,
                                velocity,
                                start,
                                end: now,
                            });
                        }
                    }
                }
                _ => {}
            }
        }
        // Notes never released end with their track.
        for ((channel, key), queue) in held {
            for (start, velocity) in queue {
                let part = part_index(&mut parts, t, channel);
                notes.push(MidiNote {
                    part,
                    key,
                    velocity,
                    start,
                    end: now.max(start + 1),
                });
            }
        }
        sequential_offset = now;
        while part_names.len() < parts.len() {
            let (_, channel) = parts[part_names.len()];
            let base = name
                .clone()
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| format!("Track {t}"));
            part_names.push(if parts.iter().filter(|p| p.0 == t).count() > 1 {
                format!("{base} ch{}", channel + 1)
            } else {
                base
            });
        }
        if t == 0 && title.is_empty() {
            title = name.unwrap_or_default();
        }
    }
    if notes.is_empty() {
        return Err("the file holds no notes".into());
    }
    if let Some(n) = notes.iter().find(|n| Pitch::from_midi(n.key).is_none()) {
        return Err(format!(
            "note {} is outside the grid's range (MIDI {} to {})",
            n.key,
            Pitch::new(0).map_or(12, Pitch::midi),
            Pitch::new(MAX_PITCH).map_or(131, Pitch::midi)
        ));
    }
    tempos.sort_by_key(|t| t.0);

    // Spread each part's notes over channels: a channel holds one note at a time.
    notes.sort_by_key(|n| (n.part, to_row(n.start), n.key));
    let mut channel_parts: Vec<usize> = Vec::new();
    let mut busy_until: Vec<usize> = Vec::new();
    let mut placed = Vec::new();
    for n in &notes {
        let start = to_row(n.start);
        let end = to_row(n.end).max(start + 1);
        let ch = match (0..channel_parts.len())
            .find(|&c| channel_parts[c] == n.part && busy_until[c] <= start)
        {
            Some(c) => c,
            None => {
                channel_parts.push(n.part);
                busy_until.push(0);
                channel_parts.len() - 1
            }
        };
        busy_until[ch] = end;
        placed.push((ch, start, end, n));
    }
    if channel_parts.len() > MAX_CHANNELS {
        return Err(format!(
            "the file needs {} channels to hold its overlapping notes (allowed at most {MAX_CHANNELS})",
            channel_parts.len()
        ));
    }
    // Keep each part's channels together, in part order.
    let mut order: Vec<usize> = (0..channel_parts.len()).collect();
    order.sort_by_key(|&c| (channel_parts[c], c));
    let mut column = vec![0; channel_parts.len()];
    for (i, &c) in order.iter().enumerate() {
        column[c] = i;
    }

    let beats_per_bar = match time_signature {
        Some((num, _)) if (1..=16).contains(&num) => num,
        _ => 4,
    };
    let mut song = Song::new(channel_parts.len());
    song.title = title;
    song.beats_per_bar = beats_per_bar;
    song.rows_per_beat = options.rows_per_beat;
    song.key = key.unwrap_or_default();
    if let Some(&(_, us)) = tempos.first() {
        song.tempo = bpm_from_micros(us).clamp(20.0, 999.0);
    }
    song.instruments = part_names
        .iter()
        .map(|name| Instrument::synth(name.clone(), Synth::default()))
        .collect();
    for (i, &c) in order.iter().enumerate() {
        let part = channel_parts[c];
        song.mixer.channels[i] = ChannelStrip {
            name: part_names[part].clone(),
            ..ChannelStrip::default()
        };
    }

    let song_rows = placed.iter().map(|p| p.2).max().unwrap_or(1);
    let pattern_rows = song.rows_per_bar() * options.bars_per_pattern.max(1);
    let mut grid: BTreeMap<(usize, usize), Cell> = BTreeMap::new();
    for &(ch, start, end, n) in &placed {
        let col = column[ch];
        let volume = velocity_to_volume(n.velocity);
        grid.insert(
            (start, col),
            Cell {
                note: NoteField::On(Pitch::from_midi(n.key).expect("checked above")),
                instrument: u8::try_from(n.part + 1).ok(),
                volume: (volume != MAX_VOLUME).then_some(volume),
                effect: None,
            },
        );
        grid.entry((end, col)).or_insert(Cell {
            note: NoteField::Off,
            ..Cell::EMPTY
        });
    }
    // Later tempo changes go in the effect column of the first channel free at that row.
    for &(tick, us) in tempos.iter().skip(1) {
        let row = to_row(tick);
        let bpm = bpm_from_micros(us).round().clamp(32.0, 255.0) as u8;
        if let Some(col) = (0..channel_parts.len())
            .find(|&c| grid.get(&(row, c)).is_none_or(|cell| cell.effect.is_none()))
        {
            grid.entry((row, col)).or_insert(Cell::EMPTY).effect = Some(Effect {
                kind: EffectKind::SpeedTempo,
                param: bpm,
            });
        }
    }

    let pattern_count = song_rows.div_ceil(pattern_rows).max(1);
    let rows_per_bar = song.rows_per_bar();
    song.patterns = (0..pattern_count)
        .map(|i| {
            let first = i * pattern_rows;
            let remaining = song_rows.saturating_sub(first);
            let length = pattern_rows.min(remaining.div_ceil(rows_per_bar).max(1) * rows_per_bar);
            let mut p = Pattern::new(format!("Part {}", i + 1), length, channel_parts.len());
            for (&(row, col), cell) in grid.range((first, 0)..(first + length, 0)) {
                *p.cell_mut(row - first, col) = *cell;
            }
            p
        })
        .collect();
    song.arrangement = song
        .patterns
        .iter()
        .map(|p| OrderEntry {
            pattern: p.name.clone(),
            section: String::new(),
            repeat: 1,
        })
        .collect();
    Ok(song)
}

/// Sharps (negative: flats) and minor-ness of a major or minor key; other scales have none.
fn key_signature(key: Key) -> Option<(i8, bool)> {
    let (relative_major, minor) = match key.scale {
        Scale::Major => (key.root, false),
        Scale::Minor => ((key.root + 3) % 12, true),
        _ => return None,
    };
    // Each step round the circle of fifths adds a sharp: 7 semitones.
    let sharps = (i16::from(relative_major) * 7 % 12) as i8;
    Some((if sharps > 6 { sharps - 12 } else { sharps }, minor))
}

fn key_from_signature(sharps: i8, minor: bool) -> Key {
    // 7 is its own inverse modulo 12, so this walks the circle of fifths back.
    let major_root = (i16::from(sharps) * 7).rem_euclid(12) as u8;
    if minor {
        Key {
            root: (major_root + 9) % 12,
            scale: Scale::Minor,
        }
    } else {
        Key {
            root: major_root,
            scale: Scale::Major,
        }
    }
}

fn part_index(parts: &mut Vec<(usize, u8)>, track: usize, channel: u8) -> usize {
    parts
        .iter()
        .position(|&p| p == (track, channel))
        .unwrap_or_else(|| {
            parts.push((track, channel));
            parts.len() - 1
        })
}

/// BPM to two decimals: MIDI stores whole microseconds per beat, which no BPM survives exactly.
fn bpm_from_micros(us: u32) -> f32 {
    ((60_000_000.0 / f64::from(us.max(1))) * 100.0).round() as f32 / 100.0
}

/// Reads a MIDI file and writes the song made from it (refusing to replace a file).
pub fn import_file(input: &Path, output: &Path, options: &ImportOptions) -> Result<Song, String> {
    let bytes =
        std::fs::read(input).map_err(|e| format!("{}: cannot read: {e}", input.display()))?;
    let song = import(&bytes, options).map_err(|e| format!("{}: {e}", input.display()))?;
    if output.exists() {
        return Err(format!(
            "{}: already exists; not overwriting it",
            output.display()
        ));
    }
    song::save(&song, output).map_err(|e| e.to_string())?;
    Ok(song)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn song_with(channels: usize, length: usize, cells: &[(usize, usize, &str)]) -> Song {
        let mut s = Song::new(channels);
        s.tempo = 124.0;
        s.instruments.push(Instrument::synth("a", Synth::default()));
        s.instruments.push(Instrument::synth("b", Synth::default()));
        let mut p = Pattern::new("P", length, channels);
        for &(row, ch, text) in cells {
            *p.cell_mut(row, ch) = text.parse().unwrap();
        }
        s.patterns = vec![p];
        s.arrangement = vec![OrderEntry {
            pattern: "P".into(),
            section: "verse".into(),
            repeat: 2,
        }];
        s
    }

    /// Notes as (key, start, end, volume), channel-blind and sorted.
    fn shape(notes: &[NoteSpan]) -> Vec<(u8, u64, u64, u8)> {
        let mut v: Vec<_> = notes
            .iter()
            .map(|n| {
                (
                    n.key,
                    (n.start * 1000.0).round() as u64,
                    (n.end * 1000.0).round() as u64,
                    n.volume,
                )
            })
            .collect();
        v.sort();
        v
    }

    #[test]
    fn notes_follow_offs_cuts_delays_and_repeats() {
        let s = song_with(
            2,
            16,
            &[
                (0, 0, "C-4 01"),
                (4, 0, "OFF"),
                (4, 1, "E-4 02 20"),
                (8, 0, "G-4 01 .. EC3"),
                (10, 1, "A-4 .. .. ED2"),
            ],
        );
        let (notes, tempos, length) = song_notes(&s);
        assert_eq!(length, 32.0);
        assert_eq!(
            tempos,
            [TempoChange {
                row: 0.0,
                bpm: 124.0
            }]
        );
        let first: Vec<_> = notes.iter().filter(|n| n.start < 16.0).copied().collect();
        assert_eq!(
            shape(&first),
            [
                (60, 0, 4000, 0x40),
                (64, 4000, 10_333, 0x20),
                (67, 8000, 8500, 0x40),
                // The delayed note keeps the channel's volume; it rings to the repeat's next note.
                (69, 10_333, 20_000, 0x20),
            ]
        );
        assert_eq!(notes.len(), 8, "the repeat plays everything again");
    }

    #[test]
    fn export_then_import_keeps_every_note_pitch_start_and_length() {
        let s = song_with(
            3,
            32,
            &[
                (0, 0, "C-4 01"),
                (0, 1, "E-4 01 30"),
                (0, 2, "G-4 02 10"),
                (3, 0, "D-4 01"),
                (6, 0, "OFF"),
                (8, 1, "OFF"),
                (12, 2, "B-5 02 40"),
                (16, 0, "C-2 01"),
                (17, 0, "C#2 01"),
                (30, 1, "A-7 01 01"),
                (31, 1, "OFF"),
            ],
        );
        let bytes = export(&s);
        let back = import(&bytes, &ImportOptions::default()).unwrap();
        assert!(back.problems().is_empty(), "{:?}", back.problems());
        let (ours, _, _) = song_notes(&s);
        let (theirs, tempos, _) = song_notes(&back);
        assert_eq!(shape(&theirs), shape(&ours));
        assert!((tempos[0].bpm - 124.0).abs() < 0.01);
        assert_eq!(back.rows_per_beat, 4);
        assert_eq!(back.beats_per_bar, 4);
    }

    #[test]
    fn overlapping_notes_of_one_track_get_channels_of_their_own() {
        // One track playing a three-note chord, the middle note held over the next chord.
        let mut s = song_with(
            3,
            16,
            &[(0, 0, "C-4 01"), (0, 1, "E-4 01"), (0, 2, "G-4 01")],
        );
        *s.patterns[0].cell_mut(4, 0) = "D-4 01".parse().unwrap();
        *s.patterns[0].cell_mut(4, 2) = "A-4 01".parse().unwrap();
        *s.patterns[0].cell_mut(8, 0) = "OFF".parse().unwrap();
        *s.patterns[0].cell_mut(8, 2) = "OFF".parse().unwrap();
        *s.patterns[0].cell_mut(12, 1) = "OFF".parse().unwrap();
        s.arrangement[0].repeat = 1;
        // Put all three channels on MIDI channel 1 of one track.
        let (notes, _, _) = song_notes(&s);
        let mut events: Vec<(u32, bool, u8)> = Vec::new();
        for n in &notes {
            events.push(((n.start * 240.0) as u32, true, n.key));
            events.push(((n.end * 240.0) as u32, false, n.key));
        }
        events.sort_by_key(|e| (e.0, e.1));
        let mut previous = 0;
        let track: Vec<TrackEvent> = events
            .iter()
            .map(|&(at, on, key)| {
                let delta = at - previous;
                previous = at;
                let key = u7::new(key);
                TrackEvent {
                    delta: u28::new(delta),
                    kind: TrackEventKind::Midi {
                        channel: u4::new(0),
                        message: if on {
                            MidiMessage::NoteOn {
                                key,
                                vel: u7::new(100),
                            }
                        } else {
                            MidiMessage::NoteOff {
                                key,
                                vel: u7::new(0),
                            }
                        },
                    },
                }
            })
            .collect();
        let smf = Smf {
            header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(960))),
            tracks: vec![track],
        };
        let mut bytes = Vec::new();
        smf.write_std(&mut bytes).unwrap();
        let back = import(&bytes, &ImportOptions::default()).unwrap();
        assert_eq!(back.channel_count(), 3, "three notes sound at once");
        assert_eq!(back.instruments.len(), 1, "one part, one instrument");
        let (theirs, _, _) = song_notes(&back);
        let strip = |v: Vec<(u8, u64, u64, u8)>| -> Vec<(u8, u64, u64)> {
            v.into_iter().map(|(k, s, e, _)| (k, s, e)).collect()
        };
        assert_eq!(strip(shape(&theirs)), strip(shape(&notes)));
    }

    #[test]
    fn bad_files_are_described() {
        let err = import(b"RIFF....WAVE", &ImportOptions::default()).unwrap_err();
        assert!(err.contains("not a Standard MIDI File"), "{err}");
        let empty = Smf {
            header: Header::new(Format::SingleTrack, Timing::Metrical(u15::new(96))),
            tracks: vec![vec![]],
        };
        let mut bytes = Vec::new();
        empty.write_std(&mut bytes).unwrap();
        let err = import(&bytes, &ImportOptions::default()).unwrap_err();
        assert!(err.contains("no notes"), "{err}");
    }

    #[test]
    fn major_and_minor_keys_round_trip_through_key_signatures() {
        for root in 0..12 {
            for scale in [Scale::Major, Scale::Minor] {
                let key = Key { root, scale };
                let (sharps, minor) = key_signature(key).unwrap();
                assert!((-6..=6).contains(&sharps));
                assert_eq!(key_from_signature(sharps, minor), key);
            }
        }
        let sharps_of = |s: &str| key_signature(s.parse().unwrap()).unwrap().0;
        assert_eq!(sharps_of("G major"), 1);
        assert_eq!(sharps_of("F major"), -1);
        assert_eq!(sharps_of("A minor"), 0);
        assert_eq!(sharps_of("F minor"), -4);
        assert_eq!(sharps_of("D major"), 2);
        assert!(key_signature("D dorian".parse().unwrap()).is_none());
    }

    #[test]
    fn velocity_and_volume_map_onto_each_other() {
        assert_eq!(volume_to_velocity(0x40), 127);
        assert_eq!(volume_to_velocity(0), 1);
        for v in 1..=0x40 {
            assert_eq!(velocity_to_volume(volume_to_velocity(v)), v, "volume {v}");
        }
    }
}
