//! Exercise 04: a process per task, started in a loop.
//! Chapter: book/src/04_process_loop.md · Check: `checker verify 04_process_loop`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::Process;
use parlab::workloads::task_with;

/// Runs `task_with(s)` for every sleep, all at the same time, each in a
/// process of its own. Returns the results in input order.
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    todo!("TODO: start one Process per sleep, then join them all")
}

fn main() {
    parlab::exercise::run(vec![1.0; 10], solve);
}
