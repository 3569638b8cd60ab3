//! A small deterministic random source (xorshift64*): the same seed gives the same noise
//! on every run and platform, which keeps renders bit-identical.

#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // Zero is xorshift's one stuck state.
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 32) as u32
    }

    /// Uniform in [0, 1).
    pub fn next_f32(&mut self) -> f32 {
        (self.next_u32() >> 8) as f32 / (1u32 << 24) as f32
    }

    /// Uniform in [-1, 1).
    pub fn next_bipolar(&mut self) -> f32 {
        self.next_f32() * 2.0 - 1.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn noise_is_repeatable_uniform_and_centred() {
        let a: Vec<f32> = (0..1000)
            .scan(Rng::new(7), |r, _| Some(r.next_bipolar()))
            .collect();
        let b: Vec<f32> = (0..1000)
            .scan(Rng::new(7), |r, _| Some(r.next_bipolar()))
            .collect();
        assert_eq!(a, b);
        let mut r = Rng::new(0);
        let n = 100_000;
        let xs: Vec<f32> = (0..n).map(|_| r.next_f32()).collect();
        assert!(xs.iter().all(|&x| (0.0..1.0).contains(&x)));
        let mean = xs.iter().sum::<f32>() / n as f32;
        assert!((mean - 0.5).abs() < 0.01, "{mean}");
    }
}
