//! Grading one exercise: build -> run -> measure -> judge -> report.
//!
//! The checker's own sequential baseline gives the expected answer, which
//! stays in the checker's memory. The program runs first (one not done, or
//! crashed, is told so without waiting for the baseline), then the baseline,
//! then the two in turns (B A B A ...). Every run of the program is the same (same input,
//! traced the same way), so a program cannot tell a graded run from a timed
//! one, and every run is graded: its answer, its trace against the kernel's
//! record, and where and when its tasks ran. Each step returns
//! `Result<_, Stop>`; one place turns the outcome into the verdict.
//!
//! Here the pipeline; in `session`, the runs (the program's, sandboxed and
//! witnessed, and the baseline's) and the judging of each run.

mod session;

use crate::inputs::Input;
use crate::manifest::Exercise;
use crate::speed::{self, Expectation, Timings};
use crate::verdict::{Stop, Verdict};
use parlab_sandbox::Limits;
use serde_json::Value;
use session::Session;
use std::io::Read;
use std::path::PathBuf;

/// Everything a verification needs besides the exercise.
#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    pub seed: Option<u64>,
    pub time_scale: f64,
    pub limits: Limits,
    /// Keep cargo quiet (JSON mode): errors go into the verdict instead.
    pub quiet: bool,
    /// An Open MPI hostfile: the MPI exercise's ranks on its hosts ([`crate::hosts`]).
    pub hosts: Option<std::path::PathBuf>,
}

pub fn verify(ex: &Exercise, opts: &Options) -> Verdict {
    let seed = opts.seed.unwrap_or_else(|| fastrand::u64(..1_000_000_000));
    let mut v = Verdict::new(&ex.name, seed);
    match steps(ex, opts, seed, &mut v) {
        Ok(()) => v,
        Err(stop) => v.stop(stop),
    }
}

/// The steps; what they find goes into `v` on the way.
fn steps(ex: &Exercise, opts: &Options, seed: u64, v: &mut Verdict) -> Result<(), Stop> {
    // An MPI exercise needs MPI to build and to run: without it, say how to
    // install it, and grade nothing.
    let launcher = match ex.where_ {
        crate::manifest::WhereRule::Ranks => Some(parlab_mpi::launcher::Launcher::find().map_err(|hint| {
            Stop::new(crate::verdict::Status::Skipped, format!("this exercise runs on MPI ranks, and {hint}"))
        })?),
        _ => None,
    };
    let hosts = match (&opts.hosts, launcher.is_some()) {
        (None, _) => None,
        (Some(_), false) => {
            return Err(Stop::failed(format!(
                "--hosts puts an MPI exercise's ranks on several hosts: {} does not run on MPI ranks",
                ex.name
            )));
        }
        (Some(path), true) => Some(crate::hosts::Hostfile::read(path).map_err(Stop::failed)?),
    };
    // Cargo shows its own progress while it builds.
    let built = crate::compile::build(&opts.dir, &ex.name, &ex.package(), opts.quiet).map_err(|e| {
        let libclang = launcher.is_some() && e.contains("libclang");
        Stop::failed(if libclang { format!("{e}\nThe MPI bindings need libclang: {}", INSTALL_LIBCLANG) } else { e })
    })?;
    crate::engine::check(&opts.dir, &ex.package()).map_err(Stop::failed)?;
    let input = Input::draw(ex, &mut fastrand::Rng::with_seed(seed));
    let expectation = Expectation::of(ex, &input, &v.cpus);
    let mut session = Session::new(ex, opts, &built, &input, launcher, hosts);

    // The program runs first: one that is not done, crashes or never ends
    // is told so without waiting for the baseline (five seconds of MPI
    // counting). So the first pair runs program then baseline, the rest
    // baseline then program.
    status_line(opts, "running your program");
    let ran = session.execute().map_err(|stop| stop.in_runs(&[1]))?;
    session.finished(&ran).map_err(|stop| stop.in_runs(&[1]))?;
    session.misshapen(&ran).map_err(|stop| stop.in_runs(&[1]))?;
    status_line(opts, "running the checker's sequential baseline");
    let (first_baseline, expected) = session.baseline()?;
    let first = session.learner_run(&expected, Some(ran))?;
    v.evidence = first.evidence.clone();
    v.timeline = first.timeline.clone();
    let sound = if input.traced() {
        "the answer is right, and the checker witnessed every task"
    } else {
        "the answer is right"
    };

    let mut doubt = first.doubt.clone();
    let unsure = |doubt: Option<String>| doubt.map_or(Ok(()), |why| Err(Stop::inconclusive(why)));
    let expectation = match expectation {
        Ok(Some(e)) => e,
        Ok(None) => {
            v.reasons.push(sound.into());
            return unsure(doubt);
        }
        Err(not_graded) => {
            v.reasons.extend([sound.to_string(), not_graded]);
            return unsure(doubt);
        }
    };
    let mut timings = Timings { baseline: vec![first_baseline], learner: vec![first.timing] };
    while !timings.enough(&expectation) {
        status_line(opts, &format!("timing: pair {} of at least {}", timings.learner.len() + 1, speed::MIN_PAIRS));
        timings.baseline.push(session.baseline()?.0);
        let run = session.learner_run(&expected, None)?;
        doubt = doubt.or(run.doubt);
        timings.learner.push(run.timing);
    }
    let mut m = timings.measurements(&expectation);
    // Slower than the bar, but not by much: time again, each pair between
    // two measures of what this machine's CPUs give right then.
    let look = if speed::needs_second_look(&expectation, &m) {
        status_line(opts, "slower than the bar: timing again beside the checker's own count");
        let mut rounds = Vec::new();
        let mut before = speed::machine_speedup(v.cpus.usable);
        for _ in 0..speed::LOOK_ROUNDS {
            let (baseline, _) = session.baseline()?;
            let run = session.learner_run(&expected, None)?;
            doubt = doubt.or(run.doubt);
            let after = speed::machine_speedup(v.cpus.usable);
            let speedup = baseline.wall_secs / run.timing.wall_secs.max(1e-9);
            rounds.push(speed::Round { speedup, machine: before.min(after) });
            timings.baseline.push(baseline);
            timings.learner.push(run.timing);
            before = after;
        }
        m = timings.measurements(&expectation);
        Some(speed::SecondLook::of(&rounds))
    } else {
        None
    };
    v.reasons.push(format!("{sound}, in each of your {} runs", timings.learner.len()));
    v.measurements = Some(m.clone());
    let passed = speed::judge(&expectation, &m, look.as_ref())?;
    unsure(doubt)?;
    v.reasons.insert(0, passed);
    Ok(())
}

/// What to install when the MPI bindings cannot find libclang.
const INSTALL_LIBCLANG: &str = "`sudo apt-get install libclang-dev` (Debian, Ubuntu), `sudo dnf install clang-devel` \
     (Fedora), `brew install llvm` (macOS)";

fn status_line(opts: &Options, what: &str) {
    if !opts.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r\x1b[2K  {what}...");
        if what.is_empty() {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Clears the progress line.
pub fn clear_status_line(opts: &Options) {
    status_line(opts, "");
}

/// How the baseline tells the CPU time its work alone took.
const WORK_CPU_LINE: &str = "parlab-baseline-work-cpu-ns ";

/// The hidden `baseline` command: the reference, run sequentially on the
/// input read from stdin; the answer goes to stdout.
pub fn run_baseline(ex: &Exercise) -> Result<(), String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read the input: {e}"))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let input = Input::from_json(ex.input, &value)?;
    let before = parlab::CpuTime::now().own;
    let answer = input.reference();
    let work = parlab::CpuTime::now().own.saturating_sub(before);
    // The workloads print as they go; the CPU time of the work alone (not
    // the start-up of this process) and the answer are the last lines.
    println!("\n{WORK_CPU_LINE}{}\n{answer}", work.as_nanos());
    Ok(())
}
