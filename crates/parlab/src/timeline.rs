//! Draws a [`Trace`] as a timeline: one row per lane (a process, or a thread
//! of a thread pool), one bar per task, a time axis underneath. Text for the
//! terminal (coloured only on a terminal, `NO_COLOR` honoured) and SVG for
//! the book.
//!
//! ```
//! use parlab::{Span, Trace, timeline};
//!
//! let span = |index, pid, start_ns, end_ns| {
//!     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
//! };
//! let s = 1_000_000_000; // a second, in nanoseconds
//! let spans = vec![span(0, 7, 0, 2 * s), span(1, 8, 0, s), span(2, 8, s, 2 * s)];
//! let trace = Trace::from_spans("three tasks on two processes", spans);
//! timeline::print(&trace);
//! ```
//!
//! prints (in colour on a terminal):
//!
//! ```text
//! three tasks on two processes  (3 tasks, wall 2.00 s)
//! pid 7 |0===========================================================|
//! pid 8 |1#############################2=============================|
//!       +              +              +              +              +
//!       0 s            500.0 ms       1.00 s         1.50 s         2.00 s
//! 3 tasks in 2 process(es), 2 lane(s): wall 2.000 s, task time 4.000 s
//! speedup 2.00x, efficiency 100%, CPU: parent 0.000 s, children 0.000 s
//! ```

use crate::trace::{Span, Trace};
use anstyle::{AnsiColor, Style};
use std::fmt::Write as _;

/// Colours for bars, by task index, shared by the terminal and the SVG.
const PALETTE: [(AnsiColor, &str); 6] = [
    (AnsiColor::Blue, "#4e79a7"),
    (AnsiColor::Yellow, "#f28e2b"),
    (AnsiColor::Green, "#59a14f"),
    (AnsiColor::Magenta, "#b07aa1"),
    (AnsiColor::Cyan, "#76b7b2"),
    (AnsiColor::Red, "#e15759"),
];

/// Characters that fill bars, alternating so that touching bars stay apart without colour.
const FILL: [char; 2] = ['=', '#'];

/// Environment variable: a folder where [`print()`] also saves each timeline as
/// SVG (named after the trace's title). The book's pictures are made this way.
///
/// ```
/// use parlab::{Recorder, timeline};
///
/// let dir = std::env::temp_dir().join(format!("parlab-doc-svg-{}", std::process::id()));
/// // SAFETY: no other thread runs yet.
/// unsafe { std::env::set_var(timeline::SVG_DIR_ENV, &dir) };
/// timeline::print(&Recorder::start("An empty run").finish(Vec::new()));
/// assert!(dir.join("an-empty-run.svg").exists());
/// std::fs::remove_dir_all(&dir).unwrap();
/// ```
pub const SVG_DIR_ENV: &str = "PARLAB_SVG_DIR";

/// Prints the timeline and the summary to stdout (colour only on a terminal),
/// and saves it as SVG when [`SVG_DIR_ENV`] names a folder. The usual end of
/// a course example.
///
/// ```
/// use parlab::{Recorder, Sequential, timeline, workloads::count_primes};
///
/// let on = Sequential::new();
/// let run = Recorder::start("primes, one range after another");
/// on.map(count_primes, [(0, 1000), (1000, 2000)]).unwrap();
/// timeline::print(&run.finish(on.take_spans()));
/// ```
pub fn print(trace: &Trace) {
    use std::io::Write;
    let mut out = anstream::stdout();
    let _ = write!(out, "{}", text(trace, 60));
    let _ = writeln!(out, "{}", trace.summary());
    if let Some(dir) = std::env::var_os(SVG_DIR_ENV) {
        let path = std::path::Path::new(&dir).join(format!("{}.svg", file_stem(&trace.title)));
        if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, svg(trace))) {
            eprintln!("could not save {}: {e}", path.display());
        }
    }
}

/// A file name from a title: lower case, words joined by '-'.
///
/// ```
/// assert_eq!(parlab::timeline::file_stem("Three sleeps, on 3 processes!"), "three-sleeps-on-3-processes");
/// ```
pub fn file_stem(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.join("-")
}

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
    let width = width.max(10);
    let lanes = trace.lanes();
    let names: Vec<String> = lanes.iter().map(|&l| lane_name(trace, l)).collect();
    let name_w = names.iter().map(String::len).max().unwrap_or(0);
    let t0 = trace.start_ns;
    let span_ns = trace.end_ns.saturating_sub(t0).max(1) as f64;
    let col = |ns: u64| ((ns.saturating_sub(t0)) as f64 / span_ns * width as f64).round() as usize;

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
    // Time axis: five ticks.
    let mut axis = vec![b' '; width + 12];
    let mut labels = String::new();
    for k in 0..=4 {
        let at = k * width / 4;
        axis[at] = b'+';
        let lab = human(trace.wall_secs() * k as f64 / 4.0);
        let pad = at.saturating_sub(labels.chars().count());
        if k == 0 || pad > 0 {
            labels.push_str(&" ".repeat(pad));
            labels.push_str(&lab);
        }
    }
    let axis = String::from_utf8(axis).unwrap();
    let _ = writeln!(out, "{:name_w$} {}", "", axis.trim_end());
    let _ = writeln!(out, "{:name_w$} {}", "", labels);
    out
}

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
    let lanes = trace.lanes();
    let (left, top, row_h, plot_w) = (150.0, 44.0, 30.0, 600.0);
    let height = top + row_h * lanes.len().max(1) as f64 + 40.0;
    let width = left + plot_w + 30.0;
    let t0 = trace.start_ns;
    let total = trace.end_ns.saturating_sub(t0).max(1) as f64;
    let x = |ns: u64| left + ns.saturating_sub(t0) as f64 / total * plot_w;

    let mut s = String::new();
    let _ = writeln!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="13">"#
    );
    let _ = writeln!(s, r##"<rect width="100%" height="100%" fill="#ffffff"/>"##);
    let sum = trace.summary();
    let _ = writeln!(
        s,
        r##"<text x="10" y="22" font-size="15" font-weight="bold" fill="#222">{} — wall {}, speedup {:.2}x</text>"##,
        escape(&trace.title),
        human(sum.wall_secs),
        sum.speedup
    );
    for k in 0..=4 {
        let gx = left + plot_w * k as f64 / 4.0;
        let _ = writeln!(
            s,
            r##"<line x1="{gx}" y1="{top}" x2="{gx}" y2="{}" stroke="#ddd"/><text x="{gx}" y="{}" text-anchor="middle" fill="#555">{}</text>"##,
            height - 30.0,
            height - 12.0,
            human(sum.wall_secs * k as f64 / 4.0)
        );
    }
    for (row, &lane) in lanes.iter().enumerate() {
        let y = top + row_h * row as f64;
        let _ = writeln!(
            s,
            r##"<text x="{}" y="{}" text-anchor="end" fill="#222">{}</text>"##,
            left - 8.0,
            y + row_h * 0.65,
            escape(&lane_name(trace, lane))
        );
        for sp in trace.spans.iter().filter(|sp| (sp.pid, sp.tid) == lane) {
            let (x0, x1) = (x(sp.start_ns), x(sp.end_ns));
            let w = (x1 - x0).max(1.0);
            let colour = PALETTE[sp.index % PALETTE.len()].1;
            let _ = writeln!(
                s,
                r##"<rect x="{x0:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" rx="3" fill="{colour}" stroke="#fff"><title>task {} · pid {} · {}</title></rect>"##,
                y + 4.0,
                row_h - 8.0,
                sp.index,
                sp.pid,
                human(sp.secs())
            );
            if w > 18.0 {
                let _ = writeln!(
                    s,
                    r##"<text x="{:.1}" y="{:.1}" text-anchor="middle" fill="#fff">{}</text>"##,
                    x0 + w / 2.0,
                    y + row_h * 0.65,
                    sp.index
                );
            }
        }
    }
    s.push_str("</svg>\n");
    s
}

/// Names a lane: by pid when every lane is its own process, else by thread.
fn lane_name(trace: &Trace, (pid, tid): (i32, i32)) -> String {
    let lanes = trace.lanes();
    let one_per_process = lanes.iter().filter(|l| l.0 == pid).count() == 1;
    let parent = if pid == trace.parent_pid { " (parent)" } else { "" };
    if one_per_process {
        format!("pid {pid}{parent}")
    } else {
        let worker = trace.spans.iter().find(|s| (s.pid, s.tid) == (pid, tid)).map_or(0, |s| s.worker);
        format!("thread {worker} (tid {tid})")
    }
}

/// Seconds as "1.00 s", "12.3 ms" or "45 µs": three figures at most, for a
/// timeline's labels.
///
/// ```
/// use parlab::timeline::human;
///
/// assert_eq!(human(1.5), "1.50 s");
/// assert_eq!(human(0.01234), "12.3 ms");
/// assert_eq!(human(0.000045), "45 µs");
/// assert_eq!(human(0.0), "0 s");
/// ```
pub fn human(secs: f64) -> String {
    if secs == 0.0 {
        "0 s".to_string()
    } else if secs >= 1.0 {
        format!("{secs:.2} s")
    } else if secs >= 1e-3 {
        format!("{:.1} ms", secs * 1e3)
    } else {
        format!("{:.0} µs", secs * 1e6)
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sequential_and_parallel() -> (Trace, Trace) {
        let s =
            |index, pid, a, b| Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns: a, end_ns: b, sleep: None };
        let seq = Trace::from_spans("seq", vec![s(0, 1, 0, 100), s(1, 1, 100, 200)]);
        let par = Trace::from_spans("par", vec![s(0, 2, 0, 100), s(1, 3, 0, 100)]);
        (seq, par)
    }

    fn strip(s: &str) -> String {
        anstream::adapter::strip_str(s).to_string()
    }

    #[test]
    fn sequential_bars_sit_end_to_end_on_one_row() {
        let (seq, _) = sequential_and_parallel();
        let t = strip(&text(&seq, 20));
        let rows: Vec<&str> = t.lines().filter(|l| l.contains('|')).collect();
        assert_eq!(rows.len(), 1, "{t}");
        assert!(rows[0].contains("0=========1#########"), "{t}");
    }

    #[test]
    fn parallel_bars_sit_side_by_side_on_two_rows() {
        let (_, par) = sequential_and_parallel();
        let t = strip(&text(&par, 20));
        let rows: Vec<&str> = t.lines().filter(|l| l.contains('|')).collect();
        assert_eq!(rows.len(), 2, "{t}");
        assert!(rows[0].contains("|0===================|"), "{t}");
        assert!(rows[1].contains("|1###################|"), "{t}");
    }

    #[test]
    fn svg_has_one_bar_per_task_and_one_label_per_lane() {
        let (_, par) = sequential_and_parallel();
        let svg = svg(&par);
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect x=").count(), 2);
        assert!(svg.contains(">pid 2<") && svg.contains(">pid 3<"));
    }
}
