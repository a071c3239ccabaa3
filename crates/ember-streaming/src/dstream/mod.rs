//! `DStream<T>`: a discretized stream, a sequence of RDDs, one per batch interval.
//!
//! Each kind of DStream lives in its own file, as in Spark's `dstream/` package. A DStream
//! computes its RDD for a batch time once and caches it until it is older than its remember
//! duration (`get_or_compute`, `clear_metadata`), exactly as Spark's `DStream` does.

mod for_each;
pub(crate) mod input;
mod map_with_state;
mod pair;
mod print;
mod reduced_windowed;
mod save;
mod state;
mod transformed;
mod union;
mod windowed;

pub use for_each::JobResult;
pub(crate) use for_each::OutputOp;
pub use input::queue::RddQueue;
pub use map_with_state::MapWithStateDStream;
pub use print::SparkDisplay;

use crate::context::SscInner;
use crate::{StreamingContext, Time};
use ember_core::{Data, Rdd, Result, StorageLevel};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};
use std::time::Duration;

/// What a kind of DStream provides: its slide, its parents and how to compute a batch's RDD.
pub(crate) trait DStreamOp<T: Data>: Send + Sync + 'static {
    fn slide_duration(&self) -> Duration;
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>>;
    /// The RDD for `time` (a valid time), or `None` if this stream has none then.
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>>;
    fn name(&self) -> &'static str;
    /// Persists this stream's RDDs at `level`; returns false to have them persisted as usual. A
    /// window persists its parent instead (its RDDs are unions of the parent's).
    fn persist(&self, _level: StorageLevel) -> bool {
        false
    }
    /// Called once when the context starts, for streams an output operation reads.
    fn initialize(&self, _zero_time: Time) {}
    /// Called when a batch completes: what this stream keeps for batches at or before
    /// `threshold` (the batch time minus its remember duration) may go.
    fn clear_metadata(&self, _threshold: Time) {}
    /// How much longer than this stream its parents must remember (a window's length).
    fn parent_remember_extra(&self) -> Duration {
        Duration::ZERO
    }
    /// Whether this stream must checkpoint its RDDs (state that would grow lineage forever).
    fn must_checkpoint(&self) -> bool {
        false
    }
    /// The checkpoint interval of a stream that must checkpoint, unless one is set. Spark's
    /// default: the smallest multiple of the slide of at least 10 s.
    fn default_checkpoint_interval(&self) -> Duration {
        let slide_ms = self.slide_duration().as_millis().max(1) as u64;
        Duration::from_millis(10_000u64.div_ceil(slide_ms) * slide_ms)
    }
}

/// A DStream with its record type erased, for the graph.
pub(crate) trait AnyDStream: Send + Sync {
    /// Sets the zero time (start time minus one batch) and the minimum remember duration.
    fn initialize(&self, zero_time: Time);
    /// Remember RDDs for at least `duration`; parents remember as long.
    fn remember(&self, duration: Duration);
    /// Drops generated RDDs older than the remember duration, here and in parents.
    fn clear_metadata(&self, time: Time);
    /// How many generated RDDs are held (bounded-memory tests).
    fn generated_count(&self) -> usize;
    /// Spark's `validateAtStart`: checkpoint intervals and directory, here and in parents.
    fn validate_at_start(&self, checkpoint_dir_set: bool) -> Result<()>;
}

struct NodeState {
    zero_time: Option<Time>,
    remember: Duration,
    storage: StorageLevel,
    checkpoint_interval: Option<Duration>,
}

pub(crate) struct DStreamNode<T: Data> {
    id: usize,
    ssc: Weak<SscInner>,
    op: Box<dyn DStreamOp<T>>,
    generated: Mutex<BTreeMap<Time, Rdd<T>>>,
    state: Mutex<NodeState>,
}

/// A discretized stream: an RDD per batch. Cheap to clone (an `Arc`).
///
/// Transformations return new DStreams; output operations (`print`, `foreach_rdd`, …) register
/// the jobs that run every batch.
///
/// # Panics
///
/// Creating a DStream after the context has started or stopped panics with Spark's message
/// ("Adding new inputs, transformations, and output operations after starting a context is
/// not supported"): it is a programming error, as in Spark.
pub struct DStream<T: Data> {
    pub(crate) node: Arc<DStreamNode<T>>,
}

impl<T: Data> Clone for DStream<T> {
    fn clone(&self) -> Self {
        DStream { node: self.node.clone() }
    }
}

impl<T: Data> std::fmt::Debug for DStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}[{}]", self.node.op.name(), self.node.id)
    }
}

impl<T: Data> AnyDStream for DStreamNode<T> {
    fn initialize(&self, zero_time: Time) {
        {
            let mut state = self.state.lock();
            if state.zero_time.is_some() {
                return;
            }
            state.zero_time = Some(zero_time);
            let slide = self.op.slide_duration();
            if self.op.must_checkpoint() && state.checkpoint_interval.is_none() {
                state.checkpoint_interval = Some(self.op.default_checkpoint_interval());
            }
            let min_remember = match state.checkpoint_interval {
                Some(interval) if slide <= interval => interval * 2,
                _ => slide,
            };
            state.remember = state.remember.max(min_remember);
        }
        self.op.initialize(zero_time);
        for parent in self.op.dependencies() {
            parent.initialize(zero_time);
        }
    }
    fn remember(&self, duration: Duration) {
        let remember = {
            let mut state = self.state.lock();
            state.remember = state.remember.max(duration);
            state.remember
        };
        for parent in self.op.dependencies() {
            parent.remember(remember + self.op.parent_remember_extra());
        }
    }
    fn clear_metadata(&self, time: Time) {
        let remember = self.state.lock().remember;
        let old: Vec<Rdd<T>> = {
            let mut generated = self.generated.lock();
            let keep = generated.split_off(&(time - remember + Duration::from_millis(1)));
            std::mem::replace(&mut *generated, keep).into_values().collect()
        };
        // Dropping the last handle to an RDD frees its cached blocks and shuffle outputs.
        drop(old);
        self.op.clear_metadata(time - remember);
        for parent in self.op.dependencies() {
            parent.clear_metadata(time);
        }
    }
    fn generated_count(&self) -> usize {
        self.generated.lock().len()
    }
    fn validate_at_start(&self, checkpoint_dir_set: bool) -> Result<()> {
        let interval = self.state.lock().checkpoint_interval;
        if let Some(interval) = interval {
            if !checkpoint_dir_set {
                return Err(ember_core::Error::IllegalArgument(
                    "The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint().".into(),
                ));
            }
            let slide = self.op.slide_duration();
            if interval < slide || !interval.as_millis().is_multiple_of(slide.as_millis().max(1)) {
                return Err(ember_core::Error::IllegalArgument(format!(
                    "The checkpoint interval for {} has been set to {} ms which is not a multiple of its slide time ({} ms). Please set it to a multiple of {} ms.",
                    self.op.name(),
                    interval.as_millis(),
                    slide.as_millis(),
                    slide.as_millis()
                )));
            }
        }
        self.op.dependencies().iter().try_for_each(|p| p.validate_at_start(checkpoint_dir_set))
    }
}

impl<T: Data> DStream<T> {
    pub(crate) fn from_op(ssc: &StreamingContext, op: impl DStreamOp<T>) -> DStream<T> {
        ssc.validate_at_init();
        let node = Arc::new(DStreamNode {
            id: ssc.inner.new_stream_id(),
            ssc: Arc::downgrade(&ssc.inner),
            op: Box::new(op),
            generated: Mutex::new(BTreeMap::new()),
            state: Mutex::new(NodeState {
                zero_time: None,
                remember: Duration::ZERO,
                storage: StorageLevel::NONE,
                checkpoint_interval: None,
            }),
        });
        DStream { node }
    }

    pub(crate) fn as_any(&self) -> Arc<dyn AnyDStream> {
        self.node.clone()
    }

    /// The `StreamingContext` this stream belongs to.
    pub fn context(&self) -> StreamingContext {
        self.node
            .ssc
            .upgrade()
            .and_then(|inner| StreamingContext::from_inner(&inner))
            .expect("the StreamingContext of this DStream was dropped")
    }

    /// Time between this stream's RDDs (the batch interval, or a window's slide).
    pub fn slide_duration(&self) -> Duration {
        self.node.op.slide_duration()
    }

    /// How long generated RDDs are kept (set when the context starts).
    pub fn remember_duration(&self) -> Duration {
        self.node.state.lock().remember
    }

    /// Number of generated RDDs currently held; stays bounded on a stream that runs forever.
    pub fn generated_rdd_count(&self) -> usize {
        self.node.generated_count()
    }

    fn is_time_valid(&self, time: Time) -> bool {
        match self.node.state.lock().zero_time {
            Some(zero) => {
                time > zero && (time - zero).as_millis().is_multiple_of(self.slide_duration().as_millis().max(1))
            }
            None => false,
        }
    }

    /// The RDD for `time`: cached if already generated, else computed (and persisted at this
    /// stream's storage level) if `time` is a valid time for this stream.
    pub(crate) fn get_or_compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        if let Some(rdd) = self.node.generated.lock().get(&time) {
            return Ok(Some(rdd.clone()));
        }
        if !self.is_time_valid(time) {
            return Ok(None);
        }
        let rdd = self.node.op.compute(time)?;
        if let Some(rdd) = &rdd {
            let level = self.node.state.lock().storage;
            if level != StorageLevel::NONE {
                rdd.persist(level);
            }
            // Written after the batch's job computes it, which cuts the lineage there.
            if self.checkpoints_at(time) {
                rdd.checkpoint()?;
            }
            self.node.generated.lock().insert(time, rdd.clone());
        }
        Ok(rdd)
    }

    /// The interval at which this stream checkpoints its RDDs, if it does (Spark's
    /// `checkpointDuration`; set for stateful streams when the context starts).
    pub fn checkpoint_interval(&self) -> Option<Duration> {
        self.node.state.lock().checkpoint_interval
    }

    /// Whether this stream checkpoints its RDD of `time`.
    pub(crate) fn checkpoints_at(&self, time: Time) -> bool {
        let s = self.node.state.lock();
        match (s.checkpoint_interval, s.zero_time) {
            (Some(interval), Some(zero)) => (time - zero).as_millis().is_multiple_of(interval.as_millis().max(1)),
            _ => false,
        }
    }

    /// The RDDs of this stream from `from` to `to`, both included, computing any not yet
    /// generated (Spark's `slice`). Ends not on this stream's slide are floored onto it.
    /// Fails if the context has not started ("… has not been initialized").
    pub fn slice(&self, from: Time, to: Time) -> Result<Vec<Rdd<T>>> {
        let zero = self
            .node
            .state
            .lock()
            .zero_time
            .ok_or_else(|| ember_core::Error::IllegalState(format!("{self:?} has not been initialized")))?;
        let slide = self.slide_duration();
        let align = |t: Time| {
            let aligned = zero
                + Duration::from_millis(
                    ((t - zero).as_millis() / slide.as_millis().max(1)) as u64 * slide.as_millis() as u64,
                );
            if aligned != t {
                tracing::warn!(
                    "{t} is not a multiple of the slide {} ms after {zero}; using {aligned}",
                    slide.as_millis()
                );
            }
            aligned
        };
        let (mut time, end) = (align(from.max(zero)), align(to.max(zero)));
        let mut rdds = Vec::new();
        while time <= end {
            rdds.extend(self.get_or_compute(time)?);
            time = time + slide;
        }
        Ok(rdds)
    }

    /// Persists every RDD of this stream at `level`. A `window` stream persists its parent
    /// instead, as Spark's does: its RDDs are unions of the parent's, so persisting them would
    /// store each batch once per window it is in.
    ///
    /// # Panics
    ///
    /// After the context started: "Cannot change storage level of a DStream after streaming
    /// context has started" (as Spark).
    pub fn persist(&self, level: StorageLevel) -> DStream<T> {
        if self.context().state() != crate::StreamingContextState::Initialized {
            panic!("Cannot change storage level of a DStream after streaming context has started");
        }
        if !self.node.op.persist(level) {
            self.node.state.lock().storage = level;
        }
        self.clone()
    }

    /// Checkpoints this stream's RDD every `interval` (a multiple of its slide), cutting the
    /// lineage; needs `StreamingContext::checkpoint(dir)`. Also persists it (serialized).
    ///
    /// # Panics
    ///
    /// After the context started: "Cannot change checkpoint interval of a DStream after
    /// streaming context has started" (as Spark).
    pub fn checkpoint(&self, interval: Duration) -> DStream<T> {
        // First, so a started context panics with the checkpoint message, not persist's.
        self.set_checkpoint_interval(interval);
        if self.storage_level() == StorageLevel::NONE {
            self.persist(StorageLevel::MEMORY_ONLY_SER);
        }
        self.clone()
    }

    /// Sets the checkpoint interval without persisting (for streams that hold their own state).
    pub(crate) fn set_checkpoint_interval(&self, interval: Duration) {
        if self.context().state() != crate::StreamingContextState::Initialized {
            panic!("Cannot change checkpoint interval of a DStream after streaming context has started");
        }
        self.node.state.lock().checkpoint_interval = Some(interval);
    }

    /// `persist(StorageLevel::MEMORY_ONLY_SER)`, Spark's default for DStreams.
    pub fn cache(&self) -> DStream<T> {
        self.persist(StorageLevel::MEMORY_ONLY_SER)
    }

    /// The storage level set by `persist`.
    pub fn storage_level(&self) -> StorageLevel {
        self.node.state.lock().storage
    }
}
