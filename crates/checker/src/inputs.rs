//! The inputs the checker draws for each exercise, and its own sequential
//! reference, which gives the expected answer and the baseline time.

use crate::manifest::{Exercise, InputKind};
use parlab::workloads::{count_primes, crashes, fragile, split_range, task_with, tiny};
use serde_json::{Value, json};

/// Draws an input for `exercise` from `rng` (seeded, so a run can be replayed).
pub fn draw(exercise: &Exercise, rng: &mut fastrand::Rng) -> Value {
    // Sleeps between 0.5 and 1.5 course seconds, in tenths, so that no two
    // are closer than the scheduler's noise.
    let sleeps = |rng: &mut fastrand::Rng, n: usize| -> Vec<f64> {
        let mut pool: Vec<u32> = (5..=15).collect();
        rng.shuffle(&mut pool);
        pool.into_iter().take(n).map(|t| t as f64 / 10.0).collect()
    };
    match exercise.input {
        InputKind::TwoSleeps => {
            let s = sleeps(rng, 2);
            json!([s[0], s[1]])
        }
        InputKind::Sleeps => {
            let n = rng.usize(3..=6);
            json!(sleeps(rng, n))
        }
        InputKind::Pool => {
            let workers = rng.usize(2..=3);
            let n = workers * rng.usize(2..=3);
            let s = (rng.u32(5..=10) as f64) / 10.0;
            json!([workers, vec![s; n]])
        }
        InputKind::Ranges => {
            let limit = rng.u64(1_500_000..2_500_000);
            let mut parts = split_range(limit, 32);
            parts.reverse();
            json!(parts)
        }
        InputKind::Numbers => {
            let start = rng.u64(10_000_000..11_000_000);
            json!([start, start + 2_000_000])
        }
        InputKind::Fragile => {
            let n = rng.usize(5..=8);
            let mut v: Vec<u64> = (0..n).map(|_| rng.u64(1..1000)).collect();
            // At least one crash and one survivor, so both paths are graded.
            v[0] = rng.u64(0..100) * 7 + 3;
            if crashes(v[1]) {
                v[1] += 1;
            }
            rng.shuffle(&mut v);
            json!(v)
        }
    }
}

/// Runs the exercise sequentially with the course workloads: the expected
/// answer (for `timed`, the results part).
pub fn reference(exercise: &Exercise, input: &Value) -> Result<Value, String> {
    let bad = |e: serde_json::Error| format!("input does not fit exercise {}: {e}", exercise.name);
    Ok(match exercise.input {
        InputKind::Sleeps | InputKind::TwoSleeps => {
            let sleeps: Vec<f64> = serde_json::from_value(input.clone()).map_err(bad)?;
            json!(sleeps.into_iter().map(task_with).collect::<Vec<f64>>())
        }
        InputKind::Pool => {
            let (_, sleeps): (usize, Vec<f64>) = serde_json::from_value(input.clone()).map_err(bad)?;
            json!(sleeps.into_iter().map(task_with).collect::<Vec<f64>>())
        }
        InputKind::Ranges => {
            let ranges: Vec<(u64, u64)> = serde_json::from_value(input.clone()).map_err(bad)?;
            json!(ranges.into_iter().map(count_primes).sum::<u64>())
        }
        InputKind::Numbers => {
            let (start, end): (u64, u64) = serde_json::from_value(input.clone()).map_err(bad)?;
            json!((start..end).map(tiny).sum::<u64>())
        }
        InputKind::Fragile => {
            // The reference runs only the survivors: a crash would end the checker.
            let values: Vec<u64> = serde_json::from_value(input.clone()).map_err(bad)?;
            json!(values.into_iter().map(|x| (!crashes(x)).then(|| fragile(x))).collect::<Vec<_>>())
        }
    })
}

/// The sleeps of a sleep-bound input and the workers it may use, for the
/// ideal speedup; `None` for other inputs.
pub fn sleeps_and_workers(exercise: &Exercise, input: &Value) -> Option<(Vec<f64>, usize)> {
    match exercise.input {
        InputKind::Sleeps | InputKind::TwoSleeps => {
            let s: Vec<f64> = serde_json::from_value(input.clone()).ok()?;
            let n = s.len();
            Some((s, n))
        }
        InputKind::Pool => serde_json::from_value::<(usize, Vec<f64>)>(input.clone()).ok().map(|(w, s)| (s, w)),
        _ => None,
    }
}

/// How many tasks the input makes (spans expected in the trace), if traced.
pub fn traced_tasks(exercise: &Exercise, input: &Value) -> Option<usize> {
    match exercise.input {
        InputKind::Numbers => None,
        InputKind::Pool => input.get(1).and_then(Value::as_array).map(Vec::len),
        InputKind::Fragile => {
            let values: Vec<u64> = serde_json::from_value(input.clone()).ok()?;
            Some(values.into_iter().filter(|&x| !crashes(x)).count())
        }
        _ => input.as_array().map(Vec::len),
    }
}

/// The best wall time for `sleeps` on `workers`, handing tasks out in input
/// order to whichever worker is free first (what a pool does).
pub fn ideal_makespan(sleeps: &[f64], workers: usize) -> f64 {
    let mut free_at = vec![0.0f64; workers.max(1)];
    for &s in sleeps {
        let w = free_at.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).unwrap();
        free_at[w] += s;
    }
    free_at.into_iter().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makespan_of_a_pool() {
        assert_eq!(ideal_makespan(&[1.0; 10], 2), 5.0);
        assert_eq!(ideal_makespan(&[3.0, 1.0, 2.0], 3), 3.0);
        assert_eq!(ideal_makespan(&[1.0, 1.0, 2.0], 2), 3.0);
    }
}
