//! A verdict: what the checker concluded about one exercise, why, and the
//! numbers behind it. Printed for people, or as one JSON object per line.

use serde::Serialize;

/// The outcome, which also decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Passed,
    NotDone,
    Failed,
    Inconclusive,
    /// Not graded: a tool the exercise needs (MPI) is not installed here.
    Skipped,
}

impl Status {
    /// 0 passed, 1 failed or not done, 3 inconclusive, 4 skipped (2 is for usage errors).
    pub fn exit_code(self) -> i32 {
        match self {
            Status::Passed => 0,
            Status::NotDone | Status::Failed => 1,
            Status::Inconclusive => 3,
            Status::Skipped => 4,
        }
    }
}

/// Timings of the learner's run against the checker's sequential baseline.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Measurements {
    pub baseline_secs: f64,
    pub learner_secs: f64,
    pub speedup: f64,
    pub expected_speedup: f64,
    /// Least speedup that passes.
    pub required_speedup: f64,
    pub why_expected: String,
    pub baseline_samples: Vec<f64>,
    pub learner_samples: Vec<f64>,
    /// CPU time over wall time of the learner's runs (median): CPUs really used.
    pub learner_cpus_used: f64,
    /// CPU-seconds of the baseline and of the learner's runs (medians), from the kernel.
    pub baseline_cpu_secs: f64,
    pub learner_cpu_secs: f64,
    /// CPUs that other programs kept busy, on average, while the runs went on.
    pub others_cpus: Option<f64>,
}

/// What the trace showed.
#[derive(Debug, Clone, Serialize, Default)]
pub struct Evidence {
    pub tasks: usize,
    pub processes: usize,
    pub lanes: usize,
    pub max_concurrency: usize,
    pub ran_in_main_process: usize,
    /// Processes of the run the kernel showed the checker while it ran.
    pub processes_seen_by_kernel: usize,
    /// Other hosts whose tasks the checker's relays there witnessed
    /// (`verify --hosts`), by the names the hostfile gives them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other_hosts: Vec<String>,
}

/// Why grading stopped early: the status it gives and the deciding reason first.
#[derive(Debug, Clone)]
pub struct Stop {
    pub status: Status,
    pub reasons: Vec<String>,
}

impl Stop {
    pub fn new(status: Status, reason: impl Into<String>) -> Stop {
        Stop { status, reasons: vec![reason.into()] }
    }
    pub fn failed(reason: impl Into<String>) -> Stop {
        Stop::new(Status::Failed, reason)
    }
    pub fn inconclusive(reason: impl Into<String>) -> Stop {
        Stop::new(Status::Inconclusive, reason)
    }
    /// The same stop, its deciding reason said of the runs (numbered from 1
    /// in a verification) that showed it; the first run goes unnamed when it
    /// alone did.
    pub fn in_runs(mut self, runs: &[usize]) -> Stop {
        let named = match runs {
            [] | [1] => return self,
            [k] => format!("in run {k} of your program (every run is checked)"),
            [first @ .., last] => {
                let first: Vec<String> = first.iter().map(usize::to_string).collect();
                format!("in each of runs {} and {last} of your program", first.join(", "))
            }
        };
        if let Some(reason) = self.reasons.first_mut() {
            *reason = format!("{named}: {reason}");
        }
        self
    }
}

/// The version of the JSON the checker prints; raised when a field changes meaning.
pub const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    pub format_version: u32,
    pub exercise: String,
    pub verdict: Status,
    pub reasons: Vec<String>,
    /// What to try next.
    pub next: Option<String>,
    pub seed: u64,
    pub cpus: parlab::Cpus,
    pub evidence: Option<Evidence>,
    pub measurements: Option<Measurements>,
    /// Passed before with the same source, so not graded again.
    pub skipped: bool,
    /// The learner's run drawn as text; left out of JSON.
    #[serde(skip)]
    pub timeline: Option<String>,
}

impl Verdict {
    pub fn new(exercise: &str, seed: u64) -> Verdict {
        Verdict {
            format_version: FORMAT_VERSION,
            exercise: exercise.into(),
            verdict: Status::Passed,
            reasons: Vec::new(),
            next: None,
            seed,
            cpus: parlab::Cpus::detect(),
            evidence: None,
            measurements: None,
            skipped: false,
            timeline: None,
        }
    }

    /// The verdict on an exercise that passed before with the same source.
    pub fn skipped(exercise: &str) -> Verdict {
        let mut v = Verdict::new(exercise, 0);
        v.skipped = true;
        v.reasons.push("passed before, and its source is unchanged since".into());
        v
    }

    /// Ends the verdict with `stop`: its reasons go first, before what was
    /// found on the way (which stays as context).
    pub fn stop(mut self, stop: Stop) -> Verdict {
        self.verdict = stop.status;
        let found = std::mem::take(&mut self.reasons);
        self.reasons = stop.reasons;
        self.reasons.extend(found);
        self
    }

    pub fn json(&self) -> String {
        serde_json::to_string(self).expect("a verdict serialises")
    }

    /// The verdict for a person, with colour when `anstream` keeps it.
    pub fn text(&self) -> String {
        use anstyle::{AnsiColor, Style};
        use std::fmt::Write;
        let (label, colour) = match self.verdict {
            Status::Passed => ("PASSED", AnsiColor::Green),
            Status::NotDone => ("NOT DONE YET", AnsiColor::Yellow),
            Status::Failed => ("FAILED", AnsiColor::Red),
            Status::Inconclusive => ("INCONCLUSIVE", AnsiColor::Magenta),
            Status::Skipped => ("SKIPPED", AnsiColor::Blue),
        };
        let style = Style::new().bold().fg_color(Some(colour.into()));
        let mut s = String::new();
        let _ = writeln!(s, "{style}{label}{style:#} {} (seed {})", self.exercise, self.seed);
        for r in &self.reasons {
            let _ = writeln!(s, "  - {r}");
        }
        if let Some(m) = &self.measurements {
            let h = parlab::timeline::human;
            let _ = writeln!(
                s,
                "  baseline {} (sequential, median of {}), yours {} (median of {}): speedup {:.2}x",
                h(m.baseline_secs),
                m.baseline_samples.len(),
                h(m.learner_secs),
                m.learner_samples.len(),
                m.speedup
            );
            let _ = writeln!(
                s,
                "  expected about {:.2}x ({}); {:.2}x or more passes; your runs used {:.2} CPUs",
                m.expected_speedup, m.why_expected, m.required_speedup, m.learner_cpus_used
            );
            if let Some(o) = m.others_cpus {
                let _ = writeln!(s, "  other programs kept {o:.2} CPUs busy meanwhile");
            }
        }
        if let Some(e) = &self.evidence {
            let _ = writeln!(
                s,
                "  trace: {} task(s) in {} process(es), {} lane(s), at most {} at once; the kernel saw {} process(es)",
                e.tasks, e.processes, e.lanes, e.max_concurrency, e.processes_seen_by_kernel
            );
            if !e.other_hosts.is_empty() {
                let _ = writeln!(
                    s,
                    "  on other hosts too: {}, each witnessed by the checker's relay there, its clock moved onto this one",
                    e.other_hosts.join(", ")
                );
            }
        }
        if let Some(t) = &self.timeline {
            for line in t.lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
        if let Some(n) = &self.next {
            let _ = writeln!(s, "  next: {n}");
        }
        s
    }
}
