//! DSP building blocks. Plain structs with `reset()` and per-sample `process`; no knowledge of songs.
