//! Running batches, and the events they produce: the `JobGenerator` turns each batch time into jobs (one per output
//! operation), the `JobScheduler` runs them in order on `spark.streaming.concurrentJobs` threads.

mod job_generator;
mod job_scheduler;
pub mod listener;
mod received_block_tracker;

pub(crate) use job_generator::JobGenerator;
pub(crate) use job_scheduler::JobScheduler;
pub(crate) use received_block_tracker::ReceivedBlockTracker;

use ember_core::Result;

/// One output operation's work for one batch.
pub(crate) struct Job {
    name: String,
    run: Box<dyn FnOnce() -> Result<()> + Send>,
}

impl Job {
    pub(crate) fn new(name: String, run: impl FnOnce() -> Result<()> + Send + 'static) -> Job {
        Job { name, run: Box::new(run) }
    }
}

use crate::context::SscInner;
use std::cell::Cell;
use std::sync::Weak;

thread_local! {
    /// Set on the batch timer's and the job scheduler's threads.
    static STREAMING_THREAD: Cell<bool> = const { Cell::new(false) };
}

/// Marks the calling thread as one a `stop` waits for.
pub(crate) fn mark_streaming_thread() {
    STREAMING_THREAD.with(|t| t.set(true));
}

/// Whether the caller runs on a thread a `stop` waits for (a job or the batch timer): such a
/// caller must never wait for a `stop` in turn.
pub(crate) fn on_streaming_thread() -> bool {
    STREAMING_THREAD.with(Cell::get)
}

/// Wires the scheduler's failures and completed batches back to the context.
pub(crate) fn job_scheduler_callbacks(ssc: Weak<SscInner>) -> job_scheduler::SchedulerCallbacks {
    let (on_done, on_event) = (ssc.clone(), ssc.clone());
    job_scheduler::SchedulerCallbacks {
        on_event: Box::new(move |e| {
            if let Some(ssc) = on_event.upgrade() {
                ssc.listeners.post(e);
            }
        }),
        on_error: Box::new(move |e| {
            if let Some(ssc) = ssc.upgrade() {
                ssc.report_error(e);
            }
        }),
        on_batch_done: Box::new(move |time, failed| {
            if let Some(ssc) = on_done.upgrade() {
                ssc.batch_done(time, failed);
            }
        }),
    }
}
