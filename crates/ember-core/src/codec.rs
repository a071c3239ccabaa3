//! The binary codec for serialized blocks, spills, checkpoints and object files.
//!
//! Records are encoded with bincode; streams of records are written as length-prefixed
//! frames so a reader can stop at any frame boundary. Compression is LZ4 (Spark's default codec).

use crate::{Data, Error, Result};
use serde::Serialize;
use std::io::{Read, Write};

/// Encodes a slice of records into one buffer, compressing it when `compress` is set.
pub fn encode<T: Serialize>(items: &[T], compress: bool) -> Result<Vec<u8>> {
    let raw = bincode::serialize(items)?;
    Ok(if compress { lz4_flex::compress_prepend_size(&raw) } else { raw })
}

/// Decodes a buffer written by [`encode`] with the same `compress` flag.
pub fn decode<T: Data>(bytes: &[u8], compress: bool) -> Result<Vec<T>> {
    if compress {
        let raw = lz4_flex::decompress_size_prepended(bytes).map_err(|e| Error::Codec(e.to_string()))?;
        Ok(bincode::deserialize(&raw)?)
    } else {
        Ok(bincode::deserialize(bytes)?)
    }
}

/// Writes one frame: a 4-byte big-endian length, then the encoded records.
pub fn write_frame<T: Serialize>(out: &mut impl Write, items: &[T], compress: bool) -> Result<u64> {
    let body = encode(items, compress)?;
    let len = u32::try_from(body.len()).map_err(|_| Error::Codec("frame larger than 4 GiB".into()))?;
    out.write_all(&len.to_be_bytes()).map_err(|e| Error::io("writing frame", e))?;
    out.write_all(&body).map_err(|e| Error::io("writing frame", e))?;
    Ok(4 + body.len() as u64)
}

/// Reads the next frame written by [`write_frame`]; `None` at a clean end of input.
pub fn read_frame<T: Data>(input: &mut impl Read, compress: bool) -> Result<Option<Vec<T>>> {
    let mut len = [0u8; 4];
    match input.read_exact(&mut len) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => return Err(Error::io("reading frame", e)),
    }
    let mut body = vec![0u8; u32::from_be_bytes(len) as usize];
    input.read_exact(&mut body).map_err(|e| Error::io("reading frame body (file truncated?)", e))?;
    decode(&body, compress).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_with_and_without_compression() {
        for compress in [false, true] {
            let mut buf = Vec::new();
            write_frame(&mut buf, &[1u32, 2, 3], compress).unwrap();
            write_frame(&mut buf, &[4u32], compress).unwrap();
            let mut r = &buf[..];
            assert_eq!(read_frame::<u32>(&mut r, compress).unwrap(), Some(vec![1, 2, 3]));
            assert_eq!(read_frame::<u32>(&mut r, compress).unwrap(), Some(vec![4]));
            assert_eq!(read_frame::<u32>(&mut r, compress).unwrap(), None);
        }
    }

    #[test]
    fn truncated_frame_is_an_error() {
        let mut buf = Vec::new();
        write_frame(&mut buf, &[1u64, 2, 3], false).unwrap();
        buf.truncate(buf.len() - 2);
        let err = read_frame::<u64>(&mut &buf[..], false).unwrap_err();
        assert!(err.to_string().contains("truncated"), "{err}");
    }
}
