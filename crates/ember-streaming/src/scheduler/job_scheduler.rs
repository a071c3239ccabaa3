//! `JobScheduler`: runs each batch's jobs, in batch order then output-operation order, on a
//! fixed pool of threads; reports failures and completed batches.

use super::listener::{BatchInfo, OutputOperationInfo, StreamingEvent};
use super::Job;
use crate::Time;
use crossbeam_channel::{Sender, TrySendError};
use ember_core::listener::now_ms;
use ember_core::{Error, Result};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

struct JobSet {
    time: Time,
    remaining: AtomicUsize,
    failed: AtomicBool,
    /// A job of this batch was dropped by a non-graceful stop: the batch did not run.
    skipped: AtomicBool,
    info: Mutex<BatchInfo>,
}

type Queued = (Arc<JobSet>, usize, Job);

/// Called with each failed job's error, and once per batch when all its jobs are done.
pub(crate) struct SchedulerCallbacks {
    pub on_event: Box<dyn Fn(StreamingEvent) + Send + Sync>,
    pub on_error: Box<dyn Fn(Error) + Send + Sync>,
    pub on_batch_done: Box<dyn Fn(Time, bool) + Send + Sync>,
}

pub(crate) struct JobScheduler {
    callbacks: Arc<SchedulerCallbacks>,
    sender: Mutex<Option<Sender<Queued>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    skip_queued: Arc<AtomicBool>,
}

fn panic_text(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "panic with a non-string payload".into())
}

/// Runs one job, recording its times and outcome and posting the events around it.
fn run_job(set: &JobSet, op_id: usize, job: Job, cb: &SchedulerCallbacks) {
    let started = now_ms();
    let (batch_started, op) = {
        let mut info = set.info.lock();
        let first = info.processing_start_time_ms.is_none();
        info.processing_start_time_ms.get_or_insert(started);
        let op = info.output_operation_infos.get_mut(&op_id).expect("op info per job");
        op.start_time_ms = Some(started);
        (first.then(|| info.clone()), info.output_operation_infos[&op_id].clone())
    };
    if let Some(batch) = batch_started {
        (cb.on_event)(StreamingEvent::BatchStarted(batch));
    }
    (cb.on_event)(StreamingEvent::OutputOperationStarted(op));
    let result = catch_unwind(AssertUnwindSafe(job.run))
        .unwrap_or_else(|p| Err(Error::IllegalState(format!("panic: {}", panic_text(p)))));
    let completed = {
        let mut info = set.info.lock();
        let op = info.output_operation_infos.get_mut(&op_id).expect("op info per job");
        op.end_time_ms = Some(now_ms());
        op.failure_reason = result.as_ref().err().map(ToString::to_string);
        op.clone()
    };
    (cb.on_event)(StreamingEvent::OutputOperationCompleted(completed));
    if let Err(e) = result {
        tracing::error!("Error running job streaming job {} ms.{op_id}: {e}", set.time.millis());
        set.failed.store(true, Ordering::SeqCst);
        (cb.on_error)(e);
    }
}

impl JobScheduler {
    /// Starts `threads` workers; at most `capacity` jobs wait in the queue (then `submit` waits).
    pub(crate) fn start(threads: usize, capacity: usize, callbacks: SchedulerCallbacks) -> Result<JobScheduler> {
        let (sender, receiver) = crossbeam_channel::bounded::<Queued>(capacity.max(1));
        let callbacks = Arc::new(callbacks);
        let skip_queued = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let (rx, cb, skip) = (receiver.clone(), callbacks.clone(), skip_queued.clone());
            let worker = std::thread::Builder::new()
                .name(format!("streaming-job-executor-{i}"))
                .spawn(move || {
                    super::mark_streaming_thread();
                    while let Ok((set, op_id, job)) = rx.recv() {
                        if skip.load(Ordering::SeqCst) {
                            set.skipped.store(true, Ordering::SeqCst);
                        } else {
                            run_job(&set, op_id, job, &cb);
                        }
                        if set.remaining.fetch_sub(1, Ordering::SeqCst) != 1 {
                            continue;
                        }
                        if set.skipped.load(Ordering::SeqCst) {
                            // Never reported as completed, nor as processed: it did not run.
                            tracing::warn!(
                                "Batch {} did not complete: the StreamingContext stopped without running its queued jobs (stop gracefully to process every generated batch)",
                                set.time
                            );
                        } else {
                            let info = {
                                let mut info = set.info.lock();
                                info.processing_end_time_ms = Some(now_ms());
                                info.clone()
                            };
                            (cb.on_event)(StreamingEvent::BatchCompleted(info));
                            (cb.on_batch_done)(set.time, set.failed.load(Ordering::SeqCst));
                        }
                    }
                })
                .map_err(|e| Error::io("starting a streaming job thread", e))?;
            workers.push(worker);
        }
        Ok(JobScheduler { callbacks, sender: Mutex::new(Some(sender)), workers: Mutex::new(workers), skip_queued })
    }

    /// Queues a batch's jobs (at least one) and posts `BatchSubmitted`.
    pub(crate) fn submit(&self, time: Time, jobs: Vec<Job>, records: BTreeMap<usize, u64>) {
        let info = BatchInfo {
            batch_time: time,
            stream_id_to_num_records: records,
            submission_time_ms: now_ms(),
            processing_start_time_ms: None,
            processing_end_time_ms: None,
            output_operation_infos: jobs
                .iter()
                .enumerate()
                .map(|(id, job)| {
                    let op = OutputOperationInfo {
                        batch_time: time,
                        id,
                        name: job.name.clone(),
                        description: job.name.clone(),
                        start_time_ms: None,
                        end_time_ms: None,
                        failure_reason: None,
                    };
                    (id, op)
                })
                .collect(),
        };
        (self.callbacks.on_event)(StreamingEvent::BatchSubmitted(info.clone()));
        let set = Arc::new(JobSet {
            time,
            remaining: AtomicUsize::new(jobs.len()),
            failed: AtomicBool::new(false),
            skipped: AtomicBool::new(false),
            info: Mutex::new(info),
        });
        let Some(sender) = self.sender.lock().clone() else { return };
        for (op_id, job) in jobs.into_iter().enumerate() {
            // A full queue makes batch generation wait here, so jobs never pile up without
            // limit when output operations are slower than the batch interval.
            if let Err(TrySendError::Full(queued)) = sender.try_send((set.clone(), op_id, job)) {
                tracing::warn!(
                    "The job queue is full ({} jobs): the batch of {time} waits for a job to complete (output operations are slower than the batch interval)",
                    sender.capacity().unwrap_or(0)
                );
                let _ = sender.send(queued);
            }
        }
    }

    /// Makes workers skip the jobs still queued (a non-graceful stop), so a batch generation
    /// waiting for room in a full queue gets it at once.
    pub(crate) fn drop_queued_jobs(&self) {
        self.skip_queued.store(true, Ordering::SeqCst);
    }

    /// Stops taking jobs; graceful runs every queued job first, otherwise only running ones end
    /// and the batches of the dropped jobs are reported as not run.
    pub(crate) fn stop(&self, graceful: bool) {
        if !graceful {
            self.drop_queued_jobs();
        }
        self.sender.lock().take();
        // A job that stops the context is not waited for by itself: its thread goes on to
        // finish the queue (graceful) or skip it, then ends.
        let me = std::thread::current().id();
        for worker in std::mem::take(&mut *self.workers.lock()) {
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
    }
}
