//! Parameter smoothing: a level or pan change glides over a few milliseconds instead of
//! stepping, which would click.

#[derive(Clone, Debug)]
pub struct Smoothed {
    value: f32,
    target: f32,
    step: f32,
    remaining: u32,
    ramp_samples: u32,
}

impl Smoothed {
    pub fn new(sample_rate: f32, time_seconds: f32, initial: f32) -> Smoothed {
        Smoothed {
            value: initial,
            target: initial,
            step: 0.0,
            remaining: 0,
            ramp_samples: ((sample_rate * time_seconds) as u32).max(1),
        }
    }

    /// Glides linearly to `target` over the smoothing time.
    pub fn set_target(&mut self, target: f32) {
        if target != self.target {
            self.target = target;
            self.remaining = self.ramp_samples;
            self.step = (target - self.value) / self.ramp_samples as f32;
        }
    }

    /// Jumps to `value` at once (for a voice that is silent anyway).
    pub fn snap(&mut self, value: f32) {
        self.value = value;
        self.target = value;
        self.remaining = 0;
    }

    pub fn next_value(&mut self) -> f32 {
        if self.remaining > 0 {
            self.remaining -= 1;
            self.value = if self.remaining == 0 {
                self.target
            } else {
                self.value + self.step
            };
        }
        self.value
    }

    pub fn value(&self) -> f32 {
        self.value
    }

    /// `signal[i] *= next_value()` for each sample, with the same arithmetic: the ramp's
    /// bookkeeping happens once per call instead of once per sample, and the settled
    /// part is a plain product the compiler vectorises.
    pub fn multiply(&mut self, signal: &mut [f32]) {
        let settled = self.glide(signal.len(), |i, gain| signal[i] *= gain);
        let gain = self.value;
        signal[settled..].iter_mut().for_each(|x| *x *= gain);
    }

    /// `into[i] += from[i] * next_value()` for each sample, as `multiply` does it.
    pub fn multiply_add(&mut self, from: &[f32], into: &mut [f32]) {
        let len = from.len().min(into.len());
        let settled = self.glide(len, |i, gain| into[i] += from[i] * gain);
        let gain = self.value;
        for (x, y) in from[settled..len].iter().zip(&mut into[settled..len]) {
            *y += x * gain;
        }
    }

    /// Steps the ramp through up to `len` samples, handing each sample's value to `f`;
    /// returns how many samples it took (the rest have the settled value).
    fn glide(&mut self, len: usize, mut f: impl FnMut(usize, f32)) -> usize {
        if self.remaining == 0 {
            return 0;
        }
        // All but the last step of the ramp add `step`; the last lands on the target.
        let adding = (self.remaining as usize - 1).min(len);
        let mut value = self.value;
        for i in 0..adding {
            value += self.step;
            f(i, value);
        }
        self.value = value;
        self.remaining -= adding as u32;
        if self.remaining == 1 && adding < len {
            self.remaining = 0;
            self.value = self.target;
            f(adding, self.target);
            return adding + 1;
        }
        adding
    }

    pub fn target(&self) -> f32 {
        self.target
    }

    /// Whether the value has reached its target.
    pub fn is_settled(&self) -> bool {
        self.remaining == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_products_equal_the_per_sample_values_bit_for_bit() {
        for len in [1, 7, 10, 31, 64, 100] {
            let mut one = Smoothed::new(48_000.0, 0.001, 0.3);
            let mut block = one.clone();
            let mut added = one.clone();
            let mut signal: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin()).collect();
            let source = signal.clone();
            let mut sums = vec![0.25f32; 200];
            let mut want = signal.clone();
            let mut want_sums = sums.clone();
            for (step, chunk) in (0..200).collect::<Vec<_>>().chunks(len).enumerate() {
                if step % 3 == 0 {
                    let target = step as f32 * 0.1 - 0.4;
                    for s in [&mut one, &mut block, &mut added] {
                        s.set_target(target);
                    }
                }
                for &i in chunk {
                    let gain = one.next_value();
                    want[i] *= gain;
                    want_sums[i] += source[i] * gain;
                }
                let range = chunk[0]..chunk[0] + chunk.len();
                block.multiply(&mut signal[range.clone()]);
                added.multiply_add(&source[range.clone()], &mut sums[range]);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&signal), bits(&want), "blocks of {len}");
            assert_eq!(bits(&sums), bits(&want_sums), "blocks of {len}");
        }
    }

    #[test]
    fn ramps_linearly_and_lands_exactly() {
        let mut s = Smoothed::new(1000.0, 0.01, 0.0);
        s.set_target(1.0);
        let ramp: Vec<f32> = (0..10).map(|_| s.next_value()).collect();
        assert!((ramp[0] - 0.1).abs() < 1e-6);
        assert_eq!(ramp[9], 1.0);
        assert_eq!(s.next_value(), 1.0);
        s.snap(0.25);
        assert_eq!(s.next_value(), 0.25);
    }
}
