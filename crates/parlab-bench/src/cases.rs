//! The cases: each measures parlab, then Python's counterpart, then the floor.

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
    progress("parlab: tutorial steps");
    for _ in 0..plan.reps {
        for (slot, n) in [(1, 2), (2, 10), (3, 10), (4, 5)] {
            floors[slot].push(floor::raw_processes_sleeping(n, s));
        }
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
            report.check(format!("{name}: parlab ms above the OS floor"), above, "at most 1 ms", above <= 1.0);
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
    report.check("parlab start+join / raw fork", ratio, "at most 1.5x", ratio <= 1.5);
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

fn tiny_tasks(report: &mut Report, plan: &Plan, cpus: &Cpus, py: bool) {
    progress("parlab: tiny tasks");
    let (n, workers) = (plan.tiny_n, cpus.usable);
    let chunk = (n / (4 * workers)).max(1);
    // The book's tiny task, on both sides: is n prime? (as 1 or 0).
    let expected: u64 = (0..n as u64).map(tiny).sum();
    let check = |out: Vec<u64>| assert_eq!(out.iter().sum::<u64>(), expected, "wrong results");
    // Each run is held to the CPU it received (fair): at least one CPU's
    // worth, the parent's or the workers'. Pools are made, warmed and dropped
    // inside, untimed, so that their workers' CPU time is counted.
    let rates = |run: &dyn Fn() -> f64| -> (Vec<f64>, bool) {
        let (secs, noisy) = fair_runs(plan.reps, 1.0, run);
        (secs.iter().map(|s| n as f64 / s).collect(), noisy)
    };
    let on_processes = |chunk: usize| {
        move || {
            settle();
            let pool = ProcessPool::new(workers).unwrap();
            pool.map(tiny, 0..64).unwrap();
            timed(|| check(pool.map_chunked(tiny, 0..n as u64, chunk).unwrap()))
        }
    };
    let on_threads = |chunk: usize| {
        move || {
            let pool = ThreadPool::new(workers).unwrap();
            pool.map(tiny, 0..64).unwrap();
            timed(|| check(pool.map_chunked(tiny, 0..n as u64, chunk).unwrap()))
        }
    };
    let (p1, p1_noisy) = rates(&on_processes(1));
    let (pc, pc_noisy) = rates(&on_processes(chunk));
    let rt: Vec<f64> = (0..plan.reps).map(|_| 1.0 / floor::pipe_round_trip(plan.round_trips)).collect();
    let (t1, t1_noisy) = rates(&on_threads(1));
    let (tc, tc_noisy) = rates(&on_threads(chunk));
    settle();
    let mut figure = |name: &str, samples: Vec<f64>, noisy: bool| {
        fig(report, TINY, "parlab", name, "tasks/s", samples);
        report.figures.last_mut().expect("just added").noisy |= noisy;
    };
    figure("ProcessPool chunk 1", p1.clone(), p1_noisy);
    figure(&format!("ProcessPool chunk {chunk}"), pc.clone(), pc_noisy);
    figure("ThreadPool chunk 1", t1, t1_noisy);
    figure(&format!("ThreadPool chunk {chunk}"), tc.clone(), tc_noisy);
    fig(report, TINY, "floor", "one pipe round trip between two processes", "tasks/s", rt);
    let p1m = median(&p1);
    report.check("ProcessPool chunk 1, tasks/s", p1m, "at least 1,000,000", p1m >= 1_000_000.0).noisy |= p1_noisy;
    let params = json!({"n": n, "n_slow": plan.tiny_n_slow, "chunk": chunk, "workers": workers, "reps": plan.py_reps});
    if let Some(a) = run_python(report, py, "tiny", params) {
        let names = [
            ("ProcessPoolExecutor chunk 1", "ProcessPoolExecutor chunk 1"),
            ("ProcessPoolExecutor chunked", "ProcessPoolExecutor chunked"),
            ("multiprocessing.Pool chunk 1", "multiprocessing.Pool chunk 1"),
            ("multiprocessing.Pool chunked", "multiprocessing.Pool chunked"),
            ("ThreadPoolExecutor", "ThreadPoolExecutor"),
        ];
        python_figures(report, TINY, "tasks/s", &a, &names);
        let py_med = |name: &str| report.get(TINY, "python", name).map(Figure::median).unwrap_or(f64::NAN);
        let (ppe1, pool1) = (py_med(names[0].1), py_med(names[2].1));
        let best_py_chunked = py_med(names[1].1).max(py_med(names[3].1));
        let best_parlab_chunked = median(&pc).max(median(&tc));
        report
            .check("ProcessPool chunk 1 / ProcessPoolExecutor chunk 1", p1m / ppe1, "at least 10x", p1m / ppe1 >= 10.0)
            .noisy |= p1_noisy;
        report
            .check("ProcessPool chunk 1 / multiprocessing.Pool chunk 1", p1m / pool1, "at least 2x", p1m / pool1 >= 2.0)
            .noisy |= p1_noisy;
        let r = best_parlab_chunked / best_py_chunked;
        report.check("best parlab chunked / best Python chunked", r, "at least 5x", r >= 5.0).noisy |=
            pc_noisy || tc_noisy;
    }
}

fn cpu_bound(report: &mut Report, plan: &Plan, cpus: &Cpus, py: bool) {
    progress("parlab: CPU-bound");
    let workers = cpus.usable;
    // Many parts, most expensive first, so no worker is left with a long tail.
    let mut parts = split_range(plan.primes_limit, 32 * workers);
    parts.reverse();
    let seq = Sequential::new();
    // Every run must find the same count: the first one found sets it.
    let expected = std::cell::Cell::new(None);
    let same = |sum: u64| match expected.get() {
        None => expected.set(Some(sum)),
        Some(e) => assert_eq!(sum, e, "every run counts the same primes"),
    };
    let busy = workers as f64;
    let (mut s, mut p, mut t) = (Vec::new(), Vec::new(), Vec::new());
    let (mut sp, mut st) = (Vec::new(), Vec::new());
    let (mut s_noisy, mut p_noisy, mut t_noisy) = (false, false, false);
    for _ in 0..plan.reps {
        // Each run is held to the CPU time it should have received (fair):
        // the pools are made and warmed untimed, and dropped inside, so that
        // their workers' CPU time is counted.
        let (ts, ns) = fair(1.0, &|| timed(|| same(seq.map(count_primes, parts.clone()).unwrap().iter().sum())));
        let (tp, np) = fair(busy, &|| {
            settle();
            let pool = ProcessPool::new(workers).unwrap();
            pool.map(count_primes, vec![(0, 1); workers]).unwrap();
            timed(|| same(pool.map(count_primes, parts.clone()).unwrap().iter().sum()))
        });
        let (tt, nt) = fair(busy, &|| {
            let pool = ThreadPool::new(workers).unwrap();
            pool.map(count_primes, vec![(0, 1); workers]).unwrap();
            timed(|| same(pool.map(count_primes, parts.clone()).unwrap().iter().sum()))
        });
        (s_noisy, p_noisy, t_noisy) = (s_noisy || ns, p_noisy || np, t_noisy || nt);
        sp.push(ts / tp);
        st.push(ts / tt);
        s.push(ts);
        p.push(tp);
        t.push(tt);
    }
    settle();
    // Python takes a smaller range (it is slower): per number checked, the
    // two sides compare; the speedups compare as they are.
    let per_number = |limit: u64, secs: &[f64]| secs.iter().map(|t| limit as f64 / t).collect::<Vec<f64>>();
    let figure = |report: &mut Report, name: &str, unit: &str, samples: Vec<f64>, noisy: bool| {
        fig(report, CPU, "parlab", name, unit, samples);
        report.figures.last_mut().expect("just added").noisy |= noisy;
    };
    figure(report, "sequential, numbers checked", "numbers/s", per_number(plan.primes_limit, &s), s_noisy);
    figure(report, &format!("sequential, primes below {}", plan.primes_limit), "s", s, s_noisy);
    figure(report, &format!("ProcessPool of {workers}"), "s", p, p_noisy);
    figure(report, &format!("ThreadPool of {workers}"), "s", t, t_noisy);
    figure(report, "ProcessPool speedup", "x", sp.clone(), s_noisy || p_noisy);
    figure(report, "ThreadPool speedup", "x", st.clone(), s_noisy || t_noisy);
    fig(report, CPU, "floor", "CPUs usable", "x", vec![workers as f64]);
    // Judged as shown: two decimals on both sides.
    let target = shown(0.975 * workers as f64);
    let label = format!("at least {target:.2}x");
    report.check("parlab ProcessPool speedup", median(&sp), label.clone(), shown(median(&sp)) >= target).noisy |=
        s_noisy || p_noisy;
    report.check("parlab ThreadPool speedup", median(&st), label, shown(median(&st)) >= target).noisy |=
        s_noisy || t_noisy;
    let mut py_parts = split_range(plan.py_primes_limit, 4 * workers);
    py_parts.reverse();
    let params = json!({"ranges": py_parts, "workers": workers, "reps": plan.py_reps});
    if let Some(a) = run_python(report, py, "cpu", params) {
        let names = [
            ("sequential", format!("sequential, primes below {}", plan.py_primes_limit)),
            ("processes", format!("multiprocessing.Pool of {workers}")),
            ("threads", format!("ThreadPoolExecutor of {workers}")),
        ];
        let names: Vec<(&str, &str)> = names.iter().map(|(k, v)| (*k, v.as_str())).collect();
        python_figures(report, CPU, "s", &a, &names);
        let col = |k: &str| -> Vec<f64> {
            a.get(k).and_then(Value::as_array).map(|v| v.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
        };
        let (s, p, t) = (col("sequential"), col("processes"), col("threads"));
        fig(report, CPU, "python", "sequential, numbers checked", "numbers/s", per_number(plan.py_primes_limit, &s));
        let ratio = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x / y).collect::<Vec<f64>>();
        fig(report, CPU, "python", "processes speedup", "x", ratio(&s, &p));
        fig(report, CPU, "python", "threads speedup", "x", ratio(&s, &t));
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
