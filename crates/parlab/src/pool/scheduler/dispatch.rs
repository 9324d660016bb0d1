//! Sending work: queued chunks to the workers with the least in flight, and
//! the chunks queued behind a stalled one to idle workers as well.

use super::{Chunk, Inner, MAX_BYTES_IN_FLIGHT, MAX_CHUNKS_IN_FLIGHT, Outcome, Sent, Worker};
use crate::bulk;
use crate::clock::now_ns;
use crate::error::TaskFailure;
use crate::wire;
use std::io::Write;
use std::os::fd::AsFd;

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

impl Inner {
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
            let size = chunk.weight();
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
            let Chunk { first_id, tasks, mut frame, file } = self.queue.pop_front().expect("front exists");
            // The length counts the claim slot and the request.
            let Ok(len) = u32::try_from(frame.len() - 4) else {
                self.claims.give_back(slot);
                let failure = TaskFailure::Codec(wire::too_large(frame.len() - Chunk::HEADER).to_string());
                self.finish(first_id, now, Outcome::Done(Err(failure)));
                continue;
            };
            frame[..4].copy_from_slice(&len.to_le_bytes());
            frame[4..Chunk::HEADER].copy_from_slice(&slot.to_le_bytes());
            // The arguments' file goes first: the frame follows in this call's write.
            if let Some(file) = &file
                && let Err(e) = bulk::send_file(self.workers[i].arguments.as_fd(), file.as_fd(), first_id)
            {
                self.claims.give_back(slot);
                let failure = TaskFailure::Codec(format!("the task's argument could not be handed over ({e})"));
                self.finish(first_id, now, Outcome::Done(Err(failure)));
                continue;
            }
            let w = &mut self.workers[i];
            if w.in_flight.is_empty() {
                w.head_since_ns = now;
            }
            w.in_flight.push_back((first_id, size));
            w.bytes_in_flight += size;
            w.tasks_sent += tasks;
            outgoing[i].extend_from_slice(&frame);
            // A chunk queued behind another may be handed on later: keep its frame.
            let keep = (w.in_flight.len() > 1).then_some(frame);
            // The file is kept to the end either way: its pages serve the next large argument.
            self.sent.insert(first_id, Sent { slot, holders: 1, frame: keep, file });
        }
        for (w, bytes) in self.workers.iter_mut().zip(outgoing) {
            if let (false, Some(tx)) = (bytes.is_empty(), w.to_worker.as_mut()) {
                // A dead worker shows up as end of file on its reply pipe;
                // that path reports it, so a failed write needs nothing here.
                let _ = tx.write_all(&bytes);
            }
        }
    }

    /// How long a running chunk may go before the chunks queued behind it
    /// are handed to idle workers too.
    pub(super) fn stall_ns(&self) -> u64 {
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
                let file = self.sent.get(&id).and_then(|c| c.file.clone());
                let w = &mut self.workers[t];
                // Its arguments' file first, as when it was first sent; a
                // chunk whose file cannot go stays with the stalled worker.
                if let Some(file) = &file
                    && bulk::send_file(w.arguments.as_fd(), file.as_fd(), id).is_err()
                {
                    self.sent.get_mut(&id).expect("just seen").frame = Some(frame);
                    continue;
                }
                if let Some(tx) = w.to_worker.as_mut() {
                    let _ = tx.write_all(&frame);
                }
                let size = frame.len() + file.as_ref().map_or(0, |_| MAX_BYTES_IN_FLIGHT);
                w.head_since_ns = now;
                w.in_flight.push_back((id, size));
                w.bytes_in_flight += size;
                self.sent.get_mut(&id).expect("just seen").holders += 1;
            }
        }
    }

    /// How long to wait in `poll` before looking for stalled chunks again.
    pub(super) fn next_stall_check_ms(&self) -> Option<u64> {
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
}
