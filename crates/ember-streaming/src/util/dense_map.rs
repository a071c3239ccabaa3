//! `DenseMap`: a hash map whose entries sit packed in a `Vec`, found through a table of `u32`
//! positions. State maps hold millions of small entries; an ordinary table keeps up to half its
//! slots empty, each as wide as an entry, while here an empty slot costs five bytes.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use std::hash::{BuildHasher, Hash};

/// Entries in a `Vec` (removal swaps the last one in) indexed by a hash table of positions.
pub(crate) struct DenseMap<K, V> {
    entries: Vec<(K, V)>,
    index: HashTable<u32>,
    hasher: RandomState,
}

impl<K, V> Default for DenseMap<K, V> {
    fn default() -> Self {
        DenseMap { entries: Vec::new(), index: HashTable::new(), hasher: RandomState::default() }
    }
}

impl<K: Hash + Eq, V> DenseMap<K, V> {
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        let hash = self.hasher.hash_one(key);
        self.index.find(hash, |&i| self.entries[i as usize].0 == *key).map(|&i| &self.entries[i as usize].1)
    }

    pub(crate) fn get_mut(&mut self, key: &K) -> Option<&mut V> {
        let hash = self.hasher.hash_one(key);
        let DenseMap { entries, index, .. } = self;
        let &i = index.find(hash, |&i| entries[i as usize].0 == *key)?;
        Some(&mut entries[i as usize].1)
    }

    /// Inserts or replaces; returns the value replaced.
    pub(crate) fn insert(&mut self, key: K, value: V) -> Option<V> {
        let hash = self.hasher.hash_one(&key);
        let DenseMap { entries, index, hasher } = self;
        if let Some(&i) = index.find(hash, |&i| entries[i as usize].0 == key) {
            return Some(std::mem::replace(&mut entries[i as usize].1, value));
        }
        let position = u32::try_from(entries.len()).expect("a state partition holds under 2^32 keys");
        entries.push((key, value));
        index.insert_unique(hash, position, |&i| hasher.hash_one(&entries[i as usize].0));
        None
    }

    /// Removes the key, moving the last entry into its place.
    pub(crate) fn remove_entry(&mut self, key: &K) -> Option<(K, V)> {
        let hash = self.hasher.hash_one(key);
        let DenseMap { entries, index, hasher } = self;
        let (position, _) = index.find_entry(hash, |&i| entries[i as usize].0 == *key).ok()?.remove();
        let removed = entries.swap_remove(position as usize);
        if let Some((moved, _)) = entries.get(position as usize) {
            let last = entries.len() as u32;
            *index.find_mut(hasher.hash_one(moved), |&i| i == last).expect("every entry is indexed") = position;
        }
        Some(removed)
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }

    /// Bytes of the entry vector and index table (not what the entries own on the heap).
    pub(crate) fn allocated_bytes(&self) -> u64 {
        let buckets = (self.index.capacity() * 8).div_ceil(7).next_power_of_two();
        (self.entries.capacity() * std::mem::size_of::<(K, V)>() + buckets * (std::mem::size_of::<u32>() + 1)) as u64
    }
}

impl<K: Hash + Eq, V> FromIterator<(K, V)> for DenseMap<K, V> {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = DenseMap::default();
        for (k, v) in iter {
            map.insert(k, v);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::DenseMap;
    use std::collections::HashMap;

    #[test]
    fn agrees_with_a_hash_map_under_inserts_and_removals() {
        let (mut dense, mut reference) = (DenseMap::default(), HashMap::new());
        for i in 0..20_000u64 {
            let key = (i * 7919) % 5000;
            if i % 3 == 0 {
                assert_eq!(dense.remove_entry(&key).map(|(_, v)| v), reference.remove(&key));
            } else {
                assert_eq!(dense.insert(key, i), reference.insert(key, i));
            }
        }
        assert_eq!(dense.len(), reference.len());
        for (k, v) in &reference {
            assert_eq!(dense.get(k), Some(v));
        }
        assert_eq!(dense.iter().count(), reference.len());
        assert_eq!(dense.get(&5001), None);
    }

    #[test]
    fn an_entry_costs_its_size_plus_a_few_bytes() {
        let map: DenseMap<u64, u64> = (0..100_000u64).map(|i| (i, i)).collect();
        let per_entry = map.allocated_bytes() / 100_000;
        assert!((16..=32).contains(&per_entry), "{per_entry} bytes per 16-byte entry");
    }
}
