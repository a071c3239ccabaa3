//! The DAG scheduler: runs a job's missing shuffle map stages (parents first, each shuffle
//! computed once and reused by later jobs), then its result stage, retrying failed tasks up to
//! the configured number of attempts.

use super::listener::{self, SchedulerEvent};
use super::TaskContext;
use crate::rdd::shuffled::ShuffleDep;
use crate::rdd::{AnyRdd, Dependency, Rdd, Records};
use crate::{accumulator, Context, Data, Error, Result};
use std::any::Any;
use std::collections::HashSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// An engine error raised inside a task's iterator (e.g. malformed input). Tasks pull records
/// through pipelined iterators that cannot return `Result`, so an error unwinds to the task
/// boundary, exactly where Spark's exceptions surface, and fails the attempt with its message.
pub(crate) struct TaskError(pub Error);

/// Aborts the running task with `err` (see [`TaskError`]).
pub(crate) fn raise(err: Error) -> ! {
    std::panic::panic_any(TaskError(err))
}

/// Keeps the default panic report for user panics but stays quiet for [`TaskError`]s, whose
/// message reaches the user through the job's error.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if info.payload().downcast_ref::<TaskError>().is_none() {
                default(info);
            }
        }));
    });
}

fn panic_message(payload: Box<dyn Any + Send>) -> String {
    if let Some(TaskError(e)) = payload.downcast_ref::<TaskError>() {
        e.to_string()
    } else if let Some(s) = payload.downcast_ref::<&str>() {
        format!("panic: {s}")
    } else if let Some(s) = payload.downcast_ref::<String>() {
        format!("panic: {s}")
    } else {
        "panic with a non-string payload".to_string()
    }
}

/// The shuffle dependencies `rdd` reaches through narrow dependencies only (its parent stages).
fn parent_shuffles(rdd: Arc<dyn AnyRdd>) -> Vec<Arc<dyn ShuffleDep>> {
    let (mut found, mut seen, mut stack) = (Vec::new(), HashSet::new(), vec![rdd]);
    while let Some(r) = stack.pop() {
        if !seen.insert(r.id()) {
            continue;
        }
        for dep in r.dependencies() {
            match dep {
                Dependency::Narrow(p) => stack.push(p),
                Dependency::Shuffle(s) => found.push(s),
            }
        }
    }
    found
}

/// Every RDD of the lineage down to (and including) the map side of shuffles, for checkpointing.
fn lineage(rdd: Arc<dyn AnyRdd>) -> Vec<Arc<dyn AnyRdd>> {
    let (mut out, mut seen, mut stack) = (Vec::new(), HashSet::new(), vec![rdd]);
    while let Some(r) = stack.pop() {
        if !seen.insert(r.id()) {
            continue;
        }
        for dep in r.dependencies() {
            stack.push(match dep {
                Dependency::Narrow(p) => p,
                Dependency::Shuffle(s) => s.map_rdd(),
            });
        }
        out.push(r);
    }
    out
}

type TaskFn<R> = Arc<dyn Fn(&TaskContext) -> R + Send + Sync>;

impl Context {
    /// Runs `func` over the given partitions of `rdd` and returns one result per partition.
    pub(crate) fn run_job<T: Data, R: Send + 'static>(
        &self,
        rdd: &Rdd<T>,
        partitions: Vec<usize>,
        func: impl Fn(&TaskContext, Records<T>) -> R + Send + Sync + 'static,
    ) -> Result<Vec<R>> {
        self.check_running()?;
        let job_id = self.next_job_id();
        self.bus().post(SchedulerEvent::JobStart(listener::JobStart { job_id, time_ms: listener::now_ms() }));
        let result = (|| {
            for dep in parent_shuffles(rdd.as_any()) {
                self.ensure_shuffle(&dep, job_id)?;
            }
            let target = rdd.clone();
            let task: TaskFn<R> = Arc::new(move |tc: &TaskContext| {
                let chunks: crate::rdd::Chunks<T> = Box::new(tc.counted(target.chunks(tc.partition_id(), tc)));
                func(tc, chunks.flatten())
            });
            self.run_stage(job_id, format!("ResultStage {}", rdd.node.describe()), partitions, task)
        })();
        self.bus().post(SchedulerEvent::JobEnd(listener::JobEnd {
            job_id,
            time_ms: listener::now_ms(),
            error: result.as_ref().err().map(ToString::to_string),
        }));
        if result.is_ok() {
            for r in lineage(rdd.as_any()) {
                r.checkpoint_if_marked()?;
            }
        }
        result
    }

    /// Runs the map stage of `dep` unless its output is already there.
    fn ensure_shuffle(&self, dep: &Arc<dyn ShuffleDep>, job_id: usize) -> Result<()> {
        // Concurrent jobs needing the same shuffle wait for one of them to compute it.
        let _computing = dep.compute_lock().lock();
        if self.shuffle_manager().is_complete(dep.shuffle_id()) {
            return Ok(());
        }
        for parent in parent_shuffles(dep.map_rdd()) {
            self.ensure_shuffle(&parent, job_id)?;
        }
        self.shuffle_manager().register(dep.shuffle_id(), dep.num_maps());
        let d = dep.clone();
        let task: TaskFn<()> = Arc::new(move |tc: &TaskContext| d.run_map_task(tc));
        let name = format!("ShuffleMapStage {}", dep.map_rdd().describe());
        self.run_stage(job_id, name, (0..dep.num_maps()).collect(), task)?;
        self.shuffle_manager().mark_complete(dep.shuffle_id());
        Ok(())
    }

    fn run_stage<R: Send + 'static>(
        &self,
        job_id: usize,
        name: String,
        partitions: Vec<usize>,
        task: TaskFn<R>,
    ) -> Result<Vec<R>> {
        let stage_id = self.next_stage_id();
        let num_tasks = partitions.len();
        let started = Instant::now();
        self.bus().post(SchedulerEvent::StageSubmitted(listener::StageSubmitted {
            stage_id,
            job_id,
            name: name.clone(),
            num_tasks,
        }));
        let (tx, rx) = crossbeam_channel::unbounded();
        // Set when the stage fails: its queued tasks are skipped (Spark cancels them).
        let aborted = Arc::new(AtomicBool::new(false));
        let launch = |index: usize, attempt: usize| -> Result<()> {
            let tc = TaskContext::new(stage_id, partitions[index], attempt, self.next_task_id());
            let (task, tx, ctx, aborted) = (task.clone(), tx.clone(), self.clone(), aborted.clone());
            self.executor().submit(Box::new(move || {
                let result = if aborted.load(Ordering::SeqCst) {
                    Err("cancelled: stage aborted".to_string())
                } else {
                    ctx.run_task(&tc, task.as_ref())
                };
                // The task holds its RDDs: release them before the job can see its last result,
                // so that what the job's caller drops next is freed at once (shuffle files too).
                drop(task);
                let _ = tx.send((index, attempt, result));
            }))
        };
        let mut in_flight = 0usize;
        let outcome = (|| {
            for index in 0..num_tasks {
                launch(index, 0)?;
                in_flight += 1;
            }
            let mut results: Vec<Option<R>> = (0..num_tasks).map(|_| None).collect();
            while in_flight > 0 {
                let (index, attempt, result) = rx.recv().map_err(|_| Error::ContextStopped)?;
                in_flight -= 1;
                match result {
                    Ok(value) => results[index] = Some(value),
                    Err(message) if attempt + 1 < self.max_task_failures() => {
                        tracing::warn!(
                            "Lost task {}.{attempt} in stage {stage_id}.0: {message} (retrying)",
                            partitions[index]
                        );
                        launch(index, attempt + 1)?;
                        in_flight += 1;
                    }
                    Err(message) => {
                        return Err(Error::JobFailed {
                            stage: stage_id,
                            partition: partitions[index],
                            attempts: attempt + 1,
                            last_attempt: attempt,
                            message,
                        })
                    }
                }
            }
            Ok(results.into_iter().map(|r| r.expect("every task reported")).collect())
        })();
        if outcome.is_err() {
            // Wait for the stage's running tasks, so none outlives the failed job.
            aborted.store(true, Ordering::SeqCst);
            for _ in 0..in_flight {
                if rx.recv().is_err() {
                    break;
                }
            }
        }
        self.bus().post(SchedulerEvent::StageCompleted(listener::StageCompleted {
            stage_id,
            job_id,
            name,
            num_tasks,
            duration_ms: started.elapsed().as_millis() as u64,
            failure: outcome.as_ref().err().map(ToString::to_string),
        }));
        outcome
    }

    fn run_task<R>(&self, tc: &TaskContext, task: &(dyn Fn(&TaskContext) -> R + Send + Sync)) -> Result<R, String> {
        let (stage_id, partition, attempt, task_id) =
            (tc.stage_id(), tc.partition_id(), tc.attempt_number(), tc.task_attempt_id());
        self.bus().post(SchedulerEvent::TaskStart(listener::TaskStart { stage_id, partition, attempt, task_id }));
        let started = Instant::now();
        TaskContext::set_current(Some(tc.clone()));
        accumulator::begin_task();
        let result = catch_unwind(AssertUnwindSafe(|| task(tc)));
        TaskContext::set_current(None);
        let result = match result {
            Ok(v) => {
                accumulator::commit_task();
                Ok(v)
            }
            Err(payload) => {
                accumulator::discard_task();
                Err(panic_message(payload))
            }
        };
        let m = &tc.metrics;
        let load = |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
        self.bus().post(SchedulerEvent::TaskEnd(listener::TaskEnd {
            stage_id,
            partition,
            attempt,
            task_id,
            duration_us: started.elapsed().as_micros() as u64,
            records_read: load(&m.records_read),
            shuffle_records_written: load(&m.shuffle_records_written),
            shuffle_bytes_spilled: load(&m.shuffle_bytes_spilled),
            error: result.as_ref().err().cloned(),
        }));
        result
    }
}
