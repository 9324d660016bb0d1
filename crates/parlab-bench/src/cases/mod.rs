//! The cases: each measures parlab, then Python's counterpart, then the floor.

mod cpu;

use cpu::{cpu_bound, tiny_tasks};

use crate::fair::{BUSY_CPUS, fair, fair_runs};
use crate::measure::{fig, progress, run_python, settle, timed};
use crate::report::{Report, shown};
use crate::stats::Figure;
use crate::{Args, floor};
use parlab::stats::median;
use parlab::workloads::{count_primes, split_range, tiny};
use parlab::{Cpus, Process, ProcessPool, Sequential, Shutdown, ThreadPool};
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const STEPS: &str = "Tutorial steps (tasks of 0.1 s): wall time";
const POOL_1S: &str = "Ten 1 s tasks on a pool of ten: wall time";
const START: &str = "Start and join one process running an empty task";
const TINY: &str = "Tiny tasks (is n prime?, the book's `tiny`): throughput";
const CPU: &str = "CPU-bound: count primes on every CPU";
const IN_TIME: &str = "Results handed over as tasks end (2 workers; a 2 s task among instant ones)";

/// Sizes of one run.
struct Plan {
    reps: usize,
    py_reps: usize,
    secs: f64,
    one_second: f64,
    fork_iterations: usize,
    tiny_n: usize,
    tiny_n_slow: usize,
    primes_limit: u64,
    py_primes_limit: u64,
    round_trips: usize,
}

impl Plan {
    fn new(quick: bool) -> Plan {
        if quick {
            Plan {
                reps: 1,
                py_reps: 1,
                secs: 0.01,
                one_second: 0.01,
                fork_iterations: 5,
                tiny_n: 2_000,
                tiny_n_slow: 500,
                primes_limit: 20_000,
                py_primes_limit: 5_000,
                round_trips: 100,
            }
        } else {
            Plan {
                reps: 7,
                py_reps: 3,
                secs: 0.1,
                one_second: 1.0,
                fork_iterations: 200,
                tiny_n: 100_000,
                tiny_n_slow: 20_000,
                primes_limit: 4_000_000,
                py_primes_limit: 300_000,
                round_trips: 20_000,
            }
        }
    }
}

/// Sleeps `secs` (unscaled) and returns it: the tutorial's task, quiet.
fn nap(secs: f64) -> f64 {
    std::thread::sleep(Duration::from_secs_f64(secs));
    secs
}

/// Runs one case and records how busy other programs kept the CPUs
/// meanwhile; a case run on a busy machine is run once more, and if that
/// run was busy too its figures and checks are marked noisy, never judged.
fn measured(report: &mut Report, case: impl Fn(&mut Report)) {
    for attempt in 0..2 {
        let (figures, checks, notes) = (report.figures.len(), report.checks.len(), report.notes.len());
        let scaling_notes = report.scaling_notes.len();
        let load = parlab::OtherLoad::start();
        let started = Instant::now();
        case(report);
        let others = load.and_then(|l| l.cpu_secs()).map(|s| s / started.elapsed().as_secs_f64());
        let noisy = others.is_some_and(|o| o >= BUSY_CPUS);
        if noisy && attempt == 0 {
            progress("other programs were busy: running the case again");
            report.figures.truncate(figures);
            report.checks.truncate(checks);
            report.notes.truncate(notes);
            report.scaling_notes.truncate(scaling_notes);
            continue;
        }
        report.figures[figures..].iter_mut().for_each(|f| (f.others_cpus, f.noisy) = (others, f.noisy || noisy));
        report.checks[checks..].iter_mut().for_each(|c| c.noisy |= noisy);
        return;
    }
}

/// Figures from a Python answer: one per key whose value is a list of numbers.
fn python_figures(report: &mut Report, case: &str, unit: &str, answer: &Value, names: &[(&str, &str)]) {
    for (key, name) in names {
        if let Some(list) = answer.get(*key).and_then(Value::as_array) {
            let samples = list.iter().filter_map(Value::as_f64).collect();
            fig(report, case, "python", name, unit, samples);
        }
    }
}

pub fn run_all(args: &Args, python_version: Option<String>) -> Report {
    let plan = Plan::new(args.quick);
    let cpus = Cpus::detect();
    let mut report = Report {
        date: date_today(),
        machine: format!("{} ({})", machine_name(), cpus.explain()),
        python: python_version.clone(),
        quick: args.quick,
        ..Report::default()
    };
    let py = python_version.is_some();
    let wanted = |case: &str| args.only.is_empty() || args.only.iter().any(|c| c == case);
    if wanted("steps") {
        measured(&mut report, |r| tutorial_steps(r, &plan, py));
    }
    if wanted("pool") {
        measured(&mut report, |r| pool_of_ten_one_second(r, &plan));
    }
    if wanted("start") {
        measured(&mut report, |r| start_and_join(r, &plan, py));
    }
    if wanted("tiny") {
        measured(&mut report, |r| tiny_tasks(r, &plan, &cpus, py));
    }
    if wanted("cpu") {
        measured(&mut report, |r| cpu_bound(r, &plan, &cpus, py));
    }
    if wanted("in_time") {
        measured(&mut report, |r| results_in_time(r, &plan));
    }
    if wanted("scaling") {
        let sweeps = crate::scaling::Plan::new(args.quick);
        measured(&mut report, |r| {
            let (value, charts) = crate::scaling::run(r, &sweeps, &cpus, py);
            (r.scaling, r.charts) = (Some(value), charts);
        });
    }
    // Last: it compares with parlab's figures above, where they were run.
    if wanted("peers") {
        let (quick, workers) = (args.quick, cpus.usable);
        let peer = crate::peer::Plan {
            reps: if quick { 1 } else { 3 },
            spawns: if quick { 2 } else { 20 },
            tiny_n: if quick { 50 } else { 2_000 },
            workers,
            sizes: if quick { vec![1 << 20] } else { vec![4 << 20, 256 << 20] },
        };
        let cases = crate::peer::Cases { start: START, tiny: TINY, payload: crate::payload::PAYLOAD };
        measured(&mut report, |r| crate::peer::measure(r, &peer, &cases));
    }
    // Drawn last, with every side that handed results back.
    if report.scaling.is_some()
        && let Some(chart) = crate::payload::chart(&report)
    {
        report.charts.push(chart);
    }
    report
}

/// A result must reach the caller as soon as its task ends, even when a long
/// task follows it in a worker's queue: how late `as_completed` yields (from
/// the span's end to the yield), and how close `map` comes to its ideal wall
/// time when a long task sits among many tiny ones.
fn results_in_time(report: &mut Report, plan: &Plan) {
    progress("parlab: results in time");
    let long = 2.0 * plan.one_second;
    let pool = ProcessPool::new(2).unwrap();
    let mut lateness = Vec::new();
    let mut ratios = Vec::new();
    for _ in 0..plan.reps.min(3) {
        let inputs: Vec<f64> =
            std::iter::repeat_n(0.0, 300).chain([long]).chain(std::iter::repeat_n(0.0, 300)).collect();
        let mut yielded = vec![0u64; inputs.len()];
        pool.take_spans();
        for (i, r) in pool.as_completed(nap, inputs).unwrap() {
            r.unwrap();
            yielded[i] = parlab::now_ns();
        }
        let worst = pool
            .take_spans()
            .iter()
            .map(|s| yielded[s.index].saturating_sub(s.end_ns) as f64 / 1e9)
            .fold(0.0, f64::max);
        lateness.push(worst);
        // The long task on one worker, twenty twentieths of it on the other:
        // 300 instant tasks, one of 2 s, twenty of 100 ms (the ideal is 2 s).
        let inputs: Vec<f64> =
            std::iter::repeat_n(0.0, 300).chain([long]).chain(std::iter::repeat_n(long / 20.0, 20)).collect();
        let wall = timed(|| {
            pool.map(nap, inputs).unwrap();
        });
        ratios.push(wall / long);
    }
    drop(pool);
    fig(report, IN_TIME, "parlab", "as_completed: latest yield after a task's end", "s", lateness.clone());
    fig(report, IN_TIME, "parlab", "map with a long task: wall time / ideal", "x", ratios.clone());
    let (late, ratio) = (median(&lateness), median(&ratios));
    // Judged on the figure as printed (two decimals), so the table never
    // shows "1.10" beside "no" for a target of 1.10.
    report.check("as_completed lateness, ms", late * 1e3, "at most 5 ms", shown(late * 1e3) <= 5.0);
    report.check("map with a long task / ideal", ratio, "at most 1.10", shown(ratio) <= 1.10);
}

fn tutorial_steps(report: &mut Report, plan: &Plan, py: bool) {
    let s = plan.secs;
    let sleeps = [s, 0.8 * s, 0.6 * s, 0.4 * s, 0.2 * s];
    let mut samples: [Vec<f64>; 5] = Default::default();
    // The OS floor of each process step: as many raw forks, sleeping as long.
    let mut floors: [Vec<f64>; 5] = Default::default();
    // And of the pool of ten: raw forks sent their sleeps, ended together.
    let mut raw_pool = Vec::new();
    progress("parlab: tutorial steps");
    for _ in 0..plan.reps {
        for (slot, n) in [(1, 2), (2, 10), (3, 10), (4, 5)] {
            floors[slot].push(floor::raw_processes_sleeping(n, s));
        }
        raw_pool.push(floor::raw_pool_sleeping(10, s));
        samples[0].push(timed(|| {
            let seq = Sequential::new();
            seq.run(|| nap(s)).unwrap();
            seq.run(|| nap(s)).unwrap();
        }));
        for (slot, n) in [(1, 2), (2, 10)] {
            samples[slot].push(timed(|| {
                let ps: Vec<Process<f64>> = (0..n).map(|_| Process::start(move || nap(s)).unwrap()).collect();
                ps.into_iter().for_each(|p| {
                    p.join().unwrap();
                });
            }));
        }
        samples[3].push(timed(|| {
            let pool = ProcessPool::new(10).unwrap();
            pool.map(nap, [s; 10]).unwrap();
            pool.shutdown(Shutdown::Wait).unwrap();
        }));
        samples[4].push(timed(|| {
            let pool = ProcessPool::new(5).unwrap();
            assert_eq!(pool.as_completed(nap, sleeps).unwrap().count(), 5);
            pool.shutdown(Shutdown::Wait).unwrap();
        }));
    }
    let names = ["two sequential", "two processes", "ten processes", "pool of ten", "as_completed, five workers"];
    let ideals = [2.0 * s, s, s, s, s];
    for (i, name) in names.iter().enumerate() {
        fig(report, STEPS, "parlab", name, "s", samples[i].clone());
        fig(report, STEPS, "floor", &format!("{name}: ideal"), "s", vec![ideals[i]]);
        if !floors[i].is_empty() {
            fig(report, STEPS, "floor", &format!("{name}: raw fork + sleep + waitpid"), "s", floors[i].clone());
        }
        if i == 3 {
            let what = format!("{name}: raw forks sent a sleep each over a pipe, ended together");
            fig(report, STEPS, "floor", &what, "s", raw_pool.clone());
        }
    }
    let answer = run_python(report, py, "steps", json!({"secs": s, "reps": plan.py_reps, "as_completed": sleeps}));
    if let Some(a) = &answer {
        let keys = ["two_sequential", "two_processes", "ten_processes", "pool_of_ten", "as_completed"];
        let pairs: Vec<(&str, &str)> = keys.iter().copied().zip(names.iter().copied()).collect();
        python_figures(report, STEPS, "s", a, &pairs);
    }
    for (i, name) in names.iter().enumerate() {
        let over_ms = (median(&samples[i]) - ideals[i]) * 1e3;
        report.check(format!("{name}: parlab ms over the ideal"), over_ms, "at most 1 ms", over_ms <= 1.0);
        if !floors[i].is_empty() {
            let floor_ms = (median(&floors[i]) - ideals[i]) * 1e3;
            report.check(
                format!("{name}: OS floor (raw forks) ms over the ideal"),
                floor_ms,
                "(the least possible)",
                true,
            );
            let above = over_ms - floor_ms;
            // A pool's start-up is the project's own target (issue 25): half a millisecond.
            let most = if i >= 3 { 0.5 } else { 1.0 };
            let target = format!("at most {most} ms");
            report.check(format!("{name}: parlab ms above the OS floor"), above, target, shown(above) <= most);
        }
        if i == 3 {
            // The same against a pool made of raw system calls: what ending
            // ten processes together costs is in both.
            let above = over_ms - (median(&raw_pool) - ideals[i]) * 1e3;
            let what = format!("{name}: parlab ms above raw forks ended together");
            report.check(what, above, "(for comparison)", true);
        }
        if let Some(p) = report.get(STEPS, "python", name) {
            let py_over = (p.median() - ideals[i]) * 1e3;
            report.check(format!("{name}: Python ms over the ideal"), py_over, "(for comparison)", true);
        }
    }
}

fn pool_of_ten_one_second(report: &mut Report, plan: &Plan) {
    progress("parlab: ten 1 s tasks on a pool of ten");
    let s = plan.one_second;
    let samples: Vec<f64> = (0..plan.reps.min(3))
        .map(|_| {
            let pool = ProcessPool::new(10).unwrap();
            let t = timed(|| {
                pool.map(nap, [s; 10]).unwrap();
            });
            pool.shutdown(Shutdown::Wait).unwrap();
            t
        })
        .collect();
    let over = median(&samples) / s - 1.0;
    fig(report, POOL_1S, "parlab", "pool of ten (pool already started)", "s", samples);
    report.check("ten 1 s tasks on a pool of ten: fraction over 1 s", over, "at most 0.01", over <= 0.01);
}

fn start_and_join(report: &mut Report, plan: &Plan, py: bool) {
    progress("parlab: start and join");
    let k = plan.fork_iterations;
    let (mut parlab_s, mut raw_s) = (Vec::new(), Vec::new());
    for _ in 0..plan.reps {
        // Interleaved, so both see the same machine.
        parlab_s.push(
            timed(|| {
                for _ in 0..k {
                    Process::start(|| ()).unwrap().join().unwrap();
                }
            }) / k as f64,
        );
        raw_s.push(floor::raw_fork_join(k));
    }
    let ratio = median(&parlab_s) / median(&raw_s);
    fig(report, START, "parlab", "Process::start + join", "s", parlab_s.clone());
    fig(report, START, "floor", "fork + _exit + waitpid", "s", raw_s);
    report.check("parlab start+join / raw fork", ratio, "at most 1.2x", shown(ratio) <= 1.2);
    let params = json!({"iterations": k, "reps": plan.py_reps});
    if let Some(a) = run_python(report, py, "start_join", params) {
        let names = [
            ("fork", "multiprocessing.Process (fork)"),
            ("forkserver", "multiprocessing.Process (forkserver)"),
            ("spawn", "multiprocessing.Process (spawn)"),
        ];
        python_figures(report, START, "s", &a, &names);
        let p = median(&parlab_s);
        if let Some(f) = report.get(START, "python", names[0].1).map(Figure::median) {
            report.check("Python fork Process / parlab Process", f / p, "about 10x", f / p >= 10.0);
        }
        if let Some(f) = report.get(START, "python", names[2].1).map(Figure::median) {
            report.check("Python spawn Process / parlab Process", f / p, "over 100x", f / p >= 100.0);
        }
    }
}

fn date_today() -> String {
    std::process::Command::new("date")
        .arg("+%Y-%m-%d")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "an unknown date".into())
}

fn machine_name() -> String {
    let model = std::fs::read_to_string("/proc/cpuinfo").ok().and_then(|s| {
        s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
    });
    let uname = nix::sys::utsname::uname().ok();
    let os = uname
        .map(|u| format!("{} {}", u.sysname().to_string_lossy(), u.machine().to_string_lossy()))
        .unwrap_or_default();
    match model {
        Some(m) => format!("{os}, {m}"),
        None => os,
    }
}
