//! Exercise 04: a process per task, started in a loop.

use parlab::Process;
use parlab::workloads::task_with;

fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let mut children = Vec::new();
    for s in sleeps {
        children.push(Process::start(move || task_with(s))?);
    }
    children.iter_mut().map(|child| child.join()).collect()
}

fn main() {
    parlab::exercise::run(vec![1.0; 10], solve);
}
