//! Before sharing: Rust's threads with the standard library alone. A thread
//! that owns what it was given and hands back a value, a lock shared through
//! `Arc`, a channel with several producers, a deadlock and its cure, a
//! bounded channel that holds a fast producer back, and two counters that
//! slow each other down only because they share a cache line.
//!
//! Run: `cargo run --release -p parlab --example thread_basics`

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ANCHOR: spawn
/// Each thread owns the numbers it was given (`move`), and `join` hands
/// back what it returned.
fn spawn_and_join() {
    let parts = vec![vec![1, 2, 3], vec![4, 5], vec![6]];
    let handles: Vec<thread::JoinHandle<i32>> =
        parts.into_iter().map(|part| thread::spawn(move || part.iter().sum())).collect();
    let sums: Vec<i32> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    println!("spawn and join: sums {sums:?}");
}
// ANCHOR_END: spawn

// ANCHOR: arc_mutex
/// One vector for every thread: `Arc` counts the owners, `Mutex` lets one
/// thread at a time in.
fn shared_vector() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let seen = Arc::clone(&seen);
            thread::spawn(move || seen.lock().expect("not poisoned").push(i))
        })
        .collect();
    handles.into_iter().for_each(|h| h.join().expect("no panic"));
    let mut seen = seen.lock().expect("not poisoned").clone();
    seen.sort();
    println!("Arc<Mutex<Vec>>: {seen:?}, pushed by 4 threads");
}
// ANCHOR_END: arc_mutex

// ANCHOR: channel
/// Several producers, one consumer: each producer owns a clone of the
/// sender; the receiver's loop ends when the last sender is gone.
fn many_producers() {
    let (tx, rx) = mpsc::channel();
    for producer in 0..3 {
        let tx = tx.clone();
        thread::spawn(move || {
            for k in 0..2 {
                tx.send((producer, k)).expect("the receiver lives");
            }
        });
    }
    drop(tx); // only the producers' clones remain
    let received: Vec<(i32, i32)> = rx.iter().collect();
    println!("channel: {} messages from 3 producers", received.len());
}
// ANCHOR_END: channel

// ANCHOR: deadlock
/// Two threads take two locks. In opposite orders, each can hold one and wait
/// for the other forever: the example waits a second, then says so (the
/// stuck threads end with the process). In one order, both finish.
fn two_locks(same_order: bool) {
    let (a, b) = (Arc::new(Mutex::new(0)), Arc::new(Mutex::new(0)));
    let (done_tx, done_rx) = mpsc::channel();
    for first_a in [true, same_order] {
        let (a, b, done) = (Arc::clone(&a), Arc::clone(&b), done_tx.clone());
        thread::spawn(move || {
            let (first, second) = if first_a { (&a, &b) } else { (&b, &a) };
            let _one = first.lock().expect("not poisoned");
            thread::sleep(Duration::from_millis(50)); // let the other take its first lock
            let _two = second.lock().expect("not poisoned");
            let _ = done.send(());
        });
    }
    let deadline = Instant::now() + Duration::from_secs(1);
    let left = || deadline.saturating_duration_since(Instant::now());
    let finished = (0..2).filter(|_| done_rx.recv_timeout(left()).is_ok()).count();
    let order = if same_order { "one order" } else { "opposite orders" };
    println!("two locks in {order}: {finished} of 2 threads finished within 1 s");
}
// ANCHOR_END: deadlock

// ANCHOR: bounded
/// A producer faster than its consumer: an unbounded channel would let the
/// queue grow; one of capacity 2 makes `send` wait, so the producer is never
/// more than a few messages ahead.
fn back_pressure() {
    let (tx, rx) = mpsc::sync_channel::<u32>(2);
    let sent = Arc::new(AtomicU64::new(0));
    let producer = {
        let sent = Arc::clone(&sent);
        thread::spawn(move || {
            for k in 0..20 {
                tx.send(k).expect("the consumer lives");
                sent.fetch_add(1, Ordering::SeqCst);
            }
        })
    };
    let mut most_ahead = 0;
    for received in 1..=20 {
        rx.recv().expect("the producer sends 20");
        thread::sleep(Duration::from_millis(5)); // a slow consumer
        most_ahead = most_ahead.max(sent.load(Ordering::SeqCst).saturating_sub(received));
    }
    producer.join().expect("no panic");
    println!("bounded channel (capacity 2): the producer was at most {most_ahead} ahead");
}
// ANCHOR_END: bounded

// ANCHOR: false_sharing
/// Two counters side by side in memory, on one cache line.
struct Adjacent([AtomicU64; 2]);

/// The same two counters, each on a cache line of its own (128 bytes: some
/// CPUs fetch lines in pairs).
#[repr(align(128))]
struct Padded(AtomicU64);

/// Two threads, each adding to its own counter: no value is shared, only
/// the cache line the counters may sit on. Nanoseconds per add.
fn per_add(counter: impl Fn(usize) -> &'static AtomicU64 + Sync, adds: u64) -> f64 {
    let t = Instant::now();
    thread::scope(|s| {
        for i in 0..2 {
            let counter = &counter;
            s.spawn(move || {
                for _ in 0..adds {
                    counter(i).fetch_add(black_box(1), Ordering::Relaxed);
                }
            });
        }
    });
    t.elapsed().as_secs_f64() * 1e9 / adds as f64
}
// ANCHOR_END: false_sharing

fn main() {
    spawn_and_join();
    shared_vector();
    many_producers();
    two_locks(false);
    two_locks(true);
    back_pressure();
    static ADJACENT: Adjacent = Adjacent([AtomicU64::new(0), AtomicU64::new(0)]);
    static PADDED: [Padded; 2] = [Padded(AtomicU64::new(0)), Padded(AtomicU64::new(0))];
    let adds = 50_000_000;
    let best = |f: &dyn Fn() -> f64| (0..3).map(|_| f()).fold(f64::INFINITY, f64::min);
    let shared_line = best(&|| per_add(|i| &ADJACENT.0[i], adds));
    let own_lines = best(&|| per_add(|i| &PADDED[i].0, adds));
    println!(
        "two threads, own counters, one cache line:  {shared_line:.2} ns per add (best of 3)"
    );
    println!(
        "two threads, own counters, own cache lines: {own_lines:.2} ns per add (best of 3)"
    );
}
