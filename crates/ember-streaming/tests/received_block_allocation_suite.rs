//! Received data lands in the batch it was received for, whatever reads the stream (Spark's
//! `ReceivedBlockTracker.allocateBlocksToBatch`): Spark's `WindowOperationsSuite` cases whose
//! slide differs from the batch interval, with their input stored through a real receiver,
//! and the per-batch record counts listeners see.

mod common;
use common::sorted;

use ember_core::{Conf, Context};
use ember_streaming::receiver::{Receiver, ReceiverContext};
use ember_streaming::scheduler::listener::{BatchInfo, StreamingListener};
use ember_streaming::testing::{context_turn, Harness};
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{DStream, StreamingContext, Time};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

const S: fn(u64) -> Duration = Duration::from_secs;

type Pairs = Vec<Vec<(String, i32)>>;

fn pairs(batches: &[&[(&str, i32)]]) -> Pairs {
    batches.iter().map(|b| b.iter().map(|(k, v)| (k.to_string(), *v)).collect()).collect()
}

/// Runs `op` for `batches` batches on input stored through a receiver.
fn through_receiver<T: ember_core::Data, U: ember_core::Data>(
    input: Vec<Vec<T>>,
    batches: usize,
    op: impl FnOnce(DStream<T>) -> DStream<U>,
) -> Vec<Vec<U>> {
    Harness::new().through_receiver().run_with_gaps(input.into_iter().map(Some).collect(), batches, op).unwrap()
}

/// Spark's `largerSlideInput`.
fn larger_slide_input() -> Pairs {
    pairs(&[&[("a", 1)], &[("a", 2)], &[("a", 3)], &[("a", 4)], &[("a", 5)], &[("a", 6)], &[], &[]])
}

/// Spark's `largerSlideReduceOutput`.
fn larger_slide_output() -> Pairs {
    pairs(&[&[("a", 3)], &[("a", 10)], &[("a", 18)], &[("a", 11)]])
}

/// Spark's `bigInput`.
fn big_input() -> Pairs {
    let a = &[("a", 1)][..];
    let ab = &[("a", 1), ("b", 1)][..];
    let abc = &[("a", 1), ("b", 1), ("c", 1)][..];
    pairs(&[a, ab, abc, ab, a, &[], a, ab, abc, ab, a, &[]])
}

/// Spark's `bigReduceOutput`.
fn big_reduce_output() -> Pairs {
    let a = &[("a", 1)][..];
    let a2b = &[("a", 2), ("b", 1)][..];
    let a2b2c = &[("a", 2), ("b", 2), ("c", 1)][..];
    pairs(&[a, a2b, a2b2c, a2b2c, a2b, a, a, a2b, a2b2c, a2b2c, a2b, a])
}

/// Spark's `bigReduceInvOutput`: without a filter, keys stay at 0.
fn big_reduce_inv_output() -> Pairs {
    let a2b1c0 = &[("a", 2), ("b", 1), ("c", 0)][..];
    let a1b0c0 = &[("a", 1), ("b", 0), ("c", 0)][..];
    let a2b2c1 = &[("a", 2), ("b", 2), ("c", 1)][..];
    pairs(&[
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        a2b2c1,
        a2b2c1,
        a2b1c0,
        a1b0c0,
        a1b0c0,
        a2b1c0,
        a2b2c1,
        a2b2c1,
        a2b1c0,
        a1b0c0,
    ])
}

/// Spark's `testReduceByKeyAndWindow`, `…WithInverse` and `…WithFilteredInverse` on one case:
/// (window, slide) with `expected.len() * slide / batch` batches.
fn reduce_by_key_and_window_cases(input: Pairs, w: Duration, s: Duration, expected: Pairs, expected_inv: Pairs) {
    let batches = expected.len() * s.as_secs() as usize;
    let naive = through_receiver(input.clone(), batches, |d| d.reduce_by_key_and_window(|a, b| a + b, w, s));
    assert_eq!(sorted(naive), expected, "reduce_by_key_and_window");
    let inv = through_receiver(input.clone(), batches, |d| {
        d.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, w, s).checkpoint(S(100))
    });
    assert_eq!(sorted(inv), expected_inv, "reduce_by_key_and_window_inv");
    let filtered = through_receiver(input, batches, |d| {
        d.reduce_by_key_and_window_inv_filter(|a, b| a + b, |a, b| a - b, w, s, |(_, v)| *v != 0).checkpoint(S(100))
    });
    assert_eq!(sorted(filtered), expected, "reduce_by_key_and_window_inv_filter");
}

#[test]
fn window_non_overlapping_drops_the_batches_between_windows() {
    // Spark's "window - non-overlapping window": window 2 s, slide 3 s; batch 1 is in no window.
    let input: Vec<Vec<i32>> = (0..6).map(|i| vec![i]).collect();
    assert_eq!(through_receiver(input, 6, |d| d.window(S(2), S(3))), vec![vec![1, 2], vec![4, 5]]);
}

#[test]
fn window_larger_window() {
    // Spark's "window - larger window": window 4 s, slide 2 s.
    let input: Vec<Vec<i32>> = (0..6).map(|i| vec![i]).collect();
    assert_eq!(
        through_receiver(input, 8, |d| d.window(S(4), S(2))),
        vec![vec![0, 1], vec![0, 1, 2, 3], vec![2, 3, 4, 5], vec![4, 5]]
    );
}

#[test]
fn reduce_by_key_and_window_larger_slide_time() {
    // Spark's "larger slide time" (window 4 s, slide 2 s): the same output with and without
    // the inverse function.
    reduce_by_key_and_window_cases(larger_slide_input(), S(4), S(2), larger_slide_output(), larger_slide_output());
}

#[test]
fn reduce_by_key_and_window_big_test() {
    // Spark's "big test" (window 2 s, slide 1 s).
    reduce_by_key_and_window_cases(big_input(), S(2), S(1), big_reduce_output(), big_reduce_inv_output());
}

/// Stores what the test hands it.
struct Pushed(Arc<Mutex<Option<ReceiverContext<i32>>>>);

impl Receiver<i32> for Pushed {
    fn on_start(&mut self, ctx: ReceiverContext<i32>) {
        *self.0.lock() = Some(ctx);
    }
    fn on_stop(&mut self) {}
}

#[derive(Default)]
struct Batches(Mutex<Vec<BatchInfo>>);

impl StreamingListener for Batches {
    fn on_batch_completed(&self, batch: &BatchInfo) {
        self.0.lock().push(batch.clone());
    }
}

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
    let counts: Vec<(u64, u64)> = batches.0.lock().iter().map(|b| (b.batch_time.millis(), b.num_records())).collect();
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
