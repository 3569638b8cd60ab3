//! The bundled sample kit, synthesised by tracksmith's own DSP (`tracksmith make-kit`),
//! so the project ships no audio from elsewhere. Every sound is deterministic.

use crate::dsp::env::{Adsr, Envelope};
use crate::dsp::filter::{FilterMode, Svf};
use crate::dsp::osc::{Oscillator, Waveform};
use crate::dsp::rng::Rng;
use crate::dsp::util::note_to_hz;
use std::f32::consts::TAU;
use std::path::Path;

const RATE: u32 = 48_000;
const RATE_F: f32 = RATE as f32;

/// Makes one sound of the kit.
type Synthesise = fn() -> Vec<f32>;

/// The kit's files, each a mono 24-bit WAV.
pub const SOUNDS: [(&str, Synthesise); 9] = [
    ("kick.wav", kick),
    ("snare.wav", snare),
    ("clap.wav", clap),
    ("hat_closed.wav", closed_hat),
    ("hat_open.wav", open_hat),
    ("rim.wav", rim),
    ("tom.wav", tom),
    ("shaker.wav", shaker),
    ("stab.wav", stab),
];

fn seconds(s: f32) -> usize {
    (s * RATE_F) as usize
}

/// An exponential decay reaching -60 dB after `t60` seconds.
fn decay(i: usize, t60: f32) -> f32 {
    (-6.9 * i as f32 / (t60 * RATE_F)).exp()
}

/// A short linear fade-in so no sound starts with a click.
fn fade_in(i: usize) -> f32 {
    (i as f32 / 48.0).min(1.0)
}

fn kick() -> Vec<f32> {
    let mut phase = 0.0f32;
    let mut click = Svf::new(RATE_F);
    click.set(FilterMode::Bandpass, 3_000.0, 0.2);
    let mut rng = Rng::new(1);
    (0..seconds(0.6))
        .map(|i| {
            let t = i as f32 / RATE_F;
            // Pitch falls from ~200 Hz to 48 Hz: the thump of a club kick.
            let freq = 48.0 + 150.0 * (-t / 0.035).exp();
            phase = (phase + freq / RATE_F).fract();
            let body = (phase * TAU).sin() * decay(i, 0.55);
            let snap = click.process(rng.next_bipolar()) * decay(i, 0.012);
            ((body * 1.1).tanh() + 0.4 * snap) * fade_in(i)
        })
        .collect()
}

fn snare() -> Vec<f32> {
    let mut rng = Rng::new(2);
    let mut tone = Oscillator::new(RATE_F, 3);
    let mut hp = Svf::new(RATE_F);
    hp.set(FilterMode::Highpass, 1_500.0, 0.1);
    (0..seconds(0.35))
        .map(|i| {
            let t = i as f32 / RATE_F;
            let body = tone.process(Waveform::Triangle, 180.0 + 60.0 * (-t / 0.02).exp(), 0.5)
                * decay(i, 0.12);
            let noise = hp.process(rng.next_bipolar()) * decay(i, 0.25);
            (0.6 * body + 0.7 * noise) * fade_in(i)
        })
        .collect()
}

fn clap() -> Vec<f32> {
    let mut rng = Rng::new(4);
    let mut bp = Svf::new(RATE_F);
    bp.set(FilterMode::Bandpass, 1_200.0, 0.35);
    // Three quick hand hits, then the room's tail.
    let hits = [0.0, 0.011, 0.023];
    (0..seconds(0.4))
        .map(|i| {
            let t = i as f32 / RATE_F;
            let bursts: f32 = hits
                .iter()
                .filter(|&&h| t >= h)
                .map(|&h| (-(t - h) / 0.006).exp())
                .sum();
            let tail = if t >= 0.023 {
                0.5 * (-(t - 0.023) / 0.08).exp()
            } else {
                0.0
            };
            bp.process(rng.next_bipolar()) * (bursts + tail) * 1.6 * fade_in(i)
        })
        .collect()
}

fn hat(length: f32, t60: f32, seed: u64) -> Vec<f32> {
    // Six detuned square waves, the classic metallic hat, plus noise, high-passed.
    const RATIOS: [f32; 6] = [1.0, 1.4471, 1.6170, 1.9265, 2.5028, 2.6637];
    let mut oscs: Vec<Oscillator> = (0..6).map(|k| Oscillator::new(RATE_F, seed + k)).collect();
    let mut rng = Rng::new(seed);
    let mut hp = Svf::new(RATE_F);
    hp.set(FilterMode::Highpass, 7_000.0, 0.2);
    let mut hp2 = Svf::new(RATE_F);
    hp2.set(FilterMode::Highpass, 7_000.0, 0.0);
    (0..seconds(length))
        .map(|i| {
            let metal: f32 = oscs
                .iter_mut()
                .zip(RATIOS)
                .map(|(o, r)| o.process(Waveform::Pulse, 320.0 * r, 0.5))
                .sum::<f32>()
                / 6.0;
            let x = hp2.process(hp.process(metal + 0.5 * rng.next_bipolar()));
            x * decay(i, t60) * 0.9 * fade_in(i)
        })
        .collect()
}

fn closed_hat() -> Vec<f32> {
    hat(0.12, 0.07, 10)
}

fn open_hat() -> Vec<f32> {
    hat(0.6, 0.45, 20)
}

fn rim() -> Vec<f32> {
    let mut a = Oscillator::new(RATE_F, 5);
    let mut b = Oscillator::new(RATE_F, 6);
    (0..seconds(0.08))
        .map(|i| {
            let x = 0.6 * a.process(Waveform::Triangle, 1_700.0, 0.5)
                + 0.4 * b.process(Waveform::Sine, 820.0, 0.5);
            x * decay(i, 0.03) * fade_in(i)
        })
        .collect()
}

fn tom() -> Vec<f32> {
    let mut phase = 0.0f32;
    (0..seconds(0.5))
        .map(|i| {
            let t = i as f32 / RATE_F;
            let freq = 110.0 + 70.0 * (-t / 0.05).exp();
            phase = (phase + freq / RATE_F).fract();
            (phase * TAU).sin() * decay(i, 0.4) * fade_in(i)
        })
        .collect()
}

fn shaker() -> Vec<f32> {
    let mut rng = Rng::new(7);
    let mut bp = Svf::new(RATE_F);
    bp.set(FilterMode::Bandpass, 6_500.0, 0.3);
    let mut env = Envelope::new(RATE_F);
    env.set_params(&Adsr {
        attack: 0.025,
        decay: 0.06,
        sustain: 0.0,
        release: 0.05,
    });
    env.gate_on();
    (0..seconds(0.15))
        .map(|_| bp.process(rng.next_bipolar()) * env.process() * 1.2)
        .collect()
}

fn stab() -> Vec<f32> {
    // A minor-seventh chord of detuned saws through a closing low-pass: a house stab.
    let notes = [57.0, 60.0, 64.0, 67.0];
    let mut oscs: Vec<(Oscillator, f32)> = notes
        .iter()
        .flat_map(|&n| [(n, -0.08), (n, 0.08)])
        .enumerate()
        .map(|(k, (n, d))| (Oscillator::new(RATE_F, 30 + k as u64), note_to_hz(n + d)))
        .collect();
    let mut lp = Svf::new(RATE_F);
    (0..seconds(0.7))
        .map(|i| {
            let t = i as f32 / RATE_F;
            lp.set(
                FilterMode::Lowpass,
                600.0 + 5_000.0 * (-t / 0.09).exp(),
                0.3,
            );
            let x: f32 = oscs
                .iter_mut()
                .map(|(o, f)| o.process(Waveform::Saw, *f, 0.5))
                .sum::<f32>()
                / 8.0;
            lp.process(x) * decay(i, 0.6) * 1.4 * fade_in(i)
        })
        .collect()
}

/// Peak-normalises to -1 dBFS so every sound in the kit sits at the same level.
fn normalise(mut samples: Vec<f32>) -> Vec<f32> {
    let peak = samples.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    if peak > 0.0 {
        let g = 0.891 / peak;
        samples.iter_mut().for_each(|s| *s *= g);
    }
    samples
}

/// Writes every sound of the kit into `dir` (created if missing).
pub fn write_kit(dir: &Path) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: cannot create: {e}", dir.display()))?;
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    for (name, make) in SOUNDS {
        let path = dir.join(name);
        let samples = normalise(make());
        crate::song::write_atomically(&path, |file| {
            let mut wav = hound::WavWriter::new(file, spec).map_err(std::io::Error::other)?;
            for s in samples {
                let v = (s * 8_388_607.0).round() as i32;
                wav.write_sample(v).map_err(std::io::Error::other)?;
            }
            wav.finalize().map_err(std::io::Error::other)
        })
        .map_err(|e| format!("{}: cannot write: {e}", path.display()))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sound_is_finite_short_and_starts_and_ends_quietly() {
        for (name, make) in SOUNDS {
            let s = normalise(make());
            assert!(s.iter().all(|x| x.is_finite()), "{name}");
            assert!(s.len() < seconds(1.0), "{name}");
            assert!(s[0].abs() < 0.01, "{name} starts with a click");
            let tail = s[s.len() - 100..]
                .iter()
                .fold(0.0f32, |m, x| m.max(x.abs()));
            assert!(tail < 0.02, "{name} ends at {tail}");
            let peak = s.iter().fold(0.0f32, |m, x| m.max(x.abs()));
            assert!((peak - 0.891).abs() < 1e-3, "{name}");
        }
    }
}
