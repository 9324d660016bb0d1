//! The glue between an exercise and the checker.
//!
//! An exercise is a program whose `main` is one call, [`run`], with a
//! default input and the learner's `solve` function. Run by the checker, it
//! reads the input the checker chose from the JSON file named by
//! [`INPUT_ENV`] and writes the answer as JSON to the file named by
//! [`ANSWER_ENV`]. Run by hand (`cargo run`), it uses the default input and
//! prints the answer, the time and a timeline of the run.

use crate::trace::Trace;

// The course protocol, in one place: what an exercise, the course workloads
// and the checker agree on (files named by environment variables, one clock).
use crate::trace_file::{self, TRACE_FILE_ENV};
pub use crate::witness::WITNESS_ENV;
use serde::{Serialize, de::DeserializeOwned};
use std::fmt::Debug;
use std::time::Instant;

/// Environment variable: a JSON file holding the input. The checker sets it
/// and [`ANSWER_ENV`], so that it chooses the input and reads the answer
/// without parsing what the program prints:
///
/// ```
/// use parlab::exercise::{ANSWER_ENV, INPUT_ENV, run};
///
/// fn solve(limit: u64) -> parlab::Result<u64> {
///     Ok(parlab::workloads::count_primes((0, limit)))
/// }
///
/// let dir = std::env::temp_dir();
/// let input = dir.join(format!("parlab-doc-input-{}.json", std::process::id()));
/// let answer = dir.join(format!("parlab-doc-answer-{}.json", std::process::id()));
/// std::fs::write(&input, "100").unwrap();
/// // SAFETY: no other thread runs yet.
/// unsafe {
///     std::env::set_var(INPUT_ENV, &input);
///     std::env::set_var(ANSWER_ENV, &answer);
/// }
/// run(1000, solve); // solves for 100, the checker's input, not the default 1000
/// assert_eq!(std::fs::read_to_string(&answer).unwrap(), "25");
/// # std::fs::remove_file(&input).unwrap();
/// # std::fs::remove_file(&answer).unwrap();
/// ```
pub const INPUT_ENV: &str = "PARLAB_INPUT";
/// Environment variable: the file where the answer is written as JSON (see
/// [`INPUT_ENV`] for the two at work).
pub const ANSWER_ENV: &str = "PARLAB_ANSWER";

/// The key of the object written instead of an answer when `solve` reached a
/// `todo!()`: `{"not_done": {"place": "src/main.rs:12", "todo": "TODO: ..."}}`.
/// The checker reads "not done yet" from it, never from the program's stderr.
pub const NOT_DONE_KEY: &str = "not_done";

/// Runs `solve` on the checker's input (or `default_input`) and reports the answer.
///
/// Exits with code 1 and the error's message if `solve` returns an error.
///
/// An exercise's whole `main`:
///
/// ```
/// use parlab::{ProcessPool, workloads::{count_primes, split_range}};
///
/// /// The learner's part: count the primes below `limit` on two processes.
/// fn solve(limit: u64) -> parlab::Result<u64> {
///     let pool = ProcessPool::new(2)?;
///     Ok(pool.map(count_primes, split_range(limit, 2))?.iter().sum())
/// }
///
/// fn main() {
///     // By hand, this prints the input, the answer, the time and a timeline.
///     parlab::exercise::run(1000, solve);
/// }
/// ```
pub fn run<I, O>(default_input: I, solve: fn(I) -> crate::Result<O>)
where
    I: DeserializeOwned + Debug,
    O: Serialize + Debug,
{
    run_copy(default_input, true, solve)
}

/// [`run`] for a program of which several copies solve together (the ranks
/// of an MPI job): every copy reads the input and solves, and only the copy
/// where `reports` is true writes (or prints) the answer; the others' answers
/// are dropped. A copy whose `solve` fails exits with its message.
///
/// ```
/// // One of two copies: this one solves its half and does not report.
/// fn half(limit: u64) -> parlab::Result<u64> {
///     Ok(parlab::workloads::count_primes((limit / 2, limit)))
/// }
/// parlab::exercise::run_copy(1000, false, half); // prints nothing
/// ```
pub fn run_copy<I, O>(default_input: I, reports: bool, solve: impl FnOnce(I) -> crate::Result<O>)
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
    if !by_checker && reports {
        println!("input: {input:?}");
    }
    let started = Instant::now();
    let solved = solve_or_todo(solve, input);
    crate::witness::flush_tiny();
    let answer = match solved {
        Ok(answer) => answer,
        Err(Unfinished::Todo { place, todo }) => {
            if let Some(path) = std::env::var_os(ANSWER_ENV).filter(|_| reports) {
                let report = serde_json::json!({ NOT_DONE_KEY: { "place": place, "todo": todo } });
                let _ = std::fs::write(path, report.to_string());
            }
            fail(&format!("not done yet: {place}: {todo} (replace the todo!() with your code)"))
        }
        Err(Unfinished::Failed(message)) => fail(&message),
    };
    let secs = started.elapsed().as_secs_f64();
    if !reports {
        if let Some(path) = own_trace {
            let _ = std::fs::remove_file(path);
        }
        return;
    }
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
        let spans = trace_file::read(&path).unwrap_or_default();
        let _ = std::fs::remove_file(&path);
        if !spans.is_empty() {
            crate::timeline::print(&Trace::from_spans("your run", spans));
        }
    }
}

/// Why `solve` gave no answer.
enum Unfinished {
    /// It reached a `todo!()`, at `place`, with this message.
    Todo {
        place: String,
        todo: String,
    },
    Failed(String),
}

/// Runs `solve`, telling a `todo!()` (in this process, or in a task that
/// reported it as its panic) from any other failure. A panic that is not a
/// `todo!()` goes on as a panic.
fn solve_or_todo<I, O>(solve: impl FnOnce(I) -> crate::Result<O>, input: I) -> Result<O, Unfinished> {
    use std::sync::{Arc, Mutex};
    let place: Arc<Mutex<String>> = Arc::default();
    let seen = Arc::clone(&place);
    let default_hook = Arc::new(std::panic::take_hook());
    let chained = Arc::clone(&default_hook);
    std::panic::set_hook(Box::new(move |info| {
        if let Some(at) = info.location() {
            *seen.lock().unwrap_or_else(|e| e.into_inner()) = format!("{}:{}", at.file(), at.line());
        }
        let payload = info.payload();
        let message = payload.downcast_ref::<&str>().copied().or(payload.downcast_ref::<String>().map(String::as_str));
        let todo = message.is_some_and(|m| m.starts_with(TODO_PREFIX));
        if !todo {
            chained(info);
        }
    }));
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| solve(input)));
    let _ = std::panic::take_hook();
    let at = place.lock().unwrap_or_else(|e| e.into_inner()).clone();
    match outcome {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(e)) => {
            let message = e.to_string();
            match message.split_once(TODO_PREFIX) {
                Some((_, todo)) => {
                    Err(Unfinished::Todo { place: "a task".into(), todo: todo.trim_start_matches(':').trim().into() })
                }
                None => Err(Unfinished::Failed(message)),
            }
        }
        Err(panic) => {
            let message = crate::error::panic_message(&*panic);
            match message.strip_prefix(TODO_PREFIX) {
                Some(todo) => Err(Unfinished::Todo { place: at, todo: todo.trim_start_matches(':').trim().into() }),
                None => std::panic::resume_unwind(panic),
            }
        }
    }
}

/// How std's `todo!()` begins its panic message.
const TODO_PREFIX: &str = "not yet implemented";

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
