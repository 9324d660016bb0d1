//! Spans in a file: how a program's course workloads tell whoever runs it
//! (the checker, a learner's own run) what ran where and when, from any
//! process, and how the spans are read back.

use crate::trace::Span;

/// The environment variable that names a file where course workloads append
/// their spans, one JSON line each, whatever runs them. The checker sets it to
/// see how a learner's program really ran.
///
/// ```
/// use parlab::{trace_file::{self, TRACE_FILE_ENV}, workloads::count_primes};
///
/// let path = std::env::temp_dir().join(format!("parlab-doc-{}.jsonl", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// // SAFETY: no other thread runs yet.
/// unsafe { std::env::set_var(TRACE_FILE_ENV, &path) };
/// count_primes((0, 100));
/// count_primes((100, 200));
/// let spans = trace_file::read(&path).unwrap();
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!(spans.len(), 2); // one per call, written by the workload itself
/// ```
pub const TRACE_FILE_ENV: &str = "PARLAB_TRACE";

/// Appends `span` to the file named by [`TRACE_FILE_ENV`], if it is set.
///
/// One `write` of one line on a file opened for appending, so lines from many
/// processes never interleave. A file that cannot be written is skipped: a
/// trace never makes a task fail.
///
/// ```
/// use parlab::{Span, trace_file::{self, TRACE_FILE_ENV}};
///
/// let path = std::env::temp_dir().join(format!("parlab-doc-{}.jsonl", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// // SAFETY: no other thread runs yet.
/// unsafe { std::env::set_var(TRACE_FILE_ENV, &path) };
/// let ((), span) = Span::measure(0, 0, || ());
/// trace_file::append(&span);
/// assert_eq!(trace_file::read(&path).unwrap(), [span]);
/// std::fs::remove_file(&path).unwrap();
/// ```
pub fn append(span: &Span) {
    use std::io::Write;
    let Some(path) = std::env::var_os(TRACE_FILE_ENV) else { return };
    let mut line = serde_json::to_vec(span).expect("a span always serialises");
    line.push(b'\n');
    if let Ok(mut f) = std::fs::OpenOptions::new().create(true).append(true).open(path) {
        let _ = f.write_all(&line);
    }
}

/// Reads spans written by [`append`]; lines that do not parse are skipped
/// (such as a line cut short by a process killed while writing).
///
/// ```
/// use parlab::trace_file;
///
/// let path = std::env::temp_dir().join(format!("parlab-doc-{}.jsonl", std::process::id()));
/// let line = r#"{"index":3,"pid":7,"tid":7,"worker":0,"start_ns":0,"end_ns":10}"#;
/// std::fs::write(&path, format!("{line}\n{{\"index\":4,\"pid\n")).unwrap();
/// let spans = trace_file::read(&path).unwrap();
/// std::fs::remove_file(&path).unwrap();
/// assert_eq!((spans.len(), spans[0].index, spans[0].tasks), (1, 3, 1));
/// ```
pub fn read(path: &std::path::Path) -> std::io::Result<Vec<Span>> {
    let text = std::fs::read_to_string(path)?;
    Ok(text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect())
}
