//! The binary codec for serialized blocks, spills, checkpoints and object files.
//!
//! Records are encoded with bincode; streams of records are written as length-prefixed
//! frames so a reader can stop at any frame boundary. Compression is LZ4 (Spark's default codec).

use crate::rdd::chunks::{Chunks, CHUNK_SIZE};
use crate::scheduler::raise;
use crate::{Data, Error, Result};
use bincode::Options;
use serde::Serialize;
use std::io::{Read, Write};
use std::sync::Arc;

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

/// Decodes a buffer written by [`encode`] lazily, [`CHUNK_SIZE`] records at a time. A large block's
/// records then never all exist at once: each chunk's memory is freed before the next is decoded,
/// and reused for it, instead of a whole block of fresh allocations. A decoding error (a corrupt
/// buffer) fails the task reading it.
pub(crate) fn decode_chunks<T: Data>(bytes: Arc<Vec<u8>>, compress: bool) -> Result<Chunks<T>> {
    let raw = if compress {
        Arc::new(lz4_flex::decompress_size_prepended(&bytes).map_err(|e| Error::Codec(e.to_string()))?)
    } else {
        bytes
    };
    // The options of `bincode::serialize`, which `encode` writes with.
    let options = || bincode::DefaultOptions::new().with_fixint_encoding().allow_trailing_bytes();
    let mut offset = 8;
    let mut remaining = options().deserialize::<u64>(raw.get(..8).unwrap_or(&[]))?;
    Ok(Box::new(std::iter::from_fn(move || {
        if remaining == 0 {
            return None;
        }
        let n = remaining.min(CHUNK_SIZE as u64) as usize;
        let mut input = &raw[offset..];
        let mut de = bincode::Deserializer::with_reader(&mut input, options());
        let chunk: Vec<T> = (0..n).map(|_| T::deserialize(&mut de).unwrap_or_else(|e| raise(Error::from(e)))).collect();
        offset = raw.len() - input.len();
        remaining -= n as u64;
        Some(chunk)
    })))
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
    fn lazy_decoding_yields_every_record_in_chunks() {
        for compress in [false, true] {
            for n in [0, 1, CHUNK_SIZE, 2 * CHUNK_SIZE + 5] {
                let words: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
                let bytes = Arc::new(encode(&words, compress).unwrap());
                let chunks: Vec<Vec<String>> = decode_chunks(bytes, compress).unwrap().collect();
                assert!(chunks.iter().all(|c| c.len() <= CHUNK_SIZE && !c.is_empty()));
                assert_eq!(chunks.concat(), words);
            }
        }
    }

    #[test]
    fn lazy_decoding_of_a_corrupt_buffer_is_an_error() {
        assert!(decode_chunks::<String>(Arc::new(vec![1, 2]), false).is_err(), "no length");
        let mut bytes = encode(&["a long enough line".to_string()], false).unwrap();
        bytes.truncate(bytes.len() - 3);
        let read = std::panic::catch_unwind(|| decode_chunks::<String>(Arc::new(bytes), false).unwrap().count());
        assert!(read.is_err(), "a truncated record fails the task reading it");
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
