//! Example 13 run as the book's run was (`book/regenerate.sh`: `mpirun -np
//! 2`), with sleeps and counts scaled down: it must print the lines its
//! chapter shows, in the same order, whatever the numbers.

use parlab_mpi::launcher::Launcher;
use std::path::{Path, PathBuf};

fn example() -> PathBuf {
    // target/debug/deps/example-HASH -> target/debug/examples/13_mpi
    let exe = std::env::current_exe().unwrap();
    exe.parent().unwrap().parent().unwrap().join("examples/13_mpi")
}

/// The lines that say what happened: timelines' rows and axes left out,
/// every figure replaced by '#'.
fn said(output: &str) -> Vec<String> {
    let words = |line: &str| -> String {
        let mut out = String::new();
        let mut last_digit = false;
        for c in line.split_whitespace().collect::<Vec<_>>().join(" ").chars() {
            let digit = c.is_ascii_digit() || (last_digit && (c == '.' || c == ','));
            if !(digit && last_digit) {
                out.push(if digit { '#' } else { c });
            }
            last_digit = digit;
        }
        out
    };
    output
        .lines()
        .filter(|l| !l.contains('|') && !l.trim_start().starts_with('+') && !l.trim().is_empty())
        .filter(|l| !l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        // Which MPI library: another one names itself otherwise.
        .filter(|l| !l.starts_with("MPI library:"))
        // The costs table's rows: one per message size.
        .filter(|l| !l.trim_end().ends_with("µs") && !l.trim_end().ends_with(" s"))
        .map(words)
        .collect()
}

#[test]
fn the_example_prints_what_its_chapter_shows() {
    let launcher = match Launcher::find() {
        Ok(l) => l,
        Err(why) if std::env::var_os("PARLAB_REQUIRE_MPI").is_some() => panic!("PARLAB_REQUIRE_MPI is set: {why}"),
        Err(why) => return eprintln!("not run: {why}"),
    };
    let out = launcher
        .command(2, 2, example())
        .env("PARLAB_TIME_SCALE", "0.02")
        .env("PARLAB_PRIMES_LIMIT", "300000")
        .env("NO_COLOR", "1")
        .env_remove("PARLAB_SVG_DIR")
        .output()
        .unwrap();
    let got = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{got}\n{}", String::from_utf8_lossy(&out.stderr));
    let book = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src/output/13_mpi.txt");
    let want = std::fs::read_to_string(&book).unwrap_or_else(|e| panic!("{}: {e}", book.display()));
    assert_eq!(said(&got), said(&want), "the example no longer prints what chapter 13 shows");
    // Rank 0 took the results in the order the ranks finished: rank 1 first.
    assert!(got.contains("received as they came (rank, slept): [(1, "), "{got}");
}

#[test]
fn figures_become_marks_and_rows_are_left_out() {
    let text = "primes below 300000: 1.50x\n  8 B   1 µs   7 µs   8 µs\npid 7 |==|\n";
    assert_eq!(said(text), ["primes below #: #x"]);
}
