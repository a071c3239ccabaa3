//! Ported from Spark's `PairRDDFunctionsSuite` and `PartitioningSuite`.

use ember_core::{Context, HashPartitioner, Partitioner};

fn ctx() -> Context {
    Context::local(2).unwrap()
}

/// The two RDDs of Spark's join tests: keys 1 and 2 on both sides, 3 only left, 4 only right.
fn join_inputs(sc: &Context) -> (ember_core::Rdd<(i32, i32)>, ember_core::Rdd<(i32, char)>) {
    (
        sc.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2),
        sc.parallelize(vec![(1, 'x'), (2, 'y'), (2, 'z'), (4, 'w')], 2),
    )
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

#[test]
fn group_by_key() {
    let sc = ctx();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (2, 1)], 2);
    let groups = sorted(pairs.group_by_key().map_values(sorted).collect().unwrap());
    assert_eq!(groups, vec![(1, vec![1, 2, 3]), (2, vec![1])]);
    let groups = sorted(pairs.group_by_key_with_partitions(5).map_values(sorted).collect().unwrap());
    assert_eq!(groups, vec![(1, vec![1, 2, 3]), (2, vec![1])]);
}

#[test]
fn reduce_by_key() {
    let sc = ctx();
    let pairs = sc.parallelize(vec![(1, 1), (1, 2), (1, 3), (1, 1), (2, 1)], 2);
    assert_eq!(sorted(pairs.reduce_by_key(|a, b| a + b).collect().unwrap()), vec![(1, 7), (2, 1)]);
    let many = pairs.reduce_by_key_with_partitions(|a, b| a + b, 10);
    assert_eq!(many.num_partitions(), 10);
    assert_eq!(sorted(many.collect().unwrap()), vec![(1, 7), (2, 1)]);
    let counts = pairs.count_by_key().unwrap();
    assert_eq!((counts[&1], counts[&2]), (4, 1));
}

#[test]
fn join() {
    let sc = ctx();
    let (rdd1, rdd2) = join_inputs(&sc);
    assert_eq!(
        sorted(rdd1.join(&rdd2).collect().unwrap()),
        vec![(1, (1, 'x')), (1, (2, 'x')), (2, (1, 'y')), (2, (1, 'z'))]
    );
    assert_eq!(rdd1.join_with_partitions(&rdd2, 3).num_partitions(), 3);
}

#[test]
fn join_all_to_all() {
    let sc = ctx();
    let rdd1 = sc.parallelize(vec![(1, 1), (1, 2), (1, 3)], 2);
    let rdd2 = sc.parallelize(vec![(1, 'x'), (1, 'y')], 2);
    assert_eq!(
        sorted(rdd1.join(&rdd2).collect().unwrap()),
        vec![(1, (1, 'x')), (1, (1, 'y')), (1, (2, 'x')), (1, (2, 'y')), (1, (3, 'x')), (1, (3, 'y'))]
    );
}

#[test]
fn left_outer_join() {
    let sc = ctx();
    let (rdd1, rdd2) = join_inputs(&sc);
    assert_eq!(
        sorted(rdd1.left_outer_join(&rdd2).collect().unwrap()),
        vec![(1, (1, Some('x'))), (1, (2, Some('x'))), (2, (1, Some('y'))), (2, (1, Some('z'))), (3, (1, None))]
    );
}

#[test]
fn right_outer_join() {
    let sc = ctx();
    let (rdd1, rdd2) = join_inputs(&sc);
    assert_eq!(
        sorted(rdd1.right_outer_join(&rdd2).collect().unwrap()),
        vec![(1, (Some(1), 'x')), (1, (Some(2), 'x')), (2, (Some(1), 'y')), (2, (Some(1), 'z')), (4, (None, 'w'))]
    );
}

#[test]
fn full_outer_join() {
    let sc = ctx();
    let (rdd1, rdd2) = join_inputs(&sc);
    assert_eq!(
        sorted(rdd1.full_outer_join(&rdd2).collect().unwrap()),
        vec![
            (1, (Some(1), Some('x'))),
            (1, (Some(2), Some('x'))),
            (2, (Some(1), Some('y'))),
            (2, (Some(1), Some('z'))),
            (3, (Some(1), None)),
            (4, (None, Some('w'))),
        ]
    );
}

#[test]
fn join_with_no_matches() {
    let sc = ctx();
    let rdd1 = sc.parallelize(vec![(1, 1), (1, 2), (2, 1), (3, 1)], 2);
    let rdd2 = sc.parallelize(vec![(4, 'x'), (5, 'y'), (5, 'z'), (6, 'w')], 2);
    assert!(rdd1.join(&rdd2).collect().unwrap().is_empty());
}

#[test]
fn cogroup() {
    let sc = ctx();
    let (rdd1, rdd2) = join_inputs(&sc);
    let groups = sorted(rdd1.cogroup(&rdd2).map_values(|(a, b)| (sorted(a), sorted(b))).collect().unwrap());
    assert_eq!(
        groups,
        vec![
            (1, (vec![1, 2], vec!['x'])),
            (2, (vec![1], vec!['y', 'z'])),
            (3, (vec![1], vec![])),
            (4, (vec![], vec!['w'])),
        ]
    );
    assert_eq!(rdd1.cogroup_with_partitions(&rdd2, 7).num_partitions(), 7);
}

#[test]
fn keys_values_and_lookup() {
    let sc = ctx();
    let pairs = sc.parallelize(vec![(1, 2), (3, 4), (5, 6), (5, 7)], 2);
    assert_eq!(pairs.keys().collect().unwrap(), vec![1, 3, 5, 5]);
    assert_eq!(pairs.values().collect().unwrap(), vec![2, 4, 6, 7]);
    assert_eq!(pairs.lookup(&1).unwrap(), vec![2]);
    assert_eq!(pairs.lookup(&5).unwrap(), vec![6, 7]);
    assert_eq!(pairs.lookup(&-1).unwrap(), Vec::<i32>::new());
}

#[test]
fn fold_and_aggregate_by_key() {
    let sc = ctx();
    let pairs = sc.parallelize(vec![(1, 1), (1, 1), (3, 2), (5, 1), (5, 3)], 2);
    assert_eq!(sorted(pairs.fold_by_key(0, |a, b| a + b).collect().unwrap()), vec![(1, 2), (3, 2), (5, 4)]);
    let sets = pairs
        .aggregate_by_key(
            std::collections::BTreeSet::new(),
            |mut s, v| {
                s.insert(v);
                s
            },
            |mut a, b| {
                a.extend(b);
                a
            },
        )
        .map_values(|s| s.into_iter().collect::<Vec<_>>());
    assert_eq!(sorted(sets.collect().unwrap()), vec![(1, vec![1]), (3, vec![2]), (5, vec![1, 3])]);
}

#[test]
fn combine_by_key_and_flat_map_values() {
    let sc = ctx();
    let pairs = sc.parallelize(vec![("a".to_string(), 1), ("b".into(), 2), ("a".into(), 3)], 3);
    let avg = pairs
        .combine_by_key(|v| (v, 1), |(s, n), v| (s + v, n + 1), |(s1, n1), (s2, n2)| (s1 + s2, n1 + n2))
        .map_values(|(s, n)| s / n);
    assert_eq!(sorted(avg.collect().unwrap()), vec![("a".to_string(), 2), ("b".to_string(), 2)]);
    let expanded = pairs.flat_map_values(|v| 0..v);
    assert_eq!(expanded.count().unwrap(), 6);
}

#[test]
fn partition_by_places_keys_where_the_partitioner_says() {
    let sc = ctx();
    let p = HashPartitioner::new(4);
    let pairs = sc.parallelize((0..1000).map(|i| (i, i)).collect::<Vec<(i32, i32)>>(), 3);
    let parted = pairs.partition_by(p.clone());
    assert_eq!(parted.num_partitions(), 4);
    for (index, part) in parted.glom().collect().unwrap().into_iter().enumerate() {
        assert!(part.iter().all(|(k, _)| p.partition(k) == index));
    }
    assert_eq!(parted.partitioner(), Some(Partitioner::<i32>::desc(&p)));
}

#[test]
fn partitioner_is_kept_by_map_values_and_filter_and_lost_by_map() {
    let sc = ctx();
    let parted = sc.parallelize(vec![(1, 1), (2, 2)], 2).partition_by(HashPartitioner::new(2));
    assert!(parted.partitioner().is_some());
    assert!(parted.map_values(|v| v + 1).partitioner().is_some());
    assert!(parted.filter(|_| true).partitioner().is_some());
    assert!(parted.map(|x| x).partitioner().is_none());
    assert!(parted.flat_map_values(|v| vec![v]).partitioner().is_some());
}

#[test]
fn no_shuffle_when_already_partitioned() {
    let sc = ctx();
    let parted = sc
        .parallelize((0..100).map(|i| (i % 10, 1)).collect::<Vec<(i32, i32)>>(), 3)
        .partition_by(HashPartitioner::new(4));
    parted.count().unwrap();
    let before = sc.live_shuffles();
    let reduced = parted.reduce_by_key_with_partitioner(|a, b| a + b, HashPartitioner::new(4));
    let same = parted.partition_by(HashPartitioner::new(4));
    assert_eq!(sc.live_shuffles(), before);
    assert_eq!(reduced.lineage_depth(), parted.lineage_depth() + 1, "a narrow step, no shuffle");
    assert_eq!(same.id(), parted.id());
    assert_eq!(sorted(reduced.collect().unwrap()), (0..10).map(|k| (k, 10)).collect::<Vec<_>>());
    // reduce_by_key with the default partitioner keeps the existing hash partitioning too.
    assert_eq!(parted.reduce_by_key(|a, b| a + b).lineage_depth(), parted.lineage_depth() + 1);
}

#[test]
fn default_parallelism_sets_reduce_partitions() {
    let sc = Context::new(ember_core::Conf::empty().master("local[2]").set("spark.default.parallelism", "7")).unwrap();
    let pairs = sc.parallelize(vec![(1, 1), (2, 2)], 2);
    assert_eq!(pairs.reduce_by_key(|a, b| a + b).num_partitions(), 7);
    assert_eq!(sc.default_parallelism(), 7);
    let sc = ctx();
    let pairs = sc.parallelize(vec![(1, 1), (2, 2)], 5);
    assert_eq!(pairs.reduce_by_key(|a, b| a + b).num_partitions(), 5, "as many as the input");
}
