//! Grading one exercise from start to end: build, draw inputs, run the
//! checker's own sequential baseline and the learner's program, judge the
//! answer and the trace, then time both interleaved (A B A B ...).

use crate::grade;
use crate::inputs;
use crate::manifest::{Exercise, SpeedupRule};
use crate::sandbox::{self, Limits, RunOutcome};
use crate::verdict::{Measurements, Status, Verdict};
use parlab::exercise::{ANSWER_ENV, INPUT_ENV};
use parlab::stats::{median, spread};
use parlab::trace::{TRACE_FILE_ENV, read_trace_file};
use parlab::workloads::TIME_SCALE_ENV;
use serde_json::Value;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
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

/// Pairs of timed runs: at least this many, more while the spread is wide.
const MIN_PAIRS: usize = 3;
const MAX_PAIRS: usize = 7;
/// Spread ((max - min) / median) above which timings are too noisy to judge.
const NOISY: f64 = 0.25;
/// Share of the expected speedup that passes.
const PASS_SHARE: f64 = 0.75;

pub fn verify(ex: &Exercise, opts: &Options) -> Verdict {
    let seed = opts.seed.unwrap_or_else(|| fastrand::u64(..1_000_000_000));
    let v = Verdict::new(&ex.name, seed);
    // Cargo shows its own progress while it builds.
    let program = match crate::compile::build(&opts.dir, &ex.package(), opts.quiet) {
        Ok(p) => p,
        Err(e) => return v.conclude(Status::Failed, e),
    };
    let work = Work::new(&ex.name);
    let input = inputs::draw(ex, &mut fastrand::Rng::with_seed(seed));
    if let Err(e) = std::fs::write(work.path("input.json"), input.to_string()) {
        return v.conclude(Status::Failed, format!("cannot write the input: {e}"));
    }
    match grade_once(ex, opts, &program, &work, &input, v) {
        Ok(v) | Err(v) => v,
    }
}

/// The steps after the build; `Err` carries a verdict that ended early.
// Both arms are the verdict, made once per exercise: boxing buys nothing.
#[allow(clippy::result_large_err)]
fn grade_once(
    ex: &Exercise,
    opts: &Options,
    program: &Path,
    work: &Work,
    input: &Value,
    mut v: Verdict,
) -> Result<Verdict, Verdict> {
    progress(opts, "running the checker's sequential baseline");
    let (_, expected) = match baseline(ex, opts, work) {
        Ok(b) => b,
        Err(e) => return Err(v.conclude(Status::Failed, format!("the checker's baseline failed: {e}"))),
    };
    progress(opts, "running your program");
    let outcome = learner(opts, program, work, true).map_err(|e| v.clone().conclude(Status::Failed, e))?;
    if let Err((status, why)) = grade::ending(&outcome, &opts.limits) {
        return Err(v.conclude(status, why));
    }
    let got: Value = std::fs::read_to_string(work.path("answer.json"))
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or_else(|| v.clone().conclude(Status::Failed, "your program gave no answer: keep main() as it is"))?;
    // Workloads number their calls per process: number the spans by start instead.
    let mut spans = read_trace_file(&work.path("trace.jsonl")).unwrap_or_default();
    spans.sort_by_key(|s| s.start_ns);
    spans.iter_mut().enumerate().for_each(|(i, s)| s.index = i);
    let mut trace = parlab::Trace::from_spans(format!("your run of {}", ex.name), spans.clone());
    trace.parent_pid = outcome.pid;
    if !spans.is_empty() {
        v.timeline = Some(parlab::timeline::text(&trace, 50));
    }
    grade::answer(ex, input, &got, &expected, &trace).map_err(|why| v.clone().conclude(Status::Failed, why))?;
    let workers = inputs::sleeps_and_workers(ex, input).map(|(_, w)| w);
    let (evidence, problems) = grade::evidence(ex, &spans, outcome.pid, inputs::traced_tasks(ex, input), workers);
    let concurrency = evidence.max_concurrency;
    // Tiny tasks are not traced (timing each would cost more than the task):
    // an empty trace there says nothing, so the verdict shows none.
    v.evidence = inputs::traced_tasks(ex, input).map(|_| evidence);
    if let Some((first, rest)) = problems.split_first() {
        let mut v = v.conclude(Status::Failed, first.clone());
        v.reasons.extend(rest.iter().cloned());
        return Err(v);
    }
    v.reasons.push("the answer is right".into());
    speed(ex, opts, program, work, input, concurrency, v)
}

/// The speedup part: interleaved timings and the judgement on them.
#[allow(clippy::result_large_err)]
fn speed(
    ex: &Exercise,
    opts: &Options,
    program: &Path,
    work: &Work,
    input: &Value,
    concurrency: usize,
    mut v: Verdict,
) -> Result<Verdict, Verdict> {
    let cpus = v.cpus.usable;
    let (expected, why) = match ex.speedup {
        SpeedupRule::None => return Ok(v),
        SpeedupRule::Ideal => {
            let (sleeps, workers) = inputs::sleeps_and_workers(ex, input).expect("sleep inputs");
            let ideal = sleeps.iter().sum::<f64>() / inputs::ideal_makespan(&sleeps, workers);
            (ideal, format!("sleeping tasks on {workers} workers: the ideal whatever the CPUs"))
        }
        SpeedupRule::Cpus | SpeedupRule::BeatsSequential if cpus == 1 => {
            v.reasons.push(format!("speed not graded: {}; only the answer and the trace count here", v.cpus.explain()));
            return Ok(v);
        }
        SpeedupRule::Cpus => {
            let tasks = input.as_array().map_or(cpus, Vec::len);
            (cpus.min(tasks) as f64, format!("CPU-bound work is bounded by the CPUs: {}", v.cpus.explain()))
        }
        SpeedupRule::BeatsSequential => {
            (cpus as f64, format!("{}; any speedup over 1.1x shows the chunks paid off", v.cpus.explain()))
        }
    };
    let required = if ex.speedup == SpeedupRule::BeatsSequential { 1.1 } else { 1.0_f64.max(PASS_SHARE * expected) };
    let (mut b, mut l, mut b_cpu, mut l_cpu) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for pair in 0..MAX_PAIRS {
        progress(opts, &format!("timing: pair {} of at least {MIN_PAIRS}", pair + 1));
        let (bs, bc) = baseline(ex, opts, work).map(|(t, _)| t).map_err(|e| v.clone().conclude(Status::Failed, e))?;
        let run = learner(opts, program, work, false).map_err(|e| v.clone().conclude(Status::Failed, e))?;
        if let Err((status, why)) = grade::ending(&run, &opts.limits) {
            return Err(v.conclude(status, format!("in a timed run: {why}")));
        }
        b.push(bs);
        b_cpu.push(bc / bs);
        l.push(run.wall_secs);
        l_cpu.push(run.cpu_secs / run.wall_secs);
        if pair + 1 >= MIN_PAIRS && spread(&b) < NOISY / 2.0 && spread(&l) < NOISY / 2.0 {
            break;
        }
    }
    let speedup = median(&b) / median(&l);
    let m = Measurements {
        baseline_secs: median(&b),
        learner_secs: median(&l),
        speedup,
        expected_speedup: expected,
        required_speedup: required,
        why_expected: why,
        baseline_samples: b.clone(),
        learner_samples: l.clone(),
        learner_cpus_used: median(&l_cpu),
    };
    v.measurements = Some(m);
    if speedup >= required {
        v.reasons.push(format!("really faster: {speedup:.2}x"));
        return Ok(v);
    }
    let cpu_bound = ex.speedup != SpeedupRule::Ideal;
    let starved =
        cpu_bound && (median(&b_cpu) < 0.8 || (concurrency as f64 >= expected && median(&l_cpu) < 0.8 * expected));
    if spread(&b) > NOISY || spread(&l) > NOISY || starved {
        let why = if starved {
            "your runs did not get the CPUs they asked for (CPU time over wall time was low)".to_string()
        } else {
            format!(
                "timings varied too much (baseline spread {:.0}%, yours {:.0}%)",
                spread(&b) * 100.0,
                spread(&l) * 100.0
            )
        };
        return Err(v.conclude(
            Status::Inconclusive,
            format!(
                "speedup {speedup:.2}x is below {required:.2}x, but the machine was too busy to tell: {why}. Close \
                 other programs and run `checker verify {}` again",
                ex.name
            ),
        ));
    }
    let advice = match ex.speedup {
        SpeedupRule::BeatsSequential => "send many tiny tasks per message (map_chunked with thousands per chunk)",
        SpeedupRule::Cpus => "use one worker per usable CPU and give each several tasks",
        _ => "start every task before waiting for any",
    };
    Err(v
        .conclude(Status::Failed, format!("not faster enough: {speedup:.2}x, {required:.2}x or more passes: {advice}")))
}

/// Runs the checker's sequential baseline in a process of its own; returns
/// (wall seconds, CPU seconds) and the answer.
fn baseline(ex: &Exercise, opts: &Options, work: &Work) -> Result<((f64, f64), Value), String> {
    let answer = work.path("baseline-answer.json");
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let cpu = parlab::CpuTime::now().children;
    let mut child = std::process::Command::new(me)
        .arg("baseline")
        .arg("--dir")
        .arg(&opts.dir)
        .arg(&ex.name)
        .arg(work.path("input.json"))
        .arg(&answer)
        .env(TIME_SCALE_ENV, opts.time_scale.to_string())
        .env_remove(TRACE_FILE_ENV)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run the baseline: {e}"))?;
    // Timed from the end of spawn (after exec), like the learner's program.
    let started = Instant::now();
    let status = child.wait().map_err(|e| format!("cannot wait for the baseline: {e}"))?;
    let wall = started.elapsed().as_secs_f64();
    let cpu = parlab::CpuTime::now().children.saturating_sub(cpu).as_secs_f64();
    if !status.success() {
        return Err(format!("the baseline exited with {status}"));
    }
    let value = std::fs::read_to_string(&answer)
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .ok_or("the baseline gave no answer")?;
    Ok(((wall, cpu), value))
}

/// Runs the learner's program in the sandbox, traced or not.
fn learner(opts: &Options, program: &Path, work: &Work, traced: bool) -> Result<RunOutcome, String> {
    let trace = work.path("trace.jsonl");
    let _ = std::fs::remove_file(&trace);
    let _ = std::fs::remove_file(work.path("answer.json"));
    let mut envs: Vec<(&str, OsString)> = vec![
        (INPUT_ENV, work.path("input.json").into()),
        (ANSWER_ENV, work.path("answer.json").into()),
        (TIME_SCALE_ENV, opts.time_scale.to_string().into()),
    ];
    if traced {
        envs.push((TRACE_FILE_ENV, trace.into()));
    }
    sandbox::run(program, &envs, &opts.limits, if traced { "check" } else { "timed" })
        .map_err(|e| format!("could not start your program: {e}"))
}

fn progress(opts: &Options, what: &str) {
    if !opts.quiet && std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprint!("\r\x1b[2K  {what}...");
        if what.is_empty() {
            eprint!("\r\x1b[2K");
        }
    }
}

/// Clears the progress line.
pub fn progress_done(opts: &Options) {
    progress(opts, "");
}

/// A scratch folder for one verification, removed afterwards.
struct Work(PathBuf);

impl Work {
    fn new(name: &str) -> Work {
        let dir = std::env::temp_dir().join(format!("parlab-checker-{}-{name}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        Work(dir)
    }
    fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for Work {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The hidden `baseline` command: the reference, run sequentially.
pub fn run_baseline(ex: &Exercise, input: &Path, answer: &Path) -> Result<(), String> {
    let text = std::fs::read_to_string(input).map_err(|e| format!("cannot read {}: {e}", input.display()))?;
    let input: Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let value = inputs::reference(ex, &input)?;
    std::fs::write(answer, value.to_string()).map_err(|e| e.to_string())
}
