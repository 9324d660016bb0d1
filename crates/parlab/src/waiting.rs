//! Waiting on many tasks at once: Python's `concurrent.futures.wait` and
//! `as_completed`, over [`Task`] handles from any executor.
//!
//! Tasks of one pool are waited on as they end (the pool is pumped, or its
//! threads signal); tasks of several executors are looked at in turn, every
//! 20 ms at most, so an end is seen at most that late.

use crate::error::{Error, Result};
use crate::executor::{Task, TaskState};
use serde::de::DeserializeOwned;
use std::time::{Duration, Instant};

/// When [`wait`] returns. Python's `FIRST_COMPLETED`, `FIRST_EXCEPTION`,
/// `ALL_COMPLETED`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// As soon as one task has ended (finished or cancelled).
    FirstCompleted,
    /// As soon as one task has failed (ended with an error; a cancelled
    /// task has not failed), or when all have ended.
    FirstFailure,
    /// When every task has ended.
    AllCompleted,
}

/// What [`wait`] saw: the positions (in the slice given) of the tasks that
/// had ended, and of those that had not.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Waited {
    /// Tasks that had ended (finished or cancelled).
    pub done: Vec<usize>,
    /// Tasks still pending or running.
    pub not_done: Vec<usize>,
}

/// Waits for the tasks until `until` holds or `timeout` passes, whichever
/// comes first, and says which had ended. Never takes a result: join the
/// tasks afterwards.
///
/// ```
/// use parlab::{ProcessPool, Until, wait};
/// use std::time::Duration;
///
/// fn nap(ms: u64) -> u64 {
///     std::thread::sleep(Duration::from_millis(ms));
///     ms
/// }
///
/// let pool = ProcessPool::new(2).unwrap();
/// let tasks = [pool.submit(nap, 500).unwrap(), pool.submit(nap, 10).unwrap()];
/// let first = wait(&tasks, Until::FirstCompleted, None);
/// assert_eq!((first.done, first.not_done), (vec![1], vec![0]));
/// let all = wait(&tasks, Until::AllCompleted, Some(Duration::from_secs(30)));
/// assert_eq!(all.done, [0, 1]);
/// ```
pub fn wait<R>(tasks: &[Task<'_, R>], until: Until, timeout: Option<Duration>) -> Waited {
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        let news: Vec<u64> = tasks.iter().map(Task::news).collect();
        let states: Vec<TaskState> = tasks.iter().map(Task::state).collect();
        let ended = |s: &TaskState| matches!(s, TaskState::Finished | TaskState::Cancelled);
        let done: Vec<usize> = (0..tasks.len()).filter(|&i| ended(&states[i])).collect();
        let failed = until == Until::FirstFailure && done.iter().any(|&i| tasks[i].has_failed());
        let met = match until {
            Until::FirstCompleted => !done.is_empty(),
            Until::FirstFailure => failed || done.len() == tasks.len(),
            Until::AllCompleted => done.len() == tasks.len(),
        };
        let timed_out = deadline.is_some_and(|d| Instant::now() >= d);
        if met || timed_out || tasks.is_empty() {
            let not_done = (0..tasks.len()).filter(|i| !done.contains(i)).collect();
            return Waited { done, not_done };
        }
        wait_for_any(tasks, &states, &news, deadline);
    }
}

/// The tasks' results as they end: `(position in tasks, result)`. When
/// `timeout` passes first, every task not ended by then comes out with
/// `Err(Error::Timeout { unfinished, total })` ("2 (of 4) tasks
/// unfinished") and is cancelled if no worker started it. Dropping the
/// iterator drops the tasks left (they run; their results are thrown away).
///
/// ```
/// use parlab::{ProcessPool, as_completed};
/// use std::time::Duration;
///
/// fn nap(ms: u64) -> u64 {
///     std::thread::sleep(Duration::from_millis(ms));
///     ms
/// }
///
/// let pool = ProcessPool::new(3).unwrap();
/// let tasks: Vec<_> = [90, 0, 45].into_iter().map(|ms| pool.submit(nap, ms).unwrap()).collect();
/// let order: Vec<usize> = as_completed(tasks, None).map(|(i, _)| i).collect();
/// assert_eq!(order, [1, 2, 0]);
/// ```
pub fn as_completed<'a, R: DeserializeOwned + 'a>(
    tasks: Vec<Task<'a, R>>,
    timeout: Option<Duration>,
) -> impl Iterator<Item = (usize, Result<R>)> + 'a {
    let total = tasks.len();
    let deadline = timeout.map(|t| Instant::now() + t);
    let mut left: Vec<(usize, Task<'a, R>)> = tasks.into_iter().enumerate().collect();
    let mut timed_out: Option<usize> = None;
    std::iter::from_fn(move || {
        loop {
            if left.is_empty() {
                return None;
            }
            if let Some(unfinished) = timed_out {
                let (i, _) = left.remove(0);
                return Some((i, Err(Error::Timeout { unfinished, total })));
            }
            let news: Vec<u64> = left.iter().map(|(_, t)| t.news()).collect();
            let states: Vec<TaskState> = left.iter().map(|(_, t)| t.state()).collect();
            let ended = states.iter().position(|s| matches!(s, TaskState::Finished | TaskState::Cancelled));
            if let Some(pos) = ended {
                let (i, task) = left.remove(pos);
                return Some((i, task.join()));
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                // Time is up for every task left: none not yet started will start.
                for (_, task) in &left {
                    task.cancel();
                }
                timed_out = Some(left.len());
                continue;
            }
            let tasks: Vec<&Task<'a, R>> = left.iter().map(|(_, t)| t).collect();
            wait_for_any_ref(&tasks, &states, &news, deadline);
        }
    })
}

/// Waits until one of the tasks not ended may have ended, or `deadline`.
fn wait_for_any<R>(tasks: &[Task<'_, R>], states: &[TaskState], news: &[u64], deadline: Option<Instant>) {
    let refs: Vec<&Task<'_, R>> = tasks.iter().collect();
    wait_for_any_ref(&refs, states, news, deadline);
}

fn wait_for_any_ref<R>(tasks: &[&Task<'_, R>], states: &[TaskState], news: &[u64], deadline: Option<Instant>) {
    let waiting: Vec<usize> =
        (0..tasks.len()).filter(|&i| !matches!(states[i], TaskState::Finished | TaskState::Cancelled)).collect();
    let Some(&first) = waiting.first() else { return };
    // Tasks of one executor all hear of any end in it; with others among
    // them, wait in short turns so none is missed for long.
    let one_executor = waiting.iter().all(|&i| same_executor(tasks[i], tasks[first]));
    let slice = if one_executor { deadline } else { Some(Instant::now() + TURN) };
    let until = match (slice, deadline) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    tasks[first].wait_for_news(news[first], until);
}

/// The longest a waiter on tasks of several executors takes to look again.
const TURN: Duration = Duration::from_millis(20);

fn same_executor<R>(a: &Task<'_, R>, b: &Task<'_, R>) -> bool {
    a.executor_id() == b.executor_id()
}

/// [`Executor::map`](crate::Executor::map) with a time limit: the results in
/// input order if every task ended within `timeout`; else
/// `Err(Error::Timeout { unfinished, total })`, and the tasks not started
/// by then are cancelled (those running finish, unseen). Otherwise the
/// first failed task's error, in input order. Python's `map(..., timeout=)`.
///
/// ```
/// use parlab::{Error, ThreadPool, map_timeout};
/// use std::time::Duration;
///
/// fn nap(ms: u64) -> u64 {
///     std::thread::sleep(Duration::from_millis(ms));
///     ms
/// }
///
/// let pool = ThreadPool::new(2).unwrap();
/// assert_eq!(map_timeout(&pool, nap, [20, 10], Duration::from_secs(30)).unwrap(), [20, 10]);
/// let late = map_timeout(&pool, nap, [0, 2_000], Duration::from_millis(200));
/// assert!(matches!(late, Err(Error::Timeout { unfinished: 1, total: 2 })));
/// ```
pub fn map_timeout<E, A, R>(
    on: &E,
    f: fn(A) -> R,
    inputs: impl IntoIterator<Item = A>,
    timeout: Duration,
) -> Result<Vec<R>>
where
    E: crate::Executor,
    A: crate::Payload,
    R: crate::Payload,
{
    let tasks = inputs.into_iter().map(|a| on.submit(f, a)).collect::<Result<Vec<_>>>()?;
    let mut results: Vec<Option<Result<R>>> = (0..tasks.len()).map(|_| None).collect();
    for (i, result) in as_completed(tasks, Some(timeout)) {
        if let Err(e @ Error::Timeout { .. }) = result {
            return Err(e);
        }
        results[i] = Some(result);
    }
    results.into_iter().map(|r| r.unwrap_or(Err(Error::Cancelled))).collect()
}
