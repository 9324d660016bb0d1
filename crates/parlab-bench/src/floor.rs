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
