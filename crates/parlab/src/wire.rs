//! Values between processes: postcard (a compact, maintained serde format) in
//! length-prefixed frames over pipes.

use crate::error::{Error, Result};
use serde::{Serialize, de::DeserializeOwned};
use std::io::{Read, Write};

/// The largest message a frame carries: its length travels as 4 bytes.
pub(crate) const MAX_FRAME: usize = u32::MAX as usize;

pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    postcard::to_allocvec(value).map_err(|e| Error::Codec(e.to_string()))
}

/// How many bytes `value`'s postcard takes, found without writing them.
pub(crate) fn encoded_len<T: Serialize + ?Sized>(value: &T) -> Result<usize> {
    postcard::serialize_with_flavor(value, postcard::ser_flavors::Size::default())
        .map_err(|e| Error::Codec(e.to_string()))
}

/// Appends `value`'s postcard to `out`, so that a caller can reuse a buffer
/// or build a frame around it without a second allocation.
pub(crate) fn encode_into<T: Serialize + ?Sized>(value: &T, out: Vec<u8>) -> Result<Vec<u8>> {
    postcard::to_extend(value, out).map_err(|e| Error::Codec(e.to_string()))
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Codec(e.to_string()))
}

/// Decodes a value that borrows from `bytes` (a block of bytes it holds is
/// not copied).
pub(crate) fn decode_borrowed<'a, T: serde::Deserialize<'a>>(bytes: &'a [u8]) -> Result<T> {
    postcard::from_bytes(bytes).map_err(|e| Error::Codec(e.to_string()))
}

/// Calls `each` on the payload of every whole frame at the front of `buf`,
/// in order; returns how many bytes those frames take.
pub(crate) fn each_frame(buf: &[u8], mut each: impl FnMut(&[u8]) -> Result<()>) -> Result<usize> {
    let mut at = 0;
    while buf.len() - at >= 4 {
        let len = u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes")) as usize;
        if buf.len() - at - 4 < len {
            break;
        }
        each(&buf[at + 4..at + 4 + len])?;
        at += 4 + len;
    }
    Ok(at)
}

/// Gives back the memory of a buffer that grew for one large frame.
pub(crate) fn shrink_if_oversized(buf: &mut Vec<u8>) {
    if buf.capacity() > 4 << 20 && buf.len() < buf.capacity() / 4 {
        buf.shrink_to(buf.len().max(64 << 10));
    }
}

/// The error for a message too large for one frame.
pub(crate) fn too_large(len: usize) -> Error {
    Error::Codec(format!("a message of {len} bytes: over the 4 GiB one message between processes may carry"))
}

/// Appends one frame (4-byte little-endian length, then the payload) to `out`.
pub(crate) fn push_frame<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    let payload = encode(value)?;
    push_raw_frame(out, &payload)
}

/// Appends one frame holding `payload` as it is.
pub(crate) fn push_raw_frame(out: &mut Vec<u8>, payload: &[u8]) -> Result<()> {
    let len = u32::try_from(payload.len()).map_err(|_| too_large(payload.len()))?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(payload);
    Ok(())
}

/// Writes one frame to a blocking writer, in one `write` when it fits.
///
/// A small frame is built on the stack: in a freshly forked child a heap
/// allocation writes to a page shared with the parent, which must then be
/// copied.
pub(crate) fn write_frame<T: Serialize + ?Sized>(w: &mut impl Write, value: &T) -> Result<()> {
    let mut stack = [0u8; 1024];
    if let Ok(used) = postcard::to_slice(value, &mut stack[4..]) {
        let len = used.len();
        stack[..4].copy_from_slice(&(len as u32).to_le_bytes());
        w.write_all(&stack[..4 + len])?;
        return Ok(());
    }
    let mut buf = Vec::new();
    push_frame(&mut buf, value)?;
    w.write_all(&buf)?;
    Ok(())
}

/// Reads one frame's payload from a blocking reader into `buf` (reused);
/// `false` at a clean end of file.
pub(crate) fn read_raw_frame(r: &mut impl Read, buf: &mut Vec<u8>) -> Result<bool> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(false),
        Err(e) => return Err(e.into()),
    }
    buf.clear();
    buf.resize(u32::from_le_bytes(len) as usize, 0);
    r.read_exact(buf)?;
    Ok(true)
}
