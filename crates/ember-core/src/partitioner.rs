//! Partitioners: which reduce partition a key goes to.

use std::hash::{BuildHasher, Hash};
use std::sync::atomic::{AtomicU64, Ordering};

/// Identifies a partitioning so two RDDs partitioned the same way can skip a shuffle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionerDesc {
    /// What kind of partitioner (`hash`, `range#<id>`, or a custom name).
    pub kind: String,
    /// How many partitions it produces.
    pub num_partitions: usize,
}

/// Maps keys of type `K` to partitions `0..num_partitions()`.
///
/// ```
/// use ember_core::{HashPartitioner, Partitioner};
/// let p = HashPartitioner::new(4);
/// assert!(p.partition(&"word") < 4);
/// assert_eq!(p.partition(&"word"), p.partition(&"word"));
/// ```
pub trait Partitioner<K>: Send + Sync + 'static {
    /// Number of partitions.
    fn num_partitions(&self) -> usize;
    /// The partition of `key`, in `0..num_partitions()`.
    fn partition(&self, key: &K) -> usize;
    /// Equal descriptions mean equal placement of every key.
    fn desc(&self) -> PartitionerDesc;
    /// The partition of `key` whose [`record_hash`] is `hash`. Shuffles hash every record once
    /// and pass the hash here; partitioners that hash keys override this to reuse it.
    fn partition_hashed(&self, key: &K, hash: u64) -> usize {
        let _ = hash;
        self.partition(key)
    }
}

/// A fixed seed, so a key hashes (and is placed) the same in every process. foldhash is the
/// fastest well-mixed hash for the short keys aggregations see most (hashbrown's default).
static RECORD_HASHER: foldhash::fast::FixedState = foldhash::fast::FixedState::with_seed(0x5eed_0001);

/// The hash Ember computes once per shuffled record, for placement and for combining.
#[inline]
pub fn record_hash<K: Hash + ?Sized>(key: &K) -> u64 {
    RECORD_HASHER.hash_one(key)
}

/// Spark's `HashPartitioner`: places a key by its hash.
#[derive(Debug, Clone)]
pub struct HashPartitioner {
    partitions: usize,
}

impl HashPartitioner {
    /// A hash partitioner with `partitions` partitions (at least 1).
    pub fn new(partitions: usize) -> Self {
        HashPartitioner { partitions: partitions.max(1) }
    }
}

impl<K: Hash> Partitioner<K> for HashPartitioner {
    fn num_partitions(&self) -> usize {
        self.partitions
    }
    fn partition(&self, key: &K) -> usize {
        self.partition_hashed(key, record_hash(key))
    }
    fn desc(&self) -> PartitionerDesc {
        PartitionerDesc { kind: "hash".into(), num_partitions: self.partitions }
    }
    #[inline]
    fn partition_hashed(&self, _key: &K, hash: u64) -> usize {
        // Remix before taking the top bits: the combine table uses the hash's own top bits as
        // its tags, which must not be the same within a partition. Multiply-shift maps the
        // result onto 0..n without a division.
        let mixed = hash.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        ((mixed * self.partitions as u64) >> 32) as usize
    }
}

static RANGE_IDS: AtomicU64 = AtomicU64::new(0);

/// Spark's `RangePartitioner`: keys below `bounds[i]` (and not below `bounds[i-1]`) go to `i`, so
/// partitions are ordered. Built by `sort_by_key` from a sample of the keys.
#[derive(Debug, Clone)]
pub struct RangePartitioner<K> {
    bounds: Vec<K>,
    ascending: bool,
    id: u64,
}

impl<K: Ord + Clone> RangePartitioner<K> {
    /// A range partitioner with explicit upper bounds (sorted ascending); `bounds.len() + 1` partitions.
    pub fn from_bounds(bounds: Vec<K>, ascending: bool) -> Self {
        RangePartitioner { bounds, ascending, id: RANGE_IDS.fetch_add(1, Ordering::Relaxed) }
    }

    /// Bounds for `partitions` partitions from `(key, weight)` samples, as Spark's `determineBounds`.
    pub(crate) fn from_samples(mut samples: Vec<(K, f64)>, partitions: usize, ascending: bool) -> Self {
        samples.sort_by(|a, b| a.0.cmp(&b.0));
        let total: f64 = samples.iter().map(|s| s.1).sum();
        let step = total / partitions.max(1) as f64;
        let mut bounds: Vec<K> = Vec::new();
        let (mut cum, mut target) = (0.0, step);
        for (key, weight) in samples {
            cum += weight;
            if cum >= target && bounds.len() + 1 < partitions && bounds.last().is_none_or(|b| *b < key) {
                bounds.push(key);
                target += step;
            }
        }
        Self::from_bounds(bounds, ascending)
    }
}

impl<K: Ord + Clone + Send + Sync + 'static> Partitioner<K> for RangePartitioner<K> {
    fn num_partitions(&self) -> usize {
        self.bounds.len() + 1
    }
    fn partition(&self, key: &K) -> usize {
        let p = self.bounds.partition_point(|b| b < key);
        if self.ascending {
            p
        } else {
            self.bounds.len() - p
        }
    }
    fn desc(&self) -> PartitionerDesc {
        PartitionerDesc { kind: format!("range#{}", self.id), num_partitions: self.bounds.len() + 1 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // PartitioningSuite: "HashPartitioner equality", "RangePartitioner equality", "getPartition".
    #[test]
    fn hash_partitioners_with_equal_sizes_are_equal() {
        let (a, b, c) = (HashPartitioner::new(2), HashPartitioner::new(2), HashPartitioner::new(4));
        assert_eq!(Partitioner::<u32>::desc(&a), Partitioner::<u32>::desc(&b));
        assert_ne!(Partitioner::<u32>::desc(&a), Partitioner::<u32>::desc(&c));
    }

    #[test]
    fn hash_partitioner_spreads_keys() {
        let p = HashPartitioner::new(4);
        let mut counts = [0; 4];
        for k in 0..10_000u32 {
            counts[p.partition(&k)] += 1;
        }
        assert!(counts.iter().all(|c| *c > 2000), "{counts:?}");
    }

    #[test]
    fn range_partitioner_places_keys_in_order() {
        let samples: Vec<(u32, f64)> = (0..1000).map(|k| (k, 1.0)).collect();
        let p = RangePartitioner::from_samples(samples, 4, true);
        assert_eq!(Partitioner::<u32>::num_partitions(&p), 4);
        let parts: Vec<usize> = (0..1000u32).map(|k| p.partition(&k)).collect();
        assert!(parts.windows(2).all(|w| w[0] <= w[1]));
        for i in 0..4 {
            let n = parts.iter().filter(|x| **x == i).count();
            assert!((200..=300).contains(&n), "partition {i} has {n}");
        }
        let desc = RangePartitioner::from_bounds(vec![10u32], false);
        assert_eq!(desc.partition(&5), 1);
        assert_eq!(desc.partition(&50), 0);
    }

    #[test]
    fn range_partitioner_with_few_distinct_keys_has_fewer_partitions() {
        let samples: Vec<(u32, f64)> = (0..100).map(|k| (k % 2, 1.0)).collect();
        let p = RangePartitioner::from_samples(samples, 10, true);
        // As Spark's determineBounds: one bound per distinct sampled key at most.
        assert_eq!(Partitioner::<u32>::num_partitions(&p), 3);
        assert_eq!((p.partition(&0), p.partition(&1)), (0, 1));
    }
}
