//! Step 9: when things go wrong. A task that panics, a worker that crashes,
//! and a task that never ends: each comes back as a value that says what
//! happened, and nothing hangs.
//!
//! Run: `cargo run -p parlab --example 09_failures`

use parlab::workloads::{fragile, task_with};
use parlab::{Error, Process, ProcessPool};
use std::time::Duration;

fn divide(x: u32) -> u32 {
    100 / (x - 3) // panics for x == 3: attempt to divide by zero
}

fn main() -> parlab::Result<()> {
    // ANCHOR: panic
    // A panic is caught in the worker: that task fails, the pool goes on.
    let pool = ProcessPool::new(2)?;
    let tasks: Vec<_> = (4..7).chain([3]).map(|x| pool.submit(divide, x)).collect::<Result<_, _>>()?;
    let results: Vec<parlab::Result<u32>> = tasks.into_iter().map(|task| task.wait()).collect();
    for result in results {
        match result {
            Ok(v) => println!("ok: {v}"),
            Err(e) => println!("failed: {e}"),
        }
    }
    // ANCHOR_END: panic

    // ANCHOR: crash
    // An abort kills the worker's whole process: no catch can stop it. The
    // pool reports it as broken, naming the worker and the signal, and every
    // pending task fails the same way. Nothing hangs.
    match pool.map(fragile, [1, 2, 3, 4]) {
        Ok(v) => println!("all done: {v:?}"),
        Err(e @ Error::BrokenPool { .. }) => println!("{e}"),
        Err(e) => println!("other error: {e}"),
    }
    // With a process per task, a crash loses only its own task.
    let mut children: Vec<Process<u64>> =
        [1, 2, 3, 4].into_iter().map(|x| Process::start(move || fragile(x))).collect::<Result<_, _>>()?;
    let survivors: Vec<Option<u64>> = children.iter_mut().map(|c| c.join().ok()).collect();
    println!("one process per task: {survivors:?}");
    // ANCHOR_END: crash

    // ANCHOR: hang
    // A task that takes too long: wait a bounded time, then stop it.
    let mut slow = Process::start(|| task_with(3600.0))?;
    match slow.join_timeout(Duration::from_secs_f64(parlab::workloads::scaled(1.0).as_secs_f64()))? {
        Some(v) => println!("finished: {v}"),
        None => {
            slow.kill()?;
            println!("still running after 1 s: killed, {}", slow.join().unwrap_err());
        }
    }
    // ANCHOR_END: hang
    Ok(())
}
