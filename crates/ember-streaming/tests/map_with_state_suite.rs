//! Ported from Spark's `MapWithStateSuite`, plus a panicking function and keys that cost nothing
//! when idle. What a million keys of state really cost in memory is measured in
//! `map_with_state_memory.rs`, a test binary of its own.

mod common;
use common::sorted;

use ember_core::{Conf, Context, Data};
use ember_streaming::testing::{context_turn, run_operation};
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{DStream, RddQueue, State, StateSpec, StreamingContext, Time};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

type Spec<S, M> = StateSpec<String, i32, S, M>;

fn words(batches: &[&[&str]]) -> Vec<Vec<String>> {
    batches.iter().map(|b| b.iter().map(|w| w.to_string()).collect()).collect()
}

fn pairs<S: Clone>(batches: &[&[(&str, S)]]) -> Vec<Vec<(String, S)>> {
    batches.iter().map(|b| b.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()).collect()
}

/// Spark's `getOperationOutput`: each batch's mapped records and state snapshot, both sorted.
#[allow(clippy::type_complexity)]
fn run_state<S: Data + Ord, M: Data + Ord>(
    input: Vec<Vec<String>>,
    spec: impl FnOnce(&DStream<String>) -> Spec<S, M>,
    batches: usize,
) -> (Vec<Vec<M>>, Vec<Vec<(String, S)>>) {
    let out = run_operation(input, batches, |s: DStream<String>| {
        let stream = s.map(|w| (w, 1)).map_with_state(spec(&s));
        let snapshots = stream.state_snapshots().map(|kv| (None, Some(kv)));
        stream.map(|m| (Some(m), None)).union(&snapshots)
    })
    .unwrap();
    assert_eq!(out.len(), batches);
    let mapped = out.iter().map(|b| b.iter().filter_map(|(m, _)| m.clone()).collect()).collect();
    let states = out.iter().map(|b| b.iter().filter_map(|(_, s)| s.clone()).collect()).collect();
    (sorted(mapped), sorted(states))
}

fn input() -> Vec<Vec<String>> {
    words(&[&[], &["a"], &["a", "b"], &["a", "b", "c"], &["a", "b"], &["a"], &[]])
}

/// The state after each batch of [`input`] when counting every word.
fn running_counts() -> Vec<Vec<(String, i32)>> {
    pairs(&[
        &[],
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 3), ("b", 2), ("c", 1)],
        &[("a", 4), ("b", 3), ("c", 1)],
        &[("a", 5), ("b", 3), ("c", 1)],
        &[("a", 5), ("b", 3), ("c", 1)],
    ])
}

fn running_sum(value: Option<i32>, state: &mut State<i32>) -> i32 {
    let sum = value.unwrap_or(0) + state.get_option().copied().unwrap_or(0);
    state.update(sum);
    sum
}

#[test]
fn basic_operations_with_simple_api() {
    let spec = StateSpec::function(|_, _: &String, v: Option<i32>, s: &mut State<i32>| running_sum(v, s));
    let (mapped, states) = run_state(input(), |_| spec, 7);
    assert_eq!(mapped, vec![vec![], vec![1], vec![1, 2], vec![1, 2, 3], vec![3, 4], vec![5], vec![]]);
    assert_eq!(states, running_counts());
}

#[test]
fn basic_operations_with_advanced_api() {
    let spec = StateSpec::function(|_: Time, k: &String, v: Option<i32>, s: &mut State<i32>| {
        running_sum(v, s);
        Some(k.repeat(2))
    });
    let (mapped, states) = run_state(input(), |_| spec, 7);
    let mapped: Vec<Vec<String>> = mapped.into_iter().map(|b| b.into_iter().flatten().collect()).collect();
    assert_eq!(mapped, words(&[&[], &["aa"], &["aa", "bb"], &["aa", "bb", "cc"], &["aa", "bb"], &["aa"], &[]]));
    assert_eq!(states, running_counts());
}

#[test]
fn states_as_mapped_data() {
    let spec = StateSpec::function(|_, k: &String, v: Option<i32>, s: &mut State<i32>| (k.clone(), running_sum(v, s)));
    let (mapped, states) = run_state(input(), |_| spec, 7);
    let expected = pairs(&[
        &[],
        &[("a", 1)],
        &[("a", 2), ("b", 1)],
        &[("a", 3), ("b", 2), ("c", 1)],
        &[("a", 4), ("b", 3)],
        &[("a", 5)],
        &[],
    ]);
    assert_eq!(mapped, expected);
    assert_eq!(states, running_counts());
}

#[test]
fn initial_states_with_nothing_returned_from_the_function() {
    let (mapped, states) = run_state(
        input(),
        |s| {
            let initial = vec![("a".to_string(), 5), ("b".into(), 10), ("c".into(), -20), ("d".into(), 0)];
            StateSpec::function(|_, _: &String, v: Option<i32>, s: &mut State<i32>| {
                running_sum(v, s);
                None::<i32>
            })
            .initial_state(s.context().spark_context().parallelize(initial, 2))
        },
        7,
    );
    // Spark's advanced API drops a `None`, so each of Spark's output batches is empty; here the
    // mapped stream carries the function's `Option`, one per record: a `None` for each of the
    // batch's records (0, 1, 2, 3, 2, 1, 0), and nothing else.
    let counts: Vec<usize> = mapped.iter().map(Vec::len).collect();
    assert_eq!(counts, vec![0, 1, 2, 3, 2, 1, 0], "{mapped:?}");
    let flattened: Vec<Vec<i32>> = mapped.into_iter().map(|b| b.into_iter().flatten().collect()).collect();
    assert_eq!(flattened, vec![Vec::<i32>::new(); 7], "Spark's outputData: Seq.fill(7)(Seq.empty)");
    assert_eq!(
        states,
        pairs(&[
            &[("a", 5), ("b", 10), ("c", -20), ("d", 0)],
            &[("a", 6), ("b", 10), ("c", -20), ("d", 0)],
            &[("a", 7), ("b", 11), ("c", -20), ("d", 0)],
            &[("a", 8), ("b", 12), ("c", -19), ("d", 0)],
            &[("a", 9), ("b", 13), ("c", -19), ("d", 0)],
            &[("a", 10), ("b", 13), ("c", -19), ("d", 0)],
            &[("a", 10), ("b", 13), ("c", -19), ("d", 0)],
        ])
    );
}

#[test]
fn state_removing() {
    let input = words(&[&[], &["a"], &["a", "b"], &["a", "b", "c"], &["a", "b", "c"], &["a", "b"], &["a"], &[]]);
    let spec = StateSpec::function(|_, k: &String, v: Option<i32>, s: &mut State<i32>| {
        if s.exists() {
            s.remove();
            Some(k.clone())
        } else {
            s.update(v.unwrap());
            None
        }
    })
    .num_partitions(1);
    let (mapped, states) = run_state(input, |_| spec, 8);
    let mapped: Vec<Vec<String>> = mapped.into_iter().map(|b| b.into_iter().flatten().collect()).collect();
    assert_eq!(mapped, words(&[&[], &[], &["a"], &["b"], &["a", "c"], &["b"], &["a"], &[]]));
    assert_eq!(
        states,
        pairs(&[&[], &[("a", 1)], &[("b", 1)], &[("a", 1), ("c", 1)], &[("b", 1)], &[("a", 1)], &[], &[]])
    );
}

#[test]
fn state_timing_out() {
    let mut batches = words(&[&["a", "b", "c"], &["a", "b"], &["a"], &[], &[], &["a"]]);
    batches.extend(std::iter::repeat_n(vec!["a".to_string()], 20));
    let spec = StateSpec::function(|_, k: &String, v: Option<i32>, s: &mut State<i32>| {
        if v.is_some() {
            s.update(1);
        }
        s.is_timing_out().then(|| k.clone())
    })
    .timeout(Duration::from_secs(3));
    let (mapped, states) = run_state(batches, |_| spec, 20);
    // b and c are returned once each, when they expire (on a checkpoint batch).
    let mut expired: Vec<String> = mapped.into_iter().flatten().flatten().collect();
    expired.sort();
    assert_eq!(expired, vec!["b", "c"]);
    let all = pairs(&[&[("a", 1), ("b", 1), ("c", 1)]]).remove(0);
    assert!(states.contains(&all), "a, b and c were all defined at some point");
    assert_eq!(states.last().unwrap(), &pairs(&[&[("a", 1)]])[0]);
}

#[test]
fn keys_without_data_cost_nothing() {
    // update_state_by_key calls its function for every key each batch; map_with_state only
    // for the batch's records.
    let calls = Arc::new(AtomicU64::new(0));
    let counter = calls.clone();
    let mut batches: Vec<Vec<String>> = vec![(0..1000).map(|i| format!("k{i}")).collect()];
    batches.extend((0..9).map(|i| vec![format!("k{i}")]));
    let out = run_operation(batches, 10, move |s: DStream<String>| {
        let counter = counter.clone();
        let spec = StateSpec::function(move |_, _: &String, v: Option<i32>, s: &mut State<i32>| {
            counter.fetch_add(1, Ordering::Relaxed);
            running_sum(v, s)
        });
        s.map(|w| (w, 1)).map_with_state(spec).state_snapshots().count()
    })
    .unwrap();
    assert_eq!(out.iter().flatten().copied().collect::<Vec<_>>(), vec![1000; 10]);
    assert_eq!(calls.load(Ordering::Relaxed), 1000 + 9);
}

/// A context on a manual clock with a checkpoint directory, fed through a queue.
fn queue_context(dir: &std::path::Path) -> (Context, StreamingContext, Arc<ManualClock>) {
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone());
    ssc.checkpoint(dir).unwrap();
    (ctx, ssc, clock)
}

#[test]
fn a_panicking_function_fails_the_batch_and_the_context_still_stops() {
    let _turn = context_turn();
    let dir = tempfile::tempdir().unwrap();
    let (ctx, ssc, clock) = queue_context(dir.path());
    let queue = RddQueue::new();
    let spec = StateSpec::function(|_, k: &String, v: Option<i32>, s: &mut State<i32>| {
        assert!(k != "poison", "bad record {k}");
        running_sum(v, s)
    });
    ssc.queue_stream(&queue, true).map_with_state(spec).state_snapshots().foreach_rdd(|rdd, _| rdd.count().map(drop));
    ssc.start().unwrap();
    queue.push(ctx.parallelize(vec![("a".to_string(), 1), ("poison".into(), 1)], 2));
    clock.advance(1000);
    assert!(ssc.wait_for_batch(Time::from_millis(1000), Duration::from_secs(30)));
    let err = ssc.await_termination_or_timeout(Duration::ZERO).unwrap_err().to_string();
    assert!(err.contains("Job aborted due to stage failure") && err.contains("bad record poison"), "{err}");
    ssc.stop(true, false);
    assert_eq!(ssc.state(), ember_streaming::StreamingContextState::Stopped);
}

#[test]
fn updating_a_state_that_is_timing_out_fails_with_sparks_message() {
    let mut batches = words(&[&["a"]]);
    batches.extend(std::iter::repeat_n(vec![], 12));
    let err = run_operation(batches, 12, |s: DStream<String>| {
        let spec = StateSpec::function(|_, _: &String, v: Option<i32>, s: &mut State<i32>| {
            s.update(v.unwrap_or(0));
        })
        .timeout(Duration::from_secs(1));
        s.map(|w| (w, 1)).map_with_state(spec).clone()
    })
    .unwrap_err()
    .to_string();
    assert!(err.contains("requirement failed: Cannot update the state that is timing out"), "{err}");
}

#[test]
fn map_with_state_without_a_checkpoint_directory_is_refused_at_start() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), Arc::new(ManualClock::new(0)));
    let queue: RddQueue<(String, i32)> = RddQueue::new();
    let spec = StateSpec::function(|_, _: &String, v: Option<i32>, s: &mut State<i32>| running_sum(v, s));
    ssc.queue_stream(&queue, true).map_with_state(spec).print();
    let err = ssc.start().unwrap_err();
    assert_eq!(
        err.to_string(),
        "requirement failed: The checkpoint directory has not been set. Please set it by StreamingContext.checkpoint()."
    );
}

#[test]
fn state_memory_does_not_grow_on_a_stream_that_runs_on() {
    let _turn = context_turn();
    let dir = tempfile::tempdir().unwrap();
    let (ctx, ssc, clock) = queue_context(dir.path());
    let queue = RddQueue::new();
    let spec = StateSpec::function(|_, _: &u32, v: Option<u64>, s: &mut State<u64>| {
        let n = s.get_option().copied().unwrap_or(0) + v.unwrap_or(0);
        s.update(n);
        n
    });
    let stream = ssc.queue_stream(&queue, true).map_with_state(spec);
    stream.foreach_rdd(|rdd, _| rdd.count().map(drop));
    ssc.start().unwrap();
    let mut memory = Vec::new();
    for b in 1..=200u64 {
        queue.push(ctx.parallelize((0..500u32).map(|k| (k, 1u64)).collect(), 2));
        clock.advance(1000);
        assert!(ssc.wait_for_batch(Time::from_millis(b * 1000), Duration::from_secs(30)), "batch {b}");
        memory.push(ctx.block_manager_stats().state_memory);
    }
    ssc.stop(true, false);
    // Each batch's undo log and mapped records are kept only while the batch is remembered.
    assert!(memory[199] <= memory[49], "state memory grew from {} to {} bytes", memory[49], memory[199]);
    assert!(stream.generated_rdd_count() <= 21, "{} RDDs held", stream.generated_rdd_count());
}

#[test]
fn ten_thousand_millisecond_batches_keep_lineage_and_memory_bounded() {
    const BATCHES: u64 = 10_000;
    let _turn = context_turn();
    let dir = tempfile::tempdir().unwrap();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_millis(1), clock.clone());
    ssc.checkpoint(dir.path()).unwrap();
    let queue = RddQueue::new();
    let default = ctx.parallelize((0..20u32).map(|k| (k, 1u64)).collect(), 2);
    let pairs = ssc.queue_stream_with_default(&queue, true, Some(default));
    let spec = StateSpec::function(|_, _: &u32, v: Option<u64>, s: &mut State<u64>| {
        let n = s.get_option().copied().unwrap_or(0) + v.unwrap_or(0);
        s.update(n);
    });
    let mapped = pairs.map_with_state(spec);
    mapped.checkpoint(Duration::from_millis(10));
    let updated = pairs.update_state_by_key(|vs: &[u64], s: Option<u64>| Some(vs.iter().sum::<u64>() + s.unwrap_or(0)));
    updated.checkpoint(Duration::from_millis(10));
    let seen = Arc::new(parking_lot::Mutex::new(Vec::new()));
    let sink = seen.clone();
    mapped.state_snapshots().transform_with(&updated, |a, b| a.union(b)).foreach_rdd(
        move |rdd, _| -> ember_core::Result<()> {
            let total: u64 = rdd.values().reduce(|a, b| a + b)?.unwrap_or(0);
            sink.lock().push((rdd.lineage_depth(), total));
            Ok(())
        },
    );
    ssc.start().unwrap();
    let mut samples = Vec::new();
    for i in 1..=BATCHES {
        clock.advance(1);
        assert!(ssc.wait_for_batch(Time::from_millis(i), Duration::from_secs(30)), "batch {i}");
        if i == 1000 || i == BATCHES {
            let stats = ctx.block_manager_stats();
            samples.push((stats.blocks, stats.storage_memory, stats.state_memory, ctx.live_shuffles()));
        }
    }
    ssc.stop(true, false);
    let seen = seen.lock();
    assert_eq!(seen.len() as u64, BATCHES);
    assert_eq!(seen.last().unwrap().1, 2 * 20 * BATCHES, "both states count every record once");
    let deepest = seen.iter().map(|s| s.0).max().unwrap();
    assert!(deepest <= 60, "lineage depth reached {deepest}");
    let (early, late) = (samples[0], samples[1]);
    assert!(late.0 <= early.0 && late.1 <= early.1 + 4096, "blocks and cached bytes: {early:?} then {late:?}");
    assert!(late.2 <= early.2 && late.3 <= early.3, "state memory and shuffles: {early:?} then {late:?}");
    assert!(mapped.generated_rdd_count() <= 21 && updated.generated_rdd_count() <= 21);
}
