//! The one error type of the engine: every failure comes back as a value.

use serde::{Deserialize, Serialize};

/// What can go wrong while running tasks.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The operating system refused something (fork, pipe, wait, kill).
    #[error("{what} failed: {source}")]
    Os {
        what: &'static str,
        #[source]
        source: nix::Error,
    },
    /// Forking now would copy a process that has other threads running.
    #[error(
        "refusing to fork: this process has {threads} threads, and a forked child gets only one of \
         them, so a lock another thread holds (stdout, the allocator, a Mutex) could stay locked \
         in the child forever. Start processes and process pools before any thread (rayon, a \
         ThreadPool, a test harness), or use parlab::ThreadPool for this work"
    )]
    MultiThreaded { threads: usize },
    /// A task panicked; the message is the panic's.
    #[error("task panicked: {message}")]
    Panicked { message: String },
    /// A child process ended without sending its result.
    #[error("process {pid} {how} before sending its result")]
    ChildDied { pid: i32, how: ExitHow },
    /// A pool worker died while tasks were pending: every pending task gets this.
    #[error(
        "broken pool: worker {worker} (pid {pid}) {how} while running a task; every pending task \
         was cancelled"
    )]
    BrokenPool { worker: usize, pid: i32, how: ExitHow },
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

pub(crate) fn os(what: &'static str) -> impl FnOnce(nix::Error) -> Error {
    move |source| Error::Os { what, source }
}
