//! The one error type of the engine: every failure comes back as a value.

use serde::{Deserialize, Serialize};

/// What can go wrong while running tasks. New kinds of failure may be
/// added: match with a `_` arm.
///
/// A panic in a task comes back as a value, whatever ran it:
///
/// ```
/// use parlab::{Error, ProcessPool};
///
/// fn halve(x: u32) -> u32 {
///     assert!(x % 2 == 0, "{x} is odd");
///     x / 2
/// }
///
/// let pool = ProcessPool::new(2).unwrap();
/// match pool.map(halve, [4, 3]) {
///     Err(Error::Panicked { message }) => assert_eq!(message, "3 is odd"),
///     other => panic!("expected a panic, got {other:?}"),
/// }
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused something (fork, pipe, wait, kill).
    #[error("{what} failed: {source}")]
    Os {
        /// The call that failed (`"fork"`, `"pipe"`, `"waitpid"`, ...).
        what: &'static str,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// Forking now would copy a process that has other threads running.
    #[error(
        "refusing to fork: this process has {threads} threads ({names}), and a forked child gets \
         only one of them, so a lock another thread holds (stdout, the allocator, a Mutex) could \
         stay locked in the child forever. Start processes and process pools before any thread (a \
         ThreadPool, rayon's global pool, which lives until the program ends once anything used \
         it, a test harness), or use parlab::ThreadPool for this work"
    )]
    MultiThreaded {
        /// Threads in this process, the calling one included.
        threads: usize,
        /// The threads' names, as the kernel knows them.
        names: String,
    },
    /// A task panicked; the message is the panic's.
    #[error("task panicked: {message}")]
    Panicked {
        /// What the task panicked with.
        message: String,
    },
    /// A child process ended without sending its result.
    #[error("process {pid} {how} before sending its result")]
    ChildDied {
        /// The child's process id.
        pid: i32,
        /// How it ended.
        how: ExitHow,
    },
    /// A pool worker died: every pending task gets this, and the pool takes no more.
    #[error("broken pool: worker {worker} (pid {pid}) {how} {doing}; every pending task was cancelled")]
    BrokenPool {
        /// The worker's number in its pool.
        worker: usize,
        /// The worker's process id.
        pid: i32,
        /// How it ended.
        how: ExitHow,
        /// "while running a task" or "while idle".
        doing: &'static str,
    },
    /// A pool worker failed in a way it could say: its initializer panicked,
    /// or it could not be replaced. The pool takes no more tasks.
    #[error("broken pool: worker {worker} (pid {pid}) {cause}; every pending task was cancelled")]
    WorkerFailed {
        /// The worker's number in its pool.
        worker: usize,
        /// The worker's process id.
        pid: i32,
        /// What went wrong.
        cause: String,
    },
    /// The task was cancelled before it ran (by `cancel`, a timeout, or a
    /// shutdown that dropped pending work).
    #[error("the task was cancelled before it ran")]
    Cancelled,
    /// Waiting took longer than allowed: Python's "2 (of 4) futures unfinished".
    #[error("timed out: {unfinished} (of {total}) tasks unfinished")]
    Timeout {
        /// Tasks not yet ended when the time was up.
        unfinished: usize,
        /// Tasks waited for.
        total: usize,
    },
    /// A value could not be encoded or decoded on its way between processes.
    #[error("could not send a value between processes: {0}")]
    Codec(String),
    /// Reading or writing a pipe to a child failed.
    #[error("pipe to a child process failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand used across the crate: every fallible call of the engine
/// returns it, so `?` carries its errors through a learner's own functions.
///
/// ```
/// use parlab::{ProcessPool, workloads::count_primes};
///
/// /// Primes below 1000, counted by two processes.
/// fn primes() -> parlab::Result<u64> {
///     let pool = ProcessPool::new(2)?;
///     Ok(pool.map(count_primes, [(0, 500), (500, 1000)])?.iter().sum())
/// }
///
/// assert_eq!(primes().unwrap(), 168);
/// ```
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a process ended, in words a learner can act on.
///
/// ```
/// use parlab::ExitHow;
///
/// assert_eq!(ExitHow::Code(3).to_string(), "exited with code 3");
/// assert_eq!(ExitHow::Signal("SIGKILL".into()).to_string(), "was killed by SIGKILL");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ExitHow {
    /// Exited on its own with this code.
    Code(i32),
    /// Was killed by this signal (`"SIGKILL"`, `"SIGABRT"`, ...).
    Signal(String),
}

impl std::fmt::Display for ExitHow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExitHow::Code(code) => write!(f, "exited with code {code}"),
            ExitHow::Signal(sig) => write!(f, "was killed by {sig}"),
        }
    }
}

/// A task's failure as it crosses a pipe (the child cannot send an [`Error`]).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) enum TaskFailure {
    Panicked(String),
    Codec(String),
}

impl From<TaskFailure> for Error {
    fn from(f: TaskFailure) -> Self {
        match f {
            TaskFailure::Panicked(message) => Error::Panicked { message },
            TaskFailure::Codec(msg) => Error::Codec(msg),
        }
    }
}

impl Error {
    /// An operating system call that failed.
    pub(crate) fn os(what: &'static str, errno: nix::Error) -> Error {
        Error::Os { what, source: std::io::Error::from(errno) }
    }
}

/// For `map_err`: the call `what` failed.
pub(crate) fn os(what: &'static str) -> impl FnOnce(nix::Error) -> Error {
    move |errno| Error::os(what, errno)
}

/// The message of a caught panic.
pub(crate) fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = panic.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = panic.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a value that is not a string".to_string()
    }
}
