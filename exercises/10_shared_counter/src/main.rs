//! Exercise 10: one count, shared by threads and sent back by processes.
//! Chapter: book/src/10_isolation.md · Check: `checker verify 10_shared_counter`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::workloads::{count_primes, split_range};
use parlab::{Cpus, Process};
use std::sync::atomic::{AtomicU64, Ordering};

/// Counts the primes in `start..end` twice, each time on every usable CPU:
/// first with threads, which share this process's memory and so can all add
/// to one counter; then with processes, which cannot reach it (each has a
/// copy of its own), so each sends its count back and this process adds
/// them up. Returns (the threads' count, the processes' count).
fn solve((start, end): (u64, u64)) -> parlab::Result<(u64, u64)> {
    let cpus = Cpus::detect().usable;
    let parts: Vec<(u64, u64)> =
        split_range(end - start, cpus).into_iter().map(|(a, b)| (start + a, start + b)).collect();
    todo!("TODO: threads add their counts to one shared counter; processes send theirs back")
}

fn main() {
    parlab::exercise::run((2_000_000, 4_000_000), solve);
}
