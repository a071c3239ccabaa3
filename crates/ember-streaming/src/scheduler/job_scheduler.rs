//! `JobScheduler`: runs each batch's jobs, in batch order then output-operation order, on a
//! fixed pool of threads; reports failures and completed batches.

use super::Job;
use crate::Time;
use crossbeam_channel::Sender;
use ember_core::{Error, Result};
use parking_lot::Mutex;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

struct JobSet {
    time: Time,
    remaining: AtomicUsize,
    failed: AtomicBool,
}

type Queued = (Arc<JobSet>, usize, Job);

/// Called with each failed job's error, and once per batch when all its jobs are done.
pub(crate) struct SchedulerCallbacks {
    pub on_error: Box<dyn Fn(Error) + Send + Sync>,
    pub on_batch_done: Box<dyn Fn(Time, bool) + Send + Sync>,
}

pub(crate) struct JobScheduler {
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

impl JobScheduler {
    pub(crate) fn start(threads: usize, callbacks: SchedulerCallbacks) -> Result<JobScheduler> {
        let (sender, receiver) = crossbeam_channel::unbounded::<Queued>();
        let callbacks = Arc::new(callbacks);
        let skip_queued = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for i in 0..threads.max(1) {
            let (rx, cb, skip) = (receiver.clone(), callbacks.clone(), skip_queued.clone());
            let worker = std::thread::Builder::new()
                .name(format!("streaming-job-executor-{i}"))
                .spawn(move || {
                    while let Ok((set, op_id, job)) = rx.recv() {
                        if !skip.load(Ordering::SeqCst) {
                            let result = catch_unwind(AssertUnwindSafe(job.run))
                                .unwrap_or_else(|p| Err(Error::IllegalState(format!("panic: {}", panic_text(p)))));
                            if let Err(e) = result {
                                tracing::error!(
                                    "Error running job streaming job {} ms.{op_id}: {e}",
                                    set.time.millis()
                                );
                                set.failed.store(true, Ordering::SeqCst);
                                (cb.on_error)(e);
                            }
                        }
                        if set.remaining.fetch_sub(1, Ordering::SeqCst) == 1 {
                            (cb.on_batch_done)(set.time, set.failed.load(Ordering::SeqCst));
                        }
                    }
                })
                .map_err(|e| Error::io("starting a streaming job thread", e))?;
            workers.push(worker);
        }
        Ok(JobScheduler { sender: Mutex::new(Some(sender)), workers: Mutex::new(workers), skip_queued })
    }

    /// Queues a batch's jobs (at least one).
    pub(crate) fn submit(&self, time: Time, jobs: Vec<Job>) {
        let set = Arc::new(JobSet { time, remaining: AtomicUsize::new(jobs.len()), failed: AtomicBool::new(false) });
        if let Some(sender) = &*self.sender.lock() {
            for (op_id, job) in jobs.into_iter().enumerate() {
                let _ = sender.send((set.clone(), op_id, job));
            }
        }
    }

    /// Stops taking jobs; graceful runs every queued job first, otherwise only running ones end.
    pub(crate) fn stop(&self, graceful: bool) {
        if !graceful {
            self.skip_queued.store(true, Ordering::SeqCst);
        }
        self.sender.lock().take();
        for worker in self.workers.lock().drain(..) {
            let _ = worker.join();
        }
    }
}
