//! Shuffle: map tasks write one bucket per reduce partition; reducers read their bucket from
//! every map output. In local mode buckets stay typed in memory (no serialization) unless the
//! memory budget is exhausted, when they are spilled to files under `spark.local.dir`.

pub(crate) mod combine_map;
mod writer;

pub(crate) use writer::{write_combined, write_plain};

use crate::rdd::chunks::{self, Chunks};
use crate::storage::BlockManager;
use crate::{codec, Data, Error, Result};
use parking_lot::Mutex;
use std::any::Any;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::PathBuf;
use std::sync::Arc;

/// A spill file, deleted when the last segment pointing into it is dropped.
pub(crate) struct SpillFile {
    pub path: PathBuf,
}

impl Drop for SpillFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Part of one bucket of one map output.
pub(crate) enum Segment<K, C> {
    Memory(Arc<Vec<(K, C)>>),
    Disk { file: Arc<SpillFile>, offset: u64, len: u64 },
}

impl<K: Data, C: Data> Segment<K, C> {
    /// The segment's records in chunks; disk segments are read back with the codec.
    pub(crate) fn chunks(&self, compress: bool) -> Result<Chunks<(K, C)>> {
        match self {
            Segment::Memory(v) => Ok(chunks::from_shared(v.clone(), 0..v.len())),
            Segment::Disk { file, offset, len } => {
                let context = || format!("reading shuffle spill {}", file.path.display());
                let mut f = std::fs::File::open(&file.path).map_err(|e| Error::io(context(), e))?;
                f.seek(SeekFrom::Start(*offset)).map_err(|e| Error::io(context(), e))?;
                let mut body = vec![0u8; *len as usize];
                f.read_exact(&mut body).map_err(|e| Error::io(context(), e))?;
                Ok(chunks::from_vec(codec::decode::<(K, C)>(&body, compress)?))
            }
        }
    }
}

/// Everything one map task wrote: `buckets[reduce_partition]`.
pub(crate) struct MapOutput<K, C> {
    pub buckets: Vec<Vec<Segment<K, C>>>,
}

struct ShuffleEntry {
    outputs: Vec<Option<Arc<dyn Any + Send + Sync>>>,
    memory: u64,
    complete: bool,
}

/// Tracks the map outputs of every live shuffle.
pub(crate) struct ShuffleManager {
    shuffles: Mutex<HashMap<usize, ShuffleEntry>>,
    blocks: Arc<BlockManager>,
    pub(crate) dir: PathBuf,
    pub(crate) compress: bool,
}

impl ShuffleManager {
    pub(crate) fn new(blocks: Arc<BlockManager>, dir: PathBuf, compress: bool) -> Self {
        ShuffleManager { shuffles: Mutex::default(), blocks, dir, compress }
    }

    pub(crate) fn blocks(&self) -> &BlockManager {
        &self.blocks
    }

    pub(crate) fn register(&self, shuffle: usize, num_maps: usize) {
        self.shuffles.lock().entry(shuffle).or_insert_with(|| ShuffleEntry {
            outputs: (0..num_maps).map(|_| None).collect(),
            memory: 0,
            complete: false,
        });
    }

    pub(crate) fn is_complete(&self, shuffle: usize) -> bool {
        self.shuffles.lock().get(&shuffle).is_some_and(|e| e.complete)
    }

    pub(crate) fn mark_complete(&self, shuffle: usize) {
        if let Some(e) = self.shuffles.lock().get_mut(&shuffle) {
            e.complete = true;
        }
    }

    /// Records map `map_id`'s output, holding `memory` bytes of execution memory until removal.
    pub(crate) fn put_output<K: Data, C: Data>(
        &self,
        shuffle: usize,
        map_id: usize,
        out: MapOutput<K, C>,
        memory: u64,
    ) {
        let mut shuffles = self.shuffles.lock();
        let entry = shuffles.get_mut(&shuffle).expect("shuffle registered before its map stage");
        // A retried map task replaces its earlier output (and the memory it held).
        if entry.outputs[map_id].replace(Arc::new(out)).is_some() {
            tracing::debug!("map output {shuffle}/{map_id} replaced");
        }
        entry.memory += memory;
    }

    /// All map outputs of a completed shuffle.
    pub(crate) fn outputs<K: Data, C: Data>(&self, shuffle: usize) -> Result<Vec<Arc<MapOutput<K, C>>>> {
        let shuffles = self.shuffles.lock();
        let entry = shuffles
            .get(&shuffle)
            .filter(|e| e.complete)
            .ok_or_else(|| Error::IllegalState(format!("shuffle {shuffle} has no map outputs")))?;
        entry
            .outputs
            .iter()
            .map(|o| {
                o.clone()
                    .and_then(|o| o.downcast::<MapOutput<K, C>>().ok())
                    .ok_or_else(|| Error::IllegalState(format!("shuffle {shuffle} is missing a map output")))
            })
            .collect()
    }

    /// Drops a shuffle's outputs, spill files and memory (when its dependency is dropped).
    pub(crate) fn remove(&self, shuffle: usize) {
        if let Some(entry) = self.shuffles.lock().remove(&shuffle) {
            self.blocks.release_execution(entry.memory);
        }
    }

    pub(crate) fn live_shuffles(&self) -> usize {
        self.shuffles.lock().len()
    }
}
