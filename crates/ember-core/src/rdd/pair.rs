//! Functions on RDDs of `(key, value)` pairs (Spark's `PairRDDFunctions`).

use super::chunks::chunked;
use super::shuffled::Aggregator;
use super::Rdd;
use crate::partitioner::{HashPartitioner, Partitioner};
use crate::shuffle::combine_map::{combine_chunk, ChunkScratch, CombineMap};
use crate::{Data, Key, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;

/// A value tagged with the side of a cogroup it came from.
#[derive(Clone, Serialize, Deserialize)]
enum Side<V, W> {
    Left(V),
    Right(W),
}

impl<K: Key, V: Data> Rdd<(K, V)> {
    /// Spark's `defaultPartitioner`: keep this RDD's hash partitioning if it has one, else hash
    /// into `spark.default.parallelism` partitions if set, else as many as the largest input.
    fn default_partitioner(&self, others: &[usize]) -> HashPartitioner {
        if let Some(p) = self.partitioner().filter(|p| p.kind == "hash") {
            return HashPartitioner::new(p.num_partitions);
        }
        let largest = others.iter().copied().chain([self.num_partitions()]).max().unwrap_or(1);
        HashPartitioner::new(self.context().configured_parallelism().unwrap_or(largest))
    }

    /// Combines the values of each key with `create`, `merge_value` and `merge_combiners`,
    /// combining map-side before the shuffle.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let pairs = ctx.parallelize(vec![('a', 1), ('a', 2), ('b', 3)], 2);
    /// let mut sums = pairs.combine_by_key(|v| v, |c, v| c + v, |a, b| a + b).collect().unwrap();
    /// sums.sort();
    /// assert_eq!(sums, vec![('a', 3), ('b', 3)]);
    /// ```
    pub fn combine_by_key<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
    ) -> Rdd<(K, C)> {
        let p = self.default_partitioner(&[]);
        self.combine_by_key_with_partitioner(create, merge_value, merge_combiners, p)
    }

    /// [`combine_by_key`](Self::combine_by_key) into `partitioner`'s partitions. If this RDD is
    /// already partitioned that way, values are combined within partitions with no shuffle.
    pub fn combine_by_key_with_partitioner<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        partitioner: impl Partitioner<K>,
    ) -> Rdd<(K, C)> {
        let agg = Aggregator {
            create: Arc::new(create),
            merge_value: Arc::new(merge_value),
            merge_combiners: Arc::new(merge_combiners),
        };
        if self.partitioner() == Some(partitioner.desc()) {
            return self.map_partitions_internal(true, move |_, chunks| {
                let (mut combined, mut scratch) = ([CombineMap::new()], ChunkScratch::default());
                for chunk in chunks {
                    let (create, merge) = (|v| (agg.create)(v), |c, v| (agg.merge_value)(c, v));
                    combine_chunk(&mut combined, chunk, |_, _| 0, create, merge, &mut scratch);
                }
                let [combined] = combined;
                chunked(combined.into_iter())
            });
        }
        self.shuffle_combine(agg, Arc::new(partitioner))
    }

    /// Merges the values of each key with `f` (map-side first, like a combiner).
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let pairs = ctx.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    /// let mut out = pairs.reduce_by_key(|a, b| a + b).collect().unwrap();
    /// out.sort();
    /// assert_eq!(out, vec![(1, 7), (2, 1)]);
    /// ```
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Rdd<(K, V)> {
        let p = self.default_partitioner(&[]);
        self.reduce_by_key_with_partitioner(f, p)
    }

    /// [`reduce_by_key`](Self::reduce_by_key) into `n` hash partitions.
    pub fn reduce_by_key_with_partitions(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        n: usize,
    ) -> Rdd<(K, V)> {
        self.reduce_by_key_with_partitioner(f, HashPartitioner::new(n))
    }

    /// [`reduce_by_key`](Self::reduce_by_key) into `partitioner`'s partitions.
    pub fn reduce_by_key_with_partitioner(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        partitioner: impl Partitioner<K>,
    ) -> Rdd<(K, V)> {
        let f = Arc::new(f);
        let g = f.clone();
        self.combine_by_key_with_partitioner(|v| v, move |a, b| f(a, b), move |a, b| g(a, b), partitioner)
    }

    /// All values of each key, in one `Vec` per key.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let pairs = ctx.parallelize(vec![(1, 1), (1, 2), (2, 1)], 2);
    /// let mut groups = pairs.group_by_key().collect().unwrap();
    /// groups.sort();
    /// assert_eq!(groups, vec![(1, vec![1, 2]), (2, vec![1])]);
    /// ```
    pub fn group_by_key(&self) -> Rdd<(K, Vec<V>)> {
        let p = self.default_partitioner(&[]);
        self.group_by_key_with_partitioner(p)
    }

    /// [`group_by_key`](Self::group_by_key) into `n` hash partitions.
    pub fn group_by_key_with_partitions(&self, n: usize) -> Rdd<(K, Vec<V>)> {
        self.group_by_key_with_partitioner(HashPartitioner::new(n))
    }

    /// [`group_by_key`](Self::group_by_key) into `partitioner`'s partitions.
    pub fn group_by_key_with_partitioner(&self, partitioner: impl Partitioner<K>) -> Rdd<(K, Vec<V>)> {
        self.combine_by_key_with_partitioner(
            |v| vec![v],
            |mut c, v| {
                c.push(v);
                c
            },
            |mut a, mut b| {
                a.append(&mut b);
                a
            },
            partitioner,
        )
    }

    /// Folds the values of each key into `zero` with `seq` (within partitions) and `comb`
    /// (across partitions).
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let pairs = ctx.parallelize(vec![(1, 1), (1, 1), (3, 2), (5, 1), (5, 3)], 2);
    /// let mut sets = pairs.aggregate_by_key(Vec::new(), |mut s, v| { s.push(v); s }, |mut a, mut b| { a.append(&mut b); a })
    ///     .map_values(|mut s| { s.sort(); s.dedup(); s }).collect().unwrap();
    /// sets.sort();
    /// assert_eq!(sets, vec![(1, vec![1]), (3, vec![2]), (5, vec![1, 3])]);
    /// ```
    pub fn aggregate_by_key<U: Data>(
        &self,
        zero: U,
        seq: impl Fn(U, V) -> U + Send + Sync + 'static,
        comb: impl Fn(U, U) -> U + Send + Sync + 'static,
    ) -> Rdd<(K, U)> {
        let seq = Arc::new(seq);
        let s2 = seq.clone();
        let p = self.default_partitioner(&[]);
        self.combine_by_key_with_partitioner(move |v| s2(zero.clone(), v), move |u, v| seq(u, v), comb, p)
    }

    /// [`aggregate_by_key`](Self::aggregate_by_key) with one function for both steps.
    pub fn fold_by_key(&self, zero: V, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> Rdd<(K, V)> {
        let f = Arc::new(f);
        let g = f.clone();
        self.aggregate_by_key(zero, move |a, b| f(a, b), move |a, b| g(a, b))
    }

    /// Applies `f` to each value, keeping keys and partitioning.
    pub fn map_values<U: Data>(&self, f: impl Fn(V) -> U + Send + Sync + 'static) -> Rdd<(K, U)> {
        let f = Arc::new(f);
        self.map_partitions_internal(true, move |_, chunks| {
            let f = f.clone();
            Box::new(chunks.map(move |chunk| chunk.into_iter().map(|(k, v)| (k, f(v))).collect()))
        })
    }

    /// Applies `f` to each value and flattens, keeping keys and partitioning.
    pub fn flat_map_values<U: Data, I>(&self, f: impl Fn(V) -> I + Send + Sync + 'static) -> Rdd<(K, U)>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.map_partitions_internal(true, move |_, chunks| {
            let f = f.clone();
            chunked(chunks.flatten().flat_map(move |(k, v)| f(v).into_iter().map(move |u| (k.clone(), u))))
        })
    }

    /// Redistributes records by `partitioner`; a no-op if already partitioned that way.
    pub fn partition_by(&self, partitioner: impl Partitioner<K>) -> Rdd<(K, V)> {
        let desc = partitioner.desc();
        if self.partitioner() == Some(desc.clone()) {
            return self.clone();
        }
        let n = partitioner.num_partitions();
        self.shuffle_plain(move |k| partitioner.partition(k), n, Some(desc))
    }

    /// Number of records per key, returned to the driver.
    pub fn count_by_key(&self) -> Result<HashMap<K, u64>> {
        Ok(self.map_values(|_| 1u64).reduce_by_key(|a, b| a + b).collect()?.into_iter().collect())
    }

    /// All values for `key`.
    pub fn lookup(&self, key: &K) -> Result<Vec<V>> {
        let key = key.clone();
        self.filter(move |(k, _)| *k == key).values().collect()
    }

    /// For each key in either RDD, its values in this one and in `other`.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let a = ctx.parallelize(vec![(1, 1), (1, 2), (2, 1)], 2);
    /// let b = ctx.parallelize(vec![(1, 'x'), (3, 'y')], 2);
    /// let mut g = a.cogroup(&b).collect().unwrap();
    /// g.sort();
    /// assert_eq!(g, vec![(1, (vec![1, 2], vec!['x'])), (2, (vec![1], vec![])), (3, (vec![], vec!['y']))]);
    /// ```
    pub fn cogroup<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (Vec<V>, Vec<W>))> {
        let p = self.default_partitioner(&[other.num_partitions()]);
        self.cogroup_with_partitioner(other, p)
    }

    /// [`cogroup`](Self::cogroup) into `n` hash partitions.
    pub fn cogroup_with_partitions<W: Data>(&self, other: &Rdd<(K, W)>, n: usize) -> Rdd<(K, (Vec<V>, Vec<W>))> {
        self.cogroup_with_partitioner(other, HashPartitioner::new(n))
    }

    /// [`cogroup`](Self::cogroup) into `partitioner`'s partitions.
    pub fn cogroup_with_partitioner<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        partitioner: impl Partitioner<K>,
    ) -> Rdd<(K, (Vec<V>, Vec<W>))> {
        let left = self.map(|(k, v)| (k, Side::<V, W>::Left(v)));
        let right = other.map(|(k, w)| (k, Side::<V, W>::Right(w)));
        let add = |(mut vs, mut ws): (Vec<V>, Vec<W>), side: Side<V, W>| {
            match side {
                Side::Left(v) => vs.push(v),
                Side::Right(w) => ws.push(w),
            }
            (vs, ws)
        };
        left.union(&right).combine_by_key_with_partitioner(
            move |side| add((Vec::new(), Vec::new()), side),
            add,
            |(mut v1, mut w1), (mut v2, mut w2)| {
                v1.append(&mut v2);
                w1.append(&mut w2);
                (v1, w1)
            },
            partitioner,
        )
    }

    /// Pairs of values for each key present in both RDDs.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let a = ctx.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2);
    /// let b = ctx.parallelize(vec![(1, 'x'), (2, 'y'), (2, 'z'), (4, 'w')], 2);
    /// let mut j = a.join(&b).collect().unwrap();
    /// j.sort();
    /// assert_eq!(j, vec![(1, (1, 'x')), (1, (2, 'x')), (2, (1, 'y')), (2, (1, 'z'))]);
    /// ```
    pub fn join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, W))> {
        inner(self.cogroup(other))
    }

    /// [`join`](Self::join) into `n` hash partitions.
    pub fn join_with_partitions<W: Data>(&self, other: &Rdd<(K, W)>, n: usize) -> Rdd<(K, (V, W))> {
        inner(self.cogroup_with_partitions(other, n))
    }

    /// Every record of this RDD, with each matching value of `other` or `None`.
    pub fn left_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (V, Option<W>))> {
        left_outer(self.cogroup(other))
    }

    /// [`left_outer_join`](Self::left_outer_join) into `n` hash partitions.
    pub fn left_outer_join_with_partitions<W: Data>(&self, other: &Rdd<(K, W)>, n: usize) -> Rdd<(K, (V, Option<W>))> {
        left_outer(self.cogroup_with_partitions(other, n))
    }

    /// Every record of `other`, with each matching value of this RDD or `None`.
    pub fn right_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (Option<V>, W))> {
        right_outer(self.cogroup(other))
    }

    /// [`right_outer_join`](Self::right_outer_join) into `n` hash partitions.
    pub fn right_outer_join_with_partitions<W: Data>(&self, other: &Rdd<(K, W)>, n: usize) -> Rdd<(K, (Option<V>, W))> {
        right_outer(self.cogroup_with_partitions(other, n))
    }

    /// Every key of either RDD, with `None` for a missing side.
    pub fn full_outer_join<W: Data>(&self, other: &Rdd<(K, W)>) -> Rdd<(K, (Option<V>, Option<W>))> {
        full_outer(self.cogroup(other))
    }

    /// [`full_outer_join`](Self::full_outer_join) into `n` hash partitions.
    pub fn full_outer_join_with_partitions<W: Data>(
        &self,
        other: &Rdd<(K, W)>,
        n: usize,
    ) -> Rdd<(K, (Option<V>, Option<W>))> {
        full_outer(self.cogroup_with_partitions(other, n))
    }
}

type Cogrouped<K, V, W> = Rdd<(K, (Vec<V>, Vec<W>))>;

fn inner<K: Key, V: Data, W: Data>(groups: Cogrouped<K, V, W>) -> Rdd<(K, (V, W))> {
    groups.flat_map_values(|(vs, ws)| {
        vs.iter().flat_map(|v| ws.iter().map(move |w| (v.clone(), w.clone()))).collect::<Vec<_>>()
    })
}

fn left_outer<K: Key, V: Data, W: Data>(groups: Cogrouped<K, V, W>) -> Rdd<(K, (V, Option<W>))> {
    groups.flat_map_values(|(vs, ws)| outer(&vs, &ws).filter_map(|(v, w)| Some((v?, w))))
}

fn right_outer<K: Key, V: Data, W: Data>(groups: Cogrouped<K, V, W>) -> Rdd<(K, (Option<V>, W))> {
    groups.flat_map_values(|(vs, ws)| outer(&ws, &vs).filter_map(|(w, v)| Some((v, w?))))
}

fn full_outer<K: Key, V: Data, W: Data>(groups: Cogrouped<K, V, W>) -> Rdd<(K, (Option<V>, Option<W>))> {
    groups.flat_map_values(|(vs, ws)| {
        if vs.is_empty() {
            ws.into_iter().map(|w| (None, Some(w))).collect::<Vec<_>>()
        } else {
            outer(&vs, &ws).collect()
        }
    })
}

/// Each `a` paired with each `b`, or with `None` when `bs` is empty.
fn outer<A: Clone, B: Clone>(as_: &[A], bs: &[B]) -> impl Iterator<Item = (Option<A>, Option<B>)> {
    let rows: Vec<(Option<A>, Option<B>)> = if bs.is_empty() {
        as_.iter().map(|a| (Some(a.clone()), None)).collect()
    } else {
        as_.iter().flat_map(|a| bs.iter().map(move |b| (Some(a.clone()), Some(b.clone())))).collect()
    };
    rows.into_iter()
}

impl<K: Data, V: Data> Rdd<(K, V)> {
    /// The keys.
    pub fn keys(&self) -> Rdd<K> {
        self.map(|(k, _)| k)
    }

    /// The values.
    pub fn values(&self) -> Rdd<V> {
        self.map(|(_, v)| v)
    }
}

impl<T: Key> Rdd<T> {
    /// The distinct records.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let mut d = ctx.parallelize(vec![1, 2, 2, 3, 3, 3], 3).distinct().collect().unwrap();
    /// d.sort();
    /// assert_eq!(d, vec![1, 2, 3]);
    /// ```
    pub fn distinct(&self) -> Rdd<T> {
        let n = self.context().configured_parallelism().unwrap_or(self.num_partitions());
        self.distinct_with_partitions(n)
    }

    /// [`distinct`](Self::distinct) into `n` partitions.
    pub fn distinct_with_partitions(&self, n: usize) -> Rdd<T> {
        self.map(|x| (x, ())).reduce_by_key_with_partitions(|a, _| a, n).keys()
    }

    /// How many times each record occurs, returned to the driver.
    pub fn count_by_value(&self) -> Result<HashMap<T, u64>> {
        self.map(|x| (x, 0u8)).count_by_key()
    }
}
