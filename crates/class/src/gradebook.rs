//! The gradebook: one SQLite table of every verdict ever given, a row each;
//! grading again adds rows, and the latest row of a student's exercise is
//! its grade (the view `latest`).

use rusqlite::{Connection, params};
use serde::Serialize;
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS grades (
    id INTEGER PRIMARY KEY,
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    verdict TEXT NOT NULL,          -- passed, failed, inconclusive, not_done, skipped
    reasons TEXT NOT NULL,          -- the checker's reasons, a JSON array
    seed INTEGER NOT NULL,
    speedup REAL,                   -- measured, where speed was graded
    required_speedup REAL,
    learner_cpu_secs REAL,          -- the kernel's count, median of the program's runs
    baseline_cpu_secs REAL,         -- the same for the checker's sequential baseline
    learner_cpus_used REAL,
    others_cpus REAL,               -- CPUs other programs kept busy meanwhile
    checker_version TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,    -- the exercise's src/ folder as graded
    graded_at TEXT NOT NULL,        -- RFC 3339, UTC
    rerun INTEGER NOT NULL          -- 1: graded again at the end of the class, after an inconclusive verdict
);
CREATE INDEX IF NOT EXISTS grades_by_student ON grades (student, exercise, id);
CREATE VIEW IF NOT EXISTS latest AS
    SELECT * FROM grades g
    WHERE id = (SELECT MAX(id) FROM grades h WHERE h.student = g.student AND h.exercise = g.exercise);
";

/// One verdict on one student's exercise.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Grade {
    pub student: String,
    pub exercise: String,
    pub verdict: String,
    pub reasons: String,
    pub seed: u64,
    pub speedup: Option<f64>,
    pub required_speedup: Option<f64>,
    pub learner_cpu_secs: Option<f64>,
    pub baseline_cpu_secs: Option<f64>,
    pub learner_cpus_used: Option<f64>,
    pub others_cpus: Option<f64>,
    pub checker_version: String,
    pub source_sha256: String,
    pub graded_at: String,
    pub rerun: bool,
}

pub struct Gradebook(Connection);

impl Gradebook {
    /// Opens the gradebook at `path`, made with its table if missing.
    pub fn open(path: &Path) -> Result<Gradebook, String> {
        let what = |e: rusqlite::Error| format!("the gradebook {}: {e}", path.display());
        let db = Connection::open(path).map_err(what)?;
        db.execute_batch(SCHEMA).map_err(what)?;
        Ok(Gradebook(db))
    }

    pub fn add(&self, g: &Grade) -> Result<(), String> {
        self.0
            .execute(
                "INSERT INTO grades (student, exercise, verdict, reasons, seed, speedup, required_speedup, \
                 learner_cpu_secs, baseline_cpu_secs, learner_cpus_used, others_cpus, checker_version, \
                 source_sha256, graded_at, rerun) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, \
                 ?14, ?15)",
                params![
                    g.student,
                    g.exercise,
                    g.verdict,
                    g.reasons,
                    g.seed as i64,
                    g.speedup,
                    g.required_speedup,
                    g.learner_cpu_secs,
                    g.baseline_cpu_secs,
                    g.learner_cpus_used,
                    g.others_cpus,
                    g.checker_version,
                    g.source_sha256,
                    g.graded_at,
                    g.rerun,
                ],
            )
            .map(drop)
            .map_err(|e| format!("cannot write to the gradebook: {e}"))
    }

    /// The grade of every student's exercise: its latest row.
    pub fn latest(&self) -> Result<Vec<Grade>, String> {
        let what = |e: rusqlite::Error| format!("cannot read the gradebook: {e}");
        let mut query = self
            .0
            .prepare(
                "SELECT student, exercise, verdict, reasons, seed, speedup, required_speedup, learner_cpu_secs, \
                 baseline_cpu_secs, learner_cpus_used, others_cpus, checker_version, source_sha256, graded_at, rerun \
                 FROM latest ORDER BY student, exercise",
            )
            .map_err(what)?;
        let rows = query
            .query_map([], |r| {
                Ok(Grade {
                    student: r.get(0)?,
                    exercise: r.get(1)?,
                    verdict: r.get(2)?,
                    reasons: r.get(3)?,
                    seed: r.get::<_, i64>(4)? as u64,
                    speedup: r.get(5)?,
                    required_speedup: r.get(6)?,
                    learner_cpu_secs: r.get(7)?,
                    baseline_cpu_secs: r.get(8)?,
                    learner_cpus_used: r.get(9)?,
                    others_cpus: r.get(10)?,
                    checker_version: r.get(11)?,
                    source_sha256: r.get(12)?,
                    graded_at: r.get(13)?,
                    rerun: r.get(14)?,
                })
            })
            .map_err(what)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(what)
    }
}

/// The grades as CSV, a header and a row each.
pub fn write_csv(path: &Path, grades: &[Grade]) -> Result<(), String> {
    let what = |e: csv::Error| format!("cannot write {}: {e}", path.display());
    let mut out = csv::Writer::from_path(path).map_err(what)?;
    for g in grades {
        out.serialize(g).map_err(what)?;
    }
    out.flush().map_err(|e| format!("cannot write {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grade(exercise: &str, verdict: &str) -> Grade {
        Grade {
            student: "alice".into(),
            exercise: exercise.into(),
            verdict: verdict.into(),
            reasons: "[\"a reason, with a comma\"]".into(),
            seed: 7,
            speedup: Some(1.8),
            required_speedup: Some(1.5),
            learner_cpu_secs: Some(0.4),
            baseline_cpu_secs: Some(0.38),
            learner_cpus_used: Some(1.9),
            others_cpus: None,
            checker_version: "checker 0.1.0".into(),
            source_sha256: "ab".into(),
            graded_at: "2026-12-07T12:00:00Z".into(),
            rerun: false,
        }
    }

    #[test]
    fn grading_again_adds_a_row_and_the_latest_is_the_grade() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("book.sqlite");
        let book = Gradebook::open(&path).unwrap();
        book.add(&grade("07_cpu_bound", "inconclusive")).unwrap();
        book.add(&grade("01_sequential", "passed")).unwrap();
        book.add(&Grade { rerun: true, ..grade("07_cpu_bound", "passed") }).unwrap();
        drop(book);
        let book = Gradebook::open(&path).unwrap();
        let latest = book.latest().unwrap();
        assert_eq!(latest.len(), 2);
        assert_eq!(
            (latest[1].exercise.as_str(), latest[1].verdict.as_str(), latest[1].rerun),
            ("07_cpu_bound", "passed", true)
        );
        let rows: i64 = book.0.query_row("SELECT COUNT(*) FROM grades", [], |r| r.get(0)).unwrap();
        assert_eq!(rows, 3);
        let csv_path = tmp.path().join("grades.csv");
        write_csv(&csv_path, &latest).unwrap();
        let csv = std::fs::read_to_string(csv_path).unwrap();
        assert!(csv.starts_with("student,exercise,verdict,reasons,seed,speedup"), "{csv}");
        assert!(csv.contains("\"[\"\"a reason, with a comma\"\"]\""), "{csv}");
        assert_eq!(csv.lines().count(), 3);
    }
}
