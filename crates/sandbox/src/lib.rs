//! Runs a program as untrusted: a session of its own (no controlling
//! terminal), stdin closed, under a wall-clock limit, a process cap and an
//! output cap, as an unprivileged user when the caller is root, while the
//! caller samples which processes it really has. Whatever happens, every
//! process it started is killed and reaped before `run` returns.
//!
//! The checker grades with it and the book server runs examples with it,
//! both building and staging the program the same way ([`stage`]):
//! a crate of its own, so the grader builds without the book's web stack.
//!
//! ```
//! use parlab_sandbox::{Limits, Spec, run};
//! use std::time::Duration;
//!
//! let limits = Limits { wall: Duration::from_secs(10), max_processes: 8, extra_threads: 0, max_output: 1 << 16 };
//! let dir = std::env::temp_dir();
//! let args = ["-c".into(), "echo hi".into()];
//! let spec = Spec { program: "/bin/sh".as_ref(), args: &args, envs: &[], cwd: &dir, limits: &limits,
//!                   run_as: None, tag: "doc", watch: None, keep: &[] };
//! let outcome = run(&spec)?;
//! assert_eq!(outcome.stdout, "hi\n");
//! assert_eq!(outcome.ending, parlab_sandbox::Ending::Exited(0));
//! # Ok::<(), std::io::Error>(())
//! ```

mod cap;
pub mod procs;
pub mod stage;
mod user;

pub use user::RunAs;

use cap::ProcessCap;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use procs::ProcessLog;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bounds a run must stay within.
#[derive(Debug, Clone)]
pub struct Limits {
    pub wall: Duration,
    /// Processes at once: the kernel's count, sampled, for every user and root.
    pub max_processes: usize,
    /// Threads allowed beyond `max_processes` in the kernel's cap, which
    /// counts threads too (a hundred waits on a hundred threads).
    pub extra_threads: usize,
    pub max_output: usize,
}

/// How the program ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Exited(i32),
    Signaled(String),
    TimedOut,
    ForkBomb,
    OutputFlood,
    /// Stopped from outside (its watcher went away).
    Stopped,
}

/// What one run did, as the checker (not the program) saw it.
pub struct RunOutcome {
    pub ending: Ending,
    pub pid: i32,
    pub wall_secs: f64,
    /// CPU time of the program and every process it waited for.
    pub cpu_secs: f64,
    /// CPU-seconds other programs used on our CPUs meanwhile, if measured.
    pub others_cpu_secs: Option<f64>,
    pub stdout: String,
    pub stderr: String,
    pub cap: &'static str,
    /// The processes the run had, sampled from the kernel while it ran.
    pub processes: ProcessLog,
}

/// What to run, and how.
pub struct Spec<'a> {
    pub program: &'a Path,
    /// Its arguments (an MPI exercise runs as `mpirun ... PROGRAM`).
    pub args: &'a [OsString],
    pub envs: &'a [(&'a str, OsString)],
    pub cwd: &'a Path,
    pub limits: &'a Limits,
    pub run_as: Option<&'a RunAs>,
    /// Names the run's cgroup.
    pub tag: &'a str,
    /// Who sees the output as it comes, and may stop the run; `None` when
    /// only the outcome matters.
    pub watch: Option<&'a Watch>,
    /// The caller's own children that run beside the program (the checker's
    /// relays to other hosts): not orphans of the run, never killed with it.
    pub keep: &'a [i32],
}

/// Called with each piece of output as it is read.
pub type OnOutput = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// The output of a run as it comes (stdout and stderr, in the order read),
/// and a flag that stops the run when set: for a reader who watches it live.
#[derive(Clone)]
pub struct Watch {
    pub output: OnOutput,
    pub stop: Arc<AtomicBool>,
}

/// The one piece of global state: the run under way, for the interrupt
/// handler (which `ctrlc` runs on a thread of its own).
struct CurrentRun {
    /// The program's session (and process group); 0 between runs.
    session: i32,
    /// The run's cgroup, if it has one.
    cgroup: Option<std::path::PathBuf>,
    /// Set by the handler: a run that ends after it reports nothing and
    /// leaves the exit to the handler; no run starts after it.
    interrupted: bool,
    /// A program is being started and its session is not recorded yet: the
    /// handler waits for it, or the program would outlive the checker.
    starting: bool,
}

static CURRENT: Mutex<CurrentRun> =
    Mutex::new(CurrentRun { session: 0, cgroup: None, interrupted: false, starting: false });

fn current() -> std::sync::MutexGuard<'static, CurrentRun> {
    CURRENT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Readies this process to run untrusted programs: orphans come back to it,
/// the programs cannot reach into it, cgroups a killed run left behind are
/// removed, and Ctrl-C, SIGTERM and SIGHUP stop the program under way before
/// `who` exits (130) saying so. Call it once, before the first `run`.
///
/// ```no_run
/// parlab_sandbox::prepare("checker");
/// ```
pub fn prepare(who: &'static str) {
    become_subreaper();
    protect_caller();
    cap::sweep_stale();
    let _ = ctrlc::set_handler(move || {
        stop_current_run();
        eprintln!("\n{who}: interrupted; the program under test was stopped");
        std::process::exit(130);
    });
}

/// Makes this process the reaper of orphaned descendants (Linux), so that a
/// grandchild that escaped its session still comes back to us.
fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
}

/// Keeps programs run as this user out of the checker: a process that is not
/// dumpable cannot have its `/proc` files (its open stdout among them, or its
/// memory) opened by another process of the same user (Linux).
fn protect_caller() {
    #[cfg(target_os = "linux")]
    {
        let _ = nix::sys::prctl::set_dumpable(false);
    }
}

/// For the interrupt handler: kills the program under test, whatever it
/// started, and its cgroup. Async-signal-safety is not needed: `ctrlc` runs
/// the handler on a thread of its own.
fn stop_current_run() {
    current().interrupted = true;
    // A program being started now gets its session recorded within
    // microseconds: wait for it (2 s at most) before killing.
    let deadline = Instant::now() + Duration::from_secs(2);
    while current().starting && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut run = current();
    if run.session > 0 {
        let _ = kill(Pid::from_raw(-run.session), Signal::SIGKILL);
        for p in procs::session_members(run.session) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
        }
        // The checker exits next: let the killed processes finish dying
        // first (at most 2 s), so that none is still there when it has gone.
        let deadline = Instant::now() + Duration::from_secs(2);
        while procs::running_in_session(run.session) > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
    }
    if let Some(dir) = run.cgroup.take() {
        cap::remove_cgroup(&dir);
    }
}

/// Runs `spec.program` to its end, or until a limit or `spec.watch` stops
/// it, and says what it did (the crate's example shows a run). Nothing it
/// started is left running when this returns.
pub fn run(spec: &Spec) -> std::io::Result<RunOutcome> {
    let limits = spec.limits;
    let uid = spec.run_as.map_or_else(|| nix::unistd::geteuid().as_raw(), RunAs::uid);
    let cap = Arc::new(ProcessCap::new(limits.max_processes + limits.extra_threads, spec.tag, uid));
    let mut cmd = Command::new(spec.program);
    cmd.args(spec.args)
        .envs(spec.envs.iter().map(|(k, v)| (k, v)))
        .current_dir(spec.cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let in_child = Arc::clone(&cap);
    let run_as = spec.run_as.cloned();
    // SAFETY: the closure makes only async-signal-safe calls (open, write,
    // close, setrlimit, setsid, setgroups, setgid, setuid).
    unsafe {
        cmd.pre_exec(move || {
            in_child.enter()?;
            nix::unistd::setsid()?;
            if let Some(user) = &run_as {
                user.enter()?;
            }
            Ok(())
        })
    };
    let cpu_before = parlab::CpuTime::now().children;
    let load = parlab::OtherLoad::start();
    {
        let mut run = current();
        if run.interrupted {
            return Err(std::io::Error::other("the checker is being interrupted"));
        }
        run.starting = true;
    }
    let spawned = cmd.spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            current().starting = false;
            return Err(e);
        }
    };
    // spawn() returns once exec has succeeded: the clock starts after the
    // cgroup move and exec, as it does for the checker's own baseline.
    let started = Instant::now();
    drop(cmd); // with it the child's handle on the cap: dropping ours removes the cgroup
    let cap_ref: &ProcessCap = &cap;
    let pid = child.id() as i32;
    {
        let mut run = current();
        run.session = pid;
        run.starting = false;
        run.cgroup = cap_ref.procs_file().and_then(|f| f.parent().map(Path::to_path_buf));
    }
    let mut log = ProcessLog::new(cap_ref.procs_file(), pid);

    let flooded = Arc::new(AtomicBool::new(false));
    let live = spec.watch.map(|w| Arc::clone(&w.output));
    let read_capped = |mut stream: Box<dyn Read + Send>| {
        let (buf, flooded, max) = (Arc::new(Mutex::new(Vec::new())), Arc::clone(&flooded), limits.max_output);
        let out = Arc::clone(&buf);
        let live = live.clone();
        let handle = std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut b = out.lock().unwrap_or_else(|e| e.into_inner());
                if b.len() + n > max {
                    flooded.store(true, Ordering::SeqCst);
                    break;
                }
                b.extend_from_slice(&chunk[..n]);
                if let Some(live) = &live {
                    live(&chunk[..n]);
                }
            }
        });
        (buf, handle)
    };
    let (out_buf, out_thread) = read_capped(Box::new(child.stdout.take().expect("piped")));
    let (err_buf, err_thread) = read_capped(Box::new(child.stderr.take().expect("piped")));

    // A thread blocks in wait(), so the exit is seen at once; this loop
    // samples the run's processes and watches the limits meanwhile.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (ending, wall_secs) = loop {
        let alive = log.sample();
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(status) => break (exit_ending(status?), started.elapsed().as_secs_f64()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                break (Ending::Exited(-1), started.elapsed().as_secs_f64());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        let elapsed = started.elapsed();
        if flooded.load(Ordering::SeqCst) {
            break (Ending::OutputFlood, elapsed.as_secs_f64());
        }
        if spec.watch.is_some_and(|w| w.stop.load(Ordering::SeqCst)) {
            break (Ending::Stopped, elapsed.as_secs_f64());
        }
        // The kernel enforces a cgroup or rlimit cap on processes and threads
        // together; the samples count processes alone, root's too (a fork
        // bomb can outrun them, not the kernel's cap).
        if cap_ref.refused_forks() || alive > limits.max_processes {
            break (Ending::ForkBomb, elapsed.as_secs_f64());
        }
        if elapsed > limits.wall {
            break (Ending::TimedOut, elapsed.as_secs_f64());
        }
    };
    // A bomb may have been refused without the program failing: say so anyway.
    let ending = if cap_ref.refused_forks() && matches!(ending, Ending::Exited(_) | Ending::Signaled(_)) {
        Ending::ForkBomb
    } else {
        ending
    };
    clean_up(pid, cap_ref, spec.keep);
    let _ = rx.recv(); // the program itself, reaped by the waiter
    let _ = waiter.join();
    {
        let mut run = current();
        run.session = 0;
        run.cgroup = None;
    }
    let _ = out_thread.join();
    let _ = err_thread.join();
    let cpu_secs = parlab::CpuTime::now().children.saturating_sub(cpu_before).as_secs_f64();
    let others_cpu_secs = load.and_then(|l| l.cpu_secs());
    let text =
        |b: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&b.lock().unwrap_or_else(|e| e.into_inner())).into_owned();
    let outcome = RunOutcome {
        ending,
        pid,
        wall_secs,
        cpu_secs,
        others_cpu_secs,
        stdout: text(&out_buf),
        stderr: text(&err_buf),
        cap: cap_ref.describe(),
        processes: log,
    };
    drop(cap); // removes the cgroup
    if current().interrupted {
        // The interrupt handler is cleaning up and will end the process.
        loop {
            std::thread::park();
        }
    }
    Ok(outcome)
}

/// Kills the session's group, every cgroup member and every orphan handed to
/// us, until none is left, and reaps them.
fn clean_up(group: i32, cap: &ProcessCap, keep: &[i32]) {
    let me = std::process::id() as i32;
    for _ in 0..500 {
        let _ = kill(Pid::from_raw(-group), Signal::SIGKILL);
        let mut left = procs::group_members(group).len();
        // Members of the session in groups of their own (mpirun puts each
        // rank in one), then the cgroup's, then orphans handed to us.
        let others = procs::session_members(group).into_iter().filter(|&p| p != group);
        let orphans = procs::children_of(me).into_iter().filter(|&p| p != group && !keep.contains(&p));
        for p in others.chain(cap.members()).chain(orphans) {
            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
            left += 1;
        }
        reap_orphans(group);
        if left == 0 {
            return;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// Reaps any ended child except the program itself (its status is read by `Child::wait`).
fn reap_orphans(group: i32) {
    use nix::sys::wait::{WaitPidFlag, waitpid};
    for p in procs::children_of(std::process::id() as i32) {
        if p != group {
            let _ = waitpid(Pid::from_raw(p), Some(WaitPidFlag::WNOHANG));
        }
    }
}

fn exit_ending(status: std::process::ExitStatus) -> Ending {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ending::Exited(code),
        (None, Some(sig)) => Ending::Signaled(signal_name(sig)),
        _ => Ending::Exited(-1),
    }
}

fn signal_name(sig: i32) -> String {
    Signal::try_from(sig).map(|s| s.as_str().to_string()).unwrap_or_else(|_| format!("signal {sig}"))
}
