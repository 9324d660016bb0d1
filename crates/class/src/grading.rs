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
    pub fn grade(&self, students: &[Student], book: &Gradebook) -> Result<(), String> {
        std::fs::create_dir_all(self.target).map_err(|e| format!("cannot make {}: {e}", self.target.display()))?;
        // Outside the build folder: cargo records a source inside the target
        // folder by its path there, so every other workspace sharing that
        // folder would take the stage's build of an exercise for its own.
        let staging = tempfile::Builder::new()
            .prefix("parlab-class-")
            .tempdir()
            .map_err(|e| format!("cannot make a folder to grade in: {e}"))?;
        let stage = Stage::new(self.course, staging.path())?;
        let version = self.checker_version()?;
        eprintln!(
            "grading {} student(s), one after another, with {version} (seed {}), building in {}: the first \
             student builds the engine there, a few minutes the first time",
            students.len(),
            self.seed,
            self.target.display()
        );
        let mut unsure: Vec<(&Student, Vec<String>)> = Vec::new();
        for (i, student) in students.iter().enumerate() {
            let started = Instant::now();
            let hashes = stage.load(self.checker, &student.exercises)?;
            let verdicts = if self.only.is_empty() {
                self.verify(&stage, None)?
            } else {
                let mut all = Vec::new();
                for exercise in self.only {
                    all.extend(self.verify(&stage, Some(exercise))?);
                }
                all
            };
            let mut counts: BTreeMap<String, usize> = BTreeMap::new();
            let mut again = Vec::new();
            for v in &verdicts {
                let g = grade(student, v, &hashes, &version, false)?;
                *counts.entry(g.verdict.clone()).or_default() += 1;
                if g.verdict == "inconclusive" {
                    again.push(g.exercise.clone());
                }
                book.add(&g)?;
            }
            eprintln!(
                "[{}/{}] {}: {} exercise(s) in {:.0} s: {}",
                i + 1,
                students.len(),
                student.name,
                verdicts.len(),
                started.elapsed().as_secs_f64(),
                counts.iter().map(|(v, n)| format!("{n} {}", v.replace('_', " "))).collect::<Vec<_>>().join(", ")
            );
            if !again.is_empty() {
                unsure.push((student, again));
            }
        }
        for (student, exercises) in unsure {
            eprintln!(
                "{}: grading {} again, inconclusive before (a busy machine); the gradebook marks it a re-run",
                student.name,
                exercises.join(", ")
            );
            let hashes = stage.load(self.checker, &student.exercises)?;
            for exercise in &exercises {
                for v in self.verify(&stage, Some(exercise))? {
                    book.add(&grade(student, &v, &hashes, &version, true)?)?;
                }
            }
        }
        Ok(())
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
