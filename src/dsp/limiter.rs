//! A look-ahead brickwall peak limiter.
//!
//! The gain needed by each incoming sample is held as a running minimum over the
//! look-ahead window, then averaged over the same window. Every sample in that average
//! is at most the gain of the sample now leaving the delay line, so the output never
//! passes the ceiling, and the gain curve is a smooth ramp rather than a step.

const LOOKAHEAD_SECONDS: f32 = 0.0015;
const RELEASE_SECONDS: f32 = 0.08;

pub struct PeakLimiter {
    ceiling: f32,
    window: usize,
    /// Delayed input, a ring of `window` frames.
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
}

impl PeakLimiter {
    pub fn new(sample_rate: f32, ceiling_db: f32) -> PeakLimiter {
        let window = ((LOOKAHEAD_SECONDS * sample_rate) as usize).max(1);
        PeakLimiter {
            ceiling: super::util::db_to_gain(ceiling_db),
            window,
            delay: vec![(0.0, 0.0); window],
            delay_position: 0,
            needed: vec![1.0; window + 1],
            held: vec![1.0; window + 1],
            sum: (window + 1) as f64,
            position: 0,
            minimum: 1.0,
            minimum_age: 0,
            released: 1.0,
            release_coefficient: (-1.0 / (RELEASE_SECONDS * sample_rate)).exp(),
            gain: 1.0,
        }
    }

    pub fn set_ceiling_db(&mut self, ceiling_db: f32) {
        self.ceiling = super::util::db_to_gain(ceiling_db);
    }

    /// Frames between a sample going in and coming out.
    pub fn latency(&self) -> usize {
        self.window
    }

    pub fn gain_reduction_db(&self) -> f32 {
        -super::util::gain_to_db(self.gain)
    }

    pub fn reset(&mut self) {
        self.delay.fill((0.0, 0.0));
        self.delay_position = 0;
        self.needed.fill(1.0);
        self.held.fill(1.0);
        self.sum = self.held.len() as f64;
        self.minimum = 1.0;
        self.minimum_age = 0;
        self.released = 1.0;
        self.gain = 1.0;
    }

    fn rescan_minimum(&mut self) {
        let len = self.needed.len();
        self.minimum = 1.0;
        self.minimum_age = 0;
        // Oldest first, so on ties the youngest wins and the age is as small as it can be.
        for age in (0..len).rev() {
            let g = self.needed[(self.position + len - age) % len];
            if g <= self.minimum {
                self.minimum = g;
                self.minimum_age = age;
            }
        }
    }

    pub fn process(&mut self, left: f32, right: f32) -> (f32, f32) {
        let clean = |x: f32| if x.is_finite() { x } else { 0.0 };
        let (left, right) = (clean(left), clean(right));
        let peak = left.abs().max(right.abs());
        let needed = if peak > self.ceiling {
            self.ceiling / peak
        } else {
            1.0
        };
        let out = self.delay[self.delay_position];
        self.delay[self.delay_position] = (left, right);
        self.delay_position = (self.delay_position + 1) % self.window;
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
            minimum + (self.released - minimum) * self.release_coefficient
        };
        self.sum += f64::from(self.released) - f64::from(self.held[self.position]);
        self.held[self.position] = self.released;
        self.position = (self.position + 1) % len;
        self.gain = ((self.sum / len as f64) as f32).min(1.0);
        // Guards against the last bit of rounding in the running sum.
        let limit = |x: f32| (x * self.gain).clamp(-self.ceiling, self.ceiling);
        (limit(out.0), limit(out.1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dsp::rng::Rng;
    use crate::dsp::util::db_to_gain;

    const RATE: f32 = 48_000.0;

    #[test]
    fn nothing_passes_the_ceiling_even_20_db_over() {
        let mut l = PeakLimiter::new(RATE, -1.0);
        let ceiling = db_to_gain(-1.0);
        let mut rng = Rng::new(9);
        let mut last_gain = 1.0f32;
        let mut steepest = 0.0f32;
        for i in 0..RATE as usize * 5 {
            let burst = if (i / 5000) % 2 == 0 { 10.0 } else { 0.3 };
            let (a, b) = (rng.next_bipolar() * burst, rng.next_bipolar() * burst);
            let (x, y) = l.process(a, b);
            assert!(x.abs() <= ceiling && y.abs() <= ceiling);
            steepest = steepest.max((l.gain - last_gain).abs());
            last_gain = l.gain;
        }
        // The gain is an average over the window, so it moves at most 1/(window+1) a sample.
        assert!(
            steepest <= 1.0 / (l.window + 1) as f32 + 1e-6,
            "gain step {steepest}"
        );
        assert!(l.process(f32::NAN, f32::INFINITY).0.is_finite());
    }

    #[test]
    fn quiet_signals_pass_untouched_after_the_latency() {
        let mut l = PeakLimiter::new(RATE, -1.0);
        let input: Vec<f32> = (0..4800).map(|i| 0.5 * (i as f32 * 0.05).sin()).collect();
        let output: Vec<f32> = input.iter().map(|&x| l.process(x, x).0).collect();
        let lat = l.latency();
        for i in lat..input.len() {
            assert_eq!(output[i], input[i - lat]);
        }
    }

    #[test]
    fn gain_comes_back_after_a_transient() {
        let mut l = PeakLimiter::new(RATE, 0.0);
        l.process(4.0, 4.0);
        for _ in 0..l.latency() + 10 {
            l.process(0.1, 0.1);
        }
        assert!(l.gain_reduction_db() > 6.0);
        for _ in 0..(RELEASE_SECONDS * RATE * 8.0) as usize {
            l.process(0.1, 0.1);
        }
        assert!(l.gain_reduction_db() < 0.01, "{}", l.gain_reduction_db());
    }
}
