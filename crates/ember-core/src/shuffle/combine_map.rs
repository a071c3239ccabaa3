//! `CombineMap`: the hash table that merges values per key, on both sides of a shuffle
//! (Spark's `AppendOnlyMap`), and [`combine_chunk`], which feeds it a chunk of records at a time.
//!
//! Aggregation is bound by cache misses: a table of 100,000 keys does not fit in L2, so almost
//! every probe of a rare key waits on memory, three times (the slot, the entry, the key's heap
//! bytes). Records arrive in chunks, so the hashes of the next records are known in advance and
//! those three loads are prefetched a few records ahead of the probe that needs them, as
//! database engines do for hash joins. Entries are kept dense in insertion order, so the keys
//! seen first (in skewed data, the frequent ones) share cache lines.

use crate::partitioner::record_hash;
use std::any::Any;
use std::hash::Hash;

/// High half of the hash, kept in the slot to skip most mismatching entries without loading them.
const TAG: u64 = 0xFFFF_FFFF_0000_0000;
/// How many records ahead each load is prefetched: slot, then entry, then key bytes.
const SLOT_AHEAD: usize = 16;
const ENTRY_AHEAD: usize = 8;
const KEY_AHEAD: usize = 3;

#[inline(always)]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch is only a hint; it never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p.cast::<i8>())
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Combiners by key: open addressing with linear probing over `slots` (tag | entry index + 1,
/// 0 when free), at most half full; entries dense in insertion order.
pub(crate) struct CombineMap<K, C> {
    slots: Vec<u64>,
    /// A combiner is `None` only while it is being merged (moved out and back, since `merge`
    /// takes it by value as Spark's functions do) or if that merge panicked.
    entries: Vec<(K, Option<C>)>,
    mask: usize,
}

impl<K: Hash + Eq + 'static, C> CombineMap<K, C> {
    pub(crate) fn new() -> Self {
        CombineMap { slots: Vec::new(), entries: Vec::new(), mask: 0 }
    }

    fn grow(&mut self) {
        let capacity = (self.slots.len() * 2).max(16);
        self.slots.clear();
        self.slots.resize(capacity, 0);
        self.mask = capacity - 1;
        for (index, (key, _)) in self.entries.iter().enumerate() {
            let hash = record_hash(key);
            let mut i = hash as usize & self.mask;
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = (hash & TAG) | (index as u64 + 1);
        }
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
        if self.entries.len() * 2 >= self.slots.len() {
            self.grow();
        }
        let tag = hash & TAG;
        let mut i = hash as usize & self.mask;
        loop {
            let slot = self.slots[i];
            if slot == 0 {
                self.entries.push((key, Some(create(value))));
                self.slots[i] = tag | self.entries.len() as u64;
                return true;
            }
            if slot & TAG == tag {
                let entry = &mut self.entries[(slot as u32 - 1) as usize];
                if entry.0 == key {
                    if let Some(combiner) = entry.1.take() {
                        entry.1 = Some(merge(combiner, value));
                    }
                    return false;
                }
            }
            i = (i + 1) & self.mask;
        }
    }

    /// The entry `hash` most likely lives in, judged from its home slot alone.
    #[inline]
    fn likely_entry(&self, hash: u64) -> Option<&(K, Option<C>)> {
        let slot = *self.slots.get(hash as usize & self.mask)?;
        (slot != 0 && slot & TAG == hash & TAG).then(|| &self.entries[(slot as u32 - 1) as usize])
    }

    /// A few entries, to estimate the table's memory.
    pub(crate) fn sample(&self, n: usize) -> impl Iterator<Item = &(K, Option<C>)> {
        self.entries.iter().take(n)
    }

    /// Empties the table into its `(key, combiner)` pairs, keeping its capacity for reuse.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (K, C)> + '_ {
        self.slots.fill(0);
        self.entries.drain(..).filter_map(|(k, c)| Some((k, c?)))
    }

    /// The `(key, combiner)` pairs.
    pub(crate) fn into_iter(self) -> impl Iterator<Item = (K, C)> {
        self.entries.into_iter().filter_map(|(k, c)| Some((k, c?)))
    }
}

/// Reusable per-chunk buffers for [`combine_chunk`].
#[derive(Default)]
pub(crate) struct ChunkScratch {
    hashes: Vec<u64>,
    tables: Vec<usize>,
}

/// Folds a chunk of records into `maps[route(key, hash)]`, prefetching the slot, entry and key
/// bytes of records a little ahead. Returns how many new keys were inserted.
pub(crate) fn combine_chunk<K: Hash + Eq + 'static, V, C>(
    maps: &mut [CombineMap<K, C>],
    chunk: Vec<(K, V)>,
    route: impl Fn(&K, u64) -> usize,
    create: impl Fn(V) -> C,
    merge: impl Fn(C, V) -> C,
    scratch: &mut ChunkScratch,
) -> usize {
    let ChunkScratch { hashes, tables } = scratch;
    hashes.clear();
    tables.clear();
    for (k, _) in &chunk {
        let hash = record_hash(k);
        hashes.push(hash);
        tables.push(route(k, hash));
    }
    let mut inserted = 0;
    for (i, (k, v)) in chunk.into_iter().enumerate() {
        if let (Some(&h), Some(&t)) = (hashes.get(i + SLOT_AHEAD), tables.get(i + SLOT_AHEAD)) {
            let map = &maps[t];
            if !map.slots.is_empty() {
                prefetch(map.slots.as_ptr().wrapping_add(h as usize & map.mask));
            }
        }
        if let (Some(&h), Some(&t)) = (hashes.get(i + ENTRY_AHEAD), tables.get(i + ENTRY_AHEAD)) {
            if let Some(entry) = maps[t].likely_entry(h) {
                prefetch(entry);
            }
        }
        if let (Some(&h), Some(&t)) = (hashes.get(i + KEY_AHEAD), tables.get(i + KEY_AHEAD)) {
            // String keys live on the heap; other keys are inline in the (prefetched) entry.
            if let Some(key) = maps[t].likely_entry(h).and_then(|e| (&e.0 as &dyn Any).downcast_ref::<String>()) {
                prefetch(key.as_ptr());
            }
        }
        inserted += usize::from(maps[tables[i]].update(hashes[i], k, v, &create, &merge));
    }
    inserted
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

    #[test]
    fn chunks_route_grow_and_drain_keeping_capacity() {
        let mut maps: Vec<CombineMap<String, u64>> = vec![CombineMap::new(), CombineMap::new()];
        let mut scratch = ChunkScratch::default();
        let words: Vec<(String, u64)> = (0..50_000u64).map(|i| (format!("w{}", i % 7_000), 1)).collect();
        let mut inserted = 0;
        for chunk in words.chunks(1024) {
            let route = |_: &String, h: u64| (h >> 63) as usize;
            inserted += combine_chunk(&mut maps, chunk.to_vec(), route, |v| v, |a, b| a + b, &mut scratch);
        }
        assert_eq!(inserted, 7_000);
        let capacity = maps[0].slots.len();
        let mut all: Vec<(String, u64)> = maps.iter_mut().flat_map(|m| m.drain().collect::<Vec<_>>()).collect();
        all.sort();
        assert_eq!(all.len(), 7_000);
        assert_eq!(all.iter().map(|(_, n)| n).sum::<u64>(), 50_000);
        assert!(all.iter().all(|(k, n)| *n == if k[1..].parse::<u64>().unwrap() < 50_000 % 7_000 { 8 } else { 7 }));
        assert_eq!(maps[0].slots.len(), capacity, "drain keeps the table's capacity");
        assert_eq!(maps[0].sample(1).count(), 0);
    }
}
