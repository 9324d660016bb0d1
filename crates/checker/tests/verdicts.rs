//! The checker on real exercise crates: the reference solutions, the untouched
//! starters, and wrong or hostile solutions, each of which must fail for the
//! right reason and leave no process behind.
//!
//! Each test lays out a copy of `exercises/` (with some files replaced) under
//! `target/checker-tests/`, and all share one cargo target folder so that
//! parlab is compiled once. Builds of the same package overwrite one program
//! file, so the tests take turns (a lock), and the suite stays fast.

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

static TURN: Mutex<()> = Mutex::new(());

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

/// A copy of the exercises with `replace` (exercise, source) swapped in.
fn exercises_with(test: &str, replace: &[(&str, &str)]) -> PathBuf {
    let src = repo().join("exercises");
    let dst = repo().join("target/checker-tests").join(test);
    let _ = std::fs::remove_dir_all(&dst);
    std::fs::create_dir_all(&dst).unwrap();
    for entry in std::fs::read_dir(&src).unwrap().map(Result::unwrap) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() && name != "target" {
            std::fs::create_dir_all(dst.join(&name).join("src")).unwrap();
            std::fs::copy(entry.path().join("Cargo.toml"), dst.join(&name).join("Cargo.toml")).unwrap();
            std::fs::copy(entry.path().join("src/main.rs"), dst.join(&name).join("src/main.rs")).unwrap();
        } else if ["manifest.toml", "Cargo.toml", "Cargo.lock"].contains(&name.as_str()) {
            std::fs::copy(entry.path(), dst.join(&name)).unwrap();
        }
    }
    let cargo = std::fs::read_to_string(dst.join("Cargo.toml")).unwrap();
    let parlab = repo().join("crates/parlab");
    std::fs::write(dst.join("Cargo.toml"), cargo.replace("\"../crates/parlab\"", &format!("{:?}", parlab))).unwrap();
    for (exercise, source) in replace {
        std::fs::write(dst.join(exercise).join("src/main.rs"), source).unwrap();
    }
    dst
}

fn solution(exercise: &str) -> String {
    std::fs::read_to_string(repo().join("solutions").join(exercise).join("src/main.rs")).unwrap()
}

/// Runs `checker --dir DIR ARGS`; returns the exit code and stdout.
fn checker(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("checker")
        .unwrap()
        .env("CARGO_TARGET_DIR", repo().join("target/checker-tests-target"))
        .env_remove("PARLAB_TRACE")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Verifies one exercise with --json; returns the exit code and the verdict.
fn verdict(dir: &Path, exercise: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", exercise, "--json", "--seed", "7"];
    args.extend_from_slice(extra);
    let (code, out) = checker(dir, &args);
    let line = out.lines().last().unwrap_or_else(|| panic!("no output from checker verify {exercise}"));
    (code, serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
}

fn reasons(v: &Value) -> String {
    v["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect::<Vec<_>>().join(" | ")
}

/// No process runs an exercise program built by these tests (their
/// children and pool workers are forks of it, with the same executable).
fn no_learner_process() -> bool {
    let programs = repo().join("target/checker-tests-target/release");
    std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).all(|e| {
        let exe = std::fs::read_link(e.path().join("exe")).unwrap_or_default();
        !(exe.starts_with(&programs) && exe.file_name().is_some_and(|n| n.to_string_lossy().starts_with("ex0")))
    })
}

/// No cgroup of a finished checker run is left (the tests take turns, so
/// none should exist between them).
fn no_cgroup_left() -> bool {
    ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"].iter().all(|root| {
        std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().starts_with("parlab-checker-"))
    })
}

fn expect_failure(test: &str, exercise: &str, source: &str, extra: &[&str], why: &str) {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let dir = exercises_with(test, &[(exercise, source)]);
    let (code, v) = verdict(&dir, exercise, extra);
    assert_eq!(v["verdict"], "failed", "{test}: {v}");
    assert_eq!(code, 1, "{test}: exit code");
    assert!(reasons(&v).contains(why), "{test}: expected '{why}' in: {}", reasons(&v));
    assert!(no_learner_process(), "{test}: a process of the learner's is still running");
    assert!(no_cgroup_left(), "{test}: the run's cgroup was left behind");
}

#[test]
fn every_solution_passes_with_schema_conforming_json() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("exercises/manifest.toml")).unwrap()).unwrap();
    let names: Vec<String> =
        manifest["exercise"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect();
    let replaced: Vec<(String, String)> = names.iter().map(|n| (n.clone(), solution(n))).collect();
    let refs: Vec<(&str, &str)> = replaced.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    let dir = exercises_with("solutions", &refs);
    for name in &names {
        let (code, v) = verdict(&dir, name, &[]);
        // On a busy machine a timing can be inconclusive (exit 3), never a failure.
        assert!(v["verdict"] == "passed" || v["verdict"] == "inconclusive", "{name}: {v}");
        assert_eq!(code, if v["verdict"] == "passed" { 0 } else { 3 });
        assert_eq!(v["exercise"], name.as_str());
        assert_eq!(v["seed"], 7);
        assert!(v["cpus"]["usable"].as_u64().unwrap() >= 1);
        assert!(v["reasons"].is_array() && v["next"].is_string());
        if let Some(m) = v["measurements"].as_object() {
            for key in ["baseline_secs", "learner_secs", "speedup", "expected_speedup", "required_speedup"] {
                assert!(m[key].as_f64().unwrap() > 0.0, "{name}: {key}");
            }
        }
    }
    assert!(no_learner_process());
}

#[test]
fn untouched_exercises_are_not_done_and_name_their_todo() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let dir = exercises_with("starters", &[]);
    let manifest: toml::Value = toml::from_str(&std::fs::read_to_string(dir.join("manifest.toml")).unwrap()).unwrap();
    for exercise in manifest["exercise"].as_array().unwrap() {
        let name = exercise["name"].as_str().unwrap();
        let (code, v) = verdict(&dir, name, &[]);
        assert_eq!((code, v["verdict"].as_str().unwrap()), (1, "not_done"), "{name}: {v}");
        assert!(reasons(&v).contains("src/main.rs:") && reasons(&v).contains("TODO"), "{name}: {}", reasons(&v));
    }
    // Without a name: course order, stopping at the first not done.
    let (code, out) = checker(&dir, &["verify"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("NOT DONE YET") && out.contains("01_sequential") && !out.contains("03_two_processes (seed"),
        "{out}"
    );
}

#[test]
fn course_order_stops_at_the_first_exercise_not_done() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let (s1, s3) = (solution("01_sequential"), solution("03_two_processes"));
    let dir = exercises_with("order", &[("01_sequential", &s1), ("03_two_processes", &s3)]);
    let (code, out) = checker(&dir, &["verify", "--seed", "3"]);
    assert!(code == 1 || code == 3, "{out}");
    if code == 1 {
        assert!(out.contains("PASSED 01_sequential") && out.contains("NOT DONE YET 04_process_loop"), "{out}");
        let (_, list) = checker(&dir, &["list"]);
        assert!(list.lines().any(|l| l.starts_with("01_sequential") && l.ends_with("passed")), "{list}");
        assert!(list.lines().any(|l| l.starts_with("04_process_loop") && l.ends_with("to do")), "{list}");
    }
}

#[test]
fn a_wrong_answer_fails() {
    let src = solution("03_two_processes")
        .replace("Ok((first.join()?, second.join()?))", "Ok((first.join()?, first_again(&mut second)?))")
        + "\nfn first_again(p: &mut Process<f64>) -> parlab::Result<f64> { Ok(p.join()? + 1.0) }\n";
    expect_failure("wrong", "03_two_processes", &src, &[], "wrong answer");
}

#[test]
fn a_hard_coded_answer_fails() {
    let src = solution("04_process_loop").replace(
        "children.iter_mut().map(|child| child.join()).collect()",
        "let _: Vec<f64> = children.iter_mut().map(|c| c.join()).collect::<Result<_, _>>()?;\n    Ok(vec![1.0; 10])",
    );
    expect_failure("hardcoded", "04_process_loop", &src, &[], "wrong answer");
}

#[test]
fn processes_joined_one_at_a_time_fail() {
    let src = r#"
use parlab::Process;
use parlab::workloads::task_with;
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let mut results = Vec::new();
    for s in sleeps {
        let mut p = Process::start(move || task_with(s))?;
        results.push(p.join()?); // joined before the next one starts
    }
    Ok(results)
}
fn main() { parlab::exercise::run(vec![1.0; 10], solve); }
"#;
    expect_failure("one-at-a-time", "04_process_loop", src, &[], "one at a time");
}

#[test]
fn threads_where_processes_were_asked_for_fail() {
    let src = r#"
use parlab::workloads::task_with;
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {
    let t1 = std::thread::spawn(move || task_with(a));
    let t2 = std::thread::spawn(move || task_with(b));
    Ok((t1.join().unwrap(), t2.join().unwrap()))
}
fn main() { parlab::exercise::run((1.0, 1.0), solve); }
"#;
    expect_failure("threads", "03_two_processes", src, &[], "asks for processes");
}

#[test]
fn an_endless_loop_is_stopped() {
    let src = "fn solve(_: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> { loop { std::hint::spin_loop() } }\nfn main() { parlab::exercise::run(vec![1.0], solve); }\n";
    expect_failure("endless", "01_sequential", src, &["--timeout", "2"], "did not finish within 2 s");
}

#[test]
fn a_fork_bomb_is_stopped() {
    let src = r#"
use parlab::Process;
fn solve(_: Vec<f64>) -> parlab::Result<Vec<f64>> {
    loop {
        if let Ok(p) = Process::start(|| std::thread::sleep(std::time::Duration::from_secs(100))) {
            std::mem::forget(p);
        }
    }
}
fn main() { parlab::exercise::run(vec![1.0], solve); }
"#;
    expect_failure("forkbomb", "04_process_loop", src, &["--timeout", "10"], "more than 64 processes");
}

#[test]
fn a_panic_is_reported_with_its_message() {
    let src = "fn solve(_: (f64, f64)) -> parlab::Result<(f64, f64)> { panic!(\"the learner's own panic\") }\nfn main() { parlab::exercise::run((1.0, 1.0), solve); }\n";
    expect_failure(
        "panic",
        "03_two_processes",
        src,
        &[],
        "panicked: 03_two_processes/src/main.rs:1: the learner's own panic",
    );
}

#[test]
fn an_abort_is_reported_as_a_crash() {
    let src = "fn solve(_: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> { std::process::abort() }\nfn main() { parlab::exercise::run(vec![1.0], solve); }\n";
    expect_failure("abort", "01_sequential", src, &[], "killed by SIGABRT");
}

#[test]
fn a_flood_of_output_is_stopped() {
    let src = "fn solve(_: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> { loop { println!(\"flooding the checker with output, line after line\"); } }\nfn main() { parlab::exercise::run(vec![1.0], solve); }\n";
    expect_failure("flood", "01_sequential", src, &[], "printed more than");
}

#[test]
fn a_crash_that_loses_other_results_fails() {
    // Everything in one process: the first fragile value that aborts takes all with it.
    let src = "use parlab::workloads::fragile;\nfn solve(v: Vec<u64>) -> parlab::Result<Vec<Option<u64>>> { Ok(v.into_iter().map(|x| Some(fragile(x))).collect()) }\nfn main() { parlab::exercise::run(vec![1], solve); }\n";
    expect_failure("fragile", "09_failures", src, &[], "SIGABRT");
}

#[test]
fn a_compile_error_is_shown_as_a_failure() {
    expect_failure("compile", "01_sequential", "fn main() { let x: u32 = \"no\"; }\n", &[], "does not compile");
}

#[test]
fn usage_errors_exit_with_2() {
    let dir = repo().join("exercises");
    let (code, _) = checker(&dir, &["verify", "99_nothing"]);
    assert_eq!(code, 2);
    let out = Command::cargo_bin("checker").unwrap().args(["--dir", "/nonexistent", "list"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/manifest.toml"));
}

#[test]
fn hint_and_list_speak_of_every_exercise() {
    let dir = repo().join("exercises");
    let (code, out) = checker(&dir, &["hint", "05"]);
    assert_eq!(code, 0);
    assert!(out.contains("05_pool_map") && out.contains("ProcessPool"));
    let (_, list) = checker(&dir, &["list"]);
    assert_eq!(list.lines().count(), 8, "{list}");
}

#[test]
fn reset_restores_the_starter_from_git_history() {
    let dir = std::env::temp_dir().join(format!("checker-reset-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("01_sequential/src")).unwrap();
    std::fs::copy(repo().join("exercises/manifest.toml"), dir.join("manifest.toml")).unwrap();
    let file = dir.join("01_sequential/src/main.rs");
    std::fs::write(&file, "starter\n").unwrap();
    let git = |args: &[&str]| {
        assert!(
            std::process::Command::new("git").current_dir(&dir).args(args).output().unwrap().status.success(),
            "git {args:?}"
        );
    };
    git(&["init", "-q"]);
    git(&["add", "."]);
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "starter"]);
    std::fs::write(&file, "my work\n").unwrap();
    git(&["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qam", "work"]);
    let (code, _) = checker(&dir, &["reset", "01"]);
    assert_eq!(code, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "starter\n");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn ctrl_c_on_the_checker_leaves_no_learner_process() {
    let _turn = TURN.lock().unwrap_or_else(|e| e.into_inner());
    let src = "fn solve(_: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> { std::thread::sleep(std::time::Duration::from_secs(60)); unreachable!() }\nfn main() { parlab::exercise::run(vec![1.0], solve); }\n";
    let dir = exercises_with("ctrlc", &[("01_sequential", src)]);
    // Build first, so that the run starts at once.
    let _ = checker(&dir, &["verify", "01", "--timeout", "0.5"]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("checker"))
        .env("CARGO_TARGET_DIR", repo().join("target/checker-tests-target"))
        .arg("--dir")
        .arg(&dir)
        .args(["verify", "01", "--timeout", "60"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    while no_learner_process() && started.elapsed() < std::time::Duration::from_secs(60) {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!no_learner_process(), "the learner's program never started");
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{status:?}");
    assert!(no_learner_process(), "Ctrl-C left the learner's program running");
    let cgroup = format!("parlab-checker-{}-", child.id());
    for root in ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"] {
        let left = std::fs::read_dir(root).into_iter().flatten().filter_map(Result::ok);
        let left: Vec<_> = left.filter(|e| e.file_name().to_string_lossy().starts_with(&cgroup)).collect();
        assert!(left.is_empty(), "Ctrl-C left the run's cgroup behind: {left:?}");
    }
}
