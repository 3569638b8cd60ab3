//! The audio path never allocates or frees: every demo song is played through
//! `Engine::process` (master chain and meter included, its settings changed halfway),
//! and the whole audio callback (queues, fades, meter frames to the UI) is run, under an
//! allocator that counts what the armed thread asks for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use tracksmith::engine::Engine;
use tracksmith::song::{self, SampleBank};

struct CountingAllocator;

// Per thread, so tests running side by side do not count each other's allocations.
thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
    static FORBIDDEN_CALLS: Cell<usize> = const { Cell::new(0) };
}

fn note_call() {
    if ARMED.with(Cell::get) {
        FORBIDDEN_CALLS.with(|c| c.set(c.get() + 1));
    }
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_call();
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        note_call();
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_call();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_call();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Runs `f` with allocation counting armed on this thread; returns the calls it made.
fn count_allocations(f: impl FnOnce()) -> usize {
    let before = FORBIDDEN_CALLS.with(Cell::get);
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    FORBIDDEN_CALLS.with(Cell::get) - before
}

#[test]
fn the_counter_catches_an_allocation() {
    let calls = count_allocations(|| {
        std::hint::black_box(vec![1u8; 16]);
    });
    assert!(calls >= 2, "allocation and free were seen");
}

#[test]
fn playing_every_demo_song_never_allocates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs");
    let mut played = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let song = song::load(&path).unwrap();
        let samples = SampleBank::load(&song, &path).unwrap();
        let rate = 48_000;
        let mut engine = Engine::new(&song, &samples, rate);
        engine.set_metering(true);
        let frames = Engine::length(&song, rate) as usize + engine.latency();
        let mut block = vec![0.0f32; 2 * 256];
        let mut rendered = 0;
        // Halfway, every master stage changes, as when the Master view edits the chain.
        let mut changed = song.master;
        changed.eq.mid1.gain_db = 3.0;
        changed.compressor.bypass = false;
        changed.compressor.ratio = 3.0;
        changed.width.width_percent = 150.0;
        changed.width.mono_below_hz = 120.0;
        changed.limiter.bypass = true;
        let mut reading = None;
        let calls = count_allocations(|| {
            while rendered < frames {
                if rendered == frames / 2 / 256 * 256 {
                    engine.set_master(&changed);
                    engine.set_loudness_gain_db(2.0);
                }
                engine.process(&mut block);
                rendered += 256;
                reading = Some(engine.meter());
            }
        });
        assert_eq!(
            calls,
            0,
            "{}: the audio path allocated or freed",
            path.display()
        );
        assert!(engine.is_finished());
        let reading = reading.unwrap();
        assert!(
            reading.integrated_lufs > -40.0 && reading.integrated_lufs < 0.0,
            "{}: the meter measured the song ({reading:?})",
            path.display()
        );
        played += 1;
    }
    assert!(played >= 3);
}

/// Every strip fully on (EQ, high-pass, compressor keyed by the last channel or by the
/// delay return, ducker pumped by the first channel's notes, both sends), both buses
/// (the reverb's return ducking on the beat), stems captured and meters read after each
/// block: still no allocation in the audio path.
#[test]
fn a_fully_loaded_mixer_with_stems_and_meters_never_allocates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/house.json");
    let mut song = song::load(&path).unwrap();
    let samples = SampleBank::load(&song, &path).unwrap();
    for strip in &mut song.mixer.channels {
        strip.high_pass.slope = song::HighPassSlope::Db12;
        strip.eq.low.gain_db = 2.0;
        strip.eq.mid1.gain_db = -2.0;
        strip.eq.mid2.gain_db = 1.5;
        strip.eq.high.gain_db = 1.0;
        strip.compressor.bypass = false;
        strip.sends.reverb.level_db = -12.0;
        strip.sends.delay.level_db = -18.0;
        strip.sends.delay.pre_fader = true;
        strip.ducker.bypass = false;
        strip.ducker.trigger = song::DuckTrigger::Channel(1);
    }
    let channels = song.mixer.channels.len();
    for strip in &mut song.mixer.channels[..channels - 1] {
        strip.sidechain.channel = Some(channels);
        strip.sidechain.high_pass_hz = 150.0;
    }
    // One compressor keyed by the delay return instead (the bus then runs mid-way).
    let bus_keyed = &mut song.mixer.channels[channels - 2];
    bus_keyed.sidechain.channel = None;
    bus_keyed.sidechain.bus = Some(song::KeyBus::Delay);
    bus_keyed.sends.delay.level_db = song::SILENT_DB;
    song.mixer.reverb.bus_return.ducker.bypass = false;
    assert_eq!(song.problems(), Vec::<String>::new());
    song.arrangement.truncate(2);
    let rate = 48_000;
    let mut engine = Engine::new(&song, &samples, rate);
    engine.capture_stems(256);
    let mut meters = engine.new_meters();
    let frames = Engine::length(&song, rate) as usize + engine.latency();
    let mut block = vec![0.0f32; 2 * 256];
    let mut rendered = 0;
    let mut loudest = -200.0f32;
    let calls = count_allocations(|| {
        while rendered < frames {
            engine.process(&mut block);
            engine.read_meters(&mut meters);
            loudest = loudest.max(meters.master.peak_db[0]);
            rendered += 256;
        }
    });
    assert_eq!(calls, 0, "the audio path allocated or freed");
    assert!(
        loudest > -30.0,
        "the meters read the music ({loudest} dBFS)"
    );
    assert!(engine.stems().is_some());
}

/// The whole of what the cpal callback runs, `link::Callback::process`, through play,
/// edits (notes, tempo, mute and solo, a channel added), a restart, stop and the end of a
/// song: its queue pops and pushes, snapshot swaps and fades allocate and free nothing.
#[test]
fn the_audio_callback_never_allocates_through_play_edits_and_stop() {
    use tracksmith::audio::link::{Command, link};
    use tracksmith::engine::{Snapshot, Start};

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/house.json");
    let song = song::load(&path).unwrap();
    let samples = SampleBank::load(&song, &path).unwrap();
    let rate = 48_000;
    let (mut control, mut callback) = link(rate);
    let mut block = vec![0.0f32; 2 * 256];
    let mut calls = 0;
    let mut heard = 0.0f32;
    // The UI's side of the meters: frames taken and handed back every few blocks, so
    // the callback keeps copying every strip's meter into them.
    let mut meter_frames = 0;
    let mut metered = -200.0f32;
    let mut run = |callback: &mut tracksmith::audio::link::Callback,
                   control: &mut tracksmith::audio::link::Control,
                   blocks: usize| {
        for i in 0..blocks {
            calls += count_allocations(|| callback.process(&mut block));
            heard = heard.max(block.iter().fold(0.0, |m, x| m.max(x.abs())));
            if i % 4 == 3
                && let Some(frame) = control.collect_meters()
            {
                meter_frames += 1;
                metered = metered.max(frame.mixer.master.peak_db[0]);
            }
        }
    };
    let snapshot = |s: &song::Song, start| Box::new(Snapshot::new(s, &samples, rate, start));

    let start = Start::Song { entry: 2, row: 0 };
    control.send(Command::Play(Box::new(Engine::live(
        &song, &samples, rate, start,
    ))));
    run(&mut callback, &mut control, 100);

    let mut edited = song.clone();
    *edited.patterns[2].cell_mut(8, 0) = "C-5 01 40".parse().unwrap();
    control.send(Command::Update(snapshot(&edited, start)));
    run(&mut callback, &mut control, 50);
    edited.tempo += 20.0;
    control.send(Command::Update(snapshot(&edited, start)));
    run(&mut callback, &mut control, 50);
    edited.mixer.channels[0].mute = true;
    edited.mixer.channels[1].solo = true;
    edited.mixer.channels[1].sidechain.channel = Some(3);
    edited.mixer.channels[1].compressor.bypass = false;
    edited.mixer.channels[2].ducker.bypass = false;
    control.send(Command::Update(snapshot(&edited, start)));
    run(&mut callback, &mut control, 50);
    edited.mixer.channels.push(Default::default());
    let channels = edited.mixer.channels.len();
    for p in &mut edited.patterns {
        p.set_channels(channels);
    }
    control.send(Command::Update(snapshot(&edited, start)));
    run(&mut callback, &mut control, 50);
    assert!(control.collect().unwrap().playing);

    // Play again from elsewhere: the old engine fades out and comes back.
    let looped = Start::LoopPattern { pattern: 1, row: 0 };
    control.send(Command::Play(Box::new(Engine::live(
        &edited, &samples, rate, looped,
    ))));
    run(&mut callback, &mut control, 100);
    control.send(Command::Update(snapshot(&song, looped)));
    run(&mut callback, &mut control, 20);
    control.send(Command::Stop);
    run(&mut callback, &mut control, 20);
    assert!(!control.collect().unwrap().playing);

    // Notes played by hand, an edit of their instruments, and their release.
    let jam = |text: &str| Command::Jam {
        channel: 1,
        cell: text.parse().unwrap(),
    };
    control.send(Command::Preview(Box::new(Engine::preview(
        &song, &samples, rate, 4,
    ))));
    control.send(jam("C-4 02"));
    run(&mut callback, &mut control, 20);
    let mut louder = song.clone();
    louder.instruments[1].gain_db += 3.0;
    control.send(Command::UpdatePreview(Box::new(Snapshot::preview(
        &louder, &samples, rate, 4,
    ))));
    control.send(jam("E-4 02"));
    run(&mut callback, &mut control, 20);
    control.send(Command::ReleaseJam);
    run(&mut callback, &mut control, 20);

    // The last entry to its very end: the finished engine is handed back too.
    let last = Start::Song {
        entry: song.arrangement.len() - 1,
        row: 0,
    };
    control.send(Command::Play(Box::new(Engine::live(
        &song, &samples, rate, last,
    ))));
    let mut blocks = 0;
    while control.collect().is_none_or(|r| r.playing) {
        run(&mut callback, &mut control, 100);
        blocks += 100;
        assert!(blocks < 20_000, "the song should end");
    }
    run(&mut callback, &mut control, 10);

    assert_eq!(calls, 0, "the audio callback allocated or freed");
    assert!(heard > 0.1, "it played");
    assert!(meter_frames > 100, "{meter_frames} meter readings");
    assert!(
        metered > -30.0,
        "the meters read the music ({metered} dBFS)"
    );
    control.collect();
}

/// Lanes, arrangement lanes, LFOs of every shape and the effect column's parameter
/// commands (which make room for their parameters while playing): no allocation.
#[test]
fn movement_never_allocates() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/techno.json");
    let mut song = song::load(&path).unwrap();
    let samples = SampleBank::load(&song, &path).unwrap();
    let shapes = [
        "sine",
        "triangle",
        "saw_up",
        "saw_down",
        "square",
        "sample_hold",
        "smooth_random",
    ];
    for (i, strip) in song.mixer.channels.iter_mut().enumerate() {
        let target = ["pan", "eq.mid1.gain_db", "sends.delay.level_db"][i % 3];
        let rate = ["1/8", "3hz", "1/4t"][i % 3];
        strip.lfos.push(
            serde_json::from_value(serde_json::json!({
                "target": target,
                "shape": shapes[i % shapes.len()],
                "rate": rate,
                "depth": 0.3,
                "retrigger": i % 2 == 0
            }))
            .unwrap(),
        );
    }
    for (i, pattern) in song.patterns.iter_mut().enumerate() {
        let len = pattern.length();
        pattern.automation.push(
            serde_json::from_value(serde_json::json!({
                "target": format!("ch{}.gain_db", i % 3 + 1),
                "points": ["0 -12 exp", format!("{} 0 smooth", len / 2), format!("{len} -6")]
            }))
            .unwrap(),
        );
        // Picks and sets parameters no lane or LFO names: their slots are made as they play.
        for (row, fx) in [(0, "S00"), (1, "Z40"), (2, "S48"), (3, "WC0")] {
            pattern.cell_mut(row, 1).effect = Some(fx.parse().unwrap());
        }
    }
    song.automation.push(
        serde_json::from_value(serde_json::json!({
            "entry": 1, "target": "master.gain_db", "points": ["0 -3", "64 0 exp"]
        }))
        .unwrap(),
    );
    assert_eq!(song.problems(), Vec::<String>::new());
    let rate = 48_000;
    let mut engine = Engine::new(&song, &samples, rate);
    let frames = Engine::length(&song, rate) as usize;
    let mut block = vec![0.0f32; 2 * 256];
    let mut rendered = 0;
    let calls = count_allocations(|| {
        while rendered < frames {
            engine.process(&mut block);
            rendered += 256;
        }
    });
    assert_eq!(calls, 0, "the audio path allocated or freed");
}

#[test]
fn the_input_callback_never_allocates_recording_dropping_or_stopping() {
    use tracksmith::audio::record::detached_capture;
    let (mut capture, mut probe) = detached_capture(2, 2048);
    let block_f32: Vec<f32> = (0..1024).map(|i| (i as f32 / 1024.0) - 0.5).collect();
    let block_i16: Vec<i16> = (0..1024).map(|i| (i * 64 - 32768) as i16).collect();
    let calls = count_allocations(|| {
        capture.process(&block_f32);
        capture.process(&block_i16);
        // The queue is full now: frames are dropped and counted.
        capture.process(&block_f32);
        capture.process(&[f32::NAN, f32::INFINITY]);
        probe.stop();
        capture.process(&block_i16);
    });
    assert_eq!(calls, 0, "the input callback allocated or freed");
    assert_eq!(probe.dropped(), 1024 + 2);
    let samples = probe.take_samples();
    assert_eq!(samples.len(), 2048, "nothing after the stop");
    assert_eq!(&samples[..1024], &block_f32[..]);
}
