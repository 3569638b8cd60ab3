//! `cargo bench`: how many times faster than realtime songs render on one core.

mod common;

use common::{RATE, demo_songs, stress_song};
use std::hint::black_box;
use std::time::Instant;
use tracksmith::engine::master::MasterChain;
use tracksmith::render::{loudness, render_blocks};
use tracksmith::song::{self, Master, SampleBank, Song};

/// Seconds this thread has spent on a CPU (Linux's schedstat), so the figure holds on a
/// machine busy with other work; elsewhere, wall-clock seconds.
struct Clock {
    wall: Instant,
    cpu: Option<f64>,
}

fn cpu_seconds() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let nanos: f64 = text.split_whitespace().next()?.parse().ok()?;
    Some(nanos / 1e9)
}

impl Clock {
    fn start() -> Clock {
        Clock {
            wall: Instant::now(),
            cpu: cpu_seconds(),
        }
    }

    fn elapsed(&self) -> f64 {
        match (self.cpu, cpu_seconds()) {
            (Some(a), Some(b)) => b - a,
            _ => self.wall.elapsed().as_secs_f64(),
        }
    }
}

fn measure(name: &str, song: &Song, samples: &SampleBank) {
    // Best of three, to keep the figure about the code rather than the machine's mood.
    let mut best = f64::INFINITY;
    let mut frames = 0;
    for _ in 0..3 {
        let started = Clock::start();
        render_blocks(song, samples, RATE, 256, |block, done, _| {
            black_box(block);
            frames = done;
            Ok(())
        })
        .unwrap();
        best = best.min(started.elapsed());
    }
    let seconds = frames as f64 / f64::from(RATE);
    println!(
        "{name:<28} {seconds:>6.1} s of audio in {best:>6.3} s: {:>6.0}x realtime",
        seconds / best
    );
}

/// The stress song with every strip fully on: trim, 24 dB high-pass, all four EQ bands,
/// compressor working, both sends (one pre-fader), and both buses running.
fn stress_song_fully_mixed() -> Song {
    let mut s = stress_song();
    for (i, strip) in s.mixer.channels.iter_mut().enumerate() {
        strip.input.trim_db = -2.0;
        strip.high_pass.slope = song::HighPassSlope::Db24;
        strip.high_pass.freq = 60.0;
        strip.eq.low.gain_db = 3.0;
        strip.eq.mid1.gain_db = -2.5;
        strip.eq.mid2.gain_db = 2.0;
        strip.eq.high.gain_db = -1.5;
        strip.compressor.bypass = false;
        strip.compressor.threshold_db = -30.0;
        strip.sends.reverb.level_db = -12.0;
        strip.sends.delay.level_db = -15.0;
        strip.sends.delay.pre_fader = true;
        strip.pan = (i as f32 / 32.0) - 1.0;
    }
    s.mixer.reverb.decay_s = 2.5;
    s.mixer.reverb.bus_return.eq.low.gain_db = -3.0;
    s.mixer.delay.feedback = 0.5;
    s.mixer.delay.bus_return.eq.high.gain_db = -3.0;
    s
}

/// The stress song with movement on every channel: an LFO swinging its pan and a lane
/// bringing its fader up across the pattern (the figure to hold within 10 % of the
/// plain stress song).
fn stress_song_moving() -> Song {
    let mut s = stress_song();
    for (i, strip) in s.mixer.channels.iter_mut().enumerate() {
        strip.lfos.push(song::Lfo {
            target: "pan".into(),
            shape: song::LfoShape::Sine,
            rate: "1/4".parse().unwrap(),
            depth: 0.3,
            phase: i as f32 / 64.0,
            retrigger: false,
        });
    }
    let pattern = &mut s.patterns[0];
    for ch in 1..=pattern.channels() {
        pattern.automation.push(song::Lane {
            target: format!("ch{ch}.gain_db").parse().unwrap(),
            points: vec!["0 -12 exp".parse().unwrap(), "127 0".parse().unwrap()],
        });
    }
    s
}

/// The mixer stage alone: 64 fully-on strips and both buses fed noise, no voices.
fn measure_mixer_alone() {
    use tracksmith::engine::mixer::MixerGraph;
    let song = stress_song_fully_mixed();
    let channels = song.channel_count();
    let run = 128;
    let mut graph = MixerGraph::new(&song.mixer, song.tempo, RATE as f32, run);
    let mut seed = 1u32;
    let noise: Vec<f32> = (0..run * 64)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1 << 23) as f32 - 1.0
        })
        .collect();
    let (mut l, mut r) = (vec![0.0f32; run], vec![0.0f32; run]);
    let (mut ml, mut mr) = (vec![0.0f32; run], vec![0.0f32; run]);
    let seconds = 20.0;
    let runs = (seconds * RATE as f32) as usize / run;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let started = Clock::start();
        for k in 0..runs {
            ml.fill(0.0);
            mr.fill(0.0);
            graph.begin_run(run);
            for ch in 0..channels {
                let at = ((k + ch) % 64) * run;
                l.copy_from_slice(&noise[at..at + run]);
                r.copy_from_slice(&noise[at..at + run]);
                graph.strip(ch, 0.0, &l, &r, (&mut ml, &mut mr), 0);
            }
            graph.finish_run(&mut ml, &mut mr, 0);
            black_box((&ml, &mr));
        }
        best = best.min(started.elapsed());
    }
    let audio = (runs * run) as f64 / f64::from(RATE);
    println!(
        "{:<28} {audio:>6.1} s of audio in {best:>6.3} s: {:>6.0}x realtime",
        "mixer alone (64 strips)",
        audio / best
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
        let started = Clock::start();
        let mut chain = MasterChain::new(&master, RATE);
        chain.snap_loudness_gain_db(6.0);
        // In blocks, as the engine runs it.
        let (mut left, mut right) = ([0.0f32; 256], [0.0f32; 256]);
        for block in mix.chunks_exact(2 * left.len()) {
            for (i, f) in block.chunks_exact(2).enumerate() {
                (left[i], right[i]) = (f[0], f[1]);
            }
            chain.process_block(&mut left, &mut right);
            black_box((&left, &right));
        }
        let chain_time = started.elapsed();
        let started = Clock::start();
        let mut pre = mix.clone();
        loudness::pre_limiter(&mut pre, &master, RATE);
        black_box(loudness::reach_target(
            &pre,
            &master,
            RATE,
            Some(-9.0),
            loudness::Fades::default(),
        ));
        best = (best.0.min(chain_time), best.1.min(started.elapsed()));
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
    // `cargo bench --bench render -- house stress` runs only the parts whose names hold
    // one of the words; no words runs everything.
    let words: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let wanted = |name: &str| words.is_empty() || words.iter().any(|w| name.contains(w.as_str()));
    println!("rendering at {RATE} Hz, 256-frame blocks, one core (CPU time of the thread)");
    if wanted("master chain") {
        measure_master();
    }
    type MakeSong = fn() -> Song;
    let stress: [(&str, MakeSong); 3] = [
        ("stress (64 channels)", stress_song),
        ("stress, an LFO and a lane each", stress_song_moving),
        ("stress, every strip fully on", stress_song_fully_mixed),
    ];
    for (name, make) in stress {
        if wanted(name) {
            measure(name, &make(), &SampleBank::default());
        }
    }
    if wanted("mixer alone") {
        measure_mixer_alone();
    }
    for (name, song, samples) in demo_songs() {
        if wanted(&name) {
            measure(&name, &song, &samples);
        }
    }
}
