//! Keeps ALSA's C library from printing over the terminal.
//!
//! alsa-lib writes its error lines ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown
//! PCM default") straight to stderr, where they would land on top of the editor. It lets
//! each thread install its own error handler (`snd_lib_error_set_local`), and that is what
//! we use: on the thread that lists and opens devices a handler that keeps the text (so
//! our own error message can quote it), and on the audio thread one that drops it.
//!
//! The alternatives are worse. The process-wide `snd_lib_error_set_handler` takes a C
//! variadic function, which stable Rust cannot define (a non-variadic stand-in would be
//! undefined behaviour). Pointing fd 2 at /dev/null while a device opens would also swallow
//! whatever else the process writes meanwhile (a panic message from another thread), and
//! would not cover the audio thread, which is where a lost device is reported later.

/// The ALSA messages of this thread from now on (until the next `capture_on_this_thread`).
pub struct Captured {
    #[cfg(target_os = "linux")]
    output: Option<std::rc::Rc<std::cell::RefCell<alsa::Output>>>,
}

/// Routes this thread's ALSA messages into memory instead of stderr.
pub fn capture_on_this_thread() -> Captured {
    #[cfg(target_os = "linux")]
    {
        Captured {
            output: alsa::Output::local_error_handler().ok(),
        }
    }
    #[cfg(not(target_os = "linux"))]
    Captured {}
}

impl Captured {
    /// The message that says most ("ALSA: Unknown PCM default"), without the C
    /// function's name: one naming a configuration file if any (a broken `.asoundrc`),
    /// else the last, which is where alsa-lib gives up.
    pub fn last_message(&self) -> Option<String> {
        #[cfg(target_os = "linux")]
        {
            let text = self.output.as_ref()?.borrow().to_string();
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let line = lines
                .clone()
                .find(|l| l.contains("asoundrc") || l.contains(".conf"))
                .or_else(|| lines.next_back())?;
            let message = line.split_once(": ").map_or(line, |(_, m)| m);
            Some(format!("ALSA: {}", message.trim()))
        }
        #[cfg(not(target_os = "linux"))]
        None
    }
}

#[cfg(target_os = "linux")]
unsafe extern "C" fn discard(
    _file: *const std::ffi::c_char,
    _line: std::ffi::c_int,
    _function: *const std::ffi::c_char,
    _error: std::ffi::c_int,
    _format: *const std::ffi::c_char,
    _arguments: *mut alsa_sys::__va_list_tag,
) {
}

/// Drops this thread's ALSA messages. Allocates nothing (it sets a thread-local pointer
/// inside alsa-lib), so the audio callback may call it.
pub fn discard_on_this_thread() {
    #[cfg(target_os = "linux")]
    // SAFETY: `discard` has exactly the signature alsa-lib calls a local handler with and
    // does nothing; setting the handler only writes a thread-local variable.
    unsafe {
        alsa_sys::snd_lib_error_set_local(Some(discard));
    }
}
