//! tracksmith: a keyboard-driven terminal tracker that takes a song from writing to mastering.
//!
//! The rooms, top to bottom (a room only uses rooms below it):
//! `ui` → `audio` → `render` → `engine` → `dsp`, with `song` as the model everyone reads.

pub mod audio;
pub mod dsp;
pub mod engine;
pub mod render;
pub mod song;
pub mod ui;
