//! An algorithmic reverb: a feedback delay network (Jot and Chaigne) of eight lines
//! mixed by an orthogonal Hadamard matrix, fed through a pre-delay and four allpass
//! diffusers.
//!
//! Each line's loop gain is set from its own length so that every path through the
//! network falls by 60 dB in the decay time, whatever the size. Damping is a one-pole
//! low-pass in each loop with unity gain at DC, so it shortens the highs' decay and
//! leaves the lows' at the setting. The matrix is lossless and every loop gain is below
//! one, so the network cannot run away at any setting. A DC blocker at the input keeps
//! offsets out of the tail. It is linear: the reverb of a sum is the sum of the reverbs.

use super::delay::DelayLine;
use super::smooth::Smoothed;
use super::util::flush_denormal;

const LINES: usize = 8;
/// Line lengths at size 1, in ms: mutually prime-ish so their echoes do not pile up.
const LINE_MS: [f32; LINES] = [43.1, 53.3, 59.9, 67.7, 79.3, 87.1, 97.9, 103.7];
/// Size 0 shrinks the lines to this share of their full length.
const SMALLEST: f32 = 0.2;
const DIFFUSER_MS: [f32; 4] = [4.77, 3.59, 2.61, 1.73];
const DIFFUSER_GAIN: f32 = 0.62;
pub const MAX_PRE_DELAY_SECONDS: f32 = 0.25;
const CONTROL_FRAMES: usize = 32;
/// Where each line's output goes in the left and right sums, and how the input enters
/// (three different rows of the 8x8 Hadamard matrix, so the three are uncorrelated).
const LEFT: [f32; LINES] = [1.0, -1.0, 1.0, -1.0, 1.0, -1.0, 1.0, -1.0];
const RIGHT: [f32; LINES] = [1.0, 1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0];
const INPUT: [f32; LINES] = [1.0, -1.0, -1.0, 1.0, 1.0, -1.0, -1.0, 1.0];
/// 1/√8 twice over: one for the matrix, one to keep the tail near the input's level.
const SCALE: f32 = 0.353_553_4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ReverbSettings {
    pub pre_delay_ms: f32,
    /// 0 to 1.
    pub size: f32,
    /// RT60 in seconds.
    pub decay_s: f32,
    /// 0 to 1.
    pub damping: f32,
    /// 0 (mono) to 1.
    pub width: f32,
    /// Wet share of the output.
    pub mix: f32,
}

impl Default for ReverbSettings {
    fn default() -> ReverbSettings {
        ReverbSettings {
            pre_delay_ms: 20.0,
            size: 0.7,
            decay_s: 2.0,
            damping: 0.5,
            width: 1.0,
            mix: 1.0,
        }
    }
}

/// Schroeder allpass: flat magnitude, smeared phase.
struct Diffuser {
    line: DelayLine,
    frames: usize,
}

impl Diffuser {
    #[inline]
    fn process(&mut self, x: f32) -> f32 {
        let delayed = self.line.tap(self.frames);
        let v = x - DIFFUSER_GAIN * delayed;
        self.line.push(v);
        delayed + DIFFUSER_GAIN * v
    }
}

/// What a frame of the reverb draws from its settings while none of them moves.
struct Steady {
    pre_delay: f32,
    damping: f32,
    lengths: [usize; LINES],
    width: f32,
    mix: f32,
}

pub struct Reverb {
    sample_rate: f32,
    settings: ReverbSettings,
    dc_coefficient: f32,
    dc_in: f32,
    dc_out: f32,
    pre_delay: DelayLine,
    pre_delay_frames: Smoothed,
    diffusers: [Diffuser; 4],
    lines: [DelayLine; LINES],
    /// Current lengths in frames; a size change glides over 100 ms.
    lengths: [Smoothed; LINES],
    loop_gains: [f32; LINES],
    damping_states: [f32; LINES],
    damping_coefficient: Smoothed,
    decay: Smoothed,
    width: Smoothed,
    mix: Smoothed,
    countdown: usize,
}

fn hadamard(x: &mut [f32; LINES]) {
    let mut h = 1;
    while h < LINES {
        for i in (0..LINES).step_by(2 * h) {
            for j in i..i + h {
                let (a, b) = (x[j], x[j + h]);
                x[j] = a + b;
                x[j + h] = a - b;
            }
        }
        h *= 2;
    }
    for v in x.iter_mut() {
        *v *= SCALE;
    }
}

impl Reverb {
    pub fn new(sample_rate: f32) -> Reverb {
        let frames = |ms: f32| ms * 0.001 * sample_rate;
        let mut r = Reverb {
            sample_rate,
            settings: ReverbSettings::default(),
            dc_coefficient: 1.0 - std::f32::consts::TAU * 20.0 / sample_rate,
            dc_in: 0.0,
            dc_out: 0.0,
            pre_delay: DelayLine::new((MAX_PRE_DELAY_SECONDS * sample_rate) as usize + 2),
            pre_delay_frames: Smoothed::new(sample_rate, 0.05, 1.0),
            diffusers: DIFFUSER_MS.map(|ms| Diffuser {
                line: DelayLine::new(frames(ms) as usize + 1),
                frames: frames(ms) as usize,
            }),
            lines: LINE_MS.map(|ms| DelayLine::new(frames(ms) as usize + 2)),
            lengths: LINE_MS.map(|ms| Smoothed::new(sample_rate, 0.1, frames(ms))),
            loop_gains: [0.0; LINES],
            damping_states: [0.0; LINES],
            damping_coefficient: Smoothed::new(sample_rate, 0.02, 1.0),
            decay: Smoothed::new(sample_rate, 0.05, 2.0),
            width: Smoothed::new(sample_rate, 0.02, 1.0),
            mix: Smoothed::new(sample_rate, 0.02, 1.0),
            countdown: 0,
        };
        r.set(ReverbSettings::default(), true);
        r
    }

    pub fn set(&mut self, s: ReverbSettings, snap: bool) {
        self.settings = s;
        let scale = SMALLEST + (1.0 - SMALLEST) * s.size.clamp(0.0, 1.0);
        let pre_delay = (s.pre_delay_ms * 0.001 * self.sample_rate).max(1.0);
        // The one-pole's coefficient: 1 passes everything, smaller darkens each pass.
        let damping = 1.0 - 0.8 * s.damping.clamp(0.0, 1.0);
        let targets = [
            (&mut self.pre_delay_frames, pre_delay),
            (&mut self.damping_coefficient, damping),
            (&mut self.decay, s.decay_s.max(0.01)),
            (&mut self.width, s.width.clamp(0.0, 1.0)),
            (&mut self.mix, s.mix.clamp(0.0, 1.0)),
        ];
        for (smoothed, target) in targets {
            if snap {
                smoothed.snap(target);
            } else {
                smoothed.set_target(target);
            }
        }
        for (length, ms) in self.lengths.iter_mut().zip(LINE_MS) {
            // Whole frames: a fractional read would low-pass every pass round the loop.
            let frames = (ms * scale * 0.001 * self.sample_rate).round();
            if snap {
                length.snap(frames);
            } else {
                length.set_target(frames);
            }
        }
        self.update_loop_gains();
    }

    pub fn reset(&mut self) {
        self.dc_in = 0.0;
        self.dc_out = 0.0;
        self.pre_delay.reset();
        for d in &mut self.diffusers {
            d.line.reset();
        }
        for l in &mut self.lines {
            l.reset();
        }
        self.damping_states = [0.0; LINES];
    }

    /// Every line loses 60 dB over the decay time: gain = 10^(-3 · length / (RT60 · rate)).
    fn update_loop_gains(&mut self) {
        let per_frame = -3.0 / (self.decay.value() * self.sample_rate);
        for (gain, length) in self.loop_gains.iter_mut().zip(&self.lengths) {
            *gain = 10f32.powf(per_frame * length.value());
        }
    }

    /// Whether everything inside has died to exact silence.
    pub fn is_silent(&self) -> bool {
        self.damping_states.iter().all(|&s| s == 0.0)
            && (1..=self.lines[0].capacity()).all(|d| self.lines[0].tap(d) == 0.0)
    }

    pub fn process(&mut self, left: &mut [f32], right: &mut [f32]) {
        let mut start = 0;
        while start < left.len() {
            if self.countdown == 0 {
                if !self.decay.is_settled() || !self.lengths.iter().all(Smoothed::is_settled) {
                    self.update_loop_gains();
                }
                self.countdown = CONTROL_FRAMES;
            }
            let n = self.countdown.min(left.len() - start);
            let (l, r) = (&mut left[start..start + n], &mut right[start..start + n]);
            if self.is_steady() {
                // Nothing glides: the values `frame` would draw are these, every frame,
                // and the settled line lengths are whole frames, read without
                // interpolating (the same samples: the fraction is zero).
                let steady = Steady {
                    pre_delay: self.pre_delay_frames.value(),
                    damping: self.damping_coefficient.value(),
                    lengths: std::array::from_fn(|i| self.lengths[i].value() as usize),
                    width: self.width.value(),
                    mix: self.mix.value(),
                };
                for (l, r) in l.iter_mut().zip(r.iter_mut()) {
                    self.frame_steady(l, r, &steady);
                }
            } else {
                for (l, r) in l.iter_mut().zip(r.iter_mut()) {
                    self.frame(l, r);
                }
            }
            self.countdown -= n;
            start += n;
        }
    }

    fn is_steady(&self) -> bool {
        self.pre_delay_frames.is_settled()
            && self.damping_coefficient.is_settled()
            && self.decay.is_settled()
            && self.width.is_settled()
            && self.mix.is_settled()
            && self
                .lengths
                .iter()
                .all(|l| l.is_settled() && l.value().fract() == 0.0)
    }

    #[inline]
    fn frame(&mut self, l: &mut f32, r: &mut f32) {
        let pre_delay = self.pre_delay_frames.next_value();
        let x = self.diffused_input(*l, *r, pre_delay);
        let damping = self.damping_coefficient.next_value();
        self.decay.next_value();
        let mut outs = [0.0f32; LINES];
        for (i, out) in outs.iter_mut().enumerate() {
            *out = self.lines[i].read(self.lengths[i].next_value());
        }
        let (wet_l, wet_r) = self.run_network(x, &outs, damping);
        let (width, mix) = (self.width.next_value(), self.mix.next_value());
        mix_out(l, r, wet_l, wet_r, width, mix);
    }

    #[inline]
    fn frame_steady(&mut self, l: &mut f32, r: &mut f32, steady: &Steady) {
        let x = self.diffused_input(*l, *r, steady.pre_delay);
        let outs: [f32; LINES] = std::array::from_fn(|i| self.lines[i].tap(steady.lengths[i]));
        let (wet_l, wet_r) = self.run_network(x, &outs, steady.damping);
        mix_out(l, r, wet_l, wet_r, steady.width, steady.mix);
    }

    /// DC blocker, pre-delay and diffusers: what enters the network this frame.
    #[inline]
    fn diffused_input(&mut self, l: f32, r: f32, pre_delay: f32) -> f32 {
        let input = (l + r) * 0.5;
        // DC blocker: y = x - x[-1] + R·y[-1].
        self.dc_out = flush_denormal(input - self.dc_in + self.dc_coefficient * self.dc_out);
        self.dc_in = input;
        let delayed = self.pre_delay.read(pre_delay);
        self.pre_delay.push(self.dc_out);
        let mut x = delayed;
        for d in &mut self.diffusers {
            x = d.process(x);
        }
        x
    }

    /// Damps and mixes the lines' outputs back in with `x`; returns the wet sides.
    #[inline]
    fn run_network(&mut self, x: f32, outs: &[f32; LINES], damping: f32) -> (f32, f32) {
        let mut feedback = [0.0f32; LINES];
        for i in 0..LINES {
            let s = &mut self.damping_states[i];
            *s = flush_denormal(*s + damping * (outs[i] - *s));
            feedback[i] = *s * self.loop_gains[i];
        }
        hadamard(&mut feedback);
        let (mut wet_l, mut wet_r) = (0.0, 0.0);
        for i in 0..LINES {
            self.lines[i].push(feedback[i] + x * INPUT[i] * SCALE);
            wet_l += outs[i] * LEFT[i];
            wet_r += outs[i] * RIGHT[i];
        }
        (wet_l, wet_r)
    }
}

/// Blends the wet sides into the frame, at the stereo width and wet share given.
#[inline]
fn mix_out(l: &mut f32, r: &mut f32, wet_l: f32, wet_r: f32, width: f32, mix: f32) {
    let (wet_l, wet_r) = (wet_l * SCALE, wet_r * SCALE);
    let mid = (wet_l + wet_r) * 0.5;
    let side = (wet_l - wet_r) * 0.5 * width;
    *l += mix * (mid + side - *l);
    *r += mix * (mid - side - *r);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;

    const RATE: f32 = 48_000.0;

    fn reverb(settings: ReverbSettings) -> Reverb {
        let mut r = Reverb::new(RATE);
        r.set(settings, true);
        r
    }

    /// RT60 from the Schroeder energy decay curve of the impulse response (T30 · 2).
    fn measured_rt60(settings: ReverbSettings) -> f32 {
        let mut r = reverb(settings);
        let n = (settings.decay_s * 1.6 * RATE) as usize + 24_000;
        let (mut left, mut right) = (vec![0.0f32; n], vec![0.0f32; n]);
        left[0] = 1.0;
        right[0] = 1.0;
        r.process(&mut left, &mut right);
        let mut tail = vec![0.0f64; n + 1];
        for i in (0..n).rev() {
            let e = f64::from(left[i]).powi(2) + f64::from(right[i]).powi(2);
            tail[i] = tail[i + 1] + e;
        }
        let db = |i: usize| 10.0 * (tail[i] / tail[0]).log10();
        let t5 = (0..n).position(|i| db(i) <= -5.0).unwrap();
        let t35 = (0..n).position(|i| db(i) <= -35.0).unwrap();
        2.0 * (t35 - t5) as f32 / RATE
    }

    #[test]
    fn measured_decay_time_is_within_5_percent_of_the_setting() {
        for &(decay_s, size) in &[(0.5, 0.3), (1.5, 0.7), (4.0, 1.0), (2.5, 0.0)] {
            let settings = ReverbSettings {
                decay_s,
                size,
                damping: 0.0,
                ..ReverbSettings::default()
            };
            let rt60 = measured_rt60(settings);
            assert!(
                (rt60 / decay_s - 1.0).abs() < 0.05,
                "decay {decay_s} s size {size}: measured {rt60} s"
            );
        }
        // Damping darkens the tail, so the broadband decay gets shorter, not longer.
        let damped = measured_rt60(ReverbSettings {
            decay_s: 2.0,
            damping: 1.0,
            ..ReverbSettings::default()
        });
        assert!(damped < 2.0, "{damped}");
    }

    #[test]
    fn a_dc_offset_does_not_come_out() {
        let mut r = reverb(ReverbSettings::default());
        let n = 4 * RATE as usize;
        let (mut l, mut rr) = (vec![0.5f32; n], vec![0.5f32; n]);
        r.process(&mut l, &mut rr);
        let last = &l[n - RATE as usize..];
        let mean = last.iter().map(|&x| f64::from(x)).sum::<f64>() / last.len() as f64;
        assert!(mean.abs() < 1e-3, "{mean}");
    }

    #[test]
    fn maximum_settings_never_run_away_and_the_tail_dies_to_exact_zero() {
        let mut r = reverb(ReverbSettings {
            pre_delay_ms: 250.0,
            size: 1.0,
            decay_s: 30.0,
            damping: 0.0,
            width: 1.0,
            mix: 1.0,
        });
        let mut rng = Rng::new(9);
        let second = RATE as usize;
        let mut l: Vec<f32> = (0..second).map(|_| rng.next_bipolar()).collect();
        let mut rr: Vec<f32> = (0..second).map(|_| rng.next_bipolar()).collect();
        r.process(&mut l, &mut rr);
        let mut energies = Vec::new();
        for _ in 0..20 {
            let (mut l, mut rr) = (vec![0.0; second], vec![0.0; second]);
            r.process(&mut l, &mut rr);
            assert!(l.iter().chain(&rr).all(|x| x.is_finite() && x.abs() < 10.0));
            energies.push(l.iter().chain(&rr).map(|x| f64::from(x * x)).sum::<f64>());
        }
        // 60 dB in 30 s is 2 dB a second: twenty seconds later, about 40 dB down.
        let drop = 10.0 * (energies[1] / energies[19]).log10();
        assert!((drop - 36.0).abs() < 8.0, "{drop} dB");
        // A short reverb on the same state dies to exact zero, not to denormals.
        r.set(
            ReverbSettings {
                decay_s: 0.2,
                size: 0.0,
                ..ReverbSettings::default()
            },
            true,
        );
        for _ in 0..60 {
            let (mut l, mut rr) = (vec![0.0; second], vec![0.0; second]);
            r.process(&mut l, &mut rr);
        }
        assert!(r.is_silent());
    }
}
