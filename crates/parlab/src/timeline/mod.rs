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
//!       0 s            0.5 s          1.0 s          1.5 s          2.0 s
//! 3 tasks in 2 process(es), 2 lane(s): wall 2.000 s, task time 4.000 s
//! average parallelism 2.00x, lanes busy 100%, CPU: parent 0.000 s, children 0.000 s
//! ```

mod axis;
mod picture;
mod text;

pub use picture::svg;
pub use text::text;

use crate::trace::Trace;
use anstyle::AnsiColor;
use picture::draw_svg;
use text::draw_text;

/// Colours for bars, by task index, shared by the terminal and the SVG.
const PALETTE: [(AnsiColor, &str); 6] = [
    (AnsiColor::Blue, "#4e79a7"),
    (AnsiColor::Yellow, "#f28e2b"),
    (AnsiColor::Green, "#59a14f"),
    (AnsiColor::Magenta, "#b07aa1"),
    (AnsiColor::Cyan, "#76b7b2"),
    (AnsiColor::Red, "#e15759"),
];

/// The colour of a task's number on its bar: white on the dark blue, near
/// black on the lighter fills, where white reads at under 3:1.
fn label_colour(fill: &str) -> &'static str {
    if fill == PALETTE[0].1 { "#fff" } else { "#222" }
}

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
    print_together(&[trace]);
}

/// Prints several timelines drawn on one time axis (the longest run's), so
/// that their lengths compare at a glance: a run twice as fast draws half as
/// long. Saves each as SVG, on the same axis, like [`print()`].
///
/// ```
/// use parlab::{Recorder, Sequential, ThreadPool, timeline, workloads::count_primes};
///
/// let parts = [(0, 20_000), (20_000, 40_000)];
/// let one = Sequential::new();
/// let run = Recorder::start("one after the other");
/// one.map(count_primes, parts).unwrap();
/// let sequential = run.finish(one.take_spans());
/// let two = ThreadPool::new(2).unwrap();
/// let run = Recorder::start("side by side");
/// two.map(count_primes, parts).unwrap();
/// let parallel = run.finish(two.take_spans());
/// timeline::print_together(&[&sequential, &parallel]);
/// ```
pub fn print_together(traces: &[&Trace]) {
    print_on_axis(traces, 0.0, 0);
}

/// Like [`print_together`], on an axis at least `axis_secs` long, after a
/// column of at least `name_chars` for the lanes' names: to compare with
/// runs drawn on that axis elsewhere (by another program, or of a program in
/// another language, as the book's Python timelines are), a second as long.
///
/// ```
/// use parlab::{Span, Trace, timeline};
///
/// let span = Span { index: 0, pid: 7, tid: 7, worker: 0, tasks: 1, start_ns: 0, end_ns: 200_000_000, sleep: None };
/// // A 0.2 s run, on the axis of a 1.5 s run whose lane names took 18 characters.
/// timeline::print_on_axis(&[&Trace::from_spans("short", vec![span])], 1.5, 18);
/// ```
pub fn print_on_axis(traces: &[&Trace], axis_secs: f64, name_chars: usize) {
    use std::io::Write;
    // One axis: the same length, and the same room for lane names, so that
    // the time axes start at the same place and a second is as long in each.
    let longest = traces.iter().map(|t| t.end_ns.saturating_sub(t.start_ns)).max().unwrap_or(0);
    let axis_ns = longest.max((axis_secs.max(0.0) * 1e9).round() as u64);
    let names: Vec<String> = traces.iter().flat_map(|t| t.lanes().into_iter().map(|l| lane_name(t, l))).collect();
    // The text lines up its own lanes; a picture leaves the room any pid
    // needs, so that pictures of other runs line up with it.
    let text_w = names.iter().map(|n| n.chars().count()).max().unwrap_or(0);
    let name_w = names.iter().map(|n| name_room(n)).max().unwrap_or(0).max(name_chars);
    let mut out = anstream::stdout();
    for trace in traces {
        let _ = write!(out, "{}", draw_text(trace, 60, axis_ns, text_w));
        let _ = writeln!(out, "{}", trace.summary());
        if let Some(dir) = std::env::var_os(SVG_DIR_ENV) {
            let path = std::path::Path::new(&dir).join(format!("{}.svg", file_stem(&trace.title)));
            let svg = draw_svg(trace, axis_ns, name_w);
            if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, svg)) {
                eprintln!("could not save {}: {e}", path.display());
            }
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

/// The room a lane's name takes, counting every number in it as long as
/// the longest pid Linux gives (7 digits): the same lanes of two runs (a
/// Rust run and its Python twin, pids 5223 and 20600) then leave the same
/// room, and their axes start at the same place.
fn name_room(name: &str) -> usize {
    let mut room = 0;
    let mut digits = 0;
    for c in name.chars().chain(std::iter::once(' ')) {
        if c.is_ascii_digit() {
            digits += 1;
        } else {
            room += if digits > 0 { digits.max(7) } else { 0 } + 1;
            digits = 0;
        }
    }
    room - 1
}

/// Names a lane: by pid when every lane is its own process, else by thread.
fn lane_name(trace: &Trace, (pid, tid): (i32, i32)) -> String {
    let lanes = trace.lanes();
    let one_per_process = lanes.iter().filter(|l| l.0 == pid).count() == 1;
    let parent = if pid == trace.parent_pid { " (parent)" } else { "" };
    if one_per_process {
        format!("pid {pid}{parent}")
    } else {
        // A thread by its own id, as `top -H` and `/proc/<pid>/task` show it.
        format!("thread {tid}")
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

#[cfg(test)]
mod tests {
    use super::axis::{axis, ticks};
    use super::*;
    use crate::trace::Span;

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
    fn lane_names_take_room_for_any_pid() {
        assert_eq!(name_room("pid 5223"), name_room("pid 4194304"));
        assert_eq!(name_room("pid 20600"), 11);
        assert_eq!(name_room("pid 7 (parent)"), 20);
        assert_eq!(name_room("thread 42"), 14);
    }

    #[test]
    fn ticks_are_round_and_reach_the_end() {
        let labels = |secs: f64| ticks(secs).into_iter().map(|t| t.1).collect::<Vec<_>>();
        assert_eq!(labels(2.0), ["0 s", "0.5 s", "1.0 s", "1.5 s", "2.0 s"]);
        assert_eq!(labels(1.497), ["0 s", "0.5 s", "1.0 s", "1.5 s"]);
        assert_eq!(labels(0.2512), ["0 ms", "50 ms", "100 ms", "150 ms", "200 ms", "250 ms"]);
        // Up to 5% past a tick ends there (a Python run of 1.034 s beside Rust's 1.001 s).
        assert_eq!(labels(1.034), ["0 s", "0.2 s", "0.4 s", "0.6 s", "0.8 s", "1.0 s"]);
        assert_eq!(labels(1.06), ["0 s", "0.5 s", "1.0 s", "1.5 s"]);
        assert_eq!(labels(0.034), ["0 ms", "10 ms", "20 ms", "30 ms", "40 ms"]);
        assert_eq!(labels(0.000_9), ["0 ms", "0.2 ms", "0.4 ms", "0.6 ms", "0.8 ms", "1.0 ms"]);
        assert_eq!(labels(0.000_04), ["0 µs", "10 µs", "20 µs", "30 µs", "40 µs"]);
        assert_eq!(axis(1_497_000_000).0, 1_500_000_000);
        assert_eq!(axis(1_034_000_000).0, 1_000_000_000);
    }

    #[test]
    fn svg_has_one_bar_per_task_and_one_label_per_lane() {
        let (_, par) = sequential_and_parallel();
        let svg = svg(&par);
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("<rect x=").count(), 2);
        assert!(svg.contains(">pid 2<") && svg.contains(">pid 3<"));
        // Task numbers read on their bars: white on the blue, dark on the orange.
        assert!(svg.contains(r##"fill="#fff">0<"##) && svg.contains(r##"fill="#222">1<"##), "{svg}");
    }
}
