//! Forking, done soundly.
//!
//! `fork` copies the calling thread only. Any lock another thread held at
//! that moment (stdout's, the allocator's, a `Mutex` of yours) stays locked in
//! the child forever, so forking a multithreaded process works by luck. Python
//! answers this with `forkserver` and `spawn`; in Rust neither can send a
//! closure to the new process. The engine therefore forks only a process that
//! has one thread and otherwise returns [`Error::MultiThreaded`], which names
//! the fix: start processes and process pools before any thread. The pools are
//! written so that they start no threads in the parent, so a [`ProcessPool`]
//! and [`Process`]es can be used together freely.
//!
//! In the child, the engine also closes the pipe ends that belong to the
//! parent's other children (so that shutting a pool down is seen as end of
//! file by its workers), and ends with `_exit` after flushing stdout, so that
//! no parent destructor or `atexit` handler runs twice.
//!
//! [`Process`]: crate::Process
//! [`ProcessPool`]: crate::ProcessPool

use crate::error::{Error, Result, os};
use std::io::Write;
use std::os::fd::RawFd;
use std::sync::atomic::{AtomicI32, Ordering};

/// Parent-side pipe ends that no child should keep open (-1: a free slot).
/// A table of atomics rather than a `Mutex<Vec>`: the child only reads it,
/// and a page a forked child only reads is never copied (each copy costs
/// microseconds on every fork).
static PARENT_FDS: [AtomicI32; 1024] = [const { AtomicI32::new(-1) }; 1024];

/// A pipe end the parent keeps to talk to one of its children: every child
/// forked while it is open closes it, and dropping it takes it off that list
/// and closes it, so a pool's teardown (end of file for a worker, a dead
/// worker's pipe let go) is a drop, written once.
pub(crate) struct ParentFd(std::fs::File);

impl ParentFd {
    /// Takes `fd` as a parent-side end; fails when 1024 are open at once.
    pub(crate) fn new(fd: std::os::fd::OwnedFd) -> Result<ParentFd> {
        use std::os::fd::AsRawFd;
        register_parent_fd(fd.as_raw_fd())?;
        Ok(ParentFd(std::fs::File::from(fd)))
    }
}

impl Drop for ParentFd {
    fn drop(&mut self) {
        use std::os::fd::AsRawFd;
        // Off the list first: the file closes right after, and its number
        // may then be reused for a file the children must keep.
        unregister_parent_fd(self.0.as_raw_fd());
    }
}

impl std::ops::Deref for ParentFd {
    type Target = std::fs::File;
    fn deref(&self) -> &std::fs::File {
        &self.0
    }
}

impl std::ops::DerefMut for ParentFd {
    fn deref_mut(&mut self) -> &mut std::fs::File {
        &mut self.0
    }
}

fn register_parent_fd(fd: RawFd) -> Result<()> {
    for slot in &PARENT_FDS {
        if slot.compare_exchange(-1, fd, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            return Ok(());
        }
    }
    Err(Error::Io(std::io::Error::other("more than 1024 pipes and sockets to pool workers are open at once")))
}

fn unregister_parent_fd(fd: RawFd) {
    for slot in &PARENT_FDS {
        if slot.compare_exchange(fd, -1, Ordering::SeqCst, Ordering::SeqCst).is_ok() {
            return;
        }
    }
}

/// Fails with [`Error::MultiThreaded`] unless this process has one thread.
///
/// `fork` copies the calling thread only. Any lock another thread held at
/// that moment (stdout's, the allocator's, a `Mutex` of yours) stays locked in
/// the child forever, so forking a multithreaded process works by luck. Python
/// answers this with `forkserver` and `spawn`; in Rust neither can send a
/// closure to the new process. The engine therefore forks only a process that
/// has one thread, and every fork checks with this function first. The pools
/// start no threads in the parent, so a [`ProcessPool`](crate::ProcessPool)
/// and [`Process`](crate::Process)es can be used together freely.
///
/// ```
/// // A doc test runs in a process of its own, with one thread.
/// assert!(parlab::ensure_single_threaded().is_ok());
/// ```
pub fn ensure_single_threaded() -> Result<()> {
    match crate::sys::thread_count() {
        Some(threads) if threads > 1 => {
            Err(Error::MultiThreaded { threads, names: crate::sys::thread_names().join(", ") })
        }
        _ => Ok(()),
    }
}

/// Waits up to `timeout` for this process to be down to one thread: a
/// dropped thread pool's threads end shortly after the drop, not at it.
pub fn wait_until_single_threaded(timeout: std::time::Duration) -> Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    while ensure_single_threaded().is_err() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
    ensure_single_threaded()
}

/// How long a fork waits for threads that are ending (a thread pool just
/// dropped ends its threads shortly after the drop, not at it).
const EXITING_THREADS_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

/// Forks; the child runs `child` and never returns from this call.
///
/// The child's exit code is what `child` returns. Returns the child's pid in
/// the parent. The child is killed when this process dies (Linux), so a
/// parent killed by a signal leaves no worker running.
pub(crate) fn fork_child(child: impl FnOnce() -> i32) -> Result<nix::unistd::Pid> {
    ready_to_fork()?.fork(child)
}

/// A process checked to have one thread, its output flushed: ready to fork,
/// several times in a row (a pool's workers), as long as no thread starts
/// and nothing is printed in between. Checking and flushing once, not per
/// fork, also spares the pages they write: after a fork each one written is
/// a page copied.
pub(crate) struct Ready {
    parent: nix::unistd::Pid,
}

/// Checks that this process may fork (see [`ensure_single_threaded`]) and
/// flushes what it has buffered, which parent and child would both print.
pub(crate) fn ready_to_fork() -> Result<Ready> {
    if ensure_single_threaded().is_err() {
        wait_until_single_threaded(EXITING_THREADS_GRACE)?;
    }
    // Looked up here, once, not in every child: a child that fills in a
    // lazy static writes to a page it shares with the parent, a page copied.
    crate::witness::watched();
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    Ok(Ready { parent: nix::unistd::getpid() })
}

impl Ready {
    /// Forks; the child runs `child` and never returns from this call (see
    /// [`fork_child`]).
    pub(crate) fn fork(&self, child: impl FnOnce() -> i32) -> Result<nix::unistd::Pid> {
        // SAFETY: the process has one thread (checked when `self` was made,
        // and the caller starts none while it holds `self`), so no lock can
        // be held by a thread that does not exist in the child.
        match unsafe { nix::unistd::fork() }.map_err(os("fork"))? {
            nix::unistd::ForkResult::Parent { child } => Ok(child),
            nix::unistd::ForkResult::Child => {
                for slot in &PARENT_FDS {
                    let fd = slot.load(Ordering::Relaxed);
                    if fd >= 0 {
                        // SAFETY: these descriptors belong to the parent's
                        // bookkeeping, which this child never uses.
                        unsafe { nix::libc::close(fd) };
                        // Forgotten too, or this child's own children would
                        // close whatever reuses the number.
                        slot.store(-1, Ordering::Relaxed);
                    }
                }
                die_with(self.parent);
                let code = child();
                exit_now(code)
            }
        }
    }
}

/// Asks the kernel to kill this child when its parent dies, and exits at
/// once if the parent died before the request was made (Linux).
#[inline]
fn die_with(parent: nix::unistd::Pid) {
    if !crate::bare::die_with(parent.as_raw()) {
        exit_now(1);
    }
}

/// Flushes stdout, then ends the process without running destructors or
/// `atexit` handlers that belong to the parent. (Rust's stderr keeps no
/// buffer: flushing it would only take its lock, a page copied in a child.)
#[inline]
pub(crate) fn exit_now(code: i32) -> ! {
    let _ = std::io::stdout().flush();
    crate::bare::exit(code)
}
