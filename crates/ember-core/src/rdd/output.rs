//! Writing an RDD as a directory of `part-NNNNN` files plus `_SUCCESS`, as Spark's Hadoop
//! output committer lays it out. Each task writes under `_temporary/` and renames its file into
//! place when done, so a failed or retried attempt never leaves a partial part file.

use super::{PartitionIter, Rdd};
use crate::scheduler::raise;
use crate::{Data, Error, Result};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub(crate) type PartWriter<T> = dyn Fn(&mut BufWriter<std::fs::File>, PartitionIter<T>) -> Result<()> + Send + Sync;

/// Writes every partition of `rdd` into `dir`; `overwrite: false` refuses an existing directory.
pub(crate) fn save_parts<T: Data>(rdd: &Rdd<T>, dir: &Path, overwrite: bool, write: Arc<PartWriter<T>>) -> Result<()> {
    if dir.exists() {
        if !overwrite {
            return Err(Error::OutputExists { path: dir.to_path_buf() });
        }
        // Replace, not merge: a previous run with more partitions must leave no part files.
        std::fs::remove_dir_all(dir).map_err(|e| Error::io(format!("replacing {}", dir.display()), e))?;
    }
    let temp = dir.join("_temporary");
    std::fs::create_dir_all(&temp)
        .map_err(|e| Error::io(format!("Cannot create output directory {}", dir.display()), e))?;
    let (dir_owned, temp_owned) = (dir.to_path_buf(), temp.clone());
    rdd.context().run_job(rdd, (0..rdd.num_partitions()).collect(), move |tc, it| {
        let name = format!("part-{:05}", tc.partition_id());
        let attempt: PathBuf = temp_owned.join(format!("{name}-attempt-{}", tc.attempt_number()));
        let context = || format!("writing {}", attempt.display());
        let result = std::fs::File::create(&attempt).map_err(|e| Error::io(context(), e)).and_then(|f| {
            let mut out = BufWriter::new(f);
            write(&mut out, Box::new(it))?;
            out.flush().map_err(|e| Error::io(context(), e))
        });
        result
            .and_then(|()| {
                std::fs::rename(&attempt, dir_owned.join(&name)).map_err(|e| Error::io(format!("committing {name}"), e))
            })
            .unwrap_or_else(|e| raise(e));
    })?;
    std::fs::remove_dir_all(&temp).map_err(|e| Error::io(format!("removing {}", temp.display()), e))?;
    std::fs::write(dir.join("_SUCCESS"), b"").map_err(|e| Error::io(format!("writing {}/_SUCCESS", dir.display()), e))
}

/// The `part-*` files of a directory written by [`save_parts`], in partition order.
pub(crate) fn part_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(format!("listing {}", dir.display()), e))?;
    let mut parts: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("part-")))
        .collect();
    parts.sort();
    Ok(parts)
}
