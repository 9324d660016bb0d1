//! Exercise 07: CPU-bound work on every CPU.

use parlab::workloads::count_primes;
use parlab::{Cpus, ProcessPool};

fn solve(ranges: Vec<(u64, u64)>) -> parlab::Result<u64> {
    let pool = ProcessPool::new(Cpus::detect().usable)?;
    Ok(pool.map(count_primes, ranges)?.iter().sum())
}

fn main() {
    parlab::exercise::run(parlab::workloads::split_range(2_000_000, 16), solve);
}
