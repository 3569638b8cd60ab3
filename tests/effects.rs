//! The effect column, measured in the rendered audio: each FastTracker 2 effect moves
//! pitch, level, pan or timing by exactly what its parameter says, on the tick it says.

use std::sync::Arc;
use tracksmith::render::render_to_vec;
use tracksmith::song::{
    Envelope, Instrument, OrderEntry, Pattern, SampleBank, SampleData, Sampler, Song, Synth,
    Waveform,
};

const RATE: u32 = 48_000;
/// 125 BPM, 4 rows per beat, speed 6: a row is 5760 samples and a tick exactly 960.
const TICK: usize = 960;
const ROW: usize = 6 * TICK;

fn song(instrument: Instrument, cells: &[(usize, &str)]) -> Song {
    let mut s = Song::new(1);
    s.tempo = 125.0;
    s.speed = 6;
    s.rows_per_beat = 4;
    s.render.tail = 0.2;
    s.instruments.push(instrument);
    let mut p = Pattern::new("P", 8, 1);
    for &(row, text) in cells {
        *p.cell_mut(row, 0) = text.parse().unwrap();
    }
    s.patterns = vec![p];
    s.arrangement = vec![OrderEntry {
        pattern: "P".into(),
        section: "verse".into(),
        repeat: 1,
    }];
    s
}

/// A pure sine with an organ envelope and the filter wide open.
fn sine() -> Instrument {
    let mut synth = Synth::default();
    synth.osc1.wave = Waveform::Sine;
    synth.mix = 0.0;
    synth.filter.cutoff = 20_000.0;
    synth.filter.resonance = 0.0;
    synth.filter.env_amount = 0.0;
    synth.filter.key_track = 0.0;
    synth.amp = Envelope {
        attack: 0.0,
        decay: 0.0,
        sustain: 1.0,
        release: 0.0,
    };
    Instrument::synth("sine", synth)
}

/// A sine blip that has died away (-100 dB) 240 samples after it starts.
fn blip() -> Instrument {
    let mut inst = sine();
    if let tracksmith::song::Source::Synth(s) = &mut inst.source {
        s.amp = Envelope {
            attack: 0.0,
            decay: 0.005,
            sustain: 0.0,
            release: 0.0,
        };
    }
    inst
}

/// A sampler over `data` (mono, at the render rate, root C-4).
fn sampler(data: Vec<f32>) -> (Instrument, SampleBank) {
    let data = SampleData {
        sample_rate: RATE,
        channels: vec![data],
    };
    let bank = SampleBank::from_samples(vec![Some(Arc::new(data))]);
    (Instrument::sampler("s", Sampler::new("s.wav")), bank)
}

fn render(s: &Song, bank: &SampleBank) -> (Vec<f32>, Vec<f32>) {
    let out = render_to_vec(s, bank, RATE, 512);
    let left = out.iter().step_by(2).copied().collect();
    let right = out.iter().skip(1).step_by(2).copied().collect();
    (left, right)
}

fn left(s: &Song) -> Vec<f32> {
    render(s, &SampleBank::default()).0
}

/// The pitch (MIDI note, fractional) of a sine over `range`, from its rising zero crossings.
fn pitch(signal: &[f32], range: std::ops::Range<usize>) -> f64 {
    let x = &signal[range];
    let crossings: Vec<f64> = x
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] < 0.0 && w[1] >= 0.0)
        .map(|(i, w)| i as f64 + f64::from(w[0] / (w[0] - w[1])))
        .collect();
    assert!(crossings.len() >= 3, "too few cycles to measure");
    let cycles = (crossings.len() - 1) as f64;
    let hz = cycles * f64::from(RATE) / (crossings[crossings.len() - 1] - crossings[0]);
    69.0 + 12.0 * (hz / 440.0).log2()
}

/// The pitch over tick `tick` of the song, skipping its first samples (pitch moves at
/// control rate, a few samples after the tick).
fn tick_pitch(signal: &[f32], tick: usize) -> f64 {
    pitch(signal, tick * TICK + 64..(tick + 1) * TICK - 8)
}

fn rms(x: &[f32]) -> f64 {
    (x.iter().map(|&v| f64::from(v) * f64::from(v)).sum::<f64>() / x.len() as f64).sqrt()
}

fn assert_near(what: &str, got: f64, want: f64, tolerance: f64) {
    assert!(
        (got - want).abs() <= tolerance,
        "{what}: got {got:.3}, want {want:.3} ± {tolerance}"
    );
}

#[test]
fn the_measurement_hears_a_plain_note_at_its_pitch() {
    let out = left(&song(sine(), &[(0, "A-4 01")]));
    for tick in 0..12 {
        assert_near(&format!("tick {tick}"), tick_pitch(&out, tick), 69.0, 0.02);
    }
}

#[test]
fn arpeggio_cycles_through_the_note_and_its_two_intervals_each_tick() {
    let out = left(&song(sine(), &[(0, "A-4 01 .. 047")]));
    for (tick, offset) in [0.0, 4.0, 7.0, 0.0, 4.0, 7.0].into_iter().enumerate() {
        assert_near(
            &format!("tick {tick}"),
            tick_pitch(&out, tick),
            69.0 + offset,
            0.05,
        );
    }
    // The next row has no arpeggio: back to the note.
    assert_near("next row", tick_pitch(&out, 7), 69.0, 0.05);
}

#[test]
fn portamento_up_and_down_slide_xx_sixteenths_per_tick_and_hold() {
    let up = left(&song(sine(), &[(0, "A-4 01 .. 110")]));
    let down = left(&song(sine(), &[(0, "A-4 01 .. 220")]));
    for tick in 0..6 {
        let k = tick as f64;
        assert_near("up", tick_pitch(&up, tick), 69.0 + k, 0.05);
        assert_near("down", tick_pitch(&down, tick), 69.0 - 2.0 * k, 0.05);
    }
    // The slide stays where it got to on the next row.
    assert_near("up held", tick_pitch(&up, 8), 74.0, 0.05);
    assert_near("down held", tick_pitch(&down, 8), 59.0, 0.05);
}

#[test]
fn tone_portamento_slides_to_the_new_note_without_restarting_it() {
    let out = left(&song(sine(), &[(0, "A-4 01"), (1, "C-5 .. .. 320")]));
    // Two semitones a tick from A-4 toward C-5, then it stays there.
    assert_near("row 1 tick 0", tick_pitch(&out, 6), 69.0, 0.05);
    assert_near("row 1 tick 1", tick_pitch(&out, 7), 71.0, 0.05);
    assert_near("row 1 tick 2", tick_pitch(&out, 8), 72.0, 0.05);
    assert_near("row 2", tick_pitch(&out, 13), 72.0, 0.05);
    // No new attack: the level never dips where the second note comes in.
    let around = &out[ROW - 200..ROW + 200];
    let peaks: Vec<f32> = around
        .chunks(100)
        .map(|c| c.iter().fold(0.0f32, |m, x| m.max(x.abs())))
        .collect();
    let (lo, hi) = peaks
        .iter()
        .fold((f32::MAX, 0.0f32), |(lo, hi), &p| (lo.min(p), hi.max(p)));
    assert!(lo > 0.95 * hi, "the note restarted: {peaks:?}");
}

#[test]
fn vibrato_swings_y_eighths_of_a_semitone_at_x_sixty_fourths_of_a_cycle_per_tick() {
    // Depth 8 = one semitone either way; speed 4 = a cycle every 16 ticks (15360 samples).
    let cells: Vec<(usize, &str)> = (0..4)
        .map(|row| {
            (
                row,
                if row == 0 {
                    "A-4 01 .. 448"
                } else {
                    "--- .. .. 448"
                },
            )
        })
        .collect();
    let out = left(&song(sine(), &cells));
    let window = 480;
    let pitches: Vec<f64> = (0..(4 * ROW) / window - 1)
        .map(|i| pitch(&out, i * window..(i + 1) * window))
        .collect();
    let highest = pitches.iter().copied().fold(f64::MIN, f64::max);
    let lowest = pitches.iter().copied().fold(f64::MAX, f64::min);
    assert_near("highest", highest, 70.0, 0.1);
    assert_near("lowest", lowest, 68.0, 0.1);
    // Highest to lowest is half a cycle: 8 ticks.
    let at = |target: f64| pitches.iter().position(|&p| p == target).unwrap();
    let half_cycle = (at(lowest) as f64 - at(highest) as f64).abs() * window as f64;
    assert_near("half cycle in ticks", half_cycle / TICK as f64, 8.0, 1.0);
}

#[test]
fn pan_00_is_hard_left_ff_hard_right_and_80_centre() {
    let sides = |fx: &str| {
        let s = song(sine(), &[(0, &*format!("A-4 01 .. {fx}"))]);
        let (l, r) = render(&s, &SampleBank::default());
        (rms(&l[ROW / 2..ROW]), rms(&r[ROW / 2..ROW]))
    };
    let (l, r) = sides("800");
    assert!(l > 0.1 && r < 1e-3 * l, "800: left {l} right {r}");
    let (l, r) = sides("8FF");
    assert!(r > 0.1 && l < 1e-3 * r, "8FF: left {l} right {r}");
    let (l, r) = sides("880");
    assert_near("880 balance (dB)", 20.0 * (l / r).log10(), 0.0, 0.1);
}

#[test]
fn set_volume_and_the_volume_column_scale_the_level_linearly() {
    let level = |cell: &str| rms(&left(&song(sine(), &[(0, cell)]))[ROW / 2..ROW]);
    let full = level("A-4 01 40");
    assert!(full > 0.1);
    assert_near("C20", level("A-4 01 .. C20") / full, 0.5, 0.005);
    assert_near("volume 10", level("A-4 01 10") / full, 0.25, 0.005);
}

#[test]
fn volume_slide_moves_the_level_each_tick_after_the_first() {
    let full = left(&song(sine(), &[(0, "A-4 01 40")]));
    let slid = left(&song(sine(), &[(0, "A-4 01 40 A04")]));
    // Five ticks of -4: 0x40 becomes 0x2C, where the next row keeps it.
    let next_row = ROW + 200..2 * ROW;
    assert_near(
        "after A04",
        rms(&slid[next_row.clone()]) / rms(&full[next_row]),
        44.0 / 64.0,
        0.005,
    );
    // Tick 0 is untouched.
    assert_near(
        "tick 0",
        rms(&slid[200..TICK]) / rms(&full[200..TICK]),
        1.0,
        0.005,
    );
}

#[test]
fn sample_offset_starts_xx_times_256_frames_in() {
    let noise: Vec<f32> = (0..RATE as usize)
        .map(|i| ((i as u32).wrapping_mul(2_654_435_761) >> 8) as f32 / (1u32 << 24) as f32 - 0.5)
        .collect();
    let (inst, bank) = sampler(noise);
    let plain = render(&song(inst.clone(), &[(0, "C-4 01")]), &bank).0;
    let offset = render(&song(inst, &[(0, "C-4 01 .. 902")]), &bank).0;
    // Past the few samples of attack, the offset note is the plain one 512 frames on.
    for n in 200..4000 {
        assert!(
            (offset[n] - plain[n + 512]).abs() < 1e-6,
            "frame {n}: {} vs {}",
            offset[n],
            plain[n + 512]
        );
    }
}

#[test]
fn note_cut_silences_the_note_x_ticks_in() {
    let out = left(&song(sine(), &[(0, "A-4 01 40 EC2")]));
    assert!(rms(&out[TICK..2 * TICK]) > 0.1, "playing before the cut");
    // The cut fades over a few milliseconds so it does not click, then nothing.
    let silent_from = 2 * TICK + (0.006 * RATE as f64) as usize;
    let rest = &out[silent_from..ROW];
    assert!(rest.iter().all(|x| x.abs() < 1e-4), "sound after the cut");
}

#[test]
fn note_delay_starts_the_note_exactly_x_ticks_late() {
    let (inst, bank) = sampler(vec![0.5; RATE as usize]);
    let out = render(&song(inst, &[(0, "C-4 01 40 ED3")]), &bank).0;
    let first = out.iter().position(|&x| x != 0.0).unwrap();
    assert_eq!(first, 3 * TICK);
}

#[test]
fn retrigger_restarts_the_note_every_x_ticks() {
    let out = left(&song(blip(), &[(0, "A-4 01 40 E92")]));
    for tick in 0..6 {
        let start = rms(&out[tick * TICK..tick * TICK + 200]);
        let end = rms(&out[tick * TICK + 600..(tick + 1) * TICK]);
        assert!(end < 1e-4, "tick {tick}: the blip should have died away");
        if tick % 2 == 0 {
            assert!(start > 0.05, "tick {tick}: a retrigger was expected");
        } else {
            assert!(start < 1e-4, "tick {tick}: no retrigger was expected");
        }
    }
}
