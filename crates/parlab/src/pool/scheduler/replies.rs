//! Taking replies in: waiting on the workers' pipes, reading them, and the
//! small results left in the shared-memory rings.

use super::{Inner, Outcome};
use crate::bulk::{self, Bytes};
use crate::clock::now_ns;
use crate::error::{Error, Result, TaskFailure};
use crate::pool::worker::{INIT_FAILED, Reply};
use crate::wire;
use std::io::Read;
use std::os::fd::AsFd;

/// Results' files a pool keeps open to hand back for reuse, across all
/// untaken results: the others close once mapped.
const MAX_HELD_FILES: usize = 16;

/// Spans a pool keeps until they are taken: enough for any timeline worth
/// drawing, bounded so that millions of tiny tasks cost no memory.
const MAX_SPANS: usize = 100_000;

impl Inner {
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

    /// Hands the file of a decoded result back to worker `i`, to write its
    /// next large result over (see [`crate::bulk`]): one at a time, and none
    /// over [`bulk::REUSE_UP_TO`], so that files waiting for an idle worker
    /// hold little memory; the others close here.
    pub(in crate::pool) fn recycle(&mut self, i: usize, file: std::os::fd::OwnedFd) {
        let size = nix::sys::stat::fstat(&file).map_or(u64::MAX, |st| st.st_size as u64);
        if let Some(w) = self.workers.get_mut(i)
            && w.from_worker.is_some()
            && w.spares_out == 0
            && size <= bulk::REUSE_UP_TO
        {
            bulk::hand_back(w.files.as_fd(), file.as_fd());
            w.spares_out += 1;
        }
    }

    /// The file worker `i` sent for task `id`, sent before the reply that
    /// announces it. Replies come through the ring or the pipe, and the two
    /// are read in no common order, so files are matched by the id they
    /// carry: one that came for a later reply waits here for it.
    fn take_file(&mut self, i: usize, id: u64) -> Result<std::os::fd::OwnedFd> {
        let w = &mut self.workers[i];
        if let Some(file) = w.early_files.remove(&id) {
            return Ok(file);
        }
        loop {
            let (tag, file) = bulk::receive(w.files.as_fd())?;
            if tag == id {
                return Ok(file);
            }
            w.early_files.insert(tag, file);
        }
    }

    /// A result worker `i` sent as a file of `len` bytes, mapped; the file
    /// kept to hand back only while few are (each is a descriptor).
    fn mapped_result(&self, i: usize, file: Result<std::os::fd::OwnedFd>, len: u64) -> Result<Bytes, TaskFailure> {
        let failed = |e: Error| TaskFailure::Codec(format!("the task's result could not be taken from its file ({e})"));
        let file = file.map_err(failed)?;
        let len = usize::try_from(len).map_err(|_| failed(Error::Codec(format!("{len} bytes"))))?;
        let data = bulk::map_sealed(file.as_fd(), len).map_err(failed)?;
        let file = bulk::Held::keep(file, &self.held_files, MAX_HELD_FILES);
        Ok(Bytes::Shared { data, file, worker: i })
    }

    /// Takes in one reply from worker `i`, read at `now`. An empty frame
    /// only woke the parent (see [`super::mailbox`]).
    pub(super) fn take_reply(&mut self, i: usize, payload: &[u8], now: u64) -> Result<()> {
        if payload.is_empty() {
            return Ok(());
        }
        let reply: Reply = wire::decode_borrowed(payload)?;
        // Taken at once, whatever becomes of the reply: the files come in
        // order. A file that cannot be taken fails this task, not the read
        // of the replies around it.
        let file = match reply.in_file {
            Some(len) => {
                // The worker took whatever was handed back before it wrote this.
                self.workers[i].spares_out = 0;
                Some((self.take_file(i, reply.first_id), len))
            }
            None => None,
        };
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
                let sent = sent.remove();
                self.claims.give_back(sent.slot);
                if let Some(file) = sent.file {
                    self.keep_spare_file(file);
                }
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
            let done = match (reply.failure, file) {
                (Some(failure), _) => Err(failure),
                (None, Some((file, len))) => self.mapped_result(i, file, len),
                (None, None) => Ok(Bytes::Heap(reply.results.to_vec())),
            };
            self.finish(reply.first_id, end, Outcome::Done(done));
        }
        Ok(())
    }
}
