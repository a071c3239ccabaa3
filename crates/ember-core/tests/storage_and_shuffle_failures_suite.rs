//! The block store and the shuffle when tasks race or fail: two tasks storing the same
//! persisted partition at once, map tasks that panic while holding execution memory, and many
//! threads putting and reading blocks under a budget too small to hold them.

use ember_core::{Conf, Context, Rdd, StorageLevel};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RECORDS_PER_PARTITION: u64 = 1000;

fn context(memory: &str) -> Context {
    Context::new(Conf::empty().master("local[2]").set("spark.driver.memory", memory)).unwrap()
}

/// `0..RECORDS_PER_PARTITION * parts` persisted at `level`, counting partition computations in
/// `computed`. Computing partition 0 waits (up to 10 s) until a second task computes it too, so
/// two tasks store the same block at once whenever a job reads it from two tasks.
fn contended(sc: &Context, parts: u64, level: StorageLevel, computed: &Arc<AtomicUsize>) -> Rdd<u64> {
    let (computed, started) = (computed.clone(), Arc::new(AtomicUsize::new(0)));
    sc.parallelize((0..RECORDS_PER_PARTITION * parts).collect(), parts as usize)
        .map_partitions_with_index(move |split, records| {
            computed.fetch_add(1, Ordering::SeqCst);
            if split == 0 {
                started.fetch_add(1, Ordering::SeqCst);
                let deadline = Instant::now() + Duration::from_secs(10);
                while started.load(Ordering::SeqCst) < 2 && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
            records
        })
        .persist(level)
}

/// A later job reads every block the racing tasks stored: the same records, none recomputed.
fn assert_blocks_still_served(sc: &Context, rdd: &Rdd<u64>, computed: &AtomicUsize, level: StorageLevel) {
    let before = (computed.load(Ordering::SeqCst), sc.block_manager_stats().hits);
    let expected: Vec<u64> = (0..RECORDS_PER_PARTITION * rdd.num_partitions() as u64).collect();
    assert_eq!(rdd.collect().unwrap(), expected, "{level:?}");
    assert_eq!(computed.load(Ordering::SeqCst), before.0, "{level:?}: no partition was recomputed");
    assert!(sc.block_manager_stats().hits >= before.1 + rdd.num_partitions() as u64, "{level:?}");
    assert_eq!(sc.block_manager_stats().disk_blocks, rdd.num_partitions() as u64, "{level:?}");
}

/// `rdd.union(&rdd)` over one partition: its two tasks store the same block at once.
fn union_with_itself_keeps_its_block(level: StorageLevel, memory: &str) {
    let sc = context(memory);
    let computed = Arc::new(AtomicUsize::new(0));
    let rdd = contended(&sc, 1, level, &computed);
    let expected: Vec<u64> = (0..RECORDS_PER_PARTITION).chain(0..RECORDS_PER_PARTITION).collect();
    assert_eq!(rdd.union(&rdd).collect().unwrap(), expected);
    assert_eq!(computed.load(Ordering::SeqCst), 2, "both tasks computed the partition");
    assert_blocks_still_served(&sc, &rdd, &computed, level);
}

/// `rdd.cartesian(&rdd)` over two partitions: tasks (0, 0) and (0, 1) both need partition 0.
fn cartesian_with_itself_keeps_its_blocks(level: StorageLevel, memory: &str) {
    let sc = context(memory);
    let computed = Arc::new(AtomicUsize::new(0));
    let rdd = contended(&sc, 2, level, &computed);
    let mut pairs = rdd.cartesian(&rdd).collect().unwrap();
    let n = 2 * RECORDS_PER_PARTITION as usize;
    assert_eq!(pairs.len(), n * n);
    pairs.sort_unstable();
    pairs.dedup();
    assert_eq!(pairs.len(), n * n, "every pair once");
    assert!(computed.load(Ordering::SeqCst) >= 3, "two tasks computed partition 0");
    assert_blocks_still_served(&sc, &rdd, &computed, level);
}

/// Under this budget (6 KB) a `MEMORY_AND_DISK` block (about 16 KB) goes straight to disk.
const TINY: &str = "10k";

#[test]
fn union_of_a_disk_only_rdd_with_itself_keeps_its_block() {
    union_with_itself_keeps_its_block(StorageLevel::DISK_ONLY, "1m");
}

#[test]
fn union_of_a_memory_and_disk_rdd_with_itself_keeps_its_block_on_disk() {
    union_with_itself_keeps_its_block(StorageLevel::MEMORY_AND_DISK, TINY);
}

#[test]
fn cartesian_of_a_disk_only_rdd_with_itself_keeps_its_blocks() {
    cartesian_with_itself_keeps_its_blocks(StorageLevel::DISK_ONLY, "1m");
}

#[test]
fn cartesian_of_a_memory_and_disk_rdd_with_itself_keeps_its_blocks_on_disk() {
    cartesian_with_itself_keeps_its_blocks(StorageLevel::MEMORY_AND_DISK, TINY);
}

/// Records per map task: past the writer's first memory check (every 8192 records), so each
/// task holds execution memory when its closure panics on the last record.
const MAP_RECORDS: u64 = 8200;

#[test]
fn map_tasks_that_panic_release_their_execution_memory() {
    let sc = Context::new(Conf::empty().master("local[2]").set("spark.task.maxFailures", "1")).unwrap();
    for job in 0..1000u64 {
        // Partition 0 succeeds (its output holds memory until the shuffle goes); partition 1
        // panics on its last record.
        let pairs = sc.parallelize((0..2 * MAP_RECORDS).collect(), 2).map(|x| {
            if x == 2 * MAP_RECORDS - 1 {
                panic!("bad record {x}")
            } else {
                (x % 97, x)
            }
        });
        let err = if job % 2 == 0 {
            pairs.reduce_by_key(|a, b| a + b).count().unwrap_err()
        } else {
            pairs.partition_by(ember_core::HashPartitioner::new(3)).count().unwrap_err()
        };
        assert!(err.to_string().ends_with(&format!("panic: bad record {}", 2 * MAP_RECORDS - 1)), "{err}");
    }
    assert_eq!(sc.live_shuffles(), 0);
    assert_eq!(sc.block_manager_stats().execution_memory, 0);
    // The budget is whole again: a shuffle that fits in memory does not spill.
    let counts = sc.parallelize((0..2 * MAP_RECORDS).collect(), 2).map(|x| (x % 97, 1u64)).reduce_by_key(|a, b| a + b);
    assert_eq!(counts.count().unwrap(), 97);
    drop(counts);
    assert_eq!(sc.block_manager_stats().execution_memory, 0);
}

#[test]
fn concurrent_jobs_over_persisted_rdds_under_a_tiny_budget_read_their_own_records() {
    // About 16 KB per block against a 60 KB budget: blocks are evicted and spilled constantly.
    let sc = context("100k");
    let levels = [StorageLevel::MEMORY_AND_DISK, StorageLevel::MEMORY_AND_DISK_SER, StorageLevel::MEMORY_ONLY];
    std::thread::scope(|scope| {
        for t in 0..6u64 {
            let sc = sc.clone();
            let level = levels[t as usize % levels.len()];
            scope.spawn(move || {
                let base = t * 1_000_000;
                let rdd = sc.parallelize((base..base + 4 * RECORDS_PER_PARTITION).collect(), 4).persist(level);
                let expected: Vec<u64> = (base..base + 4 * RECORDS_PER_PARTITION).collect();
                for _ in 0..15 {
                    assert_eq!(rdd.collect().unwrap(), expected, "{level:?}");
                }
                let input =
                    sc.put_input_block(t as usize, expected.clone(), StorageLevel::MEMORY_AND_DISK_SER).unwrap();
                assert_eq!(sc.block_rdd::<u64>(vec![input.into()]).collect().unwrap(), expected);
            });
        }
    });
    let stats = sc.block_manager_stats();
    assert!(stats.evictions > 0, "{stats:?}");
    assert!(stats.storage_memory <= stats.budget, "{stats:?}");
}
