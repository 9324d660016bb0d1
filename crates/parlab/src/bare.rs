//! The system calls a freshly forked child makes, made straight through
//! `syscall(2)`.
//!
//! A child starts with none of the parent's code mapped in its page tables
//! (the kernel copies only the pages a process wrote), so its first call
//! into each part of libc is a page fault, and libc's wrappers (`prctl`,
//! `pwrite`, `clock_gettime` and the vDSO page behind it) lie on pages of
//! their own. Made through the one `syscall` entry instead, a child's work
//! costs fewer faults: `perf` counted 17 per `Process` start against 9 for a
//! raw `fork` + `_exit`, each a few microseconds here. Elsewhere than Linux
//! these are the ordinary calls.

/// `CLOCK_MONOTONIC` in nanoseconds: the clock of [`crate::clock::now_ns`].
#[inline]
pub(crate) fn now_ns() -> u64 {
    #[cfg(target_os = "linux")]
    {
        let mut t = nix::libc::timespec { tv_sec: 0, tv_nsec: 0 };
        // SAFETY: clock_gettime writes one timespec, which `t` is.
        let rc = unsafe {
            nix::libc::syscall(
                nix::libc::SYS_clock_gettime,
                nix::libc::CLOCK_MONOTONIC,
                &mut t as *mut nix::libc::timespec,
            )
        };
        if rc == 0 {
            return t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64;
        }
    }
    crate::clock::now_ns()
}

/// Writes all of `bytes` at `offset` of `fd` (`pwrite`, repeated while short).
/// Takes the descriptor's number: even `as_fd` is a call into std's code,
/// one more page faulted in.
#[inline]
pub(crate) fn write_all_at(fd: std::os::fd::RawFd, mut bytes: &[u8], mut offset: u64) -> std::io::Result<()> {
    while !bytes.is_empty() {
        #[cfg(target_os = "linux")]
        // SAFETY: pwrite64 reads `bytes.len()` bytes from a live slice.
        let n = unsafe { nix::libc::syscall(nix::libc::SYS_pwrite64, fd, bytes.as_ptr(), bytes.len(), offset as i64) }
            as isize;
        #[cfg(not(target_os = "linux"))]
        // SAFETY: as above.
        let n = unsafe { nix::libc::pwrite(fd, bytes.as_ptr().cast(), bytes.len(), offset as nix::libc::off_t) };
        match n {
            n if n > 0 => {
                bytes = &bytes[n as usize..];
                offset += n as u64;
            }
            0 => return Err(std::io::ErrorKind::WriteZero.into()),
            _ => {
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(e);
                }
            }
        }
    }
    Ok(())
}

/// Asks the kernel to kill this process with SIGKILL when its parent dies;
/// false if the parent is not `parent` any more (it died first).
#[inline]
pub(crate) fn die_with(parent: i32) -> bool {
    #[cfg(target_os = "linux")]
    {
        use nix::libc::{PR_SET_PDEATHSIG, SIGKILL, SYS_getppid, SYS_prctl, c_long, syscall};
        // SAFETY: prctl(PR_SET_PDEATHSIG) takes a signal number; getppid takes nothing.
        unsafe {
            syscall(SYS_prctl, PR_SET_PDEATHSIG as c_long, SIGKILL as c_long);
            syscall(SYS_getppid) == parent as c_long
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = parent;
        true
    }
}

/// This process's id and its thread's: `(getpid, gettid)`.
#[inline]
pub(crate) fn ids() -> (i32, i32) {
    #[cfg(target_os = "linux")]
    // SAFETY: neither call takes an argument.
    unsafe {
        (nix::libc::syscall(nix::libc::SYS_getpid) as i32, nix::libc::syscall(nix::libc::SYS_gettid) as i32)
    }
    #[cfg(not(target_os = "linux"))]
    (crate::trace::current_pid(), crate::trace::current_tid())
}

/// Ends the process at once: no destructor, no `atexit` handler.
#[inline]
pub(crate) fn exit(code: i32) -> ! {
    #[cfg(target_os = "linux")]
    // SAFETY: exit_group only ends the process.
    unsafe {
        nix::libc::syscall(nix::libc::SYS_exit_group, code as nix::libc::c_long);
    }
    // SAFETY: _exit only ends the process.
    unsafe { nix::libc::_exit(code) }
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsRawFd;
    use std::os::unix::fs::FileExt;

    #[test]
    fn the_clock_is_the_engines_clock() {
        let (a, b, c) = (crate::clock::now_ns(), super::now_ns(), crate::clock::now_ns());
        assert!(a <= b && b <= c, "{a} {b} {c}");
    }

    #[test]
    fn writes_land_where_asked() {
        let file = crate::bulk::report_file().unwrap();
        super::write_all_at(file.as_raw_fd(), b"world", 6).unwrap();
        super::write_all_at(file.as_raw_fd(), b"hello ", 0).unwrap();
        let mut back = [0u8; 11];
        file.read_exact_at(&mut back, 0).unwrap();
        assert_eq!(&back, b"hello world");
    }
}
