//! Exercise 09: a crashing task must lose no other result.

use parlab::Process;
use parlab::workloads::fragile;

fn solve(values: Vec<u64>) -> parlab::Result<Vec<Option<u64>>> {
    let mut children = Vec::new();
    for x in values {
        children.push(Process::start(move || fragile(x))?);
    }
    Ok(children.iter_mut().map(|child| child.join().ok()).collect())
}

fn main() {
    parlab::exercise::run(vec![1, 2, 3, 4, 10, 11], solve);
}
