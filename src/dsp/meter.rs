//! Level metering: sample peak since the last reading and RMS over a 300 ms window.

use super::util::gain_to_db;

const RMS_SECONDS: f32 = 0.3;
/// Mean squares below this (-200 dB) are silence.
const SILENT_POWER: f32 = 1e-20;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StereoMeter {
    coefficient: f32,
    peak: [f32; 2],
    power: [f32; 2],
}

impl StereoMeter {
    pub fn new(sample_rate: f32) -> StereoMeter {
        StereoMeter {
            coefficient: 1.0 - (-1.0 / (RMS_SECONDS * sample_rate)).exp(),
            peak: [0.0; 2],
            power: [0.0; 2],
        }
    }

    pub fn reset(&mut self) {
        self.peak = [0.0; 2];
        self.power = [0.0; 2];
    }

    pub fn process(&mut self, left: &[f32], right: &[f32]) {
        for (side, signal) in [left, right].into_iter().enumerate() {
            let mut peak = self.peak[side];
            let mut power = self.power[side];
            for &x in signal {
                peak = peak.max(x.abs());
                power += self.coefficient * (x * x - power);
            }
            self.peak[side] = peak;
            self.power[side] = if power < SILENT_POWER { 0.0 } else { power };
        }
    }

    /// The highest sample of each side since the last call, in dBFS; starts over.
    pub fn take_peak_db(&mut self) -> [f32; 2] {
        let peak = std::mem::take(&mut self.peak);
        peak.map(gain_to_db)
    }

    /// RMS of each side over about the last 300 ms, in dBFS.
    pub fn rms_db(&self) -> [f32; 2] {
        self.power.map(|p| gain_to_db(p.sqrt()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_scale_sine_reads_0_dbfs_peak_and_minus_3_rms() {
        let rate = 48_000.0;
        let mut m = StereoMeter::new(rate);
        let sine: Vec<f32> = (0..96_000 * 2)
            .map(|i| (std::f32::consts::TAU * 1_000.0 * i as f32 / rate).sin())
            .collect();
        let half: Vec<f32> = sine.iter().map(|x| x * 0.5).collect();
        m.process(&sine, &half);
        let peak = m.take_peak_db();
        assert!(
            peak[0].abs() < 0.01 && (peak[1] + 6.02).abs() < 0.01,
            "{peak:?}"
        );
        let rms = m.rms_db();
        assert!(
            (rms[0] + 3.01).abs() < 0.1 && (rms[1] + 9.03).abs() < 0.1,
            "{rms:?}"
        );
        assert_eq!(m.take_peak_db(), [-200.0, -200.0], "the peak starts over");
        let silence = vec![0.0; 48_000 * 24];
        m.process(&silence, &silence);
        assert_eq!(m.rms_db(), [-200.0, -200.0], "silence reads as silence");
    }
}
