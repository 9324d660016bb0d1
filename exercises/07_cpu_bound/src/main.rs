//! Exercise 07: CPU-bound work on every CPU.
//! Chapter: book/src/07_cpu_vs_io.md · Check: `checker verify 07_cpu_bound`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::{Cpus, ProcessPool};
use parlab::workloads::count_primes;

/// Counts the primes in every range, using every usable CPU, and returns the total.
fn solve(ranges: Vec<(u64, u64)>) -> parlab::Result<u64> {
    let cpus = Cpus::detect().usable;
    todo!("TODO: map count_primes over the ranges on a pool of `cpus` workers and sum")
}

fn main() {
    parlab::exercise::run(parlab::workloads::split_range(2_000_000, 16), solve);
}
