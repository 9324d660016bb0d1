//! Trick 9: one CPU, and a third of the work skipped. Answers from a sieve, the
//! witness protocol spoken by hand, two reporting threads both pinned to CPU 0
//! (so they take turns on one CPU), each task burning only 65% of the CPU that
//! trial division would take. count_primes is never called.
use parlab::Cpus;
use std::sync::{Arc, Mutex};

// ---- hand-written client of the checker's witness protocol (no parlab calls) ----
mod w {
    use std::os::raw::{c_int, c_long, c_void};
    unsafe extern "C" {
        fn socket(domain: c_int, ty: c_int, proto: c_int) -> c_int;
        fn setsockopt(fd: c_int, level: c_int, name: c_int, val: *const c_void, len: u32) -> c_int;
        fn connect(fd: c_int, addr: *const c_void, len: u32) -> c_int;
        fn send(fd: c_int, buf: *const c_void, len: usize, flags: c_int) -> isize;
        fn recv(fd: c_int, buf: *mut c_void, len: usize, flags: c_int) -> isize;
        fn syscall(n: c_long, ...) -> c_long;
        fn clock_gettime(clk: c_int, ts: *mut [i64; 2]) -> c_int;
    }
    pub fn gettid() -> i64 { unsafe { syscall(186) as i64 } }
    pub fn thread_cpu_ns() -> u64 {
        let mut ts = [0i64; 2];
        unsafe { clock_gettime(3, &mut ts) }; // CLOCK_THREAD_CPUTIME_ID
        ts[0] as u64 * 1_000_000_000 + ts[1] as u64
    }
    pub struct Conn(c_int);
    impl Conn {
        pub fn open() -> Option<Conn> {
            let path = std::env::var("PARLAB_WITNESS").ok()?;
            unsafe {
                let fd = socket(1, 5 | 0o2000000, 0);
                if fd < 0 { return None; }
                let one: c_int = 1;
                setsockopt(fd, 1, 16, &one as *const c_int as *const c_void, 4);
                let mut addr = [0u8; 110];
                addr[0] = 1; // AF_UNIX, little endian u16
                let p = path.as_bytes();
                addr[2..2 + p.len()].copy_from_slice(p);
                if connect(fd, addr.as_ptr() as *const c_void, (2 + p.len() + 1) as u32) < 0 { return None; }
                Some(Conn(fd))
            }
        }
        pub fn exchange(&self, msg: &str) -> String {
            unsafe {
                send(self.0, msg.as_ptr() as *const c_void, msg.len(), 0);
                let mut buf = [0u8; 256];
                let n = recv(self.0, buf.as_mut_ptr() as *mut c_void, 256, 0);
                String::from_utf8_lossy(&buf[..n.max(0) as usize]).into_owned()
            }
        }
    }
}

fn small_primes(limit: u64) -> Vec<u64> {
    let mut is = vec![true; limit as usize + 1];
    let mut out = vec![];
    for i in 2..=limit as usize {
        if is[i] { out.push(i as u64); let mut j = i * i; while j <= limit as usize { is[j] = false; j += i; } }
    }
    out
}

fn isqrt(n: u64) -> u64 { let mut r = (n as f64).sqrt() as u64; while r * r > n { r -= 1; } while (r + 1) * (r + 1) <= n { r += 1; } r }

/// (prime count, trial-division loop iterations) of a range, by a segmented
/// smallest-prime-factor sieve.
fn model(primes: &[u64], (a, b): (u64, u64)) -> (u64, u64) {
    if b <= a { return (0, 0); }
    let mut spf = vec![0u32; (b - a) as usize];
    for &p in primes {
        if p * p >= b { break; }
        let mut m = ((a + p - 1) / p * p).max(p * p);
        while m < b { let s = &mut spf[(m - a) as usize]; if *s == 0 { *s = p as u32; } m += p; }
    }
    let (mut count, mut iters) = (0u64, 0u64);
    for n in a..b {
        if n < 3 || n % 2 == 0 { if n == 2 { count += 1; } continue; }
        let p = spf[(n - a) as usize] as u64;
        if p == 0 { count += 1; iters += isqrt(n).saturating_sub(1) / 2; } else { iters += (p - 1) / 2; }
    }
    (count, iters)
}

/// Burns about the CPU of `iters` trial-division steps on numbers near `n`, computing nothing.
fn burn(iters: u64, n: u64) {
    let n = std::hint::black_box(n | 1);
    let mut acc = 0u64;
    let mut d = 3u64;
    for _ in 0..iters {
        acc = acc.wrapping_add(std::hint::black_box(n) % d);
        d += 2;
        if d * d > n { d = 3; }
    }
    std::hint::black_box(acc);
}

const FRACTION: f64 = 0.65;

mod aff {
    unsafe extern "C" { pub fn sched_setaffinity(pid: i32, size: usize, mask: *const u64) -> i32; }
    /// Pins the calling thread to CPU 0.
    pub fn pin_to_cpu0() { let mask: u64 = 1; unsafe { sched_setaffinity(0, 8, &mask) }; }
}

fn solve(ranges: Vec<(u64, u64)>) -> parlab::Result<u64> {
    let cpus = Cpus::detect().usable;
    let max = ranges.iter().map(|r| r.1).max().unwrap_or(0);
    let primes = Arc::new(small_primes(isqrt(max) + 1));
    let queue = Arc::new(Mutex::new(ranges.into_iter().rev().collect::<Vec<_>>()));
    let handles: Vec<_> = (0..cpus).map(|_| {
        let (queue, primes) = (Arc::clone(&queue), Arc::clone(&primes));
        std::thread::spawn(move || {
            aff::pin_to_cpu0();
            let conn = w::Conn::open();
            let tid = w::gettid();
            let mut sum = 0;
            loop {
                let Some(r) = queue.lock().unwrap().pop() else { break };
                if let Some(c) = &conn { c.exchange(&format!("{{\"tid\":{tid},\"count\":[{},{}]}}", r.0, r.1)); }
                let (count, iters) = model(&primes, r);
                if conn.is_some() { burn((iters as f64 * FRACTION) as u64, (r.0 + r.1) / 2); }
                if let Some(c) = &conn { c.exchange(&format!("{{\"result\":{count}}}")); }
                sum += count;
            }
            sum
        })
    }).collect();
    Ok(handles.into_iter().map(|h| h.join().unwrap()).sum())
}

fn main() {
    parlab::exercise::run(parlab::workloads::split_range(2_000_000, 16), solve);
}
