//! A cap on the processes a learner's program may start, enforced by the
//! kernel: a fork bomb outruns any watchdog that polls. Linux only, and kept
//! here so other systems can add theirs.
//!
//! - a cgroup with `pids.max` (v1 `pids` hierarchy or v2), which binds root too;
//! - otherwise `RLIMIT_NPROC`, which binds everyone but root;
//! - otherwise nothing: the watchdog in `sandbox` is the only guard.

use std::ffi::CString;
use std::path::{Path, PathBuf};

/// Where cgroups for runs are made, v1's `pids` hierarchy first.
const ROOTS: [&str; 2] = ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"];
const PREFIX: &str = "parlab-checker-";

/// How processes are capped for one run.
pub enum ProcessCap {
    /// A cgroup made for this run; the child joins it before `exec`.
    Cgroup {
        dir: PathBuf,
        procs_file: CString,
    },
    /// `RLIMIT_NPROC` set in the child before `exec`.
    Rlimit(u64),
    None,
}

impl ProcessCap {
    /// Sets up a cap of `max` processes for a run named `tag`, whose program
    /// runs as user `uid`.
    pub fn new(max: usize, tag: &str, uid: u32) -> ProcessCap {
        for root in ROOTS {
            let base = PathBuf::from(root);
            if !base.join("cgroup.procs").exists() || (root == "/sys/fs/cgroup" && !v2_has_pids(&base)) {
                continue;
            }
            let dir = base.join(format!("{PREFIX}{}-{tag}", std::process::id()));
            let made =
                std::fs::create_dir_all(&dir).is_ok() && std::fs::write(dir.join("pids.max"), max.to_string()).is_ok();
            if made {
                let procs =
                    CString::new(dir.join("cgroup.procs").to_string_lossy().as_bytes()).expect("no NUL in path");
                return ProcessCap::Cgroup { dir, procs_file: procs };
            }
            let _ = std::fs::remove_dir(&dir);
        }
        if uid != 0 {
            // The limit counts every process of the user: add those running now.
            return ProcessCap::Rlimit((user_processes(uid) + max) as u64);
        }
        ProcessCap::None
    }

    /// What protects this run, in words for the verdict.
    pub fn describe(&self) -> &'static str {
        match self {
            ProcessCap::Cgroup { .. } => "cgroup pids.max",
            ProcessCap::Rlimit(_) => "RLIMIT_NPROC",
            ProcessCap::None => "a watchdog only (a root program without a writable pids cgroup)",
        }
    }

    /// Runs in the child between `fork` and `exec`: only async-signal-safe calls.
    pub fn enter(&self) -> std::io::Result<()> {
        match self {
            ProcessCap::Cgroup { procs_file, .. } => {
                // SAFETY: open/write/close are async-signal-safe; the path was
                // made before the fork.
                unsafe {
                    let fd = nix::libc::open(procs_file.as_ptr(), nix::libc::O_WRONLY);
                    if fd < 0 {
                        return Err(std::io::Error::last_os_error());
                    }
                    let ok = nix::libc::write(fd, b"0".as_ptr().cast(), 1) == 1;
                    nix::libc::close(fd);
                    if !ok {
                        return Err(std::io::Error::last_os_error());
                    }
                }
                Ok(())
            }
            ProcessCap::Rlimit(n) => nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NPROC, *n, *n)
                .map_err(std::io::Error::from),
            ProcessCap::None => Ok(()),
        }
    }

    /// The file that lists the run's processes, where the kernel keeps one.
    pub fn procs_file(&self) -> Option<PathBuf> {
        match self {
            ProcessCap::Cgroup { dir, .. } => Some(dir.join("cgroup.procs")),
            _ => None,
        }
    }

    /// Every process still in the run's cgroup (escapees from the process group included).
    pub fn members(&self) -> Vec<i32> {
        match self {
            ProcessCap::Cgroup { dir, .. } => std::fs::read_to_string(dir.join("cgroup.procs"))
                .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }

    /// Whether the cap stopped a fork (the cgroup counts refusals).
    pub fn refused_forks(&self) -> bool {
        match self {
            ProcessCap::Cgroup { dir, .. } => std::fs::read_to_string(dir.join("pids.events"))
                .ok()
                .and_then(|s| s.split_whitespace().nth(1).and_then(|n| n.parse::<u64>().ok()))
                .is_some_and(|n| n > 0),
            _ => false,
        }
    }
}

impl Drop for ProcessCap {
    fn drop(&mut self) {
        if let ProcessCap::Cgroup { dir, .. } = self {
            remove_cgroup(dir);
        }
    }
}

/// Kills whatever is left in a run's cgroup and removes it, retrying briefly
/// while the last members are reaped.
pub(super) fn remove_cgroup(dir: &Path) {
    for _ in 0..200 {
        for pid in std::fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default().lines() {
            if let Ok(pid) = pid.trim().parse::<i32>() {
                let _ = nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::Signal::SIGKILL);
            }
        }
        if std::fs::remove_dir(dir).is_ok() || !dir.exists() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Removes cgroups left by checkers that were killed mid-run, and kills any
/// learner process still inside them.
pub fn sweep_stale() {
    for root in ROOTS {
        let Ok(entries) = std::fs::read_dir(root) else { continue };
        for entry in entries.filter_map(Result::ok) {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(owner) =
                name.strip_prefix(PREFIX).and_then(|r| r.split('-').next()).and_then(|p| p.parse::<i32>().ok())
            else {
                continue;
            };
            let owner_alive = nix::sys::signal::kill(nix::unistd::Pid::from_raw(owner), None).is_ok();
            if !owner_alive {
                remove_cgroup(&entry.path());
            }
        }
    }
}

fn v2_has_pids(base: &std::path::Path) -> bool {
    std::fs::read_to_string(base.join("cgroup.subtree_control"))
        .is_ok_and(|s| s.split_whitespace().any(|c| c == "pids"))
}

fn user_processes(uid: u32) -> usize {
    super::procs::pids().into_iter().filter(|&p| super::procs::owner(p) == Some(uid)).count()
}
