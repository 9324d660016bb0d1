//! The checker as most learners run it: an ordinary user, with no writable
//! cgroup and no privileges. Run as root (as CI is), this test makes such a
//! user and runs the checker under `runuser`.
//!
//! That user has no Rust toolchain (root's lies in a folder only root can
//! enter), so the programs are built beforehand and a stand-in for cargo
//! names them: everything after the build (the sandbox, the process samples
//! without a cgroup, the protection of the checker's output, the verdicts)
//! runs as the ordinary user.

mod common;

use common::*;
use std::path::Path;
use std::process::Command;

const USER: &str = "parlab-learner";

fn have(tool: &str) -> bool {
    Command::new("sh").args(["-c", &format!("command -v {tool}")]).output().is_ok_and(|o| o.status.success())
}

fn sh(script: &str) {
    let out = Command::new("sh").args(["-c", script]).output().unwrap();
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_ordinary_user_gets_the_same_verdicts() {
    if !nix::unistd::geteuid().is_root() || !have("runuser") || !have("useradd") {
        eprintln!("skipped: making a user needs root, runuser and useradd");
        return;
    }
    let _turn = turn();
    sh(&format!("id -u {USER} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {USER}"));

    // Threads that report sleeps: the kernel names the program's own
    // process as the sender of every report, whatever user it runs as.
    let threads_for_a_pool = r#"
use parlab::workloads::task_with;
fn solve((_workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let handles: Vec<_> = sleeps.iter().map(|&s| std::thread::spawn(move || task_with(s))).collect();
    Ok(handles.into_iter().map(|h| h.join().unwrap()).collect())
}
fn main() { parlab::exercise::run((2, vec![1.0; 4]), solve); }
"#;
    // A fork bomb, stopped by RLIMIT_NPROC (no cgroup here): the reason names the cap.
    let fork_bomb = r#"
fn solve(_: (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let mut children = Vec::new();
    for _ in 0..10_000 {
        children.push(parlab::Process::start(|| std::thread::sleep(std::time::Duration::from_secs(5)))?);
    }
    Ok(Vec::new())
}
fn main() { parlab::exercise::run((2, vec![1.0; 4]), solve); }
"#;
    let writes_output = r#"
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
    let (s4, s7, s13) = (solution("04_process_loop"), solution("07_cpu_bound"), solution("13_mpi_ranks"));
    let mut programs = vec![
        ("03_two_processes", writes_output),
        ("04_process_loop", &s4),
        ("05_pool_map", threads_for_a_pool),
        ("06_as_completed", fork_bomb),
        ("07_cpu_bound", &s7),
    ];
    // MPI ranks without a cgroup: found through the run's session, each a child of mpirun.
    let mpi = mpi_here();
    if mpi {
        programs.push(("13_mpi_ranks", &s13));
    }
    let dir = exercises_with("ordinary-user", &programs);

    // A folder the user may enter, holding the checker, the exercises and
    // the programs built beforehand.
    let base = std::env::temp_dir().join(format!("parlab-ordinary-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&base);
    std::fs::create_dir_all(base.join("bin")).unwrap();
    for &(name, _) in &programs {
        let package = format!("ex{name}");
        let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["build", "--release", "-q", "-p", &package, "--manifest-path"])
            .arg(dir.join("Cargo.toml"))
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        std::fs::copy(target_dir().join("release").join(&package), base.join("bin").join(&package)).unwrap();
    }
    std::fs::copy(assert_cmd::cargo::cargo_bin("checker"), base.join("checker")).unwrap();
    let fake_cargo = base.join("cargo");
    std::fs::write(
        &fake_cargo,
        format!(
            "#!/bin/sh\n# Stands in for cargo: names the program built beforehand.\nwhile [ $# -gt 0 ]; do [ \"$1\" = -p ] && \
             pkg=\"$2\"; shift; done\nprintf '{{\"reason\":\"compiler-artifact\",\"target\":{{\"name\":\"%s\"}},\
             \"executable\":\"%s/%s\"}}\\n' \"$pkg\" \"{}\" \"$pkg\"\n",
            base.join("bin").display()
        ),
    )
    .unwrap();
    sh(&format!(
        "cp -r {} {}/exercises && chmod -R a+rX {} && chmod a+x {} && chown -R {USER} {}/exercises",
        dir.display(),
        base.display(),
        base.display(),
        fake_cargo.display(),
        base.display()
    ));

    // The checker's output goes into a pipe the user's shell made, as in
    // `checker verify --json | tee verdict.json`: a program of the same user
    // could open that pipe through /proc unless the checker keeps it out.
    let as_user = |exercise: &str| -> (i32, String) {
        let file = base.join("exercises").join(format!("verdict-{exercise}.json"));
        let status = Command::new("runuser")
            .args([
                "-u",
                USER,
                "--",
                "sh",
                "-c",
                "out=\"$1\"; shift; { env \"$@\"; echo $? > \"$out.code\"; } | cat > \"$out\"",
                "sh",
            ])
            .arg(&file)
            .arg(format!("CARGO={}", fake_cargo.display()))
            .arg(base.join("checker"))
            .arg("--dir")
            .arg(base.join("exercises"))
            .args(["verify", exercise, "--json", "--seed", "7"])
            .current_dir(&base)
            .status()
            .unwrap();
        assert!(status.success(), "runuser: {status:?}");
        let code = std::fs::read_to_string(file.with_extension("json.code")).unwrap().trim().parse().unwrap();
        (code, std::fs::read_to_string(&file).unwrap_or_default())
    };
    let parse = |out: &str| -> serde_json::Value {
        serde_json::from_str(out.lines().last().unwrap_or("")).unwrap_or_else(|e| panic!("not JSON ({e}): {out}"))
    };

    let correct: &[&str] =
        if mpi { &["04_process_loop", "07_cpu_bound", "13_mpi_ranks"] } else { &["04_process_loop", "07_cpu_bound"] };
    for &correct in correct {
        let (code, out) = as_user(correct);
        let v = parse(&out);
        assert!(v["verdict"] == "passed" || v["verdict"] == "inconclusive", "{correct} as {USER}: {v}");
        assert_eq!(code, if v["verdict"] == "passed" { 0 } else { 3 });
        assert!(v["evidence"]["processes_seen_by_kernel"].as_u64().unwrap() >= 2, "{correct}: {v}");
    }
    let (code, out) = as_user("05_pool_map");
    let v = parse(&out);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("failed")), "{v}");
    assert!(deciding(&v).contains("every task ran in your program's own process"), "{}", reasons(&v));
    let (code, out) = as_user("06_as_completed");
    let v = parse(&out);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("failed")), "{v}");
    assert!(deciding(&v).contains("more than 64 processes at once"), "{}", reasons(&v));
    assert!(deciding(&v).contains("RLIMIT_NPROC"), "{}", reasons(&v));

    let (code, out) = as_user("03_two_processes");
    assert_eq!(code, 1, "{out}");
    assert!(!out.contains("forged by the program"), "the program wrote into the checker's output:\n{out}");
    assert_eq!(out.lines().count(), 1, "{out}");

    assert!(no_learner_process());
    let _ = std::fs::remove_dir_all(&base);
    assert!(!Path::new(&base).exists());
}
