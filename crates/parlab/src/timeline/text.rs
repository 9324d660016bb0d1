//! The timeline as text for the terminal.

use super::axis::axis;
use super::{FILL, PALETTE, human, lane_name};
use crate::trace::{Span, Trace};
use anstyle::Style;
use std::fmt::Write as _;

/// The timeline as text, `width` columns for the time axis, with ANSI colours
/// (strip them with `anstream` when the output is no terminal).
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
/// let text = timeline::text(&trace, 40);
/// let rows: Vec<&str> = text.lines().filter(|l| l.contains('|')).collect();
/// assert!(rows[0].starts_with("pid 7 |") && rows[1].starts_with("pid 8 |"));
/// ```
pub fn text(trace: &Trace, width: usize) -> String {
    draw_text(trace, width, trace.end_ns.saturating_sub(trace.start_ns), 0)
}

/// [`text`] on a time axis `axis_ns` long (at least the trace's own length),
/// with at least `name_w` columns for lane names.
pub(super) fn draw_text(trace: &Trace, width: usize, axis_ns: u64, name_w: usize) -> String {
    let width = width.max(10);
    let lanes = trace.lanes();
    let names: Vec<String> = lanes.iter().map(|&l| lane_name(trace, l)).collect();
    let name_w = names.iter().map(|n| n.chars().count()).max().unwrap_or(0).max(name_w);
    let t0 = trace.start_ns;
    let (axis_ns, ticks) = axis(axis_ns.max(trace.end_ns.saturating_sub(t0)));
    let col = |ns: u64| ((ns.saturating_sub(t0)) as f64 / axis_ns as f64 * width as f64).round() as usize;

    let mut out = String::new();
    let tasks: usize = trace.spans.iter().map(|s| s.tasks).sum();
    let _ = writeln!(out, "{}  ({tasks} tasks, wall {})", trace.title, human(trace.wall_secs()));
    for (lane, name) in lanes.iter().zip(&names) {
        let mut cells: Vec<Option<&Span>> = vec![None; width];
        let mut spans: Vec<&Span> = trace.spans.iter().filter(|s| (s.pid, s.tid) == *lane).collect();
        spans.sort_by_key(|s| s.start_ns);
        for s in spans {
            let a = col(s.start_ns).min(width - 1);
            let b = col(s.end_ns).clamp(a + 1, width);
            cells[a..b].iter_mut().for_each(|c| *c = Some(s));
        }
        let _ = write!(out, "{name:>name_w$} |");
        let mut i = 0;
        while i < width {
            let Some(s) = cells[i] else {
                out.push(' ');
                i += 1;
                continue;
            };
            let run = cells[i..].iter().take_while(|c| c.is_some_and(|c| std::ptr::eq(c, s))).count();
            let label = s.index.to_string();
            let fill = FILL[s.index % 2];
            let mut bar: String = std::iter::repeat_n(fill, run).collect();
            if label.len() <= run {
                bar.replace_range(0..label.len(), &label);
            }
            let style = Style::new().fg_color(Some(PALETTE[s.index % PALETTE.len()].0.into()));
            let _ = write!(out, "{style}{bar}{style:#}");
            i += run;
        }
        out.push_str("|\n");
    }
    // Time axis: round ticks; a label that would touch the one before is left out.
    let mut axis = vec![b' '; width + 1];
    let mut labels = String::new();
    for (at_secs, label) in ticks {
        let at = ((at_secs * 1e9 / axis_ns as f64) * width as f64).round() as usize;
        let at = at.min(width);
        axis[at] = b'+';
        let used = labels.chars().count();
        if at == 0 || at > used {
            labels.push_str(&" ".repeat(at - used.min(at)));
            labels.push_str(&label);
            labels.push(' ');
        }
    }
    let axis = String::from_utf8(axis).expect("ascii");
    let _ = writeln!(out, "{:name_w$} {}", "", axis.trim_end());
    let _ = writeln!(out, "{:name_w$} {}", "", labels.trim_end());
    out
}
