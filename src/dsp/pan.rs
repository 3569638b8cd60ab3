//! Pan laws.

/// Constant power: a centred signal is -3 dB in each side, and the total power is the
/// same anywhere across the field. `pan` is -1 (left) to 1 (right).
pub fn constant_power(pan: f32) -> (f32, f32) {
    let angle = (pan.clamp(-1.0, 1.0) + 1.0) * std::f32::consts::FRAC_PI_4;
    (angle.cos(), angle.sin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centre_is_minus_3_db_and_power_is_constant() {
        let (l, r) = constant_power(0.0);
        assert!((20.0 * l.log10() + 3.0103).abs() < 1e-3);
        assert!((l - r).abs() < 1e-6);
        let (l, r) = constant_power(-1.0);
        assert!((l - 1.0).abs() < 1e-6 && r.abs() < 1e-6);
        for p in [-0.7, -0.2, 0.3, 0.9] {
            let (l, r) = constant_power(p);
            assert!((l * l + r * r - 1.0).abs() < 1e-5);
        }
    }
}
