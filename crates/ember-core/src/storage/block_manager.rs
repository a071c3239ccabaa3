//! `BlockManager`: stores blocks at their storage level under one memory budget shared with
//! shuffle (execution) memory. When memory runs short the least recently used blocks are
//! spilled to disk (levels with disk) or dropped (memory-only levels, recomputed from lineage).

use super::block_file::BlockFile;
use super::{estimate_size, StorageLevel};
use crate::codec;
use crate::rdd::chunks::{from_shared, from_vec};
use crate::rdd::Chunks;
use crate::scheduler::raise;
use crate::{Data, Error, Result};
use parking_lot::{Condvar, Mutex, MutexGuard};
use std::any::Any;
use std::borrow::Cow;
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

/// A block held in memory: typed records (deserialized levels) or their encoding.
#[derive(Clone)]
enum InMemory {
    Values(Arc<dyn ValuesBlock>),
    Bytes(Arc<Vec<u8>>),
}

impl InMemory {
    /// The bytes a disk copy of the block holds.
    fn encoded(&self, compress: bool) -> Result<Cow<'_, [u8]>> {
        match self {
            InMemory::Values(v) => v.encode(compress).map(Cow::Owned),
            InMemory::Bytes(b) => Ok(Cow::Borrowed(b.as_slice())),
        }
    }
}

#[derive(Clone)]
enum Stored {
    Memory(InMemory),
    Disk(Arc<BlockFile>),
}

struct Entry {
    stored: Stored,
    /// Bytes counted in storage memory (0 once on disk).
    memory: u64,
    level: StorageLevel,
    /// Last use, the entry's key in the LRU order.
    tick: u64,
    /// The tick it was stored at: tells a finished spill whether the entry it wrote is still
    /// the one in the store (it may have been removed and stored again meanwhile).
    stored_at: u64,
    /// Being written to disk with the lock released (see [`BlockManager::evict`]). It is
    /// still read from memory, and its memory still counted, until the write is recorded.
    spilling: bool,
}

impl Entry {
    fn new(stored: Stored, memory: u64, level: StorageLevel) -> Entry {
        Entry { stored, memory, level, tick: 0, stored_at: 0, spilling: false }
    }
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
    /// Memory of the entries being spilled: freed once their writes are recorded.
    spilling: u64,
}

impl State {
    fn used(&self) -> u64 {
        self.storage_used + self.execution_used + self.claimed
    }

    /// Stores `entry` as the most recently used block, counting its memory; unless the block
    /// is already stored (two tasks computed it at once): then the first copy stays, as in
    /// Spark, and the new one is handed back for the caller to drop once the lock is released.
    fn insert(&mut self, id: BlockId, mut entry: Entry) -> Option<Entry> {
        if self.entries.contains_key(&id) {
            return Some(entry);
        }
        self.tick += 1;
        (entry.tick, entry.stored_at) = (self.tick, self.tick);
        self.lru.insert(self.tick, id.clone());
        self.storage_used += entry.memory;
        self.entries.insert(id, entry);
        None
    }

    /// The entry, now marked most recently used.
    fn touch(&mut self, id: &BlockId) -> Option<&Entry> {
        let entry = self.entries.get_mut(id)?;
        self.lru.remove(&entry.tick);
        self.tick += 1;
        entry.tick = self.tick;
        self.lru.insert(self.tick, id.clone());
        Some(entry)
    }

    /// Blocks that can leave memory, least recently used first, with their memory.
    fn evictable(&self) -> impl Iterator<Item = (&BlockId, u64)> {
        self.lru
            .values()
            .map(|id| (id, &self.entries[id]))
            .filter(|(_, e)| e.memory > 0 && !e.spilling)
            .map(|(id, e)| (id, e.memory))
    }

    /// Records a finished spill: the entry now reads from `file` and its memory is free. If the
    /// write failed the block is dropped; if the entry was removed (or removed and stored
    /// again) meanwhile, the new file is deleted as it drops.
    fn record_spill(&mut self, spill: Spill, file: Result<BlockFile>) {
        self.spilling -= spill.memory;
        let Some(entry) = self.entries.get_mut(&spill.id).filter(|e| e.stored_at == spill.stored_at) else {
            return;
        };
        match file {
            Ok(file) => {
                self.storage_used -= entry.memory;
                (entry.stored, entry.memory, entry.spilling) = (Stored::Disk(Arc::new(file)), 0, false);
            }
            Err(e) => {
                tracing::error!("Could not spill {} to disk, dropping it: {e}", spill.id);
                self.take(&spill.id);
            }
        }
    }

    /// Takes a block out of the store, uncounting its memory. Its file goes when the returned
    /// entry and every read still holding the file are dropped.
    fn take(&mut self, id: &BlockId) -> Option<Entry> {
        let entry = self.entries.remove(id)?;
        self.lru.remove(&entry.tick);
        self.storage_used -= entry.memory;
        Some(entry)
    }
}

/// A block chosen to be written to disk to make room, copied out of the store.
struct Spill {
    id: BlockId,
    stored_at: u64,
    data: InMemory,
    memory: u64,
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
    /// Signalled when spills are recorded, for threads waiting on the memory they free.
    spilled: Condvar,
    budget: u64,
    /// Where blocks on disk go (`<local dir>/blocks`).
    dir: PathBuf,
    compress: bool,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl BlockManager {
    pub(crate) fn new(budget: u64, local_dir: PathBuf, compress: bool) -> BlockManager {
        BlockManager {
            state: Mutex::default(),
            spilled: Condvar::new(),
            budget,
            dir: local_dir.join("blocks"),
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
        let stored = self.state.lock().touch(id)?.stored.clone();
        self.hits.fetch_add(1, Ordering::Relaxed);
        let bytes = match stored {
            Stored::Memory(InMemory::Values(v)) => {
                let values = v.into_any().downcast::<Vec<T>>().unwrap_or_else(|_| {
                    raise(Error::IllegalState(format!("block {id} holds records of another type")))
                });
                let len = values.len();
                return Some(from_shared(values, 0..len));
            }
            Stored::Memory(InMemory::Bytes(bytes)) => bytes,
            Stored::Disk(file) => Arc::new(file.read(id).unwrap_or_else(|e| raise(e))),
        };
        Some(codec::decode_chunks::<T>(bytes, self.compress).unwrap_or_else(|e| raise(e)))
    }

    /// Stores `values` at `level` and hands them back as an iterator, with whether the block is
    /// stored: at a memory-only level without room it is not. If the block is already stored
    /// (another task computed it at the same time), that copy is kept.
    pub(crate) fn put<T: Data>(&self, id: BlockId, values: Vec<T>, level: StorageLevel) -> Result<(Chunks<T>, bool)> {
        // Deserialized memory levels keep the records themselves; every other level, bytes.
        let (data, size, records) = if level.use_memory && level.deserialized {
            let block = Arc::new(values);
            let (size, len) = (estimate_size(&block), block.len());
            (InMemory::Values(block.clone()), size, from_shared(block, 0..len))
        } else {
            let bytes = codec::encode(&values, self.compress)?;
            let size = bytes.len() as u64;
            (InMemory::Bytes(Arc::new(bytes)), size, from_vec(values))
        };
        let kept = if level.use_memory && self.keep_in_memory(&id, &data, size, level) {
            true
        } else if level.use_disk {
            let file = BlockFile::create(&self.dir, &id, &data.encoded(self.compress)?)?;
            let _duplicate = self.state.lock().insert(id, Entry::new(Stored::Disk(Arc::new(file)), 0, level));
            true
        } else {
            false
        };
        Ok((records, kept))
    }

    /// Stores `data` in memory if the budget has (or can make) room for `size` bytes; true if
    /// the block is now stored, by this call or an earlier one.
    fn keep_in_memory(&self, id: &BlockId, data: &InMemory, size: u64, level: StorageLevel) -> bool {
        let mut s = self.state.lock();
        if s.entries.contains_key(id) {
            return true;
        }
        if !self.make_room(&mut s, size) {
            return false;
        }
        // A duplicate (stored while make_room had the lock released) only shares `data`.
        s.insert(id.clone(), Entry::new(Stored::Memory(data.clone()), size, level));
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
            // The claim is held either way: every cached block leaves memory to bring the total
            // as close to the budget as it can get.
            let all = s.evictable().map(|(id, _)| id.clone()).collect();
            self.evict(&mut s, all);
            tracing::warn!(
                "Claimed state memory ({} bytes) is over the memory budget ({} bytes)",
                s.claimed,
                self.budget
            );
        }
    }

    /// Makes room for `bytes` more within the budget by evicting least recently used blocks
    /// from memory; false, having evicted nothing, if even evicting all of them could not free
    /// enough (as in Spark). Waits for other threads' spills when only those can free enough.
    /// Returns with the lock held, so the caller takes the room before anyone else can.
    fn make_room(&self, s: &mut MutexGuard<'_, State>, bytes: u64) -> bool {
        if bytes > self.budget {
            return false;
        }
        loop {
            let needed = (s.used() + bytes).saturating_sub(self.budget);
            if needed == 0 {
                return true;
            }
            let (mut victims, mut freed) = (Vec::new(), 0);
            for (id, memory) in s.evictable() {
                if freed >= needed {
                    break;
                }
                freed += memory;
                victims.push(id.clone());
            }
            if freed >= needed {
                self.evict(s, victims);
            } else if freed + s.spilling >= needed {
                self.spilled.wait(s);
            } else {
                return false;
            }
        }
    }

    /// Takes `victims` out of memory. Memory-only blocks are dropped. Blocks with disk are
    /// written to disk with the lock released, so other tasks and the receiver keep reading
    /// and storing blocks meanwhile; a block being written stays readable in memory, and its
    /// memory counted, until the write is recorded.
    fn evict(&self, s: &mut MutexGuard<'_, State>, victims: Vec<BlockId>) {
        self.evictions.fetch_add(victims.len() as u64, Ordering::Relaxed);
        let mut spills = Vec::new();
        for id in victims {
            let entry = s.entries.get_mut(&id).expect("victims are stored");
            match &entry.stored {
                Stored::Memory(data) if entry.level.use_disk => {
                    entry.spilling = true;
                    spills.push(Spill { id, stored_at: entry.stored_at, data: data.clone(), memory: entry.memory });
                }
                _ => {
                    tracing::debug!("Dropped {id} from memory");
                    s.take(&id);
                }
            }
        }
        if spills.is_empty() {
            return;
        }
        s.spilling += spills.iter().map(|spill| spill.memory).sum::<u64>();
        let written: Vec<Result<BlockFile>> = MutexGuard::unlocked(s, || {
            spills
                .iter()
                .map(|spill| BlockFile::create(&self.dir, &spill.id, &spill.data.encoded(self.compress)?))
                .collect()
        });
        for (spill, file) in spills.into_iter().zip(written) {
            s.record_spill(spill, file);
        }
        self.spilled.notify_all();
    }

    /// Removes one block; true if it existed.
    pub(crate) fn remove(&self, id: &BlockId) -> bool {
        let taken = self.state.lock().take(id);
        taken.is_some()
    }

    /// Removes every cached partition of RDD `rdd`.
    pub(crate) fn remove_rdd(&self, rdd: usize) {
        let taken: Vec<Entry> = {
            let mut s = self.state.lock();
            let ids: Vec<BlockId> =
                s.entries.keys().filter(|id| matches!(id, BlockId::Rdd { rdd: r, .. } if *r == rdd)).cloned().collect();
            ids.iter().filter_map(|id| s.take(id)).collect()
        };
        drop(taken);
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

    /// The block's records; an error raised by the store fails the test with its message.
    fn read(bm: &BlockManager, id: &BlockId) -> Option<Vec<u64>> {
        let get = std::panic::AssertUnwindSafe(|| bm.get::<u64>(id).map(|c| c.flatten().collect()));
        std::panic::catch_unwind(get).unwrap_or_else(|payload| {
            match payload.downcast::<crate::scheduler::dag_scheduler::TaskError>() {
                Ok(raised) => panic!("reading {id}: {}", raised.0),
                Err(payload) => std::panic::resume_unwind(payload),
            }
        })
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

    #[test]
    fn storing_a_block_twice_on_disk_keeps_the_first_copy_readable() {
        // MEMORY_AND_DISK_SER under a 100-byte budget goes straight to disk, as DISK_ONLY does.
        for level in [StorageLevel::DISK_ONLY, StorageLevel::MEMORY_AND_DISK_SER, StorageLevel::MEMORY_AND_DISK] {
            let (bm, dir) = manager(100);
            let id = BlockId::Rdd { rdd: 1, split: 0 };
            store(&bm, id.clone(), (0..1000).collect(), level);
            let (out, kept) = bm.put(id.clone(), (0..1000).map(|x| x + 1).collect(), level).unwrap();
            assert!(kept, "{level:?}: the block is stored, by the first put");
            assert_eq!(out.flatten().collect::<Vec<u64>>(), (1..1001).collect::<Vec<_>>(), "{level:?}");
            assert_eq!(read(&bm, &id), Some((0..1000).collect()), "{level:?}");
            assert_eq!((bm.stats().blocks, bm.stats().disk_blocks), (1, 1), "{level:?}");
            assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 1, "{level:?}");
            assert!(bm.remove(&id));
            assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 0, "{level:?}");
        }
    }

    #[test]
    fn concurrent_puts_and_gets_under_pressure_read_back_what_was_put() {
        let (bm, _dir) = manager(50_000); // about three blocks of 1000 records
        let levels = [
            StorageLevel::MEMORY_AND_DISK,
            StorageLevel::MEMORY_AND_DISK_SER,
            StorageLevel::MEMORY_ONLY,
            StorageLevel::DISK_ONLY,
        ];
        let records =
            |rdd: usize, split: usize| -> Vec<u64> { (0..1000).map(|i| (rdd * 1000 + split) as u64 * i).collect() };
        std::thread::scope(|scope| {
            for rdd in 0..8 {
                let bm = &bm;
                scope.spawn(move || {
                    let level = levels[rdd % levels.len()];
                    for split in 0..40 {
                        let id = BlockId::Rdd { rdd, split };
                        let out: Vec<u64> = bm.put(id, records(rdd, split), level).unwrap().0.flatten().collect();
                        assert_eq!(out, records(rdd, split));
                        for earlier in (0..=split).rev().step_by(7) {
                            match read(bm, &BlockId::Rdd { rdd, split: earlier }) {
                                Some(values) => assert_eq!(values, records(rdd, earlier), "{level:?}"),
                                None => assert!(!level.use_disk, "{level:?}: a block with disk is never lost"),
                            }
                        }
                    }
                });
            }
        });
        let stats = bm.stats();
        assert!(stats.evictions > 0 && stats.storage_memory <= stats.budget, "{stats:?}");
    }

    /// The gate [`Gated`] records wait at while they are encoded: shut while a test holds a
    /// spill mid-write. One test at a time uses it.
    static GATE_USERS: std::sync::Mutex<()> = std::sync::Mutex::new(());
    static GATE_SHUT: std::sync::Mutex<bool> = std::sync::Mutex::new(false);
    static GATE: std::sync::Condvar = std::sync::Condvar::new();
    static WAITING_AT_GATE: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

    /// A record whose encoding waits while the gate is shut, standing for a slow disk.
    #[derive(Clone, Debug, PartialEq, serde::Deserialize)]
    struct Gated(u64);

    impl serde::Serialize for Gated {
        fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
            let shut = GATE_SHUT.lock().unwrap();
            if *shut {
                WAITING_AT_GATE.store(true, Ordering::SeqCst);
            }
            drop(GATE.wait_while(shut, |shut| *shut).unwrap());
            s.serialize_u64(self.0)
        }
    }

    fn set_gate(shut: bool) {
        *GATE_SHUT.lock().unwrap() = shut;
        GATE.notify_all();
    }

    const SLOW: BlockId = BlockId::Rdd { rdd: 1, split: 0 };
    const OTHER: BlockId = BlockId::Rdd { rdd: 2, split: 0 };

    fn gated() -> Vec<Gated> {
        (0..1000).map(Gated).collect()
    }

    fn read_gated(bm: &BlockManager, id: &BlockId) -> Option<Vec<Gated>> {
        bm.get::<Gated>(id).map(|c| c.flatten().collect())
    }

    /// Runs `during` while a spill is held mid-write: `SLOW` (gated records, MEMORY_AND_DISK)
    /// and `OTHER` (memory-only) fill a budget for two blocks, and storing a third block on
    /// another thread spills `SLOW`, the least recently used. The gate opens when `during`
    /// returns; then the store finishes.
    fn with_spill_held<R>(during: impl FnOnce(&Arc<BlockManager>) -> R) -> (Arc<BlockManager>, tempfile::TempDir, R) {
        let _exclusive = GATE_USERS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        let (bm, dir) = manager(40_000);
        let bm = Arc::new(bm);
        drop(bm.put(SLOW, gated(), StorageLevel::MEMORY_AND_DISK).unwrap());
        store(&bm, OTHER, (0..1000).collect(), StorageLevel::MEMORY_ONLY);
        WAITING_AT_GATE.store(false, Ordering::SeqCst);
        set_gate(true);
        let bm2 = bm.clone();
        let spiller = std::thread::spawn(move || {
            store(&bm2, BlockId::Rdd { rdd: 3, split: 0 }, (0..1000).collect(), StorageLevel::MEMORY_ONLY)
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while !WAITING_AT_GATE.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let held = WAITING_AT_GATE.load(Ordering::SeqCst);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| during(&bm)));
        set_gate(false);
        spiller.join().unwrap();
        assert!(held, "the spill of {SLOW} reached the gate");
        (bm, dir, result.unwrap_or_else(|payload| std::panic::resume_unwind(payload)))
    }

    /// `f`'s result if it finishes within 5 s (on a thread left to finish later otherwise).
    fn within_5s<R: Send + 'static>(f: impl FnOnce() -> R + Send + 'static) -> Option<R> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || tx.send(f()));
        rx.recv_timeout(std::time::Duration::from_secs(5)).ok()
    }

    #[test]
    fn reads_do_not_wait_for_a_spill_in_progress() {
        let (bm, _dir, reads) = with_spill_held(|bm| {
            let bm = bm.clone();
            within_5s(move || (read(&bm, &OTHER), read_gated(&bm, &SLOW)))
        });
        let (other, spilling) = reads.expect("reads finish while the spill is held");
        assert_eq!(other, Some((0..1000).collect()));
        assert_eq!(spilling, Some(gated()), "a block being spilled is read from memory");
        assert_eq!(read_gated(&bm, &SLOW), Some(gated()), "and from disk once spilled");
        assert_eq!(bm.stats().disk_blocks, 1);
    }

    #[test]
    fn a_block_removed_while_it_spills_stays_removed() {
        let (bm, dir, removed) = with_spill_held(|bm| {
            let bm = bm.clone();
            within_5s(move || bm.remove(&SLOW))
        });
        assert_eq!(removed, Some(true), "removal does not wait for the spill");
        assert_eq!(read_gated(&bm, &SLOW), None);
        let stats = bm.stats();
        assert_eq!((stats.blocks, stats.disk_blocks, stats.storage_memory), (2, 0, 32_000), "{stats:?}");
        assert_eq!(std::fs::read_dir(dir.path().join("blocks")).unwrap().count(), 0, "the spilled copy is deleted");
    }
}
