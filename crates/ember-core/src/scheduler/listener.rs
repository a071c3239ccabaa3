//! Scheduler events (job, stage and task start/end) and the asynchronous bus that delivers
//! them to listeners, as Spark's `SparkListener` / `LiveListenerBus`.

/// A job was submitted.
#[derive(Debug, Clone)]
pub struct JobStart {
    /// Job id, increasing from 0 within the context.
    pub job_id: usize,
    /// Epoch milliseconds.
    pub time_ms: u64,
}

/// A job finished; `error` holds the failure message if it failed.
#[derive(Debug, Clone)]
pub struct JobEnd {
    /// Job id.
    pub job_id: usize,
    /// Epoch milliseconds.
    pub time_ms: u64,
    /// `None` on success.
    pub error: Option<String>,
}

/// A stage's tasks were submitted.
#[derive(Debug, Clone)]
pub struct StageSubmitted {
    /// Stage id.
    pub stage_id: usize,
    /// The job it belongs to.
    pub job_id: usize,
    /// `ShuffleMapStage` or `ResultStage`, with the RDD it computes.
    pub name: String,
    /// Number of tasks.
    pub num_tasks: usize,
}

/// A stage finished.
#[derive(Debug, Clone)]
pub struct StageCompleted {
    /// Stage id.
    pub stage_id: usize,
    /// The job it belongs to.
    pub job_id: usize,
    /// Same as in `StageSubmitted`.
    pub name: String,
    /// Number of tasks.
    pub num_tasks: usize,
    /// Wall time from submission to completion, in milliseconds.
    pub duration_ms: u64,
    /// `None` on success.
    pub failure: Option<String>,
}

/// A task attempt started.
#[derive(Debug, Clone)]
pub struct TaskStart {
    /// Stage id.
    pub stage_id: usize,
    /// Partition index.
    pub partition: usize,
    /// Attempt number (0 first).
    pub attempt: usize,
    /// Unique task attempt id.
    pub task_id: u64,
}

/// A task attempt ended, with its timing and record counts.
#[derive(Debug, Clone)]
pub struct TaskEnd {
    /// Stage id.
    pub stage_id: usize,
    /// Partition index.
    pub partition: usize,
    /// Attempt number (0 first).
    pub attempt: usize,
    /// Unique task attempt id.
    pub task_id: u64,
    /// Run time in microseconds.
    pub duration_us: u64,
    /// Records the task pulled from the end of its pipeline.
    pub records_read: u64,
    /// Records written to shuffle buckets (map tasks).
    pub shuffle_records_written: u64,
    /// Bytes spilled to `spark.local.dir` by this task.
    pub shuffle_bytes_spilled: u64,
    /// `None` on success, else the failure message (for a panic, its message).
    pub error: Option<String>,
}

/// One scheduler event.
#[derive(Debug, Clone)]
pub enum SchedulerEvent {
    /// See [`JobStart`].
    JobStart(JobStart),
    /// See [`JobEnd`].
    JobEnd(JobEnd),
    /// See [`StageSubmitted`].
    StageSubmitted(StageSubmitted),
    /// See [`StageCompleted`].
    StageCompleted(StageCompleted),
    /// See [`TaskStart`].
    TaskStart(TaskStart),
    /// See [`TaskEnd`].
    TaskEnd(TaskEnd),
}

/// Receives scheduler events on the bus thread, in the order they were posted.
///
/// ```
/// use ember_core::{listener::{SchedulerEvent, SparkListener}, Context};
/// use std::sync::{Arc, atomic::{AtomicUsize, Ordering}};
/// struct CountTasks(AtomicUsize);
/// impl SparkListener for CountTasks {
///     fn on_event(&self, e: &SchedulerEvent) {
///         if let SchedulerEvent::TaskEnd(_) = e { self.0.fetch_add(1, Ordering::SeqCst); }
///     }
/// }
/// let ctx = Context::local(2).unwrap();
/// let l = Arc::new(CountTasks(AtomicUsize::new(0)));
/// ctx.add_listener(l.clone());
/// ctx.parallelize(vec![1, 2, 3], 3).count().unwrap();
/// ctx.wait_for_listeners();
/// assert_eq!(l.0.load(Ordering::SeqCst), 3);
/// ```
pub trait SparkListener: Send + Sync + 'static {
    /// Called once per event.
    fn on_event(&self, event: &SchedulerEvent);
}

/// Scheduler events go through an [`EventBus`] (defined in `event_bus.rs`).
pub(crate) type ListenerBus = crate::event_bus::EventBus<SchedulerEvent>;

/// Epoch milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}
