//! Step 8: what parallelism costs, measured on this machine: starting a
//! process, sending a task to a pool one at a time or in chunks, and the
//! serial part that Amdahl's law says caps every speedup.
//!
//! Run: `cargo run --release -p parlab --example 08_costs`

use parlab::stats::median;
use parlab::workloads::tiny;
use parlab::{Cpus, Process, ProcessPool, ThreadPool};
use std::time::Instant;

fn secs(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// The best of five runs: the cost itself, without the delays a busy moment
/// of the machine adds to one run.
fn best_of_5(f: impl Fn()) -> f64 {
    (0..5).map(|_| secs(&f)).fold(f64::INFINITY, f64::min)
}

// ANCHOR: start
/// What one process costs: start it, run nothing, join it (median of 50).
fn start_cost() {
    let samples: Vec<f64> = (0..50)
        .map(|_| secs(|| drop(Process::start(|| ()).and_then(Process::join))))
        .collect();
    println!("start + join one process: {:.0} µs", median(&samples) * 1e6);
}
// ANCHOR_END: start

// ANCHOR: chunks
/// `n` tiny tasks: in a plain loop, on a pool one per message, and in chunks
/// (each the best of five runs).
fn chunking(n: u64, cpus: usize) -> parlab::Result<()> {
    let numbers = 10_000_000..10_000_000 + n;
    let sequential = best_of_5(|| {
        std::hint::black_box(numbers.clone().map(tiny).sum::<u64>());
    });
    let pool = ProcessPool::new(cpus)?;
    let one_by_one = best_of_5(|| drop(pool.map(tiny, numbers.clone())));
    let chunk = (n as usize / (8 * cpus)).max(1);
    let chunked = best_of_5(|| drop(pool.map_chunked(tiny, numbers.clone(), chunk)));
    drop(pool);
    let threads = ThreadPool::new(cpus)?;
    let on_threads =
        best_of_5(|| drop(threads.map_chunked(tiny, numbers.clone(), chunk)));

    println!("{n} tiny tasks (is n prime?), {cpus} workers, best of 5 runs:");
    let rows = [
        ("process pool, chunk 1".to_string(), one_by_one),
        (format!("process pool, chunk {chunk}"), chunked),
        (format!("thread pool, chunk {chunk}"), on_threads),
    ];
    println!("  {:<26}{:>8.1} ms", "sequential", sequential * 1e3);
    for (label, secs) in rows {
        println!("  {label:<26}{:>8.1} ms  ({:.2}x)", secs * 1e3, sequential / secs);
    }
    Ok(())
}
// ANCHOR_END: chunks

// ANCHOR: amdahl
/// Amdahl's law: if a share s of the work is serial, n workers give at most
/// 1 / (s + (1 - s) / n), however many there are.
fn amdahl(cpus: usize) {
    for serial in [0.0, 0.1, 0.5] {
        let limit = |workers: f64| 1.0 / (serial + (1.0 - serial) / workers);
        println!(
            "serial {:>3.0}%: at most {:.2}x on {cpus} CPUs, {:.2}x on 16, {:.2}x on 1M",
            serial * 100.0,
            limit(cpus as f64),
            limit(16.0),
            limit(1e6)
        );
    }
}
// ANCHOR_END: amdahl

fn main() -> parlab::Result<()> {
    let cpus = Cpus::detect().usable;
    let n = std::env::var("PARLAB_COSTS_N")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    start_cost();
    chunking(n, cpus)?;
    amdahl(cpus);
    Ok(())
}
