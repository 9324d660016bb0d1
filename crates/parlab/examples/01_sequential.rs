//! Step 1: run the tutorial's task twice, one after the other, and time it.
//!
//! Run: `cargo run -p parlab --example 01_sequential`

use parlab::workloads::task;
use parlab::{Recorder, Sequential, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    let seq = Sequential::new();
    let run = Recorder::start("01 sequential: the task twice");

    seq.run(task)?;
    seq.run(task)?;

    let trace = run.finish(seq.take_spans());
    println!("Finished in {:.2} second(s)", trace.wall_secs());
    timeline::print(&trace);
    Ok(())
}
// ANCHOR_END: main
