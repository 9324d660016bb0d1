//! The course workloads' report to a checker that watches the run.
//!
//! Run by `checker verify`, a program finds in [`WITNESS_ENV`] the path of a
//! Unix socket the checker listens on. Each thread connects once; each workload call says
//! what it is about to do and on which thread, waits for the checker's
//! go-ahead (which, for a sleep, says how long: the time scale lives in the
//! checker), does the work, says what it found, and waits again. The checker
//! stamps both on its own clock and asks the kernel who spoke
//! (`SCM_CREDENTIALS`) and how much CPU that thread used in between, so
//! nothing the program writes is taken as evidence. Without a checker the
//! workloads trace into a file instead ([`crate::trace_file::TRACE_FILE_ENV`]).
//!
//! The protocol, one JSON object per message on a `SOCK_SEQPACKET` socket:
//! `{"tid": T, "sleep": S}` (or `"count": [A, B]`, or `"fragile": X`), then
//! the checker's `{"sleep_ns": N}`; `{"result": R}`, then the checker's `{}`.

use std::os::fd::{AsRawFd, OwnedFd};
use std::time::Duration;

/// Environment variable: the checker's socket, set only by `checker verify`.
///
/// ```
/// // Run by hand, nobody watches: the workloads keep their own trace.
/// assert!(std::env::var_os(parlab::exercise::WITNESS_ENV).is_none());
/// assert_eq!(parlab::workloads::count_primes((0, 100)), 25);
/// ```
pub const WITNESS_ENV: &str = "PARLAB_WITNESS";

/// A workload call the checker has seen start.
pub(crate) struct Open {
    /// How long to sleep, as the checker said; `None` for work that does not sleep.
    pub(crate) sleep: Option<Duration>,
}

thread_local! {
    /// This thread's connection to the checker, and the process that made
    /// it: a thread reuses its connection call after call, and a child forked
    /// from it makes its own (the kernel names the sender of every message).
    static CONNECTION: std::cell::RefCell<Option<(u32, OwnedFd)>> = const { std::cell::RefCell::new(None) };
}

/// Tells the checker that this thread starts `work` (the JSON fields after
/// the thread id), and waits for its go-ahead. `None` when no checker watches,
/// or it cannot be reached (said once on stderr: the run will not count).
pub(crate) fn begin(work: &str) -> Option<Open> {
    let path = std::env::var_os(WITNESS_ENV)?;
    let message = format!("{{\"tid\":{},{work}}}", crate::trace::current_tid());
    match with_connection(&path, |conn| exchange(conn, &message)) {
        Ok(reply) => {
            let sleep = reply
                .split("\"sleep_ns\":")
                .nth(1)
                .and_then(|rest| rest.trim_end_matches('}').trim().parse::<u64>().ok())
                .filter(|&ns| ns > 0)
                .map(Duration::from_nanos);
            Some(Open { sleep })
        }
        Err(e) => {
            static SAID: std::sync::Once = std::sync::Once::new();
            SAID.call_once(|| {
                eprintln!("parlab: cannot report to the checker at {}: {e}", path.to_string_lossy());
            });
            None
        }
    }
}

/// Runs `f` on this thread's connection, made first if this thread (in this
/// process) has none yet; a connection that fails is dropped. A thread whose
/// connection is gone already (its last words, as it ends) uses one of its own.
fn with_connection<T>(path: &std::ffi::OsStr, f: impl FnOnce(&OwnedFd) -> nix::Result<T>) -> nix::Result<T> {
    let mut f = Some(f);
    let kept = CONNECTION.try_with(|cell| {
        let f = f.take().expect("called once");
        let mut slot = cell.borrow_mut();
        let me = std::process::id();
        if slot.as_ref().is_none_or(|(pid, _)| *pid != me) {
            // An inherited connection is the parent's: leave it to the parent.
            if let Some((_, inherited)) = slot.take() {
                std::mem::forget(inherited);
            }
            *slot = Some((me, connect_to(path)?));
        }
        let conn = &slot.as_ref().expect("made above").1;
        let result = f(conn);
        if result.is_err() {
            *slot = None;
        }
        result
    });
    match (kept, f) {
        (Ok(result), _) => result,
        (Err(_), Some(f)) => f(&connect_to(path)?),
        (Err(_), None) => Err(nix::errno::Errno::EINVAL),
    }
}

fn connect_to(path: &std::ffi::OsStr) -> nix::Result<OwnedFd> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, connect, setsockopt, socket, sockopt};
    let conn = socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC, None)?;
    // The kernel then attaches this process's credentials to every message,
    // even one that reaches the checker before it has accepted the connection.
    setsockopt(&conn, sockopt::PassCred, &true)?;
    let addr = UnixAddr::new(path)?;
    retry(|| connect(conn.as_raw_fd(), &addr))?;
    Ok(conn)
}

impl Open {
    /// Tells the checker the call's result (JSON) and waits until it has
    /// taken note, so that it reads this thread's CPU time while it still runs.
    pub(crate) fn end(self, result: &str) {
        let Some(path) = std::env::var_os(WITNESS_ENV) else { return };
        let _ = with_connection(&path, |conn| exchange(conn, &format!("{{\"result\":{result}}}")));
    }
}

/// How many `tiny` calls go in one report: a report costs about as much as
/// a thousand calls, so they are told in batches, and what is left when a
/// task, a thread or the program's `solve` ends.
pub(crate) const TINY_BATCH: u32 = 65_536;

thread_local! {
    /// Tiny calls made on this thread since its last report: a plain cell,
    /// so that counting costs a tiny call next to nothing.
    static TINY_CALLS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Tells what is left when the thread ends; touched once per batch, so
    /// that its destructor is registered.
    static TELL_AT_EXIT: TellAtExit = const { TellAtExit };
}

/// Tells the checker, as its thread ends, the tiny calls not yet told.
struct TellAtExit;

impl Drop for TellAtExit {
    fn drop(&mut self) {
        report_tiny(TINY_CALLS.try_with(|calls| calls.replace(0)).unwrap_or(0));
    }
}

/// Whether a checker watches: read once (0 not yet, 1 no, 2 yes), so that a
/// tiny call pays one relaxed load when nobody does.
static WATCHED: std::sync::atomic::AtomicU8 = std::sync::atomic::AtomicU8::new(0);

pub(crate) fn watched() -> bool {
    use std::sync::atomic::Ordering::Relaxed;
    match WATCHED.load(Relaxed) {
        0 => {
            let yes = std::env::var_os(WITNESS_ENV).is_some();
            WATCHED.store(if yes { 2 } else { 1 }, Relaxed);
            yes
        }
        w => w == 2,
    }
}

/// Counts one `tiny` call, reporting every [`TINY_BATCH`]th to the checker.
#[inline]
pub(crate) fn tally_tiny() {
    if !watched() {
        return;
    }
    let n = TINY_CALLS.with(|calls| {
        let n = calls.get() + 1;
        calls.set(if n == TINY_BATCH { 0 } else { n });
        n
    });
    if n == 1 {
        TELL_AT_EXIT.with(|_| ());
    } else if n == TINY_BATCH {
        report_tiny(TINY_BATCH);
    }
}

/// Tells the checker this thread's tiny calls not yet told: where a task
/// ends in a process that ends without running destructors (a worker, a
/// child), and at the end of `solve`.
pub(crate) fn flush_tiny() {
    if watched() {
        let left = TINY_CALLS.try_with(|calls| calls.replace(0)).unwrap_or(0);
        report_tiny(left);
    }
}

fn report_tiny(calls: u32) {
    if calls > 0 {
        // The checker reads this thread's CPU time as the batch's; its reply carries nothing.
        let _ = begin(&format!("\"tiny\":{calls}"));
    }
}

/// Sends one message and waits for the checker's reply.
fn exchange(conn: &OwnedFd, message: &str) -> nix::Result<String> {
    use nix::sys::socket::{MsgFlags, recv, send};
    retry(|| send(conn.as_raw_fd(), message.as_bytes(), MsgFlags::empty()))?;
    let mut buf = [0u8; 256];
    let n = retry(|| recv(conn.as_raw_fd(), &mut buf, MsgFlags::empty()))?;
    if n == 0 {
        return Err(nix::errno::Errno::ECONNRESET);
    }
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

fn retry<T>(mut call: impl FnMut() -> nix::Result<T>) -> nix::Result<T> {
    loop {
        match call() {
            Err(nix::errno::Errno::EINTR) => continue,
            other => return other,
        }
    }
}
