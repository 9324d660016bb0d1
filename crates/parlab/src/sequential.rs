//! Tasks one after another in the calling thread: the baseline every
//! parallel run is measured against. Same surface as the pools.

use crate::error::panic_message;
use crate::error::{Error, Result};
use crate::trace::Span;
use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs tasks in the calling thread, recording a span for each.
#[derive(Default)]
pub struct Sequential {
    spans: RefCell<Vec<Span>>,
}

impl Sequential {
    pub fn new() -> Sequential {
        Sequential::default()
    }

    /// Runs `f` now; a panic comes back as [`Error::Panicked`].
    pub fn run<R>(&self, f: impl FnOnce() -> R) -> Result<R> {
        let index = self.spans.borrow().len();
        self.run_indexed(|()| f(), (), index)
    }

    /// Runs `f` on every input in order; the first failure fails the call.
    pub fn map<A, R>(&self, f: fn(A) -> R, inputs: impl IntoIterator<Item = A>) -> Result<Vec<R>> {
        inputs.into_iter().enumerate().map(|(i, a)| self.run_indexed(f, a, i)).collect()
    }

    /// Spans of every task run so far, taken out.
    pub fn take_spans(&self) -> Vec<Span> {
        std::mem::take(&mut self.spans.borrow_mut())
    }

    fn run_indexed<A, R>(&self, f: impl FnOnce(A) -> R, arg: A, index: usize) -> Result<R> {
        let (value, span) = Span::measure(index, 0, || catch_unwind(AssertUnwindSafe(|| f(arg))));
        self.spans.borrow_mut().push(span);
        value.map_err(|p| Error::Panicked { message: panic_message(&*p) })
    }
}
