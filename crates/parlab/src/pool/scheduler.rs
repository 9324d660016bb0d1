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

use super::claims::ClaimTable;
use super::mailbox::Mailboxes;
use super::worker::{INIT_FAILED, Reply, worker_main};
use crate::clock::now_ns;
use crate::error::{Error, ExitHow, Result, TaskFailure, os};
use crate::fork::{fork_child, register_parent_fd, unregister_parent_fd};
use crate::os::reap;
use crate::trace::Span;
use crate::wire;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd};

/// Chunks a worker may hold unanswered, and the request bytes they may take:
/// enough to hide a pipe round trip, small enough that a write never blocks.
pub(super) const MAX_CHUNKS_IN_FLIGHT: usize = 64;
const MAX_BYTES_IN_FLIGHT: usize = 16 * 1024;

/// Work a worker should have queued to hide one round trip through the
/// parent (a pipe round trip across CPUs is about 40 µs): tiny chunks need
/// many queued.
const QUEUED_WORK_NS: f64 = 200_000.0;
/// Chunks at least this long run one at a time per worker: the round trip is
/// under 5% of them, and load balance matters more.
const LONG_CHUNK_NS: f64 = 1_000_000.0;
/// A running chunk counts as stalled (and the chunks queued behind it go to
/// idle workers too) after this long, or ten average chunks if longer.
const STALLED_NS: f64 = 1_000_000.0;
/// Spans a pool keeps until they are taken: enough for any timeline worth
/// drawing, bounded so that millions of tiny tasks cost no memory.
const MAX_SPANS: usize = 100_000;

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
pub(super) struct Worker {
    pub pid: Pid,
    pub to_worker: Option<File>,
    pub from_worker: Option<File>,
    received: Vec<u8>,
    /// (first task id, request bytes) of each chunk sent, oldest first.
    pub in_flight: VecDeque<(u64, usize)>,
    bytes_in_flight: usize,
    /// When the chunk at the head of `in_flight` started (as far as the
    /// parent can tell: when the worker answered the one before it).
    head_since_ns: u64,
    pub exited: Option<ExitHow>,
    /// Tasks sent to it since it started (for the limit of tasks per worker).
    tasks_sent: usize,
}

/// A chunk waiting for a worker.
pub(super) struct Chunk {
    pub first_id: u64,
    /// How many tasks it holds.
    pub tasks: usize,
    /// The whole frame as it goes down the pipe: [`Chunk::HEADER`] bytes
    /// (its length and claim slot, filled in when it is sent), then the
    /// request's postcard. Built once, so sending it copies it once.
    pub frame: Vec<u8>,
}

impl Chunk {
    /// The frame's 4-byte length and 4-byte claim slot.
    pub const HEADER: usize = 8;
}

/// A chunk some worker holds: its claim slot, how many workers hold it, and
/// its frame while it may still be handed to another worker.
struct Sent {
    slot: u32,
    holders: usize,
    frame: Option<Vec<u8>>,
}

/// What became of a chunk.
pub(super) enum Outcome {
    /// The postcard of its `Vec<R>`, or why it has none.
    Done(Result<Vec<u8>, TaskFailure>),
    Broken,
    Cancelled,
}

/// Why the pool broke: which worker died, its pid, how, and whether it held work.
#[derive(Debug, Clone)]
pub(super) struct Broken {
    pub worker: usize,
    pub pid: i32,
    pub how: ExitHow,
    pub running_task: bool,
    /// What went wrong, when the worker said (its initializer failed) or
    /// the pool knows (it could not start a replacement).
    pub cause: Option<String>,
}

impl Broken {
    pub(super) fn error(&self) -> Error {
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
    pub workers: Vec<Worker>,
    pub queue: VecDeque<Chunk>,
    /// Finished chunks not yet taken (by first task id), with the time they ended.
    pub results: IdMap<(u64, Outcome)>,
    /// Chunks whose handle was dropped: their results are thrown away.
    pub discarded: IdSet,
    sent: IdMap<Sent>,
    claims: ClaimTable,
    mailboxes: Mailboxes,
    /// Reused buffer for a reply that wraps round its ring's end.
    scratch: Vec<u8>,
    /// Reused buffer for reading replies.
    read_buf: Vec<u8>,
    pub spans: Vec<Span>,
    pub dropped_spans: usize,
    pub broken: Option<Broken>,
    /// Running average of how long one chunk takes in a worker, in ns.
    chunk_ns: Option<f64>,
    pub next_id: u64,
    pub next_index: usize,
    /// How many chunks have ended (finished, failed or cancelled): a waiter
    /// compares it to see whether anything happened.
    pub ended: u64,
    pub settings: Settings,
    /// Initializers' failures, by worker, reported before the worker exits.
    init_failed: HashMap<usize, String>,
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
        let mut started: Vec<Worker> = Vec::new();
        for index in 0..n {
            match start_worker(index, &claims, &mailboxes, settings.init) {
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
            read_buf: vec![0; 256 * 1024],
            spans: Vec::new(),
            dropped_spans: 0,
            broken: None,
            chunk_ns: None,
            next_id: 0,
            next_index: 0,
            ended: 0,
            settings,
            init_failed: HashMap::new(),
        })
    }

    /// Whether any work is queued or running.
    pub(super) fn busy(&self) -> bool {
        !self.queue.is_empty() || self.workers.iter().any(|w| !w.in_flight.is_empty())
    }

    /// Records how the chunk with first task `id` ended, at `end_ns`.
    pub(super) fn finish(&mut self, id: u64, end_ns: u64, outcome: Outcome) {
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

    /// Gives queued chunks to the workers with the least work in flight.
    pub(super) fn dispatch(&mut self) {
        // Long chunks: one at a time, so work goes to whichever worker frees
        // up first. Short chunks: enough queued behind the running one to
        // cover a round trip through the parent.
        let depth = match self.chunk_ns {
            Some(ns) if ns < LONG_CHUNK_NS => {
                (1 + (QUEUED_WORK_NS / ns.max(1.0)).ceil() as usize).min(MAX_CHUNKS_IN_FLIGHT)
            }
            _ => 1,
        };
        let now = now_ns();
        // A worker is topped up once half its queue has drained, not after
        // every reply: one write then carries many requests, and one read
        // in the worker takes them all.
        let refill: Vec<bool> = self.workers.iter().map(|w| w.in_flight.len() <= depth / 2).collect();
        let mut outgoing: Vec<Vec<u8>> = vec![Vec::new(); self.workers.len()];
        while let Some(chunk) = self.queue.front() {
            let size = chunk.frame.len();
            let target = self
                .workers
                .iter()
                .enumerate()
                .filter(|(i, w)| w.exited.is_none() && w.to_worker.is_some() && refill[*i])
                .filter(|(_, w)| self.settings.max_tasks.is_none_or(|max| w.tasks_sent < max))
                .filter(|(_, w)| {
                    w.in_flight.is_empty()
                        || (w.in_flight.len() < depth && w.bytes_in_flight + size <= MAX_BYTES_IN_FLIGHT)
                })
                .min_by_key(|(_, w)| w.in_flight.len())
                .map(|(i, _)| i);
            let Some(i) = target else { break };
            let Some(slot) = self.claims.take() else { break };
            let Chunk { first_id, tasks, mut frame } = self.queue.pop_front().expect("front exists");
            // The length counts the claim slot and the request.
            let Ok(len) = u32::try_from(frame.len() - 4) else {
                self.claims.give_back(slot);
                let failure = TaskFailure::Codec(wire::too_large(frame.len() - Chunk::HEADER).to_string());
                self.finish(first_id, now, Outcome::Done(Err(failure)));
                continue;
            };
            frame[..4].copy_from_slice(&len.to_le_bytes());
            frame[4..Chunk::HEADER].copy_from_slice(&slot.to_le_bytes());
            let w = &mut self.workers[i];
            if w.in_flight.is_empty() {
                w.head_since_ns = now;
            }
            w.in_flight.push_back((first_id, frame.len()));
            w.bytes_in_flight += frame.len();
            w.tasks_sent += tasks;
            outgoing[i].extend_from_slice(&frame);
            // A chunk queued behind another may be handed on later: keep its frame.
            let keep = (w.in_flight.len() > 1).then_some(frame);
            self.sent.insert(first_id, Sent { slot, holders: 1, frame: keep });
        }
        for (w, bytes) in self.workers.iter_mut().zip(outgoing) {
            if let (false, Some(tx)) = (bytes.is_empty(), w.to_worker.as_mut()) {
                // A dead worker shows up as end of file on its reply pipe;
                // that path reports it, so a failed write needs nothing here.
                let _ = tx.write_all(&bytes);
            }
        }
    }

    /// Tells every worker that has run its share of tasks, and holds no
    /// more, to exit (end of file on its requests); it is replaced when its
    /// reply pipe closes ([`Inner::read_worker`]).
    pub(super) fn retire_spent(&mut self) {
        let Some(max) = self.settings.max_tasks else { return };
        for w in &mut self.workers {
            if w.tasks_sent >= max
                && w.in_flight.is_empty()
                && w.exited.is_none()
                && let Some(tx) = w.to_worker.take()
            {
                unregister_parent_fd(tx.as_raw_fd());
            }
        }
    }

    /// Starts a new worker in place of worker `i`, which exited as told.
    fn replace(&mut self, i: usize) {
        let w = &mut self.workers[i];
        if let Some(rx) = w.from_worker.take() {
            unregister_parent_fd(rx.as_raw_fd());
        }
        let how = reap(w.pid, true).unwrap_or(ExitHow::Code(-1));
        let old = w.pid.as_raw();
        if how != ExitHow::Code(0) {
            w.exited = Some(how);
            self.break_pool(i, None);
            return;
        }
        match start_worker(i, &self.claims, &self.mailboxes, self.settings.init) {
            Ok(new) => self.workers[i] = new,
            Err(e) => {
                self.workers[i].exited = Some(how);
                let cause = format!("ran its {} tasks and could not be replaced: {e}", self.workers[i].tasks_sent);
                self.workers[i].pid = nix::unistd::Pid::from_raw(old);
                self.break_pool(i, Some(cause));
            }
        }
    }

    /// How long a running chunk may go before the chunks queued behind it
    /// are handed to idle workers too.
    fn stall_ns(&self) -> u64 {
        STALLED_NS.max(10.0 * self.chunk_ns.unwrap_or(0.0)) as u64
    }

    /// Hands the chunks queued behind a stalled one to idle workers: the
    /// first of the two to claim a chunk runs it.
    pub(super) fn rescue_stalled(&mut self) {
        let (now, stall) = (now_ns(), self.stall_ns());
        for s in 0..self.workers.len() {
            let w = &self.workers[s];
            if w.in_flight.len() < 2 || now.saturating_sub(w.head_since_ns) < stall {
                continue;
            }
            let queued: Vec<u64> = w.in_flight.iter().skip(1).map(|c| c.0).collect();
            for id in queued {
                let Some(frame) = self.sent.get_mut(&id).and_then(|c| c.frame.take()) else { continue };
                let idle = (0..self.workers.len()).find(|&t| {
                    let w = &self.workers[t];
                    t != s && w.in_flight.is_empty() && w.exited.is_none() && w.to_worker.is_some()
                });
                let Some(t) = idle else {
                    self.sent.get_mut(&id).expect("just seen").frame = Some(frame);
                    return;
                };
                let w = &mut self.workers[t];
                if let Some(tx) = w.to_worker.as_mut() {
                    let _ = tx.write_all(&frame);
                }
                w.head_since_ns = now;
                w.in_flight.push_back((id, frame.len()));
                w.bytes_in_flight += frame.len();
                self.sent.get_mut(&id).expect("just seen").holders += 1;
            }
        }
    }

    /// How long to wait in `poll` before looking for stalled chunks again.
    fn next_stall_check_ms(&self) -> Option<u64> {
        let (now, stall) = (now_ns(), self.stall_ns());
        let any_idle = self.workers.iter().any(|w| w.in_flight.is_empty() && w.exited.is_none());
        let rescuable =
            |w: &&Worker| w.in_flight.iter().skip(1).any(|c| self.sent.get(&c.0).is_some_and(|s| s.frame.is_some()));
        self.workers
            .iter()
            .filter(|w| any_idle && w.in_flight.len() >= 2)
            .filter(rescuable)
            .map(|w| (w.head_since_ns + stall).saturating_sub(now).div_ceil(1_000_000).max(1))
            .min()
    }

    /// Indices of workers with something to read (or a closed pipe).
    pub(super) fn poll_workers(&self, block: Option<std::time::Duration>) -> Result<Vec<usize>> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let live: Vec<usize> = (0..self.workers.len()).filter(|&i| self.workers[i].from_worker.is_some()).collect();
        if live.is_empty() {
            return Ok(Vec::new());
        }
        let mut fds: Vec<PollFd> = live
            .iter()
            .map(|&i| PollFd::new(self.workers[i].from_worker.as_ref().expect("live").as_fd(), PollFlags::POLLIN))
            .collect();
        // At most until the caller's limit, and the next look for stalled chunks.
        let limit_ms = block.map(|d| d.as_nanos().div_ceil(1_000_000) as u64);
        let ms = match (limit_ms, self.next_stall_check_ms()) {
            (Some(a), Some(b)) => Some(a.min(b).min(1000)),
            (Some(a), None) => Some(a),
            (None, b) => b.map(|b| b.min(1000)),
        };
        let timeout = match ms {
            None => PollTimeout::NONE,
            Some(ms) => PollTimeout::try_from(ms.min(i32::MAX as u64) as i32).unwrap_or(PollTimeout::MAX),
        };
        loop {
            match poll(&mut fds, timeout) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(Error::os("poll", e)),
            }
        }
        Ok(live
            .into_iter()
            .zip(fds)
            .filter(|(_, fd)| fd.revents().is_some_and(|r| !r.is_empty()))
            .map(|(i, _)| i)
            .collect())
    }

    /// Reads what worker `i` sent and takes in every whole reply. Replies
    /// are decoded where they lie in the read buffer; only a partial one at
    /// the end is kept for the next read.
    pub(super) fn read_worker(&mut self, i: usize) -> Result<()> {
        let w = &mut self.workers[i];
        let Some(rx) = w.from_worker.as_mut() else { return Ok(()) };
        let n = match rx.read(&mut self.read_buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => return Ok(()),
            Err(_) => 0,
        };
        if n == 0 {
            // What it finished before it ended still counts.
            self.take_rings()?;
            let told_to_exit = self.workers[i].to_worker.is_none() && self.workers[i].in_flight.is_empty();
            if told_to_exit && self.broken.is_none() {
                self.replace(i);
            } else {
                self.worker_died(i);
            }
            return Ok(());
        }
        let now = now_ns();
        let (buf, mut received) = (std::mem::take(&mut self.read_buf), std::mem::take(&mut w.received));
        let taken = if received.is_empty() {
            let taken = wire::each_frame(&buf[..n], |payload| self.take_reply(i, payload, now));
            if let Ok(used) = taken {
                received.extend_from_slice(&buf[used..n]);
            }
            taken
        } else {
            received.extend_from_slice(&buf[..n]);
            let taken = wire::each_frame(&received, |payload| self.take_reply(i, payload, now));
            if let Ok(used) = taken {
                received.drain(..used);
                wire::shrink_if_oversized(&mut received);
            }
            taken
        };
        self.read_buf = buf;
        self.workers[i].received = received;
        taken.map(drop)
    }

    /// Takes in the replies waiting in the workers' rings; `true` if any.
    pub(super) fn take_rings(&mut self) -> Result<bool> {
        if self.broken.is_some() {
            return Ok(false);
        }
        let now = now_ns();
        let mut scratch = std::mem::take(&mut self.scratch);
        let mut taken = Ok(false);
        for i in 0..self.workers.len() {
            let inbox = self.mailboxes.inbox(i);
            match inbox.take(&mut scratch, |payload| self.take_reply(i, payload, now)) {
                Ok(n) => taken = taken.map(|any| any || n > 0),
                Err(e) => {
                    taken = Err(e);
                    break;
                }
            }
        }
        self.scratch = scratch;
        taken
    }

    /// Raises (or lowers) the flag that asks workers to wake the parent
    /// through its pipes; after raising it, whether a reply came in anyway.
    pub(super) fn may_sleep(&self, asleep: bool) -> bool {
        self.mailboxes.parent_may_sleep(asleep);
        asleep && self.mailboxes.any_waiting()
    }

    /// Takes in one reply from worker `i`, read at `now`. An empty frame
    /// only woke the parent (see [`super::mailbox`]).
    fn take_reply(&mut self, i: usize, payload: &[u8], now: u64) -> Result<()> {
        if payload.is_empty() {
            return Ok(());
        }
        let reply: Reply = wire::decode_borrowed(payload)?;
        if reply.first_id == INIT_FAILED {
            let message = match reply.failure {
                Some(TaskFailure::Panicked(m) | TaskFailure::Codec(m)) => m,
                None => String::new(),
            };
            self.init_failed.insert(i, message);
            return Ok(());
        }
        let w = &mut self.workers[i];
        if let Some(pos) = w.in_flight.iter().position(|c| c.0 == reply.first_id) {
            let (_, bytes) = w.in_flight.remove(pos).expect("position is valid");
            w.bytes_in_flight -= bytes;
        }
        w.head_since_ns = now;
        if let std::collections::hash_map::Entry::Occupied(mut sent) = self.sent.entry(reply.first_id) {
            sent.get_mut().holders -= 1;
            if sent.get().holders == 0 {
                self.claims.give_back(sent.remove().slot);
            }
        }
        // Another worker claimed it first: it ran there, not here.
        let Some(span) = reply.span else { return Ok(()) };
        let chunk_ns = span.end_ns.saturating_sub(span.start_ns) as f64;
        self.chunk_ns = Some(self.chunk_ns.map_or(chunk_ns, |avg| 0.8 * avg + 0.2 * chunk_ns));
        let end = span.end_ns;
        if self.spans.len() < MAX_SPANS {
            self.spans.push(span);
        } else {
            self.dropped_spans += 1;
        }
        if self.discarded.is_empty() || !self.discarded.remove(&reply.first_id) {
            let done = match reply.failure {
                Some(failure) => Err(failure),
                None => Ok(reply.results.to_vec()),
            };
            self.finish(reply.first_id, end, Outcome::Done(done));
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
        w.exited = Some(how);
        let cause = self.init_failed.remove(&i).map(|message| format!("failed in the pool's initializer: {message}"));
        self.break_pool(i, cause);
    }

    /// Worker `i` ended (how is in its `exited`): the pool is broken from
    /// now on, and every pending task fails.
    fn break_pool(&mut self, i: usize, cause: Option<String>) {
        let w = &self.workers[i];
        let how = w.exited.clone().unwrap_or(ExitHow::Code(-1));
        let running_task = !w.in_flight.is_empty();
        self.broken = Some(Broken { worker: i, pid: w.pid.as_raw(), how, running_task, cause });
        let mut pending: Vec<u64> = Vec::new();
        for w in &mut self.workers {
            pending.extend(w.in_flight.drain(..).map(|(first, _)| first));
            w.bytes_in_flight = 0;
            stop_worker(w);
        }
        pending.extend(self.queue.drain(..).map(|chunk| chunk.first_id));
        pending.sort_unstable();
        pending.dedup();
        for id in pending {
            if !self.discarded.remove(&id) && !self.results.contains_key(&id) {
                self.finish(id, u64::MAX, Outcome::Broken);
            }
        }
        self.sent.clear();
    }
}

/// Kills a worker if it still runs, reaps it and closes its pipes.
pub(super) fn stop_worker(w: &mut Worker) {
    for f in [w.to_worker.take(), w.from_worker.take()].into_iter().flatten() {
        unregister_parent_fd(f.as_raw_fd());
    }
    if w.exited.is_none() {
        let _ = kill(w.pid, Signal::SIGKILL);
        w.exited = reap(w.pid, true);
    }
}

fn start_worker(index: usize, claims: &ClaimTable, mailboxes: &Mailboxes, init: Option<fn()>) -> Result<Worker> {
    let flags = nix::fcntl::OFlag::O_CLOEXEC;
    let (req_read, req_write) = nix::unistd::pipe2(flags).map_err(os("pipe"))?;
    let (rep_read, rep_write) = nix::unistd::pipe2(flags).map_err(os("pipe"))?;
    let (to_worker, from_worker) = (File::from(req_write), File::from(rep_read));
    register_parent_fd(to_worker.as_raw_fd())?;
    if let Err(e) = register_parent_fd(from_worker.as_raw_fd()) {
        unregister_parent_fd(to_worker.as_raw_fd());
        return Err(e);
    }
    let (view, outbox) = (claims.view(), mailboxes.outbox(index));
    let child =
        fork_child(move || worker_main(index, File::from(req_read), File::from(rep_write), (view, outbox), init));
    match child {
        Ok(pid) => Ok(Worker {
            pid,
            to_worker: Some(to_worker),
            from_worker: Some(from_worker),
            received: Vec::new(),
            in_flight: VecDeque::new(),
            bytes_in_flight: 0,
            head_since_ns: 0,
            exited: None,
            tasks_sent: 0,
        }),
        Err(e) => {
            unregister_parent_fd(to_worker.as_raw_fd());
            unregister_parent_fd(from_worker.as_raw_fd());
            Err(e)
        }
    }
}
