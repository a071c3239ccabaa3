//! A port of Apache Spark's `WindowOperationsSuite`
//! (`streaming/src/test/scala/org/apache/spark/streaming/WindowOperationsSuite.scala`), followed
//! by a few tests of Ember's own.
//!
//! Ported from Spark, with Spark's inputs, expected outputs, window and slide durations (each
//! test's doc comment names its Spark case):
//! - `testWindow` cases (`window - basic window`, `tumbling window`, `larger window`,
//!   `non-overlapping window`) and `window - persistence level`;
//! - `testReduceByKeyAndWindow` (`reduceByKeyAndWindow - …`), `testReduceByKeyAndWindowWithInverse`
//!   (`reduceByKeyAndWindow with inverse function - …`) and
//!   `testReduceByKeyAndWindowWithFilteredInverse` (`… with inverse and filter functions - big test`);
//! - `groupByKeyAndWindow`, `countByWindow`, `countByValueAndWindow`.
//!
//! Every case runs twice: on a stream computed from the input, as Spark's `TestInputStream`, and
//! on the same input stored through a real receiver (`Harness::through_receiver`).
//!
//! As in Spark's `TestSuiteBase`: 1 s batches, input in 2 partitions on `local[2]`, a manual
//! clock, empty batches after the input, `expected.len() * (slide / batch)` batches run, one
//! output per batch in which the result stream produced an RDD, and the number of outputs must
//! equal the number expected. Spark compares each batch as a set (`useSet = true`); here each
//! batch is sorted (`common::sorted`), which is as order-insensitive and also counts duplicates.
//!
//! Ember's own (not in Spark's suite), prefixed `ember_`: `reduce_by_window`, the error messages
//! for windows and slides that are not multiples of the parent's slide, how much the window's
//! parent remembers, and the incremental window agreeing with the naive one.

mod common;
use common::sorted;

use ember_core::{Conf, Context, Data, StorageLevel};
use ember_streaming::testing::{context_turn, run_operation, Harness};
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{DStream, RddQueue, StreamingContext, Time};
use std::collections::BTreeSet;
use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

const S: fn(u64) -> Duration = Duration::from_secs;

/// Spark's suite overrides `batchDuration` to 1 s.
const BATCH: Duration = Duration::from_secs(1);
/// The default `windowDuration` of Spark's helpers.
const WINDOW: Duration = Duration::from_secs(2);
/// The default `slideDuration` of Spark's helpers.
const SLIDE: Duration = Duration::from_secs(1);

type Pairs = Vec<Vec<(String, i32)>>;

fn pairs(batches: &[&[(&str, i32)]]) -> Pairs {
    batches.iter().map(|b| b.iter().map(|(k, v)| (k.to_string(), *v)).collect()).collect()
}

/// Spark's `numBatches = expectedOutput.size * (slideDuration / batchDuration).toInt`.
fn num_batches<U>(expected: &[Vec<U>], slide: Duration) -> usize {
    expected.len() * (slide.as_millis() / BATCH.as_millis()) as usize
}

/// Spark's `testOperation(input, operation, expectedOutput, numBatches, useSet = true)`, run
/// twice: on a stream computed from the input (Spark's `TestInputStream`), and on the same
/// input stored through a real receiver, whose data must land in its own batch whatever the
/// window reads (a slide longer than the batch skips batches, and their data).
fn test_operation<T: Data, U: Data + Ord + Debug>(
    input: Vec<Vec<T>>,
    operation: impl Fn(DStream<T>) -> DStream<U>,
    expected: Vec<Vec<U>>,
    num_batches: usize,
) {
    let expected = sorted(expected);
    let output = run_operation(input.clone(), num_batches, &operation).unwrap();
    assert_eq!(sorted(output), expected, "computed input");
    let input = input.into_iter().map(Some).collect();
    let output = Harness::new().through_receiver().run_with_gaps(input, num_batches, &operation).unwrap();
    assert_eq!(sorted(output), expected, "input through a receiver");
}

// Spark's helpers, one each.

/// Spark's `testWindow`: `s.window(windowDuration, slideDuration)`.
fn test_window(input: Vec<Vec<i32>>, expected: Vec<Vec<i32>>, window: Duration, slide: Duration) {
    let n = num_batches(&expected, slide);
    test_operation(input, |s| s.window(window, slide), expected, n);
}

/// Spark's `testReduceByKeyAndWindow`: `s.reduceByKeyAndWindow(_ + _, windowDuration, slideDuration)`.
fn test_reduce_by_key_and_window(input: Pairs, expected: Pairs, window: Duration, slide: Duration) {
    let n = num_batches(&expected, slide);
    test_operation(input, |s| s.reduce_by_key_and_window(|x, y| x + y, window, slide), expected, n);
}

/// Spark's `testReduceByKeyAndWindowWithInverse`:
/// `s.reduceByKeyAndWindow(_ + _, _ - _, windowDuration, slideDuration).checkpoint(Seconds(100))`.
fn test_reduce_by_key_and_window_with_inverse(input: Pairs, expected: Pairs, window: Duration, slide: Duration) {
    let n = num_batches(&expected, slide);
    let operation = |s: DStream<(String, i32)>| {
        // A large interval, as Spark, to avoid the effect of RDD checkpointing.
        s.reduce_by_key_and_window_inv(|x, y| x + y, |x, y| x - y, window, slide).checkpoint(S(100))
    };
    test_operation(input, operation, expected, n);
}

/// Spark's `testReduceByKeyAndWindowWithFilteredInverse`: `s.reduceByKeyAndWindow(_ + _, _ - _,
/// windowDuration, slideDuration, filterFunc = _._2 != 0).persist().checkpoint(Seconds(100))`.
fn test_reduce_by_key_and_window_with_filtered_inverse(
    input: Pairs,
    expected: Pairs,
    window: Duration,
    slide: Duration,
) {
    let n = num_batches(&expected, slide);
    let operation = |s: DStream<(String, i32)>| {
        s.reduce_by_key_and_window_inv_filter(|x, y| x + y, |x, y| x - y, window, slide, |(_, v)| *v != 0)
            .cache() // Spark's `persist()`: MEMORY_ONLY_SER
            .checkpoint(S(100))
    };
    test_operation(input, operation, expected, n);
}

// Spark's shared inputs and outputs.

fn six_singles() -> Vec<Vec<i32>> {
    vec![vec![0], vec![1], vec![2], vec![3], vec![4], vec![5]]
}

/// Spark's `largerSlideInput`.
fn larger_slide_input() -> Pairs {
    pairs(&[
        &[("a", 1)],
        &[("a", 2)], // 1st window from here
        &[("a", 3)],
        &[("a", 4)], // 2nd window from here
        &[("a", 5)],
        &[("a", 6)], // 3rd window from here
        &[],
        &[], // 4th window from here
    ])
}

/// Spark's `largerSlideReduceOutput`.
fn larger_slide_reduce_output() -> Pairs {
    pairs(&[&[("a", 3)], &[("a", 10)], &[("a", 18)], &[("a", 11)]])
}

/// Spark's `bigInput`.
fn big_input() -> Pairs {
    pairs(&[
        &[("a", 1)],
        &[("a", 1), ("b", 1)],
        &[("a", 1), ("b", 1), ("c", 1)],
        &[("a", 1), ("b", 1)],
        &[("a", 1)],
        &[],
        &[("a", 1)],
        &[("a", 1), ("b", 1)],
        &[("a", 1), ("b", 1), ("c", 1)],
        &[("a", 1), ("b", 1)],
        &[("a", 1)],
        &[],
    ])
}

/// Spark's `bigGroupByOutput`.
fn big_group_by_output() -> Vec<Vec<(String, Vec<i32>)>> {
    let batches: [&[(&str, &[i32])]; 12] = [
        &[("a", &[1])],
        &[("a", &[1, 1]), ("b", &[1])],
        &[("a", &[1, 1]), ("b", &[1, 1]), ("c", &[1])],
        &[("a", &[1, 1]), ("b", &[1, 1]), ("c", &[1])],
        &[("a", &[1, 1]), ("b", &[1])],
        &[("a", &[1])],
        &[("a", &[1])],
        &[("a", &[1, 1]), ("b", &[1])],
        &[("a", &[1, 1]), ("b", &[1, 1]), ("c", &[1])],
        &[("a", &[1, 1]), ("b", &[1, 1]), ("c", &[1])],
        &[("a", &[1, 1]), ("b", &[1])],
        &[("a", &[1])],
    ];
    batches.iter().map(|b| b.iter().map(|(k, vs)| (k.to_string(), vs.to_vec())).collect()).collect()
}

/// Spark's `bigReduceOutput`.
fn big_reduce_output() -> Pairs {
    pairs(&[
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 1)],
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 1)],
    ])
}

/// Spark's `bigReduceInvOutput`: with an inverse function but no filter, no key is ever dropped
/// from the window, even when its value becomes 0.
fn big_reduce_inv_output() -> Pairs {
    pairs(&[
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 1), ("c", 0)],
        &[("a", 1), ("b", 0), ("c", 0)],
        &[("a", 1), ("b", 0), ("c", 0)],
        &[("a", 2), ("b", 1), ("c", 0)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 2), ("c", 1)],
        &[("a", 2), ("b", 1), ("c", 0)],
        &[("a", 1), ("b", 0), ("c", 0)],
    ])
}

// Spark's small reduceByKeyAndWindow cases, run with and without the inverse function.

/// `basic reduction`: `[(a,1),(a,3)]` → `[(a,4)]`.
fn basic_reduction() -> (Pairs, Pairs) {
    (pairs(&[&[("a", 1), ("a", 3)]]), pairs(&[&[("a", 4)]]))
}

/// `key already in window and new value added into window`: `[(a,1)],[(a,1)]` → `[(a,1)],[(a,2)]`.
fn key_already_in_window() -> (Pairs, Pairs) {
    (pairs(&[&[("a", 1)], &[("a", 1)]]), pairs(&[&[("a", 1)], &[("a", 2)]]))
}

/// `new key added into window`: `[(a,1)],[(a,1),(b,1)]` → `[(a,1)],[(a,2),(b,1)]`.
fn new_key_added_into_window() -> (Pairs, Pairs) {
    (pairs(&[&[("a", 1)], &[("a", 1), ("b", 1)]]), pairs(&[&[("a", 1)], &[("a", 2), ("b", 1)]]))
}

/// `key removed from window`'s input (the expected outputs differ with the inverse function).
fn key_removed_from_window_input() -> Pairs {
    pairs(&[&[("a", 1)], &[("a", 1)], &[], &[]])
}

// Testing window operation

/// Spark: `window - basic window` (2 s window, 1 s slide).
#[test]
fn window_basic_window() {
    let expected = vec![vec![0], vec![0, 1], vec![1, 2], vec![2, 3], vec![3, 4], vec![4, 5]];
    test_window(six_singles(), expected, WINDOW, SLIDE);
}

/// Spark: `window - tumbling window` (2 s window, 2 s slide).
#[test]
fn window_tumbling_window() {
    test_window(six_singles(), vec![vec![0, 1], vec![2, 3], vec![4, 5]], S(2), S(2));
}

/// Spark: `window - larger window` (4 s window, 2 s slide).
#[test]
fn window_larger_window() {
    test_window(six_singles(), vec![vec![0, 1], vec![0, 1, 2, 3], vec![2, 3, 4, 5], vec![4, 5]], S(4), S(2));
}

/// Spark: `window - non-overlapping window` (2 s window, 3 s slide).
#[test]
fn window_non_overlapping_window() {
    test_window(six_singles(), vec![vec![1, 2], vec![4, 5]], S(2), S(3));
}

/// Spark: `window - persistence level`. A windowed stream keeps nothing itself: creating it
/// persists its parent at MEMORY_ONLY_SER, and persisting it persists the parent instead.
/// Spark's input is a `TestInputStream` over `[0]..[5]` in 1 partition; Ember's harness does not
/// expose its input stream, so this uses a queue stream (also an input stream, nothing persisted).
#[test]

fn window_persistence_level() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let ssc = StreamingContext::new(&ctx, BATCH);
    let queue = RddQueue::new();
    for batch in six_singles() {
        queue.push(ctx.parallelize(batch, 1));
    }
    let input_stream = ssc.queue_stream(&queue, true);
    let window_stream1 = input_stream.window(BATCH * 2, BATCH);
    assert_eq!(window_stream1.storage_level(), StorageLevel::NONE);
    assert_eq!(input_stream.storage_level(), StorageLevel::MEMORY_ONLY_SER);
    window_stream1.persist(StorageLevel::MEMORY_ONLY);
    // Spark's two assertions, checked together so a failure shows both levels.
    assert_eq!(
        (window_stream1.storage_level(), input_stream.storage_level()),
        (StorageLevel::NONE, StorageLevel::MEMORY_ONLY),
        "(window, its parent) after persisting the window"
    );
    ssc.stop(true, false);
}

// Testing naive reduceByKeyAndWindow (without invertible function)

/// Spark: `reduceByKeyAndWindow - basic reduction`.
#[test]
fn reduce_by_key_and_window_basic_reduction() {
    let (input, expected) = basic_reduction();
    test_reduce_by_key_and_window(input, expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow - key already in window and new value added into window`.
#[test]
fn reduce_by_key_and_window_key_already_in_window_and_new_value_added_into_window() {
    let (input, expected) = key_already_in_window();
    test_reduce_by_key_and_window(input, expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow - new key added into window`.
#[test]
fn reduce_by_key_and_window_new_key_added_into_window() {
    let (input, expected) = new_key_added_into_window();
    test_reduce_by_key_and_window(input, expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow - key removed from window`: `[(a,1)],[(a,1)],[],[]` →
/// `[(a,1)],[(a,2)],[(a,1)],[]`.
#[test]
fn reduce_by_key_and_window_key_removed_from_window() {
    let expected = pairs(&[&[("a", 1)], &[("a", 2)], &[("a", 1)], &[]]);
    test_reduce_by_key_and_window(key_removed_from_window_input(), expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow - larger slide time` (4 s window, 2 s slide):
/// `(a,1)..(a,6),[],[]` → `(a,3),(a,10),(a,18),(a,11)`.
#[test]
fn reduce_by_key_and_window_larger_slide_time() {
    test_reduce_by_key_and_window(larger_slide_input(), larger_slide_reduce_output(), S(4), S(2));
}

/// Spark: `reduceByKeyAndWindow - big test` (`bigInput` → `bigReduceOutput`).
#[test]
fn reduce_by_key_and_window_big_test() {
    test_reduce_by_key_and_window(big_input(), big_reduce_output(), WINDOW, SLIDE);
}

// Testing reduceByKeyAndWindow (with invertible reduce function)

/// Spark: `reduceByKeyAndWindow with inverse function - basic reduction`.
#[test]
fn reduce_by_key_and_window_with_inverse_function_basic_reduction() {
    let (input, expected) = basic_reduction();
    test_reduce_by_key_and_window_with_inverse(input, expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow with inverse function - key already in window and new value
/// added into window`.
#[test]
fn reduce_by_key_and_window_with_inverse_function_key_already_in_window_and_new_value_added_into_window() {
    let (input, expected) = key_already_in_window();
    test_reduce_by_key_and_window_with_inverse(input, expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow with inverse function - new key added into window`.
#[test]
fn reduce_by_key_and_window_with_inverse_function_new_key_added_into_window() {
    let (input, expected) = new_key_added_into_window();
    test_reduce_by_key_and_window_with_inverse(input, expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow with inverse function - key removed from window`:
/// `[(a,1)],[(a,1)],[],[]` → `[(a,1)],[(a,2)],[(a,1)],[(a,0)]` (the key stays, at 0).
#[test]
fn reduce_by_key_and_window_with_inverse_function_key_removed_from_window() {
    let expected = pairs(&[&[("a", 1)], &[("a", 2)], &[("a", 1)], &[("a", 0)]]);
    test_reduce_by_key_and_window_with_inverse(key_removed_from_window_input(), expected, WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow with inverse function - larger slide time` (4 s window, 2 s
/// slide; same input and output as without the inverse).
#[test]
fn reduce_by_key_and_window_with_inverse_function_larger_slide_time() {
    test_reduce_by_key_and_window_with_inverse(larger_slide_input(), larger_slide_reduce_output(), S(4), S(2));
}

/// Spark: `reduceByKeyAndWindow with inverse function - big test` (`bigInput` →
/// `bigReduceInvOutput`, keys kept at 0).
#[test]
fn reduce_by_key_and_window_with_inverse_function_big_test() {
    test_reduce_by_key_and_window_with_inverse(big_input(), big_reduce_inv_output(), WINDOW, SLIDE);
}

/// Spark: `reduceByKeyAndWindow with inverse and filter functions - big test` (`bigInput` →
/// `bigReduceOutput`: the filter drops the zeros).
#[test]
fn reduce_by_key_and_window_with_inverse_and_filter_functions_big_test() {
    test_reduce_by_key_and_window_with_filtered_inverse(big_input(), big_reduce_output(), WINDOW, SLIDE);
}

/// Spark: `groupByKeyAndWindow` (`bigInput` → `bigGroupByOutput`, 2 s window, 1 s slide). As
/// Spark, each key's values are compared as a set (`x._2.toSet`), on both sides.
#[test]
fn group_by_key_and_window() {
    let to_set = |(k, vs): (String, Vec<i32>)| (k, vs.into_iter().collect::<BTreeSet<i32>>());
    let expected: Vec<Vec<_>> =
        big_group_by_output().into_iter().map(|b| b.into_iter().map(to_set).collect()).collect();
    let n = num_batches(&expected, S(1));
    let operation = move |s: DStream<(String, i32)>| s.group_by_key_and_window(S(2), S(1)).map(to_set);
    test_operation(big_input(), operation, expected, n);
}

/// Spark: `countByWindow` (2 s window, 1 s slide): `[1],[1],[1,2],[0],[],[]` → `1,2,3,3,1,0`.
#[test]
fn count_by_window() {
    let input = vec![vec![1], vec![1], vec![1, 2], vec![0], vec![], vec![]];
    let expected = vec![vec![1], vec![2], vec![3], vec![3], vec![1], vec![0]];
    let n = num_batches(&expected, S(1));
    test_operation(input, |s: DStream<i32>| s.count_by_window(S(2), S(1)).map(|c| c as i32), expected, n);
}

/// Spark: `countByValueAndWindow` (2 s window, 1 s slide): `[a],[b,b],[a,b]` →
/// `[(a,1)],[(a,1),(b,2)],[(a,1),(b,3)]`.
#[test]
fn count_by_value_and_window() {
    let input: Vec<Vec<String>> =
        [&["a"][..], &["b", "b"], &["a", "b"]].iter().map(|b| b.iter().map(|s| s.to_string()).collect()).collect();
    let expected = pairs(&[&[("a", 1)], &[("a", 1), ("b", 2)], &[("a", 1), ("b", 3)]]);
    let n = num_batches(&expected, S(1));
    let operation = |s: DStream<String>| s.count_by_value_and_window(S(2), S(1)).map(|(k, c)| (k, c as i32));
    test_operation(input, operation, expected, n);
}

// Ember's own tests (not in Spark's suite).

/// Ember's own: `reduce_by_window` sums each 2 s window, sliding by 1 s.
#[test]
fn ember_reduce_by_window_sums_each_window() {
    let input: Vec<Vec<i32>> = (1..=6).map(|i| vec![i]).collect();
    let out = run_operation(input, 6, |d| d.reduce_by_window(|a, b| a + b, S(2), S(1))).unwrap();
    assert_eq!(out, vec![vec![1], vec![3], vec![5], vec![7], vec![9], vec![11]]);
}

/// Ember's own: a window or slide that is not a multiple of the parent's slide fails `start()`
/// with the message of Spark's `WindowedDStream` requirement.
#[test]
fn ember_invalid_window_or_slide_is_refused_at_start_with_sparks_message() {
    for (w, s, what) in [(2_500, 1_000, "window"), (2_000, 1_500, "slide")] {
        let err = run_operation(vec![vec![0]], 1, |d: DStream<i32>| {
            d.window(Duration::from_millis(w), Duration::from_millis(s))
        })
        .unwrap_err();
        let bad = if what == "window" { w } else { s };
        assert_eq!(
            err.to_string(),
            format!(
                "requirement failed: The {what} duration of windowed DStream ({bad} ms) must be a multiple of the slide duration of parent DStream (1000 ms)"
            )
        );
    }
}

/// Ember's own: the same check for the incremental window, with the message of Spark's
/// `ReducedWindowedDStream` requirement.
#[test]
fn ember_inverse_window_not_a_multiple_is_refused_with_sparks_message() {
    let err = run_operation(vec![vec![0]], 1, |d: DStream<i32>| {
        d.reduce_by_window_inv(|a, b| a + b, |a, b| a - b, Duration::from_millis(2500), S(1))
    })
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "requirement failed: The window duration of ReducedWindowedDStream (2500 ms) must be multiple of the slide duration of parent DStream (1000 ms)"
    );
}

/// Ember's own: the window's parent remembers the window plus the window's own remember
/// duration, and old RDDs are forgotten over 50 batches.
#[test]
fn ember_window_parents_remember_exactly_their_window() {
    let _turn = context_turn();
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

/// Ember's own: over 20 batches of varied keys, the incremental window (inverse and filter)
/// gives the same output as the naive one.
#[test]
fn ember_incremental_window_equals_the_naive_one_over_many_batches() {
    let input: Pairs = (0..20).map(|i| (0..(i % 4)).map(|j| (format!("k{}", (i + j) % 3), j + 1)).collect()).collect();
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
