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
use crate::executor::Shutdown;
use crate::executor::{Completed, Executor, Handle, Payload, Task, TaskKind, TaskState};
use crate::trace::{Span, current_pid, current_tid};
use rayon::prelude::*;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicI32, AtomicU8, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Condvar, Mutex, Weak};
use std::time::Instant;

/// A fixed set of worker threads.
pub struct ThreadPool {
    pool: rayon::ThreadPool,
    spans: Arc<Spans>,
    next_index: AtomicUsize,
    ended: Arc<Ended>,
    /// The state of every task submitted, for a shutdown that cancels pending ones.
    submitted: Mutex<Vec<Weak<AtomicU8>>>,
}

/// A submitted task's state, shared with the job that runs it.
const PENDING: u8 = 0;
const RUNNING: u8 = 1;
const FINISHED: u8 = 2;
const CANCELLED: u8 = 3;

/// Jobs of the pool that ended, and those not yet ended: what waiters wait on.
#[derive(Default)]
struct Ended {
    counts: Mutex<(u64, usize)>,
    changed: Condvar,
}

impl Ended {
    fn started(&self) {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).1 += 1;
    }

    fn ended(&self) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        c.0 += 1;
        c.1 -= 1;
        self.changed.notify_all();
    }

    fn news(&self) -> u64 {
        self.counts.lock().unwrap_or_else(|e| e.into_inner()).0
    }

    /// Waits until a job ends after `news` (or none is left to end), or `deadline`.
    fn wait(&self, news: u64, deadline: Option<Instant>) {
        let mut c = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        while c.0 == news && c.1 > 0 {
            c = match deadline {
                None => self.changed.wait(c).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let left = d.saturating_duration_since(Instant::now());
                    if left.is_zero() {
                        return;
                    }
                    self.changed.wait_timeout(c, left).unwrap_or_else(|e| e.into_inner()).0
                }
            };
        }
    }
}

/// A task on the thread pool: its state, and the channel its result comes by.
struct ThreadTask<R> {
    rx: Receiver<Result<R>>,
    got: RefCell<Option<Result<R>>>,
    state: Arc<AtomicU8>,
    ended: Arc<Ended>,
}

impl<R> Handle<R> for ThreadTask<R> {
    fn state(&self) -> TaskState {
        match self.state.load(Ordering::SeqCst) {
            PENDING => TaskState::Pending,
            RUNNING => TaskState::Running,
            CANCELLED => TaskState::Cancelled,
            _ => TaskState::Finished,
        }
    }

    fn news(&self) -> u64 {
        self.ended.news()
    }

    fn wait_for_news(&self, news: u64, deadline: Option<Instant>) {
        self.ended.wait(news, deadline);
    }

    fn cancel(&self) -> bool {
        match self.state.compare_exchange(PENDING, CANCELLED, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(_) => true,
            Err(now) => now == CANCELLED,
        }
    }

    fn has_failed(&self) -> bool {
        let mut got = self.got.borrow_mut();
        if got.is_none()
            && let Ok(result) = self.rx.try_recv()
        {
            *got = Some(result);
        }
        matches!(&*got, Some(Err(e)) if !matches!(e, Error::Cancelled))
    }

    fn executor(&self) -> usize {
        Arc::as_ptr(&self.ended) as usize
    }

    fn join(self: Box<Self>) -> Result<R> {
        match self.got.borrow_mut().take() {
            Some(result) => result,
            // A cancelled task's job drops its sender without sending.
            None => self.rx.recv().unwrap_or(Err(Error::Cancelled)),
        }
    }
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
    ///
    /// ```
    /// assert_eq!(parlab::ThreadPool::new(0).unwrap().size(), 1);
    /// ```
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
        Ok(ThreadPool {
            pool,
            spans,
            next_index: AtomicUsize::new(0),
            ended: Arc::default(),
            submitted: Mutex::default(),
        })
    }

    /// One thread per usable CPU (affinity and cgroup limits counted).
    ///
    /// ```
    /// let pool = parlab::ThreadPool::with_default_size().unwrap();
    /// assert_eq!(pool.size(), parlab::Cpus::detect().usable);
    /// ```
    pub fn with_default_size() -> Result<ThreadPool> {
        ThreadPool::new(crate::sys::Cpus::detect().usable)
    }

    /// Number of worker threads.
    ///
    /// ```
    /// assert_eq!(parlab::ThreadPool::new(3).unwrap().size(), 3);
    /// ```
    pub fn size(&self) -> usize {
        self.pool.current_num_threads()
    }

    /// Spans of every task that finished so far, taken out of the pool.
    ///
    /// ```
    /// let pool = parlab::ThreadPool::new(2).unwrap();
    /// pool.map(|x: u64| x + 1, [1, 2]).unwrap();
    /// let spans = pool.take_spans();
    /// assert_eq!(spans.len(), 2);
    /// assert!(spans.iter().all(|s| s.pid == std::process::id() as i32)); // threads of this process
    /// ```
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut self.spans.taken.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// Queues `f(arg)` and returns a handle to join it.
    ///
    /// ```
    /// let pool = parlab::ThreadPool::new(2).unwrap();
    /// assert_eq!(pool.submit(|x: u64| x * x, 9).unwrap().join().unwrap(), 81);
    /// ```
    pub fn submit<A, R>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = channel();
        let index = self.next_index.fetch_add(1, Ordering::Relaxed);
        let spans = Arc::clone(&self.spans);
        let state = Arc::new(AtomicU8::new(PENDING));
        {
            let mut submitted = self.submitted.lock().unwrap_or_else(|e| e.into_inner());
            submitted.retain(|s| s.strong_count() > 0);
            submitted.push(Arc::downgrade(&state));
        }
        let (ran, ended) = (Arc::clone(&state), Arc::clone(&self.ended));
        ended.started();
        self.pool.spawn(move || {
            if ran.compare_exchange(PENDING, RUNNING, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
                let _ = tx.send(run_one(f, arg, index, &spans));
                ran.store(FINISHED, Ordering::SeqCst);
            }
            ended.ended();
        });
        let ended = Arc::clone(&self.ended);
        Ok(Task::new(TaskKind::Handle(Box::new(ThreadTask { rx, got: RefCell::new(None), state, ended }))))
    }

    /// Runs `f` on every input; results in input order, the first failure (in
    /// input order) fails the call.
    ///
    /// ```
    /// let pool = parlab::ThreadPool::new(2).unwrap();
    /// assert_eq!(pool.map(|x: u64| x * 2, [1, 2, 3]).unwrap(), [2, 4, 6]);
    /// ```
    pub fn map<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        self.map_chunked(f, inputs, 1)
    }

    /// Like [`ThreadPool::map`], handing `chunk_size` tasks to a thread at a
    /// time and timing each chunk as one span.
    ///
    /// ```
    /// let pool = parlab::ThreadPool::new(2).unwrap();
    /// let halves = pool.map_chunked(|x: u64| x / 2, 0..100, 25).unwrap();
    /// assert_eq!(halves[99], 49);
    /// assert_eq!(pool.take_spans().len(), 4); // one span per chunk of 25
    /// ```
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
    ///
    /// ```
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(std::time::Duration::from_millis(ms));
    ///     ms
    /// }
    ///
    /// let pool = parlab::ThreadPool::new(2).unwrap();
    /// let order: Vec<usize> = pool.as_completed(nap, [1000, 0]).unwrap().map(|(i, _)| i).collect();
    /// assert_eq!(order, [1, 0]); // the short one first
    /// ```
    pub fn as_completed<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Completed<'_, R>>
    where
        A: Send + 'static,
        R: Send + 'static,
    {
        let (tx, rx) = channel();
        for (i, a) in inputs.into_iter().enumerate() {
            let (tx, spans, ended) = (tx.clone(), Arc::clone(&self.spans), Arc::clone(&self.ended));
            ended.started();
            self.pool.spawn(move || {
                let _ = tx.send((i, run_one(f, a, i, &spans)));
                ended.ended();
            });
        }
        Ok(Completed::new(rx.into_iter()))
    }
}

impl ThreadPool {
    /// Ends the pool: with [`Shutdown::Wait`], after every submitted task
    /// has run; with [`Shutdown::CancelPending`], tasks no thread has started
    /// are cancelled and the running ones finish. Python's `shutdown(wait=True,
    /// cancel_futures=...)`.
    ///
    /// ```
    /// use parlab::{Shutdown, ThreadPool};
    ///
    /// fn nap(ms: u64) -> u64 {
    ///     std::thread::sleep(std::time::Duration::from_millis(ms));
    ///     ms
    /// }
    ///
    /// let pool = ThreadPool::new(1).unwrap();
    /// drop(pool.submit(nap, 50).unwrap()); // its result is not wanted, but it runs
    /// pool.shutdown(Shutdown::Wait).unwrap();
    /// ```
    pub fn shutdown(self, mode: Shutdown) -> Result<()> {
        if mode == Shutdown::CancelPending {
            for state in self.submitted.lock().unwrap_or_else(|e| e.into_inner()).iter().filter_map(Weak::upgrade) {
                let _ = state.compare_exchange(PENDING, CANCELLED, Ordering::SeqCst, Ordering::SeqCst);
            }
        }
        loop {
            let news = self.ended.news();
            if self.ended.counts.lock().unwrap_or_else(|e| e.into_inner()).1 == 0 {
                return Ok(());
            }
            self.ended.wait(news, None);
        }
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
    // The pool's threads outlive the task: its tiny calls are told now.
    crate::witness::flush_tiny();
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
