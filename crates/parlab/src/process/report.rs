//! The file a `Process`'s child reports into: its layout (a short report
//! at the start, the value a page in), how each side writes and reads it,
//! and reuse: a file read and not grown large is kept for the next child,
//! so that a start pays neither `memfd_create` nor a fresh page of shared
//! memory (allocated, zeroed, charged, freed: each showed in `perf`).

use crate::error::{Error, Result, TaskFailure};
use crate::trace::Span;
use crate::{bare, bulk, wire};
use serde::{Serialize, de::DeserializeOwned};
use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::os::fd::{AsFd, AsRawFd};
use std::os::unix::fs::FileExt;

/// What the child says first, at the start of its file: how long its value
/// is, or its failure, and when it ran. The value's postcard follows at
/// [`VALUE_AT`], written once, straight from the value: a large one is
/// mapped there by the parent and decoded where it lies.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Report {
    pub(super) value_len: Option<u64>,
    pub(super) failure: Option<TaskFailure>,
    pub(super) span: Span,
}

/// Where the value starts in the report file: a page in, so that it can be
/// mapped (a mapping starts on a page), after a report of a few dozen bytes.
pub(super) const VALUE_AT: u64 = 4096;

/// A report or value this long or shorter goes through the stack.
const SMALL: usize = 256;

/// Writes the report at the start of the child's file (on the stack when
/// small, as it nearly always is: a heap allocation in a fresh child copies
/// a page shared with the parent).
#[inline]
pub(super) fn write_head(out: &File, report: &Report) -> Result<()> {
    // 256 bytes: zeroed inline, where a larger buffer calls libc's memset,
    // one more page of code faulted in by every child.
    let mut stack = [0u8; SMALL];
    let mut heap = Vec::new();
    let frame: &[u8] = match postcard::to_slice(report, &mut stack[4..]) {
        Ok(used) => {
            let len = used.len();
            stack[..4].copy_from_slice(&(len as u32).to_le_bytes());
            &stack[..4 + len]
        }
        Err(_) => {
            wire::push_frame(&mut heap, report)?;
            &heap
        }
    };
    bare::write_all_at(out.as_raw_fd(), frame, 0)?;
    Ok(())
}

/// Writes the value's postcard at [`VALUE_AT`] in the child's file, in one
/// pass (a small one from the stack); returns its length.
pub(super) fn write_value<R: Serialize>(out: &mut File, value: &R) -> Result<u64> {
    use std::io::Write;
    let mut stack = [0u8; SMALL];
    if let Ok(used) = postcard::to_slice(value, &mut stack) {
        bare::write_all_at(out.as_raw_fd(), used, VALUE_AT)?;
        return Ok(used.len() as u64);
    }
    out.seek(SeekFrom::Start(VALUE_AT))?;
    let mut writer = std::io::BufWriter::with_capacity(64 * 1024, &mut *out);
    postcard::to_io(value, &mut writer).map_err(|e| Error::Codec(format!("the result could not be encoded ({e})")))?;
    writer.flush()?;
    drop(writer);
    Ok(out.stream_position()? - VALUE_AT)
}

/// Decodes the value the child left in its file: a large one from a
/// mapping of the file's pages, a small one read into memory.
pub(super) fn read_value<R: DeserializeOwned>(file: &File, len: u64) -> Result<R> {
    if len <= 1024 {
        let mut stack = [0u8; 1024];
        let bytes = &mut stack[..len as usize];
        file.read_exact_at(bytes, VALUE_AT).map_err(|e| {
            Error::Codec(format!("the child's report announces {len} bytes of value that cannot be read ({e})"))
        })?;
        return wire::decode(bytes);
    }
    let size = file.metadata()?.len();
    let len = usize::try_from(len).ok().filter(|&n| n == 0 || VALUE_AT + n as u64 <= size).ok_or_else(|| {
        Error::Codec(format!("the child's report announces {len} bytes of value, its file holds {size}"))
    })?;
    if len >= bulk::SHARED_FROM && bulk::available() {
        // SAFETY: the child that wrote the file has exited (it was waited
        // for), and nothing else writes or shrinks a report file.
        let mapped = unsafe { bulk::map_file(file.as_fd(), VALUE_AT, len) }?;
        return wire::decode(&mapped);
    }
    let mut bytes = vec![0u8; len];
    file.read_exact_at(&mut bytes, VALUE_AT)?;
    wire::decode(&bytes)
}

/// Reads the report at the start of the child's file; `None` if the child
/// wrote none (it died first).
pub(super) fn read_head(file: &File) -> Result<Option<Report>> {
    let mut len = [0u8; 4];
    match file.read_exact_at(&mut len, 0) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let len = u32::from_le_bytes(len) as usize;
    // No report is ever empty: zeros here are a hole, a child that ended
    // (killed, say) after writing its value and before its report.
    if len == 0 {
        return Ok(None);
    }
    let mut stack = [0u8; 1024];
    let mut heap = Vec::new();
    let bytes = if len <= stack.len() {
        &mut stack[..len]
    } else {
        heap.resize(len, 0);
        &mut heap[..]
    };
    match file.read_exact_at(bytes, 4) {
        Ok(()) => Ok(Some(wire::decode(bytes)?)),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Files kept for reuse, at most [`SPARES`]: enough for the children a
/// program starts at once in the course's examples (ten).
static SPARE_FILES: std::sync::Mutex<Vec<File>> = std::sync::Mutex::new(Vec::new());
const SPARES: usize = 16;

/// A file kept for reuse is at most this long: one holding a large value
/// is let go, its memory with it.
const REUSE_UP_TO: u64 = VALUE_AT + 64 * 1024;

/// A report file for a new child: a spare one, or a new one.
pub(super) fn take_file() -> Result<File> {
    let spare = SPARE_FILES.lock().unwrap_or_else(|e| e.into_inner()).pop();
    match spare {
        Some(file) => Ok(file),
        None => bulk::report_file(),
    }
}

/// Keeps a report file that has been read, its report's length zeroed (zeros
/// mean "no report": the next child's file reads as empty until it writes).
/// Only the parent held it: its child has been reaped. (A grandchild forked
/// by the closure inherits the descriptor too, but the engine writes only
/// to its own child's file.)
pub(super) fn give_back(file: File) {
    let small = file.metadata().is_ok_and(|m| m.len() <= REUSE_UP_TO);
    if small && file.write_all_at(&[0u8; 4], 0).is_ok() {
        let mut spares = SPARE_FILES.lock().unwrap_or_else(|e| e.into_inner());
        if spares.len() < SPARES {
            spares.push(file);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::FileExt;

    /// A child killed after its value, before its report, left a hole of zeros.
    #[test]
    fn a_value_without_its_report_is_no_report() {
        let file = super::bulk::report_file().unwrap();
        assert!(super::read_head(&file).unwrap().is_none());
        file.write_all_at(&[7u8; 100], super::VALUE_AT).unwrap();
        assert!(super::read_head(&file).unwrap().is_none());
    }
}
