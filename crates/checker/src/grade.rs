//! Judging one run: how it ended, whether the answer is right, and what the
//! trace shows about where and when the tasks ran.

use crate::manifest::{AnswerRule, Exercise, OverlapRule, WhereRule};
use crate::sandbox::{Ending, RunOutcome};
use crate::verdict::{Evidence, Status};
use parlab::{Span, Trace};
use serde_json::Value;

/// A reason to stop grading, with the status it gives.
pub type Stop = (Status, String);

/// Judges how the program ended. `Err` when grading cannot go on.
pub fn ending(outcome: &RunOutcome, limits: &crate::sandbox::Limits) -> Result<(), Stop> {
    let printed = if outcome.stderr.trim().is_empty() { &outcome.stdout } else { &outcome.stderr };
    let tail = output_tail(printed);
    match &outcome.ending {
        Ending::Exited(0) => Ok(()),
        Ending::TimedOut => Err((
            Status::Failed,
            format!(
                "your program did not finish within {} s and was stopped (an endless loop, or a join that waits forever?)",
                limits.wall.as_secs_f64()
            ),
        )),
        Ending::ForkBomb => Err((
            Status::Failed,
            format!(
                "your program tried to run more than {} processes at once and was stopped (a fork bomb? start a \
                 bounded number of processes); guarded by {}",
                limits.max_processes, outcome.cap
            ),
        )),
        Ending::OutputFlood => Err((
            Status::Failed,
            format!("your program printed more than {} bytes and was stopped: print less", limits.max_output),
        )),
        Ending::Signaled(sig) => Err((
            Status::Failed,
            format!("your program crashed: killed by {sig}. A task that aborts takes its whole process with it{tail}"),
        )),
        Ending::Exited(code) => {
            if let Some(todo) = find_todo(&outcome.stderr) {
                return Err((Status::NotDone, format!("not done yet: {todo}")));
            }
            if let Some(panic) = find_panic(&outcome.stderr) {
                return Err((Status::Failed, format!("your program panicked: {panic}")));
            }
            Err((Status::Failed, format!("your program exited with code {code}{tail}")))
        }
    }
}

/// "src/main.rs:12: TODO: ..." from a `todo!()` panic.
fn find_todo(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let i = lines.iter().position(|l| l.starts_with("not yet implemented"))?;
    let place = i.checked_sub(1).and_then(|j| panic_place(lines[j])).unwrap_or_default();
    let what = lines[i].trim_start_matches("not yet implemented").trim_start_matches(':').trim();
    Some(format!("{place}{what} (replace the todo!() with your code)"))
}

fn find_panic(stderr: &str) -> Option<String> {
    let lines: Vec<&str> = stderr.lines().collect();
    let i = lines.iter().position(|l| l.contains("panicked at"))?;
    let place = panic_place(lines[i]).unwrap_or_default();
    Some(format!("{place}{}", lines.get(i + 1).unwrap_or(&"").trim()))
}

/// "FILE:LINE: " from "thread 'main' (12) panicked at FILE:LINE:COL:".
fn panic_place(line: &str) -> Option<String> {
    let at = line.split("panicked at ").nth(1)?.trim_end_matches(':');
    let mut parts = at.rsplitn(3, ':');
    let (_col, line_no, file) = (parts.next()?, parts.next()?, parts.next()?);
    Some(format!("{file}:{line_no}: "))
}

fn output_tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if lines.is_empty() {
        return String::new();
    }
    let tail = lines[lines.len().saturating_sub(5)..].join("\n      ");
    format!(". It printed:\n      {tail}")
}

/// Compares the learner's answer with the reference.
pub fn answer(ex: &Exercise, input: &Value, got: &Value, expected: &Value, trace: &Trace) -> Result<(), String> {
    let wrong = |what: &str| {
        Err(format!(
            "wrong answer{what}: expected {expected}, got {}. (Inputs change every run: an answer cannot be typed in.)",
            shorten(got)
        ))
    };
    match ex.answer {
        AnswerRule::InOrder | AnswerRule::Total | AnswerRule::Survivors => {
            if !same(got, expected) {
                return wrong("");
            }
        }
        AnswerRule::CompletionOrder => {
            let mut sorted: Vec<f64> = serde_json::from_value(expected.clone()).unwrap_or_default();
            sorted.sort_by(f64::total_cmp);
            if !same(got, &serde_json::json!(sorted)) {
                let in_input_order = same(got, input);
                let note =
                    if in_input_order { " (that is the input order: report results as tasks finish)" } else { "" };
                return Err(format!(
                    "wrong order{note}: the tasks finished in the order {}, you reported {}",
                    serde_json::json!(sorted),
                    shorten(got)
                ));
            }
        }
        AnswerRule::Timed => {
            let results = got.get(0).cloned().unwrap_or(Value::Null);
            if !same(&results, expected) {
                return wrong(" (results)");
            }
            let reported = got.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let traced = trace.wall_secs();
            if reported.is_nan() || (reported - traced).abs() > 0.2 * traced + 0.005 {
                return Err(format!(
                    "the time you reported ({reported:.3} s) does not match the trace ({traced:.3} s from the first \
                     task's start to the last one's end): time the whole loop"
                ));
            }
        }
    }
    Ok(())
}

/// Numbers compared with a little tolerance, everything else exactly.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_f64(), y.as_f64()) {
            (Some(x), Some(y)) => (x - y).abs() <= 1e-9 * x.abs().max(1.0),
            _ => x == y,
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b)),
        _ => a == b,
    }
}

fn shorten(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 { format!("{}...", &s[..200]) } else { s }
}

/// What the trace shows, and whether it is what the exercise asks for.
pub fn evidence(
    ex: &Exercise,
    spans: &[Span],
    main_pid: i32,
    expected_tasks: Option<usize>,
    workers: Option<usize>,
) -> (Evidence, Vec<String>) {
    let trace = Trace::from_spans("", spans.to_vec());
    let mut pids = trace.pids();
    pids.retain(|&p| p != main_pid);
    let in_main = spans.iter().filter(|s| s.pid == main_pid).count();
    let ev = Evidence {
        tasks: spans.len(),
        processes: trace.pids().len(),
        lanes: trace.lanes().len(),
        max_concurrency: trace.max_concurrency(),
        ran_in_main_process: in_main,
    };
    let mut problems = Vec::new();
    if let Some(n) = expected_tasks
        && spans.len() != n
    {
        problems.push(format!(
            "the trace holds {} task(s) but the input has {n}: call the course workload once per input value",
            spans.len()
        ));
        return (ev, problems);
    }
    let n = spans.len();
    match ex.where_ {
        WhereRule::Main if in_main != n => problems.push(
            "some tasks ran outside your program's own process: this step runs them one after the other, in it".into(),
        ),
        WhereRule::OwnProcess | WhereRule::Pool if in_main == n && n > 0 => {
            let threads = trace.lanes().len() > 1;
            problems.push(format!(
                "the tasks ran in your program's own process{}: this exercise asks for processes (parlab::{})",
                if threads { ", on several threads" } else { "" },
                if ex.where_ == WhereRule::Pool { "ProcessPool" } else { "Process" }
            ));
        }
        WhereRule::OwnProcess if in_main > 0 || pids.len() != n => problems.push(format!(
            "{} task(s) ran in {} child process(es): give every task a process of its own",
            n,
            pids.len()
        )),
        WhereRule::Pool => {
            let w = workers.unwrap_or(n);
            if pids.len() > w {
                problems.push(format!("the tasks ran in {} processes, more than the pool's {w} workers", pids.len()));
            } else if n > w && pids.len() == n {
                problems.push("every task got a new process: a pool starts its workers once and reuses them".into());
            }
        }
        _ => {}
    }
    match ex.overlap {
        OverlapRule::All if n >= 2 && ev.max_concurrency < 2 => problems.push(
            "the tasks ran one at a time: start every task before waiting for any (join inside the start loop \
             runs them one after the other)"
                .into(),
        ),
        OverlapRule::All if n >= 2 => {
            let alone: Vec<usize> = spans
                .iter()
                .filter(|s| !spans.iter().any(|o| !std::ptr::eq(*s, o) && s.overlaps(o)))
                .map(|s| s.index)
                .collect();
            if !alone.is_empty() {
                problems.push(format!(
                    "{} task(s) ran while no other task did: start them all before waiting",
                    alone.len()
                ));
            }
        }
        OverlapRule::None if ex.where_ == WhereRule::Main && ev.max_concurrency > 1 => {
            problems.push("tasks overlapped in time, but this step runs them one after the other".into())
        }
        _ => {}
    }
    (ev, problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_todo_panic_names_its_place() {
        let stderr = "\nthread 'main' (77) panicked at 03_two_processes/src/main.rs:12:5:\nnot yet implemented: TODO: start two processes\nnote: run with `RUST_BACKTRACE=1`";
        let t = find_todo(stderr).unwrap();
        assert!(t.starts_with("03_two_processes/src/main.rs:12: TODO: start two processes"), "{t}");
    }

    #[test]
    fn numbers_compare_with_tolerance() {
        assert!(same(&serde_json::json!([1.0, 2]), &serde_json::json!([1.0000000000001, 2.0])));
        assert!(!same(&serde_json::json!([1.0, 2]), &serde_json::json!([2.0, 1.0])));
    }
}
