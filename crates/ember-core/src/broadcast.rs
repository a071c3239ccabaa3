//! Broadcast variables: read-only values shared by every task.
//!
//! In local mode tasks share the driver's memory, so a broadcast is a reference-counted
//! handle; the API is Spark's so programs keep working when executors are separate processes.

use crate::scheduler::raise;
use crate::{Data, Error, Result};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

static IDS: AtomicU64 = AtomicU64::new(0);

/// A read-only value available to all tasks.
///
/// ```
/// # let ctx = ember_core::Context::local(2).unwrap();
/// let lookup = ctx.broadcast(vec!["zero".to_string(), "one".into(), "two".into()]);
/// let b = lookup.clone();
/// let names = ctx.parallelize(vec![2usize, 0], 2).map(move |i| b.value()[i].clone());
/// assert_eq!(names.collect().unwrap(), vec!["two", "zero"]);
/// ```
pub struct Broadcast<T> {
    id: u64,
    value: Arc<T>,
    destroyed: Arc<AtomicBool>,
}

impl<T> Clone for Broadcast<T> {
    fn clone(&self) -> Self {
        Broadcast { id: self.id, value: self.value.clone(), destroyed: self.destroyed.clone() }
    }
}

impl<T: Data> Broadcast<T> {
    /// The value. Using a destroyed broadcast fails the task (or panics on the driver) with
    /// Spark's message; see [`try_value`](Self::try_value) for a `Result`.
    pub fn value(&self) -> &T {
        self.try_value().unwrap_or_else(|e| raise(e))
    }

    /// The value, or an error if the broadcast was destroyed.
    pub fn try_value(&self) -> Result<&T> {
        if self.destroyed.load(Ordering::SeqCst) {
            Err(Error::BroadcastDestroyed(self.id))
        } else {
            Ok(&self.value)
        }
    }

    /// The broadcast's id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Marks the broadcast unusable; later `value()` calls fail.
    pub fn destroy(&self) {
        self.destroyed.store(true, Ordering::SeqCst);
    }
}

impl crate::Context {
    /// Shares `value` with every task.
    pub fn broadcast<T: Data>(&self, value: T) -> Broadcast<T> {
        Broadcast { id: IDS.fetch_add(1, Ordering::Relaxed), value: Arc::new(value), destroyed: Arc::default() }
    }
}
