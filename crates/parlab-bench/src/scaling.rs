//! How cost grows with the work: CPU-bound speedup as workers are added
//! (with Amdahl's serial fraction fitted to it), tiny-task throughput as
//! chunks grow, and the time to hand back a result as it grows, against
//! one copy in memory.

use crate::chart::{Axes, Series, line_chart};
use crate::fair::fair_runs;
use crate::measure::{fig, progress, run_python, settle, timed};
use crate::report::Report;
use parlab::stats::median;
use parlab::workloads::{count_primes, split_range, tiny};
use parlab::{Cpus, ProcessPool, Sequential, ThreadPool};
use serde_json::{Value, json};

const WORKERS: &str = "Scaling: CPU-bound speedup by workers";
const CHUNKS: &str = "Scaling: tiny tasks by chunk size";

/// Sizes of the sweeps.
pub struct Plan {
    reps: usize,
    /// Results handed back per size: a median of several, each a few milliseconds or less.
    payload_reps: usize,
    primes_limit: u64,
    py_primes_limit: u64,
    tiny_n: usize,
    chunks: Vec<usize>,
    payloads: Vec<usize>,
    /// Lengths of the `Vec<f64>` results.
    numbers: Vec<usize>,
}

impl Plan {
    pub fn new(quick: bool) -> Plan {
        let chunks = vec![1, 10, 100, 1_000, 10_000, 100_000];
        if quick {
            Plan {
                reps: 1,
                payload_reps: 1,
                primes_limit: 20_000,
                py_primes_limit: 5_000,
                tiny_n: 2_000,
                chunks: chunks.into_iter().filter(|&c| c <= 1_000).collect(),
                payloads: vec![1 << 10, 1 << 16, 1 << 20],
                numbers: vec![1 << 10],
            }
        } else {
            Plan {
                reps: 3,
                payload_reps: 7,
                primes_limit: 2_000_000,
                py_primes_limit: 200_000,
                tiny_n: 200_000,
                chunks,
                payloads: vec![1 << 10, 1 << 14, 1 << 18, 1 << 22, 1 << 26, 1 << 28],
                numbers: vec![1_000_000, 32_000_000],
            }
        }
    }
}

/// The serial fraction `s` whose Amdahl curve, 1 / (s + (1 - s) / n), comes
/// closest (least squares) to the measured speedups at `n` workers.
pub fn amdahl_fit(points: &[(f64, f64)]) -> Option<f64> {
    if points.len() < 2 {
        return None;
    }
    let error = |s: f64| points.iter().map(|&(n, sp)| (sp - 1.0 / (s + (1.0 - s) / n)).powi(2)).sum::<f64>();
    (0..=1000).map(|k| k as f64 / 1000.0).min_by(|a, b| error(*a).total_cmp(&error(*b)))
}

/// The fewest worker counts an Amdahl fit rests on: at one worker every
/// serial share fits, so two points are one figure, and one noisy figure.
const FIT_POINTS: usize = 3;

/// Amdahl's serial share fitted to `points` (speedups within the usable
/// CPUs) where there are enough of them and none is noisy, and a note that
/// says how many points it used, or why there is no fit.
pub fn serial_share(points: &[(f64, f64)], usable: usize, noisy: bool) -> (Option<f64>, String) {
    if noisy {
        return (None, "Amdahl's serial share not fitted: some of the speedups were noisy".into());
    }
    if points.len() < FIT_POINTS {
        let why = format!(
            "Amdahl's serial share not fitted: {} worker count(s) within the {usable} usable CPU(s), and a fit \
             needs {FIT_POINTS} or more",
            points.len()
        );
        return (None, why);
    }
    let fit = amdahl_fit(points);
    let most = points.iter().map(|p| p.0).fold(0.0, f64::max);
    let note = match fit {
        Some(s) => format!(
            "Amdahl's serial share fitted to the speedups at {} worker counts (1 to {most} workers): {s:.3}",
            points.len()
        ),
        None => "Amdahl's serial share not fitted".into(),
    };
    (fit, note)
}

/// The smallest chunk whose throughput comes within 10% of the best.
fn knee(points: &[(f64, f64)]) -> Option<f64> {
    let best = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    points.iter().find(|p| p.1 >= 0.9 * best).map(|p| p.0)
}

/// Marks the figure just added as noisy.
fn mark_noisy(report: &mut Report, noisy: bool) {
    if let Some(f) = report.figures.last_mut() {
        f.noisy |= noisy;
    }
}

/// Runs the three sweeps; returns what goes under `"scaling"` in
/// results.json, and the charts (file name, SVG).
pub fn run(report: &mut Report, plan: &Plan, cpus: &Cpus, py: bool) -> (Value, Vec<(String, String)>) {
    let most = 2 * cpus.usable.max(1);
    let counts: Vec<usize> = (1..=most).collect();
    let parts = split_range(plan.primes_limit, 8 * most);
    let primes = |ps: Vec<u64>| ps.iter().sum::<u64>();

    progress("scaling: CPU-bound work by workers");
    let seq = Sequential::new();
    let expected = primes(seq.map(count_primes, parts.clone()).unwrap());
    let (sequential, seq_noisy) = fair_runs(plan.reps, 1.0, &|| {
        timed(|| assert_eq!(primes(seq.map(count_primes, parts.clone()).unwrap()), expected))
    });
    let seq_s = median(&sequential);
    let mut speedups: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    let mut process_points = Vec::new();
    // A pool of n keeps min(n, CPUs) busy (less at the end of the run, when
    // the last parts finish one by one: hence the 80%).
    let busy = |n: usize| n.min(cpus.usable) as f64;
    for &n in &counts {
        let (walls, noisy) = fair_runs(plan.reps, busy(n), &|| {
            let pool = ProcessPool::new(n).unwrap();
            pool.map(count_primes, parts[..n].to_vec()).unwrap();
            timed(|| assert_eq!(primes(pool.map(count_primes, parts.clone()).unwrap()), expected))
        });
        fig(report, WORKERS, "parlab", &format!("ProcessPool, {n} worker(s)"), "x", speedup_samples(seq_s, &walls));
        mark_noisy(report, noisy || seq_noisy);
        process_points.push((n as f64, seq_s / median(&walls)));
    }
    speedups.push(("parlab ProcessPool", process_points));
    let mut thread_points = Vec::new();
    for &n in &counts {
        let (walls, noisy) = fair_runs(plan.reps, busy(n), &|| {
            let pool = ThreadPool::new(n).unwrap();
            timed(|| assert_eq!(primes(pool.map(count_primes, parts.clone()).unwrap()), expected))
        });
        fig(report, WORKERS, "parlab", &format!("ThreadPool, {n} worker(s)"), "x", speedup_samples(seq_s, &walls));
        mark_noisy(report, noisy || seq_noisy);
        thread_points.push((n as f64, seq_s / median(&walls)));
        settle();
    }
    speedups.push(("parlab ThreadPool", thread_points));
    let py_parts = split_range(plan.py_primes_limit, 8 * most);
    let params = json!({"workers": counts, "ranges": py_parts, "reps": plan.reps});
    if let Some(answer) = run_python(report, py, "scaling", params) {
        let py_seq = answer["sequential"].as_array().map(|a| a.iter().filter_map(Value::as_f64).collect::<Vec<_>>());
        let py_seq = py_seq.map(|s| median(&s)).unwrap_or(f64::NAN);
        let mut points = Vec::new();
        for &n in &counts {
            let walls: Vec<f64> =
                answer["pool"][n.to_string()].as_array().into_iter().flatten().filter_map(Value::as_f64).collect();
            if walls.is_empty() {
                continue;
            }
            let name = format!("multiprocessing.Pool, {n} worker(s)");
            fig(report, WORKERS, "python", &name, "x", speedup_samples(py_seq, &walls));
            points.push((n as f64, py_seq / median(&walls)));
        }
        speedups.push(("Python multiprocessing.Pool", points));
    }
    let within_cpus =
        |pts: &[(f64, f64)]| pts.iter().copied().filter(|p| p.0 <= cpus.usable as f64).collect::<Vec<_>>();
    let noisy = report.figures.iter().any(|f| f.case == WORKERS && f.noisy);
    let mut fits: Vec<(String, Option<f64>)> = Vec::new();
    for (name, pts) in &speedups {
        let (fit, note) = serial_share(&within_cpus(pts), cpus.usable, noisy);
        report.scaling_notes.push(format!("{name}: {note}"));
        fits.push((name.to_string(), fit));
    }

    progress("scaling: tiny tasks by chunk size");
    let n = plan.tiny_n as u64;
    let expected_tiny: u64 = (0..n).map(tiny).sum();
    let chunks: Vec<usize> = plan.chunks.iter().copied().filter(|&c| c <= plan.tiny_n).collect();
    let mut throughput: Vec<(&str, Vec<(f64, f64)>)> = Vec::new();
    let workers = cpus.usable;
    let mut points = Vec::new();
    for &c in &chunks {
        let (secs, noisy) = fair_runs(plan.reps, 0.0, &|| {
            let pool = ProcessPool::new(workers).unwrap();
            pool.map(tiny, 0..64).unwrap();
            timed(|| assert_eq!(pool.map_chunked(tiny, 0..n, c).unwrap().iter().sum::<u64>(), expected_tiny))
        });
        let rates: Vec<f64> = secs.iter().map(|s| n as f64 / s).collect();
        points.push((c as f64, median(&rates)));
        fig(report, CHUNKS, "parlab", &format!("ProcessPool, chunk {c}"), "tasks/s", rates);
        mark_noisy(report, noisy);
    }
    throughput.push(("parlab ProcessPool", points));
    let mut points = Vec::new();
    for &c in &chunks {
        let (secs, noisy) = fair_runs(plan.reps, 0.0, &|| {
            let pool = ThreadPool::new(workers).unwrap();
            timed(|| assert_eq!(pool.map_chunked(tiny, 0..n, c).unwrap().iter().sum::<u64>(), expected_tiny))
        });
        let rates: Vec<f64> = secs.iter().map(|s| n as f64 / s).collect();
        points.push((c as f64, median(&rates)));
        fig(report, CHUNKS, "parlab", &format!("ThreadPool, chunk {c}"), "tasks/s", rates);
        mark_noisy(report, noisy);
        settle();
    }
    throughput.push(("parlab ThreadPool", points));
    for (name, pts) in &throughput {
        if let Some(k) = knee(pts) {
            report.scaling_notes.push(format!("{name}: the smallest chunk within 10% of the best throughput: {k}"));
        }
    }

    let payload = crate::payload::sweep(report, plan.payload_reps, &plan.payloads, &plan.numbers, py);

    let series = |lines: &[(&str, Vec<(f64, f64)>)]| -> Vec<Series> {
        lines.iter().map(|(name, pts)| Series { name: name.to_string(), points: pts.clone() }).collect()
    };
    let ideal: Vec<(f64, f64)> = counts.iter().map(|&n| (n as f64, n.min(cpus.usable) as f64)).collect();
    let mut worker_lines = series(&speedups);
    worker_lines.push(Series { name: "ideal: one per usable CPU".into(), points: ideal });
    let charts = vec![
        (
            "scaling-workers.svg".to_string(),
            line_chart(
                &Axes {
                    title: format!("CPU-bound speedup by workers ({} usable CPUs)", cpus.usable),
                    x_label: "workers".into(),
                    y_label: "speedup over sequential".into(),
                    log_x: false,
                    log_y: false,
                },
                &worker_lines,
            ),
        ),
        (
            "scaling-chunks.svg".to_string(),
            line_chart(
                &Axes {
                    title: format!("Tiny tasks on {} workers, by chunk size", cpus.usable),
                    x_label: "tasks per chunk".into(),
                    y_label: "tasks per second".into(),
                    log_x: true,
                    log_y: true,
                },
                &series(&throughput),
            ),
        ),
    ];
    let as_json = |lines: &[(&str, Vec<(f64, f64)>)]| -> Value {
        lines.iter().map(|(name, pts)| (name.to_string(), json!(pts))).collect::<serde_json::Map<_, _>>().into()
    };
    let value = json!({
        "usable_cpus": cpus.usable,
        "workers": {"speedup": as_json(&speedups), "sequential_s": seq_s},
        "serial_fraction": fits.iter().map(|(n, f)| (n.clone(), json!(f))).collect::<serde_json::Map<_, _>>(),
        "chunks": {"tasks_per_s": as_json(&throughput), "tasks": n},
        "payload": payload,
    });
    (value, charts)
}

/// Speedups, one per wall time measured, against a sequential time.
fn speedup_samples(sequential: f64, walls: &[f64]) -> Vec<f64> {
    walls.iter().map(|w| sequential / w).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amdahl_fit_finds_the_serial_fraction_it_was_made_with() {
        let s = 0.2;
        let points: Vec<(f64, f64)> = [1.0, 2.0, 4.0, 8.0].iter().map(|&n| (n, 1.0 / (s + (1.0 - s) / n))).collect();
        assert_eq!(amdahl_fit(&points), Some(0.2));
        assert_eq!(amdahl_fit(&points[..1]), None);
    }

    #[test]
    fn a_serial_share_is_fitted_on_three_points_or_more_none_noisy() {
        let s = 0.1;
        let points: Vec<(f64, f64)> = [1.0, 2.0, 3.0, 4.0].iter().map(|&n| (n, 1.0 / (s + (1.0 - s) / n))).collect();
        let (fit, note) = serial_share(&points, 4, false);
        assert_eq!(fit, Some(0.1));
        assert!(note.contains("at 4 worker counts (1 to 4 workers): 0.100"), "{note}");
        let (fit, note) = serial_share(&points[..2], 2, false);
        assert_eq!(fit, None, "two points, one of them n = 1, which every share fits");
        assert!(note.contains("2 worker count(s) within the 2 usable CPU(s)"), "{note}");
        let (fit, note) = serial_share(&points, 4, true);
        assert_eq!(fit, None);
        assert!(note.contains("noisy"), "{note}");
    }

    #[test]
    fn the_knee_is_the_smallest_chunk_near_the_best() {
        let pts = [(1.0, 1e5), (10.0, 8e5), (100.0, 9.5e6), (1000.0, 1e7)];
        assert_eq!(knee(&pts), Some(100.0));
    }
}
