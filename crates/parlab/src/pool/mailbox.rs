//! Replies through memory shared with the workers: a worker writes a small
//! reply into its ring and makes no system call, unless the parent sleeps.
//!
//! A pipe write per reply was a third of a tiny task's cost. Here each worker
//! has a ring of bytes in a mapping made before the fork; the parent reads
//! whole frames from it whenever it pumps the pool. Before the parent sleeps
//! in `poll` it raises a flag and looks at every ring once more; a worker
//! looks at the flag after publishing a reply and, finding it raised, wakes
//! the parent with an empty frame on its pipe. Both sides store, then load,
//! with sequential consistency, so at least one of them sees the other: a
//! reply never waits for a sleeping parent. Replies too large for the ring
//! (or finding it full) go down the pipe as before; the parent takes replies
//! by task id (and a large result's file by the id sent with it), so the
//! two paths need no common order.

use crate::error::{Error, Result, os};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// Bytes in one worker's ring: hundreds of small replies, so that a worker
/// does not fall back to its pipe while the parent is busy.
const RING_BYTES: usize = 64 * 1024;

/// One worker's ring. `head` and `tail` count bytes since the start, on
/// separate cache lines: only the worker moves `head`, only the parent `tail`.
#[repr(C, align(64))]
struct Ring {
    head: AtomicU64,
    _pad: [u8; 56],
    tail: AtomicU64,
    _pad2: [u8; 56],
    data: [u8; RING_BYTES],
}

impl Ring {
    /// The worker's count of bytes written. Reached through the pointer, so
    /// that no reference ever covers the data bytes the other side writes.
    ///
    /// # Safety
    /// `ring` points into a live mapping made by [`Mailboxes::new`].
    unsafe fn head<'a>(ring: NonNull<Ring>) -> &'a AtomicU64 {
        // SAFETY: as the caller promises; the field is an atomic, shared by design.
        unsafe { &*std::ptr::addr_of!((*ring.as_ptr()).head) }
    }

    /// The parent's count of bytes taken (see [`Ring::head`]).
    ///
    /// # Safety
    /// As for [`Ring::head`].
    unsafe fn tail<'a>(ring: NonNull<Ring>) -> &'a AtomicU64 {
        // SAFETY: as the caller promises; the field is an atomic, shared by design.
        unsafe { &*std::ptr::addr_of!((*ring.as_ptr()).tail) }
    }

    /// The ring's data bytes (see [`Bytes`]).
    ///
    /// # Safety
    /// As for [`Ring::head`].
    unsafe fn data(ring: NonNull<Ring>) -> Bytes {
        // SAFETY: as the caller promises; no reference is made.
        Bytes(unsafe { std::ptr::addr_of_mut!((*ring.as_ptr()).data) }.cast::<u8>())
    }
}

/// The shared mapping's first cache line.
#[repr(C, align(64))]
struct Flags {
    /// Raised by the parent just before it may sleep in `poll`.
    parent_may_sleep: AtomicBool,
}

/// All workers' rings, mapped shared before the workers are forked.
pub(super) struct Mailboxes {
    base: NonNull<u8>,
    workers: usize,
}

fn mapping_bytes(workers: usize) -> usize {
    std::mem::size_of::<Flags>() + workers * std::mem::size_of::<Ring>()
}

/// A worker's end: its ring and the shared flag (the mapping outlives it: a
/// worker ends with `_exit`, never unmapping).
#[derive(Clone, Copy)]
pub(super) struct Outbox {
    flags: NonNull<Flags>,
    ring: NonNull<Ring>,
}

impl Mailboxes {
    pub(super) fn new(workers: usize) -> Result<Mailboxes> {
        let bytes = NonZeroUsize::new(mapping_bytes(workers)).expect("non-zero");
        // SAFETY: a fresh anonymous mapping, not aliased; zeroed by the kernel,
        // which is a valid state for every field (atomics and bytes).
        let ptr =
            unsafe { mmap_anonymous(None, bytes, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, MapFlags::MAP_SHARED) }
                .map_err(os("mmap"))?;
        Ok(Mailboxes { base: ptr.cast(), workers })
    }

    fn flags(&self) -> &Flags {
        // SAFETY: the mapping starts with `Flags` and lives as long as `self`.
        unsafe { &*self.base.as_ptr().cast::<Flags>() }
    }

    fn ring_ptr(&self, worker: usize) -> NonNull<Ring> {
        assert!(worker < self.workers, "worker {worker} has no ring");
        // SAFETY: in range of the mapping (see `mapping_bytes`), and aligned:
        // the mapping is page-aligned and both types are 64-byte multiples.
        unsafe { self.base.add(std::mem::size_of::<Flags>()).cast::<Ring>().add(worker) }
    }

    /// Worker `worker`'s end, handed to it before the fork.
    pub(super) fn outbox(&self, worker: usize) -> Outbox {
        Outbox { flags: self.base.cast(), ring: self.ring_ptr(worker) }
    }

    /// Whether any ring holds a reply not yet taken.
    pub(super) fn any_waiting(&self) -> bool {
        (0..self.workers).any(|i| {
            let ring = self.ring_ptr(i);
            // SAFETY: the ring lives as long as `self`.
            unsafe { Ring::head(ring).load(Ordering::SeqCst) != Ring::tail(ring).load(Ordering::Relaxed) }
        })
    }

    /// Says the parent is about to sleep (`true`) or is awake (`false`).
    /// After raising it, call [`Mailboxes::any_waiting`] before sleeping.
    pub(super) fn parent_may_sleep(&self, asleep: bool) {
        self.flags().parent_may_sleep.store(asleep, Ordering::SeqCst);
    }

    /// The parent's end of worker `worker`'s ring: a handle to use at once,
    /// while `self` lives.
    pub(super) fn inbox(&self, worker: usize) -> Inbox {
        Inbox { ring: self.ring_ptr(worker), worker }
    }
}

/// The parent's end of one ring (see [`Mailboxes::inbox`]).
#[derive(Clone, Copy)]
pub(super) struct Inbox {
    ring: NonNull<Ring>,
    worker: usize,
}

impl Inbox {
    /// Calls `each` on every whole reply in the ring, oldest first, then
    /// frees their room; returns how many there were. `scratch` puts back
    /// together a frame that wraps round the ring's end. A frame that does
    /// not fit what the worker published is an error: the ring cannot be
    /// trusted any more.
    pub(super) fn take(self, scratch: &mut Vec<u8>, mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<usize> {
        let (ring, worker) = (self.ring, self.worker);
        // SAFETY: see `ring_ptr`. The bytes between `tail` and `head` were
        // published by the worker (its `head` store is SeqCst, this load
        // too), and it writes no byte there until `tail` moves past them.
        let (head, tail) =
            unsafe { (Ring::head(ring).load(Ordering::SeqCst), Ring::tail(ring).load(Ordering::Relaxed)) };
        // SAFETY: the ring lives as long as `self`. Only the bytes between
        // tail and head are looked at: the worker may be writing the others.
        let data = unsafe { Ring::data(ring) };
        let corrupt = || Error::Codec(format!("worker {worker} wrote a reply its ring cannot hold"));
        if head < tail || head - tail > RING_BYTES as u64 {
            return Err(corrupt());
        }
        let (mut at, mut taken) = (tail, 0);
        while at < head {
            if head - at < 4 {
                return Err(corrupt());
            }
            let mut len = [0u8; 4];
            // SAFETY: these 4 bytes lie between tail and head.
            unsafe { data.copy_out(at, &mut len) };
            let len = u32::from_le_bytes(len) as u64;
            if head - at - 4 < len {
                return Err(corrupt());
            }
            let start = ((at + 4) % RING_BYTES as u64) as usize;
            let len = len as usize;
            if start + len <= RING_BYTES {
                // SAFETY: the frame lies between tail and head, unwrapped.
                each(unsafe { std::slice::from_raw_parts(data.0.add(start), len) })?;
            } else {
                scratch.resize(len, 0);
                // SAFETY: the frame lies between tail and head.
                unsafe { data.copy_out(at + 4, scratch) };
                each(scratch)?;
            }
            at += 4 + len as u64;
            taken += 1;
        }
        // SAFETY: see `ring_ptr`; the worker may now reuse the room.
        unsafe { Ring::tail(ring) }.store(at, Ordering::SeqCst);
        Ok(taken)
    }
}

impl Drop for Mailboxes {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this length.
        let _ = unsafe { munmap(self.base.cast(), mapping_bytes(self.workers)) };
    }
}

/// A ring's bytes, reached by pointer: each side makes slices over the
/// bytes it owns at the moment, never over the whole ring.
#[derive(Clone, Copy)]
struct Bytes(*mut u8);

impl Bytes {
    /// Copies `out.len()` bytes starting at byte count `at`, wrapping round.
    ///
    /// # Safety
    /// Those bytes must be owned by the caller's side (see the module doc).
    unsafe fn copy_out(self, at: u64, out: &mut [u8]) {
        let start = (at % RING_BYTES as u64) as usize;
        let first = out.len().min(RING_BYTES - start);
        // SAFETY: both pieces are in the ring and owned by the caller.
        unsafe {
            std::ptr::copy_nonoverlapping(self.0.add(start), out.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(self.0, out.as_mut_ptr().add(first), out.len() - first);
        }
    }

    /// Copies `bytes` in starting at byte count `at`, wrapping round.
    ///
    /// # Safety
    /// Those bytes must be owned by the caller's side (see the module doc).
    unsafe fn copy_in(self, at: u64, bytes: &[u8]) {
        let start = (at % RING_BYTES as u64) as usize;
        let first = bytes.len().min(RING_BYTES - start);
        // SAFETY: both pieces are in the ring and owned by the caller.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.0.add(start), first);
            std::ptr::copy_nonoverlapping(bytes.as_ptr().add(first), self.0, bytes.len() - first);
        }
    }
}

impl Outbox {
    /// Puts one frame's payload in the ring if it fits; `Ok(false)` if not
    /// (the caller sends it down the pipe). `wake` is called when the
    /// parent may be asleep and must be woken.
    pub(super) fn put(&self, payload: &[u8], wake: impl FnOnce() -> std::io::Result<()>) -> std::io::Result<bool> {
        let need = 4 + payload.len() as u64;
        let ring = self.ring;
        // SAFETY: the ring lives in the shared mapping for the worker's life;
        // only this worker writes `head` and the bytes from `head` on.
        let (head, tail) =
            unsafe { (Ring::head(ring).load(Ordering::Relaxed), Ring::tail(ring).load(Ordering::SeqCst)) };
        if need > RING_BYTES as u64 - (head - tail) {
            return Ok(false);
        }
        // SAFETY: the bytes from `head` to `head + need` are free (the parent
        // has moved `tail` past them) and the parent reads none of them
        // before `head` is published below.
        unsafe {
            let data = Ring::data(ring);
            data.copy_in(head, &(payload.len() as u32).to_le_bytes());
            data.copy_in(head + 4, payload);
            Ring::head(ring).store(head + need, Ordering::SeqCst);
        }
        // SAFETY: the flag lives in the shared mapping for the worker's life.
        let flag = unsafe { &(*self.flags.as_ptr()).parent_may_sleep };
        if flag.load(Ordering::SeqCst) && flag.swap(false, Ordering::SeqCst) {
            wake()?;
        }
        Ok(true)
    }
}
