//! The speed part of a verdict: what speedup to expect, the timings taken
//! side by side (baseline, program, baseline, program, ...), and the
//! judgement on them. Every judgement looks at how busy the machine was
//! first: a correct program on a busy machine is "inconclusive", never failed.

use crate::inputs::Input;
use crate::manifest::{Exercise, SpeedupRule};
use crate::verdict::{Measurements, Stop};
use parlab::Cpus;
use parlab::stats::{median, spread};

/// Pairs of timed runs: at least this many, more while the spread is wide.
pub const MIN_PAIRS: usize = 3;
pub const MAX_PAIRS: usize = 7;
/// Spread ((max - min) / median) above which timings are too noisy to judge.
const NOISY: f64 = 0.25;
/// Share of the expected speedup that passes.
const PASS_SHARE: f64 = 0.75;
/// CPUs that other programs may keep busy before a timing is not trusted.
pub const BUSY_CPUS: f64 = 0.25;

/// What speedup an exercise should reach on this machine, and why.
pub struct Expectation {
    pub rule: SpeedupRule,
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
            Ok(Some(Expectation { rule: ex.speedup, expected, required, why, ceiling }))
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

/// One baseline run or one run of the program.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub wall_secs: f64,
    pub cpu_secs: f64,
    /// CPU-seconds other programs used meanwhile, if measured.
    pub others_cpu_secs: Option<f64>,
}

/// The timings of one verification, in pairs.
#[derive(Default)]
pub struct Timings {
    pub baseline: Vec<Timing>,
    pub learner: Vec<Timing>,
}

impl Timings {
    /// Whether enough pairs were taken: at least [`MIN_PAIRS`], and the
    /// spreads are narrow or [`MAX_PAIRS`] is reached.
    pub fn enough(&self) -> bool {
        let n = self.baseline.len().min(self.learner.len());
        n >= MAX_PAIRS
            || (n >= MIN_PAIRS
                && spread(&walls(&self.baseline)) < NOISY / 2.0
                && spread(&walls(&self.learner)) < NOISY / 2.0)
    }

    /// CPUs other programs kept busy, on average over every run.
    fn others_cpus(&self) -> Option<f64> {
        let all = self.baseline.iter().chain(&self.learner);
        let (mut others, mut wall) = (0.0, 0.0);
        for t in all {
            others += t.others_cpu_secs?;
            wall += t.wall_secs;
        }
        (wall > 0.0).then(|| others / wall)
    }

    pub fn measurements(&self, e: &Expectation) -> Measurements {
        let (b, l) = (walls(&self.baseline), walls(&self.learner));
        let used: Vec<f64> = self.learner.iter().map(|t| t.cpu_secs / t.wall_secs.max(1e-9)).collect();
        Measurements {
            baseline_secs: median(&b),
            learner_secs: median(&l),
            speedup: median(&b) / median(&l),
            expected_speedup: e.expected,
            required_speedup: e.required,
            why_expected: e.why.clone(),
            baseline_samples: b,
            learner_samples: l,
            learner_cpus_used: median(&used),
            baseline_cpu_secs: median(&cpus(&self.baseline)),
            learner_cpu_secs: median(&cpus(&self.learner)),
            others_cpus: self.others_cpus(),
        }
    }
}

fn walls(t: &[Timing]) -> Vec<f64> {
    t.iter().map(|t| t.wall_secs).collect()
}

fn cpus(t: &[Timing]) -> Vec<f64> {
    t.iter().map(|t| t.cpu_secs).collect()
}

/// Whether the machine was too busy to judge speed or overlap, and in
/// words why; `None` when it was quiet enough.
pub fn busy(m: &Measurements, rule: SpeedupRule) -> Option<String> {
    if let Some(o) = m.others_cpus
        && o >= BUSY_CPUS
    {
        return Some(format!("other programs kept {o:.2} CPUs busy while your runs went on"));
    }
    let cpu_bound = matches!(rule, SpeedupRule::Cpus | SpeedupRule::BeatsSequential);
    let share = m.baseline_cpu_secs / m.baseline_secs.max(1e-9);
    if cpu_bound && share < 0.8 {
        return Some(format!("the sequential baseline got {:.0}% of a CPU", share * 100.0));
    }
    if spread(&m.baseline_samples) > NOISY || spread(&m.learner_samples) > NOISY {
        return Some(format!(
            "timings varied too much (baseline spread {:.0}%, yours {:.0}%)",
            spread(&m.baseline_samples) * 100.0,
            spread(&m.learner_samples) * 100.0
        ));
    }
    None
}

/// The judgement: `Ok` with the passing reason, or why not.
pub fn judge(e: &Expectation, m: &Measurements) -> Result<String, Stop> {
    let (speedup, required) = (m.speedup, e.required);
    let less_work = m.learner_cpu_secs < 0.6 * m.baseline_cpu_secs;
    let cpu_bound = matches!(e.rule, SpeedupRule::Cpus | SpeedupRule::BeatsSequential);
    if cpu_bound && less_work {
        return Err(Stop::failed(format!(
            "your program used {:.2} CPU-seconds where the work takes {:.2} (the checker's sequential run): call \
             the course workload on every input value, not a shortcut",
            m.learner_cpu_secs, m.baseline_cpu_secs
        )));
    }
    if speedup > e.ceiling {
        return Err(Stop::inconclusive(format!(
            "speedup {speedup:.2}x is above the {:.2}x this work allows here: the timings were disturbed; run the \
             checker again",
            e.ceiling
        )));
    }
    if speedup >= required {
        return Ok(format!("really faster: {speedup:.2}x ({required:.2}x or more passes)"));
    }
    // Other programs slow runs down, never up: when they were measured
    // quiet, the fastest run of the program against the slowest of the
    // baseline is the most generous reading, and if even that misses, no
    // noise explains the miss.
    let quiet = m.others_cpus.is_some_and(|o| o < BUSY_CPUS)
        && !(cpu_bound && m.baseline_cpu_secs / m.baseline_secs.max(1e-9) < 0.8);
    let fastest = m.learner_samples.iter().copied().fold(f64::INFINITY, f64::min);
    let slowest_baseline = m.baseline_samples.iter().copied().fold(0.0, f64::max);
    let generous = slowest_baseline / fastest;
    let clear_miss = quiet && generous.is_finite() && generous < required;
    if let Some(why) = busy(m, e.rule).filter(|_| !clear_miss) {
        return Err(Stop::inconclusive(format!(
            "speedup {speedup:.2}x is below {required:.2}x, but the machine was too busy to tell: {why}. Close other \
             programs and run the checker again"
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
        // Work done twice (every rank counting the whole range) shows as
        // CPU time, which no other program can double.
        SpeedupRule::Cpus if m.learner_cpu_secs > 1.6 * m.baseline_cpu_secs => format!(
            "not fast enough: {speedup:.2}x, and your program used {:.2} CPU-seconds where the work takes {:.2} \
             (the checker's sequential run): the work was done more than once; give each worker (or rank) only \
             its own part",
            m.learner_cpu_secs, m.baseline_cpu_secs
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
    Err(Stop::failed(reason))
}
