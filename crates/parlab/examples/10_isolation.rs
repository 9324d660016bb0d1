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

// ANCHOR: memory
/// A child process gets a copy of the parent's memory: what it changes stays
/// in the copy.
fn separate_memory() -> parlab::Result<()> {
    let child = Process::start(|| COUNTER.fetch_add(1, Ordering::SeqCst) + 1)?;
    let in_child = child.join()?;
    println!(
        "process: the child counted to {in_child}, the parent still sees {}",
        COUNTER.load(Ordering::SeqCst)
    );
    Ok(())
}
// ANCHOR_END: memory

// ANCHOR: crash
/// A crash in a child ends the child alone.
fn crash_stays_inside() -> parlab::Result<()> {
    let crashing = Process::start(|| -> u8 { std::process::abort() })?;
    let error = crashing.join().unwrap_err();
    println!("process: a child that aborts gives this error, and this process goes on:");
    println!("  {error}");
    Ok(())
}
// ANCHOR_END: crash

// ANCHOR: cost
/// Median seconds of 50 runs of `f`.
fn time(f: impl Fn()) -> f64 {
    let samples: Vec<f64> = (0..50)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64()
        })
        .collect();
    median(&samples)
}

/// Starting a process costs more than starting a thread.
fn start_costs() {
    let process = time(|| drop(Process::start(|| ()).and_then(Process::join)));
    let thread = time(|| std::thread::spawn(|| ()).join().unwrap());
    println!(
        "start + join: process {:.0} µs, thread {:.0} µs",
        process * 1e6,
        thread * 1e6
    );
}
// ANCHOR_END: cost

// ANCHOR: shared
/// Threads see one counter; each worker process counts in its own copy.
fn shared_or_not(processes: &ProcessPool) -> parlab::Result<()> {
    let threads = ThreadPool::new(2)?;
    threads.map(|_| COUNTER.fetch_add(1, Ordering::SeqCst), 0..4)?;
    println!(
        "threads: four tasks counted, everyone sees {}",
        COUNTER.load(Ordering::SeqCst)
    );
    let seen = processes.map(|_| COUNTER.fetch_add(1, Ordering::SeqCst) + 1, 0..4)?;
    println!(
        "processes: the workers counted {seen:?} in their own copies, the parent sees {}",
        COUNTER.load(Ordering::SeqCst)
    );
    Ok(())
}
// ANCHOR_END: shared

fn main() -> parlab::Result<()> {
    separate_memory()?;
    crash_stays_inside()?;
    // Processes and process pools first: the engine forks only while this
    // process has one thread, and the thread pool below starts threads.
    let processes = ProcessPool::new(2)?;
    start_costs();
    shared_or_not(&processes)
}
