//! Exercise 06: results in the order tasks finish.
//! Chapter: book/src/06_as_completed.md · Check: `checker verify 06_as_completed`

use parlab::ProcessPool;
use parlab::workloads::task_with;

/// Runs `task_with(s)` for every sleep on a pool of `workers` processes, more
/// tasks than workers. Returns the results in the order the tasks finished.
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(workers)?;
    let mut finished: Vec<f64> = Vec::new();
    // TODO: iterate pool.as_completed(task_with, sleeps) and push each result as it comes
    for (_index, result) in pool.as_completed(task_with, sleeps)? {
        finished.push(result?);
    }
    Ok(finished)
}

fn main() {
    parlab::exercise::run((2, vec![1.0, 0.4, 0.8, 0.2, 0.6]), solve);
}
