//! Key-sequence tests on the App (typed keys give exactly the expected song) and screen
//! tests of every view on ratatui's TestBackend.

use super::app::{App, Column, Mode};
use super::{View, draw, help, keymap};
use crate::song::{Cell, Song, templates};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::path::{Path, PathBuf};

/// A starter song with synth drums (no files needed), at a path that is never written.
fn starter() -> Song {
    templates::starter(&templates::StarterOptions {
        tempo: 120.0,
        key: "A minor".parse().unwrap(),
        template: "basic".into(),
        title: "Test".into(),
        kit: None,
    })
    .unwrap()
}

fn app() -> App {
    App::new(starter(), PathBuf::from("/nonexistent/test.json"))
}

/// Keys written the way tmux names them: `z`, `Up`, `S-Down`, `C-c`, `M-v`, `F3`,
/// `Enter`, `Space`; tokens are separated by spaces.
fn press(app: &mut App, keys: &str) {
    for token in keys.split_whitespace() {
        app.handle_key(key_event(token));
    }
}

/// Types text into a prompt, character by character.
fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
}

fn key_event(token: &str) -> KeyEvent {
    let (mods, name) = match token.split_once('-') {
        Some((m, rest)) if !rest.is_empty() && m.len() == 1 => {
            let mods = match m {
                "C" => KeyModifiers::CONTROL,
                "S" => KeyModifiers::SHIFT,
                "M" => KeyModifiers::ALT,
                _ => panic!("modifier {m}"),
            };
            (mods, rest)
        }
        _ => (KeyModifiers::NONE, token),
    };
    let code = match name {
        "Up" => KeyCode::Up,
        "Down" => KeyCode::Down,
        "Left" => KeyCode::Left,
        "Right" => KeyCode::Right,
        "PgUp" => KeyCode::PageUp,
        "PgDn" => KeyCode::PageDown,
        "Home" => KeyCode::Home,
        "End" => KeyCode::End,
        "Enter" => KeyCode::Enter,
        "Tab" => KeyCode::Tab,
        "BTab" => KeyCode::BackTab,
        "Esc" => KeyCode::Esc,
        "BSpace" => KeyCode::Backspace,
        "DC" => KeyCode::Delete,
        "IC" => KeyCode::Insert,
        "Space" => KeyCode::Char(' '),
        f if f.starts_with('F') && f.len() > 1 => KeyCode::F(f[1..].parse().unwrap()),
        c if c.chars().count() == 1 => KeyCode::Char(c.chars().next().unwrap()),
        other => panic!("key {other}"),
    };
    KeyEvent::new(code, mods)
}

fn cell(app: &App, row: usize, channel: usize) -> String {
    app.pattern().cell(row, channel).to_string()
}

/// Every non-empty cell of the shown pattern, as (row, channel, text).
fn filled(app: &App) -> Vec<(usize, usize, String)> {
    let p = app.pattern();
    let mut out = Vec::new();
    for r in 0..p.length() {
        for c in 0..p.channels() {
            if !p.cell(r, c).is_empty() {
                out.push((r, c, p.cell(r, c).to_string()));
            }
        }
    }
    out
}

fn cells(list: &[(usize, usize, &str)]) -> Vec<(usize, usize, String)> {
    list.iter().map(|&(r, c, t)| (r, c, t.to_owned())).collect()
}

#[test]
fn piano_keys_write_a_melody_with_the_current_instrument() {
    let mut app = app();
    // Channel 10 (Lead, instrument 08): Tab nine times, pick instrument 8 with '-'.
    press(&mut app, "BTab - z x c v q");
    assert_eq!(app.cursor.channel, 9);
    assert_eq!(
        filled(&app),
        cells(&[
            (0, 9, "C-4 08 .. ..."),
            (1, 9, "D-4 08 .. ..."),
            (2, 9, "E-4 08 .. ..."),
            (3, 9, "F-4 08 .. ..."),
            (4, 9, "C-5 08 .. ..."),
        ])
    );
    assert_eq!(app.cursor.row, 5);
    assert!(app.dirty);
}

#[test]
fn octave_step_note_off_and_delete() {
    let mut app = app();
    press(&mut app, "] } i 1 [ [ m");
    // Octave 5 then step 2: I is the C two octaves up (C-7); note off two rows on;
    // then octave 3: M is B-3.
    assert_eq!(
        filled(&app),
        cells(&[
            (0, 0, "C-7 01 .. ..."),
            (2, 0, "OFF .. .. ..."),
            (4, 0, "B-3 01 .. ...")
        ])
    );
    press(&mut app, "Home DC");
    assert_eq!(app.cursor.row, 2, "delete moves on by the edit step");
    assert_eq!(cell(&app, 0, 0), "--- .. .. ...");
}

#[test]
fn hex_digits_fill_instrument_volume_and_effect() {
    let mut app = app();
    press(
        &mut app,
        "z Up Right 0 3 Up Right Right 3 0 Up Right Right a 0 f",
    );
    assert_eq!(filled(&app), cells(&[(0, 0, "C-4 03 30 A0F")]));
    // Instruments past the song's last are refused, volumes stop at 40.
    press(&mut app, "Up Left Left Left Left 0 9");
    assert!(app.message.as_ref().unwrap().error);
    assert_eq!(cell(&app, 0, 0), "C-4 03 30 A0F");
    press(&mut app, "Home Right Right Right 7 f");
    assert_eq!(cell(&app, 0, 0), "C-4 03 40 A0F");
    // An E command keeps a meaning: typing E gives a cut.
    press(&mut app, "Home Home Right Right Right Right Right e");
    assert_eq!(cell(&app, 0, 0), "C-4 03 40 ECF");
}

#[test]
fn insert_and_delete_row_shift_only_the_channel() {
    let mut app = app();
    press(&mut app, "z x c Tab Home z");
    press(&mut app, "BTab Home Down IC");
    assert_eq!(
        filled(&app),
        cells(&[
            (0, 0, "C-4 01 .. ..."),
            (0, 1, "C-4 01 .. ..."),
            (2, 0, "D-4 01 .. ..."),
            (3, 0, "E-4 01 .. ..."),
        ])
    );
    press(&mut app, "Home BSpace");
    assert_eq!(
        filled(&app),
        cells(&[
            (0, 1, "C-4 01 .. ..."),
            (1, 0, "D-4 01 .. ..."),
            (2, 0, "E-4 01 .. ...")
        ])
    );
}

#[test]
fn copy_paste_mix_paste_and_cut() {
    let mut app = app();
    press(&mut app, "z x Up Up S-Down S-Right C-c");
    assert_eq!(app.selection.unwrap().rect().rows, 2);
    // Paste onto rows 8-9 of channels 1-2.
    press(&mut app, "Esc Home Home PgDn C-v");
    assert_eq!(app.cursor.row, 16);
    assert_eq!(cell(&app, 16, 0), "C-4 01 .. ...");
    assert_eq!(cell(&app, 17, 0), "D-4 01 .. ...");
    // Mix-paste keeps what is under the empty fields: a volume set beforehand survives.
    press(&mut app, "Down Down Down Down Right Right Right 2 0");
    assert_eq!(cell(&app, 20, 0), "--- .. 20 ...");
    press(&mut app, "Left Left Left Up M-v");
    assert_eq!(cell(&app, 20, 0), "C-4 01 20 ...");
    // Cut the first two rows.
    press(&mut app, "Home S-Down C-x");
    assert_eq!(cell(&app, 0, 0), "--- .. .. ...");
    assert_eq!(cell(&app, 1, 0), "--- .. .. ...");
    assert_eq!(filled(&app).len(), 4);
}

#[test]
fn transpose_and_interpolate_the_selection() {
    let mut app = app();
    press(&mut app, "z x c Home S-Down S-Down M-Up");
    let notes: Vec<String> = (0..3).map(|r| cell(&app, r, 0)[..3].to_owned()).collect();
    assert_eq!(notes, ["C#4", "D#4", "F-4"]);
    press(&mut app, "M-PgDn");
    assert_eq!(&cell(&app, 0, 0)[..3], "C#3");
    // Volumes 00 at row 0 and 40 at row 4: rows between get the straight line.
    press(
        &mut app,
        "Esc Home Right Right Right 0 0 Down Down Down 4 0",
    );
    press(
        &mut app,
        "Home Home Right Right Right S-Down S-Down S-Down S-Down M-i",
    );
    let volumes: Vec<String> = (0..5).map(|r| cell(&app, r, 0)[7..9].to_owned()).collect();
    assert_eq!(volumes, ["00", "10", "20", "30", "40"]);
}

#[test]
fn undo_and_redo_round_trip_and_return_the_cursor() {
    let mut app = app();
    let original = app.song.clone();
    press(
        &mut app,
        "z x c Tab v b S-Up S-Left C-c Down Down Down C-v M-Up ] q",
    );
    press(&mut app, "F3 i d s");
    type_text(&mut app, "drop");
    press(&mut app, "Enter F5 Right F2");
    let edited = app.song.clone();
    let steps = app.undo_len();
    assert!(steps >= 10, "{steps} steps");
    for _ in 0..steps {
        press(&mut app, "C-z");
    }
    assert_eq!(app.song, original);
    assert_eq!(
        (app.cursor.row, app.cursor.channel),
        (0, 0),
        "back where the first note went"
    );
    for _ in 0..steps {
        press(&mut app, "C-y");
    }
    assert_eq!(app.song, edited);
    // Ctrl+Shift+Z redoes too.
    press(&mut app, "C-z");
    assert_ne!(app.song, edited);
    app.handle_key(KeyEvent::new(
        KeyCode::Char('Z'),
        KeyModifiers::CONTROL | KeyModifiers::SHIFT,
    ));
    assert_eq!(app.song, edited);
}

#[test]
fn a_thousand_edits_undo_to_the_start() {
    let mut app = app();
    let original = app.song.clone();
    for _ in 0..1200 {
        press(&mut app, "z");
    }
    assert_eq!(app.undo_len(), 1200);
    for _ in 0..1200 {
        press(&mut app, "C-z");
    }
    assert_eq!(app.song, original);
}

#[test]
fn undo_goes_back_to_the_view_and_place_of_the_edit() {
    let mut app = app();
    press(&mut app, "PgDn Tab Tab z F4");
    assert_eq!(app.view, View::Instruments);
    press(&mut app, "C-z");
    assert_eq!(app.view, View::Pattern);
    assert_eq!(
        (app.cursor.row, app.cursor.channel, app.cursor.column),
        (16, 2, Column::Note)
    );
}

#[test]
fn edit_mode_off_plays_without_writing() {
    let mut app = app();
    press(&mut app, "C-e z x");
    assert!(filled(&app).is_empty());
    let preview = app.preview.expect("a jammed note is there to be heard");
    assert_eq!(
        (preview.pitch.to_string(), preview.instrument),
        ("D-4".to_owned(), 1)
    );
    assert!(!app.edit_mode);
    press(&mut app, "C-e z");
    assert_eq!(filled(&app).len(), 1);
    press(&mut app, "Space");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("no audio output")
    );
}

#[test]
fn pattern_new_clone_rename_and_length() {
    let mut app = app();
    press(&mut app, "z C-d");
    assert_eq!(app.song.patterns.len(), 2);
    assert_eq!(app.pattern().name, "Loop 1 1");
    assert_eq!(cell(&app, 0, 0), "C-4 01 .. ...");
    press(&mut app, "M-r");
    for _ in 0.."Loop 1 1".len() {
        press(&mut app, "BSpace");
    }
    type_text(&mut app, "Chorus");
    press(&mut app, "Enter C-n Enter");
    assert_eq!(app.song.patterns[1].name, "Chorus");
    assert_eq!(app.song.patterns[2].name, "Pattern 1");
    assert_eq!(app.cursor.pattern, 2);
    press(&mut app, ":");
    type_text(&mut app, "len 64");
    press(&mut app, "Enter");
    assert_eq!(app.pattern().length(), 64);
    press(&mut app, "< <");
    assert_eq!(app.cursor.pattern, 0);
    press(&mut app, "C-Right");
    assert_eq!(app.pattern().name, "Chorus");
    // Renaming a pattern the arrangement plays renames it there too.
    press(&mut app, "C-Left M-r BSpace");
    type_text(&mut app, "A");
    press(&mut app, "Enter");
    assert_eq!(app.song.arrangement[0].pattern, "Loop A");
    assert!(app.song.problems().is_empty());
}

#[test]
fn arrangement_edits() {
    let mut app = app();
    press(&mut app, "C-d F3 i d Right s");
    // Entry 2 (the duplicate of the inserted one) now plays the next pattern.
    type_text(&mut app, "x");
    press(&mut app, "BSpace BSpace BSpace BSpace BSpace");
    type_text(&mut app, "drop");
    press(&mut app, "Enter = = S-Up");
    let a: Vec<(String, String, u16)> = app
        .song
        .arrangement
        .iter()
        .map(|e| (e.pattern.clone(), e.section.clone(), e.repeat))
        .collect();
    assert_eq!(
        a,
        [
            ("Loop 1".to_owned(), "loop".to_owned(), 1),
            ("Loop 1 1".to_owned(), "drop".to_owned(), 3),
            ("Loop 1".to_owned(), "loop".to_owned(), 1),
        ]
    );
    assert_eq!(app.order, 1);
    press(&mut app, "Enter");
    assert_eq!(app.view, View::Pattern);
    assert_eq!(app.pattern().name, "Loop 1 1");
    press(&mut app, "F3 x x");
    assert_eq!(app.song.arrangement.len(), 1);
    press(&mut app, "x");
    assert_eq!(app.song.arrangement.len(), 1, "the last entry stays");
}

#[test]
fn instrument_parameters_by_keys_and_typed_values() {
    let mut app = app();
    press(&mut app, "F4 PgDn PgDn PgDn PgDn PgDn");
    assert_eq!(app.song.instruments[app.instrument_index].name, "Bass");
    // Down to the cutoff (the 17th parameter).
    for _ in 0..16 {
        press(&mut app, "Down");
    }
    let cutoff = |app: &App| match &app.song.instruments[5].source {
        crate::song::Source::Synth(s) => s.filter.cutoff,
        _ => unreachable!(),
    };
    press(&mut app, "S-Right");
    assert!(
        (cutoff(&app) - 1000.0).abs() < 0.01,
        "an octave up: {}",
        cutoff(&app)
    );
    press(&mut app, "Enter");
    for _ in 0..10 {
        press(&mut app, "BSpace");
    }
    type_text(&mut app, "250");
    press(&mut app, "Enter");
    assert_eq!(cutoff(&app), 250.0);
    // 25000 Hz is past the top: refused, the value stays.
    press(&mut app, "Enter");
    type_text(&mut app, "00");
    press(&mut app, "Enter");
    assert!(app.message.as_ref().unwrap().error);
    assert_eq!(cutoff(&app), 250.0);
    // Osc 1 wave cycles.
    for _ in 0..14 {
        press(&mut app, "Up");
    }
    press(&mut app, "Right");
    assert!(
        matches!(&app.song.instruments[5].source, crate::song::Source::Synth(s) if s.osc1.wave == crate::song::Waveform::Pulse)
    );
    assert!(app.song.problems().is_empty());
}

#[test]
fn deleting_an_instrument_renumbers_the_notes() {
    let mut app = app();
    press(&mut app, "= = z F4 PgUp x");
    // Instrument 02 (Snare) is gone: the note played 03 and now plays 02.
    assert_eq!(app.song.instruments.len(), 7);
    assert_eq!(app.song.instruments[1].name, "Clap");
    assert_eq!(app.song.patterns[0].cell(0, 0).to_string(), "C-4 02 .. ...");
    press(&mut app, "a d");
    assert_eq!(app.song.instruments.len(), 9);
    assert_eq!(app.song.instruments[8].name, "Synth 8 copy");
    assert!(app.song.problems().is_empty());
}

#[test]
fn song_settings_and_commands() {
    let mut app = app();
    press(&mut app, "F5 Down Down Right S-Right");
    assert_eq!(app.song.tempo, 131.0);
    press(&mut app, ":");
    type_text(&mut app, "bpm 140");
    press(&mut app, "Enter :");
    type_text(&mut app, "key D dorian");
    press(&mut app, "Enter");
    assert_eq!(app.song.tempo, 140.0);
    assert_eq!(app.song.key.to_string(), "D dorian");
    press(&mut app, ":");
    type_text(&mut app, "bpm 5000");
    press(&mut app, "Enter");
    assert!(app.message.as_ref().unwrap().text.contains("out of range"));
    press(&mut app, ":");
    type_text(&mut app, "channels 12");
    press(&mut app, "Enter");
    assert_eq!(app.song.channel_count(), 12);
    assert_eq!(app.pattern().channels(), 12);
    assert!(app.song.problems().is_empty());
}

#[test]
fn quitting_with_unsaved_changes_asks() {
    let mut app = app();
    press(&mut app, "C-q");
    assert!(app.quit, "nothing to lose");
    let mut app = self::app();
    press(&mut app, "z C-q");
    assert!(!app.quit);
    assert!(matches!(app.mode, Mode::Confirm(_)));
    press(&mut app, "n");
    assert!(!app.quit);
    press(&mut app, "C-q y");
    assert!(app.quit);
}

#[test]
fn save_writes_the_song_and_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.json");
    crate::song::save(&starter(), &path).unwrap();
    let mut app = App::new(crate::song::load(&path).unwrap(), path.clone());
    press(&mut app, "z x C-s");
    assert!(!app.dirty);
    let saved = crate::song::load(&path).unwrap();
    assert_eq!(saved, app.song);
    assert!(crate::song::backup_path(&path).exists());
    press(&mut app, "c :");
    type_text(&mut app, "wq");
    press(&mut app, "Enter");
    assert!(app.quit);
    assert_eq!(
        crate::song::load(&path).unwrap().patterns[0]
            .cell(2, 0)
            .to_string(),
        "E-4 01 .. ..."
    );
}

#[test]
fn rendering_from_the_editor_reports_loudness() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let mut song = starter();
    song.patterns[0].set_length(8);
    song.render.tail = 0.2;
    crate::song::save(&song, &path).unwrap();
    let mut app = App::new(song, path.clone());
    press(&mut app, "BTab z C-r Enter");
    assert!(app.render_job.is_some());
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app.render_job.is_some() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.tick();
    }
    let message = app.message.clone().unwrap();
    assert!(!message.error, "{}", message.text);
    assert!(
        message.text.contains("LUFS") && message.text.contains("r.wav"),
        "{}",
        message.text
    );
    assert!(dir.path().join("r.wav").exists());
}

#[test]
fn help_is_the_key_map_and_searchable() {
    let found = help::entries("undo");
    assert!(found.iter().any(|e| e.keys == "Ctrl+Z"), "{found:?}");
    assert!(help::entries("").len() > 100);
    let mut app = app();
    press(&mut app, "F1 / c o p y Enter");
    assert_eq!(app.help_filter, "copy");
    assert!(help::entries(&app.help_filter).iter().all(|e| {
        let text = format!("{} {} {}", e.section, e.keys, e.description).to_lowercase();
        text.contains("copy")
    }));
}

// ----- screens -----

fn screen(app: &App, width: u16, height: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| draw(f, app)).unwrap();
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        for x in 0..width {
            out.push_str(buffer[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The starter song with a few notes, the kit read from the repository's samples.
fn demo_app(width: u16, height: u16) -> App {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/screen-test.json");
    let song = templates::starter(&templates::StarterOptions {
        tempo: 124.0,
        key: "A minor".parse().unwrap(),
        template: "basic".into(),
        title: "Screen test".into(),
        kit: Some("../samples".into()),
    })
    .unwrap();
    let mut app = App::new(song, path);
    app.screen = (width, height);
    // Kick on every beat, a bass line, a lead note with volume and vibrato.
    press(&mut app, "} } } z z z z { { {");
    press(
        &mut app,
        "Home Tab Tab Tab Tab Tab [ [ = = = = = n Down n Down Down c Down Down e",
    );
    press(
        &mut app,
        "Home Tab Tab Tab Tab ] ] ] = = n Up Right Right Right 3 0 Up Right Right 4 4 4",
    );
    press(&mut app, "Left Left Left Left Left");
    app.message = None;
    app.dirty = false;
    app
}

#[test]
fn screens_of_every_view() {
    for (width, height) in [(80, 24), (160, 50)] {
        for (view, key) in [
            (View::Pattern, "F2"),
            (View::Arrangement, "F3"),
            (View::Instruments, "F4"),
            (View::Song, "F5"),
            (View::Help, "F1"),
        ] {
            let mut app = demo_app(width, height);
            press(&mut app, key);
            assert_eq!(app.view, view);
            let text = screen(&app, width, height);
            insta::assert_snapshot!(
                format!("{}_{width}x{height}", view.title().to_lowercase()),
                text
            );
        }
    }
}

#[test]
fn sampler_screen_draws_the_waveform() {
    let mut app = demo_app(80, 24);
    press(
        &mut app,
        "F4 PgUp PgUp PgUp PgUp PgUp PgUp PgUp Down Down Down Down Down Right",
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("kick.wav"), "{text}");
    assert!(text.contains("loop") && text.contains("forward"), "{text}");
    insta::assert_snapshot!("instruments_sampler_80x24", text);
}

#[test]
fn the_cursor_row_and_channel_stay_visible_in_a_big_song() {
    let mut song = Song::new(80);
    song.patterns[0].set_length(512);
    let mut app = App::new(song, PathBuf::from("/nonexistent/big.json"));
    press(&mut app, "End End");
    assert_eq!((app.cursor.row, app.cursor.channel), (511, 79));
    for (w, h) in [(80, 24), (200, 60), (40, 10)] {
        app.screen = (w, h);
        let text = screen(&app, w, h);
        assert!(text.contains("511 │"), "{w}x{h}:\n{text}");
        assert!(text.contains("80 Ch 80"), "{w}x{h}:\n{text}");
    }
    // Scrolling back left brings channel 1 into view.
    press(&mut app, "Home Home");
    assert!(screen(&app, 80, 24).contains(" 1 Ch 1"));
}

#[test]
fn notes_outside_the_key_are_marked() {
    let mut app = app();
    press(&mut app, "z s");
    let mut terminal = Terminal::new(TestBackend::new(80, 24)).unwrap();
    terminal.draw(|f| draw(f, &app)).unwrap();
    let buffer = terminal.backend().buffer().clone();
    let find = |text: &str| {
        (0..24u16)
            .flat_map(|y| (0..77u16).map(move |x| (x, y)))
            .find(|&(x, y)| {
                (0..3).all(|i| buffer[(x + i, y)].symbol() == &text[i as usize..=i as usize])
            })
            .unwrap()
    };
    let in_key = find("C-4");
    let outside = find("C#4");
    assert_ne!(buffer[in_key].style().fg, buffer[outside].style().fg);
    assert_eq!(buffer[outside].style().fg, super::theme::OUT_OF_KEY.fg);
}

#[test]
fn cells_written_match_the_file_form() {
    let mut app = app();
    press(&mut app, "z");
    let json = crate::song::to_json(&app.song);
    assert!(json.contains("\"0\": \"C-4 01 .. ...\""), "{json}");
    let _: Cell = "C-4 01".parse().unwrap();
}

#[test]
fn grooves_from_the_command_line_and_the_song_view_undo() {
    let mut app = app();
    app.song.swing = 20.0;
    press(&mut app, ":");
    type_text(&mut app, "groove swing 62");
    press(&mut app, "Enter");
    assert_eq!(app.song.groove, Some(crate::song::Groove::Swing(62.0)));
    assert_eq!(app.song.swing, 0.0, "the groove replaces the plain swing");
    press(&mut app, ":");
    type_text(&mut app, "groove pattern triplet");
    press(&mut app, "Enter");
    assert_eq!(
        app.song.patterns[0].groove,
        Some(crate::song::Groove::Triplet)
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains("groove triplet"), "{text}");
    press(&mut app, ":");
    type_text(&mut app, "groove swing 90");
    press(&mut app, "Enter");
    assert!(app.message.as_ref().unwrap().error);
    assert_eq!(app.song.groove, Some(crate::song::Groove::Swing(62.0)));
    // The song view steps through the presets: from 62 up to 63, 66, 69, 72, then house.
    let field = super::song_view::FIELDS
        .iter()
        .position(|&f| f == super::song_view::Field::Groove)
        .unwrap();
    press(&mut app, "F5");
    app.song_field = field;
    press(&mut app, "Right");
    assert_eq!(app.song.groove, Some(crate::song::Groove::Swing(63.0)));
    press(&mut app, "Right Right Right Right");
    assert_eq!(app.song.groove, Some(crate::song::Groove::Swing(75.0)));
    press(&mut app, "Right");
    assert_eq!(app.song.groove, Some(crate::song::Groove::House));
    let text = screen(&app, 80, 24);
    assert!(text.contains("groove") && text.contains("house"), "{text}");
    assert!(app.song.problems().is_empty(), "{:?}", app.song.problems());
    for _ in 0..8 {
        press(&mut app, "C-z");
    }
    assert_eq!((app.song.groove.clone(), app.song.swing), (None, 20.0));
    assert_eq!(app.song.patterns[0].groove, None);
}

#[test]
fn pattern_operations_undo_and_redo() {
    let mut app = app();
    let original = app.song.clone();
    press(&mut app, "z C-d x M-r BSpace 2 Enter C-n Enter :");
    type_text(&mut app, "len 32");
    press(
        &mut app,
        "Enter F5 Down Down Down Down Down Down Down Down Down Down Right F2 c",
    );
    let edited = app.song.clone();
    assert_eq!(edited.patterns.len(), 3);
    assert_eq!(edited.patterns[1].name, "Loop 1 2");
    assert_eq!(edited.patterns[2].length(), 32);
    assert_eq!(edited.channel_count(), 11);
    let steps = app.undo_len();
    for _ in 0..steps {
        press(&mut app, "C-z");
    }
    assert_eq!(app.song, original);
    for _ in 0..steps {
        press(&mut app, "C-y");
    }
    assert_eq!(app.song, edited);
}

#[test]
fn tiny_and_odd_terminal_sizes_draw_without_panicking() {
    let mut app = demo_app(80, 24);
    press(&mut app, "S-Down S-Right");
    for key in ["F2", "F3", "F4", "F5", "F1"] {
        press(&mut app, key);
        for (w, h) in [(1, 1), (10, 4), (20, 6), (33, 9), (81, 25), (300, 100)] {
            app.screen = (w, h);
            let text = screen(&app, w, h);
            assert_eq!(text.lines().count(), usize::from(h));
        }
    }
    // A prompt and a question draw too.
    press(&mut app, "F2 : b");
    assert!(screen(&app, 80, 24).contains(":b_"));
    press(&mut app, "Esc z C-q");
    assert!(screen(&app, 80, 24).contains("Quit anyway?"));
}

#[test]
fn the_readme_key_table_is_the_key_map() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let table = help::readme_table();
    assert!(
        readme.contains(&table),
        "README.md's key table is stale; it should read:\n{table}"
    );
}

#[test]
fn autosave_waits_for_changes_and_thirty_seconds() {
    use super::{AUTOSAVE_EVERY, Autosave};
    use std::time::{Duration, Instant};
    let dir = tempfile::tempdir().unwrap();
    let mut app = App::new(starter(), dir.path().join("a.json"));
    let start = Instant::now();
    let mut autosave = Autosave::new(start, app.revision);
    assert!(
        !autosave.due(&app, start + AUTOSAVE_EVERY * 2),
        "nothing to save"
    );
    press(&mut app, "z");
    assert!(!autosave.due(&app, start + AUTOSAVE_EVERY - Duration::from_secs(1)));
    assert!(autosave.due(&app, start + AUTOSAVE_EVERY));
    autosave.done(app.revision, start + AUTOSAVE_EVERY);
    assert!(
        !autosave.due(&app, start + AUTOSAVE_EVERY * 3),
        "already written"
    );
    press(&mut app, "x");
    assert!(autosave.due(&app, start + AUTOSAVE_EVERY * 2));
    press(&mut app, "C-s");
    assert!(
        !autosave.due(&app, start + AUTOSAVE_EVERY * 3),
        "saved: not dirty"
    );
}

// ----- mixer -----

#[test]
fn mixer_keys_change_fader_pan_eq_mute_solo_and_undo_restores() {
    let mut app = app();
    let original = app.song.clone();
    press(&mut app, "F9");
    assert_eq!(app.view, View::Mixer);
    // Fader of channel 2: two fine steps down, one coarse up.
    press(&mut app, "Right - - ]");
    assert_eq!(
        app.song.mixer.channels[1].gain_db, -3.0,
        "-3, -3.5, -4, then up to -3"
    );
    // Pan: three fine steps left, then coarse steps right land on tenths.
    press(&mut app, "Down - - -");
    assert!((app.song.mixer.channels[1].pan + 0.03).abs() < 1e-6);
    press(&mut app, "] ]");
    assert!((app.song.mixer.channels[1].pan - 0.1).abs() < 1e-6);
    press(&mut app, "m s");
    assert!(app.song.mixer.channels[1].mute && app.song.mixer.channels[1].solo);
    // The EQ group, then the low shelf's gain.
    press(&mut app, "PgDn Down Down ] ] =");
    assert_eq!(app.song.mixer.channels[1].eq.low.gain_db, 6.5);
    // Shift+arrows are fine and coarse too.
    press(&mut app, "Up S-Up S-Right");
    assert!(
        (app.song.mixer.channels[1].eq.low.freq - 100.0 * 2f32.powf(1.0 / 12.0 + 0.5)).abs() < 0.01
    );
    assert_eq!(app.song.mixer.channels[0], original.mixer.channels[0]);
    let steps = app.undo_len();
    assert_eq!(steps, 15, "every change is one undo step");
    for _ in 0..steps {
        press(&mut app, "C-z");
    }
    assert_eq!(app.song, original);
    assert_eq!(app.mixer.strip, 1, "undo goes back to the strip");
}

#[test]
fn mixer_typed_values_and_reset() {
    let mut app = app();
    press(&mut app, "F9 Right Right Enter");
    // The prompt starts with the value; replace it.
    for _ in 0..8 {
        press(&mut app, "BSpace");
    }
    type_text(&mut app, "-7.5");
    press(&mut app, "Enter");
    assert_eq!(app.song.mixer.channels[2].gain_db, -7.5);
    press(&mut app, "Down Enter BSpace BSpace BSpace");
    type_text(&mut app, "L30");
    press(&mut app, "Enter");
    assert!((app.song.mixer.channels[2].pan + 0.3).abs() < 1e-6);
    // A value out of range is refused with the allowed range, and nothing changes.
    press(&mut app, "Up Enter BSpace BSpace BSpace BSpace");
    type_text(&mut app, "30");
    press(&mut app, "Enter");
    assert_eq!(app.song.mixer.channels[2].gain_db, -7.5);
    let message = app.message.clone().unwrap();
    assert!(
        message.error && message.text.contains("allowed -96 to 24 dB"),
        "{message:?}"
    );
    // Frequencies take k; the compressor's threshold; reset puts the default back.
    press(&mut app, "PgDn Down Enter");
    for _ in 0..6 {
        press(&mut app, "BSpace");
    }
    type_text(&mut app, "1.5k");
    press(&mut app, "Enter");
    assert_eq!(app.song.mixer.channels[2].eq.low.freq, 1_500.0);
    press(&mut app, "DC");
    assert_eq!(app.song.mixer.channels[2].eq.low.freq, 100.0);
    press(&mut app, "Up Up Up Up Up Up DC");
    assert_eq!(app.song.mixer.channels[2].pan, 0.0);
    press(&mut app, "Up DC");
    assert_eq!(app.song.mixer.channels[2].gain_db, 0.0);
    // A send, from off.
    press(&mut app, "Down Down Down Down Enter");
    for _ in 0..5 {
        press(&mut app, "BSpace");
    }
    type_text(&mut app, "-12");
    press(&mut app, "Enter");
    assert_eq!(app.song.mixer.channels[2].sends.reverb.level_db, -12.0);
    assert!(app.song.problems().is_empty());
}

#[test]
fn sidechain_keys_step_over_loops_and_the_ducker_edits_and_undoes() {
    let mut app = App::new(Song::new(3), PathBuf::from("/nonexistent/sc.json"));
    press(&mut app, "F9");
    let key_source = super::mixer::params(app.mixer_strip())
        .iter()
        .position(|p| p.label() == "sidechain")
        .unwrap();
    app.mixer.param = key_source;
    // Channel 1 cannot key itself: stepping up from "own" lands on channel 2.
    press(&mut app, "]");
    assert_eq!(app.song.mixer.channels[0].sidechain.channel, Some(2));
    // Channel 2 keyed by 1 would loop (1 is keyed by 2), and 2 is itself: on to 3.
    press(&mut app, "Right ]");
    assert_eq!(app.song.mixer.channels[1].sidechain.channel, Some(3));
    press(&mut app, "Enter BSpace BSpace BSpace BSpace");
    type_text(&mut app, "1");
    press(&mut app, "Enter");
    let message = app.message.as_ref().unwrap();
    assert!(
        message.error && message.text.contains("loop"),
        "{}",
        message.text
    );
    assert_eq!(app.song.mixer.channels[1].sidechain.channel, Some(3));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("sidechain") && text.contains("ch 3"),
        "{text}"
    );
    // The ducker: on, triggered by channel 1's notes, 6 dB deeper, an S-shaped release.
    press(&mut app, "PgDn ] Down ] Down [ [ Down Down Down Down ]");
    let ducker = app.song.mixer.channels[1].ducker;
    assert!(!ducker.bypass);
    assert_eq!(ducker.trigger, crate::song::DuckTrigger::Channel(1));
    assert_eq!(ducker.depth_db, -18.0, "two coarse 3 dB steps down");
    assert_eq!(ducker.curve, crate::song::DuckCurve::SCurve);
    let text = screen(&app, 80, 24);
    assert!(text.contains("s-curve") && text.contains("ch 1"), "{text}");
    assert!(app.song.problems().is_empty(), "{:?}", app.song.problems());
    for _ in 0..5 {
        press(&mut app, "C-z");
    }
    assert_eq!(
        app.song.mixer.channels[1].ducker,
        crate::song::Ducker::default()
    );
    press(&mut app, "C-z");
    assert_eq!(app.song.mixer.channels[1].sidechain.channel, None);
}

#[test]
fn a_bus_return_can_key_a_compressor_and_a_send_into_it_is_refused() {
    use crate::song::KeyBus;
    let mut app = App::new(Song::new(3), PathBuf::from("/nonexistent/sc.json"));
    press(&mut app, "F9");
    let param = |app: &App, label: &str| {
        super::mixer::params(app.mixer_strip())
            .iter()
            .position(|p| p.label() == label)
            .unwrap()
    };
    app.mixer.param = param(&app, "sidechain");
    // Past the last channel come the buses: own, ch 2, ch 3, reverb, delay (and no further).
    press(&mut app, "] ] ] ] ]");
    let key = app.song.mixer.channels[0].sidechain;
    assert_eq!((key.channel, key.bus), (None, Some(KeyBus::Delay)));
    let text = screen(&app, 80, 24);
    assert!(
        text.contains("sidechain") && text.contains("delay"),
        "{text}"
    );
    // Channel 1 now hears the delay return: its own delay send would feed what keys it.
    app.mixer.param = param(&app, "delay send");
    press(&mut app, "]");
    let message = app.message.as_ref().unwrap();
    assert!(
        message.error
            && message
                .text
                .contains("ch1 (Ch 1) feeds the delay bus, whose return keys ch1 (Ch 1)"),
        "{}",
        message.text
    );
    assert!(!app.song.mixer.channels[0].sends.delay.is_on());
    // Its reverb send is fine, and typed names work too.
    app.mixer.param = param(&app, "reverb send");
    press(&mut app, "]");
    assert!(app.song.mixer.channels[0].sends.reverb.is_on());
    app.mixer.param = param(&app, "sidechain");
    press(&mut app, "Enter");
    for _ in 0..8 {
        press(&mut app, "BSpace");
    }
    type_text(&mut app, "reverb");
    press(&mut app, "Enter");
    assert!(app.message.as_ref().unwrap().error, "the reverb now loops");
    assert_eq!(
        app.song.mixer.channels[0].sidechain.bus,
        Some(KeyBus::Delay)
    );
    assert!(app.song.problems().is_empty(), "{:?}", app.song.problems());
    // Undo: the reverb send, then the key back through delay, reverb, ch 3, ch 2, own.
    press(&mut app, "C-z C-z");
    assert_eq!(
        app.song.mixer.channels[0].sidechain.bus,
        Some(KeyBus::Reverb)
    );
    press(&mut app, "C-z C-z C-z");
    assert_eq!(app.song.mixer.channels[0].sidechain, Default::default());
}

#[test]
fn mixer_ranges_are_the_validators() {
    // Every parameter of every kind of strip, pushed to both ends, stays valid.
    let mut app = app();
    press(&mut app, "F9");
    for strip in 0..super::mixer::strip_count(&app.song.mixer) {
        app.mixer.strip = strip;
        for param in 0..super::mixer::params(app.mixer_strip()).len() {
            app.mixer.param = param;
            for _ in 0..40 {
                press(&mut app, "]");
            }
            assert!(app.song.problems().is_empty(), "{:?}", app.song.problems());
            for _ in 0..80 {
                press(&mut app, "[");
            }
            assert!(app.song.problems().is_empty(), "{:?}", app.song.problems());
        }
    }
    let ch = &app.song.mixer.channels[0];
    assert_eq!((ch.gain_db, ch.pan, ch.eq.mid1.q), (-96.0, -1.0, 0.1));
    assert_eq!(app.song.mixer.delay.time.to_string(), "1/32");
}

#[test]
fn mixer_returns_have_no_solo_and_eighty_channels_scroll() {
    let mut song = Song::new(80);
    song.mixer.channels[79].name = "Last".into();
    let mut app = App::new(song, PathBuf::from("/nonexistent/big.json"));
    press(&mut app, "F9 End");
    assert_eq!(app.mixer_strip(), super::mixer::Strip::Delay);
    press(&mut app, "s");
    assert!(app.message.as_ref().unwrap().error);
    press(&mut app, "Left Left m");
    assert!(app.song.mixer.channels[79].mute);
    for (w, h) in [(80, 24), (200, 60)] {
        app.screen = (w, h);
        let text = screen(&app, w, h);
        assert!(text.contains("80 Last"), "{w}x{h}:\n{text}");
        assert!(
            text.contains("Delay") && text.contains("Reverb"),
            "{w}x{h}:\n{text}"
        );
        assert!(!text.contains("Ch 1 "), "{w}x{h}:\n{text}");
    }
    press(&mut app, "Home");
    let text = screen(&app, 80, 24);
    assert!(text.contains("Ch 1") && !text.contains("80 Last"), "{text}");
    assert!(text.contains("strips 1-8 of 82"), "{text}");
}

#[test]
fn mixer_screens() {
    for (width, height) in [(80, 24), (160, 50)] {
        let mut app = demo_app(width, height);
        press(&mut app, "F9 Right PgDn Down Down ] ] Down Down Down ]");
        app.message = None;
        let text = screen(&app, width, height);
        assert!(
            text.contains("+6.0dB") && text.contains("low shelf"),
            "{text}"
        );
        insta::assert_snapshot!(format!("mixer_{width}x{height}"), text);
    }
}

#[test]
fn mixer_meters_show_what_the_engine_measured() {
    let mut app = demo_app(80, 24);
    press(&mut app, "F9");
    let empty = screen(&app, 80, 24);
    let samples = crate::song::SampleBank::load(&app.song, &app.path).unwrap();
    let mut engine = crate::engine::Engine::new(&app.song, &samples, 48_000);
    let mut meters = engine.new_meters();
    let mut block = vec![0.0f32; 2 * 4_800];
    for _ in 0..5 {
        engine.process(&mut block);
    }
    engine.read_meters(&mut meters);
    assert!(
        meters.channels[0].peak_db[0] > -30.0,
        "the kick plays: {meters:?}"
    );
    app.meters.feed_mixer(&meters, std::time::Instant::now());
    let text = screen(&app, 80, 24);
    assert_ne!(text, empty);
    // The kick's strip: its meter columns hold bar blocks, the quiet strips stay empty.
    let rows: Vec<&str> = text.lines().collect();
    let column = |x: usize| -> String {
        rows[3..7]
            .iter()
            .map(|r| r.chars().nth(x).unwrap())
            .collect()
    };
    assert!(column(5).contains('█'), "{text}");
    assert_eq!(column(14), "····", "the snare has not played yet:\n{text}");
    assert!(rows[3].contains("-∞"), "{text}");
    let hold = format!(
        "{:.0}",
        meters.channels[0].peak_db[0].max(meters.channels[0].peak_db[1])
    );
    assert!(rows[3].contains(&hold), "{hold}\n{text}");
}

// ----- master -----

/// Clears a prompt's starting text and types `text` into it, then Enter.
fn retype(app: &mut App, text: &str) {
    press(app, "Enter");
    for _ in 0..12 {
        press(app, "BSpace");
    }
    type_text(app, text);
    press(app, "Enter");
}

#[test]
fn master_keys_edit_every_stage_type_reset_bypass_and_undo() {
    let mut app = app();
    let original = app.song.clone();
    press(&mut app, "F10");
    assert_eq!(app.view, View::Master);
    press(&mut app, "- - ]");
    assert_eq!(app.song.master.gain_db, 0.0, "-0.5, -1, then up to 0");
    press(&mut app, "b");
    assert!(
        app.message.as_ref().unwrap().text.contains("no bypass"),
        "the gain is not a stage with a bypass"
    );
    // EQ: bypass by key, a band's gain up two coarse steps.
    press(&mut app, "PgDn b");
    assert!(app.song.master.eq.bypass);
    press(&mut app, "b Down Down ] ]");
    assert!(!app.song.master.eq.bypass);
    assert_eq!(app.song.master.eq.low.gain_db, 6.0);
    // The glue compressor: engaged, threshold typed.
    press(&mut app, "PgDn =");
    assert!(!app.song.master.compressor.bypass);
    press(&mut app, "Down");
    retype(&mut app, "-24");
    assert_eq!(app.song.master.compressor.threshold_db, -24.0);
    // Width, and the mono-bass crossover from off.
    press(&mut app, "PgDn Down ]");
    assert_eq!(app.song.master.width.width_percent, 110.0);
    press(&mut app, "Down =");
    assert_eq!(app.song.master.width.mono_below_hz, 20.0);
    retype(&mut app, "120");
    assert_eq!(app.song.master.width.mono_below_hz, 120.0);
    // The limiter: ceiling down, a bad value refused with its range, release reset.
    press(&mut app, "PgDn Down -");
    assert_eq!(app.song.master.ceiling_db, -1.1);
    retype(&mut app, "3");
    let message = app.message.clone().unwrap();
    assert!(
        message.error && message.text.contains("allowed -24 to 0 dBTP"),
        "{message:?}"
    );
    press(&mut app, "Down [");
    assert_eq!(app.song.master.limiter.release_ms, 40.0);
    press(&mut app, "DC");
    assert_eq!(app.song.master.limiter.release_ms, 80.0);
    // A preset sets target and ceiling; the target then moves on its own.
    press(&mut app, "PgDn =");
    assert_eq!(
        (app.song.master.target_lufs, app.song.master.ceiling_db),
        (Some(-14.0), -1.0),
        "streaming"
    );
    press(&mut app, "Down -");
    assert_eq!(app.song.master.target_lufs, Some(-14.5));
    retype(&mut app, "off");
    assert_eq!(app.song.master.target_lufs, None);
    assert!(app.song.problems().is_empty());
    // Every change was one undo step, back to where it was made.
    assert_eq!(app.undo_len(), 18);
    let target_setting = app.master_param;
    press(&mut app, "Home F2 C-z");
    assert_eq!(app.view, View::Master, "undo goes back to the Master view");
    assert_eq!(app.master_param, target_setting, "and to the setting");
    assert_eq!(app.song.master.target_lufs, Some(-14.5));
    while app.undo_len() > 0 {
        press(&mut app, "C-z");
    }
    assert_eq!(app.song, original);
}

/// Fixed meter readings, so the screens do not depend on the engine's sound.
fn master_levels() -> super::meter::MasterLevels {
    super::meter::MasterLevels {
        loudness: crate::dsp::meter::MeterReading {
            momentary_lufs: -12.4,
            short_term_lufs: -13.1,
            integrated_lufs: -14.2,
            true_peak_dbtp: -3.5,
            max_true_peak_dbtp: -1.2,
            correlation: 0.62,
        },
        reduction_db: [2.5, 1.0],
    }
}

#[test]
fn master_screens() {
    for (width, height) in [(80, 24), (160, 50)] {
        let mut app = demo_app(width, height);
        press(&mut app, "F10 PgDn Down Down ] PgDn PgDn PgDn Down -");
        app.message = None;
        let text = screen(&app, width, height);
        for expected in [
            "momentary",
            "correlation",
            "-1.1dBTP",
            "+3.0dB",
            "limiter GR",
        ] {
            assert!(text.contains(expected), "{expected}:\n{text}");
        }
        assert!(text.contains("no render yet"), "{text}");
        insta::assert_snapshot!(format!("master_{width}x{height}"), text);

        app.master_levels = Some(master_levels());
        app.audio.playing = true;
        let text = screen(&app, width, height);
        for expected in ["-14.2 LUFS", "-12.4 LUFS", "-1.2 dBTP", "+0.62", "2.5 dB"] {
            assert!(text.contains(expected), "{expected}:\n{text}");
        }
        insta::assert_snapshot!(format!("master_playing_{width}x{height}"), text);
    }
}

#[test]
fn master_meters_show_what_the_engine_measured() {
    let mut app = demo_app(80, 24);
    press(&mut app, "F10");
    let samples = crate::song::SampleBank::load(&app.song, &app.path).unwrap();
    let mut engine = crate::engine::Engine::new(&app.song, &samples, 48_000);
    let mut block = vec![0.0f32; 2 * 4_800];
    for _ in 0..20 {
        engine.process(&mut block);
    }
    let reading = engine.meter();
    assert!(reading.integrated_lufs > -40.0, "{reading:?}");
    let (compressor, limiter) = engine.master_reduction_db();
    app.master_levels = Some(super::meter::MasterLevels {
        loudness: reading,
        reduction_db: [compressor, limiter],
    });
    let text = screen(&app, 80, 24);
    let integrated = format!("{:.1} LUFS", reading.integrated_lufs);
    let true_peak = format!("{:.1} dBTP", reading.max_true_peak_dbtp);
    assert!(text.contains(&integrated), "{integrated}\n{text}");
    assert!(text.contains(&true_peak), "{true_peak}\n{text}");
    assert!(text.contains("(last playback)"), "{text}");
    // The integrated bar is filled up to its level: a -60..0 scale over its columns.
    let row = text.lines().find(|l| l.contains("integrated")).unwrap();
    let filled = row.chars().filter(|&c| c == '█').count();
    assert!(filled > 0, "{row}");
}

#[test]
fn rendering_with_a_preset_from_the_master_view_shows_its_report() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.json");
    let mut song = starter();
    song.patterns[0].set_length(16);
    song.render.tail = 0.2;
    // A lead held through the pattern: steady material a loudness target can reach.
    let lead = song
        .instruments
        .iter()
        .position(|i| i.name == "Lead")
        .expect("the starter has a lead");
    let channel = song.patterns[0].channels() - 1;
    for row in [0, 4, 8, 12] {
        *song.patterns[0].cell_mut(row, channel) =
            format!("A-4 {:02} 40", lead + 1).parse().unwrap();
    }
    crate::song::save(&song, &path).unwrap();
    let mut app = App::new(song.clone(), path.clone());
    press(&mut app, "F10 p p P");
    assert_eq!(app.render_preset, Some(crate::song::Preset::Streaming));
    press(&mut app, "r");
    match &app.mode {
        Mode::Prompt(p) => assert!(p.text.ends_with("r-streaming.wav"), "{p:?}"),
        other => panic!("{other:?}"),
    }
    press(&mut app, "Enter");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while app.render_job.is_some() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(10));
        app.tick();
    }
    let report = app.last_render.clone().expect("the render finished");
    assert_eq!(report.target_lufs, Some(-14.0));
    assert_eq!(report.ceiling_dbtp, -1.0);
    assert!(
        (report.loudness_lufs + 14.0).abs() < 0.5,
        "{} LUFS",
        report.loudness_lufs
    );
    assert!(dir.path().join("r-streaming.wav").exists());
    assert_eq!(
        app.song.master, song.master,
        "the preset is for the render: the song keeps its own"
    );
    let text = screen(&app, 80, 24);
    let integrated = format!("{:.1} LUFS", report.loudness_lufs);
    assert!(text.contains("r-streaming.wav"), "{text}");
    assert!(text.contains(&integrated), "{integrated}\n{text}");
    assert!(text.contains("(target -14.0)"), "{text}");
    let sample_peak = format!("sample peak {:.1} dBFS", report.peak_dbfs);
    assert!(text.contains(&sample_peak), "{sample_peak}\n{text}");
}

#[test]
fn play_keys_ask_the_player_and_start_where_the_cursor_is() {
    use super::app::PlayRequest;
    use super::playback::start_for;
    use crate::engine::Start;
    let mut app = app();
    press(&mut app, "Space");
    assert_eq!(app.play_request, None, "no output: nothing asked");
    app.audio.available = true;
    press(&mut app, "PgDn Down Space");
    assert_eq!(app.play_request, Some(PlayRequest::FromCursor));
    assert_eq!(
        start_for(&app, PlayRequest::FromCursor),
        Start::Song { entry: 0, row: 17 }
    );
    app.audio.playing = true;
    press(&mut app, "Space");
    assert_eq!(app.play_request, Some(PlayRequest::Stop));
    press(&mut app, "F7");
    assert_eq!(app.play_request, Some(PlayRequest::LoopPattern));
    press(&mut app, "F6");
    assert_eq!(app.play_request, Some(PlayRequest::FromStart));
    // A pattern the arrangement does not play loops from the cursor.
    press(&mut app, "C-n Enter");
    assert_eq!(
        start_for(&app, PlayRequest::FromCursor),
        Start::LoopPattern {
            pattern: 1,
            row: 17
        }
    );
}

/// Runs one `:` command line.
fn command(app: &mut App, line: &str) {
    press(app, ":");
    type_text(app, line);
    press(app, "Enter");
}

#[test]
fn scale_lock_snaps_entered_notes_into_the_key() {
    let mut app = app();
    // The starter is in A minor: C# (key `s`) is not in it.
    press(&mut app, "s");
    assert_eq!(&cell(&app, 0, 0)[..3], "C#4");
    command(&mut app, "lock");
    assert!(app.scale_lock);
    press(&mut app, "s");
    assert_eq!(&cell(&app, 1, 0)[..3], "C-4", "C# snaps down to C");
    press(&mut app, "g");
    assert_eq!(&cell(&app, 2, 0)[..3], "F-4", "F# snaps down to F");
    command(&mut app, "lock");
    assert!(!app.scale_lock);
}

#[test]
fn a_chord_is_written_across_channels_and_undone_in_one_step() {
    let mut app = app();
    let before = app.song.clone();
    // A-3 under the cursor on channel 6 (the bass), then a 7th chord on it.
    press(&mut app, "Tab Tab Tab Tab Tab");
    command(&mut app, "oct 3");
    press(&mut app, "n Up");
    command(&mut app, "chord 7th");
    let row: Vec<String> = (5..9).map(|c| cell(&app, 0, c)[..3].to_owned()).collect();
    assert_eq!(row, ["A-3", "C-4", "E-4", "G-4"]);
    command(&mut app, "chord triad 1");
    let row: Vec<String> = (5..8).map(|c| cell(&app, 0, c)[..3].to_owned()).collect();
    assert_eq!(row, ["C-4", "E-4", "A-4"], "first inversion");
    press(&mut app, "C-z C-z C-z");
    assert_eq!(app.song, before);
    // Off a note, or with too few channels, it says why and writes nothing.
    press(&mut app, "Down");
    command(&mut app, "chord");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("put the cursor on a note")
    );
    command(&mut app, "chord blah");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("not a chord shape")
    );
}

#[test]
fn a_progression_fills_the_pattern_and_the_song_moves_key() {
    let mut app = app();
    press(&mut app, "Tab Tab Tab Tab Tab Tab");
    command(&mut app, "oct 3");
    command(&mut app, "prog i-VI-III-VII x.......-.......");
    let chord_at = |app: &App, row: usize| -> Vec<String> {
        (6..9).map(|c| cell(app, row, c)[..3].to_owned()).collect()
    };
    assert_eq!(chord_at(&app, 0), ["A-3", "C-4", "E-4"]);
    assert_eq!(chord_at(&app, 8), ["OFF", "OFF", "OFF"]);
    assert_eq!(chord_at(&app, 16), ["F-4", "A-4", "C-5"]);
    assert_eq!(chord_at(&app, 48), ["G-4", "B-4", "D-5"]);
    assert_eq!(
        chord_at(&app, 64),
        chord_at(&app, 0),
        "the progression repeats"
    );
    command(&mut app, "rekey C major");
    assert_eq!(app.song.key.to_string(), "C major");
    assert_eq!(
        chord_at(&app, 0),
        ["C-4", "E-4", "G-4"],
        "degree for degree"
    );
    press(&mut app, "C-z");
    assert_eq!(app.song.key.to_string(), "A minor");
    assert_eq!(chord_at(&app, 0), ["A-3", "C-4", "E-4"]);
    command(&mut app, "prog vi-IV-I-X");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("\"X\" is not a chord")
    );
}

// ----- chord entry -----

/// The pitch `degree` scale steps above C-4 in C `scale`, counted the long way (octaves
/// of the scale's own length), independently of `theory`.
fn c_scale_pitch(scale: crate::song::Scale, degree: usize) -> String {
    let steps = scale.intervals();
    let semitones = 48 + 12 * (degree / steps.len()) as u8 + steps[degree % steps.len()];
    crate::song::Pitch::new(semitones).unwrap().to_string()
}

/// The notes (pitch only) of `count` channels from `channel` on `row`.
fn chord_row(app: &App, row: usize, channel: usize, count: usize) -> Vec<String> {
    (channel..channel + count)
        .map(|c| cell(app, row, c)[..3].to_owned())
        .collect()
}

#[test]
fn chord_entry_writes_each_shape_on_the_entered_degree_in_every_scale() {
    use crate::song::Scale;
    use crate::song::theory::ChordShape;
    let shapes: [(&str, ChordShape, &[usize]); 5] = [
        ("M-1", ChordShape::Triad, &[0, 2, 4]),
        ("M-2", ChordShape::Seventh, &[0, 2, 4, 6]),
        ("M-3", ChordShape::Sus2, &[0, 1, 4]),
        ("M-4", ChordShape::Sus4, &[0, 3, 4]),
        ("M-5", ChordShape::Add9, &[0, 2, 4, 8]),
    ];
    for scale in Scale::ALL {
        for (key, shape, stack) in shapes {
            let mut app = app();
            command(&mut app, &format!("key C {}", scale.name()));
            press(&mut app, key);
            assert_eq!(app.chord_entry.shape, shape);
            assert!(screen(&app, 80, 24).contains(&format!("CHORD {}", shape.name())));
            // On the root (z = C), then on the second degree (the piano key of its
            // interval), one row below.
            let second = keymap::PIANO
                .iter()
                .find(|&&(_, s)| s == scale.intervals()[1])
                .unwrap()
                .0;
            press(&mut app, &format!("z {second}"));
            for (row, degree) in [(0, 0), (1, 1)] {
                let expected: Vec<String> = stack
                    .iter()
                    .map(|d| c_scale_pitch(scale, degree + d))
                    .collect();
                assert_eq!(
                    chord_row(&app, row, 0, stack.len()),
                    expected,
                    "{} on degree {degree} in C {}",
                    shape.name(),
                    scale.name()
                );
            }
            assert_eq!(app.cursor.row, 2, "the cursor moves on by the edit step");
            assert!(app.pattern().cell(0, 0).instrument.is_some());
        }
    }
}

#[test]
fn chord_entry_inversions_and_undo() {
    let mut app = app();
    command(&mut app, "key C major");
    let before = app.song.clone();
    // A 7th on C, then its 1st, 2nd and 3rd inversions on the next rows.
    press(&mut app, "M-2 z M-0 z M-0 z M-0 z");
    assert_eq!(chord_row(&app, 0, 0, 4), ["C-4", "E-4", "G-4", "B-4"]);
    assert_eq!(chord_row(&app, 1, 0, 4), ["E-4", "G-4", "B-4", "C-5"]);
    assert_eq!(chord_row(&app, 2, 0, 4), ["G-4", "B-4", "C-5", "E-5"]);
    assert_eq!(chord_row(&app, 3, 0, 4), ["B-4", "C-5", "E-5", "G-5"]);
    assert!(screen(&app, 80, 24).contains("CHORD 7th inv 3"));
    // Past the last inversion comes root position again; a triad keeps fewer.
    press(&mut app, "M-0");
    assert_eq!(app.chord_entry.inversion, 0);
    press(&mut app, "M-0 M-0 M-0 M-1");
    assert_eq!(app.chord_entry.inversion, 2, "a triad has two inversions");
    press(&mut app, "x");
    assert_eq!(
        chord_row(&app, 4, 0, 3),
        ["A-4", "D-5", "F-5"],
        "Dm, 2nd inversion"
    );
    // Each chord is one undo step.
    press(&mut app, "C-z C-z C-z C-z C-z");
    assert_eq!(app.song.patterns, before.patterns);
    // Off again: a piano key writes one note; the status line no longer shows it.
    press(&mut app, "M-c");
    assert!(!app.chord_entry.on);
    assert!(!screen(&app, 80, 24).contains("CHORD"));
    press(&mut app, "c");
    assert_eq!(&cell(&app, 0, 0)[..3], "E-4");
    assert!(app.pattern().cell(0, 1).is_empty());
    // Too few channels to the right: said, nothing written.
    press(&mut app, "M-c End End Home M-2");
    let channels = app.pattern().channels();
    assert_eq!(app.cursor.channel, channels - 1);
    let song = app.song.clone();
    press(&mut app, "z");
    assert_eq!(app.song, song);
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("needs 4 channels")
    );
}

// ----- sample editor -----

/// A song in a temporary folder with a sampler on `take.wav`: half a second of quiet
/// noise with hits at frames 2400, 9600 and 16800 (48 kHz, mono).
fn sample_app() -> (tempfile::TempDir, App, Vec<f32>) {
    use crate::song::{Instrument, SampleData, Sampler, sample_edit};
    let dir = tempfile::tempdir().unwrap();
    let mut rng = crate::dsp::rng::Rng::new(11);
    let mut take: Vec<f32> = (0..24_000).map(|_| 0.001 * rng.next_bipolar()).collect();
    for at in [2_400, 9_600, 16_800] {
        for n in 0..3_000 {
            let t = n as f32 / 48_000.0;
            take[at + n] += 0.5 * (std::f32::consts::TAU * 330.0 * t).sin() * (-t * 40.0).exp();
        }
    }
    let data = SampleData {
        sample_rate: 48_000,
        channels: vec![take.clone()],
    };
    sample_edit::write_new_wav(&dir.path().join("take.wav"), &data).unwrap();
    let mut song = starter();
    song.instruments
        .push(Instrument::sampler("Take", Sampler::new("take.wav")));
    let mut app = App::new(song, dir.path().join("song.json"));
    let last = app.song.instruments.len();
    press(&mut app, "F4");
    for _ in 1..last {
        press(&mut app, "PgDn");
    }
    (dir, app, take)
}

fn sampler_path(app: &App) -> String {
    match &app.song.instruments[app.instrument_index].source {
        crate::song::Source::Sampler(s) => s.path.clone(),
        crate::song::Source::Synth(_) => panic!("not a sampler"),
    }
}

fn read_take(dir: &Path, name: &str) -> Vec<f32> {
    let data = crate::song::load_wav(&dir.join(name)).unwrap();
    assert_eq!(data.sample_rate, 48_000);
    data.channels[0].clone()
}

#[test]
fn sample_edits_write_new_files_and_undo_back_to_the_take() {
    let (dir, mut app, take) = sample_app();
    let original = std::fs::read(dir.path().join("take.wav")).unwrap();
    let before = app.song.clone();
    press(&mut app, "e");
    assert!(app.sample_editor.is_some());
    // 80 columns: 156 waveform columns over 24000 frames, 153 frames a step.
    press(&mut app, "Right Right Tab Left");
    assert_eq!(app.sample_editor.as_ref().unwrap().selection, 306..23_847);
    press(&mut app, "t");
    assert_eq!(sampler_path(&app), "take-trim.wav");
    assert_eq!(read_take(dir.path(), "take-trim.wav"), take[306..23_847]);
    assert_eq!(
        app.sample_editor.as_ref().unwrap().selection,
        0..23_541,
        "the trimmed sample is all selected"
    );

    press(&mut app, "r");
    assert_eq!(sampler_path(&app), "take-reverse.wav");
    let mut reversed = take[306..23_847].to_vec();
    reversed.reverse();
    assert_eq!(read_take(dir.path(), "take-reverse.wav"), reversed);

    press(&mut app, "n");
    press(&mut app, "BSpace BSpace BSpace BSpace");
    type_text(&mut app, "-3");
    press(&mut app, "Enter");
    assert_eq!(sampler_path(&app), "take-normalise.wav");
    let normalised = read_take(dir.path(), "take-normalise.wav");
    let peak = normalised.iter().fold(0.0f32, |m, s| m.max(s.abs()));
    let peak_db = crate::dsp::util::gain_to_db(peak);
    assert!((peak_db + 3.0).abs() < 0.01, "peak {peak_db} dBFS");

    // A fade out over the last 10 columns' worth, linear.
    press(&mut app, "c c c c End");
    assert_eq!(
        app.sample_editor.as_ref().unwrap().curve.name(),
        "equal power"
    );
    press(&mut app, "c c c");
    assert_eq!(app.sample_editor.as_ref().unwrap().curve.name(), "linear");
    press(&mut app, "BTab End S-Left");
    let selection = app.sample_editor.as_ref().unwrap().selection.clone();
    assert_eq!(
        selection,
        22_040..23_541,
        "End, then back ten columns of 150"
    );
    press(&mut app, "o");
    let faded = read_take(dir.path(), "take-fadeout.wav");
    assert_eq!(faded[..selection.start], normalised[..selection.start]);
    assert_eq!(*faded.last().unwrap(), 0.0);
    let mid = selection.start + 750;
    let expected = normalised[mid] * (1.0 - 750.0 / 1500.0);
    assert!((faded[mid] - expected).abs() < 1e-6);

    // Every edit undoes back to the take, whose file is untouched.
    press(&mut app, "C-z C-z C-z C-z");
    assert_eq!(app.song, before);
    assert_eq!(sampler_path(&app), "take.wav");
    assert_eq!(
        std::fs::read(dir.path().join("take.wav")).unwrap(),
        original
    );
    press(&mut app, "C-y");
    assert_eq!(sampler_path(&app), "take-trim.wav");
    // Each edit made a new file; none was written twice.
    let mut files: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    assert_eq!(
        files,
        [
            "take-fadeout.wav",
            "take-normalise.wav",
            "take-reverse.wav",
            "take-trim.wav",
            "take.wav"
        ]
    );
}

#[test]
fn slicing_makes_new_instruments_equal_or_at_the_hits() {
    let (dir, mut app, take) = sample_app();
    let count = app.song.instruments.len();
    press(&mut app, "e s BSpace");
    type_text(&mut app, "4");
    press(&mut app, "Enter");
    assert_eq!(app.song.instruments.len(), count + 4);
    let mut joined = Vec::new();
    for i in 0..4 {
        let inst = &app.song.instruments[count + i];
        assert_eq!(inst.name, format!("Take {}", i + 1));
        let crate::song::Source::Sampler(s) = &inst.source else {
            panic!("a sampler")
        };
        joined.extend(read_take(dir.path(), &s.path));
    }
    assert_eq!(joined, take, "the slices cover the take exactly");
    press(&mut app, "C-z");
    assert_eq!(app.song.instruments.len(), count, "one undo step");

    press(&mut app, "S");
    press(&mut app, "BSpace BSpace BSpace");
    type_text(&mut app, "12");
    press(&mut app, "Enter");
    assert_eq!(app.song.instruments.len(), count + 3, "{:?}", app.message);
    for (i, hit) in [2_400usize, 9_600, 16_800].into_iter().enumerate() {
        let crate::song::Source::Sampler(s) = &app.song.instruments[count + i].source else {
            panic!("a sampler")
        };
        let slice = read_take(dir.path(), &s.path);
        // Where the slice starts in the take, found by its samples.
        let start = (0..take.len() - slice.len() + 1)
            .find(|&at| take[at..at + 64] == slice[..64])
            .unwrap();
        let ms = (start as f32 - hit as f32).abs() / 48.0;
        assert!(ms <= 2.0, "slice {i} starts {ms} ms from its hit");
    }
}

#[test]
fn loop_points_move_while_the_sample_plays_and_undo_in_one_step() {
    let (_dir, mut app, _) = sample_app();
    app.audio.available = true;
    // Snapping to zero crossings off: the points land exactly where the keys put them.
    press(&mut app, "e z Right Right Right Tab Left l");
    let looped = crate::song::SampleLoop {
        mode: crate::song::LoopMode::Forward,
        start: 459,
        end: 23_847,
    };
    let sample_loop = |app: &App| match &app.song.instruments[app.instrument_index].source {
        crate::song::Source::Sampler(s) => s.sample_loop,
        crate::song::Source::Synth(_) => None,
    };
    assert_eq!(sample_loop(&app), Some(looped));
    press(&mut app, "Space");
    let root = "C-4".parse().unwrap();
    assert_eq!(app.audition(), Some((app.instrument_index, root)));
    // Tab to the loop start, then three nudges: one undo step.
    press(&mut app, "Tab Right Right Right");
    assert_eq!(sample_loop(&app).unwrap().start, 459 + 3 * 153);
    press(&mut app, "Tab Left");
    assert_eq!(sample_loop(&app).unwrap().end, 23_847 - 153);
    press(&mut app, "C-z");
    assert_eq!(sample_loop(&app).unwrap().end, 23_847);
    assert_eq!(sample_loop(&app).unwrap().start, 459 + 3 * 153);
    press(&mut app, "C-z");
    assert_eq!(sample_loop(&app), Some(looped));
    let text = screen(&app, 80, 24);
    assert!(text.contains("▶ sel 0.010-0.497 s"), "{text}");
    assert!(text.contains("loop fwd 459-23847  [loop end]"), "{text}");
    insta::assert_snapshot!("sample_editor_80x24", text);
    press(&mut app, "Esc");
    assert!(app.sample_editor.is_none());
    assert_eq!(app.audition(), None, "closing stops the sample");
    // On a synth there is no sample to edit.
    press(&mut app, "PgUp e");
    assert!(app.sample_editor.is_none());
    assert!(app.message.as_ref().unwrap().error);
}

#[test]
fn moved_loop_points_snap_to_rising_zero_crossings() {
    let (_dir, mut app, take) = sample_app();
    press(&mut app, "e l Tab Tab Right Right Tab Left Left");
    let crate::song::Source::Sampler(s) = &app.song.instruments[app.instrument_index].source else {
        panic!("a sampler")
    };
    let l = s.sample_loop.unwrap();
    let (start, end) = (l.start as usize, l.end as usize);
    // Two steps of 153 frames, each snapped up to 76 frames either way.
    assert!((306 - 152..=306 + 152).contains(&start), "{start}");
    assert!((23_694 - 152..=23_694 + 152).contains(&end), "{end}");
    for at in [start, end] {
        assert!(
            take[at - 1] < 0.0 && take[at] >= 0.0,
            "{at} is no rising crossing"
        );
    }
    assert!(screen(&app, 80, 24).contains("snap on"));
}

#[test]
fn automation_lanes_are_picked_drawn_shaped_and_undone() {
    let mut app = app();
    // Pick the cursor channel's fader: a lane appears with the fader's own value.
    command(&mut app, "lane gain_db");
    let lane = app.shown_lane().unwrap().clone();
    assert_eq!(lane.target.to_string(), "ch1.gain_db");
    assert_eq!(lane.points.len(), 1);
    // A point typed at the cursor row, with a curve.
    press(&mut app, "Down Down Down Down");
    command(&mut app, "pt -12 exp");
    let points: Vec<String> = app
        .shown_lane()
        .unwrap()
        .points
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(points[1], "4 -12 exp");
    command(&mut app, "pt 99");
    assert!(app.message.as_ref().unwrap().error, "out of range");
    // A ramp over a selection of rows 8 to 12: a point on every row, evenly spaced.
    press(&mut app, "Down Down Down Down S-Down S-Down S-Down S-Down");
    command(&mut app, "shape ramp -20 0");
    let lane = app.shown_lane().unwrap();
    let ramp: Vec<f32> = (8..=12).map(|r| lane.value_at(r as f64).unwrap()).collect();
    assert_eq!(ramp, [-20.0, -15.0, -10.0, -5.0, 0.0]);
    assert_eq!(lane.points.len(), 7);
    // Sine, triangle and random shapes stay in range and are undone one by one.
    command(&mut app, "shape sine -30 6");
    command(&mut app, "shape triangle");
    command(&mut app, "shape random -40 0");
    let lane = app.shown_lane().unwrap();
    assert!(lane.points.iter().all(|p| (-40.0..=0.0).contains(&p.value)));
    assert!(app.song.problems().is_empty());
    press(&mut app, "C-z C-z C-z");
    let lane = app.shown_lane().unwrap();
    let ramp: Vec<f32> = (8..=12).map(|r| lane.value_at(r as f64).unwrap()).collect();
    assert_eq!(ramp, [-20.0, -15.0, -10.0, -5.0, 0.0]);
    // The lane is beside the grid: the header names it, the rows show its values.
    let text = screen(&app, 80, 24);
    assert!(text.contains("ch1.gain_db"), "{text}");
    assert!(text.contains("-10.00•"), "{text}");
    // Copied with the notes (rows 8-12, a note on row 8), pasted at row 40: the points
    // come along, and one undo takes both back.
    press(&mut app, "Esc Home Home");
    command(&mut app, "row 8");
    press(&mut app, "z Up S-Down S-Down S-Down S-Down C-c Esc");
    command(&mut app, "row 40");
    press(&mut app, "C-v");
    let lane = app.shown_lane().unwrap();
    let pasted: Vec<f32> = (40..=44)
        .map(|r| lane.value_at(r as f64).unwrap())
        .collect();
    assert_eq!(pasted, [-20.0, -15.0, -10.0, -5.0, 0.0]);
    assert_eq!(cell(&app, 40, 0), cell(&app, 8, 0));
    assert!(cell(&app, 40, 0).starts_with("C-4"));
    press(&mut app, "C-z");
    assert_eq!(app.shown_lane().unwrap().points.len(), 7);
    assert!(cell(&app, 40, 0).starts_with("---"));
    // An instrument parameter by its short name, then removed and undone.
    command(&mut app, "lane filter.cutoff");
    assert_eq!(
        app.shown_lane().unwrap().target.to_string(),
        format!("inst{:02X}.filter.cutoff", app.instrument)
    );
    command(&mut app, "unlane");
    assert!(app.shown_lane().is_none());
    assert_eq!(app.pattern().automation.len(), 1);
    command(&mut app, "lane nonsense");
    assert!(
        app.message
            .as_ref()
            .unwrap()
            .text
            .contains("is not a parameter")
    );
    command(&mut app, "lane");
    assert!(app.message.as_ref().unwrap().text.contains("ch1.gain_db"));
}

#[test]
fn parameter_commands_are_typed_in_the_effect_column() {
    let mut app = app();
    // To the effect column's first digit of channel 1, then S 4 1, Z 8 0 on the next row.
    press(&mut app, "Right Right Right Right Right");
    assert_eq!(app.cursor.column, Column::Effect(0));
    press(&mut app, "s 4 1 z 8 0 w f f");
    assert_eq!(cell(&app, 0, 0), "--- .. .. S41");
    assert_eq!(cell(&app, 1, 0), "--- .. .. Z80");
    assert_eq!(cell(&app, 2, 0), "--- .. .. WFF");
    // Elsewhere the letter is what it always was (a note in the note column).
    press(&mut app, "Home Home Down Down Down s");
    assert_eq!(cell(&app, 3, 0).get(..3), Some("C#4"));
}

#[test]
fn a_parameter_is_picked_from_the_channel_list_filtered_by_typing() {
    let mut app = app();
    // Channel 10 plays the lead (instrument 08): its list holds that instrument's synth
    // parameters, the channel's strip, the buses and the master, and nothing else.
    press(&mut app, "BTab - z Up M-a");
    let Mode::Pick(list) = &app.mode else {
        panic!("Alt+A opens the list");
    };
    let names: Vec<String> = list.targets.iter().map(|t| t.to_string()).collect();
    assert!(
        names.contains(&"inst08.filter.cutoff".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"ch10.pan".to_owned()));
    assert!(names.contains(&"reverb.mix".to_owned()));
    assert!(names.contains(&"master.gain_db".to_owned()));
    assert!(
        names
            .iter()
            .all(|n| !n.starts_with("inst01") && !n.starts_with("ch1.")),
        "only this channel's own parameters: {names:?}"
    );
    assert!(
        !names.contains(&"inst08.start".to_owned()),
        "a synth has no sample start"
    );
    let text = screen(&app, 80, 24);
    insta::assert_snapshot!("param_list_80x24", text);
    // Typing filters; Down moves; Esc leaves everything as it was.
    type_text(&mut app, "eq gain");
    let Mode::Pick(list) = &app.mode else {
        panic!("still open");
    };
    let matches: Vec<String> = list.matches().iter().map(|t| t.to_string()).collect();
    assert_eq!(
        matches,
        [
            "ch10.eq.low.gain_db",
            "ch10.eq.mid1.gain_db",
            "ch10.eq.mid2.gain_db",
            "ch10.eq.high.gain_db",
            "master.eq.low.gain_db",
            "master.eq.mid1.gain_db",
            "master.eq.mid2.gain_db",
            "master.eq.high.gain_db",
        ]
    );
    press(&mut app, "Esc");
    assert_eq!(app.mode, Mode::Normal);
    assert!(app.pattern().automation.is_empty());
    // Picked with Enter: the lane is made with the parameter's value and the cursor is in it.
    press(&mut app, "M-a");
    type_text(&mut app, "cutoff");
    press(&mut app, "Enter");
    let lane = app.shown_lane().expect("a lane is shown");
    assert_eq!(lane.target.to_string(), "inst08.filter.cutoff");
    assert_eq!(
        lane.points[0].value,
        lane.target.value(&app.song).unwrap(),
        "it starts at the set value"
    );
    assert_eq!(app.cursor.column, Column::Lane);
    assert_eq!(app.undo_len(), 2, "the note and the new lane");
    // A filter nothing matches picks nothing.
    press(&mut app, "M-a");
    type_text(&mut app, "nonsense");
    press(&mut app, "Enter");
    assert!(app.message.as_ref().unwrap().error);
    assert_eq!(app.pattern().automation.len(), 1);
}

/// The values of the shown lane at `rows`.
fn lane_values(app: &App, rows: std::ops::RangeInclusive<usize>) -> Vec<f32> {
    let lane = app.shown_lane().unwrap();
    rows.map(|r| lane.value_at(r as f64).unwrap()).collect()
}

#[test]
fn lane_points_are_drawn_with_single_keys() {
    let mut app = app();
    command(&mut app, "lane filter.cutoff");
    press(&mut app, "\\");
    assert_eq!(app.cursor.column, Column::Lane);
    // Typed values: a point at the cursor row, then on by the edit step.
    press(&mut app, "Down Down Down Down");
    type_text(&mut app, "2000");
    press(&mut app, "Enter");
    assert_eq!(app.cursor.row, 5);
    let lane = app.shown_lane().unwrap();
    assert_eq!(lane.points.last().unwrap().to_string(), "4 2000");
    press(&mut app, "- 5");
    press(&mut app, "Enter");
    assert!(app.message.as_ref().unwrap().error, "-5 Hz is out of range");
    // Nudges move by shares of the range in the parameter's scale (octaves for Hz).
    press(&mut app, "Up M-Up");
    let fine = app.shown_lane().unwrap().value_at(4.0).unwrap();
    let info = app.shown_lane().unwrap().target.info();
    assert!((fine - info.denormalise(info.normalise(2000.0) + 0.01)).abs() < 1.0);
    press(&mut app, "M-PgDn M-PgDn");
    let coarse = app.shown_lane().unwrap().value_at(4.0).unwrap();
    assert!((coarse - info.denormalise(info.normalise(fine) - 0.2)).abs() < 1.0);
    assert_eq!(app.shown_lane().unwrap().points.len(), 2, "nudges replace");
    // Delete takes the point away; the last point stays (the lane needs one).
    press(&mut app, ".");
    assert_eq!(app.shown_lane().unwrap().points.len(), 1);
    press(&mut app, "Home .");
    assert!(app.message.as_ref().unwrap().error);
    assert_eq!(app.shown_lane().unwrap().points.len(), 1);
    // A ramp up over rows 8-16 where the lane is flat: the parameter's whole range.
    command(&mut app, "row 8");
    press(
        &mut app,
        "S-Down S-Down S-Down S-Down S-Down S-Down S-Down S-Down u",
    );
    let ramp = lane_values(&app, 8..=16);
    assert_eq!((ramp[0], ramp[8]), (20.0, 20_000.0));
    assert!(ramp.windows(2).all(|w| w[1] > w[0]));
    // Down, sine, triangle: between the values now at the ends.
    press(&mut app, "d");
    let down = lane_values(&app, 8..=16);
    assert_eq!((down[0], down[8]), (20_000.0, 20.0));
    press(&mut app, "u s");
    let sine = lane_values(&app, 8..=16);
    assert_eq!((sine[0], sine[4], sine[8]), (20.0, 20_000.0, 20.0));
    press(&mut app, "t");
    let triangle = lane_values(&app, 8..=16);
    assert_eq!(triangle[2], 632.5, "a quarter of the way up, in octaves");
    press(&mut app, "r");
    assert!(
        lane_values(&app, 8..=16)
            .iter()
            .all(|v| (20.0..=20_000.0).contains(v))
    );
    // Interpolation: the ends typed, Alt+I fills the rows between, evenly in octaves.
    press(&mut app, "Esc");
    command(&mut app, "row 8");
    type_text(&mut app, "100");
    press(&mut app, "Enter");
    command(&mut app, "row 16");
    type_text(&mut app, "1600");
    press(&mut app, "Enter");
    command(&mut app, "row 8");
    press(
        &mut app,
        "S-Down S-Down S-Down S-Down S-Down S-Down S-Down S-Down M-i",
    );
    assert_eq!(
        lane_values(&app, 8..=16),
        [
            100.0, 141.4, 200.0, 282.8, 400.0, 565.7, 800.0, 1131.0, 1600.0
        ]
    );
    // The segment's curve cycles: lin, exp, smooth, step, and the column marks it.
    press(&mut app, "Esc");
    command(&mut app, "row 10");
    press(&mut app, "c");
    assert_eq!(
        app.shown_lane().unwrap().points[3].to_string(),
        "10 200 exp"
    );
    press(&mut app, "c c");
    assert!(app.message.as_ref().unwrap().text.contains("step"));
    let lane = app.shown_lane().unwrap();
    assert_eq!(
        lane.value_at(10.9),
        Some(200.0),
        "a step holds to the next point"
    );
    let text = screen(&app, 80, 24);
    assert!(text.contains(" 200.0s▃▃"), "{text}");
    // Every key edit is one undo step: back to the interpolated line.
    press(&mut app, "C-z C-z C-z");
    assert_eq!(lane_values(&app, 10..=12), [200.0, 282.8, 400.0]);
    // Left goes back to the grid, Right from the last channel into the lane again.
    press(&mut app, "Left");
    assert_eq!(app.cursor.column, Column::Effect(2));
    press(
        &mut app,
        "BTab Right Right Right Right Right Right Right Right",
    );
    assert_eq!(app.cursor.column, Column::Lane);
    // Cut takes the points in the block's rows along, paste puts them back; one undo each.
    command(&mut app, "row 12");
    press(&mut app, "S-Down S-Down C-x");
    let lane = app.shown_lane().unwrap();
    assert!(lane.points.iter().all(|p| !(12.0..15.0).contains(&p.row)));
    command(&mut app, "row 40");
    press(&mut app, "C-v");
    assert_eq!(lane_values(&app, 40..=42), [400.0, 565.7, 800.0]);
    press(&mut app, "C-z C-z");
    assert_eq!(lane_values(&app, 12..=14), [400.0, 565.7, 800.0]);
    // Help lists the lane column's keys.
    let help = help::entries("lane column");
    assert!(
        help.iter()
            .any(|e| e.keys == "c" && e.description.contains("curve"))
    );
    assert!(
        help.iter()
            .any(|e| e.keys == "u" && e.description.contains("ramp up"))
    );
    // With edit mode off, keys in the lane change nothing.
    let before = app.pattern().automation.clone();
    press(&mut app, "C-e u 5 Enter");
    assert_eq!(app.pattern().automation, before);
}
