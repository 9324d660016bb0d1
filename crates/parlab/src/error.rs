//! The one error type of the engine: every failure comes back as a value.

use serde::{Deserialize, Serialize};

/// What can go wrong while running tasks. New kinds of failure may be
/// added: match with a `_` arm.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The operating system refused something (fork, pipe, wait, kill).
    #[error("{what} failed: {source}")]
    Os {
        what: &'static str,
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
        threads: usize,
        /// The threads' names, as the kernel knows them.
        names: String,
    },
    /// A task panicked; the message is the panic's.
    #[error("task panicked: {message}")]
    Panicked { message: String },
    /// A child process ended without sending its result.
    #[error("process {pid} {how} before sending its result")]
    ChildDied { pid: i32, how: ExitHow },
    /// A pool worker died: every pending task gets this, and the pool takes no more.
    #[error("broken pool: worker {worker} (pid {pid}) {how} {doing}; every pending task was cancelled")]
    BrokenPool {
        worker: usize,
        pid: i32,
        how: ExitHow,
        /// "while running a task" or "while idle".
        doing: &'static str,
    },
    /// The pool was shut down before this task could run.
    #[error("the pool was shut down before this task ran")]
    Cancelled,
    /// A value could not be encoded or decoded on its way between processes.
    #[error("could not send a value between processes: {0}")]
    Codec(String),
    /// Reading or writing a pipe to a child failed.
    #[error("pipe to a child process failed: {0}")]
    Io(#[from] std::io::Error),
}

/// Shorthand used across the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How a process ended, in words a learner can act on.
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
