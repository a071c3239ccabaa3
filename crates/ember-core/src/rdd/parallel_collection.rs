//! `ParallelCollectionRdd`: a local `Vec` cut into partitions (`Context::parallelize`).

use super::chunks::from_shared;
use super::{Chunks, Dependency, RddOp};
use crate::scheduler::TaskContext;
use crate::Data;
use std::sync::Arc;

/// The RDD behind `Context::parallelize`; partition `i` of `n` holds `[i*len/n, (i+1)*len/n)`,
/// exactly Spark's slicing.
pub struct ParallelCollectionRdd<T> {
    data: Arc<Vec<T>>,
    slices: usize,
}

impl<T> ParallelCollectionRdd<T> {
    pub(crate) fn new(data: Vec<T>, slices: usize) -> Self {
        ParallelCollectionRdd { data: Arc::new(data), slices: slices.max(1) }
    }

    pub(crate) fn empty() -> Self {
        ParallelCollectionRdd { data: Arc::new(Vec::new()), slices: 0 }
    }

    fn range(&self, split: usize) -> std::ops::Range<usize> {
        let len = self.data.len();
        (split * len / self.slices)..((split + 1) * len / self.slices)
    }
}

impl<T: Data> RddOp<T> for ParallelCollectionRdd<T> {
    fn num_partitions(&self) -> usize {
        self.slices
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn compute(&self, split: usize, _tc: &TaskContext) -> Chunks<T> {
        from_shared(self.data.clone(), self.range(split))
    }
    fn name(&self) -> &'static str {
        "ParallelCollectionRDD"
    }
}
