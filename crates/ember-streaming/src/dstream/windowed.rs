//! `WindowedDStream`: every `slide`, the union of the parent's RDDs of the last `window`
//! (Spark's `WindowedDStream`), and the windowed operations built on it.

use super::{AnyDStream, DStream, DStreamOp};
use crate::Time;
use ember_core::{Context, Data, Error, HashPartitioner, Key, Rdd, Result, StorageLevel};
use std::sync::Arc;
use std::time::Duration;

struct WindowedDStream<T: Data> {
    ctx: Context,
    parent: DStream<T>,
    window: Duration,
    slide: Duration,
}

impl<T: Data> DStreamOp<T> for WindowedDStream<T> {
    fn slide_duration(&self) -> Duration {
        self.slide
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        vec![self.parent.as_any()]
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        // The parent's batches in (time - window, time]; before the window has filled, only
        // those since the start (Spark: no padding, no waiting).
        let from = time - self.window + self.parent.slide_duration();
        Ok(Some(self.ctx.union(self.parent.slice(from, time)?)))
    }
    fn name(&self) -> &'static str {
        "WindowedDStream"
    }
    fn parent_remember_extra(&self) -> Duration {
        self.window
    }
    fn persist(&self, level: StorageLevel) -> bool {
        self.parent.persist(level);
        true
    }
}

/// Spark's check that a window and its slide are multiples of the parent's slide, reported by
/// `start()`. `class` and `multiple` carry Spark's exact wording, which differs between
/// `WindowedDStream` ("a multiple of") and `ReducedWindowedDStream` ("multiple of").
pub(crate) fn check_window_durations<T: Data>(
    parent: &DStream<T>,
    class: &str,
    multiple: &str,
    window: Duration,
    slide: Duration,
) {
    let parent_ms = parent.slide_duration().as_millis();
    for (what, d) in [("window", window), ("slide", slide)] {
        if d.is_zero() || !d.as_millis().is_multiple_of(parent_ms.max(1)) {
            parent.context().inner.config_error(Error::IllegalArgument(format!(
                "The {what} duration of {class} ({} ms) must be {multiple} the slide duration of parent DStream ({parent_ms} ms)",
                d.as_millis()
            )));
        }
    }
}

impl<T: Data> DStream<T> {
    /// Every `slide`, the records of the last `window` of this stream.
    ///
    /// Both must be multiples of this stream's slide; otherwise `start()` fails with Spark's
    /// message ("The window duration of windowed DStream (3500 ms) must be a multiple of the
    /// slide duration of parent DStream (1000 ms)"). The window need not be a multiple of the
    /// slide.
    ///
    /// ```
    /// use ember_streaming::testing::run_operation;
    /// use std::time::Duration;
    /// let out = run_operation(vec![vec![1], vec![2], vec![3]], 3, |s| s.window(Duration::from_secs(2), Duration::from_secs(1))).unwrap();
    /// assert_eq!(out, vec![vec![1], vec![1, 2], vec![2, 3]]);
    /// ```
    pub fn window(&self, window: Duration, slide: Duration) -> DStream<T> {
        let ssc = self.context();
        check_window_durations(self, "windowed DStream", "a multiple of", window, slide);
        // Each parent RDD is read by several windows: keep it (serialized, as Spark does).
        if self.storage_level() == StorageLevel::NONE {
            self.persist(StorageLevel::MEMORY_ONLY_SER);
        }
        let op = WindowedDStream { ctx: ssc.spark_context().clone(), parent: self.clone(), window, slide };
        DStream::from_op(&ssc, op)
    }

    /// Every `slide`, the records of the last `window` combined with `f` (no element for an
    /// empty window).
    pub fn reduce_by_window(
        &self,
        f: impl Fn(T, T) -> T + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<T> {
        let f = Arc::new(f);
        let g = f.clone();
        self.reduce(move |a, b| f(a, b)).window(window, slide).reduce(move |a, b| g(a, b))
    }
}

impl<K: Key, V: Data> DStream<(K, V)> {
    /// Every `slide`, the values of each key over the last `window`, merged with `f`. Keys with
    /// no value in the window do not appear.
    pub fn reduce_by_key_and_window(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
    ) -> DStream<(K, V)> {
        let n = self.context().spark_context().default_parallelism();
        self.reduce_by_key_and_window_with_partitions(f, window, slide, n)
    }

    /// [`reduce_by_key_and_window`](Self::reduce_by_key_and_window) into `n` partitions.
    pub fn reduce_by_key_and_window_with_partitions(
        &self,
        f: impl Fn(V, V) -> V + Send + Sync + 'static,
        window: Duration,
        slide: Duration,
        n: usize,
    ) -> DStream<(K, V)> {
        let f = Arc::new(f);
        let g = f.clone();
        self.reduce_by_key_with_partitions(move |a, b| f(a, b), n)
            .window(window, slide)
            .reduce_by_key_with_partitions(move |a, b| g(a, b), n)
    }

    /// Every `slide`, all values of each key over the last `window` (older batches first).
    pub fn group_by_key_and_window(&self, window: Duration, slide: Duration) -> DStream<(K, Vec<V>)> {
        let n = self.context().spark_context().default_parallelism();
        self.group_by_key_and_window_with_partitions(window, slide, n)
    }

    /// [`group_by_key_and_window`](Self::group_by_key_and_window) into `n` partitions.
    pub fn group_by_key_and_window_with_partitions(
        &self,
        window: Duration,
        slide: Duration,
        n: usize,
    ) -> DStream<(K, Vec<V>)> {
        self.group_by_key_with_partitions(n).window(window, slide).per_rdd("ShuffledDStream", move |rdd| {
            rdd.combine_by_key_with_partitioner(
                |vs| vs,
                |mut a, mut b| {
                    a.append(&mut b);
                    a
                },
                |mut a, mut b| {
                    a.append(&mut b);
                    a
                },
                HashPartitioner::new(n),
            )
        })
    }
}
