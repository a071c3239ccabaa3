//! `CartesianRdd`: every pair of records from two RDDs.

use super::chunks::chunked;
use super::{Chunks, Dependency, Rdd, RddOp};
use crate::scheduler::TaskContext;
use crate::Data;
use std::sync::Arc;

pub(crate) struct CartesianRdd<T: Data, U: Data> {
    left: Rdd<T>,
    right: Rdd<U>,
}

impl<T: Data, U: Data> RddOp<(T, U)> for CartesianRdd<T, U> {
    fn num_partitions(&self) -> usize {
        self.left.num_partitions() * self.right.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.left.as_any()), Dependency::Narrow(self.right.as_any())]
    }
    fn compute(&self, split: usize, tc: &TaskContext) -> Chunks<(T, U)> {
        let n = self.right.num_partitions();
        // The right side is iterated once per left record, so it is materialized once.
        let right: Arc<Vec<U>> = Arc::new(self.right.iterator(split % n, tc).collect());
        chunked(self.left.iterator(split / n, tc).flat_map(move |t| {
            let right = right.clone();
            (0..right.len()).map(move |i| (t.clone(), right[i].clone()))
        }))
    }
    fn name(&self) -> &'static str {
        "CartesianRDD"
    }
}

impl<T: Data> Rdd<T> {
    /// All pairs `(a, b)` with `a` from this RDD and `b` from `other`.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let pairs = ctx.parallelize(vec![1, 2], 2).cartesian(&ctx.parallelize(vec!['x'], 1));
    /// assert_eq!(pairs.collect().unwrap(), vec![(1, 'x'), (2, 'x')]);
    /// ```
    pub fn cartesian<U: Data>(&self, other: &Rdd<U>) -> Rdd<(T, U)> {
        Rdd::from_op(self.context(), CartesianRdd { left: self.clone(), right: other.clone() })
    }
}
