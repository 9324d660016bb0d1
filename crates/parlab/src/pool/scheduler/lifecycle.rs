//! Workers' lives: started, retired after their share of tasks and
//! replaced, stopped, and a death that breaks the pool.

use super::{Broken, Inner, Outcome, Worker};
use crate::bulk;
use crate::error::{ExitHow, Result, os};
use crate::fork::{ParentFd, Ready, ready_to_fork};
use crate::os::reap;
use crate::pool::claims::ClaimTable;
use crate::pool::mailbox::Mailboxes;
use crate::pool::worker::worker_main;
use nix::sys::signal::{Signal, kill};
use std::collections::VecDeque;
use std::fs::File;

impl Inner {
    /// Tells every worker that has run its share of tasks, and holds no
    /// more, to exit (end of file on its requests); it is replaced when its
    /// reply pipe closes ([`Inner::read_worker`]).
    pub(super) fn retire_spent(&mut self) {
        let Some(max) = self.settings.max_tasks else { return };
        for w in &mut self.workers {
            if w.tasks_sent >= max && w.in_flight.is_empty() && w.exited.is_none() {
                w.to_worker = None;
            }
        }
    }

    /// Starts a new worker in place of worker `i`, which exited as told.
    pub(super) fn replace(&mut self, i: usize) {
        let w = &mut self.workers[i];
        w.from_worker = None;
        let how = reap(w.pid, true).unwrap_or(ExitHow::Code(-1));
        let old = w.pid.as_raw();
        if how != ExitHow::Code(0) {
            w.exited = Some(how);
            self.break_pool(i, None);
            return;
        }
        match ready_to_fork()
            .and_then(|ready| start_worker(&ready, i, &self.claims, &self.mailboxes, self.settings.init))
        {
            Ok(new) => self.workers[i] = new,
            Err(e) => {
                self.workers[i].exited = Some(how);
                let cause = format!("ran its {} tasks and could not be replaced: {e}", self.workers[i].tasks_sent);
                self.workers[i].pid = nix::unistd::Pid::from_raw(old);
                self.break_pool(i, Some(cause));
            }
        }
    }

    /// A worker's pipe closed: it died. The pool is broken from now on.
    pub(super) fn worker_died(&mut self, i: usize) {
        let w = &mut self.workers[i];
        w.from_worker = None;
        let how = reap(w.pid, true).unwrap_or(ExitHow::Code(-1));
        w.exited = Some(how);
        let cause = self.init_failed.remove(&i).map(|message| format!("failed in the pool's initializer: {message}"));
        self.break_pool(i, cause);
    }

    /// Worker `i` ended (how is in its `exited`): the pool is broken from
    /// now on, and every pending task fails.
    pub(super) fn break_pool(&mut self, i: usize, cause: Option<String>) {
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
    (w.to_worker, w.from_worker) = (None, None);
    if w.exited.is_none() {
        let _ = kill(w.pid, Signal::SIGKILL);
        w.exited = reap(w.pid, true);
    }
}

pub(super) fn start_worker(
    ready: &Ready,
    index: usize,
    claims: &ClaimTable,
    mailboxes: &Mailboxes,
    init: Option<fn()>,
) -> Result<Worker> {
    let flags = nix::fcntl::OFlag::O_CLOEXEC;
    let (req_read, req_write) = nix::unistd::pipe2(flags).map_err(os("pipe"))?;
    let (rep_read, rep_write) = nix::unistd::pipe2(flags).map_err(os("pipe"))?;
    let (files_here, files_there) = bulk::file_channel()?;
    let (arguments_here, arguments_there) = bulk::file_channel()?;
    let (to_worker, from_worker) = (ParentFd::new(req_write)?, ParentFd::new(rep_read)?);
    let (files, arguments) = (ParentFd::new(files_here)?, ParentFd::new(arguments_here)?);
    let (view, outbox) = (claims.view(), mailboxes.outbox(index));
    let child = ready.fork(move || {
        let channels = (files_there, arguments_there);
        worker_main(index, File::from(req_read), File::from(rep_write), channels, (view, outbox), init)
    });
    // Should the fork fail, the parent's ends close as they drop.
    child.map(|pid| Worker {
        pid,
        to_worker: Some(to_worker),
        from_worker: Some(from_worker),
        files,
        arguments,
        spares_out: 0,
        early_files: Default::default(),
        received: Vec::new(),
        in_flight: VecDeque::new(),
        bytes_in_flight: 0,
        head_since_ns: 0,
        exited: None,
        tasks_sent: 0,
    })
}
