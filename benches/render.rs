//! `cargo bench`: how many times faster than realtime songs render on one core.

mod common;

use common::{RATE, demo_songs, stress_song};
use std::hint::black_box;
use std::time::Instant;
use tracksmith::engine::master::MasterChain;
use tracksmith::render::{loudness, render_blocks};
use tracksmith::song::{Master, SampleBank, Song};

fn measure(name: &str, song: &Song, samples: &SampleBank) {
    // Best of three, to keep the figure about the code rather than the machine's mood.
    let mut best = f64::INFINITY;
    let mut frames = 0;
    for _ in 0..3 {
        let started = Instant::now();
        render_blocks(song, samples, RATE, 256, |block, done, _| {
            black_box(block);
            frames = done;
            Ok(())
        })
        .unwrap();
        best = best.min(started.elapsed().as_secs_f64());
    }
    let seconds = frames as f64 / f64::from(RATE);
    println!(
        "{name:<28} {seconds:>6.1} s of audio in {best:>6.3} s: {:>6.0}x realtime",
        seconds / best
    );
}

/// The master chain alone (every stage in, a compressor working and a limiter pushed
/// 6 dB) over 60 s of a noisy two-tone signal, and the loudness search over it.
fn measure_master() {
    let mut master = Master::default();
    master.eq.mid1.gain_db = 2.0;
    master.compressor.bypass = false;
    master.compressor.ratio = 2.0;
    master.width.width_percent = 120.0;
    master.width.mono_below_hz = 120.0;
    let frames = RATE as usize * 60;
    let mut seed = 1u32;
    let mix: Vec<f32> = (0..frames)
        .flat_map(|i| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let noise = (seed >> 8) as f32 / (1u32 << 23) as f32 - 1.0;
            let t = i as f32 / RATE as f32;
            let x = 0.3 * (std::f32::consts::TAU * 110.0 * t).sin() + 0.2 * noise;
            [x, 0.8 * x + 0.1 * noise]
        })
        .collect();
    let mut best = (f64::INFINITY, f64::INFINITY);
    for _ in 0..3 {
        let started = Instant::now();
        let mut chain = MasterChain::new(&master, RATE);
        chain.snap_loudness_gain_db(6.0);
        for f in mix.chunks_exact(2) {
            black_box(chain.process(f[0], f[1]));
        }
        let chain_time = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut pre = mix.clone();
        loudness::pre_limiter(&mut pre, &master, RATE);
        black_box(loudness::reach_target(
            &pre,
            &master,
            RATE,
            Some(-9.0),
            loudness::Fades::default(),
        ));
        best = (
            best.0.min(chain_time),
            best.1.min(started.elapsed().as_secs_f64()),
        );
    }
    println!(
        "{:<28} {:>6.1} s of audio in {:>6.3} s: {:>6.0}x realtime",
        "master chain",
        60.0,
        best.0,
        60.0 / best.0
    );
    println!(
        "{:<28} {:>6.1} s of audio in {:>6.3} s: {:>6.0}x realtime",
        "loudness search to -9 LUFS",
        60.0,
        best.1,
        60.0 / best.1
    );
}

fn main() {
    println!("rendering at {RATE} Hz, 256-frame blocks, one core");
    measure_master();
    measure(
        "stress (64 channels)",
        &stress_song(),
        &SampleBank::default(),
    );
    for (name, song, samples) in demo_songs() {
        measure(&name, &song, &samples);
    }
}
