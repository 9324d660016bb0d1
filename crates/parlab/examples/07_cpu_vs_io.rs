//! Step 7: CPU-bound work on processes and on threads. In Python, threads do
//! not speed CPU-bound work up (the GIL); in Rust they do, as much as
//! processes. Both are bounded by the number of CPUs.
//!
//! Run: `cargo run --release -p parlab --example 07_cpu_vs_io`

use parlab::workloads::{count_primes, split_range};
use parlab::{Cpus, ProcessPool, Recorder, Sequential, ThreadPool, Trace, timeline};

/// Numbers to search for primes: about a second of work in release builds, long
/// enough that a busy moment of the machine moves the ratios little.
fn limit() -> u64 {
    std::env::var("PARLAB_PRIMES_LIMIT")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000)
}

// ANCHOR: main
fn main() -> parlab::Result<()> {
    let cpus = Cpus::detect();
    let parts = split_range(limit(), 8 * cpus.usable);

    // Processes first: the engine forks only while this process has one thread.
    let processes = ProcessPool::new(cpus.usable)?;
    let run = Recorder::start("07 cpu-bound on processes");
    let on_processes: u64 = processes.map(count_primes, parts.clone())?.iter().sum();
    let process_trace = run.finish(processes.take_spans());

    let threads = ThreadPool::new(cpus.usable)?;
    let run = Recorder::start("07 cpu-bound on threads");
    let on_threads: u64 = threads.map(count_primes, parts.clone())?.iter().sum();
    let thread_trace = run.finish(threads.take_spans());

    let seq = Sequential::new();
    let run = Recorder::start("07 cpu-bound sequential");
    let sequential: u64 = seq.map(count_primes, parts)?.iter().sum();
    let seq_trace = run.finish(seq.take_spans());

    assert_eq!((on_processes, on_threads), (sequential, sequential));
    println!("{} primes below {}; {}", sequential, limit(), cpus.explain());
    let speedup = |t: &Trace| seq_trace.wall_secs() / t.wall_secs();
    println!("sequential {:.3} s", seq_trace.wall_secs());
    println!(
        "processes  {:.3} s  speedup {:.2}x",
        process_trace.wall_secs(),
        speedup(&process_trace)
    );
    println!(
        "threads    {:.3} s  speedup {:.2}x",
        thread_trace.wall_secs(),
        speedup(&thread_trace)
    );
    timeline::print_together(&[&seq_trace, &process_trace, &thread_trace]);
    Ok(())
}
// ANCHOR_END: main
