//! The small tools every case uses, the tutorial's and the sweeps' alike:
//! a stopwatch, a progress line, a figure recorded, a Python case run.

use crate::python;
use crate::report::Report;
use crate::stats::Figure;
use serde_json::Value;
use std::time::{Duration, Instant};

/// Seconds `f` took.
pub(crate) fn timed(f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_secs_f64()
}

/// One line on stderr, so that a long run shows where it is.
pub(crate) fn progress(what: &str) {
    eprintln!("running: {what}");
}

/// Forks need a single-threaded process: wait for dropped thread pools to end.
pub(crate) fn settle() {
    parlab::wait_until_single_threaded(Duration::from_secs(5)).expect("thread pools end after drop");
}

/// Records `samples` (seconds, or `unit`) as a figure of the report.
pub(crate) fn fig(report: &mut Report, case: &str, side: &str, name: &str, unit: &str, samples: Vec<f64>) {
    let (case, side, name, unit) = (case.into(), side.into(), name.into(), unit.into());
    report.figures.push(Figure { case, side, name, unit, samples, others_cpus: None, noisy: false });
}

/// Runs a Python case where Python is enabled; a failure becomes a note.
pub(crate) fn run_python(report: &mut Report, enabled: bool, case: &str, params: Value) -> Option<Value> {
    if !enabled {
        return None;
    }
    progress(&format!("Python: {case}"));
    match python::run(case, &params) {
        Ok(v) => Some(v),
        Err(e) => {
            report.notes.push(format!("Python case `{case}` failed: {e}"));
            None
        }
    }
}
