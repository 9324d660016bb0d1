//! The glue between an exercise and the checker.
//!
//! An exercise is a program whose `main` is one call, [`run`], with a
//! default input and the learner's `solve` function. Run by the checker, it
//! reads the input the checker chose from the JSON file named by
//! [`INPUT_ENV`] and writes the answer as JSON to the file named by
//! [`ANSWER_ENV`]. Run by hand (`cargo run`), it uses the default input and
//! prints the answer, the time and a timeline of the run.

use crate::trace::{TRACE_FILE_ENV, Trace, read_trace_file};
use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;
use std::time::Instant;

/// Environment variable: a JSON file holding the input.
pub const INPUT_ENV: &str = "PARLAB_INPUT";
/// Environment variable: the file where the answer is written as JSON.
pub const ANSWER_ENV: &str = "PARLAB_ANSWER";

/// Runs `solve` on the checker's input (or `default_input`) and reports the answer.
///
/// Exits with code 1 and the error's message if `solve` returns an error.
pub fn run<I, O>(default_input: I, solve: fn(I) -> crate::Result<O>)
where
    I: DeserializeOwned + Debug,
    O: Serialize + Debug,
{
    let by_checker = std::env::var_os(INPUT_ENV).is_some();
    let input: I = match std::env::var_os(INPUT_ENV) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| fail(&format!("cannot read the input file {}: {e}", path.to_string_lossy())));
            serde_json::from_str(&text).unwrap_or_else(|e| fail(&format!("the input file does not parse: {e}")))
        }
        None => default_input,
    };
    let own_trace = (!by_checker && std::env::var_os(TRACE_FILE_ENV).is_none()).then(start_own_trace);
    if !by_checker {
        println!("input: {input:?}");
    }
    let started = Instant::now();
    let answer = solve(input).unwrap_or_else(|e| fail(&e.to_string()));
    let secs = started.elapsed().as_secs_f64();
    match std::env::var_os(ANSWER_ENV) {
        Some(path) => {
            let json =
                serde_json::to_string(&answer).unwrap_or_else(|e| fail(&format!("cannot encode the answer: {e}")));
            std::fs::write(&path, json).unwrap_or_else(|e| fail(&format!("cannot write the answer: {e}")));
        }
        None => {
            println!("answer: {answer:?}");
            println!("took {secs:.3} s");
        }
    }
    if let Some(path) = own_trace {
        let spans = read_trace_file(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        if !spans.is_empty() {
            crate::timeline::print(&Trace::from_spans("your run", spans));
        }
    }
}

/// Points the course workloads at a fresh trace file, to draw the run afterwards.
fn start_own_trace() -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("parlab-trace-{}.jsonl", std::process::id()));
    let _ = std::fs::remove_file(&path);
    // SAFETY: called at the start of `run`, before the exercise starts any
    // thread; the variable must be set before any child is forked.
    unsafe { std::env::set_var(TRACE_FILE_ENV, &path) };
    path
}

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1)
}
