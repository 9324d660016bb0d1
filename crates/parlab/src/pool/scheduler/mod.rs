//! The parent side of a pool: which chunk goes to which worker, and what
//! comes back.
//!
//! The parent runs no helper thread. Whenever it waits for a result it pumps
//! the pool: it sends queued work (several tiny chunks in flight per worker,
//! so a worker never waits for the parent between them) and reads replies
//! with `poll`. A chunk queued behind one that turns out long is also handed
//! to an idle worker; the two race to claim it ([`super::claims`]), so it
//! runs once, without waiting. A worker that dies shows as end of file on
//! its pipe; every pending task then fails with [`Error::BrokenPool`].
//!
//! Here: the state ([`Inner`]) and what a caller asks of it (where a task
//! stands, cancel it). In rooms of their own: sending work (`dispatch`),
//! taking replies in (`replies`), and the workers' lives (`lifecycle`).

mod dispatch;
mod lifecycle;
mod replies;

use super::claims::ClaimTable;
use super::mailbox::Mailboxes;
use crate::bulk::Bytes;
use crate::clock::now_ns;
use crate::error::{Error, ExitHow, Result, TaskFailure};
use crate::fork::ParentFd;
use crate::trace::Span;
use lifecycle::{start_worker, stop_worker};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet, VecDeque};
use std::os::fd::OwnedFd;
use std::rc::Rc;

/// Chunks a worker may hold unanswered: enough to hide a pipe round trip.
pub(in crate::pool) const MAX_CHUNKS_IN_FLIGHT: usize = 64;

/// The request bytes a worker may hold unanswered: small enough that a
/// write never blocks.
const MAX_BYTES_IN_FLIGHT: usize = 16 * 1024;

/// Task ids are consecutive numbers: a multiply spreads them over a hash
/// table at a fraction of SipHash's cost (the default hasher showed as an
/// eighth of the parent's time for a million tiny tasks).
#[derive(Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }
    fn write_u64(&mut self, id: u64) {
        self.0 = id.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by task id.
pub(super) type IdMap<V> = HashMap<u64, V, std::hash::BuildHasherDefault<IdHasher>>;
/// A set of task ids.
pub(super) type IdSet = HashSet<u64, std::hash::BuildHasherDefault<IdHasher>>;

/// The parent's view of one worker.
struct Worker {
    pid: Pid,
    to_worker: Option<ParentFd>,
    from_worker: Option<ParentFd>,
    /// Where the worker sends large results as files, and gets their files
    /// back ([`crate::bulk`]).
    files: ParentFd,
    /// Where large arguments go to the worker, as files.
    arguments: ParentFd,
    /// Results' files handed back since the worker last took them.
    spares_out: usize,
    /// Results' files taken off the channel before their replies were read.
    early_files: HashMap<u64, OwnedFd>,
    received: Vec<u8>,
    /// (first task id, request bytes) of each chunk sent, oldest first.
    in_flight: VecDeque<(u64, usize)>,
    bytes_in_flight: usize,
    /// When the chunk at the head of `in_flight` started (as far as the
    /// parent can tell: when the worker answered the one before it).
    head_since_ns: u64,
    exited: Option<ExitHow>,
    /// Tasks sent to it since it started (for the limit of tasks per worker).
    tasks_sent: usize,
}

/// A chunk waiting for a worker.
pub(super) struct Chunk {
    first_id: u64,
    /// How many tasks it holds.
    tasks: usize,
    /// The whole frame as it goes down the pipe: [`Chunk::HEADER`] bytes
    /// (its length and claim slot, filled in when it is sent), then the
    /// request's postcard. Built once, so sending it copies it once.
    frame: Vec<u8>,
    /// The arguments, when large: a sealed file each worker that takes the
    /// chunk is sent just before its frame (see [`crate::bulk`]).
    file: Option<Rc<OwnedFd>>,
}

impl Chunk {
    /// What the chunk weighs against a worker's bytes in flight: a file of
    /// arguments counts as a full load, so that a worker holds one at a time
    /// (each is a datagram on its channel, whose queue is short).
    fn weight(&self) -> usize {
        self.frame.len() + self.file.as_ref().map_or(0, |_| MAX_BYTES_IN_FLIGHT)
    }
}

impl Chunk {
    /// The frame's 4-byte length and 4-byte claim slot.
    pub(in crate::pool) const HEADER: usize = 8;
}

/// A chunk some worker holds: its claim slot, how many workers hold it, and
/// its frame while it may still be handed to another worker.
struct Sent {
    slot: u32,
    holders: usize,
    frame: Option<Vec<u8>>,
    file: Option<Rc<OwnedFd>>,
}

/// What became of a chunk.
pub(super) enum Outcome {
    /// The postcard of its `Vec<R>` (in the heap, or mapped from the
    /// worker's file), or why it has none.
    Done(Result<Bytes, TaskFailure>),
    Broken,
    Cancelled,
}

/// Why the pool broke: which worker died, its pid, how, and whether it held work.
#[derive(Debug, Clone)]
struct Broken {
    worker: usize,
    pid: i32,
    how: ExitHow,
    running_task: bool,
    /// What went wrong, when the worker said (its initializer failed) or
    /// the pool knows (it could not start a replacement).
    cause: Option<String>,
}

impl Broken {
    fn error(&self) -> Error {
        if let Some(cause) = &self.cause {
            return Error::WorkerFailed { worker: self.worker, pid: self.pid, cause: cause.clone() };
        }
        Error::BrokenPool {
            worker: self.worker,
            pid: self.pid,
            how: self.how.clone(),
            doing: if self.running_task { "while running a task" } else { "while idle" },
        }
    }
}

pub(super) struct Inner {
    workers: Vec<Worker>,
    queue: VecDeque<Chunk>,
    /// Finished chunks not yet taken (by first task id), with the time they ended.
    results: IdMap<(u64, Outcome)>,
    /// Chunks whose handle was dropped: their results are thrown away.
    discarded: IdSet,
    sent: IdMap<Sent>,
    claims: ClaimTable,
    mailboxes: Mailboxes,
    /// Reused buffer for a reply that wraps round its ring's end.
    scratch: Vec<u8>,
    /// Reused buffer for reading replies.
    read_buf: Vec<u8>,
    spans: Vec<Span>,
    dropped_spans: usize,
    broken: Option<Broken>,
    /// Running average of how long one chunk takes in a worker, in ns.
    chunk_ns: Option<f64>,
    next_id: u64,
    next_index: usize,
    /// How many chunks have ended (finished, failed or cancelled): a waiter
    /// compares it to see whether anything happened.
    ended: u64,
    settings: Settings,
    /// Initializers' failures, by worker, reported before the worker exits.
    init_failed: HashMap<usize, String>,
    /// The file of a large argument whose chunk has ended, for the next
    /// large argument to be written over (its pages are already made).
    spare_file: Option<OwnedFd>,
    /// How many results' files are kept open (see [`crate::bulk::Held`]).
    held_files: Rc<std::cell::Cell<usize>>,
}

/// How every worker of a pool is set up.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Settings {
    /// Run once in each worker before its first task.
    pub init: Option<fn()>,
    /// Tasks a worker runs before it is replaced by a new one.
    pub max_tasks: Option<usize>,
}

impl Inner {
    /// Starts `workers` workers (at least one).
    pub(super) fn start(workers: usize, settings: Settings) -> Result<Inner> {
        let n = workers.max(1);
        let claims = ClaimTable::new(n * MAX_CHUNKS_IN_FLIGHT * 2)?;
        let mailboxes = Mailboxes::new(n)?;
        let mut started: Vec<Worker> = Vec::with_capacity(n);
        // Checked and flushed once for all the workers: nothing runs in
        // between that could start a thread or print.
        let ready = crate::fork::ready_to_fork()?;
        for index in 0..n {
            match start_worker(&ready, index, &claims, &mailboxes, settings.init) {
                Ok(w) => started.push(w),
                Err(e) => {
                    for mut w in started {
                        stop_worker(&mut w);
                    }
                    return Err(e);
                }
            }
        }
        Ok(Inner {
            workers: started,
            queue: VecDeque::new(),
            results: IdMap::default(),
            discarded: IdSet::default(),
            sent: IdMap::default(),
            claims,
            mailboxes,
            scratch: Vec::new(),
            // Replies of 64 KiB and more come as files: this holds many smaller ones.
            read_buf: vec![0; 64 * 1024],
            spans: Vec::new(),
            dropped_spans: 0,
            broken: None,
            chunk_ns: None,
            next_id: 0,
            next_index: 0,
            ended: 0,
            settings,
            init_failed: HashMap::new(),
            spare_file: None,
            held_files: Rc::default(),
        })
    }

    /// A file to write a large argument over, if an earlier one is free.
    pub(in crate::pool) fn take_spare_file(&mut self) -> Option<OwnedFd> {
        self.spare_file.take()
    }

    /// Keeps the file of an ended chunk's arguments for the next one, when
    /// no worker holds it any more and it is not too large to keep.
    fn keep_spare_file(&mut self, file: Rc<OwnedFd>) {
        let size = |f: &OwnedFd| nix::sys::stat::fstat(f).map_or(u64::MAX, |st| st.st_size as u64);
        if let Ok(file) = Rc::try_unwrap(file)
            && size(&file) <= crate::bulk::REUSE_UP_TO
        {
            self.spare_file = Some(file);
        }
    }

    /// The workers' process ids, in worker order.
    pub(in crate::pool) fn pids(&self) -> Vec<i32> {
        self.workers.iter().map(|w| w.pid.as_raw()).collect()
    }

    /// The spans kept since the last take.
    pub(in crate::pool) fn take_spans(&mut self) -> Vec<Span> {
        self.dropped_spans = 0;
        std::mem::take(&mut self.spans)
    }

    /// Why the pool broke, if it did: what every task it could not run ends with.
    pub(in crate::pool) fn broken(&self) -> Option<Error> {
        self.broken.as_ref().map(Broken::error)
    }

    /// The number the next submitted task gets (its index in a timeline).
    pub(in crate::pool) fn next_index(&self) -> usize {
        self.next_index
    }

    /// Queues a chunk of `tasks` tasks, the first numbered `index`, whose
    /// frame `frame_for` builds from the chunk's id; returns that id.
    pub(in crate::pool) fn queue(
        &mut self,
        tasks: usize,
        index: usize,
        frame_for: impl FnOnce(u64) -> Result<Vec<u8>>,
        file: Option<Rc<OwnedFd>>,
    ) -> Result<u64> {
        let first_id = self.next_id;
        let frame = frame_for(first_id)?;
        self.queue.push_back(Chunk { first_id, tasks, frame, file });
        self.next_id += tasks as u64;
        self.next_index = self.next_index.max(index + tasks);
        Ok(first_id)
    }

    /// Takes how chunk `id` ended, if it has.
    pub(in crate::pool) fn take_result(&mut self, id: u64) -> Option<Outcome> {
        self.results.remove(&id).map(|(_, outcome)| outcome)
    }

    /// Whether chunk `id` ended in a failure.
    pub(in crate::pool) fn has_failed(&self, id: u64) -> bool {
        matches!(self.results.get(&id), Some((_, Outcome::Done(Err(_)) | Outcome::Broken)))
    }

    /// Of the chunks `ids`, the position of the one that ended first.
    pub(in crate::pool) fn first_ended(&self, ids: &[u64]) -> Option<usize> {
        ids.iter()
            .enumerate()
            .filter_map(|(pos, id)| self.results.get(id).map(|(end, _)| (*end, pos)))
            .min()
            .map(|m| m.1)
    }

    /// Nobody will take chunk `id`'s result: drop it, now or when it comes.
    pub(in crate::pool) fn discard(&mut self, id: u64) {
        if self.results.remove(&id).is_none() {
            self.discarded.insert(id);
        }
    }

    /// A count that grows whenever a chunk ends: a waiter compares it.
    pub(in crate::pool) fn news(&self) -> u64 {
        self.ended
    }

    /// Whether work is left that the pool can still do.
    pub(in crate::pool) fn working(&self) -> bool {
        self.broken.is_none() && self.busy()
    }

    /// Cancels every chunk still queued (none has reached a worker).
    pub(in crate::pool) fn cancel_queued(&mut self) {
        let queued: Vec<u64> = self.queue.drain(..).map(|chunk| chunk.first_id).collect();
        for id in queued {
            self.finish(id, 0, Outcome::Cancelled);
        }
    }

    /// Lets every worker go. One that has answered a chunk and holds none
    /// has nothing left to do or say (it flushed its output before its
    /// reply), so it is killed: that ends it sooner than waking it to exit
    /// (ten bare forked processes, idle, ended in 0.59 ms here when killed,
    /// in 0.84 ms when told by end of file). One that never had a task may
    /// still be running the pool's initializer: end of file on its requests
    /// lets it finish first.
    pub(in crate::pool) fn release(&mut self) {
        for w in &mut self.workers {
            w.to_worker = None;
            if w.exited.is_none() && w.tasks_sent > 0 && w.in_flight.is_empty() {
                let _ = nix::sys::signal::kill(w.pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
        for w in &mut self.workers {
            if w.exited.is_none() {
                w.exited = crate::os::reap(w.pid, true);
            }
            w.from_worker = None;
        }
    }

    /// Kills every worker still running and reaps it: all killed first,
    /// so that they end together, not one after the other.
    pub(in crate::pool) fn stop(&mut self) {
        for w in &mut self.workers {
            if w.exited.is_none() {
                let _ = nix::sys::signal::kill(w.pid, nix::sys::signal::Signal::SIGKILL);
            }
        }
        self.workers.iter_mut().for_each(stop_worker);
    }

    /// Sends queued work and takes in replies, waiting at most `limit` for a
    /// worker when nothing had arrived (`None`: until one answers).
    pub(in crate::pool) fn pump(&mut self, limit: Option<std::time::Duration>) -> Result<()> {
        let block = limit != Some(std::time::Duration::ZERO);
        // A worker that died since the last pump is seen before it is given
        // work: its death is then reported as it was (idle or not). Whatever
        // is read here is progress: the caller looks at it before waiting.
        let ready = self.poll_workers(Some(std::time::Duration::ZERO))?;
        let mut progressed = !ready.is_empty();
        for w in ready {
            self.read_worker(w)?;
        }
        progressed |= self.take_rings()?;
        self.dispatch();
        if self.broken.is_some() {
            return Ok(());
        }
        if !progressed {
            // Replies come through shared rings; a worker wakes the parent
            // through its pipe only when told it may be asleep.
            let arrived = self.may_sleep(block);
            let ready = if arrived { Ok(Vec::new()) } else { self.poll_workers(limit) };
            self.may_sleep(false);
            for w in ready? {
                self.read_worker(w)?;
            }
            self.take_rings()?;
        }
        self.rescue_stalled();
        self.retire_spent();
        self.dispatch();
        Ok(())
    }

    /// Whether any work is queued or running.
    fn busy(&self) -> bool {
        !self.queue.is_empty() || self.workers.iter().any(|w| !w.in_flight.is_empty())
    }

    /// Records how the chunk with first task `id` ended, at `end_ns`.
    fn finish(&mut self, id: u64, end_ns: u64, outcome: Outcome) {
        self.results.insert(id, (end_ns, outcome));
        self.ended += 1;
    }

    /// Where the chunk with first task `id` stands.
    pub(super) fn state_of(&self, id: u64) -> crate::executor::TaskState {
        use crate::executor::TaskState;
        match self.results.get(&id) {
            Some((_, Outcome::Cancelled)) => TaskState::Cancelled,
            Some(_) => TaskState::Finished,
            None => match self.sent.get(&id) {
                Some(sent) if self.claims.claimed(sent.slot) => TaskState::Running,
                _ => TaskState::Pending,
            },
        }
    }

    /// Cancels the chunk with first task `id` if no worker has started it:
    /// a queued chunk leaves the queue; a chunk sent but not yet claimed is
    /// claimed by the parent, so the worker that reads it skips it.
    pub(super) fn cancel(&mut self, id: u64) -> bool {
        let cancelled = if let Some(pos) = self.queue.iter().position(|c| c.first_id == id) {
            self.queue.remove(pos);
            true
        } else {
            self.sent.get(&id).is_some_and(|sent| self.claims.claim(sent.slot))
        };
        if cancelled {
            self.finish(id, now_ns(), Outcome::Cancelled);
        }
        cancelled || matches!(self.results.get(&id), Some((_, Outcome::Cancelled)))
    }
}
