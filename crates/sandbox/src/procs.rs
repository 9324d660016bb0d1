//! The one place that reads `/proc` (Linux): which processes exist, their
//! parent, group and session, and a log of the processes a run had, sampled
//! while it ran. The log is what the kernel says, not what the program wrote:
//! the checker holds the trace against it.

use std::collections::HashMap;
use std::path::PathBuf;

/// What `/proc/PID/stat` says of a process.
#[derive(Debug, Clone, Copy)]
pub struct Stat {
    pub ppid: i32,
    pub pgrp: i32,
    pub session: i32,
    /// Ended, waiting to be reaped (or being torn down).
    pub zombie: bool,
}

/// Reads `/proc/PID/stat`; `None` once the process is gone.
pub fn stat(pid: i32) -> Option<Stat> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces and parentheses: split after the last ')'.
    let rest = &text[text.rfind(')')? + 2..];
    let mut f = rest.split_whitespace();
    let state = f.next()?;
    Some(Stat {
        ppid: f.next()?.parse().ok()?,
        pgrp: f.next()?.parse().ok()?,
        session: f.next()?.parse().ok()?,
        zombie: state == "Z" || state == "X",
    })
}

/// Every process id in `/proc` (threads are not listed there).
pub fn pids() -> Vec<i32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// The user that owns process `pid`.
pub fn owner(pid: i32) -> Option<u32> {
    std::fs::metadata(format!("/proc/{pid}")).ok().map(|m| std::os::unix::fs::MetadataExt::uid(&m))
}

/// Children of `parent`, zombies included.
pub fn children_of(parent: i32) -> Vec<i32> {
    pids().into_iter().filter(|&p| stat(p).is_some_and(|s| s.ppid == parent)).collect()
}

/// Processes of session `session` that still run (zombies, whose memory
/// is gone and which only wait to be reaped, are not counted).
pub fn running_in_session(session: i32) -> usize {
    session_members(session).len()
}

/// Processes in session `session` that have not ended (zombies left out).
pub fn session_members(session: i32) -> Vec<i32> {
    pids().into_iter().filter(|&p| stat(p).is_some_and(|s| s.session == session && !s.zombie)).collect()
}

/// Processes in process group `group`, zombies included.
pub fn group_members(group: i32) -> Vec<i32> {
    pids().into_iter().filter(|&p| stat(p).is_some_and(|s| s.pgrp == group)).collect()
}

/// The processes of a run, as seen at one moment.
#[derive(Debug, Clone)]
pub struct Sample {
    pub pids: Vec<i32>,
}

/// Where the run's processes are listed.
enum Source {
    /// The run's cgroup: `cgroup.procs` lists every process in it.
    Cgroup(PathBuf),
    /// No cgroup: the run's session (the program is its leader). Only
    /// processes not seen before have their `stat` read.
    Session { sid: i32, known: HashMap<i32, bool> },
}

/// Samples of the processes a run had, taken while it ran.
pub struct ProcessLog {
    source: Source,
    pub samples: Vec<Sample>,
    /// The parent of each process, read when it was first seen.
    parents: HashMap<i32, i32>,
}

impl ProcessLog {
    /// A log of the processes in `cgroup_procs`, or else in session `sid`.
    pub fn new(cgroup_procs: Option<PathBuf>, sid: i32) -> ProcessLog {
        let source = match cgroup_procs {
            Some(p) => Source::Cgroup(p),
            None => Source::Session { sid, known: HashMap::new() },
        };
        ProcessLog { source, samples: Vec::new(), parents: HashMap::new() }
    }

    /// Takes one sample; returns how many processes the run has now.
    pub fn sample(&mut self) -> usize {
        let pids: Vec<i32> = match &mut self.source {
            Source::Cgroup(path) => std::fs::read_to_string(&*path)
                .map(|s| s.lines().filter_map(|l| l.trim().parse().ok()).collect())
                .unwrap_or_default(),
            Source::Session { sid, known } => {
                let now = pids();
                // A pid that vanished may come back as another process: forget it.
                let alive: std::collections::HashSet<i32> = now.iter().copied().collect();
                known.retain(|p, _| alive.contains(p));
                now.into_iter()
                    .filter(|&p| *known.entry(p).or_insert_with(|| stat(p).is_some_and(|s| s.session == *sid)))
                    .collect()
            }
        };
        let n = pids.len();
        for &p in &pids {
            if let std::collections::hash_map::Entry::Vacant(e) = self.parents.entry(p)
                && let Some(s) = stat(p)
            {
                e.insert(s.ppid);
            }
        }
        self.samples.push(Sample { pids });
        n
    }

    /// Every process seen in any sample.
    pub fn seen(&self) -> Vec<i32> {
        let mut all: Vec<i32> = self.samples.iter().flat_map(|s| s.pids.iter().copied()).collect();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// The parent of `pid` when the log first saw it.
    pub fn parent_of(&self, pid: i32) -> Option<i32> {
        self.parents.get(&pid).copied()
    }
}
