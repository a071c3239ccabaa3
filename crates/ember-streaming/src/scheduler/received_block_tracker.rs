//! `ReceivedBlockTracker`: which received blocks belong to which batch (Spark's class of the
//! same name). When a batch is generated, every block received so far and not yet allocated is
//! given to that batch; a receiver stream's RDD for a time is exactly the blocks allocated to
//! that time, so data lands in the batch it was received for, whatever reads the stream (a
//! window whose slide is longer than the batch skips batches, and their data, as Spark does).

use crate::Time;
use ember_core::rdd::InputBlock;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Blocks allocated to batches, per input stream.
#[derive(Default)]
pub(crate) struct ReceivedBlockTracker {
    allocated: Mutex<BTreeMap<usize, BTreeMap<Time, Vec<Arc<InputBlock>>>>>,
}

impl ReceivedBlockTracker {
    /// Gives `blocks` (everything `stream` received since the previous batch) to the batch at
    /// `time`, and returns how many records they hold.
    pub(crate) fn allocate_blocks_to_batch(&self, time: Time, stream: usize, blocks: Vec<Arc<InputBlock>>) -> u64 {
        let records = blocks.iter().map(|b| b.records()).sum();
        self.allocated.lock().entry(stream).or_default().insert(time, blocks);
        records
    }

    /// The blocks of `stream` allocated to the batch at `time` (none if it had no batch then).
    pub(crate) fn blocks_of_batch(&self, time: Time, stream: usize) -> Vec<Arc<InputBlock>> {
        self.allocated.lock().get(&stream).and_then(|batches| batches.get(&time)).cloned().unwrap_or_default()
    }

    /// Forgets the allocations of `stream` at or before `threshold`: their blocks leave the
    /// store once no RDD reads them (Spark's `cleanupOldBatches`).
    pub(crate) fn cleanup_old_batches(&self, stream: usize, threshold: Time) {
        let old = {
            let mut allocated = self.allocated.lock();
            let Some(batches) = allocated.get_mut(&stream) else { return };
            let keep = batches.split_off(&(threshold + std::time::Duration::from_millis(1)));
            std::mem::replace(batches, keep)
        };
        // Dropped outside the lock: the last handle to a block removes it from the store.
        drop(old);
    }

    /// How many batch allocations are held (bounded-memory tests).
    #[cfg(test)]
    pub(crate) fn batches_held(&self) -> usize {
        self.allocated.lock().values().map(BTreeMap::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_core::{Context, StorageLevel};

    fn block(ctx: &Context, records: Vec<i32>) -> Arc<InputBlock> {
        Arc::new(ctx.put_input_block(0, records, StorageLevel::MEMORY_ONLY_SER).unwrap())
    }

    #[test]
    fn blocks_are_read_by_the_batch_they_were_allocated_to_and_freed_by_cleanup() {
        let ctx = Context::local(1).unwrap();
        let tracker = ReceivedBlockTracker::default();
        let t = Time::from_millis;
        assert_eq!(tracker.allocate_blocks_to_batch(t(1000), 0, vec![block(&ctx, vec![1, 2])]), 2);
        assert_eq!(tracker.allocate_blocks_to_batch(t(2000), 0, vec![block(&ctx, vec![3]), block(&ctx, vec![4])]), 2);
        assert_eq!(tracker.allocate_blocks_to_batch(t(3000), 0, Vec::new()), 0);
        let read = |time| ctx.block_rdd::<i32>(tracker.blocks_of_batch(time, 0)).collect().unwrap();
        assert_eq!(read(t(1000)), vec![1, 2]);
        assert_eq!(read(t(2000)), vec![3, 4]);
        assert!(read(t(3000)).is_empty());
        assert!(tracker.blocks_of_batch(t(1000), 7).is_empty(), "another stream has nothing");
        tracker.cleanup_old_batches(0, t(2000));
        assert_eq!(tracker.batches_held(), 1);
        assert!(read(t(1000)).is_empty());
        assert_eq!(ctx.block_manager_stats().blocks, 0, "cleaned-up blocks leave the store");
    }
}
