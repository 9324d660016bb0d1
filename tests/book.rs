//! The book builds with mdBook's own library, and everything it shows is real:
//! every Rust block comes from a file of the workspace, every include and
//! anchor exists, every link and picture resolves, every chapter is listed.

use std::path::{Path, PathBuf};

fn book() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../book")
}

fn chapters() -> Vec<(String, String)> {
    let src = book().join("src");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&src)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".md"))
        .map(|n| {
            let text = std::fs::read_to_string(src.join(&n)).unwrap();
            (n, text)
        })
        .collect();
    out.sort();
    out
}

/// Fenced code blocks: (info string, body).
fn code_blocks(md: &str) -> Vec<(String, String)> {
    let mut blocks = Vec::new();
    let mut lines = md.lines();
    while let Some(line) = lines.next() {
        if let Some(info) = line.trim_start().strip_prefix("```") {
            let body: Vec<&str> = lines.by_ref().take_while(|l| !l.trim_start().starts_with("```")).collect();
            blocks.push((info.trim().to_string(), body.join("\n")));
        }
    }
    blocks
}

/// `{{#include PATH[:ANCHOR]}}` directives.
fn includes(md: &str) -> Vec<(String, Option<String>)> {
    md.match_indices("{{#include ")
        .map(|(at, _)| {
            let rest = &md[at + "{{#include ".len()..];
            let inner = &rest[..rest.find("}}").expect("closed include")];
            match inner.split_once(':') {
                Some((path, anchor)) => (path.trim().to_string(), Some(anchor.trim().to_string())),
                None => (inner.trim().to_string(), None),
            }
        })
        .collect()
}

/// Targets of Markdown links and images that are not web addresses.
fn local_links(md: &str) -> Vec<String> {
    md.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &md[at + 2..];
            let target = &rest[..rest.find(')')?];
            (!target.starts_with("http") && !target.starts_with('#'))
                .then(|| target.split('#').next().unwrap().to_string())
        })
        .collect()
}

#[test]
fn no_rust_code_is_typed_into_the_markdown() {
    for (name, text) in chapters() {
        for (info, body) in code_blocks(&text) {
            if info.starts_with("rust") {
                let typed: Vec<&str> =
                    body.lines().filter(|l| !l.trim().is_empty() && !l.trim().starts_with("{{#include")).collect();
                assert!(
                    typed.is_empty(),
                    "{name}: a Rust block holds typed code instead of an {{{{#include}}}}: {typed:?}"
                );
                assert!(
                    info.contains("noplayground"),
                    "{name}: a Rust block needs `rust,noplayground` (it cannot run on the playground)"
                );
            }
        }
    }
}

#[test]
fn every_include_and_anchor_exists() {
    let src = book().join("src");
    for (name, text) in chapters() {
        for (path, anchor) in includes(&text) {
            let file = src.join(&path);
            let content = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{name}: include {path}: {e}"));
            if let Some(anchor) = anchor {
                assert!(
                    content.contains(&format!("ANCHOR: {anchor}"))
                        && content.contains(&format!("ANCHOR_END: {anchor}")),
                    "{name}: {path} has no anchor '{anchor}'"
                );
            }
        }
    }
}

#[test]
fn every_link_and_picture_resolves() {
    let src = book().join("src");
    for (name, text) in chapters() {
        for target in local_links(&text) {
            assert!(src.join(&target).exists(), "{name}: broken link or picture: {target}");
        }
    }
}

#[test]
fn every_chapter_is_in_the_summary_and_every_summary_entry_exists() {
    let summary = std::fs::read_to_string(book().join("src/SUMMARY.md")).unwrap();
    let listed = local_links(&summary);
    for (name, _) in chapters() {
        if name != "SUMMARY.md" {
            assert!(listed.contains(&name), "{name} is missing from SUMMARY.md");
        }
    }
    for entry in listed {
        assert!(book().join("src").join(&entry).is_file(), "SUMMARY.md lists {entry}, which does not exist");
    }
}

#[test]
fn every_chapter_shows_real_output_and_ends_with_its_exercise_when_it_has_one() {
    let exercises = std::fs::read_to_string(book().join("../exercises/manifest.toml")).unwrap();
    for (name, text) in chapters() {
        let Some(number) = name.get(..2).filter(|n| n.bytes().all(|b| b.is_ascii_digit())) else { continue };
        if number == "00" {
            continue;
        }
        assert!(text.contains("{{#include output/"), "{name} shows no output of a real run");
        let exercise = exercises.lines().find_map(|l| {
            l.strip_prefix("name = \"").filter(|n| n.starts_with(number)).map(|n| n.trim_end_matches('"'))
        });
        if let Some(exercise) = exercise {
            assert!(
                text.contains(&format!("checker -- verify {exercise}")),
                "{name} does not end with `checker verify {exercise}`"
            );
        }
    }
}

#[test]
fn the_book_builds_with_mdbook() {
    let out = std::env::temp_dir().join(format!("parlab-book-{}", std::process::id()));
    let mut md = mdbook_driver::MDBook::load(book()).expect("book.toml and SUMMARY.md load");
    md.config.build.build_dir = out.clone();
    md.build().expect("the book builds");
    let built: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        built.iter().any(|f| f.starts_with("searchindex") && f.ends_with(".js")),
        "the build has no search index: {built:?}"
    );
    for page in ["index.html", "01_sequential.html", "10_isolation.html"] {
        assert!(out.join(page).is_file(), "the build has no {page}");
    }
    let html = std::fs::read_to_string(out.join("03_two_processes.html")).unwrap();
    assert!(html.contains("Process::start"), "the included code is in the page");
    assert!(!html.contains("{{#include"), "an include was left unexpanded");
    std::fs::remove_dir_all(&out).ok();
}

/// The Python twin: every Python block is a complete script under
/// `book/python/`, included whole, with the `__main__` guard (spawn and
/// forkserver import the main module in each child); every script is shown
/// by a chapter; each compiles under the `python3` on PATH, when there is one.
#[test]
fn every_python_block_is_a_script_of_book_python() {
    let python = book().join("python");
    let mut shown = Vec::new();
    for (name, text) in chapters() {
        for (info, body) in code_blocks(&text) {
            if info != "python" {
                continue;
            }
            for line in body.lines().filter(|l| !l.trim().is_empty()) {
                let script = line
                    .trim()
                    .strip_prefix("{{#include ../python/")
                    .and_then(|s| s.strip_suffix("}}"))
                    .unwrap_or_else(|| panic!("{name}: a Python block holds more than an include: {line}"));
                let file = python.join(script);
                let source = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{name}: {script}: {e}"));
                assert!(source.contains("if __name__ == \"__main__\":"), "{script} has no __main__ guard");
                shown.push(script.to_string());
            }
        }
    }
    for entry in std::fs::read_dir(&python).unwrap().filter_map(Result::ok) {
        let file = entry.file_name().to_string_lossy().into_owned();
        if file.ends_with(".py") {
            assert!(shown.contains(&file), "book/python/{file} is shown by no chapter");
        }
    }
    let has_python = std::process::Command::new("python3").arg("--version").output().is_ok_and(|o| o.status.success());
    if has_python {
        for script in &shown {
            let out = std::process::Command::new("python3")
                .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])"])
                .arg(python.join(script))
                .output()
                .unwrap();
            assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
        }
    }
}
