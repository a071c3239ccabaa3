//! `spark.streaming.concurrentJobs > 1`: the output operations of one batch run at once, so two
//! of them reading the same persisted stream compute and store the same blocks at the same
//! time. The block stored twice must stay readable: a later read gets the records from the
//! block store, at every disk level.

use ember_core::{Conf, Context, Rdd, Result, StorageLevel};
use ember_streaming::scheduler::listener::{BatchInfo, OutputOperationInfo, StreamingListener};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{RddQueue, StreamingContext, Time};
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BATCHES: u64 = 4;
const PARTITIONS: usize = 2;
const RECORDS_PER_PARTITION: u64 = 1000;
const BATCH_MS: u64 = 1000;
/// How long a task waits for its twin, and a reader for the collectors: far more than needed.
const PATIENCE: Duration = Duration::from_secs(10);

/// Batch `b`'s input (b = 1, 2, …), disjoint from every other batch's.
fn input(b: u64) -> Vec<u64> {
    let base = b * 1_000_000;
    (base..base + RECORDS_PER_PARTITION * PARTITIONS as u64).collect()
}

fn mapped(x: u64) -> u64 {
    x * 2 + 1
}

/// What the persisted stream must hold in batch `b`.
fn expected(b: u64) -> Vec<u64> {
    input(b).into_iter().map(mapped).collect()
}

/// Counts, per (batch ms, partition), how often the persisted stream's partitions were
/// computed, and lets a computation wait for a second one of the same partition.
#[derive(Default)]
struct Computations {
    counts: Mutex<BTreeMap<(u64, usize), usize>>,
    changed: Condvar,
}

impl Computations {
    /// Records a computation of `key`; partition 0 then waits (up to [`PATIENCE`]) until a
    /// second task computes it too, so that both tasks miss the block store before either
    /// stores the block. Only partition 0 waits: with `local[2]` the two executor threads could
    /// otherwise both hold waiting tasks whose twins are queued behind them.
    fn compute(&self, key: (u64, usize)) {
        let mut counts = self.counts.lock();
        *counts.entry(key).or_default() += 1;
        self.changed.notify_all();
        if key.1 != 0 {
            return;
        }
        let deadline = Instant::now() + PATIENCE;
        while counts[&key] < 2 {
            if self.changed.wait_until(&mut counts, deadline).timed_out() {
                return;
            }
        }
    }

    /// Computations of batch `ms`'s partitions, in partition order.
    fn of_batch(&self, ms: u64) -> Vec<usize> {
        let counts = self.counts.lock();
        (0..PARTITIONS).map(|p| counts.get(&(ms, p)).copied().unwrap_or(0)).collect()
    }
}

/// What each collecting output operation saw, and which batches both have finished.
#[derive(Default)]
struct Collected {
    outputs: [Mutex<Vec<(u64, Vec<u64>)>>; 2],
    finished: Mutex<BTreeMap<u64, usize>>,
    changed: Condvar,
}

impl Collected {
    fn record(&self, op: usize, ms: u64, records: Vec<u64>) {
        self.outputs[op].lock().push((ms, records));
        *self.finished.lock().entry(ms).or_default() += 1;
        self.changed.notify_all();
    }

    /// Waits until both collectors finished batch `ms` (their blocks are stored by then).
    fn wait_for_both(&self, ms: u64) -> bool {
        let deadline = Instant::now() + PATIENCE;
        let mut finished = self.finished.lock();
        while finished.get(&ms).copied().unwrap_or(0) < 2 {
            if self.changed.wait_until(&mut finished, deadline).timed_out() {
                return false;
            }
        }
        true
    }
}

/// A read of a batch's persisted RDD after both collectors stored its blocks.
struct Reread {
    ms: u64,
    records: Vec<u64>,
    /// Partition computations during the read (0: every block came from the store).
    recomputed: usize,
    /// Block store hits during the read.
    hits: u64,
}

#[derive(Default)]
struct Batches {
    completed: Mutex<Vec<BatchInfo>>,
    output_ops: Mutex<Vec<OutputOperationInfo>>,
}

impl StreamingListener for Batches {
    fn on_batch_completed(&self, batch: &BatchInfo) {
        self.completed.lock().push(batch.clone());
    }
    fn on_output_operation_completed(&self, op: &OutputOperationInfo) {
        self.output_ops.lock().push(op.clone());
    }
}

/// One input stream mapped and persisted at `level`, read by two collecting output operations
/// that run at once (`spark.streaming.concurrentJobs=2`) and by a third that re-reads each
/// batch's persisted RDD once both collectors are done.
fn concurrent_jobs_share_persisted_blocks(level: StorageLevel, memory: &str) {
    let _turn = context_turn();
    let clock = Arc::new(ManualClock::new(0));
    let conf =
        Conf::empty().master("local[2]").set("spark.streaming.concurrentJobs", "2").set("spark.driver.memory", memory);
    let sc = Context::new(conf).unwrap();
    let ssc = StreamingContext::with_clock(&sc, Duration::from_millis(BATCH_MS), clock.clone());

    let queue = RddQueue::<u64>::new();
    for b in 1..=BATCHES {
        queue.push(sc.parallelize(input(b), PARTITIONS));
    }
    let computations = Arc::new(Computations::default());
    let counter = computations.clone();
    let persisted = ssc
        .queue_stream(&queue, true)
        .transform_with_time(move |rdd, time| {
            let counter = counter.clone();
            rdd.map_partitions_with_index(move |split, records| {
                counter.compute((time.millis(), split));
                records.map(mapped)
            })
        })
        .persist(level);

    let collected = Arc::new(Collected::default());
    for op in 0..2 {
        let collected = collected.clone();
        persisted.foreach_rdd(move |rdd: &Rdd<u64>, time: Time| -> Result<()> {
            collected.record(op, time.millis(), rdd.collect()?);
            Ok(())
        });
    }
    let rereads = Arc::new(Mutex::new(Vec::<Reread>::new()));
    // Keeps every batch's persisted RDD (and so its blocks) after the stream forgets it.
    let kept = Arc::new(Mutex::new(Vec::<(u64, Rdd<u64>)>::new()));
    {
        let (collected, computations, rereads, kept, sc) =
            (collected.clone(), computations.clone(), rereads.clone(), kept.clone(), sc.clone());
        persisted.foreach_rdd(move |rdd: &Rdd<u64>, time: Time| -> Result<()> {
            let ms = time.millis();
            if !collected.wait_for_both(ms) {
                return Err(ember_core::Error::IllegalState(format!("batch {ms}: the collectors did not finish")));
            }
            let before = (computations.of_batch(ms).iter().sum::<usize>(), sc.block_manager_stats().hits);
            let records = rdd.collect()?;
            let recomputed = computations.of_batch(ms).iter().sum::<usize>() - before.0;
            let hits = sc.block_manager_stats().hits - before.1;
            rereads.lock().push(Reread { ms, records, recomputed, hits });
            kept.lock().push((ms, rdd.clone()));
            Ok(())
        });
    }
    let batches = Arc::new(Batches::default());
    ssc.add_streaming_listener(batches.clone());

    ssc.start().unwrap();
    // One batch at a time: only its two collectors race for its blocks.
    for b in 1..=BATCHES {
        clock.advance(BATCH_MS);
        assert!(ssc.wait_for_batch(Time::from_millis(b * BATCH_MS), Duration::from_secs(60)), "batch {b} ran");
    }
    ssc.wait_for_listeners();

    // No batch failed.
    match ssc.await_termination_or_timeout(Duration::ZERO) {
        Ok(stopped) => assert!(!stopped, "{level:?}: the context is still running"),
        Err(e) => panic!("{level:?}: a batch failed: {e}"),
    }
    let ops = batches.output_ops.lock().clone();
    assert_eq!(ops.len(), 3 * BATCHES as usize, "{level:?}: {ops:?}");
    for op in &ops {
        assert_eq!(op.failure_reason, None, "{level:?}: output operation {} of batch {}", op.id, op.batch_time);
    }
    let completed: Vec<u64> = batches.completed.lock().iter().map(|b| b.batch_time.millis()).collect();
    assert_eq!(completed, (1..=BATCHES).map(|b| b * BATCH_MS).collect::<Vec<_>>(), "{level:?}");

    let all: Vec<(u64, Vec<u64>)> = (1..=BATCHES).map(|b| (b * BATCH_MS, expected(b))).collect();
    for (op, output) in collected.outputs.iter().enumerate() {
        assert_eq!(*output.lock(), all, "{level:?}: collector {op} got every record of every batch");
    }
    for b in 1..=BATCHES {
        let counts = computations.of_batch(b * BATCH_MS);
        // Both jobs computed partition 0 at once; partition 1 once or twice, by timing.
        assert_eq!(counts[0], 2, "{level:?}: batch {b}: both jobs computed partition 0 ({counts:?})");
        assert!(counts[1..].iter().all(|c| (1..=2).contains(c)), "{level:?}: batch {b}: {counts:?}");
    }
    // The re-reads got the blocks from the store: same records, nothing recomputed.
    let rereads = rereads.lock();
    assert_eq!(rereads.iter().map(|r| r.ms).collect::<Vec<_>>(), all.iter().map(|(ms, _)| *ms).collect::<Vec<_>>());
    for (reread, (ms, records)) in rereads.iter().zip(&all) {
        assert_eq!(&reread.records, records, "{level:?}: batch {ms} re-read");
        assert_eq!(reread.recomputed, 0, "{level:?}: batch {ms} re-read recomputed no partition");
        assert!(reread.hits >= PARTITIONS as u64, "{level:?}: batch {ms} re-read hit {} blocks", reread.hits);
    }

    // Every block of every batch is still on disk and served once the stream has moved on.
    let stats = sc.block_manager_stats();
    assert_eq!(stats.disk_blocks, BATCHES * PARTITIONS as u64, "{level:?}: {stats:?}");
    let before = computations.counts.lock().clone();
    for (ms, rdd) in kept.lock().iter() {
        assert_eq!(rdd.collect().unwrap(), expected(ms / BATCH_MS), "{level:?}: batch {ms} read again");
    }
    assert_eq!(*computations.counts.lock(), before, "{level:?}: no partition was recomputed");
    assert!(sc.block_manager_stats().hits >= stats.hits + BATCHES * PARTITIONS as u64, "{level:?}");
    kept.lock().clear();
    ssc.stop(true, false);
}

#[test]
fn concurrent_jobs_reading_a_disk_only_stream_keep_its_blocks() {
    concurrent_jobs_share_persisted_blocks(StorageLevel::DISK_ONLY, "1m");
}

/// Under this budget (6 KB) a `MEMORY_AND_DISK` block (about 16 KB) goes straight to disk.
#[test]
fn concurrent_jobs_reading_a_memory_and_disk_stream_keep_its_blocks_on_disk() {
    concurrent_jobs_share_persisted_blocks(StorageLevel::MEMORY_AND_DISK, "10k");
}
