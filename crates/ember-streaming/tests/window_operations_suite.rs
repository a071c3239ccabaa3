//! Ported from Spark's `WindowOperationsSuite` (the cases without inverse reduce or state):
//! window shapes, windowed reductions, invalid durations, and remember durations.

mod common;
use common::sorted;

use ember_core::{Conf, Context};
use ember_streaming::testing::run_operation;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{DStream, RddQueue, StreamingContext, Time};
use std::sync::Arc;
use std::time::Duration;

const S: fn(u64) -> Duration = Duration::from_secs;

fn singles(n: i32) -> Vec<Vec<i32>> {
    (0..n).map(|i| vec![i]).collect()
}

fn window_of(input: Vec<Vec<i32>>, batches: usize, w: Duration, s: Duration) -> Vec<Vec<i32>> {
    run_operation(input, batches, |d| d.window(w, s)).unwrap()
}

#[test]
fn basic_window() {
    assert_eq!(
        window_of(singles(6), 6, S(2), S(1)),
        vec![vec![0], vec![0, 1], vec![1, 2], vec![2, 3], vec![3, 4], vec![4, 5]]
    );
}

#[test]
fn tumbling_window() {
    assert_eq!(window_of(singles(6), 6, S(2), S(2)), vec![vec![0, 1], vec![2, 3], vec![4, 5]]);
}

#[test]
fn larger_window() {
    assert_eq!(
        window_of(singles(6), 6, S(3), S(1)),
        vec![vec![0], vec![0, 1], vec![0, 1, 2], vec![1, 2, 3], vec![2, 3, 4], vec![3, 4, 5]]
    );
}

#[test]
fn non_overlapping_window() {
    // The window need not be a multiple of the slide.
    assert_eq!(window_of(singles(6), 6, S(2), S(3)), vec![vec![1, 2], vec![4, 5]]);
}

#[test]
fn reduce_by_window() {
    let input: Vec<Vec<i32>> = (1..=6).map(|i| vec![i]).collect();
    let out = run_operation(input, 6, |d| d.reduce_by_window(|a, b| a + b, S(2), S(1))).unwrap();
    assert_eq!(out, vec![vec![1], vec![3], vec![5], vec![7], vec![9], vec![11]]);
}

fn pairs(batches: &[&[(&str, i32)]]) -> Vec<Vec<(String, i32)>> {
    batches.iter().map(|b| b.iter().map(|(k, v)| (k.to_string(), *v)).collect()).collect()
}

#[test]
fn reduce_by_key_and_window_drops_keys_that_leave_the_window() {
    let input = pairs(&[&[("a", 1)], &[("b", 1), ("b", 1)], &[("a", 1), ("b", 1)], &[("a", 1)], &[], &[]]);
    let out = run_operation(input, 6, |d: DStream<(String, i32)>| d.reduce_by_key_and_window(|a, b| a + b, S(2), S(1)))
        .unwrap();
    assert_eq!(
        sorted(out),
        pairs(&[&[("a", 1)], &[("a", 1), ("b", 2)], &[("a", 1), ("b", 3)], &[("a", 2), ("b", 1)], &[("a", 1)], &[],])
    );
}

#[test]
fn group_by_key_and_window() {
    let input = pairs(&[&[("a", 1)], &[("b", 1), ("b", 2)], &[("a", 3)]]);
    let out = run_operation(input, 3, |d: DStream<(String, i32)>| {
        d.group_by_key_and_window(S(2), S(1)).map_values(|mut v| {
            v.sort();
            v
        })
    })
    .unwrap();
    let g = |k: &str, v: &[i32]| (k.to_string(), v.to_vec());
    assert_eq!(
        sorted(out),
        vec![vec![g("a", &[1])], vec![g("a", &[1]), g("b", &[1, 2])], vec![g("a", &[3]), g("b", &[1, 2])]]
    );
}

#[test]
fn invalid_window_or_slide_is_refused_at_start_with_sparks_message() {
    for (w, s, what) in [(2_500, 1_000, "window"), (2_000, 1_500, "slide")] {
        let err =
            run_operation(singles(1), 1, |d| d.window(Duration::from_millis(w), Duration::from_millis(s))).unwrap_err();
        let bad = if what == "window" { w } else { s };
        assert_eq!(
            err.to_string(),
            format!(
                "requirement failed: The {what} duration of windowed DStream ({bad} ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
            )
        );
    }
}

#[test]
fn window_parents_remember_exactly_their_window() {
    let _turn = ember_streaming::testing::context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, S(1), clock.clone());
    let queue = RddQueue::new();
    let input = ssc.queue_stream(&queue, true);
    let windowed = input.window(S(3), S(1));
    windowed.foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().unwrap();
    for i in 1..=50u64 {
        queue.push(ctx.parallelize(vec![i], 1));
        clock.advance(1000);
        assert!(ssc.wait_for_batch(Time::from_millis(i * 1000), Duration::from_secs(30)));
    }
    assert_eq!(input.remember_duration(), S(4), "the window (3 s) plus the window's own remember (1 s)");
    assert!(input.generated_rdd_count() <= 4, "parent holds {}", input.generated_rdd_count());
    assert!(windowed.generated_rdd_count() <= 2);
    ssc.stop(true, false);
}

fn counted_pairs() -> Vec<Vec<(String, i32)>> {
    pairs(&[&[("a", 1)], &[("b", 1), ("b", 1)], &[("a", 1), ("b", 1)], &[("a", 1)], &[], &[]])
}

#[test]
fn reduce_by_key_and_window_with_inverse_keeps_keys_at_zero() {
    let out = run_operation(counted_pairs(), 6, |d: DStream<(String, i32)>| {
        d.reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, S(2), S(1))
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        pairs(&[
            &[("a", 1)],
            &[("a", 1), ("b", 2)],
            &[("a", 1), ("b", 3)],
            &[("a", 2), ("b", 1)],
            &[("a", 1), ("b", 0)],
            &[("a", 0), ("b", 0)],
        ])
    );
}

#[test]
fn reduce_by_key_and_window_with_inverse_and_filter_drops_zeros() {
    let out = run_operation(counted_pairs(), 6, |d: DStream<(String, i32)>| {
        d.reduce_by_key_and_window_inv_filter(|a, b| a + b, |a, b| a - b, S(2), S(1), |(_, v)| *v != 0)
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        pairs(&[&[("a", 1)], &[("a", 1), ("b", 2)], &[("a", 1), ("b", 3)], &[("a", 2), ("b", 1)], &[("a", 1)], &[]])
    );
}

#[test]
fn incremental_window_equals_the_naive_one_over_many_batches() {
    let input: Vec<Vec<(String, i32)>> =
        (0..20).map(|i| (0..(i % 4)).map(|j| (format!("k{}", (i + j) % 3), j + 1)).collect()).collect();
    let naive = run_operation(input.clone(), 20, |d: DStream<(String, i32)>| {
        d.reduce_by_key_and_window(|a, b| a + b, S(3), S(1))
    })
    .unwrap();
    let incremental = run_operation(input, 20, |d: DStream<(String, i32)>| {
        d.reduce_by_key_and_window_inv_filter(|a, b| a + b, |a, b| a - b, S(3), S(1), |(_, v)| *v != 0)
    })
    .unwrap();
    assert_eq!(sorted(naive), sorted(incremental));
}

#[test]
fn count_by_window_and_count_by_value_and_window() {
    let input = vec![vec![1], vec![2, 3], vec![], vec![4], vec![], vec![]];
    let out = run_operation(input.clone(), 6, |d| d.count_by_window(S(2), S(1))).unwrap();
    assert_eq!(out, vec![vec![1], vec![3], vec![2], vec![1], vec![1], vec![0]]);
    let values = vec![vec![1, 1], vec![1, 2], vec![2], vec![], vec![]];
    let out = run_operation(values, 5, |d| d.count_by_value_and_window(S(2), S(1))).unwrap();
    assert_eq!(sorted(out), vec![vec![(1, 2)], vec![(1, 3), (2, 1)], vec![(1, 1), (2, 2)], vec![(2, 1)], vec![]]);
}

#[test]
fn inverse_window_not_a_multiple_is_refused_with_sparks_message() {
    let err = run_operation(singles(1), 1, |d| {
        d.reduce_by_window_inv(|a, b| a + b, |a, b| a - b, Duration::from_millis(2500), S(1))
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "requirement failed: The window duration of ReducedWindowedDStream (2500 ms) must be multiple of the slide duration of parent DStream (1000 ms)"
    );
}
