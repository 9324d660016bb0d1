//! The Rust peer a user would pick for closures in processes, `procspawn`
//! (1.0), measured in the same run: spawn + join of an empty task, a pool's
//! tiny-task throughput, and a 4 MiB and a 256 MiB result from a warm pool.
//!
//! procspawn starts its children by running this program again (not by
//! `fork`), and its pool keeps threads in the caller; parlab forks only a
//! process with one thread. So the peer is measured in a child of the bench
//! (`--peer-child`, hidden), which prints its figures as JSON.

use crate::measure::{fig, progress, timed};
use crate::report::Report;
use parlab::stats::median;
use parlab::workloads::tiny;
use serde_bytes::ByteBuf;
use serde_json::{Value, json};

/// Sizes of the peer's runs.
pub struct Plan {
    pub reps: usize,
    pub spawns: usize,
    pub tiny_n: usize,
    pub workers: usize,
    pub sizes: Vec<usize>,
}

fn empty(_: ()) {}

fn made(size: usize) -> ByteBuf {
    ByteBuf::from(vec![7u8; size])
}

/// In the child: runs procspawn's cases and prints their samples as JSON.
pub fn child_main(params: &str) -> ! {
    let p: Value = serde_json::from_str(params).expect("the peer's parameters");
    let n = |k: &str| p[k].as_u64().expect("a count") as usize;
    let (reps, spawns, tiny_n, workers) = (n("reps"), n("spawns"), n("tiny_n"), n("workers"));
    let sizes: Vec<usize> =
        p["sizes"].as_array().expect("sizes").iter().map(|v| v.as_u64().unwrap() as usize).collect();
    // SAFETY: every function spawned here lives in this program, none in a
    // shared library (the check procspawn would make needs a crate the bench
    // does without).
    unsafe { procspawn::assert_spawn_is_safe() };
    let mut out = serde_json::Map::new();
    procspawn::spawn((), empty).join().expect("a first spawn");
    let start: Vec<f64> = (0..reps)
        .map(|_| timed(|| (0..spawns).for_each(|_| procspawn::spawn((), empty).join().unwrap())) / spawns as f64)
        .collect();
    out.insert("spawn_join".into(), json!(start));
    let pool = procspawn::Pool::new(workers).expect("a procspawn pool");
    let expected: u64 = (0..tiny_n as u64).map(tiny).sum();
    let rates: Vec<f64> = (0..reps)
        .map(|_| {
            let secs = timed(|| {
                let handles: Vec<_> = (0..tiny_n as u64).map(|x| pool.spawn(x, tiny)).collect();
                let sum: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
                assert_eq!(sum, expected);
            });
            tiny_n as f64 / secs
        })
        .collect();
    out.insert("tiny".into(), json!(rates));
    drop(pool);
    let one = procspawn::Pool::new(1).expect("a pool of one");
    for size in sizes {
        assert_eq!(one.spawn(size, made).join().unwrap().len(), size);
        let walls: Vec<f64> =
            (0..reps).map(|_| timed(|| assert_eq!(one.spawn(size, made).join().unwrap().len(), size))).collect();
        out.insert(format!("result_{size}"), json!(walls));
    }
    one.shutdown();
    println!("{}", Value::Object(out));
    std::process::exit(0)
}

/// Runs the peer in a child of the bench and records its figures beside
/// parlab's; says where the peer wins.
pub fn measure(report: &mut Report, plan: &Plan, cases: &Cases) {
    progress("procspawn: start, tiny tasks, results");
    let params = json!({
        "reps": plan.reps, "spawns": plan.spawns, "tiny_n": plan.tiny_n, "workers": plan.workers, "sizes": plan.sizes,
    });
    let out = std::env::current_exe()
        .and_then(|me| std::process::Command::new(me).arg("--peer-child").arg(params.to_string()).output());
    let answer = match out {
        Ok(o) if o.status.success() => serde_json::from_slice::<Value>(&o.stdout).map_err(|e| e.to_string()),
        Ok(o) => Err(format!("{}: {}", o.status, String::from_utf8_lossy(&o.stderr).trim())),
        Err(e) => Err(e.to_string()),
    };
    let answer = match answer {
        Ok(a) => a,
        Err(e) => {
            report.notes.push(format!("procspawn could not be measured: {e}"));
            return;
        }
    };
    let samples = |key: &str| -> Vec<f64> {
        answer[key].as_array().map(|l| l.iter().filter_map(Value::as_f64).collect()).unwrap_or_default()
    };
    let compare = |report: &mut Report, case: &str, name: &str, unit: &str, samples: Vec<f64>, ours: &str| {
        if samples.is_empty() {
            return;
        }
        let theirs = median(&samples);
        fig(report, case, "procspawn", name, unit, samples);
        let Some(mine) = report.get(case, "parlab", ours).map(|f| f.median()) else { return };
        // Rates are better high, times low.
        let peer_wins = if unit == "s" { theirs < mine } else { theirs > mine };
        if peer_wins {
            report.notes.push(format!("procspawn beats parlab at \"{name}\" ({case}): see the table"));
        }
    };
    compare(report, cases.start, "procspawn::spawn + join", "s", samples("spawn_join"), "Process::start + join");
    let pool_name = format!("procspawn Pool of {}, one task per job", plan.workers);
    compare(report, cases.tiny, &pool_name, "tasks/s", samples("tiny"), "ProcessPool chunk 1");
    for &size in &plan.sizes {
        let kib = size / 1024;
        let ours = format!("ProcessPool task, {kib} KiB result");
        compare(
            report,
            cases.payload,
            &format!("Pool task, {kib} KiB result"),
            "s",
            samples(&format!("result_{size}")),
            &ours,
        );
    }
}

/// The names of the cases the peer's figures join.
pub struct Cases {
    pub start: &'static str,
    pub tiny: &'static str,
    pub payload: &'static str,
}
