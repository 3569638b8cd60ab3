//! The song clock: where in the order list we are, and the exact sample each tick starts on.
//!
//! Tick times are computed from an anchor (the last tempo change) by multiplication, never
//! by adding up tick lengths, so no rounding drift builds up over a long song, and a tick
//! lands on the same sample whatever block size the caller renders in.

use crate::song::{EffectKind, GrooveTable, Song};

/// One slot of the order list with its repeats spelled out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Slot {
    /// Index into `song.arrangement`.
    pub entry: usize,
    /// Index into `song.patterns`.
    pub pattern: usize,
}

/// The order list with repeats spelled out, and where each arrangement entry starts in it.
#[derive(Clone, Debug, Default)]
pub struct OrderList {
    pub slots: Vec<Slot>,
    pub entry_first_slot: Vec<usize>,
    /// One pattern played over and over instead of the arrangement (live loop play).
    pub looping: bool,
}

impl OrderList {
    pub fn new(song: &Song) -> OrderList {
        let mut list = OrderList::default();
        for (entry, e) in song.arrangement.iter().enumerate() {
            list.entry_first_slot.push(list.slots.len());
            if let Some(pattern) = song.pattern_index(&e.pattern) {
                for _ in 0..e.repeat {
                    list.slots.push(Slot { entry, pattern });
                }
            }
        }
        list
    }

    /// Pattern `pattern` on its own, played until stopped: after its last row (or a jump
    /// or break) it starts again.
    pub fn pattern_loop(pattern: usize) -> OrderList {
        OrderList {
            slots: vec![Slot { entry: 0, pattern }],
            entry_first_slot: Vec::new(),
            looping: true,
        }
    }

    /// The slot in this list that plays what `slot` of `old` played: the same repeat of
    /// the nearest entry with the same pattern (an entry inserted or deleted before it
    /// moves it), else of the entry with the same index; the end if there is none.
    fn matching_slot(&self, old: &OrderList, slot: usize) -> usize {
        if self.looping {
            return 0;
        }
        let Some(&Slot { entry, pattern }) = old.slots.get(slot) else {
            return self.slots.len();
        };
        let repeat = slot - old.entry_first_slot.get(entry).copied().unwrap_or(slot);
        let plays = |e: usize| {
            self.entry_first_slot
                .get(e)
                .and_then(|&first| self.slots.get(first))
                .is_some_and(|s| s.entry == e && s.pattern == pattern)
        };
        let entries = self.entry_first_slot.len();
        let entry = (0..entries.max(entry + 1))
            .flat_map(|d| [entry.checked_add(d), entry.checked_sub(d)])
            .flatten()
            .find(|&e| plays(e))
            .unwrap_or(entry);
        let Some(&first) = self.entry_first_slot.get(entry) else {
            return self.slots.len();
        };
        let next = self
            .entry_first_slot
            .get(entry + 1)
            .copied()
            .unwrap_or(self.slots.len());
        first + repeat.min(next.saturating_sub(first + 1))
    }
}

/// A tick the engine must play: on tick 0 the row's cells are read.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tick {
    pub slot: usize,
    pub pattern: usize,
    pub row: usize,
    pub tick: u8,
    /// Sample the tick starts on.
    pub at: u64,
    /// Samples per tick at the current tempo (fractional), for effects that run per sample.
    pub tick_length: f64,
    /// The groove's accent on this row: the level of notes that start on it.
    pub accent: f32,
    /// The row's exact start and length in samples (swing included).
    pub row_start: f64,
    pub row_length: f64,
    /// Rows played before this one since the top of the song (0 for the first row).
    pub song_row: u64,
}

#[derive(Clone, Debug)]
pub struct Sequencer {
    sample_rate: f64,
    order: OrderList,
    rows_per_beat: f64,
    /// The playing pattern's groove.
    groove: GrooveTable,
    tempo: f64,
    speed: u8,
    slot: usize,
    row: usize,
    tick: u8,
    /// Sample time at which row 0 of the anchor would start, without the groove.
    anchor_time: f64,
    rows_since_anchor: u64,
    /// Where the row after this one goes, set by Bxx/Dxx.
    pending_jump: Option<(usize, usize)>,
    /// When the row last left ends; the song's end once `finished`.
    end_time: f64,
    finished: bool,
    /// Slot and row of the tick `advance` returned last: what is being heard.
    playing: Option<(usize, usize)>,
    /// Rows played since the top of the song (a `seek` counts the rows it runs up).
    rows_played: u64,
    /// Where sample 0 is in the song, in samples from its top (non-zero after `seek`).
    origin: f64,
}

impl Sequencer {
    pub fn new(song: &Song, sample_rate: u32) -> Sequencer {
        let order = OrderList::new(song);
        let finished = order.slots.is_empty();
        let groove = order
            .slots
            .first()
            .map_or(GrooveTable::STRAIGHT, |s| song.groove_table(s.pattern));
        Sequencer {
            sample_rate: f64::from(sample_rate),
            order,
            rows_per_beat: f64::from(song.rows_per_beat),
            groove,
            tempo: f64::from(song.tempo),
            speed: song.speed,
            slot: 0,
            row: 0,
            tick: 0,
            anchor_time: 0.0,
            rows_since_anchor: 0,
            pending_jump: None,
            end_time: 0.0,
            finished,
            playing: None,
            rows_played: 0,
            origin: 0.0,
        }
    }

    /// Where sample 0 is in the song, in samples from its top.
    pub fn origin(&self) -> f64 {
        self.origin
    }

    /// Starts at `row` of the order-list slot `slot` at sample 0 (for playing from the cursor).
    pub fn start_at(&mut self, slot: usize, row: usize) {
        self.slot = slot;
        self.row = row;
        self.finished = slot >= self.order.slots.len();
    }

    pub fn order(&self) -> &OrderList {
        &self.order
    }

    /// Slot and row of the tick played last, `None` before the first.
    pub fn playing(&self) -> Option<(usize, usize)> {
        self.playing
    }

    /// Plays `order` instead of the song's arrangement (set before the first tick).
    pub fn set_order(&mut self, order: OrderList) {
        self.finished = order.slots.is_empty();
        self.order = order;
    }

    /// Moves to `row` of slot `slot` so that it starts at sample 0, with the tempo and
    /// speed the song has reached there (the clock is run up to it, playing nothing).
    /// A row past the pattern's end is its last row.
    pub fn seek(&mut self, song: &Song, slot: usize, row: usize) {
        let Some(length) = self
            .order
            .slots
            .get(slot)
            .map(|s| song.patterns[s.pattern].length())
        else {
            self.finished = true;
            return;
        };
        let row = row.min(length.saturating_sub(1));
        if !self.order.looping {
            let mut probe = self.clone();
            while !probe.finished && (probe.slot, probe.row, probe.tick) != (slot, row, 0) {
                probe.advance(song);
            }
            if !probe.finished {
                *self = probe;
            }
        }
        // A row that playing never reaches (a jump skips it) starts with the song's timing.
        self.slot = slot;
        self.row = row;
        self.load_groove(song);
        self.tick = 0;
        self.finished = false;
        self.pending_jump = None;
        self.playing = None;
        self.origin = self.row_start();
        self.anchor_time -= self.origin;
    }

    /// Takes an edited song's order list (`order` gets the old one back) and its timing,
    /// keeping the playhead: the same entry, repeat and row, or the next entry's top when
    /// the row is gone. Nothing changes in timing unless the song's timing changed.
    /// Allocates nothing, so the audio thread may call it between two blocks.
    pub fn adopt(&mut self, old: &Song, new: &Song, order: &mut OrderList) {
        std::mem::swap(&mut self.order, order);
        if self.finished {
            return;
        }
        let start = self.row_start();
        let old_order = &*order;
        let slots = self.order.slots.len();
        let mut moved = false;
        self.slot = self.order.matching_slot(old_order, self.slot);
        self.pending_jump = self.pending_jump.map(|(slot, row)| {
            if slot < old_order.slots.len() {
                (self.order.matching_slot(old_order, slot), row)
            } else {
                (slot, row)
            }
        });
        self.playing = self
            .playing
            .map(|(slot, row)| (self.order.matching_slot(old_order, slot), row))
            .filter(|&(slot, _)| slot < slots);
        if self.slot < slots {
            let length = new.patterns[self.order.slots[self.slot].pattern].length();
            if self.row >= length {
                self.slot += 1;
                if self.slot >= slots && self.order.looping {
                    self.slot = 0;
                }
                self.row = 0;
                self.tick = 0;
                moved = true;
            }
        }
        if self.slot >= slots {
            if !self.finished {
                self.finished = true;
                self.end_time = start;
            }
            return;
        }
        self.finished = false;
        let groove = new.groove_table(self.order.slots[self.slot].pattern);
        let retimed = (old.tempo, old.speed, old.rows_per_beat)
            != (new.tempo, new.speed, new.rows_per_beat)
            || groove != self.groove;
        if retimed {
            // An Fxx tempo or speed in the pattern holds until the song's own value is edited.
            if old.tempo != new.tempo {
                self.tempo = f64::from(new.tempo);
            }
            if old.speed != new.speed {
                self.speed = new.speed;
            }
            self.groove = groove;
            self.rows_per_beat = f64::from(new.rows_per_beat);
        }
        if retimed || moved {
            // The current row keeps its start; the rest follow at the new timing.
            self.anchor_time = start - self.groove_offset(self.row);
            self.rows_since_anchor = 0;
            if self.tick >= self.speed {
                self.next_row(new);
            }
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Ticks per row.
    pub fn speed(&self) -> u8 {
        self.speed
    }

    pub fn tempo(&self) -> f64 {
        self.tempo
    }

    fn row_length(&self) -> f64 {
        self.sample_rate * 60.0 / (self.tempo * self.rows_per_beat)
    }

    /// How late the groove plays `row`, in samples; the row before is as much longer, so
    /// the grid keeps time.
    fn groove_offset(&self, row: usize) -> f64 {
        let delay = self.groove.delay(row);
        if delay == 0.0 {
            0.0
        } else {
            delay * self.row_length()
        }
    }

    /// Takes the groove of the pattern in the current slot.
    fn load_groove(&mut self, song: &Song) {
        if let Some(s) = self.order.slots.get(self.slot) {
            self.groove = song.groove_table(s.pattern);
        }
    }

    fn row_start(&self) -> f64 {
        self.anchor_time
            + self.rows_since_anchor as f64 * self.row_length()
            + self.groove_offset(self.row)
    }

    fn row_duration(&self) -> f64 {
        self.row_length() + self.groove_offset(self.row + 1) - self.groove_offset(self.row)
    }

    fn tick_length(&self) -> f64 {
        self.row_duration() / f64::from(self.speed)
    }

    /// The first whole sample at or after the current tick's exact time.
    pub fn next_tick_at(&self) -> u64 {
        let t = self.row_start() + f64::from(self.tick) * self.tick_length();
        t.ceil() as u64
    }

    /// The sample the song ends on (the first sample after its last row), once finished.
    pub fn end_at(&self) -> u64 {
        self.end_time.ceil() as u64
    }

    /// Reads the current tick's song-wide effects and moves on to the next tick.
    /// Returns the tick to play, or `None` when the song has ended.
    pub fn advance(&mut self, song: &Song) -> Option<Tick> {
        if self.finished {
            return None;
        }
        let Slot { pattern, .. } = self.order.slots[self.slot];
        if self.tick == 0 {
            self.read_row_commands(song, pattern);
        }
        self.playing = Some((self.slot, self.row));
        let tick = Tick {
            slot: self.slot,
            pattern,
            row: self.row,
            tick: self.tick,
            at: self.next_tick_at(),
            tick_length: self.tick_length(),
            accent: self.groove.accent(self.row),
            row_start: self.row_start(),
            row_length: self.row_duration(),
            song_row: self.rows_played,
        };
        self.tick += 1;
        if self.tick >= self.speed {
            self.next_row(song);
        }
        Some(tick)
    }

    /// Tempo, speed, jumps and breaks act on the whole song, so the sequencer reads them.
    fn read_row_commands(&mut self, song: &Song, pattern: usize) {
        for cell in song.patterns[pattern].row(self.row) {
            let Some(fx) = cell.effect else { continue };
            match fx.kind {
                EffectKind::SpeedTempo if fx.param == 0 => {}
                EffectKind::SpeedTempo if fx.param < 0x20 => self.speed = fx.param,
                EffectKind::SpeedTempo => {
                    // Re-anchor at this row so it and earlier rows keep their times.
                    let start = self.row_start();
                    self.tempo = f64::from(fx.param);
                    self.anchor_time = start - self.groove_offset(self.row);
                    self.rows_since_anchor = 0;
                }
                EffectKind::PositionJump => {
                    let entry = usize::from(fx.param);
                    let target = self.order.entry_first_slot.get(entry).copied();
                    let row = self.pending_jump.map_or(0, |(_, r)| r);
                    // A jump back is the song's loop point: a render ends there.
                    self.pending_jump = Some(match target {
                        Some(slot) if slot > self.slot => (slot, row),
                        _ => (usize::MAX, 0),
                    });
                }
                EffectKind::PatternBreak => {
                    let (hi, lo) = fx.nibbles();
                    let row = usize::from(hi) * 10 + usize::from(lo);
                    let slot = self.pending_jump.map_or(self.slot + 1, |(s, _)| s);
                    self.pending_jump = Some((slot, row));
                }
                _ => {}
            }
        }
    }

    fn next_row(&mut self, song: &Song) {
        self.end_time = self.row_start() + self.row_duration();
        self.tick = 0;
        self.rows_since_anchor += 1;
        self.rows_played += 1;
        let (slot, row) = match self.pending_jump.take() {
            Some(jump) => jump,
            None if self.row + 1 < song.patterns[self.order.slots[self.slot].pattern].length() => {
                (self.slot, self.row + 1)
            }
            None => (self.slot + 1, 0),
        };
        let slot = if slot >= self.order.slots.len() && self.order.looping {
            0
        } else {
            slot
        };
        if slot >= self.order.slots.len() {
            self.finished = true;
            return;
        }
        let length = song.patterns[self.order.slots[slot].pattern].length();
        // Where the current groove puts the next row; time stays continuous when the
        // row played next sits elsewhere in its groove (a jump, another pattern's groove).
        let expected = self.groove_offset(self.row + 1);
        if slot != self.slot {
            self.slot = slot;
            self.load_groove(song);
        }
        // A break past the end of the next pattern starts it at its top, as FT2 does.
        let new_row = if row < length { row } else { 0 };
        let landing = self.groove_offset(new_row);
        if landing != expected {
            self.anchor_time += expected - landing;
        }
        self.row = new_row;
    }
}

/// Runs the clock alone, to learn a song's length in samples (with no tail).
pub fn song_length(song: &Song, sample_rate: u32) -> u64 {
    let mut seq = Sequencer::new(song, sample_rate);
    while seq.advance(song).is_some() {}
    seq.end_at()
}

/// Where each arrangement entry starts, in samples (`None` for entries a jump skips).
pub fn entry_start_times(song: &Song, sample_rate: u32) -> Vec<Option<u64>> {
    let mut starts = vec![None; song.arrangement.len()];
    let mut seq = Sequencer::new(song, sample_rate);
    while let Some(tick) = seq.advance(song) {
        let entry = seq.order().slots[tick.slot].entry;
        if starts[entry].is_none() {
            starts[entry] = Some(tick.at);
        }
    }
    starts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::song::{OrderEntry, Pattern};

    fn song(length: usize, repeat: u16) -> Song {
        let mut s = Song::new(2);
        s.patterns[0] = Pattern::new("A", length, 2);
        s.arrangement = vec![OrderEntry {
            pattern: "A".into(),
            section: "verse".into(),
            repeat,
        }];
        s
    }

    fn row_starts(song: &Song, rate: u32) -> Vec<u64> {
        let mut seq = Sequencer::new(song, rate);
        let mut starts = Vec::new();
        while let Some(t) = seq.advance(song) {
            if t.tick == 0 {
                starts.push(t.at);
            }
        }
        starts
    }

    #[test]
    fn rows_start_on_the_sample_tempo_gives() {
        let mut s = song(64, 4);
        s.tempo = 123.0;
        s.rows_per_beat = 4;
        let starts = row_starts(&s, 48_000);
        assert_eq!(starts.len(), 256);
        for (r, &at) in starts.iter().enumerate() {
            let exact = r as f64 * 48_000.0 * 60.0 / (123.0 * 4.0);
            assert_eq!(at, exact.ceil() as u64, "row {r}");
        }
        let total: f64 = 256.0 * 48_000.0 * 60.0 / (123.0 * 4.0);
        assert_eq!(song_length(&s, 48_000), total.ceil() as u64);
    }

    #[test]
    fn swing_delays_odd_rows_only() {
        let mut s = song(16, 1);
        s.tempo = 120.0;
        s.swing = 30.0;
        let starts = row_starts(&s, 44_100);
        let row: f64 = 44_100.0 * 60.0 / (120.0 * 4.0);
        for (r, &at) in starts.iter().enumerate() {
            let delay = if r % 2 == 1 {
                f64::from(s.swing) / 100.0 * row
            } else {
                0.0
            };
            assert_eq!(at, (r as f64 * row + delay).ceil() as u64, "row {r}");
        }
    }

    #[test]
    fn a_pattern_groove_holds_while_it_plays_and_a_live_groove_change_keeps_the_row() {
        let mut s = song(8, 1);
        s.tempo = 120.0;
        s.patterns.push(Pattern::new("B", 8, 2));
        s.patterns[1].groove = Some(crate::song::Groove::Swing(75.0));
        s.arrangement.push(OrderEntry {
            pattern: "B".into(),
            section: "drop".into(),
            repeat: 1,
        });
        let row: f64 = 48_000.0 * 60.0 / (120.0 * 4.0);
        let starts = row_starts(&s, 48_000);
        for (r, &at) in starts.iter().enumerate() {
            let late = if r >= 8 && r % 2 == 1 { 0.5 * row } else { 0.0 };
            assert_eq!(at, (r as f64 * row + late).ceil() as u64, "row {r}");
        }
        // While row 5 of A plays, the song takes a groove: row 5 keeps its start, the
        // rows after follow the new groove (row 6 comes half a row early, as a 75 %
        // swing's odd row ends), and B keeps its own.
        let mut seq = Sequencer::new(&s, 48_000);
        let mut heard = Vec::new();
        while let Some(t) = seq.advance(&s) {
            if t.tick == 0 {
                heard.push(t.at);
                if t.row == 5 {
                    break;
                }
            }
        }
        let mut grooved = s.clone();
        grooved.groove = Some(crate::song::Groove::Swing(75.0));
        let mut order = OrderList::new(&grooved);
        seq.adopt(&s, &grooved, &mut order);
        while let Some(t) = seq.advance(&grooved) {
            if t.tick == 0 {
                heard.push(t.at);
            }
        }
        assert_eq!(heard[5], (5.0 * row).ceil() as u64);
        assert_eq!(heard[6], (5.5 * row).ceil() as u64);
        assert_eq!(heard[7] - heard[6], (1.5 * row) as u64);
        assert_eq!(heard.len(), 16);
        assert!(heard.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn tempo_changes_keep_earlier_rows_and_speed_up_later_ones() {
        let mut s = song(8, 1);
        s.tempo = 120.0;
        *s.patterns[0].cell_mut(4, 1) = "--- .. .. FF0".parse().unwrap();
        let starts = row_starts(&s, 48_000);
        let slow: f64 = 48_000.0 * 60.0 / (120.0 * 4.0);
        let fast: f64 = 48_000.0 * 60.0 / (240.0 * 4.0);
        assert_eq!(starts[4], (4.0 * slow).ceil() as u64);
        assert_eq!(starts[7], (4.0 * slow + 3.0 * fast).ceil() as u64);
    }

    #[test]
    fn jumps_and_breaks_follow_the_order_list() {
        let mut s = song(8, 1);
        s.patterns.push(Pattern::new("B", 8, 2));
        s.arrangement.push(OrderEntry {
            pattern: "B".into(),
            section: "drop".into(),
            repeat: 1,
        });
        // Break from row 2 of A to row 5 of B: rows 0,1,2 of A then 5,6,7 of B.
        *s.patterns[0].cell_mut(2, 0) = "--- .. .. D05".parse().unwrap();
        let mut seq = Sequencer::new(&s, 48_000);
        let mut visited = Vec::new();
        while let Some(t) = seq.advance(&s) {
            if t.tick == 0 {
                visited.push((t.pattern, t.row));
            }
        }
        assert_eq!(visited, [(0, 0), (0, 1), (0, 2), (1, 5), (1, 6), (1, 7)]);

        // A jump back to entry 0 is the loop point: the song ends after that row.
        *s.patterns[0].cell_mut(2, 0) = "--- .. .. B00".parse().unwrap();
        assert_eq!(row_starts(&s, 48_000).len(), 3);
    }
}
