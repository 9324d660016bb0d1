//! Exercise 03: two processes, started and joined.

use parlab::Process;
use parlab::workloads::task_with;

fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {
    let mut first = Process::start(move || task_with(a))?;
    let mut second = Process::start(move || task_with(b))?;
    Ok((first.join()?, second.join()?))
}

fn main() {
    parlab::exercise::run((1.0, 1.0), solve);
}
