//! `zip_partitions`: partition `i` of two RDDs handed together to one function (Spark's
//! `ZippedPartitionsRDD2`).

use super::chunks::chunked;
use super::{Chunks, Dependency, PartitionIter, Rdd, RddOp};
use crate::scheduler::TaskContext;
use crate::{Data, Error, Result};
use std::sync::Arc;

type ZipFn<A, B, W> = dyn Fn(usize, PartitionIter<A>, PartitionIter<B>) -> PartitionIter<W> + Send + Sync;

struct ZippedPartitionsRdd<A: Data, B: Data, W> {
    a: Rdd<A>,
    b: Rdd<B>,
    f: Arc<ZipFn<A, B, W>>,
}

/// The records of `rdd`'s partition `split`, computed only when first pulled: a function that
/// never reads one side never computes it.
fn lazy<T: Data>(rdd: &Rdd<T>, split: usize, tc: &TaskContext) -> PartitionIter<T> {
    let (rdd, tc) = (rdd.clone(), tc.clone());
    Box::new(std::iter::once_with(move || rdd.iterator(split, &tc)).flatten())
}

impl<A: Data, B: Data, W: Data> RddOp<W> for ZippedPartitionsRdd<A, B, W> {
    fn num_partitions(&self) -> usize {
        self.a.num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Narrow(self.a.as_any()), Dependency::Narrow(self.b.as_any())]
    }
    fn compute(&self, split: usize, tc: &TaskContext) -> Chunks<W> {
        chunked((self.f)(split, lazy(&self.a, split, tc), lazy(&self.b, split, tc)))
    }
    fn name(&self) -> &'static str {
        "ZippedPartitionsRDD2"
    }
}

impl<A: Data> Rdd<A> {
    /// Applies `f` to partition `i` of this RDD and of `other` together. Both must have the
    /// same number of partitions. Each side is computed only if `f` reads it.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let a = ctx.parallelize(vec![1, 2, 3, 4], 2);
    /// let b = ctx.parallelize(vec!['w', 'x', 'y', 'z'], 2);
    /// let sizes = a.zip_partitions(&b, |x, y| std::iter::once((x.count(), y.count()))).unwrap();
    /// assert_eq!(sizes.collect().unwrap(), vec![(2, 2), (2, 2)]);
    /// ```
    ///
    /// # Errors
    ///
    /// Unequal partition counts: "Can't zip RDDs with unequal numbers of partitions: List(2, 3)".
    pub fn zip_partitions<B: Data, W: Data, I>(
        &self,
        other: &Rdd<B>,
        f: impl Fn(PartitionIter<A>, PartitionIter<B>) -> I + Send + Sync + 'static,
    ) -> Result<Rdd<W>>
    where
        I: IntoIterator<Item = W>,
        I::IntoIter: Send + 'static,
    {
        self.zip_partitions_with_index(other, move |_, a, b| f(a, b))
    }

    /// [`zip_partitions`](Self::zip_partitions), also giving `f` the partition index.
    pub fn zip_partitions_with_index<B: Data, W: Data, I>(
        &self,
        other: &Rdd<B>,
        f: impl Fn(usize, PartitionIter<A>, PartitionIter<B>) -> I + Send + Sync + 'static,
    ) -> Result<Rdd<W>>
    where
        I: IntoIterator<Item = W>,
        I::IntoIter: Send + 'static,
    {
        let (n, m) = (self.num_partitions(), other.num_partitions());
        if n != m {
            return Err(Error::IllegalArgument(format!(
                "Can't zip RDDs with unequal numbers of partitions: List({n}, {m})"
            )));
        }
        let f: Arc<ZipFn<A, B, W>> = Arc::new(move |i, a, b| Box::new(f(i, a, b).into_iter()));
        Ok(Rdd::from_op(self.context(), ZippedPartitionsRdd { a: self.clone(), b: other.clone(), f }))
    }
}

#[cfg(test)]
mod tests {
    use crate::Context;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    #[test]
    fn unequal_partitions_are_an_error() {
        let ctx = Context::local(2).unwrap();
        let err = ctx.parallelize(vec![1], 2).zip_partitions(&ctx.parallelize(vec![1], 3), |a, _| a).unwrap_err();
        assert!(err.to_string().contains("Can't zip RDDs with unequal numbers of partitions: List(2, 3)"), "{err}");
    }

    #[test]
    fn an_unread_side_is_never_computed() {
        let ctx = Context::local(2).unwrap();
        let computed = Arc::new(AtomicUsize::new(0));
        let c = computed.clone();
        let side = ctx.parallelize(vec![1, 2, 3, 4], 2).map(move |x| {
            c.fetch_add(1, Ordering::Relaxed);
            x
        });
        let zipped = ctx.parallelize(vec![10, 20], 2).zip_partitions_with_index(&side, |i, a, _| a.map(move |x| x + i));
        assert_eq!(zipped.unwrap().collect().unwrap(), vec![10, 21]);
        assert_eq!(computed.load(Ordering::Relaxed), 0);
    }
}
