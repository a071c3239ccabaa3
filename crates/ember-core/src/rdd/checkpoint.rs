//! Reliable RDD checkpointing: partitions written under the context's checkpoint directory
//! (`rdd-<id>/part-NNNNN`), after which the RDD reads them instead of its lineage: the files
//! become the RDD's operator (Spark's `ReliableCheckpointRDD`), with no parents.

use super::object_file::{read_frames, write_frames};
use super::output::{part_files, save_parts};
use super::{Chunks, Dependency, Rdd, RddOp};
use crate::partitioner::PartitionerDesc;
use crate::scheduler::TaskContext;
use crate::{Data, Error, Result};
use std::path::PathBuf;
use std::sync::Arc;

/// Where a checkpointed RDD's partitions are, and what partitioning they keep.
pub(crate) struct CheckpointFiles {
    parts: Vec<PathBuf>,
    partitioner: Option<PartitionerDesc>,
    compress: bool,
}

/// Runs a job that writes every partition of `rdd`, then checks every part is there.
pub(crate) fn write<T: Data>(rdd: &Rdd<T>) -> Result<CheckpointFiles> {
    let ctx = rdd.context();
    let base = ctx.checkpoint_dir().ok_or(Error::CheckpointDirNotSet)?;
    let dir = base.join(format!("rdd-{}", rdd.id()));
    let compress = ctx.conf().get_bool("spark.checkpoint.compress", false)?;
    save_parts(rdd, &dir, true, Arc::new(move |out, it| write_frames(out, it, compress)))?;
    let parts = part_files(&dir)?;
    if parts.len() != rdd.num_partitions() {
        return Err(Error::IllegalState(format!(
            "Checkpoint RDD has a different number of partitions from original RDD. Original RDD [ID: {}, num of partitions: {}]; Checkpoint RDD [num of partitions: {}]",
            rdd.id(),
            rdd.num_partitions(),
            parts.len()
        )));
    }
    Ok(CheckpointFiles { parts, partitioner: rdd.partitioner(), compress })
}

impl<T: Data> RddOp<T> for CheckpointFiles {
    fn num_partitions(&self) -> usize {
        self.parts.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn compute(&self, split: usize, _tc: &TaskContext) -> Chunks<T> {
        read_frames(self.parts[split].clone(), self.compress)
    }
    fn partitioner(&self) -> Option<PartitionerDesc> {
        self.partitioner.clone()
    }
    fn name(&self) -> &'static str {
        "ReliableCheckpointRDD"
    }
}
