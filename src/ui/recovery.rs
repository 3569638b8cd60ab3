//! The recovery file: the unsaved song, written every 30 s while there are unsaved
//! changes, on SIGHUP/SIGTERM and on a panic, and offered for restore at the next start.

use crate::song::{self, Song};
use std::io::Write;
use std::path::{Path, PathBuf};

/// `song.json` → `song.json.recovery`, beside it.
pub fn recovery_path(song_path: &Path) -> PathBuf {
    let mut name = song_path.file_name().unwrap_or_default().to_owned();
    name.push(".recovery");
    song_path.with_file_name(name)
}

/// Writes the recovery file atomically (a crash while writing keeps the older one).
pub fn write(song: &Song, song_path: &Path) -> std::io::Result<PathBuf> {
    let path = recovery_path(song_path);
    let json = song::to_json(song);
    song::write_atomically(&path, |out| out.write_all(json.as_bytes()))?;
    Ok(path)
}

/// A recovery file that holds something other than the saved song, if there is one.
pub fn find(song_path: &Path, saved: &Song) -> Option<Result<Song, String>> {
    let path = recovery_path(song_path);
    if !path.exists() {
        return None;
    }
    match song::load(&path) {
        Ok(recovered) if &recovered == saved => {
            let _ = std::fs::remove_file(&path);
            None
        }
        Ok(recovered) => Some(Ok(recovered)),
        Err(e) => Some(Err(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_file_equal_to_the_song_is_not_offered() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        let mut song = Song::new(2);
        write(&song, &path).unwrap();
        assert!(find(&path, &song).is_none());
        assert!(!recovery_path(&path).exists(), "a stale copy is removed");
        song.title = "changed".into();
        write(&song, &path).unwrap();
        let found = find(&path, &Song::new(2)).unwrap().unwrap();
        assert_eq!(found.title, "changed");
    }
}
