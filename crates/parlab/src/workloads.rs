//! The tasks of the course: the tutorial's sleeping `task`, the same task
//! taking its sleep time as an argument, and a CPU-bound prime count whose
//! answer can be checked.
//!
//! Every sleep is multiplied by the time scale ([`TIME_SCALE_ENV`], 1.0 when
//! unset), so tests and the checker run the course in milliseconds while the
//! book shows seconds. Each workload records its own [`Span`] in the trace
//! file named by [`crate::trace::TRACE_FILE_ENV`] when that is set, so a run is
//! traced however it was parallelised.

use crate::trace::{Span, append_to_trace_file};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Environment variable: a factor for every sleep (`0.01` makes a second 10 ms).
pub const TIME_SCALE_ENV: &str = "PARLAB_TIME_SCALE";

/// The time scale in force, read once from [`TIME_SCALE_ENV`].
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

/// `secs` of course time in real time, after the time scale.
pub fn scaled(secs: f64) -> Duration {
    Duration::from_secs_f64(secs * time_scale())
}

/// Counts calls so that each traced workload gets a distinct index per process.
static CALLS: AtomicUsize = AtomicUsize::new(0);

/// Runs `f` as one traced task; `sleep` is the course seconds it claims to sleep.
fn traced<R>(sleep: Option<f64>, f: impl FnOnce() -> R) -> R {
    let index = CALLS.fetch_add(1, Ordering::Relaxed);
    let (value, mut span) = Span::measure(index, 0, f);
    span.sleep = sleep;
    append_to_trace_file(&span);
    value
}

/// The tutorial's task: prints, sleeps one second, prints.
pub fn task() {
    traced(Some(1.0), || {
        println!("Task starts");
        std::thread::sleep(scaled(1.0));
        println!("Task ends");
    })
}

/// The task with its sleep time as an argument; returns that time, so a
/// caller can see which task finished.
pub fn task_with(sleep_secs: f64) -> f64 {
    traced(Some(sleep_secs), || {
        println!("Task starts: sleeping {sleep_secs} s");
        std::thread::sleep(scaled(sleep_secs));
        println!("Task ends: slept {sleep_secs} s");
        sleep_secs
    })
}

/// Counts the primes in `start..end` by trial division: CPU-bound on purpose,
/// and its answer is easy to check.
pub fn count_primes(range: (u64, u64)) -> u64 {
    traced(None, || (range.0..range.1).filter(|&n| is_prime(n)).count() as u64)
}

/// A tiny task: whether `n` is prime, as 1 or 0. About a quarter of a microsecond for
/// small `n`, far less than sending it to another process costs, and not
/// traced (timing each call would cost more than the call).
pub fn tiny(n: u64) -> u64 {
    is_prime(n) as u64
}

/// A task that crashes its whole process for some inputs: it aborts
/// (SIGABRT) when `x % 7 == 3`, and otherwise sleeps 0.1 s and returns `x * x`.
/// No `catch_unwind` can stop an abort: only a separate process contains it.
pub fn fragile(x: u64) -> u64 {
    traced((!crashes(x)).then_some(0.1), || {
        if crashes(x) {
            eprintln!("fragile({x}): aborting");
            std::process::abort();
        }
        std::thread::sleep(scaled(0.1));
        x * x
    })
}

/// Whether [`fragile`] crashes on `x`.
pub fn crashes(x: u64) -> bool {
    x % 7 == 3
}

/// Whether `n` is prime, by trial division by odd numbers.
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

/// Splits `0..limit` into `parts` ranges of nearly equal length.
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
