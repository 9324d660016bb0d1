//! Exercise 02's rule, the checker's own: a pool hands tasks out in input
//! order, each to the worker free first. The schedule it gives, a learner's
//! schedule checked against it, and the mistakes a guess commonly makes.

use super::MARGIN;

/// The schedule a pool follows: tasks in input order, each to the worker
/// free first (the lowest-numbered on a tie). The wall time and, per task,
/// its worker.
pub fn greedy_schedule(sleeps: &[f64], workers: usize) -> (f64, Vec<usize>) {
    let mut free_at = vec![0.0f64; workers.max(1)];
    let mut on = Vec::with_capacity(sleeps.len());
    for &s in sleeps {
        let w = free_at.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).expect("a worker");
        free_at[w] += s;
        on.push(w);
    }
    (free_at.into_iter().fold(0.0, f64::max), on)
}

/// Whether `on` (a worker per task) is a schedule a pool of `workers` could
/// follow: each task, in input order, to a worker that is free first (any of
/// them on a tie, as workers have no order of their own). `Err` says which
/// task went elsewhere, and when.
pub fn check_schedule(sleeps: &[f64], workers: usize, on: &[usize]) -> Result<f64, String> {
    if on.len() != sleeps.len() {
        return Err(format!("{} workers named for {} tasks: name one per task", on.len(), sleeps.len()));
    }
    let mut free_at = vec![0.0f64; workers.max(1)];
    for (i, (&s, &w)) in sleeps.iter().zip(on).enumerate() {
        let Some(&at) = free_at.get(w) else {
            return Err(format!("task {i} on worker {w}: the pool has workers 0 to {}", workers.max(1) - 1));
        };
        let first = free_at.iter().copied().fold(f64::INFINITY, f64::min);
        if at > first + 1e-9 {
            return Err(format!(
                "task {i} on worker {w}, busy until {at:.1} s, while another worker is free at {first:.1} s: a \
                 pool hands each task to the worker free first"
            ));
        }
        free_at[w] = at + s;
    }
    Ok(free_at.into_iter().fold(0.0, f64::max))
}

/// The schedules a learner predicts by a common wrong rule, each with
/// whether this input shows it wrong: round robin (task i on worker i %
/// workers), longest task first, each task to the worker free *last*, and
/// the average load given as the wall time.
pub fn common_mistakes(sleeps: &[f64], workers: usize) -> [(&'static str, bool); 4] {
    let w = workers.max(1);
    let invalid = |on: &[usize]| check_schedule(sleeps, w, on).is_err();
    let round_robin: Vec<usize> = (0..sleeps.len()).map(|i| i % w).collect();
    let by_rule = |pick: fn(&[f64]) -> usize, order: &[usize]| {
        let (mut free_at, mut on) = (vec![0.0f64; w], vec![0; sleeps.len()]);
        for &i in order {
            let k = pick(&free_at);
            free_at[k] += sleeps[i];
            on[i] = k;
        }
        on
    };
    let first_free = |f: &[f64]| (0..f.len()).min_by(|&a, &b| f[a].total_cmp(&f[b])).expect("a worker");
    let last_free = |f: &[f64]| (0..f.len()).max_by(|&a, &b| f[a].total_cmp(&f[b])).expect("a worker");
    let mut longest_first: Vec<usize> = (0..sleeps.len()).collect();
    longest_first.sort_by(|&a, &b| sleeps[b].total_cmp(&sleeps[a]));
    let in_order: Vec<usize> = (0..sleeps.len()).collect();
    let (makespan, _) = greedy_schedule(sleeps, w);
    let average = sleeps.iter().sum::<f64>() / w as f64;
    [
        ("round robin", invalid(&round_robin)),
        ("longest first", invalid(&by_rule(first_free, &longest_first))),
        ("the worker free last", invalid(&by_rule(last_free, &in_order))),
        ("the average as the wall time", (average - makespan).abs() > 1e-6),
    ]
}

/// When each task ends (course seconds) when tasks go out in input order,
/// each to the worker that is free first.
pub fn finish_times(sleeps: &[f64], workers: usize) -> Vec<f64> {
    let mut free_at = vec![0.0f64; workers.max(1)];
    sleeps
        .iter()
        .map(|&s| {
            let w = free_at.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i).expect("a worker");
            free_at[w] += s;
            free_at[w]
        })
        .collect()
}

/// Whether a later task ends at least [`MARGIN`] before an earlier one.
pub(super) fn has_inversion(sleeps: &[f64], ends: &[f64]) -> bool {
    (0..sleeps.len()).any(|i| (i + 1..sleeps.len()).any(|j| ends[i] - ends[j] >= MARGIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schedule_is_checked_against_the_first_free_worker_ties_either_way() {
        let sleeps = [1.0, 0.5, 0.7, 1.2];
        let (wall, on) = greedy_schedule(&sleeps, 2);
        assert_eq!(on, [0, 1, 1, 0]);
        assert!((wall - 2.2).abs() < 1e-9);
        assert!((check_schedule(&sleeps, 2, &on).unwrap() - 2.2).abs() < 1e-9);
        // The first two tasks find both workers free: either may take either.
        assert!(check_schedule(&sleeps, 2, &[1, 0, 0, 1]).is_ok());
        // Task 2 must go to the worker free at 0.5, not the one busy until 1.0.
        assert!(check_schedule(&sleeps, 2, &[0, 1, 0, 1]).unwrap_err().contains("task 2"));
        assert!(check_schedule(&sleeps, 2, &[0, 1, 2, 0]).unwrap_err().contains("workers 0 to 1"));
        assert!(check_schedule(&sleeps, 2, &[0, 1]).is_err());
    }
}
