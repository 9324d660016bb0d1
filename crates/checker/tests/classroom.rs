//! The GitHub Classroom workflow in the README: its `command:` line, run as
//! it stands there, in a course whose exercises are untouched starters.

mod common;

use common::*;

#[test]
fn the_readmes_classroom_command_runs_and_speaks_json() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let command = readme
        .lines()
        .find_map(|l| l.trim().strip_prefix("command: "))
        .expect("the README shows a classroom workflow with a command: line")
        .to_string();
    assert!(command.contains("--json"), "{command}");
    let _turn = turn();
    let dir = exercises_with("classroom", &[]);
    // From the course's root, as a workflow runs it; the exercises graded are
    // a pristine copy (PARLAB_EXERCISES), whatever state the real ones are in.
    let out = std::process::Command::new("sh")
        .args(["-c", &command])
        .current_dir(repo())
        .env("PARLAB_EXERCISES", &dir)
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("PARLAB_TRACE")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    // The first exercise is not done: the grade fails, with one JSON object per line.
    assert_eq!(out.status.code(), Some(1), "{command}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let verdicts: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(verdicts.len(), 1, "{stdout}");
    assert_eq!(verdicts[0]["format_version"], 1);
    assert_eq!(verdicts[0]["exercise"], "01_sequential");
    assert_eq!(verdicts[0]["verdict"], "not_done");
}
