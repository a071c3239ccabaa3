//! Actions: operations that run a job and bring results to the driver.

use super::Rdd;
use crate::{Data, Result};
use std::collections::BinaryHeap;
use std::sync::Arc;

/// How much `take` widens its scan each round (Spark's `spark.rdd.limit.scaleUpFactor`).
const TAKE_SCALE_UP: usize = 4;

impl<T: Data> Rdd<T> {
    fn all_partitions(&self) -> Vec<usize> {
        (0..self.num_partitions()).collect()
    }

    /// All records, in partition order.
    pub fn collect(&self) -> Result<Vec<T>> {
        let parts = self.context().run_job(self, self.all_partitions(), |_, it| it.collect::<Vec<T>>())?;
        Ok(parts.into_iter().flatten().collect())
    }

    /// Number of records.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// assert_eq!(ctx.parallelize((0..1000).collect(), 7).count().unwrap(), 1000);
    /// ```
    pub fn count(&self) -> Result<u64> {
        Ok(self.context().run_job(self, self.all_partitions(), |_, it| it.count() as u64)?.into_iter().sum())
    }

    /// Combines all records with `f`; `None` for an empty RDD.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// assert_eq!(ctx.parallelize(vec![1, 2, 3, 4], 2).reduce(|a, b| a + b).unwrap(), Some(10));
    /// assert_eq!(ctx.parallelize(Vec::<i32>::new(), 2).reduce(|a, b| a + b).unwrap(), None);
    /// ```
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<Option<T>> {
        let f = Arc::new(f);
        let g = f.clone();
        let parts = self.context().run_job(self, self.all_partitions(), move |_, it| it.reduce(|a, b| g(a, b)))?;
        Ok(parts.into_iter().flatten().reduce(|a, b| f(a, b)))
    }

    /// Folds each partition from `zero`, then the partition results from `zero`.
    pub fn fold(&self, zero: T, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> Result<T> {
        let f = Arc::new(f);
        let g = f.clone();
        self.aggregate(zero, move |a, b| g(a, b), move |a, b| f(a, b))
    }

    /// Folds records into `zero` with `seq` per partition, then merges partitions with `comb`.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let (sum, n) = ctx.parallelize(vec![1, 2, 3, 4], 2)
    ///     .aggregate((0, 0), |(s, n), x| (s + x, n + 1), |(a, b), (c, d)| (a + c, b + d)).unwrap();
    /// assert_eq!((sum, n), (10, 4));
    /// ```
    pub fn aggregate<U: Data>(
        &self,
        zero: U,
        seq: impl Fn(U, T) -> U + Send + Sync + 'static,
        comb: impl Fn(U, U) -> U + Send + Sync + 'static,
    ) -> Result<U> {
        let z = zero.clone();
        let parts = self.context().run_job(self, self.all_partitions(), move |_, it| it.fold(z.clone(), &seq))?;
        Ok(parts.into_iter().fold(zero, comb))
    }

    /// The first `n` records, scanning as few partitions as possible.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let rdd = ctx.parallelize((1..=100).collect(), 10);
    /// assert_eq!(rdd.take(3).unwrap(), vec![1, 2, 3]);
    /// assert_eq!(rdd.take(0).unwrap(), Vec::<i32>::new());
    /// ```
    pub fn take(&self, n: usize) -> Result<Vec<T>> {
        let total = self.num_partitions();
        let mut out = Vec::with_capacity(n.min(1 << 16));
        let (mut scanned, mut batch) = (0, 1);
        while out.len() < n && scanned < total {
            let parts: Vec<usize> = (scanned..(scanned + batch).min(total)).collect();
            let left = n - out.len();
            scanned += parts.len();
            for part in self.context().run_job(self, parts, move |_, it| it.take(left).collect::<Vec<T>>())? {
                out.extend(part.into_iter().take(n - out.len()));
            }
            batch *= TAKE_SCALE_UP;
        }
        Ok(out)
    }

    /// The first record, or `None` if the RDD is empty.
    pub fn first(&self) -> Result<Option<T>> {
        Ok(self.take(1)?.pop())
    }

    /// Whether the RDD has no records.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.num_partitions() == 0 || self.take(1)?.is_empty())
    }

    /// Runs `f` on every record (on the executors).
    pub fn foreach(&self, f: impl Fn(T) + Send + Sync + 'static) -> Result<()> {
        self.context().run_job(self, self.all_partitions(), move |_, it| it.for_each(&f))?;
        Ok(())
    }

    /// Runs `f` on every partition's iterator.
    pub fn foreach_partition(&self, f: impl Fn(super::PartitionIter<T>) + Send + Sync + 'static) -> Result<()> {
        self.context().run_job(self, self.all_partitions(), move |_, it| f(Box::new(it)))?;
        Ok(())
    }
}

impl<T: Data + Ord> Rdd<T> {
    /// The `n` smallest records, ascending.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let rdd = ctx.parallelize(vec![10, 4, 2, 12, 3], 2);
    /// assert_eq!(rdd.take_ordered(3).unwrap(), vec![2, 3, 4]);
    /// assert_eq!(rdd.top(2).unwrap(), vec![12, 10]);
    /// ```
    pub fn take_ordered(&self, n: usize) -> Result<Vec<T>> {
        self.smallest(n, |x| x, |x| x)
    }

    /// The `n` largest records, descending.
    pub fn top(&self, n: usize) -> Result<Vec<T>> {
        self.smallest(n, std::cmp::Reverse, |std::cmp::Reverse(x)| x)
    }

    fn smallest<O: Ord + Send + 'static>(&self, n: usize, wrap: fn(T) -> O, unwrap: fn(O) -> T) -> Result<Vec<T>> {
        // A max-heap of the n smallest seen so far in each partition, then merged on the driver.
        let keep = move |heap: &mut BinaryHeap<O>, x: O| {
            if heap.len() < n {
                heap.push(x);
            } else if heap.peek().is_some_and(|top| x < *top) {
                heap.pop();
                heap.push(x);
            }
        };
        let parts = self.context().run_job(self, self.all_partitions(), move |_, it| {
            let mut heap = BinaryHeap::with_capacity(n + 1);
            it.for_each(|x| keep(&mut heap, wrap(x)));
            heap.into_vec().into_iter().map(unwrap).collect::<Vec<T>>()
        })?;
        let mut heap = BinaryHeap::with_capacity(n + 1);
        parts.into_iter().flatten().for_each(|x| keep(&mut heap, wrap(x)));
        Ok(heap.into_sorted_vec().into_iter().map(unwrap).collect())
    }
}
