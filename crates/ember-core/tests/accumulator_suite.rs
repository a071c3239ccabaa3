//! Ported from Spark's `AccumulatorSuite` and `BroadcastSuite`.

use ember_core::{Conf, Context};

#[test]
fn long_accumulator_sums_across_tasks() {
    let sc = Context::local(2).unwrap();
    let acc = sc.long_accumulator("sum");
    let a = acc.clone();
    sc.parallelize((1..=20).collect::<Vec<i64>>(), 10).foreach(move |x| a.add(x)).unwrap();
    assert_eq!(acc.value(), 210);
    assert_eq!(acc.count(), 20);
    assert!((acc.avg() - 10.5).abs() < 1e-9);
    assert_eq!(acc.name(), Some("sum"));
    acc.add(5); // on the driver: applied at once
    assert_eq!(acc.value(), 215);
    acc.reset();
    assert_eq!(acc.value(), 0);
}

#[test]
fn double_and_collection_accumulators() {
    let sc = Context::local(2).unwrap();
    let d = sc.double_accumulator("d");
    let c = sc.collection_accumulator::<u32>("c");
    let (d2, c2) = (d.clone(), c.clone());
    sc.parallelize(vec![1u32, 2, 3], 3)
        .foreach(move |x| {
            d2.add(f64::from(x) / 2.0);
            c2.add(x);
        })
        .unwrap();
    assert!((d.value() - 3.0).abs() < 1e-9);
    let mut all = c.value();
    all.sort();
    assert_eq!(all, vec![1, 2, 3]);
}

#[test]
fn failed_attempts_do_not_count() {
    let sc = Context::new(Conf::empty().master("local[2]").set("spark.task.maxFailures", "3")).unwrap();
    let acc = sc.long_accumulator("attempts");
    let a = acc.clone();
    let result = sc
        .parallelize((0..10).collect::<Vec<i64>>(), 2)
        .map(move |x| {
            a.add(1);
            let tc = ember_core::TaskContext::get().unwrap();
            assert!(!(tc.partition_id() == 1 && tc.attempt_number() == 0), "first attempt of partition 1 fails");
            x
        })
        .count()
        .unwrap();
    assert_eq!(result, 10);
    assert_eq!(acc.value(), 10, "the failed attempt's 5 additions were discarded");
}

#[test]
fn broadcast_is_shared_and_destroy_is_enforced() {
    let sc = Context::new(Conf::empty().master("local[2,1]")).unwrap();
    let table = sc.broadcast((0..100).map(|i| i * i).collect::<Vec<u64>>());
    let t = table.clone();
    let squares = sc.parallelize(vec![3usize, 9], 2).map(move |i| t.value()[i]).collect().unwrap();
    assert_eq!(squares, vec![9, 81]);
    table.destroy();
    let t = table.clone();
    let err = sc.parallelize(vec![1usize], 1).map(move |i| t.value()[i]).collect().unwrap_err();
    assert!(
        err.to_string().contains(&format!("Attempted to use Broadcast({}) after it was destroyed", table.id())),
        "{err}"
    );
    assert!(table.try_value().is_err());
}
