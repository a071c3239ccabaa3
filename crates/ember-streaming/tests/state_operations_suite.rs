//! Ported from the `updateStateByKey` cases of Spark's `BasicOperationsSuite`, plus the
//! checkpoint requirement and bounded lineage of a long-running state stream.

mod common;
use common::sorted;

use ember_core::{Conf, Context};
use ember_streaming::testing::{context_turn, run_operation};
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{DStream, RddQueue, StreamingContext, Time};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

fn words(batches: &[&[&str]]) -> Vec<Vec<String>> {
    batches.iter().map(|b| b.iter().map(|w| w.to_string()).collect()).collect()
}

fn expect<S: Clone>(batches: &[&[(&str, S)]]) -> Vec<Vec<(String, S)>> {
    batches.iter().map(|b| b.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()).collect()
}

/// Spark's update function in these cases: the running sum of a key's values.
fn sum_update(values: &[i32], state: Option<i32>) -> Option<i32> {
    Some(values.iter().sum::<i32>() + state.unwrap_or(0))
}

fn input() -> Vec<Vec<String>> {
    words(&[&["a"], &["a", "b"], &["a", "b", "c"], &["a", "b"], &["a"], &[]])
}

#[test]
fn update_state_by_key() {
    let out =
        run_operation(input(), 6, |s: DStream<String>| s.map(|x| (x, 1)).update_state_by_key(sum_update)).unwrap();
    assert_eq!(
        sorted(out),
        expect(&[
            &[("a", 1)],
            &[("a", 2), ("b", 1)],
            &[("a", 3), ("b", 2), ("c", 1)],
            &[("a", 4), ("b", 3), ("c", 1)],
            &[("a", 5), ("b", 3), ("c", 1)],
            &[("a", 5), ("b", 3), ("c", 1)],
        ])
    );
}

#[test]
fn update_state_by_key_with_initial_value_rdd() {
    let out = run_operation(input(), 6, |s: DStream<String>| {
        let initial = s.context().spark_context().parallelize(vec![("a".to_string(), 1), ("c".to_string(), 2)], 2);
        s.map(|x| (x, 1)).update_state_by_key_with_initial(sum_update, initial)
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        expect(&[
            &[("a", 2), ("c", 2)],
            &[("a", 3), ("b", 1), ("c", 2)],
            &[("a", 4), ("b", 2), ("c", 3)],
            &[("a", 5), ("b", 3), ("c", 3)],
            &[("a", 6), ("b", 3), ("c", 3)],
            &[("a", 6), ("b", 3), ("c", 3)],
        ])
    );
}

#[test]
fn update_state_by_key_with_time_stamps_as_input() {
    let out = run_operation(input(), 6, |s: DStream<String>| {
        let initial = s.context().spark_context().parallelize(vec![("a".to_string(), 0u64), ("c".to_string(), 0)], 2);
        s.map(|x| (x, 1)).update_state_by_key_with_time(
            |time: Time, _: &String, vs: &[i32], state: Option<u64>| {
                Some(if vs.is_empty() { state.unwrap_or(0) } else { state.unwrap_or(0) + time.millis() })
            },
            Some(initial),
        )
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        expect(&[
            &[("a", 1000u64), ("c", 0)],
            &[("a", 3000), ("b", 2000), ("c", 0)],
            &[("a", 6000), ("b", 5000), ("c", 3000)],
            &[("a", 10000), ("b", 9000), ("c", 3000)],
            &[("a", 15000), ("b", 9000), ("c", 3000)],
            &[("a", 15000), ("b", 9000), ("c", 3000)],
        ])
    );
}

#[test]
fn returning_none_removes_the_key() {
    // A key lives while it keeps receiving values.
    let out = run_operation(input(), 6, |s: DStream<String>| {
        s.map(|x| (x, 1)).update_state_by_key(|vs: &[i32], state: Option<i32>| {
            (!vs.is_empty()).then(|| vs.len() as i32 + state.unwrap_or(0))
        })
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        expect(&[
            &[("a", 1)],
            &[("a", 2), ("b", 1)],
            &[("a", 3), ("b", 2), ("c", 1)],
            &[("a", 4), ("b", 3)],
            &[("a", 5)],
            &[]
        ])
    );
}

#[test]
fn state_without_a_checkpoint_directory_is_refused_at_start() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), Arc::new(ManualClock::new(0)));
    let queue: RddQueue<(String, i32)> = RddQueue::new();
    ssc.queue_stream(&queue, true)
        .update_state_by_key(|vs: &[i32], s: Option<i32>| Some(vs.len() as i32 + s.unwrap_or(0)))
        .print();
    let err = ssc.start().unwrap_err();
    assert_eq!(
        err.to_string(),
        "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint()."
    );
    assert_eq!(ssc.state(), ember_streaming::StreamingContextState::Stopped);
}

#[test]
fn long_running_state_keeps_its_lineage_short() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone());
    let dir = tempfile::tempdir().unwrap();
    ssc.checkpoint(dir.path()).unwrap();
    let queue = RddQueue::new();
    let state = ssc
        .queue_stream(&queue, true)
        .map(|k: u32| (k % 50, 1u64))
        .update_state_by_key(|vs: &[u64], s: Option<u64>| Some(vs.iter().sum::<u64>() + s.unwrap_or(0)));
    let depths = Arc::new(Mutex::new(Vec::new()));
    let sink = depths.clone();
    state.foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        let total: u64 = rdd.values().reduce(|a, b| a + b)?.unwrap_or(0);
        sink.lock().push((rdd.lineage_depth(), total));
        Ok(())
    });
    ssc.start().unwrap();
    for i in 1..=300u64 {
        queue.push(ctx.parallelize((0..100).collect(), 2));
        clock.advance(1000);
        assert!(ssc.wait_for_batch(Time::from_millis(i * 1000), Duration::from_secs(30)), "batch {i}");
    }
    ssc.stop(true, false);
    let depths = depths.lock();
    assert_eq!(depths.last().unwrap().1, 300 * 100, "every record counted once");
    let deepest = depths.iter().map(|d| d.0).max().unwrap();
    // Checkpointed every 10 batches (Spark's default of >= 10 s): lineage never grows past that.
    assert!(deepest <= 10 * 6, "lineage depth reached {deepest}");
    assert_eq!(state.remember_duration(), Duration::from_secs(20), "2 x the checkpoint interval");
}
