//! The GitHub Classroom workflow in the README: each `command:` line, run
//! as it stands there with the checker on `PATH` (as the workflow installs
//! it), in a course whose exercises are untouched starters.

mod common;

use common::*;

#[test]
fn the_readmes_classroom_commands_run_and_speak_json() {
    let readme = std::fs::read_to_string(repo().join("README.md")).unwrap();
    let commands: Vec<String> =
        readme.lines().filter_map(|l| l.trim().strip_prefix("command: ")).map(String::from).collect();
    assert!(commands.len() >= 2, "the README shows a classroom workflow with a step per exercise");
    let _turn = turn();
    let dir = exercises_with("classroom", &[]);
    let checker = assert_cmd::cargo::cargo_bin("checker");
    let path = format!("{}:{}", checker.parent().unwrap().display(), std::env::var("PATH").unwrap_or_default());
    for (i, command) in commands.iter().enumerate() {
        assert!(command.contains("--json") && command.starts_with("checker verify "), "{command}");
        // From the course's root, as a workflow runs it; the exercises graded are
        // a pristine copy (PARLAB_EXERCISES), whatever state the real ones are in.
        let out = std::process::Command::new("sh")
            .args(["-c", command])
            .current_dir(repo())
            .env("PATH", &path)
            .env("PARLAB_EXERCISES", &dir)
            .env("CARGO_TARGET_DIR", target_dir())
            .env_remove("PARLAB_TRACE")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        // Each exercise is not done: its test fails, with one JSON object.
        assert_eq!(out.status.code(), Some(1), "{command}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
        let verdicts: Vec<serde_json::Value> = stdout.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        assert_eq!(verdicts.len(), 1, "{stdout}");
        assert_eq!(verdicts[0]["format_version"], 1);
        assert_eq!(verdicts[0]["exercise"].as_str().unwrap()[..2], format!("{:02}", i + 1));
        assert_eq!(verdicts[0]["verdict"], "not_done");
    }
}
