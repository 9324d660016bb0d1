//! Median and spread of repeated timings: what the checker and the bench
//! judge by, since one timing on a shared machine says little.

/// The median; NaN for no samples. Unlike the mean, one run slowed down by
/// another program barely moves it.
///
/// ```
/// use parlab::stats::median;
///
/// assert_eq!(median(&[1.0, 9.0, 1.2]), 1.2);
/// assert_eq!(median(&[1.0, 2.0, 3.0, 4.0]), 2.5);
/// assert!(median(&[]).is_nan());
/// ```
pub fn median(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len() % 2 == 1 { v[m] } else { (v[m - 1] + v[m]) / 2.0 }
}

/// (max - min) / median: 0 when every sample is the same. The checker takes
/// more timings while it is wide, and calls a speed inconclusive if it stays so.
///
/// ```
/// use parlab::stats::spread;
///
/// assert_eq!(spread(&[2.0, 2.0, 2.0]), 0.0);
/// assert_eq!(spread(&[1.0, 2.0, 3.0]), 1.0);
/// ```
pub fn spread(xs: &[f64]) -> f64 {
    let max = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let min = xs.iter().copied().fold(f64::INFINITY, f64::min);
    if xs.is_empty() { 0.0 } else { (max - min) / median(xs) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_spread() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
        assert_eq!(spread(&[2.0, 2.0]), 0.0);
        assert_eq!(spread(&[1.0, 2.0, 3.0]), 1.0);
    }
}
