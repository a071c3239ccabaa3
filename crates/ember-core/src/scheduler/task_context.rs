//! `TaskContext`: what a running task knows about itself.

use crate::rdd::Chunks;
use std::cell::RefCell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counters a task fills in while it runs; reported in its `TaskEnd` event.
#[derive(Debug, Default)]
pub(crate) struct TaskMetrics {
    pub records_read: AtomicU64,
    pub shuffle_records_written: AtomicU64,
    pub shuffle_bytes_spilled: AtomicU64,
}

impl TaskMetrics {
    pub(crate) fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// Identity of the running task: stage, partition and attempt (Spark's `TaskContext`).
///
/// ```
/// # let ctx = ember_core::Context::local(2).unwrap();
/// use ember_core::TaskContext;
/// let ids = ctx.parallelize(vec![0, 0, 0], 3)
///     .map(|_| TaskContext::get().map(|tc| tc.partition_id()).unwrap())
///     .collect().unwrap();
/// assert_eq!(ids, vec![0, 1, 2]);
/// assert!(TaskContext::get().is_none()); // not inside a task
/// ```
#[derive(Debug, Clone)]
pub struct TaskContext {
    stage_id: usize,
    partition_id: usize,
    attempt_number: usize,
    task_attempt_id: u64,
    pub(crate) metrics: Arc<TaskMetrics>,
}

thread_local! {
    static CURRENT: RefCell<Option<TaskContext>> = const { RefCell::new(None) };
}

impl TaskContext {
    pub(crate) fn new(stage_id: usize, partition_id: usize, attempt_number: usize, task_attempt_id: u64) -> Self {
        TaskContext { stage_id, partition_id, attempt_number, task_attempt_id, metrics: Arc::default() }
    }

    /// The context of the task running on this thread, if any.
    pub fn get() -> Option<TaskContext> {
        CURRENT.with(|c| c.borrow().clone())
    }

    pub(crate) fn set_current(tc: Option<TaskContext>) {
        CURRENT.with(|c| *c.borrow_mut() = tc);
    }

    /// Id of the stage this task belongs to.
    pub fn stage_id(&self) -> usize {
        self.stage_id
    }
    /// Index of the partition this task computes.
    pub fn partition_id(&self) -> usize {
        self.partition_id
    }
    /// 0 for the first attempt, then 1, 2, … for retries.
    pub fn attempt_number(&self) -> usize {
        self.attempt_number
    }
    /// Id unique to this attempt within the context.
    pub fn task_attempt_id(&self) -> u64 {
        self.task_attempt_id
    }
}

/// Counts the records passing through a task's chunks and adds them to its metrics when
/// dropped (one atomic add per task, not per record).
pub(crate) struct Counted<T> {
    inner: Chunks<T>,
    count: u64,
    metrics: Arc<TaskMetrics>,
}

impl<T> Iterator for Counted<T> {
    type Item = Vec<T>;
    fn next(&mut self) -> Option<Vec<T>> {
        let chunk = self.inner.next()?;
        self.count += chunk.len() as u64;
        Some(chunk)
    }
}

impl<T> Drop for Counted<T> {
    fn drop(&mut self) {
        TaskMetrics::add(&self.metrics.records_read, self.count);
    }
}

impl TaskContext {
    pub(crate) fn counted<T>(&self, inner: Chunks<T>) -> Counted<T> {
        Counted { inner, count: 0, metrics: self.metrics.clone() }
    }
}
