//! A pool of threads on `rayon`, with the surface of [`crate::ProcessPool`]
//! (`submit`, `map`, `map_chunked`, `as_completed`, `take_spans`), so that an
//! example switches between processes and threads by changing one line.
//!
//! Rust threads run CPU-bound work in parallel (there is no GIL); what they do
//! not give is isolation: they share memory, and a crash (not a panic) in one
//! takes the whole process down. Panics are caught and returned per task.

use crate::clock::now_ns;
use crate::error::panic_message;
use crate::error::{Error, Result};
use crate::executor::{Completed, Executor, Payload, Task, TaskKind};
use crate::trace::{Span, current_pid, current_tid};
use rayon::prelude::*;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::mpsc::channel;
use std::sync::{Arc, Mutex};

/// A fixed set of worker threads.
pub struct ThreadPool {
    pool: rayon::ThreadPool,
    spans: Arc<Spans>,
    next_index: AtomicUsize,
}

/// The pool's record of its tasks, and who its threads are: each thread
/// writes its id once when it starts, as `gettid` is a system call and two
/// per tiny task (with `getpid`) cost a fifth of its time.
struct Spans {
    taken: Mutex<Vec<Span>>,
    pid: i32,
    tids: Vec<AtomicI32>,
}

impl ThreadPool {
    /// Starts `workers` threads (at least one).
    pub fn new(workers: usize) -> Result<ThreadPool> {
        let n = workers.max(1);
        let spans = Arc::new(Spans {
            taken: Mutex::default(),
            pid: current_pid(),
            tids: (0..n).map(|_| AtomicI32::new(0)).collect(),
        });
        let started = Arc::clone(&spans);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("parlab-worker-{i}"))
            .start_handler(move |i| started.tids[i].store(current_tid(), Ordering::Relaxed))
            .build()
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        Ok(ThreadPool { pool, spans, next_index: AtomicUsize::new(0) })
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
        std::mem::take(&mut self.spans.taken.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Queues `f(arg)` and returns a handle to join it.
    pub fn submit<A, R>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>>
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
        Ok(Task::new(TaskKind::Thread(rx)))
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

    /// Like [`ThreadPool::map`], handing `chunk_size` tasks to a thread at a
    /// time and timing each chunk as one span.
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
        let mut inputs = inputs.into_iter().peekable();
        let mut chunks: Vec<Vec<A>> = Vec::new();
        while inputs.peek().is_some() {
            chunks.push(inputs.by_ref().take(chunk_size.max(1)).collect());
        }
        let spans = &self.spans;
        let per_chunk: Vec<Result<Vec<R>>> = self.pool.install(|| {
            let starts: Vec<usize> =
                chunks.iter().scan(0, |at, c| Some(std::mem::replace(at, *at + c.len()))).collect();
            // One chunk per rayon job, so an idle thread can always take the
            // next chunk: rayon's adaptive splitting alone can leave one thread
            // a long unsplittable run of expensive tasks.
            chunks
                .into_par_iter()
                .zip(starts)
                .with_max_len(1)
                .map(|(chunk, first)| run_chunk(f, chunk, first, spans))
                .collect()
        });
        let mut out = Vec::new();
        for chunk in per_chunk {
            out.extend(chunk?);
        }
        Ok(out)
    }

    /// Runs `f` on every input; yields `(input index, result)` as tasks finish.
    pub fn as_completed<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Completed<'_, R>>
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
        Ok(Completed::new(rx.into_iter()))
    }
}

fn run_one<A, R>(f: fn(A) -> R, arg: A, index: usize, spans: &Spans) -> Result<R> {
    run_chunk(f, vec![arg], index, spans).map(|mut v| v.pop().expect("a chunk of one task has one result"))
}

/// Runs a chunk on the current thread, recording one span for it. A panic
/// fails the chunk (`map` fails on the first error; a submitted task is a
/// chunk of one).
fn run_chunk<A, R>(f: fn(A) -> R, chunk: Vec<A>, first: usize, spans: &Spans) -> Result<Vec<R>> {
    let worker = rayon::current_thread_index().unwrap_or(0);
    let tasks = chunk.len();
    let start_ns = now_ns();
    let results = catch_unwind(AssertUnwindSafe(|| chunk.into_iter().map(f).collect::<Vec<R>>()))
        .map_err(|p| Error::Panicked { message: panic_message(&*p) });
    let end_ns = now_ns();
    let tid = spans.tids.get(worker).map_or(0, |t| t.load(Ordering::Relaxed));
    let span = Span { index: first, pid: spans.pid, tid, worker, tasks, start_ns, end_ns, sleep: None };
    spans.taken.lock().unwrap_or_else(|e| e.into_inner()).push(span);
    results
}

impl Executor for crate::ThreadPool {
    fn map_chunked<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        chunk_size: usize,
    ) -> Result<Vec<R>> {
        ThreadPool::map_chunked(self, f, inputs, chunk_size)
    }

    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>> {
        ThreadPool::submit(self, f, arg)
    }

    fn as_completed<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<Completed<'_, R>> {
        ThreadPool::as_completed(self, f, inputs)
    }

    fn take_spans(&self) -> Vec<Span> {
        ThreadPool::take_spans(self)
    }
}
