//! What a stop tells the user: batches a non-graceful stop skipped are not reported as
//! completed, a graceful stop that times out logs the received data it drops, and invalid stop
//! and remember settings are refused by `start()` with the key and the value.

mod common;
use common::{logs, Batches, Pushed};

use ember_core::{Conf, Context};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{StreamingContext, Time};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

fn manual(conf: Conf) -> (StreamingContext, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(0));
    let ctx = Context::new(conf.master("local[2]")).unwrap();
    (StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone()), clock)
}

#[test]
fn batches_skipped_by_a_non_graceful_stop_are_not_reported_as_completed() {
    let _turn = context_turn();
    let (ssc, clock) = manual(Conf::empty());
    let (release, started) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicBool::new(false)));
    let (wait, running) = (release.clone(), started.clone());
    let queue = ember_streaming::RddQueue::<i32>::new();
    ssc.queue_stream(&queue, false).foreach_rdd(move |_, _| {
        running.store(true, Ordering::SeqCst);
        while !wait.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(5));
        }
        Ok(())
    });
    let batches = Arc::new(Batches::default());
    ssc.add_streaming_listener(batches.clone());
    ssc.start().unwrap();
    clock.advance(1000);
    while !started.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // Batches 2 and 3 queue behind the running batch 1.
    clock.advance(2000);
    while batches.submitted.lock().len() < 3 {
        std::thread::sleep(Duration::from_millis(5));
    }
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(200));
        release.store(true, Ordering::SeqCst);
    });
    ssc.stop(false, false);
    releaser.join().unwrap();
    ssc.wait_for_listeners();
    assert_eq!(*batches.submitted.lock(), vec![1000, 2000, 3000]);
    assert_eq!(*batches.completed.lock(), vec![1000], "only the batch that ran completed");
    assert!(!ssc.wait_for_batch(Time::from_millis(3000), Duration::ZERO), "skipped batches were not processed");
    ssc.spark_context().stop();
}

#[test]
fn a_graceful_stop_that_times_out_logs_the_received_data_it_drops() {
    let logs = logs();
    let _turn = context_turn();
    let (ssc, _clock) = manual(Conf::empty().set("spark.streaming.gracefulStopTimeout", "200ms"));
    let running = Arc::new(Mutex::new(None));
    ssc.receiver_stream(Pushed(running.clone())).count().foreach_rdd(|_, _| Ok(()));
    ssc.start().unwrap();
    let receiver = running.lock().clone().unwrap();
    receiver.store_many(vec![1, 2, 3, 4, 5]);
    (0..3).for_each(|i| receiver.store(i));
    // The manual clock never reaches a batch, so nothing can take the 8 records.
    ssc.stop(true, true);
    let text = String::from_utf8_lossy(&logs.lock()).into_owned();
    assert!(
        text.contains(
            "Timed out while stopping the job generator (timeout = 200 ms): 8 received records of input streams [0] were not processed"
        ),
        "{text}"
    );
}

#[test]
fn an_invalid_graceful_stop_timeout_is_refused_at_start() {
    let _turn = context_turn();
    let (ssc, _clock) = manual(Conf::empty().set("spark.streaming.gracefulStopTimeout", "soon"));
    let queue = ember_streaming::RddQueue::<i32>::new();
    ssc.queue_stream(&queue, true).foreach_rdd(|_, _| Ok(()));
    let err = ssc.start().unwrap_err().to_string();
    assert!(err.contains("spark.streaming.gracefulStopTimeout") && err.contains("soon"), "{err}");
}

#[test]
fn an_invalid_file_stream_remember_duration_is_refused_at_start() {
    let _turn = context_turn();
    let dir = tempfile::tempdir().unwrap();
    let (ssc, _clock) = manual(Conf::empty().set("spark.streaming.fileStream.minRememberDuration", "-5s"));
    ssc.text_file_stream(dir.path()).foreach_rdd(|_, _| Ok(()));
    let err = ssc.start().unwrap_err().to_string();
    assert!(err.contains("spark.streaming.fileStream.minRememberDuration") && err.contains("-5s"), "{err}");
}
