//! The operating system's own floor: what the engine's work costs when done
//! directly with system calls and nothing else.

use nix::sys::wait::waitpid;
use nix::unistd::{ForkResult, fork, read, write};
use std::time::Instant;

/// Seconds for one `fork` + `_exit` + `waitpid`, averaged over `k`.
pub fn raw_fork_join(k: usize) -> f64 {
    let t = Instant::now();
    for _ in 0..k {
        // SAFETY: the bench is single-threaded while it forks (checked by the caller).
        match unsafe { fork() }.expect("fork") {
            // SAFETY: _exit only ends the child.
            ForkResult::Child => unsafe { nix::libc::_exit(0) },
            ForkResult::Parent { child } => {
                waitpid(child, None).expect("waitpid");
            }
        }
    }
    t.elapsed().as_secs_f64() / k as f64
}

/// Seconds for `n` children forked directly, each sleeping `secs`, all
/// waited for: the least any process-based run of such a step can take.
pub fn raw_processes_sleeping(n: usize, secs: f64) -> f64 {
    let t = Instant::now();
    let mut children = Vec::with_capacity(n);
    for _ in 0..n {
        // SAFETY: single-threaded (checked by the caller).
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                std::thread::sleep(std::time::Duration::from_secs_f64(secs));
                // SAFETY: _exit only ends the child.
                unsafe { nix::libc::_exit(0) }
            }
            ForkResult::Parent { child } => children.push(child),
        }
    }
    for child in children {
        waitpid(child, None).expect("waitpid");
    }
    t.elapsed().as_secs_f64()
}

/// Seconds for the least a pool of `n` processes can do with `n` sleeps:
/// fork `n` children, each waiting on a pipe; send each its sleep; read each
/// one's answer; then end them all together (close the pipes, reap them),
/// as a pool's shutdown does. Beside [`raw_processes_sleeping`], whose
/// children end one by one as their sleeps do, this shows what ending ten
/// processes at once costs.
pub fn raw_pool_sleeping(n: usize, secs: f64) -> f64 {
    let t = Instant::now();
    let mut children = Vec::with_capacity(n);
    for _ in 0..n {
        let (to_child_r, to_child_w) = nix::unistd::pipe().expect("pipe");
        let (to_parent_r, to_parent_w) = nix::unistd::pipe().expect("pipe");
        // SAFETY: single-threaded (checked by the caller).
        match unsafe { fork() }.expect("fork") {
            ForkResult::Child => {
                drop((to_child_w, to_parent_r));
                // Close the other children's ends, as a pool's workers do.
                for (_, w, r) in &children {
                    let (w, r): (&std::os::fd::OwnedFd, &std::os::fd::OwnedFd) = (w, r);
                    // SAFETY: the parent's ends, never used in this child.
                    unsafe { nix::libc::close(std::os::fd::AsRawFd::as_raw_fd(w)) };
                    // SAFETY: as above.
                    unsafe { nix::libc::close(std::os::fd::AsRawFd::as_raw_fd(r)) };
                }
                let mut msg = [0u8; 8];
                while matches!(read(&to_child_r, &mut msg), Ok(8)) {
                    std::thread::sleep(std::time::Duration::from_secs_f64(f64::from_le_bytes(msg)));
                    let _ = write(&to_parent_w, &[1]);
                }
                // SAFETY: _exit only ends the child.
                unsafe { nix::libc::_exit(0) }
            }
            ForkResult::Parent { child } => {
                drop((to_child_r, to_parent_w));
                children.push((child, to_child_w, to_parent_r));
            }
        }
    }
    for (_, w, _) in &children {
        write(w, &secs.to_le_bytes()).expect("write");
    }
    let mut byte = [0u8; 1];
    for (_, _, r) in &children {
        read(r, &mut byte).expect("read");
    }
    let pids: Vec<_> = children.into_iter().map(|(pid, _, _)| pid).collect();
    for pid in pids {
        waitpid(pid, None).expect("waitpid");
    }
    t.elapsed().as_secs_f64()
}

/// Seconds for one round trip of one byte between two processes over two
/// pipes, averaged over `k`: the least a task sent to another process costs.
pub fn pipe_round_trip(k: usize) -> f64 {
    let (to_child_r, to_child_w) = nix::unistd::pipe().expect("pipe");
    let (to_parent_r, to_parent_w) = nix::unistd::pipe().expect("pipe");
    let mut byte = [0u8; 1];
    // SAFETY: single-threaded (checked by the caller).
    match unsafe { fork() }.expect("fork") {
        ForkResult::Child => {
            // Close the parent's ends, or the reads below never see end of file.
            drop((to_child_w, to_parent_r));
            while matches!(read(&to_child_r, &mut byte), Ok(1)) {
                let _ = write(&to_parent_w, &byte);
            }
            // SAFETY: _exit only ends the child.
            unsafe { nix::libc::_exit(0) }
        }
        ForkResult::Parent { child } => {
            drop((to_child_r, to_parent_w));
            let t = Instant::now();
            for _ in 0..k {
                write(&to_child_w, &byte).expect("write");
                read(&to_parent_r, &mut byte).expect("read");
            }
            let secs = t.elapsed().as_secs_f64() / k as f64;
            drop(to_child_w);
            waitpid(child, None).expect("waitpid");
            secs
        }
    }
}
