//! `EventBus`: delivers events to listeners on a dedicated thread, in the order posted, so a
//! slow listener never stalls a task or a batch (Spark's `LiveListenerBus`). A listener that
//! panics is logged and skipped; the bus keeps going. The queue is bounded (Spark's
//! `spark.scheduler.listenerbus.eventqueue.capacity`, 10,000): when a listener cannot keep up,
//! new events are dropped and counted rather than held without limit.

use crossbeam_channel::{Sender, TrySendError};
use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Spark's default queue capacity.
pub const DEFAULT_CAPACITY: usize = 10_000;

type Listener<E> = Arc<dyn Fn(&E) + Send + Sync>;

#[derive(Default)]
struct Pending {
    count: Mutex<u64>,
    drained: Condvar,
}

/// An asynchronous, ordered event bus.
///
/// ```
/// use ember_core::event_bus::EventBus;
/// use std::sync::{Arc, atomic::{AtomicU32, Ordering}};
/// let bus = EventBus::new("doc-bus");
/// let sum = Arc::new(AtomicU32::new(0));
/// let s = sum.clone();
/// bus.add_listener(Arc::new(move |e: &u32| { s.fetch_add(*e, Ordering::SeqCst); }));
/// bus.post(2);
/// bus.post(3);
/// bus.wait_until_empty();
/// assert_eq!(sum.load(Ordering::SeqCst), 5);
/// ```
pub struct EventBus<E> {
    name: String,
    sender: Sender<E>,
    listeners: Arc<Mutex<Vec<Listener<E>>>>,
    pending: Arc<Pending>,
    dropped: AtomicU64,
}

impl<E: Send + std::fmt::Debug + 'static> EventBus<E> {
    /// Starts the delivery thread, named `name`, with Spark's queue capacity.
    pub fn new(name: &str) -> EventBus<E> {
        Self::with_capacity(name, DEFAULT_CAPACITY)
    }

    /// Starts the delivery thread, named `name`; at most `capacity` events wait for delivery.
    pub fn with_capacity(name: &str, capacity: usize) -> EventBus<E> {
        let (sender, receiver) = crossbeam_channel::bounded::<E>(capacity.max(1));
        let listeners: Arc<Mutex<Vec<Listener<E>>>> = Arc::default();
        let pending: Arc<Pending> = Arc::default();
        let (l, p) = (listeners.clone(), pending.clone());
        std::thread::Builder::new()
            .name(name.into())
            .spawn(move || {
                while let Ok(event) = receiver.recv() {
                    let targets = l.lock().clone();
                    for listener in targets {
                        if std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| listener(&event))).is_err() {
                            tracing::error!("Listener panicked while handling {event:?}");
                        }
                    }
                    let mut count = p.count.lock();
                    *count -= 1;
                    if *count == 0 {
                        p.drained.notify_all();
                    }
                }
            })
            .expect("spawning an event bus thread");
        EventBus { name: name.into(), sender, listeners, pending, dropped: AtomicU64::new(0) }
    }

    /// Registers a listener for every later event.
    pub fn add_listener(&self, listener: Listener<E>) {
        self.listeners.lock().push(listener);
    }

    /// Queues an event (dropped at once if nobody listens). When the queue is full the event
    /// is dropped and counted; the first drop is logged with Spark's explanation, then every
    /// thousandth.
    pub fn post(&self, event: E) {
        if self.listeners.lock().is_empty() {
            return;
        }
        *self.pending.count.lock() += 1;
        if let Err(e) = self.sender.try_send(event) {
            *self.pending.count.lock() -= 1;
            if let TrySendError::Full(_) = e {
                let dropped = self.dropped.fetch_add(1, Ordering::Relaxed) + 1;
                if dropped == 1 || dropped.is_multiple_of(1000) {
                    tracing::error!(
                        "Dropping event from queue {} ({dropped} dropped so far). This likely means one of the listeners is too slow and cannot keep up with the rate at which events are posted.",
                        self.name
                    );
                }
            }
        }
    }

    /// How many events were dropped because the queue was full.
    pub fn dropped_events(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Blocks until every event posted so far has been delivered.
    pub fn wait_until_empty(&self) {
        let mut count = self.pending.count.lock();
        while *count > 0 {
            self.pending.drained.wait(&mut count);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

    #[test]
    fn a_full_queue_drops_and_counts_events_instead_of_growing() {
        let bus = EventBus::with_capacity("bounded-bus", 3);
        let (blocked, release, delivered) =
            (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)), Arc::new(AtomicU32::new(0)));
        let (b, r, d) = (blocked.clone(), release.clone(), delivered.clone());
        bus.add_listener(Arc::new(move |_: &u32| {
            b.store(true, Ordering::SeqCst);
            while !r.load(Ordering::SeqCst) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            d.fetch_add(1, Ordering::SeqCst);
        }));
        bus.post(0);
        while !blocked.load(Ordering::SeqCst) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        (1..10).for_each(|i| bus.post(i));
        assert_eq!(bus.dropped_events(), 6, "3 wait in the queue, 6 do not fit");
        release.store(true, Ordering::SeqCst);
        bus.wait_until_empty();
        assert_eq!(delivered.load(Ordering::SeqCst), 4);
    }
}
