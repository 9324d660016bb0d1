//! Exercise 13 on MPI ranks: without MPI it is skipped with what to install;
//! with MPI (CI installs Open MPI), wrong solutions fail for their reason.
//! The reference solution's pass is in `verdicts.rs`, with every other.

mod common;

use common::*;

/// The solution with its counting part replaced by `body`.
fn with_body(body: &str) -> String {
    let src = solution("13_mpi_ranks");
    let start = src.find("    let (a, b) = split_range").expect("the solution changed: update this test");
    let end = src.find("    Ok(total)\n}").expect("the solution changed: update this test");
    format!("{}{body}{}", &src[..start], &src[end..])
}

#[test]
fn without_mpi_the_exercise_is_skipped_and_says_what_to_install() {
    let _turn = turn();
    let dir = exercises_with("mpi-missing", &[]);
    let out = assert_cmd::Command::cargo_bin("checker")
        .unwrap()
        .env("PATH", "/nonexistent")
        .arg("--dir")
        .arg(&dir)
        .args(["verify", "13", "--json", "--seed", "1"])
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((out.status.code(), v["verdict"].as_str()), (Some(4), Some("skipped")), "{v}");
    assert!(reasons(&v).contains("apt-get install openmpi-bin libopenmpi-dev libclang-dev"), "{v}");
    assert!(v["next"].as_str().unwrap().contains("install what is missing"), "{v}");
}

#[test]
fn every_rank_counting_the_whole_range_is_not_faster() {
    if !mpi_here() {
        return;
    }
    let src = with_body(
        "    let mine = count_primes((start, end));\n    let _ = (rank, size);\n    let mut total = 0u64;\n    \
         if rank == 0 {\n        root.reduce_into_root(&mine, &mut total, SystemOperation::max());\n    } else {\n        \
         root.reduce_into(&mine, SystemOperation::max());\n    }\n",
    );
    let v = expect_failure_when_busy("mpi-twice", "13_mpi_ranks", &src, &[], "the work was done more than once");
    assert!(deciding(&v).contains("counted more than once by your ranks"), "{}", reasons(&v));
}

#[test]
fn rank_zero_counting_alone_fails_naming_the_idle_ranks() {
    if !mpi_here() {
        return;
    }
    let src = with_body(
        "    let _ = (&root, size, split_range(1, 1));\n    let total = if rank == 0 { count_primes((start, end)) } else \
         { 0 };\n    let _ = SystemOperation::sum();\n",
    );
    expect_failure_when_busy("mpi-alone", "13_mpi_ranks", &src, &[], "the count ran on 1 of the 2 ranks");
}

#[test]
fn a_process_started_inside_a_rank_is_not_a_rank() {
    if !mpi_here() {
        return;
    }
    // parlab refuses to fork a process that has threads (MPI's), so rank 0
    // starts a copy of the program instead, which counts its part.
    let src = with_body(
        "    let (a, b) = split_range(end - start, size)[rank];\n    let part = (start + a, start + b);\n    \
         let mine = if rank == 0 {\n        let exe = std::env::current_exe().unwrap();\n        let out = \
         std::process::Command::new(exe).env(\"PART\", format!(\"{} {}\", part.0, part.1)).output().unwrap();\n        \
         String::from_utf8_lossy(&out.stdout).trim().parse::<u64>().unwrap()\n    } else {\n        \
         count_primes(part)\n    };\n    let mut total = 0u64;\n    if rank == 0 {\n        \
         root.reduce_into_root(&mine, &mut total, SystemOperation::sum());\n    } else {\n        \
         root.reduce_into(&mine, SystemOperation::sum());\n    }\n",
    )
    .replace(
        "fn main() {\n",
        "fn main() {\n    if let Ok(part) = std::env::var(\"PART\") {\n        let v: Vec<u64> = \
         part.split(' ').map(|x| x.parse().unwrap()).collect();\n        println!(\"{}\", count_primes((v[0], \
         v[1])));\n        return;\n    }\n",
    );
    expect_failure_when_busy("mpi-child", "13_mpi_ranks", &src, &[], "mpirun did not start it");
}

/// `checker verify 13 --hosts` on the simulated pair of hosts, with `source`
/// as the solution: the exit code and the verdict.
fn verdict_on_two_hosts(test: &str, source: &str) -> (i32, serde_json::Value) {
    let dir = exercises_with(test, &[("13_mpi_ranks", source)]);
    let script = repo().join("crates/parlab-mpi/two-hosts.sh");
    let checker = assert_cmd::cargo::cargo_bin("checker");
    let out = std::process::Command::new(script)
        .args(["sh", "-c", "exec \"$0\" --dir \"$1\" verify 13 --json --seed 7 --hosts \"$PARLAB_HOSTFILE\""])
        .arg(&checker)
        .arg(&dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("PARLAB_TRACE")
        .env_remove("CARGO_PKG_NAME")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().last().unwrap_or_else(|| panic!("no verdict: {}", String::from_utf8_lossy(&out.stderr)));
    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
    eprintln!("verdict of {test} on two hosts: {} - {}", v["verdict"], deciding(&v));
    (out.status.code().unwrap_or(-1), v)
}

/// The ranks on two hosts (network namespaces joined by a veth pair, the
/// second one's clock an hour ahead): the reference passes, its ranks seen
/// at work together on the checker's clock; a rank 0 that counts alone fails; a rank on the
/// other host that hands its part to a process of its own, started under the
/// daemon's name, fails, told by the checker's relay there; nothing is left
/// running.
#[test]
fn on_two_hosts_the_reference_passes_and_wrong_ranks_fail() {
    if !mpi_here() {
        return;
    }
    if let Some(why) = two_hosts_missing() {
        return eprintln!("not run: two hosts {why}");
    }
    let _turn = turn();
    let (code, v) = verdict_on_two_hosts("hosts-reference", &solution("13_mpi_ranks"));
    // Beside a busy CPU the speed can be inconclusive, for that reason, never failed.
    match (code, v["verdict"].as_str()) {
        (0, Some("passed")) => {}
        (3, Some("inconclusive")) => assert!(deciding(&v).contains("busy"), "{v}"),
        _ => panic!("the reference on two hosts: {v}"),
    }
    assert!(v["next"].as_str().unwrap().contains("--hosts") || code == 0, "{v}");
    assert_eq!(v["evidence"]["processes"], 2, "{v}");
    assert_eq!(v["evidence"]["other_hosts"].as_array().map(Vec::len), Some(1), "{v}");
    // Both counting at once on the checker's clock: the other host's clock,
    // an hour ahead, was moved onto it (else they would be an hour apart).
    assert_eq!(v["evidence"]["max_concurrency"], 2, "{v}");

    let alone = with_body(
        "    let _ = (&root, size, split_range(1, 1));\n    let total = if rank == 0 { count_primes((start, end)) } else \
         { 0 };\n    let _ = SystemOperation::sum();\n",
    );
    let (code, v) = verdict_on_two_hosts("hosts-alone", &alone);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("failed")), "{v}");
    assert!(deciding(&v).contains("the count ran on 1 of the 2 ranks"), "{}", reasons(&v));

    // Found by a red team: the part handed to a grandchild whose parent is a
    // copy of the program named like the daemon (`orted`) passed a rule that
    // looked at the parent's executable's name.
    let fake_daemon = with_body(
        "    let (a, b) = split_range(end - start, size)[rank];\n    let part = (start + a, start + b);\n    \
         let mine = if rank == 1 {\n        let dir = std::env::temp_dir().join(format!(\"fake-{}\", \
         std::process::id()));\n        std::fs::create_dir_all(&dir).unwrap();\n        let fake = \
         dir.join(\"orted\");\n        std::fs::copy(\"/proc/self/exe\", &fake).unwrap();\n        let out = \
         std::process::Command::new(&fake).env(\"MIDDLE\", format!(\"{} {}\", part.0, part.1)).output().unwrap();\n        \
         let _ = std::fs::remove_dir_all(&dir);\n        \
         String::from_utf8_lossy(&out.stdout).trim().parse::<u64>().unwrap()\n    } else {\n        \
         count_primes(part)\n    };\n    let mut total = 0u64;\n    if rank == 0 {\n        \
         root.reduce_into_root(&mine, &mut total, SystemOperation::sum());\n    } else {\n        \
         root.reduce_into(&mine, SystemOperation::sum());\n    }\n",
    )
    .replace(
        "fn main() {\n",
        "fn main() {\n    if let Ok(part) = std::env::var(\"PART\") {\n        let v: Vec<u64> = \
         part.split(' ').map(|x| x.parse().unwrap()).collect();\n        println!(\"{}\", count_primes((v[0], \
         v[1])));\n        return;\n    }\n    if let Ok(part) = std::env::var(\"MIDDLE\") {\n        let out = \
         std::process::Command::new(\"/proc/self/exe\").env_remove(\"MIDDLE\").env(\"PART\", \
         part).output().unwrap();\n        print!(\"{}\", String::from_utf8_lossy(&out.stdout));\n        \
         return;\n    }\n",
    );
    let (code, v) = verdict_on_two_hosts("hosts-fake-daemon", &fake_daemon);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("failed")), "{v}");
    assert!(deciding(&v).contains("the MPI daemon there did not start it"), "{}", reasons(&v));
    assert!(no_learner_process(), "a process of the learner's is still running");
    assert!(no_cgroup_left(), "a run's cgroup was left behind");
}
