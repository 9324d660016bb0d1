//! The pool's deadlock suite, after the behaviours CPython's
//! `test_concurrent_futures/test_deadlock.py` specifies for
//! `ProcessPoolExecutor` (no code copied): whatever goes wrong while an
//! argument or a result is encoded or decoded, or while a task runs, the
//! caller gets an error that says what happened, and never a hang.
//!
//! Each case runs in a process of its own, joined with a time limit: a case
//! that hangs fails as "hung" instead of hanging the suite. Forking needs a
//! single-threaded process, hence `harness = false`.
//!
//! Deliberate difference: Python's result handler is a thread, so a result
//! whose decoding exits or crashes there leaves the caller running; here the
//! caller decodes results itself, so only a decoding *error* is a case (an
//! exit in the caller's own code ends the caller, as any exit does). And
//! postcard keeps no custom message of a failed encode or decode: the error
//! says which value failed where, not the type's own words.

use libtest_mimic::{Arguments, Failed, Trial};
use parlab::{Process, ProcessPool};
use serde::de::Error as _;
use serde::ser::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::sync::atomic::{AtomicI32, Ordering};
use std::time::Duration;

/// The process that made the pool: encoding the argument and decoding the
/// result happen here; decoding the argument and encoding the result, in a
/// worker.
static CALLER: AtomicI32 = AtomicI32::new(0);

fn in_caller() -> bool {
    CALLER.load(Ordering::SeqCst) == std::process::id() as i32
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Stage {
    EncodeArgument,
    DecodeArgument,
    Run,
    EncodeResult,
    DecodeResult,
    Nowhere,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum How {
    Error,
    Panic,
    Exit,
    Abort,
}

/// A value that fails at one stage of its trip, in one way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Trap {
    stage: Stage,
    how: How,
}

fn fail<T, E>(how: How, make: impl FnOnce(&'static str) -> E) -> Result<T, E> {
    match how {
        How::Error => Err(make("the trap went off")),
        How::Panic => panic!("the trap went off"),
        How::Exit => std::process::exit(3),
        How::Abort => std::process::abort(),
    }
}

impl Serialize for Trap {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let here = if in_caller() { Stage::EncodeArgument } else { Stage::EncodeResult };
        if self.stage == here {
            return fail(self.how, S::Error::custom);
        }
        (self.stage, self.how).serialize(s)
    }
}

impl<'de> Deserialize<'de> for Trap {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Trap, D::Error> {
        let (stage, how) = <(Stage, How)>::deserialize(d)?;
        let here = if in_caller() { Stage::DecodeResult } else { Stage::DecodeArgument };
        if stage == here {
            return fail(how, D::Error::custom);
        }
        Ok(Trap { stage, how })
    }
}

/// The task: goes off if asked to while it runs, else hands its argument back.
fn echo(t: Trap) -> Trap {
    if t.stage == Stage::Run {
        let _: Result<(), ()> = fail(t.how, |_| ());
    }
    t
}

/// Submits one trap to a pool of two and joins it, in a process of its own
/// with a time limit: the error's text, or why there was none.
fn outcome(trap: Trap) -> Result<String, Failed> {
    let case = Process::start(move || -> String {
        CALLER.store(std::process::id() as i32, Ordering::SeqCst);
        let pool = match ProcessPool::new(2) {
            Ok(p) => p,
            Err(e) => return format!("no pool: {e}"),
        };
        let result = pool.submit(echo, trap).and_then(|task| task.join());
        // The pool still answers (or says it is broken) afterwards.
        let after = pool.submit(|x: u32| x + 1, 1).and_then(|t| t.join());
        match result {
            Ok(t) => format!("no error: got {t:?}; after: {after:?}"),
            Err(e) => format!("{e} | after: {after:?}"),
        }
    })?;
    match case.join_timeout(Duration::from_secs(20)) {
        Ok(text) => Ok(text),
        Err(parlab::Error::Timeout { .. }) => Err(format!("hung: no answer within 20 s for {trap:?}").into()),
        Err(e) => Err(e.into()),
    }
}

/// The case ends in an error that names every one of `what`.
fn expect(stage: Stage, how: How, what: &'static [&'static str]) -> impl FnOnce() -> Result<(), Failed> {
    move || {
        let text = outcome(Trap { stage, how })?;
        if text.starts_with("no error") || !what.iter().all(|w| text.contains(w)) {
            return Err(format!("expected an error naming {what:?}, got: {text}").into());
        }
        Ok(())
    }
}

fn a_trap_that_never_goes_off_comes_back() -> Result<(), Failed> {
    let text = outcome(Trap { stage: Stage::Nowhere, how: How::Error })?;
    if text.starts_with("no error: got Trap { stage: Nowhere") && text.contains("after: Ok(2)") {
        Ok(())
    } else {
        Err(text.into())
    }
}

/// A worker that dies while a large argument is still in its pipe: the
/// pool says so (and the writer is not left blocked on a full pipe).
fn a_worker_that_dies_with_a_large_argument_in_its_pipe() -> Result<(), Failed> {
    fn die(_: Vec<u8>) -> u8 {
        std::process::abort()
    }
    let case = Process::start(|| -> String {
        let pool = ProcessPool::new(1).expect("a pool");
        let tasks: Vec<_> = (0..3).filter_map(|_| pool.submit(die, vec![7u8; 8 << 20]).ok()).collect();
        let errors: Vec<String> = tasks.into_iter().map(|t| format!("{:?}", t.join())).collect();
        errors.join(" / ")
    })?;
    match case.join_timeout(Duration::from_secs(20)) {
        Ok(text) if text.contains("Err(") && !text.contains("Ok(") => Ok(()),
        Ok(text) => Err(format!("expected every task to fail: {text}").into()),
        Err(parlab::Error::Timeout { .. }) => Err("hung: a worker died with 8 MiB arguments queued".into()),
        Err(e) => Err(e.into()),
    }
}

/// The same for a process of its own: a result whose encoding panics in
/// the child comes back as a panic, not as a crash.
fn a_process_result_whose_encoding_panics() -> Result<(), Failed> {
    let child = Process::start(|| Trap { stage: Stage::EncodeResult, how: How::Panic })?;
    match child.join() {
        Err(parlab::Error::Panicked { message }) if message.contains("trap went off") => Ok(()),
        other => Err(format!("expected the encoding's panic, got {other:?}").into()),
    }
}

fn main() {
    use How::*;
    use Stage::*;
    let broken: &'static [&'static str] = &["broken pool", "every pending task was cancelled"];
    let trials = vec![
        Trial::test("a trap that never goes off comes back", a_trap_that_never_goes_off_comes_back),
        Trial::test(
            "an argument that cannot be encoded",
            expect(EncodeArgument, Error, &["argument could not be encoded"]),
        ),
        Trial::test(
            "an argument whose decoding fails in the worker",
            expect(DecodeArgument, Error, &["argument could not be decoded"]),
        ),
        Trial::test(
            "an argument whose decoding panics in the worker",
            expect(DecodeArgument, Panic, &["decoding the task's argument panicked", "trap went off"]),
        ),
        Trial::test("an argument whose decoding exits the worker", expect(DecodeArgument, Exit, broken)),
        Trial::test("an argument whose decoding crashes the worker", expect(DecodeArgument, Abort, broken)),
        Trial::test("a task that panics", expect(Run, Panic, &["trap went off"])),
        Trial::test("a task that exits", expect(Run, Exit, broken)),
        Trial::test("a task that crashes", expect(Run, Abort, broken)),
        Trial::test("a result that cannot be encoded", expect(EncodeResult, Error, &["result could not be encoded"])),
        Trial::test(
            "a result whose encoding panics",
            expect(EncodeResult, Panic, &["encoding the task's result panicked", "trap went off"]),
        ),
        Trial::test("a result whose encoding exits the worker", expect(EncodeResult, Exit, broken)),
        Trial::test("a result whose encoding crashes the worker", expect(EncodeResult, Abort, broken)),
        Trial::test("a result the caller cannot decode", expect(DecodeResult, Error, &["result could not be decoded"])),
        Trial::test(
            "a worker that dies with a large argument in its pipe",
            a_worker_that_dies_with_a_large_argument_in_its_pipe,
        ),
        Trial::test("a process whose result's encoding panics", a_process_result_whose_encoding_panics),
    ];
    // The traps panic on purpose; their messages come back as errors.
    std::panic::set_hook(Box::new(|_| {}));
    let mut args = Arguments::from_args();
    args.test_threads = Some(1); // forks need this process single-threaded
    libtest_mimic::run(&args, trials).exit();
}
