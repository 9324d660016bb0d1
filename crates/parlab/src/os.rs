//! The operating system calls that processes and pools share: waiting for a
//! child (blocking, with a deadline, or not at all), waiting for a
//! descriptor to become readable, and turning a wait status into words.
//! One module below both, so that neither depends on the other.

use crate::error::{Error, ExitHow, Result};
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;
use std::fs::File;
use std::time::Duration;

/// Waits for child `pid` to end, however long it takes.
pub(crate) fn wait_blocking(pid: Pid) -> Result<WaitStatus> {
    loop {
        match waitpid(pid, None) {
            Ok(status) => return Ok(status),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::os("waitpid", e)),
        }
    }
}

/// Waits for child `pid` to end, until `deadline`; `Ok(None)` if it still runs.
/// Linux sleeps on a pidfd (one wake-up, at the exit); elsewhere this polls
/// `waitpid(WNOHANG)` every millisecond.
pub(crate) fn wait_exit_within(pid: nix::unistd::Pid, deadline: std::time::Instant) -> Result<Option<WaitStatus>> {
    let reap_if_done = || match waitpid(pid, Some(WaitPidFlag::WNOHANG)) {
        Ok(WaitStatus::StillAlive) => Ok(None),
        Ok(status) => Ok(Some(status)),
        Err(e) => Err(Error::os("waitpid", e)),
    };
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::{FromRawFd, OwnedFd};
        // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1.
        let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid.as_raw(), 0) };
        if fd >= 0 {
            // SAFETY: the kernel just handed us this descriptor.
            let pidfd = unsafe { OwnedFd::from_raw_fd(fd as i32) };
            let wait = deadline.saturating_duration_since(std::time::Instant::now());
            let readable = readable_within(&std::fs::File::from(pidfd), Some(wait))?;
            return if readable { reap_if_done() } else { Ok(None) };
        }
    }
    loop {
        if let Some(status) = reap_if_done()? {
            return Ok(Some(status));
        }
        if std::time::Instant::now() >= deadline {
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Waits until `file` can be read (or is at end of file); `None` waits forever.
pub(crate) fn readable_within(file: &File, wait: Option<Duration>) -> Result<bool> {
    use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
    use std::os::fd::AsFd;
    let timeout = match wait {
        None => PollTimeout::NONE,
        Some(d) => PollTimeout::try_from(d).unwrap_or(PollTimeout::MAX),
    };
    let mut fds = [PollFd::new(file.as_fd(), PollFlags::POLLIN)];
    loop {
        match poll(&mut fds, timeout) {
            Ok(n) => return Ok(n > 0),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::os("poll", e)),
        }
    }
}

/// Turns a wait status into words.
pub(crate) fn exit_how(status: WaitStatus) -> ExitHow {
    match status {
        WaitStatus::Exited(_, code) => ExitHow::Code(code),
        WaitStatus::Signaled(_, sig, _) => ExitHow::Signal(sig.as_str().to_string()),
        other => ExitHow::Signal(format!("{other:?}")),
    }
}

/// Reaps `pid` if it has ended; used by pools to tell how a worker died.
pub(crate) fn reap(pid: Pid, block: bool) -> Option<ExitHow> {
    let flags = if block { None } else { Some(WaitPidFlag::WNOHANG) };
    match waitpid(pid, flags) {
        Ok(WaitStatus::StillAlive) | Err(_) => None,
        Ok(status) => Some(exit_how(status)),
    }
}
