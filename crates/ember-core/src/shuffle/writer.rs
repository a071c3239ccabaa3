//! The map side of a shuffle: route each record to its bucket, combining values per key when an
//! aggregator is given, and spill buckets to disk when execution memory runs out.

use super::combine_map::{combine_chunk, ChunkScratch, CombineMap};
use super::{MapOutput, Segment, ShuffleManager, SpillFile};
use crate::partitioner::Partitioner;
use crate::rdd::shuffled::Aggregator;
use crate::scheduler::{raise, TaskContext, TaskMetrics};
use crate::storage::{estimate_size, ExecutionMemory};
use crate::{codec, Data, Error, Key, Result};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Records between memory checks.
const CHECK_EVERY: usize = 8192;
static SPILL_IDS: AtomicU64 = AtomicU64::new(0);

/// Tracks a map task's estimated memory against what it has claimed from the budget (held
/// in a guard, so a task that fails part way returns it).
struct MemoryTracker<'a> {
    memory: ExecutionMemory<'a>,
    per_entry: u64,
    sampled_at: usize,
}

impl<'a> MemoryTracker<'a> {
    fn new(manager: &'a ShuffleManager) -> Self {
        MemoryTracker { memory: ExecutionMemory::new(manager.blocks()), per_entry: 0, sampled_at: 0 }
    }

    /// True if the task may keep `entries` in memory; `sample` re-estimates the entry size
    /// whenever the count has doubled.
    fn fits(&mut self, entries: usize, sample: impl FnOnce() -> u64) -> bool {
        if entries >= self.sampled_at * 2 || self.per_entry == 0 {
            self.per_entry = sample().max(1);
            self.sampled_at = entries.max(1);
        }
        let (estimate, held) = (self.per_entry * entries as u64, self.memory.held());
        estimate <= held || self.memory.acquire((estimate - held).max(estimate / 2))
    }
}

/// Writes every bucket as one frame of a new spill file; returns one segment per bucket.
fn spill<K: Data, C: Data>(
    manager: &ShuffleManager,
    buckets: Vec<Vec<(K, C)>>,
    tc: &TaskContext,
) -> Result<Vec<Segment<K, C>>> {
    std::fs::create_dir_all(&manager.dir).map_err(|e| Error::io(format!("creating {}", manager.dir.display()), e))?;
    let path = manager.dir.join(format!("shuffle-spill-{}", SPILL_IDS.fetch_add(1, Ordering::Relaxed)));
    let context = || format!("writing shuffle spill {}", path.display());
    let file = std::fs::File::create(&path).map_err(|e| Error::io(context(), e))?;
    let spill = Arc::new(SpillFile { path: path.clone() });
    let mut out = std::io::BufWriter::new(file);
    let mut offset = 0u64;
    let mut segments = Vec::with_capacity(buckets.len());
    for bucket in buckets {
        let len = codec::write_frame(&mut out, &bucket, manager.compress)? - 4;
        segments.push(Segment::Disk { file: spill.clone(), offset: offset + 4, len });
        offset += len + 4;
    }
    out.flush().map_err(|e| Error::io(context(), e))?;
    TaskMetrics::add(&tc.metrics.shuffle_bytes_spilled, offset);
    Ok(segments)
}

fn append<K, C>(out: &mut [Vec<Segment<K, C>>], segments: Vec<Segment<K, C>>) {
    for (bucket, seg) in out.iter_mut().zip(segments) {
        bucket.push(seg);
    }
}

/// Map-side combine: one hash map per bucket, merged values per key. `maps` are empty tables
/// to reuse (their capacity saves regrowing them in every task); they come back drained. The
/// output comes with the execution memory it holds (returned if the task fails before handing
/// it over).
pub(crate) fn write_combined<'a, K: Key, V: Data, C: Data>(
    manager: &'a ShuffleManager,
    chunks: impl Iterator<Item = Vec<(K, V)>>,
    partitioner: &dyn Partitioner<K>,
    agg: &Aggregator<V, C>,
    mut maps: Vec<CombineMap<K, C>>,
    tc: &TaskContext,
) -> (MapOutput<K, C>, ExecutionMemory<'a>, Vec<CombineMap<K, C>>) {
    let n = partitioner.num_partitions();
    let new_maps = || (0..n).map(|_| CombineMap::new()).collect::<Vec<CombineMap<K, C>>>();
    if maps.len() != n {
        maps = new_maps();
    }
    let (create, merge_value) = (agg.create.as_ref(), agg.merge_value.as_ref());
    let mut out: Vec<Vec<Segment<K, C>>> = (0..n).map(|_| Vec::new()).collect();
    let mut tracker = MemoryTracker::new(manager);
    let mut scratch = ChunkScratch::default();
    let (mut seen, mut entries, mut since_check) = (0u64, 0usize, 0usize);
    for chunk in chunks {
        seen += chunk.len() as u64;
        since_check += chunk.len();
        let route = |k: &K, hash: u64| partitioner.partition_hashed(k, hash);
        entries += combine_chunk(&mut maps, chunk, route, create, merge_value, &mut scratch);
        if since_check >= CHECK_EVERY {
            since_check = 0;
            let sample = || {
                let sample: Vec<&(K, Option<C>)> = maps.iter().flat_map(|m| m.sample(4)).take(32).collect();
                estimate_size(&sample) / sample.len().max(1) as u64 + 16
            };
            if !tracker.fits(entries, sample) {
                let buckets = drain(&mut maps);
                append(&mut out, spill(manager, buckets, tc).unwrap_or_else(|e| raise(e)));
                maps = new_maps();
                entries = 0;
                tracker.memory.release();
            }
        }
    }
    TaskMetrics::add(&tc.metrics.shuffle_records_written, seen);
    append(&mut out, drain(&mut maps).into_iter().map(|b| Segment::Memory(Arc::new(b))).collect());
    (MapOutput { buckets: out }, tracker.memory, maps)
}

fn drain<K: std::hash::Hash + Eq + 'static, C>(maps: &mut [CombineMap<K, C>]) -> Vec<Vec<(K, C)>> {
    maps.iter_mut().map(|m| m.drain().collect()).collect()
}

/// No aggregation: records are routed to their bucket as they are. The output comes with the
/// execution memory it holds, as in [`write_combined`].
pub(crate) fn write_plain<'a, K: Data, V: Data>(
    manager: &'a ShuffleManager,
    records: impl Iterator<Item = (K, V)>,
    partition: &dyn Fn(&K) -> usize,
    num_partitions: usize,
    tc: &TaskContext,
) -> (MapOutput<K, V>, ExecutionMemory<'a>) {
    let mut buckets: Vec<Vec<(K, V)>> = (0..num_partitions).map(|_| Vec::new()).collect();
    let mut out: Vec<Vec<Segment<K, V>>> = (0..num_partitions).map(|_| Vec::new()).collect();
    let mut tracker = MemoryTracker::new(manager);
    let (mut seen, mut held) = (0u64, 0usize);
    for (k, v) in records {
        buckets[partition(&k)].push((k, v));
        seen += 1;
        held += 1;
        if seen % CHECK_EVERY as u64 == 0 {
            let sample = || {
                let b = buckets.iter().find(|b| !b.is_empty()).map(|b| &b[..b.len().min(32)]).unwrap_or(&[]);
                estimate_size(b) / b.len().max(1) as u64
            };
            if !tracker.fits(held, sample) {
                let full = std::mem::replace(&mut buckets, (0..num_partitions).map(|_| Vec::new()).collect());
                append(&mut out, spill(manager, full, tc).unwrap_or_else(|e| raise(e)));
                held = 0;
                tracker.memory.release();
            }
        }
    }
    TaskMetrics::add(&tc.metrics.shuffle_records_written, seen);
    append(&mut out, buckets.into_iter().map(|b| Segment::Memory(Arc::new(b))).collect());
    (MapOutput { buckets: out }, tracker.memory)
}
