//! A pool of threads on `rayon`, with the surface of [`crate::ProcessPool`]
//! (`submit`, `map`, `map_chunked`, `as_completed`, `take_spans`), so that an
//! example switches between processes and threads by changing one line.
//!
//! Rust threads run CPU-bound work in parallel (there is no GIL); what they do
//! not give is isolation: they share memory, and a crash (not a panic) in one
//! takes the whole process down. Panics are caught and returned per task.

use crate::error::{Error, Result};
use crate::process::panic_message;
use crate::trace::Span;
use rayon::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};

/// A fixed set of worker threads.
pub struct ThreadPool {
    pool: rayon::ThreadPool,
    spans: Arc<Mutex<Vec<Span>>>,
    next_index: AtomicUsize,
}

impl ThreadPool {
    /// Starts `workers` threads (at least one).
    pub fn new(workers: usize) -> Result<ThreadPool> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(workers.max(1))
            .thread_name(|i| format!("parlab-worker-{i}"))
            .build()
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        Ok(ThreadPool { pool, spans: Arc::default(), next_index: AtomicUsize::new(0) })
    }

    /// One thread per usable CPU (affinity and cgroup limits counted).
    pub fn with_default_size() -> Result<ThreadPool> {
        ThreadPool::new(crate::sys::Cpus::detect().usable)
    }

    /// Number of worker threads.
    pub fn size(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Spans of every task that finished so far, taken out of the pool.
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut self.spans.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Queues `f(arg)` and returns a handle to wait for its result.
    pub fn submit<A, R>(&self, f: fn(A) -> R, arg: A) -> Result<ThreadTask<R>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = channel();
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let spans = Arc::clone(&self.spans);
        self.pool.spawn(move || {
            let _ = tx.send(run_one(f, arg, index, &spans));
        });
        Ok(ThreadTask { rx })
    }

    /// Runs `f` on every input; results in input order, the first failure (in
    /// input order) fails the call.
    pub fn map<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        self.map_chunked(f, inputs, 1)
    }

    /// Like [`ThreadPool::map`]; `chunk_size` is the least number of tasks a
    /// thread takes at once (rayon's `with_min_len`).
    pub fn map_chunked<A, R>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        chunk_size: usize,
    ) -> Result<Vec<R>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        let inputs: Vec<A> = inputs.into_iter().collect();
        let spans = &self.spans;
        let results: Vec<Result<R>> = self.pool.install(|| {
            inputs
                .into_par_iter()
                .with_min_len(chunk_size.max(1))
                .enumerate()
                .map(|(i, a)| run_one(f, a, i, spans))
                .collect()
        });
        results.into_iter().collect()
    }

    /// Runs `f` on every input; yields `(input index, result)` as tasks finish.
    pub fn as_completed<A, R>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<impl Iterator<Item = (usize, Result<R>)>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = channel();
        for (i, a) in inputs.into_iter().enumerate() {
            let (tx, spans) = (tx.clone(), Arc::clone(&self.spans));
            self.pool.spawn(move || {
                let _ = tx.send((i, run_one(f, a, i, &spans)));
            });
        }
        Ok(rx.into_iter())
    }
}

fn run_one<A, R>(f: fn(A) -> R, arg: A, index: usize, spans: &Mutex<Vec<Span>>) -> Result<R> {
    let worker = rayon::current_thread_index().unwrap_or(0);
    let (value, span) = Span::measure(index, worker, || catch_unwind(AssertUnwindSafe(|| f(arg))));
    spans.lock().unwrap_or_else(|e| e.into_inner()).push(span);
    value.map_err(|p| Error::Panicked { message: panic_message(&*p) })
}

/// A submitted task; [`ThreadTask::wait`] returns its result.
pub struct ThreadTask<R> {
    rx: Receiver<Result<R>>,
}

impl<R> ThreadTask<R> {
    /// Waits for the task and returns its value, or why it has none.
    pub fn wait(self) -> Result<R> {
        self.rx.recv().unwrap_or(Err(Error::Cancelled))
    }
}
