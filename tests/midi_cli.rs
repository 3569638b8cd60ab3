//! `export-midi` and `import-midi` through the real binary: a demo song survives the round
//! trip note for note (on the grid), and bad input is refused with a clear message.

use std::path::{Path, PathBuf};
use tracksmith::render::midi::{NoteSpan, song_notes};
use tracksmith::song;

mod common;

use common::tracksmith;

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("songs")
        .join(name)
}

/// Each note as the grid can hold it: (key, start row, end row, volume), sorted.
fn on_the_grid(notes: &[NoteSpan]) -> Vec<(u8, i64, i64, u8)> {
    let mut v: Vec<_> = notes
        .iter()
        .map(|n| {
            let start = n.start.round() as i64;
            (
                n.key,
                start,
                (n.end.round() as i64).max(start + 1),
                n.volume,
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn every_demo_song_survives_a_midi_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["house.json", "techno.json", "futurebass.json"] {
        let mid = dir.path().join(name.replace(".json", ".mid"));
        let back = dir.path().join(name.replace(".json", "-back.json"));
        let o = tracksmith(&[
            "export-midi",
            demo(name).to_str().unwrap(),
            "-o",
            mid.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let o = tracksmith(&[
            "import-midi",
            mid.to_str().unwrap(),
            "-o",
            back.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

        let original = song::load(&demo(name)).unwrap();
        let imported = song::load(&back).unwrap();
        let (ours, _, _) = song_notes(&original);
        let (theirs, tempos, _) = song_notes(&imported);
        assert!(ours.len() > 100, "{name}: a demo song has many notes");
        assert_eq!(on_the_grid(&theirs), on_the_grid(&ours), "{name}");
        assert!((tempos[0].bpm - f64::from(original.tempo)).abs() < 0.01);
        assert_eq!(imported.beats_per_bar, original.beats_per_bar);
        assert_eq!(imported.key, original.key);
    }

    // An imported song is a song like any other: it renders.
    {
        let back = dir.path().join("house-back.json");
        let wav = dir.path().join("house-back.wav");
        let o = tracksmith(&[
            "render",
            back.to_str().unwrap(),
            "-o",
            wav.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
}

#[test]
fn bad_midi_input_is_refused_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let junk = dir.path().join("junk.mid");
    std::fs::write(&junk, b"this is not midi").unwrap();
    let out = dir.path().join("out.json");
    let o = tracksmith(&[
        "import-midi",
        junk.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("junk.mid: not a Standard MIDI File"), "{err}");
    assert!(!out.exists());

    // A good file, but the output exists: it is kept as it was.
    let mid = dir.path().join("house.mid");
    let o = tracksmith(&[
        "export-midi",
        demo("house.json").to_str().unwrap(),
        "-o",
        mid.to_str().unwrap(),
    ]);
    assert!(o.status.success());
    std::fs::write(&out, "precious").unwrap();
    let o = tracksmith(&[
        "import-midi",
        mid.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("already exists"));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious");

    // Exporting to a folder that does not exist says where.
    let o = tracksmith(&[
        "export-midi",
        demo("house.json").to_str().unwrap(),
        "-o",
        dir.path().join("no/such/dir/x.mid").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("x.mid: cannot write"));
}
