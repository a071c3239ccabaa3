//! `map_with_state`: keyed state updated record by record, at a cost per batch in proportion
//! to the batch, not to the state (Spark's `MapWithStateDStream`).

use super::{AnyDStream, DStream, DStreamNode, DStreamOp};
use crate::rdd::map_with_state::{update_record_with_data, BatchSpec, MapWithStateRecord, Previous};
use crate::util::state_map::StateMap;
use crate::{StateSpec, Time};
use ember_core::{Data, Error, HashPartitioner, Key, Rdd, Result};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

/// The state stream behind a [`MapWithStateDStream`] (Spark's `InternalMapWithStateDStream`):
/// one record per partition per batch, over per-partition maps that live as long as the stream.
struct InternalMapWithStateDStream<K: Key, V: Data, S: Data, M: Data> {
    parent: DStream<(K, V)>,
    spec: StateSpec<K, V, S, M>,
    partitions: usize,
    maps: OnceLock<Arc<Vec<Arc<StateMap<K, S, M>>>>>,
    me: Arc<OnceLock<Weak<DStreamNode<MapWithStateRecord<K, S, M>>>>>,
}

impl<K: Key, V: Data, S: Data, M: Data> DStreamOp<MapWithStateRecord<K, S, M>>
    for InternalMapWithStateDStream<K, V, S, M>
{
    fn slide_duration(&self) -> Duration {
        self.parent.slide_duration()
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        vec![self.parent.as_any()]
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<MapWithStateRecord<K, S, M>>>> {
        let me = DStream {
            node: self
                .me
                .get()
                .and_then(Weak::upgrade)
                .ok_or_else(|| Error::IllegalState("state stream dropped".into()))?,
        };
        let ctx = me.context().spark_context().clone();
        let n = self.partitions;
        let previous_time = time - self.slide_duration();
        let previous = me.get_or_compute(previous_time)?;
        // A batch without data still makes a state RDD, so snapshots carry on.
        let data =
            self.parent.get_or_compute(time)?.unwrap_or_else(|| ctx.empty_rdd()).partition_by(HashPartitioner::new(n));
        let maps = self
            .maps
            .get_or_init(|| Arc::new((0..n).map(|_| Arc::new(StateMap::new(Some(ctx.claim_memory())))).collect()))
            .clone();
        let spec = Arc::new(BatchSpec {
            function: self.spec.function.clone(),
            time,
            previous_time,
            timeout: self.spec.timeout,
            full_scan: me.checkpoints_at(time),
            forget_through: time - me.remember_duration(),
        });
        let apply = move |i: usize, previous: Previous<K, S, M>, data| {
            let record = update_record_with_data(&maps[i], &spec, Some(previous), data);
            std::iter::once(record.unwrap_or_else(|e| panic!("map_with_state: {e}")))
        };
        let rdd = match previous {
            Some(previous) => previous.zip_partitions_with_index(&data, move |i, p, d| apply(i, Previous::Batch(p), d)),
            None => {
                let initial = match &self.spec.initial_state {
                    Some(initial) => initial.partition_by(HashPartitioner::new(n)),
                    None => ctx.parallelize_partitions((0..n).map(|_| Vec::new()).collect()),
                };
                initial.zip_partitions_with_index(&data, move |i, p, d| apply(i, Previous::Initial(p), d))
            }
        };
        rdd.map(Some)
    }
    fn name(&self) -> &'static str {
        "InternalMapWithStateDStream"
    }
    fn must_checkpoint(&self) -> bool {
        true
    }
    fn default_checkpoint_interval(&self) -> Duration {
        self.slide_duration() * 10
    }
}

/// The stream [`DStream::map_with_state`] returns: the function's results, batch by batch
/// (it derefs to that `DStream<M>`), plus [`state_snapshots`](Self::state_snapshots).
pub struct MapWithStateDStream<K: Key, S: Data, M: Data> {
    mapped: DStream<M>,
    internal: DStream<MapWithStateRecord<K, S, M>>,
}

impl<K: Key, S: Data, M: Data> std::ops::Deref for MapWithStateDStream<K, S, M> {
    type Target = DStream<M>;
    fn deref(&self) -> &DStream<M> {
        &self.mapped
    }
}

impl<K: Key, S: Data, M: Data> MapWithStateDStream<K, S, M> {
    /// Every key's state after each batch.
    pub fn state_snapshots(&self) -> DStream<(K, S)> {
        self.internal.flat_map(|record| record.snapshot())
    }

    /// Checkpoints the state every `interval` (a multiple of the batch interval; default ten
    /// batches). Timeouts are processed on these batches.
    ///
    /// # Panics
    ///
    /// After the context started, as [`DStream::checkpoint`].
    pub fn checkpoint(&self, interval: Duration) -> &Self {
        self.internal.set_checkpoint_interval(interval);
        self
    }
}

impl<K: Key, V: Data> DStream<(K, V)> {
    /// Keeps state per key, calling the spec's function for every record with the key's
    /// [`State`](crate::State), and returns what it returns (Spark's `mapWithState`). Unlike
    /// [`update_state_by_key`](Self::update_state_by_key), keys without data in a batch cost
    /// nothing. Needs `ssc.checkpoint(dir)`.
    ///
    /// ```
    /// use ember_streaming::{testing::run_operation, State, StateSpec};
    /// let input = vec![vec!["a".to_string()], vec!["a".to_string(), "a".to_string()]];
    /// let out = run_operation(input, 2, |s| {
    ///     let spec = StateSpec::function(|_, w: &String, one: Option<u32>, state: &mut State<u32>| {
    ///         let n = state.get_option().unwrap_or(&0) + one.unwrap_or(0);
    ///         state.update(n);
    ///         (w.clone(), n)
    ///     });
    ///     s.map(|w| (w, 1)).map_with_state(spec).clone()
    /// }).unwrap();
    /// let a = |n| ("a".to_string(), n);
    /// assert_eq!(out, vec![vec![a(1)], vec![a(2), a(3)]]);
    /// ```
    pub fn map_with_state<S: Data, M: Data>(&self, spec: StateSpec<K, V, S, M>) -> MapWithStateDStream<K, S, M> {
        let partitions = spec.num_partitions.unwrap_or_else(|| self.context().spark_context().default_parallelism());
        let me = Arc::new(OnceLock::new());
        let op = InternalMapWithStateDStream {
            parent: self.clone(),
            spec,
            partitions,
            maps: OnceLock::new(),
            me: me.clone(),
        };
        let internal = DStream::from_op(&self.context(), op);
        let _ = me.set(Arc::downgrade(&internal.node));
        MapWithStateDStream { mapped: internal.flat_map(|record| record.mapped()), internal }
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::context_turn;
    use crate::util::clock::ManualClock;
    use crate::{RddQueue, State, StateSpec, StreamingContext};
    use ember_core::Context;
    use std::sync::Arc;
    use std::time::Duration;

    /// Spark's `MapWithStateSuite` "mapWithState - checkpoint durations".
    #[test]
    fn checkpoint_durations() {
        let ms = Duration::from_millis;
        let cases = [
            (ms(100), ms(1000), None),
            (ms(1000), ms(10_000), None),
            (ms(10_000), ms(100_000), None),
            (ms(100), ms(2000), Some(ms(2000))),
            (ms(1000), ms(2000), Some(ms(2000))),
            (ms(10_000), ms(20_000), Some(ms(20_000))),
        ];
        let dir = tempfile::tempdir().unwrap();
        let ctx = Context::local(1).unwrap();
        for (batch, expected, explicit) in cases {
            let _turn = context_turn();
            let ssc = StreamingContext::with_clock(&ctx, batch, Arc::new(ManualClock::new(0)));
            let queue: RddQueue<(u32, u32)> = RddQueue::new();
            let spec = StateSpec::function(|_, _: &u32, _: Option<u32>, _: &mut State<u32>| 0);
            let stream = ssc.queue_stream(&queue, true).map_with_state(spec);
            if let Some(interval) = explicit {
                stream.checkpoint(interval);
            }
            stream.print();
            ssc.checkpoint(dir.path()).unwrap();
            ssc.start().unwrap();
            assert_eq!(stream.checkpoint_interval(), None, "the mapped stream itself does not checkpoint");
            assert_eq!(stream.internal.checkpoint_interval(), Some(expected), "batch {batch:?}");
            ssc.stop(false, false);
        }
    }
}
