//! The audio path never allocates or frees: every demo song is played through
//! `Engine::process` (master chain and meter included, its settings changed halfway)
//! under an allocator that counts what the armed thread asks for.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use tracksmith::engine::Engine;
use tracksmith::song::{self, SampleBank};

struct CountingAllocator;

static FORBIDDEN_CALLS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static ARMED: Cell<bool> = const { Cell::new(false) };
}

fn note_call() {
    if ARMED.with(Cell::get) {
        FORBIDDEN_CALLS.fetch_add(1, Ordering::SeqCst);
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
    let before = FORBIDDEN_CALLS.load(Ordering::SeqCst);
    ARMED.with(|a| a.set(true));
    f();
    ARMED.with(|a| a.set(false));
    FORBIDDEN_CALLS.load(Ordering::SeqCst) - before
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
