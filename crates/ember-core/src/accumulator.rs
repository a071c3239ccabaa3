//! Accumulators: values tasks add to and the driver reads. As in Spark, a task's additions are
//! kept aside while it runs and merged only when it succeeds, so retried tasks count once.

use parking_lot::Mutex;
use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What an accumulator adds up: a zero (`Default`), how to add an input and merge partials.
pub trait AccumulatorKind: Default + Send + 'static {
    /// What `add` takes.
    type In;
    /// What `value` returns.
    type Out;
    /// Adds one input.
    fn add(&mut self, v: Self::In);
    /// Merges another partial result in.
    fn merge(&mut self, other: Self);
    /// The current result.
    fn value(&self) -> Self::Out;
}

/// Sum and count of `i64` inputs (Spark's `LongAccumulator`).
#[derive(Debug, Default, Clone)]
pub struct LongSum {
    sum: i64,
    count: u64,
}

impl AccumulatorKind for LongSum {
    type In = i64;
    type Out = i64;
    fn add(&mut self, v: i64) {
        self.sum += v;
        self.count += 1;
    }
    fn merge(&mut self, o: Self) {
        self.sum += o.sum;
        self.count += o.count;
    }
    fn value(&self) -> i64 {
        self.sum
    }
}

/// Sum and count of `f64` inputs (Spark's `DoubleAccumulator`).
#[derive(Debug, Default, Clone)]
pub struct DoubleSum {
    sum: f64,
    count: u64,
}

impl AccumulatorKind for DoubleSum {
    type In = f64;
    type Out = f64;
    fn add(&mut self, v: f64) {
        self.sum += v;
        self.count += 1;
    }
    fn merge(&mut self, o: Self) {
        self.sum += o.sum;
        self.count += o.count;
    }
    fn value(&self) -> f64 {
        self.sum
    }
}

/// Every input, collected (Spark's `CollectionAccumulator`).
#[derive(Debug, Clone)]
pub struct Collection<T>(Vec<T>);

impl<T> Default for Collection<T> {
    fn default() -> Self {
        Collection(Vec::new())
    }
}

impl<T: Clone + Send + 'static> AccumulatorKind for Collection<T> {
    type In = T;
    type Out = Vec<T>;
    fn add(&mut self, v: T) {
        self.0.push(v);
    }
    fn merge(&mut self, mut o: Self) {
        self.0.append(&mut o.0);
    }
    fn value(&self) -> Vec<T> {
        self.0.clone()
    }
}

trait Pending: Send {
    fn as_any(&mut self) -> &mut dyn Any;
    fn commit(self: Box<Self>);
}

struct PendingUpdate<A> {
    partial: A,
    global: Arc<Mutex<A>>,
}

impl<A: AccumulatorKind> Pending for PendingUpdate<A> {
    fn as_any(&mut self) -> &mut dyn Any {
        &mut self.partial
    }
    fn commit(self: Box<Self>) {
        self.global.lock().merge(self.partial);
    }
}

thread_local! {
    static TASK_UPDATES: RefCell<Option<HashMap<u64, Box<dyn Pending>>>> = const { RefCell::new(None) };
}

pub(crate) fn begin_task() {
    TASK_UPDATES.with(|u| *u.borrow_mut() = Some(HashMap::new()));
}

pub(crate) fn commit_task() {
    if let Some(updates) = TASK_UPDATES.with(|u| u.borrow_mut().take()) {
        updates.into_values().for_each(Pending::commit);
    }
}

pub(crate) fn discard_task() {
    TASK_UPDATES.with(|u| u.borrow_mut().take());
}

static IDS: AtomicU64 = AtomicU64::new(0);

/// A shared variable tasks add to; the driver reads the merged value.
///
/// ```
/// # let ctx = ember_core::Context::local(2).unwrap();
/// let acc = ctx.long_accumulator("evens");
/// let a = acc.clone();
/// ctx.parallelize((1..=10).collect::<Vec<i64>>(), 3).foreach(move |x| if x % 2 == 0 { a.add(1) }).unwrap();
/// assert_eq!(acc.value(), 5);
/// ```
pub struct Accumulator<A> {
    id: u64,
    name: Option<String>,
    global: Arc<Mutex<A>>,
}

impl<A> Clone for Accumulator<A> {
    fn clone(&self) -> Self {
        Accumulator { id: self.id, name: self.name.clone(), global: self.global.clone() }
    }
}

impl<A: AccumulatorKind> Accumulator<A> {
    /// A new accumulator at zero.
    pub fn new(name: Option<&str>) -> Self {
        Accumulator { id: IDS.fetch_add(1, Ordering::Relaxed), name: name.map(str::to_owned), global: Arc::default() }
    }

    /// Adds `v`: inside a task it counts once the task succeeds; on the driver at once.
    pub fn add(&self, v: A::In) {
        let in_task = TASK_UPDATES.with(|u| {
            let mut u = u.borrow_mut();
            let Some(updates) = u.as_mut() else {
                return Err(v);
            };
            let entry = updates
                .entry(self.id)
                .or_insert_with(|| Box::new(PendingUpdate { partial: A::default(), global: self.global.clone() }));
            entry.as_any().downcast_mut::<A>().expect("accumulator ids are unique").add(v);
            Ok(())
        });
        if let Err(v) = in_task {
            self.global.lock().add(v);
        }
    }

    /// The merged value of all successful tasks' additions.
    pub fn value(&self) -> A::Out {
        self.global.lock().value()
    }

    /// The name given at creation.
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }

    /// Resets to zero.
    pub fn reset(&self) {
        *self.global.lock() = A::default();
    }
}

impl Accumulator<LongSum> {
    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.global.lock().count
    }
    /// Mean of the values added (NaN if none).
    pub fn avg(&self) -> f64 {
        let g = self.global.lock();
        g.sum as f64 / g.count as f64
    }
}

impl Accumulator<DoubleSum> {
    /// Number of values added.
    pub fn count(&self) -> u64 {
        self.global.lock().count
    }
    /// Mean of the values added (NaN if none).
    pub fn avg(&self) -> f64 {
        let g = self.global.lock();
        g.sum / g.count as f64
    }
}

impl crate::Context {
    /// A named `i64` sum accumulator.
    pub fn long_accumulator(&self, name: &str) -> Accumulator<LongSum> {
        Accumulator::new(Some(name))
    }
    /// A named `f64` sum accumulator.
    pub fn double_accumulator(&self, name: &str) -> Accumulator<DoubleSum> {
        Accumulator::new(Some(name))
    }
    /// A named accumulator collecting every value added.
    pub fn collection_accumulator<T: Clone + Send + 'static>(&self, name: &str) -> Accumulator<Collection<T>> {
        Accumulator::new(Some(name))
    }
}
