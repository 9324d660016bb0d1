//! Exercise 11: a histogram on every CPU, counts kept apart and merged.
//! Chapter: book/src/11_sharing.md · Check: `checker verify 11_histogram`
#![allow(unused)] // The starter leaves names unused; delete this line when you are done.

use parlab::Cpus;
use parlab::workloads::{BUCKETS, bucket};

/// Counts how many numbers of `start..end` fall in each of the `BUCKETS`
/// buckets of `bucket(n)`, using every usable CPU. Adding one to a count
/// costs as much as finding its bucket: where the counts live decides the
/// speed (a `Mutex` or an atomic shared by every thread makes them wait for
/// each other on every number).
fn solve((start, end): (u64, u64)) -> parlab::Result<Vec<u64>> {
    let cpus = Cpus::detect().usable as u64;
    todo!("TODO: give each thread a part of the range and counts of its own; add them up at the end")
}

fn main() {
    parlab::exercise::run((0, 20_000_000), solve);
}
