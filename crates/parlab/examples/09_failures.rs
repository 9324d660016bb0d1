//! Step 9: when things go wrong. A task that panics, a worker that crashes,
//! and a task that never ends: each comes back as a value that says what
//! happened, and nothing hangs.
//!
//! Run: `cargo run -p parlab --example 09_failures`

use parlab::workloads::{fragile, scaled, task_with};
use parlab::{Error, Process, ProcessPool};

fn divide(x: u32) -> u32 {
    100 / (x - 3) // panics for x == 3: attempt to divide by zero
}

// ANCHOR: panic
/// A panic is caught in the worker: that task fails, the pool goes on.
fn a_task_panics(pool: &ProcessPool) -> parlab::Result<()> {
    let tasks: Vec<_> = [4, 5, 6, 3]
        .into_iter()
        .map(|x| pool.submit(divide, x))
        .collect::<Result<_, _>>()?;
    let results: Vec<parlab::Result<u32>> =
        tasks.into_iter().map(|task| task.join()).collect();
    for result in results {
        match result {
            Ok(v) => println!("ok: {v}"),
            Err(e) => println!("failed: {e}"),
        }
    }
    Ok(())
}
// ANCHOR_END: panic

// ANCHOR: crash
/// An abort kills the worker's whole process: no catch can stop it. The pool
/// reports it as broken, naming the worker and the signal, and every pending
/// task fails the same way. Nothing hangs. With a process per task, a crash
/// loses only its own task.
fn a_worker_crashes(pool: &ProcessPool) -> parlab::Result<()> {
    match pool.map(fragile, [1, 2, 3, 4]) {
        Ok(v) => println!("all done: {v:?}"),
        // Long, so shown on two lines.
        Err(e @ Error::BrokenPool { .. }) => {
            println!("{}", e.to_string().replace("; ", ";\n  "))
        }
        Err(e) => println!("other error: {e}"),
    }
    let children: Vec<Process<u64>> = [1, 2, 3, 4]
        .into_iter()
        .map(|x| Process::start(move || fragile(x)))
        .collect::<Result<_, _>>()?;
    let survivors: Vec<Option<u64>> =
        children.into_iter().map(|c| c.join().ok()).collect();
    println!("one process per task: {survivors:?}");
    Ok(())
}
// ANCHOR_END: crash

// ANCHOR: hang
/// A task that takes too long: wait a bounded time, then stop it.
fn a_task_never_ends() -> parlab::Result<()> {
    let mut slow = Process::start(|| task_with(3600.0))?;
    if slow.wait_timeout(scaled(1.0))? {
        println!("finished: {}", slow.join()?);
    } else {
        slow.kill()?;
        println!("still running after 1 s: killed:\n  {}", slow.join().unwrap_err());
    }
    Ok(())
}
// ANCHOR_END: hang

fn main() -> parlab::Result<()> {
    let pool = ProcessPool::new(2)?;
    a_task_panics(&pool)?;
    a_worker_crashes(&pool)?;
    a_task_never_ends()
}
