//! `ParallelCollectionRdd`: local data as an RDD (`Context::parallelize`,
//! `Context::parallelize_partitions`).

use super::chunks::from_shared;
use super::{Chunks, Dependency, Rdd, RddOp};
use crate::scheduler::TaskContext;
use crate::{Context, Data};
use std::sync::Arc;

/// The RDD behind `Context::parallelize`: each partition a shared vector of records.
pub struct ParallelCollectionRdd<T> {
    parts: Vec<Arc<Vec<T>>>,
}

impl<T: Data> RddOp<T> for ParallelCollectionRdd<T> {
    fn num_partitions(&self) -> usize {
        self.parts.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn compute(&self, split: usize, _tc: &TaskContext) -> Chunks<T> {
        let part = self.parts[split].clone();
        let len = part.len();
        from_shared(part, 0..len)
    }
    fn name(&self) -> &'static str {
        "ParallelCollectionRDD"
    }
}

impl Context {
    /// Cuts a local collection into `slices` partitions: partition `i` holds
    /// `[i*len/slices, (i+1)*len/slices)`, exactly Spark's slicing.
    pub fn parallelize<T: Data>(&self, data: Vec<T>, slices: usize) -> Rdd<T> {
        let slices = slices.max(1);
        let len = data.len();
        let mut records = data.into_iter();
        let parts = (0..slices)
            .map(|i| {
                let size = (i + 1) * len / slices - i * len / slices;
                Arc::new(records.by_ref().take(size).collect())
            })
            .collect();
        Rdd::from_op(self, ParallelCollectionRdd { parts })
    }

    /// An RDD whose partitions are exactly `partitions` (a file stream's files become one
    /// partition each).
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let rdd = ctx.parallelize_partitions(vec![vec![1, 2], vec![], vec![3]]);
    /// assert_eq!(rdd.glom().collect().unwrap(), vec![vec![1, 2], vec![], vec![3]]);
    /// ```
    pub fn parallelize_partitions<T: Data>(&self, partitions: Vec<Vec<T>>) -> Rdd<T> {
        Rdd::from_op(self, ParallelCollectionRdd { parts: partitions.into_iter().map(Arc::new).collect() })
    }

    /// An RDD with no partitions and no records.
    pub fn empty_rdd<T: Data>(&self) -> Rdd<T> {
        self.parallelize_partitions(Vec::new())
    }
}
