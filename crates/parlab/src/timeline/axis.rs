//! The time axis: how long, and where its round ticks go.

/// A time axis for runs up to `axis_ns` long: its length in ns, rounded up
/// to the next tick, and its ticks (see [`ticks`]).
pub(super) fn axis(axis_ns: u64) -> (u64, Vec<(f64, String)>) {
    let ticks = ticks(axis_ns as f64 / 1e9);
    let end = ticks.last().map_or(0.0, |t| t.0 * 1e9).round() as u64;
    // The axis ends at its last tick even for a run a little past it (its
    // bars run up to AXIS_SLACK into the margin): runs measured apart, a
    // little longer or shorter (Python's processes start a few percent
    // later than Rust's), then share one axis exactly.
    let end = if end as f64 * (1.0 + AXIS_SLACK) >= axis_ns as f64 { end } else { axis_ns };
    (end.max(1), ticks)
}

/// How far past its last tick a run may reach and still end the axis there.
const AXIS_SLACK: f64 = 0.05;

/// Tick marks for an axis at least `axis_secs` long: multiples of a round
/// step (1, 2 or 5 times a power of ten), about five of them, the last at
/// or just past the end, as (seconds, label).
pub(super) fn ticks(axis_secs: f64) -> Vec<(f64, String)> {
    if axis_secs <= 0.0 {
        return vec![(0.0, "0 s".into())];
    }
    // A run a little past a tick (1.03 s) ends the axis there, not a whole
    // step later: the bars may run AXIS_SLACK past the last tick.
    let covered = axis_secs / (1.0 + AXIS_SLACK);
    let raw = covered / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&st| st >= raw * 0.999).unwrap_or(raw);
    let (unit, scale) = if step >= 0.1 {
        ("s", 1.0)
    } else if step >= 1e-4 {
        ("ms", 1e3)
    } else {
        ("µs", 1e6)
    };
    let decimals = (-(step * scale).log10().floor()).max(0.0) as usize;
    let count = (covered / step - 1e-9).ceil().max(1.0) as usize;
    (0..=count)
        .map(|k| {
            let at = k as f64 * step;
            let label = if k == 0 { "0".to_string() } else { format!("{:.*}", decimals, at * scale) };
            (at, format!("{label} {unit}"))
        })
        .collect()
}
