//! MIDI input: the notes played on every MIDI input port (midir, on the ALSA sequencer),
//! handed to the editor through a channel. midir calls back on its own thread; the
//! callback only parses, sends (never blocks) and wakes the editor's loop through a pipe,
//! so a note is taken as soon as it is played, not at the loop's next timeout.

use super::quiet;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::sync::mpsc::{Receiver, Sender, channel};

/// A note played on a MIDI keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MidiEvent {
    /// `key` is the MIDI note number (60 = middle C), `velocity` 1-127.
    NoteOn {
        key: u8,
        velocity: u8,
    },
    NoteOff {
        key: u8,
    },
}

/// The note events in a raw MIDI message; everything else (controllers, clock, sysex)
/// is ignored. A note-on with velocity 0 is a note-off, as the MIDI standard says.
pub fn parse(message: &[u8]) -> Option<MidiEvent> {
    let (&status, data) = message.split_first()?;
    let (&key, rest) = data.split_first()?;
    let velocity = *rest.first()?;
    if key > 127 || velocity > 127 {
        return None;
    }
    match status & 0xF0 {
        0x90 if velocity > 0 => Some(MidiEvent::NoteOn { key, velocity }),
        0x90 | 0x80 => Some(MidiEvent::NoteOff { key }),
        _ => None,
    }
}

/// Connections to every MIDI input port there was when it opened.
pub struct MidiInputs {
    // Held to keep the connections open.
    _connections: Vec<midir::MidiInputConnection<()>>,
    events: Receiver<MidiEvent>,
    /// The ports' names.
    pub ports: Vec<String>,
    wake_read: OwnedFd,
}

impl MidiInputs {
    /// Connects to every MIDI input port. An error means there is no MIDI system at all
    /// (no ALSA sequencer); no ports is not an error (`ports` is empty). Prints nothing.
    pub fn open() -> Result<MidiInputs, String> {
        let alsa_messages = quiet::capture_on_this_thread();
        let explain = |fallback: String| alsa_messages.last_message().unwrap_or(fallback);
        let probe = midir::MidiInput::new("tracksmith").map_err(|e| explain(e.to_string()))?;
        let ports = probe.ports();
        let (sender, events) = channel();
        let (wake_read, wake_write) = pipe().map_err(|e| e.to_string())?;
        let wake_write = std::sync::Arc::new(wake_write);
        let mut connections = Vec::new();
        let mut names = Vec::new();
        for port in &ports {
            let name = probe.port_name(port).unwrap_or_else(|_| "(unnamed)".into());
            // Each connection needs a client of its own (midir's `connect` takes it).
            let Ok(client) = midir::MidiInput::new("tracksmith") else {
                continue;
            };
            let sender: Sender<MidiEvent> = sender.clone();
            let wake = std::sync::Arc::clone(&wake_write);
            let mut quiet_thread = false;
            let callback = move |_stamp: u64, message: &[u8], _: &mut ()| {
                if !quiet_thread {
                    quiet::discard_on_this_thread();
                    quiet_thread = true;
                }
                if let Some(event) = parse(message)
                    && sender.send(event).is_ok()
                {
                    // A full pipe already wakes the loop: a failed write loses nothing.
                    // SAFETY: one byte from a live buffer to a pipe we own.
                    unsafe {
                        libc::write(wake.as_raw_fd(), [1u8].as_ptr().cast(), 1);
                    }
                }
            };
            if let Ok(connection) = client.connect(port, "tracksmith-in", callback, ()) {
                connections.push(connection);
                names.push(name);
            }
        }
        Ok(MidiInputs {
            _connections: connections,
            events,
            ports: names,
            wake_read,
        })
    }

    /// The next event, if one is waiting. Never blocks.
    pub fn try_next(&self) -> Option<MidiEvent> {
        self.events.try_recv().ok()
    }

    /// A descriptor that is readable when events are waiting: to wait on beside the
    /// terminal. `drain_wake` empties it.
    pub fn wake_fd(&self) -> RawFd {
        self.wake_read.as_raw_fd()
    }

    pub fn drain_wake(&self) {
        let mut buffer = [0u8; 64];
        // SAFETY: reads into a live buffer of the length given; the pipe is non-blocking.
        while unsafe { libc::read(self.wake_fd(), buffer.as_mut_ptr().cast(), buffer.len()) } > 0 {}
    }
}

/// A non-blocking, close-on-exec pipe: (read end, write end).
fn pipe() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors were just opened and are owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_are_parsed_and_the_rest_ignored() {
        assert_eq!(
            parse(&[0x90, 60, 100]),
            Some(MidiEvent::NoteOn {
                key: 60,
                velocity: 100
            })
        );
        assert_eq!(
            parse(&[0x93, 61, 1]),
            Some(MidiEvent::NoteOn {
                key: 61,
                velocity: 1
            }),
            "any channel"
        );
        assert_eq!(parse(&[0x90, 60, 0]), Some(MidiEvent::NoteOff { key: 60 }));
        assert_eq!(parse(&[0x85, 60, 64]), Some(MidiEvent::NoteOff { key: 60 }));
        assert_eq!(parse(&[0xB0, 7, 100]), None, "a controller");
        assert_eq!(parse(&[0xF8]), None, "clock");
        assert_eq!(parse(&[0x90, 60]), None, "cut short");
        assert_eq!(parse(&[]), None);
    }

    #[test]
    fn without_a_sequencer_opening_is_an_error_not_a_panic() {
        if std::path::Path::new("/dev/snd/seq").exists() {
            eprintln!("skipped: this machine has an ALSA sequencer");
            return;
        }
        let error = MidiInputs::open().err().expect("no sequencer, no MIDI");
        assert!(!error.is_empty());
    }
}
