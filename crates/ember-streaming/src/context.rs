//! `StreamingContext`: the entry point of a streaming program (Spark's `StreamingContext`).

use crate::dstream::OutputOp;
use crate::receiver::{ReceiverControl, ReceiverInfo};
use crate::scheduler::listener::{StreamingEvent, StreamingListener};
use crate::scheduler::{job_scheduler_callbacks, on_streaming_thread};
use crate::scheduler::{JobGenerator, JobScheduler, ReceivedBlockTracker};
use crate::util::clock::{Clock, SystemClock};
use crate::Time;
use ember_core::event_bus::EventBus;
use ember_core::{Context, Error, Result};
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// Where a `StreamingContext` is in its life (Spark's `StreamingContextState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamingContextState {
    /// Created; streams and output operations may be added.
    Initialized,
    /// Started and running batches.
    Active,
    /// Stopped; it cannot be started again.
    Stopped,
}

struct Status {
    state: StreamingContextState,
    /// A `stop` is under way: later calls wait for it (or return, from the threads it waits for).
    stopping: bool,
    error: Option<Error>,
    generated: Option<Time>,
    processed: Option<Time>,
}

struct Runtime {
    generator: JobGenerator,
    scheduler: Arc<JobScheduler>,
    /// How long a graceful stop waits for received data to be allocated to batches.
    graceful_stop_timeout: Duration,
}

pub(crate) struct SscInner {
    /// The users' handles (for `DStream::context`); the context stops when the last one goes.
    handle: Weak<Handle>,
    pub(crate) ctx: Context,
    pub(crate) batch: Duration,
    pub(crate) clock: Arc<dyn Clock>,
    outputs: Mutex<Vec<Arc<dyn OutputOp>>>,
    remember: Mutex<Option<Duration>>,
    status: Mutex<Status>,
    changed: Condvar,
    runtime: Mutex<Option<Runtime>>,
    scheduler: Mutex<Option<Arc<JobScheduler>>>,
    receivers: Mutex<Vec<Arc<dyn ReceiverControl>>>,
    /// Which received blocks belong to which batch.
    pub(crate) block_tracker: ReceivedBlockTracker,
    /// Configuration problems found while building the graph, reported by `start`.
    config_errors: Mutex<Vec<Error>>,
    pub(crate) listeners: EventBus<StreamingEvent>,
    /// Records received per batch and input stream, until the batch is submitted.
    input_records: Mutex<BTreeMap<Time, BTreeMap<usize, u64>>>,
    next_stream: AtomicUsize,
    next_input: AtomicUsize,
    /// Stop on SIGINT/SIGTERM even without `spark.streaming.stopGracefullyOnShutdown`.
    stop_on_shutdown: std::sync::atomic::AtomicBool,
}

/// What every user-side clone of a `StreamingContext` shares. Threads of the context hold
/// `SscInner` directly, so when the last user handle goes (an early `?` return, a panic
/// unwinding through a test) the context is stopped instead of running on unreachable.
struct Handle(Arc<SscInner>);

impl Drop for Handle {
    fn drop(&mut self) {
        if self.0.status.lock().state == StreamingContextState::Active {
            tracing::warn!("A started StreamingContext was dropped without stop(): stopping it now");
            self.0.stop(false, false);
        }
    }
}

/// The one started-and-not-stopped context of this process (Spark allows one per JVM).
static ACTIVE: std::sync::Mutex<Option<std::sync::Weak<SscInner>>> = std::sync::Mutex::new(None);

/// Lets batches take every record already received (Spark's `JobGenerator.stop` waits for the
/// receiver tracker to have no unallocated blocks) within `timeout`; says what it drops after.
fn wait_for_received_data(receivers: &[Arc<dyn ReceiverControl>], timeout: Duration) {
    let deadline = std::time::Instant::now() + timeout;
    while receivers.iter().any(|r| r.pending_records() > 0) {
        if std::time::Instant::now() >= deadline {
            let pending: Vec<(usize, u64)> =
                receivers.iter().map(|r| (r.stream_id(), r.pending_records())).filter(|(_, n)| *n > 0).collect();
            let records: u64 = pending.iter().map(|(_, n)| n).sum();
            let streams: Vec<usize> = pending.iter().map(|(id, _)| *id).collect();
            tracing::warn!(
                "Timed out while stopping the job generator (timeout = {} ms): {records} received records of input streams {streams:?} were not processed",
                timeout.as_millis()
            );
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Runs DStream programs: a batch of jobs every batch interval.
///
/// ```
/// use ember_core::Context;
/// use ember_streaming::{RddQueue, StreamingContext, StreamingContextState};
/// use std::time::Duration;
/// let ctx = Context::local(2).unwrap();
/// let ssc = StreamingContext::new(&ctx, Duration::from_millis(100));
/// let queue = RddQueue::new();
/// queue.push(ctx.parallelize(vec![1, 2, 3], 2));
/// ssc.queue_stream(&queue, true).count().foreach_rdd(|rdd, _| assert!(rdd.count().unwrap() == 1));
/// ssc.start().unwrap();
/// assert_eq!(ssc.state(), StreamingContextState::Active);
/// ssc.stop(false, true);
/// assert_eq!(ssc.state(), StreamingContextState::Stopped);
/// ```
#[derive(Clone)]
pub struct StreamingContext {
    pub(crate) inner: Arc<SscInner>,
    /// Held for its `Drop`: the last user handle stops a started context.
    _handle: Arc<Handle>,
}

impl StreamingContext {
    /// A context on `ctx` producing a batch every `batch` (wall-clock time).
    pub fn new(ctx: &Context, batch: Duration) -> StreamingContext {
        Self::with_clock(ctx, batch, Arc::new(SystemClock))
    }

    /// A context whose batch timer reads `clock` (tests use a `ManualClock`).
    pub fn with_clock(ctx: &Context, batch: Duration, clock: Arc<dyn Clock>) -> StreamingContext {
        if ctx.executor_threads() == 1 {
            tracing::debug!("local[1]: receivers run on their own threads in Ember, so one core is enough");
        }
        let bus_capacity = ctx
            .conf()
            .get_usize("spark.scheduler.listenerbus.eventqueue.capacity")
            .unwrap_or(ember_core::event_bus::DEFAULT_CAPACITY);
        let handle = Arc::new_cyclic(|handle| {
            Handle(Arc::new(SscInner {
                handle: handle.clone(),
                ctx: ctx.clone(),
                batch,
                clock,
                outputs: Mutex::default(),
                remember: Mutex::default(),
                status: Mutex::new(Status {
                    state: StreamingContextState::Initialized,
                    stopping: false,
                    error: None,
                    generated: None,
                    processed: None,
                }),
                changed: Condvar::new(),
                runtime: Mutex::default(),
                scheduler: Mutex::default(),
                receivers: Mutex::default(),
                block_tracker: ReceivedBlockTracker::default(),
                config_errors: Mutex::default(),
                listeners: EventBus::with_capacity("streaming-listener-bus", bus_capacity),
                input_records: Mutex::default(),
                next_stream: AtomicUsize::new(0),
                next_input: AtomicUsize::new(0),
                stop_on_shutdown: std::sync::atomic::AtomicBool::new(false),
            }))
        });
        StreamingContext { inner: handle.0.clone(), _handle: handle }
    }

    /// A user handle to the context `inner` belongs to, while one exists.
    pub(crate) fn from_inner(inner: &Arc<SscInner>) -> Option<StreamingContext> {
        inner.handle.upgrade().map(|handle| StreamingContext { inner: inner.clone(), _handle: handle })
    }

    /// Stops this context on SIGINT or SIGTERM, as Spark's shutdown hook does: gracefully if
    /// `spark.streaming.stopGracefullyOnShutdown` is true. Setting that key asks for it too;
    /// without either, Ember installs no signal handler and a signal does what it did before.
    /// A second signal, or a signal with no running context, takes its previous course.
    ///
    /// ```no_run
    /// # let ssc = ember_streaming::StreamingContext::new(&ember_core::Context::local(2).unwrap(), std::time::Duration::from_secs(1));
    /// ssc.stop_on_shutdown();
    /// ssc.start().unwrap();
    /// ssc.await_termination().unwrap(); // returns once Ctrl-C has stopped the context
    /// ```
    pub fn stop_on_shutdown(&self) {
        self.inner.stop_on_shutdown.store(true, Ordering::SeqCst);
        if self.state() == StreamingContextState::Active {
            crate::shutdown_hook::install();
        }
    }

    /// The engine context batches run on (Spark's `sparkContext`).
    pub fn spark_context(&self) -> &Context {
        &self.inner.ctx
    }

    /// The batch interval.
    pub fn batch_duration(&self) -> Duration {
        self.inner.batch
    }

    /// Where the context is in its life.
    pub fn state(&self) -> StreamingContextState {
        self.inner.status.lock().state
    }

    /// Keeps every stream's RDDs for at least `duration` (may be set once).
    pub fn remember(&self, duration: Duration) -> Result<()> {
        let mut remember = self.inner.remember.lock();
        if let Some(d) = *remember {
            return Err(Error::IllegalArgument(format!(
                "Remember duration already set as {} ms. Cannot set it again.",
                d.as_millis()
            )));
        }
        *remember = Some(duration);
        Ok(())
    }

    /// Sets the checkpoint directory (RDD checkpoints go under it).
    pub fn checkpoint(&self, directory: impl AsRef<std::path::Path>) -> Result<()> {
        self.inner.ctx.set_checkpoint_dir(directory)
    }

    pub(crate) fn validate_at_init(&self) {
        match self.state() {
            StreamingContextState::Initialized => {}
            StreamingContextState::Active => panic!(
                "Adding new inputs, transformations, and output operations after starting a context is not supported"
            ),
            StreamingContextState::Stopped => panic!(
                "Adding new inputs, transformations, and output operations after stopping a context is not supported"
            ),
        }
    }

    /// Starts running batches. The first batch is at the next multiple of the batch interval.
    ///
    /// Errors as Spark's: no output operation ("No output operations registered, so nothing to
    /// execute"; the context is then stopped), a stopped context, or another active context.
    /// Starting an active context only warns.
    pub fn start(&self) -> Result<()> {
        match self.state() {
            StreamingContextState::Active => {
                tracing::warn!("StreamingContext has already been started");
                return Ok(());
            }
            StreamingContextState::Stopped => {
                return Err(Error::IllegalState("StreamingContext has already been stopped".into()))
            }
            StreamingContextState::Initialized => {}
        }
        {
            let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
            if active.as_ref().and_then(Weak::upgrade).is_some() {
                return Err(Error::IllegalState(
                    "Only one StreamingContext may be started in this process. Stop the running one first.".into(),
                ));
            }
            if let Err(e) = self.start_batches() {
                self.inner.status.lock().state = StreamingContextState::Stopped;
                return Err(e);
            }
            *active = Some(Arc::downgrade(&self.inner));
        }
        // Receivers start last, outside every lock: an `on_start` may stop its receiver or
        // this whole context (Spark allows both).
        let receivers = self.inner.receivers.lock().clone();
        for receiver in receivers {
            if receiver.is_used() {
                receiver.start();
            } else {
                tracing::warn!(
                    "Input stream {} is read by no output operation: its receiver is not started",
                    receiver.stream_id()
                );
            }
        }
        if self.inner.stop_on_shutdown.load(Ordering::SeqCst)
            || self.inner.ctx.conf().get_bool("spark.streaming.stopGracefullyOnShutdown", false)?
        {
            crate::shutdown_hook::install();
        }
        Ok(())
    }

    /// Validates the graph, then starts the job scheduler and the batch timer.
    fn start_batches(&self) -> Result<()> {
        let graceful_stop_timeout = self.validate()?;
        let batch_ms = self.inner.batch.as_millis() as u64;
        let first = Time::from_millis((self.inner.clock.now_ms() / batch_ms + 1) * batch_ms);
        let zero = first - self.inner.batch;
        let outputs = self.inner.outputs.lock().clone();
        let remember = *self.inner.remember.lock();
        for output in &outputs {
            output.initialize(zero);
            // Always: windows extend their parents' remember durations from here.
            output.remember(remember.unwrap_or(Duration::ZERO));
        }
        self.validate_streams()?;
        let conf = self.inner.ctx.conf();
        let (threads, capacity) =
            (conf.get_usize("spark.streaming.concurrentJobs")?, conf.get_usize("ember.streaming.jobQueueCapacity")?);
        let callbacks = job_scheduler_callbacks(Arc::downgrade(&self.inner));
        let scheduler = Arc::new(JobScheduler::start(threads, capacity, callbacks)?);
        *self.inner.scheduler.lock() = Some(scheduler.clone());
        let generator = JobGenerator::start(self.inner.clone(), first);
        *self.inner.runtime.lock() = Some(Runtime { generator, scheduler, graceful_stop_timeout });
        self.inner.status.lock().state = StreamingContextState::Active;
        self.inner.listeners.post(StreamingEvent::StreamingStarted(ember_core::listener::now_ms()));
        tracing::info!("StreamingContext started");
        Ok(())
    }

    /// Spark's checks before start; returns the graceful stop timeout
    /// (`spark.streaming.gracefulStopTimeout`, ten batches unless set).
    fn validate(&self) -> Result<Duration> {
        if let Some(e) = self.inner.config_errors.lock().first() {
            return Err(e.clone());
        }
        if self.inner.batch.is_zero() {
            return Err(Error::IllegalArgument("Batch duration for StreamingContext cannot be zero".into()));
        }
        if self.inner.outputs.lock().is_empty() {
            return Err(Error::IllegalArgument("No output operations registered, so nothing to execute".into()));
        }
        let timeout =
            self.inner.ctx.conf().get_duration("spark.streaming.gracefulStopTimeout", Duration::from_millis(1))?;
        Ok(timeout.unwrap_or(self.inner.batch * 10))
    }

    /// Checkpoint intervals and directory of every stream (after `initialize` set defaults).
    fn validate_streams(&self) -> Result<()> {
        let dir_set = self.inner.ctx.checkpoint_dir().is_some();
        self.inner.outputs.lock().iter().try_for_each(|o| o.validate_at_start(dir_set))
    }

    /// Stops the streams (and the engine context if `stop_context`). Graceful: every batch
    /// generated so far is processed first; otherwise queued jobs are dropped and only running
    /// ones finish. Stopping twice, or before start, only warns.
    ///
    /// May be called from anywhere, as in Spark: from an output operation or a transform (the
    /// stop then does not wait for the job that called it, which ends when it returns), from a
    /// receiver's `on_start`, or from several threads at once (later calls wait for the first).
    pub fn stop(&self, stop_context: bool, graceful: bool) {
        self.inner.stop(stop_context, graceful);
    }

    /// Waits until the context is stopped; returns the first error a batch reported.
    pub fn await_termination(&self) -> Result<()> {
        self.await_termination_or_timeout(Duration::MAX).map(|_| ())
    }

    /// Waits up to `timeout`: `Ok(true)` if stopped, `Ok(false)` on timeout, or the first
    /// error a batch reported (checked before the stop, as Spark does).
    pub fn await_termination_or_timeout(&self, timeout: Duration) -> Result<bool> {
        let deadline = std::time::Instant::now().checked_add(timeout);
        let mut status = self.inner.status.lock();
        loop {
            if let Some(e) = &status.error {
                return Err(e.clone());
            }
            if status.state == StreamingContextState::Stopped {
                return Ok(true);
            }
            match deadline {
                Some(deadline) => {
                    if self.inner.changed.wait_until(&mut status, deadline).timed_out() {
                        return status.error.clone().map_or(Ok(false), Err);
                    }
                }
                None => self.inner.changed.wait(&mut status),
            }
        }
    }

    /// Registers a listener for batch and output-operation events (before or after start).
    pub fn add_streaming_listener(&self, listener: Arc<dyn StreamingListener>) {
        self.inner.listeners.add_listener(Arc::new(move |e: &StreamingEvent| e.deliver(listener.as_ref())));
    }

    /// Blocks until listeners have seen every event posted so far.
    pub fn wait_for_listeners(&self) {
        self.inner.listeners.wait_until_empty();
    }

    /// The state of every receiver (records, errors, restarts), as Spark's `ReceiverInfo`.
    pub fn receiver_infos(&self) -> Vec<ReceiverInfo> {
        self.inner.receivers.lock().iter().map(|r| r.info()).collect()
    }

    /// Blocks until every batch up to `time` has been processed (failed batches count as
    /// processed), or `timeout` passes (tests).
    pub fn wait_for_batch(&self, time: Time, timeout: Duration) -> bool {
        let deadline = std::time::Instant::now() + timeout;
        let mut status = self.inner.status.lock();
        while status.processed.is_none_or(|p| p < time) {
            if self.inner.changed.wait_until(&mut status, deadline).timed_out() {
                return false;
            }
        }
        true
    }
}

impl SscInner {
    /// [`StreamingContext::stop`], for the context's own threads and handles.
    pub(crate) fn stop(&self, stop_context: bool, graceful: bool) {
        let state = {
            let mut status = self.status.lock();
            if status.stopping {
                // Another stop is under way. Its caller may be waiting for this thread (a job
                // or the batch timer calling stop), so only other threads wait for it.
                if !on_streaming_thread() {
                    while status.state != StreamingContextState::Stopped {
                        self.changed.wait(&mut status);
                    }
                }
                tracing::warn!("StreamingContext has already been stopped");
                drop(status);
                if stop_context {
                    self.ctx.stop();
                }
                return;
            }
            status.stopping = true;
            status.state
        };
        match state {
            StreamingContextState::Active => self.stop_batches(graceful),
            StreamingContextState::Initialized => tracing::warn!("StreamingContext has not been started yet"),
            StreamingContextState::Stopped => tracing::warn!("StreamingContext has already been stopped"),
        }
        self.status.lock().state = StreamingContextState::Stopped;
        self.changed.notify_all();
        // Output operations may hold handles to this context (a `foreach_rdd` that stops it):
        // letting them go, once stopped, lets the context be freed.
        drop(std::mem::take(&mut *self.outputs.lock()));
        if stop_context {
            self.ctx.stop();
        }
    }

    /// Stops receivers, the batch timer and the job scheduler, in Spark's order.
    fn stop_batches(&self, graceful: bool) {
        let receivers = self.receivers.lock().clone();
        for receiver in &receivers {
            receiver.stop();
        }
        if let Some(mut runtime) = self.runtime.lock().take() {
            if graceful {
                wait_for_received_data(&receivers, runtime.graceful_stop_timeout);
            } else {
                runtime.scheduler.drop_queued_jobs();
            }
            runtime.generator.stop(self);
            runtime.scheduler.stop(graceful);
        }
        self.scheduler.lock().take();
        let mut active = ACTIVE.lock().unwrap_or_else(|e| e.into_inner());
        if active.as_ref().is_some_and(|w| std::ptr::eq(w.as_ptr(), self)) {
            *active = None;
        }
        tracing::info!("StreamingContext stopped successfully");
    }

    /// The one started and not yet stopped context of this process, if any.
    pub(crate) fn active() -> Option<Arc<SscInner>> {
        ACTIVE.lock().unwrap_or_else(|e| e.into_inner()).as_ref().and_then(Weak::upgrade)
    }

    pub(crate) fn new_stream_id(&self) -> usize {
        self.next_stream.fetch_add(1, Ordering::Relaxed)
    }

    /// Input streams are numbered from 0 in creation order (Spark's input stream ids).
    pub(crate) fn new_input_stream_id(&self) -> usize {
        self.next_input.fetch_add(1, Ordering::Relaxed)
    }

    /// Records `stream_id` brought into the batch at `time`.
    pub(crate) fn report_input(&self, time: Time, stream_id: usize, records: u64) {
        self.input_records.lock().entry(time).or_default().insert(stream_id, records);
    }

    pub(crate) fn register_receiver(&self, receiver: Arc<dyn ReceiverControl>) {
        self.receivers.lock().push(receiver);
    }

    pub(crate) fn config_error(&self, error: Error) {
        self.config_errors.lock().push(error);
    }

    pub(crate) fn register_output(&self, op: Arc<dyn OutputOp>) {
        self.outputs.lock().push(op);
    }

    /// Generates the jobs of the batch at `time` and queues them (JobGenerator.generateJobs):
    /// first every block received so far is allocated to this batch.
    pub(crate) fn generate_batch(&self, time: Time) {
        // Only streams an output reads: their clear_metadata frees the allocations again (an
        // unused receiver is not started, and an allocation nothing cleans would pile up).
        for receiver in self.receivers.lock().iter().filter(|r| r.is_used()) {
            let records =
                self.block_tracker.allocate_blocks_to_batch(time, receiver.stream_id(), receiver.take_blocks());
            self.report_input(time, receiver.stream_id(), records);
        }
        let outputs = self.outputs.lock().clone();
        let jobs: Result<Vec<_>> = outputs.iter().filter_map(|o| o.generate_job(time).transpose()).collect();
        self.status.lock().generated = Some(time);
        let records = self.input_records.lock().remove(&time).unwrap_or_default();
        match jobs {
            Ok(jobs) if !jobs.is_empty() => match self.scheduler.lock().clone() {
                Some(scheduler) => scheduler.submit(time, jobs, records),
                None => self.batch_done(time, true),
            },
            Ok(_) => self.batch_done(time, false),
            Err(e) => {
                self.report_error(Error::IllegalState(format!("Error generating jobs for time {time}: {e}")));
                self.batch_done(time, true);
            }
        }
    }

    /// After a batch: old RDDs are dropped (only if every job succeeded, as Spark does).
    pub(crate) fn batch_done(&self, time: Time, failed: bool) {
        if !failed {
            for output in self.outputs.lock().iter() {
                output.clear_metadata(time);
            }
        }
        let mut status = self.status.lock();
        status.processed = Some(status.processed.map_or(time, |p| p.max(time)));
        self.changed.notify_all();
    }

    /// Records the first error for `await_termination`; the context keeps running.
    pub(crate) fn report_error(&self, error: Error) {
        tracing::error!("{error}");
        let mut status = self.status.lock();
        status.error.get_or_insert(error);
        self.changed.notify_all();
    }
}
