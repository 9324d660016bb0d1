//! What a pool's [`Task`] and [`Completed`] hold: a handle on one chunk of
//! the pool, or on the chunks not yet yielded in the order they finish.

use super::ProcessPool;
use crate::error::{Error, Result};
use crate::executor::{Handle, TaskState};
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A task submitted to a pool: what a [`Task`] holds for it.
pub(super) struct PoolTask<'p, R> {
    pool: &'p ProcessPool,
    id: u64,
    taken: bool,
    _result: PhantomData<fn() -> R>,
}

impl<'p, R> PoolTask<'p, R> {
    pub(super) fn new(pool: &'p ProcessPool, id: u64) -> PoolTask<'p, R> {
        PoolTask { pool, id, taken: false, _result: PhantomData }
    }
}

impl<R: DeserializeOwned> PoolTask<'_, R> {
    /// Waits for the task and returns its value, or why it has none.
    fn join(mut self) -> Result<R> {
        self.taken = true;
        self.pool.wait_for(self.id)?.pop().ok_or_else(|| Error::Codec("a task came back without its result".into()))
    }
}

impl<R: DeserializeOwned> Handle<R> for PoolTask<'_, R> {
    fn state(&self) -> TaskState {
        // Whatever arrived is taken in first; a broken pool shows in the results.
        let _ = self.pool.pump(false);
        self.pool.inner.borrow().state_of(self.id)
    }

    fn news(&self) -> u64 {
        self.pool.inner.borrow().news()
    }

    fn wait_for_news(&self, news: u64, deadline: Option<std::time::Instant>) {
        // One pump takes in what arrived; the next waits for a worker.
        let _ = self.pool.pump(false);
        if self.news() != news {
            return;
        }
        let limit = deadline.map(|d| d.saturating_duration_since(std::time::Instant::now()));
        let _ = self.pool.pump_for(limit);
    }

    fn cancel(&self) -> bool {
        let _ = self.pool.pump(false);
        self.pool.inner.borrow_mut().cancel(self.id)
    }

    fn has_failed(&self) -> bool {
        self.pool.inner.borrow().has_failed(self.id)
    }

    fn executor(&self) -> usize {
        std::ptr::from_ref(self.pool) as usize
    }

    fn join(self: Box<Self>) -> Result<R> {
        PoolTask::join(*self)
    }
}

impl<R> Drop for PoolTask<'_, R> {
    fn drop(&mut self) {
        if !self.taken {
            self.pool.inner.borrow_mut().discard(self.id);
        }
    }
}

/// A pool's results in the order tasks finish: what a [`Completed`] holds.
pub(super) struct AsCompleted<'p, R> {
    pool: &'p ProcessPool,
    first: u64,
    pending: Vec<u64>,
    /// Why the pool could not be pumped: every pending task ends with it.
    failed: Option<String>,
    _result: PhantomData<fn() -> R>,
}

impl<'p, R> AsCompleted<'p, R> {
    /// The chunks `pending`, one task each, numbered from the first.
    pub(super) fn new(pool: &'p ProcessPool, pending: Vec<u64>) -> AsCompleted<'p, R> {
        let first = pending.first().copied().unwrap_or(0);
        AsCompleted { pool, first, pending, failed: None, _result: PhantomData }
    }
}

impl<R: DeserializeOwned> Iterator for AsCompleted<'_, R> {
    type Item = (usize, Result<R>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.pending.is_empty() {
                return None;
            }
            if let Some(why) = &self.failed {
                let id = self.pending.remove(0);
                return Some(((id - self.first) as usize, Err(Error::Io(std::io::Error::other(why.clone())))));
            }
            let done = self.pool.inner.borrow().first_ended(&self.pending);
            if let Some(pos) = done {
                let id = self.pending.swap_remove(pos);
                let outcome = self.pool.inner.borrow_mut().take_result(id).expect("just seen");
                let result = self.pool.decode(outcome).and_then(|mut v: Vec<R>| {
                    v.pop().ok_or_else(|| Error::Codec("a task came back without its result".into()))
                });
                return Some(((id - self.first) as usize, result));
            }
            if let Err(e) = self.pool.pump(true) {
                // Each pending task, by its own index, ends with the reason.
                self.failed = Some(e.to_string());
            }
        }
    }
}

impl<R> Drop for AsCompleted<'_, R> {
    fn drop(&mut self) {
        let mut inner = self.pool.inner.borrow_mut();
        for id in self.pending.drain(..) {
            inner.discard(id);
        }
    }
}
