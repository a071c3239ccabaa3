//! `StreamingListener`: batch, output-operation and lifecycle events, with Spark's
//! `BatchInfo` and `OutputOperationInfo` (delays in milliseconds).

use crate::receiver::ReceiverInfo;
use crate::Time;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One output operation's run in one batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputOperationInfo {
    /// The batch.
    pub batch_time: Time,
    /// Position among the batch's jobs (0, 1, … in registration order).
    pub id: usize,
    /// Where the operation was registered, e.g. `foreach_rdd at src/main.rs:12`.
    pub name: String,
    /// A longer description (the same here).
    pub description: String,
    /// Start, epoch ms.
    pub start_time_ms: Option<u64>,
    /// End, epoch ms.
    pub end_time_ms: Option<u64>,
    /// The error if the job failed.
    pub failure_reason: Option<String>,
}

impl OutputOperationInfo {
    /// End minus start, when both are known.
    pub fn duration_ms(&self) -> Option<u64> {
        Some(self.end_time_ms?.saturating_sub(self.start_time_ms?))
    }
}

/// A batch's timings and input, as Spark's `BatchInfo`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BatchInfo {
    /// The batch time.
    pub batch_time: Time,
    /// Records per input stream id in this batch (receiver streams).
    pub stream_id_to_num_records: BTreeMap<usize, u64>,
    /// When the batch's jobs were submitted, epoch ms.
    pub submission_time_ms: u64,
    /// When its first job started.
    pub processing_start_time_ms: Option<u64>,
    /// When its last job ended.
    pub processing_end_time_ms: Option<u64>,
    /// Each output operation's run.
    pub output_operation_infos: BTreeMap<usize, OutputOperationInfo>,
}

impl BatchInfo {
    /// Time the batch waited for the scheduler: processing start − submission.
    pub fn scheduling_delay_ms(&self) -> Option<u64> {
        Some(self.processing_start_time_ms?.saturating_sub(self.submission_time_ms))
    }
    /// Time the jobs took: processing end − processing start.
    pub fn processing_delay_ms(&self) -> Option<u64> {
        Some(self.processing_end_time_ms?.saturating_sub(self.processing_start_time_ms?))
    }
    /// Scheduling delay + processing delay.
    pub fn total_delay_ms(&self) -> Option<u64> {
        Some(self.scheduling_delay_ms()? + self.processing_delay_ms()?)
    }
    /// Records across all input streams.
    pub fn num_records(&self) -> u64 {
        self.stream_id_to_num_records.values().sum()
    }
}

/// A file an input stream listed but could not read, and so skipped (a file stream's dangling
/// symlink, say). Reported once while the file stays listed with the same problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedInputFile {
    /// The input stream that skipped it.
    pub stream_id: usize,
    /// The batch whose listing found it.
    pub batch_time: Time,
    /// The file (the directory itself when the listing could not name the entry).
    pub path: PathBuf,
    /// Why it could not be read, e.g. `No such file or directory (os error 2)`.
    pub reason: String,
}

/// A streaming event (Spark's `StreamingListenerEvent`s).
#[derive(Debug, Clone)]
pub enum StreamingEvent {
    /// The context started (epoch ms).
    StreamingStarted(u64),
    /// A receiver started (also after a restart).
    ReceiverStarted(ReceiverInfo),
    /// A receiver reported an error (`last_error_message` says which).
    ReceiverError(ReceiverInfo),
    /// A receiver stopped (also before a restart).
    ReceiverStopped(ReceiverInfo),
    /// A batch's jobs were submitted.
    BatchSubmitted(BatchInfo),
    /// A batch's first job started.
    BatchStarted(BatchInfo),
    /// A batch's jobs all finished (also when some failed).
    BatchCompleted(BatchInfo),
    /// An output operation's job started.
    OutputOperationStarted(OutputOperationInfo),
    /// An output operation's job finished.
    OutputOperationCompleted(OutputOperationInfo),
    /// An input stream skipped a file it could not read (Ember's; Spark only logs).
    InputFileSkipped(SkippedInputFile),
}

/// Receives streaming events on the listener thread, in order. Every method defaults to
/// doing nothing.
///
/// ```
/// use ember_streaming::scheduler::listener::{BatchInfo, StreamingListener};
/// struct Delays;
/// impl StreamingListener for Delays {
///     fn on_batch_completed(&self, batch: &BatchInfo) {
///         println!("{} took {:?} ms", batch.batch_time, batch.total_delay_ms());
///     }
/// }
/// ```
pub trait StreamingListener: Send + Sync + 'static {
    /// See [`StreamingEvent::StreamingStarted`].
    fn on_streaming_started(&self, _time_ms: u64) {}
    /// See [`StreamingEvent::ReceiverStarted`].
    fn on_receiver_started(&self, _receiver: &ReceiverInfo) {}
    /// See [`StreamingEvent::ReceiverError`].
    fn on_receiver_error(&self, _receiver: &ReceiverInfo) {}
    /// See [`StreamingEvent::ReceiverStopped`].
    fn on_receiver_stopped(&self, _receiver: &ReceiverInfo) {}
    /// See [`StreamingEvent::BatchSubmitted`].
    fn on_batch_submitted(&self, _batch: &BatchInfo) {}
    /// See [`StreamingEvent::BatchStarted`].
    fn on_batch_started(&self, _batch: &BatchInfo) {}
    /// See [`StreamingEvent::BatchCompleted`].
    fn on_batch_completed(&self, _batch: &BatchInfo) {}
    /// See [`StreamingEvent::OutputOperationStarted`].
    fn on_output_operation_started(&self, _op: &OutputOperationInfo) {}
    /// See [`StreamingEvent::OutputOperationCompleted`].
    fn on_output_operation_completed(&self, _op: &OutputOperationInfo) {}
    /// See [`StreamingEvent::InputFileSkipped`].
    fn on_input_file_skipped(&self, _file: &SkippedInputFile) {}
}

impl StreamingEvent {
    pub(crate) fn deliver(&self, listener: &dyn StreamingListener) {
        match self {
            StreamingEvent::StreamingStarted(t) => listener.on_streaming_started(*t),
            StreamingEvent::ReceiverStarted(r) => listener.on_receiver_started(r),
            StreamingEvent::ReceiverError(r) => listener.on_receiver_error(r),
            StreamingEvent::ReceiverStopped(r) => listener.on_receiver_stopped(r),
            StreamingEvent::BatchSubmitted(b) => listener.on_batch_submitted(b),
            StreamingEvent::BatchStarted(b) => listener.on_batch_started(b),
            StreamingEvent::BatchCompleted(b) => listener.on_batch_completed(b),
            StreamingEvent::OutputOperationStarted(o) => listener.on_output_operation_started(o),
            StreamingEvent::OutputOperationCompleted(o) => listener.on_output_operation_completed(o),
            StreamingEvent::InputFileSkipped(f) => listener.on_input_file_skipped(f),
        }
    }
}
