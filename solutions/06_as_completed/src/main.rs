//! Exercise 06: results in the order tasks finish.

use parlab::ProcessPool;
use parlab::workloads::task_with;

fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(sleeps.len())?;
    let mut finished = Vec::new();
    for (_index, result) in pool.as_completed(task_with, sleeps)? {
        finished.push(result?);
    }
    Ok(finished)
}

fn main() {
    parlab::exercise::run(vec![1.0, 0.4, 0.8, 0.2, 0.6], solve);
}
