//! `ReceiverInputDStream`: each batch is the blocks its receiver stored before the batch was
//! generated, as the context's `ReceivedBlockTracker` allocated them, one partition per block
//! (Spark's `ReceiverInputDStream` and `BlockRDD`).

use crate::context::SscInner;
use crate::dstream::{AnyDStream, DStream, DStreamOp};
use crate::receiver::{BlockGenerator, Receiver, Supervisor};
use crate::{StreamingContext, Time};
use ember_core::{Context, Data, Error, Rdd, Result};
use std::sync::{Arc, Weak};
use std::time::Duration;

struct ReceiverInputDStream<T: Data> {
    ctx: Context,
    ssc: Weak<SscInner>,
    supervisor: Arc<Supervisor<T>>,
    batch: Duration,
}

impl<T: Data> DStreamOp<T> for ReceiverInputDStream<T> {
    fn slide_duration(&self) -> Duration {
        self.batch
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        Vec::new()
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let stream = self.supervisor.shared.stream_id;
        let blocks = self.ssc.upgrade().map(|ssc| ssc.block_tracker.blocks_of_batch(time, stream)).unwrap_or_default();
        Ok(Some(self.ctx.block_rdd(blocks)))
    }
    fn name(&self) -> &'static str {
        "ReceiverInputDStream"
    }
    fn initialize(&self, _zero_time: Time) {
        self.supervisor.mark_used();
    }
    fn clear_metadata(&self, threshold: Time) {
        if let Some(ssc) = self.ssc.upgrade() {
            ssc.block_tracker.cleanup_old_batches(self.supervisor.shared.stream_id, threshold);
        }
    }
}

impl StreamingContext {
    /// The value `read` for `key` if it is set and not zero. Otherwise start will fail with the
    /// problem ("'key' should be a positive value", or the parse error), and `fallback` stands
    /// in until then.
    pub(super) fn positive_conf<V>(
        &self,
        key: &str,
        read: Result<Option<V>>,
        is_zero: impl Fn(&V) -> bool,
        fallback: V,
    ) -> V {
        match read {
            Ok(Some(value)) if !is_zero(&value) => value,
            Ok(_) => {
                self.inner.config_error(Error::IllegalArgument(format!("'{key}' should be a positive value")));
                fallback
            }
            Err(e) => {
                self.inner.config_error(e);
                fallback
            }
        }
    }

    /// A stream fed by a custom [`Receiver`], started with the context on its own threads.
    pub fn receiver_stream<T: Data>(&self, receiver: impl Receiver<T>) -> DStream<T> {
        let conf = self.spark_context().conf();
        let interval_key = "spark.streaming.blockInterval";
        let block_interval = self.positive_conf(
            interval_key,
            conf.get_duration(interval_key, Duration::from_millis(1)),
            Duration::is_zero,
            Duration::from_millis(200),
        );
        let max_rate = conf.get_usize_opt("spark.streaming.receiver.maxRate").unwrap_or_else(|e| {
            self.inner.config_error(e);
            None
        });
        let records_key = "ember.streaming.blockMaxRecords";
        let max_block_records =
            self.positive_conf(records_key, conf.get_usize_opt(records_key), |n| *n == 0, usize::MAX);
        let restart_delay = conf
            .get_duration("spark.streaming.receiverRestartDelay", Duration::from_millis(1))
            .unwrap_or_else(|e| {
                self.inner.config_error(e);
                None
            })
            .unwrap_or(Duration::from_millis(2000));
        let stream_id = self.inner.new_input_stream_id();
        let (ctx, level) = (self.spark_context().clone(), receiver.storage_level());
        let store = Box::new(move |block| ctx.put_input_block(stream_id, block, level));
        let supervisor = Arc::new(Supervisor::new(
            stream_id,
            Box::new(receiver),
            BlockGenerator::new(store, max_rate.map(|r| r as u64), max_block_records),
            block_interval,
            self.inner.clock.clone(),
            restart_delay,
            {
                let ssc = Arc::downgrade(&self.inner);
                Box::new(move |event| {
                    if let Some(ssc) = ssc.upgrade() {
                        ssc.listeners.post(event);
                    }
                })
            },
        ));
        self.inner.register_receiver(supervisor.clone());
        let op = ReceiverInputDStream {
            ctx: self.spark_context().clone(),
            ssc: Arc::downgrade(&self.inner),
            supervisor,
            batch: self.batch_duration(),
        };
        DStream::from_op(self, op)
    }
}
