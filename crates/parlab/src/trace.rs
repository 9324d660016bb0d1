//! What ran where and when: a [`Span`] for every task, a [`Trace`] for a run.
//!
//! Spans are taken on the system-wide monotonic clock ([`crate::now_ns`]), so
//! spans from different processes line up on one timeline.

use crate::clock::{now_ns, secs_between};
use crate::sys::CpuTime;
use serde::{Deserialize, Serialize};

/// One task's run: which task, in which process and thread, from when to when.
/// The engine records one per task; pools hand theirs over with `take_spans`.
///
/// ```
/// use parlab::Span;
///
/// let (sum, span) = Span::measure(0, 0, || (1..=1000u64).sum::<u64>());
/// assert_eq!(sum, 500_500);
/// assert_eq!(span.pid, std::process::id() as i32); // it ran here, in this process
/// assert!(span.start_ns <= span.end_ns);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Span {
    /// The task's position in its input (or the order it was started in).
    pub index: usize,
    /// Process that ran it.
    pub pid: i32,
    /// Kernel thread id that ran it.
    pub tid: i32,
    /// Worker number inside its pool (0 outside pools).
    pub worker: usize,
    /// Tasks this span covers: 1, or a whole chunk (tasks `index..index + tasks`)
    /// when tasks were sent in chunks, where timing each would cost more than the task.
    #[serde(default = "one")]
    pub tasks: usize,
    /// Start on the monotonic clock ([`crate::clock::now_ns`]), in nanoseconds.
    pub start_ns: u64,
    /// End on the same clock, in nanoseconds.
    pub end_ns: u64,
    /// The course seconds a sleeping workload was asked to sleep (before the
    /// time scale), so that a reader can hold the span's length against the
    /// work it claims; `None` for other tasks.
    #[serde(default)]
    pub sleep: Option<f64>,
}

impl Span {
    /// Runs `f`, timing it as task `index` on `worker` in the calling thread.
    ///
    /// ```
    /// use parlab::Span;
    ///
    /// let (text, span) = Span::measure(4, 1, || "done");
    /// assert_eq!(text, "done");
    /// assert_eq!((span.index, span.worker, span.tasks, span.sleep), (4, 1, 1, None));
    /// ```
    pub fn measure<R>(index: usize, worker: usize, f: impl FnOnce() -> R) -> (R, Span) {
        let start_ns = now_ns();
        let value = f();
        let end_ns = now_ns();
        let span =
            Span { index, pid: current_pid(), tid: current_tid(), worker, tasks: 1, start_ns, end_ns, sleep: None };
        (value, span)
    }

    /// The span of the one task of this process, run from `start_ns` to
    /// `end_ns` (a [`Process`](crate::Process)'s child measures with
    /// [`crate::bare::now_ns`]).
    #[inline]
    pub(crate) fn of_this_process(start_ns: u64, end_ns: u64) -> Span {
        let (pid, tid) = crate::bare::ids();
        Span { index: 0, pid, tid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    }

    /// The span's length in seconds.
    ///
    /// ```
    /// use parlab::Span;
    ///
    /// let ((), span) = Span::measure(0, 0, || std::thread::sleep(std::time::Duration::from_millis(5)));
    /// assert!(span.secs() >= 0.005);
    /// ```
    pub fn secs(&self) -> f64 {
        secs_between(self.start_ns, self.end_ns)
    }

    /// Whether two spans ran at the same time, even partly. One that starts
    /// the instant the other ends does not overlap it.
    ///
    /// ```
    /// use parlab::Span;
    ///
    /// let ((), a) = Span::measure(0, 0, || ());
    /// let b = Span { index: 1, start_ns: a.end_ns, end_ns: a.end_ns + 10, ..a.clone() };
    /// let c = Span { index: 2, start_ns: a.start_ns, ..b.clone() };
    /// assert!(!a.overlaps(&b));
    /// assert!(a.overlaps(&c) && c.overlaps(&b));
    /// ```
    pub fn overlaps(&self, other: &Span) -> bool {
        self.start_ns < other.end_ns && other.start_ns < self.end_ns
    }
}

fn one() -> usize {
    1
}

pub(crate) fn current_pid() -> i32 {
    nix::unistd::getpid().as_raw()
}

pub(crate) fn current_tid() -> i32 {
    #[cfg(target_os = "linux")]
    {
        nix::unistd::gettid().as_raw()
    }
    #[cfg(not(target_os = "linux"))]
    {
        0
    }
}

/// Starts measuring a run: wall clock and CPU time, until [`Recorder::finish`].
/// The trace's wall time is then the whole run's, start-up and hand-over
/// included, not only the tasks'.
///
/// ```
/// use parlab::{ProcessPool, Recorder, workloads::count_primes};
///
/// let pool = ProcessPool::new(2).unwrap();
/// let run = Recorder::start("primes below 20,000 on two processes");
/// let counts = pool.map(count_primes, [(0, 10_000), (10_000, 20_000)]).unwrap();
/// let trace = run.finish(pool.take_spans());
/// assert_eq!(counts.iter().sum::<u64>(), 2262);
/// assert_eq!(trace.spans.len(), 2);
/// assert!(!trace.pids().contains(&trace.parent_pid)); // the workers ran the tasks, not this process
/// ```
#[derive(Debug, Clone)]
pub struct Recorder {
    title: String,
    start_ns: u64,
    cpu: CpuTime,
}

impl Recorder {
    /// Starts the clock for a run called `title`: the title heads its
    /// timeline and names its SVG file.
    ///
    /// ```
    /// let run = parlab::Recorder::start("nothing at all");
    /// assert_eq!(run.finish(Vec::new()).title, "nothing at all");
    /// ```
    pub fn start(title: impl Into<String>) -> Recorder {
        Recorder { title: title.into(), start_ns: now_ns(), cpu: CpuTime::now() }
    }

    /// Stops the clock and keeps `spans` as the run's tasks.
    ///
    /// ```
    /// use parlab::{Recorder, Sequential};
    ///
    /// fn square(x: u64) -> u64 {
    ///     x * x
    /// }
    ///
    /// let on = Sequential::new();
    /// let run = Recorder::start("squares");
    /// assert_eq!(on.map(square, [1, 2, 3]).unwrap(), [1, 4, 9]);
    /// let trace = run.finish(on.take_spans());
    /// assert_eq!(trace.summary().tasks, 3);
    /// assert_eq!(trace.pids(), [std::process::id() as i32]);
    /// ```
    pub fn finish(self, spans: Vec<Span>) -> Trace {
        Trace {
            title: self.title,
            start_ns: self.start_ns,
            end_ns: now_ns(),
            cpu: CpuTime::now().since(&self.cpu),
            parent_pid: current_pid(),
            spans,
        }
    }
}

/// A finished run: its tasks, its wall time and the CPU time it used. It
/// answers whether the tasks really ran in parallel, which a stopwatch alone
/// cannot.
///
/// ```
/// use parlab::{Span, Trace};
///
/// let span = |index, pid, start_ns, end_ns| {
///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
/// };
/// // Two processes, each running a task from 0 to 100 ns: in parallel.
/// let trace = Trace::from_spans("two at once", vec![span(0, 7, 0, 100), span(1, 8, 0, 100)]);
/// assert_eq!(trace.max_concurrency(), 2);
/// assert_eq!(trace.summary().parallelism, 2.0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// What the run was, as its timeline's heading.
    pub title: String,
    /// When the run started, on the monotonic clock, in nanoseconds.
    pub start_ns: u64,
    /// When the run ended, on the same clock.
    pub end_ns: u64,
    /// CPU time of the parent and of the children it reaped during the run.
    pub cpu: CpuTime,
    /// The process that recorded the run.
    pub parent_pid: i32,
    /// Every task's span, in no particular order.
    pub spans: Vec<Span>,
}

impl Trace {
    /// Builds a trace from spans alone, its wall time from the first start to the last end:
    /// for spans read back from a trace file, where no [`Recorder`] ran. Its CPU time is 0.
    ///
    /// ```
    /// use parlab::{Span, Trace};
    ///
    /// let span = |index, pid, start_ns, end_ns| {
    ///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    /// };
    /// let trace = Trace::from_spans("t", vec![span(0, 7, 50, 100), span(1, 7, 100, 300)]);
    /// assert_eq!((trace.start_ns, trace.end_ns), (50, 300));
    /// ```
    pub fn from_spans(title: impl Into<String>, spans: Vec<Span>) -> Trace {
        let start_ns = spans.iter().map(|s| s.start_ns).min().unwrap_or(0);
        let end_ns = spans.iter().map(|s| s.end_ns).max().unwrap_or(start_ns);
        Trace { title: title.into(), start_ns, end_ns, cpu: CpuTime::default(), parent_pid: current_pid(), spans }
    }

    /// Wall time of the run, in seconds.
    ///
    /// ```
    /// use parlab::{Span, Trace};
    ///
    /// let span = |index, pid, start_ns, end_ns| {
    ///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    /// };
    /// let trace = Trace::from_spans("t", vec![span(0, 7, 0, 500_000_000), span(1, 8, 0, 1_500_000_000)]);
    /// assert_eq!(trace.wall_secs(), 1.5);
    /// ```
    pub fn wall_secs(&self) -> f64 {
        secs_between(self.start_ns, self.end_ns)
    }

    /// The distinct (pid, thread) lanes that ran tasks, ordered by the
    /// first task (lowest index) each ran: the rows of a timeline.
    ///
    /// ```
    /// use parlab::{Span, Trace};
    ///
    /// let span = |index, pid, start_ns, end_ns| {
    ///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    /// };
    /// let trace = Trace::from_spans("t", vec![span(1, 8, 0, 10), span(0, 7, 0, 10), span(2, 8, 10, 20)]);
    /// assert_eq!(trace.lanes(), [(7, 7), (8, 8)]);
    /// ```
    pub fn lanes(&self) -> Vec<(i32, i32)> {
        let mut spans: Vec<&Span> = self.spans.iter().collect();
        spans.sort_by_key(|s| (s.index, s.start_ns));
        let mut lanes = Vec::new();
        for s in spans {
            if !lanes.contains(&(s.pid, s.tid)) {
                lanes.push((s.pid, s.tid));
            }
        }
        lanes
    }

    /// Distinct processes that ran tasks, in ascending order.
    ///
    /// ```
    /// use parlab::{Span, Trace};
    ///
    /// let span = |index, pid, start_ns, end_ns| {
    ///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    /// };
    /// let trace = Trace::from_spans("t", vec![span(0, 8, 0, 10), span(1, 7, 0, 10), span(2, 8, 10, 20)]);
    /// assert_eq!(trace.pids(), [7, 8]);
    /// ```
    pub fn pids(&self) -> Vec<i32> {
        let mut pids: Vec<i32> = self.spans.iter().map(|s| s.pid).collect();
        pids.sort_unstable();
        pids.dedup();
        pids
    }

    /// The largest number of tasks that were running at one moment: 1 means
    /// nothing ran in parallel, however many processes there were.
    ///
    /// ```
    /// use parlab::{Span, Trace};
    ///
    /// let span = |index, pid, start_ns, end_ns| {
    ///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    /// };
    /// // Two processes, one after the other: no overlap.
    /// let trace = Trace::from_spans("t", vec![span(0, 7, 0, 10), span(1, 8, 10, 20)]);
    /// assert_eq!(trace.max_concurrency(), 1);
    /// ```
    pub fn max_concurrency(&self) -> usize {
        let mut events: Vec<(u64, i32)> = Vec::new();
        for s in &self.spans {
            events.push((s.start_ns, 1));
            events.push((s.end_ns, -1));
        }
        // Ends sort before starts at the same instant: touching is not overlapping.
        events.sort();
        let (mut now, mut max) = (0i32, 0i32);
        for (_, d) in events {
            now += d;
            max = max.max(now);
        }
        max as usize
    }

    /// Numbers that sum the run up.
    ///
    /// ```
    /// use parlab::{Span, Trace};
    ///
    /// let span = |index, pid, start_ns, end_ns| {
    ///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    /// };
    /// // Three 1-second tasks on two processes: 2 seconds of wall time.
    /// let second = 1_000_000_000;
    /// let spans = vec![span(0, 7, 0, second), span(1, 8, 0, second), span(2, 7, second, 2 * second)];
    /// let trace = Trace::from_spans("t", spans);
    /// let summary = trace.summary();
    /// assert_eq!((summary.tasks, summary.processes, summary.wall_secs), (3, 2, 2.0));
    /// assert_eq!((summary.parallelism, summary.lanes_busy), (1.5, 0.75));
    /// ```
    pub fn summary(&self) -> Summary {
        let wall = self.wall_secs();
        let busy: f64 = self.spans.iter().map(Span::secs).sum();
        let lanes = self.lanes().len().max(1);
        let parallelism = if wall > 0.0 { busy / wall } else { 0.0 };
        Summary {
            tasks: self.spans.iter().map(|s| s.tasks).sum(),
            lanes,
            processes: self.pids().len(),
            wall_secs: wall,
            task_secs: busy,
            parallelism,
            lanes_busy: parallelism / lanes as f64,
            cpu_parent_secs: self.cpu.own.as_secs_f64(),
            cpu_children_secs: self.cpu.children.as_secs_f64(),
        }
    }
}

/// A run in numbers, from [`Trace::summary`]; printed, it is the two lines
/// under every timeline.
///
/// ```
/// use parlab::{Span, Trace};
///
/// let span = |index, pid, start_ns, end_ns| {
///     Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
/// };
/// let trace = Trace::from_spans("t", vec![span(0, 7, 0, 1_000_000_000), span(1, 8, 0, 1_000_000_000)]);
/// assert_eq!(
///     trace.summary().to_string(),
///     "2 tasks in 2 process(es), 2 lane(s): wall 1.000 s, task time 2.000 s\n\
///      average parallelism 2.00x, lanes busy 100%, CPU: parent 0.000 s, children 0.000 s"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Tasks run, counting every task of a chunk.
    pub tasks: usize,
    /// Distinct (process, thread) lanes that ran tasks.
    pub lanes: usize,
    /// Distinct processes that ran tasks.
    pub processes: usize,
    /// Wall time of the run, in seconds.
    pub wall_secs: f64,
    /// Sum of every task's own time: what a sequential run would take.
    pub task_secs: f64,
    /// `task_secs / wall_secs`: how many tasks ran at once, on average. Not
    /// a speedup, which compares two runs of the same work (T_seq / T_par):
    /// tasks that slow each other down raise this and lower that.
    pub parallelism: f64,
    /// Average parallelism per lane: 1.0 means no lane was ever idle.
    pub lanes_busy: f64,
    /// CPU time of the process that recorded the run, in seconds.
    pub cpu_parent_secs: f64,
    /// CPU time of the children it reaped during the run, in seconds.
    pub cpu_children_secs: f64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{} tasks in {} process(es), {} lane(s): wall {:.3} s, task time {:.3} s",
            self.tasks, self.processes, self.lanes, self.wall_secs, self.task_secs
        )?;
        write!(
            f,
            "average parallelism {:.2}x, lanes busy {:.0}%, CPU: parent {:.3} s, children {:.3} s",
            self.parallelism,
            self.lanes_busy * 100.0,
            self.cpu_parent_secs,
            self.cpu_children_secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(index: usize, pid: i32, start_ns: u64, end_ns: u64) -> Span {
        Span { index, pid, tid: pid, worker: 0, tasks: 1, start_ns, end_ns, sleep: None }
    }

    #[test]
    fn concurrency_counts_overlap_but_not_touching() {
        let t = Trace::from_spans("t", vec![span(0, 1, 0, 10), span(1, 2, 10, 20)]);
        assert_eq!(t.max_concurrency(), 1);
        let t = Trace::from_spans("t", vec![span(0, 1, 0, 10), span(1, 2, 5, 20), span(2, 3, 6, 7)]);
        assert_eq!(t.max_concurrency(), 3);
    }

    #[test]
    fn summary_parallelism_is_task_time_over_wall_time() {
        let t = Trace::from_spans("t", vec![span(0, 1, 0, 1_000), span(1, 2, 0, 1_000)]);
        let s = t.summary();
        assert_eq!((s.tasks, s.lanes, s.processes), (2, 2, 2));
        assert!((s.parallelism - 2.0).abs() < 1e-9);
        assert!((s.lanes_busy - 1.0).abs() < 1e-9);
    }

    #[test]
    fn lanes_follow_the_first_task_they_ran() {
        let t = Trace::from_spans("t", vec![span(1, 7, 50, 60), span(0, 3, 0, 10), span(2, 7, 70, 80)]);
        assert_eq!(t.lanes(), vec![(3, 3), (7, 7)]);
    }
}
