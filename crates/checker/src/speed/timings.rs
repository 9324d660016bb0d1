//! The timings of one verification: baseline and program runs in pairs,
//! when there are enough of them, and their medians.

use super::{Expectation, MARGIN, MAX_PAIRS, MIN_PAIRS, NOISY};
use crate::verdict::Measurements;
use parlab::stats::{median, spread};

/// One baseline run or one run of the program.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    pub wall_secs: f64,
    pub cpu_secs: f64,
    /// CPU-seconds other programs used meanwhile, if measured.
    pub others_cpu_secs: Option<f64>,
}

/// The timings of one verification, in pairs.
#[derive(Default)]
pub struct Timings {
    pub baseline: Vec<Timing>,
    pub learner: Vec<Timing>,
}

impl Timings {
    /// Whether enough pairs were taken: at least [`MIN_PAIRS`], and the
    /// spreads (each side's slowest run left out, as one slow run does not
    /// move a median) are narrow, or [`MAX_PAIRS`] is reached. More pairs
    /// only sharpen the medians: a spread never decides a verdict.
    ///
    /// Wide spreads need no more pairs where every pairing of a baseline
    /// run with a run of the program lands on the same side of the bar,
    /// with a margin: a median of such pairs cannot land elsewhere, and a
    /// program forty times slower than the bar is not timed seven times.
    pub fn enough(&self, e: &Expectation) -> bool {
        let n = self.baseline.len().min(self.learner.len());
        n >= MAX_PAIRS
            || (n >= MIN_PAIRS
                && ((spread(&but_slowest(&walls(&self.baseline))) < NOISY / 2.0
                    && spread(&but_slowest(&walls(&self.learner))) < NOISY / 2.0)
                    || self.decided(e)))
    }

    /// Whether the slowest and the fastest pairing both fall short of the
    /// bar, or both clear it (and stay under the ceiling), by [`MARGIN`].
    fn decided(&self, e: &Expectation) -> bool {
        let (b, l) = (walls(&self.baseline), walls(&self.learner));
        let min = |xs: &[f64]| xs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = |xs: &[f64]| xs.iter().copied().fold(0.0, f64::max);
        let (lowest, highest) = (min(&b) / max(&l).max(1e-9), max(&b) / min(&l).max(1e-9));
        highest < e.required * (1.0 - MARGIN)
            || (lowest > e.required * (1.0 + MARGIN) && highest < e.ceiling * (1.0 - MARGIN))
    }

    /// CPUs other programs kept busy: the lesser of the average over the
    /// baseline's runs and over the program's. A machine busy with other
    /// programs is busy in both; load that shows only while the program
    /// runs is the program's own doing, not the machine's.
    fn others_cpus(&self) -> Option<f64> {
        let average = |runs: &[Timing]| {
            let (mut others, mut wall) = (0.0, 0.0);
            for t in runs {
                others += t.others_cpu_secs?;
                wall += t.wall_secs;
            }
            (wall > 0.0).then(|| others / wall)
        };
        Some(average(&self.baseline)?.min(average(&self.learner)?))
    }

    pub fn measurements(&self, e: &Expectation) -> Measurements {
        let (b, l) = (walls(&self.baseline), walls(&self.learner));
        let used: Vec<f64> = self.learner.iter().map(|t| t.cpu_secs / t.wall_secs.max(1e-9)).collect();
        Measurements {
            baseline_secs: median(&b),
            learner_secs: median(&l),
            speedup: median(&b) / median(&l),
            expected_speedup: e.expected,
            required_speedup: e.required,
            why_expected: e.why.clone(),
            baseline_samples: b,
            learner_samples: l,
            learner_cpus_used: median(&used),
            baseline_cpu_secs: median(&cpus(&self.baseline)),
            learner_cpu_secs: median(&cpus(&self.learner)),
            others_cpus: self.others_cpus(),
        }
    }
}

fn but_slowest(xs: &[f64]) -> Vec<f64> {
    let mut xs = xs.to_vec();
    xs.sort_by(f64::total_cmp);
    xs.pop();
    xs
}

fn walls(t: &[Timing]) -> Vec<f64> {
    t.iter().map(|t| t.wall_secs).collect()
}

fn cpus(t: &[Timing]) -> Vec<f64> {
    t.iter().map(|t| t.cpu_secs).collect()
}
