//! One sounding note: a synth voice (two oscillators, filter, envelopes) or a sampler voice.

use crate::dsp::env::{Adsr, Envelope as EnvelopeGen};
use crate::dsp::filter::{FilterMode as DspFilterMode, Svf};
use crate::dsp::interp::hermite4;
#[cfg(target_arch = "x86_64")]
use crate::dsp::interp::hermite4_x4;
use crate::dsp::osc::{Oscillator as Osc, Waveform as DspWaveform};
use crate::dsp::smooth::Smoothed;
use crate::dsp::util::note_to_hz;
use crate::song::{
    Envelope, FilterMode, Instrument, LoopMode, SampleData, Sampler, Source, Synth, Waveform,
};

/// Pitch and filter move at this many samples per update: fine enough to be inaudible,
/// and counted per voice so the result does not depend on the caller's block size.
const CONTROL_INTERVAL: u32 = 8;
/// Frames a synth voice renders stage by stage (see `Voice::render_synth`).
const SPAN: usize = 64;
/// Fade when a note is stolen or cut, short enough to sound immediate, long enough not to click.
pub const FAST_RELEASE: f32 = 0.004;
/// Fade over the last frames of a one-shot sample that ends above zero.
const END_FADE_FRAMES: f64 = 64.0;

fn adsr(e: &Envelope) -> Adsr {
    Adsr {
        attack: e.attack,
        decay: e.decay,
        sustain: e.sustain,
        release: e.release,
    }
}

fn waveform(w: Waveform) -> DspWaveform {
    match w {
        Waveform::Sine => DspWaveform::Sine,
        Waveform::Saw => DspWaveform::Saw,
        Waveform::Pulse => DspWaveform::Pulse,
        Waveform::Triangle => DspWaveform::Triangle,
        Waveform::Noise => DspWaveform::Noise,
    }
}

fn filter_mode(m: FilterMode) -> DspFilterMode {
    match m {
        FilterMode::Lowpass => DspFilterMode::Lowpass,
        FilterMode::Highpass => DspFilterMode::Highpass,
        FilterMode::Bandpass => DspFilterMode::Bandpass,
    }
}

/// How a note is started.
#[derive(Clone, Copy, Debug)]
pub struct NoteStart {
    pub instrument: usize,
    /// MIDI note number, fractional for slides.
    pub pitch: f32,
    /// Where a glide starts from (the channel's previous pitch), if the instrument glides.
    pub glide_from: Option<f32>,
    pub gain: f32,
    /// Sample frame to start at (9xx).
    pub offset: u32,
    pub seed: u64,
    /// Counts starts, so the channel can steal its oldest voice.
    pub serial: u64,
}

/// The last result of a costly function of one value (a pitch to Hz, octaves to a
/// cutoff factor): a held note asks the same question every control update.
#[derive(Clone, Copy, Debug)]
struct Memo {
    input: f32,
    output: f32,
}

impl Memo {
    /// NaN never equals anything, so the first question is always worked out.
    const EMPTY: Memo = Memo {
        input: f32::NAN,
        output: 0.0,
    };

    #[inline]
    fn get(&mut self, input: f32, f: impl FnOnce(f32) -> f32) -> f32 {
        if input != self.input {
            *self = Memo {
                input,
                output: f(input),
            };
        }
        self.output
    }
}

pub struct Voice {
    sample_rate: f32,
    active: bool,
    gated: bool,
    killed: bool,
    pub instrument: usize,
    pub serial: u64,
    pitch: f32,
    glide_pitch: f32,
    glide_coeff: f32,
    sweep: f32,
    sweep_coeff: f32,
    vibrato_phase: f32,
    vibrato_step: f32,
    vibrato_depth: f32,
    counter: u32,
    gain: Smoothed,
    amp: EnvelopeGen,
    // Synth.
    osc1: Osc,
    osc2: Osc,
    filter_env: EnvelopeGen,
    filter: Svf,
    osc_freqs: [Memo; 2],
    cutoff_factor: Memo,
    // Sampler.
    speed: Memo,
    position: f64,
    direction: f64,
    step: f64,
    /// The sample's rate over the engine's, for the rate it was worked out for: a
    /// division the speed's every update would otherwise repeat.
    rate_ratio: Option<(u32, f64)>,
    /// The sampler's `start` share, added to the position once the sample's length is known.
    start_share: Option<f32>,
}

impl Voice {
    pub fn new(sample_rate: f32) -> Voice {
        Voice {
            sample_rate,
            active: false,
            gated: false,
            killed: false,
            instrument: 0,
            serial: 0,
            pitch: 60.0,
            glide_pitch: 60.0,
            glide_coeff: 0.0,
            sweep: 0.0,
            sweep_coeff: 0.0,
            vibrato_phase: 0.0,
            vibrato_step: 0.0,
            vibrato_depth: 0.0,
            counter: 0,
            gain: Smoothed::new(sample_rate, 0.003, 0.0),
            amp: EnvelopeGen::new(sample_rate),
            osc1: Osc::new(sample_rate, 1),
            osc2: Osc::new(sample_rate, 2),
            filter_env: EnvelopeGen::new(sample_rate),
            filter: Svf::new(sample_rate),
            osc_freqs: [Memo::EMPTY; 2],
            cutoff_factor: Memo::EMPTY,
            speed: Memo::EMPTY,
            position: 0.0,
            start_share: None,
            direction: 1.0,
            step: 0.0,
            rate_ratio: None,
        }
    }

    fn control_rate(&self) -> f32 {
        self.sample_rate / CONTROL_INTERVAL as f32
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Sounding and not already being faded out by `kill`.
    pub fn is_ringing(&self) -> bool {
        self.active && !self.killed
    }

    pub fn is_gated(&self) -> bool {
        self.active && self.gated
    }

    pub fn start(&mut self, inst: &Instrument, note: NoteStart) {
        self.active = true;
        self.gated = true;
        self.killed = false;
        self.instrument = note.instrument;
        self.serial = note.serial;
        self.pitch = note.pitch;
        self.counter = 0;
        self.vibrato_phase = 0.0;
        self.gain.snap(note.gain);
        self.amp.reset();
        self.filter_env.reset();
        self.filter.reset();
        self.osc_freqs = [Memo::EMPTY; 2];
        self.sweep = 0.0;
        self.glide_coeff = 0.0;
        self.glide_pitch = note.pitch;
        match &inst.source {
            Source::Synth(s) => {
                self.amp.set_params(&adsr(&s.amp));
                self.filter_env.set_params(&adsr(&s.filter.envelope));
                self.osc1 = Osc::new(self.sample_rate, note.seed);
                self.osc2 = Osc::new(self.sample_rate, note.seed ^ 0x9E37_79B9_7F4A_7C15);
                self.sweep = s.pitch_sweep.amount;
                self.sweep_coeff = decay_coefficient(s.pitch_sweep.decay, self.control_rate());
                if let Some(from) = note.glide_from.filter(|_| s.glide > 0.0) {
                    self.glide_pitch = from;
                    self.glide_coeff = decay_coefficient(s.glide, self.control_rate());
                }
            }
            Source::Sampler(s) => {
                self.amp.set_params(&adsr(&s.amp));
                self.position = f64::from(note.offset);
                self.start_share = Some(s.start).filter(|&x| x > 0.0);
                self.direction = 1.0;
            }
        }
        self.amp.gate_on();
        self.filter_env.gate_on();
    }

    /// A new note that slides from the playing one without restarting its envelopes.
    pub fn legato(&mut self, pitch: f32, glide_seconds: f32) {
        self.pitch = pitch;
        self.glide_coeff = decay_coefficient(glide_seconds, self.control_rate());
    }

    pub fn release(&mut self) {
        if self.gated {
            self.gated = false;
            self.amp.gate_off();
            self.filter_env.gate_off();
        }
    }

    /// Fades out at once (a stolen or cut note).
    pub fn kill(&mut self) {
        self.gated = false;
        self.killed = true;
        self.amp.fast_release(FAST_RELEASE);
    }

    /// Stops at once, without a fade (its instrument is gone).
    pub fn silence(&mut self) {
        self.active = false;
        self.gated = false;
    }

    pub fn set_pitch(&mut self, pitch: f32) {
        self.pitch = pitch;
    }

    pub fn set_gain(&mut self, gain: f32) {
        self.gain.set_target(gain);
    }

    /// Vibrato as a sine: `cycles_per_sample` fast, `depth` semitones either way.
    pub fn set_vibrato(&mut self, cycles_per_sample: f32, depth: f32) {
        self.vibrato_step = cycles_per_sample;
        self.vibrato_depth = depth;
    }

    fn current_pitch(&mut self) -> f32 {
        self.glide_pitch = self.pitch + (self.glide_pitch - self.pitch) * self.glide_coeff;
        self.sweep *= self.sweep_coeff;
        // Without vibrato the phase stays where it is: `fract` (a call to `truncf`
        // where the CPU target lacks SSE4.1) would give it back unchanged.
        if self.vibrato_step != 0.0 {
            self.vibrato_phase =
                (self.vibrato_phase + self.vibrato_step * CONTROL_INTERVAL as f32).fract();
        }
        let vibrato = if self.vibrato_depth != 0.0 {
            self.vibrato_depth * (self.vibrato_phase * std::f32::consts::TAU).sin()
        } else {
            0.0
        };
        self.glide_pitch + self.sweep + vibrato
    }

    /// Adds this voice's next `left.len()` frames into `left` and `right`.
    pub fn render(
        &mut self,
        inst: &Instrument,
        sample: Option<&SampleData>,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        match &inst.source {
            Source::Synth(s) => self.render_synth(s, left, right),
            Source::Sampler(s) => {
                let Some(data) = sample else {
                    self.active = false;
                    return;
                };
                self.render_sampler(s, data, left, right);
            }
        }
    }

    /// The sampler's part of `render`, a span at a time: the levels first, as the
    /// synth takes them, then the sample read into both sides, each control interval
    /// either as a plain stretch (see `is_plain_stretch`) or frame by frame. Where the
    /// sample ends the note inside a span, the level stages go back to where they
    /// stood after that frame (a new note's attack starts from the envelope's level).
    fn render_sampler(
        &mut self,
        s: &Sampler,
        data: &SampleData,
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let mut levels = [0.0f32; SPAN];
        for (left, right) in left.chunks_mut(SPAN).zip(right.chunks_mut(SPAN)) {
            if !self.active {
                break;
            }
            let (amp, gain) = (self.amp.clone(), self.gain.clone());
            let sounding = self.fill_levels(&mut levels[..left.len()]);
            let mut done = 0;
            // The step of the update where the last stretch stopped, worked out ahead.
            let mut ahead = None;
            while done < sounding && self.active {
                if self.counter.is_multiple_of(CONTROL_INTERVAL) {
                    match ahead.take() {
                        Some(step) => self.step = step,
                        None => self.sampler_control(s, data),
                    }
                }
                let until_control = CONTROL_INTERVAL - self.counter % CONTROL_INTERVAL;
                let mut end = sounding.min(done + until_control as usize);
                if self.is_plain_stretch(s, data, end - done) {
                    // On through the next updates while they keep the step and the
                    // stretch stays plain: one loop, not one per update.
                    while end < sounding {
                        let step = self.step;
                        self.sampler_control(s, data);
                        let next = std::mem::replace(&mut self.step, step);
                        let further = sounding.min(end + CONTROL_INTERVAL as usize);
                        if next.to_bits() != step.to_bits()
                            || !self.is_plain_stretch(s, data, further - done)
                        {
                            ahead = Some(next);
                            break;
                        }
                        end = further;
                    }
                    let (l, r) = (&mut left[done..end], &mut right[done..end]);
                    self.sampler_plain(data, &levels[done..end], l, r);
                    done = end;
                    continue;
                }
                let (l, r) = (&mut left[done..end], &mut right[done..end]);
                for (l, r) in l.iter_mut().zip(r.iter_mut()) {
                    let (a, b) = self.sampler_frame(s, data);
                    *l += a * levels[done];
                    *r += b * levels[done];
                    done += 1;
                    if !self.active {
                        // The sample has ended the note after `done` frames.
                        (self.amp, self.gain) = (amp, gain);
                        self.fill_levels(&mut [0.0f32; SPAN][..done]);
                        return;
                    }
                }
            }
            if self.amp.is_idle() {
                self.active = false;
            }
        }
    }

    /// The synth's part of `render`, a span at a time, stage by stage: the levels
    /// first (they tell where the note ends), then the filtered oscillators chunk by
    /// chunk, then their product into both sides. Each stage's loop is tight, and the
    /// last reads what the others wrote long after they wrote it.
    fn render_synth(&mut self, s: &Synth, left: &mut [f32], right: &mut [f32]) {
        let mut levels = [0.0f32; SPAN];
        let mut signal = [0.0f32; SPAN];
        for (left, right) in left.chunks_mut(SPAN).zip(right.chunks_mut(SPAN)) {
            if !self.active {
                break;
            }
            let sounding = self.levels(&mut levels[..left.len()]);
            let mut done = 0;
            while done < sounding {
                if self.counter.is_multiple_of(CONTROL_INTERVAL) {
                    self.synth_control(s);
                }
                let until_control = CONTROL_INTERVAL - self.counter % CONTROL_INTERVAL;
                let end = sounding.min(done + until_control as usize);
                self.synth_chunk(s, &mut signal[done..end]);
                self.counter = self.counter.wrapping_add((end - done) as u32);
                done = end;
            }
            for (((l, r), &x), &level) in left
                .iter_mut()
                .zip(right.iter_mut())
                .zip(&signal[..sounding])
                .zip(&levels[..sounding])
            {
                let x = x * level;
                *l += x;
                *r += x;
            }
        }
    }

    /// Fills `out` with the envelope times the note's level, frame by frame, up to the
    /// frame that ends the voice; returns how many frames the voice sounds.
    fn levels(&mut self, out: &mut [f32]) -> usize {
        let sounding = self.fill_levels(out);
        if self.amp.is_idle() {
            self.active = false;
        }
        sounding
    }

    /// Fills `out` with the envelope times the note's level, moving both on, up to the
    /// frame where the envelope ends; returns how many frames that is.
    fn fill_levels(&mut self, out: &mut [f32]) -> usize {
        let sounding = self.amp.fill(out);
        self.gain.multiply(&mut out[..sounding]);
        sounding
    }

    /// Moves pitch and filter on; runs every `CONTROL_INTERVAL` samples.
    fn synth_control(&mut self, s: &Synth) {
        let pitch = self.current_pitch();
        let [freq1, freq2] = &mut self.osc_freqs;
        let freq1 = freq1.get(
            pitch + s.osc1.semitones as f32 + s.osc1.detune / 100.0,
            note_to_hz,
        );
        let freq2 = freq2.get(
            pitch + s.osc2.semitones as f32 + s.osc2.detune / 100.0,
            note_to_hz,
        );
        self.osc1
            .set(waveform(s.osc1.wave), freq1, s.osc1.pulse_width);
        self.osc2
            .set(waveform(s.osc2.wave), freq2, s.osc2.pulse_width);
        let octaves = s.filter.env_amount * self.filter_env.level()
            + s.filter.key_track * (pitch - 60.0) / 12.0;
        let factor = self.cutoff_factor.get(octaves, f32::exp2);
        let cutoff = (s.filter.cutoff * factor).clamp(20.0, 0.49 * self.sample_rate);
        self.filter
            .set_moving(filter_mode(s.filter.mode), cutoff, s.filter.resonance);
        // Here, every `CONTROL_INTERVAL` samples of the note, wherever calls split it.
        self.filter.flush();
    }

    /// The filtered oscillators for the next `chunk.len()` samples (up to a control
    /// update), stage by stage. Per sample this is `a + (b - a) * mix` through the
    /// filter, where an oscillator mixed out plays 0: at mix 0 that is exactly `a`, at
    /// mix 1 exactly `b`, so those skip the blend.
    fn synth_chunk(&mut self, s: &Synth, chunk: &mut [f32]) {
        self.filter_env.advance(chunk.len());
        let mix = s.mix;
        if mix >= 1.0 {
            self.osc2.fill(chunk);
            if mix != 1.0 {
                chunk.iter_mut().for_each(|b| *b *= mix);
            }
        } else {
            self.osc1.fill(chunk);
            if mix > 0.0 {
                self.osc2.blend_into(chunk, mix);
            }
        }
        self.filter.process_pairs(chunk);
    }

    /// Moves the playback speed on; runs every `CONTROL_INTERVAL` samples.
    fn sampler_control(&mut self, s: &Sampler, data: &SampleData) {
        let semitones = self.current_pitch() - f32::from(s.root.midi()) + s.fine_tune / 100.0;
        let ratio = match self.rate_ratio {
            Some((rate, ratio)) if rate == data.sample_rate => ratio,
            _ => {
                let ratio = f64::from(data.sample_rate) / f64::from(self.sample_rate);
                self.rate_ratio = Some((data.sample_rate, ratio));
                ratio
            }
        };
        self.step = ratio * f64::from(self.speed.get(semitones, |x| (x / 12.0).exp2()));
    }

    /// Whether the next `frames` frames play forward through the inside of a one-shot
    /// sample, clear of its first frame, its last frames and the end fade, so that
    /// `sampler_plain` may play them.
    fn is_plain_stretch(&self, s: &Sampler, data: &SampleData, frames: usize) -> bool {
        // A frame and four samples to spare beyond the stretch, against rounding.
        let reach = self.position + (frames as f64 + 1.0) * self.step + 4.0;
        s.sample_loop.is_none()
            && self.direction > 0.0
            && self.start_share.is_none()
            && self.position >= 1.0
            && reach + self.step * END_FADE_FRAMES <= data.frames() as f64
            && data.channels.iter().all(|c| c.len() == data.frames())
    }

    /// `sampler_frame` times `levels` over a plain stretch (see `is_plain_stretch`):
    /// with no loop, edge or fade to mind, each frame comes to the same arithmetic:
    /// an interpolated read, times a fade of exactly 1, stepping forward; both
    /// channels share the frame's index and fraction. Four frames at a time where the
    /// CPU allows (`plain_fours`), the rest one at a time, with the same bits.
    fn sampler_plain(
        &mut self,
        data: &SampleData,
        levels: &[f32],
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let (step, mut position) = (self.step, self.position);
        #[cfg(target_arch = "x86_64")]
        let done = plain_fours(&data.channels, step, &mut position, levels, left, right);
        #[cfg(not(target_arch = "x86_64"))]
        let done = 0;
        let window =
            |c: &[f32], i: usize| -> [f32; 4] { c[i - 1..i + 3].try_into().expect("four frames") };
        let frames = left[done..]
            .iter_mut()
            .zip(right[done..].iter_mut())
            .zip(&levels[done..]);
        match &data.channels[..] {
            [mono] => {
                for ((l, r), &g) in frames {
                    let i = position as usize;
                    let t = (position - i as f64) as f32;
                    let [a, b, c, d] = window(mono, i);
                    let x = hermite4(a, b, c, d, t);
                    position += step;
                    *l += x * g;
                    *r += x * g;
                }
            }
            [first, second, ..] => {
                for ((l, r), &g) in frames {
                    let i = position as usize;
                    let t = (position - i as f64) as f32;
                    let [a, b, c, d] = window(first, i);
                    let [e, f, h, k] = window(second, i);
                    position += step;
                    *l += hermite4(a, b, c, d, t) * g;
                    *r += hermite4(e, f, h, k, t) * g;
                }
            }
            [] => {}
        }
        self.position = position;
        self.counter = self.counter.wrapping_add(left.len() as u32);
    }

    /// One frame of the sample (after `sampler_control` where one is due).
    fn sampler_frame(&mut self, s: &Sampler, data: &SampleData) -> (f32, f32) {
        self.counter = self.counter.wrapping_add(1);
        let frames = data.frames();
        if let Some(share) = self.start_share.take() {
            self.position += f64::from(share) * frames as f64;
        }
        let end = match s.sample_loop {
            Some(l) => f64::from(l.end),
            None => frames as f64,
        };
        if frames == 0 || self.position >= end && s.sample_loop.is_none() {
            self.active = false;
            return (0.0, 0.0);
        }
        let left = read(&data.channels[0], self.position);
        let right = data
            .channels
            .get(1)
            .map_or(left, |c| read(c, self.position));
        let fade = if s.sample_loop.is_none() {
            let (distance, span) = (end - self.position, self.step * END_FADE_FRAMES);
            // A fade's length or more from the end the quotient is at least 1: no need
            // to divide for the 1.0 it comes to.
            if distance >= span {
                1.0
            } else {
                (distance / span).min(1.0) as f32
            }
        } else {
            1.0
        };
        self.position += self.step * self.direction;
        if let Some(l) = s.sample_loop {
            let (start, end) = (f64::from(l.start), f64::from(l.end));
            match l.mode {
                LoopMode::Forward if self.position >= end => {
                    self.position = start + (self.position - end) % (end - start);
                }
                LoopMode::PingPong if self.position >= end => {
                    self.position = end - (self.position - end);
                    self.direction = -1.0;
                }
                LoopMode::PingPong if self.position < start && self.direction < 0.0 => {
                    self.position = start + (start - self.position);
                    self.direction = 1.0;
                }
                _ => {}
            }
        }
        (left * fade, right * fade)
    }
}

/// `Voice::sampler_plain`'s frames four at a time, as many fours as `left` holds:
/// each frame's position, index and fraction as the one-at-a-time loop works them out
/// (the index by a signed conversion, which is the same for positions past 1 and far
/// cheaper than an unsigned one), the four reads of each channel through
/// `hermite4_x4`, and the levels applied and added as vectors. Moves `position` on
/// and returns how many frames it rendered.
#[cfg(target_arch = "x86_64")]
fn plain_fours(
    channels: &[Vec<f32>],
    step: f64,
    position: &mut f64,
    levels: &[f32],
    left: &mut [f32],
    right: &mut [f32],
) -> usize {
    use std::arch::x86_64::*;
    let mut p = *position;
    let done = 4 * (left.len() / 4);
    // Indexed rather than zipped chunks: a stretch is a few fours, and building the
    // zip of three chunk iterators costs a call.
    for start in (0..done).step_by(4) {
        let four = start..start + 4;
        let (l, r, g) = (
            &mut left[four.clone()],
            &mut right[four.clone()],
            &levels[four],
        );
        let mut at = [0usize; 4];
        let mut t = [0.0f32; 4];
        for (at, t) in at.iter_mut().zip(&mut t) {
            let i = p as i64;
            *at = i as usize;
            *t = (p - i as f64) as f32;
            p += step;
        }
        // SAFETY: SSE2 is part of every x86_64 CPU; each load and store covers four
        // floats of a four-float chunk.
        unsafe {
            let t = _mm_set_ps(t[3], t[2], t[1], t[0]);
            let (x, y) = match channels {
                [mono] => {
                    let x = hermite4_x4(mono, at, t);
                    (x, x)
                }
                [first, second, ..] => (hermite4_x4(first, at, t), hermite4_x4(second, at, t)),
                [] => return 0,
            };
            let g = _mm_loadu_ps(g.as_ptr());
            let sum = |out: &mut [f32], x| {
                let y = _mm_add_ps(_mm_loadu_ps(out.as_ptr()), _mm_mul_ps(x, g));
                _mm_storeu_ps(out.as_mut_ptr(), y);
            };
            sum(l, x);
            sum(r, y);
        }
    }
    *position = p;
    done
}

/// 4-point interpolated read; frames outside the sample read as silence.
fn read(data: &[f32], position: f64) -> f32 {
    // Truncation is the floor for the positions ahead of the start (all but the first
    // frames of a reversed read), and far cheaper than `floor` without SSE4.1.
    let i = if position >= 0.0 {
        position as isize
    } else {
        position.floor() as isize
    };
    let t = (position - i as f64) as f32;
    if i >= 1 {
        // Nearly every read is well inside the sample: one bounds check, not four.
        if let Some(&[a, b, c, d]) = data.get(i as usize - 1..i as usize + 3) {
            return hermite4(a, b, c, d, t);
        }
    }
    let at = |k: isize| -> f32 {
        if k < 0 {
            0.0
        } else {
            data.get(k as usize).copied().unwrap_or(0.0)
        }
    };
    hermite4(at(i - 1), at(i), at(i + 1), at(i + 2), t)
}

/// Per-update factor for an exponential approach that is 99.9 % there after `seconds`.
fn decay_coefficient(seconds: f32, updates_per_second: f32) -> f32 {
    if seconds <= 0.0 {
        0.0
    } else {
        (-6.9 / (seconds * updates_per_second)).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    /// A voice reading `data` from `position` by `step`, as a sampler note would.
    fn reading(position: f64, step: f64) -> Voice {
        let mut voice = Voice::new(48_000.0);
        voice.active = true;
        (voice.position, voice.step) = (position, step);
        voice
    }

    #[test]
    fn plain_stretches_give_the_bits_of_frame_by_frame_reads() {
        let mut rng = Rng::new(9);
        let noise = |rng: &mut Rng| (0..4_000).map(|_| rng.next_bipolar()).collect();
        let mono = SampleData {
            sample_rate: 44_100,
            channels: vec![noise(&mut rng)],
        };
        let stereo = SampleData {
            sample_rate: 44_100,
            channels: vec![noise(&mut rng), noise(&mut rng)],
        };
        let sampler = Sampler::new("noise.wav");
        for data in [&mono, &stereo] {
            for step in [0.25, 0.5, 0.918_75, 1.0, 1.37, 2.9] {
                for start in [1.0, 1.5, 17.123_456_789] {
                    // Stretches of every length a control interval may leave.
                    for frames in 1..=CONTROL_INTERVAL as usize {
                        let levels: Vec<f32> = (0..frames).map(|_| rng.next_bipolar()).collect();
                        let mut plain = reading(start, step);
                        assert!(plain.is_plain_stretch(&sampler, data, frames));
                        let (mut l, mut r) = (vec![0.25f32; frames], vec![-0.5f32; frames]);
                        plain.sampler_plain(data, &levels, &mut l, &mut r);
                        let mut one = reading(start, step);
                        for (i, &g) in levels.iter().enumerate() {
                            let (a, b) = one.sampler_frame(&sampler, data);
                            let want = (0.25 + a * g, -0.5 + b * g);
                            let at = format!("{step} from {start}, frame {i} of {frames}");
                            assert_eq!(l[i].to_bits(), want.0.to_bits(), "{at}");
                            assert_eq!(r[i].to_bits(), want.1.to_bits(), "{at}");
                        }
                        assert_eq!(plain.position.to_bits(), one.position.to_bits());
                        assert_eq!(plain.counter, one.counter);
                    }
                }
            }
        }
    }

    /// A sampler note's first `frames` frames, rendered in calls of `lengths` in turn.
    fn sampler_note(
        inst: &Instrument,
        data: &SampleData,
        vibrato: f32,
        frames: usize,
        lengths: &[usize],
    ) -> Vec<u32> {
        let mut voice = Voice::new(48_000.0);
        let note = NoteStart {
            instrument: 0,
            pitch: 61.3,
            glide_from: None,
            gain: 0.8,
            offset: 3,
            seed: 1,
            serial: 1,
        };
        voice.start(inst, note);
        voice.set_vibrato(5.0 / 48_000.0, vibrato);
        let (mut left, mut right) = (vec![0.0f32; frames], vec![0.0f32; frames]);
        let mut at = 0;
        for &length in lengths.iter().cycle() {
            let end = frames.min(at + length);
            voice.render(inst, Some(data), &mut left[at..end], &mut right[at..end]);
            at = end;
            if at == frames {
                break;
            }
        }
        left.iter().chain(&right).map(|x| x.to_bits()).collect()
    }

    #[test]
    fn stretches_through_held_and_moving_pitches_play_what_frame_by_frame_reads_would() {
        let mut rng = Rng::new(21);
        let data = SampleData {
            sample_rate: 44_100,
            channels: vec![(0..6_000).map(|_| rng.next_bipolar()).collect()],
        };
        let plain = Instrument::sampler("noise", Sampler::new("noise.wav"));
        // A loop over the whole sample, never reached here, makes every frame go
        // through `sampler_frame`.
        let mut looped = plain.clone();
        if let Source::Sampler(s) = &mut looped.source {
            s.sample_loop = Some(crate::song::SampleLoop {
                mode: LoopMode::Forward,
                start: 0,
                end: 6_000,
            });
        }
        for vibrato in [0.0, 0.5] {
            let want = sampler_note(&looped, &data, vibrato, 4_000, &[4_000]);
            for lengths in [[4_000].as_slice(), &[64], &[1, 7, 13], &[100, 3]] {
                let got = sampler_note(&plain, &data, vibrato, 4_000, lengths);
                assert!(want == got, "vibrato {vibrato}, calls of {lengths:?}");
            }
        }
    }
}
