//! Movement in the engine: automation lanes, LFOs and the effect column's parameter
//! commands, evaluated on a fixed grid of song samples and written into the engine's copy
//! of the song, where voices, strips and the master chain read them.
//!
//! The grid (every `CONTROL_FRAMES` samples from the engine's first, plus every row's
//! first sample) does not depend on the caller's block size, so the output does not
//! either. Every value glides (10 ms) from where it was, so a step never clicks; a step
//! on a row starts moving on that row's first sample.

use super::sequencer::{OrderList, Tick};
use crate::dsp::lfo::{self, Shape};
use crate::dsp::smooth::Smoothed;
use crate::song::automation::{LfoOwner, Target, value_at};
use crate::song::{EffectKind, LfoRate, LfoShape, Song};

/// Samples between two evaluations.
pub const CONTROL_FRAMES: u64 = 64;
/// The glide every value makes toward a new one.
const GLIDE_SECONDS: f32 = 0.01;
/// Room for parameters only the effect column touches (found while playing).
const EFFECT_SLOTS: usize = 64;

/// One moving parameter.
struct Slot {
    target: Target,
    /// The song's value, or the last one the effect column set.
    base: f32,
    /// A `Wxx` glide: from, to, its start and length in samples.
    glide: Option<(f32, f32, f64, f64)>,
    /// This evaluation's lane value, if a lane covers the parameter now.
    lane: Option<f32>,
    /// This evaluation's LFO offset, in shares of the range.
    offset: f32,
    smoothed: Smoothed,
    /// What was last written into the song.
    written: f32,
}

struct CompiledLfo {
    slot: usize,
    slot_target: Target,
    shape: Shape,
    rate: LfoRate,
    depth: f32,
    phase: f64,
    owner: LfoOwner,
    retrigger: bool,
    seed: u64,
    /// Song beats and song samples of the last note that restarted it.
    restarted_at: Option<(f64, f64)>,
}

struct ArrangementLaneRef {
    /// Index into `song.automation`.
    lane: usize,
    slot: usize,
    /// The first order slot of the lane's entry, and its row in the order's row count.
    first_slot: usize,
    first_row: u64,
}

/// Where the song is: the row playing and its timing, in engine samples.
#[derive(Clone, Copy, Debug)]
struct Clock {
    order_slot: usize,
    pattern: usize,
    row: usize,
    row_start: f64,
    row_length: f64,
    song_row: u64,
}

pub struct Modulation {
    slots: Vec<Slot>,
    /// Per pattern: (lane index in the pattern, slot).
    pattern_lanes: Vec<Vec<(usize, usize)>>,
    arrangement_lanes: Vec<ArrangementLaneRef>,
    lfos: Vec<CompiledLfo>,
    /// Each order slot's first row, counted over the order list.
    slot_rows: Vec<u64>,
    /// Per channel: the parameter number `Sxx` picked.
    selected: Vec<u8>,
    /// Slots whose value changed at the last evaluation.
    changed: Vec<usize>,
    /// This row's parameter commands, read once every channel has started its row:
    /// channel, its instrument, command, parameter.
    effects: Vec<(usize, Option<usize>, EffectKind, u8)>,
    clock: Option<Clock>,
    sample_rate: f64,
    control_rate: f32,
    rows_per_beat: f64,
    /// Where engine sample 0 is in the song, in samples.
    origin: f64,
    /// Whether the song moves anything at all (if not, nothing is evaluated).
    active: bool,
}

fn shape(s: LfoShape) -> Shape {
    match s {
        LfoShape::Sine => Shape::Sine,
        LfoShape::Triangle => Shape::Triangle,
        LfoShape::SawUp => Shape::SawUp,
        LfoShape::SawDown => Shape::SawDown,
        LfoShape::Square => Shape::Square,
        LfoShape::SampleHold => Shape::SampleHold,
        LfoShape::SmoothRandom => Shape::SmoothRandom,
    }
}

impl Modulation {
    /// Compiles `song`'s lanes, LFOs and effect commands for playing in `order`.
    /// Allocates everything it will need.
    pub fn new(song: &Song, order: &OrderList, sample_rate: u32) -> Modulation {
        let mut m = Modulation {
            slots: Vec::new(),
            pattern_lanes: Vec::new(),
            arrangement_lanes: Vec::new(),
            lfos: Vec::new(),
            slot_rows: Vec::new(),
            selected: vec![0; song.channel_count()],
            changed: Vec::new(),
            effects: Vec::with_capacity(song.channel_count()),
            clock: None,
            sample_rate: f64::from(sample_rate),
            control_rate: sample_rate as f32 / CONTROL_FRAMES as f32,
            rows_per_beat: f64::from(song.rows_per_beat),
            origin: 0.0,
            active: false,
        };
        let control_rate = m.control_rate;
        let slot_of = |slots: &mut Vec<Slot>, target: Target| -> Option<usize> {
            if let Some(i) = slots.iter().position(|s| s.target == target) {
                return Some(i);
            }
            let base = target.value(song)?;
            slots.push(Slot {
                target,
                base,
                glide: None,
                lane: None,
                offset: 0.0,
                smoothed: Smoothed::new(control_rate, GLIDE_SECONDS, base),
                written: base,
            });
            Some(slots.len() - 1)
        };
        let mut slots = Vec::new();
        for pattern in &song.patterns {
            let lanes = pattern
                .automation
                .iter()
                .enumerate()
                .filter_map(|(i, lane)| Some((i, slot_of(&mut slots, lane.target)?)))
                .collect();
            m.pattern_lanes.push(lanes);
        }
        let mut rows = 0u64;
        for s in &order.slots {
            m.slot_rows.push(rows);
            rows += song.patterns[s.pattern].length() as u64;
        }
        for (i, lane) in song.automation.iter().enumerate() {
            let Some(&first_slot) = order.entry_first_slot.get(lane.entry) else {
                continue;
            };
            let Some(&first_row) = m.slot_rows.get(first_slot) else {
                continue;
            };
            if let Some(slot) = slot_of(&mut slots, lane.target) {
                m.arrangement_lanes.push(ArrangementLaneRef {
                    lane: i,
                    slot,
                    first_slot,
                    first_row,
                });
            }
        }
        for (n, (owner, lfo)) in crate::song::Lfo::all(song).enumerate() {
            let Some(slot) = lfo.resolve(owner).ok().and_then(|t| slot_of(&mut slots, t)) else {
                continue;
            };
            m.lfos.push(CompiledLfo {
                slot,
                slot_target: slots[slot].target,
                shape: shape(lfo.shape),
                rate: lfo.rate,
                depth: lfo.depth,
                phase: f64::from(lfo.phase),
                owner,
                retrigger: lfo.retrigger,
                seed: 0x5EED_0000 + n as u64,
                restarted_at: None,
            });
        }
        let uses_effects = song.patterns.iter().any(|p| {
            (0..p.length()).any(|r| {
                p.row(r).iter().any(|c| {
                    c.effect.is_some_and(|e| {
                        matches!(e.kind, EffectKind::ParamSet | EffectKind::ParamGlide)
                    })
                })
            })
        });
        m.active = !slots.is_empty() || uses_effects;
        slots.reserve(EFFECT_SLOTS);
        m.changed = Vec::with_capacity(slots.capacity());
        m.slots = slots;
        m
    }

    /// Whether anything moves; if not, the engine need not stop on the control grid.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Where engine sample 0 is in the song (the sequencer's origin after a seek).
    pub fn set_origin(&mut self, origin: f64) {
        self.origin = origin;
    }

    /// Carries on where `playing` (the same song before an edit) is: its clock, picked
    /// parameters and every value's glide, so an edit while playing does not jump.
    /// Allocates nothing.
    pub fn take_over(&mut self, playing: &Modulation) {
        self.clock = playing.clock;
        self.origin = playing.origin;
        for (mine, theirs) in self.selected.iter_mut().zip(&playing.selected) {
            *mine = *theirs;
        }
        for slot in &mut self.slots {
            if let Some(old) = playing.slots.iter().find(|s| s.target == slot.target) {
                slot.smoothed = old.smoothed.clone();
            }
            // The new song holds its own values: the next evaluation writes over them.
            slot.written = f32::NAN;
        }
        for lfo in &mut self.lfos {
            if let Some(old) = playing
                .lfos
                .iter()
                .find(|l| l.owner == lfo.owner && l.slot_target == lfo.slot_target)
            {
                lfo.restarted_at = old.restarted_at;
            }
        }
    }

    /// A new row has started.
    pub fn start_row(&mut self, tick: &Tick) {
        self.clock = Some(Clock {
            order_slot: tick.slot,
            pattern: tick.pattern,
            row: tick.row,
            row_start: tick.row_start,
            row_length: tick.row_length,
            song_row: tick.song_row,
        });
    }

    /// Song beats and song samples at engine sample `now`.
    fn position(&self, now: u64) -> (f64, f64) {
        let t = now as f64;
        let samples = self.origin + t;
        let Some(c) = self.clock else {
            return (0.0, samples);
        };
        let rows = c.song_row as f64 + (t - c.row_start) / c.row_length;
        (rows / self.rows_per_beat, samples)
    }

    /// A note of `instrument` started on `channel` at `now`: LFOs that restart on notes
    /// of either do.
    pub fn note_started(&mut self, channel: usize, instrument: Option<usize>, now: u64) {
        let at = self.position(now);
        for lfo in &mut self.lfos {
            let hit = match lfo.owner {
                LfoOwner::Instrument(i) => Some(i) == instrument,
                LfoOwner::Strip(c) => c == channel,
            };
            if lfo.retrigger && hit {
                lfo.restarted_at = Some(at);
            }
        }
    }

    /// The slot of `target`, made if there is none and room is left (the effect column
    /// may name parameters no lane or LFO does).
    fn slot_for(&mut self, target: Target, song: &mut Song) -> Option<usize> {
        if let Some(i) = self.slots.iter().position(|s| s.target == target) {
            return Some(i);
        }
        if self.slots.len() == self.slots.capacity() {
            return None;
        }
        let base = *target.place(song)?;
        self.slots.push(Slot {
            target,
            base,
            glide: None,
            lane: None,
            offset: 0.0,
            smoothed: Smoothed::new(self.control_rate, GLIDE_SECONDS, base),
            written: base,
        });
        Some(self.slots.len() - 1)
    }

    /// A `Sxx`, `Zxx` or `Wxx` of `channel`, whose instrument is `instrument`, to be
    /// read by `apply_effects`.
    pub fn queue_effect(
        &mut self,
        channel: usize,
        instrument: Option<usize>,
        kind: EffectKind,
        param: u8,
    ) {
        if self.effects.len() < self.effects.capacity() {
            self.effects.push((channel, instrument, kind, param));
        }
    }

    /// Reads the queued parameter commands.
    pub fn apply_effects(&mut self, song: &mut Song) {
        for i in 0..self.effects.len() {
            let (channel, instrument, kind, param) = self.effects[i];
            self.effect(channel, instrument, kind, param, song);
        }
        self.effects.clear();
    }

    fn effect(
        &mut self,
        channel: usize,
        instrument: Option<usize>,
        kind: EffectKind,
        param: u8,
        song: &mut Song,
    ) {
        let Some(selected) = self.selected.get_mut(channel) else {
            return;
        };
        if kind == EffectKind::ParamSelect {
            *selected = param;
            return;
        }
        let Some(target) = Target::channel_param(*selected, channel, instrument) else {
            return;
        };
        let Some(slot) = self.slot_for(target, song) else {
            return;
        };
        let value = target.info().denormalise(f32::from(param) / 255.0);
        let clock = self.clock;
        let s = &mut self.slots[slot];
        match (kind, clock) {
            (EffectKind::ParamGlide, Some(c)) => {
                s.glide = Some((s.smoothed.target(), value, c.row_start, c.row_length));
                s.base = value;
            }
            _ => {
                s.glide = None;
                s.base = value;
            }
        }
    }

    /// Evaluates every moving parameter at engine sample `now` and writes the new values
    /// into `song`; `changed` then lists the slots whose value moved.
    pub fn update(&mut self, now: u64, song: &mut Song) {
        self.changed.clear();
        if self.slots.is_empty() {
            return;
        }
        for s in &mut self.slots {
            s.lane = None;
            s.offset = 0.0;
        }
        let t = now as f64;
        if let Some(c) = self.clock {
            let row = c.row as f64 + ((t - c.row_start) / c.row_length).clamp(0.0, 1.0);
            if let Some(lanes) = self.pattern_lanes.get(c.pattern) {
                for &(lane, slot) in lanes {
                    self.slots[slot].lane = song.patterns[c.pattern].automation[lane].value_at(row);
                }
            }
            let order_row = self.slot_rows.get(c.order_slot).copied().unwrap_or(0) as f64 + row;
            for a in &self.arrangement_lanes {
                if c.order_slot < a.first_slot {
                    continue;
                }
                let lane = &song.automation[a.lane];
                let at = order_row - a.first_row as f64;
                let (Some(first), Some(last)) = (lane.points.first(), lane.points.last()) else {
                    continue;
                };
                if at >= f64::from(first.row) && at <= f64::from(last.row) {
                    self.slots[a.slot].lane = value_at(&lane.points, at);
                }
            }
        }
        let (beats, samples) = self.position(now);
        for lfo in &self.lfos {
            let (beats_from, samples_from) = lfo.restarted_at.unwrap_or((0.0, 0.0));
            let cycles = match lfo.rate {
                LfoRate::Note { .. } => {
                    let length = lfo.rate.beats().unwrap_or(1.0);
                    (beats - beats_from) / length
                }
                LfoRate::Hz(hz) => (samples - samples_from) * f64::from(hz) / self.sample_rate,
            };
            let v = lfo::value(lfo.shape, cycles + lfo.phase, lfo.seed);
            self.slots[lfo.slot].offset += lfo.depth * v;
        }
        for (i, s) in self.slots.iter_mut().enumerate() {
            let base = match (s.lane, s.glide) {
                (Some(v), _) => v,
                (None, Some((from, to, start, length))) => {
                    let x = ((t - start) / length).clamp(0.0, 1.0) as f32;
                    if x >= 1.0 {
                        s.glide = None;
                    }
                    from + (to - from) * x
                }
                (None, None) => s.base,
            };
            let info = s.target.info();
            let value = if s.offset != 0.0 {
                info.denormalise(info.normalise(base) + s.offset)
            } else {
                base
            };
            s.smoothed.set_target(value);
            let v = s.smoothed.next_value();
            if v != s.written {
                s.written = v;
                if let Some(place) = s.target.place(song) {
                    *place = v;
                    self.changed.push(i);
                }
            }
        }
    }

    /// Ends every glide at its target at once (before playing starts) and writes the
    /// values into `song`.
    pub fn settle(&mut self, song: &mut Song) {
        for s in &mut self.slots {
            let target = s.smoothed.target();
            s.smoothed.snap(target);
            s.written = target;
            if let Some(place) = s.target.place(song) {
                *place = target;
            }
        }
    }

    /// The targets whose values moved at the last `update`.
    pub fn changed(&self) -> impl Iterator<Item = Target> + '_ {
        self.changed.iter().map(|&i| self.slots[i].target)
    }
}
