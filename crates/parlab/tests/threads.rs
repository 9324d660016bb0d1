//! The thread pool and the sequential runner: no fork, so the normal harness.

use parlab::workloads::{count_primes, task_with};
use parlab::{Error, Sequential, ThreadPool, Trace};

#[test]
fn thread_pool_map_keeps_input_order() {
    let pool = ThreadPool::new(2).unwrap();
    let ranges: Vec<(u64, u64)> = (0..30).map(|i| (i * 500, (i + 1) * 500)).collect();
    let expected: Vec<u64> = ranges.iter().map(|&r| count_primes(r)).collect();
    assert_eq!(pool.map(count_primes, ranges.clone()).unwrap(), expected);
    assert_eq!(pool.map_chunked(count_primes, ranges, 4).unwrap(), expected);
    let trace = Trace::from_spans("threads", pool.take_spans());
    assert_eq!(trace.summary().tasks, 60, "the spans cover every task");
    assert_eq!(trace.spans.len(), 30 + 8, "a span per task, and one per chunk of 4");
    assert_eq!(trace.pids(), vec![std::process::id() as i32], "threads share one process");
}

#[test]
fn thread_pool_as_completed_yields_in_completion_order() {
    // SAFETY: set before any workload reads the scale; same value everywhere in this binary.
    unsafe { std::env::set_var("PARLAB_TIME_SCALE", "0.02") };
    let pool = ThreadPool::new(3).unwrap();
    let order: Vec<f64> = pool.as_completed(task_with, [3.0, 1.0, 2.0]).unwrap().map(|(_, r)| r.unwrap()).collect();
    assert_eq!(order, [1.0, 2.0, 3.0]);
}

#[test]
fn thread_pool_tasks_overlap_on_distinct_threads() {
    // SAFETY: every test of this file sets the same value, and none reads the
    // environment otherwise; the time scale is read once, after this.
    unsafe { std::env::set_var("PARLAB_TIME_SCALE", "0.02") };
    let pool = ThreadPool::new(2).unwrap();
    pool.map(task_with, [1.0, 1.0]).unwrap();
    let trace = Trace::from_spans("t", pool.take_spans());
    assert_eq!(trace.lanes().len(), 2);
    assert_eq!(trace.max_concurrency(), 2);
}

#[test]
fn a_panic_in_a_thread_task_comes_back_as_a_value() {
    fn picky(x: u32) -> u32 {
        if x == 2 { panic!("two is not allowed") } else { x }
    }
    let pool = ThreadPool::new(2).unwrap();
    let handles: Vec<_> = (0..4).map(|x| pool.submit(picky, x).unwrap()).collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    assert!(matches!(&results[2], Err(Error::Panicked { message }) if message == "two is not allowed"));
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
    assert!(matches!(pool.map(picky, [1, 2, 3]), Err(Error::Panicked { .. })));
}

#[test]
fn sequential_runs_back_to_back_in_the_calling_thread() {
    let seq = Sequential::new();
    assert_eq!(seq.map(count_primes, [(0, 10), (10, 20)]).unwrap(), [4, 4]);
    assert!(matches!(seq.run(|| -> u8 { panic!("seq boom") }), Err(Error::Panicked { .. })));
    let trace = Trace::from_spans("seq", seq.take_spans());
    assert_eq!(trace.max_concurrency(), 1);
    assert_eq!(trace.lanes().len(), 1);
}

#[test]
fn forking_from_the_test_harness_is_refused_not_risked() {
    // libtest runs this on a helper thread: the process has several threads.
    let err = parlab::Process::start(|| 1u8).err().expect("must refuse");
    assert!(matches!(err, Error::MultiThreaded { threads, .. } if threads >= 2));
}
