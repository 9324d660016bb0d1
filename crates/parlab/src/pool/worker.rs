//! The worker side of a pool: the messages, and the loop a forked worker runs.
//!
//! A worker is a `fork` of the pool's creator, so a function's address means
//! the same code in the worker as in the parent: a request carries that
//! address and the postcard of the arguments; the reply carries the postcard
//! of the results. Each reply is sent as soon as its chunk ends (through the
//! shared ring of [`super::mailbox`] when small; large arguments and results
//! travel as files the other side maps, see [`crate::bulk`]), so that a result reaches
//! the parent when its task does, even when a long task follows it in the
//! worker's queue.

use super::claims::Claims;
use super::mailbox::Outbox;
use crate::clock::now_ns;
use crate::error::panic_message;
use crate::error::{Result, TaskFailure};
use crate::trace::{Span, current_pid, current_tid};
use crate::{bulk, wire};
use serde::{Deserialize, Serialize, de::DeserializeOwned};
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Runs one chunk in a worker: decodes the arguments, calls the function at
/// `func` on each, encodes the results as one `Vec<R>`, and times the chunk
/// as one span covering its tasks. A panic fails the chunk: `map` fails on
/// the first error anyway, and a submitted task is a chunk of one. One
/// instance per (argument, result) type.
pub(super) type Trampoline = fn(usize, &[u8], usize, &Runner) -> (Result<Encoded, TaskFailure>, Span);

/// A chunk's results, encoded: small ones travel in the reply itself, large
/// ones in a sealed in-memory file of their own ([`crate::bulk`]).
pub(super) enum Encoded {
    Inline(Vec<u8>),
    File { file: std::os::fd::OwnedFd, len: usize },
}

/// Who runs the chunks: read once per worker, as `getpid` and `gettid` are
/// system calls, and two more per tiny task showed as a fifth of its cost.
pub(super) struct Runner {
    pub worker: usize,
    pub pid: i32,
    pub tid: i32,
    /// Where large results go as files, and their files come back.
    pub files: OwnedFd,
    /// Where large arguments come, each just before its request: a channel
    /// of its own, so that an argument never queues behind files handed
    /// back (a full channel would stop the caller while this worker waits).
    pub arguments: OwnedFd,
}

impl Runner {
    /// The file to write a large result over: the largest handed back (up
    /// to [`bulk::REUSE_UP_TO`]); the others close.
    fn spare_file(&self) -> Option<OwnedFd> {
        let size = |f: &OwnedFd| nix::sys::stat::fstat(f).map_or(u64::MAX, |st| st.st_size as u64);
        let mut best: Option<OwnedFd> = None;
        for file in bulk::waiting(self.files.as_fd()) {
            if size(&file) <= bulk::REUSE_UP_TO && best.as_ref().is_none_or(|b| size(b) < size(&file)) {
                best = Some(file);
            }
        }
        best
    }
}

impl Span {
    /// A span of no length, now, for a chunk that failed before it ran.
    fn instant(index: usize, runner: &Runner) -> Span {
        let now = now_ns();
        let (pid, tid, worker) = (runner.pid, runner.tid, runner.worker);
        Span { index, pid, tid, worker, tasks: 0, start_ns: now, end_ns: now, sleep: None }
    }
}

pub(super) fn run_chunk<A: DeserializeOwned, R: Serialize>(
    func: usize,
    args: &[u8],
    first_index: usize,
    runner: &Runner,
) -> (Result<Encoded, TaskFailure>, Span) {
    // SAFETY: `func` is the address of an `fn(A) -> R` taken in the process
    // this worker was forked from, so the same code sits at the same address.
    let f: fn(A) -> R = unsafe { std::mem::transmute::<usize, fn(A) -> R>(func) };
    let mut tasks = 0;
    let start_ns = now_ns();
    let encoded = (|| {
        // A panic while decoding or encoding (in a type's own serde code)
        // fails the task, as a panic in the task does, not the worker.
        let panicked = |what: &str, p: Box<dyn std::any::Any + Send>| {
            TaskFailure::Panicked(format!("{what} panicked in the worker: {}", panic_message(&*p)))
        };
        let args: Vec<A> = catch_unwind(AssertUnwindSafe(|| wire::decode(args)))
            .map_err(|p| panicked("decoding the task's argument", p))?
            .map_err(|e| TaskFailure::Codec(format!("the task's argument could not be decoded in the worker ({e})")))?;
        tasks = args.len();
        let results = catch_unwind(AssertUnwindSafe(|| args.into_iter().map(f).collect::<Vec<R>>()))
            .map_err(|p| TaskFailure::Panicked(panic_message(&*p)));
        // A worker is killed, not ended: its tiny calls are told after each chunk.
        crate::witness::flush_tiny();
        let results = results?;
        let encoded = catch_unwind(AssertUnwindSafe(|| encode_results(&results, runner)))
            .map_err(|p| panicked("encoding the task's result", p))?
            .map_err(|e| TaskFailure::Codec(format!("the task's result could not be encoded ({e})")))?;
        // A reply must fit one frame, with room for its own fields.
        if let Encoded::Inline(bytes) = &encoded
            && bytes.len() > wire::MAX_FRAME - 1024
        {
            return Err(TaskFailure::Codec(wire::too_large(bytes.len()).to_string()));
        }
        Ok(encoded)
    })();
    let end_ns = now_ns();
    let span = Span {
        index: first_index,
        pid: runner.pid,
        tid: runner.tid,
        worker: runner.worker,
        tasks,
        start_ns,
        end_ns,
        sleep: None,
    };
    (encoded, span)
}

/// Encodes a chunk's results: measured first, then written once, into the
/// reply's buffer or, when large, into a file the parent maps.
fn encode_results<R: Serialize>(results: &Vec<R>, runner: &Runner) -> crate::error::Result<Encoded> {
    let len = wire::encoded_len(results)?;
    if len >= bulk::SHARED_FROM && bulk::available() {
        return Ok(Encoded::File { file: bulk::encode_to_file(results, len, runner.spare_file())?, len });
    }
    wire::encode(results).map(Encoded::Inline)
}

/// A chunk to run. The arguments are borrowed both ways: the parent encodes
/// them into a reused buffer, and the worker decodes them where they lie.
#[derive(Serialize, Deserialize)]
pub(super) struct Request<'a> {
    pub first_id: u64,
    pub first_index: usize,
    pub trampoline: usize,
    pub func: usize,
    /// postcard of the chunk's `Vec<A>`, sent as one block of bytes; empty
    /// when the arguments come as a file.
    #[serde(with = "serde_bytes", borrow)]
    pub args: &'a [u8],
    /// The length of the arguments when they come as a file, sent over the
    /// worker's file channel just before this request.
    pub args_in_file: Option<u64>,
}

/// What a worker says of a chunk. The results are borrowed both ways: the
/// parent decodes a reply where it lies in its read buffer.
#[derive(Serialize, Deserialize)]
pub(super) struct Reply<'a> {
    pub first_id: u64,
    /// postcard of the chunk's `Vec<R>`; empty when `failure` is set.
    #[serde(with = "serde_bytes", borrow)]
    pub results: &'a [u8],
    pub failure: Option<TaskFailure>,
    /// The length of the results when they come as a file, sent over the
    /// worker's file channel just before this reply: `results` is empty then.
    pub in_file: Option<u64>,
    /// `None` when another worker claimed the chunk first: it did not run here.
    pub span: Option<Span>,
}

/// The `first_id` of the reply a worker sends when its initializer failed
/// (no task has this id): the parent then reports the pool broken with the
/// initializer's message.
pub(super) const INIT_FAILED: u64 = u64::MAX;

/// The worker's loop: run the pool's initializer, then read a chunk, claim
/// it, run its tasks, send their results at once (large ones as a file over
/// `files`, see [`crate::bulk`]). Exit codes: 0 at the end
/// of the requests, 4 when a request cannot be read, 5 when the parent is
/// gone, 6 when the initializer panicked.
pub(super) fn worker_main(
    index: usize,
    requests: File,
    replies: File,
    (files, arguments): (OwnedFd, OwnedFd),
    (claims, outbox): (Claims, Outbox),
    init: Option<fn()>,
) -> i32 {
    let mut reader = BufReader::with_capacity(64 * 1024, requests);
    let mut writer = BufWriter::with_capacity(64 * 1024, replies);
    if let Some(init) = init
        && let Err(panic) = catch_unwind(init)
    {
        let failure = TaskFailure::Panicked(panic_message(&*panic));
        let reply = Reply { first_id: INIT_FAILED, results: &[], failure: Some(failure), in_file: None, span: None };
        let _ = wire::write_frame(&mut writer, &reply).and_then(|()| writer.flush().map_err(Into::into));
        return 6;
    }
    let mut payload = Vec::new();
    let runner = Runner { worker: index, pid: current_pid(), tid: current_tid(), files, arguments };
    loop {
        match wire::read_raw_frame(&mut reader, &mut payload) {
            Ok(true) => {}
            Ok(false) => break,
            Err(_) => return 4,
        }
        if payload.len() < 4 {
            return 4;
        }
        let slot = u32::from_le_bytes(payload[..4].try_into().expect("4 bytes"));
        let Ok(request) = wire::decode_borrowed::<Request>(&payload[4..]) else { return 4 };
        // Taken whether or not this worker runs the chunk: files come in order.
        let arguments = request.args_in_file.map(|len| {
            let len =
                usize::try_from(len).map_err(|_| crate::error::Error::Codec(format!("arguments of {len} bytes")))?;
            bulk::map_sealed(bulk::receive_file(runner.arguments.as_fd(), request.first_id)?.as_fd(), len)
        });
        let sent: Vec<u8>;
        let reply = if claims.claim(slot) {
            // SAFETY: the parent took this address from a `Trampoline` before
            // forking this worker (see `run_chunk`).
            let tramp: Trampoline = unsafe { std::mem::transmute::<usize, Trampoline>(request.trampoline) };
            let (results, span) = match &arguments {
                None => tramp(request.func, request.args, request.first_index, &runner),
                Some(Ok(mapped)) => tramp(request.func, mapped, request.first_index, &runner),
                Some(Err(e)) => {
                    let failure =
                        TaskFailure::Codec(format!("the task's argument could not be read in the worker ({e})"));
                    (Err(failure), Span::instant(request.first_index, &runner))
                }
            };
            let (results, failure, in_file) = match results {
                Ok(Encoded::Inline(bytes)) => (bytes, None, None),
                // The file goes first: the parent takes it when it reads the reply.
                Ok(Encoded::File { file, len }) => {
                    match bulk::send_file(runner.files.as_fd(), file.as_fd(), request.first_id) {
                        Ok(()) => (Vec::new(), None, Some(len as u64)),
                        Err(e) => {
                            let failure =
                                TaskFailure::Codec(format!("the task's result could not be handed over ({e})"));
                            (Vec::new(), Some(failure), None)
                        }
                    }
                }
                Err(f) => (Vec::new(), Some(f), None),
            };
            sent = results;
            Reply { first_id: request.first_id, results: &sent, failure, in_file, span: Some(span) }
        } else {
            Reply { first_id: request.first_id, results: &[], failure: None, in_file: None, span: None }
        };
        // What a task printed without a newline must not wait for the next task.
        let _ = std::io::stdout().flush();
        if send(&mut writer, outbox, &reply).is_err() {
            return 5;
        }
        // A large request's buffer is not kept for the pool's life.
        if payload.capacity() > 4 << 20 {
            payload = Vec::new();
        }
    }
    if writer.flush().is_err() { 5 } else { 0 }
}

/// Sends a reply at once: through the shared ring when it is small and
/// there is room (no system call unless the parent sleeps), else down the pipe.
fn send(pipe: &mut BufWriter<File>, outbox: Outbox, reply: &Reply) -> Result<()> {
    let mut stack = [0u8; 1024];
    if let Ok(payload) = postcard::to_slice(reply, &mut stack) {
        let wake = || {
            pipe.write_all(&[0; 4])?;
            pipe.flush()
        };
        if outbox.put(payload, wake)? {
            return Ok(());
        }
    }
    wire::write_frame(pipe, reply)?;
    pipe.flush()?;
    Ok(())
}
