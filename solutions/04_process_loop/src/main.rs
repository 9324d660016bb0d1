//! Exercise 04: a process per task, started in a loop.
//! Chapter: book/src/04_process_loop.md · Check: `checker verify 04_process_loop`

use parlab::Process;
use parlab::workloads::task_with;

/// Runs `task_with(s)` for every sleep, all at the same time, each in a
/// process of its own. Returns the results in input order.
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    // TODO: start one Process per sleep, then join them all
    let mut children = Vec::new();
    for s in sleeps {
        children.push(Process::start(move || task_with(s))?);
    }
    children.into_iter().map(Process::join).collect()
}

fn main() {
    parlab::exercise::run(vec![1.0; 10], solve);
}
