//! Range and reference checks, each problem named by its place in the file
//! (e.g. `instruments[2].synth.filter.cutoff`) and what is allowed there.

use super::automation::{self, Lfo, LfoOwner, Point, Target};
use super::mixer::{MAX_DECAY_S, MAX_DELAY_MS, MAX_PRE_DELAY_MS, MIN_DECAY_S};
use super::{BusReturn, DelayTime, Envelope, Eq, NoteField, SAMPLE_RATES, Song, Source};
use super::{ChannelStrip, SILENT_DB};
use super::{Compressor, MAX_CHANNELS, Master, Oscillator};
use super::{
    DuckTrigger, Ducker, KeyBus, MAX_DUCK_ATTACK_MS, MAX_DUCK_TIME_MS, MAX_KEY_HIGH_PASS_HZ,
    MIN_DUCK_DEPTH_DB, MIN_KEY_HIGH_PASS_HZ, Mixer, Stage,
};
use std::ops::RangeInclusive;

struct Problems(Vec<String>);

impl Problems {
    fn range(&mut self, at: &str, value: f32, allowed: RangeInclusive<f32>, unit: &str) {
        if !value.is_finite() || !allowed.contains(&value) {
            self.0.push(format!(
                "{at}: {value} is out of range (allowed {} to {}{unit})",
                allowed.start(),
                allowed.end()
            ));
        }
    }

    fn envelope(&mut self, at: &str, env: &Envelope) {
        self.range(&format!("{at}.attack"), env.attack, 0.0..=30.0, " s");
        self.range(&format!("{at}.decay"), env.decay, 0.0..=30.0, " s");
        self.range(&format!("{at}.sustain"), env.sustain, 0.0..=1.0, "");
        self.range(&format!("{at}.release"), env.release, 0.0..=30.0, " s");
    }

    fn oscillator(&mut self, at: &str, osc: &Oscillator) {
        self.range(
            &format!("{at}.semitones"),
            osc.semitones as f32,
            -48.0..=48.0,
            "",
        );
        self.range(
            &format!("{at}.detune"),
            osc.detune,
            -100.0..=100.0,
            " cents",
        );
        self.range(
            &format!("{at}.pulse_width"),
            osc.pulse_width,
            0.05..=0.95,
            "",
        );
    }
}

impl Problems {
    fn eq(&mut self, at: &str, eq: &Eq) {
        let names = ["low", "mid1", "mid2", "high"];
        for (name, band) in names.iter().zip(eq.bands()) {
            let at = format!("{at}.{name}");
            self.range(&format!("{at}.freq"), band.freq, 20.0..=20_000.0, " Hz");
            self.range(&format!("{at}.gain_db"), band.gain_db, -24.0..=24.0, " dB");
            self.range(&format!("{at}.q"), band.q, 0.1..=18.0, "");
        }
    }

    fn strip(&mut self, at: &str, ch: &ChannelStrip) {
        self.range(
            &format!("{at}.gain_db"),
            ch.gain_db,
            SILENT_DB..=24.0,
            " dB",
        );
        self.range(&format!("{at}.pan"), ch.pan, -1.0..=1.0, "");
        self.range(
            &format!("{at}.input.trim_db"),
            ch.input.trim_db,
            -24.0..=24.0,
            " dB",
        );
        self.range(
            &format!("{at}.high_pass.freq"),
            ch.high_pass.freq,
            10.0..=2_000.0,
            " Hz",
        );
        self.eq(&format!("{at}.eq"), &ch.eq);
        self.compressor(&format!("{at}.compressor"), &ch.compressor);
        self.range(
            &format!("{at}.sidechain.high_pass_hz"),
            ch.sidechain.high_pass_hz,
            MIN_KEY_HIGH_PASS_HZ..=MAX_KEY_HIGH_PASS_HZ,
            " Hz",
        );
        for (name, send) in [("reverb", ch.sends.reverb), ("delay", ch.sends.delay)] {
            self.range(
                &format!("{at}.sends.{name}.level_db"),
                send.level_db,
                SILENT_DB..=6.0,
                " dB",
            );
        }
    }

    fn compressor(&mut self, at_c: &str, c: &Compressor) {
        self.range(
            &format!("{at_c}.threshold_db"),
            c.threshold_db,
            -60.0..=0.0,
            " dB",
        );
        self.range(&format!("{at_c}.ratio"), c.ratio, 1.0..=20.0, "");
        self.range(
            &format!("{at_c}.attack_ms"),
            c.attack_ms,
            0.1..=200.0,
            " ms",
        );
        self.range(
            &format!("{at_c}.release_ms"),
            c.release_ms,
            5.0..=5_000.0,
            " ms",
        );
        self.range(&format!("{at_c}.knee_db"), c.knee_db, 0.0..=24.0, " dB");
        self.range(
            &format!("{at_c}.makeup_db"),
            c.makeup_db,
            -24.0..=24.0,
            " dB",
        );
    }

    /// A lane's points: in row order, from row 0 up to `last_row`, each value in the
    /// target's range.
    fn points(&mut self, at: &str, target: Target, points: &[Point], last_row: Option<f32>) {
        let info = target.info();
        let mut previous = 0.0f32;
        for (k, point) in points.iter().enumerate() {
            let at = format!("{at}.points[{k}]");
            if point.row < previous {
                self.0.push(format!(
                    "{at}: row {} comes before the point ahead of it (row {previous}); points go in row order from 0",
                    point.row
                ));
            }
            if let Some(last) = last_row
                && point.row > last
            {
                self.0.push(format!(
                    "{at}: row {} is past the end of the pattern (allowed 0 to {last})",
                    point.row
                ));
            }
            previous = previous.max(point.row);
            if !info.contains(point.value) {
                self.0.push(format!(
                    "{at}: {} is out of range for {target} ({})",
                    point.value,
                    info.allowed()
                ));
            }
        }
    }

    fn target(&mut self, at: &str, song: &Song, target: Target) {
        if let Some(problem) = automation::target_problem(song, target) {
            self.0.push(format!("{at}.target: {problem}"));
        } else if let Some(problem) = send_after_its_bus(&song.mixer, target) {
            self.0.push(format!("{at}.target: {problem}"));
        }
    }

    fn lfos(&mut self, at: &str, song: &Song, owner: LfoOwner, lfos: &[Lfo]) {
        for (k, lfo) in lfos.iter().enumerate() {
            let at = format!("{at}.lfos[{k}]");
            match lfo.resolve(owner) {
                Ok(target) => self.target(&at, song, target),
                Err(e) => self.0.push(format!("{at}.target: {e}")),
            }
            self.range(&format!("{at}.depth"), lfo.depth, 0.0..=1.0, "");
            self.range(&format!("{at}.phase"), lfo.phase, 0.0..=1.0, "");
        }
    }

    fn bus_return(&mut self, at: &str, r: &BusReturn, tempo: f32, channels: usize) {
        self.range(&format!("{at}.gain_db"), r.gain_db, SILENT_DB..=24.0, " dB");
        self.range(&format!("{at}.pan"), r.pan, -1.0..=1.0, "");
        self.eq(&format!("{at}.eq"), &r.eq);
        self.ducker(&format!("{at}.ducker"), &r.ducker, tempo, channels);
    }

    fn channel_number(&mut self, at: &str, number: usize, channels: usize) {
        if !(1..=channels).contains(&number) {
            self.0.push(format!(
                "{at}: channel {number} does not exist (allowed 1 to {channels})"
            ));
        }
    }

    fn ducker(&mut self, at: &str, d: &Ducker, tempo: f32, channels: usize) {
        if let DuckTrigger::Channel(n) = d.trigger {
            self.channel_number(&format!("{at}.trigger.channel"), n, channels);
        }
        self.range(
            &format!("{at}.depth_db"),
            d.depth_db,
            MIN_DUCK_DEPTH_DB..=0.0,
            " dB",
        );
        self.range(
            &format!("{at}.attack_ms"),
            d.attack_ms,
            0.0..=MAX_DUCK_ATTACK_MS,
            " ms",
        );
        for (name, time) in [("hold", d.hold), ("release", d.release)] {
            let at = format!("{at}.{name}");
            if let DelayTime::Ms(ms) = time {
                self.range(&at, ms, 0.0..=MAX_DUCK_TIME_MS, " ms");
            } else {
                let seconds = time.seconds(tempo);
                if seconds * 1000.0 > MAX_DUCK_TIME_MS {
                    self.0.push(format!(
                        "{at}: {time} at {tempo} BPM is {seconds:.2} s (allowed up to {} s)",
                        MAX_DUCK_TIME_MS / 1000.0
                    ));
                }
            }
        }
    }

    /// Sidechain keys name existing channels and never lead back to the channel they key:
    /// a compressor that hears itself through other channels has no order to run in.
    fn sidechains(&mut self, mixer: &Mixer) {
        let channels = mixer.channels.len();
        let mut channel_loop = false;
        for (i, ch) in mixer.channels.iter().enumerate() {
            if let (Some(n), Some(bus)) = (ch.sidechain.channel, ch.sidechain.bus) {
                self.0.push(format!(
                    "mixer.channels[{i}].sidechain: keyed by channel {n} and by the {} bus: a key is one channel or one bus (\"reverb\" or \"delay\")",
                    bus.name()
                ));
            }
            let Some(n) = ch.sidechain.channel else {
                continue;
            };
            let at = format!("mixer.channels[{i}].sidechain.channel");
            if !(1..=channels).contains(&n) {
                self.channel_number(&at, n, channels);
            } else if let Some(path) = key_loop(mixer, i) {
                channel_loop = true;
                let path: Vec<String> = path.iter().map(|c| (c + 1).to_string()).collect();
                self.0.push(format!(
                    "{at}: channel {} would key itself (channel {}): a sidechain cannot loop back to the channel it keys",
                    i + 1,
                    path.join(" keyed by channel ")
                ));
            }
        }
        // Loops through a bus (those through channel keys alone are named above).
        if let (false, Some((i, chain))) = (channel_loop, bus_loop(mixer)) {
            self.0
                .push(format!("mixer.channels[{i}].sidechain.bus: {chain}"));
        }
    }
}

/// A loop through a bus key, if the mixer has one: the first channel in it keyed by a
/// bus, and the loop in words.
pub fn bus_loop(mixer: &Mixer) -> Option<(usize, String)> {
    let stages = mixer.run_order().err()?;
    let keyed = stages.iter().find_map(|&s| match s {
        Stage::Channel(i) if mixer.channels[i].sidechain.bus.is_some() => Some(i),
        _ => None,
    })?;
    Some((
        keyed,
        format!(
            "{}: a compressor cannot hear a bus its own signal reaches (turn that send off or key it elsewhere)",
            describe_loop(mixer, &stages)
        ),
    ))
}

/// A loop of the mixer in words, e.g. `ch2 feeds the delay bus, whose return keys ch2`.
fn describe_loop(mixer: &Mixer, stages: &[Stage]) -> String {
    let name = |i: usize| format!("ch{} ({})", i + 1, mixer.channels[i].name);
    // Start at a channel, go round once.
    let start = stages
        .iter()
        .position(|s| matches!(s, Stage::Channel(_)))
        .unwrap_or(0);
    let round: Vec<Stage> = stages[start..]
        .iter()
        .chain(&stages[..start])
        .copied()
        .collect();
    let mut parts = Vec::new();
    let mut k = 0;
    while k < round.len() {
        let Stage::Channel(from) = round[k] else {
            k += 1;
            continue;
        };
        let next = |j: usize| round[(k + j) % round.len()];
        match next(1) {
            Stage::Bus(bus) => {
                let keyed = match next(2) {
                    Stage::Channel(c) => name(c),
                    Stage::Bus(_) => String::new(),
                };
                parts.push(format!(
                    "{} feeds the {} bus, whose return keys {keyed}",
                    name(from),
                    bus.name()
                ));
                k += 2;
            }
            Stage::Channel(to) => {
                parts.push(format!("{} keys {}", name(from), name(to)));
                k += 1;
            }
        }
    }
    parts.join("; ")
}

/// A moved send that could not be heard: the strip runs after the bus it sends to
/// (the bus keys a compressor the strip waits for), so the bus has already run.
fn send_after_its_bus(mixer: &Mixer, target: Target) -> Option<String> {
    use super::automation::StripParam;
    let Target::Strip { channel, param } = target else {
        return None;
    };
    let bus = match param {
        StripParam::ReverbSend => KeyBus::Reverb,
        StripParam::DelaySend => KeyBus::Delay,
        _ => return None,
    };
    let order = mixer.run_order().ok()?;
    let at = |stage: Stage| order.iter().position(|&s| s == stage);
    let (strip, runs) = (at(Stage::Channel(channel))?, at(Stage::Bus(bus))?);
    (strip > runs).then(|| {
        format!(
            "ch{}'s {} send cannot move: the channel runs after the {} bus, whose return keys a compressor it waits for (a send that is on in the mixer feeds the bus before it runs; one from a channel that hears the bus would loop)",
            channel + 1,
            bus.name(),
            bus.name()
        )
    })
}

/// The chain of keys from channel `start` (0-based) when it leads back to `start`:
/// `[start, key, key's key, ..., start]`; `None` when it ends or loops elsewhere.
pub fn key_loop(mixer: &Mixer, start: usize) -> Option<Vec<usize>> {
    let channels = mixer.channels.len();
    let mut path = vec![start];
    let mut at = start;
    for _ in 0..channels {
        let key = mixer.channels.get(at)?.sidechain.channel?.checked_sub(1)?;
        if key >= channels {
            return None;
        }
        path.push(key);
        if key == start {
            return Some(path);
        }
        at = key;
    }
    None
}

/// Every problem found, in file order; empty when the song is good.
pub(super) fn problems(song: &Song) -> Vec<String> {
    let mut p = Problems(Vec::new());
    p.range("tempo", song.tempo, 20.0..=999.0, " BPM");
    p.range("speed", f32::from(song.speed), 1.0..=31.0, " ticks per row");
    p.range(
        "beats_per_bar",
        f32::from(song.beats_per_bar),
        1.0..=16.0,
        "",
    );
    p.range(
        "rows_per_beat",
        f32::from(song.rows_per_beat),
        1.0..=16.0,
        "",
    );
    p.range("swing", song.swing, 0.0..=75.0, " %");
    let rows_per_beat = usize::from(song.rows_per_beat);
    if let Some(groove) = &song.groove {
        p.0.extend(groove.problems("groove", rows_per_beat));
        if song.swing != 0.0 {
            p.0.push(format!(
                "swing: {} with a groove as well (give one: a groove such as \"swing 62\" replaces swing)",
                song.swing
            ));
        }
    }
    for (i, pattern) in song.patterns.iter().enumerate() {
        if let Some(groove) = &pattern.groove {
            p.0.extend(groove.problems(&format!("patterns[{i}].groove"), rows_per_beat));
        }
    }
    if !SAMPLE_RATES.contains(&song.render.sample_rate) {
        p.0.push(format!(
            "render.sample_rate: {} is not allowed (allowed {SAMPLE_RATES:?})",
            song.render.sample_rate
        ));
    }
    p.range("render.tail", song.render.tail, 0.0..=30.0, " s");

    if song.instruments.len() > 255 {
        p.0.push(format!(
            "instruments: {} instruments (allowed at most 255)",
            song.instruments.len()
        ));
    }
    for (i, inst) in song.instruments.iter().enumerate() {
        let at = format!("instruments[{i}]");
        p.range(&format!("{at}.gain_db"), inst.gain_db, -60.0..=24.0, " dB");
        match &inst.source {
            Source::Synth(s) => {
                let at = format!("{at}.synth");
                p.oscillator(&format!("{at}.osc1"), &s.osc1);
                p.oscillator(&format!("{at}.osc2"), &s.osc2);
                p.range(&format!("{at}.mix"), s.mix, 0.0..=1.0, "");
                p.envelope(&format!("{at}.amp"), &s.amp);
                p.range(
                    &format!("{at}.filter.cutoff"),
                    s.filter.cutoff,
                    20.0..=20_000.0,
                    " Hz",
                );
                p.range(
                    &format!("{at}.filter.resonance"),
                    s.filter.resonance,
                    0.0..=1.0,
                    "",
                );
                p.range(
                    &format!("{at}.filter.env_amount"),
                    s.filter.env_amount,
                    -10.0..=10.0,
                    " octaves",
                );
                p.range(
                    &format!("{at}.filter.key_track"),
                    s.filter.key_track,
                    0.0..=1.0,
                    "",
                );
                p.envelope(&format!("{at}.filter.envelope"), &s.filter.envelope);
                p.range(
                    &format!("{at}.pitch_sweep.amount"),
                    s.pitch_sweep.amount,
                    -48.0..=48.0,
                    " semitones",
                );
                p.range(
                    &format!("{at}.pitch_sweep.decay"),
                    s.pitch_sweep.decay,
                    0.0..=10.0,
                    " s",
                );
                p.range(&format!("{at}.glide"), s.glide, 0.0..=10.0, " s");
            }
            Source::Sampler(s) => {
                let at = format!("{at}.sampler");
                if s.path.trim().is_empty() {
                    p.0.push(format!(
                        "{at}.path: is empty (give a WAV file relative to the song)"
                    ));
                }
                p.range(
                    &format!("{at}.fine_tune"),
                    s.fine_tune,
                    -100.0..=100.0,
                    " cents",
                );
                p.envelope(&format!("{at}.amp"), &s.amp);
                p.range(&format!("{at}.start"), s.start, 0.0..=1.0, "");
                if let Some(l) = s.sample_loop
                    && l.start >= l.end
                {
                    p.0.push(format!(
                        "{at}.loop: start {} must be before end {}",
                        l.start, l.end
                    ));
                }
            }
        }
    }

    let channels = song.channel_count();
    if !(1..=MAX_CHANNELS).contains(&channels) {
        p.0.push(format!(
            "mixer.channels: {channels} channels (allowed 1 to {MAX_CHANNELS})"
        ));
    }
    for (i, ch) in song.mixer.channels.iter().enumerate() {
        let at = format!("mixer.channels[{i}]");
        p.strip(&at, ch);
        p.ducker(&format!("{at}.ducker"), &ch.ducker, song.tempo, channels);
        p.lfos(&at, song, LfoOwner::Strip(i), &ch.lfos);
    }
    for (i, inst) in song.instruments.iter().enumerate() {
        p.lfos(
            &format!("instruments[{i}]"),
            song,
            LfoOwner::Instrument(i),
            &inst.lfos,
        );
    }
    p.sidechains(&song.mixer);
    let reverb = &song.mixer.reverb;
    p.range(
        "mixer.reverb.pre_delay_ms",
        reverb.pre_delay_ms,
        0.0..=MAX_PRE_DELAY_MS,
        " ms",
    );
    p.range("mixer.reverb.size", reverb.size, 0.0..=1.0, "");
    p.range(
        "mixer.reverb.decay_s",
        reverb.decay_s,
        MIN_DECAY_S..=MAX_DECAY_S,
        " s",
    );
    p.range("mixer.reverb.damping", reverb.damping, 0.0..=1.0, "");
    p.range("mixer.reverb.width", reverb.width, 0.0..=1.0, "");
    p.range("mixer.reverb.mix", reverb.mix, 0.0..=1.0, "");
    p.bus_return(
        "mixer.reverb.return",
        &reverb.bus_return,
        song.tempo,
        channels,
    );
    let delay = &song.mixer.delay;
    if let DelayTime::Ms(ms) = delay.time {
        p.range("mixer.delay.time", ms, 1.0..=MAX_DELAY_MS, " ms");
    } else {
        let seconds = delay.time.seconds(song.tempo);
        if seconds * 1000.0 > MAX_DELAY_MS {
            p.0.push(format!(
                "mixer.delay.time: {} at {} BPM is {seconds:.2} s (allowed up to {} s)",
                delay.time,
                song.tempo,
                MAX_DELAY_MS / 1000.0
            ));
        }
    }
    p.range("mixer.delay.feedback", delay.feedback, 0.0..=1.0, "");
    p.range(
        "mixer.delay.low_cut_hz",
        delay.low_cut_hz,
        10.0..=2_000.0,
        " Hz",
    );
    p.range(
        "mixer.delay.high_cut_hz",
        delay.high_cut_hz,
        500.0..=20_000.0,
        " Hz",
    );
    p.range("mixer.delay.mix", delay.mix, 0.0..=1.0, "");
    p.bus_return(
        "mixer.delay.return",
        &delay.bus_return,
        song.tempo,
        channels,
    );
    master(&mut p, &song.master, "master.");

    if song.patterns.is_empty() {
        p.0.push("patterns: the song needs at least one pattern".into());
    }
    for (i, pattern) in song.patterns.iter().enumerate() {
        let at = format!("patterns[{i}]");
        if let Some(first) = song.patterns.iter().position(|q| q.name == pattern.name)
            && first < i
        {
            p.0.push(format!(
                "{at}.name: \"{}\" is already the name of patterns[{first}] (names must differ)",
                pattern.name
            ));
        }
        if pattern.used_channels() > channels {
            p.0.push(format!(
                "{at}: uses {} channels but the mixer has {channels} (add strips to mixer.channels)",
                pattern.used_channels()
            ));
        }
        for (j, lane) in pattern.automation.iter().enumerate() {
            let at = format!("{at}.automation[{j}]");
            p.target(&at, song, lane.target);
            p.points(
                &at,
                lane.target,
                &lane.points,
                Some(pattern.length() as f32),
            );
        }
        for row in 0..pattern.length() {
            for (ch, cell) in pattern.row(row).iter().enumerate() {
                if let Some(n) = cell.instrument
                    && usize::from(n) > song.instruments.len()
                {
                    p.0.push(format!(
                        "{at}.rows[{row}] channel {}: instrument {n:02X} does not exist (the song has {} instruments, 01 to {:02X})",
                        ch + 1,
                        song.instruments.len(),
                        song.instruments.len()
                    ));
                }
                // The effect column picking a send that could not be heard.
                if let Some(e) = cell.effect
                    && e.kind == super::EffectKind::ParamSelect
                    && e.param >= automation::STRIP_PARAM_BASE
                    && let Some(target) = Target::channel_param(e.param, ch, None)
                    && let Some(problem) = send_after_its_bus(&song.mixer, target)
                {
                    p.0.push(format!(
                        "{at}.rows[{row}] channel {}: {e} picks the send, but {problem}",
                        ch + 1
                    ));
                }
                if let NoteField::On(_) = cell.note
                    && cell.instrument.is_none()
                    && song.instruments.is_empty()
                {
                    p.0.push(format!(
                        "{at}.rows[{row}] channel {}: a note but the song has no instruments",
                        ch + 1
                    ));
                }
            }
        }
    }

    if song.arrangement.is_empty() {
        p.0.push("arrangement: the order list needs at least one entry".into());
    }
    for (i, entry) in song.arrangement.iter().enumerate() {
        let at = format!("arrangement[{i}]");
        if song.pattern_index(&entry.pattern).is_none() {
            let names: Vec<&str> = song.patterns.iter().map(|p| p.name.as_str()).collect();
            p.0.push(format!(
                "{at}.pattern: no pattern is named \"{}\" (patterns: {})",
                entry.pattern,
                names.join(", ")
            ));
        }
        p.range(
            &format!("{at}.repeat"),
            f32::from(entry.repeat),
            1.0..=256.0,
            "",
        );
    }
    for (j, lane) in song.automation.iter().enumerate() {
        let at = format!("automation[{j}]");
        if lane.entry >= song.arrangement.len() {
            p.0.push(format!(
                "{at}.entry: {} does not exist (the arrangement has {} entries, 0 to {})",
                lane.entry,
                song.arrangement.len(),
                song.arrangement.len().saturating_sub(1)
            ));
        }
        p.target(&at, song, lane.target);
        p.points(&at, lane.target, &lane.points, None);
    }
    p.0
}

/// The master section's values; shared with the `master` command's chain files.
/// `prefix` names where the section sits in its file (`"master."` in a song).
pub fn master_problems(master: &Master, prefix: &str) -> Vec<String> {
    let mut p = Problems(Vec::new());
    self::master(&mut p, master, prefix);
    p.0
}

fn master(p: &mut Problems, m: &Master, prefix: &str) {
    p.range(&format!("{prefix}gain_db"), m.gain_db, -48.0..=24.0, " dB");
    p.range(
        &format!("{prefix}ceiling_db"),
        m.ceiling_db,
        -24.0..=0.0,
        " dBTP",
    );
    if let Some(target) = m.target_lufs {
        p.range(
            &format!("{prefix}target_lufs"),
            target,
            -40.0..=-3.0,
            " LUFS",
        );
    }
    p.eq(&format!("{prefix}eq"), &m.eq);
    p.compressor(&format!("{prefix}compressor"), &m.compressor);
    p.range(
        &format!("{prefix}width.width_percent"),
        m.width.width_percent,
        0.0..=200.0,
        " %",
    );
    let mono = m.width.mono_below_hz;
    if !mono.is_finite() || !(mono == 0.0 || (20.0..=500.0).contains(&mono)) {
        p.0.push(format!(
            "{prefix}width.mono_below_hz: {mono} is out of range (allowed 0 for off, or 20 to 500 Hz)"
        ));
    }
    p.range(
        &format!("{prefix}limiter.lookahead_ms"),
        m.limiter.lookahead_ms,
        0.5..=10.0,
        " ms",
    );
    p.range(
        &format!("{prefix}limiter.release_ms"),
        m.limiter.release_ms,
        1.0..=1_000.0,
        " ms",
    );
}
