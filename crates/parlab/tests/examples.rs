//! Every example the book includes runs (time scale small), and prints the
//! lines the book says it prints, in the same order: the book's outputs come
//! from `book/regenerate.sh`, so this fails when an example and its chapter
//! drift apart.
//!
//! Numbers (times, pids, counts that depend on the machine) are masked, and
//! the timeline's rows are left out: they show timings, not behaviour.

use std::path::{Path, PathBuf};
use std::process::Command;

fn examples_dir() -> PathBuf {
    // target/debug/deps/examples-HASH -> target/debug/examples
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples")
}

fn book_output(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src/output").join(format!("{name}.txt"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e} (run book/regenerate.sh)", path.display()))
}

/// The lines that say what happened, with every number masked.
///
/// Processes running at the same time print their task lines in a racy
/// order, so a block of consecutive task lines becomes its sorted lines and
/// the most tasks that were running at once: "1 at once" for a sequential
/// run, "10 at once" for ten processes. Other lines keep their place
/// (completion order is the point of 06).
fn behaviour(output: &str) -> Vec<String> {
    let lines = output
        .lines()
        .filter(|l| !l.contains('|') && !l.trim_start().starts_with('+') && !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with(|c: char| c.is_ascii_digit()) || l.contains("tasks in"))
        .map(mask_numbers);
    let mut out = Vec::new();
    let mut block: Vec<String> = Vec::new();
    let (mut running, mut most) = (0i32, 0i32);
    let flush = |block: &mut Vec<String>, out: &mut Vec<String>, most: &mut i32| {
        if !block.is_empty() {
            block.sort();
            out.append(block);
            out.push(format!("({most} at once)"));
            *most = 0;
        }
    };
    for line in lines {
        if line.starts_with("Task ") {
            running += if line.starts_with("Task starts") { 1 } else { -1 };
            most = most.max(running);
            block.push(line);
        } else {
            flush(&mut block, &mut out, &mut most);
            out.push(line);
        }
    }
    flush(&mut block, &mut out, &mut most);
    out
}

/// Every number becomes '#', every run of spaces one space (columns are
/// padded to the numbers' widths).
fn mask_numbers(line: &str) -> String {
    let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut out = String::new();
    let mut in_number = false;
    for c in line.chars() {
        if c.is_ascii_digit() || (in_number && (c == '.' || c == ',')) {
            if !in_number {
                out.push('#');
            }
            in_number = true;
        } else {
            in_number = false;
            out.push(c);
        }
    }
    out
}

/// Runs an example as `book/regenerate.sh` does: stdout and stderr merged, as
/// a terminal shows them.
fn run(name: &str, env: &[(&str, &str)]) -> String {
    // One example at a time: the order of their lines depends on timing,
    // which eleven examples sharing two CPUs would disturb.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let out = Command::new("sh")
        .arg("-c")
        .arg("exec \"$0\" 2>&1")
        .arg(examples_dir().join(name))
        .env("PARLAB_TIME_SCALE", "0.02")
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "0")
        .env_remove("PARLAB_SVG_DIR")
        .envs(env.iter().copied())
        .output()
        .unwrap_or_else(|e| panic!("{name}: {e} (examples are built by `cargo test`)"));
    assert!(out.status.success(), "{name} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn check(name: &str, env: &[(&str, &str)]) {
    let got = behaviour(&run(name, env));
    let want = behaviour(&book_output(name));
    assert_eq!(got, want, "{name}: the example no longer prints what its chapter shows");
}

#[test]
fn thread_basics() {
    check("thread_basics", &[]);
}

#[test]
fn sequential() {
    check("01_sequential", &[]);
}

#[test]
fn sequential_vs_parallel() {
    check("02_sequential_vs_parallel", &[]);
}

#[test]
fn two_processes() {
    check("03_two_processes", &[]);
}

#[test]
fn process_loop() {
    check("04_process_loop", &[]);
}

#[test]
fn pool() {
    check("05_pool", &[]);
}

#[test]
fn as_completed() {
    // Completion order is the point, and it is checked on the parent's own
    // lines: which task's result came when. The workers' lines interleave
    // with them as the scheduler pleases, so they are compared as a set.
    let name = "06_as_completed";
    let (got, want) = (run(name, &[("PARLAB_TIME_SCALE", "0.05")]), book_output(name));
    let parents = |out: &str| -> Vec<String> {
        behaviour(out).into_iter().filter(|l| !l.starts_with("Task ") && !l.ends_with("at once)")).collect()
    };
    assert_eq!(parents(&got), parents(&want), "{name}: the example no longer prints what its chapter shows");
    let slept: Vec<f64> = got
        .lines()
        .filter(|l| l.starts_with("task "))
        .filter_map(|l| l.split("slept ").nth(1)?.trim_end_matches(" s").parse().ok())
        .collect();
    assert_eq!(slept.len(), 5, "{got}");
    assert!(slept.windows(2).all(|w| w[0] < w[1]), "results must come in the order the tasks finished: {slept:?}");
}

#[test]
fn cpu_vs_io() {
    check("07_cpu_vs_io", &[("PARLAB_PRIMES_LIMIT", "200000")]);
}

#[test]
fn costs() {
    check("08_costs", &[("PARLAB_COSTS_N", "20000")]);
}

#[test]
fn failures() {
    check("09_failures", &[]);
}

#[test]
fn isolation() {
    check("10_isolation", &[]);
}

/// Compares outputs whose figures change unit with the machine (a wall of
/// "0.9 ms" or "1.2 s") or may be missing (a memory figure a child ended
/// too soon to give): each line by what comes before its first figure.
fn check_rows(name: &str, env: &[(&str, &str)]) {
    let rows = |out: &str| -> Vec<String> {
        behaviour(out)
            .into_iter()
            .map(|l| if l.contains(" # ") { l.split(" # ").next().unwrap_or("").to_string() } else { l })
            .collect()
    };
    let (got, want) = (run(name, env), book_output(name));
    assert_eq!(rows(&got), rows(&want), "{name}: the example no longer prints what its chapter shows");
}

#[test]
fn sharing() {
    check_rows("11_sharing", &[("PARLAB_INCREMENTS", "200000")]);
}

#[test]
fn io_bound() {
    check_rows("12_io_bound", &[("PARLAB_TIME_SCALE", "0.05")]);
}

#[test]
fn masking_keeps_words_and_hides_numbers() {
    assert_eq!(mask_numbers("Finished in 1.00 second(s)"), "Finished in # second(s)");
    assert_eq!(mask_numbers("task 3 done: slept 0.2 s"), "task # done: slept # s");
    assert_eq!(mask_numbers("  sequential     47.8 ms"), "sequential # ms");
}
