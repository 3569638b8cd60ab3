//! Rendering to WAV on a thread, so the editor keeps answering keys while it runs.

use crate::render::{self, RenderOptions, RenderReport};
use crate::song::{SampleBank, Song};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, TryRecvError};
use std::thread;

pub struct RenderJob {
    pub output: PathBuf,
    done: Arc<AtomicU64>,
    total: Arc<AtomicU64>,
    result: Receiver<Result<RenderReport, String>>,
}

impl RenderJob {
    /// Renders a copy of `song` with `options` over its own settings; samples are read
    /// relative to `song_path`.
    pub fn start(
        song: Song,
        song_path: PathBuf,
        output: PathBuf,
        options: RenderOptions,
    ) -> RenderJob {
        let done = Arc::new(AtomicU64::new(0));
        let total = Arc::new(AtomicU64::new(0));
        let (tx, rx) = mpsc::channel();
        let (d, t, out) = (done.clone(), total.clone(), output.clone());
        thread::spawn(move || {
            let result = SampleBank::load(&song, &song_path)
                .map_err(|e| e.to_string())
                .and_then(|samples| {
                    render::render_to_wav(&song, &samples, &out, &options, &mut |done, total| {
                        d.store(done, Ordering::Relaxed);
                        t.store(total, Ordering::Relaxed);
                    })
                    .map_err(|e| e.to_string())
                });
            let _ = tx.send(result);
        });
        RenderJob {
            output,
            done,
            total,
            result: rx,
        }
    }

    /// 0 to 1.
    pub fn progress(&self) -> f64 {
        let total = self.total.load(Ordering::Relaxed);
        if total == 0 {
            0.0
        } else {
            self.done.load(Ordering::Relaxed) as f64 / total as f64
        }
    }

    /// The result once the render is over.
    pub fn poll(&self) -> Option<Result<RenderReport, String>> {
        match self.result.try_recv() {
            Ok(r) => Some(r),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the render stopped unexpectedly".into())),
        }
    }

    /// Waits for the end (tests, and quitting while a render runs).
    pub fn wait(&self) -> Result<RenderReport, String> {
        self.result
            .recv()
            .unwrap_or_else(|_| Err("the render stopped unexpectedly".into()))
    }
}
