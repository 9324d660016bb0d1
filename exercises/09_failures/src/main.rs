//! Exercise 09: a crashing task must lose no other result.
//! Chapter: book/src/09_failures.md · Check: `checker verify 09_failures`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::Process;
use parlab::workloads::fragile;

/// Runs `fragile(x)` for every value. Returns `Some(result)` for each task
/// that finished and `None` for each that crashed, in input order.
fn solve(values: Vec<u64>) -> parlab::Result<Vec<Option<u64>>> {
    todo!("TODO: run each value in a Process of its own; a failed join is None")
}

fn main() {
    parlab::exercise::run(vec![1, 2, 3, 4, 10, 11], solve);
}
