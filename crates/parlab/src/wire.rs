//! Values between processes: bincode in length-prefixed frames over pipes.

use crate::error::{Error, Result};
use serde::{Serialize, de::DeserializeOwned};
use std::io::{Read, Write};

pub(crate) fn encode<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    bincode::serialize(value).map_err(|e| Error::Codec(e.to_string()))
}

pub(crate) fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    bincode::deserialize(bytes).map_err(|e| Error::Codec(e.to_string()))
}

/// Appends one frame (4-byte little-endian length, then the payload) to `out`.
pub(crate) fn push_frame<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<()> {
    let len = bincode::serialized_size(value).map_err(|e| Error::Codec(e.to_string()))?;
    let len = u32::try_from(len).map_err(|_| Error::Codec("a value over 4 GiB".into()))?;
    out.extend_from_slice(&len.to_le_bytes());
    bincode::serialize_into(&mut *out, value).map_err(|e| Error::Codec(e.to_string()))
}

/// Writes one frame to a blocking writer, in one `write` when it fits.
///
/// A small frame is built on the stack: in a freshly forked child a heap
/// allocation writes to a page shared with the parent, which must then be
/// copied.
pub(crate) fn write_frame<T: Serialize + ?Sized>(w: &mut impl Write, value: &T) -> Result<()> {
    let len = bincode::serialized_size(value).map_err(|e| Error::Codec(e.to_string()))? as usize;
    let mut stack = [0u8; 1024];
    if len + 4 <= stack.len() {
        stack[..4].copy_from_slice(&(len as u32).to_le_bytes());
        bincode::serialize_into(&mut stack[4..4 + len], value).map_err(|e| Error::Codec(e.to_string()))?;
        w.write_all(&stack[..4 + len])?;
        return Ok(());
    }
    let mut buf = Vec::new();
    push_frame(&mut buf, value)?;
    w.write_all(&buf)?;
    Ok(())
}

/// Reads one frame from a blocking reader; `None` at a clean end of file.
pub(crate) fn read_frame<T: DeserializeOwned>(r: &mut impl Read) -> Result<Option<T>> {
    let mut len = [0u8; 4];
    match r.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(e.into()),
    }
    let mut buf = vec![0u8; u32::from_le_bytes(len) as usize];
    r.read_exact(&mut buf)?;
    decode(&buf).map(Some)
}

/// Takes every complete frame off the front of `buf`, leaving a partial one.
pub(crate) fn drain_frames<T: DeserializeOwned>(buf: &mut Vec<u8>) -> Result<Vec<T>> {
    let mut out = Vec::new();
    let mut at = 0;
    while buf.len() - at >= 4 {
        let len = u32::from_le_bytes(buf[at..at + 4].try_into().unwrap()) as usize;
        if buf.len() - at - 4 < len {
            break;
        }
        out.push(decode(&buf[at + 4..at + 4 + len])?);
        at += 4 + len;
    }
    buf.drain(..at);
    Ok(out)
}
