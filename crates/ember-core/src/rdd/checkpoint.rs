//! Reliable RDD checkpointing: partitions written under the context's checkpoint directory
//! (`rdd-<id>/part-NNNNN`), after which the RDD reads them instead of its lineage: the files
//! become the RDD's operator ([`PartFilesRdd`], Spark's `ReliableCheckpointRDD`), with no parents.

use super::object_file::{write_frames, PartFilesRdd};
use super::output::{part_files, save_parts};
use super::Rdd;
use crate::{Data, Error, Result};
use std::sync::Arc;

/// Runs a job that writes every partition of `rdd`, then checks every part is there.
pub(crate) fn write<T: Data>(rdd: &Rdd<T>) -> Result<PartFilesRdd> {
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
    Ok(PartFilesRdd { parts, partitioner: rdd.partitioner(), compress, name: "ReliableCheckpointRDD" })
}
