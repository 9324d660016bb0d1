//! Tests that fork. They run on the main thread of a single-threaded process
//! (`harness = false`), because the engine refuses to fork a process that has
//! other threads, and libtest always runs tests on helper threads.

use libtest_mimic::{Arguments, Failed, Trial};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use parlab::workloads::{count_primes, task_with};
use parlab::{Error, ExitHow, Process, ProcessPool, Recorder, Shutdown, Trace};
use std::time::Duration;

fn check(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond { Ok(()) } else { Err(what.into().into()) }
}

fn is_running(pid: i32) -> bool {
    kill(Pid::from_raw(pid), None).is_ok()
}

fn no_children_left() -> bool {
    use nix::sys::wait::{WaitPidFlag, waitpid};
    matches!(waitpid(None, Some(WaitPidFlag::WNOHANG)), Err(nix::errno::Errno::ECHILD))
}

fn child_runs_in_another_process() -> Result<(), Failed> {
    let mut p = Process::start(|| std::process::id() as i32)?;
    let pid = p.pid();
    check(p.wait()? == &ExitHow::Code(0), format!("{:?}", p.exit_status()))?;
    let child_pid = p.join()?;
    check(child_pid == pid, "the value comes from the child")?;
    check(child_pid != std::process::id() as i32, "the child is another process")
}

fn results_of_any_size_come_back_whole() -> Result<(), Failed> {
    // Read (below 64 KiB) or mapped from the child's file (from 64 KiB on).
    for len in [0, 1, 65_535, 65_536, 1 << 20, 9 << 20] {
        let v = Process::start(move || vec![7u8; len])?.join()?;
        check(v.len() == len && v.iter().all(|&b| b == 7), format!("{len} bytes come back whole"))?;
    }
    Process::start(|| ())?.join()?;
    Ok(())
}

/// Report files are reused: a child that dies before reporting must read
/// as dead, never as the child before it, whatever that one left.
fn a_reused_report_file_never_speaks_for_an_earlier_child() -> Result<(), Failed> {
    for len in [3usize, 300, 60_000] {
        // Enough to go through every spare file, each left holding a value.
        let done: Vec<Process<Vec<u8>>> =
            (0..20).map(|_| Process::start(move || vec![9u8; len])).collect::<Result<_, _>>()?;
        for p in done {
            check(p.join()? == vec![9u8; len], "the value")?;
        }
        let dying: Vec<Process<Vec<u8>>> =
            (0..20).map(|_| Process::start(|| -> Vec<u8> { std::process::exit(5) })).collect::<Result<_, _>>()?;
        for p in dying {
            match p.join() {
                Err(Error::ChildDied { how: ExitHow::Code(5), .. }) => {}
                other => return Err(format!("a child that exited with no value read as {other:?}").into()),
            }
        }
        let small = Process::start(|| vec![1u8; 2])?.join()?;
        check(small == [1, 1], format!("{len}: the next value is its own, {small:?}"))?;
    }
    Ok(())
}

fn a_panic_comes_back_with_its_message() -> Result<(), Failed> {
    let p = Process::start(|| -> u32 { panic!("boom in the child") })?;
    match p.join() {
        Err(Error::Panicked { message }) => check(message == "boom in the child", message),
        other => Err(format!("expected a panic, got {other:?}").into()),
    }
}

fn a_signal_is_reported_as_such() -> Result<(), Failed> {
    let mut p = Process::start(|| std::thread::sleep(Duration::from_secs(60)))?;
    check(p.is_alive(), "the child runs")?;
    p.kill()?;
    match p.join() {
        Err(Error::ChildDied { how: ExitHow::Signal(sig), .. }) => check(sig == "SIGKILL", sig),
        other => Err(format!("expected death by signal, got {other:?}").into()),
    }
}

fn an_exit_without_result_is_reported_with_its_code() -> Result<(), Failed> {
    let p = Process::start(|| -> u8 { std::process::exit(7) })?;
    match p.join() {
        Err(Error::ChildDied { how: ExitHow::Code(7), .. }) => Ok(()),
        other => Err(format!("expected exit code 7, got {other:?}").into()),
    }
}

fn wait_timeout_keeps_a_running_child_and_its_value() -> Result<(), Failed> {
    let mut p = Process::start(|| task_with(4.0))?;
    check(!p.wait_timeout(Duration::from_millis(1))?, "still running after 1 ms")?;
    check(p.wait_timeout(Duration::from_secs(30))?, "ended within 30 s")?;
    check(p.join()? == 4.0, "the value, kept for join")
}

fn join_timeout_stops_a_late_child() -> Result<(), Failed> {
    let p = Process::start(|| task_with(3600.0))?;
    let pid = p.pid();
    match p.join_timeout(Duration::from_millis(50)) {
        Err(Error::Timeout { unfinished: 1, total: 1 }) => {}
        other => return Err(format!("expected a timeout, got {other:?}").into()),
    }
    // Killed and reaped: no such process any more (not even a zombie).
    check(nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_err(), "the late child is gone")
}

fn dropping_a_running_process_kills_it() -> Result<(), Failed> {
    let p = Process::start(|| std::thread::sleep(Duration::from_secs(60)))?;
    let pid = p.pid();
    drop(p);
    check(!is_running(pid) && no_children_left(), "no child left after drop")
}

fn two_processes_overlap_in_time() -> Result<(), Failed> {
    let _ = Process::take_spans();
    let run = Recorder::start("two");
    let a = Process::start(|| task_with(1.0))?;
    let b = Process::start(|| task_with(1.0))?;
    a.join()?;
    b.join()?;
    let trace = run.finish(Process::take_spans());
    check(trace.pids().len() == 2, "two processes")?;
    check(!trace.pids().contains(&(std::process::id() as i32)), "neither is the parent")?;
    check(trace.max_concurrency() == 2, "both ran at once")
}

fn nothing_printed_before_a_fork_is_printed_twice() -> Result<(), Failed> {
    use std::io::{Read, Seek, Write};
    use std::os::fd::AsRawFd;
    let mut capture = tempfile()?;
    let saved = nix::unistd::dup(std::io::stdout())?;
    // SAFETY: single-threaded test; fd 1 is restored below.
    unsafe { nix::libc::dup2(capture.as_raw_fd(), 1) };
    print!("printed-once");
    let p = Process::start(|| ())?;
    p.join()?;
    std::io::stdout().flush()?;
    // SAFETY: both descriptors are open; this puts stdout back.
    unsafe { nix::libc::dup2(saved.as_raw_fd(), 1) };
    let mut text = String::new();
    capture.rewind()?;
    capture.read_to_string(&mut text)?;
    check(text.matches("printed-once").count() == 1, format!("captured {text:?}"))
}

fn tempfile() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!("parlab-fork-test-{}", std::process::id()));
    let f = std::fs::OpenOptions::new().create(true).truncate(true).read(true).write(true).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(f)
}

fn map_keeps_input_order_and_reuses_workers() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    let ranges: Vec<(u64, u64)> = (0..20).map(|i| (i * 1000, (i + 1) * 1000)).collect();
    let expected: Vec<u64> = ranges.iter().map(|&r| count_primes(r)).collect();
    check(pool.map(count_primes, ranges.clone())? == expected, "map keeps input order")?;
    check(pool.map_chunked(count_primes, ranges, 7)? == expected, "chunked map keeps input order")?;
    let trace = Trace::from_spans("pool", pool.take_spans());
    let mut pids = pool.pids();
    pids.sort();
    check(trace.pids() == pids, format!("tasks ran only in the pool's workers {pids:?}: {:?}", trace.pids()))?;
    check(trace.summary().tasks == 40, "the spans cover every task")?;
    check(trace.spans.len() == 20 + 3, "a span per task, and one per chunk of 7 (7 + 7 + 6)")
}

fn equal_tasks_spread_evenly_over_the_workers() -> Result<(), Failed> {
    // Six equal tasks on three workers: two rounds, two tasks per worker. A
    // pool that queues a second task to the first worker to free up runs a
    // third round with one task alone.
    let pool = ProcessPool::new(3)?;
    pool.map(task_with, [1.0; 6])?;
    let trace = Trace::from_spans("even", pool.take_spans());
    let per_worker: Vec<usize> =
        pool.pids().iter().map(|&p| trace.spans.iter().filter(|s| s.pid == p).count()).collect();
    check(per_worker == [2, 2, 2], format!("tasks per worker: {per_worker:?}"))
}

fn as_completed_yields_in_completion_order() -> Result<(), Failed> {
    let pool = ProcessPool::new(3)?;
    let order: Vec<f64> = pool.as_completed(task_with, [3.0, 1.0, 2.0])?.map(|(_, r)| r.unwrap()).collect();
    check(order == [1.0, 2.0, 3.0], format!("{order:?}"))
}

fn submit_returns_handles_and_indices() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    let a = pool.submit(count_primes, (0, 100))?;
    let b = pool.submit(count_primes, (100, 200))?;
    check(b.join()? == 21 && a.join()? == 25, "results by handle, in any order")
}

fn a_panicking_task_fails_alone_and_the_pool_goes_on() -> Result<(), Failed> {
    fn picky(x: u32) -> u32 {
        if x == 3 { panic!("three is not allowed") } else { x * 10 }
    }
    let pool = ProcessPool::new(2)?;
    let handles: Vec<_> = (0..6).map(|x| pool.submit(picky, x)).collect::<Result<_, _>>()?;
    let results: Vec<_> = handles.into_iter().map(|h| h.join()).collect();
    check(
        matches!(&results[3], Err(Error::Panicked { message }) if message == "three is not allowed"),
        format!("{:?}", results[3]),
    )?;
    check(results.iter().filter(|r| r.is_ok()).count() == 5, "the other five succeed")?;
    check(pool.map(picky, [1, 2])? == [10, 20], "the pool still works")
}

fn a_killed_worker_breaks_the_pool_without_a_hang() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    let slow = pool.submit(task_with, 200.0)?;
    let queued = pool.submit(task_with, 200.0)?;
    let victim = pool.pids()[0];
    kill(Pid::from_raw(victim), Signal::SIGKILL)?;
    for r in [slow.join(), queued.join()] {
        match r {
            Err(Error::BrokenPool { pid, how: ExitHow::Signal(sig), .. }) => {
                check(pid == victim && sig == "SIGKILL", format!("pid {pid} {sig}"))?
            }
            other => return Err(format!("expected a broken pool, got {other:?}").into()),
        }
    }
    check(matches!(pool.submit(count_primes, (0, 10)), Err(Error::BrokenPool { .. })), "no new work on a broken pool")?;
    let pids = pool.pids();
    drop(pool);
    check(pids.iter().all(|&p| !is_running(p)) && no_children_left(), "every worker is gone")
}

fn an_aborting_task_names_the_signal() -> Result<(), Failed> {
    fn abort(_: ()) {
        std::process::abort()
    }
    let pool = ProcessPool::new(1)?;
    match pool.submit(abort, ())?.join() {
        Err(e @ Error::BrokenPool { .. }) => check(e.to_string().contains("SIGABRT"), e.to_string()),
        other => Err(format!("expected a broken pool, got {other:?}").into()),
    }
}

fn no_child_remains_after_a_pool_is_dropped() -> Result<(), Failed> {
    let pool = ProcessPool::new(3)?;
    let _busy = pool.submit(task_with, 200.0)?;
    let pids = pool.pids();
    check(pids.iter().all(|&p| is_running(p)), "workers run")?;
    drop(_busy);
    drop(pool);
    check(pids.iter().all(|&p| !is_running(p)) && no_children_left(), "no worker and no zombie left")
}

fn shutdown_waits_or_cancels() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    for _ in 0..4 {
        drop(pool.submit(task_with, 0.5)?);
    }
    let run = Recorder::start("wait");
    let pids = pool.pids();
    pool.shutdown(Shutdown::Wait)?;
    check(pids.iter().all(|&p| !is_running(p)) && no_children_left(), "workers exited")?;
    let _ = run;

    let pool = ProcessPool::new(1)?;
    let running = pool.submit(task_with, 0.5)?;
    let queued = pool.submit(count_primes, (0, 10))?;
    check(running.join()? == 0.5, "a running task finishes")?;
    drop(queued);
    pool.shutdown(Shutdown::CancelPending)?;
    check(no_children_left(), "no zombie after cancel")
}

fn forking_with_other_threads_is_refused_with_the_fix() -> Result<(), Failed> {
    let (tx, rx) = std::sync::mpsc::channel::<()>();
    let t = std::thread::spawn(move || rx.recv());
    let r = Process::start(|| 1u8).map(|_| ());
    let pool = ProcessPool::new(1).map(|_| ());
    tx.send(()).ok();
    t.join().ok();
    match (r, pool) {
        (Err(e @ Error::MultiThreaded { .. }), Err(Error::MultiThreaded { .. })) => {
            check(e.to_string().contains("before any thread"), e.to_string())
        }
        other => Err(format!("expected refusals, got {other:?}").into()),
    }
}

fn main() {
    // Shrink every course sleep: a "second" is 20 ms here.
    // SAFETY: no other thread exists yet.
    unsafe { std::env::set_var("PARLAB_TIME_SCALE", "0.02") };
    // Several tests make children panic on purpose; keep their messages out
    // of the log (a failing test still reports its own message).
    std::panic::set_hook(Box::new(|_| {}));
    let mut args = Arguments::from_args();
    args.test_threads = Some(1); // tests must run on this, the main, thread
    let tests = vec![
        Trial::test("process::child_runs_in_another_process", child_runs_in_another_process),
        Trial::test("process::results_of_any_size_come_back_whole", results_of_any_size_come_back_whole),
        Trial::test(
            "process::a_reused_report_file_never_speaks_for_an_earlier_child",
            a_reused_report_file_never_speaks_for_an_earlier_child,
        ),
        Trial::test("process::a_panic_comes_back_with_its_message", a_panic_comes_back_with_its_message),
        Trial::test("process::a_signal_is_reported_as_such", a_signal_is_reported_as_such),
        Trial::test(
            "process::an_exit_without_result_is_reported_with_its_code",
            an_exit_without_result_is_reported_with_its_code,
        ),
        Trial::test(
            "process::wait_timeout_keeps_a_running_child_and_its_value",
            wait_timeout_keeps_a_running_child_and_its_value,
        ),
        Trial::test("process::join_timeout_stops_a_late_child", join_timeout_stops_a_late_child),
        Trial::test("process::dropping_a_running_process_kills_it", dropping_a_running_process_kills_it),
        Trial::test("process::two_processes_overlap_in_time", two_processes_overlap_in_time),
        Trial::test(
            "process::nothing_printed_before_a_fork_is_printed_twice",
            nothing_printed_before_a_fork_is_printed_twice,
        ),
        Trial::test("pool::map_keeps_input_order_and_reuses_workers", map_keeps_input_order_and_reuses_workers),
        Trial::test("pool::equal_tasks_spread_evenly_over_the_workers", equal_tasks_spread_evenly_over_the_workers),
        Trial::test("pool::as_completed_yields_in_completion_order", as_completed_yields_in_completion_order),
        Trial::test("pool::submit_returns_handles_and_indices", submit_returns_handles_and_indices),
        Trial::test(
            "pool::a_panicking_task_fails_alone_and_the_pool_goes_on",
            a_panicking_task_fails_alone_and_the_pool_goes_on,
        ),
        Trial::test(
            "pool::a_killed_worker_breaks_the_pool_without_a_hang",
            a_killed_worker_breaks_the_pool_without_a_hang,
        ),
        Trial::test("pool::an_aborting_task_names_the_signal", an_aborting_task_names_the_signal),
        Trial::test("pool::no_child_remains_after_a_pool_is_dropped", no_child_remains_after_a_pool_is_dropped),
        Trial::test("pool::shutdown_waits_or_cancels", shutdown_waits_or_cancels),
        // Last: it starts a thread, and the process must be single-threaded for the others.
        Trial::test(
            "zz_forking_with_other_threads_is_refused_with_the_fix",
            forking_with_other_threads_is_refused_with_the_fix,
        ),
    ];
    libtest_mimic::run(&args, tests).exit();
}
