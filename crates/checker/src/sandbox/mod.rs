//! Runs a learner's program as untrusted: in its own process group, stdin
//! closed, under a wall-clock limit, a process cap and an output cap. Whatever
//! happens, every process it started is killed and reaped before `run`
//! returns.

use crate::limits::ProcessCap;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The bounds a run must stay within.
#[derive(Debug, Clone)]
pub struct Limits {
    pub wall: Duration,
    pub max_processes: usize,
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
}

#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub ending: Ending,
    pub pid: i32,
    pub wall_secs: f64,
    /// CPU time of the program and every process it waited for.
    pub cpu_secs: f64,
    pub stdout: String,
    pub stderr: String,
    pub cap: &'static str,
}

/// The process group being run, for the Ctrl-C handler.
pub static CURRENT_GROUP: AtomicI32 = AtomicI32::new(0);

/// Makes this process the reaper of orphaned descendants (Linux), so that a
/// grandchild that escaped its process group still comes back to us.
pub fn become_subreaper() {
    #[cfg(target_os = "linux")]
    {
        let _ = nix::sys::prctl::set_child_subreaper(true);
    }
}

/// Set by the Ctrl-C handler: a run that ends after it reports nothing and
/// leaves the exit (code 130) to the handler.
pub static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Kills the current learner's group: installed as the Ctrl-C handler.
pub fn kill_current_group() {
    INTERRUPTED.store(true, Ordering::SeqCst);
    let g = CURRENT_GROUP.load(Ordering::SeqCst);
    if g > 0 {
        let _ = kill(Pid::from_raw(-g), Signal::SIGKILL);
    }
}

pub fn run(program: &Path, envs: &[(&str, OsString)], limits: &Limits, tag: &str) -> std::io::Result<RunOutcome> {
    let cap = Arc::new(ProcessCap::new(limits.max_processes, tag));
    let mut cmd = Command::new(program);
    cmd.envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let in_child = Arc::clone(&cap);
    // SAFETY: `enter` makes only async-signal-safe calls.
    unsafe { cmd.pre_exec(move || in_child.enter()) };
    let cpu_before = parlab::CpuTime::now().children;
    let mut child = cmd.spawn()?;
    // spawn() returns once exec has succeeded: the clock starts after the
    // cgroup move and exec, as it does for the checker's own baseline.
    let started = Instant::now();
    drop(cmd); // with it the child's handle on the cap: dropping ours removes the cgroup
    let cap_ref: &ProcessCap = &cap;
    let pid = child.id() as i32;
    CURRENT_GROUP.store(pid, Ordering::SeqCst);

    let flooded = Arc::new(AtomicBool::new(false));
    let read_capped = |mut stream: Box<dyn Read + Send>| {
        let (buf, flooded, max) = (Arc::new(Mutex::new(Vec::new())), Arc::clone(&flooded), limits.max_output);
        let out = Arc::clone(&buf);
        let handle = std::thread::spawn(move || {
            let mut chunk = [0u8; 8192];
            while let Ok(n) = stream.read(&mut chunk) {
                if n == 0 {
                    break;
                }
                let mut b = out.lock().unwrap();
                if b.len() + n > max {
                    flooded.store(true, Ordering::SeqCst);
                    break;
                }
                b.extend_from_slice(&chunk[..n]);
            }
        });
        (buf, handle)
    };
    let (out_buf, out_thread) = read_capped(Box::new(child.stdout.take().expect("piped")));
    let (err_buf, err_thread) = read_capped(Box::new(child.stderr.take().expect("piped")));

    // A thread blocks in wait(), so the exit is seen at once; this loop
    // only watches the limits meanwhile.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let mut tick = 0u32;
    let (ending, wall_secs) = loop {
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(status) => break (exit_ending(status?), started.elapsed().as_secs_f64()),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                break (Ending::Exited(-1), started.elapsed().as_secs_f64());
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        tick += 1;
        let elapsed = started.elapsed();
        if flooded.load(Ordering::SeqCst) {
            break (Ending::OutputFlood, elapsed.as_secs_f64());
        }
        // The kernel enforces a cgroup or rlimit cap; scanning /proc is the
        // fallback, and costs CPU, so it runs less often.
        let bomb = cap_ref.refused_forks()
            || (matches!(cap_ref, ProcessCap::None) && tick % 4 == 0 && group_size(pid) > limits.max_processes);
        if bomb {
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
    clean_up(pid, cap_ref);
    let _ = rx.recv(); // the program itself, reaped by the waiter
    let _ = waiter.join();
    CURRENT_GROUP.store(0, Ordering::SeqCst);
    let _ = out_thread.join();
    let _ = err_thread.join();
    let cpu_secs = parlab::CpuTime::now().children.saturating_sub(cpu_before).as_secs_f64();
    let text = |b: &Arc<Mutex<Vec<u8>>>| String::from_utf8_lossy(&b.lock().unwrap()).into_owned();
    let outcome = RunOutcome {
        ending,
        pid,
        wall_secs,
        cpu_secs,
        stdout: text(&out_buf),
        stderr: text(&err_buf),
        cap: cap_ref.describe(),
    };
    drop(cap); // removes the cgroup
    if INTERRUPTED.load(Ordering::SeqCst) {
        // The Ctrl-C handler is cleaning up and will end the process.
        loop {
            std::thread::park();
        }
    }
    Ok(outcome)
}

/// Kills the group, every cgroup member and every orphan handed to us, until
/// none is left, and reaps them.
fn clean_up(group: i32, cap: &ProcessCap) {
    let me = std::process::id() as i32;
    for _ in 0..500 {
        let _ = kill(Pid::from_raw(-group), Signal::SIGKILL);
        let mut left = group_size(group);
        for p in cap.members().into_iter().chain(children_of(me).into_iter().filter(|&p| p != group)) {
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
    for p in children_of(std::process::id() as i32) {
        if p != group {
            let _ = waitpid(Pid::from_raw(p), Some(WaitPidFlag::WNOHANG));
        }
    }
}

/// Processes in process group `group`, zombies included.
pub fn group_size(group: i32) -> usize {
    procs().filter(|(_, _, pgrp)| *pgrp == group).count()
}

fn children_of(parent: i32) -> Vec<i32> {
    procs().filter(|(_, ppid, _)| *ppid == parent).map(|(p, _, _)| p).collect()
}

/// (pid, ppid, pgrp) of every process, from /proc/PID/stat (Linux).
fn procs() -> impl Iterator<Item = (i32, i32, i32)> {
    std::fs::read_dir("/proc").into_iter().flatten().filter_map(|e| {
        let e = e.ok()?;
        let pid: i32 = e.file_name().to_str()?.parse().ok()?;
        let stat = std::fs::read_to_string(e.path().join("stat")).ok()?;
        // The command name may hold spaces and parentheses: split after the last ')'.
        let rest = &stat[stat.rfind(')')? + 2..];
        let mut f = rest.split_whitespace();
        let (_state, ppid, pgrp) = (f.next()?, f.next()?.parse().ok()?, f.next()?.parse().ok()?);
        Some((pid, ppid, pgrp))
    })
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
