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

    /// `multiply` of both sides of a stereo signal by this one gain. A settled gain of 1
    /// multiplies nothing (x · 1 is x).
    pub fn multiply_stereo(&mut self, left: &mut [f32], right: &mut [f32]) {
        let len = left.len().min(right.len());
        let settled = self.glide(len, |i, gain| {
            left[i] *= gain;
            right[i] *= gain;
        });
        let gain = self.value;
        if gain != 1.0 {
            left[settled..len]
                .iter_mut()
                .chain(&mut right[settled..len])
                .for_each(|x| *x *= gain);
        }
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

    /// `multiply` by two glides on two signals (a stereo gain), the same arithmetic:
    /// while both ramp, their chains of additions run side by side instead of one
    /// after the other.
    pub fn multiply_pair(
        (a, b): (&mut Smoothed, &mut Smoothed),
        left: &mut [f32],
        right: &mut [f32],
    ) {
        let both = Smoothed::ramp_together(a, b, left.len().min(right.len()), |i, x, y| {
            left[i] *= x;
            right[i] *= y;
        });
        a.multiply(&mut left[both..]);
        b.multiply(&mut right[both..]);
    }

    /// `multiply_add` by two glides on two signals, as `multiply_pair` does it.
    pub fn multiply_add_pair(
        (a, b): (&mut Smoothed, &mut Smoothed),
        from: (&[f32], &[f32]),
        into: (&mut [f32], &mut [f32]),
    ) {
        let len = from
            .0
            .len()
            .min(from.1.len())
            .min(into.0.len())
            .min(into.1.len());
        let both = Smoothed::ramp_together(a, b, len, |i, x, y| {
            into.0[i] += from.0[i] * x;
            into.1[i] += from.1[i] * y;
        });
        a.multiply_add(&from.0[both..], &mut into.0[both..]);
        b.multiply_add(&from.1[both..], &mut into.1[both..]);
    }

    /// Steps both ramps through the samples (up to `len`) where both only add their
    /// step, handing each sample's two values to `f`; returns how many.
    #[inline(always)]
    fn ramp_together(
        a: &mut Smoothed,
        b: &mut Smoothed,
        len: usize,
        mut f: impl FnMut(usize, f32, f32),
    ) -> usize {
        let adding = |s: &Smoothed| (s.remaining as usize).saturating_sub(1);
        let both = adding(a).min(adding(b)).min(len);
        let (mut x, mut y) = (a.value, b.value);
        for i in 0..both {
            x += a.step;
            y += b.step;
            f(i, x, y);
        }
        a.value = x;
        b.value = y;
        a.remaining -= both as u32;
        b.remaining -= both as u32;
        both
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
            let mut stereo = one.clone();
            let mut signal: Vec<f32> = (0..200).map(|i| (i as f32 * 0.37).sin()).collect();
            let (mut stereo_left, mut stereo_right) = (signal.clone(), signal.clone());
            let source = signal.clone();
            let mut sums = vec![0.25f32; 200];
            let mut want = signal.clone();
            let mut want_sums = sums.clone();
            for (step, chunk) in (0..200).collect::<Vec<_>>().chunks(len).enumerate() {
                if step % 3 == 0 {
                    let target = step as f32 * 0.1 - 0.4;
                    for s in [&mut one, &mut block, &mut added, &mut stereo] {
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
                added.multiply_add(&source[range.clone()], &mut sums[range.clone()]);
                stereo.multiply_stereo(&mut stereo_left[range.clone()], &mut stereo_right[range]);
            }
            let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&signal), bits(&want), "blocks of {len}");
            assert_eq!(bits(&stereo_left), bits(&want), "stereo blocks of {len}");
            assert_eq!(bits(&stereo_right), bits(&want), "stereo blocks of {len}");
            assert_eq!(bits(&sums), bits(&want_sums), "blocks of {len}");
        }
    }

    #[test]
    fn pairs_give_the_per_sample_values_bit_for_bit() {
        // Ramps of different lengths and starts, so one lands while the other moves.
        let make = || {
            let mut a = Smoothed::new(48_000.0, 0.001, 0.3);
            let mut b = Smoothed::new(48_000.0, 0.0015, -0.2);
            a.set_target(0.9);
            b.set_target(0.45);
            (a, b)
        };
        let from: Vec<f32> = (0..300).map(|i| (i as f32 * 0.37).sin()).collect();
        let (mut a, mut b) = make();
        let (mut pa, mut pb) = make();
        let (mut l, mut r) = (from.clone(), from.clone());
        let (mut into_l, mut into_r) = (vec![0.25; 300], vec![-0.5; 300]);
        let (mut qa, mut qb) = make();
        let mut at = 0;
        for block in [1, 20, 7, 60, 100, 112] {
            let span = at..at + block;
            Smoothed::multiply_pair(
                (&mut pa, &mut pb),
                &mut l[span.clone()],
                &mut r[span.clone()],
            );
            Smoothed::multiply_add_pair(
                (&mut qa, &mut qb),
                (&from[span.clone()], &from[span.clone()]),
                (&mut into_l[span.clone()], &mut into_r[span]),
            );
            at += block;
        }
        for i in 0..300 {
            let (x, y) = (a.next_value(), b.next_value());
            assert_eq!(l[i].to_bits(), (from[i] * x).to_bits(), "{i}");
            assert_eq!(r[i].to_bits(), (from[i] * y).to_bits(), "{i}");
            assert_eq!(into_l[i].to_bits(), (0.25 + from[i] * x).to_bits(), "{i}");
            assert_eq!(into_r[i].to_bits(), (-0.5 + from[i] * y).to_bits(), "{i}");
        }
        assert!(pa.is_settled() && pb.is_settled() && qa.is_settled() && qb.is_settled());
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
