//! A pool with settings beyond its size.

use super::ProcessPool;
use super::scheduler::{Inner, Settings};
use crate::error::Result;
use std::cell::RefCell;

/// Settings for a [`ProcessPool`], from [`ProcessPool::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder starts nothing until `build`"]
pub struct PoolBuilder {
    workers: usize,
    settings: Settings,
}

impl PoolBuilder {
    pub(super) fn new(workers: usize) -> PoolBuilder {
        PoolBuilder { workers, settings: Settings::default() }
    }

    /// Runs `init` once in every worker, before its first task (and in every
    /// worker that replaces one). If it panics, the pool is broken: every
    /// pending task and every later submit fails with
    /// [`Error::WorkerFailed`](crate::Error::WorkerFailed), which carries the panic's message.
    ///
    /// ```
    /// use parlab::{Error, ProcessPool};
    ///
    /// fn no_database() {
    ///     panic!("cannot reach the database");
    /// }
    ///
    /// let pool = ProcessPool::builder(1).initializer(no_database).build().unwrap();
    /// let error = pool.submit(|x: u8| x, 1).unwrap().join().unwrap_err();
    /// assert!(matches!(error, Error::WorkerFailed { .. }), "{error}");
    /// assert!(error.to_string().contains("cannot reach the database"));
    /// ```
    pub fn initializer(mut self, init: fn()) -> PoolBuilder {
        self.settings.init = Some(init);
        self
    }

    /// Replaces a worker by a new process once it has been given `tasks`
    /// tasks (a chunk is never split, so a worker may run up to one chunk
    /// more): for tasks that leak memory or state. Python's
    /// `max_tasks_per_child`.
    ///
    /// ```
    /// use parlab::ProcessPool;
    ///
    /// fn pid(_: u32) -> u32 {
    ///     std::process::id()
    /// }
    ///
    /// let pool = ProcessPool::builder(1).max_tasks_per_worker(2).build().unwrap();
    /// let pids = pool.map(pid, 0..4).unwrap();
    /// assert_eq!(pids[0], pids[1]);
    /// assert_ne!(pids[1], pids[2]); // a new worker after two tasks
    /// ```
    pub fn max_tasks_per_worker(mut self, tasks: usize) -> PoolBuilder {
        self.settings.max_tasks = Some(tasks.max(1));
        self
    }

    /// Starts the workers.
    ///
    /// Fails with [`Error::MultiThreaded`](crate::Error::MultiThreaded) if this process has other threads.
    ///
    /// ```
    /// let pool = parlab::ProcessPool::builder(2).build().unwrap();
    /// assert_eq!(pool.size(), 2);
    /// ```
    pub fn build(self) -> Result<ProcessPool> {
        Ok(ProcessPool { inner: RefCell::new(Inner::start(self.workers, self.settings)?) })
    }
}
