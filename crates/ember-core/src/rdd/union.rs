//! `UnionRdd`: the partitions of several RDDs, side by side (no shuffle, no dedup).

use super::{Chunks, Dependency, Rdd, RddOp};
use crate::scheduler::TaskContext;
use crate::{Context, Data};

pub(crate) struct UnionRdd<T: Data> {
    parents: Vec<Rdd<T>>,
}

impl<T: Data> RddOp<T> for UnionRdd<T> {
    fn num_partitions(&self) -> usize {
        self.parents.iter().map(Rdd::num_partitions).sum()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        self.parents.iter().map(|p| Dependency::Narrow(p.as_any())).collect()
    }
    fn compute(&self, mut split: usize, tc: &TaskContext) -> Chunks<T> {
        for p in &self.parents {
            if split < p.num_partitions() {
                return p.chunks(split, tc);
            }
            split -= p.num_partitions();
        }
        unreachable!("union partition out of range")
    }
    fn name(&self) -> &'static str {
        "UnionRDD"
    }
}

impl Context {
    /// The union of several RDDs: their partitions in order, duplicates kept.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let u = ctx.union(vec![ctx.parallelize(vec![1, 2], 1), ctx.parallelize(vec![2, 3], 1)]);
    /// assert_eq!(u.collect().unwrap(), vec![1, 2, 2, 3]);
    /// ```
    pub fn union<T: Data>(&self, rdds: Vec<Rdd<T>>) -> Rdd<T> {
        Rdd::from_op(self, UnionRdd { parents: rdds })
    }
}

impl<T: Data> Rdd<T> {
    /// This RDD's partitions followed by `other`'s.
    pub fn union(&self, other: &Rdd<T>) -> Rdd<T> {
        self.context().union(vec![self.clone(), other.clone()])
    }
}
