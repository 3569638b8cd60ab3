//! `cargo bench --bench callback`: what the live audio callback costs per 256-frame
//! block at 48 kHz, in % of the block's real-time budget (256 / 48000 s = 5.33 ms).
//!
//! It runs exactly what the cpal callback runs (`link::Callback::process`: queue checks,
//! `Engine::process`, the meter frames to the editor, the report) over each whole song, on one core. Costs are
//! the thread's own CPU time, so that other programs taking the core away (this machine
//! is shared) do not count; the status line of `play` and the editor measures wall time,
//! which is what decides a dropout.

mod common;

use common::{RATE, demo_songs, stress_song};
use tracksmith::audio::link::{Command, link};
use tracksmith::engine::{Engine, Start};
use tracksmith::song::{SampleBank, Song};

const BLOCK: usize = 256;

/// Per-block costs of one pass over the song, in seconds, sorted.
fn block_costs(song: &Song, samples: &SampleBank) -> Vec<f64> {
    let (mut control, mut callback) = link(RATE);
    let engine = Engine::live(song, samples, RATE, Start::TOP);
    control.send(Command::Play(Box::new(engine)));
    let blocks = Engine::length(song, RATE) as usize / BLOCK;
    let mut out = vec![0.0f32; 2 * BLOCK];
    let mut costs = Vec::with_capacity(blocks);
    for i in 0..blocks {
        let started = thread_cpu_seconds();
        callback.process(&mut out);
        costs.push(thread_cpu_seconds() - started);
        if i % 4 == 0 {
            // What the editor does every frame (about 20 ms): take the meter readings,
            // so the callback keeps copying every strip's meter.
            control.collect_meters();
        }
        if i % 64 == 0 {
            // What the UI does between frames: free returns, drain reports.
            control.collect();
        }
    }
    costs.sort_by(f64::total_cmp);
    costs
}

/// CPU time this thread has used.
fn thread_cpu_seconds() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to; this clock exists on Linux.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    assert_eq!(ok, 0, "the thread CPU clock is available");
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

fn measure(name: &str, song: &Song, samples: &SampleBank) {
    let budget = BLOCK as f64 / f64::from(RATE);
    let percent = |seconds: f64| 100.0 * seconds / budget;
    // Best of three passes, to keep the figures about the code, not the machine's mood.
    let mut best: Option<(f64, f64, f64)> = None;
    for _ in 0..3 {
        let costs = block_costs(song, samples);
        let mean = costs.iter().sum::<f64>() / costs.len() as f64;
        let p99 = costs[costs.len() * 99 / 100];
        let worst = costs[costs.len() - 1];
        if best.is_none_or(|(m, _, _)| mean < m) {
            best = Some((mean, p99, worst));
        }
    }
    let (mean, p99, worst) = best.expect("three passes ran");
    println!(
        "{name:<22} mean {:>5.2} %   99th percentile {:>5.2} %   worst {:>6.2} %",
        percent(mean),
        percent(p99),
        percent(worst)
    );
}

fn main() {
    println!(
        "audio callback cost per {BLOCK}-frame block at {RATE} Hz, in % of its {:.2} ms budget",
        1000.0 * BLOCK as f64 / f64::from(RATE)
    );
    measure(
        "stress (64 channels)",
        &stress_song(),
        &SampleBank::default(),
    );
    for (name, song, samples) in demo_songs() {
        measure(&name, &song, &samples);
    }
}
