//! Low-frequency oscillator shapes, as a function of the cycle count rather than a running
//! phase: the caller derives the cycle count from the song position, so the value at a
//! given moment is the same however playback got there (from the top, from any entry,
//! in any block size).

use super::rng::Rng;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    Sine,
    /// Starts at 0, rising.
    Triangle,
    SawUp,
    SawDown,
    /// +1 for the first half of the cycle, -1 for the second.
    Square,
    /// One random level per cycle.
    SampleHold,
    /// A random level per cycle, joined by S-curves.
    SmoothRandom,
}

/// The shape's value (-1 to 1) `cycles` cycles after its start; `seed` picks the random
/// levels of the random shapes.
pub fn value(shape: Shape, cycles: f64, seed: u64) -> f32 {
    let whole = cycles.floor();
    let phase = (cycles - whole) as f32;
    match shape {
        Shape::Sine => (phase * std::f32::consts::TAU).sin(),
        Shape::Triangle => {
            if phase < 0.25 {
                4.0 * phase
            } else if phase < 0.75 {
                2.0 - 4.0 * phase
            } else {
                4.0 * phase - 4.0
            }
        }
        Shape::SawUp => 2.0 * phase - 1.0,
        Shape::SawDown => 1.0 - 2.0 * phase,
        Shape::Square => {
            if phase < 0.5 {
                1.0
            } else {
                -1.0
            }
        }
        Shape::SampleHold => level(seed, whole as i64),
        Shape::SmoothRandom => {
            let (a, b) = (level(seed, whole as i64), level(seed, whole as i64 + 1));
            a + (b - a) * phase * phase * (3.0 - 2.0 * phase)
        }
    }
}

/// The random level of cycle `k`: a fresh generator per cycle, so no state runs along.
fn level(seed: u64, k: i64) -> f32 {
    Rng::new(seed ^ (k as u64).wrapping_mul(0xD1B5_4A32_D192_ED03)).next_bipolar()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_have_their_textbook_values() {
        let at = |shape, c| value(shape, c, 1);
        assert!(at(Shape::Sine, 0.25) > 0.9999);
        assert_eq!(at(Shape::Triangle, 0.25), 1.0);
        assert_eq!(at(Shape::Triangle, 0.75), -1.0);
        assert_eq!(at(Shape::SawUp, 3.0), -1.0);
        assert_eq!(at(Shape::SawDown, 0.5), 0.0);
        assert_eq!(at(Shape::Square, 7.49), 1.0);
        assert_eq!(at(Shape::Square, 7.51), -1.0);
        // Random shapes: held within a cycle, repeatable, different between cycles and
        // continuous for the smooth one.
        assert_eq!(at(Shape::SampleHold, 2.1), at(Shape::SampleHold, 2.9));
        assert_ne!(at(Shape::SampleHold, 2.1), at(Shape::SampleHold, 3.1));
        assert_eq!(at(Shape::SmoothRandom, 5.0), at(Shape::SampleHold, 5.5));
        let jump = (at(Shape::SmoothRandom, 5.999_999) - at(Shape::SmoothRandom, 6.0)).abs();
        assert!(jump < 1e-4, "{jump}");
        for k in 0..1000 {
            let v = at(Shape::SmoothRandom, f64::from(k) * 0.37);
            assert!((-1.0..=1.0).contains(&v));
        }
    }
}
