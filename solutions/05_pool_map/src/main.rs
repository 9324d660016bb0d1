//! Exercise 05: a pool of worker processes, and `map`.

use parlab::ProcessPool;
use parlab::workloads::task_with;

fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(workers)?;
    pool.map(task_with, sleeps)
}

fn main() {
    parlab::exercise::run((2, vec![1.0; 10]), solve);
}
