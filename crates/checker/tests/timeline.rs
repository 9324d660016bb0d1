//! `checker timeline`: trace files (the engine's, or Python's from
//! book/python/parlab_trace.py) drawn on one time axis, no exercises folder
//! needed; a missing or empty file says what a trace file is.

use std::process::Command;

fn timeline(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .arg("timeline")
        .args(args)
        .env("NO_COLOR", "1")
        .current_dir(std::env::temp_dir())
        .output()
        .unwrap();
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    (out.status.code().unwrap_or(-1), text(&out.stdout), text(&out.stderr))
}

#[test]
fn trace_files_are_drawn_on_one_axis() {
    let dir = tempfile::tempdir().unwrap();
    let span = |index, tid, start_ms: u64, end_ms: u64| {
        format!(
            "{{\"index\":{index},\"pid\":41,\"tid\":{tid},\"worker\":0,\"tasks\":1,\"start_ns\":{},\"end_ns\":{}}}\n",
            start_ms * 1_000_000,
            end_ms * 1_000_000
        )
    };
    let threads = dir.path().join("threads.jsonl");
    std::fs::write(&threads, span(0, 42, 0, 400) + &span(1, 43, 0, 400)).unwrap();
    let alone = dir.path().join("alone.jsonl");
    std::fs::write(&alone, span(0, 41, 0, 200) + &span(1, 41, 200, 400)).unwrap();
    let (code, out, err) = timeline(&["--axis", "2", alone.to_str().unwrap(), threads.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("alone  (2 tasks, wall 400.0 ms)") && out.contains("threads  (2 tasks"), "{out}");
    assert!(out.contains("thread 42") && out.contains("thread 43"), "{out}");
    // Both on the 2-second axis asked for, though each run took 0.4 s.
    assert_eq!(out.matches("2.0 s").count(), 2, "{out}");
    assert!(out.contains("average parallelism 2.00x"), "{out}");
    assert!(!out.contains("(parent)"), "no process of the checker ran these: {out}");
}

#[test]
fn like_takes_the_axis_and_the_name_column_of_a_picture() {
    let dir = tempfile::tempdir().unwrap();
    let line = |tid, end_ms: u64| {
        format!(
            "{{\"index\":0,\"pid\":41,\"tid\":{tid},\"worker\":0,\"start_ns\":0,\"end_ns\":{}}}\n",
            end_ms * 1_000_000
        )
    };
    let long = dir.path().join("long.jsonl");
    std::fs::write(&long, line(41, 3_000)).unwrap();
    let short = dir.path().join("short.jsonl");
    std::fs::write(&short, line(42, 500) + &line(4_200_000, 500)).unwrap();
    let svgs = dir.path().join("svg");
    let out = Command::new(env!("CARGO_BIN_EXE_checker"))
        .args(["timeline", long.to_str().unwrap()])
        .env("PARLAB_SVG_DIR", &svgs)
        .output()
        .unwrap();
    assert!(out.status.success());
    let picture = svgs.join("long.svg");
    let (code, out, err) = timeline(&["--like", picture.to_str().unwrap(), short.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(" 3 s") && out.contains("wall 500.0 ms"), "a 0.5 s run on the 3 s axis of the picture: {out}");
    let (code, _, err) = timeline(&["--like", long.to_str().unwrap(), short.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("does not say its axis"), "{err}");
}

#[test]
fn a_missing_or_empty_trace_file_says_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.jsonl");
    let (code, _, err) = timeline(&[missing.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("cannot read") && err.contains("nope.jsonl"), "{err}");
    let empty = dir.path().join("empty.jsonl");
    std::fs::write(&empty, "not a span\n").unwrap();
    let (code, _, err) = timeline(&[empty.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("holds no span") && err.contains("one JSON object per line"), "{err}");
}

#[test]
fn a_run_that_says_when_it_began_shows_the_time_before_its_first_task() {
    let dir = tempfile::tempdir().unwrap();
    let pool = dir.path().join("pool.jsonl");
    let span =
        "{\"index\":0,\"pid\":41,\"tid\":41,\"worker\":0,\"tasks\":1,\"start_ns\":300000000,\"end_ns\":500000000}";
    std::fs::write(&pool, format!("{{\"run_start_ns\":0}}\n{span}\n{{\"run_end_ns\":600000000}}\n")).unwrap();
    let (code, out, err) = timeline(&[pool.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // The run's 0.6 s, not the task's 0.2 s: workers started before it ran.
    assert!(out.contains("pool  (1 tasks, wall 600.0 ms)"), "{out}");
    assert!(out.contains("pool: 300.0 ms before the first task, 100.0 ms after the last"), "{out}");
}
