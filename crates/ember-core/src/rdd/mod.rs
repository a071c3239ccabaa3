//! `Rdd<T>`: a resilient distributed dataset, a cheap handle to a node of the lineage graph.
//!
//! Each kind of RDD lives in its own file, as in Spark's `rdd/` package. All narrow operators
//! (`map`, `flat_map`, `filter`, `map_partitions`, …) are one [`map_partitions::MapPartitionsRdd`]
//! whose compute pulls its parent's iterator, so a chain of them runs as one pipelined iterator
//! inside a task with no intermediate collection.

mod actions;
mod block_rdd;
mod cartesian;
pub(crate) mod checkpoint;
pub(crate) mod chunks;
mod coalesced;
mod map_partitions;
mod object_file;
mod ordered;
mod output;
mod pair;
mod parallel_collection;
pub(crate) mod shuffled;
pub(crate) mod text_file;
mod union;
mod zipped_partitions;
mod zipped_with_index;

pub use self::block_rdd::{BlockRdd, InputBlock};
pub use self::parallel_collection::ParallelCollectionRdd;

use crate::partitioner::PartitionerDesc;
use crate::scheduler::TaskContext;
use crate::storage::{BlockId, StorageLevel};
use crate::{Context, Data, Error, Result};
use parking_lot::{Mutex, RwLock};
use std::path::PathBuf;
use std::sync::Arc;

/// A partition's records as user functions see them (`map_partitions`, `foreach_partition`).
pub type PartitionIter<T> = Box<dyn Iterator<Item = T> + Send>;

pub(crate) use chunks::{Chunks, Records};

/// What a kind of RDD must provide: its partitions, parents and how to compute a partition.
pub(crate) trait RddOp<T>: Send + Sync + 'static {
    fn num_partitions(&self) -> usize;
    fn dependencies(&self) -> Vec<Dependency>;
    fn compute(&self, split: usize, tc: &TaskContext) -> Chunks<T>;
    fn partitioner(&self) -> Option<PartitionerDesc> {
        None
    }
    fn name(&self) -> &'static str;
}

/// The edge from an RDD to a parent, as the DAG scheduler sees it.
#[derive(Clone)]
pub(crate) enum Dependency {
    /// Each child partition depends on a few parent partitions computed in the same task.
    Narrow(Arc<dyn AnyRdd>),
    /// A stage boundary: the parent's map stage must have run before the child can compute.
    Shuffle(Arc<dyn shuffled::ShuffleDep>),
}

/// An RDD with its record type erased, for the scheduler and the checkpointer.
pub(crate) trait AnyRdd: Send + Sync {
    fn id(&self) -> usize;
    fn num_partitions(&self) -> usize;
    /// Parents, or none once checkpointed (lineage truncated).
    fn dependencies(&self) -> Vec<Dependency>;
    /// Writes this RDD's partitions to the checkpoint directory if `checkpoint()` marked it.
    fn checkpoint_if_marked(self: Arc<Self>) -> Result<()>;
    fn describe(&self) -> String;
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum CheckpointState {
    None,
    Marked,
    /// Being written by a job; keeps that job from checkpointing the RDD again.
    Writing,
    Done,
}

pub(crate) struct RddNode<T: Data> {
    id: usize,
    ctx: Context,
    /// Replaced by a checkpoint reader once checkpointed, which drops the parents (Spark's
    /// `markCheckpointed` clearing dependencies) so old lineage is freed.
    op: RwLock<Arc<dyn RddOp<T>>>,
    storage: Mutex<StorageLevel>,
    checkpoint: Mutex<CheckpointState>,
}

impl<T: Data> Drop for RddNode<T> {
    fn drop(&mut self) {
        // Spark's ContextCleaner does this when the RDD is garbage collected; ownership lets
        // Ember do it the moment the last handle goes.
        if *self.storage.get_mut() != StorageLevel::NONE {
            self.ctx.block_manager().remove_rdd(self.id);
        }
    }
}

/// A resilient distributed dataset of `T`: lazy, partitioned, recomputable from its lineage.
///
/// Cloning is cheap (an `Arc`). Transformations return new RDDs; actions run a job.
///
/// ```
/// use ember_core::Context;
/// let ctx = Context::local(2).unwrap();
/// let rdd = ctx.parallelize(vec![1, 2, 3, 4], 2);
/// assert_eq!(rdd.map(|x| x * 10).filter(|x| *x > 10).collect().unwrap(), vec![20, 30, 40]);
/// ```
pub struct Rdd<T: Data> {
    pub(crate) node: Arc<RddNode<T>>,
}

impl<T: Data> Clone for Rdd<T> {
    fn clone(&self) -> Self {
        Rdd { node: self.node.clone() }
    }
}

impl<T: Data> std::fmt::Debug for Rdd<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.node.describe())
    }
}

impl<T: Data> AnyRdd for RddNode<T> {
    fn id(&self) -> usize {
        self.id
    }
    fn num_partitions(&self) -> usize {
        self.op().num_partitions()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        self.op().dependencies()
    }
    fn checkpoint_if_marked(self: Arc<Self>) -> Result<()> {
        {
            let mut state = self.checkpoint.lock();
            if *state != CheckpointState::Marked {
                return Ok(());
            }
            *state = CheckpointState::Writing;
        }
        let rdd = Rdd { node: self };
        let (state, result) = match checkpoint::write(&rdd) {
            Ok(files) => {
                *rdd.node.op.write() = Arc::new(files);
                (CheckpointState::Done, Ok(()))
            }
            Err(e) => {
                tracing::error!("Checkpointing RDD {} failed: {e}", rdd.id());
                (CheckpointState::Marked, Err(e))
            }
        };
        *rdd.node.checkpoint.lock() = state;
        result
    }
    fn describe(&self) -> String {
        format!("{}[{}]", self.op().name(), self.id)
    }
}

impl<T: Data> RddNode<T> {
    fn op(&self) -> Arc<dyn RddOp<T>> {
        self.op.read().clone()
    }
}

impl<T: Data> Rdd<T> {
    pub(crate) fn from_op(ctx: &Context, op: impl RddOp<T>) -> Rdd<T> {
        let node = Arc::new(RddNode {
            id: ctx.new_rdd_id(),
            ctx: ctx.clone(),
            op: RwLock::new(Arc::new(op)),
            storage: Mutex::new(StorageLevel::NONE),
            checkpoint: Mutex::new(CheckpointState::None),
        });
        Rdd { node }
    }

    pub(crate) fn as_any(&self) -> Arc<dyn AnyRdd> {
        self.node.clone()
    }

    /// The `Context` this RDD belongs to.
    pub fn context(&self) -> &Context {
        &self.node.ctx
    }

    /// A unique id within the context.
    pub fn id(&self) -> usize {
        self.node.id
    }

    /// Number of partitions.
    pub fn num_partitions(&self) -> usize {
        self.node.num_partitions()
    }

    /// How the keys of this RDD are partitioned, if known.
    pub fn partitioner(&self) -> Option<PartitionerDesc> {
        self.node.op().partitioner()
    }

    /// The records of partition `split`, one at a time.
    pub(crate) fn iterator(&self, split: usize, tc: &TaskContext) -> Records<T> {
        self.chunks(split, tc).flatten()
    }

    /// The records of partition `split` in chunks: from the block store if persisted there,
    /// else computed (a checkpointed RDD computes by reading its files).
    pub(crate) fn chunks(&self, split: usize, tc: &TaskContext) -> Chunks<T> {
        let op = self.node.op();
        let level = *self.node.storage.lock();
        if level == StorageLevel::NONE {
            return op.compute(split, tc);
        }
        self.context()
            .block_manager()
            .get_or_compute(BlockId::Rdd { rdd: self.id(), split }, level, || op.compute(split, tc))
    }

    /// Keeps computed partitions in the block store at `level` (set once, as in Spark).
    ///
    /// ```
    /// use ember_core::{Context, StorageLevel};
    /// let ctx = Context::local(2).unwrap();
    /// let rdd = ctx.parallelize((0..100).collect(), 4).persist(StorageLevel::MEMORY_ONLY_SER);
    /// assert_eq!(rdd.count().unwrap(), 100);
    /// assert_eq!(rdd.count().unwrap(), 100); // served from the block store
    /// assert!(ctx.block_manager_stats().hits >= 4);
    /// ```
    pub fn persist(&self, level: StorageLevel) -> Rdd<T> {
        let mut current = self.node.storage.lock();
        if *current != StorageLevel::NONE && *current != level {
            tracing::warn!(
                "Cannot change storage level of RDD {} after it was already assigned a level; keeping {current:?}",
                self.id()
            );
        } else {
            *current = level;
        }
        self.clone()
    }

    /// `persist(StorageLevel::MEMORY_ONLY)`.
    pub fn cache(&self) -> Rdd<T> {
        self.persist(StorageLevel::MEMORY_ONLY)
    }

    /// Drops this RDD's cached blocks and forgets its storage level.
    pub fn unpersist(&self) -> Rdd<T> {
        *self.node.storage.lock() = StorageLevel::NONE;
        self.context().block_manager().remove_rdd(self.id());
        self.clone()
    }

    /// The storage level set by `persist`.
    pub fn storage_level(&self) -> StorageLevel {
        *self.node.storage.lock()
    }

    /// Marks this RDD for checkpointing: after the next job that computes it, its partitions are
    /// written under the context's checkpoint directory and its lineage is cut.
    ///
    /// Fails if `Context::set_checkpoint_dir` was not called.
    pub fn checkpoint(&self) -> Result<()> {
        if self.context().checkpoint_dir().is_none() {
            return Err(Error::CheckpointDirNotSet);
        }
        let mut state = self.node.checkpoint.lock();
        if *state == CheckpointState::None {
            *state = CheckpointState::Marked;
        }
        Ok(())
    }

    /// Whether this RDD has been checkpointed (its lineage is cut).
    pub fn is_checkpointed(&self) -> bool {
        *self.node.checkpoint.lock() == CheckpointState::Done
    }

    /// The directory holding this RDD's checkpoint files, once written.
    pub fn checkpoint_file(&self) -> Option<PathBuf> {
        self.is_checkpointed()
            .then(|| self.context().checkpoint_dir())
            .flatten()
            .map(|d| d.join(format!("rdd-{}", self.id())))
    }

    /// How many RDDs lie on the longest path from this one to a source or checkpoint.
    pub fn lineage_depth(&self) -> usize {
        fn depth(rdd: &dyn AnyRdd) -> usize {
            1 + rdd
                .dependencies()
                .iter()
                .map(|d| match d {
                    Dependency::Narrow(p) => depth(p.as_ref()),
                    Dependency::Shuffle(s) => depth(s.map_rdd().as_ref()),
                })
                .max()
                .unwrap_or(0)
        }
        depth(self.node.as_ref())
    }

    /// A multi-line description of the lineage (Spark's `toDebugString`).
    pub fn to_debug_string(&self) -> String {
        fn walk(rdd: &dyn AnyRdd, indent: usize, out: &mut String) {
            out.push_str(&format!("{}({}) {}\n", "  ".repeat(indent), rdd.num_partitions(), rdd.describe()));
            for d in rdd.dependencies() {
                match d {
                    Dependency::Narrow(p) => walk(p.as_ref(), indent, out),
                    Dependency::Shuffle(s) => walk(s.map_rdd().as_ref(), indent + 1, out),
                }
            }
        }
        let mut out = String::new();
        walk(self.node.as_ref(), 0, &mut out);
        out
    }
}
