//! # parlab: parallel execution you can measure
//!
//! The engine of the parlab course. It runs tasks [sequentially](Sequential),
//! in [child processes](Process), in a [pool of processes](ProcessPool) or in a
//! [pool of threads](ThreadPool), behind one small surface (`submit`, `map`,
//! `map_chunked`, `as_completed`), and records a [`Span`] for every task: which
//! process and thread ran it, from when to when, on one clock shared by all
//! processes. A [`Trace`] sums a run up (wall time, average parallelism, CPU
//! time) and draws itself as a [timeline] in the terminal or as SVG.
//!
//! ```
//! use parlab::{ProcessPool, Recorder, timeline, workloads::task_with};
//!
//! # fn main() -> parlab::Result<()> {
//! # // SAFETY: no other thread runs yet, and nothing read the scale before.
//! # unsafe { std::env::set_var(parlab::workloads::TIME_SCALE_ENV, "0.005") };
//! let pool = ProcessPool::new(3)?;
//! let run = Recorder::start("three sleeps on three processes");
//! let slept = pool.map(task_with, [3.0, 1.0, 2.0])?;
//! let trace = run.finish(pool.take_spans());
//! timeline::print(&trace);
//! assert_eq!(slept, [3.0, 1.0, 2.0]);
//! # Ok(())
//! # }
//! ```
//!
//! ## Processes are forked, and only when that is sound
//! Every child is a `fork` of the caller, so closures and function pointers
//! work in the child unchanged. `fork` is only sound in a process with one
//! thread; the engine checks and returns [`Error::MultiThreaded`] otherwise
//! (see [`ensure_single_threaded`] for why this was chosen over Python's
//! `forkserver` and `spawn`). Process pools start no threads in the parent, so processes and
//! process pools mix freely; start them before any thread pool. Tests that
//! fork therefore run with `harness = false` on the main thread.
//!
//! ## Errors are values
//! A panic in a task, a child killed by a signal, a pool worker that died:
//! each comes back as an [`Error`] naming what happened; nothing hangs.

#![warn(missing_docs)]

mod bare;
mod bulk;
mod clock;
mod error;
mod executor;
pub mod exercise;
mod fork;
mod load;
mod os;
mod pool;
mod process;
mod sequential;
pub mod stats;
pub mod svg;
mod sys;
mod threads;
pub mod timeline;
mod trace;
pub mod trace_file;
mod waiting;
mod wire;
mod witness;
pub mod workloads;

pub use clock::now_ns;
pub use error::{Error, ExitHow, Result};
pub use executor::{Completed, Executor, Payload, Shutdown, Task, TaskState};
pub use fork::{ensure_single_threaded, wait_until_single_threaded};
pub use load::OtherLoad;
pub use pool::{PoolBuilder, ProcessPool};
pub use process::Process;
pub use sequential::Sequential;
pub use sys::{CpuTime, Cpus};
pub use threads::ThreadPool;
pub use trace::{Recorder, Span, Summary, Trace};
pub use waiting::{Until, Waited, as_completed, map_timeout, wait};
