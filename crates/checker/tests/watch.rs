//! `checker watch`: grades the exercise whose source was saved, and nothing
//! else wakes it (a build writing under `target/`, a file outside `src/`).

mod common;

use common::*;
use std::io::BufRead;
use std::sync::mpsc::RecvTimeoutError;
use std::time::Duration;

#[test]
fn watch_grades_only_what_changed_in_src() {
    let _turn = turn();
    let dir = exercises_with("watch", &[]);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("checker"))
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("CARGO_PKG_NAME")
        .arg("--dir")
        .arg(&dir)
        .args(["watch", "01", "--json", "--seed", "5"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let verdict = |rx: &std::sync::mpsc::Receiver<String>| -> serde_json::Value {
        let line = rx.recv_timeout(Duration::from_secs(240)).expect("a verdict line");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
    };
    let first = verdict(&rx);
    assert_eq!((first["exercise"].as_str(), first["verdict"].as_str()), (Some("01_sequential"), Some("not_done")));
    // Writes outside the exercises' src/ folders wake nothing.
    std::fs::create_dir_all(dir.join("target/release")).unwrap();
    std::fs::write(dir.join("target/release/build.rs"), "// a build's output\n").unwrap();
    std::fs::write(dir.join("01_sequential/notes.rs"), "// not a source\n").unwrap();
    // Nor does a source whose times change but whose text does not.
    let source = std::fs::File::options().append(true).open(dir.join("01_sequential/src/main.rs")).unwrap();
    source.set_modified(std::time::SystemTime::now()).unwrap();
    let woken = rx.recv_timeout(Duration::from_secs(2));
    assert!(matches!(woken, Err(RecvTimeoutError::Timeout)), "woken by a non-source or a touch: {woken:?}");
    // Saving the solution grades that exercise again, once.
    std::fs::write(dir.join("01_sequential/src/main.rs"), solution("01_sequential")).unwrap();
    let second = verdict(&rx);
    assert_eq!((second["exercise"].as_str(), second["verdict"].as_str()), (Some("01_sequential"), Some("passed")));
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), nix::sys::signal::Signal::SIGINT).unwrap();
    let _ = child.wait();
    assert!(rx.recv_timeout(Duration::from_secs(2)).is_err(), "graded more than once for one save");
}
