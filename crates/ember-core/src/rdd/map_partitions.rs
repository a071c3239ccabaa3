//! `MapPartitionsRdd`: the one narrow operator behind `map`, `flat_map`, `filter`, `glom` and
//! `map_partitions`, so chains of them pipeline through a single iterator per task.

use super::chunks::chunked;
use super::{Chunks, Dependency, PartitionIter, Rdd, RddOp};
use crate::partitioner::PartitionerDesc;
use crate::scheduler::TaskContext;
use crate::Data;
use std::sync::Arc;

type PartitionFn<T, U> = dyn Fn(usize, Chunks<T>) -> Chunks<U> + Send + Sync;

pub(crate) struct MapPartitionsRdd<T: Data, U> {
    parent: Rdd<T>,
    f: Arc<PartitionFn<T, U>>,
    preserves_partitioning: bool,
}

impl<T: Data, U: Data> RddOp<U> for MapPartitionsRdd<T, U> {
    fn num_partitions(&self) -> usize {
        self.parent.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent.as_any())]
    }
    fn compute(&self, split: usize, tc: &TaskContext) -> Chunks<U> {
        (self.f)(split, self.parent.chunks(split, tc))
    }
    fn partitioner(&self) -> Option<PartitionerDesc> {
        self.preserves_partitioning.then(|| self.parent.partitioner()).flatten()
    }
    fn name(&self) -> &'static str {
        "MapPartitionsRDD"
    }
}

impl<T: Data> Rdd<T> {
    /// A narrow operator over the chunks of each partition.
    pub(crate) fn map_partitions_internal<U: Data>(
        &self,
        preserves_partitioning: bool,
        f: impl Fn(usize, Chunks<T>) -> Chunks<U> + Send + Sync + 'static,
    ) -> Rdd<U> {
        Rdd::from_op(self.context(), MapPartitionsRdd { parent: self.clone(), f: Arc::new(f), preserves_partitioning })
    }

    /// Applies `f` to every record.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let words = ctx.parallelize(vec![1, 2, 3], 2).map(|x| x.to_string());
    /// assert_eq!(words.collect().unwrap(), vec!["1", "2", "3"]);
    /// ```
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> Rdd<U> {
        let f = Arc::new(f);
        self.map_partitions_internal(false, move |_, chunks| {
            let f = f.clone();
            Box::new(chunks.map(move |chunk| chunk.into_iter().map(&*f).collect()))
        })
    }

    /// Applies `f` to every record and flattens the results.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let lines = ctx.parallelize(vec!["a b".to_string(), "c".to_string()], 2);
    /// let words = lines.flat_map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>());
    /// assert_eq!(words.collect().unwrap(), vec!["a", "b", "c"]);
    /// ```
    pub fn flat_map<U: Data, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> Rdd<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.map_partitions_internal(false, move |_, chunks| {
            let f = f.clone();
            chunked(chunks.flatten().flat_map(move |x| f(x)))
        })
    }

    /// Keeps the records for which `f` is true.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let even = ctx.parallelize((1..=6).collect(), 3).filter(|x| x % 2 == 0);
    /// assert_eq!(even.collect().unwrap(), vec![2, 4, 6]);
    /// ```
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> Rdd<T> {
        let f = Arc::new(f);
        self.map_partitions_internal(true, move |_, chunks| {
            let f = f.clone();
            Box::new(chunks.map(move |mut chunk| {
                chunk.retain(|x| f(x));
                chunk
            }))
        })
    }

    /// Applies `f` to each partition's iterator.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let sums = ctx.parallelize(vec![1, 2, 3, 4], 2).map_partitions(|it| std::iter::once(it.sum::<i32>()));
    /// assert_eq!(sums.collect().unwrap(), vec![3, 7]);
    /// ```
    pub fn map_partitions<U: Data, I>(&self, f: impl Fn(PartitionIter<T>) -> I + Send + Sync + 'static) -> Rdd<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        self.map_partitions_internal(false, move |_, chunks| chunked(f(Box::new(chunks.flatten())).into_iter()))
    }

    /// Applies `f` to each partition's index and iterator.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let tagged = ctx.parallelize(vec!['a', 'b'], 2).map_partitions_with_index(|i, it| it.map(move |c| (i, c)));
    /// assert_eq!(tagged.collect().unwrap(), vec![(0, 'a'), (1, 'b')]);
    /// ```
    pub fn map_partitions_with_index<U: Data, I>(
        &self,
        f: impl Fn(usize, PartitionIter<T>) -> I + Send + Sync + 'static,
    ) -> Rdd<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        self.map_partitions_internal(false, move |i, chunks| chunked(f(i, Box::new(chunks.flatten())).into_iter()))
    }

    /// One `Vec` per partition (empty partitions give empty vectors).
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// assert_eq!(ctx.parallelize(vec![1, 2, 3, 4], 2).glom().collect().unwrap(), vec![vec![1, 2], vec![3, 4]]);
    /// ```
    pub fn glom(&self) -> Rdd<Vec<T>> {
        self.map_partitions_internal(false, |_, chunks| Box::new(std::iter::once(vec![chunks.flatten().collect()])))
    }
}
