//! Tasks one after another in the calling thread: the baseline every
//! parallel run is measured against. Same surface as the pools.

use crate::error::panic_message;
use crate::error::{Error, Result};
use crate::executor::{Completed, Executor, Payload, Task, TaskKind};
use crate::trace::Span;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs tasks in the calling thread, recording a span for each.
#[derive(Default)]
pub struct Sequential {
    spans: RefCell<Vec<Span>>,
}

impl Sequential {
    /// A runner with no task run yet.
    ///
    /// ```
    /// let seq = parlab::Sequential::new();
    /// assert!(seq.take_spans().is_empty());
    /// ```
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Runs `f` now; a panic comes back as [`Error::Panicked`].
    ///
    /// ```
    /// let seq = parlab::Sequential::new();
    /// assert_eq!(seq.run(|| 6 * 7).unwrap(), 42);
    /// let failed = seq.run(|| -> u8 { panic!("no") });
    /// assert!(matches!(failed, Err(parlab::Error::Panicked { message }) if message == "no"));
    /// ```
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        let index = self.spans.borrow().len();
        self.run_indexed(|()| f(), (), index)
    }

    /// Runs `f` on every input in order; the first failure fails the call.
    ///
    /// ```
    /// let seq = parlab::Sequential::new();
    /// assert_eq!(seq.map(|x: u32| x * 10, [1, 2]).unwrap(), [10, 20]);
    /// ```
    pub fn map<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>> {
        inputs.into_iter().enumerate().map(|(i, a)| self.run_indexed(f, a, i)).collect()
    }

    /// Runs `f(arg)` now; the handle holds its result. Never `Err` (the
    /// signature is the pools', so that swapping one for the other is one
    /// line): a panic comes back from [`Task::join`].
    ///
    /// ```
    /// let seq = parlab::Sequential::new();
    /// let task = seq.submit(|x: u32| x + 1, 1).unwrap();
    /// assert!(task.is_finished()); // it ran before submit returned
    /// assert_eq!(task.join().unwrap(), 2);
    /// ```
    pub fn submit<A, R>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>> {
        let index = self.spans.borrow().len();
        Ok(Task::new(TaskKind::Done(self.run_indexed(f, arg, index))))
    }

    /// Runs `f` on every input in order, then yields `(index, result)` in
    /// that order, which is the order they finished in. Never `Err` (the
    /// pools' signature); each task's panic comes back in its result.
    ///
    /// ```
    /// let seq = parlab::Sequential::new();
    /// let done: Vec<(usize, u32)> =
    ///     seq.as_completed(|x: u32| x, [5, 6]).unwrap().map(|(i, r)| (i, r.unwrap())).collect();
    /// assert_eq!(done, [(0, 5), (1, 6)]);
    /// ```
    pub fn as_completed<'s, A, R: 's>(
        &'s self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<Completed<'s, R>> {
        let results: Vec<(usize, Result<R>)> =
            inputs.into_iter().enumerate().map(|(i, a)| (i, self.run_indexed(f, a, i))).collect();
        Ok(Completed::new(results.into_iter()))
    }

    /// Spans of every task run so far, taken out.
    ///
    /// ```
    /// let seq = parlab::Sequential::new();
    /// seq.map(|x: u32| x, [1, 2, 3]).unwrap();
    /// let spans = seq.take_spans();
    /// assert_eq!(spans.iter().map(|s| s.index).collect::<Vec<_>>(), [0, 1, 2]);
    /// assert!(spans.windows(2).all(|w| w[0].end_ns <= w[1].start_ns)); // one after the other
    /// ```
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut self.spans.borrow_mut())
    }

    fn run_indexed<A, R>(&self, f: impl FnOnce(A) -> R, arg: A, index: usize) -> Result<R> {
        let (value, span) = Span::measure(index, 0, || catch_unwind(AssertUnwindSafe(|| f(arg))));
        self.spans.borrow_mut().push(span);
        value.map_err(|p| Error::Panicked { message: panic_message(&*p) })
    }
}

impl Executor for crate::Sequential {
    fn map_chunked<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
        _chunk_size: usize,
    ) -> Result<Vec<R>> {
        Sequential::map(self, f, inputs)
    }

    fn submit<A: Payload, R: Payload>(&self, f: fn(A) -> R, arg: A) -> Result<Task<'_, R>> {
        Sequential::submit(self, f, arg)
    }

    fn as_completed<A: Payload, R: Payload>(
        &self,
        f: fn(A) -> R,
        inputs: impl IntoIterator<Item = A>,
    ) -> Result<Completed<'_, R>> {
        Sequential::as_completed(self, f, inputs)
    }

    fn take_spans(&self) -> Vec<Span> {
        Sequential::take_spans(self)
    }
}
