//! The tasks of the course: the tutorial's sleeping `task`, the same task
//! taking its sleep time as an argument, and a CPU-bound prime count whose
//! answer can be checked.
//!
//! Every sleep is multiplied by the time scale ([`TIME_SCALE_ENV`], 1.0 when
//! unset), so tests and the checker run the course in milliseconds while the
//! book shows seconds. Each workload records its own [`Span`] in the trace
//! file named by [`crate::trace_file::TRACE_FILE_ENV`] when that is set, so a run is
//! traced however it was parallelised. Under `checker verify` they report to
//! the checker instead, which witnesses each call itself (see
//! [`crate::exercise::WITNESS_ENV`]) and says how long a sleep lasts.

use crate::trace::Span;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable: a factor for every sleep (`0.01` makes a second 10 ms).
/// Set it in the shell (`PARLAB_TIME_SCALE=0.1 cargo run ...`), or in `main`
/// before any thread starts and before any workload runs:
///
/// ```
/// use parlab::workloads::{TIME_SCALE_ENV, scaled};
/// use std::time::Duration;
///
/// // SAFETY: no other thread runs yet, and nothing read the scale before.
/// unsafe { std::env::set_var(TIME_SCALE_ENV, "0.01") };
/// assert_eq!(scaled(1.0), Duration::from_millis(10));
/// ```
pub const TIME_SCALE_ENV: &str = "PARLAB_TIME_SCALE";

/// The time scale in force, read once from [`TIME_SCALE_ENV`]: 1.0 when it is
/// unset or not a number of zero or more. Read once, so that every task of a
/// run sleeps by the same scale.
///
/// ```
/// # // SAFETY: no other thread runs yet, and nothing read the scale before.
/// # unsafe { std::env::set_var(parlab::workloads::TIME_SCALE_ENV, "0.5") };
/// use parlab::workloads::time_scale;
///
/// assert_eq!(time_scale(), 0.5); // PARLAB_TIME_SCALE=0.5
/// ```
pub fn time_scale() -> f64 {
    static SCALE: OnceLock<f64> = OnceLock::new();
    *SCALE.get_or_init(|| {
        std::env::var(TIME_SCALE_ENV)
            .ok()
            .and_then(|s| s.parse::<f64>().ok())
            .filter(|s| s.is_finite() && *s >= 0.0)
            .unwrap_or(1.0)
    })
}

/// `secs` of course time in real time, after the time scale. Use it for your
/// own sleeps, so that they shrink with the course's.
///
/// ```
/// # // SAFETY: no other thread runs yet, and nothing read the scale before.
/// # unsafe { std::env::set_var(parlab::workloads::TIME_SCALE_ENV, "0.01") };
/// use parlab::workloads::scaled;
/// use std::time::Duration;
///
/// assert_eq!(scaled(2.0), Duration::from_millis(20)); // PARLAB_TIME_SCALE=0.01
/// std::thread::sleep(scaled(2.0));
/// ```
pub fn scaled(secs: f64) -> Duration {
    Duration::from_secs_f64(secs * time_scale())
}

/// Counts calls so that each traced workload gets a distinct index per process.
static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` as one task of the course. Watched by a checker, the call is
/// reported to it as `claim` (what it does: JSON fields) and `render` (its
/// result as JSON), and sleeps as long as the checker says; otherwise it
/// is traced into the trace file, claiming `sleep` course seconds. `f` gets
/// how long to sleep.
fn traced<R>(claim: String, sleep: Option<f64>, render: fn(&R) -> String, f: impl FnOnce(Duration) -> R) -> R {
    if let Some(open) = crate::witness::begin(&claim) {
        let value = f(open.sleep.unwrap_or_default());
        open.end(&render(&value));
        return value;
    }
    let nap = sleep.map(scaled).unwrap_or_default();
    let index = CALLS.fetch_add(1, Ordering::Relaxed);
    let (value, mut span) = Span::measure(index, 0, || f(nap));
    span.sleep = sleep;
    crate::trace_file::append(&span);
    value
}

/// The tutorial's task: prints, sleeps one second, prints.
///
/// ```
/// # // SAFETY: no other thread runs yet, and nothing read the scale before.
/// # unsafe { std::env::set_var(parlab::workloads::TIME_SCALE_ENV, "0.01") };
/// use parlab::{Span, workloads::{scaled, task}};
///
/// let ((), span) = Span::measure(0, 0, task);
/// assert!(span.secs() >= scaled(1.0).as_secs_f64());
/// ```
pub fn task() {
    traced(
        "\"sleep\":1.0".into(),
        Some(1.0),
        |_| "1.0".into(),
        |nap| {
            println!("Task starts");
            std::thread::sleep(nap);
            println!("Task ends");
        },
    )
}

/// The task with its sleep time as an argument; returns that time, so a
/// caller can see which task finished.
///
/// ```
/// # // SAFETY: no other thread runs yet, and nothing read the scale before.
/// # unsafe { std::env::set_var(parlab::workloads::TIME_SCALE_ENV, "0.01") };
/// use parlab::{ProcessPool, workloads::task_with};
///
/// let pool = ProcessPool::new(2).unwrap();
/// let finished = pool.as_completed(task_with, [4.0, 1.0]).unwrap();
/// let order: Vec<f64> = finished.map(|(_, slept)| slept.unwrap()).collect();
/// assert_eq!(order, [1.0, 4.0]); // the shorter sleep ends first
/// ```
pub fn task_with(sleep_secs: f64) -> f64 {
    let claim = format!("\"sleep\":{}", json_number(sleep_secs));
    traced(
        claim,
        Some(sleep_secs),
        |s| json_number(*s),
        |nap| {
            println!("Task starts: sleeping {sleep_secs} s");
            std::thread::sleep(nap);
            println!("Task ends: slept {sleep_secs} s");
            sleep_secs
        },
    )
}

/// Counts the primes in `start..end` by trial division: CPU-bound on purpose,
/// and its answer is easy to check.
///
/// ```
/// use parlab::workloads::count_primes;
///
/// assert_eq!(count_primes((0, 100)), 25);
/// assert_eq!(count_primes((100, 200)), 21);
/// ```
pub fn count_primes(range: (u64, u64)) -> u64 {
    let claim = format!("\"count\":[{},{}]", range.0, range.1);
    traced(claim, None, u64::to_string, |_| (range.0..range.1).filter(|&n| is_prime(n)).count() as u64)
}

/// How many buckets [`bucket`] sorts numbers into.
pub const BUCKETS: usize = 16;

/// The bucket (0 to [`BUCKETS`] - 1) of `n`, for a histogram: a few
/// nanoseconds of mixing, so that adding to a count costs as much as
/// finding it, and neighbouring numbers land in different buckets. Not
/// traced. Chapter 11's exercise counts millions of these: where the counts
/// live (shared, or one set per thread) decides the speed.
///
/// ```
/// use parlab::workloads::{BUCKETS, bucket};
///
/// let mut counts = [0u64; BUCKETS];
/// for n in 0..1000 {
///     counts[bucket(n)] += 1;
/// }
/// assert_eq!(counts.iter().sum::<u64>(), 1000);
/// assert!(counts.iter().all(|&c| c > 30)); // spread over every bucket
/// ```
#[inline] // The same machine code in every caller: the checker times its own loop against yours.
pub fn bucket(n: u64) -> usize {
    let mut x = n;
    for _ in 0..3 {
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    }
    (x >> 60) as usize
}

/// A tiny task: whether `n` is prime, as 1 or 0. About a quarter of a microsecond for
/// small `n`, far less than sending it to another process costs, and not
/// traced (timing each call would cost more than the call); under a checker,
/// the calls are counted per thread and reported in batches.
///
/// ```
/// use parlab::workloads::tiny;
///
/// assert_eq!((0..10).map(tiny).collect::<Vec<_>>(), [0, 0, 1, 1, 0, 1, 0, 1, 0, 0]);
/// ```
pub fn tiny(n: u64) -> u64 {
    crate::witness::tally_tiny();
    is_prime(n) as u64
}

/// A task that crashes its whole process for some inputs: it aborts
/// (SIGABRT) when `x % 7 == 3`, and otherwise sleeps 0.1 s and returns `x * x`.
/// No `catch_unwind` can stop an abort: only a separate process contains it.
///
/// ```
/// # // SAFETY: no other thread runs yet, and nothing read the scale before.
/// # unsafe { std::env::set_var(parlab::workloads::TIME_SCALE_ENV, "0.01") };
/// use parlab::workloads::{crashes, fragile};
///
/// assert_eq!(fragile(4), 16);
/// assert!(crashes(3)); // fragile(3) would take this whole program down
/// ```
pub fn fragile(x: u64) -> u64 {
    traced(format!("\"fragile\":{x}"), (!crashes(x)).then_some(0.1), u64::to_string, |nap| {
        if crashes(x) {
            eprintln!("fragile({x}): aborting");
            std::process::abort();
        }
        std::thread::sleep(nap);
        x * x
    })
}

/// `x` as JSON: a number, or `null` where JSON has none (NaN, infinities).
fn json_number(x: f64) -> String {
    if x.is_finite() { format!("{x:?}") } else { "null".into() }
}

/// Whether [`fragile`] crashes on `x`: to know which results to expect
/// without crashing anything.
///
/// ```
/// use parlab::workloads::crashes;
///
/// let survivors: Vec<u64> = (0..12).filter(|&x| !crashes(x)).collect();
/// assert_eq!(survivors, [0, 1, 2, 4, 5, 6, 7, 8, 9, 11]);
/// ```
pub fn crashes(x: u64) -> bool {
    x % 7 == 3
}

/// Whether `n` is prime, by trial division by odd numbers.
///
/// ```
/// use parlab::workloads::is_prime;
///
/// assert!(is_prime(2) && is_prime(97));
/// assert!(!is_prime(1) && !is_prime(91)); // 91 = 7 x 13
/// ```
pub fn is_prime(n: u64) -> bool {
    if n < 2 {
        return false;
    }
    if n.is_multiple_of(2) {
        return n == 2;
    }
    let mut d = 3;
    while d * d <= n {
        if n.is_multiple_of(d) {
            return false;
        }
        d += 2;
    }
    true
}

/// Splits `0..limit` into `parts` ranges of nearly equal length: one
/// [`count_primes`] task per part.
///
/// ```
/// use parlab::workloads::{count_primes, split_range};
///
/// assert_eq!(split_range(10, 3), [(0, 3), (3, 6), (6, 10)]);
/// let primes: u64 = split_range(1000, 4).into_iter().map(count_primes).sum();
/// assert_eq!(primes, 168);
/// ```
pub fn split_range(limit: u64, parts: usize) -> Vec<(u64, u64)> {
    let parts = parts.max(1) as u64;
    (0..parts).map(|i| (limit * i / parts, limit * (i + 1) / parts)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primes_below_100_are_25() {
        assert_eq!(count_primes((0, 100)), 25);
        assert_eq!(split_range(100, 3).into_iter().map(count_primes).sum::<u64>(), 25);
    }

    #[test]
    fn split_covers_the_range_without_gaps() {
        let r = split_range(10, 3);
        assert_eq!(r, vec![(0, 3), (3, 6), (6, 10)]);
    }
}
