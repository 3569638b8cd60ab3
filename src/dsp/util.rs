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

#[cfg(test)]
mod tests {
    use super::*;

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
