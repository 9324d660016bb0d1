//! A pool of worker processes started once and reused: Python's
//! `ProcessPoolExecutor`, without its hang when a worker dies.
//!
//! Tasks are plain functions (`fn(A) -> R`). A worker is a `fork` of the
//! pool's creator, so a function's address means the same code in the worker
//! as in the parent: the pool sends that address and the bincode of the
//! argument, and the worker sends back the bincode of the result.
//!
//! The parent runs no helper thread. Whenever it waits for a result it pumps
//! the pool: it sends queued work (several tasks in flight per worker, so a
//! worker never waits for the parent between tiny tasks) and reads replies
//! with `poll`. A worker that dies shows as end of file on its pipe; every
//! pending task then fails with [`Error::BrokenPool`], naming the worker and
//! the signal, and the other workers are stopped. Nothing ever hangs on a dead
//! worker.

use crate::error::{Error, ExitHow, Result, TaskFailure, os};
use crate::fork::{fork_child, register_parent_fd, unregister_parent_fd};
use crate::process::{panic_message, reap};
use crate::trace::Span;
use crate::wire;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::marker::PhantomData;
use std::os::fd::{AsFd, AsRawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Chunks a worker may hold unanswered, and the request bytes they may take:
/// enough to hide a pipe round trip, small enough that a write never blocks.
const MAX_CHUNKS_IN_FLIGHT: usize = 64;
const MAX_BYTES_IN_FLIGHT: usize = 16 * 1024;

/// Work a worker should have queued to hide one round trip through the
/// parent (a pipe round trip across CPUs is about 40 µs): tiny chunks need
/// many queued.
const QUEUED_WORK_NS: f64 = 200_000.0;
/// Chunks at least this long run one at a time per worker: the round trip is
/// under 5% of them, and load balance matters more.
const LONG_CHUNK_NS: f64 = 1_000_000.0;

/// Runs one chunk in a worker: decodes the arguments, calls the function at
/// `func` on each, encodes the results as one `Vec<R>`, and times the chunk
/// as one span covering its tasks. A panic fails the chunk: `map`
/// fails on the first error anyway, and a submitted task is a chunk of one.
/// One instance per (argument, result) type.
type Trampoline = fn(usize, &[u8], usize, usize) -> (Result<Vec<u8>, TaskFailure>, Span);

fn run_chunk<A: DeserializeOwned, R: Serialize>(
    func: usize,
    args: &[u8],
    first_index: usize,
    worker: usize,
) -> (Result<Vec<u8>, TaskFailure>, Span) {
    // SAFETY: `func` is the address of an `fn(A) -> R` taken in the process
    // this worker was forked from, so the same code sits at the same address.
    let f: fn(A) -> R = unsafe { std::mem::transmute::<usize, fn(A) -> R>(func) };
    let mut tasks = 0;
    let (encoded, mut span) = Span::measure(first_index, worker, || {
        let args: Vec<A> = wire::decode(args).map_err(|e| TaskFailure::Codec(e.to_string()))?;
        tasks = args.len();
        let results: Vec<R> = catch_unwind(AssertUnwindSafe(|| args.into_iter().map(f).collect()))
            .map_err(|p| TaskFailure::Panicked(panic_message(&*p)))?;
        wire::encode(&results).map_err(|e| TaskFailure::Codec(e.to_string()))
    });
    span.tasks = tasks;
    (encoded, span)
}

#[derive(Serialize, Deserialize)]
struct Request {
    first_id: u64,
    first_index: usize,
    trampoline: usize,
    func: usize,
    /// bincode of the chunk's `Vec<A>`, sent as one block of bytes.
    #[serde(with = "serde_bytes")]
    args: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Reply {
    first_id: u64,
    /// bincode of the chunk's `Vec<R>`; empty when `failure` is set.
    #[serde(with = "serde_bytes")]
    results: Vec<u8>,
    failure: Option<TaskFailure>,
    span: Span,
}

/// How [`ProcessPool::shutdown`] treats work that has not finished.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shutdown {
    /// Run every submitted task to its end, then stop the workers.
    Wait,
    /// Drop tasks no worker has started; let running ones finish.
    CancelPending,
}

/// A fixed set of worker processes that run submitted functions.
///
/// Dropping the pool kills its workers at once and reaps them (no zombie, no
/// stray process); call [`ProcessPool::shutdown`] to let work finish first.
pub struct ProcessPool {
    inner: RefCell<Inner>,
}

struct Worker {
    pid: Pid,
    to_worker: Option<File>,
    from_worker: Option<File>,
    received: Vec<u8>,
    /// (first task id, request bytes) of each chunk sent, oldest first.
    in_flight: VecDeque<(u64, usize)>,
    bytes_in_flight: usize,
    exited: Option<ExitHow>,
}

struct Chunk {
    first_id: u64,
    frame: Vec<u8>,
}

/// What became of a chunk.
enum Outcome {
    /// The bincode of its `Vec<R>`, or why it has none.
    Done(Result<Vec<u8>, TaskFailure>),
    Broken,
    Cancelled,
}

struct Inner {
    workers: Vec<Worker>,
    queue: VecDeque<Chunk>,
    /// Finished chunks not yet taken (by first task id), with the time they ended.
    results: HashMap<u64, (u64, Outcome)>,
    /// Chunks whose handle was dropped: their results are thrown away.
    discarded: HashSet<u64>,
    /// Reused buffer for reading replies.
    read_buf: Vec<u8>,
    spans: Vec<Span>,
    broken: Option<(usize, i32, ExitHow)>,
    /// Running average of how long one chunk takes in a worker, in ns.
    chunk_ns: Option<f64>,
    next_id: u64,
    next_index: usize,
}

impl ProcessPool {
    /// Starts `workers` worker processes (at least one).
    ///
    /// Fails with [`Error::MultiThreaded`] if this process has other threads.
    pub fn new(workers: usize) -> Result<ProcessPool> {
        let mut started: Vec<Worker> = Vec::new();
        for index in 0..workers.max(1) {
            match start_worker(index) {
                Ok(w) => started.push(w),
                Err(e) => {
                    for mut w in started {
                        stop_worker(&mut w);
                    }
                    return Err(e);
                }
            }
        }
        Ok(ProcessPool {
            inner: RefCell::new(Inner {
                workers: started,
                queue: VecDeque::new(),
                results: HashMap::new(),
                discarded: HashSet::new(),
                read_buf: vec![0; 256 * 1024],
                spans: Vec::new(),
                broken: None,
                chunk_ns: None,
                next_id: 0,
                next_index: 0,
            }),
        })
    }

    /// A pool with one worker per usable CPU, like Python's default
    /// (`os.cpu_count()`), but counting affinity and cgroup limits too.
    pub fn with_default_size() -> Result<ProcessPool> {
        ProcessPool::new(crate::sys::Cpus::detect().usable)
    }

    /// Number of workers.
    pub fn size(&self) -> usize {
        self.inner.borrow().workers.len()
    }

    /// The workers' process ids, in worker order.
    pub fn pids(&self) -> Vec<i32> {
        self.inner.borrow().workers.iter().map(|w| w.pid.as_raw()).collect()
    }

    /// Spans of every task that finished so far, taken out of the pool.
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut self.inner.borrow_mut().spans)
    }

    /// Queues `f(arg)` and returns a handle to wait for its result.
    pub fn submit<A, R>(&self, f: fn(A) -> R, arg: A) -> Result<PoolTask<'_, R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        let index = self.inner.borrow().next_index;
        let chunks = self.enqueue(f, std::iter::once(arg), 1, index)?;
        self.pump(false)?;
        Ok(PoolTask { pool: self, id: chunks[0], taken: false, _result: PhantomData })
    }

    /// Runs `f` on every input and returns the results in input order; the
    /// first failed task (in input order) makes the whole call fail.
    pub fn map<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        self.map_chunked(f, inputs, 1)
    }

    /// Like [`ProcessPool::map`], sending `chunk_size` tasks per message:
    /// for many tiny tasks, where one message per task costs more than the task.
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
    pub fn as_completed<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<AsCompleted<'_, R>>
    where
        A: Serialize + DeserializeOwned,
        R: Serialize + DeserializeOwned,
    {
        let pending = self.enqueue(f, inputs, 1, 0)?;
        let first = pending.first().copied().unwrap_or(0);
        self.pump(false)?;
        Ok(AsCompleted { pool: self, first, pending, _result: PhantomData })
    }

    /// Stops the pool: with [`Shutdown::Wait`] after every submitted task
    /// ran, with [`Shutdown::CancelPending`] after the running ones did.
    pub fn shutdown(self, mode: Shutdown) -> Result<()> {
        {
            let mut inner = self.inner.borrow_mut();
            if mode == Shutdown::CancelPending {
                let inner = &mut *inner;
                for chunk in inner.queue.drain(..) {
                    inner.results.insert(chunk.first_id, (0, Outcome::Cancelled));
                }
            }
        }
        loop {
            let busy = {
                let inner = self.inner.borrow();
                inner.broken.is_none()
                    && (!inner.queue.is_empty() || inner.workers.iter().any(|w| !w.in_flight.is_empty()))
            };
            if !busy {
                break;
            }
            self.pump(true)?;
        }
        let mut inner = self.inner.borrow_mut();
        for w in &mut inner.workers {
            // End of file on its request pipe tells a worker to exit.
            if let Some(tx) = w.to_worker.take() {
                unregister_parent_fd(tx.as_raw_fd());
            }
        }
        for w in &mut inner.workers {
            if w.exited.is_none() {
                w.exited = reap(w.pid, true);
            }
            if let Some(rx) = w.from_worker.take() {
                unregister_parent_fd(rx.as_raw_fd());
            }
        }
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
        if let Some((worker, pid, how)) = &inner.broken {
            return Err(Error::BrokenPool { worker: *worker, pid: *pid, how: how.clone() });
        }
        let tramp: Trampoline = run_chunk::<A, R>;
        let mut index = first_index;
        let mut ids = Vec::new();
        let mut chunk: Vec<A> = Vec::with_capacity(chunk_size.max(1));
        let mut inputs = inputs.into_iter().peekable();
        while inputs.peek().is_some() {
            chunk.clear();
            chunk.extend(inputs.by_ref().take(chunk_size.max(1)));
            let count = chunk.len();
            let first_id = inner.next_id;
            let request = Request {
                first_id,
                first_index: index,
                trampoline: tramp as usize,
                func: f as usize,
                args: wire::encode(&chunk)?,
            };
            let mut frame = Vec::new();
            wire::push_frame(&mut frame, &request)?;
            inner.queue.push_back(Chunk { first_id, frame });
            ids.push(first_id);
            inner.next_id += count as u64;
            index += count;
        }
        inner.next_index = inner.next_index.max(index);
        Ok(ids)
    }

    /// Waits for chunk `id` and takes its results.
    fn wait_for<R: DeserializeOwned>(&self, id: u64) -> Result<Vec<R>> {
        loop {
            let finished = self.inner.borrow_mut().results.remove(&id);
            if let Some((_, outcome)) = finished {
                return self.decode(outcome);
            }
            self.pump(true)?;
        }
    }

    fn decode<R: DeserializeOwned>(&self, outcome: Outcome) -> Result<Vec<R>> {
        match outcome {
            Outcome::Done(Ok(bytes)) => wire::decode(&bytes),
            Outcome::Done(Err(failure)) => Err(failure.into()),
            Outcome::Cancelled => Err(Error::Cancelled),
            Outcome::Broken => {
                let (worker, pid, how) =
                    self.inner.borrow().broken.clone().expect("broken outcome implies a broken pool");
                Err(Error::BrokenPool { worker, pid, how })
            }
        }
    }

    /// Sends queued work and reads replies; with `block`, waits until at
    /// least one worker has said something.
    fn pump(&self, block: bool) -> Result<()> {
        let mut inner = self.inner.borrow_mut();
        inner.dispatch();
        if inner.broken.is_some() {
            return Ok(());
        }
        let readable = inner.poll_workers(block)?;
        for w in readable {
            inner.read_worker(w)?;
        }
        Ok(())
    }
}

impl Inner {
    /// Gives queued chunks to the workers with the least work in flight.
    fn dispatch(&mut self) {
        // Long chunks: one at a time, so work goes to whichever worker frees
        // up first (queuing ahead would commit a chunk to a worker before
        // anyone knows who finishes first), and a round trip is a small
        // share of a chunk. Short chunks: enough queued behind the running
        // one to cover a round trip through the parent.
        let depth = match self.chunk_ns {
            Some(ns) if ns < LONG_CHUNK_NS => {
                (1 + (QUEUED_WORK_NS / ns.max(1.0)).ceil() as usize).min(MAX_CHUNKS_IN_FLIGHT)
            }
            _ => 1,
        };
        let mut outgoing: Vec<Vec<u8>> = vec![Vec::new(); self.workers.len()];
        while let Some(chunk) = self.queue.front() {
            let target = self
                .workers
                .iter()
                .enumerate()
                .filter(|(_, w)| w.exited.is_none() && w.to_worker.is_some())
                .filter(|(_, w)| {
                    w.in_flight.is_empty()
                        || (w.in_flight.len() < depth && w.bytes_in_flight + chunk.frame.len() <= MAX_BYTES_IN_FLIGHT)
                })
                .min_by_key(|(_, w)| w.in_flight.len())
                .map(|(i, _)| i);
            let Some(i) = target else { break };
            let chunk = self.queue.pop_front().expect("front exists");
            let w = &mut self.workers[i];
            w.in_flight.push_back((chunk.first_id, chunk.frame.len()));
            w.bytes_in_flight += chunk.frame.len();
            outgoing[i].extend_from_slice(&chunk.frame);
        }
        for (w, bytes) in self.workers.iter_mut().zip(outgoing) {
            if let (false, Some(tx)) = (bytes.is_empty(), w.to_worker.as_mut()) {
                // A dead worker shows up as end of file on its reply pipe;
                // that path reports it, so a failed write needs nothing here.
                let _ = tx.write_all(&bytes);
            }
        }
    }

    /// Indices of workers with something to read (or a closed pipe).
    fn poll_workers(&self, block: bool) -> Result<Vec<usize>> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let live: Vec<usize> = (0..self.workers.len()).filter(|&i| self.workers[i].from_worker.is_some()).collect();
        if live.is_empty() {
            return Ok(Vec::new());
        }
        let mut fds: Vec<PollFd> = live
            .iter()
            .map(|&i| PollFd::new(self.workers[i].from_worker.as_ref().expect("live").as_fd(), PollFlags::POLLIN))
            .collect();
        let timeout = if block { PollTimeout::NONE } else { PollTimeout::ZERO };
        loop {
            match poll(&mut fds, timeout) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::Os { what: "poll", source: e }),
            }
        }
        Ok(live
            .into_iter()
            .zip(fds)
            .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect())
    }

    fn read_worker(&mut self, i: usize) -> Result<()> {
        let w = &mut self.workers[i];
        let Some(rx) = w.from_worker.as_mut() else { return Ok(()) };
        let n = match rx.read(&mut self.read_buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
            Err(_) => 0,
        };
        if n == 0 {
            self.worker_died(i);
            return Ok(());
        }
        w.received.extend_from_slice(&self.read_buf[..n]);
        let replies: Vec<Reply> = wire::drain_frames(&mut w.received)?;
        for reply in replies {
            let w = &mut self.workers[i];
            if let Some(pos) = w.in_flight.iter().position(|c| c.0 == reply.first_id) {
                let (_, bytes) = w.in_flight.remove(pos).expect("position is valid");
                w.bytes_in_flight -= bytes;
            }
            let chunk_ns = (reply.span.end_ns - reply.span.start_ns) as f64;
            self.chunk_ns = Some(self.chunk_ns.map_or(chunk_ns, |avg| 0.8 * avg + 0.2 * chunk_ns));
            let end = reply.span.end_ns;
            self.spans.push(reply.span);
            if !self.discarded.remove(&reply.first_id) {
                let done = match reply.failure {
                    Some(failure) => Err(failure),
                    None => Ok(reply.results),
                };
                self.results.insert(reply.first_id, (end, Outcome::Done(done)));
            }
        }
        Ok(())
    }

    /// A worker's pipe closed: it died. The pool is broken from now on.
    fn worker_died(&mut self, i: usize) {
        let w = &mut self.workers[i];
        if let Some(rx) = w.from_worker.take() {
            unregister_parent_fd(rx.as_raw_fd());
        }
        let how = reap(w.pid, true).unwrap_or(ExitHow::Code(-1));
        w.exited = Some(how.clone());
        self.broken = Some((i, w.pid.as_raw(), how));
        let mut pending: Vec<u64> = Vec::new();
        for w in &mut self.workers {
            pending.extend(w.in_flight.drain(..).map(|(first, _)| first));
            w.bytes_in_flight = 0;
            stop_worker(w);
        }
        pending.extend(self.queue.drain(..).map(|chunk| chunk.first_id));
        for id in pending {
            if !self.discarded.remove(&id) {
                self.results.insert(id, (u64::MAX, Outcome::Broken));
            }
        }
    }
}

impl Drop for ProcessPool {
    fn drop(&mut self) {
        for w in &mut self.inner.borrow_mut().workers {
            stop_worker(w);
        }
    }
}

/// Kills a worker if it still runs, reaps it and closes its pipes.
fn stop_worker(w: &mut Worker) {
    for f in [w.to_worker.take(), w.from_worker.take()].into_iter().flatten() {
        unregister_parent_fd(f.as_raw_fd());
    }
    if w.exited.is_none() {
        let _ = kill(w.pid, Signal::SIGKILL);
        w.exited = reap(w.pid, true);
    }
}

fn start_worker(index: usize) -> Result<Worker> {
    let (req_read, req_write) = nix::unistd::pipe().map_err(os("pipe"))?;
    let (rep_read, rep_write) = nix::unistd::pipe().map_err(os("pipe"))?;
    let (to_worker, from_worker) = (File::from(req_write), File::from(rep_read));
    register_parent_fd(to_worker.as_raw_fd())?;
    if let Err(e) = register_parent_fd(from_worker.as_raw_fd()) {
        unregister_parent_fd(to_worker.as_raw_fd());
        return Err(e);
    }
    let child = fork_child(move || worker_main(index, File::from(req_read), File::from(rep_write)));
    match child {
        Ok(pid) => Ok(Worker {
            pid,
            to_worker: Some(to_worker),
            from_worker: Some(from_worker),
            received: Vec::new(),
            in_flight: VecDeque::new(),
            bytes_in_flight: 0,
            exited: None,
        }),
        Err(e) => {
            unregister_parent_fd(to_worker.as_raw_fd());
            unregister_parent_fd(from_worker.as_raw_fd());
            Err(e)
        }
    }
}

/// The worker's loop: read a chunk, run its tasks, send their results.
/// Replies are flushed once no further request is already buffered, so a
/// burst of tiny tasks costs few system calls.
fn worker_main(index: usize, requests: File, replies: File) -> i32 {
    let mut reader = BufReader::with_capacity(64 * 1024, requests);
    let mut writer = BufWriter::with_capacity(64 * 1024, replies);
    loop {
        let request: Request = match wire::read_frame(&mut reader) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(_) => return 4,
        };
        // SAFETY: the parent took this address from a `Trampoline` before
        // forking this worker (see `run_chunk`).
        let tramp: Trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(request.trampoline) };
        let (results, span) = tramp(request.func, &request.args, request.first_index, index);
        let (results, failure) = match results {
            Ok(bytes) => (bytes, None),
            Err(f) => (Vec::new(), Some(f)),
        };
        if wire::write_frame(&mut writer, &Reply { first_id: request.first_id, results, failure, span }).is_err() {
            return 5;
        }
        if reader.buffer().is_empty() && writer.flush().is_err() {
            return 5;
        }
    }
    if writer.flush().is_err() { 5 } else { 0 }
}

/// A submitted task; [`PoolTask::wait`] returns its result.
pub struct PoolTask<'p, R> {
    pool: &'p ProcessPool,
    id: u64,
    taken: bool,
    _result: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned> PoolTask<'_, R> {
    /// Waits for the task and returns its value, or why it has none.
    pub fn wait(mut self) -> Result<R> {
        self.taken = true;
        self.pool.wait_for(self.id)?.pop().ok_or_else(|| Error::Codec("a task came back without its result".into()))
    }
}

impl<R> Drop for PoolTask<'_, R> {
    fn drop(&mut self) {
        if !self.taken {
            let mut inner = self.pool.inner.borrow_mut();
            if inner.results.remove(&self.id).is_none() {
                inner.discarded.insert(self.id);
            }
        }
    }
}

/// Results in the order tasks finish: `(input index, result)`.
pub struct AsCompleted<'p, R> {
    pool: &'p ProcessPool,
    first: u64,
    pending: Vec<u64>,
    _result: PhantomData<fn() -> R>,
}

impl<R: DeserializeOwned> Iterator for AsCompleted<'_, R> {
    type Item = (usize, Result<R>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pending.is_empty() {
                return None;
            }
            let done = {
                let inner = self.pool.inner.borrow();
                self.pending
                    .iter()
                    .enumerate()
                    .filter_map(|(pos, id)| inner.results.get(id).map(|(end, _)| (*end, pos)))
                    .min()
            };
            if let Some((_, pos)) = done {
                let id = self.pending.swap_remove(pos);
                let finished = self.pool.inner.borrow_mut().results.remove(&id);
                let (_, outcome) = finished.expect("just seen");
                let result = self.pool.decode(outcome).and_then(|mut v: Vec<R>| {
                    v.pop().ok_or_else(|| Error::Codec("a task came back without its result".into()))
                });
                return Some(((id - self.first) as usize, result));
            }
            if let Err(e) = self.pool.pump(true) {
                self.pending.clear();
                return Some((0, Err(e)));
            }
        }
    }
}

impl<R> Drop for AsCompleted<'_, R> {
    fn drop(&mut self) {
        let mut inner = self.pool.inner.borrow_mut();
        for id in self.pending.drain(..) {
            if inner.results.remove(&id).is_none() {
                inner.discarded.insert(id);
            }
        }
    }
}
