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

/// A submitted task, on whatever executor ran it.
///
/// Dropping it without joining lets the task run and throws its result away.
///
/// ```
/// use parlab::{Executor, ThreadPool};
///
/// fn double(x: u32) -> u32 {
///     2 * x
/// }
///
/// let pool = ThreadPool::new(2).unwrap();
/// let task = pool.submit(double, 21).unwrap();
/// assert_eq!(task.join().unwrap(), 42);
/// ```
#[must_use = "a task's result is only seen by joining it"]
pub struct Task<'a, R> {
    kind: TaskKind<'a, R>,
}

pub(crate) enum TaskKind<'a, R> {
    /// Joined by a function of the executor that ran it (a pool's task).
    Later(Box<dyn FnOnce() -> Result<R> + 'a>),
    Thread(std::sync::mpsc::Receiver<Result<R>>),
    Done(Result<R>),
}

impl<'a, R> Task<'a, R> {
    pub(crate) fn new(kind: TaskKind<'a, R>) -> Task<'a, R> {
        Task { kind }
    }
}

impl<R: DeserializeOwned> Task<'_, R> {
    /// Waits for the task and returns its value, or why it has none.
    pub fn join(self) -> Result<R> {
        match self.kind {
            TaskKind::Later(join) => join(),
            TaskKind::Thread(rx) => rx.recv().unwrap_or(Err(Error::Cancelled)),
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
