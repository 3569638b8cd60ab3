//! Small conversions shared by every unit.

pub fn db_to_gain(db: f32) -> f32 {
    10f32.powf(db / 20.0)
}

/// Floors at -200 dB so silence gives a number, not minus infinity.
pub fn gain_to_db(gain: f32) -> f32 {
    if gain <= 1e-10 {
        -200.0
    } else {
        20.0 * gain.log10()
    }
}

/// Equal temperament, A4 = MIDI 69 = 440 Hz.
pub fn note_to_hz(midi_note: f32) -> f32 {
    440.0 * ((midi_note - 69.0) / 12.0).exp2()
}

/// Values this small are inaudible and, left in feedback paths, make the CPU crawl.
pub fn flush_denormal(x: f32) -> f32 {
    if x.abs() < 1e-20 { 0.0 } else { x }
}

/// `flush_denormal` for a feedback loop's state, where values that small come only
/// as a tail dies away: a branch the CPU predicts, so the loop's next step need not
/// wait for the comparison. The same value.
#[inline(always)]
pub fn flush_denormal_in_loop(x: f32) -> f32 {
    if x.abs() < 1e-20 {
        std::hint::cold_path();
        0.0
    } else {
        x
    }
}

/// A sample that is not finite (NaN or infinity) becomes silence: what reaches an
/// output must be a number.
#[inline]
pub fn finite_or_silence(x: f32) -> f32 {
    if x.is_finite() { x } else { 0.0 }
}

/// log2 to within 2e-5, several times cheaper than `f32::log2`; for per-sample level
/// detection. Zero and negative inputs give a very negative number, not NaN.
#[inline]
pub fn fast_log2(x: f32) -> f32 {
    let bits = x.max(1e-30).to_bits();
    let exponent = ((bits >> 23) & 0xFF) as i32 - 127;
    let mantissa = f32::from_bits((bits & 0x007F_FFFF) | 0x3F80_0000);
    // log2(m) = 2/ln 2 · atanh(t) with t = (m-1)/(m+1) <= 1/3: a short odd series.
    let t = (mantissa - 1.0) / (mantissa + 1.0);
    let t2 = t * t;
    let series = t * (1.0 + t2 * (1.0 / 3.0 + t2 * (1.0 / 5.0 + t2 * (1.0 / 7.0))));
    exponent as f32 + series * (2.0 * std::f32::consts::LOG2_E)
}

/// 2^x to within 2e-5 relative, several times cheaper than `f32::exp2`; x is clamped to
/// the normal range. Only float adds, compares and integer bit work, so several at once
/// run as vectors (a float-to-integer conversion or `floor` would not on plain SSE2).
#[inline]
pub fn fast_exp2(x: f32) -> f32 {
    let x = x.clamp(-126.0, 126.0);
    // Adding 1.5 · 2^23 leaves no bits below the units, so the addition rounds x to the
    // nearest whole number k, and the sum's low bits hold k.
    const ROUND: f32 = 12_582_912.0;
    let shifted = x + ROUND;
    let nearest = shifted - ROUND;
    let (whole, k) = if nearest > x {
        (
            nearest - 1.0,
            shifted.to_bits().wrapping_sub(ROUND.to_bits() + 1),
        )
    } else {
        (nearest, shifted.to_bits().wrapping_sub(ROUND.to_bits()))
    };
    let f = (x - whole) * std::f32::consts::LN_2;
    // e^f for f in [0, ln 2): Taylor to the 6th power.
    let poly = 1.0
        + f * (1.0
            + f * (0.5 + f * (1.0 / 6.0 + f * (1.0 / 24.0 + f * (1.0 / 120.0 + f / 720.0)))));
    poly * f32::from_bits(k.wrapping_add(127) << 23)
}

/// dB to gain through `fast_exp2`.
#[inline]
pub fn fast_db_to_gain(db: f32) -> f32 {
    fast_exp2(db * (std::f32::consts::LOG2_10 / 20.0))
}

/// Gain to dB through `fast_log2`.
#[inline]
pub fn fast_gain_to_db(gain: f32) -> f32 {
    fast_log2(gain) * (20.0 / std::f32::consts::LOG2_10)
}

/// An 8 x 8 block of samples turned over: lane `k` of vector `i` becomes lane `i` of
/// vector `k`.
///
/// # Safety
///
/// The CPU must have AVX (callers are AVX functions, or check for it first).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx")]
#[inline]
pub fn transpose8(r: [std::arch::x86_64::__m256; 8]) -> [std::arch::x86_64::__m256; 8] {
    use std::arch::x86_64::*;
    let t0 = _mm256_unpacklo_ps(r[0], r[1]);
    let t1 = _mm256_unpackhi_ps(r[0], r[1]);
    let t2 = _mm256_unpacklo_ps(r[2], r[3]);
    let t3 = _mm256_unpackhi_ps(r[2], r[3]);
    let t4 = _mm256_unpacklo_ps(r[4], r[5]);
    let t5 = _mm256_unpackhi_ps(r[4], r[5]);
    let t6 = _mm256_unpacklo_ps(r[6], r[7]);
    let t7 = _mm256_unpackhi_ps(r[6], r[7]);
    let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
    let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
    let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
    let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
    let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
    let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
    let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
    let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
    [
        _mm256_permute2f128_ps::<0x20>(u0, u4),
        _mm256_permute2f128_ps::<0x20>(u1, u5),
        _mm256_permute2f128_ps::<0x20>(u2, u6),
        _mm256_permute2f128_ps::<0x20>(u3, u7),
        _mm256_permute2f128_ps::<0x31>(u0, u4),
        _mm256_permute2f128_ps::<0x31>(u1, u5),
        _mm256_permute2f128_ps::<0x31>(u2, u6),
        _mm256_permute2f128_ps::<0x31>(u3, u7),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_log_and_exp_agree_with_the_library() {
        let mut x = 1e-9f32;
        while x < 1e6 {
            assert!((fast_log2(x) - x.log2()).abs() < 2e-5, "{x}");
            x *= 1.37;
        }
        let mut y = -60.0f32;
        while y < 60.0 {
            let rel = fast_exp2(y) / y.exp2() - 1.0;
            assert!(rel.abs() < 2e-5, "{y}: {rel}");
            y += 0.173;
        }
        assert!((fast_gain_to_db(0.5) + 6.0206).abs() < 1e-3);
        assert!((fast_db_to_gain(-6.0206) - 0.5).abs() < 1e-5);
        assert!(fast_log2(0.0) < -90.0);
    }

    #[test]
    fn conversions_agree_with_their_definitions() {
        assert!((db_to_gain(-6.0206) - 0.5).abs() < 1e-4);
        assert!((gain_to_db(0.5) + 6.0206).abs() < 1e-3);
        assert_eq!(gain_to_db(0.0), -200.0);
        assert!((note_to_hz(69.0) - 440.0).abs() < 1e-3);
        assert!((note_to_hz(60.0) - 261.6256).abs() < 1e-2);
        assert_eq!(flush_denormal(1e-30), 0.0);
    }
}
