//! One number, one step: chapter NN, example NN and exercise NN belong together.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn stems(dir: &str, ext: Option<&str>) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join(dir))
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| match ext {
            Some(x) => p.extension().is_some_and(|e| e == x),
            None => p.is_dir(),
        })
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .filter(|s| s.len() > 3 && s[..2].bytes().all(|b| b.is_ascii_digit()) && &s[2..3] == "_")
        .collect();
    v.sort();
    v
}

#[test]
fn every_example_has_the_chapter_of_the_same_name() {
    let chapters = stems("book/src", Some("md"));
    let mut examples = stems("crates/parlab/examples", Some("rs"));
    examples.extend(stems("crates/parlab-mpi/examples", Some("rs")));
    for example in examples {
        assert!(chapters.contains(&example), "example {example}.rs has no chapter book/src/{example}.md");
    }
}

#[test]
fn every_exercise_has_a_chapter_with_its_number() {
    let chapters = stems("book/src", Some("md"));
    for exercise in stems("exercises", None) {
        assert!(
            chapters.iter().any(|c| c[..2] == exercise[..2]),
            "exercise {exercise} has no chapter numbered {}",
            &exercise[..2]
        );
        let solution = root().join("solutions").join(&exercise).join("src/main.rs");
        assert!(solution.is_file(), "exercise {exercise} has no solution at {}", solution.display());
    }
}

#[test]
fn the_chapter_each_exercise_names_exists() {
    for exercise in stems("exercises", None) {
        // The solution, not the learner's copy: the header is the same in both.
        let src = std::fs::read_to_string(root().join("solutions").join(&exercise).join("src/main.rs")).unwrap();
        let chapter =
            src.split("Chapter: ").nth(1).and_then(|s| s.split_whitespace().next()).expect("names its chapter");
        assert!(root().join(chapter).is_file(), "exercise {exercise} names {chapter}, which does not exist");
        assert!(chapter.contains(&exercise[..3]), "exercise {exercise} names a chapter of another number: {chapter}");
    }
}

#[test]
fn the_chapters_are_numbered_without_gaps() {
    let numbers: Vec<u32> = stems("book/src", Some("md")).iter().map(|s| s[..2].parse().unwrap()).collect();
    let expected: Vec<u32> = (0..numbers.len() as u32).collect();
    assert_eq!(numbers, expected, "chapters 00, 01, 02, ... without gaps or doubles");
}
