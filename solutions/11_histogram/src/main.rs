//! Exercise 11: a histogram on every CPU, counts kept apart and merged.
//! Chapter: book/src/11_sharing.md · Check: `checker verify 11_histogram`

use parlab::Cpus;
use parlab::workloads::{BUCKETS, bucket};

/// Counts how many numbers of `start..end` fall in each of the `BUCKETS`
/// buckets of `bucket(n)`, using every usable CPU. Adding one to a count
/// costs as much as finding its bucket: where the counts live decides the
/// speed (a `Mutex` or an atomic shared by every thread makes them wait for
/// each other on every number).
fn solve((start, end): (u64, u64)) -> parlab::Result<Vec<u64>> {
    let cpus = Cpus::detect().usable as u64;
    // TODO: give each thread a part of the range and counts of its own; add them up at the end
    let part = (end - start).div_ceil(cpus);
    let counts: Vec<[u64; BUCKETS]> = std::thread::scope(|s| {
        let threads: Vec<_> = (0..cpus)
            .map(|k| {
                let (from, to) = (start + k * part, (start + (k + 1) * part).min(end));
                s.spawn(move || {
                    let mut mine = [0u64; BUCKETS];
                    for n in from..to {
                        mine[bucket(n)] += 1;
                    }
                    mine
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().expect("counting does not panic")).collect()
    });
    Ok((0..BUCKETS).map(|b| counts.iter().map(|c| c[b]).sum()).collect())
}

fn main() {
    parlab::exercise::run((0, 20_000_000), solve);
}
