//! Exercise 03: two processes, started and joined.
//! Chapter: book/src/03_two_processes.md · Check: `checker verify 03_two_processes`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::Process;
use parlab::workloads::task_with;

/// Runs `task_with(a)` and `task_with(b)` at the same time, each in a process
/// of its own, and returns both results.
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {
    todo!("TODO: start two processes with Process::start, then join both")
}

fn main() {
    parlab::exercise::run((1.0, 1.0), solve);
}
