//! Exercise 12: a hundred waits and more, all in flight at once.
//! Chapter: book/src/12_io_bound.md · Check: `checker verify 12_many_waits`

use parlab::workloads::task_with;

/// Runs `task_with(s)` for every sleep, all waiting at the same time, and
/// returns the results in input order. A wait uses no CPU, so two CPUs carry
/// as many as you start: what each one in flight costs is what matters.
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    // TODO: put every wait in flight at once, and return the results in input order
    std::thread::scope(|s| {
        let waits: Vec<_> = sleeps.iter().map(|&t| s.spawn(move || task_with(t))).collect();
        Ok(waits.into_iter().map(|w| w.join().expect("a wait does not panic")).collect())
    })
}

fn main() {
    parlab::exercise::run(vec![0.2; 100], solve);
}
