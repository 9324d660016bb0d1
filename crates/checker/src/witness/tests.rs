use super::*;

/// The workloads' own client, reporting to a witness in this process.
#[test]
fn calls_are_witnessed_with_the_kernels_pid_and_the_checkers_sleep() {
    let dir = tempfile::tempdir().unwrap();
    let witness = Witness::start(dir.path(), 0.001, vec![(2.0, 3.0)]).unwrap();
    // SAFETY: the only test in this binary that reads or writes the variable.
    unsafe { std::env::set_var(parlab::exercise::WITNESS_ENV, witness.path()) };
    let n = 200;
    // On a thread of its own, which ends (and closes its connection) before the witness does.
    std::thread::spawn(move || {
        for i in 0..n {
            assert_eq!(parlab::workloads::count_primes((0, 100 + i)), parlab::workloads::count_primes((0, 100 + i)));
        }
        assert_eq!(parlab::workloads::task_with(2.0), 2.0);
    })
    .join()
    .unwrap();
    let calls = witness.finish().unwrap();
    assert_eq!(calls.len(), 2 * n as usize + 1);
    let me = std::process::id() as i32;
    assert!(calls.iter().all(|c| c.pid == me && c.end.as_ref().is_some_and(|e| e.pid == me)));
    assert!(calls.iter().all(|c| c.tid != me), "the thread is named, not the process");
    let sleep = calls.last().unwrap();
    assert_eq!(sleep.work, Work::Sleep(2.0));
    // A sleep of 2 lasts 3 here: the checker says how long.
    assert!(sleep.end.as_ref().unwrap().at_ns - sleep.start_ns >= 3_000_000, "slept 3 ms (3 s at 0.001)");
    assert_eq!(calls[0].work, Work::Count(0, 100));
    assert_eq!(calls[0].end.as_ref().unwrap().result, 25);
}
