//! Exercise 01: run tasks one after the other, and time them.

use parlab::workloads::task_with;
use std::time::Instant;

fn solve(sleeps: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> {
    let started = Instant::now();
    let mut results = Vec::new();
    for s in sleeps {
        results.push(task_with(s));
    }
    Ok((results, started.elapsed().as_secs_f64()))
}

fn main() {
    parlab::exercise::run(vec![1.0, 0.5], solve);
}
