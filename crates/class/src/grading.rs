//! Grading a class: each student in turn, every exercise through the
//! checker, each verdict a row of the gradebook; at the end, the
//! inconclusive verdicts once more (the machine is often quieter by then).

use crate::gradebook::{Grade, Gradebook};
use crate::stage::Stage;
use crate::students::Student;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Instant, SystemTime};

pub struct Class<'a> {
    /// The teacher's course clone: its rules, starters and engine grade.
    pub course: &'a Path,
    pub checker: &'a Path,
    /// The build folder every student shares.
    pub target: &'a Path,
    /// The inputs' seed, the same for every student.
    pub seed: u64,
    /// The exercises to grade ("01" or a name); all if empty.
    pub only: &'a [String],
}

impl Class<'_> {
    /// Grades every student in turn; returns how many could not be graded
    /// (each such exercise has a row `error` with the reason).
    pub fn grade(&self, students: &[Student], book: &Gradebook) -> Result<usize, String> {
        std::fs::create_dir_all(self.target).map_err(|e| format!("cannot make {}: {e}", self.target.display()))?;
        // Outside the build folder: cargo records a source inside the target
        // folder by its path there, so every other workspace sharing that
        // folder would take the stage's build of an exercise for its own.
        let staging = tempfile::Builder::new()
            .prefix("parlab-class-")
            .tempdir()
            .map_err(|e| format!("cannot make a folder to grade in: {e}"))?;
        let names = Stage::new(self.course, &staging.path().join("course"))?.names;
        let wanted = self.wanted(&names)?;
        let version = self.checker_version()?;
        if !nix_is_root() {
            eprintln!(
                "note: graded as you, not as root: each student's program runs as you and could reach the \
                 gradebook, the build folder and the other students' repositories; run as root (the checker then \
                 runs every program as nobody) or in a container to keep students apart"
            );
        }
        eprintln!(
            "grading {} student(s), one after another, with {version} (seed {}), building in {}: the first \
             student builds the engine there, a few minutes the first time",
            students.len(),
            self.seed,
            self.target.display()
        );
        let (mut not_graded, mut unsure) = (0, Vec::new());
        for (i, student) in students.iter().enumerate() {
            let started = Instant::now();
            let at = staging.path().join(format!("student-{i}"));
            let line = match self.grade_student(student, &at, book, &version, &wanted, false) {
                Ok((counts, again)) => {
                    if !again.is_empty() {
                        unsure.push((student, again));
                    }
                    counts.iter().map(|(v, n)| format!("{n} {}", v.replace('_', " "))).collect::<Vec<_>>().join(", ")
                }
                Err(why) => {
                    not_graded += 1;
                    self.record_error(student, book, &version, &wanted, &why)?;
                    format!("not graded: {why}")
                }
            };
            let _ = std::fs::remove_dir_all(&at);
            let (n, secs) = (students.len(), started.elapsed().as_secs_f64());
            eprintln!("[{}/{n}] {}: {} exercise(s) in {secs:.0} s: {line}", i + 1, student.name, wanted.len());
        }
        for (i, (student, exercises)) in unsure.into_iter().enumerate() {
            let at = staging.path().join(format!("again-{i}"));
            let line = match self.grade_student(student, &at, book, &version, &exercises, true) {
                Ok((counts, _)) => {
                    counts.iter().map(|(v, n)| format!("{n} {}", v.replace('_', " "))).collect::<Vec<_>>()
                }
                Err(why) => vec![format!("not graded: {why}")],
            };
            let _ = std::fs::remove_dir_all(&at);
            eprintln!(
                "{}: {} graded again, inconclusive before (a busy machine; the gradebook marks the re-run): {}",
                student.name,
                exercises.join(", "),
                line.join(", ")
            );
        }
        Ok(not_graded)
    }

    /// One student, on a stage of their own (a program graded before could
    /// have left files in a shared one): a row per exercise in `exercises`;
    /// the count of each verdict, and the exercises found inconclusive.
    fn grade_student(
        &self,
        student: &Student,
        at: &Path,
        book: &Gradebook,
        version: &str,
        exercises: &[String],
        rerun: bool,
    ) -> Result<(BTreeMap<String, usize>, Vec<String>), String> {
        let stage = Stage::new(self.course, at)?;
        let hashes = stage.load(self.checker, &student.exercises)?;
        let verdicts = if exercises.len() == stage.names.len() {
            self.verify(&stage, None)?
        } else {
            let mut all = Vec::new();
            for exercise in exercises {
                all.extend(self.verify(&stage, Some(exercise))?);
            }
            all
        };
        let (mut counts, mut again) = (BTreeMap::<String, usize>::new(), Vec::new());
        for v in &verdicts {
            let g = grade(student, v, &hashes, version, rerun)?;
            *counts.entry(g.verdict.clone()).or_default() += 1;
            if g.verdict == "inconclusive" {
                again.push(g.exercise.clone());
            }
            book.add(&g)?;
        }
        // An exercise the checker gave no verdict on (it crashed midway) is
        // said, never left without a row.
        for missing in exercises.iter().filter(|e| !verdicts.iter().any(|v| v["exercise"] == e.as_str())) {
            let why = "the checker gave no verdict on it (see the messages above)";
            book.add(&error_row(student, missing, self.seed, hashes.get(missing), version, why))?;
            *counts.entry("error".into()).or_default() += 1;
        }
        Ok((counts, again))
    }

    /// A row `error` for each exercise of a student who could not be graded.
    fn record_error(
        &self,
        student: &Student,
        book: &Gradebook,
        version: &str,
        exercises: &[String],
        why: &str,
    ) -> Result<(), String> {
        for exercise in exercises {
            book.add(&error_row(student, exercise, self.seed, None, version, why))?;
        }
        Ok(())
    }

    /// The exercises to grade, by their full names: every one, or those
    /// `--only` names ("1", "01" or a full name), checked before any grading.
    fn wanted(&self, names: &[String]) -> Result<Vec<String>, String> {
        if self.only.is_empty() {
            return Ok(names.to_vec());
        }
        self.only
            .iter()
            .map(|o| {
                names
                    .iter()
                    .find(|n| *n == o || n.starts_with(&format!("{o:0>2}_")))
                    .cloned()
                    .ok_or_else(|| format!("--only {o}: no such exercise; the course has {}", names.join(", ")))
            })
            .collect()
    }

    /// `checker verify --all --json` (or one exercise) on the staged work;
    /// one verdict per exercise.
    fn verify(&self, stage: &Stage, exercise: Option<&str>) -> Result<Vec<Value>, String> {
        let mut command = Command::new(self.checker);
        command.arg("--dir").arg(&stage.dir).arg("verify");
        match exercise {
            Some(name) => command.arg(name),
            None => command.arg("--all"),
        };
        let out = command
            .args(["--json", "--seed", &self.seed.to_string()])
            .env("CARGO_TARGET_DIR", self.target)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.checker.display()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let verdicts: Vec<Value> = stdout.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        if let Some(error) = verdicts.iter().find_map(|v| v.get("error")) {
            return Err(format!("the checker: {error}"));
        }
        if verdicts.is_empty() {
            return Err(format!(
                "the checker gave no verdict ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(verdicts)
    }

    fn checker_version(&self) -> Result<String, String> {
        let out = Command::new(self.checker)
            .arg("--version")
            .output()
            .map_err(|e| format!("cannot run {}: {e}", self.checker.display()))?;
        Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
    }
}

/// The gradebook's row for one verdict of the checker's.
fn grade(
    student: &Student,
    v: &Value,
    hashes: &BTreeMap<String, String>,
    version: &str,
    rerun: bool,
) -> Result<Grade, String> {
    let text = |key: &str| v[key].as_str().map(String::from).ok_or_else(|| format!("a verdict without {key}: {v}"));
    let exercise = text("exercise")?;
    let m = &v["measurements"];
    Ok(Grade {
        student: student.name.clone(),
        source_sha256: hashes.get(&exercise).cloned().unwrap_or_default(),
        exercise,
        verdict: text("verdict")?,
        reasons: v["reasons"].to_string(),
        seed: v["seed"].as_u64().unwrap_or_default(),
        speedup: m["speedup"].as_f64(),
        required_speedup: m["required_speedup"].as_f64(),
        learner_cpu_secs: m["learner_cpu_secs"].as_f64(),
        baseline_cpu_secs: m["baseline_cpu_secs"].as_f64(),
        learner_cpus_used: m["learner_cpus_used"].as_f64(),
        others_cpus: m["others_cpus"].as_f64(),
        checker_version: version.to_string(),
        graded_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        rerun,
    })
}

/// The row of an exercise that could not be graded, with why.
fn error_row(student: &Student, exercise: &str, seed: u64, hash: Option<&String>, version: &str, why: &str) -> Grade {
    Grade {
        student: student.name.clone(),
        exercise: exercise.to_string(),
        verdict: "error".into(),
        reasons: serde_json::json!([why]).to_string(),
        seed,
        speedup: None,
        required_speedup: None,
        learner_cpu_secs: None,
        baseline_cpu_secs: None,
        learner_cpus_used: None,
        others_cpus: None,
        checker_version: version.to_string(),
        source_sha256: hash.cloned().unwrap_or_default(),
        graded_at: humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
        rerun: false,
    }
}

/// Whether this process runs as root (then the checker runs every program
/// as an unprivileged user of its own).
fn nix_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find_map(|l| l.strip_prefix("Uid:").map(|u| u.split_whitespace().nth(1) == Some("0"))))
        .unwrap_or(false)
}
