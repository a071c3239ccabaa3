//! `zip_with_index`: each record with its position in the RDD.

use super::Rdd;
use crate::{Data, Result};
use std::sync::Arc;

impl<T: Data> Rdd<T> {
    /// Pairs each record with its index (partition order, then position). Like Spark, this
    /// runs a job first to count the records of every partition but the last.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let z = ctx.parallelize(vec!['a', 'b', 'c'], 2).zip_with_index().unwrap();
    /// assert_eq!(z.collect().unwrap(), vec![('a', 0), ('b', 1), ('c', 2)]);
    /// ```
    pub fn zip_with_index(&self) -> Result<Rdd<(T, u64)>> {
        let n = self.num_partitions();
        let counts = if n > 1 {
            self.context().run_job(self, (0..n - 1).collect(), |_, it| it.count() as u64)?
        } else {
            Vec::new()
        };
        let starts: Arc<Vec<u64>> = Arc::new(
            std::iter::once(0)
                .chain(counts.iter().scan(0u64, |acc, c| {
                    *acc += c;
                    Some(*acc)
                }))
                .collect(),
        );
        Ok(self.map_partitions_with_index(move |i, it| {
            let start = starts[i];
            it.zip(start..)
        }))
    }
}
