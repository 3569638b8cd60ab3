//! Interpolation between stored samples.

/// 4-point, 3rd-order Hermite (Catmull-Rom): smooth, cheap, and far cleaner than linear
/// when a sample is played at another pitch. `t` in [0, 1) is the position between x0 and x1.
pub fn hermite4(xm1: f32, x0: f32, x1: f32, x2: f32, t: f32) -> f32 {
    let c1 = 0.5 * (x1 - xm1);
    let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
    let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
    ((c3 * t + c2) * t + c1) * t + x0
}

/// `hermite4` for four reads at once: lane `k` reads `data[at[k] - 1..at[k] + 3]` at
/// fraction `t[k]`, with the same operations in the same order as `hermite4`, so each
/// lane's result is its bits. The four windows are loaded whole and turned over, so
/// that each term of the polynomial is worked out for the four reads in one instruction.
/// Each window must lie inside `data` (`1 <= at[k]` and `at[k] + 3 <= data.len()`); one
/// that does not panics on its checked slice.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub fn hermite4_x4(
    data: &[f32],
    at: [usize; 4],
    t: std::arch::x86_64::__m128,
) -> std::arch::x86_64::__m128 {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86_64 CPU; each load reads the four floats of a
    // window that the slice `data[i - 1..i + 3]` has checked.
    unsafe {
        let window = |i: usize| {
            let w: &[f32; 4] = data[i - 1..i + 3].try_into().expect("four frames");
            _mm_loadu_ps(w.as_ptr())
        };
        let (w0, w1, w2, w3) = (window(at[0]), window(at[1]), window(at[2]), window(at[3]));
        // The 4 x 4 block turned over: one vector per point of the window.
        let (lo01, hi01) = (_mm_unpacklo_ps(w0, w1), _mm_unpackhi_ps(w0, w1));
        let (lo23, hi23) = (_mm_unpacklo_ps(w2, w3), _mm_unpackhi_ps(w2, w3));
        let xm1 = _mm_movelh_ps(lo01, lo23);
        let x0 = _mm_movehl_ps(lo23, lo01);
        let x1 = _mm_movelh_ps(hi01, hi23);
        let x2 = _mm_movehl_ps(hi23, hi01);
        let k = _mm_set1_ps;
        let c1 = _mm_mul_ps(k(0.5), _mm_sub_ps(x1, xm1));
        let c2 = _mm_sub_ps(
            _mm_add_ps(
                _mm_sub_ps(xm1, _mm_mul_ps(k(2.5), x0)),
                _mm_mul_ps(k(2.0), x1),
            ),
            _mm_mul_ps(k(0.5), x2),
        );
        let c3 = _mm_add_ps(
            _mm_mul_ps(k(0.5), _mm_sub_ps(x2, xm1)),
            _mm_mul_ps(k(1.5), _mm_sub_ps(x0, x1)),
        );
        let horner = _mm_add_ps(_mm_mul_ps(c3, t), c2);
        let horner = _mm_add_ps(_mm_mul_ps(horner, t), c1);
        _mm_add_ps(_mm_mul_ps(horner, t), x0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_through_the_knots_and_follows_lines() {
        assert_eq!(hermite4(1.0, 2.0, 3.0, 4.0, 0.0), 2.0);
        assert!((hermite4(1.0, 2.0, 3.0, 4.0, 0.5) - 2.5).abs() < 1e-6);
        assert!((hermite4(5.0, -1.0, 7.0, 0.0, 0.9999) - 7.0).abs() < 1e-2);
    }

    #[test]
    fn beats_linear_interpolation_on_a_resampled_sine() {
        let table: Vec<f32> = (0..256).map(|i| (i as f32 * 0.2).sin()).collect();
        let (mut herm, mut lin) = (0.0f32, 0.0f32);
        for k in 0..2000 {
            let pos = 2.0 + k as f32 * 0.1117;
            let i = pos.floor() as usize;
            let t = pos - i as f32;
            let exact = (pos * 0.2).sin();
            let h = hermite4(table[i - 1], table[i], table[i + 1], table[i + 2], t);
            let l = table[i] + (table[i + 1] - table[i]) * t;
            herm = herm.max((h - exact).abs());
            lin = lin.max((l - exact).abs());
        }
        assert!(herm * 10.0 < lin, "hermite {herm} vs linear {lin}");
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn four_reads_at_once_give_the_bits_of_one_at_a_time() {
        use std::arch::x86_64::*;
        let mut rng = crate::dsp::rng::Rng::new(5);
        let data: Vec<f32> = (0..64).map(|_| rng.next_bipolar()).collect();
        for start in 1..56 {
            let at = [start, start + 1, start + 3, start + 4];
            let t = [0.0, 0.999_999_9, rng.next_bipolar().abs(), 0.5];
            let mut got = [0.0f32; 4];
            // SAFETY: SSE2 is part of every x86_64 CPU; four floats loaded and stored.
            unsafe {
                let lanes = hermite4_x4(&data, at, _mm_loadu_ps(t.as_ptr()));
                _mm_storeu_ps(got.as_mut_ptr(), lanes);
            }
            for k in 0..4 {
                let i = at[k];
                let want = hermite4(data[i - 1], data[i], data[i + 1], data[i + 2], t[k]);
                assert_eq!(got[k].to_bits(), want.to_bits(), "{start} lane {k}");
            }
        }
    }
}
