//! Ported from Spark's `StreamingContextSuite`: lifecycle, errors and their messages, plus
//! Ember's bounded-memory guarantee for a stream that runs for thousands of batches.

use ember_core::{Conf, Context, Error};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{DStream, RddQueue, StreamingContext, StreamingContextState, Time};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

fn manual_ssc() -> (StreamingContext, Arc<ManualClock>) {
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    (StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone()), clock)
}

fn queue_stream(ssc: &StreamingContext) -> (RddQueue<i32>, DStream<i32>) {
    let queue = RddQueue::new();
    let stream = ssc.queue_stream(&queue, true);
    (queue, stream)
}

#[test]
fn start_without_output_operations_fails_and_stops() {
    let _turn = context_turn();
    let (ssc, _) = manual_ssc();
    let _ = queue_stream(&ssc);
    let err = ssc.start().unwrap_err();
    assert_eq!(err.to_string(), "requirement failed: No output operations registered, so nothing to execute");
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    let err = ssc.start().unwrap_err();
    assert_eq!(err.to_string(), "StreamingContext has already been stopped");
}

#[test]
fn state_transitions_and_harmless_repeats() {
    let _turn = context_turn();
    let (ssc, _) = manual_ssc();
    let (_, stream) = queue_stream(&ssc);
    stream.foreach_rdd(|_, _| ());
    assert_eq!(ssc.state(), StreamingContextState::Initialized);
    ssc.start().unwrap();
    assert_eq!(ssc.state(), StreamingContextState::Active);
    ssc.start().unwrap(); // a second start only warns
    ssc.stop(false, false);
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    ssc.stop(false, false); // stop twice is harmless
    assert!(!ssc.spark_context().is_stopped());
    ssc.stop(true, false); // ... and still stops the engine when asked
    assert!(ssc.spark_context().is_stopped());
    assert!(ssc.await_termination_or_timeout(Duration::from_millis(10)).unwrap());
}

#[test]
fn only_one_active_context() {
    let _turn = context_turn();
    let (first, _) = manual_ssc();
    queue_stream(&first).1.foreach_rdd(|_, _| ());
    first.start().unwrap();
    let (second, _) = manual_ssc();
    queue_stream(&second).1.foreach_rdd(|_, _| ());
    let err = second.start().unwrap_err();
    assert!(err.to_string().starts_with("Only one StreamingContext may be started in this process"), "{err}");
    first.stop(false, false);
    second.start().unwrap();
    second.stop(true, false);
}

#[test]
fn adding_streams_after_start_panics_with_sparks_message() {
    let _turn = context_turn();
    let (ssc, _) = manual_ssc();
    let (_, stream) = queue_stream(&ssc);
    stream.foreach_rdd(|_, _| ());
    ssc.start().unwrap();
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| stream.map(|x| x + 1)));
    let msg = *caught.unwrap_err().downcast::<&str>().unwrap();
    assert_eq!(
        msg,
        "Adding new inputs, transformations, and output operations after starting a context is not supported"
    );
    ssc.stop(true, false);
}

#[test]
fn remember_may_be_set_once() {
    let (ssc, _) = manual_ssc();
    ssc.remember(Duration::from_secs(5)).unwrap();
    let err = ssc.remember(Duration::from_secs(6)).unwrap_err();
    assert_eq!(err.to_string(), "requirement failed: Remember duration already set as 5000 ms. Cannot set it again.");
}

#[test]
fn batch_times_are_multiples_of_the_interval_starting_at_the_next_one() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(2_300));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_millis(500), clock.clone());
    let times = Arc::new(Mutex::new(Vec::new()));
    let seen = times.clone();
    queue_stream(&ssc).1.foreach_rdd(move |_, t| seen.lock().push(t.millis()));
    ssc.start().unwrap();
    clock.set_time(4_000);
    assert!(ssc.wait_for_batch(Time::from_millis(4_000), Duration::from_secs(30)));
    ssc.stop(true, false);
    assert_eq!(*times.lock(), vec![2_500, 3_000, 3_500, 4_000]);
}

#[test]
fn a_panicking_output_operation_is_reported_to_await_termination() {
    let _turn = context_turn();
    let (ssc, clock) = manual_ssc();
    let (queue, stream) = queue_stream(&ssc);
    queue.push(ssc.spark_context().parallelize(vec![1, 2, 3], 2));
    stream.foreach_rdd(|rdd, _| {
        if rdd.count().unwrap() > 0 {
            panic!("boom in foreach_rdd");
        }
    });
    ssc.start().unwrap();
    clock.advance(1000);
    let err = ssc.await_termination_or_timeout(Duration::from_secs(30)).unwrap_err();
    assert_eq!(err.to_string(), "panic: boom in foreach_rdd");
    // The context keeps running and can still be stopped.
    assert_eq!(ssc.state(), StreamingContextState::Active);
    ssc.stop(true, false);
}

#[test]
fn a_failing_task_error_carries_the_job_failure() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2,1]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone());
    let (queue, stream) = queue_stream(&ssc);
    queue.push(ctx.parallelize(vec![1, 2, 3], 2));
    stream.map(|x| if x == 3 { panic!("bad record {x}") } else { x }).foreach_rdd(|rdd, _| rdd.count().map(|_| ()));
    ssc.start().unwrap();
    clock.advance(1000);
    let err = ssc.await_termination_or_timeout(Duration::from_secs(30)).unwrap_err();
    assert!(matches!(err, Error::JobFailed { .. }), "{err}");
    assert!(err.to_string().ends_with("panic: bad record 3"), "{err}");
    ssc.stop(true, false);
}

#[test]
fn graceful_stop_processes_every_generated_batch() {
    let _turn = context_turn();
    let (ssc, clock) = manual_ssc();
    let (queue, stream) = queue_stream(&ssc);
    for i in 0..5 {
        queue.push(ssc.spark_context().parallelize(vec![i], 1));
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    stream.foreach_rdd(move |rdd, _| {
        std::thread::sleep(Duration::from_millis(20));
        sink.lock().extend(rdd.collect().unwrap());
    });
    ssc.start().unwrap();
    clock.advance(5_000);
    // Let the generator produce all five batches, then stop while jobs are still queued.
    while !queue.is_empty() {
        std::thread::sleep(Duration::from_millis(5));
    }
    ssc.stop(true, true);
    assert_eq!(*seen.lock(), vec![0, 1, 2, 3, 4]);
}

/// Issue 3: "5,000 batches leave the per-DStream maps and the block store at a constant size".
#[test]
fn thousands_of_batches_keep_metadata_and_blocks_bounded() {
    let _turn = context_turn();
    let (ssc, clock) = manual_ssc();
    let (queue, stream) = queue_stream(&ssc);
    let words = stream.map(|x| (x % 7, 1u64)).reduce_by_key(|a, b| a + b).cache();
    let sizes = Arc::new(Mutex::new(Vec::new()));
    let (w, sink) = (words.clone(), sizes.clone());
    let ctx = ssc.spark_context().clone();
    words.foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        rdd.count()?;
        sink.lock().push((w.generated_rdd_count(), ctx.block_manager_stats().blocks, ctx.live_shuffles()));
        Ok(())
    });
    ssc.start().unwrap();
    for i in 1..=5_000u64 {
        queue.push(ssc.spark_context().parallelize(vec![i as i32; 3], 2));
        clock.advance(1000);
        assert!(ssc.wait_for_batch(Time::from_millis(i * 1000), Duration::from_secs(30)), "batch {i}");
    }
    ssc.stop(true, false);
    let sizes = sizes.lock();
    assert_eq!(sizes.len(), 5_000);
    let worst = sizes.iter().fold((0, 0, 0), |m, s| (m.0.max(s.0), m.1.max(s.1), m.2.max(s.2)));
    // Remember duration is one batch: at most the current and the previous batch are held.
    assert!(worst.0 <= 2 && worst.1 <= 2 * 2 && worst.2 <= 2, "held at most {worst:?} (rdds, blocks, shuffles)");
    assert_eq!(&sizes[100..110], &sizes[4_990..5_000], "the same at batch 100 and batch 5,000");
}

#[test]
fn save_as_text_files_writes_a_directory_per_batch_and_replaces_reruns() {
    let _turn = context_turn();
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("counts").display().to_string();
    // A stale directory for batch 1000 (as after a crash) must be replaced, not merged.
    std::fs::create_dir_all(format!("{prefix}-1000.txt")).unwrap();
    std::fs::write(format!("{prefix}-1000.txt/part-00009"), "stale\n").unwrap();
    let (ssc, clock) = manual_ssc();
    let (queue, stream) = queue_stream(&ssc);
    queue.push(ssc.spark_context().parallelize(vec![1, 2, 3], 2));
    queue.push(ssc.spark_context().parallelize(vec![4], 1));
    stream.save_as_text_files(&prefix, "txt");
    ssc.start().unwrap();
    clock.advance(2000);
    assert!(ssc.wait_for_batch(Time::from_millis(2000), Duration::from_secs(30)));
    ssc.stop(true, false);
    let read = |ms: u64| {
        let ctx = Context::new(Conf::empty().master("local[1]")).unwrap();
        ctx.text_file(format!("{prefix}-{ms}.txt"), 1).unwrap().collect().unwrap()
    };
    assert_eq!(read(1000), vec!["1", "2", "3"]);
    assert_eq!(read(2000), vec!["4"]);
    assert!(std::path::Path::new(&format!("{prefix}-2000.txt/_SUCCESS")).exists());
    assert!(!std::path::Path::new(&format!("{prefix}-1000.txt/part-00009")).exists());
}

#[test]
fn slice_returns_remembered_batches_and_refuses_before_start() {
    let _turn = context_turn();
    let (ssc, clock) = manual_ssc();
    let (queue, stream) = queue_stream(&ssc);
    let err = stream.slice(Time::from_millis(0), Time::from_millis(1000)).unwrap_err();
    assert!(err.to_string().ends_with("has not been initialized"), "{err}");
    for i in 1..=4 {
        queue.push(ssc.spark_context().parallelize(vec![i], 1));
    }
    stream.foreach_rdd(|_, _| ());
    ssc.remember(Duration::from_secs(10)).unwrap();
    ssc.start().unwrap();
    clock.advance(4000);
    assert!(ssc.wait_for_batch(Time::from_millis(4000), Duration::from_secs(30)));
    let sliced = stream.slice(Time::from_millis(2000), Time::from_millis(3500)).unwrap();
    let contents: Vec<Vec<i32>> = sliced.iter().map(|r| r.collect().unwrap()).collect();
    assert_eq!(contents, vec![vec![2], vec![3]], "2000 and 3000 (3500 floors to 3000)");
    ssc.stop(true, false);
}

#[test]
fn concurrent_jobs_run_output_operations_side_by_side() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]").set("spark.streaming.concurrentJobs", "2")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone());
    let (_, stream) = queue_stream(&ssc);
    let spans = Arc::new(Mutex::new(Vec::new()));
    for _ in 0..2 {
        let spans = spans.clone();
        stream.foreach_rdd(move |_, _| {
            let start = std::time::Instant::now();
            std::thread::sleep(Duration::from_millis(300));
            spans.lock().push((start, std::time::Instant::now()));
        });
    }
    ssc.start().unwrap();
    clock.advance(1000);
    assert!(ssc.wait_for_batch(Time::from_millis(1000), Duration::from_secs(30)));
    ssc.stop(true, false);
    let spans = spans.lock();
    assert_eq!(spans.len(), 2);
    assert!(spans[0].0 < spans[1].1 && spans[1].0 < spans[0].1, "the two jobs overlapped: {spans:?}");
}
