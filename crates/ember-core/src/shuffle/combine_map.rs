//! `CombineMap`: the hash table that merges values per key, on both sides of a shuffle
//! (Spark's `AppendOnlyMap`). Each record is hashed once: the same hash places it in its
//! reduce partition and probes the table.

use crate::partitioner::record_hash;
use hashbrown::hash_table::Entry;
use hashbrown::HashTable;
use std::hash::Hash;

/// Combiners by key, stored inline as `(K, C)`: the table is probed once per record and is
/// the hot, cache-missing structure of every aggregation, so entries are kept small.
pub(crate) struct CombineMap<K, C> {
    table: HashTable<(K, C)>,
}

impl<K: Hash + Eq, C> CombineMap<K, C> {
    pub(crate) fn new() -> Self {
        CombineMap { table: HashTable::new() }
    }

    /// Folds `value` into `key`'s combiner (`hash` is `record_hash(&key)`); true if `key` is new.
    #[inline]
    pub(crate) fn update<V>(
        &mut self,
        hash: u64,
        key: K,
        value: V,
        create: impl FnOnce(V) -> C,
        merge: impl FnOnce(C, V) -> C,
    ) -> bool {
        match self.table.entry(hash, |e| e.0 == key, |e| record_hash(&e.0)) {
            Entry::Occupied(entry) => {
                // `merge` takes the combiner by value (as Spark's functions do): take the entry
                // out and put the result back in the same slot. If `merge` panics the entry is
                // simply gone, and the failing task discards the whole map.
                let ((k, combiner), slot) = entry.remove();
                slot.insert((k, merge(combiner, value)));
                false
            }
            Entry::Vacant(slot) => {
                slot.insert((key, create(value)));
                true
            }
        }
    }

    /// A few entries, to estimate the table's memory.
    pub(crate) fn sample(&self, n: usize) -> impl Iterator<Item = &(K, C)> {
        self.table.iter().take(n)
    }

    /// Empties the table into its `(key, combiner)` pairs.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (K, C)> + '_ {
        self.table.drain()
    }

    /// The `(key, combiner)` pairs.
    pub(crate) fn into_iter(self) -> impl Iterator<Item = (K, C)> {
        self.table.into_iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merges_per_key_and_survives_a_panicking_merge() {
        let mut map = CombineMap::new();
        for (k, v) in [("a", 1), ("b", 2), ("a", 3)] {
            map.update(
                record_hash(&k),
                k,
                v,
                |v| vec![v],
                |mut c, v| {
                    c.push(v);
                    c
                },
            );
        }
        let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            map.update(record_hash(&"b"), "b", 9, |v| vec![v], |_, _| panic!("user merge"));
        }));
        assert!(caught.is_err());
        let mut entries: Vec<_> = map.into_iter().collect();
        entries.sort();
        assert_eq!(entries, vec![("a", vec![1, 3])], "the panicking key was dropped, the rest intact");
    }
}
