//! `BlockFile`: one copy of a block on local disk, deleted when the last holder lets go.

use super::BlockId;
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_FILE: AtomicU64 = AtomicU64::new(0);

/// A block's encoded bytes in a file of their own.
///
/// Every write makes a new file (`<block id>.<n>`): two tasks storing the same block at once
/// never write or delete each other's file. The store holds the file in an `Arc` and a read
/// clones it before leaving the store's lock, so a block removed (or its duplicate discarded)
/// while a read is under way keeps its file until that read is done.
pub(super) struct BlockFile {
    path: PathBuf,
}

impl BlockFile {
    /// Writes `bytes` for block `id` to a new file in `dir`.
    pub(super) fn create(dir: &Path, id: &BlockId, bytes: &[u8]) -> Result<BlockFile> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        // Built before writing, so a failed write removes its partial file on drop.
        let file = BlockFile { path: dir.join(format!("{id}.{}", NEXT_FILE.fetch_add(1, Ordering::Relaxed))) };
        std::fs::write(&file.path, bytes)
            .map_err(|e| Error::io(format!("writing block {id} to {}", file.path.display()), e))?;
        Ok(file)
    }

    /// The file's bytes; `id` names the block in the error.
    pub(super) fn read(&self, id: &BlockId) -> Result<Vec<u8>> {
        std::fs::read(&self.path).map_err(|e| Error::io(format!("reading block {id}"), e))
    }
}

impl Drop for BlockFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}
