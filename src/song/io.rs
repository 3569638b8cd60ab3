//! Reading and writing song files: every failure names the file and the place.

use super::{FORMAT_VERSION, Song, validate};
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SongError {
    #[error("{}: cannot read: {source}", file.display())]
    Read { file: PathBuf, source: io::Error },
    #[error("{}:{line}:{column}: {message}", file.display())]
    Syntax {
        file: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("{}:{line}:{column}: {at}: {message}", file.display())]
    Value {
        file: PathBuf,
        line: usize,
        column: usize,
        at: String,
        message: String,
    },
    #[error("{}: format {found} is not one this tracksmith reads (it reads 1 to {FORMAT_VERSION})", file.display())]
    Format { file: PathBuf, found: String },
    #[error("{}: {}", file.display(), problems.join(&format!("\n{}: ", file.display())))]
    Invalid {
        file: PathBuf,
        problems: Vec<String>,
    },
    #[error("{}: {at}: sample \"{}\": {message}", file.display(), sample.display())]
    Sample {
        file: PathBuf,
        at: String,
        sample: PathBuf,
        message: String,
    },
    #[error("{}: cannot write: {source}", file.display())]
    Write { file: PathBuf, source: io::Error },
}

/// Parses and validates a song from text; `file` is only used to name it in errors.
pub fn parse(text: &str, file: &Path) -> Result<Song, SongError> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| SongError::Syntax {
        file: file.to_owned(),
        line: e.line(),
        column: e.column(),
        message: e
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_owned(),
    })?;
    match value.get("format").and_then(|f| f.as_u64()) {
        Some(v) if (1..=u64::from(FORMAT_VERSION)).contains(&v) => {}
        Some(v) => {
            return Err(SongError::Format {
                file: file.to_owned(),
                found: v.to_string(),
            });
        }
        None => {
            return Err(SongError::Format {
                file: file.to_owned(),
                found: value
                    .get("format")
                    .map_or("(missing)".to_owned(), |f| f.to_string()),
            });
        }
    }
    let mut song: Song = from_json(text, file)?;
    let problems = validate::problems(&song);
    if !problems.is_empty() {
        return Err(SongError::Invalid {
            file: file.to_owned(),
            problems,
        });
    }
    song.fit_patterns_to_channels();
    Ok(song)
}

/// Any JSON file tracksmith reads (a song, an album, a master chain), deserialised
/// with errors that name the file, line, column and the path of the bad value.
pub fn from_json<T: serde::de::DeserializeOwned>(text: &str, file: &Path) -> Result<T, SongError> {
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        // serde_path_to_error names the document itself ".": say what that is.
        let at = match e.path().to_string() {
            root if root == "." => "the top level".to_owned(),
            path => path,
        };
        let inner = e.into_inner();
        let message = inner
            .to_string()
            .split(" at line")
            .next()
            .unwrap_or_default()
            .to_owned();
        if inner.is_syntax() || inner.is_eof() {
            SongError::Syntax {
                file: file.to_owned(),
                line: inner.line(),
                column: inner.column(),
                message,
            }
        } else {
            SongError::Value {
                file: file.to_owned(),
                line: inner.line(),
                column: inner.column(),
                at,
                message,
            }
        }
    })
}

/// Reads a whole file, naming it if it cannot be read.
pub fn read_text(path: &Path) -> Result<String, SongError> {
    fs::read_to_string(path).map_err(|source| SongError::Read {
        file: path.to_owned(),
        source,
    })
}

pub fn load(path: &Path) -> Result<Song, SongError> {
    parse(&read_text(path)?, path)
}

/// Where `save` keeps the version a save replaced.
pub fn backup_path(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(".bak");
    path.with_file_name(name)
}

/// Pretty JSON with a final newline, the form that reads best in `git diff`.
pub fn to_json(song: &Song) -> String {
    let mut text = serde_json::to_string_pretty(song).expect("a song always serialises");
    text.push('\n');
    text
}

/// Saves atomically, keeping the previous file as `<name>.bak`.
pub fn save(song: &Song, path: &Path) -> Result<(), SongError> {
    if path.exists() {
        fs::copy(path, backup_path(path)).map_err(|source| SongError::Write {
            file: backup_path(path),
            source,
        })?;
    }
    write_atomically(path, |out| out.write_all(to_json(song).as_bytes())).map_err(|source| {
        SongError::Write {
            file: path.to_owned(),
            source,
        }
    })
}

/// Writes through a temporary file beside `path`, then renames it into place, so
/// readers (and a crash) see either the old file or the whole new one, never half.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut io::BufWriter<fs::File>) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_owned(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(path.file_name().unwrap_or_default());
    tmp_name.push(format!(".{}.tmp", std::process::id()));
    let tmp = dir.join(tmp_name);
    let result = (|| {
        let mut out = io::BufWriter::new(fs::File::create(&tmp)?);
        write(&mut out)?;
        let file = out.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Ok(d) = fs::File::open(&dir) {
            // Makes the rename itself durable; some filesystems refuse, which is harmless.
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "format": 1,
  "tempo": 120,
  "instruments": [{"name": "Lead", "synth": {}}],
  "mixer": {"channels": [{"name": "A"}, {"name": "B"}]},
  "patterns": [{"name": "P", "length": 16, "rows": {"0": "C-4 01 40 ... | E-4 01"}}],
  "arrangement": [{"pattern": "P", "section": "intro", "repeat": 2}]
}"#;

    fn err(text: &str) -> String {
        parse(text, Path::new("song.json")).unwrap_err().to_string()
    }

    #[test]
    fn a_good_song_round_trips() {
        let song = parse(GOOD, Path::new("song.json")).unwrap();
        assert_eq!(song.patterns[0].channels(), 2);
        let again = parse(&to_json(&song), Path::new("song.json")).unwrap();
        assert_eq!(again, song);
        assert!(to_json(&song).contains(r#""0": "C-4 01 40 ... | E-4 01 .. ...""#));
    }

    #[test]
    fn syntax_errors_give_line_and_column() {
        let e = err("{\n  \"format\": 1,\n  \"tempo\": ,\n}");
        assert!(e.starts_with("song.json:3:"), "{e}");
    }

    #[test]
    fn wrong_types_give_the_path() {
        let e = err(&GOOD.replace("\"tempo\": 120", "\"tempo\": \"fast\""));
        assert!(e.contains("tempo: invalid type"), "{e}");
        let e = err(&GOOD.replace("E-4 01", "E-4 01 99"));
        assert!(
            e.contains("patterns[0].rows.0") && e.contains("channel 2"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"synth\": {}", "\"synth\": {\"filter\": {\"cutof\": 3}}"));
        assert!(
            e.contains("instruments[0].synth.filter.cutof") && e.contains("unknown field"),
            "{e}"
        );
        let without_patterns: Vec<&str> = GOOD
            .lines()
            .filter(|line| !line.trim_start().starts_with("\"patterns\""))
            .collect();
        let e = err(&without_patterns.join("\n"));
        assert!(e.contains("the top level: missing field `patterns`"), "{e}");
    }

    #[test]
    fn out_of_range_values_and_unknown_names_are_listed() {
        let e = err(&GOOD.replace("\"tempo\": 120", "\"tempo\": 5000"));
        assert!(
            e.contains("tempo: 5000 is out of range (allowed 20 to 999 BPM)"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"pattern\": \"P\"", "\"pattern\": \"Q\""));
        assert!(
            e.contains("arrangement[0].pattern: no pattern is named \"Q\""),
            "{e}"
        );
        let e = err(&GOOD.replace("E-4 01", "E-4 02"));
        assert!(
            e.contains("patterns[0].rows[0] channel 2: instrument 02 does not exist"),
            "{e}"
        );
        let e = err(&GOOD.replace("\"format\": 1", "\"format\": 9"));
        assert!(e.contains("format 9"), "{e}");
    }

    #[test]
    fn save_is_atomic_and_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut song = parse(GOOD, &path).unwrap();
        save(&song, &path).unwrap();
        song.title = "Second".into();
        save(&song, &path).unwrap();
        assert_eq!(load(&path).unwrap().title, "Second");
        assert_eq!(load(&backup_path(&path)).unwrap().title, "");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
    }
}
