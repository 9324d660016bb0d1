//! Exercise 01: run tasks one after the other, and time them.
//! Chapter: book/src/01_sequential.md · Check: `checker verify 01_sequential`

use parlab::workloads::task_with;
use std::time::Instant;

/// Runs `task_with(s)` for every sleep `s`, one after the other. Returns what
/// the tasks returned, in order, and how many seconds the whole run took.
fn solve(sleeps: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> {
    let started = Instant::now();
    // TODO: call task_with on each sleep in turn; return the results and the seconds since `started`
    let mut results = Vec::new();
    for s in sleeps {
        results.push(task_with(s));
    }
    Ok((results, started.elapsed().as_secs_f64()))
}

fn main() {
    parlab::exercise::run(vec![1.0, 0.5], solve);
}
