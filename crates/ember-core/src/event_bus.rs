//! `EventBus`: delivers events to listeners on a dedicated thread, in the order posted, so a
//! slow listener never stalls a task or a batch (Spark's `LiveListenerBus`). A listener that
//! panics is logged and skipped; the bus keeps going.

use crossbeam_channel::Sender;
use parking_lot::{Condvar, Mutex};
use std::sync::Arc;

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
    sender: Sender<E>,
    listeners: Arc<Mutex<Vec<Listener<E>>>>,
    pending: Arc<Pending>,
}

impl<E: Send + std::fmt::Debug + 'static> EventBus<E> {
    /// Starts the delivery thread, named `name`.
    pub fn new(name: &str) -> EventBus<E> {
        let (sender, receiver) = crossbeam_channel::unbounded::<E>();
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
        EventBus { sender, listeners, pending }
    }

    /// Registers a listener for every later event.
    pub fn add_listener(&self, listener: Listener<E>) {
        self.listeners.lock().push(listener);
    }

    /// Queues an event (dropped at once if nobody listens).
    pub fn post(&self, event: E) {
        if self.listeners.lock().is_empty() {
            return;
        }
        *self.pending.count.lock() += 1;
        if self.sender.send(event).is_err() {
            *self.pending.count.lock() -= 1;
        }
    }

    /// Blocks until every event posted so far has been delivered.
    pub fn wait_until_empty(&self) {
        let mut count = self.pending.count.lock();
        while *count > 0 {
            self.pending.drained.wait(&mut count);
        }
    }
}
