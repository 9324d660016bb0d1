//! Trick 3: sequential in all but name. One thread counts every range but one
//! with the course's count_primes; a second thread counts the smallest range
//! at the same time, so the tasks "overlap" and there are two lanes.
use parlab::workloads::count_primes;

fn solve(ranges: Vec<(u64, u64)>) -> parlab::Result<u64> {
    let mut ranges = ranges;
    let (i, _) = ranges.iter().enumerate().min_by_key(|(_, r)| r.1 - r.0).unwrap();
    let small = ranges.remove(i);
    let helper = std::thread::spawn(move || count_primes(small));
    let mut total: u64 = 0;
    for r in ranges { total += count_primes(r); }
    Ok(total + helper.join().unwrap())
}

fn main() {
    parlab::exercise::run(parlab::workloads::split_range(2_000_000, 16), solve);
}
