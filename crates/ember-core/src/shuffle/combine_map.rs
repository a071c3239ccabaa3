//! `CombineMap`: the hash table that merges values per key, on both sides of a shuffle
//! (Spark's `AppendOnlyMap`). Each record is hashed once: the same hash places it in its
//! reduce partition and probes the table.

use crate::partitioner::record_hash;
use hashbrown::HashTable;
use std::hash::Hash;

/// Combiners by key. A combiner is held in an `Option` only so it can be moved out, merged
/// and put back (`merge(C, V) -> C` takes it by value, as Spark's functions do).
pub(crate) struct CombineMap<K, C> {
    table: HashTable<(K, Option<C>)>,
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
        match self.table.find_mut(hash, |e| e.0 == key) {
            Some(entry) => {
                let combiner = entry.1.take().expect("combiner present");
                entry.1 = Some(merge(combiner, value));
                false
            }
            None => {
                self.table.insert_unique(hash, (key, Some(create(value))), |e| record_hash(&e.0));
                true
            }
        }
    }

    /// A few entries, to estimate the table's memory.
    pub(crate) fn sample(&self, n: usize) -> impl Iterator<Item = (&K, &C)> {
        self.table.iter().take(n).map(|(k, c)| (k, c.as_ref().expect("combiner present")))
    }

    /// Empties the table into its `(key, combiner)` pairs.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (K, C)> + '_ {
        self.table.drain().map(|(k, c)| (k, c.expect("combiner present")))
    }

    /// The `(key, combiner)` pairs.
    pub(crate) fn into_iter(self) -> impl Iterator<Item = (K, C)> {
        self.table.into_iter().map(|(k, c)| (k, c.expect("combiner present")))
    }
}
