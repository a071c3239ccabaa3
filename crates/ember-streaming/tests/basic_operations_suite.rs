//! Ported from Spark's `streaming/.../BasicOperationsSuite.scala`, through the public harness.
//! Cases Spark runs with `useSet = true` compare each batch as a sorted list here.

mod common;
use common::sorted;

use ember_streaming::testing::{run_operation, run_operation2, Harness};
use ember_streaming::DStream;

fn s(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| w.to_string()).collect()
}

fn ints(ranges: &[std::ops::RangeInclusive<i32>]) -> Vec<Vec<i32>> {
    ranges.iter().map(|r| r.clone().collect()).collect()
}

#[test]
fn map() {
    let input = ints(&[1..=4, 5..=8, 9..=12]);
    let expected: Vec<Vec<String>> = input.iter().map(|b| b.iter().map(|x| x.to_string()).collect()).collect();
    assert_eq!(run_operation(input, 3, |r| r.map(|x| x.to_string())).unwrap(), expected);
}

#[test]
fn flat_map() {
    let input = ints(&[1..=4, 5..=8, 9..=12]);
    let expected: Vec<Vec<i32>> = input.iter().map(|b| b.iter().flat_map(|x| [*x, x * 2]).collect()).collect();
    assert_eq!(run_operation(input, 3, |r| r.flat_map(|x| vec![x, x * 2])).unwrap(), expected);
}

#[test]
fn filter() {
    let input = ints(&[1..=4, 5..=8, 9..=12]);
    let expected: Vec<Vec<i32>> = input.iter().map(|b| b.iter().copied().filter(|x| x % 2 == 0).collect()).collect();
    assert_eq!(run_operation(input, 3, |r| r.filter(|x| x % 2 == 0)).unwrap(), expected);
}

#[test]
fn glom() {
    let out = run_operation(ints(&[1..=4, 5..=8, 9..=12]), 3, |r| r.glom()).unwrap();
    assert_eq!(out, vec![vec![vec![1, 2], vec![3, 4]], vec![vec![5, 6], vec![7, 8]], vec![vec![9, 10], vec![11, 12]]]);
}

#[test]
fn map_partitions() {
    let out =
        run_operation(ints(&[1..=4, 5..=8, 9..=12]), 3, |r| r.map_partitions(|it| std::iter::once(it.sum::<i32>())))
            .unwrap();
    assert_eq!(out, vec![vec![3, 7], vec![11, 15], vec![19, 23]]);
}

#[test]
fn repartition_more_and_fewer_partitions() {
    for (input_parts, target) in [(2, 5), (5, 2)] {
        let out = Harness::new()
            .partitions(input_parts)
            .run_with_gaps(ints(&[1..=100, 101..=200, 201..=300]).into_iter().map(Some).collect(), 3, |r| {
                r.repartition(target).glom()
            })
            .unwrap();
        assert_eq!(out.len(), 3);
        for (i, batch) in out.iter().enumerate() {
            assert_eq!(batch.len(), target, "batch {i} has {target} partitions");
            let mut all: Vec<i32> = batch.concat();
            all.sort();
            assert_eq!(all, (i as i32 * 100 + 1..=i as i32 * 100 + 100).collect::<Vec<_>>());
        }
    }
}

#[test]
fn group_by_key() {
    let out = run_operation(vec![s(&["a", "a", "b"]), s(&["", ""]), vec![]], 3, |s: DStream<String>| {
        s.map(|x| (x, 1)).group_by_key()
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        vec![vec![("a".to_string(), vec![1, 1]), ("b".into(), vec![1])], vec![("".to_string(), vec![1, 1])], vec![]]
    );
}

#[test]
fn reduce_by_key() {
    let out = run_operation(vec![s(&["a", "a", "b"]), s(&["", ""]), vec![]], 3, |s: DStream<String>| {
        s.map(|x| (x, 1)).reduce_by_key(|a, b| a + b)
    })
    .unwrap();
    assert_eq!(sorted(out), vec![vec![("a".to_string(), 2), ("b".into(), 1)], vec![("".to_string(), 2)], vec![]]);
}

#[test]
fn reduce() {
    let out = run_operation(ints(&[1..=4, 5..=8, 9..=12]), 3, |s| s.reduce(|a, b| a + b)).unwrap();
    assert_eq!(out, vec![vec![10], vec![26], vec![42]]);
    // An empty batch reduces to no element.
    assert_eq!(run_operation(vec![vec![]], 1, |s: DStream<i32>| s.reduce(|a, b| a + b)).unwrap(), vec![vec![]]);
}

#[test]
fn count() {
    let input = vec![vec![], vec![1], vec![1, 2], vec![1, 2, 3], vec![1, 2, 3, 4]];
    assert_eq!(
        run_operation(input, 5, |s: DStream<i32>| s.count()).unwrap(),
        vec![vec![0], vec![1], vec![2], vec![3], vec![4]]
    );
}

#[test]
fn count_by_value() {
    let input = vec![vec![1], vec![1, 1, 1], vec![1, 2], vec![1, 1, 2, 2]];
    let out = run_operation(input, 4, |s| s.count_by_value()).unwrap();
    assert_eq!(sorted(out), vec![vec![(1, 1)], vec![(1, 3)], vec![(1, 1), (2, 1)], vec![(1, 2), (2, 2)]]);
}

#[test]
fn map_values_and_flat_map_values() {
    let input = vec![s(&["a", "a", "b"]), s(&["", ""]), vec![]];
    let out = run_operation(input.clone(), 3, |s: DStream<String>| {
        s.map(|x| (x, 1)).reduce_by_key(|a, b| a + b).map_values(|v| v + 10)
    })
    .unwrap();
    assert_eq!(sorted(out), vec![vec![("a".to_string(), 12), ("b".into(), 11)], vec![("".to_string(), 12)], vec![]]);
    let out = run_operation(input, 3, |s: DStream<String>| {
        s.map(|x| (x, 1)).reduce_by_key(|a, b| a + b).flat_map_values(|v| vec![v, v + 10])
    })
    .unwrap();
    assert_eq!(
        sorted(out),
        vec![
            vec![("a".to_string(), 2), ("a".into(), 12), ("b".into(), 1), ("b".into(), 11)],
            vec![("".to_string(), 2), ("".into(), 12)],
            vec![]
        ]
    );
}

#[test]
fn union() {
    let out = run_operation(ints(&[1..=4, 101..=104, 201..=204]), 3, |s| s.union(&s.map(|x| x + 4))).unwrap();
    assert_eq!(out, ints(&[1..=8, 101..=108, 201..=208]));
}

#[test]
fn union_with_input_stream_returning_none_fails_the_batch() {
    let input = vec![Some(vec![1, 2]), Some(vec![3]), None];
    let err = Harness::new().run_with_gaps(input, 3, |s| s.union(&s.map(|x| x + 4))).unwrap_err();
    assert!(err.to_string().contains("Could not generate RDD from a parent for unifying at time 3000 ms"), "{err}");
}

#[test]
fn streaming_context_union() {
    let out = run_operation(ints(&[1..=4, 101..=104, 201..=204]), 3, |s| {
        s.context().union(vec![s.clone(), s.map(|x| x + 4), s.map(|x| x + 8)])
    })
    .unwrap();
    assert_eq!(out, ints(&[1..=12, 101..=112, 201..=212]));
}

#[test]
fn transform() {
    let input = ints(&[1..=4, 5..=8, 9..=12]);
    let expected: Vec<Vec<String>> = input.iter().map(|b| b.iter().map(|x| x.to_string()).collect()).collect();
    assert_eq!(run_operation(input, 3, |r| r.transform(|rdd| rdd.map(|x| x.to_string()))).unwrap(), expected);
}

#[test]
fn transform_with_input_stream_returning_none_fails_the_batch() {
    let input = vec![Some(vec![1]), Some(vec![2]), None];
    let err = Harness::new().run_with_gaps(input, 3, |r| r.transform(|rdd| rdd.map(|x| x + 1))).unwrap_err();
    assert!(err.to_string().contains("Couldn't generate RDD from parent at time 3000 ms"), "{err}");
}

#[test]
fn transform_with() {
    let in1 = vec![s(&["a", "b"]), s(&["a", ""]), s(&[""]), vec![]];
    let in2 = vec![s(&["a", "b"]), s(&["b", ""]), vec![], s(&[""])];
    let out = run_operation2(in1, in2, 4, |s1: DStream<String>, s2: DStream<String>| {
        let t1 = s1.map(|x| (x, 1));
        let t2 = s2.map(|x| (x, "x".to_string()));
        t1.transform_with(&t2, |a, b| a.join(b))
    })
    .unwrap();
    let x = || "x".to_string();
    assert_eq!(
        sorted(out),
        vec![
            vec![("a".to_string(), (1, x())), ("b".into(), (1, x()))],
            vec![("".to_string(), (1, x()))],
            vec![],
            vec![]
        ]
    );
}

#[test]
fn streaming_context_transform() {
    let out = run_operation(ints(&[1..=4, 101..=104, 201..=204]), 3, |s| {
        s.context().transform(vec![s.clone(), s.map(|x| x + 4), s.map(|x| x + 8)], |rdds, _| {
            rdds[0].context().union(rdds.to_vec())
        })
    })
    .unwrap();
    assert_eq!(out, ints(&[1..=12, 101..=112, 201..=212]));
}

/// Spark's join cases: `(word, 1)` against `(word, "x")` over four batches, each batch sorted.
fn run_join<R: ember_core::Data + Ord>(
    join: impl FnOnce(DStream<(String, i32)>, DStream<(String, String)>) -> DStream<R>,
) -> Vec<Vec<R>> {
    let in1 = vec![s(&["a", "b"]), s(&["a", ""]), s(&[""]), vec![]];
    let in2 = vec![s(&["a", "b"]), s(&["b", ""]), vec![], s(&[""])];
    let out = run_operation2(in1, in2, 4, |s1: DStream<String>, s2: DStream<String>| {
        join(s1.map(|x| (x, 1)), s2.map(|x| (x, "x".to_string())))
    });
    sorted(out.unwrap())
}

#[test]
fn cogroup() {
    let in1 = vec![s(&["a", "a", "b"]), s(&["a", ""]), s(&[""]), vec![]];
    let in2 = vec![s(&["a", "a", "b"]), s(&["b", ""]), vec![], vec![]];
    let out = run_operation2(in1, in2, 4, |s1: DStream<String>, s2: DStream<String>| {
        s1.map(|x| (x, 1)).cogroup(&s2.map(|x| (x, "x".to_string())))
    })
    .unwrap();
    let x = |n: usize| vec!["x".to_string(); n];
    assert_eq!(
        sorted(out),
        vec![
            vec![("a".to_string(), (vec![1, 1], x(2))), ("b".into(), (vec![1], x(1)))],
            vec![("".to_string(), (vec![1], x(1))), ("a".into(), (vec![1], x(0))), ("b".into(), (vec![], x(1)))],
            vec![("".to_string(), (vec![1], x(0)))],
            vec![]
        ]
    );
}

#[test]
fn join() {
    let out = run_join(|a, b| a.join(&b));
    let x = || "x".to_string();
    assert_eq!(
        out,
        vec![
            vec![("a".to_string(), (1, x())), ("b".into(), (1, x()))],
            vec![("".to_string(), (1, x()))],
            vec![],
            vec![]
        ]
    );
}

#[test]
fn left_outer_join() {
    let out = run_join(|a, b| a.left_outer_join(&b));
    let x = || Some("x".to_string());
    assert_eq!(
        out,
        vec![
            vec![("a".to_string(), (1, x())), ("b".into(), (1, x()))],
            vec![("".to_string(), (1, x())), ("a".into(), (1, None))],
            vec![("".to_string(), (1, None))],
            vec![]
        ]
    );
}

#[test]
fn right_outer_join() {
    let out = run_join(|a, b| a.right_outer_join(&b));
    let x = || "x".to_string();
    assert_eq!(
        out,
        vec![
            vec![("a".to_string(), (Some(1), x())), ("b".into(), (Some(1), x()))],
            vec![("".to_string(), (Some(1), x())), ("b".into(), (None, x()))],
            vec![],
            vec![("".to_string(), (None, x()))]
        ]
    );
}

#[test]
fn full_outer_join() {
    let out = run_join(|a, b| a.full_outer_join(&b));
    let x = || Some("x".to_string());
    assert_eq!(
        out,
        vec![
            vec![("a".to_string(), (Some(1), x())), ("b".into(), (Some(1), x()))],
            vec![("".to_string(), (Some(1), x())), ("a".into(), (Some(1), None)), ("b".into(), (None, x()))],
            vec![("".to_string(), (Some(1), None))],
            vec![("".to_string(), (None, x()))]
        ]
    );
}
