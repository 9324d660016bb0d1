//! Exercise 13: count primes on MPI ranks, each rank its part, added up by a reduce.
//! Chapter: book/src/13_mpi.md · Check: `checker verify 13_mpi_ranks`
//! By hand, in `exercises/`: `cargo build --release -p ex13_mpi_ranks`, then
//! `mpirun -np 2 target/release/ex13_mpi_ranks` (Open MPI as root: add `--allow-run-as-root`).
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::workloads::{count_primes, split_range};
use parlab_mpi::mpi::collective::SystemOperation;
use parlab_mpi::mpi::topology::SimpleCommunicator;
use parlab_mpi::mpi::traits::*;

/// Runs on every rank at once: `mpirun` started one copy of this program
/// per rank. Counts the primes in `start..end`: this rank counts its own
/// part of the range, and a reduce adds the parts up on rank 0. Only rank
/// 0's answer is graded; the other ranks may return anything.
fn solve(world: &SimpleCommunicator, (start, end): (u64, u64)) -> parlab::Result<u64> {
    let (rank, size) = (world.rank() as usize, world.size() as usize);
    let root = world.process_at_rank(0);
    todo!("TODO: count this rank's part of the range, then reduce the counts to rank 0")
}

fn main() {
    parlab_mpi::exercise::run((100_000_000, 101_000_000), solve);
}
