//! Interpolation between stored samples.

/// 4-point, 3rd-order Hermite (Catmull-Rom): smooth, cheap, and far cleaner than linear
/// when a sample is played at another pitch. `t` in [0, 1) is the position between x0 and x1.
pub fn hermite4(xm1: f32, x0: f32, x1: f32, x2: f32, t: f32) -> f32 {
    let c1 = 0.5 * (x1 - xm1);
    let c2 = xm1 - 2.5 * x0 + 2.0 * x1 - 0.5 * x2;
    let c3 = 0.5 * (x2 - xm1) + 1.5 * (x0 - x1);
    ((c3 * t + c2) * t + c1) * t + x0
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
}
