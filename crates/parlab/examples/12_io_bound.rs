//! Step 12: I/O-bound work, the tutorial's last claim, measured. A task that
//! waits uses no CPU, so waits overlap however few CPUs there are: what
//! bounds them is how many can be in flight, and what each one in flight
//! costs (a process, a thread, or an async task).
//!
//! Run: `cargo run --release -p parlab --example 12_io_bound`

use parlab::workloads::scaled;
use parlab::{Cpus, Process, Recorder, Span, timeline};
use std::io::{Read, Write};
use std::time::Instant;

/// How long each wait lasts, in course seconds (`PARLAB_TIME_SCALE` shrinks it).
const WAIT: f64 = 1.0;

/// A client that has no answer after this long reports it rather than hang.
const TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// One row of the table: how many waits, how long until all were in flight,
/// how long until all were done, and the memory each one in flight took.
struct Row {
    how: &'static str,
    waits: usize,
    started: f64,
    wall: f64,
    kib_each: Option<f64>,
}

// ANCHOR: processes
/// `n` waits, one process each: every wait costs a fork.
fn on_processes(n: usize) -> parlab::Result<Row> {
    let t = Instant::now();
    let children = (0..n)
        .map(|_| Process::start(|| std::thread::sleep(scaled(WAIT))))
        .collect::<parlab::Result<Vec<_>>>()?;
    let started = t.elapsed().as_secs_f64();
    let kib: Option<u64> = children.iter().map(|c| memory::pss_kib(c.pid())).sum();
    for child in children {
        child.join()?;
    }
    let kib_each = kib.map(|k| k as f64 / n as f64);
    Ok(Row {
        how: "processes",
        waits: n,
        started,
        wall: t.elapsed().as_secs_f64(),
        kib_each,
    })
}
// ANCHOR_END: processes

// ANCHOR: threads
/// `n` waits, one thread each: every wait costs a thread and its stack.
fn on_threads(n: usize) -> Row {
    let before = memory::rss_kib();
    let t = Instant::now();
    let (mut started, mut during) = (0.0, None);
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(|| std::thread::sleep(scaled(WAIT)));
        }
        started = t.elapsed().as_secs_f64();
        during = memory::rss_kib();
    });
    let kib_each = during.zip(before).map(|(d, b)| d.saturating_sub(b) as f64 / n as f64);
    Row { how: "threads", waits: n, started, wall: t.elapsed().as_secs_f64(), kib_each }
}
// ANCHOR_END: threads

// ANCHOR: async
/// `n` waits as async tasks on one thread: a wait is a small value that the
/// runtime polls again when its timer fires.
fn on_async(n: usize) -> Row {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build();
    let runtime = runtime.expect("a Tokio runtime");
    let before = memory::rss_kib();
    let t = Instant::now();
    let (started, during) = runtime.block_on(async {
        let tasks: Vec<_> =
            (0..n).map(|_| tokio::spawn(tokio::time::sleep(scaled(WAIT)))).collect();
        let in_flight = (t.elapsed().as_secs_f64(), memory::rss_kib());
        for task in tasks {
            task.await.expect("a sleep does not fail");
        }
        in_flight
    });
    let kib_each = during.zip(before).map(|(d, b)| d.saturating_sub(b) as f64 / n as f64);
    Row {
        how: "async tasks",
        waits: n,
        started,
        wall: t.elapsed().as_secs_f64(),
        kib_each,
    }
}
// ANCHOR_END: async

// ANCHOR: sockets
/// A real wait: `n` clients on threads, each connecting to a local server
/// that answers after `WAIT`. The thread blocks in `read` until the answer.
fn socket_on_threads(addr: std::net::SocketAddr, n: usize) -> Row {
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..n {
            s.spawn(move || {
                let mut stream = std::net::TcpStream::connect(addr).expect("connect");
                stream.set_read_timeout(Some(TIMEOUT)).expect("a timeout");
                let mut answer = [0u8; 1];
                stream.read_exact(&mut answer).expect("the server answers");
            });
        }
    });
    Row {
        how: "threads, socket",
        waits: n,
        started: 0.0,
        wall: t.elapsed().as_secs_f64(),
        kib_each: None,
    }
}

/// The same `n` clients as async tasks on one thread.
fn socket_on_async(addr: std::net::SocketAddr, n: usize) -> Row {
    use tokio::io::AsyncReadExt;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build();
    let runtime = runtime.expect("a Tokio runtime");
    let t = Instant::now();
    runtime.block_on(async {
        let clients: Vec<_> = (0..n)
            .map(|_| {
                tokio::spawn(async move {
                    let mut stream =
                        tokio::net::TcpStream::connect(addr).await.expect("connect");
                    let mut answer = [0u8; 1];
                    let read =
                        tokio::time::timeout(TIMEOUT, stream.read_exact(&mut answer));
                    read.await.expect("an answer in time").expect("the server answers");
                })
            })
            .collect();
        for client in clients {
            client.await.expect("a client ends");
        }
    });
    Row {
        how: "async, socket",
        waits: n,
        started: 0.0,
        wall: t.elapsed().as_secs_f64(),
        kib_each: None,
    }
}
// ANCHOR_END: sockets

// ANCHOR: blocking
/// A hundred short async waits (a tenth of `WAIT`) beside one task that
/// waits `WAIT` in a blocking call, on one runtime thread: with the block in
/// the task itself, or handed to Tokio's threads for blocking work. Returns
/// when the short waits were all done.
fn short_waits_beside_a_block(hand_over: bool) -> f64 {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build();
    let runtime = runtime.expect("a Tokio runtime");
    let t = Instant::now();
    runtime.block_on(async {
        let block = if hand_over {
            tokio::task::spawn_blocking(|| std::thread::sleep(scaled(WAIT)))
        } else {
            tokio::spawn(async { std::thread::sleep(scaled(WAIT)) })
        };
        let wait = scaled(WAIT / 10.0);
        let short: Vec<_> =
            (0..100).map(|_| tokio::spawn(tokio::time::sleep(wait))).collect();
        for task in short {
            task.await.expect("a sleep does not fail");
        }
        let done = t.elapsed().as_secs_f64();
        block.await.expect("the block ends");
        done
    })
}
// ANCHOR_END: blocking

/// A local server that answers every connection with one byte after `WAIT`
/// (one thread per connection: it only waits).
fn start_server() -> std::io::Result<std::net::SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    // Room for every client that connects at once: past the queue's length
    // (128 by default), the kernel drops connections it must then retry.
    nix::sys::socket::listen(&listener, nix::sys::socket::Backlog::MAXCONN)?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                std::thread::sleep(scaled(WAIT));
                let _ = stream.write_all(b"!");
            });
        }
    });
    Ok(addr)
}

// ANCHOR: timeline
/// Ten waits on processes and on threads, traced and drawn on one axis.
fn traced_waits() -> parlab::Result<()> {
    let run = Recorder::start("12 ten waits on processes");
    let children = (0..10)
        .map(|_| Process::start(|| std::thread::sleep(scaled(WAIT))))
        .collect::<parlab::Result<Vec<_>>>()?;
    for child in children {
        child.join()?;
    }
    let processes = run.finish(Process::take_spans());

    let run = Recorder::start("12 ten waits on threads");
    let spans: Vec<Span> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..10)
            .map(|i| {
                s.spawn(move || {
                    Span::measure(i, i, || std::thread::sleep(scaled(WAIT))).1
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("a wait does not panic")).collect()
    });
    let threads = run.finish(spans);
    timeline::print_together(&[&processes, &threads]);
    Ok(())
}
// ANCHOR_END: timeline

fn print(row: &Row) {
    // Memory comes in pages of 4 KiB: per wait, it means something only
    // for many waits.
    let memory = match row.kib_each {
        Some(k) if row.waits >= 1000 && k > 0.0 => format!("{k:.1} KiB"),
        _ => "-".to_string(),
    };
    let started = if row.started > 0.0 {
        format!("{:.1} ms", row.started * 1e3)
    } else {
        "-".into()
    };
    println!(
        "  {:<16}{:>6}  {:>9}  {:>7.2} s  {:>11}",
        row.how, row.waits, started, row.wall, memory
    );
}

fn main() -> parlab::Result<()> {
    let cpus = Cpus::detect();
    println!(
        "waits of {} each; {}",
        timeline::human(scaled(WAIT).as_secs_f64()),
        cpus.explain()
    );
    // Processes first: the engine forks only while this process has one thread.
    traced_waits()?;
    println!(
        "  {:<16}{:>6}  {:>9}  {:>9}  {:>11}",
        "on", "waits", "started", "wall", "memory each"
    );
    for n in [10, 100, 1000] {
        print(&on_processes(n)?);
    }
    for n in [10, 100, 1000, 10_000] {
        print(&on_threads(n));
    }
    for n in [10, 100, 1000, 10_000, 100_000] {
        print(&on_async(n));
    }
    let server = start_server()?;
    for n in [10, 100, 400] {
        print(&socket_on_threads(server, n));
    }
    for n in [10, 100, 400] {
        print(&socket_on_async(server, n));
    }
    let short = timeline::human(scaled(WAIT / 10.0).as_secs_f64());
    for (how, hand_over) in [("in the task", false), ("in spawn_blocking", true)] {
        let done = short_waits_beside_a_block(hand_over);
        println!(
            "100 waits of {short} beside a blocking call {how}: done after {}",
            timeline::human(done)
        );
    }
    Ok(())
}

/// Memory as Linux counts it, from `/proc`; `None` elsewhere.
mod memory {
    /// A field of a `/proc` file, in KiB.
    fn field_kib(path: &str, name: &str) -> Option<u64> {
        let text = std::fs::read_to_string(path).ok()?;
        let line = text.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].trim().trim_end_matches("kB").trim().parse().ok()
    }

    /// This process's resident memory (what its threads' stacks and heap
    /// touched).
    pub fn rss_kib() -> Option<u64> {
        field_kib("/proc/self/status", "VmRSS:")
    }

    /// A process's proportional share of memory: its own pages, plus shared
    /// ones divided among the processes that share them (after a fork, most
    /// pages are shared with the parent until written).
    pub fn pss_kib(pid: i32) -> Option<u64> {
        field_kib(&format!("/proc/{pid}/smaps_rollup"), "Pss:")
    }
}
