//! The checker's witness of a run: the course workloads report each call
//! here, over a Unix socket made for that run alone, and what the checker
//! keeps is what it saw itself or the kernel attests, never the program's
//! word: who spoke (the kernel's `SCM_CREDENTIALS` on every message, so a
//! connection handed to another process speaks as that process), when (the
//! checker's own clock, read as each message arrives), how much CPU the
//! reporting thread used between start and end (`/proc/PID/task/TID/schedstat`,
//! read while the thread waits for the checker's reply), and where that
//! process sat (its session and parent). How long a sleep lasts is the
//! checker's to say. The protocol's client is `parlab::witness`.

mod socket;

use nix::sys::socket::{
    AddressFamily, Backlog, SockFlag, SockType, UnixAddr, accept4, bind, listen, setsockopt, socket, sockopt,
};
use parlab_sandbox::procs;
use serde_json::Value;
use socket::{Heard, Message, receive, reply};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

/// What a workload call said it would do.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Work {
    /// `task_with(s)` (or the tutorial's `task`, s = 1): sleep `s` course seconds.
    Sleep(f64),
    /// `count_primes((a, b))`.
    Count(u64, u64),
    /// `fragile(x)`.
    Fragile(u64),
    /// A batch of `n` calls of `tiny`, reported once done: one report per
    /// batch, as a report costs more than a call.
    Tiny(u64),
}

impl std::fmt::Display for Work {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Work::Sleep(s) => write!(f, "task_with({s})"),
            Work::Count(a, b) => write!(f, "count_primes(({a}, {b}))"),
            Work::Fragile(x) => write!(f, "fragile({x})"),
            Work::Tiny(n) => write!(f, "{n} calls of tiny"),
        }
    }
}

/// How a witnessed call ended.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct End {
    /// When the result arrived, on the checker's clock ([`parlab::now_ns`]).
    pub at_ns: u64,
    pub result: Value,
    /// The process that sent the result, as the kernel says.
    pub pid: i32,
    /// CPU time the thread used between start and end (nanoseconds), if readable.
    pub cpu_ns: Option<u64>,
}

/// One workload call, as the checker witnessed it (or a relay of the
/// checker's on another host: [`crate::hosts`]).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Call {
    /// The process that started it, as the kernel says.
    pub pid: i32,
    pub uid: u32,
    /// The thread it named, checked to be a thread of `pid` at the time.
    pub tid: i32,
    /// `pid`'s session and parent when it spoke, from `/proc`.
    pub session: Option<i32>,
    pub parent: Option<i32>,
    /// The host it ran on, when not this one (a relay's call, its times
    /// moved onto this checker's clock).
    pub host: Option<String>,
    pub work: Work,
    /// When the start arrived, on the checker's clock.
    pub start_ns: u64,
    pub end: Option<End>,
    /// The connection closed without an end, and the process that started
    /// the call had ended by then (a crash), rather than living on.
    pub died: bool,
}

/// A listening witness for one run: one thread, which waits on the
/// listening socket and every connection at once and answers whatever is
/// ready, so that a hundred threads starting together are answered in one
/// pass, with no thread started per connection.
pub struct Witness {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    looper: Option<JoinHandle<Result<Vec<Call>, String>>>,
}

/// At most this many connections may be open at once: more, and the
/// program is flooding the checker (a hundred waits and more need a few hundred).
const MAX_OPEN: usize = 2048;

/// At most this many calls in one run: a hundred waits, or a batch of tiny
/// calls per 65,536, come nowhere near it; a program that floods the checker
/// with reports does.
const MAX_CALLS: usize = 100_000;

/// After the run has ended, how long a connection some surviving process
/// still holds is waited for.
const AFTER_THE_RUN: Duration = Duration::from_secs(2);

impl Witness {
    /// Listens at `dir/witness.sock`, for programs run as any user (the
    /// kernel names each sender). `sleep_scale` is real seconds per course
    /// second; `lasting` says how long a sleep of each value really lasts
    /// (course seconds; a value not listed lasts itself).
    pub fn start(dir: &Path, sleep_scale: f64, lasting: Vec<(f64, f64)>) -> std::io::Result<Witness> {
        let path = dir.join("witness.sock");
        let listener =
            socket(AddressFamily::Unix, SockType::SeqPacket, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, None)?;
        bind(listener.as_raw_fd(), &UnixAddr::new(&path)?)?;
        std::fs::set_permissions(&path, std::os::unix::fs::PermissionsExt::from_mode(0o666))?;
        listen(&listener, Backlog::new(1024).map_err(std::io::Error::from)?)?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = Arc::clone(&stop);
        let looper = std::thread::spawn(move || Loop::new(sleep_scale, lasting).run(&listener, &stopping));
        Ok(Witness { path, stop, looper: Some(looper) })
    }

    /// The socket's path, for the program's environment.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Stops listening, once every process of the run has ended, and returns
    /// what was witnessed (calls by start time), or the first report that
    /// broke the protocol.
    pub fn finish(mut self) -> Result<Vec<Call>, String> {
        self.stop.store(true, Ordering::SeqCst);
        let outcome = match self.looper.take().map(JoinHandle::join) {
            Some(Ok(outcome)) => outcome,
            _ => Err("the checker's witness failed".to_string()),
        };
        let _ = std::fs::remove_file(&self.path);
        let mut calls = outcome?;
        calls.sort_by_key(|c| c.start_ns);
        Ok(calls)
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

/// Where a connection stands.
enum Step {
    /// No call open: waiting for the next start.
    Waiting,
    /// A call started (with its thread's CPU time then): waiting for its end.
    Open(Box<Call>, u64),
}

/// One connection from a thread of the program: its calls, one after another.
struct Connection {
    conn: OwnedFd,
    step: Step,
    /// The thread's CPU time at its last report, to charge a batch of tiny calls.
    cpu_before: Option<u64>,
}

/// The witness's state while the run goes on.
struct Loop {
    scale: f64,
    lasting: Vec<(f64, f64)>,
    conns: Vec<Connection>,
    calls: Vec<Call>,
    /// Calls whose connection closed before their end: did their process end too?
    closing: Vec<(Call, std::time::Instant)>,
    /// Session and parent of each process that reported, read at its first report.
    stats: std::collections::HashMap<i32, Option<procs::Stat>>,
}

impl Loop {
    fn new(scale: f64, lasting: Vec<(f64, f64)>) -> Loop {
        Loop { scale, lasting, conns: Vec::new(), calls: Vec::new(), closing: Vec::new(), stats: Default::default() }
    }

    fn run(mut self, listener: &OwnedFd, stop: &AtomicBool) -> Result<Vec<Call>, String> {
        use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
        let mut stopped_at: Option<std::time::Instant> = None;
        loop {
            let (listening, ready) = {
                let mut fds = vec![PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
                fds.extend(self.conns.iter().map(|c| PollFd::new(c.conn.as_fd(), PollFlags::POLLIN)));
                // Checking on closing calls needs a short nap; else wake for the stop flag.
                let nap: u8 = if self.closing.is_empty() { 20 } else { 2 };
                if poll(&mut fds, PollTimeout::from(nap)).unwrap_or(0) <= 0 {
                    (false, Vec::new())
                } else {
                    let any = |f: &PollFd| f.revents().is_some_and(|r| !r.is_empty());
                    (any(&fds[0]), fds[1..].iter().enumerate().filter(|(_, f)| any(f)).map(|(i, _)| i).collect())
                }
            };
            if listening {
                self.accept_all(listener)?;
            }
            // Served from the last, so that removing one leaves the others' places.
            for &i in ready.iter().rev() {
                self.serve(i)?;
            }
            self.check_closing(false);
            if stop.load(Ordering::SeqCst) {
                let since = *stopped_at.get_or_insert_with(std::time::Instant::now);
                if (self.conns.is_empty() && !listening) || since.elapsed() > AFTER_THE_RUN {
                    break;
                }
            }
        }
        // Calls still open when the run was over stay unfinished.
        self.check_closing(true);
        for c in self.conns.drain(..) {
            if let Step::Open(call, _) = c.step {
                self.calls.push(*call);
            }
        }
        Ok(self.calls)
    }

    fn accept_all(&mut self, listener: &OwnedFd) -> Result<(), String> {
        while let Ok(conn) = accept4(listener, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK) {
            if self.conns.len() >= MAX_OPEN {
                return Err(format!("your program opened more than {MAX_OPEN} connections to the checker at once"));
            }
            let _ = setsockopt(&conn, sockopt::PassCred, &true);
            self.conns.push(Connection { conn, step: Step::Waiting, cpu_before: None });
        }
        Ok(())
    }

    /// Reads every message waiting on connection `i`; removes it once closed.
    fn serve(&mut self, i: usize) -> Result<(), String> {
        loop {
            match receive(&self.conns[i].conn)? {
                Heard::Silent => return Ok(()),
                Heard::Closed => {
                    let c = self.conns.swap_remove(i);
                    if let Step::Open(call, _) = c.step {
                        self.closing.push((*call, std::time::Instant::now()));
                    }
                    return Ok(());
                }
                Heard::Message(m) => {
                    let step = std::mem::replace(&mut self.conns[i].step, Step::Waiting);
                    self.conns[i].step = match step {
                        Step::Waiting => self.begin(i, m)?,
                        Step::Open(call, cpu_start) => {
                            self.end(i, *call, cpu_start, m)?;
                            Step::Waiting
                        }
                    };
                }
            }
        }
    }

    /// A call's start: checked, stamped, answered.
    fn begin(&mut self, i: usize, start: Message) -> Result<Step, String> {
        let start_ns = parlab::now_ns();
        if self.calls.len() >= MAX_CALLS {
            return Err(format!(
                "your program sent the checker more than {MAX_CALLS} reports: call the workloads once per task"
            ));
        }
        let (pid, uid) = (start.pid, start.uid);
        let work = parse_work(&start.value)
            .ok_or_else(|| format!("process {pid} sent the checker a report the course workloads do not write"))?;
        let tid = start.value.get("tid").and_then(Value::as_i64).unwrap_or(0) as i32;
        let not_its_thread = || {
            format!(
                "process {pid} reported {work} as thread {tid}, which is not one of its threads: the report was not \
                 written by the course workloads"
            )
        };
        // A sleep needs no CPU time read: only that the thread is the sender's.
        let cpu_start = match work {
            Work::Sleep(_) | Work::Fragile(_) => {
                if tid <= 0 || !Path::new(&format!("/proc/{pid}/task/{tid}")).exists() {
                    return Err(not_its_thread());
                }
                0
            }
            Work::Count(..) | Work::Tiny(_) => thread_cpu_ns(pid, tid).ok_or_else(not_its_thread)?,
        };
        let stat = *self.stats.entry(pid).or_insert_with(|| procs::stat(pid));
        let mut call = Call {
            pid,
            uid,
            tid,
            session: stat.map(|s| s.session),
            parent: stat.map(|s| s.ppid),
            host: None,
            work: work.clone(),
            start_ns,
            end: None,
            died: false,
        };
        let conn = &mut self.conns[i];
        // A batch of tiny calls is reported when done: its CPU time is the
        // thread's since its last report on this connection (or since it began).
        if let Work::Tiny(n) = work {
            let cpu_ns = cpu_start.saturating_sub(conn.cpu_before.unwrap_or(0));
            conn.cpu_before = Some(cpu_start);
            reply(&conn.conn, "{}");
            call.end = Some(End { at_ns: start_ns, result: Value::from(n), pid, cpu_ns: Some(cpu_ns) });
            self.calls.push(call);
            return Ok(Step::Waiting);
        }
        let sleep_ns = match work {
            Work::Sleep(s) => {
                let lasts = self.lasting.iter().find(|(v, _)| (v - s).abs() < 1e-9).map_or(s, |&(_, d)| d);
                (lasts.clamp(0.0, 3600.0) * self.scale * 1e9) as u64
            }
            Work::Fragile(x) if !parlab::workloads::crashes(x) => (0.1 * self.scale * 1e9) as u64,
            _ => 0,
        };
        reply(&conn.conn, &format!("{{\"sleep_ns\":{sleep_ns}}}"));
        Ok(Step::Open(Box::new(call), cpu_start))
    }

    /// A call's end: stamped, the thread's CPU time read while it waits, answered.
    fn end(&mut self, i: usize, mut call: Call, cpu_start: u64, end: Message) -> Result<(), String> {
        let at_ns = parlab::now_ns();
        let conn = &mut self.conns[i];
        let cpu_ns = match call.work {
            Work::Count(..) => {
                let cpu_end = thread_cpu_ns(end.pid, call.tid);
                conn.cpu_before = cpu_end;
                cpu_end.map(|b| b.saturating_sub(cpu_start))
            }
            _ => None,
        };
        let result = end.value.get("result").cloned().ok_or_else(|| {
            format!("process {} sent the checker a report the course workloads do not write", end.pid)
        })?;
        reply(&conn.conn, "{}");
        call.end = Some(End { at_ns, result, pid: end.pid, cpu_ns });
        self.calls.push(call);
        Ok(())
    }

    /// Settles calls whose connection closed before their end: a crash if
    /// their process ended within a moment, else unfinished (and all of them
    /// once the run is over).
    fn check_closing(&mut self, now: bool) {
        let mut still = Vec::new();
        for (mut call, since) in self.closing.drain(..) {
            if procs::stat(call.pid).is_none_or(|s| s.zombie) {
                call.died = true;
                self.calls.push(call);
            } else if now || since.elapsed() > Duration::from_millis(200) {
                self.calls.push(call);
            } else {
                still.push((call, since));
            }
        }
        self.closing = still;
    }
}

fn parse_work(v: &Value) -> Option<Work> {
    if let Some(s) = v.get("sleep") {
        return Some(Work::Sleep(s.as_f64()?));
    }
    if let Some(r) = v.get("count") {
        return Some(Work::Count(r.get(0)?.as_u64()?, r.get(1)?.as_u64()?));
    }
    if let Some(n) = v.get("tiny") {
        return Some(Work::Tiny(n.as_u64()?));
    }
    v.get("fragile").and_then(Value::as_u64).map(Work::Fragile)
}

/// The file name of `pid`'s executable, as the kernel links it.
pub fn exe_name(pid: i32) -> Option<String> {
    let exe = std::fs::read_link(format!("/proc/{pid}/exe")).ok()?;
    Some(exe.file_name()?.to_string_lossy().into_owned())
}

/// CPU time thread `tid` of `pid` has used, in nanoseconds (Linux's schedstat).
fn thread_cpu_ns(pid: i32, tid: i32) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/schedstat")).ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests;
