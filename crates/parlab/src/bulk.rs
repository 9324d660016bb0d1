//! Large messages through shared memory: encoded once, into pages the
//! receiver maps, never pushed through a pipe.
//!
//! Through a pipe a 4 MiB result was cut into 64 KiB pieces, each a wake-up
//! of the reader, and copied four more times on the way (into the frame, the
//! pipe, the read buffer, the message). Here the sender measures the
//! encoding, makes an in-memory file of that size (`memfd_create`), encodes
//! straight into its pages, seals it against any change, and hands the file
//! itself over a Unix socket (`SCM_RIGHTS`); the receiver maps those same
//! pages and decodes from them. The seals are checked before mapping: a file
//! that could still shrink would kill the reader (`SIGBUS`) on its next read.
//! Linux only; elsewhere every message takes the pipe ([`available`] says).

use crate::error::{Error, Result, os};
use serde::Serialize;
use std::num::NonZeroUsize;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::ptr::NonNull;

/// From this size on a message goes through shared memory: below it, the
/// few system calls of a file cost more than a copy through the pipe.
pub(crate) const SHARED_FROM: usize = 64 * 1024;

/// Whether large messages can go through shared memory on this system.
pub(crate) const fn available() -> bool {
    cfg!(target_os = "linux")
}

/// Bytes a receiver maps, read-only; unmapped when dropped.
pub(crate) struct Mapped {
    ptr: NonNull<u8>,
    len: usize,
}

// SAFETY: a private read-only view of sealed pages: nothing can change them,
// so any thread may read them, and unmapping needs no particular thread.
unsafe impl Send for Mapped {}
// SAFETY: as above; `&Mapped` only reads.
unsafe impl Sync for Mapped {}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until `self` drops, and
        // the seals checked in `receive` keep the file from shrinking.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: mapped by `map_sealed` with this length, unmapped once.
        let _ = unsafe { nix::sys::mman::munmap(self.ptr.cast(), self.len) };
    }
}

/// A message's bytes, in the receiver's heap or mapped from the sender's file.
pub(crate) enum Bytes {
    Heap(Vec<u8>),
    Shared(Mapped),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Heap(v) => v,
            Bytes::Shared(m) => m,
        }
    }
}

/// The seals a received file must carry: no shrinking (a mapped page that
/// vanishes kills the reader), no growing, no writing, no unsealing.
#[cfg(target_os = "linux")]
fn seals() -> nix::fcntl::SealFlag {
    use nix::fcntl::SealFlag;
    SealFlag::F_SEAL_SHRINK | SealFlag::F_SEAL_GROW | SealFlag::F_SEAL_WRITE | SealFlag::F_SEAL_SEAL
}

/// Encodes `value`, whose postcard takes `len` bytes ([`crate::wire::encoded_len`]),
/// into a new sealed in-memory file. Written with `write`, not through a
/// mapping: mapping, filling and unmapping fresh shared pages took three
/// times as long here (3 ms against 0.9 ms for 4 MiB). A block of bytes in
/// the value goes to the file in one call, from where it lies.
#[cfg(target_os = "linux")]
pub(crate) fn encode_to_file<T: Serialize + ?Sized>(value: &T, len: usize) -> Result<OwnedFd> {
    use nix::fcntl::{FcntlArg, fcntl};
    use nix::sys::memfd::{MFdFlags, memfd_create};
    use std::io::Write;
    let file = memfd_create(c"parlab-message", MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING)
        .map_err(os("memfd_create"))?;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::fs::File::from(file));
    postcard::to_io(value, &mut out).map_err(|e| Error::Codec(e.to_string()))?;
    out.flush()?;
    let file = out.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    let written = file.metadata()?.len();
    if written != len as u64 {
        return Err(Error::Codec(format!("a message measured {len} bytes but encoded to {written}")));
    }
    fcntl(&file, FcntlArg::F_ADD_SEALS(seals())).map_err(os("fcntl(F_ADD_SEALS)"))?;
    Ok(file.into())
}

/// Elsewhere there is no sealed in-memory file: callers check [`available`].
#[cfg(not(target_os = "linux"))]
pub(crate) fn encode_to_file<T: Serialize + ?Sized>(_value: &T, _len: usize) -> Result<OwnedFd> {
    Err(Error::Codec("shared memory for messages is Linux only".into()))
}

/// Maps a received file of `len` bytes after checking its size and seals.
#[cfg(target_os = "linux")]
pub(crate) fn map_sealed(file: OwnedFd, len: usize) -> Result<Mapped> {
    use nix::fcntl::{FcntlArg, SealFlag, fcntl};
    let sealed = fcntl(&file, FcntlArg::F_GET_SEALS).map_err(os("fcntl(F_GET_SEALS)"))?;
    if !SealFlag::from_bits_truncate(sealed).contains(seals()) {
        return Err(Error::Codec("a message's file came without its seals".into()));
    }
    let size = nix::sys::stat::fstat(&file).map_err(os("fstat"))?.st_size;
    if usize::try_from(size).ok() != Some(len) {
        return Err(Error::Codec(format!("a message's file holds {size} bytes, not the {len} announced")));
    }
    // SAFETY: the file is sealed against shrinking and writing.
    unsafe { map_file(file.as_fd(), 0, len) }
}

/// Maps `len` bytes of `file` from `offset` (a multiple of the page size),
/// read-only.
///
/// # Safety
/// Nothing may shrink the file while the mapping lives: a read of a page
/// past its end kills the process (`SIGBUS`).
#[cfg(target_os = "linux")]
pub(crate) unsafe fn map_file(file: BorrowedFd, offset: u64, len: usize) -> Result<Mapped> {
    use nix::sys::mman::{MapFlags, ProtFlags, mmap};
    let Some(nonzero) = NonZeroUsize::new(len) else {
        return Err(Error::Codec("an empty message came as a file".into()));
    };
    let offset = i64::try_from(offset).map_err(|_| Error::Codec(format!("a message at offset {offset}")))?;
    // MAP_POPULATE: the pages come in one call, not one fault each.
    let flags = MapFlags::MAP_SHARED | MapFlags::MAP_POPULATE;
    // SAFETY: a read-only mapping, never written; the caller keeps the file whole.
    let ptr = unsafe { mmap(None, nonzero, ProtFlags::PROT_READ, flags, file, offset) }.map_err(os("mmap"))?;
    Ok(Mapped { ptr: ptr.cast(), len })
}

/// Elsewhere nothing is mapped: callers check [`available`].
///
/// # Safety
/// None needed: it fails.
#[cfg(not(target_os = "linux"))]
pub(crate) unsafe fn map_file(_file: BorrowedFd, _offset: u64, _len: usize) -> Result<Mapped> {
    Err(Error::Codec("shared memory for messages is Linux only".into()))
}

/// Elsewhere no file is ever sent.
#[cfg(not(target_os = "linux"))]
pub(crate) fn map_sealed(_file: OwnedFd, _len: usize) -> Result<Mapped> {
    Err(Error::Codec("shared memory for messages is Linux only".into()))
}

/// A connected pair of Unix datagram sockets that carry files, one for each
/// side of a fork.
pub(crate) fn file_channel() -> Result<(OwnedFd, OwnedFd)> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
    socketpair(AddressFamily::Unix, SockType::Datagram, None, SockFlag::SOCK_CLOEXEC).map_err(os("socketpair"))
}

/// Sends one open file over `channel`; the receiver gets its own descriptor.
pub(crate) fn send_file(channel: BorrowedFd, file: BorrowedFd) -> Result<()> {
    use nix::sys::socket::{ControlMessage, MsgFlags, UnixAddr, sendmsg};
    let fds = [file.as_raw_fd()];
    let byte = [0u8];
    let iov = [std::io::IoSlice::new(&byte)];
    loop {
        match sendmsg::<UnixAddr>(
            channel.as_raw_fd(),
            &iov,
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            None,
        ) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::os("sendmsg", e)),
        }
    }
}

/// Takes the next file sent over `channel`, which must be waiting already
/// (the sender sends it before the message that announces it): a missing
/// file is an error, never a wait.
pub(crate) fn receive_file(channel: BorrowedFd) -> Result<OwnedFd> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, UnixAddr, recvmsg};
    let mut byte = [0u8];
    let mut iov = [std::io::IoSliceMut::new(&mut byte)];
    let mut space = nix::cmsg_space!([std::os::fd::RawFd; 1]);
    let flags = MsgFlags::MSG_DONTWAIT | MsgFlags::MSG_CMSG_CLOEXEC;
    let msg = loop {
        match recvmsg::<UnixAddr>(channel.as_raw_fd(), &mut iov, Some(&mut space), flags) {
            Ok(msg) => break msg,
            Err(nix::errno::Errno::EINTR) => continue,
            Err(nix::errno::Errno::EAGAIN) => {
                return Err(Error::Codec("a message announced a file that was never sent".into()));
            }
            Err(e) => return Err(Error::os("recvmsg", e)),
        }
    };
    let mut received = None;
    for cmsg in msg.cmsgs().map_err(|e| Error::os("recvmsg", e))? {
        if let ControlMessageOwned::ScmRights(fds) = cmsg {
            for fd in fds {
                // SAFETY: the kernel just gave this process the descriptor; it is owned here alone.
                let owned = unsafe { OwnedFd::from_raw_fd(fd) };
                received.get_or_insert(owned);
            }
        }
    }
    received.ok_or_else(|| Error::Codec("a message's file did not come with it".into()))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn a_value_crosses_as_a_sealed_file_and_decodes_the_same() {
        let value: Vec<u64> = (0..100_000).collect();
        let len = crate::wire::encoded_len(&value).unwrap();
        let file = encode_to_file(&value, len).unwrap();
        let (a, b) = file_channel().unwrap();
        send_file(a.as_fd(), file.as_fd()).unwrap();
        drop(file);
        let got = map_sealed(receive_file(b.as_fd()).unwrap(), len).unwrap();
        assert_eq!(postcard::from_bytes::<Vec<u64>>(&got).unwrap(), value);
    }

    #[test]
    fn a_file_without_seals_or_of_another_size_is_refused() {
        let plain = crate::sys::anonymous_file().unwrap();
        plain.set_len(4096).unwrap();
        let err = map_sealed(plain.into(), 4096).err().unwrap();
        assert!(err.to_string().contains("seals"), "{err}");
        let value = vec![1u8; 10_000];
        let len = crate::wire::encoded_len(&value).unwrap();
        let err = map_sealed(encode_to_file(&value, len).unwrap(), len + 1).err().unwrap();
        assert!(err.to_string().contains("not the"), "{err}");
    }

    #[test]
    fn a_file_announced_but_not_sent_is_an_error_not_a_wait() {
        let (_a, b) = file_channel().unwrap();
        let err = receive_file(b.as_fd()).err().unwrap();
        assert!(err.to_string().contains("never sent"), "{err}");
    }
}
