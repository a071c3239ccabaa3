//! Ported from PySpark's `WindowFunctionTests` (`python/pyspark/streaming/tests/test_dstream.py`):
//! 0.5 s batches, input batch `i` is `0..n`.

mod common;
use common::sorted;

use ember_core::Data;
use ember_streaming::testing::Harness;
use ember_streaming::DStream;
use std::time::Duration;

fn ranges(ns: &[u64]) -> Vec<Option<Vec<u64>>> {
    ns.iter().map(|&n| Some((0..n).collect())).collect()
}

fn run<T: Data, U: Data>(
    input: Vec<Option<Vec<T>>>,
    batches: usize,
    op: impl FnOnce(DStream<T>) -> DStream<U>,
) -> Vec<Vec<U>> {
    Harness::new().batch(Duration::from_millis(500)).run_with_gaps(input, batches, op).unwrap()
}

fn s(secs: f64) -> Duration {
    Duration::from_secs_f64(secs)
}

#[test]
fn window() {
    let out = run(ranges(&[1, 2, 3, 4, 5]), 7, |d| d.window(s(1.5), s(0.5)).count());
    assert_eq!(out, vec![vec![1], vec![3], vec![6], vec![9], vec![12], vec![9], vec![5]]);
}

#[test]
fn count_by_window() {
    let out = run(ranges(&[1, 2, 3, 4, 5]), 7, |d| d.count_by_window(s(1.5), s(0.5)));
    assert_eq!(out, vec![vec![1], vec![3], vec![6], vec![9], vec![12], vec![9], vec![5]]);
}

#[test]
fn count_by_window_large() {
    let out = run(ranges(&[1, 2, 3, 4, 5, 6]), 10, |d| d.count_by_window(s(2.5), s(0.5)));
    let expected: Vec<Vec<u64>> = [1, 3, 6, 10, 15, 20, 18, 15, 11, 6].iter().map(|&n| vec![n]).collect();
    assert_eq!(out, expected);
}

#[test]
fn count_by_value_and_window() {
    let out = run(ranges(&[1, 2, 3, 4, 5, 6]), 10, |d| d.count_by_value_and_window(s(2.5), s(0.5)));
    let expected: Vec<Vec<(u64, u64)>> = vec![
        vec![(0, 1)],
        vec![(0, 2), (1, 1)],
        vec![(0, 3), (1, 2), (2, 1)],
        vec![(0, 4), (1, 3), (2, 2), (3, 1)],
        vec![(0, 5), (1, 4), (2, 3), (3, 2), (4, 1)],
        vec![(0, 5), (1, 5), (2, 4), (3, 3), (4, 2), (5, 1)],
        vec![(0, 4), (1, 4), (2, 4), (3, 3), (4, 2), (5, 1)],
        vec![(0, 3), (1, 3), (2, 3), (3, 3), (4, 2), (5, 1)],
        vec![(0, 2), (1, 2), (2, 2), (3, 2), (4, 2), (5, 1)],
        vec![(0, 1), (1, 1), (2, 1), (3, 1), (4, 1), (5, 1)],
    ];
    assert_eq!(sorted(out), expected);
}

#[test]
fn group_by_key_and_window() {
    let input = (0..5).map(|i| Some(vec![("a".to_string(), i)])).collect();
    let out = run(input, 7, |d| {
        d.group_by_key_and_window(s(1.5), s(0.5)).map_values(|mut vs: Vec<i32>| {
            vs.sort();
            vs
        })
    });
    let expected: Vec<Vec<(String, Vec<i32>)>> =
        [vec![0], vec![0, 1], vec![0, 1, 2], vec![1, 2, 3], vec![2, 3, 4], vec![3, 4], vec![4]]
            .into_iter()
            .map(|vs| vec![("a".to_string(), vs)])
            .collect();
    assert_eq!(out, expected);
}

#[test]
fn reduce_by_invalid_window() {
    for (window, slide) in [(0.1, 0.1), (1.0, 0.1)] {
        let err = Harness::new()
            .batch(Duration::from_millis(500))
            .run_with_gaps(ranges(&[3, 5, 1, 6]), 4, |d| {
                d.map(|x| (x, 1u64)).reduce_by_key_and_window_inv(|a, b| a + b, |a, b| a - b, s(window), s(slide))
            })
            .unwrap_err()
            .to_string();
        assert!(err.contains("must be multiple of the slide duration of parent DStream (500 ms)"), "{err}");
    }
}

#[test]
fn reduce_by_key_and_window_with_no_inverse_function() {
    let out = run(ranges(&[1, 2, 3, 4, 5, 6]), 12, |d| {
        d.map(|x| (x, 1u64)).reduce_by_key_and_window(|a, b| a + b, s(5.0), s(1.0)).filter(|kv| kv.1 > 0).count()
    });
    assert_eq!(out, vec![vec![2], vec![4], vec![6], vec![6], vec![6], vec![6]]);
}
