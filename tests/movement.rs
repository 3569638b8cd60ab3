//! Movement measured from renders: automation lanes, LFOs and the effect column's
//! parameter commands.

use rustfft::{FftPlanner, num_complex::Complex};
use std::sync::Arc;
use tracksmith::engine::{Engine, Start};
use tracksmith::render::render_to_vec;
use tracksmith::song::{
    self, Envelope, Instrument, OrderEntry, Pattern, SampleBank, SampleData, Sampler, Song, Synth,
    Waveform,
};

mod common;

use common::left_channel;

const RATE: u32 = 48_000;

fn entry(pattern: &str, repeat: u16) -> OrderEntry {
    OrderEntry {
        pattern: pattern.into(),
        section: "verse".into(),
        repeat,
    }
}

/// One channel, one instrument, one pattern of `length` rows with `cells`.
fn song(instrument: Instrument, length: usize, cells: &[(usize, &str)]) -> Song {
    let mut s = Song::new(1);
    s.tempo = 120.0;
    s.render.tail = 0.1;
    s.instruments.push(instrument);
    let mut p = Pattern::new("P", length, 1);
    for &(row, text) in cells {
        *p.cell_mut(row, 0) = text.parse().unwrap();
    }
    s.patterns = vec![p];
    s.arrangement = vec![entry("P", 1)];
    s
}

fn lane(target: &str, points: &[&str]) -> song::Lane {
    song::Lane {
        target: target.parse().unwrap(),
        points: points.iter().map(|p| p.parse().unwrap()).collect(),
    }
}

/// A sampler holding 0.5 for `seconds`, played at its own pitch: the strip's gain can be
/// read straight off the output.
fn dc() -> (Instrument, SampleBank) {
    let data = SampleData {
        sample_rate: RATE,
        channels: vec![vec![0.5; 20 * RATE as usize]],
    };
    let bank = SampleBank::from_samples(vec![Some(Arc::new(data))]);
    (Instrument::sampler("dc", Sampler::new("dc.wav")), bank)
}

/// One oscillator of `wave`, full level while held, a 50 ms release.
fn held_tone(wave: Waveform) -> Synth {
    let mut synth = Synth::default();
    synth.osc1.wave = wave;
    synth.mix = 0.0;
    synth.amp = Envelope {
        attack: 0.0,
        decay: 0.0,
        sustain: 1.0,
        release: 0.05,
    };
    synth
}

fn saw_pad() -> Instrument {
    let mut synth = held_tone(Waveform::Saw);
    synth.filter.cutoff = 200.0;
    Instrument::synth("saw", synth)
}

fn sine() -> Instrument {
    Instrument::synth("sine", held_tone(Waveform::Sine))
}

/// The spectral centroid (Hz) of `x`, Hann-windowed.
fn centroid(x: &[f32]) -> f32 {
    let n = x.len();
    let mut buf: Vec<Complex<f32>> = x
        .iter()
        .enumerate()
        .map(|(i, &v)| {
            let w = 0.5 - 0.5 * (std::f32::consts::TAU * i as f32 / n as f32).cos();
            Complex::new(v * w, 0.0)
        })
        .collect();
    FftPlanner::new().plan_fft_forward(n).process(&mut buf);
    let (mut weighted, mut total) = (0.0f64, 0.0f64);
    for (k, c) in buf[..n / 2].iter().enumerate() {
        let m = f64::from(c.norm());
        weighted += m * k as f64 * f64::from(RATE) / n as f64;
        total += m;
    }
    (weighted / total) as f32
}

const WINDOW: usize = 8192;

#[test]
fn a_cutoff_sweep_over_eight_bars_raises_the_centroid_steadily() {
    // 8 bars at 240 BPM (8 s), one held A-2 on a saw through the low-pass.
    let rows = 128;
    let mut s = song(saw_pad(), rows, &[(0, "A-2 01 40")]);
    s.tempo = 240.0;
    s.patterns[0].automation = vec![lane("inst01.filter.cutoff", &["0 200 exp", "128 8000"])];
    let bank = SampleBank::default();
    let swept = left_channel(&render_to_vec(&s, &bank, RATE, 512));
    let sweep_frames = (rows as f64 * f64::from(RATE) * 60.0 / (240.0 * 4.0)) as usize;

    // What the lane's first and last values sound like, held.
    let held = |cutoff: f32| {
        let mut h = s.clone();
        h.patterns[0].automation.clear();
        if let song::Source::Synth(synth) = &mut h.instruments[0].source {
            synth.filter.cutoff = cutoff;
        }
        let out = left_channel(&render_to_vec(&h, &bank, RATE, 512));
        centroid(&out[RATE as usize..RATE as usize + WINDOW])
    };
    let (low, high) = (held(200.0), held(8000.0));
    assert!(high > 4.0 * low, "{low} {high}");

    let windows = 16;
    let step = (sweep_frames - WINDOW) / (windows - 1);
    let centroids: Vec<f32> = (0..windows)
        .map(|w| centroid(&swept[w * step..w * step + WINDOW]))
        .collect();
    for pair in centroids.windows(2) {
        assert!(pair[1] > pair[0], "the centroid falls: {centroids:?}");
    }
    // The sweep starts at 200 Hz and ends at 8 kHz: its ends sound like those, held.
    let first = centroid(&swept[..WINDOW]);
    let last = centroid(&swept[sweep_frames - WINDOW..sweep_frames]);
    assert!((first / low - 1.0).abs() < 0.1, "start {first} vs {low}");
    // The last window still holds a little of the way up (its middle is 4096 samples
    // before the end): it sits within a few percent under the held 8 kHz.
    assert!(
        last < high * 1.02 && last > high * 0.85,
        "end {last} vs {high}"
    );
}

#[test]
fn a_step_on_a_row_lands_on_its_exact_sample() {
    let (inst, bank) = dc();
    for (tempo, row) in [(125.0, 5), (133.0, 6), (97.0, 9)] {
        let mut s = song(inst.clone(), 16, &[(0, "C-4 01")]);
        s.tempo = tempo;
        s.patterns[0].automation = vec![lane("ch1.gain_db", &["0 -96 step", &format!("{row} 0")])];
        let out = left_channel(&render_to_vec(&s, &bank, RATE, 256));
        let row_length = f64::from(RATE) * 60.0 / (f64::from(tempo) * 4.0);
        let expected = (row as f64 * row_length).ceil() as usize;
        let first = out.iter().position(|&x| x != 0.0).unwrap();
        assert_eq!(first, expected, "tempo {tempo} row {row}");
    }
}

/// A song that moves everything there is to move: pattern and arrangement lanes of every
/// kind of target, LFOs of every shape on an instrument and on strips, and the effect
/// column's parameter commands.
fn moving_song() -> Song {
    let mut s = Song::new(3);
    s.tempo = 131.0;
    s.swing = 20.0;
    s.render.tail = 0.3;
    let mut pad = saw_pad();
    pad.lfos = vec![
        lfo("filter.cutoff", "sine", "1/8t", 0.2, false),
        lfo("mix", "smooth_random", "3.5hz", 0.3, true),
    ];
    s.instruments.push(pad);
    s.instruments.push(sine());
    s.mixer.channels[0].lfos = vec![
        lfo("pan", "triangle", "1/4.", 0.4, false),
        lfo("sends.reverb.level_db", "sample_hold", "1/16", 0.1, true),
    ];
    s.mixer.channels[1].lfos = vec![
        lfo("eq.mid1.gain_db", "square", "1/8", 0.2, false),
        lfo("gain_db", "saw_down", "7hz", 0.05, false),
        lfo("master.width.width_percent", "saw_up", "1/1", 0.2, false),
    ];
    s.mixer.channels[1].eq.mid1.gain_db = 3.0;
    s.mixer.channels[0].sends.reverb.level_db = -12.0;
    let mut a = Pattern::new("A", 16, 3);
    let mut b = Pattern::new("B", 16, 3);
    for (row, text) in [
        (0, "C-3 01 40 S05"),
        (4, "E-3 01 .. Z80"),
        (8, "G-3 01 .. W10"),
    ] {
        *a.cell_mut(row, 0) = text.parse().unwrap();
    }
    for (row, text) in [
        (0, "C-5 02 30 S41"),
        (6, "--- .. .. Z20"),
        (12, "--- .. .. WFF"),
    ] {
        *a.cell_mut(row, 1) = text.parse().unwrap();
        *b.cell_mut(row, 1) = text.parse().unwrap();
    }
    *b.cell_mut(0, 0) = "A-2 01 40".parse().unwrap();
    a.automation = vec![
        lane(
            "inst01.filter.resonance",
            &["0 0 smooth", "8 0.7 step", "12 0.2"],
        ),
        lane("ch3.eq.low.gain_db", &["0 0", "16 6 exp"]),
    ];
    b.automation = vec![
        lane("inst01.filter.cutoff", &["0 300 exp", "15.5 6000"]),
        lane("reverb.mix", &["0 1", "16 0.3"]),
        lane("master.gain_db", &["0 0", "8 -3 smooth", "16 0"]),
    ];
    s.patterns = vec![a, b];
    s.arrangement = vec![entry("A", 1), entry("B", 2), entry("A", 1)];
    s.automation = vec![song::ArrangementLane {
        entry: 1,
        target: "ch1.gain_db".parse().unwrap(),
        points: ["4 -12 exp", "28 0"]
            .iter()
            .map(|p| p.parse().unwrap())
            .collect(),
    }];
    assert_eq!(s.problems(), Vec::<String>::new());
    s
}

fn lfo(target: &str, shape: &str, rate: &str, depth: f32, retrigger: bool) -> song::Lfo {
    serde_json::from_value(serde_json::json!({
        "target": target, "shape": shape, "rate": rate, "depth": depth,
        "retrigger": retrigger, "phase": 0.25
    }))
    .unwrap()
}

#[test]
fn moving_songs_render_the_same_for_any_block_size() {
    let s = moving_song();
    let bank = SampleBank::default();
    let reference = render_to_vec(&s, &bank, RATE, 512);
    assert!(reference.iter().all(|x| x.is_finite()));
    assert!(reference.iter().any(|&x| x.abs() > 0.05));
    for block in [1, 64, 4096] {
        assert!(
            render_to_vec(&s, &bank, RATE, block) == reference,
            "block size {block}"
        );
    }
    // And it does move: without its movement it renders differently.
    let mut still = s.clone();
    still.automation.clear();
    still.patterns.iter_mut().for_each(|p| p.automation.clear());
    assert!(render_to_vec(&still, &bank, RATE, 512) != reference);
}

#[test]
fn moving_songs_read_back_from_json_as_they_were() {
    let s = moving_song();
    let text = song::to_json(&s);
    assert!(text.contains(r#""0 300 exp""#), "points read like a row");
    assert!(text.contains(r#""target": "inst01.filter.cutoff""#));
    let back = song::parse(&text, std::path::Path::new("m.json")).unwrap();
    assert_eq!(back, s);
}

/// The largest step between neighbouring samples, relative to the steepest slope of a
/// clean sine of `freq` at `level`.
fn worst_step(out: &[f32], freq: f32, level: f32) -> f32 {
    let slope = std::f32::consts::TAU * freq / RATE as f32 * level;
    out.windows(2)
        .map(|w| (w[1] - w[0]).abs())
        .fold(0.0, f32::max)
        / slope
}

#[test]
fn steps_in_level_pan_and_sends_do_not_click() {
    for target in ["ch1.gain_db", "ch1.pan", "inst01.gain_db", "master.gain_db"] {
        let mut s = song(sine(), 16, &[(0, "A-3 01 40")]);
        let (low, high) = match target {
            "ch1.pan" => ("-1", "1"),
            _ => ("-40", "0"),
        };
        s.patterns[0].automation = vec![lane(
            target,
            &[
                &format!("0 {low} step"),
                &format!("4 {high} step"),
                &format!("9 {low}"),
            ],
        )];
        let out = left_channel(&render_to_vec(&s, &SampleBank::default(), RATE, 512));
        let level = out.iter().fold(0.0f32, |m, x| m.max(x.abs()));
        assert!(level > 0.1, "{target}");
        // A hard step of this sine scores up to 35; the 10 ms glide keeps it near 1.
        let step = worst_step(&out[..out.len() - RATE as usize / 8], 220.0, level);
        assert!(
            step < 1.5,
            "{target}: a click {step:.2} times a sine's slope"
        );
    }
}

#[test]
fn the_effect_column_sets_and_glides_the_channels_parameters() {
    let (inst, bank) = dc();
    // S40 picks the strip's fader; Z00 sets it to the bottom of its range (-96 dB,
    // silence); WCC glides it to 0 dB (CC/FF of -96..24) over row 8.
    let s = song(
        inst,
        16,
        &[
            (0, "C-4 01 .. S40"),
            (4, "--- .. .. Z00"),
            (8, "--- .. .. WCC"),
        ],
    );
    let out = left_channel(&render_to_vec(&s, &bank, RATE, 333));
    let row = (f64::from(RATE) * 60.0 / (120.0 * 4.0)) as usize;
    let centred = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    assert!((out[2 * row] - centred).abs() < 1e-4, "{}", out[2 * row]);
    assert_eq!(out[4 * row + row / 2], 0.0, "Z00: silent within half a row");
    assert_eq!(out[8 * row - 1], 0.0);
    let gliding = out[8 * row + row / 2];
    assert!(gliding > 0.0 && gliding < centred * 0.5, "{gliding}");
    assert!((out[10 * row] - centred).abs() < 1e-3, "{}", out[10 * row]);
}

/// Samples between rising edges of a square LFO on the fader, read off a constant signal.
fn rising_edges(out: &[f32], threshold: f32) -> Vec<usize> {
    out.windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < threshold && w[1] >= threshold)
        .map(|(i, _)| i + 1)
        .collect()
}

#[test]
fn a_tempo_synced_lfo_keeps_the_note_value_exactly_also_after_a_tempo_change() {
    let (inst, bank) = dc();
    // A quarter note at 120 BPM is 24000 samples; the tempo goes to 150 (19200) at row 32.
    let mut s = song(inst, 64, &[(0, "C-4 01"), (32, "--- .. .. F96")]);
    s.mixer.channels[0].lfos = vec![lfo("gain_db", "square", "1/4", 0.05, false)];
    s.mixer.channels[0].lfos[0].phase = 0.0;
    let out = left_channel(&render_to_vec(&s, &bank, RATE, 512));
    let centred = 0.5 * std::f32::consts::FRAC_1_SQRT_2;
    // The first rising edge is the note's own start; the LFO's come a beat apart after it.
    let edges: Vec<usize> = rising_edges(&out, centred)
        .into_iter()
        .filter(|&e| e > 1000)
        .collect();
    let periods: Vec<usize> = edges.windows(2).map(|w| w[1] - w[0]).collect();
    // Beats 1..8 at 120 BPM, then 8 at 150.
    assert!(periods.len() >= 14, "{periods:?}");
    let change = 8 * 24_000;
    for (&edge, &period) in edges.iter().zip(&periods) {
        if edge + period <= change {
            assert_eq!(period, 24_000, "{periods:?}");
        } else if edge >= change {
            assert_eq!(period, 19_200, "{periods:?}");
        }
    }
}

#[test]
fn an_lfo_is_where_the_song_position_says_from_any_start() {
    let (inst, bank) = dc();
    // The note is let go before the entry ends, so nothing rings into the next one.
    let mut s = song(inst, 32, &[(0, "C-4 01"), (28, "OFF")]);
    s.arrangement = vec![entry("P", 1), entry("P", 1)];
    s.mixer.channels[0].lfos = vec![lfo("gain_db", "sine", "1/4.", 0.05, false)];
    s.render.tail = 0.0;
    // From the top, the second entry starts 32 rows in; played from there alone, it must
    // carry the same LFO (the note restarts on row 0 of both, so the signal is the same).
    let whole = render_to_vec(&s, &bank, RATE, 512);
    let mut engine = Engine::live(&s, &bank, RATE, Start::Song { entry: 1, row: 0 });
    engine.set_metering(false);
    let latency = engine.latency();
    let entry_start = (32.0 * f64::from(RATE) * 60.0 / (120.0 * 4.0)) as usize;
    let frames = 3 * RATE as usize / 2;
    let mut from_entry = vec![0.0; 2 * (frames + latency)];
    engine.process(&mut from_entry);
    let from_entry = &from_entry[2 * latency..];
    // Played from the entry, the LFO's value is set at once; from the top, the fader has
    // been gliding after it (10 ms behind). Past the first glides they are the same.
    let settled = 2 * RATE as usize / 10;
    let (worst, at) = whole[2 * entry_start..2 * (entry_start + frames)]
        .iter()
        .zip(from_entry)
        .map(|(a, b)| (a - b).abs())
        .enumerate()
        .skip(settled)
        .fold((0.0f32, 0), |m, (i, d)| if d > m.0 { (d, i) } else { m });
    assert!(worst < 1e-5, "{worst} at {at}");
    // It does move: the level swings by more than a dB within the compared stretch.
    let l = left_channel(from_entry);
    let (lo, hi) = l[RATE as usize / 10..]
        .iter()
        .fold((1.0f32, 0.0f32), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    assert!(20.0 * (hi / lo).log10() > 1.0, "{lo} {hi}");
}

#[test]
fn bad_movement_is_named_by_its_place() {
    let base = moving_song();
    let check = |edit: &dyn Fn(&mut serde_json::Value), expected: &str| {
        let mut v = serde_json::to_value(&base).unwrap();
        edit(&mut v);
        let err = song::parse(&v.to_string(), std::path::Path::new("m.json"))
            .unwrap_err()
            .to_string();
        assert!(err.contains(expected), "{err}\nexpected: {expected}");
    };
    check(
        &|v| v["patterns"][1]["automation"][0]["points"][1] = "15.5 90000".into(),
        "patterns[1].automation[0].points[1]: 90000 is out of range for inst01.filter.cutoff (allowed 20 to 20000 Hz)",
    );
    check(
        &|v| v["patterns"][1]["automation"][0]["points"][0] = "20 300".into(),
        "patterns[1].automation[0].points[1]: row 15.5 comes before",
    );
    check(
        &|v| v["patterns"][0]["automation"][1]["points"][1] = "17 6".into(),
        "patterns[0].automation[1].points[1]: row 17 is past the end of the pattern (allowed 0 to 16)",
    );
    check(
        &|v| v["patterns"][0]["automation"][0]["target"] = "inst09.mix".into(),
        "patterns[0].automation[0].target: inst09.mix: instrument 09 does not exist",
    );
    check(
        &|v| v["patterns"][0]["automation"][0]["target"] = "inst02.start".into(),
        "instrument 02 is a synth and has no start",
    );
    check(
        &|v| v["automation"][0]["entry"] = 7.into(),
        "automation[0].entry: 7 does not exist (the arrangement has 3 entries, 0 to 2)",
    );
    check(
        &|v| v["mixer"]["channels"][0]["lfos"][0]["target"] = "wobble".into(),
        "mixer.channels[0].lfos[0].target: \"wobble\" is not a parameter here",
    );
    check(
        &|v| v["instruments"][0]["lfos"][0]["depth"] = 2.into(),
        "instruments[0].lfos[0].depth: 2 is out of range (allowed 0 to 1)",
    );
    check(
        &|v| v["instruments"][0]["lfos"][0]["rate"] = "1/5".into(),
        "is not an LFO rate",
    );
    check(
        &|v| v["patterns"][0]["automation"][0]["target"] = "ch1.nope".into(),
        "is not a parameter such as",
    );
}

#[test]
fn a_samplers_start_moves_where_notes_begin() {
    // A ramp from 0 to 1 over the sample: a note starting at 0.25 of it begins at 0.25.
    let frames = RATE as usize;
    let data = SampleData {
        sample_rate: RATE,
        channels: vec![(0..frames).map(|i| i as f32 / frames as f32).collect()],
    };
    let bank = SampleBank::from_samples(vec![Some(Arc::new(data))]);
    let s = song(
        Instrument::sampler("ramp", Sampler::new("ramp.wav")),
        16,
        &[(0, "C-4 01"), (8, "C-4 01")],
    );
    let mut moved = s.clone();
    // Read when a note starts: set on row 4, it is the start of row 8's note.
    moved.patterns[0].automation = vec![lane("inst01.start", &["0 0 step", "4 0.25"])];
    let row = (f64::from(RATE) * 60.0 / (120.0 * 4.0)) as usize;
    let gain = std::f32::consts::FRAC_1_SQRT_2;
    let plain = left_channel(&render_to_vec(&s, &bank, RATE, 512));
    let out = left_channel(&render_to_vec(&moved, &bank, RATE, 512));
    assert_eq!(out[..8 * row], plain[..8 * row], "row 0 starts at the top");
    // Row 8's note starts a quarter into the sample (plus the new voice's first frames).
    let at = out[8 * row + 100] / gain;
    let expected = 0.25 + 100.0 / frames as f32;
    assert!((at - expected).abs() < 0.01, "{at} vs {expected}");
    assert!((plain[8 * row + 100] / gain - 100.0 / frames as f32).abs() < 0.01);
}

/// The house demo builds into its drop with an arrangement lane: the pad's low-pass opens
/// over the intro and the groove (16 bars, two patterns) up to its own value at the drop.
/// Heard in a render of that section with the pads soloed: each chord sounds brighter
/// when it comes back in the groove than it did in the intro, and without the lane the
/// same chords sound the same.
#[test]
fn the_house_demo_opens_the_pad_filter_across_its_first_sixteen_bars() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("songs/house.json");
    let mut s = song::load(&path).unwrap();
    let bank = SampleBank::load(&s, &path).unwrap();
    let lane = s
        .automation
        .iter()
        .find(|l| l.target.to_string() == "inst08.filter.cutoff")
        .expect("house.json has the pad's filter build")
        .clone();
    assert_eq!(lane.entry, 0);
    let rows = |e: usize| {
        let entry = &s.arrangement[e];
        let p = s.pattern_index(&entry.pattern).unwrap();
        s.patterns[p].length() * usize::from(entry.repeat)
    };
    let build = rows(0) + rows(1);
    assert_eq!(build, 256, "16 bars over two patterns");
    assert_eq!(s.arrangement[2].section, "drop");
    // The lane at the sections' first rows: dark in the intro, halfway (in octaves) when
    // the groove comes in, at the pad's own cutoff when the drop hits.
    let set = song::Target::value("inst08.filter.cutoff".parse().unwrap(), &s).unwrap();
    let at = |row: usize| lane.lane().value_at(row as f64).unwrap();
    assert_eq!(at(0), 280.0);
    assert!((at(rows(0)) - (280.0f32 * set).sqrt()).abs() < 1.0);
    assert_eq!(at(build), set);
    assert_eq!(lane.points.last().unwrap().row, build as f32);

    // Intro and groove only, the three pad channels soloed.
    s.arrangement.truncate(2);
    for strip in &mut s.mixer.channels[7..10] {
        strip.solo = true;
    }
    let mut flat = s.clone();
    flat.automation.clear();
    let frames_per_row = f64::from(RATE) * 60.0 / (f64::from(s.tempo) * f64::from(s.rows_per_beat));
    // One window in the held part of each of the eight chords (every 32 rows, the same
    // four chords in each pattern).
    let chord_centroids = |song: &Song| -> Vec<f32> {
        let out = left_channel(&render_to_vec(song, &bank, RATE, 512));
        (0..8)
            .map(|k| {
                let start = ((32 * k + 20) as f64 * frames_per_row) as usize;
                centroid(&out[start..start + WINDOW])
            })
            .collect()
    };
    let opened = chord_centroids(&s);
    let held = chord_centroids(&flat);
    for k in 0..4 {
        assert!(
            opened[k + 4] > 1.3 * opened[k],
            "chord {k} is not brighter in the groove: {opened:?}"
        );
        assert!(
            (held[k + 4] / held[k] - 1.0).abs() < 0.05,
            "without the lane chord {k} changes: {held:?}"
        );
    }
    assert!(
        opened.windows(2).all(|w| w[1] > w[0]),
        "the build rises chord by chord: {opened:?}"
    );
    assert!(
        opened[0] < 0.8 * held[0],
        "the intro starts darker: {opened:?} {held:?}"
    );
}
