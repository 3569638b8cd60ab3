//! `cargo bench`: how many times faster than realtime songs render on one core.

mod common;

use common::{RATE, demo_songs, stress_song};
use std::hint::black_box;
use std::time::Instant;
use tracksmith::render::render_blocks;
use tracksmith::song::{SampleBank, Song};

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

fn main() {
    println!("rendering at {RATE} Hz, 256-frame blocks, one core");
    measure(
        "stress (64 channels)",
        &stress_song(),
        &SampleBank::default(),
    );
    for (name, song, samples) in demo_songs() {
        measure(&name, &song, &samples);
    }
}
