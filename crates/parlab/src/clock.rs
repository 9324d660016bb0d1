//! One clock for every process.
//!
//! Spans recorded in a child process are drawn on the same timeline as the
//! parent's, so every process must read the same clock. `CLOCK_MONOTONIC` is
//! system-wide on Linux and macOS: a timestamp taken in a forked child can be
//! subtracted from one taken in its parent.

use nix::time::{ClockId, clock_gettime};

/// Nanoseconds on the system-wide monotonic clock.
///
/// ```
/// let start = parlab::now_ns();
/// std::thread::sleep(std::time::Duration::from_millis(5));
/// assert!(parlab::now_ns() - start >= 5_000_000);
/// ```
pub fn now_ns() -> u64 {
    let t = clock_gettime(ClockId::CLOCK_MONOTONIC).expect("CLOCK_MONOTONIC is always available");
    t.tv_sec() as u64 * 1_000_000_000 + t.tv_nsec() as u64
}

/// Seconds between two [`now_ns`] readings, as a float for printing; 0 when
/// `end_ns` comes first, so a span never has a negative length.
pub(crate) fn secs_between(start_ns: u64, end_ns: u64) -> f64 {
    end_ns.saturating_sub(start_ns) as f64 / 1e9
}
