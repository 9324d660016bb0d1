//! Step 5: a pool of worker processes, the recommended way: workers are
//! started once and reused, and `map` returns results in input order.
//!
//! Run: `cargo run -p parlab --example 05_pool`

use parlab::workloads::task;
use parlab::{ProcessPool, Recorder, timeline};

// ANCHOR: main
fn main() -> parlab::Result<()> {
    // A pool of ten workers: ten one-second tasks take one second.
    let pool = ProcessPool::new(10)?;
    let run = Recorder::start("05 pool of ten");
    pool.map(|_| task(), 0..10)?;
    let ten = run.finish(pool.take_spans());
    println!("Pool of 10: finished in {:.2} second(s)", ten.wall_secs());

    // The default size is one worker per usable CPU: on 2 CPUs, ten
    // one-second tasks run in five rounds of two.
    let pool = ProcessPool::with_default_size()?;
    let run = Recorder::start("05 default pool");
    pool.map(|_| task(), 0..10)?;
    let default = run.finish(pool.take_spans());
    println!(
        "Default pool ({} workers): finished in {:.2} second(s)",
        pool.size(),
        default.wall_secs()
    );
    println!("{}", parlab::Cpus::detect().explain());
    timeline::print_together(&[&ten, &default]);
    Ok(())
}
// ANCHOR_END: main
