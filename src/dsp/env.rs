//! ADSR envelopes. Attack is linear; decay and release are exponential and arrive (within
//! -100 dB) in the time given, then snap exactly, so "release 0.2" means silent at 0.2 s.
//! Every stage starts from the current level, so a retrigger or a cut never jumps.

/// ln(1e5): an exponential is within -100 dB of its target after this many time constants.
const TIME_CONSTANTS: f32 = 11.512_925;
/// No attack or release is shorter: a shorter one is heard as a click.
const MIN_ATTACK: f32 = 0.0015;
const MIN_RELEASE: f32 = 0.005;
const SNAP: f32 = 1e-5;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adsr {
    pub attack: f32,
    pub decay: f32,
    pub sustain: f32,
    pub release: f32,
}

impl Default for Adsr {
    fn default() -> Adsr {
        Adsr {
            attack: 0.005,
            decay: 0.1,
            sustain: 0.8,
            release: 0.2,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stage {
    Idle,
    Attack,
    Decay,
    Sustain,
    Release,
}

#[derive(Clone, Debug)]
pub struct Envelope {
    sample_rate: f32,
    params: Adsr,
    stage: Stage,
    level: f32,
    attack_step: f32,
    above_sustain: f32,
    /// A stage is over once its distance to go falls to 1e-5 of where it began (-100 dB).
    snap_below: f32,
    /// Per-sample multiplier of the distance to the stage's target.
    coefficient: f32,
}

impl Envelope {
    pub fn new(sample_rate: f32) -> Envelope {
        Envelope {
            sample_rate,
            params: Adsr::default(),
            stage: Stage::Idle,
            level: 0.0,
            attack_step: 0.0,
            above_sustain: 0.0,
            snap_below: 0.0,
            coefficient: 0.0,
        }
    }

    pub fn set_params(&mut self, params: &Adsr) {
        self.params = *params;
        self.params.sustain = params.sustain.clamp(0.0, 1.0);
    }

    fn start_release(&mut self, seconds: f32) {
        self.stage = Stage::Release;
        self.coefficient = self.coefficient_for(seconds);
        self.snap_below = self.level * SNAP;
    }

    fn start_decay(&mut self) {
        self.stage = Stage::Decay;
        self.coefficient = self.coefficient_for(self.params.decay);
        self.above_sustain = 1.0 - self.params.sustain;
        self.snap_below = self.above_sustain * SNAP;
    }

    fn coefficient_for(&self, seconds: f32) -> f32 {
        (-TIME_CONSTANTS / (seconds * self.sample_rate).max(1.0)).exp()
    }

    pub fn gate_on(&mut self) {
        self.stage = Stage::Attack;
        let samples = (self.params.attack.max(MIN_ATTACK) * self.sample_rate).max(1.0);
        self.attack_step = 1.0 / samples;
    }

    pub fn gate_off(&mut self) {
        if self.stage != Stage::Idle {
            self.start_release(self.params.release.max(MIN_RELEASE));
        }
    }

    /// Fades to silence in `seconds` whatever the stage: a stolen or cut note.
    pub fn fast_release(&mut self, seconds: f32) {
        if self.stage != Stage::Idle {
            self.start_release(seconds.max(MIN_RELEASE));
        }
    }

    pub fn process(&mut self) -> f32 {
        match self.stage {
            Stage::Idle => {}
            Stage::Attack => {
                self.level += self.attack_step;
                if self.level >= 1.0 {
                    self.level = 1.0;
                    self.start_decay();
                }
            }
            Stage::Decay => {
                // Kept apart from the level: added to the sustain level, a small distance
                // would stop shrinking once it fell under the level's precision.
                self.above_sustain *= self.coefficient;
                self.level = self.params.sustain + self.above_sustain;
                if self.above_sustain <= self.snap_below {
                    self.level = self.params.sustain;
                    self.stage = Stage::Sustain;
                }
            }
            Stage::Sustain => {
                self.level = self.params.sustain;
                if self.level == 0.0 {
                    self.stage = Stage::Idle;
                }
            }
            Stage::Release => {
                self.level *= self.coefficient;
                if self.level <= self.snap_below {
                    self.level = 0.0;
                    self.stage = Stage::Idle;
                }
            }
        }
        self.level
    }

    pub fn level(&self) -> f32 {
        self.level
    }

    /// The level every `process` call will return until the next gate change, when it
    /// holds: in the sustain stage (above zero; a zero sustain ends the envelope) or idle.
    pub fn steady_level(&self) -> Option<f32> {
        match self.stage {
            Stage::Sustain if self.params.sustain > 0.0 => Some(self.params.sustain),
            Stage::Idle => Some(self.level),
            _ => None,
        }
    }

    /// `count` calls of `process`, for a caller that needs only where they end.
    pub fn advance(&mut self, count: usize) {
        if self.steady_level().is_none() {
            self.run(count, |_, _| {});
        }
    }

    /// Fills `out` with what successive `process` calls return, up to and including the
    /// one after which the envelope is idle; returns how many it filled (`out.len()`
    /// unless the envelope ended first).
    pub fn fill(&mut self, out: &mut [f32]) -> usize {
        self.run(out.len(), |i, level| out[i] = level)
    }

    /// `process` up to `count` times, handing each result to `emit`, with the stage
    /// chosen once per stretch rather than per sample; stops after the call that leaves
    /// the envelope idle and returns how many calls it made.
    #[inline(always)]
    fn run(&mut self, count: usize, mut emit: impl FnMut(usize, f32)) -> usize {
        let mut done = 0;
        while done < count {
            match self.stage {
                Stage::Idle => {
                    emit(done, self.level);
                    return done + 1;
                }
                Stage::Attack => {
                    let mut level = self.level;
                    while done < count {
                        level += self.attack_step;
                        if level >= 1.0 {
                            level = 1.0;
                            self.start_decay();
                            emit(done, level);
                            done += 1;
                            break;
                        }
                        emit(done, level);
                        done += 1;
                    }
                    self.level = level;
                }
                Stage::Decay => {
                    let (sustain, coefficient) = (self.params.sustain, self.coefficient);
                    let mut above = self.above_sustain;
                    let mut level = self.level;
                    while done < count {
                        above *= coefficient;
                        if above <= self.snap_below {
                            level = sustain;
                            self.stage = Stage::Sustain;
                            emit(done, level);
                            done += 1;
                            break;
                        }
                        level = sustain + above;
                        emit(done, level);
                        done += 1;
                    }
                    self.above_sustain = above;
                    self.level = level;
                }
                Stage::Sustain => {
                    self.level = self.params.sustain;
                    if self.level == 0.0 {
                        self.stage = Stage::Idle;
                        emit(done, 0.0);
                        return done + 1;
                    }
                    for i in done..count {
                        emit(i, self.level);
                    }
                    done = count;
                }
                Stage::Release => {
                    let (coefficient, snap_below) = (self.coefficient, self.snap_below);
                    let mut level = self.level;
                    while done < count {
                        level *= coefficient;
                        if level <= snap_below {
                            self.level = 0.0;
                            self.stage = Stage::Idle;
                            emit(done, 0.0);
                            return done + 1;
                        }
                        emit(done, level);
                        done += 1;
                    }
                    self.level = level;
                }
            }
        }
        done
    }

    pub fn is_idle(&self) -> bool {
        self.stage == Stage::Idle
    }

    pub fn reset(&mut self) {
        self.stage = Stage::Idle;
        self.level = 0.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: f32 = 48_000.0;

    fn envelope(a: f32, d: f32, s: f32, r: f32) -> Envelope {
        let mut e = Envelope::new(RATE);
        e.set_params(&Adsr {
            attack: a,
            decay: d,
            sustain: s,
            release: r,
        });
        e
    }

    #[test]
    fn attack_decay_and_release_take_the_times_given() {
        let mut e = envelope(0.01, 0.1, 0.5, 0.2);
        e.gate_on();
        let peak_at = (0..2000).position(|_| e.process() >= 1.0).unwrap() + 1;
        assert!(
            (peak_at as i32 - 480).abs() <= 1,
            "peak after {peak_at} samples"
        );
        let sustain_at = (0..20_000).position(|_| e.process() == 0.5).unwrap() + 1;
        assert!(
            (sustain_at as f32 / RATE - 0.1).abs() < 0.002,
            "{sustain_at}"
        );
        for _ in 0..1000 {
            assert_eq!(e.process(), 0.5);
        }
        e.gate_off();
        let silent_at = (0..40_000).position(|_| e.process() == 0.0).unwrap() + 1;
        assert!((silent_at as f32 / RATE - 0.2).abs() < 0.002, "{silent_at}");
        assert!(e.is_idle());
    }

    #[test]
    fn a_steady_level_is_what_process_returns_and_advance_skips_nothing() {
        let mut e = envelope(0.002, 0.01, 0.6, 0.01);
        let mut twin = e.clone();
        e.gate_on();
        twin.gate_on();
        for i in 0..3_000 {
            if i == 2_000 {
                e.gate_off();
                twin.gate_off();
            }
            let steady = e.steady_level();
            let x = e.process();
            if let Some(level) = steady {
                assert_eq!(level, x, "sample {i}");
            }
            twin.advance(1);
            assert_eq!(twin.level(), x, "sample {i}");
        }
        assert!(e.is_idle() && e.steady_level() == Some(0.0));
        let mut held = envelope(0.002, 0.01, 0.6, 0.01);
        held.gate_on();
        held.advance(2_000);
        assert_eq!(held.steady_level(), Some(0.6));
    }

    #[test]
    fn fill_and_advance_give_the_levels_process_does_and_stop_where_it_ends() {
        for (sustain, chunk) in [(0.6, 1), (0.6, 7), (0.6, 64), (0.0, 5), (1.0, 13)] {
            let mut one = envelope(0.003, 0.02, sustain, 0.03);
            let (mut filled, mut advanced) = (one.clone(), one.clone());
            for e in [&mut one, &mut filled, &mut advanced] {
                e.gate_on();
            }
            let mut buffer = vec![0.0f32; chunk];
            let mut at = 0;
            while at < 6_000 && !one.is_idle() {
                // Gates change between calls, as a voice's do.
                if (1_000..1_000 + chunk).contains(&at) || (3_000..3_000 + chunk).contains(&at) {
                    one.gate_off();
                    filled.gate_off();
                    advanced.gate_off();
                }
                if (2_000..2_000 + chunk).contains(&at) {
                    one.gate_on();
                    filled.gate_on();
                    advanced.gate_on();
                }
                // `process` until the chunk is full or the envelope has ended.
                let mut want = Vec::new();
                while want.len() < chunk && (want.is_empty() || !one.is_idle()) {
                    want.push(one.process().to_bits());
                }
                let n = filled.fill(&mut buffer);
                let got: Vec<u32> = buffer[..n].iter().map(|x| x.to_bits()).collect();
                assert_eq!(got, want, "s {sustain} chunk {chunk} at {at}");
                assert_eq!(filled.is_idle(), one.is_idle());
                advanced.advance(chunk);
                assert_eq!(advanced.level().to_bits(), filled.level().to_bits());
                at += chunk;
            }
            assert!(
                one.is_idle() && filled.is_idle(),
                "s {sustain} chunk {chunk}"
            );
        }
    }

    #[test]
    fn retrigger_and_fast_release_never_jump() {
        let mut e = envelope(0.0, 0.05, 0.7, 0.5);
        e.gate_on();
        let mut last = 0.0f32;
        let mut worst = 0.0f32;
        for i in 0..48_000 {
            if i == 10_000 {
                e.gate_off();
            }
            if i == 12_000 {
                e.gate_on();
            }
            if i == 30_000 {
                e.fast_release(0.004);
            }
            let x = e.process();
            worst = worst.max((x - last).abs());
            last = x;
        }
        // The steepest steps allowed: the minimum attack, and the start of a 4 ms fade
        // from full level.
        let attack = 1.0 / (MIN_ATTACK * RATE);
        let fade = 1.0 - (-TIME_CONSTANTS / (0.004 * RATE)).exp();
        assert!(worst <= attack.max(fade) + 1e-6, "step {worst}");
        assert!(e.is_idle());
    }
}
