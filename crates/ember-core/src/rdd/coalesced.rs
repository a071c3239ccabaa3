//! `CoalescedRdd`: fewer partitions by grouping neighbouring parent partitions, no shuffle.

use super::{Chunks, Dependency, Rdd, RddOp};
use crate::scheduler::TaskContext;
use crate::Data;

pub(crate) struct CoalescedRdd<T: Data> {
    parent: Rdd<T>,
    partitions: usize,
}

impl<T: Data> RddOp<T> for CoalescedRdd<T> {
    fn num_partitions(&self) -> usize {
        self.partitions
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.parent.as_any())]
    }
    fn compute(&self, split: usize, tc: &TaskContext) -> Chunks<T> {
        let n = self.parent.num_partitions();
        let (from, to) = (split * n / self.partitions, (split + 1) * n / self.partitions);
        let parent = self.parent.clone();
        let tc = tc.clone();
        Box::new((from..to).flat_map(move |p| parent.chunks(p, &tc)))
    }
    fn name(&self) -> &'static str {
        "CoalescedRDD"
    }
}

impl<T: Data> Rdd<T> {
    /// Reduces to `num_partitions` partitions. Without `shuffle` neighbouring partitions are
    /// merged (it cannot increase the count); with `shuffle` records are redistributed evenly.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let rdd = ctx.parallelize((1..=10).collect(), 10);
    /// assert_eq!(rdd.coalesce(3, false).num_partitions(), 3);
    /// assert_eq!(rdd.coalesce(3, false).collect().unwrap(), (1..=10).collect::<Vec<_>>());
    /// ```
    pub fn coalesce(&self, num_partitions: usize, shuffle: bool) -> Rdd<T> {
        if shuffle {
            return self.repartition(num_partitions);
        }
        let partitions = num_partitions.clamp(1, self.num_partitions().max(1));
        Rdd::from_op(self.context(), CoalescedRdd { parent: self.clone(), partitions })
    }
}

impl<T: Data> Rdd<T> {
    /// Exactly `num_partitions` partitions, records spread evenly by a shuffle. Each input
    /// partition deals its records round-robin starting at a position derived from its index
    /// (Spark starts at a random one; a fixed start keeps reruns identical).
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let rdd = ctx.parallelize((0..100).collect(), 2).repartition(5);
    /// assert_eq!(rdd.num_partitions(), 5);
    /// assert!(rdd.glom().collect().unwrap().iter().all(|p| p.len() == 20));
    /// ```
    pub fn repartition(&self, num_partitions: usize) -> Rdd<T> {
        let n = num_partitions.max(1);
        self.map_partitions_with_index(move |index, it| {
            let start = index.wrapping_mul(0x9E37_79B9) % n;
            it.enumerate().map(move |(i, x)| ((start + i) % n, x))
        })
        .shuffle_plain(move |k| *k, n, None)
        .values()
    }
}
