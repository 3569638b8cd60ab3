//! Word-length reduction with TPDF dither: the quantisation error becomes a steady,
//! signal-independent hiss instead of distortion that follows the music.

use super::rng::Rng;

pub struct TpdfDither {
    scale: f32,
    max: i32,
    rng: Rng,
}

impl TpdfDither {
    /// `bits` of the integer format, e.g. 16 or 24.
    pub fn new(bits: u32, seed: u64) -> TpdfDither {
        let max = (1i64 << (bits.clamp(2, 32) - 1)) - 1;
        TpdfDither {
            scale: max as f32,
            max: max as i32,
            rng: Rng::new(seed),
        }
    }

    pub fn quantize(&mut self, x: f32) -> i32 {
        // The sum of two uniform values spans ±1 LSB with a triangular density.
        let noise = self.rng.next_f32() - self.rng.next_f32();
        let v = (x * self.scale + noise).round();
        (v as i64).clamp(-i64::from(self.max) - 1, i64::from(self.max)) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rustfft::{FftPlanner, num_complex::Complex};

    /// Power in each of 16 equal bands of the quantisation error's spectrum, in dB.
    fn error_bands(signal: &[f32], quantised: &[i32], scale: f32) -> Vec<f32> {
        let mut buf: Vec<Complex<f32>> = signal
            .iter()
            .zip(quantised)
            .map(|(&x, &q)| Complex::new(q as f32 / scale - x, 0.0))
            .collect();
        let n = buf.len();
        FftPlanner::new().plan_fft_forward(n).process(&mut buf);
        buf[1..n / 2]
            .chunks(n / 32)
            .map(|band| 10.0 * (band.iter().map(|c| c.norm_sqr()).sum::<f32>()).log10())
            .collect()
    }

    #[test]
    fn dithered_error_is_flat_noise_not_harmonics() {
        let n = 1 << 15;
        let scale = 32_767.0;
        // A sine of only a couple of LSBs: undithered, its error is all harmonics.
        let signal: Vec<f32> = (0..n)
            .map(|i| 2.5 / scale * (std::f32::consts::TAU * 1_000.0 * i as f32 / 48_000.0).sin())
            .collect();
        let mut d = TpdfDither::new(16, 1);
        let dithered: Vec<i32> = signal.iter().map(|&x| d.quantize(x)).collect();
        let bands = error_bands(&signal, &dithered, scale);
        let (lo, hi) = bands
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(
            hi - lo < 3.0,
            "dithered error spread {:.1} dB across bands",
            hi - lo
        );

        let plain: Vec<i32> = signal.iter().map(|&x| (x * scale).round() as i32).collect();
        let bands = error_bands(&signal, &plain, scale);
        let (lo, hi) = bands
            .iter()
            .fold((f32::MAX, f32::MIN), |(a, b), &x| (a.min(x), b.max(x)));
        assert!(
            hi - lo > 6.0,
            "plain rounding should show harmonic lumps ({:.1} dB)",
            hi - lo
        );
    }

    #[test]
    fn output_stays_in_range() {
        let mut d = TpdfDither::new(16, 2);
        assert_eq!(d.quantize(2.0), 32_767);
        assert_eq!(d.quantize(-2.0), -32_768);
        let mut d = TpdfDither::new(24, 2);
        assert!(d.quantize(1.0) <= 8_388_607);
    }
}
