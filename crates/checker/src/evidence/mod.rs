//! What one run's witnessed calls show: first whether every task the input
//! asks for was done, once, where the program said (`account`), then where
//! and when the tasks ran (`shape`). Every call was witnessed by the checker
//! (see `crate::witness`): nothing here is the program's word.

mod account;

pub use account::{account, short_of_cpu};

use crate::inputs::Input;
use crate::manifest::{Exercise, OverlapRule, SpeedupRule, WhereRule};
use crate::verdict::Evidence;
use crate::witness::Call;
use parlab::{Span, Trace};
use parlab_sandbox::procs::ProcessLog;

/// One run as the checker saw it.
pub struct Run<'a> {
    /// Every workload call, by start time.
    pub calls: &'a [Call],
    pub main_pid: i32,
    /// The user the program ran as.
    pub uid: u32,
    pub processes: &'a ProcessLog,
    /// Real seconds per course second.
    pub time_scale: f64,
    /// CPU-seconds the checker's own sequential run of the work used, if known.
    pub work_cpu_secs: Option<f64>,
    /// How many ranks an MPI run was given, where not one per CPU here
    /// (`--hosts`: one per slot of the hostfile).
    pub ranks: Option<usize>,
}

impl Run<'_> {
    /// The parent of `pid`, a process of this host, when it reported (else
    /// when the process log first saw it).
    fn parent_of(&self, pid: i32) -> Option<i32> {
        let mut here = self.calls.iter().filter(|c| c.host.is_none());
        here.find(|c| c.pid == pid).and_then(|c| c.parent).or_else(|| self.processes.parent_of(pid))
    }
}

/// A problem the run shows. `noise` marks what timing could cause (tasks
/// that should overlap did not): on a busy machine such a run is taken
/// again. `load` marks what a busy machine does cause (CPU-starved workers
/// hand tasks over slowly): on a busy machine it is inconclusive.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub reason: String,
    pub noise: bool,
    pub load: bool,
}

fn problem(reason: impl Into<String>) -> Problem {
    Problem { reason: reason.into(), noise: false, load: false }
}

fn retried(reason: impl Into<String>) -> Problem {
    Problem { reason: reason.into(), noise: true, load: false }
}

/// Spans shorter than this are too short to say whether they overlapped.
const CHECKABLE_NS: u64 = 3_000_000;

/// What the trace shows, and what in it does not fit the exercise, the
/// deciding problem first.
pub fn shape(ex: &Exercise, input: &Input, run: &Run, spans: &[Span], usable_cpus: usize) -> (Evidence, Vec<Problem>) {
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
        other_hosts: {
            let mut hosts: Vec<String> = run.calls.iter().filter_map(|c| c.host.clone()).collect();
            hosts.sort();
            hosts.dedup();
            hosts
        },
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
            if children.len() > w {
                let each = if children.len() == n { " (each task in a process of its own)" } else { "" };
                problems.push(problem(format!(
                    "the tasks ran in {} processes{each}, more than the {w} workers the input asks for: make the \
                     pool with exactly that many; a pool starts its workers once and reuses them",
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
        WhereRule::Ranks => problems.extend(ranks(input, run, spans, run.ranks.unwrap_or(ranks_for(usable_cpus)))),
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
                problems.push(retried(format!(
                    "the tasks ran on {lanes} lanes but never two at the same time: start them all before waiting \
                     for any"
                )));
            } else if let Some(why) = too_few_at_once(&trace, want) {
                problems.push(Problem { reason: why, noise: true, load: true });
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
                problems.push(retried(reason));
            }
        }
        (OverlapRule::All, _) if n >= 2 => {
            if concurrency < 2 {
                let (what, them) = if in_main == n { ("thread", "threads") } else { ("process", "processes") };
                problems.push(retried(format!(
                    "the tasks ran one at a time: each {what} was joined before the next one started (start all \
                     the {them} first, then join them)"
                )));
            } else {
                let alone = spans.iter().filter(|s| !spans.iter().any(|o| !std::ptr::eq(*s, o) && s.overlaps(o)));
                let alone = alone.count();
                if alone > 0 {
                    problems.push(retried(format!(
                        "{alone} task(s) ran while no other task did: start every {} before joining any",
                        if in_main == n { "thread" } else { "process" }
                    )));
                }
            }
        }
        (OverlapRule::None, _) if ex.where_ == WhereRule::Main && concurrency > 1 => {
            problems.push(problem("tasks overlapped in time, but this step runs them one after the other"))
        }
        _ => {}
    }
    // A hundred waits and more: each on a thread (or process) of its own,
    // all in flight together. A pool sized to just reach the ideal runs
    // them on a few lanes; one thread keeping every wait is no wait at all.
    if ex.input == crate::manifest::InputKind::ManyWaits && problems.is_empty() && (lanes as f64) < 0.9 * n as f64 {
        problems.push(retried(format!(
            "your {n} waits ran on {lanes} threads: start one thread per wait (std::thread::scope), so that \
                 every wait is in flight at once"
        )));
    }
    // Sleeps need no CPU: with at most k of them in flight at once, no
    // machine, busy or quiet, finishes them sooner than the longest, or
    // their sum over k. Where even that misses the speed asked, the
    // schedule the checker saw decides.
    if ex.speedup == SpeedupRule::Ideal
        && problems.is_empty()
        && let (Some(sleeps), Some(ideal)) = (input.durations(), input.ideal_makespan())
    {
        let k = concurrency.max(1);
        let longest = sleeps.iter().copied().fold(0.0, f64::max);
        let floor = longest.max(sleeps.iter().sum::<f64>() / k as f64);
        if floor > ideal / crate::speed::PASS_SHARE {
            problems.push(retried(format!(
                "at most {k} tasks ran at once: that way the sleeps take {floor:.1} course-seconds at least, \
                     where {ideal:.1} is possible with every task in flight together: start every task before waiting \
                     for any"
            )));
        }
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
            problems.push(retried(format!("your {what} counted one at a time: start them all before joining any")));
        }
    }
    problems
}

/// Whether the witnessed tasks kept `want` lanes busy on average (task
/// time over wall time, from the first start to the last end): a span lasts
/// as long as its task is under way, CPU or not, so a busy machine does not
/// lower it much (only the hand-over between tasks slows); a count done
/// mostly on one lane, with a token task beside it, does. The reason, if not.
fn too_few_at_once(trace: &Trace, want: usize) -> Option<String> {
    let at_once = trace.summary().parallelism;
    (want >= 2 && at_once < 0.7 * want as f64).then(|| {
        format!(
            "your tasks ran {at_once:.2} at a time on average, where {want} CPUs are usable: give every worker its \
             share, started together"
        )
    })
}

/// How many ranks an MPI exercise runs on, with `usable` CPUs: two at
/// least, as ranks must be seen at work together.
pub fn ranks_for(usable: usize) -> usize {
    usable.max(2)
}

/// What does not fit "every one of `want` ranks counts its share, at the
/// same time as the others". The ranks are the processes the launcher
/// (`mpirun`, the program the checker started) started itself, as the
/// kernel shows their parent: work in a process forked inside a rank is not
/// work on a rank (`account` refuses it).
fn ranks(input: &Input, run: &Run, spans: &[Span], want: usize) -> Vec<Problem> {
    let mut problems = Vec::new();
    let trace = Trace::from_spans("", spans.to_vec());
    // A rank is a process of a host: two hosts may each have a process of
    // one pid (`--hosts`).
    let counting = || run.calls.iter().filter(|c| matches!(c.work, crate::witness::Work::Count(..)) && c.end.is_some());
    let mut rank_processes: Vec<(Option<&str>, i32)> = counting().map(|c| (c.host.as_deref(), c.pid)).collect();
    rank_processes.sort_unstable();
    rank_processes.dedup();
    let counted = rank_processes.len();
    if counted < want {
        problems.push(problem(format!(
            "the count ran on {counted} of the {want} ranks: every rank must count its own part (take part \
             `rank` of `split_range(end - start, size)`)"
        )));
    }
    // Each rank's share: half of an even split at least.
    let width = match input {
        Input::Ranks(a, b) => (b - a) as f64,
        _ => 0.0,
    };
    for &(host, pid) in &rank_processes {
        let mine: u64 = counting()
            .filter(|c| c.pid == pid && c.host.as_deref() == host)
            .map(|c| match c.work {
                crate::witness::Work::Count(a, b) => b.saturating_sub(a),
                _ => 0,
            })
            .sum();
        if counted >= 2 && (mine as f64) < width / (2.0 * counted as f64) {
            let on = host.map(|h| format!(" on {h}")).unwrap_or_default();
            problems.push(problem(format!(
                "rank process {pid}{on} counted {:.0}% of the range, where an even share is {:.0}%: give every rank \
                 an equal part",
                100.0 * mine as f64 / width.max(1.0),
                100.0 / counted as f64
            )));
        }
    }
    let checkable = trace.spans.iter().any(|s| s.end_ns - s.start_ns >= CHECKABLE_NS);
    if problems.is_empty() && checkable && counted >= 2 && trace.max_concurrency() < 2 {
        problems.push(retried(
            "your ranks counted one at a time: a rank that waits for another before it counts (a receive, a \
             barrier) makes them take turns",
        ));
    } else if problems.is_empty()
        && checkable
        && let Some(why) = too_few_at_once(&trace, counted)
    {
        problems.push(Problem { reason: why, noise: true, load: true });
    }
    problems
}

/// Said of a run stopped at its time limit: the calls still running then,
/// and how far a count reached beyond the input's range, if it did.
pub fn still_running(input: &Input, calls: &[Call]) -> Option<String> {
    let open: Vec<&Call> = calls.iter().filter(|c| c.end.is_none() && !c.died).collect();
    let first = open.first()?;
    let mut said = format!("when it was stopped, {} task(s) were still running, such as {}", open.len(), first.work);
    let width = match input {
        Input::Ranks(a, b) | Input::Counter(a, b) => Some((b - a) as f64),
        _ => None,
    };
    let widest = open.iter().filter_map(|c| match c.work {
        crate::witness::Work::Count(a, b) => Some(b.saturating_sub(a) as f64),
        _ => None,
    });
    if let Some(w) = width
        && let Some(most) = widest.max_by(f64::total_cmp).filter(|&m| m > 1.5 * w)
    {
        said.push_str(&format!(", a count of {:.0} times the input's range: count only the input's numbers", most / w));
    }
    Some(said)
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
