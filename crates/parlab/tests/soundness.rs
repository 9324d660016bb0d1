//! Regression tests for the engine's corners: nested processes, descriptors
//! that leak into other programs, results held back behind a long task,
//! failures that must reach the caller with their reason, bounded memory,
//! and children that must not outlive their parent. They fork, so they run
//! on the main thread (`harness = false`). No test asserts a duration: where
//! time matters, events are compared on the monotonic clock.

use libtest_mimic::{Arguments, Failed, Trial};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use parlab::{Error, Process, ProcessPool, Shutdown, ThreadPool};
use std::time::Duration;

fn check(cond: bool, what: impl Into<String>) -> Result<(), Failed> {
    if cond { Ok(()) } else { Err(what.into().into()) }
}

fn nap(secs: f64) -> f64 {
    std::thread::sleep(Duration::from_secs_f64(secs));
    secs
}

fn double(x: u64) -> u64 {
    2 * x
}

/// A Process started inside a pool task.
fn process_in_pool_task(x: u64) -> u64 {
    Process::start(move || x + 1).and_then(Process::join).expect("a nested process")
}

/// A pool started inside a pool task.
fn pool_in_pool_task(x: u64) -> u64 {
    let inner = ProcessPool::new(2).expect("a nested pool");
    inner.map(double, [x, x + 1]).expect("nested map").iter().sum()
}

fn nested_processes_and_pools_work() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    check(pool.map(process_in_pool_task, [1, 2, 3])? == [2, 3, 4], "a Process inside a pool task")?;
    check(pool.map(pool_in_pool_task, [1, 5])? == [6, 22], "a pool inside a pool task")?;
    // A Process inside a Process child, while the parent has a pool.
    let p = Process::start(|| Process::start(|| 7u8).and_then(Process::join).map_err(|e| e.to_string()))?;
    check(p.join()? == Ok(7), "a Process inside a Process, beside a pool")?;
    pool.shutdown(Shutdown::Wait)?;
    Ok(())
}

/// The pipes a program started now holds, but its own stdout.
fn pipes_of_a_new_program() -> std::io::Result<Vec<String>> {
    let out = std::process::Command::new("sh")
        .args(["-c", "ls -l /proc/$$/fd"])
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()?;
    let listing = String::from_utf8_lossy(&out.stdout).into_owned();
    Ok(listing.lines().filter(|l| l.contains("pipe:") && !l.contains(" 1 -> ")).map(|l| l.to_string()).collect())
}

fn a_program_started_beside_a_pool_inherits_none_of_its_pipes() -> Result<(), Failed> {
    let before = pipes_of_a_new_program()?.len();
    let pool = ProcessPool::new(2)?;
    pool.map(double, [1, 2])?;
    let during = pipes_of_a_new_program()?;
    check(during.len() == before, format!("the program holds the pool's pipes: {during:?}"))?;
    pool.shutdown(Shutdown::Wait)?;
    Ok(())
}

fn results_are_handed_over_before_a_long_task_ends() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    let long = 0.3;
    let inputs: Vec<f64> = std::iter::repeat_n(0.0, 100).chain([long]).chain(std::iter::repeat_n(0.0, 100)).collect();
    let mut yielded = vec![0u64; inputs.len()];
    for (i, r) in pool.as_completed(nap, inputs)? {
        r?;
        yielded[i] = parlab::now_ns();
    }
    let spans = pool.take_spans();
    let long_end = spans.iter().find(|s| s.index == 100).expect("the long task's span").end_ns;
    let late: Vec<usize> =
        spans.iter().filter(|s| s.index != 100 && yielded[s.index] > long_end).map(|s| s.index).collect();
    check(late.is_empty(), format!("instant tasks {late:?} were handed over only after the long task ended"))
}

fn no_task_waits_behind_a_long_one_while_a_worker_is_idle() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    let long = 0.4;
    let inputs: Vec<f64> =
        std::iter::repeat_n(0.0, 300).chain([long]).chain(std::iter::repeat_n(long / 20.0, 20)).collect();
    pool.take_spans();
    check(pool.map(nap, inputs.clone())? == inputs, "map keeps input order")?;
    let spans = pool.take_spans();
    let long_span = spans.iter().find(|s| s.index == 300).expect("the long task's span");
    // The twenty medium tasks: most must have run while the long one did.
    let during = spans.iter().filter(|s| s.index > 300 && s.start_ns < long_span.end_ns).count();
    check(during >= 15, format!("only {during} of 20 tasks ran beside the long one"))
}

/// Waiting keeps the value for the one join; a second join cannot compile
/// (`join` and `join_timeout` take the handle).
fn waiting_keeps_the_value_for_the_one_join() -> Result<(), Failed> {
    let mut p = Process::start(|| 3u8)?;
    check(p.wait_timeout(Duration::from_secs(60))?, "ended within a minute")?;
    check(p.wait()? == &parlab::ExitHow::Code(0), "exit code 0")?;
    check(p.join()? == 3, "the value, after two waits")
}

/// Serialising it always fails.
struct Unsendable;

impl serde::Serialize for Unsendable {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        Err(serde::ser::Error::custom("this value refuses to be sent"))
    }
}

impl<'de> serde::Deserialize<'de> for Unsendable {
    fn deserialize<D: serde::Deserializer<'de>>(_: D) -> Result<Self, D::Error> {
        Ok(Unsendable)
    }
}

fn unsendable(_: u8) -> Unsendable {
    Unsendable
}

fn a_result_that_cannot_be_sent_says_why() -> Result<(), Failed> {
    match Process::start(|| Unsendable)?.join() {
        Err(Error::Codec(m)) => check(m.contains("result could not be encoded"), m)?,
        other => return Err(format!("Process: expected a codec error, got {:?}", other.err()).into()),
    }
    let pool = ProcessPool::new(1)?;
    match pool.submit(unsendable, 0)?.join() {
        Err(Error::Codec(m)) => check(m.contains("result could not be encoded"), m)?,
        other => return Err(format!("pool: expected a codec error, got {:?}", other.err()).into()),
    }
    check(pool.map(double, [1])? == [2], "the pool goes on")
}

fn spans_stay_bounded() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    pool.map(double, 0..150_000)?;
    let kept = pool.take_spans().len();
    check(kept <= 100_000, format!("{kept} spans kept"))?;
    check(pool.take_spans().is_empty(), "taking empties the pool's spans")
}

fn a_worker_that_died_idle_is_reported_so() -> Result<(), Failed> {
    let pool = ProcessPool::new(2)?;
    pool.map(double, [1, 2])?;
    let victim = pool.pids()[0];
    kill(Pid::from_raw(victim), Signal::SIGKILL)?;
    // Dead (a zombie until the pool reaps it) before any work is handed out.
    while !gone(victim) {
        std::thread::sleep(Duration::from_millis(1));
    }
    let mut message = String::new();
    for _ in 0..50 {
        match pool.map(double, 0..64) {
            Err(e) => {
                message = e.to_string();
                break;
            }
            Ok(_) => std::thread::sleep(Duration::from_millis(10)),
        }
    }
    check(message.contains("was killed by SIGKILL while idle"), message)
}

fn a_fork_right_after_a_thread_pool_is_dropped_works() -> Result<(), Failed> {
    let threads = ThreadPool::new(2)?;
    check(threads.map(double, [1, 2, 3])? == [2, 4, 6], "threads work")?;
    drop(threads);
    // The pool's threads end shortly after the drop: the fork waits for them.
    check(Process::start(|| 5u8)?.join()? == 5, "a process after the thread pool")
}

fn print_without_newline(x: u64) -> u64 {
    print!("[task {x} printed this]");
    x
}

/// What `run` makes this process and its children print on stdout.
fn stdout_of(run: impl FnOnce() -> Result<(), Failed>) -> Result<String, Failed> {
    use std::io::{Read, Seek};
    use std::os::fd::AsRawFd;
    let mut file = tempfile()?;
    let stdout = std::io::stdout();
    let saved = nix::unistd::dup(&stdout)?;
    {
        use std::io::Write;
        std::io::stdout().flush()?;
    }
    // SAFETY: both descriptors are open; stdout is put back below.
    unsafe { nix::libc::dup2(file.as_raw_fd(), 1) };
    let r = run();
    {
        use std::io::Write;
        std::io::stdout().flush()?;
    }
    // SAFETY: as above.
    unsafe { nix::libc::dup2(saved.as_raw_fd(), 1) };
    r?;
    let mut text = String::new();
    file.rewind()?;
    file.read_to_string(&mut text)?;
    Ok(text)
}

fn what_a_task_prints_is_not_lost_when_the_pool_is_dropped() -> Result<(), Failed> {
    let text = stdout_of(|| {
        let pool = ProcessPool::new(1)?;
        pool.map(print_without_newline, [7])?;
        drop(pool);
        Ok(())
    })?;
    check(text.contains("[task 7 printed this]"), format!("printed: {text:?}"))
}

/// A shut-down pool's idle workers are killed (sooner ended than told):
/// what their tasks printed must be out already.
fn what_a_task_prints_is_not_lost_when_the_pool_is_shut_down() -> Result<(), Failed> {
    let text = stdout_of(|| {
        let pool = ProcessPool::new(2)?;
        pool.map(print_without_newline, [7, 8, 9])?;
        pool.shutdown(Shutdown::Wait)?;
        Ok(())
    })?;
    let all = ["[task 7 printed this]", "[task 8 printed this]", "[task 9 printed this]"];
    check(all.iter().all(|t| text.contains(t)), format!("printed: {text:?}"))
}

fn slow_initializer() {
    std::thread::sleep(Duration::from_millis(100));
    print!("[initialized]");
}

/// A worker that never had a task may still be in the pool's initializer
/// when the pool is shut down: it is let finish, not killed.
fn a_shutdown_lets_an_initializer_finish() -> Result<(), Failed> {
    let text = stdout_of(|| {
        let pool = ProcessPool::builder(1).initializer(slow_initializer).build()?;
        pool.shutdown(Shutdown::Wait)?;
        Ok(())
    })?;
    check(text.contains("[initialized]"), format!("printed: {text:?}"))
}

fn tempfile() -> std::io::Result<std::fs::File> {
    let path = std::env::temp_dir().join(format!("parlab-soundness-{}", std::process::id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

/// Whether `pid` has ended (gone, or a zombie not yet reaped).
fn gone(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit(") ").next().is_some_and(|r| r.starts_with('Z') || r.starts_with('X')))
        .unwrap_or(true)
}

fn a_killed_parent_leaves_no_worker_running() -> Result<(), Failed> {
    use std::io::BufRead;
    let (mut rx, tx) = std::io::pipe()?;
    // The child starts a pool, tells us its workers' pids, and waits.
    let child = Process::start(move || {
        use std::io::Write;
        let pool = ProcessPool::new(2).expect("a pool in the child");
        let mut tx = tx;
        let _ = writeln!(tx, "{:?}", pool.pids());
        drop(tx);
        std::thread::sleep(Duration::from_secs(60));
    })?;
    // One line: the workers hold the pipe open too, until they end.
    let mut line = String::new();
    std::io::BufReader::new(&mut rx).read_line(&mut line)?;
    let workers: Vec<i32> = line.trim().trim_matches(['[', ']']).split(", ").filter_map(|p| p.parse().ok()).collect();
    check(workers.len() == 2, format!("worker pids: {line:?}"))?;
    child.kill()?;
    let _ = child.join();
    // The kernel kills them with their parent; give it a moment.
    for _ in 0..500 {
        if workers.iter().all(|&p| gone(p)) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    Err(format!("workers {workers:?} outlived their killed parent").into())
}

/// Many maps of large chunks: each result must be seen as soon as it is
/// read, never waited for again (a pump that read the awaited reply and then
/// slept in poll once hung here). Run in a child, so a hang is a failure.
fn many_maps_of_large_chunks_never_hang() -> Result<(), Failed> {
    let child = Process::start(|| {
        let pool = ProcessPool::new(2).expect("a pool");
        let expected: u64 = (1_000_000..1_400_000).map(parlab::workloads::tiny).sum();
        for round in 0..60 {
            let chunk = [100_000, 40_000, 25_000, 7_000][round % 4];
            let got: u64 =
                pool.map_chunked(parlab::workloads::tiny, 1_000_000..1_400_000, chunk).expect("map").iter().sum();
            assert_eq!(got, expected);
        }
    })?;
    match child.join_timeout(Duration::from_secs(120)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("sixty maps did not finish in two minutes: the pool hung".into()),
        Err(e) => Err(e.into()),
    }
}

/// A result of `len` bytes, each the same, that tells its length apart.
fn sized(len: usize) -> Vec<u8> {
    vec![(len % 251) as u8; len]
}

/// Results of every size, in rings, down pipes and as files the parent maps
/// (64 KiB and up), in one map and one at a time; results that nobody takes
/// (their handles dropped) come as files too, and must not put the next
/// file in the wrong task's hands. In a child, so a hang is a failure.
fn results_of_any_size_come_back_whole_in_their_tasks() -> Result<(), Failed> {
    let child = Process::start(|| {
        let pool = ProcessPool::new(2).expect("a pool");
        let sizes = [0, 1, 1500, 65_535, 65_536, 70_001, 1 << 20, 9 << 20, 3, 300_007];
        let got = pool.map(sized, sizes).expect("map");
        for (v, len) in got.iter().zip(sizes) {
            assert!(*v == sized(len), "a result of {len} bytes came back as {} bytes", v.len());
        }
        for round in 0..40 {
            drop(pool.submit(sized, (2 << 20) + round).expect("submit"));
            let len = (1 << 20) + 3 * round;
            let v = pool.submit(sized, len).expect("submit").join().expect("join");
            assert!(v == sized(len), "round {round}: a result of {len} bytes came back as {} bytes", v.len());
        }
        // A worker writes a result over the file of a larger one, handed back.
        for len in [9 << 20, 100_003, 5 << 20, 65_536] {
            let v = pool.submit(sized, len).expect("submit").join().expect("join");
            assert!(v == sized(len), "a result of {len} bytes came back as {} bytes", v.len());
        }
        let floats: Vec<f64> = pool
            .submit(|n: usize| (0..n).map(|i| i as f64).collect::<Vec<f64>>(), 100_000)
            .expect("submit")
            .join()
            .expect("join");
        assert!(floats.iter().enumerate().all(|(i, &x)| x == i as f64), "floats came back changed");
    })?;
    match child.join_timeout(Duration::from_secs(120)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("results of every size did not come back in two minutes".into()),
        Err(e) => Err(e.into()),
    }
}

/// Whether `v` is what [`sized`] made for its length.
fn is_sized(v: Vec<u8>) -> (usize, bool) {
    let ok = v.iter().all(|&b| b == (v.len() % 251) as u8);
    (v.len(), ok)
}

/// Arguments of every size, in the request (below 64 KiB) or as files the
/// worker maps: each reaches its own task whole, in a map over two workers
/// and one at a time. In a child, so a hang is a failure.
fn arguments_of_any_size_reach_their_tasks_whole() -> Result<(), Failed> {
    let child = Process::start(|| {
        let pool = ProcessPool::new(2).expect("a pool");
        let lens = [0, 1, 65_535, 65_536, 1 << 20, 9 << 20, 3, 200_003, 70_001, 2];
        let got = pool.map(is_sized, lens.map(sized)).expect("map");
        assert_eq!(got, lens.map(|len| (len, true)), "arguments reached their tasks changed");
        for round in 0..20 {
            let len = (1 << 20) + 7 * round;
            let got = pool.submit(is_sized, sized(len)).expect("submit").join().expect("join");
            assert_eq!(got, (len, true), "round {round}");
            // Both ways at once: a large argument, a large result.
            let back = pool.submit(|v: Vec<u8>| v, sized(len)).expect("submit").join().expect("join");
            assert!(back == sized(len), "round {round}: an argument sent back came back as {} bytes", back.len());
        }
        // The caller writes a large argument over the file of a larger one.
        for len in [5 << 20, 100_003, 70_001, 3 << 20] {
            let got = pool.submit(is_sized, sized(len)).expect("submit").join().expect("join");
            assert_eq!(got, (len, true), "an argument of {len} bytes after a larger one");
        }
    })?;
    match child.join_timeout(Duration::from_secs(120)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("arguments of every size did not reach their tasks in two minutes".into()),
        Err(e) => Err(e.into()),
    }
}

/// Many large results handed back to one worker (each result's file goes
/// back to it for reuse), then a large argument for it: the argument's file
/// must not wait behind the files handed back (a worker's channel holds
/// datagrams a few hundred deep; a caller blocked on a full one, the worker idle, hung).
/// In a child, so a hang is a failure.
fn a_large_argument_after_many_large_results_is_not_stuck() -> Result<(), Failed> {
    let child = Process::start(|| {
        let pool = ProcessPool::new(1).expect("a pool");
        for _ in 0..2 {
            // All taken in by the caller first (the last one joined first),
            // then decoded: each file goes back while the worker is idle.
            let mut tasks: Vec<_> = (0..400).map(|_| pool.submit(sized, 65_536).expect("submit")).collect();
            let last = tasks.pop().expect("400 tasks");
            assert!(last.join().expect("join") == sized(65_536));
            for task in tasks {
                assert!(task.join().expect("join") == sized(65_536), "a result came back changed");
            }
            let len = 200_003;
            let got = pool.submit(is_sized, sized(len)).expect("submit").join().expect("join");
            assert_eq!(got, (len, true));
        }
    })?;
    match child.join_timeout(Duration::from_secs(60)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("a large argument after many large results hung the pool".into()),
        Err(e) => Err(e.into()),
    }
}

/// Hundreds of large results taken in but not yet decoded, under a limit
/// of 200 open descriptors: each result's file must not stay open (through
/// a pipe this always worked; with a file kept per result, the kernel
/// dropped the files past the limit). In a child, so a hang is a failure.
fn many_large_results_waiting_need_no_descriptor_each() -> Result<(), Failed> {
    let child = Process::start(|| {
        nix::sys::resource::setrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE, 200, 4096).expect("setrlimit");
        let pool = ProcessPool::new(2).expect("a pool");
        let mut tasks: Vec<_> = (0..600).map(|_| pool.submit(sized, 65_536).expect("submit")).collect();
        let last = tasks.pop().expect("600 tasks");
        assert!(last.join().expect("join") == sized(65_536));
        for (n, task) in tasks.into_iter().enumerate() {
            let got = task.join().unwrap_or_else(|e| panic!("task {n}: {e}"));
            assert!(got == sized(65_536), "task {n} came back changed");
        }
    })?;
    match child.join_timeout(Duration::from_secs(60)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("600 large results waiting hung the pool".into()),
        Err(e) => Err(e.into()),
    }
}

/// Every other result large (a file), the rest of about 1 KiB, which fill
/// the rings so that replies go down the pipes too: a file is matched to
/// its reply by task id, whichever path the reply took and whichever the
/// caller read first.
fn alternating(x: u64) -> Vec<u8> {
    sized(if x.is_multiple_of(2) { 1000 + (x % 7) as usize } else { 70_000 + (x % 13) as usize })
}

fn files_find_their_replies_through_rings_and_pipes() -> Result<(), Failed> {
    let child = Process::start(|| {
        let pool = ProcessPool::new(2).expect("a pool");
        for round in 0..20 {
            let got = pool.map_chunked(alternating, 0..300, 1).expect("map");
            for (x, v) in (0..300).zip(got) {
                assert!(v == alternating(x), "round {round}: task {x} came back as {} bytes", v.len());
            }
        }
    })?;
    match child.join_timeout(Duration::from_secs(120)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("results through rings, pipes and files hung the pool".into()),
        Err(e) => Err(e.into()),
    }
}

/// A reply of `x % 1500` bytes: small ones go through the shared rings, the
/// larger down the pipes, and their sizes make frames wrap round the rings' end.
fn bytes_of(x: u64) -> Vec<u8> {
    vec![(x % 251) as u8; (x % 1500) as usize]
}

fn expected_bytes(x: u64) -> bool {
    let v = bytes_of(x);
    v.len() == (x % 1500) as usize && v.iter().all(|&b| b == (x % 251) as u8)
}

/// Replies of every size, through rings and pipes, many times round each
/// ring; then one task at a time, so the parent sleeps before every reply
/// and must be woken each time (a lost wake-up hangs). In a child, so a hang
/// is a failure.
fn replies_of_every_size_arrive_whole_and_wake_the_parent() -> Result<(), Failed> {
    let child = Process::start(|| {
        let pool = ProcessPool::new(2).expect("a pool");
        for chunk in [1, 7] {
            let got = pool.map_chunked(bytes_of, 0..20_000, chunk).expect("map");
            assert!(got.iter().zip(0..).all(|(v, x)| *v == bytes_of(x)), "a reply came back wrong");
        }
        for x in 0..2_000 {
            let got = pool.submit(bytes_of, x).expect("submit").join().expect("join");
            assert!(expected_bytes(x) && got == bytes_of(x), "reply {x} came back wrong");
        }
        for (i, r) in pool.as_completed(nap, [0.0, 0.02, 0.0, 0.01]).expect("as_completed") {
            r.unwrap_or_else(|e| panic!("task {i}: {e}"));
        }
    })?;
    match child.join_timeout(Duration::from_secs(120)) {
        Ok(()) => Ok(()),
        Err(Error::Timeout { .. }) => Err("the replies did not all arrive in two minutes: a wake-up was lost".into()),
        Err(e) => Err(e.into()),
    }
}

/// The same generic code on every executor: the compiler checks the one surface.
fn on_any<E: parlab::Executor>(e: &E) -> parlab::Result<(Vec<u64>, u64, Vec<usize>)> {
    let mapped = e.map_chunked(double, 0..10, 3)?;
    let joined = e.submit(double, 21)?.join()?;
    let mut indices: Vec<usize> =
        e.as_completed(double, [5, 6, 7])?.map(|(i, r)| r.map(|_| i)).collect::<Result<_, _>>()?;
    indices.sort();
    let _ = e.take_spans();
    Ok((mapped, joined, indices))
}

fn zz_one_surface_runs_the_same_code_everywhere() -> Result<(), Failed> {
    let want = ((0..10).map(double).collect::<Vec<_>>(), 42, vec![0, 1, 2]);
    check(on_any(&parlab::Sequential::new())? == want, "Sequential")?;
    check(on_any(&ProcessPool::new(2)?)? == want, "ProcessPool")?;
    check(on_any(&ThreadPool::new(2)?)? == want, "ThreadPool")
}

fn main() {
    std::panic::set_hook(Box::new(|_| {}));
    let mut args = Arguments::from_args();
    args.test_threads = Some(1); // tests must run on this, the main, thread
    let tests = vec![
        Trial::test("nested_processes_and_pools_work", nested_processes_and_pools_work),
        Trial::test(
            "a_program_started_beside_a_pool_inherits_none_of_its_pipes",
            a_program_started_beside_a_pool_inherits_none_of_its_pipes,
        ),
        Trial::test("results_are_handed_over_before_a_long_task_ends", results_are_handed_over_before_a_long_task_ends),
        Trial::test(
            "no_task_waits_behind_a_long_one_while_a_worker_is_idle",
            no_task_waits_behind_a_long_one_while_a_worker_is_idle,
        ),
        Trial::test("a_result_that_cannot_be_sent_says_why", a_result_that_cannot_be_sent_says_why),
        Trial::test("spans_stay_bounded", spans_stay_bounded),
        Trial::test("waiting_keeps_the_value_for_the_one_join", waiting_keeps_the_value_for_the_one_join),
        Trial::test("many_maps_of_large_chunks_never_hang", many_maps_of_large_chunks_never_hang),
        Trial::test("arguments_of_any_size_reach_their_tasks_whole", arguments_of_any_size_reach_their_tasks_whole),
        Trial::test(
            "files_find_their_replies_through_rings_and_pipes",
            files_find_their_replies_through_rings_and_pipes,
        ),
        Trial::test(
            "many_large_results_waiting_need_no_descriptor_each",
            many_large_results_waiting_need_no_descriptor_each,
        ),
        Trial::test(
            "a_large_argument_after_many_large_results_is_not_stuck",
            a_large_argument_after_many_large_results_is_not_stuck,
        ),
        Trial::test(
            "results_of_any_size_come_back_whole_in_their_tasks",
            results_of_any_size_come_back_whole_in_their_tasks,
        ),
        Trial::test(
            "replies_of_every_size_arrive_whole_and_wake_the_parent",
            replies_of_every_size_arrive_whole_and_wake_the_parent,
        ),
        Trial::test("a_worker_that_died_idle_is_reported_so", a_worker_that_died_idle_is_reported_so),
        Trial::test(
            "what_a_task_prints_is_not_lost_when_the_pool_is_shut_down",
            what_a_task_prints_is_not_lost_when_the_pool_is_shut_down,
        ),
        Trial::test("a_shutdown_lets_an_initializer_finish", a_shutdown_lets_an_initializer_finish),
        Trial::test(
            "what_a_task_prints_is_not_lost_when_the_pool_is_dropped",
            what_a_task_prints_is_not_lost_when_the_pool_is_dropped,
        ),
        Trial::test("a_killed_parent_leaves_no_worker_running", a_killed_parent_leaves_no_worker_running),
        // Last: it starts threads.
        Trial::test(
            "zz_a_fork_right_after_a_thread_pool_is_dropped_works",
            a_fork_right_after_a_thread_pool_is_dropped_works,
        ),
        Trial::test("zz_one_surface_runs_the_same_code_everywhere", zz_one_surface_runs_the_same_code_everywhere),
    ];
    libtest_mimic::run(&args, tests).exit();
}
