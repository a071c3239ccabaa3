//! Sorting (Spark's `OrderedRDDFunctions`): sample the keys, range-partition, sort each partition.

use super::chunks::from_vec;
use super::Rdd;
use crate::partitioner::{Partitioner, RangePartitioner};
use crate::{Data, Key, Result};
use std::sync::Arc;

/// Samples per output partition, as Spark's `RangePartitioner` (20 × partitions, oversampled 3×).
const SAMPLES_PER_PARTITION: usize = 60;

impl<K: Key + Ord, V: Data> Rdd<(K, V)> {
    /// Sorts by key into `num_partitions` range partitions: partition `i` holds keys before
    /// partition `i + 1`'s, each partition is sorted. Runs a sampling job to choose the ranges.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let pairs = ctx.parallelize(vec![(3, 'c'), (1, 'a'), (2, 'b')], 2);
    /// assert_eq!(pairs.sort_by_key(true, 2).unwrap().collect().unwrap(), vec![(1, 'a'), (2, 'b'), (3, 'c')]);
    /// assert_eq!(pairs.sort_by_key(false, 2).unwrap().keys().collect().unwrap(), vec![3, 2, 1]);
    /// ```
    pub fn sort_by_key(&self, ascending: bool, num_partitions: usize) -> Result<Rdd<(K, V)>> {
        let inputs = self.num_partitions().max(1);
        let per_input = (SAMPLES_PER_PARTITION * num_partitions).div_ceil(inputs).max(1);
        let sketches = self.context().run_job(self, (0..self.num_partitions()).collect(), move |tc, it| {
            reservoir_sample(it.map(|(k, _)| k), per_input, tc.partition_id() as u64 + 1)
        })?;
        let samples: Vec<(K, f64)> = sketches
            .into_iter()
            .flat_map(|(count, sample)| {
                let weight = count as f64 / sample.len().max(1) as f64;
                sample.into_iter().map(move |k| (k, weight))
            })
            .collect();
        let partitioner = Arc::new(RangePartitioner::from_samples(samples, num_partitions.max(1), ascending));
        let (n, desc) = (partitioner.num_partitions(), partitioner.desc());
        let shuffled = self.shuffle_plain(move |k| partitioner.partition(k), n, Some(desc));
        Ok(shuffled.map_partitions_internal(true, move |_, chunks| {
            let mut records: Vec<(K, V)> = chunks.flatten().collect();
            if ascending {
                records.sort_by(|a, b| a.0.cmp(&b.0));
            } else {
                records.sort_by(|a, b| b.0.cmp(&a.0));
            }
            from_vec(records)
        }))
    }
}

impl<T: Data> Rdd<T> {
    /// Sorts records by `key(record)`.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let words = ctx.parallelize(vec!["ccc".to_string(), "a".into(), "bb".into()], 2);
    /// let sorted = words.sort_by(|w| w.len(), true, 2).unwrap().collect().unwrap();
    /// assert_eq!(sorted, vec!["a", "bb", "ccc"]);
    /// ```
    pub fn sort_by<K: Key + Ord>(
        &self,
        key: impl Fn(&T) -> K + Send + Sync + 'static,
        ascending: bool,
        num_partitions: usize,
    ) -> Result<Rdd<T>> {
        Ok(self.map(move |x| (key(&x), x)).sort_by_key(ascending, num_partitions)?.values())
    }
}

/// Reservoir sampling with a small deterministic generator: returns (records seen, sample).
fn reservoir_sample<K>(it: impl Iterator<Item = K>, size: usize, seed: u64) -> (u64, Vec<K>) {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut sample = Vec::with_capacity(size);
    let mut seen = 0u64;
    for k in it {
        seen += 1;
        if sample.len() < size {
            sample.push(k);
        } else {
            let j = (next() % seen) as usize;
            if j < size {
                sample[j] = k;
            }
        }
    }
    (seen, sample)
}
