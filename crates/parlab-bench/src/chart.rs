//! Line charts as SVG, for the scaling figures in the book: drawn here, from
//! the run's own numbers, in the same style as the timelines (the page's
//! text colour, scaled to the column).

use std::fmt::Write as _;

/// One line of a chart: its name and its points (x, y).
pub struct Series {
    pub name: String,
    pub points: Vec<(f64, f64)>,
}

/// A chart's axes: labels, and whether each is logarithmic.
pub struct Axes {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub log_x: bool,
    pub log_y: bool,
}

const WIDTH: f64 = 520.0;
const HEIGHT: f64 = 330.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 20.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 90.0;
const COLOURS: [&str; 6] = ["#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#e15759"];

/// Round values to mark an axis from `lo` to `hi`: powers of ten on a log
/// axis, else about five multiples of 1, 2 or 5 times a power of ten.
fn ticks(lo: f64, hi: f64, log: bool) -> Vec<f64> {
    if log {
        let (a, b) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
        return (a..=b).map(|e| 10f64.powi(e)).collect();
    }
    let raw = (hi - lo).max(f64::MIN_POSITIVE) / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * magnitude).find(|&s| s >= raw).unwrap_or(raw);
    let first = (lo / step).floor() as i64;
    let last = (hi / step).ceil() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A number as an axis label: short, with k/M/G for large ones.
fn label(v: f64) -> String {
    let a = v.abs();
    if a >= 1e9 {
        format!("{}G", trim(v / 1e9))
    } else if a >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if a >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

/// Up to two decimals, or as many as a small number needs to show
/// (0.001 on a log axis is not "0").
fn trim(v: f64) -> String {
    let decimals = if v == 0.0 || v.abs() >= 0.01 { 2 } else { (-v.abs().log10().floor()) as usize };
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

/// The chart as a standalone SVG (no blank line, so Markdown keeps it whole).
pub fn line_chart(axes: &Axes, series: &[Series]) -> String {
    let points = series.iter().flat_map(|s| s.points.iter().copied());
    let usable =
        |&(x, y): &(f64, f64)| x.is_finite() && y.is_finite() && (!axes.log_x || x > 0.0) && (!axes.log_y || y > 0.0);
    let all: Vec<(f64, f64)> = points.filter(usable).collect();
    let (mut x_lo, mut x_hi) =
        all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.0), b.max(p.0)));
    let (mut y_lo, mut y_hi) =
        all.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| (a.min(p.1), b.max(p.1)));
    if all.is_empty() {
        (x_lo, x_hi, y_lo, y_hi) = (1.0, 10.0, 1.0, 10.0);
    }
    if !axes.log_y {
        y_lo = y_lo.min(0.0);
    }
    let x_ticks = ticks(x_lo, x_hi, axes.log_x);
    let y_ticks = ticks(y_lo, y_hi, axes.log_y);
    let (x_lo, x_hi) = (x_ticks[0].min(x_lo), x_ticks.last().copied().unwrap_or(x_hi).max(x_hi));
    let (y_lo, y_hi) = (y_ticks[0].min(y_lo), y_ticks.last().copied().unwrap_or(y_hi).max(y_hi));
    let scale = |v: f64, lo: f64, hi: f64, log: bool| {
        let (v, lo, hi) = if log { (v.log10(), lo.log10(), hi.log10()) } else { (v, lo, hi) };
        if hi > lo { (v - lo) / (hi - lo) } else { 0.5 }
    };
    let (plot_w, plot_h) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
    let px = |x: f64| LEFT + scale(x, x_lo, x_hi, axes.log_x) * plot_w;
    let py = |y: f64| TOP + plot_h - scale(y, y_lo, y_hi, axes.log_y) * plot_h;

    let mut s = String::new();
    parlab::svg::open(&mut s, (WIDTH, HEIGHT), 14, &axes.title, "");
    for &t in &x_ticks {
        let x = px(t);
        let _ = writeln!(
            s,
            r#"<line class="parlab-grid" x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}"/><text class="parlab-fg" x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            TOP + plot_h,
            TOP + plot_h + 18.0,
            label(t)
        );
    }
    for &t in &y_ticks {
        let y = py(t);
        let _ = writeln!(
            s,
            r#"<line class="parlab-grid" x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="parlab-fg" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT + plot_w,
            LEFT - 6.0,
            y + 5.0,
            label(t)
        );
    }
    let _ = writeln!(
        s,
        r#"<line class="parlab-axis" x1="{LEFT}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><line class="parlab-axis" x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{:.1}"/>"#,
        TOP + plot_h,
        LEFT + plot_w,
        TOP + plot_h,
        TOP + plot_h
    );
    let _ = writeln!(
        s,
        r#"<text class="parlab-fg" x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
        LEFT + plot_w / 2.0,
        TOP + plot_h + 38.0,
        parlab::svg::escape(&axes.x_label)
    );
    let _ = writeln!(
        s,
        r#"<text class="parlab-fg" x="14" y="{:.1}" text-anchor="middle" transform="rotate(-90 14 {:.1})">{}</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        parlab::svg::escape(&axes.y_label)
    );
    for (k, line) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let pts: Vec<String> =
            line.points.iter().filter(|p| usable(p)).map(|&(x, y)| format!("{:.1},{:.1}", px(x), py(y))).collect();
        let _ = writeln!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"><title>{}</title></polyline>"#,
            pts.join(" "),
            parlab::svg::escape(&line.name)
        );
        for p in line.points.iter().filter(|p| usable(p)) {
            let _ = writeln!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3.5" fill="{colour}"><title>{}: {} at {}</title></circle>"#,
                px(p.0),
                py(p.1),
                parlab::svg::escape(&line.name),
                label(p.1),
                label(p.0)
            );
        }
        // The legend, under the axis label, two entries a row.
        let (lx, ly) = (LEFT + (k % 2) as f64 * plot_w / 2.0, TOP + plot_h + 58.0 + (k / 2) as f64 * 18.0);
        let _ = writeln!(
            s,
            r#"<rect x="{lx:.1}" y="{:.1}" width="14" height="4" fill="{colour}"/><text class="parlab-fg" x="{:.1}" y="{:.1}">{}</text>"#,
            ly - 6.0,
            lx + 20.0,
            ly,
            parlab::svg::escape(&line.name)
        );
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round() {
        assert_eq!(ticks(1.0, 100_000.0, true), [1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]);
        assert_eq!(ticks(0.0, 2.1, false), [0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
        assert_eq!(label(1_500_000.0), "1.5M");
        assert_eq!(label(0.25), "0.25");
        assert_eq!(label(0.001), "0.001");
        assert_eq!(label(0.0), "0");
        assert_eq!(label(100.0), "100");
    }

    #[test]
    fn a_chart_has_a_line_and_a_dot_per_point() {
        let axes = Axes { title: "t".into(), x_label: "x".into(), y_label: "y".into(), log_x: true, log_y: false };
        let series = [Series { name: "a".into(), points: vec![(1.0, 1.0), (10.0, 2.0), (100.0, 3.0)] }];
        let svg = line_chart(&axes, &series);
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(!svg.contains("\n\n") && svg.contains("var(--fg"));
    }
}
