//! `ShuffledRdd`: the reduce side of a shuffle, and the `ShuffleDependency` that produces its
//! map side. With an aggregator, map tasks combine values per key before writing and reducers
//! merge the combiners (Spark's map-side combine); without one, records move as they are.

use super::chunks::chunked;
use super::{AnyRdd, Chunks, Dependency, Rdd, RddOp};
use crate::partitioner::{Partitioner, PartitionerDesc};
use crate::scheduler::{raise, TaskContext};
use crate::shuffle::combine_map::{combine_chunk, ChunkScratch, CombineMap};
use crate::shuffle::{write_combined, write_plain};
use crate::{Context, Data, Key};
use parking_lot::Mutex;
use std::sync::Arc;

/// Spark's `Aggregator`: how values become combiners and how combiners merge.
pub(crate) struct Aggregator<V, C> {
    pub create: Arc<dyn Fn(V) -> C + Send + Sync>,
    pub merge_value: Arc<dyn Fn(C, V) -> C + Send + Sync>,
    pub merge_combiners: Arc<dyn Fn(C, C) -> C + Send + Sync>,
}

/// The map side of a shuffle, with its record types erased for the scheduler.
pub(crate) trait ShuffleDep: Send + Sync {
    fn shuffle_id(&self) -> usize;
    fn map_rdd(&self) -> Arc<dyn AnyRdd>;
    fn num_maps(&self) -> usize;
    /// Computes map partition `tc.partition_id()` and registers its buckets.
    fn run_map_task(&self, tc: &TaskContext);
    /// Held while the map stage runs, so concurrent jobs compute a shuffle once.
    fn compute_lock(&self) -> &Mutex<()>;
}

type RouteFn<K> = Arc<dyn Fn(&K) -> usize + Send + Sync>;

enum MapSide<K, V, C> {
    Combine(Aggregator<V, C>, Arc<dyn Partitioner<K>>),
    Plain(RouteFn<K>),
}

struct ShuffleDependency<K: Data, V: Data, C> {
    id: usize,
    ctx: Context,
    parent: Rdd<(K, V)>,
    map_side: MapSide<K, V, C>,
    reducers: usize,
    lock: Mutex<()>,
    /// Drained combine tables from finished map tasks, reused by the next ones (at most one
    /// set per executor thread; freed with the dependency).
    tables: Mutex<Vec<Vec<CombineMap<K, C>>>>,
}

impl<K: Data, V: Data, C> Drop for ShuffleDependency<K, V, C> {
    fn drop(&mut self) {
        self.ctx.shuffle_manager().remove(self.id);
    }
}

impl<K: Key, V: Data, C: Data> ShuffleDep for ShuffleDependency<K, V, C> {
    fn shuffle_id(&self) -> usize {
        self.id
    }
    fn map_rdd(&self) -> Arc<dyn AnyRdd> {
        self.parent.as_any()
    }
    fn num_maps(&self) -> usize {
        self.parent.num_partitions()
    }
    fn run_map_task(&self, tc: &TaskContext) {
        let manager = self.ctx.shuffle_manager();
        // The writers hold the task's execution memory in a guard that returns it if the task
        // fails (user code panics mid-partition); on success it passes to the map output.
        let chunks = tc.counted(self.parent.chunks(tc.partition_id(), tc));
        match &self.map_side {
            MapSide::Combine(agg, partitioner) => {
                let tables = self.tables.lock().pop().unwrap_or_default();
                let (out, memory, tables) = write_combined(manager, chunks, partitioner.as_ref(), agg, tables, tc);
                manager.put_output(self.id, tc.partition_id(), out, memory.hand_over());
                self.tables.lock().push(tables);
            }
            MapSide::Plain(route) => {
                let (out, memory) = write_plain(manager, chunks.flatten(), route.as_ref(), self.reducers, tc);
                manager.put_output(self.id, tc.partition_id(), out, memory.hand_over());
            }
        }
    }
    fn compute_lock(&self) -> &Mutex<()> {
        &self.lock
    }
}

struct ShuffledRdd<K: Data, C: Data> {
    ctx: Context,
    dep: Arc<dyn ShuffleDep>,
    reducers: usize,
    merge_combiners: Option<Arc<dyn Fn(C, C) -> C + Send + Sync>>,
    partitioner: Option<PartitionerDesc>,
    _key: std::marker::PhantomData<fn() -> K>,
}

impl<K: Key, C: Data> RddOp<(K, C)> for ShuffledRdd<K, C> {
    fn num_partitions(&self) -> usize {
        self.reducers
    }
    fn dependencies(&self) -> Vec<Dependency> {
        vec![Dependency::Shuffle(self.dep.clone())]
    }
    fn compute(&self, split: usize, _tc: &TaskContext) -> Chunks<(K, C)> {
        let manager = self.ctx.shuffle_manager();
        let outputs = manager.outputs::<K, C>(self.dep.shuffle_id()).unwrap_or_else(|e| raise(e));
        let compress = manager.compress;
        let chunks = Box::new(outputs.into_iter().flat_map(move |out| {
            (0..out.buckets[split].len())
                .flat_map(move |i| out.buckets[split][i].chunks(compress).unwrap_or_else(|e| raise(e)))
        }));
        let Some(merge) = &self.merge_combiners else {
            return chunks;
        };
        let (mut merged, mut scratch) = ([CombineMap::new()], ChunkScratch::default());
        for chunk in chunks {
            combine_chunk(&mut merged, chunk, |_, _| 0, |c| c, |a, b| merge(a, b), &mut scratch);
        }
        let [merged] = merged;
        chunked(merged.into_iter())
    }
    fn partitioner(&self) -> Option<PartitionerDesc> {
        self.partitioner.clone()
    }
    fn name(&self) -> &'static str {
        "ShuffledRDD"
    }
}

impl<K: Key, V: Data> Rdd<(K, V)> {
    /// Shuffles into `partitioner`'s partitions, combining values per key on both sides.
    pub(crate) fn shuffle_combine<C: Data>(
        &self,
        agg: Aggregator<V, C>,
        partitioner: Arc<dyn Partitioner<K>>,
    ) -> Rdd<(K, C)> {
        let ctx = self.context().clone();
        let (reducers, desc) = (partitioner.num_partitions(), partitioner.desc());
        let merge_combiners = Some(agg.merge_combiners.clone());
        let dep = Arc::new(ShuffleDependency {
            id: ctx.new_shuffle_id(),
            ctx: ctx.clone(),
            parent: self.clone(),
            map_side: MapSide::Combine(agg, partitioner),
            reducers,
            lock: Mutex::new(()),
            tables: Mutex::default(),
        });
        Rdd::from_op(
            &ctx,
            ShuffledRdd {
                ctx: ctx.clone(),
                dep,
                reducers,
                merge_combiners,
                partitioner: Some(desc),
                _key: Default::default(),
            },
        )
    }

    /// Shuffles records as they are to `route(key)` among `reducers` partitions.
    pub(crate) fn shuffle_plain(
        &self,
        route: impl Fn(&K) -> usize + Send + Sync + 'static,
        reducers: usize,
        partitioner: Option<PartitionerDesc>,
    ) -> Rdd<(K, V)> {
        let ctx = self.context().clone();
        let dep = Arc::new(ShuffleDependency::<K, V, V> {
            id: ctx.new_shuffle_id(),
            ctx: ctx.clone(),
            parent: self.clone(),
            map_side: MapSide::Plain(Arc::new(route)),
            reducers,
            lock: Mutex::new(()),
            tables: Mutex::default(),
        });
        Rdd::from_op(
            &ctx,
            ShuffledRdd::<K, V> {
                ctx: ctx.clone(),
                dep,
                reducers,
                merge_combiners: None,
                partitioner,
                _key: Default::default(),
            },
        )
    }
}
