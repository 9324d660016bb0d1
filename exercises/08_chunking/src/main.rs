//! Exercise 08: many tiny tasks; parallel wins only with chunking.
//! Chapter: book/src/08_costs.md · Check: `checker verify 08_chunking`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::{Cpus, ProcessPool};
use parlab::workloads::tiny;

/// Sums `tiny(n)` for every `n` in `start..end` (it counts the primes), in
/// parallel, faster than a plain loop would.
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {
    let cpus = Cpus::detect().usable;
    todo!("TODO: map tiny over start..end on a pool, in chunks, and sum")
}

fn main() {
    parlab::exercise::run((10_000_000, 12_000_000), solve);
}
