//! Step 4: ten processes from a loop: start them all, then join them all.
//!
//! Run: `cargo run -p parlab --example 04_process_loop`

use parlab::workloads::task;
use parlab::{Process, Recorder, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    let run = Recorder::start("04 ten processes");

    // Start every process first...
    let mut children = Vec::new();
    for _ in 0..10 {
        children.push(Process::start(task)?);
    }
    // ...and only then wait for them. Joining inside the first loop would
    // run them one at a time again.
    for child in children {
        child.join()?;
    }

    let trace = run.finish(Process::take_spans());
    println!("Finished in {:.2} second(s)", trace.wall_secs());
    timeline::print(&trace);
    Ok(())
}
// ANCHOR_END: main
