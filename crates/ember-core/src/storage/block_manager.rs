//! `BlockManager`: stores blocks at their storage level under one memory budget shared with
//! shuffle (execution) memory. When memory runs short the least recently used blocks are
//! spilled to disk (levels with disk) or dropped (memory-only levels, recomputed from lineage).

use super::{estimate_size, StorageLevel};
use crate::codec;
use crate::rdd::chunks::{from_shared, from_vec};
use crate::rdd::Chunks;
use crate::scheduler::raise;
use crate::{Data, Error, Result};
use parking_lot::Mutex;
use std::any::Any;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Names a block in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum BlockId {
    /// Partition `split` of RDD `rdd` (`rdd_<rdd>_<split>`).
    Rdd { rdd: usize, split: usize },
    /// Block `id` received for input stream `stream` (`input-<stream>-<id>`, Spark's `StreamBlockId`).
    Input { stream: usize, id: u64 },
}

impl std::fmt::Display for BlockId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BlockId::Rdd { rdd, split } => write!(f, "rdd_{rdd}_{split}"),
            BlockId::Input { stream, id } => write!(f, "input-{stream}-{id}"),
        }
    }
}

/// Typed records kept in memory, able to encode themselves when spilled.
trait ValuesBlock: Send + Sync {
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
    fn encode(&self, compress: bool) -> Result<Vec<u8>>;
}

impl<T: Data> ValuesBlock for Vec<T> {
    fn into_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
    fn encode(&self, compress: bool) -> Result<Vec<u8>> {
        codec::encode(self, compress)
    }
}

#[derive(Clone)]
enum Stored {
    Values(Arc<dyn ValuesBlock>),
    Bytes(Arc<Vec<u8>>),
    Disk(PathBuf),
}

struct Entry {
    stored: Stored,
    memory: u64,
    level: StorageLevel,
    tick: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<BlockId, Entry>,
    lru: BTreeMap<u64, BlockId>,
    tick: u64,
    storage_used: u64,
    execution_used: u64,
    /// Memory claimed outside blocks, by claim id ([`MemoryClaim`](super::MemoryClaim)).
    claims: HashMap<u64, u64>,
    claimed: u64,
}

/// Counters describing the block store, for tests, the UI and benchmarks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BlockManagerStats {
    /// Reads served from the store.
    pub hits: u64,
    /// Reads that had to compute the block.
    pub misses: u64,
    /// Blocks moved to disk or dropped to make room.
    pub evictions: u64,
    /// Blocks currently stored (memory or disk).
    pub blocks: u64,
    /// Blocks currently on disk.
    pub disk_blocks: u64,
    /// Bytes of cached blocks in memory.
    pub storage_memory: u64,
    /// Bytes held by shuffle map outputs and in-flight aggregation.
    pub execution_memory: u64,
    /// Bytes of long-lived state held outside blocks (a stream's keyed state), as claimed.
    pub state_memory: u64,
    /// The budget both share (`spark.driver.memory` × `spark.memory.fraction`).
    pub budget: u64,
}

pub(crate) struct BlockManager {
    state: Mutex<State>,
    budget: u64,
    dir: PathBuf,
    compress: bool,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl BlockManager {
    pub(crate) fn new(budget: u64, dir: PathBuf, compress: bool) -> BlockManager {
        BlockManager {
            state: Mutex::default(),
            budget,
            dir,
            compress,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    pub(crate) fn stats(&self) -> BlockManagerStats {
        let s = self.state.lock();
        BlockManagerStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
            blocks: s.entries.len() as u64,
            disk_blocks: s.entries.values().filter(|e| matches!(e.stored, Stored::Disk(_))).count() as u64,
            storage_memory: s.storage_used,
            execution_memory: s.execution_used,
            state_memory: s.claimed,
            budget: self.budget,
        }
    }

    /// The block's records if stored, else computes, stores and returns them.
    pub(crate) fn get_or_compute<T: Data>(
        &self,
        id: BlockId,
        level: StorageLevel,
        compute: impl FnOnce() -> Chunks<T>,
    ) -> Chunks<T> {
        if let Some(values) = self.get::<T>(&id) {
            return values;
        }
        self.misses.fetch_add(1, Ordering::Relaxed);
        let values: Vec<T> = compute().flatten().collect();
        let (records, kept) = self.put(id.clone(), values, level).unwrap_or_else(|e| raise(e));
        if !kept {
            tracing::warn!("Not enough space to cache {id} in memory; it will be recomputed");
        }
        records
    }

    /// Reads a block's records, counting a hit; `None` if absent.
    pub(crate) fn get<T: Data>(&self, id: &BlockId) -> Option<Chunks<T>> {
        let stored = {
            let mut s = self.state.lock();
            let s = &mut *s;
            let entry = s.entries.get_mut(id)?;
            s.lru.remove(&entry.tick);
            s.tick += 1;
            entry.tick = s.tick;
            s.lru.insert(s.tick, id.clone());
            entry.stored.clone()
        };
        self.hits.fetch_add(1, Ordering::Relaxed);
        Some(match stored {
            Stored::Values(v) => {
                let values = v.into_any().downcast::<Vec<T>>().unwrap_or_else(|_| {
                    raise(Error::IllegalState(format!("block {id} holds records of another type")))
                });
                let len = values.len();
                from_shared(values, 0..len)
            }
            Stored::Bytes(bytes) => codec::decode_chunks::<T>(bytes, self.compress).unwrap_or_else(|e| raise(e)),
            Stored::Disk(path) => {
                let bytes = std::fs::read(&path).unwrap_or_else(|e| raise(Error::io(format!("reading block {id}"), e)));
                codec::decode_chunks::<T>(Arc::new(bytes), self.compress).unwrap_or_else(|e| raise(e))
            }
        })
    }

    /// Stores `values` at `level` and hands them back as an iterator, with whether the block was
    /// kept: at a memory-only level without room it is not.
    pub(crate) fn put<T: Data>(&self, id: BlockId, values: Vec<T>, level: StorageLevel) -> Result<(Chunks<T>, bool)> {
        if level.use_memory && level.deserialized {
            let block = Arc::new(values);
            let size = estimate_size(&block);
            let kept = if self.reserve_storage(size) {
                self.insert(id, Entry { stored: Stored::Values(block.clone()), memory: size, level, tick: 0 });
                true
            } else if level.use_disk {
                let path = self.write_file(&id, &block.encode(self.compress)?)?;
                self.insert(id, Entry { stored: Stored::Disk(path), memory: 0, level, tick: 0 });
                true
            } else {
                false
            };
            let len = block.len();
            return Ok((from_shared(block, 0..len), kept));
        }
        let bytes = codec::encode(&values, self.compress)?;
        let size = bytes.len() as u64;
        let kept = if level.use_memory && self.reserve_storage(size) {
            self.insert(id, Entry { stored: Stored::Bytes(Arc::new(bytes)), memory: size, level, tick: 0 });
            true
        } else if level.use_disk {
            let path = self.write_file(&id, &bytes)?;
            self.insert(id, Entry { stored: Stored::Disk(path), memory: 0, level, tick: 0 });
            true
        } else {
            false
        };
        Ok((from_vec(values), kept))
    }

    fn insert(&self, id: BlockId, mut entry: Entry) {
        let mut s = self.state.lock();
        s.tick += 1;
        entry.tick = s.tick;
        let tick = s.tick;
        s.lru.insert(tick, id.clone());
        if let Some(old) = s.entries.insert(id, entry) {
            s.lru.remove(&old.tick);
            s.storage_used -= old.memory;
            if let Stored::Disk(path) = old.stored {
                let _ = std::fs::remove_file(path);
            }
        }
    }

    fn write_file(&self, id: &BlockId, bytes: &[u8]) -> Result<PathBuf> {
        let dir = self.dir.join("blocks");
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        let path = dir.join(id.to_string());
        std::fs::write(&path, bytes).map_err(|e| Error::io(format!("writing block {id} to {}", path.display()), e))?;
        Ok(path)
    }

    /// Makes room for `bytes` of storage memory, evicting LRU blocks; false if it cannot.
    fn reserve_storage(&self, bytes: u64) -> bool {
        let mut s = self.state.lock();
        if !self.make_room(&mut s, bytes) {
            return false;
        }
        s.storage_used += bytes;
        true
    }

    /// Claims `bytes` of execution (shuffle) memory, evicting cached blocks if needed.
    pub(crate) fn acquire_execution(&self, bytes: u64) -> bool {
        let mut s = self.state.lock();
        if !self.make_room(&mut s, bytes) {
            return false;
        }
        s.execution_used += bytes;
        true
    }

    /// Returns execution memory claimed with [`acquire_execution`](Self::acquire_execution).
    pub(crate) fn release_execution(&self, bytes: u64) {
        let mut s = self.state.lock();
        s.execution_used = s.execution_used.saturating_sub(bytes);
    }

    /// Sets claim `id` to `bytes` (0 removes it). Claimed memory cannot be evicted; cached
    /// blocks make room for it where they can.
    pub(crate) fn set_claim(&self, id: u64, bytes: u64) {
        let mut s = self.state.lock();
        let old = if bytes == 0 { s.claims.remove(&id) } else { s.claims.insert(id, bytes) }.unwrap_or(0);
        s.claimed = s.claimed - old + bytes;
        if bytes > old && !self.make_room(&mut s, 0) {
            tracing::warn!(
                "Claimed state memory ({} bytes) is over the memory budget ({} bytes)",
                s.claimed,
                self.budget
            );
        }
    }

    fn make_room(&self, s: &mut State, bytes: u64) -> bool {
        if bytes > self.budget {
            return false;
        }
        while s.storage_used + s.execution_used + s.claimed + bytes > self.budget {
            let Some(victim) = s.lru.iter().find(|(_, id)| s.entries[*id].memory > 0).map(|(t, id)| (*t, id.clone()))
            else {
                return false;
            };
            self.evict(s, victim.0, &victim.1);
        }
        true
    }

    fn evict(&self, s: &mut State, tick: u64, id: &BlockId) {
        self.evictions.fetch_add(1, Ordering::Relaxed);
        let entry = s.entries.remove(id).expect("LRU and entries agree");
        s.lru.remove(&tick);
        s.storage_used -= entry.memory;
        if !entry.level.use_disk {
            tracing::debug!("Dropped {id} from memory");
            return;
        }
        let bytes = match &entry.stored {
            Stored::Values(v) => v.encode(self.compress),
            Stored::Bytes(b) => Ok(b.as_ref().clone()),
            Stored::Disk(_) => return,
        };
        match bytes.and_then(|b| self.write_file(id, &b)) {
            Ok(path) => {
                s.lru.insert(tick, id.clone());
                s.entries.insert(id.clone(), Entry { stored: Stored::Disk(path), memory: 0, ..entry });
            }
            Err(e) => tracing::error!("Could not spill {id} to disk, dropping it: {e}"),
        }
    }

    /// Removes one block; true if it existed.
    pub(crate) fn remove(&self, id: &BlockId) -> bool {
        let mut s = self.state.lock();
        match s.entries.remove(id) {
            Some(entry) => {
                s.lru.remove(&entry.tick);
                s.storage_used -= entry.memory;
                if let Stored::Disk(path) = entry.stored {
                    let _ = std::fs::remove_file(path);
                }
                true
            }
            None => false,
        }
    }

    /// Removes every cached partition of RDD `rdd`.
    pub(crate) fn remove_rdd(&self, rdd: usize) {
        let ids: Vec<BlockId> = {
            let s = self.state.lock();
            s.entries.keys().filter(|id| matches!(id, BlockId::Rdd { rdd: r, .. } if *r == rdd)).cloned().collect()
        };
        for id in ids {
            self.remove(&id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn manager(budget: u64) -> (BlockManager, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        (BlockManager::new(budget, dir.path().to_path_buf(), false), dir)
    }

    fn store(bm: &BlockManager, id: BlockId, values: Vec<u64>, level: StorageLevel) {
        drop(bm.put(id, values, level).unwrap().0);
    }

    fn read(bm: &BlockManager, id: &BlockId) -> Option<Vec<u64>> {
        bm.get::<u64>(id).map(|c| c.flatten().collect())
    }

    #[test]
    fn every_level_round_trips() {
        for level in [
            StorageLevel::MEMORY_ONLY,
            StorageLevel::MEMORY_ONLY_SER,
            StorageLevel::MEMORY_AND_DISK,
            StorageLevel::MEMORY_AND_DISK_SER,
            StorageLevel::DISK_ONLY,
        ] {
            let (bm, _dir) = manager(1 << 20);
            let id = BlockId::Rdd { rdd: 1, split: 0 };
            let out: Vec<u64> = bm.put(id.clone(), vec![1, 2, 3], level).unwrap().0.flatten().collect();
            assert_eq!(out, vec![1, 2, 3]);
            assert_eq!(read(&bm, &id), Some(vec![1, 2, 3]), "{level:?}");
            assert_eq!(bm.stats().disk_blocks, u64::from(level == StorageLevel::DISK_ONLY));
        }
    }

    #[test]
    fn lru_block_is_dropped_or_spilled_when_over_budget() {
        let (bm, _dir) = manager(40_000); // room for two of the three blocks
        let a = BlockId::Rdd { rdd: 1, split: 0 };
        let b = BlockId::Rdd { rdd: 1, split: 1 };
        let c = BlockId::Rdd { rdd: 2, split: 0 };
        store(&bm, a.clone(), (0..1000u64).collect(), StorageLevel::MEMORY_ONLY);
        store(&bm, b.clone(), (0..1000u64).collect(), StorageLevel::MEMORY_AND_DISK);
        assert!(read(&bm, &a).is_some()); // a is now more recent than b
        store(&bm, c.clone(), (0..1000u64).collect(), StorageLevel::MEMORY_ONLY);
        let stats = bm.stats();
        assert!(stats.evictions >= 1);
        assert!(stats.storage_memory <= 40_000);
        // b was least recent and has a disk level: it moved to disk, readable and intact.
        assert_eq!(read(&bm, &b), Some((0..1000).collect()));
        assert_eq!(bm.stats().disk_blocks, 1);
    }

    #[test]
    fn block_larger_than_budget_is_not_cached_but_returned() {
        let (bm, _dir) = manager(100);
        let id = BlockId::Rdd { rdd: 1, split: 0 };
        let out: Vec<u64> =
            bm.put(id.clone(), (0..1000).collect(), StorageLevel::MEMORY_ONLY).unwrap().0.flatten().collect();
        assert_eq!(out.len(), 1000);
        assert!(read(&bm, &id).is_none());
    }

    #[test]
    fn removing_an_rdd_frees_memory_and_files() {
        let (bm, dir) = manager(1 << 20);
        for split in 0..3 {
            store(&bm, BlockId::Rdd { rdd: 7, split }, vec![1u64; 100], StorageLevel::DISK_ONLY);
        }
        store(&bm, BlockId::Rdd { rdd: 8, split: 0 }, vec![1u64; 100], StorageLevel::MEMORY_ONLY);
        bm.remove_rdd(7);
        bm.remove_rdd(8);
        let stats = bm.stats();
        assert_eq!((stats.blocks, stats.storage_memory), (0, 0));
        assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 0);
    }

    #[test]
    fn execution_memory_evicts_cached_blocks() {
        let (bm, _dir) = manager(20_000);
        store(&bm, BlockId::Rdd { rdd: 1, split: 0 }, (0..1000u64).collect(), StorageLevel::MEMORY_ONLY);
        assert!(bm.acquire_execution(15_000));
        assert_eq!(bm.stats().blocks, 0);
        assert!(!bm.acquire_execution(15_000));
        bm.release_execution(15_000);
        assert_eq!(bm.stats().execution_memory, 0);
    }
}
