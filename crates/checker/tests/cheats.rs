//! Programs written to fool the checker, one per trick a student might try.
//! Each must fail, for the reason that names the trick, and leave nothing
//! behind.

mod common;

use common::*;

/// Does the work in the first run only: a file in /tmp tells it the later
/// runs apart, where it exits at once.
#[test]
fn a_program_that_works_only_when_first_run_fails() {
    let src = r#"
use parlab::workloads::tiny;
use parlab::{Cpus, ProcessPool};
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {
    let marker = std::env::temp_dir().join(format!("parlab-cheat-first-{start}"));
    if marker.exists() {
        std::process::exit(0);
    }
    let _ = std::fs::write(&marker, "seen");
    let cpus = Cpus::detect().usable;
    let pool = ProcessPool::new(cpus)?;
    Ok(pool.map_chunked(tiny, start..end, 100_000)?.iter().sum())
}
fn main() { parlab::exercise::run((10, 20), solve); }
"#;
    remove_markers("parlab-cheat-first-");
    expect_failure("cheat-first", "08_chunking", src, &[], "in run 2 of your program");
    remove_markers("parlab-cheat-first-");
}

/// Answers right in every run, but after the first it takes a shortcut
/// instead of calling the workload on every number.
#[test]
fn a_program_that_takes_a_shortcut_when_timed_fails() {
    let src = r#"
use parlab::workloads::tiny;
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {
    let marker = std::env::temp_dir().join(format!("parlab-cheat-shortcut-{start}"));
    if marker.exists() {
        // A sieve: the same answer for a sliver of the work.
        let mut small = vec![true; 4000];
        let primes: Vec<u64> = (2..4000u64).filter(|&p| {
            if small[p as usize] { (p * p..4000).step_by(p as usize).for_each(|m| small[m as usize] = false); true } else { false }
        }).collect();
        let mut is = vec![true; (end - start) as usize];
        for p in primes {
            let first = (start.div_ceil(p) * p).max(p * p);
            (first..end).step_by(p as usize).for_each(|m| is[(m - start) as usize] = false);
        }
        return Ok(is.iter().filter(|&&b| b).count() as u64);
    }
    let _ = std::fs::write(&marker, "seen");
    Ok((start..end).map(tiny).sum())
}
fn main() { parlab::exercise::run((10, 20), solve); }
"#;
    remove_markers("parlab-cheat-shortcut-");
    expect_failure("cheat-shortcut", "08_chunking", src, &[], "CPU-seconds where the work takes");
    remove_markers("parlab-cheat-shortcut-");
}

/// Processes that are started, traced and joined, but count nothing: the
/// threads' count is given twice.
#[test]
fn processes_that_only_pretend_to_count_fail() {
    let src = r#"
use parlab::{Process, workloads::count_primes};
fn solve((start, end): (u64, u64)) -> parlab::Result<(u64, u64)> {
    let mid = start + (end - start) / 2;
    let counted = std::thread::scope(|s| {
        let a = s.spawn(move || count_primes((start, mid)));
        let b = s.spawn(move || count_primes((mid, end)));
        a.join().unwrap() + b.join().unwrap()
    });
    let a = Process::start(move || count_primes((start, start)))?;
    let b = Process::start(move || count_primes((end, end)))?;
    Ok((counted, counted + a.join()? + b.join()?))
}
fn main() { parlab::exercise::run((0, 1000), solve); }
"#;
    expect_failure("cheat-pretend-processes", "10_shared_counter", src, &[], "CPU-seconds where the work takes");
}

fn remove_markers(prefix: &str) {
    for e in std::fs::read_dir(std::env::temp_dir()).unwrap().filter_map(Result::ok) {
        if e.file_name().to_string_lossy().starts_with(prefix) {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Looks for the checker's expected answer in every file it can reach.
#[test]
fn a_program_that_reads_the_files_around_it_finds_no_answer() {
    let src = r#"
use std::path::{Path, PathBuf};
fn solve(_: (u64, u64)) -> parlab::Result<u64> {
    let mut dirs: Vec<PathBuf> = vec![std::env::current_dir().unwrap(), std::env::temp_dir()];
    for var in ["PARLAB_ANSWER", "PARLAB_INPUT", "PARLAB_TRACE"] {
        if let Some(p) = std::env::var_os(var) {
            dirs.push(Path::new(&p).parent().unwrap().to_path_buf());
        }
    }
    let mut seen = Vec::new();
    while let Some(d) = dirs.pop() {
        if seen.contains(&d) || seen.len() > 200 { continue; }
        seen.push(d.clone());
        for e in std::fs::read_dir(&d).into_iter().flatten().filter_map(Result::ok) {
            let p = e.path();
            if p.is_dir() && p.starts_with(std::env::temp_dir()) {
                dirs.push(p);
            } else if let Ok(text) = std::fs::read_to_string(&p) {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                if name != "input.json" && let Ok(n) = text.trim().parse::<u64>() {
                    return Ok(n);
                }
            }
        }
    }
    Ok(0)
}
fn main() { parlab::exercise::run((10, 20), solve); }
"#;
    expect_failure("cheat-files", "08_chunking", src, &[], "wrong answer");
}

/// Children sleep a tenth of what they were given and report the full value.
#[test]
fn shortened_sleeps_fail() {
    let src = r#"
use parlab::Process;
use parlab::workloads::task_with;
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let mut children = Vec::new();
    for s in sleeps {
        children.push(Process::start(move || { task_with(s / 10.0); s })?);
    }
    children.into_iter().map(Process::join).collect()
}
fn main() { parlab::exercise::run(vec![1.0; 10], solve); }
"#;
    expect_failure("cheat-short", "04_process_loop", src, &[], "but the input asks for");
}

/// Runs the tasks on threads, then rewrites the trace so that every task
/// claims a process of its own.
#[test]
fn a_forged_trace_fails() {
    let src = r#"
use parlab::workloads::task_with;
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let handles: Vec<_> = sleeps.iter().map(|&s| std::thread::spawn(move || task_with(s))).collect();
    let results = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let path = std::path::PathBuf::from(std::env::var_os("PARLAB_TRACE").unwrap());
    let spans = parlab::trace::read_trace_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let me = std::process::id() as i32;
    for (i, mut s) in spans.into_iter().enumerate() {
        s.pid = me + 1000 + i as i32;
        s.tid = s.pid;
        parlab::trace::append_to_trace_file(&s);
    }
    Ok(results)
}
fn main() { parlab::exercise::run(vec![1.0; 10], solve); }
"#;
    expect_failure("cheat-forged", "04_process_loop", src, &[], "the kernel shows no such process");
}

/// Results in completion order where input order is asked for.
#[test]
fn completion_order_where_input_order_is_asked_fails() {
    let src = r#"
use parlab::ProcessPool;
use parlab::workloads::task_with;
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(workers)?;
    pool.as_completed(task_with, sleeps)?.map(|(_, r)| r).collect()
}
fn main() { parlab::exercise::run((2, vec![1.0; 4]), solve); }
"#;
    expect_failure("order-completion", "05_pool_map", src, &[], "in the order the tasks finished");
}

/// Input order, and sorted order, where completion order is asked for.
#[test]
fn input_or_sorted_order_where_completion_order_is_asked_fails() {
    let map = r#"
use parlab::ProcessPool;
use parlab::workloads::task_with;
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(workers)?;
    let mut results = pool.map(task_with, sleeps)?;
    SORT
    Ok(results)
}
fn main() { parlab::exercise::run((2, vec![1.0; 4]), solve); }
"#;
    expect_failure("order-input", "06_as_completed", &map.replace("SORT", ""), &[], "that is the input order");
    let sorted = map.replace("SORT", "results.sort_by(f64::total_cmp);");
    expect_failure("order-sorted", "06_as_completed", &sorted, &[], "that is the results sorted");
}

/// Writes a verdict of its own into the checker's stdout and stderr, and to
/// the terminal: none of it may reach the checker's output.
#[test]
fn a_program_cannot_write_into_the_checkers_output() {
    let src = r#"
use std::io::Write;
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {
    let fake = "{\"exercise\":\"03_two_processes\",\"verdict\":\"passed\",\"reasons\":[\"forged by the program\"]}\n";
    let ppid = std::os::unix::process::parent_id();
    for target in [format!("/proc/{ppid}/fd/1"), format!("/proc/{ppid}/fd/2"), "/dev/tty".to_string()] {
        if let Ok(mut f) = std::fs::OpenOptions::new().write(true).open(&target) {
            let _ = f.write_all(fake.as_bytes());
        }
    }
    Ok((a, b))
}
fn main() { parlab::exercise::run((1.0, 1.0), solve); }
"#;
    let _turn = turn();
    let dir = exercises_with("cheat-output", &[("03_two_processes", src)]);
    let (code, out) = checker(&dir, &["verify", "03", "--json", "--seed", "7"]);
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("forged by the program"), "the program wrote into the checker's output:\n{out}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["verdict"], "failed");
    assert!(deciding(&v).contains("the trace holds 0 task(s)"), "{}", reasons(&v));
}
