//! Large messages through shared memory: encoded once, into pages the
//! receiver maps, never pushed through a pipe.
//!
//! Through a pipe a 4 MiB result was cut into 64 KiB pieces, each a wake-up
//! of the reader, and copied four more times on the way (into the frame, the
//! pipe, the read buffer, the message). Here the sender measures the
//! encoding, writes it once into an in-memory file (`memfd_create`), and
//! hands the file itself over a Unix socket (`SCM_RIGHTS`), with the id of
//! the task it belongs to; the receiver maps those same pages and decodes
//! from them. The file is sealed against shrinking, and the receiver checks
//! that seal before mapping: a file that could shrink would kill the reader
//! (`SIGBUS`) on its next read.
//!
//! Making and freeing the pages of a new file was half the cost of a 4 MiB
//! message here, so a pool's parent hands a result's file back to its worker
//! once it has decoded it (one at a time, up to 64 MiB), and the worker
//! writes its next large result over the same pages ([`encode_to_file`]
//! takes a file to reuse). Large arguments go the other way: the caller's
//! encoding is copied once into a file ([`file_of`]) that each worker
//! taking the chunk maps, and the caller writes its next large argument over
//! it once they all answered. They travel on a channel of their own: a
//! channel holds a few hundred files, and an argument queued behind files
//! handed back to an idle worker once stopped the caller for good.
//! Linux only; elsewhere every message takes the pipe ([`available`] says).

use crate::error::{Error, Result, os};
use serde::Serialize;
#[cfg(target_os = "linux")]
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
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

// SAFETY: a read-only view of pages sealed against shrinking. The file is
// shared, and the seal does not stop writes: that no one writes while the
// view lives is the protocol's promise (a worker lets go of a result's file
// once sent and writes over it only when handed it back, after the caller
// unmapped it; a caller writes over an argument's file only once every
// worker holding it has answered). So any thread may read them, and
// unmapping needs no particular thread.
unsafe impl Send for Mapped {}
// SAFETY: as above; `&Mapped` only reads.
unsafe impl Sync for Mapped {}

impl std::ops::Deref for Mapped {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        // SAFETY: `ptr` maps `len` readable bytes until `self` drops, and
        // the seal checked in `map_sealed` keeps the file from shrinking.
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Mapped {
    fn drop(&mut self) {
        // SAFETY: mapped by `map_sealed` with this length, unmapped once.
        let _ = unsafe { nix::sys::mman::munmap(self.ptr.cast(), self.len) };
    }
}

/// A message's bytes, in the receiver's heap or mapped from the file a
/// pool's worker sent; the file itself kept (to be handed back to `worker`
/// for reuse) only while few are (see [`Held`]).
pub(crate) enum Bytes {
    Heap(Vec<u8>),
    Shared { data: Mapped, file: Option<Held>, worker: usize },
}

impl Bytes {
    /// The file behind mapped bytes, if it was kept, unmapped first, and
    /// the worker it came from.
    pub(crate) fn into_file(self) -> Option<(usize, OwnedFd)> {
        match self {
            Bytes::Heap(_) => None,
            Bytes::Shared { data, file, worker } => {
                drop(data);
                Some((worker, file?.into_file()))
            }
        }
    }
}

/// A received file kept open, counted: each is a descriptor, and a caller
/// that leaves thousands of results untaken must not run out of them (the
/// mapping alone keeps a result's pages; the file is only for reuse).
pub(crate) struct Held {
    file: Option<OwnedFd>,
    count: std::rc::Rc<std::cell::Cell<usize>>,
}

impl Held {
    /// Keeps `file` open if fewer than `most` are, counted in `count`.
    pub(crate) fn keep(file: OwnedFd, count: &std::rc::Rc<std::cell::Cell<usize>>, most: usize) -> Option<Held> {
        (count.get() < most).then(|| {
            count.set(count.get() + 1);
            Held { file: Some(file), count: count.clone() }
        })
    }

    fn into_file(mut self) -> OwnedFd {
        self.file.take().expect("a held file is taken once")
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.count.set(self.count.get() - 1);
    }
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Heap(v) => v,
            Bytes::Shared { data, .. } => data,
        }
    }
}

/// The largest file a worker keeps to reuse: past this, the copies cost far
/// more than new pages do, and a spare file holds memory for the pool's life.
pub(crate) const REUSE_UP_TO: u64 = 64 << 20;

/// The seal a received file must carry: no shrinking (a mapped page that
/// vanishes kills the reader). It may grow and be written: a worker writes
/// its next message over a file handed back to it.
#[cfg(target_os = "linux")]
fn seals() -> nix::fcntl::SealFlag {
    nix::fcntl::SealFlag::F_SEAL_SHRINK
}

/// Encodes `value`, whose postcard takes `len` bytes ([`crate::wire::encoded_len`]),
/// into `reuse` (a file this function made before, handed back) or a new
/// in-memory file sealed against shrinking. Written with `write`, not
/// through a mapping: mapping, filling and unmapping fresh shared pages took
/// three times as long here (3 ms against 0.9 ms for 4 MiB). A block of
/// bytes in the value goes to the file in one call, from where it lies.
#[cfg(target_os = "linux")]
pub(crate) fn encode_to_file<T: Serialize + ?Sized>(value: &T, len: usize, reuse: Option<OwnedFd>) -> Result<OwnedFd> {
    use std::io::{Seek, SeekFrom};
    if let Some(file) = reuse {
        let mut file = std::fs::File::from(file);
        // A file that cannot be written over any more gives way to a new one.
        if file.seek(SeekFrom::Start(0)).is_ok()
            && let Ok(file) = write_encoded(value, len, file)
        {
            return Ok(file);
        }
    }
    write_encoded(value, len, new_file()?)
}

/// An in-memory file holding `bytes` from its start: `reuse` (an earlier
/// one, written over) or a new one sealed against shrinking. A chunk's
/// arguments: its workers only map it, and it is reused only once every
/// worker that held it has answered.
#[cfg(target_os = "linux")]
pub(crate) fn file_of(bytes: &[u8], reuse: Option<OwnedFd>) -> Result<OwnedFd> {
    use std::os::unix::fs::FileExt;
    let file = match reuse {
        Some(file) => std::fs::File::from(file),
        None => new_file()?,
    };
    file.write_all_at(bytes, 0)?;
    Ok(file.into())
}

/// Elsewhere no file is made: callers check [`available`].
#[cfg(not(target_os = "linux"))]
pub(crate) fn file_of(_bytes: &[u8], _reuse: Option<OwnedFd>) -> Result<OwnedFd> {
    Err(Error::Codec("shared memory for messages is Linux only".into()))
}

/// The file a `Process` child writes its report into: it lives only in
/// memory and vanishes with its last descriptor, so a child writes there
/// without ever blocking, whatever the size. On Linux an in-memory file
/// sealed against shrinking (every child forked later inherits it, and the
/// parent maps a large value from it); elsewhere an unlinked temporary file.
pub(crate) fn report_file() -> Result<std::fs::File> {
    #[cfg(target_os = "linux")]
    {
        new_file()
    }
    #[cfg(not(target_os = "linux"))]
    {
        let path = std::env::temp_dir().join(format!("parlab-{}-{}", std::process::id(), crate::clock::now_ns()));
        let file = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path)?;
        std::fs::remove_file(&path)?;
        Ok(file)
    }
}

/// A new in-memory file, sealed against shrinking from the start.
#[cfg(target_os = "linux")]
fn new_file() -> Result<std::fs::File> {
    use nix::fcntl::{FcntlArg, fcntl};
    use nix::sys::memfd::{MFdFlags, memfd_create};
    let file = memfd_create(c"parlab-message", MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING)
        .map_err(os("memfd_create"))?;
    fcntl(&file, FcntlArg::F_ADD_SEALS(seals())).map_err(os("fcntl(F_ADD_SEALS)"))?;
    Ok(file.into())
}

/// Writes `value`'s postcard from `file`'s current position (its start).
#[cfg(target_os = "linux")]
fn write_encoded<T: Serialize + ?Sized>(value: &T, len: usize, file: std::fs::File) -> Result<OwnedFd> {
    use std::io::{Seek, Write};
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    postcard::to_io(value, &mut out).map_err(|e| Error::Codec(e.to_string()))?;
    out.flush()?;
    let mut file = out.into_inner().map_err(|e| Error::Io(e.into_error()))?;
    let written = file.stream_position()?;
    if written != len as u64 {
        return Err(Error::Codec(format!("a message measured {len} bytes but encoded to {written}")));
    }
    Ok(file.into())
}

/// Elsewhere there is no sealed in-memory file: callers check [`available`].
#[cfg(not(target_os = "linux"))]
pub(crate) fn encode_to_file<T: Serialize + ?Sized>(
    _value: &T,
    _len: usize,
    _reuse: Option<OwnedFd>,
) -> Result<OwnedFd> {
    Err(Error::Codec("shared memory for messages is Linux only".into()))
}

/// Maps the first `len` bytes of a received file after checking its seal
/// and that it holds them (a reused file may hold more).
#[cfg(target_os = "linux")]
pub(crate) fn map_sealed(file: BorrowedFd, len: usize) -> Result<Mapped> {
    use nix::fcntl::{FcntlArg, SealFlag, fcntl};
    let sealed = fcntl(file, FcntlArg::F_GET_SEALS).map_err(os("fcntl(F_GET_SEALS)"))?;
    if !SealFlag::from_bits_truncate(sealed).contains(seals()) {
        return Err(Error::Codec("a message's file came without its seal against shrinking".into()));
    }
    let size = nix::sys::stat::fstat(file).map_err(os("fstat"))?.st_size;
    if usize::try_from(size).map_or(true, |size| size < len) {
        return Err(Error::Codec(format!("a message's file holds {size} bytes, not the {len} announced")));
    }
    // SAFETY: the file is sealed against shrinking.
    unsafe { map_file(file, 0, len) }
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
    let mapped = Mapped { ptr: ptr.cast(), len };
    // Not into children forked later (a replacement worker, a Process):
    // they would keep these pages for their whole lives.
    // SAFETY: the range was just mapped here, and no child needs it.
    unsafe { nix::sys::mman::madvise(ptr, len, nix::sys::mman::MmapAdvise::MADV_DONTFORK) }.map_err(os("madvise"))?;
    Ok(mapped)
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
pub(crate) fn map_sealed(_file: BorrowedFd, _len: usize) -> Result<Mapped> {
    Err(Error::Codec("shared memory for messages is Linux only".into()))
}

/// A connected pair of Unix datagram sockets that carry files, one for each
/// side of a fork.
pub(crate) fn file_channel() -> Result<(OwnedFd, OwnedFd)> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, socketpair};
    socketpair(AddressFamily::Unix, SockType::Datagram, None, SockFlag::SOCK_CLOEXEC).map_err(os("socketpair"))
}

/// Sends one open file over `channel`, with the id of the task it is for
/// (checked on receipt); the receiver gets its own descriptor.
pub(crate) fn send_file(channel: BorrowedFd, file: BorrowedFd, id: u64) -> Result<()> {
    send(channel, file, id, nix::sys::socket::MsgFlags::empty())
}

/// Hands a file back to the worker that sent it, for its next message;
/// never waits: if the worker's queue is full, the file is let go instead.
pub(crate) fn hand_back(channel: BorrowedFd, file: BorrowedFd) {
    let _ = send(channel, file, 0, nix::sys::socket::MsgFlags::MSG_DONTWAIT);
}

/// Files waiting on `channel`, taken without waiting, in the order sent.
pub(crate) fn waiting(channel: BorrowedFd) -> Vec<OwnedFd> {
    std::iter::from_fn(|| receive(channel).ok().map(|(_, file)| file)).collect()
}

fn send(channel: BorrowedFd, file: BorrowedFd, id: u64, flags: nix::sys::socket::MsgFlags) -> Result<()> {
    use nix::sys::socket::{ControlMessage, UnixAddr, sendmsg};
    let fds = [file.as_raw_fd()];
    let tag = id.to_le_bytes();
    let iov = [std::io::IoSlice::new(&tag)];
    loop {
        match sendmsg::<UnixAddr>(channel.as_raw_fd(), &iov, &[ControlMessage::ScmRights(&fds)], flags, None) {
            Ok(_) => return Ok(()),
            Err(nix::errno::Errno::EINTR) => continue,
            Err(e) => return Err(Error::os("sendmsg", e)),
        }
    }
}

/// Takes the next file sent over `channel` for task `id`, which must be
/// waiting already (the sender sends it before the message that announces
/// it): a missing file, or one sent for another task, is an error, never a wait.
pub(crate) fn receive_file(channel: BorrowedFd, id: u64) -> Result<OwnedFd> {
    let (tag, file) = receive(channel)?;
    if tag != id {
        return Err(Error::Codec(format!("the file for task {id} came marked for task {tag}")));
    }
    Ok(file)
}

/// Takes the next file waiting on `channel`, and the task id sent with it.
pub(crate) fn receive(channel: BorrowedFd) -> Result<(u64, OwnedFd)> {
    use nix::sys::socket::{ControlMessageOwned, MsgFlags, UnixAddr, recvmsg};
    let mut tag = [0u8; 8];
    let mut iov = [std::io::IoSliceMut::new(&mut tag)];
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
    let file =
        received.ok_or_else(|| Error::Codec("a message's file did not come with it (out of descriptors?)".into()))?;
    Ok((u64::from_le_bytes(tag), file))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::os::fd::AsFd;

    #[test]
    fn a_value_crosses_as_a_sealed_file_and_decodes_the_same() {
        let value: Vec<u64> = (0..100_000).collect();
        let len = crate::wire::encoded_len(&value).unwrap();
        let file = encode_to_file(&value, len, None).unwrap();
        let (a, b) = file_channel().unwrap();
        send_file(a.as_fd(), file.as_fd(), 7).unwrap();
        drop(file);
        let received = receive_file(b.as_fd(), 7).unwrap();
        let got = map_sealed(received.as_fd(), len).unwrap();
        assert_eq!(postcard::from_bytes::<Vec<u64>>(&got).unwrap(), value);
        drop(got);
        // Handed back, written over with a shorter message, and read again.
        hand_back(b.as_fd(), received.as_fd());
        drop(received);
        let mut spare = waiting(a.as_fd());
        assert_eq!(spare.len(), 1);
        let shorter: Vec<u64> = (0..1000).collect();
        let short_len = crate::wire::encoded_len(&shorter).unwrap();
        let file = encode_to_file(&shorter, short_len, spare.pop()).unwrap();
        let got = map_sealed(file.as_fd(), short_len).unwrap();
        assert_eq!(postcard::from_bytes::<Vec<u64>>(&got).unwrap(), shorter);
    }

    #[test]
    fn a_file_that_may_shrink_or_is_too_short_is_refused() {
        let plain = std::fs::File::from(
            nix::sys::memfd::memfd_create(c"unsealed", nix::sys::memfd::MFdFlags::MFD_CLOEXEC).unwrap(),
        );
        plain.set_len(4096).unwrap();
        let err = map_sealed(plain.as_fd(), 4096).err().unwrap();
        assert!(err.to_string().contains("seal"), "{err}");
        let value = vec![1u8; 10_000];
        let len = crate::wire::encoded_len(&value).unwrap();
        let err = map_sealed(encode_to_file(&value, len, None).unwrap().as_fd(), len + 1).err().unwrap();
        assert!(err.to_string().contains("not the"), "{err}");
    }

    #[test]
    fn a_file_announced_but_not_sent_is_an_error_not_a_wait() {
        let (a, b) = file_channel().unwrap();
        let err = receive_file(b.as_fd(), 1).err().unwrap();
        assert!(err.to_string().contains("never sent"), "{err}");
        // One sent for another task is refused, not taken as this one's.
        let file = encode_to_file(&vec![1u8; 100], 101, None).unwrap();
        send_file(a.as_fd(), file.as_fd(), 2).unwrap();
        let err = receive_file(b.as_fd(), 1).err().unwrap();
        assert!(err.to_string().contains("marked for task 2"), "{err}");
    }
}
