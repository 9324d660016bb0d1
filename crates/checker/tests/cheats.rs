//! Programs written to fool the checker, one per trick a student might try.
//! Each must fail, for the reason that names the trick, and leave nothing
//! behind.

mod common;

use common::*;

/// Answers right in its first run only: a file in /tmp tells it a later
/// run. Run by root, the checker runs it as `nobody` and removes what that
/// user left in /tmp after each run, so every run is its first; run by
/// anyone else, the later run is caught by its wrong answer.
#[test]
fn a_program_that_remembers_its_first_run() {
    let src = r#"
use parlab::Process;
use parlab::workloads::task_with;
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {
    let marker = std::env::temp_dir().join(format!("parlab-cheat-first-{a}-{b}"));
    let later = marker.exists();
    let _ = std::fs::write(&marker, "seen");
    let first = Process::start(move || task_with(a))?;
    let second = Process::start(move || task_with(b))?;
    let (x, y) = (first.join()?, second.join()?);
    Ok(if later { (y, x) } else { (x, y) })
}
fn main() { parlab::exercise::run((1.0, 1.0), solve); }
"#;
    remove_markers("parlab-cheat-first-");
    if nix::unistd::geteuid().is_root() {
        let _turn = turn();
        let dir = exercises_with("cheat-first", &[("03_two_processes", src)]);
        let (_, v) = verdict(&dir, "03", &[]);
        assert!(v["verdict"] == "passed" || v["verdict"] == "inconclusive", "{v}");
        let left = std::fs::read_dir(std::env::temp_dir()).unwrap().filter_map(Result::ok);
        assert!(left.filter(|e| e.file_name().to_string_lossy().starts_with("parlab-cheat-first-")).count() == 0);
    } else {
        expect_failure("cheat-first", "03_two_processes", src, &[], "in run 2 of your program");
    }
    remove_markers("parlab-cheat-first-");
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
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {
    // The work is done (the checker sees it), but the answer comes from the files.
    let _counted: u64 = (start..end).map(parlab::workloads::tiny).sum();
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
    expect_failure("cheat-short", "04_process_loop", src, &[], "which the input does not ask for");
}

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
    assert!(deciding(&v).contains("never ran"), "{}", reasons(&v));
}
