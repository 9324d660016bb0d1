//! Medians, minima and maxima of repeated measurements.

use parlab::stats::median;
use serde::{Deserialize, Serialize};

/// One measured figure: every sample, and what they are in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    /// The case it belongs to ("tiny tasks", ...).
    pub case: String,
    /// "parlab", "python" or "floor".
    pub side: String,
    /// What was measured ("ProcessPool chunk 1", ...).
    pub name: String,
    /// "s" (lower is better) or "tasks/s" (higher is better).
    pub unit: String,
    pub samples: Vec<f64>,
    /// CPUs that other programs kept busy, on average, while its case ran
    /// (the kernel's count: `parlab::OtherLoad`); `None` where not measured.
    #[serde(default)]
    pub others_cpus: Option<f64>,
    /// Measured while others took a quarter of a CPU or more, twice: not to
    /// be judged.
    #[serde(default)]
    pub noisy: bool,
}

impl Figure {
    pub fn median(&self) -> f64 {
        median(&self.samples)
    }
    pub fn min(&self) -> f64 {
        self.samples.iter().copied().fold(f64::INFINITY, f64::min)
    }
    pub fn max(&self) -> f64 {
        self.samples.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }
}
