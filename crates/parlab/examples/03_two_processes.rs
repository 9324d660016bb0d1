//! Step 3: two processes, started and joined, like `multiprocessing.Process`.
//!
//! Run: `cargo run -p parlab --example 03_two_processes`

use parlab::workloads::task;
use parlab::{Process, Recorder, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    let run = Recorder::start("03 two processes");

    // start(): fork a child that runs `task`; both run from here on.
    let p1 = Process::start(task)?;
    let p2 = Process::start(task)?;

    // join(): wait for each child to finish.
    p1.join()?;
    p2.join()?;

    let trace = run.finish(Process::take_spans());
    println!("Finished in {:.2} second(s)", trace.wall_secs());
    timeline::print(&trace);
    Ok(())
}
// ANCHOR_END: main
