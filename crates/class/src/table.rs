//! The class at a glance: students down, exercises across, a word a cell.

use crate::gradebook::Grade;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The cell of a verdict, four characters wide.
fn cell(verdict: &str) -> &'static str {
    match verdict {
        "passed" => "pass",
        "failed" => "FAIL",
        "inconclusive" => "inc?",
        "not_done" => " -- ",
        "skipped" => "skip",
        "error" => "err!",
        _ => " ?? ",
    }
}

/// The table of the latest grades, with a count of passes per student and
/// a legend.
pub fn summary(grades: &[Grade]) -> String {
    let mut exercises: Vec<&str> = grades.iter().map(|g| g.exercise.as_str()).collect();
    exercises.sort();
    exercises.dedup();
    let mut students: BTreeMap<&str, BTreeMap<&str, &str>> = BTreeMap::new();
    for g in grades {
        students.entry(&g.student).or_default().insert(&g.exercise, &g.verdict);
    }
    let width = students.keys().map(|s| s.chars().count()).max().unwrap_or(0).max("student".len());
    let mut out = format!("{:width$}", "student");
    for e in &exercises {
        let _ = write!(out, "  {:^4}", &e[..e.len().min(2)]);
    }
    out.push_str("  passed\n");
    for (student, verdicts) in &students {
        let _ = write!(out, "{student:width$}");
        for e in &exercises {
            let _ = write!(out, "  {}", verdicts.get(e).map_or("    ", |v| cell(v)));
        }
        let passed = verdicts.values().filter(|v| **v == "passed").count();
        let _ = writeln!(out, "  {passed:>2} of {}", exercises.len());
    }
    out.push_str(
        "pass: passed  FAIL: failed  inc?: inconclusive (a machine too busy to judge speed)  --: not done  \
                  skip: not graded here (MPI missing)  err!: could not be graded (why: in the gradebook)\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn students_go_down_and_exercises_across() {
        let g = |student: &str, exercise: &str, verdict: &str| Grade {
            student: student.into(),
            exercise: exercise.into(),
            verdict: verdict.into(),
            reasons: "[]".into(),
            seed: 1,
            speedup: None,
            required_speedup: None,
            learner_cpu_secs: None,
            baseline_cpu_secs: None,
            learner_cpus_used: None,
            others_cpus: None,
            checker_version: String::new(),
            source_sha256: String::new(),
            graded_at: String::new(),
            rerun: false,
        };
        let table = summary(&[
            g("bob", "01_sequential", "passed"),
            g("bob", "02_schedule", "failed"),
            g("alice", "01_sequential", "not_done"),
            g("alice", "02_schedule", "inconclusive"),
        ]);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines[0], "student   01    02   passed");
        assert_eq!(lines[1], "alice     --   inc?   0 of 2");
        assert_eq!(lines[2], "bob      pass  FAIL   1 of 2");
    }
}
