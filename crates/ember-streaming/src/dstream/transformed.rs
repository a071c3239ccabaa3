//! DStreams defined by a function of their parents' RDDs for the batch: the stateless
//! operators (`map`, `filter`, … as Spark's `MappedDStream` and friends) and `transform`
//! (Spark's `TransformedDStream`).

use super::{AnyDStream, DStream, DStreamOp};
use crate::{StreamingContext, Time};
use ember_core::{Data, Error, PartitionIter, Rdd, Result};
use std::sync::Arc;
use std::time::Duration;

type ComputeFn<U> = dyn Fn(Time) -> Result<Option<Rdd<U>>> + Send + Sync;

/// A DStream computed from its parents' RDDs by a closure over them.
pub(crate) struct TransformedDStream<U: Data> {
    parents: Vec<Arc<dyn AnyDStream>>,
    slide: Duration,
    compute: Box<ComputeFn<U>>,
    name: &'static str,
}

impl<U: Data> DStreamOp<U> for TransformedDStream<U> {
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        self.parents.clone()
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<U>>> {
        (self.compute)(time)
    }
    fn name(&self) -> &'static str {
        self.name
    }
}

pub(crate) fn parent_missing(time: Time) -> Error {
    Error::IllegalState(format!("Couldn't generate RDD from parent at time {time}"))
}

impl<T: Data> DStream<T> {
    /// A stream whose RDD is `f(parent's RDD)` in batches where the parent has one (Spark's
    /// `MappedDStream`, `FilteredDStream`, …).
    pub(crate) fn per_rdd<U: Data>(
        &self,
        name: &'static str,
        f: impl Fn(&Rdd<T>) -> Rdd<U> + Send + Sync + 'static,
    ) -> DStream<U> {
        let parent = self.clone();
        DStream::from_op(
            &self.context(),
            TransformedDStream {
                parents: vec![self.as_any()],
                slide: self.slide_duration(),
                compute: Box::new(move |t| Ok(parent.get_or_compute(t)?.map(|rdd| f(&rdd)))),
                name,
            },
        )
    }

    /// Applies `f` to every record.
    ///
    /// ```
    /// use ember_streaming::testing::run_operation;
    /// let out = run_operation(vec![vec![1, 2], vec![3]], 2, |s| s.map(|x| x * 10)).unwrap();
    /// assert_eq!(out, vec![vec![10, 20], vec![30]]);
    /// ```
    pub fn map<U: Data>(&self, f: impl Fn(T) -> U + Send + Sync + 'static) -> DStream<U> {
        let f = Arc::new(f);
        self.per_rdd("MappedDStream", move |rdd| {
            let f = f.clone();
            rdd.map(move |x| f(x))
        })
    }

    /// Applies `f` to every record and flattens the results.
    pub fn flat_map<U: Data, I>(&self, f: impl Fn(T) -> I + Send + Sync + 'static) -> DStream<U>
    where
        I: IntoIterator<Item = U> + 'static,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.per_rdd("FlatMappedDStream", move |rdd| {
            let f = f.clone();
            rdd.flat_map(move |x| f(x))
        })
    }

    /// Keeps the records for which `f` is true.
    pub fn filter(&self, f: impl Fn(&T) -> bool + Send + Sync + 'static) -> DStream<T> {
        let f = Arc::new(f);
        self.per_rdd("FilteredDStream", move |rdd| {
            let f = f.clone();
            rdd.filter(move |x| f(x))
        })
    }

    /// One `Vec` per partition of each batch.
    pub fn glom(&self) -> DStream<Vec<T>> {
        self.per_rdd("GlommedDStream", Rdd::glom)
    }

    /// Applies `f` to each partition's iterator of each batch.
    pub fn map_partitions<U: Data, I>(&self, f: impl Fn(PartitionIter<T>) -> I + Send + Sync + 'static) -> DStream<U>
    where
        I: IntoIterator<Item = U>,
        I::IntoIter: Send + 'static,
    {
        let f = Arc::new(f);
        self.per_rdd("MapPartitionedDStream", move |rdd| {
            let f = f.clone();
            rdd.map_partitions(move |it| f(it))
        })
    }

    /// Exactly `n` partitions in every batch.
    pub fn repartition(&self, n: usize) -> DStream<T> {
        self.transform(move |rdd| rdd.repartition(n))
    }

    /// Any RDD-to-RDD function, applied each batch (on the driver, when the batch's jobs are
    /// generated). Fails the batch if the parent has no RDD for it, as Spark does.
    pub fn transform<U: Data>(&self, f: impl Fn(&Rdd<T>) -> Rdd<U> + Send + Sync + 'static) -> DStream<U> {
        self.transform_with_time(move |rdd, _| f(rdd))
    }

    /// [`transform`](Self::transform) with the batch time.
    pub fn transform_with_time<U: Data>(
        &self,
        f: impl Fn(&Rdd<T>, Time) -> Rdd<U> + Send + Sync + 'static,
    ) -> DStream<U> {
        let parent = self.clone();
        DStream::from_op(
            &self.context(),
            TransformedDStream {
                parents: vec![self.as_any()],
                slide: self.slide_duration(),
                compute: Box::new(move |t| {
                    let rdd = parent.get_or_compute(t)?.ok_or_else(|| parent_missing(t))?;
                    Ok(Some(f(&rdd, t)))
                }),
                name: "TransformedDStream",
            },
        )
    }

    /// A function of this stream's and `other`'s RDDs for each batch.
    pub fn transform_with<U: Data, V: Data>(
        &self,
        other: &DStream<U>,
        f: impl Fn(&Rdd<T>, &Rdd<U>) -> Rdd<V> + Send + Sync + 'static,
    ) -> DStream<V> {
        assert_same_slide(&[self.slide_duration(), other.slide_duration()]);
        let (left, right) = (self.clone(), other.clone());
        DStream::from_op(
            &self.context(),
            TransformedDStream {
                parents: vec![self.as_any(), other.as_any()],
                slide: self.slide_duration(),
                compute: Box::new(move |t| {
                    let l = left.get_or_compute(t)?.ok_or_else(|| parent_missing(t))?;
                    let r = right.get_or_compute(t)?.ok_or_else(|| parent_missing(t))?;
                    Ok(Some(f(&l, &r)))
                }),
                name: "TransformedDStream",
            },
        )
    }

    /// One element per batch: the number of records (0 for an empty batch).
    ///
    /// ```
    /// use ember_streaming::testing::run_operation;
    /// let out = run_operation(vec![vec![], vec![7, 8]], 2, |s: ember_streaming::DStream<i32>| s.count()).unwrap();
    /// assert_eq!(out, vec![vec![0], vec![2]]);
    /// ```
    pub fn count(&self) -> DStream<u64> {
        self.transform(|rdd| {
            let zero = rdd.context().parallelize(vec![((), 0u64)], 1);
            rdd.map(|_| ((), 1u64)).union(&zero).reduce_by_key_with_partitions(|a, b| a + b, 1).values()
        })
    }

    /// Per batch, the records combined with `f`: one element, or none for an empty batch.
    pub fn reduce(&self, f: impl Fn(T, T) -> T + Send + Sync + 'static) -> DStream<T> {
        let f = Arc::new(f);
        self.per_rdd("ReducedDStream", move |rdd| {
            let f = f.clone();
            rdd.map(|x| ((), x)).reduce_by_key_with_partitions(move |a, b| f(a, b), 1).values()
        })
    }
}

impl<T: ember_core::Key> DStream<T> {
    /// Per batch, each distinct record with its count.
    pub fn count_by_value(&self) -> DStream<(T, u64)> {
        let n = self.context().spark_context().default_parallelism();
        self.count_by_value_with_partitions(n)
    }

    /// [`count_by_value`](Self::count_by_value) into `n` partitions.
    pub fn count_by_value_with_partitions(&self, n: usize) -> DStream<(T, u64)> {
        self.map(|x| (x, 1u64)).reduce_by_key_with_partitions(|a, b| a + b, n)
    }
}

/// Spark's check that combined streams share a slide duration.
pub(crate) fn assert_same_slide(slides: &[Duration]) {
    if slides.windows(2).any(|w| w[0] != w[1]) {
        panic!("requirement failed: Some of the DStreams have different slide durations");
    }
}

impl StreamingContext {
    /// A stream computed each batch from the RDDs of several streams of the same type.
    ///
    /// # Panics
    ///
    /// With no streams ("List of DStreams to transform is empty") or different slides.
    pub fn transform<T: Data, U: Data>(
        &self,
        streams: Vec<DStream<T>>,
        f: impl Fn(&[Rdd<T>], Time) -> Rdd<U> + Send + Sync + 'static,
    ) -> DStream<U> {
        assert!(!streams.is_empty(), "requirement failed: List of DStreams to transform is empty");
        assert_same_slide(&streams.iter().map(DStream::slide_duration).collect::<Vec<_>>());
        let slide = streams[0].slide_duration();
        let parents = streams.iter().map(DStream::as_any).collect();
        DStream::from_op(
            self,
            TransformedDStream {
                parents,
                slide,
                compute: Box::new(move |t| {
                    let rdds = streams
                        .iter()
                        .map(|s| s.get_or_compute(t)?.ok_or_else(|| parent_missing(t)))
                        .collect::<Result<Vec<_>>>()?;
                    Ok(Some(f(&rdds, t)))
                }),
                name: "TransformedDStream",
            },
        )
    }
}
