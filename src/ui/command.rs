//! The command line (`:`), vim style: `:w`, `:q`, `:bpm 140`, `:len 64` ...

use super::app::App;
use super::song_view::Field;
use crate::song::{Key, MAX_ROWS};
use std::path::Path;

pub struct Command {
    pub name: &'static str,
    pub args: &'static str,
    pub description: &'static str,
}

const fn cmd(name: &'static str, args: &'static str, description: &'static str) -> Command {
    Command {
        name,
        args,
        description,
    }
}

pub const COMMANDS: [Command; 25] = [
    cmd("w", "[FILE]", "Save (to FILE: save as)"),
    cmd("q", "", "Quit (asks when there are unsaved changes)"),
    cmd("q!", "", "Quit without saving"),
    cmd("wq", "", "Save and quit (also :x)"),
    cmd("bpm", "N", "Tempo in beats per minute (20-999)"),
    cmd(
        "groove",
        "[pattern] NAME",
        "Groove: straight, swing 50-75, house, triplet, off; with `pattern`, this pattern's own (song: back to the song's)",
    ),
    cmd("len", "N", "Length of this pattern in rows (1-512)"),
    cmd("name", "TEXT", "Rename this pattern"),
    cmd("new", "[NAME]", "New empty pattern"),
    cmd("pat", "N", "Show pattern N"),
    cmd("key", "ROOT SCALE", "Song key, e.g. :key A minor"),
    cmd("oct", "N", "Octave for note entry (0-8)"),
    cmd("step", "N", "Edit step (0-16)"),
    cmd("ins", "HEX", "Instrument for note entry"),
    cmd("row", "N", "Go to row N"),
    cmd("channels", "N", "Channel count (1-128)"),
    cmd("render", "[FILE.wav]", "Render the song to a WAV file"),
    cmd(
        "lock",
        "",
        "Scale lock on/off: note entry snaps to the song's key",
    ),
    cmd(
        "chord",
        "[SHAPE] [INV]",
        "Chord on the note under the cursor, across the channels to its right (triad, 7th, sus2, sus4, add9; inversion 0-3)",
    ),
    cmd(
        "prog",
        "CHORDS [RHYTHM] [arp DIR ROWS]",
        "Fill the pattern from the cursor channel, a chord a bar, e.g. :prog vi-IV-I-V x...x... or :prog i-VI arp updown 2",
    ),
    cmd(
        "rekey",
        "ROOT SCALE [chromatic]",
        "Move the song to another key, note by scale degree (or by semitones)",
    ),
    cmd(
        "lane",
        "[NAME]",
        "Show (and make) this pattern's automation lane of a parameter beside the grid: pan, filter.cutoff, ch3.gain_db, master.gain_db ...; alone: hide it and list the lanes",
    ),
    cmd(
        "pt",
        "VALUE [CURVE]",
        "Lane point at the cursor row; the curve to the next point: lin, exp, smooth or step",
    ),
    cmd(
        "shape",
        "SHAPE [FROM TO]",
        "Lane points on every selected row (or the pattern): ramp, down, sine, triangle or random; ramp alone interpolates",
    ),
    cmd("unlane", "", "Remove the shown lane from this pattern"),
];

/// Runs one command line (without the `:`).
pub fn run(app: &mut App, line: &str) {
    let line = line.trim();
    let (name, arg) = line
        .split_once(' ')
        .map_or((line, ""), |(n, a)| (n, a.trim()));
    let number = |what: &str| -> Result<f64, String> {
        arg.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!(":{name} needs {what}, e.g. :{name} {}", example(name)))
    };
    let result: Result<(), String> = (|| {
        match name {
            "" => {}
            "w" => {
                if arg.is_empty() {
                    app.save();
                } else {
                    app.save_as(Path::new(arg));
                }
            }
            "q" | "quit" => app.update(super::action::Action::Quit),
            "q!" => app.quit = true,
            "wq" | "x" => {
                if app.save() {
                    app.quit = true;
                }
            }
            "bpm" | "tempo" => {
                let v = number("a tempo")?;
                if !(20.0..=999.0).contains(&v) {
                    return Err(format!("tempo {v} is out of range (allowed 20 to 999 BPM)"));
                }
                app.set_song_number(Field::Tempo, v);
            }
            "groove" => {
                if let Some(rest) = arg.strip_prefix("pattern") {
                    let rest = rest.trim();
                    let groove = if rest == "song" {
                        None
                    } else {
                        super::song_view::parse_groove(rest)?
                    };
                    app.set_pattern_groove(groove);
                } else {
                    app.set_song_groove(super::song_view::parse_groove(arg)?);
                }
            }
            "len" | "length" => {
                let v = number("a length")?;
                if v.fract() != 0.0 || !(1.0..=MAX_ROWS as f64).contains(&v) {
                    return Err(format!(
                        "length {v} is out of range (allowed 1 to {MAX_ROWS} rows)"
                    ));
                }
                app.set_pattern_length(v as usize);
            }
            "name" => app.rename_pattern(arg),
            "new" => {
                let name = if arg.is_empty() {
                    app.unique_pattern_name("Pattern")
                } else {
                    arg.to_owned()
                };
                app.new_pattern(&name);
            }
            "pat" => {
                let v = number("a pattern number")? as usize;
                if v >= app.song.patterns.len() {
                    return Err(format!(
                        "no pattern {v} (0 to {})",
                        app.song.patterns.len() - 1
                    ));
                }
                app.view = super::action::View::Pattern;
                app.show_pattern(v);
            }
            "key" => {
                let key: Key = arg.parse()?;
                app.edit_settings(|a| a.song.key = key);
            }
            "oct" => {
                let v = number("an octave")?;
                if !(0.0..=8.0).contains(&v) {
                    return Err("octave goes from 0 to 8".into());
                }
                app.octave = v as u8;
            }
            "step" => {
                let v = number("a step")?;
                if !(0.0..=16.0).contains(&v) {
                    return Err("edit step goes from 0 to 16".into());
                }
                app.edit_step = v as usize;
            }
            "ins" => {
                let v = u8::from_str_radix(arg, 16)
                    .map_err(|_| ":ins needs a hex number, e.g. :ins 01".to_owned())?;
                if v == 0 || usize::from(v) > app.song.instruments.len() {
                    return Err(format!(
                        "instrument {v:02X} does not exist (01 to {:02X})",
                        app.song.instruments.len()
                    ));
                }
                app.instrument = v;
            }
            "row" => {
                let v = number("a row")? as usize;
                if v >= app.pattern().length() {
                    return Err(format!(
                        "row {v} is past the end (0 to {})",
                        app.pattern().length() - 1
                    ));
                }
                app.cursor.row = v;
            }
            "channels" => {
                let v = number("a channel count")?;
                if !(1.0..=128.0).contains(&v) {
                    return Err("channels go from 1 to 128".into());
                }
                app.set_channel_count(v as usize);
            }
            "render" => {
                let out = if arg.is_empty() {
                    app.path.with_extension("wav").display().to_string()
                } else {
                    arg.to_owned()
                };
                app.start_render(&out);
            }
            "lock" => {
                app.scale_lock = !app.scale_lock;
                let state = if app.scale_lock { "on" } else { "off" };
                app.info(format!("scale lock {state} ({})", app.song.key));
            }
            "chord" => {
                let (shape, inversion) = super::harmony::chord_args(arg)?;
                app.write_chord(shape, inversion)?;
            }
            "prog" => app.fill_progression(arg)?,
            "lane" => app.show_lane(arg)?,
            "pt" => app.set_lane_point(arg)?,
            "shape" => app.shape_lane(arg)?,
            "unlane" => app.delete_lane()?,
            "rekey" => {
                let (key, how) = super::harmony::rekey_args(arg)?;
                app.move_to_key(key, how)?;
            }
            // Lets the tests prove that a crash restores the terminal and keeps the work.
            "debug-panic" if cfg!(debug_assertions) => panic!("panic requested with :debug-panic"),
            other => {
                return Err(format!("no command \":{other}\" (F1 lists the commands)"));
            }
        }
        Ok(())
    })();
    if let Err(e) = result {
        app.error(e);
    }
}

fn example(name: &str) -> &'static str {
    match name {
        "bpm" | "tempo" => "140",
        "len" | "length" => "64",
        "oct" => "4",
        "step" => "2",
        _ => "1",
    }
}
