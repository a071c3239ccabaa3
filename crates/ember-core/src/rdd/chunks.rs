//! Records move through a task's pipeline in chunks of up to [`CHUNK_SIZE`].
//!
//! Operators are type-erased (each RDD's compute is a trait object), so passing records one at
//! a time would cost a virtual call per record per operator. Passing `Vec`s amortizes that call
//! over a chunk and leaves each operator a tight, monomorphized loop over the chunk (`filter`
//! becomes an in-place `retain`). Consumers flatten chunks back into records, which is also
//! monomorphized: the virtual call happens once per chunk.

use std::sync::Arc;

/// Records per chunk: large enough to amortize a virtual call, small enough to stay in cache.
pub(crate) const CHUNK_SIZE: usize = 1024;

/// A partition's records, chunk by chunk.
pub(crate) type Chunks<T> = Box<dyn Iterator<Item = Vec<T>> + Send>;

/// A partition's records one at a time (each chunk flattened in place).
pub(crate) type Records<T> = std::iter::Flatten<Chunks<T>>;

struct Chunker<I> {
    inner: I,
}

impl<I: Iterator> Iterator for Chunker<I> {
    type Item = Vec<I::Item>;
    fn next(&mut self) -> Option<Vec<I::Item>> {
        let mut chunk = Vec::with_capacity(CHUNK_SIZE);
        chunk.extend(self.inner.by_ref().take(CHUNK_SIZE));
        (!chunk.is_empty()).then_some(chunk)
    }
}

/// Groups `records` into chunks.
pub(crate) fn chunked<T: Send + 'static>(records: impl Iterator<Item = T> + Send + 'static) -> Chunks<T> {
    Box::new(Chunker { inner: records })
}

/// Chunks of an owned vector.
pub(crate) fn from_vec<T: Send + 'static>(records: Vec<T>) -> Chunks<T> {
    if records.len() <= CHUNK_SIZE {
        Box::new(std::iter::once(records).filter(|c| !c.is_empty()))
    } else {
        chunked(records.into_iter())
    }
}

/// Chunks cloned from `range` of a shared vector (cached blocks, in-memory shuffle output).
pub(crate) fn from_shared<T: Clone + Send + Sync + 'static>(
    records: Arc<Vec<T>>,
    range: std::ops::Range<usize>,
) -> Chunks<T> {
    let end = range.end;
    Box::new(range.step_by(CHUNK_SIZE).map(move |i| records[i..(i + CHUNK_SIZE).min(end)].to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunking_keeps_every_record_in_order() {
        for n in [0, 1, CHUNK_SIZE - 1, CHUNK_SIZE, CHUNK_SIZE + 1, 5 * CHUNK_SIZE + 7] {
            let expected: Vec<usize> = (0..n).collect();
            let via_iter: Vec<Vec<usize>> = chunked(0..n).collect();
            assert!(via_iter.iter().all(|c| !c.is_empty() && c.len() <= CHUNK_SIZE));
            assert_eq!(via_iter.concat(), expected);
            assert_eq!(from_vec(expected.clone()).flatten().collect::<Vec<_>>(), expected);
            assert_eq!(from_shared(Arc::new(expected.clone()), 0..n).flatten().collect::<Vec<_>>(), expected);
        }
        let shared = Arc::new((0..10).collect::<Vec<u8>>());
        assert_eq!(from_shared(shared, 3..7).flatten().collect::<Vec<_>>(), vec![3, 4, 5, 6]);
    }
}
