//! `UnionDStream`: per batch, the union of several streams' RDDs.

use super::transformed::assert_same_slide;
use super::{AnyDStream, DStream, DStreamOp};
use crate::{StreamingContext, Time};
use ember_core::{Data, Error, Rdd, Result};
use std::sync::Arc;
use std::time::Duration;

struct UnionDStream<T: Data> {
    parents: Vec<DStream<T>>,
}

impl<T: Data> DStreamOp<T> for UnionDStream<T> {
    fn slide_duration(&self) -> Duration {
        self.parents[0].slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        self.parents.iter().map(DStream::as_any).collect()
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let rdds = self
            .parents
            .iter()
            .map(|p| {
                p.get_or_compute(time)?.ok_or_else(|| {
                    Error::IllegalState(format!("Could not generate RDD from a parent for unifying at time {time}"))
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let ctx = rdds[0].context().clone();
        Ok(Some(ctx.union(rdds)))
    }
    fn name(&self) -> &'static str {
        "UnionDStream"
    }
}

impl StreamingContext {
    /// Per batch, the union of the streams' RDDs (records of the first stream first).
    ///
    /// # Panics
    ///
    /// With no streams ("List of DStreams to union is empty") or different slide durations.
    pub fn union<T: Data>(&self, streams: Vec<DStream<T>>) -> DStream<T> {
        assert!(!streams.is_empty(), "requirement failed: List of DStreams to union is empty");
        assert_same_slide(&streams.iter().map(DStream::slide_duration).collect::<Vec<_>>());
        DStream::from_op(self, UnionDStream { parents: streams })
    }
}

impl<T: Data> DStream<T> {
    /// Per batch, this stream's records then `other`'s.
    ///
    /// ```
    /// use ember_streaming::testing::run_operation;
    /// let out = run_operation(vec![vec![1, 2]], 1, |s| s.union(&s.map(|x| x + 4))).unwrap();
    /// assert_eq!(out, vec![vec![1, 2, 5, 6]]);
    /// ```
    pub fn union(&self, other: &DStream<T>) -> DStream<T> {
        self.context().union(vec![self.clone(), other.clone()])
    }
}
