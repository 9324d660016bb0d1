//! Exercise 05: a pool of worker processes, and `map`.
//! Chapter: book/src/05_pool.md · Check: `checker verify 05_pool_map`

use parlab::ProcessPool;
use parlab::workloads::task_with;

/// Runs `task_with(s)` for every sleep on a pool of `workers` processes.
/// Returns the results in input order.
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    // TODO: make a ProcessPool of `workers` and map task_with over the sleeps
    let pool = ProcessPool::new(workers)?;
    pool.map(task_with, sleeps)
}

fn main() {
    parlab::exercise::run((2, vec![1.0; 10]), solve);
}
