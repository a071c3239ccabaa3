//! Receivers: long-running sources that push records into a stream (Spark's `Receiver` API).
//!
//! A [`Receiver`] is started by a supervisor on its own threads (never on executor task
//! slots, so `local[1]` works with a receiver). Records it stores are buffered and cut into a
//! block every `spark.streaming.blockInterval`, kept in the block store at the receiver's
//! [`storage_level`](Receiver::storage_level); each batch takes the blocks received so far,
//! one partition per block.

mod block_generator;
mod supervisor;

pub(crate) use block_generator::BlockGenerator;
pub(crate) use supervisor::{ReceiverControl, Supervisor};

use ember_core::{Data, StorageLevel};
use std::sync::Arc;

/// A source of records for [`StreamingContext::receiver_stream`](crate::StreamingContext::receiver_stream).
///
/// Spark's `store`, `restart`, `isStopped`, … are methods of the receiver there; here they
/// are on the [`ReceiverContext`] handed to `on_start`, which threads may clone and keep.
///
/// ```
/// use ember_streaming::receiver::{Receiver, ReceiverContext};
/// /// Counts from 0 until stopped.
/// struct Counter;
/// impl Receiver<u64> for Counter {
///     fn on_start(&mut self, ctx: ReceiverContext<u64>) {
///         std::thread::spawn(move || {
///             let mut i = 0;
///             while !ctx.is_stopped() {
///                 ctx.store(i);
///                 i += 1;
///                 std::thread::sleep(std::time::Duration::from_millis(1));
///             }
///         });
///     }
///     fn on_stop(&mut self) {}
/// }
/// ```
pub trait Receiver<T: Data>: Send + 'static {
    /// Starts receiving. Must not block: start threads that call `ctx.store`.
    fn on_start(&mut self, ctx: ReceiverContext<T>);
    /// Stops receiving: release what `on_start` acquired (called on stop and on restart).
    fn on_stop(&mut self);
    /// How received blocks are kept until their batch is done: serialized in memory, spilling to
    /// disk when memory is short, unless the receiver says otherwise (Spark's socket default,
    /// `MEMORY_AND_DISK_SER_2`, without the replica that needs a cluster).
    fn storage_level(&self) -> StorageLevel {
        StorageLevel::MEMORY_AND_DISK_SER
    }
}

/// What a running receiver uses to hand over records and report trouble.
pub struct ReceiverContext<T: Data> {
    pub(crate) shared: Arc<supervisor::Shared<T>>,
    pub(crate) generation: u64,
}

impl<T: Data> Clone for ReceiverContext<T> {
    fn clone(&self) -> Self {
        ReceiverContext { shared: self.shared.clone(), generation: self.generation }
    }
}

impl<T: Data> ReceiverContext<T> {
    /// Stores one record (rate-limited by `spark.streaming.receiver.maxRate`); it joins the
    /// block being filled.
    pub fn store(&self, record: T) {
        if !self.is_stopped() {
            self.shared.store(record);
        }
    }

    /// Stores several records at once as one block.
    pub fn store_many(&self, records: Vec<T>) {
        if !self.is_stopped() {
            self.shared.store_block(records);
        }
    }

    /// Reports a problem (visible in `receiver_infos` and the logs); receiving continues.
    pub fn report_error(&self, message: &str) {
        self.shared.report_error(message);
    }

    /// Restarts the receiver: `on_stop`, a pause of `spark.streaming.receiverRestartDelay`,
    /// then `on_start`. Returns at once.
    pub fn restart(&self, message: &str) {
        if !self.is_stopped() {
            supervisor::Shared::restart(&self.shared, message);
        }
    }

    /// Stops the receiver for good.
    pub fn stop(&self, message: &str) {
        if !self.is_stopped() {
            supervisor::Shared::stop(&self.shared, message);
        }
    }

    /// True once this receiver was stopped or restarted: receiving loops should end.
    pub fn is_stopped(&self) -> bool {
        self.shared.is_stopped(self.generation)
    }

    /// The id of the input stream this receiver feeds.
    pub fn stream_id(&self) -> usize {
        self.shared.stream_id
    }
}

/// A receiver's state, as Spark's `ReceiverInfo` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiverInfo {
    /// The input stream's id.
    pub stream_id: usize,
    /// Receiving now (not stopped, not between restarts).
    pub active: bool,
    /// Records stored so far.
    pub records: u64,
    /// Errors reported so far (for sockets: undecodable lines, lost connections).
    pub errors: u64,
    /// Times the receiver was restarted.
    pub restarts: u64,
    /// The last error reported, or empty.
    pub last_error_message: String,
}
