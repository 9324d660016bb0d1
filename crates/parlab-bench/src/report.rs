//! The results: figures grouped by case, the ratios that matter and the
//! targets, as Markdown (for the terminal and the book) and JSON.

use crate::stats::Figure;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::Path;

/// A ratio or value compared with its target.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub what: String,
    pub value: f64,
    /// The target in words ("at most 1.5x").
    pub target: String,
    pub met: bool,
    /// Its figures were measured on a busy machine: a miss is not judged.
    pub noisy: bool,
}

/// Everything one run measured.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Report {
    pub date: String,
    pub machine: String,
    pub python: Option<String>,
    pub quick: bool,
    pub figures: Vec<Figure>,
    pub checks: Vec<Check>,
    pub notes: Vec<String>,
    /// The sweeps of how cost grows with the work (see `scaling`).
    pub scaling: Option<serde_json::Value>,
    /// What the sweeps found, in words (fitted fractions, knees).
    pub scaling_notes: Vec<String>,
    /// The sweeps' charts: file name and SVG.
    #[serde(skip)]
    pub charts: Vec<(String, String)>,
}

impl Report {
    /// Records a target; the returned check can be marked noisy.
    pub fn check(&mut self, what: impl Into<String>, value: f64, target: impl Into<String>, met: bool) -> &mut Check {
        self.checks.push(Check { what: what.into(), value, target: target.into(), met, noisy: false });
        self.checks.last_mut().expect("just pushed")
    }

    /// The figure `name` of `case` on `side`, if measured.
    pub fn get(&self, case: &str, side: &str, name: &str) -> Option<&Figure> {
        self.figures.iter().find(|f| f.case == case && f.side == side && f.name == name)
    }

    fn cases(&self) -> Vec<&str> {
        let mut cases: Vec<&str> = Vec::new();
        for f in &self.figures {
            if !cases.contains(&f.case.as_str()) {
                cases.push(&f.case);
            }
        }
        cases
    }

    /// The report as Markdown tables.
    pub fn markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Measured {} on {}{}.", self.date, self.machine, self.python_note());
        if self.quick {
            let _ = writeln!(s, "\n**Quick run: sizes too small for the numbers to mean anything.**");
        }
        for case in self.cases() {
            let _ = writeln!(s, "\n#### {case}\n");
            let _ = writeln!(s, "| side | what | median | min | max |");
            let _ = writeln!(s, "|---|---|---:|---:|---:|");
            for f in self.figures.iter().filter(|f| f.case == case) {
                let _ = writeln!(
                    s,
                    "| {} | {}{} | {} | {} | {} |",
                    f.side,
                    f.name,
                    if f.noisy { " (noisy)" } else { "" },
                    fmt(f.median(), &f.unit),
                    fmt(f.min(), &f.unit),
                    fmt(f.max(), &f.unit)
                );
            }
            let busy: Vec<f64> = self.figures.iter().filter(|f| f.case == case).filter_map(|f| f.others_cpus).collect();
            if let Some(most) = busy.iter().copied().reduce(f64::max) {
                let _ = writeln!(s, "\nOther programs kept {most:.2} CPUs busy while this case ran.");
            }
        }
        if !self.scaling_notes.is_empty() {
            let _ = writeln!(s, "\n#### What the scaling sweeps found\n");
            for n in &self.scaling_notes {
                let _ = writeln!(s, "- {n}");
            }
        }
        for n in &self.notes {
            let _ = writeln!(s, "\n{n}");
        }
        s
    }

    /// The project's own targets, kept apart from what a learner compares.
    pub fn targets_markdown(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "Measured {} on {}{}.", self.date, self.machine, self.python_note());
        let _ = writeln!(s, "\n#### Ratios and targets\n");
        let _ = writeln!(s, "| what | measured | target | met |");
        let _ = writeln!(s, "|---|---:|---|---|");
        for c in &self.checks {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                c.what,
                check_value(c.value),
                c.target,
                match (c.met, c.noisy) {
                    (true, _) => "yes",
                    (false, true) => "noisy: not judged",
                    (false, false) => "**no**",
                }
            );
        }
        s
    }

    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        std::fs::write(dir.join("results.md"), self.markdown())?;
        std::fs::write(dir.join("targets.md"), self.targets_markdown())?;
        for (name, svg) in &self.charts {
            std::fs::write(dir.join(name), svg)?;
        }
        std::fs::write(dir.join("results.json"), serde_json::to_string_pretty(self).expect("serialisable"))
    }

    fn python_note(&self) -> String {
        match &self.python {
            Some(v) => format!(", against {v}"),
            None => ", without Python".to_string(),
        }
    }
}

/// A value in its unit, readable: seconds as s/ms/µs, rates with separators.
pub fn fmt(v: f64, unit: &str) -> String {
    if v.is_nan() {
        return "-".into();
    }
    match unit {
        // A copy of a few KiB takes well under a microsecond: say how much.
        "s" if v > 0.0 && v < 1e-5 => format!("{:.2} µs", v * 1e6),
        "s" => parlab::timeline::human(v),
        "tasks/s" | "numbers/s" => format!("{} {unit}", thousands(v)),
        "x" => format!("{v:.2}x"),
        _ => format!("{v:.3} {unit}"),
    }
}

/// `v` rounded to the two decimals a table shows: checks against round
/// targets compare this, so "1.95" is never printed beside "no" for 1.95.
pub fn shown(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// A check's value as the table shows it: large ones whole, with
/// separators; the rest with two decimals (and the check is judged on the
/// value so rounded, where its caller compares against a round target).
pub fn check_value(v: f64) -> String {
    if v.abs() >= 1000.0 { thousands(v) } else { format!("{v:.2}") }
}

fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(thousands(1234567.0), "1,234,567");
        assert_eq!(fmt(0.0015, "s"), "1.5 ms");
        assert_eq!(fmt(f64::NAN, "s"), "-");
    }
}
