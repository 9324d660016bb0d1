//! Judging one run: how it ended, whether the answer is right, and what the
//! trace shows about where and when the tasks ran.

use crate::inputs::Input;
use crate::manifest::{AnswerRule, Exercise};
use parlab::{Span, Trace};
use parlab_sandbox::{Ending, RunOutcome};
use serde_json::{Value, json};

/// Whether the program reported a `todo!()` instead of an answer (the
/// exercise harness writes `{"not_done": {"place", "todo"}}`): the reason.
pub fn not_done(answer: Option<&Value>) -> Option<String> {
    let report = answer?.get(parlab::exercise::NOT_DONE_KEY)?;
    let place = report.get("place").and_then(Value::as_str).unwrap_or("your code");
    let todo = report.get("todo").and_then(Value::as_str).unwrap_or("TODO");
    Some(format!("not done yet: {place}: {todo} (replace the todo!() with your code)"))
}

/// Judges how the program ended: `Err` with why it failed, when it did not
/// end as a finished program does. `open` says what the checker saw still
/// running, for a run stopped at its limit.
pub fn ending(outcome: &RunOutcome, limits: &parlab_sandbox::Limits, open: Option<&str>) -> Result<(), String> {
    let printed = if outcome.stderr.trim().is_empty() { &outcome.stdout } else { &outcome.stderr };
    let tail = output_tail(printed);
    match &outcome.ending {
        Ending::Exited(0) => Ok(()),
        Ending::TimedOut => Err(match open {
            Some(open) => {
                format!("your program did not finish within {} s and was stopped; {open}", limits.wall.as_secs_f64())
            }
            None => format!(
                "your program did not finish within {} s and was stopped, with no task of the course running (an \
                     endless loop, or a join that waits forever?)",
                limits.wall.as_secs_f64()
            ),
        }),
        Ending::ForkBomb => Err(fork_bomb(outcome, limits)),
        Ending::Stopped => Err("your program was stopped before it ended".into()),
        Ending::OutputFlood => {
            Err(format!("your program printed more than {} bytes and was stopped: print less", limits.max_output))
        }
        Ending::Signaled(sig) => Err(format!(
            "your program crashed: killed by {sig}. A task that aborts takes its whole process with it{tail}"
        )),
        // Under RLIMIT_NPROC the kernel refuses a fork without telling the
        // checker: the program's own failure says it.
        Ending::Exited(_)
            if outcome.cap == "RLIMIT_NPROC" && outcome.stderr.contains("Resource temporarily unavailable") =>
        {
            Err(fork_bomb(outcome, limits))
        }
        Ending::Exited(code) => {
            if let Some(panic) = find_panic(&outcome.stderr) {
                return Err(format!("your program panicked: {panic}"));
            }
            Err(format!("your program exited with code {code}{tail}"))
        }
    }
}

fn fork_bomb(outcome: &RunOutcome, limits: &parlab_sandbox::Limits) -> String {
    let threads = if limits.extra_threads > 0 {
        format!(" (and {} more threads, one per task)", limits.extra_threads)
    } else {
        String::new()
    };
    format!(
        "your program tried to run more than {} processes at once{threads} and was stopped by the cap ({}): start a \
         bounded number, one per task at most, or use a pool",
        limits.max_processes, outcome.cap
    )
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

/// Two tasks that ended closer than this may be reported in either order:
/// the parent learns of them one pump apart.
const ORDER_TOLERANCE_NS: u64 = 3_000_000;

/// Compares the learner's answer with the reference (and, for completion
/// order, with the order the trace shows the tasks ending in).
pub fn answer(ex: &Exercise, input: &Input, got: &Value, expected: &Value, spans: &[Span]) -> Result<(), String> {
    let wrong = |what: &str| {
        Err(format!(
            "wrong answer{what}: expected {}, got {}. (Inputs change every run: an answer cannot be typed in.)",
            shorten(expected),
            shorten(got)
        ))
    };
    match ex.answer {
        AnswerRule::InOrder | AnswerRule::Total | AnswerRule::Survivors => {
            if !same(got, expected) {
                let mut in_completion_order = None;
                if let Some(order) = crate::evidence::completion_order(input, spans) {
                    in_completion_order = Some(json!(order.iter().map(|(v, _)| *v).collect::<Vec<_>>()));
                }
                if ex.answer == AnswerRule::InOrder && in_completion_order.is_some_and(|c| same(got, &c)) {
                    return wrong(" (those are the results in the order the tasks finished: keep the input order)");
                }
                return wrong("");
            }
        }
        AnswerRule::CompletionOrder => {
            let mut sorted_got: Vec<f64> = serde_json::from_value(got.clone()).unwrap_or_default();
            let mut sorted_expected: Vec<f64> = serde_json::from_value(expected.clone()).unwrap_or_default();
            sorted_got.sort_by(f64::total_cmp);
            sorted_expected.sort_by(f64::total_cmp);
            if !same(&json!(sorted_got), &json!(sorted_expected)) {
                return wrong(" (not one result per task)");
            }
            let Some(order) = crate::evidence::completion_order(input, spans) else { return Ok(()) };
            let end_of = |v: f64| order.iter().find(|(x, _)| (x - v).abs() < 1e-9).map(|(_, e)| *e).unwrap_or(0);
            let reported: Vec<f64> = serde_json::from_value(got.clone()).unwrap_or_default();
            let out_of_order = reported
                .iter()
                .enumerate()
                .any(|(i, &a)| reported[i + 1..].iter().any(|&b| end_of(b) + ORDER_TOLERANCE_NS < end_of(a)));
            if out_of_order {
                let finished: Vec<f64> = order.iter().map(|(v, _)| *v).collect();
                let note = if same(got, expected) {
                    " (that is the input order: push each result as its task finishes)"
                } else if reported.windows(2).all(|w| w[0] <= w[1]) {
                    " (that is the results sorted: with fewer workers than tasks, the order tasks finish in is not \
                     the sorted one)"
                } else if predicted_order(input).is_some_and(|p| same(got, &json!(p))) {
                    " (that is the order the input predicts, but the checker says how long each task really \
                     sleeps: the order tasks finish in must be seen as they finish, with as_completed)"
                } else {
                    ""
                };
                return Err(format!(
                    "wrong order{note}: your tasks finished in the order {}, you reported {}",
                    json!(finished),
                    shorten(got)
                ));
            }
        }
        AnswerRule::Schedule => {
            let Input::Schedule { workers, sleeps } = input else { return wrong(" (not a schedule input)") };
            let (Some(wall), Some(on)) = (got.get(0).and_then(Value::as_f64), got.get(1)) else {
                return wrong(" (the answer is (wall time, a worker per task))");
            };
            let on: Vec<usize> = serde_json::from_value(on.clone())
                .map_err(|_| format!("the workers must be numbers from 0 to {}: got {}", workers - 1, shorten(got)))?;
            let makespan = crate::inputs::check_schedule(sleeps, *workers, &on)?;
            if (wall - makespan).abs() > 1e-6 {
                return Err(format!(
                    "the workers are right, but not the wall time: your schedule ends at {makespan:.1} s, you \
                     predicted {wall:.3} s (the wall time is when the last worker is done)"
                ));
            }
        }
        AnswerRule::Timed => {
            let results = got.get(0).cloned().unwrap_or(Value::Null);
            if !same(&results, expected) {
                return wrong(" (results)");
            }
            let reported = got.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN);
            let traced = Trace::from_spans("", spans.to_vec()).wall_secs();
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

/// The results in the order a pool of the input's workers would finish
/// them if each task slept its own value.
fn predicted_order(input: &Input) -> Option<Vec<f64>> {
    let (sleeps, workers) = (input.sleeps()?, input.workers()?);
    let ends = crate::inputs::finish_times(&sleeps, workers);
    let mut order: Vec<usize> = (0..sleeps.len()).collect();
    order.sort_by(|&a, &b| ends[a].total_cmp(&ends[b]));
    Some(order.into_iter().map(|i| sleeps[i]).collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_with_tolerance() {
        assert!(same(&serde_json::json!([1.0, 2]), &serde_json::json!([1.0000000000001, 2.0])));
        assert!(!same(&serde_json::json!([1.0, 2]), &serde_json::json!([2.0, 1.0])));
    }
}
