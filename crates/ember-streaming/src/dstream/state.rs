//! `update_state_by_key`: per-key state carried from batch to batch (Spark's `StateDStream`).
//! Each batch cogroups the new values with the previous state, so the update function sees
//! every existing key (with no values when none arrived); returning `None` removes the key.
//! The state must checkpoint (`StreamingContext::checkpoint`), which keeps its lineage short.

use super::{AnyDStream, DStream, DStreamNode, DStreamOp};
use crate::Time;
use ember_core::{Data, Error, Key, Rdd, Result, StorageLevel};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

type UpdateFn<K, V, S> = dyn Fn(Time, &K, &[V], Option<S>) -> Option<S> + Send + Sync;

struct StateDStream<K: Key, V: Data, S: Data> {
    parent: DStream<(K, V)>,
    update: Arc<UpdateFn<K, V, S>>,
    partitions: usize,
    initial: Option<Rdd<(K, S)>>,
    /// This stream itself, to read the previous batch's state.
    me: Arc<OnceLock<Weak<DStreamNode<(K, S)>>>>,
}

impl<K: Key, V: Data, S: Data> DStreamOp<(K, S)> for StateDStream<K, V, S> {
    fn slide_duration(&self) -> Duration {
        self.parent.slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        vec![self.parent.as_any()]
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<(K, S)>>> {
        let me =
            self.me.get().and_then(Weak::upgrade).ok_or_else(|| Error::IllegalState("state stream dropped".into()))?;
        let previous = DStream { node: me }.get_or_compute(time - self.slide_duration())?;
        let new = self.parent.get_or_compute(time)?;
        let (update, n) = (self.update.clone(), self.partitions);
        let apply =
            move |(k, (vs, ss)): (K, (Vec<V>, Vec<S>))| update(time, &k, &vs, ss.into_iter().next()).map(|s| (k, s));
        Ok(match (previous, new, &self.initial) {
            (Some(previous), Some(new), _) => Some(new.cogroup_with_partitions(&previous, n).flat_map(apply)),
            (Some(previous), None, _) => {
                let update = self.update.clone();
                Some(previous.flat_map(move |(k, s)| update(time, &k, &[], Some(s)).map(|s| (k, s))))
            }
            (None, Some(new), Some(initial)) => Some(new.cogroup_with_partitions(initial, n).flat_map(apply)),
            (None, Some(new), None) => {
                let update = self.update.clone();
                Some(
                    new.group_by_key_with_partitions(n)
                        .flat_map(move |(k, vs)| update(time, &k, &vs, None).map(|s| (k, s))),
                )
            }
            (None, None, _) => None,
        })
    }
    fn name(&self) -> &'static str {
        "StateDStream"
    }
    fn must_checkpoint(&self) -> bool {
        true
    }
}

impl<K: Key, V: Data> DStream<(K, V)> {
    /// Per-key state: `f(new values, previous state)` for every key each batch; `None` removes
    /// the key. The output of each batch is the whole state. Needs `ssc.checkpoint(dir)`.
    ///
    /// ```
    /// use ember_streaming::testing::run_operation;
    /// let out = run_operation(vec![vec!["a".to_string()], vec!["a".into(), "b".into()]], 2, |s| {
    ///     s.map(|w| (w, 1)).update_state_by_key(|vs: &[i32], s: Option<i32>| Some(vs.iter().sum::<i32>() + s.unwrap_or(0)))
    /// }).unwrap();
    /// let mut last = out[1].clone();
    /// last.sort();
    /// assert_eq!(last, vec![("a".to_string(), 2), ("b".to_string(), 1)]);
    /// ```
    pub fn update_state_by_key<S: Data>(
        &self,
        f: impl Fn(&[V], Option<S>) -> Option<S> + Send + Sync + 'static,
    ) -> DStream<(K, S)> {
        let n = self.context().spark_context().default_parallelism();
        self.state_stream(Arc::new(move |_, _, vs, s| f(vs, s)), n, None)
    }

    /// [`update_state_by_key`](Self::update_state_by_key) into `n` partitions.
    pub fn update_state_by_key_with_partitions<S: Data>(
        &self,
        f: impl Fn(&[V], Option<S>) -> Option<S> + Send + Sync + 'static,
        n: usize,
    ) -> DStream<(K, S)> {
        self.state_stream(Arc::new(move |_, _, vs, s| f(vs, s)), n, None)
    }

    /// [`update_state_by_key`](Self::update_state_by_key) starting from `initial` state.
    pub fn update_state_by_key_with_initial<S: Data>(
        &self,
        f: impl Fn(&[V], Option<S>) -> Option<S> + Send + Sync + 'static,
        initial: Rdd<(K, S)>,
    ) -> DStream<(K, S)> {
        let n = self.context().spark_context().default_parallelism();
        self.state_stream(Arc::new(move |_, _, vs, s| f(vs, s)), n, Some(initial))
    }

    /// The full form: `f(batch time, key, new values, previous state)`, optional initial state.
    pub fn update_state_by_key_with_time<S: Data>(
        &self,
        f: impl Fn(Time, &K, &[V], Option<S>) -> Option<S> + Send + Sync + 'static,
        initial: Option<Rdd<(K, S)>>,
    ) -> DStream<(K, S)> {
        let n = self.context().spark_context().default_parallelism();
        self.state_stream(Arc::new(f), n, initial)
    }

    fn state_stream<S: Data>(
        &self,
        update: Arc<UpdateFn<K, V, S>>,
        partitions: usize,
        initial: Option<Rdd<(K, S)>>,
    ) -> DStream<(K, S)> {
        let me = Arc::new(OnceLock::new());
        let op = StateDStream { parent: self.clone(), update, partitions, initial, me: me.clone() };
        let stream = DStream::from_op(&self.context(), op);
        let _ = me.set(Arc::downgrade(&stream.node));
        stream.persist(StorageLevel::MEMORY_ONLY_SER)
    }
}
