//! Step 10: processes or threads, in Rust. Threads run CPU-bound work in
//! parallel here (there is no GIL); what processes add is isolation: memory
//! of their own, and a crash that stays inside.
//!
//! Run: `cargo run --release -p parlab --example 10_isolation`

use parlab::stats::median;
use parlab::{Process, ProcessPool, ThreadPool};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn main() -> parlab::Result<()> {
    // ANCHOR: memory
    // A child process gets a copy of the parent's memory: what it changes
    // stays in the copy.
    let mut child = Process::start(|| COUNTER.fetch_add(1, Ordering::SeqCst) + 1)?;
    let in_child = child.join()?;
    println!("process: the child counted to {in_child}, the parent still sees {}", COUNTER.load(Ordering::SeqCst));
    // ANCHOR_END: memory

    // ANCHOR: crash
    // A crash in a child ends the child alone.
    let mut crashing = Process::start(|| -> u8 { std::process::abort() })?;
    println!(
        "process: a child that aborts gives {:?}, and this process goes on",
        crashing.join().unwrap_err().to_string()
    );
    // ANCHOR_END: crash

    // ANCHOR: cost
    // Starting one costs more than starting a thread.
    let time = |f: &dyn Fn()| {
        median(
            &(0..50)
                .map(|_| {
                    let t = Instant::now();
                    f();
                    t.elapsed().as_secs_f64()
                })
                .collect::<Vec<_>>(),
        )
    };
    let process = time(&|| drop(Process::start(|| ()).and_then(|mut p| p.join())));
    // Pool of processes, before any thread exists (the engine forks only then).
    let processes = ProcessPool::new(2)?;
    let thread = time(&|| std::thread::spawn(|| ()).join().unwrap());
    println!("start + join: process {:.0} µs, thread {:.0} µs", process * 1e6, thread * 1e6);
    // ANCHOR_END: cost

    // ANCHOR: shared
    // Threads share memory: they see each other's writes at once.
    let threads = ThreadPool::new(2)?;
    threads.map(|_| COUNTER.fetch_add(1, Ordering::SeqCst), 0..4)?;
    println!("threads: four tasks counted, everyone sees {}", COUNTER.load(Ordering::SeqCst));
    // Processes share nothing: each worker counts in its own copy.
    let seen = processes.map(|_| COUNTER.fetch_add(1, Ordering::SeqCst) + 1, 0..4)?;
    println!(
        "processes: the workers counted {seen:?} in their own copies, the parent sees {}",
        COUNTER.load(Ordering::SeqCst)
    );
    // ANCHOR_END: shared
    Ok(())
}
