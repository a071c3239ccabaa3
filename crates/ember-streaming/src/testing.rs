//! Spark's `TestSuiteBase` as a public API: feed a pipeline batches of input on a manual
//! clock and get each batch's output back, deterministically.
//!
//! ```
//! use ember_streaming::testing::{run_operation, Harness};
//! let out = run_operation(vec![vec![1, 2, 3, 4]], 1, |s| s.filter(|x| x % 2 == 0)).unwrap();
//! assert_eq!(out, vec![vec![2, 4]]);
//! // A `None` batch has no RDD at all (Spark's `null` input batch).
//! let out = Harness::new().run_with_gaps(vec![Some(vec![1]), None, Some(vec![3])], 3, |s| s.map(|x| x * 2)).unwrap();
//! assert_eq!(out, vec![vec![2], vec![6]]);
//! ```

use crate::dstream::{AnyDStream, DStream, DStreamOp};
use crate::receiver::{Receiver, ReceiverContext};
use crate::util::clock::ManualClock;
use crate::{StreamingContext, Time};
use ember_core::{Conf, Context, Data, Rdd, Result};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

/// Each batch's input, fed in order; `None` means the stream has no RDD that batch.
struct TestInputStream<T> {
    ctx: Context,
    batches: Vec<Option<Vec<T>>>,
    partitions: usize,
    batch: Duration,
}

impl<T: Data> DStreamOp<T> for TestInputStream<T> {
    fn slide_duration(&self) -> Duration {
        self.batch
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        Vec::new()
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let index = (time.millis() / self.batch.as_millis() as u64) as usize - 1;
        Ok(match self.batches.get(index) {
            Some(None) => None,
            Some(Some(records)) => Some(self.ctx.parallelize(records.clone(), self.partitions)),
            None => Some(self.ctx.parallelize(Vec::new(), self.partitions)),
        })
    }
    fn name(&self) -> &'static str {
        "TestInputStream"
    }
}

/// A receiver that stores what the harness hands it: each input batch is stored, as blocks cut
/// like Spark's `makeRDD` partitions, before the clock reaches that batch's time.
struct BatchReceiver<T: Data> {
    running: Arc<Mutex<Option<ReceiverContext<T>>>>,
}

impl<T: Data> Receiver<T> for BatchReceiver<T> {
    fn on_start(&mut self, ctx: ReceiverContext<T>) {
        *self.running.lock() = Some(ctx);
    }
    fn on_stop(&mut self) {
        self.running.lock().take();
    }
}

/// Work done before the clock moves to batch `i` (1-based): receivers store batch `i`'s input.
type Feeder = Box<dyn Fn(usize) + Send>;

/// Options for running an operation: batch interval (1 s), input partitions (2), and whether
/// input comes through a receiver.
#[derive(Debug, Clone)]
pub struct Harness {
    batch: Duration,
    partitions: usize,
    master: String,
    through_receiver: bool,
}

impl Default for Harness {
    fn default() -> Self {
        Harness { batch: Duration::from_secs(1), partitions: 2, master: "local[2]".into(), through_receiver: false }
    }
}

type Output<U> = Arc<Mutex<Vec<Vec<U>>>>;

/// Only one streaming context may be active per process (as in Spark), so runs from parallel
/// test threads take turns.
static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());

/// A turn to run a `StreamingContext`, shared with the harness: hold it in tests that build
/// their own context so they never overlap a harness run (only one context may be active).
pub struct ContextTurn {
    _guard: parking_lot::MutexGuard<'static, ()>,
}

/// Waits for the turn to run a streaming context (see [`ContextTurn`]).
///
/// ```
/// let _turn = ember_streaming::testing::context_turn();
/// // build, start and stop a StreamingContext here
/// ```
pub fn context_turn() -> ContextTurn {
    ContextTurn { _guard: ONE_RUN_AT_A_TIME.lock() }
}

impl Harness {
    /// Spark's `TestSuiteBase` defaults: 1 s batches, input in 2 partitions, `local[2]`.
    pub fn new() -> Self {
        Self::default()
    }

    /// The batch interval.
    pub fn batch(mut self, batch: Duration) -> Self {
        self.batch = batch;
        self
    }

    /// How many partitions each input batch is cut into (Spark's `numInputPartitions`).
    pub fn partitions(mut self, partitions: usize) -> Self {
        self.partitions = partitions;
        self
    }

    /// Feeds the input through a real receiver ([`StreamingContext::receiver_stream`]) instead
    /// of a stream computed from the input: batch `i`'s records are stored as blocks just before
    /// the clock reaches batch time `i`, so they must land in batch `i` whatever reads the
    /// stream (a `None` batch stores nothing: a receiver stream has an RDD every batch).
    ///
    /// ```
    /// use ember_streaming::testing::Harness;
    /// let input = vec![Some(vec![0]), Some(vec![1]), Some(vec![2]), Some(vec![3])];
    /// let out = Harness::new().through_receiver().run_with_gaps(input, 4, |s| {
    ///     s.window(std::time::Duration::from_secs(2), std::time::Duration::from_secs(2))
    /// });
    /// assert_eq!(out.unwrap(), vec![vec![0, 1], vec![2, 3]]);
    /// ```
    pub fn through_receiver(mut self) -> Self {
        self.through_receiver = true;
        self
    }

    /// Feeds `input` (with `None` for batches that have no RDD) for `num_batches` batches.
    pub fn run_with_gaps<T: Data, U: Data>(
        &self,
        input: Vec<Option<Vec<T>>>,
        num_batches: usize,
        op: impl FnOnce(DStream<T>) -> DStream<U>,
    ) -> Result<Vec<Vec<U>>> {
        self.run_streams(num_batches, |ssc, feeders| op(self.input(ssc, feeders, input)))
    }

    /// Two input streams into one operation.
    pub fn run_with_gaps2<T: Data, U: Data, V: Data>(
        &self,
        input1: Vec<Option<Vec<T>>>,
        input2: Vec<Option<Vec<U>>>,
        num_batches: usize,
        op: impl FnOnce(DStream<T>, DStream<U>) -> DStream<V>,
    ) -> Result<Vec<Vec<V>>> {
        self.run_streams(num_batches, |ssc, feeders| {
            op(self.input(ssc, feeders, input1), self.input(ssc, feeders, input2))
        })
    }

    fn input<T: Data>(
        &self,
        ssc: &StreamingContext,
        feeders: &mut Vec<Feeder>,
        batches: Vec<Option<Vec<T>>>,
    ) -> DStream<T> {
        if self.through_receiver {
            let running = Arc::new(Mutex::new(None));
            let stream = ssc.receiver_stream(BatchReceiver { running: running.clone() });
            let partitions = self.partitions;
            feeders.push(Box::new(move |i| {
                let Some(Some(records)) = batches.get(i - 1) else { return };
                let receiver: Option<ReceiverContext<T>> = running.lock().clone();
                let receiver = receiver.expect("the harness's receiver is running");
                let n = records.len();
                for j in 0..partitions {
                    receiver.store_many(records[j * n / partitions..(j + 1) * n / partitions].to_vec());
                }
            }));
            return stream;
        }
        let op = TestInputStream {
            ctx: ssc.spark_context().clone(),
            batches,
            partitions: self.partitions,
            batch: self.batch,
        };
        DStream::from_op(ssc, op)
    }

    fn run_streams<U: Data>(
        &self,
        num_batches: usize,
        build: impl FnOnce(&StreamingContext, &mut Vec<Feeder>) -> DStream<U>,
    ) -> Result<Vec<Vec<U>>> {
        let _turn = context_turn();
        let ctx = Context::new(Conf::empty().master(&self.master))?;
        let clock = Arc::new(ManualClock::new(0));
        let ssc = StreamingContext::with_clock(&ctx, self.batch, clock.clone());
        // A temp checkpoint directory, as Spark's TestSuiteBase, for stateful operations.
        static RUNS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let checkpoint_dir = std::env::temp_dir().join(format!("ember-harness-{}-{run}", std::process::id()));
        ssc.checkpoint(&checkpoint_dir)?;
        let output: Output<U> = Arc::default();
        let sink = output.clone();
        let mut feeders = Vec::new();
        build(&ssc, &mut feeders).foreach_rdd(move |rdd, _| -> Result<()> {
            let records = rdd.collect()?;
            sink.lock().push(records);
            Ok(())
        });
        ssc.start()?;
        let batch_ms = self.batch.as_millis() as u64;
        let mut outcome = Ok(());
        for i in 1..=num_batches as u64 {
            feeders.iter().for_each(|feed| feed(i as usize));
            clock.advance(batch_ms);
            if !ssc.wait_for_batch(Time::from_millis(i * batch_ms), Duration::from_secs(60)) {
                outcome = ssc.await_termination_or_timeout(Duration::ZERO).map(|_| ());
                if outcome.is_ok() {
                    outcome = Err(ember_core::Error::IllegalState(format!("batch {i} did not complete in 60 s")));
                }
                break;
            }
        }
        if outcome.is_ok() {
            outcome = ssc.await_termination_or_timeout(Duration::ZERO).map(|_| ());
        }
        ssc.stop(true, false);
        let _ = std::fs::remove_dir_all(&checkpoint_dir);
        outcome?;
        let result = std::mem::take(&mut *output.lock());
        Ok(result)
    }
}

/// Runs `op` on a stream fed `input[i - 1]` in batch `i` (cut into 2 partitions as Spark's
/// `makeRDD`; empty batches after the input) for `num_batches` batches of 1 s on a manual
/// clock and `local[2]`, and returns, for every batch in which the result stream produced an
/// RDD, its records flattened in partition order.
pub fn run_operation<T: Data, U: Data>(
    input: Vec<Vec<T>>,
    num_batches: usize,
    op: impl FnOnce(DStream<T>) -> DStream<U>,
) -> Result<Vec<Vec<U>>> {
    Harness::new().run_with_gaps(input.into_iter().map(Some).collect(), num_batches, op)
}

/// [`run_operation`] with two input streams.
pub fn run_operation2<T: Data, U: Data, V: Data>(
    input1: Vec<Vec<T>>,
    input2: Vec<Vec<U>>,
    num_batches: usize,
    op: impl FnOnce(DStream<T>, DStream<U>) -> DStream<V>,
) -> Result<Vec<Vec<V>>> {
    let (input1, input2) = (input1.into_iter().map(Some).collect(), input2.into_iter().map(Some).collect());
    Harness::new().run_with_gaps2(input1, input2, num_batches, op)
}
