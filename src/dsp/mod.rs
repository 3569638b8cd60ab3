//! DSP building blocks. Plain structs with `reset()` and per-sample `process`; no knowledge of songs.
//! The sample rate is given to each unit when it is made, never read from a global.

pub mod biquad;
pub mod compressor;
pub mod delay;
pub mod dither;
pub mod ducker;
pub mod env;
pub mod eq;
pub mod filter;
pub mod interp;
pub mod lfo;
pub mod limiter;
pub mod meter;
pub mod onset;
pub mod osc;
pub mod pan;
pub mod reverb;
pub mod rng;
pub mod smooth;
pub mod true_peak;
pub mod util;
pub mod width;
