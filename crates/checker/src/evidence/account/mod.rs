//! Every task accounted for: each witnessed call came from the run, did the
//! work the input asks for (no more, no less, each value or number once),
//! took the time and CPU that work takes, and returned what that work gives;
//! a task that started and never ended is a crash the kernel saw, or a failure.

use super::Run;
use crate::inputs::{Input, primes_in};
use crate::witness::{Call, Work};
use parlab::Span;

/// The least share of the checker's own CPU time for the work that the
/// reporting threads must have used, whatever the machine was doing: work
/// not done where it was reported uses next to none. Honest work uses about
/// as much as the baseline (0.99 to 1.09 here, beside a busy CPU too).
const WITNESSED_CPU_SHARE: f64 = 0.5;

/// The share below which the work looks short. A CPU-second buys more or
/// less work with what shares the core (in CI, a correct 07 counted in 0.79
/// of the baseline's CPU time beside a busy `yes`, and a sequential one in
/// 0.73 on a quiet run): between the two shares a pass is inconclusive,
/// never a pass; a failure for another reason still fails.
const QUIET_CPU_SHARE: f64 = 0.8;

/// The CPU time the reporting threads used for the work against what the
/// checker's sequential run took, when it is short of [`QUIET_CPU_SHARE`]
/// (but not of [`WITNESSED_CPU_SHARE`], which [`account`] fails at once).
pub fn short_of_cpu(run: &Run) -> Option<String> {
    let (used, work, what) = witnessed_cpu(run)?;
    (used < QUIET_CPU_SHARE * work).then(|| {
        format!(
            "the threads that reported {what} used {used:.2} CPU-seconds for it, where it takes {work:.2} (the \
             checker's sequential run): less than the work needs"
        )
    })
}

/// CPU-seconds the reporting threads used for the counting (or the tiny
/// calls), the checker's own for the same work, and which work it was.
fn witnessed_cpu(run: &Run) -> Option<(f64, f64, &'static str)> {
    let work = run.work_cpu_secs.filter(|&w| w >= 0.05)?;
    let (mut cpu_ns, mut what) = (0u64, None);
    for c in run.calls {
        let Some(end) = &c.end else { continue };
        match c.work {
            Work::Count(..) => what = Some("the counts"),
            Work::Tiny(_) => what = Some("the calls of tiny"),
            _ => continue,
        }
        cpu_ns += end.cpu_ns.unwrap_or(0);
    }
    Some((cpu_ns as f64 / 1e9, work, what?))
}

/// Accounts for every task of the input in the run's witnessed calls: the
/// first reason it cannot, or the spans of the calls that ended, numbered by
/// start.
pub fn account(input: &Input, run: &Run) -> Result<Vec<Span>, String> {
    for c in run.calls {
        from_the_run(c, run)?;
    }
    match input {
        Input::Sleeps(_) | Input::TwoSleeps(..) | Input::Pool { .. } => sleeps(&input.lasting(), run)?,
        Input::Fragile(values) => fragile(values, run)?,
        Input::Ranges(ranges) => counts(ranges, run)?,
        Input::Counter(a, b) => {
            let (threads, children): (Vec<&Call>, Vec<&Call>) =
                counting(run)?.into_iter().partition(|c| c.pid == run.main_pid);
            if threads.is_empty() {
                return Err("no count ran on threads of your program's own process: do the first count with \
                            threads (std::thread::scope), each adding its part to one shared counter"
                    .into());
            }
            if children.is_empty() {
                return Err("no count ran in a child process: do the second count with processes \
                            (parlab::Process), each sending its part's count back"
                    .into());
            }
            covers(&threads, (*a, *b), "your threads")?;
            covers(&children, (*a, *b), "your processes")?;
            let threads_done = threads.iter().filter_map(|c| c.end.as_ref()).map(|e| e.at_ns).max().unwrap_or(0);
            if children.iter().any(|c| c.start_ns < threads_done) {
                return Err("your processes counted before your threads were done: count on threads first, then \
                            on processes, as the exercise asks"
                    .into());
            }
        }
        Input::Ranks(a, b) => {
            let calls = counting(run)?;
            // A call from another host was checked there, by the checker's
            // relay: a child of the MPI daemon it started ([`crate::hosts`]).
            let here: Vec<&&Call> = calls.iter().filter(|c| c.host.is_none()).collect();
            if let Some(c) = here.iter().find(|c| c.pid == run.main_pid) {
                return Err(format!(
                    "mpirun itself (process {}) reported a count: the report was not written by the course workloads",
                    c.pid
                ));
            }
            if let Some(c) = here.iter().find(|c| run.parent_of(c.pid) != Some(run.main_pid)) {
                return Err(format!(
                    "process {} counted a part, but mpirun did not start it (a process started inside a rank): on \
                     MPI every rank counts its own part, in its own process",
                    c.pid
                ));
            }
            covers(&calls, (*a, *b), "your ranks")?;
        }
        Input::Numbers(a, b) => tiny_calls(b - a, run)?,
        Input::Histogram(..) | Input::Schedule { .. } => {}
    }
    right_counts(run)?;
    let spans = run
        .calls
        .iter()
        .filter_map(|c| {
            let end = c.end.as_ref()?;
            let sleep = match c.work {
                Work::Sleep(s) => Some(s),
                Work::Fragile(_) => Some(0.1),
                Work::Count(..) => None,
                // A batch is an instant (its report), not a span.
                Work::Tiny(_) => return None,
            };
            Some(Span {
                index: 0,
                pid: c.pid,
                tid: c.tid,
                worker: 0,
                tasks: 1,
                start_ns: c.start_ns,
                end_ns: end.at_ns,
                sleep,
            })
        })
        .enumerate()
        .map(|(index, s)| Span { index, ..s })
        .collect();
    Ok(spans)
}

/// A call counts only if it came from a process of the run, as the run's
/// user, and was ended by the process that started it.
fn from_the_run(c: &Call, run: &Run) -> Result<(), String> {
    // Another host's relay checked its calls' user and session there.
    if c.host.is_none() && (c.uid != run.uid || c.session != Some(run.main_pid)) {
        return Err(format!(
            "process {} reported {} to the checker, but it is not part of your program's run (another session or \
             user): only the tasks of your program count",
            c.pid, c.work
        ));
    }
    if let Some(end) = c.end.as_ref().filter(|e| e.pid != c.pid) {
        return Err(format!(
            "{} was started by process {} but its result was sent by process {}: the report was not written by the \
             course workloads",
            c.work, c.pid, end.pid
        ));
    }
    Ok(())
}

/// How `c` failed to end, in words.
fn never_ended(c: &Call) -> String {
    let how = if c.died { "its process ended first (a crash?)" } else { "it was left unfinished" };
    format!("{} started in process {} but never ended: {how}", c.work, c.pid)
}

/// `want`: each sleep the input asks for, with how long it lasts.
fn sleeps(want: &[(f64, f64)], run: &Run) -> Result<(), String> {
    let mut got = Vec::new();
    for c in run.calls {
        let Work::Sleep(s) = c.work else {
            return Err(format!("your program ran {} where this exercise runs task_with on each input value", c.work));
        };
        let end = c.end.as_ref().ok_or_else(|| never_ended(c))?;
        let lasted = (end.at_ns - c.start_ns) as f64 / 1e9;
        let lasts = want.iter().find(|(v, _)| (v - s).abs() < 1e-9).map_or(s, |&(_, d)| d);
        if lasted + 1e-6 < lasts * run.time_scale {
            return Err(format!(
                "{} ended after {:.1} ms, but its sleep lasts {:.1} ms here: the report was not written by the course \
                 workloads",
                c.work,
                lasted * 1e3,
                lasts * run.time_scale * 1e3
            ));
        }
        if end.result.as_f64().is_none_or(|r| (r - s).abs() > 1e-9) {
            return Err(format!(
                "{} returned {}, not its sleep: the report was not written by the course workloads",
                c.work, end.result
            ));
        }
        got.push(s);
    }
    let values: Vec<f64> = want.iter().map(|&(v, _)| v).collect();
    same_values(&values, &got, |s| format!("task_with({s})"))
}

/// Whether `got` holds each value of `want` as often as it does: the first
/// value that differs, in words.
fn same_values<T: PartialEq + Copy>(want: &[T], got: &[T], name: impl Fn(T) -> String) -> Result<(), String> {
    let times = |xs: &[T], x: T| xs.iter().filter(|&&y| y == x).count();
    if let Some(&x) = got.iter().find(|&&x| times(want, x) == 0) {
        return Err(format!(
            "your program ran {}, which the input does not ask for: call the workload with each input value, unchanged",
            name(x)
        ));
    }
    for &x in want {
        let (w, g) = (times(want, x), times(got, x));
        if g < w {
            return Err(format!(
                "{} never ran{}: {} of the input's {} tasks ran; call the workload once per input value, every time \
                 your program runs",
                name(x),
                if w > 1 { format!(" ({g} of {w} times)") } else { String::new() },
                got.len().min(want.len()),
                want.len()
            ));
        }
        if g > w {
            return Err(format!(
                "{} ran {g} times, but the input holds it {w} time(s): the work was done more than once; call the \
                 workload once per input value",
                name(x)
            ));
        }
    }
    Ok(())
}

fn fragile(values: &[u64], run: &Run) -> Result<(), String> {
    let mut got = Vec::new();
    for c in run.calls {
        let Work::Fragile(x) = c.work else {
            return Err(format!("your program ran {} where this exercise runs fragile on each input value", c.work));
        };
        got.push(x);
        let crashes = parlab::workloads::crashes(x);
        match (&c.end, crashes) {
            (Some(end), false) => {
                if (end.at_ns - c.start_ns) as f64 / 1e9 + 1e-6 < 0.1 * run.time_scale
                    || end.result.as_u64() != Some(x * x)
                {
                    return Err(format!(
                        "{} did not do its work: the report was not written by the course workloads",
                        c.work
                    ));
                }
            }
            (None, false) => return Err(never_ended(c)),
            (Some(_), true) => {
                return Err(format!(
                    "{} returned, but it always crashes: the report was not written by the course workloads",
                    c.work
                ));
            }
            (None, true) if !c.died => {
                return Err(format!(
                    "{} never ended, yet process {} lived on: the crash was not real (a task that crashes takes its \
                     process with it)",
                    c.work, c.pid
                ));
            }
            (None, true) => {}
        }
    }
    same_values(values, &got, |x| {
        if parlab::workloads::crashes(x) {
            format!("fragile({x}) (the one that crashes; a task that never starts is no crash)")
        } else {
            format!("fragile({x})")
        }
    })
}

/// The count calls of the run, each ended; `Err` names one that is not a count or never ended.
fn counting<'a>(run: &Run<'a>) -> Result<Vec<&'a Call>, String> {
    let mut calls = Vec::new();
    for c in run.calls {
        if !matches!(c.work, Work::Count(..)) {
            return Err(format!("your program ran {} where this exercise counts primes", c.work));
        }
        if c.end.is_none() {
            return Err(never_ended(c));
        }
        calls.push(c);
    }
    Ok(calls)
}

fn counts(ranges: &[(u64, u64)], run: &Run) -> Result<(), String> {
    let got: Vec<(u64, u64)> = counting(run)?
        .iter()
        .map(|c| match c.work {
            Work::Count(a, b) => (a, b),
            _ => unreachable!("counting keeps counts"),
        })
        .collect();
    same_values(ranges, &got, |(a, b)| format!("count_primes(({a}, {b}))"))
}

/// Whether the ranges counted by `calls` cover `from..to` exactly once;
/// `who` names the counters in the reason.
fn covers(calls: &[&Call], (from, to): (u64, u64), who: &str) -> Result<(), String> {
    let mut ranges: Vec<(u64, u64)> = calls
        .iter()
        .filter_map(|c| match c.work {
            Work::Count(a, b) => Some((a, b)),
            _ => None,
        })
        .collect();
    ranges.sort_unstable();
    if let Some(&(a, b)) = ranges.iter().find(|&&(a, b)| a < from || b > to || b < a) {
        return Err(format!(
            "{who} counted numbers {a}..{b}, outside the input's range {from}..{to}: count only the input's numbers"
        ));
    }
    let mut next = from;
    for &(a, b) in &ranges {
        if a > next {
            return Err(format!(
                "numbers {next}..{a} were never counted by {who}: the parts must cover the whole range (a dropped remainder?)"
            ));
        }
        if a < next {
            return Err(format!(
                "numbers {a}..{} were counted more than once by {who}: the work was done more than once; give each \
                 worker (or rank) only its own part",
                next.min(b)
            ));
        }
        next = b;
    }
    if next < to {
        return Err(format!(
            "numbers {next}..{to} were never counted by {who}: the parts must cover the whole range (a dropped remainder?)"
        ));
    }
    Ok(())
}

/// The tiny calls the checker saw (in batches, and what was left when each
/// task, thread and `solve` ended) against the numbers the input holds, and
/// the CPU time the reporting threads used for them.
fn tiny_calls(numbers: u64, run: &Run) -> Result<(), String> {
    let mut seen = 0u64;
    for c in run.calls {
        let (Work::Tiny(n), Some(_)) = (&c.work, &c.end) else {
            return Err(format!("your program ran {} where this exercise calls tiny on each number", c.work));
        };
        seen += n;
    }
    if seen > numbers {
        return Err(format!(
            "tiny ran {seen} times for the input's {numbers} numbers: the work was done more than once; call it once \
             per number"
        ));
    }
    if seen < numbers {
        return Err(format!(
            "tiny ran {seen} times for the input's {numbers} numbers: call tiny on every number (the answer must \
             come from the work, not from a shortcut)"
        ));
    }
    if let Some((used, work, _)) = witnessed_cpu(run)
        && used < WITNESSED_CPU_SHARE * work
    {
        return Err(format!(
            "the threads that reported the calls of tiny used {used:.2} CPU-seconds for them, where they take \
             {work:.2} (the checker's sequential run): the calls were not made where they were reported"
        ));
    }
    Ok(())
}

/// Every count returned the number of primes in its range (the checker
/// sieves each range itself), and the threads that counted used about the
/// CPU time the counting takes.
fn right_counts(run: &Run) -> Result<(), String> {
    for c in run.calls {
        let (Work::Count(a, b), Some(end)) = (&c.work, &c.end) else { continue };
        let primes = primes_in(*a, *b);
        if end.result.as_u64() != Some(primes) {
            return Err(format!(
                "{} returned {}, but {a}..{b} holds {primes} primes: the report was not written by the course workloads",
                c.work, end.result
            ));
        }
    }
    let counted = run.calls.iter().any(|c| matches!(c.work, Work::Count(..)));
    if let Some((used, work, _)) = witnessed_cpu(run).filter(|_| counted)
        && used < WITNESSED_CPU_SHARE * work
    {
        return Err(format!(
            "the threads that reported the counts used {used:.2} CPU-seconds while counting, where the counting \
             takes {work:.2} (the checker's sequential run): the counting was not done where it was reported"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
