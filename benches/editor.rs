//! `cargo bench --bench editor`: how the editor keeps up on a big song (80 channels,
//! 16 patterns of 512 rows, every fourth row filled): time per key press, per screen
//! drawn, per block operation, and what undo keeps per edit.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::PathBuf;
use std::time::Instant;
use tracksmith::song::{self, Cell, Instrument, Pattern, Song, Synth};
use tracksmith::ui::{App, draw};

fn big_song() -> Song {
    let channels = 80;
    let mut s = Song::new(channels);
    s.instruments
        .push(Instrument::synth("lead", Synth::default()));
    s.patterns.clear();
    for n in 0..16 {
        let mut p = Pattern::new(format!("P{n}"), 512, channels);
        for row in (0..512).step_by(4) {
            for ch in 0..channels {
                let pitch = song::Pitch::new(((row / 4 + ch) % 60 + 24) as u8).unwrap();
                *p.cell_mut(row, ch) = Cell::note(pitch, 1);
            }
        }
        s.patterns.push(p);
    }
    s.arrangement[0].pattern = "P0".into();
    s
}

fn key(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
    KeyEvent::new(code, mods)
}

fn per_op(label: &str, count: u32, mut f: impl FnMut()) {
    let start = Instant::now();
    for _ in 0..count {
        f();
    }
    let each = start.elapsed().as_secs_f64() / f64::from(count);
    println!("{label:<48} {:>10.1} µs", each * 1e6);
}

fn main() {
    let song = big_song();
    let cells = song.patterns.len() * 512 * 80;
    println!(
        "song: 80 channels, 16 patterns x 512 rows ({cells} cells, {} bytes each, {:.1} MB of cells)",
        std::mem::size_of::<Cell>(),
        (cells * std::mem::size_of::<Cell>()) as f64 / 1e6
    );
    let mut app = App::new(song.clone(), PathBuf::from("/nonexistent/big.json"));
    app.screen = (200, 60);
    let mut terminal = Terminal::new(TestBackend::new(200, 60)).unwrap();

    per_op("note entry (key press, undo step)", 5_000, || {
        app.handle_key(key(KeyCode::Char('z'), KeyModifiers::NONE));
    });
    assert_eq!(
        app.undo_len(),
        tracksmith::ui::app::UNDO_LIMIT,
        "every note was an edit"
    );
    per_op("cursor move (key press)", 5_000, || {
        app.handle_key(key(KeyCode::Right, KeyModifiers::NONE));
    });
    per_op("undo (key press)", 5_000, || {
        app.handle_key(key(KeyCode::Char('z'), KeyModifiers::CONTROL));
    });
    per_op("draw the pattern view at 200x60", 500, || {
        terminal.draw(|f| draw(f, &app)).unwrap();
    });
    app.screen = (80, 24);
    let mut small = Terminal::new(TestBackend::new(80, 24)).unwrap();
    per_op("draw the pattern view at 80x24", 500, || {
        small.draw(|f| draw(f, &app)).unwrap();
    });
    app.handle_key(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
    per_op(
        "transpose the whole 512x80 pattern (+undo step)",
        100,
        || {
            app.handle_key(key(KeyCode::Up, KeyModifiers::ALT));
        },
    );
    per_op("copy + paste the whole pattern", 100, || {
        app.handle_key(key(KeyCode::Char('c'), KeyModifiers::CONTROL));
        app.handle_key(key(KeyCode::Char('v'), KeyModifiers::CONTROL));
    });
    app.handle_key(key(KeyCode::F(3), KeyModifiers::NONE));
    per_op("draw the arrangement view at 80x24", 100, || {
        small.draw(|f| draw(f, &app)).unwrap();
    });
    per_op("clone the whole song (a structural undo step)", 20, || {
        std::hint::black_box(song.clone());
    });
}
