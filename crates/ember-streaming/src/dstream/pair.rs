//! Functions on streams of `(key, value)` pairs (Spark's `PairDStreamFunctions`): each batch's
//! RDD goes through the matching RDD function.

use super::DStream;
use ember_core::{Data, HashPartitioner, Key};

impl<K: Key, V: Data> DStream<(K, V)> {
    fn partitions(&self) -> usize {
        self.context().spark_context().default_parallelism()
    }

    /// Per batch, the values of each key merged with `f`.
    pub fn reduce_by_key(&self, f: impl Fn(V, V) -> V + Send + Sync + 'static) -> DStream<(K, V)> {
        self.reduce_by_key_with_partitions(f, self.partitions())
    }

    /// [`reduce_by_key`](Self::reduce_by_key) into `n` partitions.
    pub fn reduce_by_key_with_partitions(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        n: usize,
    ) -> DStream<(K, V)> {
        let f = std::sync::Arc::new(f);
        self.per_rdd("ShuffledDStream", move |rdd| {
            let f = f.clone();
            rdd.reduce_by_key_with_partitioner(move |a, b| f(a, b), HashPartitioner::new(n))
        })
    }

    /// Per batch, all values of each key.
    pub fn group_by_key(&self) -> DStream<(K, Vec<V>)> {
        self.group_by_key_with_partitions(self.partitions())
    }

    /// [`group_by_key`](Self::group_by_key) into `n` partitions.
    pub fn group_by_key_with_partitions(&self, n: usize) -> DStream<(K, Vec<V>)> {
        self.per_rdd("ShuffledDStream", move |rdd| rdd.group_by_key_with_partitions(n))
    }

    /// Per batch, Spark's `combineByKey`.
    pub fn combine_by_key<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
    ) -> DStream<(K, C)> {
        self.combine_by_key_with_partitions(create, merge_value, merge_combiners, self.partitions())
    }

    /// Applies `f` to each value.
    pub fn map_values<U: Data>(&self, f: impl Fn(V) -> U + Send + Sync + 'static) -> DStream<(K, U)> {
        let f = std::sync::Arc::new(f);
        self.per_rdd("MapValuedDStream", move |rdd| {
            let f = f.clone();
            rdd.map_values(move |v| f(v))
        })
    }

    /// Applies `f` to each value and flattens.
    pub fn flat_map_values<U: Data, I>(&self, f: impl Fn(V) -> I + Send + Sync + 'static) -> DStream<(K, U)>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let f = std::sync::Arc::new(f);
        self.per_rdd("FlatMapValuedDStream", move |rdd| {
            let f = f.clone();
            rdd.flat_map_values(move |v| f(v))
        })
    }

    /// Per batch, each key's values in both streams.
    pub fn cogroup<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Vec<V>, Vec<W>))> {
        self.cogroup_with_partitions(other, self.partitions())
    }

    /// [`cogroup`](Self::cogroup) into `n` partitions.
    pub fn cogroup_with_partitions<W: Data>(
        &self,
        other: &DStream<(K, W)>,
        n: usize,
    ) -> DStream<(K, (Vec<V>, Vec<W>))> {
        self.transform_with(other, move |a, b| a.cogroup_with_partitions(b, n))
    }

    /// Per batch, pairs of values for keys in both streams.
    pub fn join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, W))> {
        self.join_with_partitions(other, self.partitions())
    }

    /// [`join`](Self::join) into `n` partitions.
    pub fn join_with_partitions<W: Data>(&self, other: &DStream<(K, W)>, n: usize) -> DStream<(K, (V, W))> {
        self.transform_with(other, move |a, b| a.join_with_partitions(b, n))
    }

    /// Per batch, every record of this stream with the matching values of `other` or `None`.
    pub fn left_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (V, Option<W>))> {
        self.left_outer_join_with_partitions(other, self.partitions())
    }

    /// [`left_outer_join`](Self::left_outer_join) into `n` partitions.
    pub fn left_outer_join_with_partitions<W: Data>(
        &self,
        other: &DStream<(K, W)>,
        n: usize,
    ) -> DStream<(K, (V, Option<W>))> {
        self.transform_with(other, move |a, b| a.left_outer_join_with_partitions(b, n))
    }

    /// Per batch, every record of `other` with the matching values of this stream or `None`.
    pub fn right_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Option<V>, W))> {
        self.right_outer_join_with_partitions(other, self.partitions())
    }

    /// [`right_outer_join`](Self::right_outer_join) into `n` partitions.
    pub fn right_outer_join_with_partitions<W: Data>(
        &self,
        other: &DStream<(K, W)>,
        n: usize,
    ) -> DStream<(K, (Option<V>, W))> {
        self.transform_with(other, move |a, b| a.right_outer_join_with_partitions(b, n))
    }

    /// Per batch, every key of either stream with `None` for a missing side.
    pub fn full_outer_join<W: Data>(&self, other: &DStream<(K, W)>) -> DStream<(K, (Option<V>, Option<W>))> {
        self.full_outer_join_with_partitions(other, self.partitions())
    }

    /// [`full_outer_join`](Self::full_outer_join) into `n` partitions.
    pub fn full_outer_join_with_partitions<W: Data>(
        &self,
        other: &DStream<(K, W)>,
        n: usize,
    ) -> DStream<(K, (Option<V>, Option<W>))> {
        self.transform_with(other, move |a, b| a.full_outer_join_with_partitions(b, n))
    }

    /// Per batch, [`combine_by_key`](Self::combine_by_key) into `n` partitions.
    pub fn combine_by_key_with_partitions<C: Data>(
        &self,
        create: impl Fn(V) -> C + Send + Sync + 'static,
        merge_value: impl Fn(C, V) -> C + Send + Sync + 'static,
        merge_combiners: impl Fn(C, C) -> C + Send + Sync + 'static,
        n: usize,
    ) -> DStream<(K, C)> {
        let (create, merge_value, merge_combiners) =
            (std::sync::Arc::new(create), std::sync::Arc::new(merge_value), std::sync::Arc::new(merge_combiners));
        self.per_rdd("ShuffledDStream", move |rdd| {
            let (c, mv, mc) = (create.clone(), merge_value.clone(), merge_combiners.clone());
            rdd.combine_by_key_with_partitioner(
                move |v| c(v),
                move |a, v| mv(a, v),
                move |a, b| mc(a, b),
                HashPartitioner::new(n),
            )
        })
    }
}
