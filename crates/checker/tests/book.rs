//! `checker book` hands off to the book server, a program of its own (the
//! grader builds none of its web stack): the one beside the checker, else
//! one on PATH, else the course's own `cargo run -p parlab-book`; where
//! none can be found it says how to install it.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

/// The tests of this file one at a time: a program file written by one
/// while the other forks cannot be run ("Text file busy") until the fork
/// has exec'd.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A copy of this checker in a folder of its own, with `beside` next to it.
fn checker_alone(beside: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(env!("CARGO_BIN_EXE_checker"), dir.path().join("checker")).unwrap();
    if let Some(script) = beside {
        let server = dir.path().join("parlab-book");
        std::fs::write(&server, script).unwrap();
        std::fs::set_permissions(&server, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// A course folder with exercises and nothing else (no book server's crate).
fn bare_course() -> tempfile::TempDir {
    let course = tempfile::tempdir().unwrap();
    std::fs::create_dir(course.path().join("exercises")).unwrap();
    std::fs::write(course.path().join("exercises/manifest.toml"), "").unwrap();
    course
}

fn book(checker: &Path, course: &Path, args: &[&str]) -> std::process::Output {
    Command::new(checker.join("checker"))
        .arg("--dir")
        .arg(course.join("exercises"))
        .arg("book")
        .args(args)
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap()
}

#[test]
fn checker_book_starts_the_book_server_beside_it_with_the_courses_folder() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let course = bare_course();
    let said = course.path().join("args");
    let script = format!("#!/bin/sh\necho \"$@\" > {}\n", said.display());
    let checker = checker_alone(Some(&script));
    let out = book(checker.path(), course.path(), &["--port", "0", "--open"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let args = std::fs::read_to_string(&said).unwrap();
    let repo = course.path().canonicalize().unwrap();
    assert_eq!(args.trim(), format!("--repo {} --port 0 --open", repo.display()));
}

#[test]
fn without_a_book_server_it_says_how_to_install_one() {
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let course = bare_course();
    let checker = checker_alone(None);
    let out = book(checker.path(), course.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("cargo install --locked --path crates/book"), "{said}");
}
