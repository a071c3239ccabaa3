//! Received data lands in the batch it was received for, whatever reads the stream (Spark's
//! `ReceivedBlockTracker.allocateBlocksToBatch`): the per-batch record counts listeners see when
//! only a window with a longer slide reads a receiver, and the block timer that cuts received
//! records into blocks on the context's clock. (`window_operations_suite` runs every Spark
//! window case through a receiver as well.)

mod common;
use common::{Batches, Pushed};

use ember_core::{Conf, Context};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{StreamingContext, Time};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

const S: fn(u64) -> Duration = Duration::from_secs;

#[test]
fn each_batch_counts_the_records_received_for_it_when_only_a_window_reads_the_stream() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, S(1), clock.clone());
    let running = Arc::new(Mutex::new(None));
    let windows = Arc::new(Mutex::new(Vec::new()));
    let sink = windows.clone();
    ssc.receiver_stream(Pushed(running.clone())).window(S(2), S(3)).foreach_rdd(move |rdd, time| {
        sink.lock().push((time, rdd.collect()?));
        Ok(())
    });
    let batches = Arc::new(Batches::default());
    ssc.add_streaming_listener(batches.clone());
    ssc.start().unwrap();
    for i in 1..=6u64 {
        let receiver = running.lock().clone().unwrap();
        receiver.store_many((0..i as i32).collect());
        clock.advance(1000);
        assert!(ssc.wait_for_batch(Time::from_millis(i * 1000), Duration::from_secs(30)));
    }
    ssc.wait_for_listeners();
    ssc.stop(true, false);
    let counts: Vec<(u64, u64)> =
        batches.completed_infos.lock().iter().map(|b| (b.batch_time.millis(), b.num_records())).collect();
    // Jobs run only at 3 s and 6 s, but every batch reports what was received for it.
    assert_eq!(counts, vec![(3000, 3), (6000, 6)].into_iter().collect::<Vec<_>>(), "batches with jobs");
    assert_eq!(
        *windows.lock(),
        vec![
            (Time::from_millis(3000), vec![0, 1, 0, 1, 2]),
            (Time::from_millis(6000), vec![0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 5])
        ]
    );
}

/// Names of this process's threads that start with `prefix` (Linux truncates names to 15 bytes).
fn threads_named(prefix: &str) -> usize {
    std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .filter(|name| name.starts_with(prefix))
        .count()
}

#[test]
fn the_block_timer_follows_the_contexts_clock_and_ends_with_the_context() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]").set("spark.streaming.blockInterval", "200ms")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, S(1), clock.clone());
    let running = Arc::new(Mutex::new(None));
    ssc.receiver_stream(Pushed(running.clone())).count().foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    let receiver = running.lock().clone().unwrap();
    (0..3).for_each(|i| receiver.store(i));
    std::thread::sleep(Duration::from_millis(600));
    assert_eq!(ctx.block_manager_stats().blocks, 0, "no block interval has passed on the context's clock");
    clock.advance(200);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while ctx.block_manager_stats().blocks == 0 {
        assert!(std::time::Instant::now() < deadline, "the block was not cut when the clock reached 200 ms");
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(threads_named("block-generator"), 1);
    ssc.stop(true, false);
    assert_eq!(threads_named("block-generator"), 0, "stop waits for the block timer to end");
}
