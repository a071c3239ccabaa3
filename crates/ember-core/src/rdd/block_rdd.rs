//! `BlockRdd`: an RDD over blocks already in the block store, one partition per block (Spark's
//! `BlockRDD`, which receiver input streams use for their batches).

use super::{Chunks, Dependency, Rdd, RddOp};
use crate::scheduler::{raise, TaskContext};
use crate::storage::BlockId;
use crate::{Context, Data, Error, Result, StorageLevel};
use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

static NEXT_INPUT_BLOCK: AtomicU64 = AtomicU64::new(0);

/// A block of received records in the block store, stored by [`Context::put_input_block`].
/// The block is removed when the last handle goes (with the last RDD reading it).
pub struct InputBlock {
    ctx: Context,
    id: BlockId,
    records: u64,
}

impl InputBlock {
    /// The block's name in the store, as Spark names stream blocks: `input-<stream>-<n>`.
    pub fn name(&self) -> String {
        self.id.to_string()
    }

    /// How many records the block holds.
    pub fn records(&self) -> u64 {
        self.records
    }
}

impl Drop for InputBlock {
    fn drop(&mut self) {
        self.ctx.block_manager().remove(&self.id);
    }
}

impl std::fmt::Debug for InputBlock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "InputBlock({}, {} records)", self.id, self.records)
    }
}

/// The RDD behind [`Context::block_rdd`].
pub struct BlockRdd<T> {
    blocks: Vec<Arc<InputBlock>>,
    _records: PhantomData<fn() -> T>,
}

impl<T: Data> RddOp<T> for BlockRdd<T> {
    fn num_partitions(&self) -> usize {
        self.blocks.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn compute(&self, split: usize, _tc: &TaskContext) -> Chunks<T> {
        let id = &self.blocks[split].id;
        self.blocks[split]
            .ctx
            .block_manager()
            .get::<T>(id)
            .unwrap_or_else(|| raise(Error::IllegalState(format!("Could not compute split, block {id} not found"))))
    }
    fn name(&self) -> &'static str {
        "BlockRDD"
    }
}

impl Context {
    /// Stores `records` received for input stream `stream` as one block at `level`: serialized
    /// levels keep the bytes, not the records, and levels with disk spill when memory is short,
    /// as any cached block does. The block counts against the memory budget until the returned
    /// handle (and every RDD built on it) is dropped.
    ///
    /// An error when the block could not be stored: a memory-only level without room for it, or
    /// a failed write to disk.
    ///
    /// ```
    /// use ember_core::StorageLevel;
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let a = ctx.put_input_block(0, vec!["to be".to_string()], StorageLevel::MEMORY_AND_DISK_SER).unwrap();
    /// let b = ctx.put_input_block(0, vec!["or not".to_string()], StorageLevel::MEMORY_AND_DISK_SER).unwrap();
    /// assert_eq!(ctx.block_manager_stats().blocks, 2);
    /// let rdd = ctx.block_rdd::<String>(vec![a.into(), b.into()]);
    /// assert_eq!(rdd.collect().unwrap(), vec!["to be", "or not"]);
    /// drop(rdd);
    /// assert_eq!(ctx.block_manager_stats().blocks, 0);
    /// ```
    pub fn put_input_block<T: Data>(&self, stream: usize, records: Vec<T>, level: StorageLevel) -> Result<InputBlock> {
        let id = BlockId::Input { stream, id: NEXT_INPUT_BLOCK.fetch_add(1, Ordering::Relaxed) };
        let count = records.len() as u64;
        let (_, kept) = self.block_manager().put(id.clone(), records, level)?;
        if !kept {
            return Err(Error::IllegalState(format!(
                "Could not store {id} to block manager with storage level {level:?}"
            )));
        }
        Ok(InputBlock { ctx: self.clone(), id, records: count })
    }

    /// An RDD whose partition `i` is the records of `blocks[i]`. Computing a partition whose
    /// block was dropped (a memory-only level under memory pressure) fails its task with
    /// Spark's message: `Could not compute split, block input-0-7 not found`.
    pub fn block_rdd<T: Data>(&self, blocks: Vec<Arc<InputBlock>>) -> Rdd<T> {
        Rdd::from_op(self, BlockRdd { blocks, _records: PhantomData })
    }
}

#[cfg(test)]
mod tests {
    use crate::{Conf, Context, StorageLevel};

    #[test]
    fn a_block_evicted_from_memory_fails_its_task_with_sparks_message() {
        let ctx = Context::new(Conf::empty().master("local[1]").set("spark.driver.memory", "64k")).unwrap();
        let first = ctx.put_input_block(3, vec![7u64; 3000], StorageLevel::MEMORY_ONLY_SER).unwrap();
        let id = first.name();
        // A second block of the same size only fits if the first, memory-only, is dropped.
        let _second = ctx.put_input_block(3, vec![8u64; 3000], StorageLevel::MEMORY_ONLY_SER).unwrap();
        let err = ctx.block_rdd::<u64>(vec![first.into()]).count().unwrap_err().to_string();
        assert!(id.starts_with("input-3-"), "{id}");
        assert!(err.contains(&format!("Could not compute split, block {id} not found")), "{err}");
    }

    #[test]
    fn every_storage_level_reads_back_and_counts_in_the_store() {
        let ctx = Context::local(1).unwrap();
        for level in [
            StorageLevel::MEMORY_ONLY,
            StorageLevel::MEMORY_ONLY_SER,
            StorageLevel::MEMORY_AND_DISK_SER,
            StorageLevel::DISK_ONLY,
        ] {
            let block = ctx.put_input_block(0, vec!["a".to_string(), "b".to_string()], level).unwrap();
            assert_eq!(block.records(), 2);
            assert_eq!(ctx.block_manager_stats().blocks, 1, "{level:?}");
            let rdd = ctx.block_rdd::<String>(vec![block.into()]);
            assert_eq!(rdd.collect().unwrap(), vec!["a", "b"], "{level:?}");
            drop(rdd);
            assert_eq!(ctx.block_manager_stats().blocks, 0, "{level:?}");
        }
    }
}
