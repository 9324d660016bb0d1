//! The cases that keep CPUs busy: tiny tasks' throughput, and counting
//! primes on every CPU.

use super::*;

pub(super) fn tiny_tasks(report: &mut Report, plan: &Plan, cpus: &Cpus, py: bool) {
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

pub(super) fn cpu_bound(report: &mut Report, plan: &Plan, cpus: &Cpus, py: bool) {
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
