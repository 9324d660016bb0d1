//! What each command does, once the course is found: verify (and watch),
//! the learner's status, the list, hints, reset, and the hidden starters.

use crate::cli::InconclusiveAs;
use crate::course::{chapter_of, current, invocation};
use crate::manifest::{Exercise, Manifest};
use crate::progress::Progress;
use crate::starters;
use crate::verdict::{FORMAT_VERSION, Status, Verdict};
use crate::verify;
use serde_json::json;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Which exercises `verify` grades.
#[derive(Clone, Copy)]
pub enum Which<'a> {
    One(&'a str),
    /// In course order, stopping at the first not passed (a learner's way).
    UpToFirstNotDone,
    /// Every one, each graded whatever the others gave (a classroom's way).
    Every,
}

/// Verifies the exercises `which` names; returns the exit code. Under
/// `--json` every exercise is graded: a pass remembered in the repository is
/// the learner's convenience, never a classroom's evidence.
pub fn verify(
    manifest: &Manifest,
    which: Which,
    opts: &verify::Options,
    json: bool,
    inconclusive_as: InconclusiveAs,
) -> i32 {
    let mut progress = Progress::load(&opts.dir);
    let chosen: Vec<&Exercise> = match which {
        Which::One(name) => match manifest.find(name) {
            Ok(e) => vec![e],
            Err(e) => return usage_error(json, &e),
        },
        _ => manifest.exercises.iter().collect(),
    };
    let in_order = matches!(which, Which::UpToFirstNotDone);
    let mut passed = 0;
    let mut code = 0;
    for ex in &chosen {
        let v = if in_order && !json && progress.passed_unchanged(&opts.dir, &ex.name) {
            Verdict::skipped(&ex.name)
        } else {
            let mut v = verify::verify(ex, opts);
            verify::clear_status_line(opts);
            progress.record(&opts.dir, &ex.name, v.verdict == Status::Passed);
            v.next = Some(next_step(manifest, opts, ex, &v));
            v
        };
        if json {
            println!("{}", v.json());
        } else if v.skipped {
            println!("passed before, unchanged: {}", ex.name);
        } else {
            let _ = write!(anstream::stdout(), "{}", v.text());
        }
        let this = exit_code(v.verdict, inconclusive_as);
        if v.verdict == Status::Passed {
            passed += 1;
        } else if v.verdict == Status::Skipped && !matches!(which, Which::One(_)) {
            // A tool is missing for this one: the others can still be graded.
            code = worst(code, this);
        } else if in_order {
            code = this;
            break;
        } else {
            code = worst(code, this);
        }
    }
    if !matches!(which, Which::One(_)) && !json {
        let next = match current(manifest, &opts.dir, &progress) {
            Some(e) => format!("next: `{} verify {}` ({})", invocation(), e.number(), e.title),
            None => "every exercise passed: well done".to_string(),
        };
        println!("{passed} of {} exercises passed; {next}", manifest.exercises.len());
    }
    code
}

/// Of two exit codes, the one that says more is wrong: a failure (1), then
/// an inconclusive verdict (3), then a skipped one (4), then a pass (0).
fn worst(a: i32, b: i32) -> i32 {
    let rank = |c: i32| match c {
        1 => 3,
        3 => 2,
        4 => 1,
        _ => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

/// The exit code of a verdict, an inconclusive one counted as asked.
pub fn exit_code(status: Status, inconclusive_as: InconclusiveAs) -> i32 {
    match (status, inconclusive_as) {
        (Status::Inconclusive, InconclusiveAs::Pass) => 0,
        (Status::Inconclusive, InconclusiveAs::Fail) => 1,
        _ => status.exit_code(),
    }
}

/// What to do after this verdict, in the form the learner runs the checker.
fn next_step(manifest: &Manifest, opts: &verify::Options, ex: &Exercise, v: &Verdict) -> String {
    let (me, dir) = (invocation(), opts.dir.as_path());
    // The same grading again: on the same hosts, where there were several.
    let hosts = opts.hosts.as_ref().map(|h| format!(" --hosts {}", h.display())).unwrap_or_default();
    let following = manifest.exercises.iter().skip_while(|e| e.name != ex.name).nth(1);
    match (v.verdict, following) {
        (Status::Passed, Some(n)) => {
            format!("`{me} verify {}`: {}, in {}", n.number(), n.title, chapter_of(dir, &n.name))
        }
        (Status::Passed, None) => "that was the last exercise: well done".into(),
        (Status::Inconclusive, _) => {
            format!("run `{me} verify {} --seed {}{hosts}` again when the machine is quieter", ex.number(), v.seed)
        }
        (Status::Skipped, _) => format!("install what is missing, then `{me} verify {}`", ex.number()),
        _ => format!("read {}, or `{me} hint {}`", chapter_of(dir, &ex.name), ex.number()),
    }
}

/// A usage error: said on stderr, or as a JSON object under `--json`; exit code 2.
pub fn usage_error(json: bool, message: &str) -> i32 {
    if json {
        println!("{}", json!({"format_version": FORMAT_VERSION, "error": message}));
    } else {
        let _ = writeln!(anstream::stderr(), "checker: {message}");
    }
    2
}

/// Where each exercise stands: (exercise, "passed" | "changed" | "to_do").
fn statuses<'m>(manifest: &'m Manifest, dir: &Path, progress: &Progress) -> Vec<(&'m Exercise, &'static str)> {
    manifest
        .exercises
        .iter()
        .map(|e| {
            let s = if progress.passed_unchanged(dir, &e.name) {
                "passed"
            } else if progress.is_passed(&e.name) {
                "changed"
            } else {
                "to_do"
            };
            (e, s)
        })
        .collect()
}

/// `checker list`.
pub fn list(manifest: &Manifest, dir: &Path, json: bool) -> i32 {
    let progress = Progress::load(dir);
    let rows = statuses(manifest, dir, &progress);
    if json {
        let exercises: Vec<_> =
            rows.iter().map(|(e, s)| json!({"exercise": e.name, "title": e.title, "status": s})).collect();
        let next = current(manifest, dir, &progress).map(|e| e.name.clone());
        println!("{}", json!({"format_version": FORMAT_VERSION, "exercises": exercises, "current": next}));
        return 0;
    }
    let mut out = anstream::stdout();
    for (e, s) in rows {
        let mark = match s {
            "passed" => "passed",
            "changed" => "passed, changed since",
            _ => "to do",
        };
        let _ = writeln!(out, "{:<22} {:<32} {mark}", e.name, e.title);
    }
    0
}

/// A bare `checker`: where the learner stands and what to do next.
pub fn status(manifest: &Manifest, dir: &Path, json: bool) -> i32 {
    if json {
        return list(manifest, dir, true);
    }
    let progress = Progress::load(dir);
    let rows = statuses(manifest, dir, &progress);
    let passed = rows.iter().filter(|(_, s)| *s == "passed").count();
    println!("parlab exercises in {}: {passed} of {} passed", dir.display(), rows.len());
    list(manifest, dir, false);
    let me = invocation();
    match current(manifest, dir, &progress) {
        Some(e) => {
            println!("\nNext: {} ({}), in {}", e.name, e.title, dir.join(&e.name).join("src/main.rs").display());
            println!("  read   {}", chapter_of(dir, &e.name));
            println!("  check  {me} verify {}", e.number());
            println!("  stuck  {me} hint {}", e.number());
        }
        None => println!("\nEvery exercise passed: well done."),
    }
    0
}

/// `checker hint [EXERCISE] [--code]`.
pub fn hint(manifest: &Manifest, dir: &Path, exercise: Option<&str>, code: bool) -> Result<i32, String> {
    let progress = Progress::load(dir);
    let e = match exercise {
        Some(name) => manifest.find(name)?,
        None => current(manifest, dir, &progress).unwrap_or(&manifest.exercises[manifest.exercises.len() - 1]),
    };
    println!("{} ({}):\n{}", e.name, e.title, e.hint.trim());
    if code {
        println!("\nThe key lines:\n");
        for line in e.hint_code.trim().lines() {
            println!("    {line}");
        }
    } else {
        println!("\nStill stuck? `{} hint {} --code` shows the key lines.", invocation(), e.number());
    }
    println!("Chapter: {}", chapter_of(dir, &e.name));
    Ok(0)
}

/// `checker reset EXERCISE`: restores the starter (derived from the embedded
/// solution), keeping the learner's file as `main.rs.N.bak` when it differs.
pub fn reset(manifest: &Manifest, dir: &Path, exercise: &str) -> Result<i32, String> {
    let name = &manifest.find(exercise)?.name;
    let file = dir.join(name).join("src/main.rs");
    let starter = starters::starter(name)?;
    let mut backup: Option<PathBuf> = None;
    if let Ok(current) = std::fs::read_to_string(&file)
        && current != starter
    {
        let path =
            (1..).map(|n| file.with_extension(format!("rs.{n}.bak"))).find(|p| !p.exists()).expect("a free name");
        std::fs::write(&path, current).map_err(|e| format!("cannot keep your code in {}: {e}", path.display()))?;
        backup = Some(path);
    }
    std::fs::create_dir_all(file.parent().expect("a parent")).map_err(|e| e.to_string())?;
    std::fs::write(&file, starter).map_err(|e| format!("cannot write {}: {e}", file.display()))?;
    println!("{name}: starter code restored in {}", file.display());
    if let Some(b) = backup {
        println!("your code was kept in {}", b.display());
    }
    Ok(0)
}

/// The hidden `starters` command: lays out pristine starters (for tests), or
/// checks that the exercises folder holds them (for CI, on a fresh clone).
pub fn starters(dir: &Path, manifest: &Manifest, write: Option<&Path>, check: bool) -> Result<i32, String> {
    let mut differ = Vec::new();
    for e in &manifest.exercises {
        let starter = starters::starter(&e.name)?;
        if let Some(out) = write {
            let file = out.join(&e.name).join("src/main.rs");
            std::fs::create_dir_all(file.parent().expect("a parent"))
                .and_then(|_| std::fs::write(&file, &starter))
                .map_err(|err| format!("cannot write {}: {err}", file.display()))?;
        }
        if check && std::fs::read_to_string(dir.join(&e.name).join("src/main.rs")).ok().as_deref() != Some(&*starter) {
            differ.push(e.name.clone());
        }
    }
    if !differ.is_empty() {
        return Err(format!(
            "these starters differ from their solutions' (checker reset fixes them): {}",
            differ.join(", ")
        ));
    }
    Ok(0)
}

/// `checker timeline FILE...`: each trace file drawn as one timeline, all on
/// one time axis (and saved as SVG where `PARLAB_SVG_DIR` says).
pub fn timeline(files: &[std::path::PathBuf], axis_secs: f64, name_chars: usize) -> Result<i32, String> {
    let mut traces = Vec::new();
    for file in files {
        let spans = parlab::trace_file::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        if spans.is_empty() {
            return Err(format!(
                "{} holds no span: a trace file has one JSON object per line, as the engine or \
                 book/python/parlab_trace.py writes them",
                file.display()
            ));
        }
        let title = file.file_stem().map_or_else(|| file.display().to_string(), |s| s.to_string_lossy().into_owned());
        // Spans read back from a file: no process here is the parent of theirs.
        let mut trace = parlab::Trace { parent_pid: 0, ..parlab::Trace::from_spans(title, spans) };
        let (first, last) = (trace.start_ns, trace.end_ns);
        let (start, end) = run_bounds(file);
        trace.start_ns = start.map_or(trace.start_ns, |s| s.min(trace.start_ns));
        trace.end_ns = end.map_or(trace.end_ns, |e| e.max(trace.end_ns));
        let ends = (start.is_some() || end.is_some()).then(|| {
            let human = |ns: u64| parlab::timeline::human(ns as f64 / 1e9);
            format!(
                "{}: {} before the first task, {} after the last",
                trace.title,
                human(first - trace.start_ns),
                human(trace.end_ns - last)
            )
        });
        traces.push((trace, ends));
    }
    parlab::timeline::print_on_axis(&traces.iter().map(|(t, _)| t).collect::<Vec<_>>(), axis_secs, name_chars);
    // What a run spent before its first task and after its last (starting
    // and stopping processes), where its file says when it began and ended.
    for ends in traces.iter().filter_map(|(_, e)| e.as_ref()) {
        println!("{ends}");
    }
    Ok(0)
}

/// Where a trace file says its run began and ended (`{"run_start_ns": N}`
/// and `{"run_end_ns": N}` lines, as book/python/parlab_trace.py writes
/// them), so that the time before the first task (starting a pool's
/// workers) and after the last shows as the engine's own runs show it.
fn run_bounds(file: &std::path::Path) -> (Option<u64>, Option<u64>) {
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let lines: Vec<serde_json::Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    let find = |key: &str| lines.iter().find_map(|v| v[key].as_u64());
    (find("run_start_ns"), find("run_end_ns"))
}

/// The axis (seconds) and the room for lane names of a timeline the engine
/// drew as SVG, which it keeps in the picture.
pub fn axis_of(svg: &std::path::Path) -> Result<(f64, usize), String> {
    let text = std::fs::read_to_string(svg).map_err(|e| format!("cannot read {}: {e}", svg.display()))?;
    let attribute = |name: &str| -> Option<u64> {
        let rest = text.split(&format!(" {name}=\"")).nth(1)?;
        rest.split('"').next()?.parse().ok()
    };
    match (attribute("data-axis-ns"), attribute("data-name-chars")) {
        (Some(axis_ns), Some(names)) => Ok((axis_ns as f64 / 1e9, names as usize)),
        _ => Err(format!(
            "{} does not say its axis (drawn by an older parlab?): give --axis and --names instead",
            svg.display()
        )),
    }
}
