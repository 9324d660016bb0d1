//! Exercise 02: predict, before running anything, what a pool will do.
//! Chapter: book/src/02_sequential_vs_parallel.md · Check: `checker verify 02_schedule`

/// A pool of `workers` takes the tasks in input order and hands each to the
/// worker that is free first. Predict, without running anything, the wall
/// time (when the last worker is done, in seconds) and which worker (0 to
/// workers - 1) runs each task. On a tie, any of the free workers will do.
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<(f64, Vec<usize>)> {
    // TODO: keep when each worker is free; give each task to the one free first
    let mut free_at = vec![0.0f64; workers];
    let mut on = Vec::new();
    for s in sleeps {
        let first = (0..workers).min_by(|&a, &b| free_at[a].total_cmp(&free_at[b])).expect("a worker");
        free_at[first] += s;
        on.push(first);
    }
    Ok((free_at.into_iter().fold(0.0, f64::max), on))
}

fn main() {
    parlab::exercise::run((2, vec![1.0, 0.5, 0.7, 1.2]), solve);
}
