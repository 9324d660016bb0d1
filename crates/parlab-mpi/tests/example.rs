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

/// Why two simulated hosts cannot be made here, if they cannot.
fn two_hosts_missing() -> Option<String> {
    if !nix::unistd::geteuid().is_root() {
        return Some("needs root, to make network namespaces".into());
    }
    let on_path = |p: &str| std::process::Command::new("sh").args(["-c", &format!("command -v {p}")]).output();
    let missing: Vec<&str> =
        ["ip", "unshare"].into_iter().filter(|p| !on_path(p).is_ok_and(|o| o.status.success())).collect();
    (!missing.is_empty()).then(|| format!("needs {} (apt-get install iproute2 util-linux)", missing.join(" and ")))
}

fn two_hosts_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("two-hosts.sh")
}

/// Network namespaces of the two-hosts script still there (its names start with "pl").
fn our_namespaces() -> Vec<String> {
    let out = std::process::Command::new("ip").args(["netns", "list"]).output().unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with("pl") && n[2..].trim_end_matches(['a', 'b']).chars().all(|c| c.is_ascii_digit()))
        .map(String::from)
        .collect()
}

/// The chapter's example on two hosts made of two network namespaces: rank 1
/// runs on the other host (its own name, its clock an hour ahead), messages
/// cross TCP, the timelines still share one axis; and the script leaves
/// nothing behind.
#[test]
fn on_two_hosts_the_ranks_run_apart_and_their_clocks_are_aligned() {
    if let Err(why) = Launcher::find() {
        if std::env::var_os("PARLAB_REQUIRE_MPI").is_some() {
            panic!("PARLAB_REQUIRE_MPI is set: {why}");
        }
        return eprintln!("not run: {why}");
    }
    if let Some(why) = two_hosts_missing() {
        if std::env::var_os("PARLAB_REQUIRE_TWO_HOSTS").is_some() {
            panic!("PARLAB_REQUIRE_TWO_HOSTS is set: two hosts {why}");
        }
        return eprintln!("not run: two hosts {why}");
    }
    let before = our_namespaces();
    let run = format!(
        "exec mpirun --allow-run-as-root -np 2 --bind-to none --hostfile \"$PARLAB_HOSTFILE\" \
         -x PARLAB_TIME_SCALE -x PARLAB_PRIMES_LIMIT -x NO_COLOR {}",
        example().display()
    );
    let out = std::process::Command::new(two_hosts_script())
        .args(["sh", "-c", &run])
        .env("PARLAB_TIME_SCALE", "0.02")
        .env("PARLAB_PRIMES_LIMIT", "300000")
        .env("NO_COLOR", "1")
        .env_remove("PARLAB_SVG_DIR")
        .output()
        .unwrap();
    let got = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(out.status.success(), "{got}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(got.contains("on hosts [\"host-a\", \"host-b\"]"), "{got}");
    // An hour apart (the time namespace), give or take the barrier's skew.
    let apart: f64 = got
        .lines()
        .find_map(|l| l.strip_prefix("clocks ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no clock offset said: {got}"));
    assert!((apart - 3600.0).abs() < 0.5, "{apart} s apart: {got}");
    // Aligned: the first timeline's two tasks overlap within its axis, as
    // on one host (misaligned, one would sit an hour away).
    let wall: f64 = got
        .lines()
        .find_map(|l| l.strip_prefix("13 every rank runs the task  (2 tasks, wall ")?.split(' ').next()?.parse().ok())
        .unwrap_or_else(|| panic!("no first timeline: {got}"));
    assert!(wall < 1000.0, "a wall of {wall}: the ranks' clocks were not aligned\n{got}");
    assert!(got.contains("round trip (there and back)"), "{got}");
    assert_eq!(our_namespaces(), before, "the script left namespaces behind");
}

/// Interrupted, the script still removes what it made.
#[test]
fn two_hosts_interrupted_leave_nothing_behind() {
    if let Some(why) = two_hosts_missing() {
        return eprintln!("not run: two hosts {why}");
    }
    let before = our_namespaces();
    let marker = std::env::temp_dir().join(format!("parlab-two-hosts-{}", std::process::id()));
    let _ = std::fs::remove_file(&marker);
    let run = format!("touch {}; exec sleep 30", marker.display());
    let mut child = std::process::Command::new(two_hosts_script()).args(["sh", "-c", &run]).spawn().unwrap();
    // Until its command runs on the first host.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !marker.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(marker.exists(), "the script's command never ran");
    assert_eq!(our_namespaces().len(), before.len() + 2, "the script made no namespaces");
    let started = std::time::Instant::now();
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let status = child.wait().unwrap();
    let _ = std::fs::remove_file(&marker);
    assert!(!status.success(), "{status}");
    // Not after the command's 30 s: it was stopped.
    assert!(started.elapsed() < std::time::Duration::from_secs(20), "the script waited for its command to end");
    assert_eq!(our_namespaces(), before, "the script left namespaces behind when interrupted");
}
