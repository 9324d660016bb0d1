//! The inputs the checker draws for each exercise, parsed once into one
//! typed value, with what follows from them: the sequential reference (the
//! expected answer and the baseline), the tasks a trace must hold, and the
//! schedule sleeping tasks allow.
//!
//! Draws make the graded property visible on every seed: where results must
//! come in input order, the tasks finish in another order; where they must
//! come in completion order, that order differs from both the input order and
//! the sorted order, by margins well above the scheduler's noise.

mod schedule;

use crate::manifest::{AnswerRule, Exercise, InputKind};
use parlab::workloads::{BUCKETS, bucket, count_primes, crashes, fragile, split_range, task_with, tiny};
use schedule::has_inversion;
pub use schedule::{check_schedule, common_mistakes, finish_times, greedy_schedule};
use serde_json::{Value, json};

/// One exercise's input.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Sleeps, one task each (one process each where processes are asked for).
    Sleeps(Vec<f64>),
    TwoSleeps(f64, f64),
    /// Sleeps on a pool of `workers`. `lasts` is how long each task really
    /// sleeps, which the checker says when the task starts: the sleeps
    /// themselves, but for completion order a shuffle of them, so that the
    /// order tasks finish in is seen, not worked out from the input.
    Pool {
        workers: usize,
        sleeps: Vec<f64>,
        lasts: Vec<f64>,
    },
    /// Ranges whose primes are counted.
    Ranges(Vec<(u64, u64)>),
    /// `start..end`, one tiny task per number.
    Numbers(u64, u64),
    /// Values for `fragile`, some of which crash their process.
    Fragile(Vec<u64>),
    /// `start..end`, each number counted in its `bucket`.
    Histogram(u64, u64),
    /// `start..end`, its primes counted twice: on threads, then on processes.
    Counter(u64, u64),
    /// `start..end`, its primes counted on MPI ranks.
    Ranks(u64, u64),
    /// Sleeps for a pool of `workers`, to predict, not to run.
    Schedule {
        workers: usize,
        sleeps: Vec<f64>,
    },
}

/// Course seconds between two events that the checker relies on telling
/// apart: 0.2 s is 10 ms at the default time scale, far above a process's
/// start-up or a wake-up's lateness.
const MARGIN: f64 = 0.2;

/// How many numbers chapter 11's histogram counts: a prime (10^8 + 7).
const HISTOGRAM_WIDTH: u64 = 100_000_007;

/// How many numbers an MPI exercise counts the primes of.
const RANKS_WIDTH: u64 = 8_000_000;

impl Input {
    /// Draws an input for `exercise` from `rng` (seeded, so a run can be replayed).
    pub fn draw(exercise: &Exercise, rng: &mut fastrand::Rng) -> Input {
        match exercise.input {
            InputKind::TwoSleeps => loop {
                // The first runs longer, so results in completion order are wrong.
                let s = distinct_sleeps(rng, 2);
                if s[0] - s[1] >= MARGIN {
                    return Input::TwoSleeps(s[0], s[1]);
                }
            },
            InputKind::Sleeps => loop {
                let n = rng.usize(3..=6);
                let sleeps = distinct_sleeps(rng, n);
                if exercise.answer != AnswerRule::InOrder || has_inversion(&sleeps, &finish_times(&sleeps, n)) {
                    return Input::Sleeps(sleeps);
                }
            },
            InputKind::ManyWaits => {
                // Short waits (0.1 to 0.3 course seconds) and one of 1.5: the
                // ideal is 1.5, reached only with every wait in flight at once.
                let n = rng.usize(100..=150);
                let mut sleeps: Vec<f64> = (0..n).map(|_| rng.u32(1..=3) as f64 / 10.0).collect();
                sleeps[rng.usize(..n)] = 1.5;
                Input::Sleeps(sleeps)
            }
            InputKind::Pool => loop {
                let workers = rng.usize(2..=3);
                let n = if exercise.answer == AnswerRule::CompletionOrder {
                    workers + rng.usize(2..=3)
                } else {
                    workers * rng.usize(2..=3)
                };
                let sleeps = distinct_sleeps(rng, n);
                let mut lasts = sleeps.clone();
                if exercise.answer == AnswerRule::CompletionOrder {
                    rng.shuffle(&mut lasts);
                }
                let input = Input::Pool { workers, sleeps, lasts };
                if input.shows(exercise.answer) {
                    return input;
                }
            },
            InputKind::Ranges => {
                let limit = rng.u64(1_500_000..2_500_000);
                let mut parts = split_range(limit, 32);
                parts.reverse();
                Input::Ranges(parts)
            }
            InputKind::Numbers => {
                let start = rng.u64(10_000_000..11_000_000);
                Input::Numbers(start, start + 2_000_000)
            }
            InputKind::Histogram => {
                // About a third of a second of counting, sequentially. The
                // width is prime, so no number of workers divides it: a
                // split that drops the remainder gives a wrong answer.
                let start = rng.u64(0..1_000_000_000);
                Input::Histogram(start, start + HISTOGRAM_WIDTH)
            }
            InputKind::Counter => {
                // About a fifth of a second per count, sequentially (2 CPUs, 2026).
                let start = rng.u64(2_000_000..3_000_000);
                Input::Counter(start, start + 1_200_000)
            }
            InputKind::Ranks => {
                // About five seconds of counting, sequentially, so that MPI's
                // start-up (0.4 s here: mpirun, then MPI_Init) is small beside it;
                // high numbers, so that the upper half of the range costs
                // about what the lower half does.
                let start = rng.u64(100_000_000..110_000_000);
                Input::Ranks(start, start + RANKS_WIDTH)
            }
            InputKind::Schedule => loop {
                let workers = rng.usize(2..=4);
                let n = workers + rng.usize(2..=5);
                let sleeps = distinct_sleeps(rng, n);
                if common_mistakes(&sleeps, workers).iter().all(|(_, wrong)| *wrong) {
                    return Input::Schedule { workers, sleeps };
                }
            },
            InputKind::Fragile => {
                let n = rng.usize(5..=8);
                let mut v: Vec<u64> = (0..n).map(|_| rng.u64(1..1000)).collect();
                // At least one crash and one survivor, so both paths are graded.
                v[0] = rng.u64(0..100) * 7 + 3;
                if crashes(v[1]) {
                    v[1] += 1;
                }
                rng.shuffle(&mut v);
                Input::Fragile(v)
            }
        }
    }

    /// Whether, on the ideal schedule, the graded order is visible: the
    /// completion order differs from the input order (and, for completion
    /// order, from the sorted order too), each by a pair of tasks that end
    /// at least [`MARGIN`] apart, and no two tasks end at the same time.
    fn shows(&self, rule: AnswerRule) -> bool {
        let (Some(sleeps), Some(lasts), Some(workers)) = (self.sleeps(), self.durations(), self.workers()) else {
            return true;
        };
        let ends = finish_times(&lasts, workers);
        let mut sorted_ends = ends.clone();
        sorted_ends.sort_by(f64::total_cmp);
        let distinct = sorted_ends.windows(2).all(|w| w[1] - w[0] >= 0.1 - 1e-9);
        let against_input = has_inversion(&sleeps, &ends);
        match rule {
            AnswerRule::CompletionOrder => {
                // Sorted order: the task with the smaller sleep finishes later.
                let against_sorted = (0..sleeps.len())
                    .any(|i| (0..sleeps.len()).any(|j| sleeps[i] < sleeps[j] && ends[i] - ends[j] >= MARGIN));
                // Worked out from the input: a task predicted to end first ends later.
                let predicted = finish_times(&sleeps, workers);
                let against_prediction = (0..sleeps.len())
                    .any(|i| (0..sleeps.len()).any(|j| predicted[i] < predicted[j] && ends[i] - ends[j] >= MARGIN));
                distinct && against_input && against_sorted && against_prediction
            }
            _ => against_input,
        }
    }

    /// Parses the JSON form an exercise reads.
    pub fn from_json(kind: InputKind, value: &Value) -> Result<Input, String> {
        let bad = |e: serde_json::Error| format!("the input does not fit a {kind:?} exercise: {e}");
        let v = value.clone();
        Ok(match kind {
            InputKind::Sleeps | InputKind::ManyWaits => Input::Sleeps(serde_json::from_value(v).map_err(bad)?),
            InputKind::TwoSleeps => {
                let (a, b) = serde_json::from_value(v).map_err(bad)?;
                Input::TwoSleeps(a, b)
            }
            InputKind::Pool => {
                let (workers, sleeps): (usize, Vec<f64>) = serde_json::from_value(v).map_err(bad)?;
                Input::Pool { workers, lasts: sleeps.clone(), sleeps }
            }
            InputKind::Ranges => Input::Ranges(serde_json::from_value(v).map_err(bad)?),
            InputKind::Numbers => {
                let (a, b) = serde_json::from_value(v).map_err(bad)?;
                Input::Numbers(a, b)
            }
            InputKind::Fragile => Input::Fragile(serde_json::from_value(v).map_err(bad)?),
            InputKind::Schedule => {
                let (workers, sleeps) = serde_json::from_value(v).map_err(bad)?;
                Input::Schedule { workers, sleeps }
            }
            InputKind::Histogram => {
                let (a, b) = serde_json::from_value(v).map_err(bad)?;
                Input::Histogram(a, b)
            }
            InputKind::Counter => {
                let (a, b) = serde_json::from_value(v).map_err(bad)?;
                Input::Counter(a, b)
            }
            InputKind::Ranks => {
                let (a, b) = serde_json::from_value(v).map_err(bad)?;
                Input::Ranks(a, b)
            }
        })
    }

    /// The JSON the exercise's `solve` receives.
    pub fn to_json(&self) -> Value {
        match self {
            Input::Sleeps(s) => json!(s),
            Input::TwoSleeps(a, b) => json!([a, b]),
            Input::Pool { workers, sleeps, .. } => json!([workers, sleeps]),
            Input::Ranges(r) => json!(r),
            Input::Numbers(a, b) => json!([a, b]),
            Input::Fragile(v) => json!(v),
            Input::Schedule { workers, sleeps } => json!([workers, sleeps]),
            Input::Histogram(a, b) | Input::Counter(a, b) | Input::Ranks(a, b) => json!([a, b]),
        }
    }

    /// Runs the exercise sequentially with the course workloads: the expected
    /// answer (for a timed exercise, its results part; for completion order,
    /// the results in input order).
    pub fn reference(&self) -> Value {
        match self {
            Input::Sleeps(s) | Input::Pool { sleeps: s, .. } => {
                json!(s.iter().copied().map(task_with).collect::<Vec<f64>>())
            }
            Input::TwoSleeps(a, b) => json!([task_with(*a), task_with(*b)]),
            Input::Ranges(r) => json!(r.iter().copied().map(count_primes).sum::<u64>()),
            Input::Numbers(a, b) => json!((*a..*b).map(tiny).sum::<u64>()),
            // Only the survivors run: a crash would end the checker.
            Input::Fragile(v) => json!(v.iter().map(|&x| (!crashes(x)).then(|| fragile(x))).collect::<Vec<_>>()),
            // Predicted, not run: the wall time and, per task, the worker
            // that takes it (the first free one; the lowest on a tie).
            Input::Schedule { workers, sleeps } => {
                let (wall, on) = greedy_schedule(sleeps, *workers);
                json!([wall, on])
            }
            // Counted twice, as the program must: the baseline does the same work.
            Input::Counter(a, b) => json!([count_primes((*a, *b)), count_primes((*a, *b))]),
            Input::Ranks(a, b) => json!(count_primes((*a, *b))),
            Input::Histogram(a, b) => {
                let mut counts = [0u64; BUCKETS];
                for n in *a..*b {
                    counts[bucket(n)] += 1;
                }
                json!(counts)
            }
        }
    }

    /// The sleeps of a sleeping input, in input order.
    pub fn sleeps(&self) -> Option<Vec<f64>> {
        match self {
            Input::Sleeps(s) | Input::Pool { sleeps: s, .. } => Some(s.clone()),
            Input::TwoSleeps(a, b) => Some(vec![*a, *b]),
            Input::Fragile(v) => Some(v.iter().filter(|&&x| !crashes(x)).map(|_| 0.1).collect()),
            _ => None,
        }
    }

    /// How long each task of a sleeping input really sleeps, in input order
    /// (see [`Input::Pool`]).
    pub fn durations(&self) -> Option<Vec<f64>> {
        match self {
            Input::Pool { lasts, .. } => Some(lasts.clone()),
            _ => self.sleeps(),
        }
    }

    /// Each sleep the program may ask for, with how long it really lasts.
    pub fn lasting(&self) -> Vec<(f64, f64)> {
        self.sleeps().unwrap_or_default().into_iter().zip(self.durations().unwrap_or_default()).collect()
    }

    /// The workers a sleeping input may use: the pool's size, or one per task.
    pub fn workers(&self) -> Option<usize> {
        match self {
            Input::Pool { workers, .. } => Some(*workers),
            Input::Sleeps(s) => Some(s.len()),
            Input::TwoSleeps(..) => Some(2),
            Input::Fragile(v) => Some(v.len()),
            _ => None,
        }
    }

    /// Whether the program's tasks leave a trace (one span per call of a
    /// course workload), to be checked and drawn.
    pub fn traced(&self) -> bool {
        matches!(self, Input::Counter(..) | Input::Ranks(..)) || self.traced_tasks().is_some()
    }

    /// How many spans the trace must hold; `None` where tasks are not traced,
    /// or where the program chooses how many (the parts of a counted range).
    pub fn traced_tasks(&self) -> Option<usize> {
        match self {
            Input::Numbers(..)
            | Input::Histogram(..)
            | Input::Schedule { .. }
            | Input::Counter(..)
            | Input::Ranks(..) => None,
            Input::Ranges(r) => Some(r.len()),
            _ => self.sleeps().map(|s| s.len()),
        }
    }

    /// The number of tasks.
    pub fn tasks(&self) -> usize {
        match self {
            Input::Numbers(a, b) | Input::Histogram(a, b) | Input::Counter(a, b) | Input::Ranks(a, b) => {
                (b - a) as usize
            }
            Input::Ranges(r) => r.len(),
            Input::Fragile(v) => v.len(),
            Input::Schedule { sleeps, .. } => sleeps.len(),
            _ => self.sleeps().map_or(0, |s| s.len()),
        }
    }

    /// Course seconds the sleeps take on the schedule a pool follows (tasks
    /// in input order, each to the first free worker).
    pub fn ideal_makespan(&self) -> Option<f64> {
        let (sleeps, workers) = (self.durations()?, self.workers()?);
        Some(finish_times(&sleeps, workers).into_iter().fold(0.0, f64::max))
    }

    /// Course seconds below which no schedule on the allowed workers can
    /// finish: the longest sleep, or the sum spread evenly over the workers.
    pub fn makespan_floor(&self) -> Option<f64> {
        let (sleeps, workers) = (self.durations()?, self.workers()?);
        let longest = sleeps.iter().copied().fold(0.0, f64::max);
        Some(longest.max(sleeps.iter().sum::<f64>() / workers.max(1) as f64))
    }
}

/// How many primes `a..b` holds, by a sieve of that segment: the checker's
/// own count of a part a program reported, in milliseconds where trial
/// division (the workload, the work being graded) takes a second.
pub fn primes_in(a: u64, b: u64) -> u64 {
    if b <= a {
        return 0;
    }
    let root = (b as f64).sqrt() as u64 + 1;
    let mut small = vec![true; root as usize + 1];
    let mut is = vec![true; (b - a) as usize];
    for p in 2..=root {
        if !small[p as usize] {
            continue;
        }
        (p * p..=root).step_by(p as usize).for_each(|m| small[m as usize] = false);
        let first = (p * p).max(a.div_ceil(p) * p);
        (first..b).step_by(p as usize).for_each(|m| is[(m - a) as usize] = false);
    }
    (a..b.min(2)).for_each(|n| is[(n - a) as usize] = false);
    is.iter().filter(|&&p| p).count() as u64
}

/// `n` different sleeps between 0.5 and 1.5 course seconds, in tenths, so
/// that no two are closer than the scheduler's noise.
fn distinct_sleeps(rng: &mut fastrand::Rng, n: usize) -> Vec<f64> {
    let mut pool: Vec<u32> = (5..=15).collect();
    rng.shuffle(&mut pool);
    pool.into_iter().take(n).map(|t| t as f64 / 10.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::Manifest;

    #[test]
    fn the_sieve_agrees_with_the_workload() {
        for (a, b) in [(0, 100), (0, 2), (1, 3), (2, 3), (90, 200), (1_000_000, 1_010_000), (5, 5), (7, 3)] {
            let by_workload = if b > a { parlab::workloads::count_primes((a, b)) } else { 0 };
            assert_eq!(primes_in(a, b), by_workload, "{a}..{b}");
        }
    }

    #[test]
    fn makespan_of_a_pool() {
        let pool = |workers, sleeps: &[f64]| Input::Pool { workers, sleeps: sleeps.to_vec(), lasts: sleeps.to_vec() };
        assert_eq!(pool(2, &[1.0; 10]).ideal_makespan(), Some(5.0));
        assert_eq!(pool(3, &[3.0, 1.0, 2.0]).ideal_makespan(), Some(3.0));
        assert_eq!(pool(2, &[1.0, 1.0, 2.0]).ideal_makespan(), Some(3.0));
        assert_eq!(pool(2, &[1.0, 1.0, 2.0]).makespan_floor(), Some(2.0));
    }

    /// On a thousand seeds, every draw shows the property its exercise grades.
    #[test]
    fn every_draw_makes_the_graded_order_visible() {
        let manifest = Manifest::embedded().unwrap();
        for ex in &manifest.exercises {
            for seed in 0..1000 {
                let input = Input::draw(ex, &mut fastrand::Rng::with_seed(seed));
                assert_eq!(Input::from_json(ex.input, &input.to_json()).unwrap().to_json(), input.to_json());
                if let Input::Schedule { workers, sleeps } = &input {
                    for (rule, wrong) in common_mistakes(sleeps, *workers) {
                        assert!(wrong, "{} seed {seed}: {rule} would pass", ex.name);
                    }
                }
                if let Input::Histogram(a, b) = input {
                    assert!((2..=64).all(|k| (b - a) % k != 0), "{} seed {seed}: a split may drop nothing", ex.name);
                }
                let (Some(sleeps), Some(lasts), Some(workers)) = (input.sleeps(), input.durations(), input.workers())
                else {
                    continue;
                };
                let ends = finish_times(&lasts, workers);
                let mut by_end: Vec<usize> = (0..sleeps.len()).collect();
                by_end.sort_by(|&a, &b| ends[a].total_cmp(&ends[b]));
                let completion: Vec<f64> = by_end.iter().map(|&i| sleeps[i]).collect();
                let mut sorted = sleeps.clone();
                sorted.sort_by(f64::total_cmp);
                match ex.answer {
                    AnswerRule::InOrder => assert_ne!(completion, sleeps, "{} seed {seed}", ex.name),
                    AnswerRule::CompletionOrder => {
                        assert_ne!(completion, sleeps, "{} seed {seed}", ex.name);
                        assert_ne!(completion, sorted, "{} seed {seed}", ex.name);
                        // Nor can it be worked out from the input.
                        let predicted = finish_times(&sleeps, workers);
                        let mut by_prediction: Vec<usize> = (0..sleeps.len()).collect();
                        by_prediction.sort_by(|&a, &b| predicted[a].total_cmp(&predicted[b]));
                        assert_ne!(by_end, by_prediction, "{} seed {seed}", ex.name);
                    }
                    _ => {}
                }
            }
        }
    }
}
