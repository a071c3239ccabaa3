//! Ported from Spark's `core/src/test/scala/org/apache/spark/rdd/RDDSuite.scala`.

use ember_core::{Context, StorageLevel};

fn ctx() -> Context {
    Context::local(2).unwrap()
}

#[test]
fn basic_operations() {
    let sc = ctx();
    let nums = sc.parallelize(vec![1, 2, 3, 4], 2);
    assert_eq!(nums.num_partitions(), 2);
    assert_eq!(nums.collect().unwrap(), vec![1, 2, 3, 4]);
    assert_eq!(nums.reduce(|a, b| a + b).unwrap(), Some(10));
    assert_eq!(nums.fold(0, |a, b| a + b).unwrap(), 10);
    assert_eq!(nums.map(|x| x.to_string()).collect().unwrap(), vec!["1", "2", "3", "4"]);
    assert_eq!(nums.filter(|x| *x > 2).collect().unwrap(), vec![3, 4]);
    assert_eq!(nums.flat_map(|x| 1..=x).collect().unwrap(), vec![1, 1, 2, 1, 2, 3, 1, 2, 3, 4]);
    assert_eq!(nums.union(&nums).collect().unwrap(), vec![1, 2, 3, 4, 1, 2, 3, 4]);
    assert_eq!(nums.glom().collect().unwrap(), vec![vec![1, 2], vec![3, 4]]);
    assert_eq!(nums.map_partitions(|it| std::iter::once(it.sum::<i32>())).collect().unwrap(), vec![3, 7]);
    assert_eq!(nums.map_partitions_with_index(|i, _| std::iter::once(i)).collect().unwrap(), vec![0, 1]);
    assert_eq!(nums.count().unwrap(), 4);
    assert_eq!(nums.first().unwrap(), Some(1));
}

#[test]
fn aggregate_into_word_counts() {
    let sc = ctx();
    let pairs = sc
        .parallelize(vec![("a".to_string(), 1), ("b".into(), 2), ("a".into(), 2), ("c".into(), 5), ("a".into(), 3)], 2);
    let merged = pairs
        .aggregate(
            std::collections::BTreeMap::<String, i32>::new(),
            |mut m, (k, v)| {
                *m.entry(k).or_default() += v;
                m
            },
            |mut a, b| {
                for (k, v) in b {
                    *a.entry(k).or_default() += v;
                }
                a
            },
        )
        .unwrap();
    let expected: std::collections::BTreeMap<String, i32> =
        [("a".to_string(), 6), ("b".into(), 2), ("c".into(), 5)].into_iter().collect();
    assert_eq!(merged, expected);
}

#[test]
fn empty_rdd() {
    let sc = ctx();
    let empty = sc.empty_rdd::<i32>();
    assert_eq!(empty.num_partitions(), 0);
    assert_eq!(empty.count().unwrap(), 0);
    assert_eq!(empty.collect().unwrap(), Vec::<i32>::new());
    assert_eq!(empty.reduce(|a, b| a + b).unwrap(), None);
    assert_eq!(empty.first().unwrap(), None);
    assert!(empty.is_empty().unwrap());
    let pairs = sc.parallelize(vec![(1, 2)], 1);
    assert_eq!(pairs.join(&sc.empty_rdd::<(i32, i32)>()).collect().unwrap(), vec![]);
    assert_eq!(sc.empty_rdd::<(i32, i32)>().reduce_by_key(|a, b| a + b).collect().unwrap(), vec![]);
}

#[test]
fn caching_serves_later_jobs_from_the_block_store() {
    for level in [
        StorageLevel::MEMORY_ONLY,
        StorageLevel::MEMORY_ONLY_SER,
        StorageLevel::MEMORY_AND_DISK,
        StorageLevel::MEMORY_AND_DISK_SER,
        StorageLevel::DISK_ONLY,
        StorageLevel::MEMORY_ONLY_2,
    ] {
        let sc = ctx();
        let computed = sc.long_accumulator("computed");
        let c = computed.clone();
        let rdd = sc.parallelize((1..=100).collect::<Vec<i64>>(), 4).map(move |x| {
            c.add(1);
            x * 2
        });
        rdd.persist(level);
        assert_eq!(rdd.collect().unwrap(), (1..=100).map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(rdd.collect().unwrap(), (1..=100).map(|x| x * 2).collect::<Vec<_>>());
        assert_eq!(computed.value(), 100, "{level:?}: computed once");
        let stats = sc.block_manager_stats();
        assert_eq!((stats.hits, stats.misses, stats.blocks), (4, 4, 4), "{level:?}");
        rdd.unpersist();
        assert_eq!(sc.block_manager_stats().blocks, 0);
    }
}

#[test]
fn dropping_the_last_handle_frees_cached_blocks() {
    let sc = ctx();
    let rdd = sc.parallelize((0..1000).collect::<Vec<u32>>(), 4).cache();
    rdd.count().unwrap();
    assert_eq!(sc.block_manager_stats().blocks, 4);
    drop(rdd);
    assert_eq!(sc.block_manager_stats().blocks, 0);
    assert_eq!(sc.block_manager_stats().storage_memory, 0);
}

#[test]
fn repartitioned_rdds() {
    let sc = ctx();
    let data = sc.parallelize((1..=1000).collect::<Vec<i32>>(), 10);
    let re = data.repartition(2);
    assert_eq!(re.num_partitions(), 2);
    let parts = re.glom().collect().unwrap();
    assert!(parts.iter().all(|p| p.len() == 500), "{:?}", parts.iter().map(Vec::len).collect::<Vec<_>>());
    let mut all = re.collect().unwrap();
    all.sort();
    assert_eq!(all, (1..=1000).collect::<Vec<_>>());
    let re = data.repartition(20);
    assert_eq!(re.num_partitions(), 20);
    assert!(re.glom().collect().unwrap().iter().all(|p| p.len() == 50));
    // Repartitioning a single-partition RDD spreads it evenly too.
    let one = sc.parallelize((1..=100).collect::<Vec<i32>>(), 1).repartition(4);
    assert!(one.glom().collect().unwrap().iter().all(|p| p.len() == 25));
}

#[test]
fn coalesced_rdds() {
    let sc = ctx();
    let data = sc.parallelize((1..=10).collect::<Vec<i32>>(), 10);
    let c1 = data.coalesce(2, false);
    assert_eq!(c1.collect().unwrap(), (1..=10).collect::<Vec<_>>());
    assert_eq!(c1.glom().collect().unwrap(), vec![(1..=5).collect::<Vec<_>>(), (6..=10).collect()]);
    let c2 = data.coalesce(3, false);
    assert_eq!(c2.glom().collect().unwrap(), vec![vec![1, 2, 3], vec![4, 5, 6], vec![7, 8, 9, 10]]);
    assert_eq!(data.coalesce(10, false).num_partitions(), 10);
    assert_eq!(data.coalesce(20, false).num_partitions(), 10);
    let c5 = data.coalesce(20, true);
    assert_eq!(c5.num_partitions(), 20);
    let mut all = c5.collect().unwrap();
    all.sort();
    assert_eq!(all, (1..=10).collect::<Vec<_>>());
}

#[test]
fn zip_with_index() {
    let sc = ctx();
    let n = 10;
    let data = sc.parallelize((0..n).collect::<Vec<u64>>(), 3);
    let zipped = data.zip_with_index().unwrap();
    assert!(zipped.collect().unwrap().into_iter().all(|(x, i)| x == i));
    let empty_first = sc.parallelize(vec![vec![], vec![1u32, 2], vec![3]], 3).flat_map(|v| v);
    assert_eq!(empty_first.zip_with_index().unwrap().collect().unwrap(), vec![(1, 0), (2, 1), (3, 2)]);
}

#[test]
fn take() {
    let sc = ctx();
    let nums = sc.parallelize((1..=10).collect::<Vec<i32>>(), 10);
    for n in [0, 1, 3, 10, 11] {
        assert_eq!(nums.take(n).unwrap(), (1..=10).take(n).collect::<Vec<_>>(), "take({n})");
    }
    let sparse = sc.parallelize(vec![vec![], vec![], vec![], vec![1], vec![2, 3]], 5).flat_map(|v: Vec<i32>| v);
    assert_eq!(sparse.take(2).unwrap(), vec![1, 2]);
    assert_eq!(sparse.take(10).unwrap(), vec![1, 2, 3]);
}

#[test]
fn top_and_take_ordered() {
    let sc = ctx();
    let nums = sc.parallelize(vec![10, 2, 3, 4, 5, 6, 7, 8, 9, 1], 2);
    assert_eq!(nums.top(5).unwrap(), vec![10, 9, 8, 7, 6]);
    assert_eq!(nums.take_ordered(5).unwrap(), vec![1, 2, 3, 4, 5]);
    assert_eq!(nums.take_ordered(0).unwrap(), Vec::<i32>::new());
    assert_eq!(nums.top(20).unwrap().len(), 10);
    let words = sc.parallelize(vec!["b".to_string(), "a".into(), "c".into()], 3);
    assert_eq!(words.top(2).unwrap(), vec!["c", "b"]);
}

#[test]
fn sort_by() {
    let sc = ctx();
    let data = sc.parallelize(vec!["5|50|A".to_string(), "4|60|C".into(), "6|40|B".into()], 2);
    let col = |i: usize| move |s: &String| s.split('|').nth(i).unwrap().to_string();
    assert_eq!(data.sort_by(col(0), true, 2).unwrap().collect().unwrap(), vec!["4|60|C", "5|50|A", "6|40|B"]);
    assert_eq!(data.sort_by(col(0), false, 2).unwrap().collect().unwrap(), vec!["6|40|B", "5|50|A", "4|60|C"]);
    assert_eq!(data.sort_by(col(1), true, 2).unwrap().collect().unwrap(), vec!["6|40|B", "5|50|A", "4|60|C"]);
    assert_eq!(data.sort_by(col(2), true, 2).unwrap().collect().unwrap(), vec!["5|50|A", "6|40|B", "4|60|C"]);
}

#[test]
fn sort_by_key_over_many_partitions_is_globally_ordered() {
    let sc = ctx();
    let keys: Vec<u32> = (0..5000u32).map(|i| i.wrapping_mul(2_654_435_761) % 100_000).collect();
    let pairs = sc.parallelize(keys.iter().map(|k| (*k, ())).collect::<Vec<_>>(), 7);
    let sorted = pairs.sort_by_key(true, 5).unwrap();
    let parts = sorted.keys().glom().collect().unwrap();
    assert_eq!(parts.len(), 5);
    assert!(parts.iter().all(|p| p.len() > 500), "balanced: {:?}", parts.iter().map(Vec::len).collect::<Vec<_>>());
    let mut expected = keys.clone();
    expected.sort();
    assert_eq!(parts.concat(), expected);
    let mut desc = expected.clone();
    desc.reverse();
    assert_eq!(pairs.sort_by_key(false, 3).unwrap().keys().collect().unwrap(), desc);
}

#[test]
fn cartesian_and_distinct() {
    let sc = ctx();
    let a = sc.parallelize(vec![1, 2], 2);
    let b = sc.parallelize(vec!['x', 'y'], 2);
    let mut pairs = a.cartesian(&b).collect().unwrap();
    pairs.sort();
    assert_eq!(pairs, vec![(1, 'x'), (1, 'y'), (2, 'x'), (2, 'y')]);
    assert_eq!(a.cartesian(&b).num_partitions(), 4);
    let nums = sc.parallelize(vec![1, 2, 2, 3, 3, 4], 3);
    assert_eq!(nums.distinct().count().unwrap(), 4);
    assert_eq!(nums.distinct_with_partitions(1).num_partitions(), 1);
    let counts = nums.count_by_value().unwrap();
    assert_eq!((counts[&1], counts[&2], counts[&3], counts[&4]), (1, 2, 2, 1));
}

#[test]
fn union_of_many() {
    let sc = ctx();
    let parts: Vec<_> = (0..5).map(|i| sc.parallelize(vec![i, i + 10], 2)).collect();
    let u = sc.union(parts);
    assert_eq!(u.num_partitions(), 10);
    assert_eq!(u.collect().unwrap(), vec![0, 10, 1, 11, 2, 12, 3, 13, 4, 14]);
}

#[test]
fn narrow_chain_runs_in_one_stage_and_reports_records() {
    use ember_core::listener::{SchedulerEvent, SparkListener};
    use parking_lot::Mutex;
    use std::sync::Arc;
    #[derive(Default)]
    struct Events(Mutex<Vec<SchedulerEvent>>);
    impl SparkListener for Events {
        fn on_event(&self, e: &SchedulerEvent) {
            self.0.lock().push(e.clone());
        }
    }
    let sc = ctx();
    let events = Arc::new(Events::default());
    sc.add_listener(events.clone());
    let words = sc
        .parallelize(vec!["a b".to_string(), "b c".into(), "c".into()], 3)
        .flat_map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .filter(|(w, _)| w != "z");
    assert_eq!(words.count().unwrap(), 5);
    let counts = words.reduce_by_key(|a, b| a + b);
    assert_eq!(counts.count().unwrap(), 3);
    sc.wait_for_listeners();
    let events = events.0.lock();
    let stages: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            SchedulerEvent::StageCompleted(s) => Some((s.job_id, s.name.clone(), s.num_tasks, s.failure.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(stages.len(), 3, "{stages:?}"); // job 0: 1 stage; job 1: map + result stages
    assert!(stages[0].1.starts_with("ResultStage") && stages[0].3.is_none());
    assert!(stages[1].1.starts_with("ShuffleMapStage") && stages[1].0 == 1);
    let written: u64 = events
        .iter()
        .filter_map(|e| match e {
            SchedulerEvent::TaskEnd(t) => Some(t.shuffle_records_written),
            _ => None,
        })
        .sum();
    assert_eq!(written, 5);
    let jobs = events.iter().filter(|e| matches!(e, SchedulerEvent::JobEnd(j) if j.error.is_none())).count();
    assert_eq!(jobs, 2);
}

#[test]
fn shuffle_outputs_are_reused_by_later_jobs_and_freed_with_the_rdd() {
    let sc = ctx();
    let computed = sc.long_accumulator("map side");
    let c = computed.clone();
    let counts = sc
        .parallelize((0..100).collect::<Vec<u32>>(), 4)
        .map(move |x| {
            c.add(1);
            (x % 10, 1u32)
        })
        .reduce_by_key(|a, b| a + b);
    assert_eq!(counts.count().unwrap(), 10);
    assert_eq!(counts.collect().unwrap().len(), 10);
    assert_eq!(computed.value(), 100, "the map stage ran once");
    assert_eq!(sc.live_shuffles(), 1);
    drop(counts);
    assert_eq!(sc.live_shuffles(), 0);
    assert_eq!(sc.block_manager_stats().execution_memory, 0);
}

#[test]
fn concurrent_jobs_share_the_executor() {
    let sc = ctx();
    let handles: Vec<_> = (0..4u64)
        .map(|i| {
            let sc = sc.clone();
            std::thread::spawn(move || {
                sc.parallelize((0..10_000u64).collect(), 8)
                    .map(move |x| (x % 7, x + i))
                    .reduce_by_key(|a, b| a + b)
                    .count()
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap().unwrap(), 7);
    }
}
