//! `queue_stream`: batches taken from a queue of RDDs (Spark's `QueueInputDStream`).

use crate::dstream::{AnyDStream, DStream, DStreamOp};
use crate::{StreamingContext, Time};
use ember_core::{Context, Data, Rdd, Result};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

/// A queue of RDDs feeding a `queue_stream`; push to it while the stream runs.
///
/// ```
/// # let ctx = ember_core::Context::local(2).unwrap();
/// let queue = ember_streaming::RddQueue::new();
/// queue.push(ctx.parallelize(vec![1, 2, 3], 1));
/// assert_eq!(queue.len(), 1);
/// ```
pub struct RddQueue<T: Data>(Arc<Mutex<VecDeque<Rdd<T>>>>);

impl<T: Data> Clone for RddQueue<T> {
    fn clone(&self) -> Self {
        RddQueue(self.0.clone())
    }
}

impl<T: Data> Default for RddQueue<T> {
    fn default() -> Self {
        RddQueue(Arc::default())
    }
}

impl<T: Data> RddQueue<T> {
    /// An empty queue.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds an RDD at the back.
    pub fn push(&self, rdd: Rdd<T>) {
        self.0.lock().push_back(rdd);
    }
    /// RDDs waiting.
    pub fn len(&self) -> usize {
        self.0.lock().len()
    }
    /// Whether no RDD is waiting.
    pub fn is_empty(&self) -> bool {
        self.0.lock().is_empty()
    }
}

struct QueueInputDStream<T: Data> {
    ctx: Context,
    queue: RddQueue<T>,
    one_at_a_time: bool,
    default: Option<Rdd<T>>,
    batch: Duration,
}

impl<T: Data> DStreamOp<T> for QueueInputDStream<T> {
    fn slide_duration(&self) -> Duration {
        self.batch
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        Vec::new()
    }
    fn compute(&self, _time: Time) -> Result<Option<Rdd<T>>> {
        let taken: Vec<Rdd<T>> = {
            let mut queue = self.queue.0.lock();
            if self.one_at_a_time {
                queue.pop_front().into_iter().collect()
            } else {
                queue.drain(..).collect()
            }
        };
        Ok(Some(match taken.len() {
            0 => self.default.clone().unwrap_or_else(|| self.ctx.empty_rdd()),
            1 => taken.into_iter().next().expect("one RDD"),
            _ => self.ctx.union(taken),
        }))
    }
    fn name(&self) -> &'static str {
        "QueueInputDStream"
    }
}

impl StreamingContext {
    /// A stream whose batches are RDDs taken from `queue`: one per batch if `one_at_a_time`,
    /// else all queued RDDs unioned. A batch with an empty queue is an empty RDD.
    pub fn queue_stream<T: Data>(&self, queue: &RddQueue<T>, one_at_a_time: bool) -> DStream<T> {
        self.queue_stream_with_default(queue, one_at_a_time, None)
    }

    /// [`queue_stream`](Self::queue_stream) with the RDD to use when the queue is empty.
    pub fn queue_stream_with_default<T: Data>(
        &self,
        queue: &RddQueue<T>,
        one_at_a_time: bool,
        default: Option<Rdd<T>>,
    ) -> DStream<T> {
        self.inner.new_input_stream_id();
        let op = QueueInputDStream {
            ctx: self.spark_context().clone(),
            queue: queue.clone(),
            one_at_a_time,
            default,
            batch: self.batch_duration(),
        };
        DStream::from_op(self, op)
    }
}
