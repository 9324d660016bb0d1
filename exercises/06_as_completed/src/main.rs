//! Exercise 06: results in the order tasks finish.
//! Chapter: book/src/06_as_completed.md · Check: `checker verify 06_as_completed`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::ProcessPool;
use parlab::workloads::task_with;

/// Runs `task_with(s)` for every sleep, all at the same time on a pool.
/// Returns the results in the order the tasks finished.
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    todo!("TODO: iterate pool.as_completed(task_with, sleeps) and collect results as they come")
}

fn main() {
    parlab::exercise::run(vec![1.0, 0.4, 0.8, 0.2, 0.6], solve);
}
