//! Object files: records encoded with Ember's codec, in Spark's directory layout
//! (`save_as_object_file`, `Context::object_file`). Checkpoints use the same format.

use super::output::{part_files, save_parts};
use super::{Chunks, Dependency, Rdd, RddOp};
use crate::partitioner::PartitionerDesc;
use crate::scheduler::{raise, TaskContext};
use crate::{codec, Context, Data, Error, Result};
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Records per frame in a part file.
const FRAME_RECORDS: usize = 4096;

/// Writes `records` as codec frames.
pub(crate) fn write_frames<T: Data>(
    out: &mut impl std::io::Write,
    records: impl Iterator<Item = T>,
    compress: bool,
) -> Result<()> {
    let mut chunk = Vec::with_capacity(FRAME_RECORDS);
    for r in records {
        chunk.push(r);
        if chunk.len() == FRAME_RECORDS {
            codec::write_frame(out, &chunk, compress)?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        codec::write_frame(out, &chunk, compress)?;
    }
    Ok(())
}

/// Reads a part file written by [`write_frames`], lazily: each frame is a chunk.
pub(crate) fn read_frames<T: Data>(path: PathBuf, compress: bool) -> Chunks<T> {
    let file =
        std::fs::File::open(&path).unwrap_or_else(|e| raise(Error::io(format!("opening {}", path.display()), e)));
    let mut reader = BufReader::new(file);
    Box::new(std::iter::from_fn(move || {
        codec::read_frame::<T>(&mut reader, compress).unwrap_or_else(|e| {
            let context = format!("reading {}", path.display());
            raise(match e {
                Error::Io { source, .. } => Error::Io { context, source },
                other => Error::Codec(format!("{context}: {other}")),
            })
        })
    }))
}

/// An RDD read from a directory of part files, one partition per file: object files, and
/// checkpointed RDDs (Spark's `ReliableCheckpointRDD`, which also keeps the partitioner).
pub(crate) struct PartFilesRdd {
    pub parts: Vec<PathBuf>,
    pub partitioner: Option<PartitionerDesc>,
    pub compress: bool,
    pub name: &'static str,
}

impl<T: Data> RddOp<T> for PartFilesRdd {
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
        self.name
    }
}

impl Context {
    /// Reads a directory written by [`Rdd::save_as_object_file`], one partition per part file.
    pub fn object_file<T: Data>(&self, path: impl AsRef<Path>) -> Result<Rdd<T>> {
        let dir = path.as_ref();
        if !dir.is_dir() {
            return Err(Error::InputMissing { pattern: dir.display().to_string() });
        }
        let parts = part_files(dir)?;
        Ok(Rdd::from_op(self, PartFilesRdd { parts, partitioner: None, compress: false, name: "ObjectFileRDD" }))
    }
}

impl<T: Data> Rdd<T> {
    /// Saves the records, encoded, as `path/part-NNNNN` files and `path/_SUCCESS`.
    /// An existing `path` is an error (Spark does not overwrite).
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let dir = tempfile::tempdir().unwrap().path().join("out");
    /// ctx.parallelize(vec![(1, "a".to_string())], 2).save_as_object_file(&dir).unwrap();
    /// assert_eq!(ctx.object_file::<(i32, String)>(&dir).unwrap().collect().unwrap(), vec![(1, "a".to_string())]);
    /// ```
    pub fn save_as_object_file(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_as_object_file_to(path.as_ref(), false)
    }

    /// [`save_as_object_file`](Self::save_as_object_file), replacing `path` if it exists.
    pub fn save_as_object_file_overwrite(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_as_object_file_to(path.as_ref(), true)
    }

    fn save_as_object_file_to(&self, path: &Path, overwrite: bool) -> Result<()> {
        save_parts(self, path, overwrite, Arc::new(|out, it| write_frames(out, it, false)))
    }
}
