//! One message on a witness connection, with the kernel's word on who sent
//! it (`SCM_CREDENTIALS`), and the checker's reply.

use nix::sys::socket::{ControlMessageOwned, MsgFlags, UnixCredentials, recvmsg, send};
use serde_json::Value;
use std::io::IoSliceMut;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// What a receive gave.
pub(super) enum Heard {
    Message(Message),
    /// The connection's end (or an error on it).
    Closed,
    /// Nothing waiting.
    Silent,
}

/// One message, with the kernel's word on who sent it.
pub(super) struct Message {
    pub(super) value: Value,
    pub(super) pid: i32,
    pub(super) uid: u32,
}

pub(super) fn receive(conn: &OwnedFd) -> Result<Heard, String> {
    let mut buf = [0u8; 1024];
    let mut cmsg = nix::cmsg_space!(UnixCredentials, [std::os::fd::RawFd; 16]);
    let (bytes, creds, truncated) = loop {
        let mut iov = [IoSliceMut::new(&mut buf)];
        match recvmsg::<()>(conn.as_raw_fd(), &mut iov, Some(&mut cmsg), MsgFlags::MSG_CMSG_CLOEXEC) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => return Ok(Heard::Silent),
            Err(_) => return Ok(Heard::Closed),
            Ok(msg) => {
                let mut creds = None;
                let mut fds = false;
                for c in msg.cmsgs().into_iter().flatten() {
                    match c {
                        ControlMessageOwned::ScmCredentials(cr) => creds = Some((cr.pid(), cr.uid())),
                        ControlMessageOwned::ScmRights(passed) => {
                            fds = true;
                            for fd in passed {
                                // SAFETY: the kernel just gave us these descriptors; nothing else owns them.
                                drop(unsafe { OwnedFd::from_raw_fd(fd) });
                            }
                        }
                        _ => {}
                    }
                }
                if fds {
                    return Err("your program sent file descriptors to the checker".into());
                }
                let truncated = msg.flags.intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC);
                break (msg.bytes, creds, truncated);
            }
        }
    };
    if bytes == 0 {
        return Ok(Heard::Closed);
    }
    if truncated {
        return Err("a report to the checker was longer than the course workloads write".into());
    }
    // Without SO_PASSCRED on the sending socket, an early message carries no
    // credentials (pid 0): the course workloads always ask for them.
    let (pid, uid) = creds.filter(|&(pid, _)| pid > 0).ok_or(
        "a report to the checker came without the kernel's word on its sender: it was not written by the course \
         workloads",
    )?;
    let value = serde_json::from_slice(&buf[..bytes])
        .map_err(|_| format!("process {pid} sent the checker a report the course workloads do not write"))?;
    Ok(Heard::Message(Message { value, pid, uid }))
}

pub(super) fn reply(conn: &OwnedFd, text: &str) {
    let _ = send(conn.as_raw_fd(), text.as_bytes(), MsgFlags::MSG_NOSIGNAL);
}
