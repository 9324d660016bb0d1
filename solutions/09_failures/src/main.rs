//! Exercise 09: a crashing task must lose no other result.
//! Chapter: book/src/09_failures.md · Check: `checker verify 09_failures`

use parlab::Process;
use parlab::workloads::fragile;

/// Runs `fragile(x)` for every value. Returns `Some(result)` for each task
/// that finished and `None` for each that crashed, in input order.
fn solve(values: Vec<u64>) -> parlab::Result<Vec<Option<u64>>> {
    // TODO: run each value in a Process of its own; a failed join is None
    let mut children = Vec::new();
    for x in values {
        children.push(Process::start(move || fragile(x))?);
    }
    Ok(children.into_iter().map(|child| child.join().ok()).collect())
}

fn main() {
    parlab::exercise::run(vec![1, 2, 3, 4, 10, 11], solve);
}
