//! Medians, minima and maxima of repeated measurements.

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

/// The median of `xs` (the mean of the middle two for an even count); NaN if empty.
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
