//! Helpers shared by the checker's tests: pristine exercise folders (starters
//! derived from the solutions, never the learner's working copy), the
//! checker run on them, and checks that nothing was left behind.
//!
//! Every test folder lives under `target/checker-tests/`, and all share one
//! cargo target folder so that parlab is compiled once. Builds of the same
//! package overwrite one program file, so the tests of a binary take turns.

#![allow(dead_code)] // each test binary uses some of these

use assert_cmd::Command;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

static TURN: Mutex<()> = Mutex::new(());

/// Waits for this test's turn to build and run exercises.
pub fn turn() -> MutexGuard<'static, ()> {
    TURN.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize().unwrap()
}

pub fn target_dir() -> PathBuf {
    repo().join("target/checker-tests-target")
}

/// The exercises as a fresh clone has them, with `replace` (exercise,
/// source) swapped in: starters come from the checker (derived from the
/// solutions), so the learner's `exercises/` may be in any state.
pub fn exercises_with(test: &str, replace: &[(&str, &str)]) -> PathBuf {
    let src = repo().join("exercises");
    let dst = repo().join("target/checker-tests").join(test);
    let _ = std::fs::remove_dir_all(&dst);
    std::fs::create_dir_all(&dst).unwrap();
    for name in ["manifest.toml", "Cargo.toml", "Cargo.lock"] {
        std::fs::copy(src.join(name), dst.join(name)).unwrap();
    }
    let out = Command::cargo_bin("checker")
        .unwrap()
        .arg("--dir")
        .arg(&dst)
        .args(["starters", "--write"])
        .arg(&dst)
        .output()
        .unwrap();
    assert!(out.status.success(), "starters: {}", String::from_utf8_lossy(&out.stderr));
    for entry in std::fs::read_dir(&dst).unwrap().map(Result::unwrap) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.path().is_dir() {
            std::fs::copy(src.join(&name).join("Cargo.toml"), dst.join(&name).join("Cargo.toml")).unwrap();
        }
    }
    let cargo = std::fs::read_to_string(dst.join("Cargo.toml")).unwrap();
    let crates = repo().join("crates");
    std::fs::write(dst.join("Cargo.toml"), cargo.replace("\"../crates/", &format!("\"{}/", crates.display()))).unwrap();
    for (exercise, source) in replace {
        std::fs::write(dst.join(exercise).join("src/main.rs"), source).unwrap();
    }
    dst
}

pub fn solution(exercise: &str) -> String {
    std::fs::read_to_string(repo().join("solutions").join(exercise).join("src/main.rs")).unwrap()
}

/// Every exercise's name, from the manifest.
pub fn exercise_names() -> Vec<String> {
    let manifest: toml::Value =
        toml::from_str(&std::fs::read_to_string(repo().join("exercises/manifest.toml")).unwrap()).unwrap();
    manifest["exercise"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
}

/// Runs `checker --dir DIR ARGS`; returns the exit code and stdout.
pub fn checker(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::cargo_bin("checker")
        .unwrap()
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("PARLAB_TRACE")
        // As a learner runs it from a shell (cargo sets this for `cargo run`).
        .env_remove("CARGO_PKG_NAME")
        .arg("--dir")
        .arg(dir)
        .args(args)
        .timeout(std::time::Duration::from_secs(300))
        .output()
        .unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Verifies one exercise with --json; returns the exit code and the verdict.
pub fn verdict(dir: &Path, exercise: &str, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["verify", exercise, "--json"];
    if !extra.contains(&"--seed") {
        args.extend(["--seed", "7"]);
    }
    args.extend_from_slice(extra);
    let (code, out) = checker(dir, &args);
    let line = out.lines().last().unwrap_or_else(|| panic!("no output from checker verify {exercise}"));
    (code, serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
}

pub fn reasons(v: &Value) -> String {
    v["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect::<Vec<_>>().join(" | ")
}

/// The first reason: the one that decided the verdict.
pub fn deciding(v: &Value) -> String {
    v["reasons"][0].as_str().unwrap_or_default().to_string()
}

/// No process runs an exercise program (the checker runs its own copy in a
/// private `parlab-checker-*` folder; children and pool workers are forks of
/// it, with the same executable).
pub fn no_learner_process() -> bool {
    std::fs::read_dir("/proc").unwrap().filter_map(Result::ok).all(|e| {
        let exe = std::fs::read_link(e.path().join("exe")).unwrap_or_default();
        let exe = exe.to_string_lossy();
        !(exe.contains("parlab-checker-") && exe.contains("/ex"))
    })
}

/// Whether MPI is here to build and run exercise 13. Where the tests must
/// run it (CI sets `PARLAB_REQUIRE_MPI=1`), its absence fails them.
pub fn mpi_here() -> bool {
    match parlab_mpi::launcher::Launcher::find() {
        Ok(_) => true,
        Err(why) if std::env::var_os("PARLAB_REQUIRE_MPI").is_some() => panic!("PARLAB_REQUIRE_MPI is set: {why}"),
        Err(_) => {
            eprintln!("MPI is not installed: the MPI exercise's verdicts are not tested here");
            false
        }
    }
}

/// No cgroup of a finished checker run is left (the tests take turns, so
/// none should exist between them).
pub fn no_cgroup_left() -> bool {
    ["/sys/fs/cgroup/pids", "/sys/fs/cgroup"].iter().all(|root| {
        std::fs::read_dir(root)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .all(|e| !e.file_name().to_string_lossy().starts_with("parlab-checker-"))
    })
}

/// Verifies `source` as `exercise` and expects it to fail, deciding with `why`.
pub fn expect_failure(test: &str, exercise: &str, source: &str, extra: &[&str], why: &str) -> Value {
    let _turn = turn();
    failure_in_turn(test, exercise, source, extra, why)
}

/// `expect_failure` with one CPU kept busy by another program meanwhile
/// (started once this test's turn has come, so that waiting tests keep none).
pub fn expect_failure_when_busy(test: &str, exercise: &str, source: &str, extra: &[&str], why: &str) -> Value {
    let _turn = turn();
    let _hog = Hog::start();
    failure_in_turn(test, exercise, source, extra, why)
}

/// Verifies `source` beside a busy CPU and expects it not to pass: failed,
/// or inconclusive for a reason that names the busy CPUs. For a wrong
/// program whose evidence only a quiet machine makes decisive.
pub fn expect_no_pass_when_busy(test: &str, exercise: &str, source: &str, extra: &[&str]) -> Value {
    let _turn = turn();
    let _hog = Hog::start();
    let dir = exercises_with(test, &[(exercise, source)]);
    let (code, v) = verdict(&dir, exercise, extra);
    eprintln!("verdict of {test} ({exercise}): {} - {}", v["verdict"], deciding(&v));
    match v["verdict"].as_str() {
        Some("failed") => assert_eq!(code, 1, "{test}: exit code"),
        Some("inconclusive") => {
            assert_eq!(code, 3, "{test}: exit code");
            assert!(deciding(&v).contains("busy"), "{test}: inconclusive for a reason the load does not explain: {v}");
        }
        _ => panic!("{test} passed beside a busy CPU: {v}"),
    }
    assert!(no_learner_process(), "{test}: a process of the learner's is still running");
    v
}

fn failure_in_turn(test: &str, exercise: &str, source: &str, extra: &[&str], why: &str) -> Value {
    let dir = exercises_with(test, &[(exercise, source)]);
    let (code, v) = verdict(&dir, exercise, extra);
    // Shown with --nocapture: the verdicts of the wrong programs, for the record.
    eprintln!("verdict of {test} ({exercise}): {} - {}", v["verdict"], deciding(&v));
    assert_eq!(v["verdict"], "failed", "{test}: {v}");
    assert_eq!(code, 1, "{test}: exit code");
    assert!(deciding(&v).contains(why), "{test}: expected '{why}' in the deciding reason of: {}", reasons(&v));
    assert!(no_learner_process(), "{test}: a process of the learner's is still running");
    assert!(no_cgroup_left(), "{test}: the run's cgroup was left behind");
    v
}

/// Another program that keeps one CPU busy (`yes > /dev/null`), ended on drop.
pub struct Hog(std::process::Child);

impl Hog {
    pub fn start() -> Hog {
        let child = std::process::Command::new("yes")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("yes (coreutils) keeps a CPU busy");
        Hog(child)
    }
}

impl Drop for Hog {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Why two hosts cannot be simulated here, if they cannot (see
/// `crates/parlab-mpi/two-hosts.sh`); where the tests must run them (CI, as
/// root, sets `PARLAB_REQUIRE_TWO_HOSTS=1`), a failure.
pub fn two_hosts_missing() -> Option<String> {
    let why = if !nix::unistd::geteuid().is_root() {
        Some("needs root, to make network namespaces".to_string())
    } else {
        let on_path = |p: &str| std::process::Command::new("sh").args(["-c", &format!("command -v {p}")]).output();
        let missing: Vec<&str> =
            ["ip", "unshare"].into_iter().filter(|p| !on_path(p).is_ok_and(|o| o.status.success())).collect();
        (!missing.is_empty()).then(|| format!("needs {} (apt-get install iproute2 util-linux)", missing.join(" and ")))
    };
    if let Some(why) = &why
        && std::env::var_os("PARLAB_REQUIRE_TWO_HOSTS").is_some()
    {
        panic!("PARLAB_REQUIRE_TWO_HOSTS is set: two hosts {why}");
    }
    why
}
