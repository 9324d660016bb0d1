//! parlab's pools held to the behaviours CPython's own test suite specifies
//! for `concurrent.futures` (`Lib/test/test_concurrent_futures/`: read for
//! the spec, no code copied), one test per behaviour, grouped as there:
//! `future`, `wait`, `as_completed`, `shutdown`, `process_pool`, `init`,
//! and `thread_pool` for the same surface on threads. `test_deadlock` is
//! `deadlock.rs`.
//!
//! Each case runs in a process of its own, joined with a time limit, so a
//! case that hangs fails as "hung" instead of hanging the suite; forking
//! needs a single-threaded process, hence `harness = false`. No case
//! asserts a duration: sleeps only order events (a long task is still
//! running while a short one ends), with margins of hundreds of times the
//! machine's scheduling noise.
//!
//! Deliberate differences, by design of Rust: a task handle moves into
//! `as_completed` and `wait` borrows a slice, so "the same future twice"
//! cannot be written; `shutdown` takes the pool by value, so "submit after
//! shutdown" does not compile; a pool has no thread of its own, so there is
//! no `shutdown(wait=False)` that lets work go on unseen (dropping a pool
//! kills its workers at once; `Shutdown::Wait` and `Shutdown::CancelPending`
//! are Python's `wait=True` with `cancel_futures` false and true).

use libtest_mimic::{Arguments, Failed, Trial};
use parlab::{
    Error, Process, ProcessPool, Sequential, Shutdown, TaskState, ThreadPool, Until, as_completed, map_timeout, wait,
};
use std::time::Duration;

type Case = fn() -> Result<(), String>;

/// Runs `case` in a process of its own, with a time limit.
fn isolated(case: Case) -> impl FnOnce() -> Result<(), Failed> + Send + 'static {
    move || {
        let child = Process::start(move || case().err().unwrap_or_default())?;
        match child.join_timeout(Duration::from_secs(60)) {
            Ok(e) if e.is_empty() => Ok(()),
            Ok(e) => Err(e.into()),
            // Stopped by the timeout.
            Err(parlab::Error::Timeout { .. }) => Err("hung: no answer within 60 s".into()),
            Err(e) => Err(e.into()),
        }
    }
}

fn check(ok: bool, what: impl std::fmt::Display) -> Result<(), String> {
    if ok { Ok(()) } else { Err(what.to_string()) }
}

fn nap(ms: u64) -> u64 {
    std::thread::sleep(Duration::from_millis(ms));
    ms
}

fn boom(x: u64) -> u64 {
    panic!("boom {x}")
}

fn crash(_: u64) -> u64 {
    std::process::abort()
}

fn pid(_: u64) -> u32 {
    std::process::id()
}

/// A file in a fresh folder of this case's, for tasks to leave a mark in.
fn marks() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("parlab-futures-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mark(path: String) -> u64 {
    std::thread::sleep(Duration::from_millis(100));
    std::fs::write(&path, "ran").unwrap();
    0
}

fn marked(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Submits a marking task and waits until it runs, then queues three more
/// behind it (one worker): the handles are dropped, their results unwanted.
fn one_running_three_queued<'p>(
    dir: &std::path::Path,
    submit: impl Fn(String) -> parlab::Result<parlab::Task<'p, u64>>,
) -> Result<(), String> {
    let path = |name: &str| dir.join(name).to_string_lossy().into_owned();
    let first = submit(path("first")).map_err(|e| e.to_string())?;
    until_running(&first)?;
    drop(first);
    for k in 0..3 {
        drop(submit(path(&k.to_string())));
    }
    Ok(())
}

/// Waits until `task` is running (a worker took it), at most 10 s.
fn until_running<R>(task: &parlab::Task<'_, R>) -> Result<(), String> {
    for _ in 0..1000 {
        if task.state() == TaskState::Running {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("the task never showed as running: {:?}", task.state()))
}

// ---- future (CPython: test_future) ----

fn a_pending_task_can_be_cancelled() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let long = pool.submit(nap, 500).map_err(|e| e.to_string())?;
    let queued = pool.submit(nap, 0).map_err(|e| e.to_string())?;
    check(queued.state() == TaskState::Pending, format!("queued: {:?}", queued.state()))?;
    check(queued.cancel() && queued.is_cancelled() && queued.is_finished(), "cancel a pending task")?;
    check(matches!(queued.join(), Err(Error::Cancelled)), "a cancelled task's join")?;
    check(long.join().ok() == Some(500), "the running task")
}

fn a_running_task_cannot_be_cancelled() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let task = pool.submit(nap, 400).map_err(|e| e.to_string())?;
    until_running(&task)?;
    check(task.is_running() && !task.cancel() && !task.is_cancelled(), "cancel a running task")?;
    check(task.join().ok() == Some(400), "it finished")
}

fn a_finished_task_cannot_be_cancelled() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let task = pool.submit(nap, 0).map_err(|e| e.to_string())?;
    check(task.wait_timeout(Duration::from_secs(30)), "it ended")?;
    check(!task.cancel() && task.state() == TaskState::Finished, "cancel a finished task")?;
    check(task.join().ok() == Some(0), "its value")
}

fn states_go_pending_running_finished() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let first = pool.submit(nap, 300).map_err(|e| e.to_string())?;
    let second = pool.submit(nap, 0).map_err(|e| e.to_string())?;
    until_running(&first)?;
    check(second.state() == TaskState::Pending, format!("second while first runs: {:?}", second.state()))?;
    check(first.wait_timeout(Duration::from_secs(30)), "first ended")?;
    check(first.state() == TaskState::Finished, format!("first: {:?}", first.state()))?;
    check(second.join().ok() == Some(0) && first.join().ok() == Some(300), "values")
}

fn a_timed_wait_says_whether_the_task_ended() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let task = pool.submit(nap, 500).map_err(|e| e.to_string())?;
    check(!task.wait_timeout(Duration::from_millis(1)), "ended within 1 ms of a 500 ms task")?;
    check(task.wait_timeout(Duration::from_secs(30)), "not ended within 30 s")?;
    check(task.join().ok() == Some(500), "value")
}

fn a_join_with_a_timeout_gives_up_a_late_task() -> Result<(), String> {
    let dir = marks();
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let long = pool.submit(nap, 600).map_err(|e| e.to_string())?;
    let queued = pool.submit(mark, dir.join("queued").to_string_lossy().into_owned()).map_err(|e| e.to_string())?;
    let late = queued.join_timeout(Duration::from_millis(50));
    check(matches!(late, Err(Error::Timeout { unfinished: 1, total: 1 })), format!("{late:?}"))?;
    check(long.join_timeout(Duration::from_secs(30)).ok() == Some(600), "the long task, in time")?;
    pool.shutdown(Shutdown::Wait).map_err(|e| e.to_string())?;
    check(marked(&dir) == 0, "the task given up while queued ran anyway")
}

fn a_failed_task_is_finished_and_join_gives_its_error() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let task = pool.submit(boom, 7).map_err(|e| e.to_string())?;
    check(task.wait_timeout(Duration::from_secs(30)) && task.state() == TaskState::Finished, "ended")?;
    match task.join() {
        Err(Error::Panicked { message }) if message.contains("boom 7") => Ok(()),
        other => Err(format!("expected the panic's message, got {other:?}")),
    }
}

fn cancelling_twice_says_cancelled_twice() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let _long = pool.submit(nap, 300).map_err(|e| e.to_string())?;
    let queued = pool.submit(nap, 0).map_err(|e| e.to_string())?;
    check(queued.cancel() && queued.cancel(), "second cancel")
}

fn a_sequential_task_is_finished_when_submitted() -> Result<(), String> {
    let on = Sequential::new();
    let task = on.submit(nap, 0).map_err(|e| e.to_string())?;
    check(task.is_finished() && !task.is_running() && !task.cancel(), "state")?;
    check(task.join().ok() == Some(0), "value")
}

// ---- wait (CPython: test_wait) ----

fn first_completed_returns_with_the_first_to_end() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let tasks = [pool.submit(nap, 1500).map_err(|e| e.to_string())?, pool.submit(nap, 0).map_err(|e| e.to_string())?];
    let w = wait(&tasks, Until::FirstCompleted, None);
    check(w.done == [1] && w.not_done == [0], format!("{w:?}"))
}

fn first_failure_returns_when_one_fails() -> Result<(), String> {
    let pool = ProcessPool::new(3).map_err(|e| e.to_string())?;
    let tasks = [
        pool.submit(nap, 1500).map_err(|e| e.to_string())?,
        pool.submit(boom, 1).map_err(|e| e.to_string())?,
        pool.submit(nap, 0).map_err(|e| e.to_string())?,
    ];
    let w = wait(&tasks, Until::FirstFailure, None);
    check(w.done.contains(&1) && w.not_done.contains(&0), format!("{w:?}"))
}

fn first_failure_without_a_failure_waits_for_all() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let tasks = [pool.submit(nap, 200).map_err(|e| e.to_string())?, pool.submit(nap, 0).map_err(|e| e.to_string())?];
    let w = wait(&tasks, Until::FirstFailure, None);
    check(w.done == [0, 1] && w.not_done.is_empty(), format!("{w:?}"))
}

fn all_completed_waits_for_every_task() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let tasks: Vec<_> = [300, 0, 100].into_iter().filter_map(|ms| pool.submit(nap, ms).ok()).collect();
    let w = wait(&tasks, Until::AllCompleted, None);
    check(w.done == [0, 1, 2], format!("{w:?}"))
}

fn a_timeout_returns_what_ended_so_far() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let tasks = [pool.submit(nap, 0).map_err(|e| e.to_string())?, pool.submit(nap, 3000).map_err(|e| e.to_string())?];
    check(tasks[0].wait_timeout(Duration::from_secs(30)), "the short task ended")?;
    let w = wait(&tasks, Until::AllCompleted, Some(Duration::from_millis(100)));
    check(w.done == [0] && w.not_done == [1], format!("{w:?}"))
}

fn tasks_already_ended_return_at_once() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let tasks = [pool.submit(nap, 0).map_err(|e| e.to_string())?];
    check(tasks[0].wait_timeout(Duration::from_secs(30)), "ended")?;
    let w = wait(&tasks, Until::AllCompleted, Some(Duration::ZERO));
    check(w.done == [0], format!("{w:?}"))
}

fn a_cancelled_task_is_done_but_not_a_failure() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let tasks = [pool.submit(nap, 500).map_err(|e| e.to_string())?, pool.submit(nap, 0).map_err(|e| e.to_string())?];
    check(tasks[1].cancel(), "cancel")?;
    let first = wait(&tasks, Until::FirstCompleted, None);
    check(first.done == [1], format!("first completed: {first:?}"))?;
    let failure = wait(&tasks, Until::FirstFailure, None);
    check(failure.done == [0, 1], format!("first failure waited for all: {failure:?}"))
}

fn tasks_of_two_executors_are_waited_on_together() -> Result<(), String> {
    let procs = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let slow = procs.submit(nap, 1500).map_err(|e| e.to_string())?;
    let threads = ThreadPool::new(1).map_err(|e| e.to_string())?;
    let quick = threads.submit(nap, 0).map_err(|e| e.to_string())?;
    let tasks = [slow, quick];
    let w = wait(&tasks, Until::FirstCompleted, None);
    check(w.done == [1] && w.not_done == [0], format!("{w:?}"))
}

// ---- as_completed (CPython: test_as_completed) ----

fn results_come_in_completion_order() -> Result<(), String> {
    let pool = ProcessPool::new(3).map_err(|e| e.to_string())?;
    let tasks: Vec<_> = [600, 0, 300].into_iter().filter_map(|ms| pool.submit(nap, ms).ok()).collect();
    let order: Vec<(usize, u64)> = as_completed(tasks, None).map(|(i, r)| (i, r.unwrap_or(9))).collect();
    check(order == [(1, 0), (2, 300), (0, 600)], format!("{order:?}"))
}

fn a_zero_timeout_gives_the_unfinished_a_timeout_error() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let done = pool.submit(nap, 0).map_err(|e| e.to_string())?;
    check(done.wait_timeout(Duration::from_secs(30)), "the first ended")?;
    let tasks = vec![
        done,
        pool.submit(nap, 2000).map_err(|e| e.to_string())?,
        pool.submit(nap, 2000).map_err(|e| e.to_string())?,
    ];
    let out: Vec<(usize, String)> =
        as_completed(tasks, Some(Duration::ZERO)).map(|(i, r)| (i, format!("{r:?}"))).collect();
    check(out[0] == (0, "Ok(0)".to_string()), format!("{out:?}"))?;
    let timeout = Error::Timeout { unfinished: 2, total: 3 };
    check(timeout.to_string().contains("2 (of 3) tasks unfinished"), timeout.to_string())?;
    check(out[1..].iter().all(|(_, r)| r.contains("Timeout { unfinished: 2, total: 3 }")), format!("{out:?}"))
}

fn a_timeout_cancels_tasks_not_started() -> Result<(), String> {
    let dir = marks();
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    let mut tasks = vec![pool.submit(nap, 600).map_err(|e| e.to_string())?];
    for k in 0..3 {
        tasks.push(
            pool.submit(mark, dir.join(k.to_string()).to_string_lossy().into_owned()).map_err(|e| e.to_string())?,
        );
    }
    let timed_out = as_completed(tasks, Some(Duration::from_millis(100))).filter(|(_, r)| r.is_err()).count();
    check(timed_out == 4, format!("{timed_out} of 4 timed out"))?;
    pool.shutdown(Shutdown::Wait).map_err(|e| e.to_string())?;
    check(marked(&dir) == 0, format!("{} cancelled tasks ran", marked(&dir)))
}

fn map_with_a_timeout_fails_when_late_and_cancels_the_rest() -> Result<(), String> {
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    check(map_timeout(&pool, nap, [10, 0], Duration::from_secs(30)).ok() == Some(vec![10, 0]), "in time")?;
    let late = map_timeout(&pool, nap, [800, 0, 0], Duration::from_millis(100));
    check(matches!(late, Err(Error::Timeout { unfinished: 3, total: 3 })), format!("{late:?}"))
}

// ---- shutdown (CPython: test_shutdown) ----

fn shutdown_and_wait_runs_every_task() -> Result<(), String> {
    let dir = marks();
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    for k in 0..5 {
        // The handles are dropped: the results are not wanted, but the tasks run.
        drop(pool.submit(mark, dir.join(k.to_string()).to_string_lossy().into_owned()));
    }
    pool.shutdown(Shutdown::Wait).map_err(|e| e.to_string())?;
    check(marked(&dir) == 5, format!("{} of 5 ran", marked(&dir)))
}

fn shutdown_cancelling_pending_work_runs_only_started_tasks() -> Result<(), String> {
    let dir = marks();
    let pool = ProcessPool::new(1).map_err(|e| e.to_string())?;
    one_running_three_queued(&dir, |path| pool.submit(mark, path))?;
    pool.shutdown(Shutdown::CancelPending).map_err(|e| e.to_string())?;
    check(marked(&dir) == 1, format!("{} ran, expected only the started one", marked(&dir)))
}

fn a_worker_crashing_during_shutdown_gives_an_error() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    drop(pool.submit(nap, 200));
    drop(pool.submit(crash, 0));
    match pool.shutdown(Shutdown::Wait) {
        Err(e @ Error::BrokenPool { .. }) if e.to_string().contains("SIGABRT") => Ok(()),
        other => Err(format!("expected a broken pool naming the crash, got {other:?}")),
    }
}

fn dropping_a_pool_ends_its_workers() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let pids = pool.pids();
    drop(pool.submit(nap, 5000));
    drop(pool);
    let alive = pids.iter().filter(|p| std::path::Path::new(&format!("/proc/{p}")).exists()).count();
    check(alive == 0, format!("{alive} worker(s) still there"))
}

// ---- process_pool (CPython: test_process_pool) ----

fn a_killed_worker_breaks_the_pool_and_says_which() -> Result<(), String> {
    let pool = ProcessPool::new(2).map_err(|e| e.to_string())?;
    let victim = pool.pids()[0];
    let tasks =
        [pool.submit(nap, 3000).map_err(|e| e.to_string())?, pool.submit(nap, 3000).map_err(|e| e.to_string())?];
    until_running(&tasks[0])?;
    nix_kill(victim);
    let errors: Vec<String> = tasks.into_iter().map(|t| format!("{:?}", t.join())).collect();
    check(errors.iter().all(|e| e.contains("BrokenPool") && e.contains(&victim.to_string())), format!("{errors:?}"))?;
    let later = pool.submit(nap, 0).map(|_| ()).map_err(|e| e.to_string());
    check(later.as_ref().is_err_and(|e| e.contains("broken pool")), format!("a submit after: {later:?}"))
}

fn nix_kill(pid: i32) {
    let _ = std::process::Command::new("kill").args(["-KILL", &pid.to_string()]).status();
}

fn a_worker_is_replaced_after_its_tasks() -> Result<(), String> {
    let pool = ProcessPool::builder(1).max_tasks_per_worker(3).build().map_err(|e| e.to_string())?;
    let pids = pool.map(pid, 0..9).map_err(|e| e.to_string())?;
    let distinct: std::collections::BTreeSet<u32> = pids.iter().copied().collect();
    check(distinct.len() == 3, format!("9 tasks, 3 per worker, ran in {} processes: {pids:?}", distinct.len()))?;
    check(pids.chunks(3).all(|c| c.iter().all(|p| *p == c[0])), format!("three in a row per worker: {pids:?}"))
}

fn replaced_workers_keep_the_pool_s_size_and_results() -> Result<(), String> {
    let pool = ProcessPool::builder(2).max_tasks_per_worker(1).build().map_err(|e| e.to_string())?;
    let before = pool.pids();
    let out = pool.map(nap, [5, 0, 5, 0, 5, 0]).map_err(|e| e.to_string())?;
    check(out == [5, 0, 5, 0, 5, 0], format!("{out:?}"))?;
    let after = pool.pids();
    check(after.len() == 2 && after.iter().all(|p| !before.contains(p)), format!("{before:?} then {after:?}"))
}

// ---- init (CPython: test_init) ----

static INITIALIZED: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

fn setup() {
    INITIALIZED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
}

fn times_initialized(_: u64) -> u32 {
    INITIALIZED.load(std::sync::atomic::Ordering::SeqCst)
}

fn refuse() {
    panic!("no database here")
}

fn the_initializer_runs_once_in_every_worker() -> Result<(), String> {
    let pool = ProcessPool::builder(2).initializer(setup).build().map_err(|e| e.to_string())?;
    let seen = pool.map(times_initialized, 0..6).map_err(|e| e.to_string())?;
    check(seen.iter().all(|&n| n == 1), format!("{seen:?}"))?;
    check(times_initialized(0) == 0, "the caller itself is not initialized")
}

fn a_failing_initializer_breaks_the_pool_with_its_message() -> Result<(), String> {
    let pool = ProcessPool::builder(2).initializer(refuse).build().map_err(|e| e.to_string())?;
    let first = pool.submit(nap, 0).map_err(|e| e.to_string())?.join();
    let said = match &first {
        Err(e) => e.to_string(),
        Ok(_) => String::new(),
    };
    check(matches!(first, Err(Error::WorkerFailed { .. })) && said.contains("no database here"), format!("{first:?}"))?;
    let later = pool.submit(nap, 0).map(|_| ()).map_err(|e| e.to_string());
    check(later.as_ref().is_err_and(|e| e.contains("no database here")), format!("a submit after: {later:?}"))
}

fn a_replacement_worker_is_initialized_too() -> Result<(), String> {
    let pool = ProcessPool::builder(1).initializer(setup).max_tasks_per_worker(1).build().map_err(|e| e.to_string())?;
    let seen = pool.map(times_initialized, 0..3).map_err(|e| e.to_string())?;
    check(seen == [1, 1, 1], format!("{seen:?}"))
}

// ---- thread_pool: the same surface on threads ----

fn threads_a_pending_task_can_be_cancelled() -> Result<(), String> {
    let pool = ThreadPool::new(1).map_err(|e| e.to_string())?;
    let long = pool.submit(nap, 300).map_err(|e| e.to_string())?;
    until_running(&long)?;
    let queued = pool.submit(nap, 0).map_err(|e| e.to_string())?;
    check(queued.state() == TaskState::Pending && queued.cancel(), "cancel a pending task")?;
    check(!long.cancel(), "a running task cannot be cancelled")?;
    check(matches!(queued.join(), Err(Error::Cancelled)) && long.join().ok() == Some(300), "joins")
}

fn threads_wait_and_as_completed() -> Result<(), String> {
    let pool = ThreadPool::new(2).map_err(|e| e.to_string())?;
    let tasks =
        vec![pool.submit(nap, 600).map_err(|e| e.to_string())?, pool.submit(boom, 3).map_err(|e| e.to_string())?];
    let w = wait(&tasks, Until::FirstFailure, None);
    check(w.done == [1] && w.not_done == [0], format!("{w:?}"))?;
    let order: Vec<usize> = as_completed(tasks, None).map(|(i, _)| i).collect();
    check(order == [1, 0], format!("{order:?}"))
}

fn threads_shutdown_cancelling_pending_work() -> Result<(), String> {
    let dir = marks();
    let pool = ThreadPool::new(1).map_err(|e| e.to_string())?;
    one_running_three_queued(&dir, |path| pool.submit(mark, path))?;
    pool.shutdown(Shutdown::CancelPending).map_err(|e| e.to_string())?;
    check(marked(&dir) == 1, format!("{} ran, expected only the started one", marked(&dir)))
}

fn threads_shutdown_and_wait() -> Result<(), String> {
    let dir = marks();
    let pool = ThreadPool::new(2).map_err(|e| e.to_string())?;
    for k in 0..4 {
        drop(pool.submit(mark, dir.join(k.to_string()).to_string_lossy().into_owned()));
    }
    pool.shutdown(Shutdown::Wait).map_err(|e| e.to_string())?;
    check(marked(&dir) == 4, format!("{} of 4 ran", marked(&dir)))
}

fn main() {
    let cases: &[(&str, Case)] = &[
        ("future: a pending task can be cancelled", a_pending_task_can_be_cancelled),
        ("future: a running task cannot be cancelled", a_running_task_cannot_be_cancelled),
        ("future: a finished task cannot be cancelled", a_finished_task_cannot_be_cancelled),
        ("future: states go pending, running, finished", states_go_pending_running_finished),
        ("future: a timed wait says whether the task ended", a_timed_wait_says_whether_the_task_ended),
        ("future: a join with a timeout gives up a late task", a_join_with_a_timeout_gives_up_a_late_task),
        ("future: a failed task is finished, join gives its error", a_failed_task_is_finished_and_join_gives_its_error),
        ("future: cancelling twice says cancelled twice", cancelling_twice_says_cancelled_twice),
        ("future: a sequential task is finished when submitted", a_sequential_task_is_finished_when_submitted),
        ("wait: first completed", first_completed_returns_with_the_first_to_end),
        ("wait: first failure", first_failure_returns_when_one_fails),
        ("wait: first failure without a failure waits for all", first_failure_without_a_failure_waits_for_all),
        ("wait: all completed", all_completed_waits_for_every_task),
        ("wait: a timeout returns what ended so far", a_timeout_returns_what_ended_so_far),
        ("wait: tasks already ended return at once", tasks_already_ended_return_at_once),
        ("wait: a cancelled task is done, not failed", a_cancelled_task_is_done_but_not_a_failure),
        ("wait: tasks of two executors together", tasks_of_two_executors_are_waited_on_together),
        ("as_completed: completion order", results_come_in_completion_order),
        ("as_completed: a zero timeout", a_zero_timeout_gives_the_unfinished_a_timeout_error),
        ("as_completed: a timeout cancels tasks not started", a_timeout_cancels_tasks_not_started),
        ("as_completed: map with a timeout", map_with_a_timeout_fails_when_late_and_cancels_the_rest),
        ("shutdown: wait runs every task", shutdown_and_wait_runs_every_task),
        ("shutdown: cancel pending runs only started tasks", shutdown_cancelling_pending_work_runs_only_started_tasks),
        ("shutdown: a worker crashing meanwhile gives an error", a_worker_crashing_during_shutdown_gives_an_error),
        ("shutdown: dropping a pool ends its workers", dropping_a_pool_ends_its_workers),
        ("process_pool: a killed worker breaks the pool", a_killed_worker_breaks_the_pool_and_says_which),
        ("process_pool: a worker is replaced after its tasks", a_worker_is_replaced_after_its_tasks),
        ("process_pool: replacements keep size and results", replaced_workers_keep_the_pool_s_size_and_results),
        ("init: the initializer runs once in every worker", the_initializer_runs_once_in_every_worker),
        ("init: a failing initializer breaks the pool", a_failing_initializer_breaks_the_pool_with_its_message),
        ("init: a replacement worker is initialized too", a_replacement_worker_is_initialized_too),
        ("thread_pool: a pending task can be cancelled", threads_a_pending_task_can_be_cancelled),
        ("thread_pool: wait and as_completed", threads_wait_and_as_completed),
        ("thread_pool: shutdown cancelling pending work", threads_shutdown_cancelling_pending_work),
        ("thread_pool: shutdown and wait", threads_shutdown_and_wait),
    ];
    let trials = cases.iter().map(|&(name, case)| Trial::test(name, isolated(case))).collect();
    // Tasks panic on purpose; their messages come back as errors.
    std::panic::set_hook(Box::new(|_| {}));
    let mut args = Arguments::from_args();
    args.test_threads = Some(1); // forks need this process single-threaded
    libtest_mimic::run(&args, trials).exit();
}
