//! Ported from Spark's core `CheckpointSuite` (reliable checkpoints).

use ember_core::{Context, Error, HashPartitioner};

#[test]
fn basic_checkpointing_truncates_lineage_and_keeps_data() {
    let sc = Context::local(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let rdd = sc.parallelize((1..=4).collect::<Vec<i32>>(), 2).map(|x| x * 2).filter(|x| *x > 2);
    let before = rdd.collect().unwrap();
    assert_eq!(rdd.lineage_depth(), 3);
    rdd.checkpoint().unwrap();
    assert!(!rdd.is_checkpointed(), "written after the next job, not before");
    assert_eq!(rdd.count().unwrap(), 3);
    assert!(rdd.is_checkpointed());
    assert_eq!(rdd.lineage_depth(), 1);
    assert_eq!(rdd.collect().unwrap(), before);
    let files = rdd.checkpoint_file().unwrap();
    assert!(files.join("part-00000").exists() && files.join("part-00001").exists());
    assert_eq!(rdd.num_partitions(), 2);
}

#[test]
fn checkpointing_a_shuffled_rdd_releases_the_shuffle_and_keeps_the_partitioner() {
    let sc = Context::local(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let counts = sc
        .parallelize((0..100).map(|i| (i % 5, 1)).collect::<Vec<(i32, i32)>>(), 4)
        .reduce_by_key_with_partitioner(|a, b| a + b, HashPartitioner::new(3));
    counts.checkpoint().unwrap();
    let mut before = counts.collect().unwrap();
    before.sort();
    assert_eq!(before, (0..5).map(|k| (k, 20)).collect::<Vec<_>>());
    assert_eq!(sc.live_shuffles(), 0, "the parent lineage (and its shuffle) was dropped");
    let mut after = counts.collect().unwrap();
    after.sort();
    assert_eq!(after, before);
    assert_eq!(counts.partitioner().unwrap().num_partitions, 3);
    // Still partitioned: a reduce with the same partitioner needs no new shuffle.
    let again = counts.reduce_by_key_with_partitioner(|a, b| a + b, HashPartitioner::new(3));
    assert_eq!(again.count().unwrap(), 5);
    assert_eq!(sc.live_shuffles(), 0);
}

#[test]
fn long_lineage_is_bounded_by_periodic_checkpoints() {
    let sc = Context::local(2).unwrap();
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let mut rdd = sc.parallelize(vec![0u64; 10], 2);
    for i in 1..=50u64 {
        rdd = rdd.map(|x| x + 1);
        if i % 10 == 0 {
            rdd.checkpoint().unwrap();
            rdd.count().unwrap();
        }
        assert!(rdd.lineage_depth() <= 11, "depth {} at step {i}", rdd.lineage_depth());
    }
    assert_eq!(rdd.collect().unwrap(), vec![50; 10]);
}

#[test]
fn checkpoint_without_a_directory_is_an_error() {
    let sc = Context::local(1).unwrap();
    let err = sc.parallelize(vec![1], 1).checkpoint().unwrap_err();
    assert_eq!(err.to_string(), "Checkpoint directory has not been set in the Context");
}

#[test]
fn unwritable_checkpoint_directory_is_a_clear_error() {
    let sc = Context::local(1).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "not a directory").unwrap();
    let err = sc.set_checkpoint_dir(file.join("checkpoints")).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    let msg = err.to_string();
    assert!(msg.starts_with("Cannot create checkpoint directory") && msg.contains("a-file/checkpoints"), "{msg}");
    assert!(msg.contains("Not a directory"), "{msg}");
}

#[test]
fn checkpoint_files_that_vanish_fail_the_job_with_the_path() {
    let sc = Context::new(ember_core::Conf::empty().master("local[1,1]")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    sc.set_checkpoint_dir(dir.path()).unwrap();
    let rdd = sc.parallelize(vec![1, 2, 3], 1).map(|x| x + 1);
    rdd.checkpoint().unwrap();
    rdd.count().unwrap();
    std::fs::remove_dir_all(rdd.checkpoint_file().unwrap()).unwrap();
    let msg = rdd.collect().unwrap_err().to_string();
    assert!(msg.contains("opening") && msg.contains("part-00000") && msg.contains("No such file"), "{msg}");
}
