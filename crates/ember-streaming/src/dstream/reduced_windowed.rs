//! `ReducedWindowedDStream`: windows computed incrementally from the previous window, reducing
//! the batches that enter it and inverse-reducing those that leave (Spark's
//! `ReducedWindowedDStream`, behind every `_inv` window operation). A key whose value returns
//! to the zero of the inverse stays in the window unless a filter removes it. It must
//! checkpoint, since each window depends on the one before.

use super::windowed::check_window_durations;
use super::{AnyDStream, DStream, DStreamNode, DStreamOp};
use crate::Time;
use ember_core::{Data, Error, Key, Rdd, Result, StorageLevel};
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

type ReduceFn<V> = Arc<dyn Fn(V, V) -> V + Send + Sync>;
type FilterFn<K, V> = Arc<dyn Fn(&(K, V)) -> bool + Send + Sync>;

/// Which side of the window update a value comes from.
#[derive(Clone, Serialize, Deserialize)]
enum Part<V> {
    Previous(V),
    Leaving(V),
    Entering(V),
}

struct ReducedWindowedDStream<K: Key, V: Data> {
    /// The parent reduced per batch (persisted: each batch enters and leaves a window).
    reduced: DStream<(K, V)>,
    reduce: ReduceFn<V>,
    inverse: ReduceFn<V>,
    filter: Option<FilterFn<K, V>>,
    window: Duration,
    slide: Duration,
    partitions: usize,
    me: Arc<OnceLock<Weak<DStreamNode<(K, V)>>>>,
}

impl<K: Key, V: Data> DStreamOp<(K, V)> for ReducedWindowedDStream<K, V> {
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        vec![self.reduced.as_any()]
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, V)>>> {
        let ps = self.reduced.slide_duration();
        let window_begin = time - self.window + ps;
        let previous_end = time - self.slide;
        // Batches leaving: the previous window's start up to before this window's start
        // (`slice` skips times before the stream began).
        let leaving = self.reduced.slice(window_begin - self.slide, window_begin - ps)?;
        // Batches entering: after the previous window's end, up to now.
        let entering = self.reduced.slice(previous_end + ps, time)?;
        let me =
            self.me.get().and_then(Weak::upgrade).ok_or_else(|| Error::IllegalState("window stream dropped".into()))?;
        let previous = DStream { node: me }.get_or_compute(previous_end)?;
        let ctx = self.reduced.context().spark_context().clone();
        let mut tagged: Vec<Rdd<(K, Part<V>)>> = Vec::new();
        if let Some(previous) = previous {
            tagged.push(previous.map_values(Part::Previous));
        }
        tagged.extend(leaving.iter().map(|r| r.map_values(Part::Leaving)));
        tagged.extend(entering.iter().map(|r| r.map_values(Part::Entering)));
        let (reduce, inverse) = (self.reduce.clone(), self.inverse.clone());
        let merged = ctx.union(tagged).group_by_key_with_partitions(self.partitions).map_values(move |parts| {
            let (mut previous, mut leaving, mut entering) = (None, None, None);
            let fold = |acc: Option<V>, v: V| Some(match acc {
                Some(a) => reduce(a, v),
                None => v,
            });
            for part in parts {
                match part {
                    Part::Previous(v) => previous = Some(v),
                    Part::Leaving(v) => leaving = fold(leaving, v),
                    Part::Entering(v) => entering = fold(entering, v),
                }
            }
            match previous {
                None => entering.unwrap_or_else(|| {
                    panic!("Neither previous window has value for key, nor new values found. Are you sure your key class hashes consistently?")
                }),
                Some(mut v) => {
                    if let Some(old) = leaving {
                        v = inverse(v, old);
                    }
                    if let Some(new) = entering {
                        v = reduce(v, new);
                    }
                    v
                }
            }
        });
        Ok(Some(match &self.filter {
            Some(keep) => {
                let keep = keep.clone();
                merged.filter(move |kv| keep(kv))
            }
            None => merged,
        }))
    }
    fn name(&self) -> &'static str {
        "ReducedWindowedDStream"
    }
    fn parent_remember_extra(&self) -> Duration {
        self.window
    }
    fn must_checkpoint(&self) -> bool {
        true
    }
}

impl<K: Key, V: Data> DStream<(K, V)> {
    /// Incremental [`reduce_by_key_and_window`](Self::reduce_by_key_and_window): each window
    /// is the previous one, minus what left (`inv`), plus what entered (`f`). Keys stay (with
    /// the inverse's zero) once seen. Needs `ssc.checkpoint(dir)`.
    pub fn reduce_by_key_and_window_inv(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<(K, V)> {
        let n = self.context().spark_context().default_parallelism();
        self.reduced_window(Arc::new(f), Arc::new(inv), window, slide, n, None)
    }

    /// [`reduce_by_key_and_window_inv`](Self::reduce_by_key_and_window_inv) into `n` partitions.
    pub fn reduce_by_key_and_window_inv_with_partitions(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
        n: usize,
    ) -> DStream<(K, V)> {
        self.reduced_window(Arc::new(f), Arc::new(inv), window, slide, n, None)
    }

    /// [`reduce_by_key_and_window_inv`](Self::reduce_by_key_and_window_inv), keeping only the
    /// pairs `filter` accepts (e.g. dropping zero counts).
    pub fn reduce_by_key_and_window_inv_filter(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        inv: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
        filter: impl Fn(&(K, V)) -> bool + Send + Sync + 'static,
    ) -> DStream<(K, V)> {
        let n = self.context().spark_context().default_parallelism();
        self.reduced_window(Arc::new(f), Arc::new(inv), window, slide, n, Some(Arc::new(filter)))
    }

    fn reduced_window(
        &self,
        reduce: ReduceFn<V>,
        inverse: ReduceFn<V>,
        window: Duration,
        slide: Duration,
        partitions: usize,
        filter: Option<FilterFn<K, V>>,
    ) -> DStream<(K, V)> {
        let ssc = self.context();
        check_window_durations(self, "ReducedWindowedDStream", "multiple of", window, slide);
        let r = reduce.clone();
        let reduced =
            self.reduce_by_key_with_partitions(move |a, b| r(a, b), partitions).persist(StorageLevel::MEMORY_ONLY_SER);
        let me = Arc::new(OnceLock::new());
        let op = ReducedWindowedDStream { reduced, reduce, inverse, filter, window, slide, partitions, me: me.clone() };
        let stream = DStream::from_op(&ssc, op);
        let _ = me.set(Arc::downgrade(&stream.node));
        stream.persist(StorageLevel::MEMORY_ONLY_SER)
    }
}

impl<T: Data> DStream<T> {
    /// Incremental [`reduce_by_window`](Self::reduce_by_window) with inverse `inv`: once data
    /// was seen, a window that became empty yields the inverse's zero rather than nothing.
    pub fn reduce_by_window_inv(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        inv: impl Fn(T, T) -> T + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<T> {
        self.map(|x| ((), x)).reduce_by_key_and_window_inv_with_partitions(f, inv, window, slide, 1).map(|(_, v)| v)
    }

    /// Records in each window (`0` for windows that became empty; nothing before any data).
    pub fn count_by_window(&self, window: Duration, slide: Duration) -> DStream<u64> {
        self.map(|_| 1u64).reduce_by_window_inv(|a, b| a + b, |a, b| a - b, window, slide)
    }
}

impl<T: Key> DStream<T> {
    /// Each distinct record's count in each window; zero counts are dropped.
    pub fn count_by_value_and_window(&self, window: Duration, slide: Duration) -> DStream<(T, u64)> {
        self.map(|x| (x, 1u64)).reduce_by_key_and_window_inv_filter(
            |a, b| a + b,
            |a, b| a - b,
            window,
            slide,
            |(_, c)| *c != 0,
        )
    }
}
