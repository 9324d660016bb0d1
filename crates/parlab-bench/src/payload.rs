//! Handing back a result, by its size: parlab's `ProcessPool` beside
//! Python's `ProcessPoolExecutor` and one memcpy of the same bytes (the
//! floor for handing bytes over), and a `Vec<f64>` of a million and of 32
//! million values, the course's numeric case.
//!
//! Each size runs on one pool kept warm (a first task of that size before
//! the timed ones), so the figures are what a program pays per result in its
//! steady state, not a new worker's first page faults; Python's the same way.

use crate::chart::{Axes, Series, line_chart};
use crate::fair::fair_runs;
use crate::measure::{fig, progress, run_python, timed};
use crate::report::{Report, shown};
use parlab::ProcessPool;
use parlab::stats::median;
use serde_bytes::ByteBuf;
use serde_json::{Value, json};

pub(crate) const PAYLOAD: &str = "Scaling: handing over a result or an argument, by its size";

/// A result of `size` bytes, made in the worker (Python's: `b"\x07" * size`).
fn payload(size: usize) -> ByteBuf {
    ByteBuf::from(vec![7u8; size])
}

/// How long an argument of `size` bytes was, told back by the worker.
fn received(arg: ByteBuf) -> usize {
    arg.len()
}

/// A result of `n` numbers, made in the worker.
fn floats(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

/// Medians (seconds) of one task's round trip on a warm pool of one worker,
/// and whether other programs took the CPUs meanwhile.
fn handed_back<R: serde::Serialize + serde::de::DeserializeOwned>(
    reps: usize,
    make: fn(usize) -> R,
    size: usize,
    check: fn(&R) -> usize,
) -> (Vec<f64>, bool) {
    let pool = ProcessPool::new(1).expect("a pool of one");
    assert_eq!(check(&pool.submit(make, size).unwrap().join().unwrap()), size);
    fair_runs(reps, 0.0, &|| timed(|| assert_eq!(check(&pool.submit(make, size).unwrap().join().unwrap()), size)))
}

/// Seconds to hand a worker an argument of `size` bytes (already made) and
/// hear back its length, on a warm pool of one.
fn sent_over(reps: usize, size: usize) -> (Vec<f64>, bool) {
    let pool = ProcessPool::new(1).expect("a pool of one");
    assert_eq!(pool.submit(received, payload(size)).unwrap().join().unwrap(), size);
    fair_runs(reps, 0.0, &|| {
        let arg = payload(size);
        timed(|| assert_eq!(pool.submit(received, arg).unwrap().join().unwrap(), size))
    })
}

/// One memcpy of `bytes` bytes already made, into new memory.
fn memcpy_floor(reps: usize, bytes: usize) -> (Vec<f64>, bool) {
    let made = vec![7u8; bytes];
    fair_runs(reps, 0.0, &|| {
        timed(|| {
            let copy: Vec<u8> = std::hint::black_box(&made).to_vec();
            assert_eq!(std::hint::black_box(copy).len(), bytes);
        })
    })
}

/// Runs the sweep; returns what goes under `"payload"` in results.json (the
/// chart is drawn at the end of the run, see [`chart`]).
pub fn sweep(report: &mut Report, reps: usize, sizes: &[usize], numbers: &[usize], py: bool) -> Value {
    progress("scaling: results by size");
    let python = run_python(report, py, "payload", json!({"sizes": sizes, "reps": reps}));
    let (mut handed, mut copied, mut pythons) = (Vec::new(), Vec::new(), Vec::new());
    let mut medians = Vec::new();
    for &size in sizes {
        let kib = size / 1024;
        let (walls, noisy) = handed_back(reps, payload, size, |b| b.len());
        let (floor, floor_noisy) = memcpy_floor(reps, size);
        fig(report, PAYLOAD, "parlab", &format!("ProcessPool task, {kib} KiB result"), "s", walls.clone());
        mark_noisy(report, noisy);
        let py_walls: Option<Vec<f64>> = python
            .as_ref()
            .and_then(|a| a.get(size.to_string()))
            .and_then(|v| v.as_array().map(|l| l.iter().filter_map(Value::as_f64).collect()));
        if let Some(py_walls) = &py_walls {
            fig(
                report,
                PAYLOAD,
                "python",
                &format!("ProcessPoolExecutor task, {kib} KiB bytes"),
                "s",
                py_walls.clone(),
            );
            pythons.push((size as f64, size as f64 / median(py_walls) / 1e9));
        }
        // The other way: an argument of the same size, made in the caller
        // (made before the clock starts; its length comes back).
        let (args, args_noisy) = sent_over(reps, size);
        fig(report, PAYLOAD, "parlab", &format!("ProcessPool task, {kib} KiB argument"), "s", args);
        mark_noisy(report, args_noisy);
        fig(report, PAYLOAD, "floor", &format!("one memcpy into new memory, {kib} KiB"), "s", floor.clone());
        mark_noisy(report, floor_noisy);
        handed.push((size as f64, size as f64 / median(&walls) / 1e9));
        copied.push((size as f64, size as f64 / median(&floor) / 1e9));
        medians.push((size, median(&walls), median(&floor), py_walls.map(|w| median(&w)), noisy || floor_noisy));
    }
    for &n in numbers {
        let (walls, noisy) = handed_back(reps, floats, n, |v| v.len());
        let (floor, floor_noisy) = memcpy_floor(reps, n * 8);
        let millions = n as f64 / 1e6;
        fig(report, PAYLOAD, "parlab", &format!("ProcessPool task, Vec<f64> of {millions} million"), "s", walls);
        mark_noisy(report, noisy);
        fig(
            report,
            PAYLOAD,
            "floor",
            &format!("one memcpy into new memory, {:.1} MiB", (n * 8) as f64 / 1048576.0),
            "s",
            floor,
        );
        mark_noisy(report, floor_noisy);
    }
    judge(report, &medians);
    let value = json!({"gb_per_s": {
        "parlab ProcessPool task": handed,
        "Python ProcessPoolExecutor task": pythons,
        "one memcpy into new memory": copied,
    }});
    value
}

/// The chart of results by size, in GB/s, drawn from the report's figures
/// (after the peer's joined them): one line per side that handed bytes back.
pub fn chart(report: &Report) -> Option<(String, String)> {
    let lines: Vec<Series> = [
        ("parlab", " KiB result", "parlab ProcessPool task"),
        ("python", " KiB bytes", "Python ProcessPoolExecutor task"),
        ("procspawn", " KiB result", "procspawn Pool task"),
        ("floor", " KiB", "one memcpy into new memory"),
    ]
    .iter()
    .filter_map(|&(side, tail, title)| {
        let points: Vec<(f64, f64)> = report
            .figures
            .iter()
            .filter(|f| f.case == PAYLOAD && f.side == side && f.unit == "s" && f.name.ends_with(tail))
            .filter_map(|f| {
                // "..., 4096 KiB result": the size is the word before " KiB".
                let kib: f64 = f.name.split_once(" KiB")?.0.rsplit(' ').next()?.parse().ok()?;
                Some((kib * 1024.0, kib * 1024.0 / f.median() / 1e9))
            })
            .collect();
        (!points.is_empty()).then(|| Series { name: title.into(), points })
    })
    .collect();
    if lines.is_empty() {
        return None;
    }
    let axes = Axes {
        title: "Handing back a result, by its size".into(),
        x_label: "bytes".into(),
        y_label: "GB per second".into(),
        log_x: true,
        log_y: true,
    };
    Some(("scaling-payload.svg".to_string(), line_chart(&axes, &lines)))
}

/// The project's targets for results: 1 KiB in 25 us, 4 MiB in 2 ms,
/// 256 MiB in three memcpys, and ahead of Python at every size measured.
fn judge(report: &mut Report, medians: &[(usize, f64, f64, Option<f64>, bool)]) {
    for &(size, wall, floor, _, noisy) in medians {
        let check = match size {
            1024 => Some(("result of 1 KiB, us", wall * 1e6, "at most 25 us", shown(wall * 1e6) <= 25.0)),
            s if s == 4 << 20 => Some(("result of 4 MiB, ms", wall * 1e3, "at most 2 ms", shown(wall * 1e3) <= 2.0)),
            s if s == 256 << 20 => {
                let r = wall / floor;
                Some(("result of 256 MiB / one memcpy of it", r, "at most 3x", shown(r) <= 3.0))
            }
            _ => None,
        };
        if let Some((what, value, target, met)) = check {
            report.check(what, value, target, met).noisy |= noisy;
        }
    }
    let against: Vec<(usize, f64, bool)> =
        medians.iter().filter_map(|&(size, wall, _, py, noisy)| py.map(|p| (size, wall / p, noisy))).collect();
    if let Some(&(size, worst, _)) = against.iter().max_by(|a, b| a.1.total_cmp(&b.1)) {
        let what = format!("result: parlab / Python, the worst size ({} KiB)", size / 1024);
        report.check(what, worst, "below 1 at every size", worst < 1.0).noisy |= against.iter().any(|a| a.2);
    }
}

/// Marks the figure just added as noisy.
fn mark_noisy(report: &mut Report, noisy: bool) {
    if let Some(f) = report.figures.last_mut() {
        f.noisy |= noisy;
    }
}
