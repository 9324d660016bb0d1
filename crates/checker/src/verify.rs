//! Grading one exercise: build -> run -> measure -> judge -> report.
//!
//! The checker's own sequential baseline gives the expected answer, which
//! stays in the checker's memory. Then the program and the baseline run in
//! turns (A B A B ...). Every run of the program is the same (same input,
//! traced the same way), so a program cannot tell a graded run from a timed
//! one, and every run is graded: its answer, its trace against the kernel's
//! record, and where and when its tasks ran. Each step returns
//! `Result<_, Stop>`; one place turns the outcome into the verdict.

use crate::evidence::{self, Run};
use crate::grade;
use crate::inputs::Input;
use crate::manifest::Exercise;
use crate::sandbox::{self, Limits, RunAs, RunOutcome};
use crate::speed::{self, Expectation, Timing, Timings};
use crate::verdict::{Stop, Verdict};
use parlab::exercise::{ANSWER_ENV, INPUT_ENV, TIME_SCALE_ENV, TRACE_FILE_ENV, read_trace_file};
use serde_json::Value;
use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Instant;

/// Everything a verification needs besides the exercise.
#[derive(Debug, Clone)]
pub struct Options {
    pub dir: PathBuf,
    pub seed: Option<u64>,
    pub time_scale: f64,
    pub limits: Limits,
    /// Keep cargo quiet (JSON mode): errors go into the verdict instead.
    pub quiet: bool,
}

pub fn verify(ex: &Exercise, opts: &Options) -> Verdict {
    let seed = opts.seed.unwrap_or_else(|| fastrand::u64(..1_000_000_000));
    let mut v = Verdict::new(&ex.name, seed);
    match grade(ex, opts, seed, &mut v) {
        Ok(()) => v,
        Err(stop) => v.stop(stop),
    }
}

/// The steps; what they find goes into `v` on the way.
fn grade(ex: &Exercise, opts: &Options, seed: u64, v: &mut Verdict) -> Result<(), Stop> {
    // An MPI exercise needs MPI to build and to run: without it, say how to
    // install it, and grade nothing.
    let launcher = match ex.where_ {
        crate::manifest::WhereRule::Ranks => Some(parlab_mpi::launcher::Launcher::find().map_err(|hint| {
            Stop::new(crate::verdict::Status::Skipped, format!("this exercise runs on MPI ranks, and {hint}"))
        })?),
        _ => None,
    };
    // Cargo shows its own progress while it builds.
    let built = crate::compile::build(&opts.dir, &ex.package(), opts.quiet).map_err(|e| {
        let libclang = launcher.is_some() && e.contains("libclang");
        Stop::failed(if libclang { format!("{e}\nThe MPI bindings need libclang: {}", INSTALL_LIBCLANG) } else { e })
    })?;
    let input = Input::draw(ex, &mut fastrand::Rng::with_seed(seed));
    let expectation = Expectation::of(ex, &input, &v.cpus);
    let mut session = Session::new(ex, opts, &built, &input, launcher).map_err(Stop::failed)?;

    status_line(opts, "running the checker's sequential baseline");
    let (first_baseline, expected) = session.baseline()?;
    status_line(opts, "running your program");
    let first = session.learner_run(&expected)?;
    v.evidence = first.evidence.clone();
    v.timeline = first.timeline.clone();
    let sound = if input.traced() {
        "the answer is right, and the trace agrees with the kernel's record"
    } else {
        "the answer is right"
    };

    let expectation = match expectation {
        Ok(Some(e)) => e,
        Ok(None) => {
            v.reasons.push(sound.into());
            return Ok(());
        }
        Err(not_graded) => {
            v.reasons.extend([sound.to_string(), not_graded]);
            return Ok(());
        }
    };
    let mut timings = Timings { baseline: vec![first_baseline], learner: vec![first.timing] };
    while !timings.enough() {
        status_line(opts, &format!("timing: pair {} of at least {}", timings.learner.len() + 1, speed::MIN_PAIRS));
        timings.baseline.push(session.baseline()?.0);
        timings.learner.push(session.learner_run(&expected)?.timing);
    }
    v.reasons.push(format!("{sound}, in each of your {} runs", timings.learner.len()));
    let m = timings.measurements(&expectation);
    v.measurements = Some(m.clone());
    let passed = speed::judge(&expectation, &m)?;
    v.reasons.insert(0, passed);
    Ok(())
}

/// What to install when the MPI bindings cannot find libclang.
const INSTALL_LIBCLANG: &str = "`sudo apt-get install libclang-dev` (Debian, Ubuntu), `sudo dnf install clang-devel` \
     (Fedora), `brew install llvm` (macOS)";

/// Runs again after a problem that timing alone can cause, at most.
const NOISY_RETRIES: usize = 2;

/// Why a run did not pass: for good, or for a reason timing alone can cause.
enum Judged {
    Stop(Stop),
    Noise(Stop),
}

impl From<Stop> for Judged {
    fn from(stop: Stop) -> Judged {
        Judged::Stop(stop)
    }
}

/// What one graded run of the program gave.
struct LearnerRun {
    timing: Timing,
    evidence: Option<crate::verdict::Evidence>,
    timeline: Option<String>,
}

/// The state of one verification: a private folder the program may write
/// in, holding only its own copy, its input, its answer and its trace.
struct Session<'a> {
    ex: &'a Exercise,
    opts: &'a Options,
    input: &'a Input,
    input_json: String,
    dir: tempfile::TempDir,
    program: PathBuf,
    run_as: Option<RunAs>,
    runs: usize,
    /// The options' limits, with room for one thread or process per task
    /// where every task must be in flight at once (a hundred waits or more).
    limits: crate::sandbox::Limits,
    /// For an MPI exercise: the launcher, and its arguments ending with the program.
    launch: Option<(PathBuf, Vec<OsString>)>,
}

impl<'a> Session<'a> {
    fn new(
        ex: &'a Exercise,
        opts: &'a Options,
        built: &Path,
        input: &'a Input,
        launcher: Option<parlab_mpi::launcher::Launcher>,
    ) -> Result<Session<'a>, String> {
        let dir = tempfile::Builder::new()
            .prefix("parlab-checker-")
            .tempdir()
            .map_err(|e| format!("cannot make a private folder for the run: {e}"))?;
        let name = built.file_name().ok_or("cargo named a program without a file name")?;
        let program = dir.path().join(name);
        std::fs::copy(built, &program).map_err(|e| format!("cannot copy {}: {e}", built.display()))?;
        let input_json = input.to_json().to_string();
        std::fs::write(dir.path().join("input.json"), &input_json)
            .map_err(|e| format!("cannot write the input: {e}"))?;
        let run_as = RunAs::unprivileged_if_root();
        if let Some(user) = &run_as {
            user.give(dir.path()).map_err(|e| format!("cannot hand the run's folder to {}: {e}", user.name()))?;
        }
        let mut limits = opts.limits.clone();
        if ex.input == crate::manifest::InputKind::ManyWaits {
            limits.max_processes += input.tasks();
        }
        // One rank per usable CPU, and two at least: ranks must be seen at work together.
        let launch = launcher.map(|l| {
            let usable = parlab::Cpus::detect().usable;
            (l.program.clone(), l.args(ranks_for(usable), usable, &program))
        });
        Ok(Session { ex, opts, input, input_json, dir, program, run_as, runs: 0, limits, launch })
    }

    fn path(&self, file: &str) -> PathBuf {
        self.dir.path().join(file)
    }

    /// Runs the checker's sequential reference in a process of its own: its
    /// timing, and its answer (read from its stdout, never from a file).
    fn baseline(&self) -> Result<(Timing, Value), Stop> {
        let me = std::env::current_exe().map_err(|e| Stop::failed(format!("cannot find the checker itself: {e}")))?;
        let cpu = parlab::CpuTime::now().children;
        let load = parlab::OtherLoad::start();
        let mut child = std::process::Command::new(me)
            .arg("--dir")
            .arg(&self.opts.dir)
            .args(["baseline", &self.ex.name])
            .env(TIME_SCALE_ENV, self.opts.time_scale.to_string())
            .env_remove(TRACE_FILE_ENV)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Stop::failed(format!("cannot run the checker's baseline: {e}")))?;
        // Timed from the end of spawn (after exec), like the program.
        let started = Instant::now();
        let mut stdin = child.stdin.take().expect("piped");
        let fed = stdin.write_all(self.input_json.as_bytes());
        drop(stdin);
        let mut answer = String::new();
        let read = child.stdout.take().expect("piped").read_to_string(&mut answer);
        let status = child.wait().map_err(|e| Stop::failed(format!("cannot wait for the baseline: {e}")))?;
        let wall_secs = started.elapsed().as_secs_f64();
        let cpu_secs = parlab::CpuTime::now().children.saturating_sub(cpu).as_secs_f64();
        if fed.is_err() || read.is_err() || !status.success() {
            return Err(Stop::failed(format!("the checker's baseline failed ({status})")));
        }
        // The workloads print as they go: the answer is the last line.
        let last = answer.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("");
        let value = serde_json::from_str(last).map_err(|e| Stop::failed(format!("the baseline's answer: {e}")))?;
        let others_cpu_secs = load.and_then(|l| l.cpu_secs());
        Ok((Timing { wall_secs, cpu_secs, others_cpu_secs }, value))
    }

    /// Runs the program once and grades that run in full.
    /// Runs the program once and grades that run in full. A run whose only
    /// problem is one that timing alone can cause (tasks that should have
    /// overlapped did not) is run again, twice at most: a correct program
    /// fails only if every one of the three runs shows it.
    fn learner_run(&mut self, expected: &Value) -> Result<LearnerRun, Stop> {
        let mut last = None;
        for _ in 0..NOISY_RETRIES + 1 {
            match self.one_run(expected) {
                Ok(run) => return Ok(run),
                Err(Judged::Noise(stop)) => last = Some(stop),
                Err(Judged::Stop(stop)) => return Err(stop),
            }
        }
        Err(last.expect("at least one run"))
    }

    fn one_run(&mut self, expected: &Value) -> Result<LearnerRun, Judged> {
        self.runs += 1;
        let k = self.runs;
        let (trace, answer) = (self.path("trace.jsonl"), self.path("answer.json"));
        let _ = std::fs::remove_file(&trace);
        let _ = std::fs::remove_file(&answer);
        let envs: Vec<(&str, OsString)> = vec![
            (INPUT_ENV, self.path("input.json").into()),
            (ANSWER_ENV, answer.clone().into()),
            (TIME_SCALE_ENV, self.opts.time_scale.to_string().into()),
            (TRACE_FILE_ENV, trace.clone().into()),
        ];
        let before_ns = parlab::now_ns();
        let (program, args) = match &self.launch {
            Some((launcher, args)) => (launcher.as_path(), args.as_slice()),
            None => (self.program.as_path(), &[][..]),
        };
        let spec = sandbox::Spec {
            program,
            args,
            envs: &envs,
            cwd: self.dir.path(),
            limits: &self.limits,
            run_as: self.run_as.as_ref(),
            tag: &self.ex.name,
            watch: None,
        };
        let outcome = sandbox::run(&spec)
            .map_err(|e| Judged::Stop(Stop::failed(format!("could not start your program: {e}"))))?;
        let after_ns = parlab::now_ns();
        self.judge_run(&outcome, expected, (before_ns, after_ns), &trace, &answer).map_err(|j| match j {
            Judged::Stop(s) => Judged::Stop(s.in_run(k)),
            Judged::Noise(s) => Judged::Noise(s.in_run(k)),
        })
    }

    fn judge_run(
        &self,
        outcome: &RunOutcome,
        expected: &Value,
        window_ns: (u64, u64),
        trace: &Path,
        answer: &Path,
    ) -> Result<LearnerRun, Judged> {
        let (ex, input) = (self.ex, self.input);
        let got: Option<Value> = std::fs::read_to_string(answer).ok().and_then(|s| serde_json::from_str(&s).ok());
        if let Some(why) = grade::not_done(got.as_ref()) {
            return Err(Stop::new(crate::verdict::Status::NotDone, why).into());
        }
        grade::ending(outcome, &self.limits).map_err(|(status, why)| Stop::new(status, why))?;
        let got = got.ok_or_else(|| Stop::failed("your program gave no answer: keep main() as it is"))?;
        // Workloads number their calls per process: number the spans by start instead.
        let mut spans = read_trace_file(trace).unwrap_or_default();
        spans.sort_by_key(|s| s.start_ns);
        spans.iter_mut().enumerate().for_each(|(i, s)| s.index = i);
        let run = Run {
            spans: &spans,
            main_pid: outcome.pid,
            window_ns,
            processes: &outcome.processes,
            time_scale: self.opts.time_scale,
        };
        evidence::integrity(input, &run).map_err(Stop::failed)?;
        grade::answer(ex, input, &got, expected, &spans).map_err(Stop::failed)?;
        if let Some(floor) = input.makespan_floor().filter(|_| ex.speedup == crate::manifest::SpeedupRule::Ideal)
            && outcome.wall_secs < 0.98 * floor * self.opts.time_scale
        {
            return Err(Stop::failed(format!(
                "your program finished in {}, but its sleeps take at least {} on {} workers: the tasks did not \
                 sleep what they claim",
                parlab::timeline::human(outcome.wall_secs),
                parlab::timeline::human(floor * self.opts.time_scale),
                input.workers().unwrap_or(1)
            ))
            .into());
        }
        let cpus = parlab::Cpus::detect();
        let (ev, problems) = evidence::shape(ex, input, &run, cpus.usable);
        let timing = Timing {
            wall_secs: outcome.wall_secs,
            cpu_secs: outcome.cpu_secs,
            others_cpu_secs: outcome.others_cpu_secs,
        };
        if let Some(first) = problems.first() {
            let busy = timing.others_cpu_secs.map(|o| o / timing.wall_secs.max(1e-9));
            let mut stop = match busy {
                Some(b) if first.noise && b >= speed::BUSY_CPUS => Stop::inconclusive(format!(
                    "{}; but other programs kept {b:.2} CPUs busy meanwhile, which alone can cause that: run the \
                     checker again when the machine is quieter",
                    first.reason
                )),
                _ => Stop::failed(first.reason.clone()),
            };
            stop.reasons.extend(problems[1..].iter().map(|p| p.reason.clone()));
            return Err(if first.noise { Judged::Noise(stop) } else { Judged::Stop(stop) });
        }
        // Tiny tasks are not traced (timing each would cost more than the
        // task): an empty trace there says nothing, so the verdict shows none.
        let traced = input.traced();
        let timeline = (traced && !spans.is_empty()).then(|| {
            let mut t = parlab::Trace::from_spans(format!("your run of {}", ex.name), spans.clone());
            t.parent_pid = outcome.pid;
            parlab::timeline::text(&t, 50)
        });
        Ok(LearnerRun { timing, evidence: traced.then_some(ev), timeline })
    }
}

/// How many ranks an MPI exercise runs on, with `usable` CPUs.
pub fn ranks_for(usable: usize) -> usize {
    usable.max(2)
}

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

/// The hidden `baseline` command: the reference, run sequentially on the
/// input read from stdin; the answer goes to stdout.
pub fn run_baseline(ex: &Exercise) -> Result<(), String> {
    let mut text = String::new();
    std::io::stdin().read_to_string(&mut text).map_err(|e| format!("cannot read the input: {e}"))?;
    let value: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let input = Input::from_json(ex.input, &value)?;
    let answer = input.reference();
    // The workloads print as they go; the answer is the last line.
    println!("\n{answer}");
    Ok(())
}
