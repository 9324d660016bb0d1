//! Exercise 03: two processes, started and joined.
//! Chapter: book/src/03_two_processes.md · Check: `checker verify 03_two_processes`

use parlab::Process;
use parlab::workloads::task_with;

/// Runs `task_with(a)` and `task_with(b)` at the same time, each in a process
/// of its own, and returns both results.
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {
    // TODO: start two processes with Process::start, then join both
    let first = Process::start(move || task_with(a))?;
    let second = Process::start(move || task_with(b))?;
    Ok((first.join()?, second.join()?))
}

fn main() {
    parlab::exercise::run((1.0, 1.0), solve);
}
