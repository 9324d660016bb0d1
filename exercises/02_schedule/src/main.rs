//! Exercise 02: predict, before running anything, what a pool will do.
//! Chapter: book/src/02_sequential_vs_parallel.md · Check: `checker verify 02_schedule`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

/// A pool of `workers` takes the tasks in input order and hands each to the
/// worker that is free first. Predict, without running anything, the wall
/// time (when the last worker is done, in seconds) and which worker (0 to
/// workers - 1) runs each task. On a tie, any of the free workers will do.
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<(f64, Vec<usize>)> {
    todo!("TODO: keep when each worker is free; give each task to the one free first")
}

fn main() {
    parlab::exercise::run((2, vec![1.0, 0.5, 0.7, 1.2]), solve);
}
