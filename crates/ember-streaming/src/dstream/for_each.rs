//! Output operations: `ForEachDStream` runs a function on every batch's RDD (behind
//! `foreach_rdd`, `print`, and the `save_as_*` operations).

use super::{AnyDStream, DStream};
use crate::scheduler::Job;
use crate::Time;
use ember_core::{Data, Rdd, Result};
use std::sync::Arc;
use std::time::Duration;

/// What a `foreach_rdd` function may return: nothing, or a `Result` whose error fails the batch.
pub trait JobResult {
    /// As a `Result`.
    fn into_result(self) -> Result<()>;
}

impl JobResult for () {
    fn into_result(self) -> Result<()> {
        Ok(())
    }
}

impl JobResult for Result<()> {
    fn into_result(self) -> Result<()> {
        self
    }
}

/// A registered output operation: generates one job per batch in which its stream has an RDD.
pub(crate) trait OutputOp: AnyDStream {
    fn generate_job(&self, time: Time) -> Result<Option<Job>>;
}

type ForEachFn<T> = dyn Fn(&Rdd<T>, Time) -> Result<()> + Send + Sync;

struct ForEachDStream<T: Data> {
    parent: DStream<T>,
    func: Arc<ForEachFn<T>>,
    /// Where it was registered, e.g. `foreach_rdd at src/main.rs:12` (Spark's call site).
    name: String,
}

impl<T: Data> AnyDStream for ForEachDStream<T> {
    fn initialize(&self, zero_time: Time) {
        self.parent.node.initialize(zero_time);
    }
    fn remember(&self, duration: Duration) {
        self.parent.node.remember(duration);
    }
    fn clear_metadata(&self, time: Time) {
        self.parent.node.clear_metadata(time);
    }
    fn generated_count(&self) -> usize {
        self.parent.node.generated_count()
    }
    fn validate_at_start(&self, checkpoint_dir_set: bool) -> Result<()> {
        self.parent.node.validate_at_start(checkpoint_dir_set)
    }
}

impl<T: Data> OutputOp for ForEachDStream<T> {
    fn generate_job(&self, time: Time) -> Result<Option<Job>> {
        Ok(self.parent.get_or_compute(time)?.map(|rdd| {
            let func = self.func.clone();
            Job::new(self.name.clone(), move || func(&rdd, time))
        }))
    }
}

impl<T: Data> DStream<T> {
    /// Runs `f` on each batch's RDD (on the driver, in registration order with the other output
    /// operations), including empty batches. `f` may return `()` or `ember::Result<()>`; an
    /// error or a panic fails the batch and is reported to `await_termination`.
    ///
    /// ```
    /// use ember_streaming::testing::run_operation;
    /// // run_operation itself collects each batch with foreach_rdd.
    /// assert_eq!(run_operation(vec![vec!['a']], 1, |s| s).unwrap(), vec![vec!['a']]);
    /// ```
    #[track_caller]
    pub fn foreach_rdd<R: JobResult>(&self, f: impl Fn(&Rdd<T>, Time) -> R + Send + Sync + 'static) {
        self.register_output("foreach_rdd", f);
    }

    #[track_caller]
    pub(crate) fn register_output<R: JobResult>(
        &self,
        kind: &str,
        f: impl Fn(&Rdd<T>, Time) -> R + Send + Sync + 'static,
    ) {
        let ssc = self.context();
        ssc.validate_at_init();
        let caller = std::panic::Location::caller();
        let op = ForEachDStream {
            parent: self.clone(),
            func: Arc::new(move |rdd: &Rdd<T>, t| f(rdd, t).into_result()),
            name: format!("{kind} at {}:{}", caller.file(), caller.line()),
        };
        ssc.inner.register_output(Arc::new(op));
    }
}
