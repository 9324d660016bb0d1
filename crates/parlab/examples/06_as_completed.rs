//! Step 6: tasks that take their sleep time as an argument. Results come back
//! in the order tasks finish, not the order they were submitted.
//!
//! Run: `cargo run -p parlab --example 06_as_completed`

use parlab::workloads::task_with;
use parlab::{ProcessPool, Recorder, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    let sleeps = [1.0, 0.4, 0.8, 0.2, 0.6];
    let pool = ProcessPool::new(sleeps.len())?;
    let run = Recorder::start("06 as completed");

    for (index, result) in pool.as_completed(task_with, sleeps)? {
        println!("task {index} done: slept {} s", result?);
    }

    let trace = run.finish(pool.take_spans());
    println!("Finished in {:.2} second(s)", trace.wall_secs());
    timeline::print(&trace);
    Ok(())
}
// ANCHOR_END: main
