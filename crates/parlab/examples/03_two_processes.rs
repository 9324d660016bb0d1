//! Step 3: two processes, started and joined, like `multiprocessing.Process`.
//!
//! Run: `cargo run -p parlab --example 03_two_processes`

use parlab::workloads::task;
use parlab::{Process, Recorder, process, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    let run = Recorder::start("03 two processes");

    // start(): fork a child that runs `task`; both run from here on.
    let mut p1 = Process::start(task)?;
    let mut p2 = Process::start(task)?;

    // join(): wait for each child to finish.
    p1.join()?;
    p2.join()?;

    let trace = run.finish(process::spans(&[p1, p2]));
    println!("Finished in {:.2} second(s)", trace.wall_secs());
    timeline::print(&trace);
    Ok(())
}
// ANCHOR_END: main
