//! One surface for every way of running tasks: [`Sequential`](crate::Sequential),
//! [`ProcessPool`](crate::ProcessPool) and [`ThreadPool`](crate::ThreadPool)
//! implement [`Executor`], so "change one line to change how it runs" is
//! checked by the compiler, and every submitted task comes back as one
//! handle type, [`Task`], joined like std's `JoinHandle`.
//!
//! ```
//! use parlab::{Executor, ProcessPool, Sequential, ThreadPool};
//!
//! fn square(x: u64) -> u64 {
//!     x * x
//! }
//!
//! /// The same code, whatever runs it.
//! fn sum_of_squares(on: &impl Executor) -> parlab::Result<u64> {
//!     Ok(on.map(square, 1..=4)?.iter().sum())
//! }
//!
//! # fn main() -> parlab::Result<()> {
//! assert_eq!(sum_of_squares(&Sequential::new())?, 30);
//! assert_eq!(sum_of_squares(&ProcessPool::new(2)?)?, 30);
//! assert_eq!(sum_of_squares(&ThreadPool::new(2)?)?, 30);
//! # Ok(())
//! # }
//! ```

use crate::error::{Error, Result};
use crate::trace::Span;
use serde::{Serialize, de::DeserializeOwned};

/// What a task may take and return on every executor: it can be sent to
/// another process (serde) or thread (`Send + 'static`). Numbers, strings,
/// vectors and tuples of them all are.
pub trait Payload: Serialize + DeserializeOwned + Send + 'static {}

impl<T: Serialize + DeserializeOwned + Send + 'static> Payload for T {}

/// The surface shared by [`Sequential`](crate::Sequential),
/// [`ProcessPool`](crate::ProcessPool) and [`ThreadPool`](crate::ThreadPool).
pub trait Executor {
    /// Runs `f` on every input; results in input order, and the first failed
    /// task (in input order) fails the call.
    fn map<A: Payload, R: Payload>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>> {
        self.map_chunked(f, inputs, 1)
    }

    /// Like [`Executor::map`], handing `chunk_size` tasks to a worker at a
    /// time: for many tiny tasks, where handing each over costs more than it.
    fn map_chunked<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        chunk_size: usize,
    ) -> Result<Vec<R>>;

    /// Starts `f(arg)` and returns a handle to join it.
    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>>;

    /// Runs `f` on every input; yields `(input index, result)` as tasks finish.
    fn as_completed<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<Completed<'_, R>>;

    /// Spans of every task that finished so far, taken out.
    fn take_spans(&self) -> Vec<Span>;
}

/// A submitted task, on whatever executor ran it: Python's `Future`, joined
/// like std's `JoinHandle`.
///
/// Dropping it without joining lets the task run and throws its result away.
///
/// ```
/// use parlab::{Executor, TaskState, ThreadPool};
///
/// fn double(x: u32) -> u32 {
///     2 * x
/// }
///
/// let pool = ThreadPool::new(2).unwrap();
/// let task = pool.submit(double, 21).unwrap();
/// assert!(task.wait_timeout(std::time::Duration::from_secs(10)));
/// assert_eq!(task.state(), TaskState::Finished);
/// assert_eq!(task.join().unwrap(), 42);
/// ```
#[must_use = "a task's result is only seen by joining it"]
pub struct Task<'a, R> {
    kind: TaskKind<'a, R>,
}

pub(crate) enum TaskKind<'a, R> {
    /// Followed and joined by the executor that runs it (a pool's task).
    Handle(Box<dyn Handle<R> + 'a>),
    /// Ran already, when it was submitted.
    Done(Result<R>),
}

/// Where a task stands. Like Python's future states: pending (no worker
/// has started it: it can still be cancelled), running, finished (with a
/// value or an error), cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskState {
    /// Waiting for a worker.
    Pending,
    /// A worker runs it.
    Running,
    /// Ended, with its value or its error.
    Finished,
    /// Cancelled before any worker started it.
    Cancelled,
}

/// What a [`Task`] asks of the executor that runs it.
pub(crate) trait Handle<R> {
    /// Where the task stands, after taking in whatever has arrived (never waits).
    fn state(&self) -> TaskState;
    /// A number that changes whenever a task of this executor ends: read it
    /// before looking at states, then [`Handle::wait_for_news`] since it.
    fn news(&self) -> u64;
    /// Waits until some task of this executor may have ended since `news`,
    /// or until `deadline`.
    fn wait_for_news(&self, news: u64, deadline: Option<std::time::Instant>);
    /// Cancels the task if no worker has started it; whether it did.
    fn cancel(&self) -> bool;
    /// Whether the task ended with an error (not a cancellation), without taking it.
    fn has_failed(&self) -> bool;
    /// Which executor runs the task: equal for tasks of one pool.
    fn executor(&self) -> usize;
    /// The task's value, waiting for it if need be.
    fn join(self: Box<Self>) -> Result<R>;
}

impl<'a, R> Task<'a, R> {
    pub(crate) fn new(kind: TaskKind<'a, R>) -> Task<'a, R> {
        Task { kind }
    }

    /// Where the task stands now.
    ///
    /// ```
    /// use parlab::{Sequential, TaskState};
    ///
    /// // Sequential runs a task as it is submitted.
    /// let on = Sequential::new();
    /// let task = on.submit(|x: u8| x + 1, 1).unwrap();
    /// assert_eq!(task.state(), TaskState::Finished);
    /// ```
    pub fn state(&self) -> TaskState {
        match &self.kind {
            TaskKind::Handle(h) => h.state(),
            TaskKind::Done(Err(Error::Cancelled)) => TaskState::Cancelled,
            TaskKind::Done(_) => TaskState::Finished,
        }
    }

    /// Whether the task has ended (finished or cancelled): `join` will not
    /// wait. Python's `done()`.
    ///
    /// ```
    /// let on = parlab::Sequential::new();
    /// let task = on.submit(|x: u8| x + 1, 1).unwrap();
    /// assert!(task.is_finished());
    /// ```
    pub fn is_finished(&self) -> bool {
        matches!(self.state(), TaskState::Finished | TaskState::Cancelled)
    }

    /// Whether a worker is running the task now. Python's `running()`.
    ///
    /// ```
    /// let on = parlab::Sequential::new();
    /// let task = on.submit(|x: u8| x + 1, 1).unwrap();
    /// assert!(!task.is_running());
    /// ```
    pub fn is_running(&self) -> bool {
        self.state() == TaskState::Running
    }

    /// Cancels the task if no worker has started it: it will not run, and
    /// `join` returns [`Error::Cancelled`]. Returns whether it was
    /// cancelled (also when it was already); a running or finished task
    /// cannot be. Python's `cancel()`.
    ///
    /// ```
    /// use parlab::{Error, ProcessPool};
    /// use std::time::Duration;
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    ///
    /// let pool = ProcessPool::new(1).unwrap();
    /// let long = pool.submit(nap, 300).unwrap();
    /// let queued = pool.submit(nap, 0).unwrap(); // behind `long`, on the only worker
    /// assert!(queued.cancel());
    /// assert!(matches!(queued.join(), Err(Error::Cancelled)));
    /// assert_eq!(long.join().unwrap(), 300);
    /// ```
    pub fn cancel(&self) -> bool {
        match &self.kind {
            TaskKind::Handle(h) => h.cancel(),
            TaskKind::Done(result) => matches!(result, Err(Error::Cancelled)),
        }
    }

    /// Whether the task was cancelled. Python's `cancelled()`.
    ///
    /// ```
    /// let on = parlab::Sequential::new();
    /// let task = on.submit(|x: u8| x + 1, 1).unwrap();
    /// assert!(!task.is_cancelled());
    /// ```
    pub fn is_cancelled(&self) -> bool {
        self.state() == TaskState::Cancelled
    }

    /// Waits at most `timeout` for the task to end; whether it has. Then
    /// `join` returns at once. Python's `result(timeout)` is this, then `join`
    /// (or a timeout error, [`Error::Timeout`], from [`crate::wait`]).
    ///
    /// ```
    /// use parlab::ThreadPool;
    /// use std::time::Duration;
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    ///
    /// let pool = ThreadPool::new(1).unwrap();
    /// let task = pool.submit(nap, 200).unwrap();
    /// assert!(!task.wait_timeout(Duration::from_millis(1))); // still sleeping
    /// assert!(task.wait_timeout(Duration::from_secs(30)));
    /// ```
    pub fn wait_timeout(&self, timeout: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            let news = self.news();
            if self.is_finished() {
                return true;
            }
            if std::time::Instant::now() >= deadline {
                return false;
            }
            self.wait_for_news(news, Some(deadline));
        }
    }

    pub(crate) fn has_failed(&self) -> bool {
        match &self.kind {
            TaskKind::Handle(h) => h.has_failed(),
            TaskKind::Done(result) => result.is_err() && !matches!(result, Err(Error::Cancelled)),
        }
    }

    pub(crate) fn executor_id(&self) -> usize {
        match &self.kind {
            TaskKind::Handle(h) => h.executor(),
            TaskKind::Done(_) => 0,
        }
    }

    pub(crate) fn news(&self) -> u64 {
        match &self.kind {
            TaskKind::Handle(h) => h.news(),
            TaskKind::Done(_) => 0,
        }
    }

    pub(crate) fn wait_for_news(&self, news: u64, deadline: Option<std::time::Instant>) {
        if let TaskKind::Handle(h) = &self.kind {
            h.wait_for_news(news, deadline);
        }
    }
}

impl<R: DeserializeOwned> Task<'_, R> {
    /// Waits at most `timeout` for the task's value; when the time is up
    /// first, gives the task up: `Err(Error::Timeout { unfinished: 1, total:
    /// 1 })`, and the task is cancelled if no worker started it (a running
    /// one finishes unseen). To wait again later instead, use
    /// [`Task::wait_timeout`], which keeps the task.
    ///
    /// ```
    /// use parlab::{Error, ProcessPool};
    /// use std::time::Duration;
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(Duration::from_millis(ms));
    ///     ms
    /// }
    ///
    /// let pool = ProcessPool::new(1).unwrap();
    /// assert_eq!(pool.submit(nap, 0).unwrap().join_timeout(Duration::from_secs(30)).unwrap(), 0);
    /// let late = pool.submit(nap, 2_000).unwrap().join_timeout(Duration::from_millis(50));
    /// assert!(matches!(late, Err(Error::Timeout { unfinished: 1, total: 1 })));
    /// assert_eq!(late.unwrap_err().to_string(), "timed out: 1 (of 1) tasks unfinished");
    /// ```
    pub fn join_timeout(self, timeout: std::time::Duration) -> Result<R> {
        if self.wait_timeout(timeout) {
            return self.join();
        }
        self.cancel();
        Err(Error::Timeout { unfinished: 1, total: 1 })
    }

    /// Waits for the task and returns its value, or why it has none.
    ///
    /// ```
    /// let on = parlab::Sequential::new();
    /// let task = on.submit(|x: u8| x + 1, 1).unwrap();
    /// assert_eq!(task.join().unwrap(), 2);
    /// ```
    pub fn join(self) -> Result<R> {
        match self.kind {
            TaskKind::Handle(h) => h.join(),
            TaskKind::Done(result) => result,
        }
    }
}

/// Results in the order tasks finish: `(input index, result)`, from
/// [`Executor::as_completed`].
///
/// ```
/// use parlab::{Executor, ProcessPool};
///
/// fn nap(ms: u64) -> u64 {
///     std::thread::sleep(std::time::Duration::from_millis(ms));
///     ms
/// }
///
/// let pool = ProcessPool::new(3).unwrap();
/// let order: Vec<u64> = pool.as_completed(nap, [90, 0, 45]).unwrap().map(|(_, r)| r.unwrap()).collect();
/// assert_eq!(order, [0, 45, 90]);
/// ```
pub struct Completed<'a, R> {
    inner: Box<dyn Iterator<Item = (usize, Result<R>)> + 'a>,
}

impl<'a, R> Completed<'a, R> {
    pub(crate) fn new(inner: impl Iterator<Item = (usize, Result<R>)> + 'a) -> Completed<'a, R> {
        Completed { inner: Box::new(inner) }
    }
}

impl<R> Iterator for Completed<'_, R> {
    type Item = (usize, Result<R>);

    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next()
    }
}

/// How a pool's `shutdown` ([`ProcessPool::shutdown`](crate::ProcessPool::shutdown),
/// [`ThreadPool::shutdown`](crate::ThreadPool::shutdown)) treats work that has
/// not finished: one type for every pool, as Python's `shutdown(wait=...,
/// cancel_futures=...)` is one call for both of its executors.
///
/// ```
/// use parlab::{Shutdown, ThreadPool};
///
/// fn double(x: u64) -> u64 {
///     2 * x
/// }
///
/// let pool = ThreadPool::new(2).unwrap();
/// assert_eq!(pool.submit(double, 21).unwrap().join().unwrap(), 42);
/// drop(pool.submit(double, 1).unwrap()); // not waited on, but it runs
/// pool.shutdown(Shutdown::Wait).unwrap(); // once every submitted task has
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Run every submitted task to its end, then stop the workers.
    Wait,
    /// Drop tasks no worker has started; let running ones finish.
    CancelPending,
}
