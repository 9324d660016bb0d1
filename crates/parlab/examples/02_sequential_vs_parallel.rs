//! Step 2: the same two tasks, drawn twice: one after the other, then side by
//! side in two processes.
//!
//! Run: `cargo run -p parlab --example 02_sequential_vs_parallel`

use parlab::workloads::task;
use parlab::{Process, Recorder, Sequential, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    // Sequential: task 2 starts only when task 1 has finished.
    let seq = Sequential::new();
    let run = Recorder::start("02 sequential: one after the other");
    seq.run(task)?;
    seq.run(task)?;
    let sequential = run.finish(seq.take_spans());

    // Parallel: both tasks at the same time, each in its own process.
    let run = Recorder::start("02 parallel: side by side");
    let children = [Process::start(task)?, Process::start(task)?];
    for child in children {
        child.join()?;
    }
    let parallel = run.finish(Process::take_spans());

    // One time axis for both, so the parallel run draws half as long.
    timeline::print_together(&[&sequential, &parallel]);
    Ok(())
}
// ANCHOR_END: main
