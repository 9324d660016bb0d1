//! A pool of worker processes started once and reused: Python's
//! `ProcessPoolExecutor`, without its hang when a worker dies.
//!
//! Tasks are plain functions (`fn(A) -> R`), sent to forked workers by
//! address with their arguments in postcard (module `worker`). The parent
//! side (module `scheduler`) runs no thread: it pumps the pool whenever the
//! caller waits. Results are handed over as soon as their tasks end (small
//! ones through rings in shared memory, module `mailbox`), and no task waits
//! behind a long one while a worker is idle (module `claims`).

mod builder;
mod claims;
mod handles;
mod mailbox;
mod scheduler;
mod worker;

use crate::error::{Error, Result};
use crate::executor::Shutdown;
use crate::executor::{Completed, Executor, Payload, Task, TaskKind};
use crate::trace::Span;
use crate::{bulk, wire};
pub use builder::PoolBuilder;
use handles::{AsCompleted, PoolTask};
use scheduler::{Chunk, Inner, Outcome};
use serde::{Serialize, de::DeserializeOwned};
use std::cell::RefCell;
use worker::{Request, Trampoline, run_chunk};

/// A fixed set of worker processes that run submitted functions.
///
/// Dropping the pool kills its workers at once and reaps them (no zombie, no
/// stray process); call [`ProcessPool::shutdown`] to let work finish first.
pub struct ProcessPool {
    inner: RefCell<Inner>,
}

impl ProcessPool {
    /// Starts `workers` worker processes (at least one).
    ///
    /// Fails with [`Error::MultiThreaded`] if this process has other threads.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// assert_eq!(pool.size(), 2);
    /// ```
    pub fn new(workers: usize) -> Result<ProcessPool> {
        ProcessPool::builder(workers).build()
    }

    /// A pool with settings beyond its size: an initializer run in every
    /// worker, a limit of tasks per worker. Python's `ProcessPoolExecutor(
    /// max_workers, initializer=..., max_tasks_per_child=...)`.
    ///
    /// ```
    /// use parlab::ProcessPool;
    ///
    /// fn setup() {
    ///     // Once per worker, before its first task: open a connection, load a table...
    /// }
    ///
    /// let pool = ProcessPool::builder(2).initializer(setup).max_tasks_per_worker(100).build().unwrap();
    /// assert_eq!(pool.map(|x: u32| x + 1, [1, 2]).unwrap(), [2, 3]);
    /// ```
    pub fn builder(workers: usize) -> PoolBuilder {
        PoolBuilder::new(workers)
    }

    /// A pool with one worker per usable CPU, counting the affinity mask (as
    /// Python 3.13's default does, with `os.process_cpu_count()`) and the
    /// cgroup quota (which Python ignores); up to 3.12 Python used
    /// `os.cpu_count()`, every CPU of the machine.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::with_default_size().unwrap();
    /// assert_eq!(pool.size(), parlab::Cpus::detect().usable);
    /// ```
    pub fn with_default_size() -> Result<ProcessPool> {
        ProcessPool::new(crate::sys::Cpus::detect().usable)
    }

    /// Number of workers.
    ///
    /// ```
    /// assert_eq!(parlab::ProcessPool::new(3).unwrap().size(), 3);
    /// ```
    pub fn size(&self) -> usize {
        self.inner.borrow().pids().len()
    }

    /// The workers' process ids, in worker order.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// let pids = pool.pids();
    /// assert_eq!(pids.len(), 2);
    /// assert!(!pids.contains(&(std::process::id() as i32))); // other processes than this one
    /// ```
    pub fn pids(&self) -> Vec<i32> {
        self.inner.borrow().pids()
    }

    /// Spans of every task that finished so far, taken out of the pool (at
    /// most the latest 100,000 chunks' worth are kept between takes, so that
    /// millions of tiny tasks cost no memory).
    ///
    /// ```
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// pool.map(|x: u64| x * 2, [1, 2, 3]).unwrap();
    /// let spans = pool.take_spans();
    /// assert_eq!(spans.len(), 3);
    /// assert!(spans.iter().all(|s| pool.pids().contains(&s.pid))); // each ran in a worker
    /// assert!(pool.take_spans().is_empty()); // taken out
    /// ```
    pub fn take_spans(&self) -> Vec<Span> {
        self.inner.borrow_mut().take_spans()
    }

    /// Queues `f(arg)` and returns a handle to join it.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// let task = pool.submit(|x: u64| x * x, 7).unwrap();
    /// assert_eq!(task.join().unwrap(), 49);
    /// ```
    pub fn submit<'p, A, R>(&'p self, f: fn(A) -> R, arg: A) -> Result<Task<'p, R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + 'p,
    {
        let index = self.inner.borrow().next_index();
        let chunks = self.enqueue(f, std::iter::once(arg), 1, index)?;
        self.pump(false)?;
        let task = PoolTask::new(self, chunks[0]);
        Ok(Task::new(TaskKind::Handle(Box::new(task))))
    }

    /// Runs `f` on every input and returns the results in input order; the
    /// first failed task (in input order) makes the whole call fail.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// assert_eq!(pool.map(|x: u64| x + 1, [1, 2, 3]).unwrap(), [2, 3, 4]);
    /// let failed = pool.map(|x: u64| 10 / x, [5, 0, 2]);
    /// assert!(matches!(failed, Err(parlab::Error::Panicked { .. })));
    /// ```
    pub fn map<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        self.map_chunked(f, inputs, 1)
    }

    /// Like [`ProcessPool::map`], sending `chunk_size` tasks per message:
    /// for many tiny tasks, where one message per task costs more than the task.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// let squares = pool.map_chunked(|x: u64| x * x, 0..1000, 100).unwrap();
    /// assert_eq!(squares[999], 998_001);
    /// assert_eq!(pool.take_spans().len(), 10); // one span per chunk of 100
    /// ```
    pub fn map_chunked<A, R>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        chunk_size: usize,
    ) -> Result<Vec<R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        let chunks = self.enqueue(f, inputs, chunk_size, 0)?;
        let mut out = Vec::new();
        let mut first_error = None;
        for id in chunks {
            match self.wait_for::<R>(id) {
                Ok(results) => out.extend(results),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(out),
        }
    }

    /// Runs `f` on every input; yields `(input index, result)` as tasks finish.
    ///
    /// ```
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(std::time::Duration::from_millis(ms));
    ///     ms
    /// }
    ///
    /// let pool = parlab::ProcessPool::new(2).unwrap();
    /// let order: Vec<usize> = pool.as_completed(nap, [1000, 0]).unwrap().map(|(i, _)| i).collect();
    /// assert_eq!(order, [1, 0]); // the short one first
    /// ```
    pub fn as_completed<'p, A, R>(
        &'p self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<Completed<'p, R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned + 'p,
    {
        let pending = self.enqueue(f, inputs, 1, 0)?;
        self.pump(false)?;
        Ok(Completed::new(AsCompleted::new(self, pending)))
    }

    /// Stops the pool: with [`Shutdown::Wait`] after every submitted task
    /// ran, with [`Shutdown::CancelPending`] after the running ones did.
    ///
    /// ```
    /// use parlab::{ProcessPool, Shutdown};
    ///
    /// let pool = ProcessPool::new(1).unwrap();
    /// let task = pool.submit(|x: u64| x + 1, 1).unwrap();
    /// drop(task); // not joined: Wait still lets it run
    /// pool.shutdown(Shutdown::Wait).unwrap();
    /// ```
    pub fn shutdown(self, mode: Shutdown) -> Result<()> {
        if mode == Shutdown::CancelPending {
            self.inner.borrow_mut().cancel_queued();
        }
        while self.inner.borrow().working() {
            self.pump(true)?;
        }
        if let Some(broken) = self.inner.borrow().broken() {
            return Err(broken);
        }
        self.inner.borrow_mut().release();
        Ok(())
    }

    /// Queues `inputs` in chunks of `chunk_size`; returns each chunk's id.
    fn enqueue<A, R>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        chunk_size: usize,
        first_index: usize,
    ) -> Result<Vec<u64>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        let mut inner = self.inner.borrow_mut();
        if let Some(broken) = inner.broken() {
            return Err(broken);
        }
        let tramp: Trampoline = run_chunk::<A, R>;
        let mut index = first_index;
        let mut ids = Vec::new();
        let mut chunk: Vec<A> = Vec::with_capacity(chunk_size.max(1));
        let mut args = Vec::new();
        let mut inputs = inputs.into_iter().peekable();
        while inputs.peek().is_some() {
            chunk.clear();
            chunk.extend(inputs.by_ref().take(chunk_size.max(1)));
            let count = chunk.len();
            args.clear();
            args = wire::encode_into(&chunk, args).map_err(|e| {
                Error::Codec(format!("the task's argument could not be encoded in the caller ({})", codec_cause(e)))
            })?;
            // Large arguments go as a file the workers map (see `crate::bulk`):
            // one copy of the encoding, where the pipe made several.
            let len = args.len();
            let file = if len >= bulk::SHARED_FROM && bulk::available() {
                let file = bulk::file_of(&args, inner.take_spare_file())?;
                args.clear();
                Some(std::rc::Rc::new(file))
            } else {
                None
            };
            let args_in_file = file.as_ref().map(|_| len as u64);
            let frame_for = |first_id| {
                let (trampoline, func) = (tramp as usize, f as usize);
                let request = Request { first_id, first_index: index, trampoline, func, args: &args, args_in_file };
                let mut frame = Vec::with_capacity(args.len() + 48);
                frame.extend_from_slice(&[0; Chunk::HEADER]);
                wire::encode_into(&request, frame)
            };
            ids.push(inner.queue(count, index, frame_for, file)?);
            index += count;
        }
        Ok(ids)
    }

    /// Waits for chunk `id` and takes its results.
    fn wait_for<R: DeserializeOwned>(&self, id: u64) -> Result<Vec<R>> {
        loop {
            let finished = self.inner.borrow_mut().take_result(id);
            if let Some(outcome) = finished {
                return self.decode(outcome);
            }
            self.pump(true)?;
        }
    }

    fn decode<R: DeserializeOwned>(&self, outcome: Outcome) -> Result<Vec<R>> {
        match outcome {
            Outcome::Done(Ok(bytes)) => {
                let decoded = wire::decode(&bytes).map_err(|e| {
                    Error::Codec(format!("the task's result could not be decoded in the caller ({})", codec_cause(e)))
                });
                if let Some((worker, file)) = bytes.into_file() {
                    self.inner.borrow_mut().recycle(worker, file);
                }
                decoded
            }
            Outcome::Done(Err(failure)) => Err(failure.into()),
            Outcome::Cancelled => Err(Error::Cancelled),
            Outcome::Broken => Err(self.inner.borrow().broken().expect("broken outcome implies a broken pool")),
        }
    }

    /// Sends queued work and reads replies; with `block`, waits until at
    /// least one worker has said something.
    fn pump(&self, block: bool) -> Result<()> {
        self.pump_for(if block { None } else { Some(std::time::Duration::ZERO) })
    }

    /// Pumps the pool, waiting at most `limit` for a worker (`None`: until
    /// one answers).
    fn pump_for(&self, limit: Option<std::time::Duration>) -> Result<()> {
        self.inner.borrow_mut().pump(limit)
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        self.inner.borrow_mut().stop();
    }
}

/// What a codec error says, without the prefix every codec error carries.
fn codec_cause(e: Error) -> String {
    match e {
        Error::Codec(cause) => cause,
        other => other.to_string(),
    }
}

impl Executor for crate::ProcessPool {
    fn map_chunked<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        chunk_size: usize,
    ) -> Result<Vec<R>> {
        ProcessPool::map_chunked(self, f, inputs, chunk_size)
    }

    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>> {
        ProcessPool::submit(self, f, arg)
    }

    fn as_completed<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<Completed<'_, R>> {
        ProcessPool::as_completed(self, f, inputs)
    }

    fn take_spans(&self) -> Vec<Span> {
        ProcessPool::take_spans(self)
    }
}
