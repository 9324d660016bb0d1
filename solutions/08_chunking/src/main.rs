//! Exercise 08: many tiny tasks; parallel wins only with chunking.
//! Chapter: book/src/08_costs.md · Check: `checker verify 08_chunking`

use parlab::{Cpus, ProcessPool};
use parlab::workloads::tiny;

/// Sums `tiny(n)` for every `n` in `start..end` (it counts the primes), in
/// parallel, faster than a plain loop would.
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {
    let cpus = Cpus::detect().usable;
    // TODO: map tiny over start..end on a pool, in chunks, and sum
    let pool = ProcessPool::new(cpus)?;
    // A few chunks per worker: big enough to dwarf the cost of a message,
    // enough of them to keep every worker busy to the end.
    let chunk = ((end - start) as usize / (8 * cpus)).max(1);
    Ok(pool.map_chunked(tiny, start..end, chunk)?.iter().sum())
}

fn main() {
    parlab::exercise::run((10_000_000, 12_000_000), solve);
}
