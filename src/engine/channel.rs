//! One channel of the grid: reads its cells, runs the effect column tick by tick the way
//! FastTracker 2 does, and plays its notes on a small pool of voices so that a released
//! note rings out while the next one starts.

use super::voice::{NoteStart, Voice};
use crate::dsp::util::db_to_gain;
use crate::song::{
    Cell, Effect, EffectKind, Instrument, MAX_VOLUME, NoteField, SampleBank, Source,
};

/// Notes that may ring at once on one channel (the playing one and releasing tails).
const VOICE_BUDGET: usize = 4;
/// Two more than the budget, so a stolen voice can fade out while the new note starts.
const VOICES_PER_CHANNEL: usize = VOICE_BUDGET + 2;
/// Pitch slides move in 1/16 semitone per tick per unit of the parameter.
const SLIDE_UNIT: f32 = 1.0 / 16.0;
/// Vibrato depth `y` swings the pitch by y/8 semitones either way.
const VIBRATO_DEPTH_UNIT: f32 = 1.0 / 8.0;

/// What a channel needs to know about the song while it plays.
pub struct Context<'a> {
    pub instruments: &'a [Instrument],
    pub ticks_per_row: u8,
    /// Samples per tick at the current tempo.
    pub tick_length: f64,
    /// The groove's accent on the current row (1 = full level).
    pub accent: f32,
}

pub struct Channel {
    voices: [Voice; VOICES_PER_CHANNEL],
    /// The voice the channel's effects steer.
    current: Option<usize>,
    instrument: Option<usize>,
    /// MIDI pitch after slides; arpeggio and vibrato are added on top.
    pitch: f32,
    note_pitch: f32,
    volume: u8,
    /// The groove accent the playing note started with; it holds for the note's life.
    note_accent: f32,
    note_pan: f32,
    effect: Option<Effect>,
    porta_memory: u8,
    tone_porta_speed: u8,
    tone_target: f32,
    vibrato_speed: u8,
    vibrato_depth: u8,
    volume_slide_memory: u8,
    delayed: Option<Cell>,
    /// Counts the notes started, legato ones too: what a ducker keyed to the channel and
    /// an LFO that restarts on notes listen for, and the age by which voices are stolen.
    notes_started: u64,
    seed: u64,
}

impl Channel {
    pub fn new(sample_rate: f32, index: usize) -> Channel {
        Channel {
            voices: std::array::from_fn(|_| Voice::new(sample_rate)),
            current: None,
            instrument: None,
            pitch: 60.0,
            note_pitch: 60.0,
            volume: MAX_VOLUME,
            note_accent: 1.0,
            note_pan: 0.0,
            effect: None,
            porta_memory: 0,
            tone_porta_speed: 0,
            tone_target: 60.0,
            vibrato_speed: 0,
            vibrato_depth: 0,
            volume_slide_memory: 0,
            delayed: None,
            notes_started: 0,
            seed: (index as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D),
        }
    }

    /// The instrument the channel plays (its last one), 0-based.
    pub fn instrument(&self) -> Option<usize> {
        self.instrument
    }

    /// Counts the notes the channel has started (legato ones too): a caller compares
    /// it before and after a tick to hear whether one started.
    pub fn notes_started(&self) -> u64 {
        self.notes_started
    }

    /// Hands the playing voice its level again (its instrument's gain moved).
    pub fn refresh_gain(&mut self, ctx: &Context) {
        let gain = self.gain(ctx);
        if let Some(v) = self.current_voice() {
            v.set_gain(gain);
        }
    }

    /// The pan set by the `8xx` effect, added to the mixer strip's pan.
    pub fn note_pan(&self) -> f32 {
        self.note_pan
    }

    fn current_voice(&mut self) -> Option<&mut Voice> {
        self.current
            .map(|i| &mut self.voices[i])
            .filter(|v| v.is_active())
    }

    fn gain(&self, ctx: &Context) -> f32 {
        let inst_gain = self
            .instrument
            .and_then(|i| ctx.instruments.get(i))
            .map_or(1.0, |i| db_to_gain(i.gain_db));
        f32::from(self.volume) / f32::from(MAX_VOLUME) * inst_gain * self.note_accent
    }

    /// Tick 0 of a row.
    pub fn start_row(&mut self, cell: Cell, ctx: &Context) {
        self.effect = cell.effect;
        self.delayed = None;
        if let Some(Effect {
            kind: EffectKind::NoteDelay,
            param,
        }) = cell.effect
            && param & 0x0F > 0
        {
            // A delay of a whole row or more never plays, as in FT2.
            if param & 0x0F < ctx.ticks_per_row {
                self.delayed = Some(cell);
            }
        } else {
            self.trigger(cell, ctx);
        }
        self.apply_row_effect();
        self.update_voice(ctx, 0);
    }

    fn trigger(&mut self, cell: Cell, ctx: &Context) {
        if let Some(i) = cell.instrument {
            self.instrument = Some(usize::from(i) - 1);
            self.volume = MAX_VOLUME;
        }
        let tone_porta = matches!(cell.effect, Some(e) if e.kind == EffectKind::TonePorta);
        match cell.note {
            NoteField::On(p) if tone_porta && self.current_voice().is_some() => {
                self.tone_target = f32::from(p.midi());
            }
            NoteField::On(p) => self.note_on(f32::from(p.midi()), ctx),
            NoteField::Off => {
                if let Some(v) = self.current_voice() {
                    v.release();
                }
            }
            NoteField::Empty => {}
        }
        if let Some(v) = cell.volume {
            self.volume = v;
        }
    }

    fn note_on(&mut self, pitch: f32, ctx: &Context) {
        let Some(index) = self.instrument else { return };
        let Some(inst) = ctx.instruments.get(index) else {
            return;
        };
        let glide = match &inst.source {
            Source::Synth(s) if s.glide > 0.0 => Some(s.glide),
            _ => None,
        };
        // A legato note starts too, as far as a ducker or an LFO listening hears.
        self.notes_started += 1;
        self.note_accent = ctx.accent;
        let previous_pitch = self.pitch;
        self.pitch = pitch;
        self.note_pitch = pitch;
        self.tone_target = pitch;
        if let Some(glide) = glide
            && let Some(v) = self.current_voice()
            && v.is_gated()
            && v.instrument == index
        {
            v.legato(pitch, glide);
            return;
        }
        if let Some(v) = self.current_voice() {
            v.release();
        }
        let slot = self.free_voice();
        let offset = match self.effect {
            Some(Effect {
                kind: EffectKind::SampleOffset,
                param,
            }) => u32::from(param) * 256,
            _ => 0,
        };
        let seed = self.seed.wrapping_add(self.notes_started);
        let had_note = self.current.is_some();
        let gain = self.gain(ctx);
        self.voices[slot].start(
            inst,
            NoteStart {
                instrument: index,
                pitch,
                glide_from: had_note.then_some(previous_pitch),
                gain,
                offset,
                seed,
                serial: self.notes_started,
            },
        );
        self.current = Some(slot);
    }

    /// A silent voice for a new note. Past the budget the oldest tail is faded out fast
    /// (in a slot of its own, so the fade is heard, not cut).
    fn free_voice(&mut self) -> usize {
        let ringing = self.voices.iter().filter(|v| v.is_ringing()).count();
        if ringing >= VOICE_BUDGET
            && let Some(oldest) = self
                .voices
                .iter_mut()
                .filter(|v| v.is_ringing())
                .min_by_key(|v| v.serial)
        {
            oldest.kill();
        }
        self.voices
            .iter()
            .position(|v| !v.is_active())
            .unwrap_or_else(|| {
                (0..VOICES_PER_CHANNEL)
                    .min_by_key(|&i| self.voices[i].serial)
                    .unwrap_or(0)
            })
    }

    fn apply_row_effect(&mut self) {
        let Some(fx) = self.effect else { return };
        let (x, y) = fx.nibbles();
        match fx.kind {
            EffectKind::SetVolume => self.volume = fx.param.min(MAX_VOLUME),
            EffectKind::Pan => {
                self.note_pan = (f32::from(fx.param) - 128.0) / 127.0;
            }
            EffectKind::PortaUp | EffectKind::PortaDown if fx.param > 0 => {
                self.porta_memory = fx.param;
            }
            EffectKind::TonePorta if fx.param > 0 => self.tone_porta_speed = fx.param,
            EffectKind::Vibrato => {
                if x > 0 {
                    self.vibrato_speed = x;
                }
                if y > 0 {
                    self.vibrato_depth = y;
                }
            }
            EffectKind::VolumeSlide if fx.param > 0 => self.volume_slide_memory = fx.param,
            _ => {}
        }
    }

    /// Ticks after the first: slides, arpeggio, retrigger, cut and delayed notes.
    pub fn tick(&mut self, tick: u8, ctx: &Context) {
        let Some(fx) = self.effect else {
            return;
        };
        let y = fx.param & 0x0F;
        match fx.kind {
            EffectKind::PortaUp => self.pitch += f32::from(self.porta_memory) * SLIDE_UNIT,
            EffectKind::PortaDown => self.pitch -= f32::from(self.porta_memory) * SLIDE_UNIT,
            EffectKind::TonePorta => {
                let step = f32::from(self.tone_porta_speed) * SLIDE_UNIT;
                self.pitch = if self.pitch < self.tone_target {
                    (self.pitch + step).min(self.tone_target)
                } else {
                    (self.pitch - step).max(self.tone_target)
                };
            }
            EffectKind::VolumeSlide => {
                let (up, down) = (
                    self.volume_slide_memory >> 4,
                    self.volume_slide_memory & 0x0F,
                );
                self.volume = if up > 0 {
                    (self.volume + up).min(MAX_VOLUME)
                } else {
                    self.volume.saturating_sub(down)
                };
            }
            EffectKind::Retrigger if y > 0 && tick.is_multiple_of(y) => {
                let pitch = self.note_pitch;
                self.note_on(pitch, ctx);
            }
            EffectKind::NoteCut if tick == y => {
                if let Some(v) = self.current_voice() {
                    v.kill();
                }
            }
            EffectKind::NoteDelay if tick == y => {
                if let Some(cell) = self.delayed.take() {
                    self.trigger(cell, ctx);
                }
            }
            _ => {}
        }
        self.pitch = self.pitch.clamp(0.0, 135.0);
        self.update_voice(ctx, tick);
    }

    /// Hands the voice this tick's pitch, level and vibrato.
    fn update_voice(&mut self, ctx: &Context, tick: u8) {
        let arpeggio = match self.effect {
            Some(Effect {
                kind: EffectKind::Arpeggio,
                param,
            }) if param != 0 => match tick % 3 {
                1 => f32::from(param >> 4),
                2 => f32::from(param & 0x0F),
                _ => 0.0,
            },
            _ => 0.0,
        };
        let vibrato = matches!(self.effect, Some(e) if e.kind == EffectKind::Vibrato);
        // Speed x moves the vibrato x/64 of a cycle per tick, as in FT2.
        let rate = if vibrato {
            f32::from(self.vibrato_speed) / 64.0 / ctx.tick_length as f32
        } else {
            0.0
        };
        let depth = if vibrato {
            f32::from(self.vibrato_depth) * VIBRATO_DEPTH_UNIT
        } else {
            0.0
        };
        let gain = self.gain(ctx);
        let pitch = self.pitch + arpeggio;
        if let Some(v) = self.current_voice() {
            v.set_pitch(pitch);
            v.set_gain(gain);
            v.set_vibrato(rate, depth);
        }
    }

    /// Releases whatever is held (the song has ended).
    pub fn release_all(&mut self) {
        for v in &mut self.voices {
            v.release();
        }
    }

    /// Silences voices of instruments an edit removed (index `count` and up), which
    /// could no longer be rendered.
    pub fn forget_instruments_from(&mut self, count: usize) {
        for v in &mut self.voices {
            if v.instrument >= count {
                v.silence();
            }
        }
        if self.instrument.is_some_and(|i| i >= count) {
            self.instrument = None;
        }
    }

    /// Renders the next `left.len()` frames of this channel's voices (before its mixer
    /// strip), over whatever `left` and `right` held.
    pub fn render(
        &mut self,
        instruments: &[Instrument],
        samples: &SampleBank,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        left.fill(0.0);
        right.fill(0.0);
        for v in &mut self.voices {
            if v.is_active() {
                let sample = samples.get(v.instrument).map(|s| &**s);
                v.render(&instruments[v.instrument], sample, left, right);
            }
        }
    }
}
