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
