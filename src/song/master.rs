//! The master bus: the mastering chain's settings and the loudness the export aims for.
//!
//! Every stage has a `bypass` and neutral defaults (the compressor starts bypassed), so
//! a song written before the chain existed (`"master": {"gain_db": 0.0, "ceiling_db":
//! -1.0}`) loads and sounds as it did.

use super::mixer::{Compressor, Eq};
use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Master {
    /// Gain into the chain (dB).
    pub gain_db: f32,
    /// The limiter's ceiling in dBTP: no inter-sample peak of the output passes it.
    pub ceiling_db: f32,
    /// Integrated loudness a render is normalised to (LUFS); `None` leaves the level alone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_lufs: Option<f32>,
    /// The same four-band EQ as a channel strip's (flat by default).
    pub eq: Eq,
    /// The same compressor as a channel strip's, here as the glue compressor
    /// (bypassed by default).
    pub compressor: Compressor,
    pub width: Width,
    pub limiter: Limiter,
}

impl Default for Master {
    fn default() -> Master {
        Master {
            gain_db: 0.0,
            ceiling_db: -1.0,
            target_lufs: None,
            eq: Eq::default(),
            compressor: Compressor::default(),
            width: Width::default(),
            limiter: Limiter::default(),
        }
    }
}

impl Master {
    /// Every stage bypassed and no gain: the chain passes the mix through untouched
    /// (delayed by the limiter's look-ahead).
    pub fn transparent() -> Master {
        let mut m = Master::default();
        m.eq.bypass = true;
        m.compressor.bypass = true;
        m.width.bypass = true;
        m.limiter.bypass = true;
        m
    }
}

/// Mid/side width, with the lows kept mono below a crossover.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Width {
    pub bypass: bool,
    /// 0 is mono, 100 leaves the image alone, 200 doubles the side signal.
    pub width_percent: f32,
    /// Below this frequency the side signal is removed; 0 turns that off.
    pub mono_below_hz: f32,
}

impl Default for Width {
    fn default() -> Width {
        Width {
            bypass: false,
            width_percent: 100.0,
            mono_below_hz: 0.0,
        }
    }
}

/// The true-peak limiter; its ceiling is `Master::ceiling_db`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limiter {
    pub bypass: bool,
    /// How far ahead it sees a peak coming (ms); changes apply when playback restarts.
    pub lookahead_ms: f32,
    pub release_ms: f32,
}

impl Default for Limiter {
    fn default() -> Limiter {
        Limiter {
            bypass: false,
            lookahead_ms: 1.5,
            release_ms: 80.0,
        }
    }
}

/// Delivery targets: a loudness and a true-peak ceiling for where the music will play.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// -14 LUFS, -1 dBTP (Spotify, YouTube, Apple Music, Tidal).
    Streaming,
    /// -8 LUFS, -0.3 dBTP.
    Club,
    /// EBU R128: -23 LUFS, -1 dBTP.
    Broadcast,
    /// -16 LUFS, -1 dBTP.
    Podcast,
    /// No normalisation; the ceiling stays at -1 dBTP.
    None,
}

impl Preset {
    pub const ALL: [Preset; 5] = [
        Preset::Streaming,
        Preset::Club,
        Preset::Broadcast,
        Preset::Podcast,
        Preset::None,
    ];
    pub const ALLOWED: &str = "streaming, club, broadcast, podcast or none";

    pub fn parse(s: &str) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| p.name() == s)
    }

    pub fn name(self) -> &'static str {
        match self {
            Preset::Streaming => "streaming",
            Preset::Club => "club",
            Preset::Broadcast => "broadcast",
            Preset::Podcast => "podcast",
            Preset::None => "none",
        }
    }

    pub fn target_lufs(self) -> Option<f32> {
        match self {
            Preset::Streaming => Some(-14.0),
            Preset::Club => Some(-8.0),
            Preset::Broadcast => Some(-23.0),
            Preset::Podcast => Some(-16.0),
            Preset::None => None,
        }
    }

    pub fn ceiling_dbtp(self) -> f32 {
        match self {
            Preset::Club => -0.3,
            _ => -1.0,
        }
    }

    /// Sets the master's target and ceiling to this preset's.
    pub fn apply(self, master: &mut Master) {
        master.target_lufs = self.target_lufs();
        master.ceiling_db = self.ceiling_dbtp();
    }

    /// The preset whose target and ceiling the master has, if any.
    pub fn matching(master: &Master) -> Option<Preset> {
        Preset::ALL.into_iter().find(|p| {
            p.target_lufs() == master.target_lufs && p.ceiling_dbtp() == master.ceiling_db
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_old_master_section_loads_with_a_neutral_chain() {
        let m: Master = serde_json::from_str(r#"{"gain_db": -2.0, "ceiling_db": -0.5}"#).unwrap();
        assert_eq!(m.gain_db, -2.0);
        assert_eq!(m.ceiling_db, -0.5);
        assert_eq!(m.target_lufs, None);
        assert_eq!(m.eq, Eq::default());
        assert!(m.compressor.bypass);
        assert_eq!(m.width.width_percent, 100.0);
        assert!(!m.limiter.bypass);
    }

    #[test]
    fn presets_fill_target_and_ceiling_and_are_recognised() {
        for p in Preset::ALL {
            let mut m = Master::default();
            p.apply(&mut m);
            assert_eq!(Preset::matching(&m), Some(p));
            assert_eq!(Preset::parse(p.name()), Some(p));
        }
        let mut m = Master::default();
        Preset::Club.apply(&mut m);
        assert_eq!((m.target_lufs, m.ceiling_db), (Some(-8.0), -0.3));
    }

    #[test]
    fn a_full_master_section_round_trips() {
        let mut m = Master::default();
        m.eq.mid2.gain_db = -2.5;
        m.compressor.ratio = 2.0;
        m.width.mono_below_hz = 120.0;
        m.target_lufs = Some(-14.0);
        let text = serde_json::to_string_pretty(&m).unwrap();
        assert_eq!(serde_json::from_str::<Master>(&text).unwrap(), m);
    }
}
