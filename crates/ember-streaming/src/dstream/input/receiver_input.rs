//! `ReceiverInputDStream`: each batch is the blocks a receiver stored since the last batch,
//! one partition per block (Spark's `ReceiverInputDStream` and `BlockRDD`).

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
        let blocks = self.supervisor.take_blocks();
        if let Some(ssc) = self.ssc.upgrade() {
            ssc.report_input(time, self.supervisor.shared.stream_id, blocks.iter().map(|b| b.records()).sum());
        }
        Ok(Some(self.ctx.block_rdd(blocks)))
    }
    fn name(&self) -> &'static str {
        "ReceiverInputDStream"
    }
}

impl StreamingContext {
    /// A stream fed by a custom [`Receiver`], started with the context on its own threads.
    pub fn receiver_stream<T: Data>(&self, receiver: impl Receiver<T>) -> DStream<T> {
        let conf = self.spark_context().conf();
        let block_interval = match conf.get_duration("spark.streaming.blockInterval", Duration::from_millis(1)) {
            Ok(Some(d)) if !d.is_zero() => d,
            Ok(_) => {
                self.inner.config_error(Error::IllegalArgument(
                    "'spark.streaming.blockInterval' should be a positive value".into(),
                ));
                Duration::from_millis(200)
            }
            Err(e) => {
                self.inner.config_error(e);
                Duration::from_millis(200)
            }
        };
        let max_rate = conf.get_usize_opt("spark.streaming.receiver.maxRate").unwrap_or_else(|e| {
            self.inner.config_error(e);
            None
        });
        let max_block_records = match conf.get_usize("ember.streaming.blockMaxRecords") {
            Ok(0) => {
                self.inner.config_error(Error::IllegalArgument(
                    "'ember.streaming.blockMaxRecords' should be a positive value".into(),
                ));
                usize::MAX
            }
            Ok(n) => n,
            Err(e) => {
                self.inner.config_error(e);
                usize::MAX
            }
        };
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
