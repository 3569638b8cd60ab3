//! A look-ahead brickwall true-peak limiter.
//!
//! Peaks are found between the samples too (4x oversampled, see `true_peak`), so the
//! ceiling holds for the reconstructed waveform (dBTP), not just the sample values.
//! The gain needed by each incoming sample is held as a running minimum over the
//! look-ahead window, then averaged over the same window. Every sample in that average
//! is at most the gain of the sample now leaving the delay line, so the output never
//! passes the ceiling, and the gain curve is a smooth ramp rather than a step.

use super::true_peak::{self, BLOCK, TruePeakDetector};
use super::util::finite_or_silence;

/// The limiter holds this far under its ceiling. Its own detector reads within 0.1 dB
/// of the analytic peak for content up to about 21 kHz, but its 32-tap interpolator
/// rolls off above that (-0.8 dB at 22 kHz, -4.7 dB at 23 kHz, at 48 kHz), and dense
/// bright mixes (noise hats run flat to Nyquist) driven 15-20 dB into it reconstruct
/// up to about 0.3 dB above what it read; meters' interpolators (libebur128's 4x,
/// ffmpeg's) read such material up to that much higher too. With this margin they
/// read at or under the ceiling.
pub const TRUE_PEAK_MARGIN_DB: f32 = 0.3;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterParams {
    pub ceiling_db: f32,
    /// Fixed when the limiter is made: it sets the latency.
    pub lookahead_ms: f32,
    pub release_ms: f32,
}

impl Default for LimiterParams {
    fn default() -> LimiterParams {
        LimiterParams {
            ceiling_db: -1.0,
            lookahead_ms: 1.5,
            release_ms: 80.0,
        }
    }
}

/// What leaves the limiter: the limited frame and the same frame unlimited (equally
/// delayed), so a bypass can cross-fade between them without a jump in time.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LimiterOutput {
    pub limited: (f32, f32),
    pub dry: (f32, f32),
}

pub struct Limiter {
    sample_rate: f32,
    ceiling: f32,
    detector: TruePeakDetector,
    /// Delayed input, a ring of the detector's delay plus `window` frames.
    delay: Vec<(f32, f32)>,
    delay_position: usize,
    /// Needed gains of the last `window + 1` inputs: every one the delayed frame
    /// will still be averaged with.
    needed: Vec<f32>,
    /// Released gains feeding the moving average, same length.
    held: Vec<f32>,
    sum: f64,
    position: usize,
    /// The smallest of `needed` and how many samples ago it came in.
    minimum: f32,
    minimum_age: usize,
    released: f32,
    release_coefficient: f32,
    gain: f32,
    /// The lowest `gain` since the last `take_peak_reduction_db`.
    lowest_gain: f32,
    /// Room for a block's true peaks, kept so that no call clears its own.
    peaks: Box<[f32; BLOCK]>,
}

impl Limiter {
    pub fn new(sample_rate: f32, params: &LimiterParams) -> Limiter {
        let window = ((params.lookahead_ms * 0.001 * sample_rate) as usize).max(1);
        let mut limiter = Limiter {
            sample_rate,
            ceiling: 1.0,
            detector: TruePeakDetector::new(),
            delay: vec![(0.0, 0.0); window + true_peak::DELAY],
            delay_position: 0,
            needed: vec![1.0; window + 1],
            held: vec![1.0; window + 1],
            sum: (window + 1) as f64,
            position: 0,
            minimum: 1.0,
            minimum_age: 0,
            released: 1.0,
            release_coefficient: 0.0,
            gain: 1.0,
            lowest_gain: 1.0,
            peaks: Box::new([0.0; BLOCK]),
        };
        limiter.set_params(params);
        limiter
    }

    /// Ceiling and release apply at once (the gain still moves smoothly); the
    /// look-ahead stays what it was made with.
    pub fn set_params(&mut self, params: &LimiterParams) {
        self.ceiling = super::util::db_to_gain(params.ceiling_db - TRUE_PEAK_MARGIN_DB);
        self.release_coefficient =
            (-1.0 / (params.release_ms.max(0.1) * 0.001 * self.sample_rate)).exp();
    }

    /// Frames between a sample going in and coming out.
    pub fn latency(&self) -> usize {
        self.delay.len()
    }

    pub fn gain_reduction_db(&self) -> f32 {
        -super::util::gain_to_db(self.gain)
    }

    /// The most reduction since the last call, for a meter that must not miss a peak.
    pub fn take_peak_reduction_db(&mut self) -> f32 {
        -super::util::gain_to_db(std::mem::replace(&mut self.lowest_gain, self.gain))
    }

    pub fn reset(&mut self) {
        self.detector.reset();
        self.delay.fill((0.0, 0.0));
        self.delay_position = 0;
        self.needed.fill(1.0);
        self.held.fill(1.0);
        self.sum = self.held.len() as f64;
        self.minimum = 1.0;
        self.minimum_age = 0;
        self.released = 1.0;
        self.gain = 1.0;
        self.lowest_gain = 1.0;
    }

    fn rescan_minimum(&mut self) {
        let len = self.needed.len();
        self.minimum = 1.0;
        self.minimum_age = 0;
        // Oldest first, so on ties the youngest wins and the age is as small as it can be.
        for age in (0..len).rev() {
            let at = self.position + len - age;
            let g = self.needed[if at >= len { at - len } else { at }];
            if g <= self.minimum {
                self.minimum = g;
                self.minimum_age = age;
            }
        }
    }

    pub fn process(&mut self, left: f32, right: f32) -> LimiterOutput {
        let (left, right) = (finite_or_silence(left), finite_or_silence(right));
        // The peak around the frame `true_peak::DELAY` back; the delay line covers both.
        let peak = self.detector.process_above(left, right, self.ceiling);
        let out = self.delay[self.delay_position];
        self.delay[self.delay_position] = (left, right);
        self.delay_position = next_index(self.delay_position, self.delay.len());
        let gain = self.next_gain(peak);
        LimiterOutput {
            limited: (self.limit(out.0, gain), self.limit(out.1, gain)),
            dry: out,
        }
    }

    /// `process` for each frame of `left` and `right`, in place: they end holding the
    /// limited frames, and `dry_left` and `dry_right` the dry ones. The same samples,
    /// with the true peaks found a block at a time and no gain work while nothing is
    /// or has lately been limited.
    pub fn process_block(
        &mut self,
        left: &mut [f32],
        right: &mut [f32],
        dry_left: &mut [f32],
        dry_right: &mut [f32],
    ) {
        let n = left.len().min(right.len());
        let (dry_left, dry_right) = (&mut dry_left[..n], &mut dry_right[..n]);
        for x in &mut left[..n] {
            *x = finite_or_silence(*x);
        }
        for x in &mut right[..n] {
            *x = finite_or_silence(*x);
        }
        for start in (0..n).step_by(BLOCK) {
            let end = (start + BLOCK).min(n);
            let (l, r) = (&mut left[start..end], &mut right[start..end]);
            let count = l.len();
            self.detector
                .process_block_above(l, r, self.ceiling, &mut self.peaks[..count]);
            // Through the delay ring in runs up to its end, each slot read then written.
            let mut t = start;
            while t < end {
                let run = (end - t).min(self.delay.len() - self.delay_position);
                let slots = &mut self.delay[self.delay_position..self.delay_position + run];
                for ((slot, (x, y)), (dl, dr)) in slots
                    .iter_mut()
                    .zip(l[t - start..].iter().zip(&r[t - start..]))
                    .zip(dry_left[t..].iter_mut().zip(&mut dry_right[t..]))
                {
                    (*dl, *dr) = *slot;
                    *slot = (*x, *y);
                }
                self.delay_position = next_index(self.delay_position + run - 1, self.delay.len());
                t += run;
            }
            let len = self.needed.len();
            // Looked at whole (no early exit), so the test is a vector pass.
            let ceiling = self.ceiling;
            let all_under = !self.peaks[..count]
                .iter()
                .fold(false, |over, &p| over | (p > ceiling));
            if self.is_at_rest() && all_under {
                // Every gain needed is 1, as are all held: only the rings move on.
                self.position = (self.position + count) % len;
                self.minimum_age = 0;
                for ((x, y), (&dl, &dr)) in l
                    .iter_mut()
                    .zip(r.iter_mut())
                    .zip(dry_left[start..end].iter().zip(&dry_right[start..end]))
                {
                    // `limit` at a gain of 1: x · 1 is x.
                    *x = dl.clamp(-ceiling, ceiling);
                    *y = dr.clamp(-ceiling, ceiling);
                }
                continue;
            }
            for (i, ((x, y), (&dl, &dr))) in l
                .iter_mut()
                .zip(r.iter_mut())
                .zip(dry_left[start..end].iter().zip(&dry_right[start..end]))
                .enumerate()
            {
                let gain = self.next_gain(self.peaks[i]);
                *x = self.limit(dl, gain);
                *y = self.limit(dr, gain);
            }
        }
    }

    /// Whether nothing is limited nor held: every needed and held gain in the window
    /// is 1, so a frame that needs no reduction leaves the gain at 1 exactly.
    fn is_at_rest(&self) -> bool {
        // The held gains are at most 1 and their f64 sum is exact: it is `len` only
        // when every one of them is 1.
        self.minimum == 1.0 && self.released == 1.0 && self.sum == self.held.len() as f64
    }

    /// The gain for the frame now leaving the delay, with the peak just found.
    #[inline]
    fn next_gain(&mut self, peak: f32) -> f32 {
        let needed = if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        };
        let len = self.needed.len();
        self.needed[self.position] = needed;
        // Rescan only when the smallest gain leaves the window: while nothing is limited
        // that is never, and while limiting, at most once a window.
        if needed <= self.minimum {
            self.minimum = needed;
            self.minimum_age = 0;
        } else {
            self.minimum_age += 1;
            if self.minimum_age >= len {
                self.rescan_minimum();
            }
        }
        let minimum = self.minimum;
        self.released = if minimum < self.released {
            minimum
        } else {
            let next = minimum + (self.released - minimum) * self.release_coefficient;
            // Close under the target the step falls under half an f32 step and the
            // value would stall there for good (1e-4 under unity for an 80 ms release,
            // about 0.001 dB): from there it lands.
            if next == self.released { minimum } else { next }
        };
        self.sum += f64::from(self.released) - f64::from(self.held[self.position]);
        self.held[self.position] = self.released;
        self.position = next_index(self.position, len);
        // Nothing held under unity (nothing limited for a window): the average is 1
        // exactly, with no division. The held gains are f32 values far above 2^-23, so
        // their f64 running sum is exact and comes back to `len` to the bit.
        self.gain = if self.sum == len as f64 {
            1.0
        } else {
            ((self.sum / len as f64) as f32).min(1.0)
        };
        self.lowest_gain = self.lowest_gain.min(self.gain);
        self.gain
    }

    /// A delayed sample at `gain`; the clamp guards against the last bit of rounding
    /// in the running sum.
    #[inline]
    fn limit(&self, x: f32, gain: f32) -> f32 {
        (x * gain).clamp(-self.ceiling, self.ceiling)
    }
}

/// The index after `i` in a ring of `len`: a compare, where `%` would divide.
#[inline]
fn next_index(i: usize, len: usize) -> usize {
    if i + 1 == len { 0 } else { i + 1 }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;
    use crate::dsp::util::db_to_gain;

    const RATE: f32 = 48_000.0;

    fn limiter(ceiling_db: f32) -> Limiter {
        Limiter::new(
            RATE,
            &LimiterParams {
                ceiling_db,
                ..LimiterParams::default()
            },
        )
    }

    #[test]
    fn nothing_passes_the_ceiling_even_20_db_over() {
        let mut l = limiter(-1.0);
        let ceiling = db_to_gain(-1.0);
        let mut rng = Rng::new(9);
        let mut last_gain = 1.0f32;
        let mut steepest = 0.0f32;
        for i in 0..RATE as usize * 5 {
            let burst = if (i / 5000) % 2 == 0 { 10.0 } else { 0.3 };
            let (a, b) = (rng.next_bipolar() * burst, rng.next_bipolar() * burst);
            let (x, y) = l.process(a, b).limited;
            assert!(x.abs() <= ceiling && y.abs() <= ceiling);
            steepest = steepest.max((l.gain - last_gain).abs());
            last_gain = l.gain;
        }
        // The gain is an average over the window, so it moves at most 1/(window+1) a sample.
        assert!(
            steepest <= 1.0 / (l.latency() - true_peak::DELAY + 1) as f32 + 1e-6,
            "gain step {steepest}"
        );
        assert!(l.process(f32::NAN, f32::INFINITY).limited.0.is_finite());
    }

    /// The true peak of the output as an independent meter (libebur128's algorithm)
    /// measures it, in dBTP.
    fn measured_true_peak_db(frames: &[f32]) -> f64 {
        let mut meter = ebur128::EbuR128::new(2, RATE as u32, ebur128::Mode::TRUE_PEAK).unwrap();
        meter.add_frames_f32(frames).unwrap();
        let peak = (0..2)
            .map(|c| meter.true_peak(c).unwrap())
            .fold(0.0, f64::max);
        20.0 * peak.log10()
    }

    #[test]
    fn inter_sample_peaks_stay_under_the_ceiling() {
        // Bright material driven 12 dB into the limiter: near-Nyquist sines whose
        // sample values understate their peaks by up to 3 dB, and noise bursts.
        let mut l = limiter(-1.0);
        let mut rng = Rng::new(3);
        let mut out = Vec::new();
        let mut sample_peak_in = 0.0f32;
        for i in 0..RATE as usize * 2 {
            let t = i as f32 / RATE;
            let sines = (std::f32::consts::TAU * 12_000.0 * t + 0.8).sin()
                + 0.7 * (std::f32::consts::TAU * 17_500.0 * t).sin();
            let noise = if (i / 7000) % 2 == 0 {
                rng.next_bipolar()
            } else {
                0.0
            };
            let x = 2.0 * (sines + noise);
            sample_peak_in = sample_peak_in.max(x.abs());
            let (a, b) = l.process(x, -0.8 * x).limited;
            out.extend_from_slice(&[a, b]);
        }
        assert!(sample_peak_in > 4.0);
        let tp = measured_true_peak_db(&out[2 * l.latency()..]);
        assert!(
            tp <= -1.0 + 0.1,
            "true peak {tp:.2} dBTP over a -1 dBTP ceiling"
        );
        assert!(
            tp > -2.5,
            "the limiter should not pull down far below the ceiling: {tp}"
        );
    }

    #[test]
    fn blocks_give_the_frame_by_frame_samples() {
        let mut rng = Rng::new(6);
        // Quiet stretches (the limiter at rest), bursts far over the ceiling, the
        // release between, and samples that are not numbers.
        let input: Vec<(f32, f32)> = (0..30_000)
            .map(|i| {
                let level = [0.3, 4.0, 0.5, 0.9][(i / 3_000) % 4];
                match i {
                    7_777 => (f32::NAN, 0.1),
                    7_778 => (0.2, f32::INFINITY),
                    _ => (level * rng.next_bipolar(), level * rng.next_bipolar()),
                }
            })
            .collect();
        let mut framed = limiter(-1.0);
        let want: Vec<LimiterOutput> = input.iter().map(|&(l, r)| framed.process(l, r)).collect();
        for block in [1, 3, 64, 256, 700] {
            let mut blocked = limiter(-1.0);
            let mut at = 0;
            while at < input.len() {
                let n = block.min(input.len() - at);
                let (mut l, mut r): (Vec<f32>, Vec<f32>) =
                    input[at..at + n].iter().copied().unzip();
                let (mut dl, mut dr) = (vec![0.0; n], vec![0.0; n]);
                blocked.process_block(&mut l, &mut r, &mut dl, &mut dr);
                for (i, w) in want[at..at + n].iter().enumerate() {
                    let got = LimiterOutput {
                        limited: (l[i], r[i]),
                        dry: (dl[i], dr[i]),
                    };
                    let bits = |o: &LimiterOutput| {
                        [o.limited.0, o.limited.1, o.dry.0, o.dry.1].map(f32::to_bits)
                    };
                    assert_eq!(bits(&got), bits(w), "blocks of {block}, frame {}", at + i);
                }
                at += n;
            }
            assert_eq!(blocked.gain.to_bits(), framed.gain.to_bits());
        }
    }

    #[test]
    fn quiet_signals_pass_untouched_after_the_latency() {
        let mut l = limiter(-1.0);
        let input: Vec<f32> = (0..4800).map(|i| 0.5 * (i as f32 * 0.05).sin()).collect();
        let output: Vec<LimiterOutput> = input.iter().map(|&x| l.process(x, x)).collect();
        let lat = l.latency();
        for i in lat..input.len() {
            assert_eq!(output[i].limited.0, input[i - lat]);
            assert_eq!(output[i].dry.0, input[i - lat]);
        }
    }

    #[test]
    fn after_limiting_the_running_sum_comes_back_to_unity_exactly() {
        let mut l = limiter(-1.0);
        let mut rng = Rng::new(4);
        for _ in 0..RATE as usize {
            l.process(8.0 * rng.next_bipolar(), 8.0 * rng.next_bipolar());
        }
        assert!(l.gain_reduction_db() > 10.0);
        // 80 ms release: two seconds later every held gain is 1 again.
        for _ in 0..2 * RATE as usize {
            l.process(0.1, -0.1);
        }
        assert_eq!(l.sum, l.held.len() as f64, "the sum drifted");
        assert_eq!(l.gain, 1.0);
        let out = l.process(0.25, -0.5);
        assert_eq!(out.limited, (0.1, -0.1));
    }

    #[test]
    fn the_peak_reduction_is_the_most_of_any_frame_since_it_was_taken() {
        let mut l = limiter(0.0);
        let mut most = 0.0f32;
        let (mut left, mut right) = (vec![0.1f32; 4_800], vec![0.1f32; 4_800]);
        left[100] = 4.0;
        right[2_000] = -2.0;
        let (mut dry_left, mut dry_right) = (vec![0.0; 4_800], vec![0.0; 4_800]);
        // Frame by frame through `process`, then the same through `process_block`.
        for (&x, &y) in left.iter().zip(&right) {
            l.process(x, y);
            most = most.max(l.gain_reduction_db());
        }
        assert!(most > 6.0 && l.gain_reduction_db() < most - 1.0);
        assert_eq!(l.take_peak_reduction_db(), most);
        l.reset();
        l.process_block(&mut left, &mut right, &mut dry_left, &mut dry_right);
        assert_eq!(l.take_peak_reduction_db(), most);
        // Taken: from there, only what comes after counts.
        let now = l.gain_reduction_db();
        assert_eq!(l.take_peak_reduction_db(), now);
    }

    #[test]
    fn gain_comes_back_smoothly_after_a_transient() {
        let mut l = limiter(0.0);
        l.process(4.0, 4.0);
        for _ in 0..l.latency() + 10 {
            l.process(0.1, 0.1);
        }
        assert!(l.gain_reduction_db() > 6.0);
        let mut last = l.gain_reduction_db();
        for _ in 0..(0.08 * RATE * 8.0) as usize {
            l.process(0.1, 0.1);
            let now = l.gain_reduction_db();
            assert!(now <= last + 1e-6, "the release never turns back down");
            last = now;
        }
        assert!(l.gain_reduction_db() < 0.01, "{}", l.gain_reduction_db());
    }
}
