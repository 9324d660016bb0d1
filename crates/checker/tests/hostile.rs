//! Programs written as a student who wants the points without the work would
//! write them, and the natural mistakes the checker once let through: at
//! least one per exercise. Each must fail for the reason that names what it
//! did, while another program keeps a CPU busy (witnessed evidence decides
//! under any load), and leave nothing behind. (Plain wrong solutions are in
//! `verdicts.rs`.)

mod common;

use common::*;

/// A client of the checker's socket written by hand (no parlab), to say
/// whatever a program likes: the kernel still names the sender.
const RAW_CLIENT: &str = r#"
mod raw {
    use std::os::raw::{c_int, c_void};
    #[repr(C)]
    struct SockaddrUn { family: u16, path: [u8; 108] }
    unsafe extern "C" {
        fn socket(domain: c_int, kind: c_int, protocol: c_int) -> c_int;
        fn connect(fd: c_int, addr: *const SockaddrUn, len: u32) -> c_int;
        fn setsockopt(fd: c_int, level: c_int, name: c_int, value: *const c_void, len: u32) -> c_int;
        fn send(fd: c_int, buf: *const c_void, n: usize, flags: c_int) -> isize;
        fn recv(fd: c_int, buf: *mut c_void, n: usize, flags: c_int) -> isize;
        fn gettid() -> c_int;
    }
    pub fn connect_to_checker() -> c_int {
        let path = std::env::var("PARLAB_WITNESS").unwrap_or_default();
        let mut addr = SockaddrUn { family: 1, path: [0; 108] };
        addr.path[..path.len()].copy_from_slice(path.as_bytes());
        let one: c_int = 1;
        // SAFETY: plain system calls on values that live through them.
        unsafe {
            let fd = socket(1, 5, 0); // AF_UNIX, SOCK_SEQPACKET
            setsockopt(fd, 1, 16, &one as *const c_int as *const c_void, 4); // SO_PASSCRED
            connect(fd, &addr, std::mem::size_of::<SockaddrUn>() as u32);
            fd
        }
    }
    pub fn say(fd: c_int, message: &str) -> String {
        let mut buf = [0u8; 256];
        // SAFETY: as above.
        let n = unsafe {
            send(fd, message.as_ptr() as *const c_void, message.len(), 0);
            recv(fd, buf.as_mut_ptr() as *mut c_void, buf.len(), 0)
        };
        String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned()
    }
    pub fn tid() -> i32 {
        // SAFETY: gettid has no arguments and cannot fail.
        unsafe { gettid() }
    }
}
"#;

/// A segmented sieve: the primes of a range for a sliver of the work.
const SIEVE: &str = r#"
fn sieve(a: u64, b: u64) -> u64 {
    let root = (b as f64).sqrt() as u64 + 1;
    let mut small = vec![true; root as usize + 1];
    let mut is = vec![true; (b - a) as usize];
    for p in 2..=root {
        if !small[p as usize] { continue; }
        (p * p..=root).step_by(p as usize).for_each(|m| small[m as usize] = false);
        ((p * p).max(a.div_ceil(p) * p)..b).step_by(p as usize).for_each(|m| is[(m - a) as usize] = false);
    }
    (a..b.min(2)).for_each(|n| is[(n - a) as usize] = false);
    is.iter().filter(|&&p| p).count() as u64
}
"#;

/// 01: sleeps as long as the tasks would, and answers with the inputs.
#[test]
fn ex01_sleeping_the_total_instead_of_running_the_tasks_fails() {
    let src = r#"
fn solve(sleeps: Vec<f64>) -> parlab::Result<(Vec<f64>, f64)> {
    let started = std::time::Instant::now();
    std::thread::sleep(parlab::workloads::scaled(sleeps.iter().sum()));
    Ok((sleeps, started.elapsed().as_secs_f64()))
}
fn main() { parlab::exercise::run(vec![1.0], solve); }
"#;
    expect_failure_when_busy("h01-sleep", "01_sequential", src, &[], "never ran");
}

/// 02: task i on worker i % workers, on the seed where it once passed.
#[test]
fn ex02_round_robin_fails_on_the_seed_it_once_passed() {
    let src = r#"
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<(f64, Vec<usize>)> {
    let mut free_at = vec![0.0f64; workers];
    let on: Vec<usize> = (0..sleeps.len()).map(|i| i % workers).collect();
    for (s, &w) in sleeps.iter().zip(&on) { free_at[w] += s; }
    Ok((free_at.into_iter().fold(0.0, f64::max), on))
}
fn main() { parlab::exercise::run((2, vec![1.0]), solve); }
"#;
    expect_failure_when_busy("h02-rr", "02_schedule", src, &["--seed", "4"], "the worker free first");
}

/// 03: speaks the checker's protocol itself, naming a thread it does not have.
#[test]
fn ex03_a_report_naming_a_thread_that_is_not_the_senders_fails() {
    let src = format!(
        r#"{RAW_CLIENT}
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> {{
    for s in [a, b] {{
        let fd = raw::connect_to_checker();
        raw::say(fd, &format!("{{{{\"tid\":{{}},\"sleep\":{{s:?}}}}}}", raw::tid() + 7777));
        std::thread::sleep(parlab::workloads::scaled(s));
        raw::say(fd, &format!("{{{{\"result\":{{s:?}}}}}}"));
    }}
    Ok((a, b))
}}
fn main() {{ parlab::exercise::run((1.0, 1.0), solve); }}
"#
    );
    expect_failure_when_busy("h03-tid", "03_two_processes", &src, &[], "which is not one of its threads");
}

/// 04: threads, then a trace file rewritten so that every task claims a
/// process of its own. The checker never reads a trace file.
#[test]
fn ex04_threads_with_a_forged_trace_file_fail() {
    let src = r#"
use parlab::workloads::task_with;
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let handles: Vec<_> = sleeps.iter().map(|&s| std::thread::spawn(move || task_with(s))).collect();
    let results = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let me = std::process::id() as i32;
    let path = std::env::temp_dir().join("parlab-forged-trace.jsonl");
    // SAFETY: the threads have ended.
    unsafe { std::env::set_var("PARLAB_TRACE", &path) };
    for i in 0..10 {
        let (_, mut s) = parlab::Span::measure(i, 0, || ());
        s.pid = me + 1000 + i as i32;
        s.tid = s.pid;
        parlab::trace_file::append(&s);
    }
    Ok(results)
}
fn main() { parlab::exercise::run(vec![1.0; 10], solve); }
"#;
    expect_failure_when_busy("h04-forged", "04_process_loop", src, &[], "every task ran in your program's own process");
}

/// 05: answers with the inputs after waiting as long as a pool would.
#[test]
fn ex05_waiting_the_pools_time_without_the_pool_fails() {
    let src = r#"
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    std::thread::sleep(parlab::workloads::scaled(sleeps.iter().sum::<f64>() / workers as f64));
    Ok(sleeps)
}
fn main() { parlab::exercise::run((2, vec![1.0; 4]), solve); }
"#;
    expect_failure_when_busy("h05-wait", "05_pool_map", src, &[], "never ran");
}

/// 06: a pool twice the size asked for finishes sooner: the reason says so.
#[test]
fn ex06_a_pool_larger_than_asked_is_named() {
    let src = r#"
use parlab::ProcessPool;
use parlab::workloads::task_with;
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(2 * workers)?;
    pool.as_completed(task_with, sleeps)?.map(|(_, r)| r).collect()
}
fn main() { parlab::exercise::run((2, vec![1.0; 4]), solve); }
"#;
    expect_failure_when_busy("h06-big", "06_as_completed", src, &[], "more than the");
}

/// 06: runs the tasks with `map` and hands in the completion order worked
/// out on paper: the checker says how long each task really sleeps, so the
/// order must be seen, not predicted.
#[test]
fn ex06_a_completion_order_worked_out_from_the_input_fails() {
    let src = r#"
use parlab::ProcessPool;
use parlab::workloads::task_with;
fn solve((workers, sleeps): (usize, Vec<f64>)) -> parlab::Result<Vec<f64>> {
    let pool = ProcessPool::new(workers)?;
    let _ = pool.map(task_with, sleeps.clone())?;
    let mut free = vec![0.0f64; workers];
    let mut ends: Vec<(f64, f64)> = Vec::new();
    for &s in &sleeps {
        let w = (0..workers).min_by(|&a, &b| free[a].total_cmp(&free[b])).unwrap();
        free[w] += s;
        ends.push((free[w], s));
    }
    ends.sort_by(|a, b| a.0.total_cmp(&b.0));
    Ok(ends.into_iter().map(|(_, s)| s).collect())
}
fn main() { parlab::exercise::run((2, vec![1.0, 0.4, 0.8, 0.2, 0.6]), solve); }
"#;
    expect_failure_when_busy("h06-predicted", "06_as_completed", src, &[], "the order the input predicts");
}

/// 07: reports every range, with the right counts from a sieve, from two
/// threads that do not count: the kernel's CPU time gives it away.
#[test]
fn ex07_reports_of_counts_nobody_counted_fail() {
    let src = format!(
        r#"{RAW_CLIENT}{SIEVE}
fn solve(ranges: Vec<(u64, u64)>) -> parlab::Result<u64> {{
    let halves: Vec<Vec<(u64, u64)>> = vec![ranges.iter().step_by(2).copied().collect(), ranges.iter().skip(1).step_by(2).copied().collect()];
    let counts: Vec<u64> = std::thread::scope(|s| {{
        let threads: Vec<_> = halves.iter().map(|half| s.spawn(move || {{
            let fd = raw::connect_to_checker();
            let mut total = 0;
            for &(a, b) in half {{
                raw::say(fd, &format!("{{{{\"tid\":{{}},\"count\":[{{a}},{{b}}]}}}}", raw::tid()));
                let n = sieve(a, b);
                std::thread::sleep(std::time::Duration::from_millis(3));
                raw::say(fd, &format!("{{{{\"result\":{{n}}}}}}"));
                total += n;
            }}
            total
        }})).collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    }});
    Ok(counts.iter().sum())
}}
fn main() {{ parlab::exercise::run(parlab::workloads::split_range(2000, 4), solve); }}
"#
    );
    expect_failure_when_busy("h07-raw", "07_cpu_bound", &src, &[], "the counting was not done where it was reported");
}

/// 07: one thread counts all but the smallest range while a second counts
/// that one beside it: two lanes, two at once, and a sequential program.
/// (Written by a red team.) On a quiet machine it fails; beside a busy CPU,
/// where a pool's hand-over slows too, it is at most inconclusive.
#[test]
fn ex07_sequential_with_a_token_overlap_fails() {
    let src = include_str!("programs/ex07_sequential_with_a_token_overlap.rs");
    let _turn = turn();
    let dir = exercises_with("h07-token", &[("07_cpu_bound", src)]);
    let (_, v) = verdict(&dir, "07", &[]);
    eprintln!("verdict of h07-token (07_cpu_bound): {} - {}", v["verdict"], deciding(&v));
    assert!(v["verdict"] == "failed" || v["verdict"] == "inconclusive", "{v}");
    assert!(deciding(&v).contains("at a time on average") || deciding(&v).contains("busy"), "{}", reasons(&v));
    assert!(no_learner_process());
}

/// 07: answers from a sieve, the protocol spoken by hand, both reporting
/// threads pinned to one CPU, each burning two thirds of the work's CPU time.
/// (Written by a red team; it once passed at 1.57x on 0.98 CPUs.) On a quiet
/// machine its short CPU time fails it; beside a busy CPU, where a correct
/// 07 was seen counting in 0.79 of the baseline's CPU time, it may be
/// inconclusive, and never passes.
#[test]
fn ex07_one_cpu_and_a_third_less_work_never_passes() {
    let src = include_str!("programs/ex07_one_cpu_and_a_third_less_work.rs");
    let v = expect_no_pass_when_busy("h07-onecpu", "07_cpu_bound", src, &[]);
    let why = deciding(&v);
    assert!(
        why.contains("at a time on average")
            || why.contains("CPU-seconds")
            || why.contains("less work")
            || why.contains("busy"),
        "{why}"
    );
}

/// 08: threads spin for as long as the work would take while a sieve gives
/// the answer: CPU time alone no longer passes for the work.
#[test]
fn ex08_spinning_threads_and_a_sieve_fail() {
    let src = format!(
        r#"{SIEVE}
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {{
    // Time the real work on a sample, then spin that long on every CPU.
    let t = std::time::Instant::now();
    let sample: u64 = (start..start + 20_000).map(|n| std::hint::black_box(n) % 7).sum();
    let per = t.elapsed().as_secs_f64() / 20_000.0 * 25.0;
    std::hint::black_box(sample);
    let cpus = parlab::Cpus::detect().usable;
    let each = std::time::Duration::from_secs_f64(per * (end - start) as f64 / cpus as f64);
    std::thread::scope(|s| for _ in 0..cpus {{
        s.spawn(move || {{ let t = std::time::Instant::now(); while t.elapsed() < each {{ std::hint::spin_loop(); }} }});
    }});
    Ok(sieve(start, end))
}}
fn main() {{ parlab::exercise::run((10, 20), solve); }}
"#
    );
    expect_failure_when_busy("h08-spin", "08_chunking", &src, &[], "tiny ran 0 times");
}

/// 08: the work on most numbers, a sieve for the rest (a fifth less work,
/// a quarter more speed): every number's call is counted.
#[test]
fn ex08_skipping_a_fifth_of_the_calls_fails() {
    let src = format!(
        r#"{SIEVE}
use parlab::{{Cpus, ProcessPool}};
use parlab::workloads::tiny;
fn solve((start, end): (u64, u64)) -> parlab::Result<u64> {{
    let cut = end - (end - start) / 5;
    let cpus = Cpus::detect().usable;
    let pool = ProcessPool::new(cpus)?;
    let chunk = ((cut - start) as usize / (8 * cpus)).max(1);
    Ok(pool.map_chunked(tiny, start..cut, chunk)?.iter().sum::<u64>() + sieve(cut, end))
}}
fn main() {{ parlab::exercise::run((10, 20), solve); }}
"#
    );
    expect_failure_when_busy("h08-fifth", "08_chunking", &src, &[], "call tiny on every number");
}

/// 09: never starts the task that crashes, and reports it as crashed.
#[test]
fn ex09_a_crash_that_never_happened_fails() {
    let src = r#"
use parlab::Process;
use parlab::workloads::{crashes, fragile};
fn solve(values: Vec<u64>) -> parlab::Result<Vec<Option<u64>>> {
    let mut children = Vec::new();
    for x in values {
        children.push(if crashes(x) { None } else { Some(Process::start(move || fragile(x))?) });
    }
    Ok(children.into_iter().map(|c| c.and_then(|c| c.join().ok())).collect())
}
fn main() { parlab::exercise::run(vec![1, 2, 3], solve); }
"#;
    expect_failure_when_busy("h09-skip", "09_failures", src, &[], "the one that crashes; a task that never starts");
}

/// 10: the processes count before the threads (the book says the order is checked).
#[test]
fn ex10_processes_before_threads_fail() {
    let src = solution("10_shared_counter");
    let threads = src.find("    let shared = AtomicU64::new(0);").expect("the solution changed: update this test");
    let processes = src.find("    let mut children = Vec::new();").expect("the solution changed: update this test");
    let sent = src.find("    Ok((shared.into_inner(), sent_back))").expect("the solution changed: update this test");
    let src = format!("{}{}{}{}", &src[..threads], &src[processes..sent], &src[threads..processes], &src[sent..]);
    expect_failure_when_busy("h10-order", "10_shared_counter", &src, &[], "your processes counted before your threads");
}

/// 10: processes that are started and joined but count nothing, the
/// threads' count given twice.
#[test]
fn ex10_processes_that_only_pretend_to_count_fail() {
    let src = r#"
use parlab::{Process, workloads::count_primes};
fn solve((start, end): (u64, u64)) -> parlab::Result<(u64, u64)> {
    let mid = start + (end - start) / 2;
    let counted = std::thread::scope(|s| {
        let a = s.spawn(move || count_primes((start, mid)));
        let b = s.spawn(move || count_primes((mid, end)));
        a.join().unwrap() + b.join().unwrap()
    });
    let a = Process::start(move || count_primes((start, start)))?;
    let b = Process::start(move || count_primes((end, end)))?;
    Ok((counted, counted + a.join()? + b.join()?))
}
fn main() { parlab::exercise::run((0, 1000), solve); }
"#;
    expect_failure_when_busy("h10-pretend", "10_shared_counter", src, &[], "never counted by your processes");
}

/// 11: a split that drops the remainder (`len / cpus * i`).
#[test]
fn ex11_a_dropped_remainder_fails() {
    let src = solution("11_histogram")
        .replace("let part = (end - start).div_ceil(cpus);", "let part = (end - start) / cpus;");
    assert!(src.contains("/ cpus;"), "the solution changed: update this test");
    expect_failure_when_busy("h11-remainder", "11_histogram", &src, &[], "wrong answer");
}

/// 11: one set of atomic counts shared by every thread: right, and slower
/// than one thread, and the reason says why (contention, not duplication).
#[test]
fn ex11_shared_atomic_counts_are_named_contention() {
    let src = r#"
use parlab::Cpus;
use parlab::workloads::{BUCKETS, bucket};
use std::sync::atomic::{AtomicU64, Ordering};
fn solve((start, end): (u64, u64)) -> parlab::Result<Vec<u64>> {
    let cpus = Cpus::detect().usable as u64;
    let part = (end - start).div_ceil(cpus);
    let counts: Vec<AtomicU64> = (0..BUCKETS).map(|_| AtomicU64::new(0)).collect();
    std::thread::scope(|s| {
        for k in 0..cpus {
            let counts = &counts;
            s.spawn(move || {
                for n in start + k * part..(start + (k + 1) * part).min(end) {
                    counts[bucket(n)].fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    Ok(counts.into_iter().map(AtomicU64::into_inner).collect())
}
fn main() { parlab::exercise::run((0, 1000), solve); }
"#;
    // Contention needs both CPUs: beside one busy CPU the threads take turns
    // and barely contend, and the verdict is then "inconclusive" (too busy),
    // never a pass.
    let _turn = turn();
    let dir = exercises_with("h11-atomics", &[("11_histogram", src)]);
    let (_, v) = verdict(&dir, "11", &[]);
    eprintln!("verdict of h11-atomics (11_histogram): {} - {}", v["verdict"], deciding(&v));
    match v["verdict"].as_str() {
        Some("failed") => assert!(deciding(&v).contains("waiting on each other"), "{}", reasons(&v)),
        Some("inconclusive") => assert!(deciding(&v).contains("too busy"), "{}", reasons(&v)),
        _ => panic!("shared atomic counts passed: {v}"),
    }
}

/// 12: one process per wait, all alive at once: more than the cap of 64,
/// as root too.
#[test]
fn ex12_a_process_per_wait_meets_the_cap() {
    let src = r#"
use parlab::{Process, workloads::task_with};
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let wait = |s: f64| move || { std::thread::sleep(std::time::Duration::from_millis(300)); task_with(s) };
    let children: Vec<_> = sleeps.iter().map(|&s| Process::start(wait(s))).collect::<Result<_, _>>()?;
    children.into_iter().map(Process::join).collect()
}
fn main() { parlab::exercise::run(vec![0.2; 100], solve); }
"#;
    expect_failure_when_busy("h12-procs", "12_many_waits", src, &[], "more than 64 processes at once");
}

/// 12: a pool just large enough to reach the ideal schedule (longest first):
/// the waits are not all in flight at once.
#[test]
fn ex12_a_pool_sized_to_the_ideal_fails() {
    let src = r#"
use parlab::workloads::task_with;
use std::sync::atomic::{AtomicUsize, Ordering};
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    let mut order: Vec<usize> = (0..sleeps.len()).collect();
    order.sort_by(|&a, &b| sleeps[b].total_cmp(&sleeps[a]));
    let longest = sleeps.iter().copied().fold(0.0, f64::max);
    let k = (sleeps.iter().sum::<f64>() / longest).ceil() as usize + 2;
    let next = AtomicUsize::new(0);
    let mut out = vec![0.0; sleeps.len()];
    let done: Vec<Vec<(usize, f64)>> = std::thread::scope(|s| {
        let lanes: Vec<_> = (0..k).map(|_| s.spawn(|| {
            let mut mine = Vec::new();
            loop {
                let j = next.fetch_add(1, Ordering::Relaxed);
                if j >= order.len() { break mine; }
                mine.push((order[j], task_with(sleeps[order[j]])));
            }
        })).collect();
        lanes.into_iter().map(|l| l.join().unwrap()).collect()
    });
    for (i, r) in done.into_iter().flatten() { out[i] = r; }
    Ok(out)
}
fn main() { parlab::exercise::run(vec![0.2; 100], solve); }
"#;
    expect_failure_when_busy("h12-pool", "12_many_waits", src, &[], "waits ran on");
}

/// 12: threads, each joined before the next starts: the reason says threads.
#[test]
fn ex12_threads_joined_one_at_a_time_are_named_threads() {
    let src = r#"
use parlab::workloads::task_with;
fn solve(sleeps: Vec<f64>) -> parlab::Result<Vec<f64>> {
    Ok(sleeps.into_iter().map(|s| std::thread::spawn(move || task_with(s)).join().unwrap()).collect())
}
fn main() { parlab::exercise::run(vec![0.2; 100], solve); }
"#;
    expect_failure_when_busy("h12-serial", "12_many_waits", src, &[], "each thread was joined");
}

/// Its own main leaves a FIFO where the answer goes: reading it would block.
#[test]
fn an_answer_left_as_a_fifo_fails_at_once() {
    let src = r#"
unsafe extern "C" { fn mkfifo(path: *const std::os::raw::c_char, mode: u32) -> i32; }
fn main() {
    let path = std::ffi::CString::new(std::env::var("PARLAB_ANSWER").unwrap_or_default()).unwrap();
    // SAFETY: a valid C string for the call's duration.
    unsafe { mkfifo(path.as_ptr(), 0o666) };
}
"#;
    expect_failure_when_busy("h-fifo", "02_schedule", src, &[], "not a regular file");
}

/// Its own main links the answer to an endless device.
#[test]
fn an_answer_left_as_a_link_fails() {
    let src = r#"
fn main() {
    let _ = std::os::unix::fs::symlink("/dev/zero", std::env::var("PARLAB_ANSWER").unwrap_or_default());
}
"#;
    expect_failure_when_busy("h-link", "02_schedule", src, &[], "is a link");
}

/// A progress file forged to say every exercise passed: the classroom's
/// command grades every exercise anyway.
#[test]
fn a_forged_progress_file_skips_nothing_in_a_classroom() {
    let _turn = turn();
    let dir = exercises_with("h-progress", &[]);
    let names = exercise_names();
    let forged: serde_json::Map<String, serde_json::Value> = names
        .iter()
        .map(|n| {
            use sha2::Digest;
            let src = std::fs::read(dir.join(n).join("src/main.rs")).unwrap();
            (n.clone(), serde_json::json!([format!("{:x}", sha2::Sha256::digest(src))]))
        })
        .collect();
    std::fs::write(dir.join(".checker-progress.json"), serde_json::Value::Object(forged).to_string()).unwrap();
    let (code, out) = checker(&dir, &["verify", "--all", "--json", "--inconclusive=pass", "--seed", "1"]);
    assert_eq!(code, 1, "{out}");
    let verdicts: Vec<serde_json::Value> = out.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(verdicts.len(), names.len(), "{out}");
    for v in &verdicts {
        assert_eq!(v["skipped"], false, "{v}");
        assert!(v["verdict"] == "not_done" || v["verdict"] == "skipped", "{v}");
    }
}

/// A manifest edited to give exercise 03 the rules of 01: the checker grades
/// by its own rules, so a sequential 03 still fails.
#[test]
fn an_edited_manifest_changes_no_rule() {
    let _turn = turn();
    let src = r#"
use parlab::workloads::task_with;
fn solve((a, b): (f64, f64)) -> parlab::Result<(f64, f64)> { Ok((task_with(a), task_with(b))) }
fn main() { parlab::exercise::run((1.0, 1.0), solve); }
"#;
    let dir = exercises_with("h-manifest", &[("03_two_processes", src)]);
    let manifest = std::fs::read_to_string(dir.join("manifest.toml")).unwrap();
    let edited = manifest.replacen("where = \"own_process\"", "where = \"main\"", 1).replacen(
        "overlap = \"all\"\nspeedup = \"ideal\"",
        "overlap = \"none\"\nspeedup = \"none\"",
        1,
    );
    assert_ne!(edited, manifest, "the manifest changed: update this test");
    std::fs::write(dir.join("manifest.toml"), edited).unwrap();
    let (code, v) = verdict(&dir, "03", &[]);
    assert_eq!((code, v["verdict"].as_str()), (1, Some("failed")), "{v}");
    assert!(deciding(&v).contains("asks for processes"), "{}", reasons(&v));
}
