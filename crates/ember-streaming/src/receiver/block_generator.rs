//! The block generator: records stored one at a time are buffered and cut into a block every
//! block interval, or sooner when the block reaches its record limit. Each block goes into the
//! block store at the receiver's storage level and waits there until a batch takes it.

use ember_core::rdd::InputBlock;
use ember_core::Result;
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Puts a cut block into the block store.
pub(crate) type StoreBlock<T> = Box<dyn Fn(Vec<T>) -> Result<InputBlock> + Send + Sync>;

/// Buffered records and the stored blocks cut from them.
pub(crate) struct BlockGenerator<T> {
    buffer: Mutex<Vec<T>>,
    blocks: Mutex<Vec<Arc<InputBlock>>>,
    store: StoreBlock<T>,
    limiter: Option<Mutex<Instant>>,
    per_record: Duration,
    max_block_records: usize,
}

impl<T> BlockGenerator<T> {
    /// `store` puts a block into the block store. `max_rate`: records per second allowed through
    /// `add`, if limited. `max_block_records`: a block is cut as soon as it holds this many
    /// records, so a burst arriving within one block interval still becomes several partitions
    /// that every core can work on.
    pub(crate) fn new(store: StoreBlock<T>, max_rate: Option<u64>, max_block_records: usize) -> Self {
        let per_record = max_rate.filter(|r| *r > 0).map(|r| Duration::from_secs_f64(1.0 / r as f64));
        BlockGenerator {
            buffer: Mutex::default(),
            blocks: Mutex::default(),
            store,
            limiter: per_record.map(|_| Mutex::new(Instant::now())),
            per_record: per_record.unwrap_or_default(),
            max_block_records,
        }
    }

    /// Adds a record to the current block, first waiting for the rate limit. An error when the
    /// block it completed could not be stored.
    pub(crate) fn add(&self, record: T) -> Result<()> {
        if let Some(next) = &self.limiter {
            let wait = {
                let mut next = next.lock();
                let now = Instant::now();
                // Idle time earns no credit, so a quiet receiver cannot burst past the rate.
                *next = (*next).max(now) + self.per_record;
                next.saturating_duration_since(now)
            };
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
        let mut buffer = self.buffer.lock();
        buffer.push(record);
        if buffer.len() < self.max_block_records {
            return Ok(());
        }
        let block = std::mem::take(&mut *buffer);
        self.store_block(block)
    }

    /// Stores a whole block at once.
    pub(crate) fn add_block(&self, block: Vec<T>) -> Result<()> {
        let _buffer = self.buffer.lock();
        self.store_block(block)
    }

    /// Cuts the buffered records into a block (every block interval, and on stop).
    pub(crate) fn cut(&self) -> Result<()> {
        let mut buffer = self.buffer.lock();
        let block = std::mem::take(&mut *buffer);
        self.store_block(block)
    }

    /// Stores a block and queues it for a batch. Callers hold the buffer's lock throughout, so
    /// that `has_pending` never sees records that left the buffer but are not queued yet.
    fn store_block(&self, block: Vec<T>) -> Result<()> {
        if !block.is_empty() {
            let stored = (self.store)(block)?;
            self.blocks.lock().push(Arc::new(stored));
        }
        Ok(())
    }

    /// Takes every stored block (for a batch).
    pub(crate) fn take_blocks(&self) -> Vec<Arc<InputBlock>> {
        std::mem::take(&mut *self.blocks.lock())
    }

    /// How many records wait to be taken by a batch (buffered or in stored blocks).
    pub(crate) fn pending_records(&self) -> u64 {
        let buffer = self.buffer.lock();
        buffer.len() as u64 + self.blocks.lock().iter().map(|b| b.records()).sum::<u64>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_core::{Context, StorageLevel};

    fn generator(ctx: &Context, max_rate: Option<u64>, max_block_records: usize) -> BlockGenerator<i32> {
        let ctx = ctx.clone();
        let store = Box::new(move |b| ctx.put_input_block(0, b, StorageLevel::MEMORY_ONLY_SER));
        BlockGenerator::new(store, max_rate, max_block_records)
    }

    fn take(ctx: &Context, g: &BlockGenerator<i32>) -> Vec<Vec<i32>> {
        ctx.block_rdd(g.take_blocks()).glom().collect().unwrap()
    }

    #[test]
    fn records_become_blocks_in_order() {
        let ctx = Context::local(1).unwrap();
        let g = generator(&ctx, None, 100);
        (0..5).try_for_each(|i| g.add(i)).unwrap();
        g.cut().unwrap();
        g.add(5).unwrap();
        g.add_block(vec![6, 7]).unwrap();
        g.cut().unwrap();
        assert_eq!(take(&ctx, &g), vec![vec![0, 1, 2, 3, 4], vec![6, 7], vec![5]]);
        assert_eq!(g.pending_records(), 0);
        assert_eq!(ctx.block_manager_stats().blocks, 0, "taken blocks leave the store with their RDD");
    }

    #[test]
    fn full_blocks_are_cut_without_waiting_for_the_interval() {
        let ctx = Context::local(1).unwrap();
        let g = generator(&ctx, None, 3);
        (0..7).try_for_each(|i| g.add(i)).unwrap();
        assert_eq!(take(&ctx, &g), vec![vec![0, 1, 2], vec![3, 4, 5]]);
        g.cut().unwrap();
        assert_eq!(take(&ctx, &g), vec![vec![6]]);
    }

    #[test]
    fn a_block_that_cannot_be_stored_is_an_error() {
        let conf = ember_core::Conf::empty().master("local[1]").set("spark.driver.memory", "1k");
        let ctx = Context::new(conf).unwrap();
        let g = generator(&ctx, None, 1000);
        (0..500).try_for_each(|i| g.add(i)).unwrap();
        let err = g.cut().unwrap_err().to_string();
        assert!(err.starts_with("Could not store input-0-"), "{err}");
        assert!(
            err.ends_with(" to block manager with storage level StorageLevel(memory, serialized, 1 replicas)"),
            "{err}"
        );
    }

    #[test]
    fn max_rate_paces_records() {
        let ctx = Context::local(1).unwrap();
        let g = generator(&ctx, Some(200), 100);
        let start = Instant::now();
        (0..50).try_for_each(|i| g.add(i)).unwrap();
        // 50 records at 200/s take about 0.25 s.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    }
}
