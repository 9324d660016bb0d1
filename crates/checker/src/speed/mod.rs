//! The speed part of a verdict: what speedup to expect, the timings taken
//! side by side (baseline, program, baseline, program, ...), and the
//! judgement on them. Every judgement looks at how busy the machine was
//! first: a correct program on a busy machine is "inconclusive", never failed.

mod second_look;
mod timings;

pub use second_look::{LOOK_ROUNDS, Round, SecondLook, machine_speedup, needs_second_look};
pub use timings::{Timing, Timings};

use crate::inputs::Input;
use crate::manifest::{Exercise, SpeedupRule};
use crate::verdict::{Measurements, Stop};
use parlab::Cpus;

/// Pairs of timed runs: at least this many, more while the spread is wide.
pub const MIN_PAIRS: usize = 3;
pub const MAX_PAIRS: usize = 7;
/// Spread ((max - min) / median) above which timings are too noisy to judge.
const NOISY: f64 = 0.25;
/// How far on one side of the bar every pairing must be to need no more pairs.
const MARGIN: f64 = 0.05;
/// Share of the expected speedup that passes.
pub const PASS_SHARE: f64 = 0.75;
/// CPUs that other programs may keep busy before a timing is not trusted.
pub const BUSY_CPUS: f64 = 0.25;

/// What speedup an exercise should reach on this machine, and why.
pub struct Expectation {
    pub rule: SpeedupRule,
    /// Whether the checker witnessed each part of the work (so that work done
    /// twice was already caught); where it did not (tiny tasks, a histogram),
    /// the kernel's CPU count is the witness of wasted work.
    pub witnessed: bool,
    pub expected: f64,
    pub required: f64,
    pub why: String,
    /// The most that honest work can reach: above it, the run did less than
    /// the work, or the timings were disturbed.
    pub ceiling: f64,
}

impl Expectation {
    /// `Err` with the reason where speed is not graded.
    pub fn of(ex: &Exercise, input: &Input, cpus: &Cpus) -> Result<Option<Expectation>, String> {
        let usable = cpus.usable;
        let make = |expected: f64, required: f64, why: String, ceiling: f64| {
            Ok(Some(Expectation { rule: ex.speedup, witnessed: input.traced(), expected, required, why, ceiling }))
        };
        match ex.speedup {
            SpeedupRule::None => Ok(None),
            SpeedupRule::Ideal => {
                let (sleeps, makespan) = (input.sleeps().unwrap_or_default(), input.ideal_makespan().unwrap_or(1.0));
                let workers = input.workers().unwrap_or(1);
                let ideal = sleeps.iter().sum::<f64>() / makespan;
                let floor = input.makespan_floor().unwrap_or(makespan);
                let why = format!("sleeping tasks on {workers} workers: the ideal whatever the CPUs");
                // Start-up costs differ between the baseline and the program: leave room.
                make(ideal, 1.0_f64.max(PASS_SHARE * ideal), why, 1.25 * sleeps.iter().sum::<f64>() / floor)
            }
            SpeedupRule::Cpus | SpeedupRule::BeatsSequential if usable == 1 => {
                Err(format!("speed not graded: {}; only the answer and the trace count here", cpus.explain()))
            }
            SpeedupRule::Cpus => {
                let expected = usable.min(input.tasks()) as f64;
                let mut why = format!("CPU-bound work is bounded by the CPUs: {}", cpus.explain());
                if ex.where_ == crate::manifest::WhereRule::Ranks {
                    why.push_str("; your time includes starting MPI");
                }
                make(expected, 1.0_f64.max(PASS_SHARE * expected), why, expected * 1.3)
            }
            SpeedupRule::BeatsSequential => {
                let why = format!("{}; any speedup over 1.1x shows the chunks paid off", cpus.explain());
                make(usable as f64, 1.1, why, usable as f64 * 1.3)
            }
        }
    }
}

/// Whether the machine was too busy to judge speed, as the kernel measured
/// it, and in words why; `None` when it was quiet enough. How much the
/// program's own timings varied never counts: a program can vary them.
pub fn busy(m: &Measurements, rule: SpeedupRule) -> Option<String> {
    if let Some(o) = m.others_cpus
        && o >= BUSY_CPUS
    {
        return Some(format!("other programs kept {o:.2} CPUs busy while the runs went on"));
    }
    let cpu_bound = matches!(rule, SpeedupRule::Cpus | SpeedupRule::BeatsSequential);
    let share = m.baseline_cpu_secs / m.baseline_secs.max(1e-9);
    if cpu_bound && share < 0.8 {
        return Some(format!("the checker's sequential baseline got only {:.0}% of a CPU", share * 100.0));
    }
    None
}

/// The judgement: `Ok` with the passing reason, or why not. What the kernel
/// counted decides first (work skipped, work wasted), under any load; a
/// speed missed by timing alone is inconclusive only when the machine was
/// busy.
///
/// `look` is the second look taken where the program was slower than the
/// bar (see [`needs_second_look`]): its speedup and what the machine's CPUs
/// gave the checker's own count in the same moments.
pub fn judge(e: &Expectation, m: &Measurements, look: Option<&SecondLook>) -> Result<String, Stop> {
    let (speedup, required) = (m.speedup, e.required);
    // Well below the baseline's CPU time: what shares a core moves a
    // CPU-second's worth of work by a quarter or more (see the evidence's
    // WITNESSED_CPU_SHARE), so only a large shortfall says work was skipped.
    let less_work = m.learner_cpu_secs < 0.6 * m.baseline_cpu_secs;
    let cpu_bound = matches!(e.rule, SpeedupRule::Cpus | SpeedupRule::BeatsSequential);
    if cpu_bound && less_work {
        return Err(Stop::failed(format!(
            "your program used {:.2} CPU-seconds where the work takes {:.2} (the checker's sequential run): call \
             the course workload on every input value, not a shortcut",
            m.learner_cpu_secs, m.baseline_cpu_secs
        )));
    }
    // The kernel's count again: witnessed work on c CPUs is at most about c
    // times faster than on the one CPU the baseline had. Faster than that,
    // the program did less work than the baseline. (Where parts are not
    // witnessed, less work gives a wrong answer, and the baseline's own code
    // may run a little slower than a learner's loop.)
    let baseline_cpus = m.baseline_cpu_secs / m.baseline_secs.max(1e-9);
    if cpu_bound && e.witnessed && speedup > 1.25 * m.learner_cpus_used / baseline_cpus.max(0.05) {
        return Err(Stop::failed(format!(
            "your program was {speedup:.2}x faster than the checker's sequential run while using {:.2} CPUs on \
             average: more speed than its CPUs can give, so it did less work than the input asks for",
            m.learner_cpus_used
        )));
    }
    if speedup >= required && speedup <= e.ceiling {
        return Ok(format!("really faster: {speedup:.2}x ({required:.2}x or more passes)"));
    }
    // Wasted CPU time shows in the kernel's count, which no other program
    // can raise. Where the parts were not witnessed (a histogram), work
    // done twice would have doubled the answer, which was right: the CPUs
    // spent the difference waiting on each other.
    if cpu_bound && !e.witnessed && speedup < required && m.learner_cpu_secs > 1.6 * m.baseline_cpu_secs {
        return Err(Stop::failed(format!(
            "not fast enough: {speedup:.2}x, and your program used {:.2} CPU-seconds where the work takes {:.2} (the \
             checker's sequential run): the CPUs spent the difference waiting on each other (counts shared by every \
             thread: each add waits for the others' caches, as chapter 11 shows); give each thread counts of its \
             own and add them up at the end",
            m.learner_cpu_secs, m.baseline_cpu_secs
        )));
    }
    if let Some(why) = busy(m, e.rule) {
        let what = if speedup > e.ceiling {
            format!("speedup {speedup:.2}x is above the {:.2}x this work allows here", e.ceiling)
        } else {
            format!("speedup {speedup:.2}x is below {required:.2}x")
        };
        return Err(Stop::inconclusive(format!(
            "{what}, but the machine was too busy to tell: {why}. Close other programs and run the checker again"
        )));
    }
    // A machine whose speed changed, or whose CPUs could not reach the bar
    // for the checker's own work in the same moments (CPUs that share a core,
    // a host busy with other machines: no load the kernel shows), cannot
    // grade a program that came near what they gave.
    if let Some(look) = look
        && look.speedup >= required
    {
        return Err(Stop::inconclusive(format!(
            "speedup {speedup:.2}x over all {} pairs is below {required:.2}x, but your last {} runs reached {:.2}x: \
             this machine's speed changed while the checker timed (a virtual CPU its host slows shows in no load \
             the kernel counts); run the checker again",
            m.learner_samples.len(),
            look.rounds,
            look.speedup
        )));
    }
    if let Some(look) = look
        && look.machine < required
        && look.speedup >= 0.8 * look.machine
    {
        return Err(Stop::inconclusive(format!(
            "speedup {speedup:.2}x is below {required:.2}x, but this machine's CPUs gave the checker's own count \
             only {:.2}x on as many threads in the same moments as your last {} runs (which reached {:.2}x): they \
             cannot give more at the moment (CPUs sharing a core, or a host busy with other machines); run the \
             checker again later",
            look.machine, look.rounds, look.speedup
        )));
    }
    if speedup > e.ceiling {
        // Quiet, and faster than the CPUs allow: the baseline was slowed by
        // something the load does not show. Say so rather than guess.
        return Err(Stop::inconclusive(format!(
            "speedup {speedup:.2}x is above the {:.2}x this work allows here, on a quiet machine: the checker's \
             baseline was slowed by something it cannot see; run the checker again",
            e.ceiling
        )));
    }
    let reason = match e.rule {
        SpeedupRule::BeatsSequential if m.learner_cpus_used < 1.2 => format!(
            "not fast enough: {speedup:.2}x, and your program used {:.2} CPUs on average: it ran one task at a time \
             (a pool sends work to other processes only when you map over it)",
            m.learner_cpus_used
        ),
        SpeedupRule::BeatsSequential => format!(
            "not fast enough: {speedup:.2}x with {:.2} CPUs busy: sending each tiny task costs more than the task; \
             send thousands per message (map_chunked)",
            m.learner_cpus_used
        ),
        SpeedupRule::Cpus => format!(
            "not fast enough: {speedup:.2}x, {required:.2}x or more passes; your runs used {:.2} CPUs: use one \
             worker per usable CPU, give each its share of the work, and let none wait for another (a lock or a \
             counter shared on every step makes them take turns)",
            m.learner_cpus_used
        ),
        _ => format!(
            "not fast enough: your program took {} where the sleeps allow {} ({speedup:.2}x, {required:.2}x or more \
             passes): start every task before waiting for any",
            parlab::timeline::human(m.learner_secs),
            parlab::timeline::human(m.baseline_secs / e.expected)
        ),
    };
    let reason = match look {
        Some(look) => format!(
            "{reason}. Timed again {} times, each beside the checker's own count on every CPU, your program reached \
             {:.2}x while this machine's CPUs gave {:.2}x",
            look.rounds, look.speedup, look.machine
        ),
        None => reason,
    };
    Err(Stop::failed(reason))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cpu_bound(speedup: f64) -> (Expectation, Measurements) {
        let e = Expectation {
            rule: SpeedupRule::Cpus,
            witnessed: true,
            expected: 2.0,
            required: 1.5,
            why: "2 CPUs".into(),
            ceiling: 2.6,
        };
        let m = Measurements {
            baseline_secs: 0.2,
            learner_secs: 0.2 / speedup,
            speedup,
            expected_speedup: 2.0,
            required_speedup: 1.5,
            why_expected: "2 CPUs".into(),
            baseline_samples: vec![0.2; 3],
            learner_samples: vec![0.2 / speedup; 3],
            learner_cpus_used: 1.6,
            baseline_cpu_secs: 0.2,
            learner_cpu_secs: 0.21,
            others_cpus: Some(0.0),
        };
        (e, m)
    }

    #[test]
    fn a_machine_whose_cpus_cannot_reach_the_bar_makes_a_near_miss_inconclusive_only() {
        let look = |speedup: f64, machines: [f64; 3]| {
            let rounds: Vec<Round> = machines.iter().map(|&machine| Round { speedup, machine }).collect();
            SecondLook::of(&rounds)
        };
        let (e, m) = cpu_bound(1.43);
        assert!(needs_second_look(&e, &m));
        let quiet = look(1.43, [1.9, 1.3, 1.92]); // one slow moment of three does not decide
        assert_eq!(judge(&e, &m, Some(&quiet)).unwrap_err().status, crate::verdict::Status::Failed);
        let near = judge(&e, &m, Some(&look(1.3, [1.45, 1.4, 1.9]))).unwrap_err();
        assert_eq!(near.status, crate::verdict::Status::Inconclusive);
        assert!(near.reasons[0].contains("gave the checker's own count only 1.45x"), "{:?}", near.reasons);
        let changed = judge(&e, &m, Some(&look(1.8, [1.9; 3]))).unwrap_err(); // fast once the machine was
        assert_eq!(changed.status, crate::verdict::Status::Inconclusive);
        assert!(changed.reasons[0].contains("last 3 runs reached 1.80x"), "{:?}", changed.reasons);
        let (e, m) = cpu_bound(0.9); // far below what the machine gave: still a failure
        assert_eq!(judge(&e, &m, Some(&look(0.9, [1.45; 3]))).unwrap_err().status, crate::verdict::Status::Failed);
        let (e, m) = cpu_bound(0.5); // no machine explains a quarter of the bar: no second look
        assert!(!needs_second_look(&e, &m));
    }

    #[test]
    fn wide_spreads_need_more_pairs_only_where_the_bar_lies_within_them() {
        let (e, _) = cpu_bound(1.0);
        let timed = |baseline: &[f64], learner: &[f64]| {
            let t = |w: &f64| Timing { wall_secs: *w, cpu_secs: *w, others_cpu_secs: None };
            Timings { baseline: baseline.iter().map(t).collect(), learner: learner.iter().map(t).collect() }
        };
        // Forty times too slow in every pairing, however the runs vary.
        assert!(timed(&[0.1, 0.2, 0.13], &[3.0, 5.0, 4.0]).enough(&e));
        // Well over the bar (1.5x) and under the ceiling (2.6x) in every pairing.
        assert!(timed(&[0.2, 0.24, 0.2], &[0.1, 0.12, 0.1]).enough(&e));
        // The bar lies between the slowest and the fastest pairing: more pairs.
        assert!(!timed(&[0.2, 0.3, 0.25], &[0.1, 0.2, 0.15]).enough(&e));
        // Above the ceiling in one pairing: more pairs.
        assert!(!timed(&[0.2, 0.3, 0.25], &[0.1, 0.1, 0.09]).enough(&e));
        // Never fewer than the least number of pairs.
        assert!(!timed(&[0.1, 0.2], &[3.0, 5.0]).enough(&e));
    }

    #[test]
    fn the_machine_measure_is_a_speedup() {
        let s = machine_speedup(1);
        assert!(s > 0.3 && s < 3.0, "one thread against one thread: {s}");
    }
}
