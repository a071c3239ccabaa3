//! The block generator: records stored one at a time are buffered and cut into a block every
//! block interval, or sooner when the block reaches its record limit; blocks wait in a queue
//! until a batch takes them.

use parking_lot::Mutex;
use std::time::{Duration, Instant};

/// Buffered records and the blocks cut from them.
pub(crate) struct BlockGenerator<T> {
    buffer: Mutex<Vec<T>>,
    blocks: Mutex<Vec<Vec<T>>>,
    limiter: Option<Mutex<Instant>>,
    per_record: Duration,
    max_block_records: usize,
}

impl<T> BlockGenerator<T> {
    /// `max_rate`: records per second allowed through `add`, if limited. `max_block_records`:
    /// a block is cut as soon as it holds this many records, so a burst arriving within one block
    /// interval still becomes several partitions that every core can work on.
    pub(crate) fn new(max_rate: Option<u64>, max_block_records: usize) -> Self {
        let per_record = max_rate.filter(|r| *r > 0).map(|r| Duration::from_secs_f64(1.0 / r as f64));
        BlockGenerator {
            buffer: Mutex::default(),
            blocks: Mutex::default(),
            limiter: per_record.map(|_| Mutex::new(Instant::now())),
            per_record: per_record.unwrap_or_default(),
            max_block_records,
        }
    }

    /// Adds a record to the current block, first waiting for the rate limit.
    pub(crate) fn add(&self, record: T) {
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
        if buffer.len() >= self.max_block_records {
            let block = std::mem::take(&mut *buffer);
            drop(buffer);
            self.add_block(block);
        }
    }

    /// Adds a whole block at once.
    pub(crate) fn add_block(&self, block: Vec<T>) {
        if !block.is_empty() {
            self.blocks.lock().push(block);
        }
    }

    /// Cuts the buffered records into a block (every block interval, and on stop).
    pub(crate) fn cut(&self) {
        let block = std::mem::take(&mut *self.buffer.lock());
        self.add_block(block);
    }

    /// Takes every complete block (for a batch).
    pub(crate) fn take_blocks(&self) -> Vec<Vec<T>> {
        std::mem::take(&mut *self.blocks.lock())
    }

    /// Whether records are waiting to be taken by a batch.
    pub(crate) fn has_pending(&self) -> bool {
        !self.blocks.lock().is_empty() || !self.buffer.lock().is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_become_blocks_in_order() {
        let g = BlockGenerator::new(None, 100);
        (0..5).for_each(|i| g.add(i));
        g.cut();
        g.add(5);
        g.add_block(vec![6, 7]);
        g.cut();
        assert_eq!(g.take_blocks(), vec![vec![0, 1, 2, 3, 4], vec![6, 7], vec![5]]);
        assert!(!g.has_pending());
    }

    #[test]
    fn full_blocks_are_cut_without_waiting_for_the_interval() {
        let g = BlockGenerator::new(None, 3);
        (0..7).for_each(|i| g.add(i));
        assert_eq!(g.take_blocks(), vec![vec![0, 1, 2], vec![3, 4, 5]]);
        g.cut();
        assert_eq!(g.take_blocks(), vec![vec![6]]);
    }

    #[test]
    fn max_rate_paces_records() {
        let g = BlockGenerator::new(Some(200), 100);
        let start = Instant::now();
        (0..50).for_each(|i| g.add(i));
        // 50 records at 200/s take about 0.25 s.
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_millis(150), "{elapsed:?}");
    }
}
