//! One task in one child process: Python's `multiprocessing.Process`.
//!
//! The child is a `fork` of the caller, so the closure can use anything the
//! parent had. Its return value comes back in postcard, a panic comes back as
//! [`Error::Panicked`] and a death by signal as [`Error::ChildDied`].
//!
//! The child writes its report into an in-memory file (see [`report`])
//! rather than a pipe: such a write never blocks, whatever the size, so
//! `join` can sleep in `waitpid` alone and wake once, when the child exits.
//! (With a pipe the parent wakes for the data and again for the exit, and a
//! wake-up across CPUs costs tens of microseconds.) `join_timeout` waits on
//! the child's exit with a timeout (on a pidfd, where Linux has them).

use crate::bare;
use crate::error::{Error, ExitHow, Result, TaskFailure, os, panic_message};
use crate::fork::{exit_now, fork_child};
use crate::os::{self as sys_os, exit_how};
use crate::trace::Span;
use report::{Report, read_head, read_value, write_head, write_value};

mod report;
use nix::sys::signal::{Signal, kill};
use nix::sys::wait::waitpid;
use nix::unistd::Pid;
use serde::{Serialize, de::DeserializeOwned};
use std::collections::VecDeque;
use std::fs::File;
use std::marker::PhantomData;
use std::os::fd::{AsRawFd, FromRawFd};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

/// A child process running one closure.
///
/// Dropping a `Process` that is still running kills it and reaps it, so no
/// zombie or stray child outlives the handle.
pub struct Process<R> {
    pid: Pid,
    /// The order this process was started in, among this program's processes.
    index: usize,
    /// Where the child writes its report; given back for reuse once read.
    report: Option<File>,
    status: Option<ExitHow>,
    span: Option<Span>,
    outcome: Option<Result<R>>,
    _result: PhantomData<fn() -> R>,
}

impl<R: Serialize + DeserializeOwned> Process<R> {
    /// Forks a child that runs `f` and sends its result back.
    ///
    /// Fails with [`Error::MultiThreaded`] if this process has other threads
    /// (see [`crate::ensure_single_threaded`]).
    ///
    /// ```
    /// let parent = std::process::id();
    /// let child = parlab::Process::start(move || std::process::id() != parent).unwrap();
    /// assert!(child.join().unwrap()); // it ran in another process
    /// ```
    pub fn start(f: impl FnOnce() -> R) -> Result<Process<R>> {
        let report = report::take_file()?;
        let report_fd = report.as_raw_fd();
        // Counted before the fork: a static written after it, while the
        // child lives, is a page copied (each copy showed in start-up's cost).
        let index = NEXT_INDEX.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let pid = fork_child(move || {
            // The child's copy of the parent's descriptor: written through,
            // never closed here (`_exit` closes it).
            // SAFETY: `report_fd` is open in this child, inherited across fork.
            let mut out = std::mem::ManuallyDrop::new(unsafe { File::from_raw_fd(report_fd) });
            let start_ns = bare::now_ns();
            let value = catch_unwind(AssertUnwindSafe(f));
            let span = Span::of_this_process(start_ns, bare::now_ns());
            // The child ends without destructors: tiny calls are told now.
            crate::witness::flush_tiny();
            let (mut report, value) = match value {
                Ok(v) => (Report { value_len: None, failure: None, span }, Some(v)),
                Err(panic) => (
                    Report { value_len: None, failure: Some(TaskFailure::Panicked(panic_message(&*panic))), span },
                    None,
                ),
            };
            if let Some(v) = &value {
                // A panic in the result's own serde code fails like a panic in `f`.
                match catch_unwind(AssertUnwindSafe(|| write_value(&mut out, v))) {
                    Ok(Ok(len)) => report.value_len = Some(len),
                    Ok(Err(e)) => {
                        report.failure = Some(TaskFailure::Codec(format!("the result could not be sent: {e}")))
                    }
                    Err(panic) => {
                        let why = format!("encoding the result panicked in the child: {}", panic_message(&*panic));
                        report.failure = Some(TaskFailure::Panicked(why));
                    }
                }
            }
            let code = if report.failure.is_some() { 1 } else { 0 };
            if write_head(&out, &report).is_err() {
                exit_now(3);
            }
            code
        })?;
        Ok(Process { pid, index, report: Some(report), status: None, span: None, outcome: None, _result: PhantomData })
    }
}

impl<R: DeserializeOwned> Process<R> {
    /// The child's process id.
    ///
    /// ```
    /// let child = parlab::Process::start(|| 1).unwrap();
    /// assert_ne!(child.pid(), std::process::id() as i32);
    /// child.join().unwrap();
    /// ```
    pub fn pid(&self) -> i32 {
        self.pid.as_raw()
    }

    /// Waits for the child and returns its value, taking the handle, as
    /// std's `JoinHandle::join` does.
    ///
    /// ```
    /// use parlab::Process;
    ///
    /// let child = Process::start(|| std::process::id()).unwrap();
    /// let pid = child.pid();
    /// assert_eq!(child.join().unwrap() as i32, pid);
    /// ```
    pub fn join(mut self) -> Result<R> {
        self.wait_until(None)?;
        self.outcome.take().expect("set once the child is reaped")
    }

    /// Waits for the child to end and says how it ended, keeping its value
    /// for [`Process::join`] (Python's `join`, after which `exitcode` is set).
    ///
    /// ```
    /// let mut child = parlab::Process::start(|| 5).unwrap();
    /// assert_eq!(child.wait().unwrap(), &parlab::ExitHow::Code(0));
    /// assert_eq!(child.join().unwrap(), 5); // the value was kept
    /// ```
    pub fn wait(&mut self) -> Result<&ExitHow> {
        self.wait_until(None)?;
        Ok(self.status.as_ref().expect("set once the child is reaped"))
    }

    /// Waits at most `timeout` for the child to end: `Ok(false)` if it is
    /// still running (kill it, or wait again); its value stays for
    /// [`Process::join`]. Like [`Task::wait_timeout`](crate::Task::wait_timeout).
    ///
    /// ```
    /// use std::time::Duration;
    ///
    /// let mut slow = parlab::Process::start(|| std::thread::sleep(Duration::from_secs(60))).unwrap();
    /// assert!(!slow.wait_timeout(Duration::from_millis(50)).unwrap()); // still running
    /// slow.kill().unwrap();
    /// assert!(slow.join().is_err()); // killed by SIGKILL
    /// ```
    pub fn wait_timeout(&mut self, timeout: Duration) -> Result<bool> {
        self.wait_until(Some(Instant::now() + timeout))
    }

    /// Waits at most `timeout` and returns the child's value, or
    /// [`Error::Timeout`] with the child stopped (killed and reaped): the
    /// contract of [`Task::join_timeout`](crate::Task::join_timeout), Python's
    /// `future.result(timeout)`. To keep a late child, use
    /// [`Process::wait_timeout`].
    ///
    /// ```
    /// use parlab::{Error, Process};
    /// use std::time::Duration;
    ///
    /// assert_eq!(Process::start(|| 7).unwrap().join_timeout(Duration::from_secs(30)).unwrap(), 7);
    /// let slow = Process::start(|| std::thread::sleep(Duration::from_secs(60))).unwrap();
    /// let late = slow.join_timeout(Duration::from_millis(50));
    /// assert!(matches!(late, Err(Error::Timeout { unfinished: 1, total: 1 })));
    /// ```
    pub fn join_timeout(mut self, timeout: Duration) -> Result<R> {
        if self.wait_timeout(timeout)? {
            return self.join();
        }
        // Dropped here: killed and reaped.
        Err(Error::Timeout { unfinished: 1, total: 1 })
    }

    /// Whether the child is still running.
    ///
    /// ```
    /// let mut child = parlab::Process::start(|| ()).unwrap();
    /// child.wait().unwrap();
    /// assert!(!child.is_alive());
    /// ```
    pub fn is_alive(&mut self) -> bool {
        matches!(self.wait_until(Some(Instant::now())), Ok(false))
    }

    /// How the child ended, once it has: an exit code or a signal.
    ///
    /// ```
    /// let mut child = parlab::Process::start(|| ()).unwrap();
    /// child.wait().unwrap();
    /// assert_eq!(child.exit_status(), Some(&parlab::ExitHow::Code(0)));
    /// ```
    pub fn exit_status(&self) -> Option<&ExitHow> {
        self.status.as_ref()
    }

    /// When and where the child ran its closure, once it has sent its result.
    ///
    /// ```
    /// let mut child = parlab::Process::start(|| ()).unwrap();
    /// child.wait().unwrap();
    /// assert_eq!(child.span().unwrap().pid, child.pid());
    /// ```
    pub fn span(&self) -> Option<&Span> {
        self.span.as_ref()
    }

    /// Asks the child to stop (SIGTERM).
    ///
    /// ```
    /// let child = parlab::Process::start(|| std::thread::sleep(std::time::Duration::from_secs(60))).unwrap();
    /// child.terminate().unwrap();
    /// assert!(child.join().is_err()); // ended by the signal, with no result
    /// ```
    pub fn terminate(&self) -> Result<()> {
        self.signal(Signal::SIGTERM)
    }

    /// Stops the child at once (SIGKILL).
    ///
    /// ```
    /// let child = parlab::Process::start(|| std::thread::sleep(std::time::Duration::from_secs(60))).unwrap();
    /// child.kill().unwrap();
    /// let why = child.join().unwrap_err().to_string();
    /// assert!(why.contains("SIGKILL"), "{why}");
    /// ```
    pub fn kill(&self) -> Result<()> {
        self.signal(Signal::SIGKILL)
    }

    fn signal(&self, sig: Signal) -> Result<()> {
        if self.status.is_some() {
            return Ok(());
        }
        kill(self.pid, sig).map_err(os("kill"))
    }

    /// Reaps the child and reads its report; `Ok(false)` if `deadline`
    /// passed first.
    fn wait_until(&mut self, deadline: Option<Instant>) -> Result<bool> {
        if self.status.is_some() {
            return Ok(true);
        }
        let status = match deadline {
            None => sys_os::wait_blocking(self.pid)?,
            Some(deadline) => match sys_os::wait_exit_within(self.pid, deadline)? {
                Some(status) => status,
                None => return Ok(false),
            },
        };
        let how = exit_how(status);
        // Reaped: from here on the pid may belong to another process, so it
        // is recorded at once, whatever the report says.
        self.status = Some(how.clone());
        // A report that cannot be read is this join's error, not a lost child.
        let file = self.report.take().expect("read once, when the child is reaped");
        let report = match read_head(&file) {
            Ok(report) => report,
            Err(e) => {
                self.outcome = Some(Err(e));
                return Ok(true);
            }
        };
        self.outcome = Some(match report {
            Some(Report { value_len, failure, mut span }) => {
                span.index = self.index;
                let mut finished = FINISHED.lock().unwrap_or_else(|e| e.into_inner());
                // Bounded, as a pool's spans are: a program that never takes them loses the oldest.
                if finished.len() >= 100_000 {
                    finished.pop_front();
                }
                finished.push_back(span.clone());
                self.span = Some(span);
                match (failure, value_len) {
                    (Some(f), _) => Err(f.into()),
                    (None, Some(len)) => read_value(&file, len),
                    (None, None) => Err(Error::Codec("the child's report holds neither a value nor a failure".into())),
                }
            }
            None => Err(Error::ChildDied { pid: self.pid.as_raw(), how }),
        });
        report::give_back(file);
        Ok(true)
    }
}

/// Processes started so far by this program: each one's index.
static NEXT_INDEX: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Spans of the processes that ended since the last [`Process::take_spans`].
static FINISHED: std::sync::Mutex<VecDeque<Span>> = std::sync::Mutex::new(VecDeque::new());

impl Process<()> {
    /// The spans of the processes that ended since the last call, in the
    /// order they were started, numbered from 0: the trace of a run made of
    /// separate processes, as a pool's `take_spans` is of a pool's.
    ///
    /// ```
    /// use parlab::Process;
    ///
    /// let _ = Process::take_spans(); // forget earlier runs
    /// let children: Vec<Process<u8>> = (0..3).map(|i| Process::start(move || i).unwrap()).collect();
    /// let values: Vec<u8> = children.into_iter().map(|c| c.join().unwrap()).collect();
    /// let spans = Process::take_spans();
    /// assert_eq!((values, spans.len()), (vec![0, 1, 2], 3));
    /// assert_eq!(spans.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2]);
    /// ```
    pub fn take_spans() -> Vec<Span> {
        let mut spans = Vec::from(std::mem::take(&mut *FINISHED.lock().unwrap_or_else(|e| e.into_inner())));
        spans.sort_by_key(|s| s.index);
        spans.iter_mut().enumerate().for_each(|(i, s)| s.index = i);
        spans
    }
}

impl<R> Drop for Process<R> {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = kill(self.pid, Signal::SIGKILL);
            let _ = waitpid(self.pid, None);
        }
    }
}
