//! The receiver supervisor: starts a receiver on its own threads, cuts its blocks on a timer,
//! restarts it after a delay when asked, and stops it (Spark's `ReceiverSupervisor`).

use super::block_generator::BlockGenerator;
use super::{Receiver, ReceiverContext, ReceiverInfo};
use crate::scheduler::listener::StreamingEvent;
use crate::util::clock::Clock;
use ember_core::rdd::InputBlock;
use ember_core::Data;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Initialized,
    Started,
    Restarting,
    Stopped,
}

pub(crate) struct Shared<T: Data> {
    pub(crate) stream_id: usize,
    receiver: Mutex<Box<dyn Receiver<T>>>,
    state: Mutex<State>,
    /// Bumped on every (re)start: handles from an earlier start report themselves stopped.
    generation: AtomicU64,
    blocks: BlockGenerator<T>,
    restart_delay: Duration,
    records: AtomicU64,
    errors: AtomicU64,
    restarts: AtomicU64,
    last_error: Mutex<String>,
    /// Where receiver events go (the context's listener bus).
    events: Box<dyn Fn(StreamingEvent) + Send + Sync>,
    /// The thread running `on_start`, which holds the receiver: a stop it asks for runs
    /// `on_stop` once `on_start` has returned, instead of waiting for itself.
    starting: Mutex<Option<std::thread::ThreadId>>,
}

impl<T: Data> Shared<T> {
    fn info(&self) -> ReceiverInfo {
        ReceiverInfo {
            stream_id: self.stream_id,
            active: *self.state.lock() == State::Started,
            records: self.records.load(Ordering::Relaxed),
            errors: self.errors.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            last_error_message: self.last_error.lock().clone(),
        }
    }

    pub(crate) fn store(&self, record: T) {
        self.records.fetch_add(1, Ordering::Relaxed);
        let stored = self.blocks.add(record);
        self.report_if_lost(stored);
    }

    pub(crate) fn store_block(&self, records: Vec<T>) {
        self.records.fetch_add(records.len() as u64, Ordering::Relaxed);
        let stored = self.blocks.add_block(records);
        self.report_if_lost(stored);
    }

    fn cut_block(&self) {
        let stored = self.blocks.cut();
        self.report_if_lost(stored);
    }

    /// A block the store refused is lost: the receiver's error says so, and the logs.
    fn report_if_lost(&self, stored: ember_core::Result<()>) {
        if let Err(e) = stored {
            self.report_error(&format!("Error storing a received block, its records are lost: {e}"));
        }
    }

    pub(crate) fn report_error(&self, message: &str) {
        tracing::warn!("Receiver for stream {} reported an error: {message}", self.stream_id);
        self.errors.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock() = message.to_string();
        (self.events)(StreamingEvent::ReceiverError(self.info()));
    }

    pub(crate) fn is_stopped(&self, generation: u64) -> bool {
        *self.state.lock() != State::Started || self.generation.load(Ordering::SeqCst) != generation
    }

    fn start_receiver(this: &Arc<Self>) {
        let generation = this.generation.fetch_add(1, Ordering::SeqCst) + 1;
        *this.state.lock() = State::Started;
        (this.events)(StreamingEvent::ReceiverStarted(this.info()));
        let ctx = ReceiverContext { shared: this.clone(), generation };
        // A receiver that panics in on_start is reported and restarted, never fatal.
        let started = {
            let mut receiver = this.receiver.lock();
            *this.starting.lock() = Some(std::thread::current().id());
            let started = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| receiver.on_start(ctx)));
            this.starting.lock().take();
            started
        };
        if started.is_err() {
            Shared::restart(this, &format!("Error starting receiver {}", this.stream_id));
        } else if *this.state.lock() == State::Stopped {
            // on_start stopped the receiver (or the context): its on_stop runs now.
            this.run_on_stop();
        }
    }

    /// Calls the receiver's `on_stop` (a panic in it is caught) and reports the stop.
    fn run_on_stop(&self) {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.receiver.lock().on_stop()));
        (self.events)(StreamingEvent::ReceiverStopped(self.info()));
    }

    pub(crate) fn restart(this: &Arc<Self>, message: &str) {
        {
            let mut state = this.state.lock();
            if *state != State::Started {
                return; // already restarting or stopped
            }
            *state = State::Restarting;
        }
        this.report_error(&format!("Restarting receiver with delay {} ms: {message}", this.restart_delay.as_millis()));
        this.restarts.fetch_add(1, Ordering::Relaxed);
        let shared = this.clone();
        std::thread::spawn(move || {
            shared.run_on_stop();
            std::thread::sleep(shared.restart_delay);
            if *shared.state.lock() == State::Restarting {
                Shared::start_receiver(&shared);
            }
        });
    }

    pub(crate) fn stop(this: &Arc<Self>, message: &str) {
        let previous = std::mem::replace(&mut *this.state.lock(), State::Stopped);
        if previous == State::Started {
            tracing::info!("Stopping receiver {}: {message}", this.stream_id);
            if *this.starting.lock() != Some(std::thread::current().id()) {
                this.run_on_stop();
            }
        }
        this.cut_block();
    }
}

/// Start/stop of a stream's receiver, with its record type erased (for the context).
pub(crate) trait ReceiverControl: Send + Sync {
    fn start(&self);
    fn stop(&self);
    /// Records received and not yet allocated to a batch.
    fn pending_records(&self) -> u64;
    fn info(&self) -> ReceiverInfo;
    /// The input stream this receiver feeds.
    fn stream_id(&self) -> usize;
    /// Whether an output operation reads this receiver's stream (known once the context
    /// started): an unused receiver is not started, since nothing would read its data.
    fn is_used(&self) -> bool;
    /// Every block stored and not yet allocated to a batch.
    fn take_blocks(&self) -> Vec<Arc<InputBlock>>;
}

/// A receiver and the threads that run it.
pub(crate) struct Supervisor<T: Data> {
    pub(crate) shared: Arc<Shared<T>>,
    block_interval: Duration,
    /// The context's clock: blocks are cut on it, as batches are generated on it.
    clock: Arc<dyn Clock>,
    stop_timer: Arc<AtomicBool>,
    timer: Mutex<Option<std::thread::JoinHandle<()>>>,
    used: AtomicBool,
}

impl<T: Data> Supervisor<T> {
    pub(crate) fn new(
        stream_id: usize,
        receiver: Box<dyn Receiver<T>>,
        blocks: BlockGenerator<T>,
        block_interval: Duration,
        clock: Arc<dyn Clock>,
        restart_delay: Duration,
        events: Box<dyn Fn(StreamingEvent) + Send + Sync>,
    ) -> Self {
        Supervisor {
            shared: Arc::new(Shared {
                stream_id,
                receiver: Mutex::new(receiver),
                state: Mutex::new(State::Initialized),
                generation: AtomicU64::new(0),
                blocks,
                restart_delay,
                records: AtomicU64::new(0),
                errors: AtomicU64::new(0),
                restarts: AtomicU64::new(0),
                last_error: Mutex::default(),
                events,
                starting: Mutex::default(),
            }),
            block_interval,
            clock,
            stop_timer: Arc::new(AtomicBool::new(false)),
            timer: Mutex::default(),
            used: AtomicBool::new(false),
        }
    }

    /// Records that an output operation reads this receiver's stream.
    pub(crate) fn mark_used(&self) {
        self.used.store(true, Ordering::SeqCst);
    }
}

impl<T: Data> ReceiverControl for Supervisor<T> {
    fn start(&self) {
        let (shared, stop, clock) = (self.shared.clone(), self.stop_timer.clone(), self.clock.clone());
        let interval = self.block_interval.as_millis() as u64;
        let timer = std::thread::Builder::new()
            .name(format!("block-generator-{}", self.shared.stream_id))
            .spawn(move || {
                let mut next = clock.now_ms() + interval;
                while clock.wait_till(next, &stop) {
                    shared.cut_block();
                    next += interval;
                }
            })
            .expect("spawning a block generator thread");
        *self.timer.lock() = Some(timer);
        Shared::start_receiver(&self.shared);
    }

    fn stop(&self) {
        Shared::stop(&self.shared, "Stopped by driver");
        self.stop_timer.store(true, Ordering::SeqCst);
        self.clock.wake();
        if let Some(timer) = self.timer.lock().take() {
            let _ = timer.join();
        }
    }

    fn pending_records(&self) -> u64 {
        self.shared.blocks.pending_records()
    }

    fn info(&self) -> ReceiverInfo {
        self.shared.info()
    }

    fn stream_id(&self) -> usize {
        self.shared.stream_id
    }

    fn is_used(&self) -> bool {
        self.used.load(Ordering::SeqCst)
    }

    fn take_blocks(&self) -> Vec<Arc<InputBlock>> {
        self.shared.blocks.take_blocks()
    }
}
