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
