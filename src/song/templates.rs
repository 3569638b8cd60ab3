//! Starter songs for `tracksmith new`.

use super::{Key, Song};

/// Options a user can give `tracksmith new`.
#[derive(Clone, Debug)]
pub struct StarterOptions {
    pub tempo: f32,
    pub key: Key,
    pub template: String,
}

/// The names `--template` accepts.
pub const TEMPLATES: [&str; 1] = ["basic"];

/// A song ready to play: an empty 8-bar loop with instruments set up.
pub fn starter(opts: &StarterOptions) -> Result<Song, String> {
    if !TEMPLATES.contains(&opts.template.as_str()) {
        return Err(format!(
            "no template is named \"{}\" (templates: {})",
            opts.template,
            TEMPLATES.join(", ")
        ));
    }
    let mut song = Song::new(8);
    song.tempo = opts.tempo;
    song.key = opts.key;
    Ok(song)
}
