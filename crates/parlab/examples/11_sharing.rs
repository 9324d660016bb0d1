//! Step 11: sharing and communicating. Threads share memory, so a counter
//! they all change must be a `Mutex` or an atomic, and both slow down when
//! threads contend for them; counts kept apart and merged at the end cost
//! nothing. Processes share nothing unless asked: they send results back
//! (through a pipe) or map memory shared on purpose.
//!
//! Run: `cargo run --release -p parlab --example 11_sharing`

use parlab::{Cpus, Process, Recorder, Span, timeline};
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::Instant;

/// Increments in all, split evenly between the workers.
fn increments() -> u64 {
    std::env::var("PARLAB_INCREMENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(100_000_000)
}

/// Counts to `n` in a local variable (`black_box` keeps the compiler from
/// replacing the loop by its result; one copy of the machine code, not
/// inlined, so that every way below runs the same loop).
#[inline(never)]
fn count_alone(n: u64) -> u64 {
    let mut count = 0;
    for _ in 0..n {
        count += black_box(1);
    }
    count
}

// ANCHOR: mutex
/// Every thread adds to one counter behind a `Mutex`: one at a time.
fn one_mutex(workers: u64, n: u64) -> u64 {
    let counter = Mutex::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                for _ in 0..n / workers {
                    *counter.lock().unwrap() += black_box(1);
                }
            });
        }
    });
    counter.into_inner().unwrap()
}
// ANCHOR_END: mutex

// ANCHOR: atomic
/// Every thread adds to one atomic counter: no lock, but the cache line that
/// holds it moves from CPU to CPU at every add.
fn one_atomic(workers: u64, n: u64) -> u64 {
    let counter = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                for _ in 0..n / workers {
                    counter.fetch_add(black_box(1), Ordering::Relaxed);
                }
            });
        }
    });
    counter.into_inner()
}
// ANCHOR_END: atomic

// ANCHOR: merged
/// Every thread counts on its own and returns its count; the sum is taken
/// once, at the end.
fn merged(workers: u64, n: u64) -> u64 {
    std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..workers).map(|_| s.spawn(|| count_alone(n / workers))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    })
}

/// The same, the counts sent over a channel as each thread ends.
fn over_channel(workers: u64, n: u64) -> u64 {
    let (tx, rx) = mpsc::channel();
    std::thread::scope(|s| {
        for _ in 0..workers {
            let tx = tx.clone();
            s.spawn(move || tx.send(count_alone(n / workers)).unwrap());
        }
    });
    drop(tx);
    rx.iter().sum()
}
// ANCHOR_END: merged

// ANCHOR: rayon
/// rayon splits the range between its threads and merges their sums.
fn with_rayon(n: u64) -> u64 {
    use rayon::prelude::*;
    (0..n).into_par_iter().map(|_| black_box(1)).sum()
}
// ANCHOR_END: rayon

// ANCHOR: processes
/// Every process counts in its own memory and sends its count back as its
/// result (`Process` reads it from the memfd the child wrote).
fn processes_piped(workers: u64, n: u64) -> parlab::Result<u64> {
    let children = (0..workers)
        .map(|_| Process::start(move || count_alone(n / workers)))
        .collect::<parlab::Result<Vec<_>>>()?;
    children.into_iter().map(Process::join).sum()
}

/// Every process adds to one atomic counter in memory mapped shared before
/// the fork: processes can share memory too, on purpose, and then contend
/// for it as threads do.
fn processes_shared(workers: u64, n: u64) -> parlab::Result<u64> {
    let shared = shared_memory::Counter::new()?;
    let children = (0..workers)
        .map(|_| {
            Process::start(|| {
                for _ in 0..n / workers {
                    shared.get().fetch_add(black_box(1), Ordering::Relaxed);
                }
            })
        })
        .collect::<parlab::Result<Vec<_>>>()?;
    for child in children {
        child.join()?;
    }
    Ok(shared.get().load(Ordering::Relaxed))
}
// ANCHOR_END: processes

/// The best of three runs of `f`, in seconds, and its answer.
fn best_of_3<T: PartialEq + std::fmt::Debug>(f: impl Fn() -> T) -> (f64, T) {
    let mut best = f64::INFINITY;
    let mut answer = None;
    for _ in 0..3 {
        let t = Instant::now();
        let value = f();
        best = best.min(t.elapsed().as_secs_f64());
        answer = Some(value);
    }
    (best, answer.expect("three runs"))
}

fn row(how: &str, n: u64, (secs, total): (f64, u64)) {
    assert_eq!(total, n, "{how} lost increments");
    let per = secs / n as f64 * 1e9;
    println!("  {how:<34}{:>9.1} ms{per:>9.2} ns", secs * 1e3);
}

// ANCHOR: timeline
/// The contended counter and the merged counts, traced on one axis.
fn traced(workers: u64, n: u64) {
    let run = Recorder::start("11 one atomic counter");
    let counter = AtomicU64::new(0);
    let spans: Vec<Span> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers as usize)
            .map(|i| {
                let counter = &counter;
                s.spawn(move || {
                    let add = || {
                        for _ in 0..n / workers {
                            counter.fetch_add(black_box(1), Ordering::Relaxed);
                        }
                    };
                    Span::measure(i, i, add).1
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let contended = run.finish(spans);
    let run = Recorder::start("11 own counts merged");
    let spans: Vec<Span> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers as usize)
            .map(|i| s.spawn(move || Span::measure(i, i, || count_alone(n / workers)).1))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    timeline::print_together(&[&contended, &run.finish(spans)]);
}
// ANCHOR_END: timeline

fn main() -> parlab::Result<()> {
    let cpus = Cpus::detect();
    let workers = cpus.usable.max(2) as u64;
    let n = increments() / workers * workers;
    println!("{n} increments on {workers} workers, best of 3 runs");
    println!("{}", cpus.explain());
    println!("  {:<34}{:>12}{:>12}", "how", "time", "per add");
    // Processes first: the engine forks only while this process has one thread.
    row(
        "processes, own counts, piped back",
        n,
        best_of_3(|| processes_piped(workers, n).unwrap()),
    );
    row(
        "processes, one shared atomic",
        n,
        best_of_3(|| processes_shared(workers, n).unwrap()),
    );
    row("one thread, a local variable", n, best_of_3(|| count_alone(n)));
    row("threads, one Mutex", n, best_of_3(|| one_mutex(workers, n)));
    row("threads, one atomic", n, best_of_3(|| one_atomic(workers, n)));
    row("threads, own counts, merged", n, best_of_3(|| merged(workers, n)));
    row("threads, own counts over a channel", n, best_of_3(|| over_channel(workers, n)));
    row("rayon, par_iter sum", n, best_of_3(|| with_rayon(n)));
    traced(workers, n);
    Ok(())
}

/// One `AtomicU64` in an anonymous shared mapping: a forked child writes the
/// same memory as its parent, not a copy.
mod shared_memory {
    use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
    use std::num::NonZeroUsize;
    use std::ptr::NonNull;
    use std::sync::atomic::AtomicU64;

    pub struct Counter(NonNull<AtomicU64>);

    impl Counter {
        pub fn new() -> parlab::Result<Counter> {
            let len =
                NonZeroUsize::new(std::mem::size_of::<AtomicU64>()).expect("not zero");
            let (read_write, shared) =
                (ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, MapFlags::MAP_SHARED);
            // SAFETY: a fresh mapping, zeroed by the kernel: a valid AtomicU64 of 0.
            let ptr = unsafe { mmap_anonymous(None, len, read_write, shared) };
            let ptr = ptr.map_err(|e| parlab::Error::Io(std::io::Error::from(e)))?;
            Ok(Counter(ptr.cast()))
        }

        pub fn get(&self) -> &AtomicU64 {
            // SAFETY: the mapping lives as long as `self` (and, in a child,
            // until it exits), and an atomic may be shared.
            unsafe { self.0.as_ref() }
        }
    }

    impl Drop for Counter {
        fn drop(&mut self) {
            // SAFETY: mapped by `new` with this length; no reference outlives `self`.
            let _ = unsafe { munmap(self.0.cast(), std::mem::size_of::<AtomicU64>()) };
        }
    }
}
