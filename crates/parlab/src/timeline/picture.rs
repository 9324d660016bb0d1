//! The timeline as an SVG picture for the book.

use super::axis::axis;
use super::{PALETTE, human, label_colour, lane_name, name_room};
use crate::trace::Trace;
use std::fmt::Write as _;

/// The timeline as a standalone SVG image: one bar per task, whose tooltip
/// gives its task, process and length.
///
/// ```
/// use parlab::{Span, Trace, timeline};
///
/// let span = |index, pid, start_ns, end_ns| {
///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
/// };
/// let s = 1_000_000_000; // a second, in nanoseconds
/// let spans = vec![span(0, 7, 0, 2 * s), span(1, 8, 0, s), span(2, 8, s, 2 * s)];
/// let trace = Trace::from_spans("three tasks on two processes", spans);
/// let svg = timeline::svg(&trace);
/// assert!(svg.starts_with("<svg"));
/// assert_eq!(svg.matches("<rect x=").count(), 3);
/// ```
pub fn svg(trace: &Trace) -> String {
    draw_svg(trace, trace.end_ns.saturating_sub(trace.start_ns), 0)
}

/// Width of the SVG's drawing, in its own units (pixels at full size):
/// narrow enough that its 15-unit text still reads at about 10 px when a
/// phone shrinks the picture to its 350 px column.
const SVG_WIDTH: f64 = 520.0;

/// [`svg`] on a time axis `axis_ns` long, with room for lane names of at
/// least `name_chars` characters. The picture scales to the page's
/// width (up to [`SVG_WIDTH`]); its text and grid take the page's colours
/// (mdBook's `--fg`) when the SVG sits inline in a page, and dark grey in a
/// file of its own, so it reads in every theme.
pub(super) fn draw_svg(trace: &Trace, axis_ns: u64, name_chars: usize) -> String {
    let lanes = trace.lanes();
    let names: Vec<String> = lanes.iter().map(|&l| lane_name(trace, l)).collect();
    let longest = names.iter().map(|n| name_room(n)).max().unwrap_or(0).max(name_chars) as f64;
    let (top, row_h) = (62.0, 34.0);
    let left = (longest * 8.5 + 18.0).max(60.0);
    let plot_w = SVG_WIDTH - left - 28.0;
    let height = top + row_h * lanes.len().max(1) as f64 + 40.0;
    let t0 = trace.start_ns;
    // Kept in the picture, so that a run drawn elsewhere can take the same
    // axis and name column (`checker timeline --like`).
    let (asked_ns, name_w) = (axis_ns.max(trace.end_ns.saturating_sub(t0)), longest as usize);
    let (axis_ns, ticks) = axis(asked_ns);
    let x = |ns: u64| left + ns.saturating_sub(t0) as f64 / axis_ns as f64 * plot_w;
    let sum = trace.summary();

    let mut s = String::new();
    let data = format!(r#"data-axis-ns="{asked_ns}" data-name-chars="{name_w}""#);
    crate::svg::open(&mut s, (SVG_WIDTH, height), 15, &trace.title, &data);
    let _ = writeln!(
        s,
        r#"<text class="parlab-fg" x="8" y="44">wall {}, average parallelism {:.2}x, on {} lane(s)</text>"#,
        human(sum.wall_secs),
        sum.parallelism,
        lanes.len()
    );
    for (at_secs, label) in ticks {
        let gx = left + at_secs * 1e9 / axis_ns as f64 * plot_w;
        let _ = writeln!(
            s,
            r#"<line class="parlab-grid" x1="{gx:.1}" y1="{top}" x2="{gx:.1}" y2="{}"/><text class="parlab-fg" x="{gx:.1}" y="{}" text-anchor="middle">{label}</text>"#,
            height - 32.0,
            height - 12.0,
        );
    }
    for (row, (&lane, name)) in lanes.iter().zip(&names).enumerate() {
        let y = top + row_h * row as f64;
        let _ = writeln!(
            s,
            r#"<text class="parlab-fg" x="{}" y="{}" text-anchor="end">{}</text>"#,
            left - 8.0,
            y + row_h * 0.65,
            crate::svg::escape(name)
        );
        for sp in trace.spans.iter().filter(|sp| (sp.pid, sp.tid) == lane) {
            let (x0, x1) = (x(sp.start_ns), x(sp.end_ns));
            let w = (x1 - x0).max(1.0);
            let colour = PALETTE[sp.index % PALETTE.len()].1;
            let _ = writeln!(
                s,
                r##"<rect x="{x0:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" rx="3" fill="{colour}"><title>task {} · pid {} · tid {} · {}</title></rect>"##,
                y + 4.0,
                row_h - 8.0,
                sp.index,
                sp.pid,
                sp.tid,
                human(sp.secs())
            );
            if w > 9.0 * sp.index.to_string().len() as f64 + 6.0 {
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="{}">{}</text>"##,
                    x0 + w / 2.0,
                    y + row_h * 0.65,
                    label_colour(colour),
                    sp.index
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}
