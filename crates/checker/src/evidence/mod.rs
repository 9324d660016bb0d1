//! What one run's trace shows, and whether it can be believed.
//!
//! The trace is written by the program under test, so it is evidence to be
//! checked, not trusted: every span must lie inside the run, claim exactly
//! the work the input asks for, last at least as long as that work takes, and
//! name a process the kernel saw in the run at that time. Only then is it
//! read for where and when the tasks ran.

use crate::inputs::Input;
use crate::manifest::{Exercise, OverlapRule, SpeedupRule, WhereRule};
use crate::sandbox::procs::ProcessLog;
use crate::verdict::Evidence;
use parlab::{Span, Trace};

/// One run as the checker saw it, with the trace the program left.
pub struct Run<'a> {
    /// Spans ordered by start, numbered in that order.
    pub spans: &'a [Span],
    pub main_pid: i32,
    /// Before the program was started, and after every process of it ended.
    pub window_ns: (u64, u64),
    pub processes: &'a ProcessLog,
    /// Real seconds per course second.
    pub time_scale: f64,
}

/// A problem the trace shows. `noise` marks what a busy machine alone can
/// cause (tasks that should overlap did not), which is no failure when the
/// CPUs were taken by others.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub reason: String,
    pub noise: bool,
}

fn problem(reason: impl Into<String>) -> Problem {
    Problem { reason: reason.into(), noise: false }
}

/// Spans shorter than this are too short for the process samples (taken
/// every 5 ms) to say anything about.
const CHECKABLE_NS: u64 = 3_000_000;

/// Whether the trace can be believed: the first reason it cannot, if any.
pub fn integrity(input: &Input, run: &Run) -> Result<(), String> {
    let spans = run.spans;
    if let Some(n) = input.traced_tasks()
        && spans.len() != n
    {
        return Err(format!(
            "the trace holds {} task(s) but the input has {n}: call the course workload once per input value, \
             every time your program runs",
            spans.len()
        ));
    }
    let (from, to) = run.window_ns;
    if let Some(s) = spans.iter().find(|s| s.start_ns < from || s.end_ns > to || s.end_ns < s.start_ns) {
        return Err(format!(
            "the trace holds a task (in process {}) outside the time your program ran: the trace was not written \
             by the course workloads",
            s.pid
        ));
    }
    if let Some(expected) = input.sleeps() {
        let mut claimed: Vec<f64> = spans.iter().map(|s| s.sleep.unwrap_or(f64::NAN)).collect();
        let mut wanted = expected.clone();
        claimed.sort_by(f64::total_cmp);
        wanted.sort_by(f64::total_cmp);
        if claimed.iter().zip(&wanted).any(|(c, w)| c.is_nan() || (c - w).abs() > 1e-9) {
            return Err(format!(
                "your tasks slept {} (course seconds) but the input asks for {}: call the workload once with each \
                 input value, unchanged",
                list(&claimed),
                list(&wanted)
            ));
        }
        let scale = run.time_scale;
        if let Some(s) =
            spans.iter().find(|s| (s.end_ns - s.start_ns) as f64 / 1e9 < s.sleep.unwrap_or(0.0) * scale - 1e-4)
        {
            return Err(format!(
                "a task claims to have slept {} s ({:.1} ms here) but its span lasted {:.1} ms: the trace does not \
                 match the work",
                s.sleep.unwrap_or(0.0),
                s.sleep.unwrap_or(0.0) * scale * 1e3,
                s.secs() * 1e3
            ));
        }
    }
    for s in spans.iter().filter(|s| s.end_ns - s.start_ns >= CHECKABLE_NS) {
        if run.processes.absent_during(s.pid, s.start_ns, s.end_ns).is_some() {
            return Err(format!(
                "the trace says process {} ran a task, but the kernel shows no such process in your program while \
                 that task ran: the trace was not written by the course workloads",
                s.pid
            ));
        }
    }
    Ok(())
}

fn list(xs: &[f64]) -> String {
    let shown: Vec<String> =
        xs.iter().map(|x| if x.is_nan() { "?".into() } else { format!("{}", (x * 1000.0).round() / 1000.0) }).collect();
    format!("[{}]", shown.join(", "))
}

/// What the trace shows, and what in it does not fit the exercise, the
/// deciding problem first.
pub fn shape(ex: &Exercise, input: &Input, run: &Run, usable_cpus: usize) -> (Evidence, Vec<Problem>) {
    let spans = run.spans;
    let main_pid = run.main_pid;
    let trace = Trace::from_spans("", spans.to_vec());
    let mut children = trace.pids();
    children.retain(|&p| p != main_pid);
    let in_main = spans.iter().filter(|s| s.pid == main_pid).count();
    let lanes = trace.lanes().len();
    let seen = run.processes.seen();
    let ev = Evidence {
        tasks: spans.len(),
        processes: trace.pids().len(),
        lanes,
        max_concurrency: trace.max_concurrency(),
        ran_in_main_process: in_main,
        processes_seen_by_kernel: seen.len(),
    };
    let n = spans.len();
    let mut problems = Vec::new();
    if n == 0 {
        return (ev, problems);
    }
    let threads = if lanes > 1 { format!(", on {lanes} threads") } else { String::new() };
    match ex.where_ {
        WhereRule::Main if in_main != n => problems.push(problem(
            "some tasks ran outside your program's own process: this step runs them one after the other, in it",
        )),
        WhereRule::OwnProcess | WhereRule::Pool if in_main == n => problems.push(problem(format!(
            "every task ran in your program's own process{threads}: this exercise asks for processes (parlab::{})",
            if ex.where_ == WhereRule::Pool { "ProcessPool" } else { "Process" }
        ))),
        WhereRule::OwnProcess | WhereRule::Pool if in_main > 0 => problems.push(problem(format!(
            "{in_main} of {n} tasks ran in your program's own process: give every task to {}",
            if ex.where_ == WhereRule::Pool { "the pool" } else { "a process of its own" }
        ))),
        WhereRule::OwnProcess if children.len() != n => problems.push(problem(format!(
            "{n} tasks ran in {} child processes: give every task a process of its own",
            children.len()
        ))),
        WhereRule::Pool => {
            let w = input.workers().unwrap_or(n);
            if n > w && children.len() == n {
                problems.push(problem("every task got a new process: a pool starts its workers once and reuses them"));
            } else if children.len() > w {
                problems.push(problem(format!(
                    "the tasks ran in {} processes, more than the {w} workers the input asks for: make the pool \
                     with exactly that many",
                    children.len()
                )));
            } else if children.len() < w {
                problems.push(problem(format!(
                    "your pool ran the tasks on {} worker(s), but the input asks for {w}, so that {w} tasks run at \
                     once: make the pool with exactly that many",
                    children.len()
                )));
            }
        }
        WhereRule::ThreadsAndProcesses => problems.extend(threads_and_processes(spans, main_pid, usable_cpus)),
        WhereRule::Ranks => problems.extend(ranks(run, crate::verify::ranks_for(usable_cpus))),
        _ => {}
    }
    let concurrency = ev.max_concurrency;
    match (ex.overlap, ex.speedup) {
        // Judged per part, with where the parts ran.
        _ if matches!(ex.where_, WhereRule::ThreadsAndProcesses | WhereRule::Ranks) => {}
        (OverlapRule::All, SpeedupRule::Cpus) if usable_cpus >= 2 => {
            let want = usable_cpus.min(n);
            if lanes == 1 {
                problems.push(problem(format!(
                    "every task ran on one lane (one thread of one process): a pool of one worker, or a plain loop, \
                     runs tasks one at a time; use one worker per usable CPU ({usable_cpus} here)"
                )));
            } else if lanes < want {
                problems.push(problem(format!(
                    "the tasks ran on {lanes} lanes but {usable_cpus} CPUs are usable: use one worker per usable CPU"
                )));
            } else if concurrency < 2 {
                problems.push(Problem {
                    reason: format!(
                        "the tasks ran on {lanes} lanes but never two at the same time: start them all before \
                         waiting for any"
                    ),
                    noise: true,
                });
            }
        }
        (OverlapRule::All, _) if ex.where_ == WhereRule::Pool => {
            let want = input.workers().unwrap_or(n).min(n);
            if concurrency < want && problems.is_empty() {
                let reason = if concurrency == 1 {
                    "the tasks ran one at a time: hand the pool every task before waiting for any result".to_string()
                } else {
                    format!(
                        "at most {concurrency} tasks ran at once on a pool of {want}: hand the pool every task \
                         before waiting for any result"
                    )
                };
                problems.push(Problem { reason, noise: true });
            }
        }
        (OverlapRule::All, _) if n >= 2 => {
            if concurrency < 2 {
                problems.push(Problem {
                    reason: "the tasks ran one at a time: each process was joined before the next one started \
                             (start them all first, then join them)"
                        .into(),
                    noise: true,
                });
            } else {
                let alone = spans.iter().filter(|s| !spans.iter().any(|o| !std::ptr::eq(*s, o) && s.overlaps(o)));
                let alone = alone.count();
                if alone > 0 {
                    problems.push(Problem {
                        reason: format!(
                            "{alone} task(s) ran while no other task did: start every process before joining any"
                        ),
                        noise: true,
                    });
                }
            }
        }
        (OverlapRule::None, _) if ex.where_ == WhereRule::Main && concurrency > 1 => {
            problems.push(problem("tasks overlapped in time, but this step runs them one after the other"))
        }
        _ => {}
    }
    (ev, problems)
}

/// What does not fit "the same count, once on threads of the program's own
/// process and once in child processes, each on every usable CPU".
fn threads_and_processes(spans: &[Span], main_pid: i32, usable_cpus: usize) -> Vec<Problem> {
    let (on_threads, in_children): (Vec<Span>, Vec<Span>) = spans.iter().cloned().partition(|s| s.pid == main_pid);
    let mut problems = Vec::new();
    if on_threads.is_empty() {
        problems.push(problem(
            "no count ran in your program's own process: do the first count with threads \
             (std::thread::scope), each adding its part to one shared counter",
        ));
    }
    if in_children.is_empty() {
        problems.push(problem(
            "no count ran in a child process: do the second count with processes (parlab::Process), each \
             sending its part's count back",
        ));
    }
    if !problems.is_empty() {
        return problems;
    }
    let want = usable_cpus.max(1);
    let threads = Trace::from_spans("", on_threads);
    let children = Trace::from_spans("", in_children);
    let (lanes, pids) = (threads.lanes().len(), children.pids().len());
    if lanes < want {
        problems.push(problem(format!(
            "the threads' count ran on {lanes} thread(s), but {want} CPUs are usable: start one thread per usable \
             CPU, each counting its part"
        )));
    }
    if pids < want {
        problems.push(problem(format!(
            "the processes' count ran in {pids} process(es), but {want} CPUs are usable: start one process per \
             usable CPU, each counting its part"
        )));
    }
    // Parts too short to be seen overlapping say nothing (the CPU time they
    // used is judged with the speed).
    for (trace, what) in [(&threads, "threads"), (&children, "processes")] {
        let checkable = trace.spans.iter().any(|s| s.end_ns - s.start_ns >= CHECKABLE_NS);
        if want >= 2 && checkable && trace.lanes().len() >= 2 && trace.max_concurrency() < 2 {
            problems.push(Problem {
                reason: format!("your {what} counted one at a time: start them all before joining any"),
                noise: true,
            });
        }
    }
    problems
}

/// What does not fit "every one of `want` ranks counts its part, at the
/// same time as the others". The ranks are the processes the launcher
/// (`mpirun`, the program the checker started) started itself, as the
/// kernel shows their parent: work in a process forked inside a rank is not
/// work on a rank.
fn ranks(run: &Run, want: usize) -> Vec<Problem> {
    let launcher = run.main_pid;
    let mut problems = Vec::new();
    let is_rank = |pid: i32| run.processes.parent_of(pid) == Some(launcher);
    if let Some(s) = run.spans.iter().find(|s| s.pid == launcher) {
        problems.push(problem(format!(
            "the trace says mpirun itself (process {}) counted: the trace was not written by the course workloads",
            s.pid
        )));
    }
    // A process too short-lived to be sampled has no known parent: its
    // span is short too, and the CPU time the run used is judged anyway.
    let forked = run.spans.iter().find(|s| run.processes.parent_of(s.pid).is_some_and(|p| p != launcher));
    if let Some(s) = forked {
        problems.push(problem(format!(
            "process {} counted a part, but mpirun did not start it (a process started inside a rank): on MPI \
             every rank counts its own part, in its own process",
            s.pid
        )));
    }
    let on_ranks: Vec<Span> = run.spans.iter().filter(|s| is_rank(s.pid)).cloned().collect();
    let trace = Trace::from_spans("", on_ranks);
    let counted = trace.pids().len();
    if counted < want {
        problems.push(problem(format!(
            "the count ran on {counted} of the {want} ranks: every rank must count its own part (take part \
             `rank` of `split_range(end - start, size)`)"
        )));
    }
    let checkable = trace.spans.iter().any(|s| s.end_ns - s.start_ns >= CHECKABLE_NS);
    if problems.is_empty() && checkable && counted >= 2 && trace.max_concurrency() < 2 {
        problems.push(Problem {
            reason: "your ranks counted one at a time: a rank that waits for another before it counts (a \
                     receive, a barrier) makes them take turns"
                .into(),
            noise: true,
        });
    }
    problems
}

/// The input values in the order their tasks ended, by the trace; `None`
/// when a value has no span (the integrity check says why).
pub fn completion_order(input: &Input, spans: &[Span]) -> Option<Vec<(f64, u64)>> {
    let sleeps = input.sleeps()?;
    let mut ends: Vec<(f64, u64)> = Vec::new();
    for value in sleeps {
        let span = spans.iter().find(|s| s.sleep.is_some_and(|c| (c - value).abs() < 1e-9))?;
        ends.push((value, span.end_ns));
    }
    ends.sort_by_key(|&(_, end)| end);
    Some(ends)
}
