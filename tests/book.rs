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
    // PARLAB_BOOK_OUT keeps the built book there, to look at in a browser.
    let keep = std::env::var_os("PARLAB_BOOK_OUT").map(PathBuf::from);
    let out = keep.clone().unwrap_or_else(|| std::env::temp_dir().join(format!("parlab-book-{}", std::process::id())));
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
    if keep.is_none() {
        std::fs::remove_dir_all(&out).ok();
    }
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

/// The lines a `{{#include}}` shows: the anchored part only, without the
/// anchor lines mdBook strips.
fn shown_lines(file: &str, anchor: Option<&str>) -> Vec<String> {
    let lines: Vec<&str> = file.lines().collect();
    let part: Vec<&str> = match anchor {
        Some(a) => {
            let start = lines.iter().position(|l| l.contains(&format!("ANCHOR: {a}"))).map_or(0, |i| i + 1);
            let end = lines.iter().position(|l| l.contains(&format!("ANCHOR_END: {a}"))).unwrap_or(lines.len());
            lines[start..end].to_vec()
        }
        None => lines,
    };
    part.into_iter().filter(|l| !l.contains("ANCHOR")).map(str::to_string).collect()
}

/// Code and output shown in a code block fit a phone's screen turned
/// sideways and a laptop's without a scroll bar: 90 columns at most.
#[test]
fn every_shown_code_and_output_line_fits_90_columns() {
    let src = book().join("src");
    let mut long = Vec::new();
    for (name, text) in chapters() {
        for (_, body) in code_blocks(&text) {
            for (path, anchor) in includes(&body) {
                let file = std::fs::read_to_string(src.join(&path)).unwrap_or_else(|e| panic!("{name}: {path}: {e}"));
                for line in shown_lines(&file, anchor.as_deref()) {
                    if line.chars().count() > 90 {
                        long.push(format!("{name} shows {path}: {} columns: {line}", line.chars().count()));
                    }
                }
            }
        }
    }
    assert!(long.is_empty(), "lines over 90 columns:\n{}", long.join("\n"));
}

/// The ticks of a timeline SVG, left to right: where each is drawn, and its label.
fn tick_labels(svg: &str) -> Vec<String> {
    svg.lines()
        .filter(|l| l.starts_with("<line class=\"parlab-grid\""))
        .filter_map(|l| {
            let x = l.split("x1=\"").nth(1)?.split('"').next()?;
            let label = l.split("text-anchor=\"middle\">").nth(1)?.trim_end_matches("</text>");
            Some(format!("{label} at x = {x}"))
        })
        .collect()
}

/// Every timeline picture is shown (inline, so that it takes the theme's
/// colours), scales with the page, and pictures of one example, which the
/// text compares, share one time axis.
#[test]
fn pictures_are_shown_inline_themed_and_compared_on_one_axis() {
    let img = book().join("src/img");
    let all_text: String = chapters().into_iter().map(|(_, t)| t).collect();
    let mut by_example: std::collections::BTreeMap<String, Vec<(String, Vec<String>)>> = Default::default();
    for entry in std::fs::read_dir(&img).unwrap().filter_map(Result::ok) {
        let file = entry.file_name().to_string_lossy().into_owned();
        if !file.ends_with(".svg") {
            continue;
        }
        let svg = std::fs::read_to_string(entry.path()).unwrap();
        assert!(
            all_text.contains(&format!("{{{{#include img/{file}}}}}")),
            "{file} is not shown inline by any chapter"
        );
        assert!(svg.contains("width=\"100%\"") && svg.contains("var(--fg"), "{file}: not scaled or not themed");
        assert!(!svg.contains("\n\n"), "{file} has a blank line, which would end Markdown's HTML block");
        let ticks = tick_labels(&svg);
        assert!(ticks.len() >= 2, "{file} has no time axis");
        by_example.entry(file[..2].to_string()).or_default().push((file, ticks));
    }
    for (number, pictures) in by_example {
        let (first, axis) = &pictures[0];
        for (file, ticks) in &pictures[1..] {
            assert_eq!(ticks, axis, "chapter {number}: {file} and {first} are compared but drawn on different axes");
        }
    }
}

/// Prose without its code blocks, includes and web links: the words a reader
/// reads as the book's own claims.
fn prose(md: &str) -> String {
    let mut out = String::new();
    let mut in_code = false;
    for line in md.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code && !line.contains("{{#include") {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// Measured quantities in a text: a number with a unit of time, a ratio
/// ("1.84x") or a share ("60%"), as (number, unit).
fn measured_quantities(text: &str) -> Vec<(String, &'static str)> {
    let chars: Vec<char> = text.chars().collect();
    let word = |c: char| c.is_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit() && (i == 0 || !(word(chars[i - 1]) || chars[i - 1] == '.'));
        if !starts {
            i += 1;
            continue;
        }
        // Digits, with commas only where they separate thousands ("08, 10"
        // is two numbers; "1,728,608" one).
        let mut j = i;
        while j < chars.len() && chars[j].is_ascii_digit() {
            j += 1;
        }
        while j + 3 < chars.len() + 1
            && chars.get(j) == Some(&',')
            && chars.get(j + 1..j + 4).is_some_and(|d| d.iter().all(char::is_ascii_digit))
            && chars.get(j + 4).is_none_or(|c| !c.is_ascii_digit())
        {
            j += 4;
        }
        if j + 1 < chars.len() && chars[j] == '.' && chars[j + 1].is_ascii_digit() {
            j += 1;
            while j < chars.len() && chars[j].is_ascii_digit() {
                j += 1;
            }
        }
        let number: String = chars[i..j].iter().collect();
        let after = if chars.get(j) == Some(&' ') { j + 1 } else { j };
        let unit = ["ms", "µs", "s", "x", "%"].into_iter().find(|u| {
            let u: Vec<char> = u.chars().collect();
            chars.get(after..after + u.len()) == Some(&u[..]) && chars.get(after + u.len()).is_none_or(|&c| !word(c))
        });
        // A bare number is a measurement too when it is large and written
        // with separators ("1,728,608"), or has three decimals ("0.027").
        let precise = number.contains(',') || number.split('.').nth(1).is_some_and(|d| d.len() >= 3);
        let bare = chars.get(j).is_none_or(|&c| !word(c));
        if let Some(unit) = unit {
            found.push((number, unit));
        } else if precise && bare {
            found.push((number, ""));
        }
        i = j.max(i + 1);
    }
    found
}

#[test]
fn measured_quantities_are_found_as_written() {
    let got = measured_quantities(
        "took 0.840 s (1.84x), 197 µs, 60% busy; 2 CPUs, v3.12, 10.5ms, 1,728,608 a second, 0.027.",
    );
    let got: Vec<String> = got.into_iter().map(|(n, u)| format!("{n} {u}").trim_end().to_string()).collect();
    assert_eq!(got, ["0.840 s", "1.84 x", "197 µs", "60 %", "10.5 ms", "1,728,608", "0.027"]);
}

/// Every time, ratio or share the prose quotes is one a committed run
/// printed: an example's output, a Python twin's output or the benchmark's
/// table. A number that is a setting, not a measurement ("tasks sleep
/// 1 s"), is listed here with the reason.
#[test]
fn every_number_in_the_prose_comes_from_a_committed_run() {
    let src = book().join("src");
    let mut sources = String::new();
    for dir in [src.join("output"), book().join("python/output"), src.join("measured")] {
        for entry in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
            if entry.path().extension().is_some_and(|e| e == "txt" || e == "md") {
                sources.push_str(&std::fs::read_to_string(entry.path()).unwrap());
                sources.push('\n');
            }
        }
    }
    // Settings and arithmetic, not measurements.
    let settings: &[(&str, &str)] = &[
        ("00_introduction.md", "100 ms"),
        ("07_cpu_vs_io.md", "300,000"),
        ("08_costs.md", "12,500"),
        ("08_costs.md", "4,000,000"),
        ("08_costs.md", "300,000"),
        ("08_costs.md", "10,000,000"),
    ];
    let mut unsourced = Vec::new();
    for (name, text) in chapters() {
        for (number, unit) in measured_quantities(&prose(&text)) {
            let (joined, spaced) = (format!("{number}{unit}"), format!("{number} {unit}").trim_end().to_string());
            let found = sources.contains(&joined) || sources.contains(&spaced);
            if !found && !settings.iter().any(|&(n, q)| n == name && (q == joined || q == spaced)) {
                unsourced.push(format!("{name}: {spaced}"));
            }
        }
    }
    assert!(
        unsourced.is_empty(),
        "numbers no committed output holds (regenerate, then quote):\n{}",
        unsourced.join("\n")
    );
}

/// Chapter 13's Python twin runs as the chapter says, on two MPI ranks with
/// mpi4py: the results come back in rank order from `gather` and as they
/// came from `recv`, and each step leaves one span per rank, each in a
/// process of its own. Where mpiexec or mpi4py is missing it says so and
/// checks nothing, except where the tests must run MPI (`PARLAB_REQUIRE_MPI`,
/// as CI sets it, with mpi4py from PyPI).
#[test]
fn the_mpi4py_twin_runs_on_two_ranks() {
    let required = std::env::var_os("PARLAB_REQUIRE_MPI").is_some();
    let mpi4py = std::process::Command::new("python3").args(["-c", "import mpi4py"]).output();
    let mpiexec = std::process::Command::new("mpiexec").arg("--version").output();
    if !(mpi4py.is_ok_and(|o| o.status.success()) && mpiexec.is_ok_and(|o| o.status.success())) {
        assert!(!required, "PARLAB_REQUIRE_MPI is set, but mpiexec or Python's mpi4py is missing");
        eprintln!("mpiexec or mpi4py (pip install mpi4py) is missing: chapter 13's Python twin is not run here");
        return;
    }
    let out_dir = std::env::temp_dir().join(format!("parlab-13-python-{}", std::process::id()));
    let mut command = std::process::Command::new("mpiexec");
    if nix::unistd::geteuid().is_root() {
        command.arg("--allow-run-as-root");
    }
    let out = command
        .args(["-np", "2", "--bind-to", "none", "--oversubscribe", "python3"])
        .arg(book().join("python/13_mpi.py"))
        .arg(&out_dir)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("gathered [1.0, 0.75]: in rank order"), "{text}");
    assert!(text.contains("received as they came (rank, slept): [(1, 0.75), (0, 1.0)]"), "{text}");
    assert!(text.contains("primes below 500000: rank 0 alone 41538 in"), "{text}");
    for step in ["every-rank", "results", "primes"] {
        let trace = std::fs::read_to_string(out_dir.join(format!("13-python-{step}.jsonl"))).unwrap();
        let pids: std::collections::BTreeSet<&str> =
            trace.lines().map(|l| l.split("\"pid\": ").nth(1).unwrap().split(',').next().unwrap()).collect();
        assert_eq!((trace.lines().count(), pids.len()), (2, 2), "{step}: {trace}");
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// rsmpi's calls that chapter 13 may show, by the name code calls them.
const RSMPI_CALLS: &[&str] = &[
    "initialize",
    "initialize_with_threading",
    "world",
    "rank",
    "size",
    "process_at_rank",
    "any_process",
    "this_process",
    "barrier",
    "gather_into",
    "gather_into_root",
    "all_gather_into",
    "scatter_into",
    "scatter_into_root",
    "broadcast_into",
    "reduce_into",
    "reduce_into_root",
    "all_reduce_into",
    "send",
    "send_with_tag",
    "buffered_send",
    "synchronous_send",
    "immediate_send",
    "receive",
    "receive_with_tag",
    "receive_into",
    "receive_into_with_tag",
    "receive_vec",
    "immediate_receive",
    "probe",
    "probe_with_tag",
    "immediate_probe",
    "immediate_probe_with_tag",
    "matched_probe",
    "source_rank",
    "library_version",
];

/// Where chapter 13's code first calls one of rsmpi's calls, the prose of
/// that section names it (in backticks): no call is shown unexplained.
#[test]
fn every_rsmpi_call_is_explained_where_chapter_13_first_shows_it() {
    let chapter = std::fs::read_to_string(book().join("src/13_mpi.md")).unwrap();
    let mut explained_before: Vec<&str> = Vec::new();
    let mut missing = Vec::new();
    for section in chapter.split("\n## ") {
        let mut shown = String::new();
        for (path, anchor) in includes(section).into_iter().filter(|(p, _)| p.ends_with(".rs")) {
            let file = std::fs::read_to_string(book().join("src").join(&path)).unwrap();
            shown.push_str(&shown_lines(&file, anchor.as_deref()).join("\n"));
        }
        // The prose: the section without its fenced blocks, its `spans` only.
        let mut prose = String::new();
        let mut fenced = false;
        for line in section.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
            } else if !fenced {
                prose.push_str(line);
                prose.push('\n');
            }
        }
        let spans: Vec<&str> = prose.split('`').skip(1).step_by(2).collect();
        let named = |call: &str| {
            spans.iter().any(|s| s.split(|c: char| !(c.is_alphanumeric() || c == '_')).any(|word| word == call))
        };
        for &call in RSMPI_CALLS {
            let called = [format!(".{call}("), format!("::{call}("), format!(".{call}::<")];
            if called.iter().any(|c| shown.contains(c.as_str())) && !explained_before.contains(&call) {
                if named(call) {
                    explained_before.push(call);
                } else {
                    missing.push(format!("{call} (first shown in \"{}\")", section.lines().next().unwrap_or("")));
                }
            }
        }
    }
    assert!(missing.is_empty(), "chapter 13 shows rsmpi calls its prose does not name there: {missing:?}");
}
