//! Claims in memory shared with the workers: a chunk queued behind a task
//! that turned out long can be handed to an idle worker as well, and
//! whichever worker claims it first runs it. A chunk never runs twice, and
//! none waits behind a long task while another worker is idle.

use crate::error::{Result, os};
use nix::sys::mman::{MapFlags, ProtFlags, mmap_anonymous, munmap};
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

/// A table of claim slots, mapped shared before the workers are forked.
pub(super) struct ClaimTable {
    slots: NonNull<AtomicU32>,
    len: usize,
    /// Slots no chunk holds (parent side only).
    free: Vec<u32>,
}

impl ClaimTable {
    pub(super) fn new(len: usize) -> Result<ClaimTable> {
        let bytes = NonZeroUsize::new(len.max(1) * std::mem::size_of::<AtomicU32>()).expect("non-zero");
        // SAFETY: a fresh anonymous mapping, not aliased; zeroed by the kernel.
        let ptr =
            unsafe { mmap_anonymous(None, bytes, ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, MapFlags::MAP_SHARED) }
                .map_err(os("mmap"))?;
        Ok(ClaimTable { slots: ptr.cast(), len: len.max(1), free: (0..len.max(1) as u32).rev().collect() })
    }

    fn slot(&self, i: u32) -> &AtomicU32 {
        assert!((i as usize) < self.len, "claim slot {i} out of range");
        // SAFETY: `i` is in range, and the mapping lives as long as `self`
        // (in a worker, until it exits: workers never drop the table).
        unsafe { &*self.slots.as_ptr().add(i as usize) }
    }

    /// A free slot for a chunk about to be sent, or `None` when all are held.
    pub(super) fn take(&mut self) -> Option<u32> {
        self.free.pop()
    }

    /// Makes `i` free again, once no worker still holds its chunk.
    pub(super) fn give_back(&mut self, i: u32) {
        self.slot(i).store(0, Ordering::SeqCst);
        self.free.push(i);
    }

    /// Whether a worker (or the parent) has claimed slot `i`.
    pub(super) fn claimed(&self, i: u32) -> bool {
        self.slot(i).load(Ordering::SeqCst) != 0
    }

    /// Claims slot `i` for the parent, so that no worker runs its chunk
    /// (cancelling it); `false` if a worker claimed it first.
    pub(super) fn claim(&self, i: u32) -> bool {
        self.slot(i).compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }

    /// What a worker keeps of the table: the shared slots alone.
    pub(super) fn view(&self) -> Claims {
        Claims { slots: self.slots, len: self.len }
    }
}

/// A worker's handle on the shared slots (the mapping outlives it: a worker
/// ends with `_exit`, never unmapping).
#[derive(Clone, Copy)]
pub(super) struct Claims {
    slots: NonNull<AtomicU32>,
    len: usize,
}

impl Claims {
    /// Claims slot `i`; `false` if another worker did first.
    pub(super) fn claim(&self, i: u32) -> bool {
        if i as usize >= self.len {
            return false;
        }
        // SAFETY: in range, and the shared mapping lives as long as the worker.
        let slot = unsafe { &*self.slots.as_ptr().add(i as usize) };
        slot.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst).is_ok()
    }
}

impl Drop for ClaimTable {
    fn drop(&mut self) {
        // SAFETY: the mapping was made by `new` with this length.
        let _ = unsafe { munmap(self.slots.cast(), self.len * std::mem::size_of::<AtomicU32>()) };
    }
}
