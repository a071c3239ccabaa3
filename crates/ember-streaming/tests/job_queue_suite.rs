//! The job queue is bounded (`ember.streaming.jobQueueCapacity`): when output operations fall
//! behind, batch generation waits for room instead of queueing jobs without limit, and no
//! batch is lost; a non-graceful stop still ends promptly with a full queue.

mod common;
use common::Batches;

use ember_core::{Conf, Context};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{RddQueue, StreamingContext, Time};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Releases the held output operation when dropped, so a failed assertion cannot leave the
/// context's stop waiting for it.
struct Hold(Arc<AtomicBool>);

impl Drop for Hold {
    fn drop(&mut self) {
        self.0.store(false, Ordering::SeqCst);
    }
}

/// A context with a job queue of 2 whose only output operation waits while `hold` is set.
fn held_context() -> (StreamingContext, Arc<ManualClock>, Arc<AtomicBool>, Arc<Batches>) {
    let clock = Arc::new(ManualClock::new(0));
    let conf = Conf::empty().master("local[2]").set("ember.streaming.jobQueueCapacity", "2");
    let ssc = StreamingContext::with_clock(&Context::new(conf).unwrap(), Duration::from_secs(1), clock.clone());
    let hold = Arc::new(AtomicBool::new(true));
    let held = hold.clone();
    let queue = RddQueue::<i32>::new();
    ssc.queue_stream(&queue, true).foreach_rdd(move |_, _| {
        while held.load(Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(2));
        }
        Ok(())
    });
    let batches = Arc::new(Batches::default());
    ssc.add_streaming_listener(batches.clone());
    (ssc, clock, hold, batches)
}

#[test]
fn a_full_job_queue_makes_batch_generation_wait_and_loses_no_batch() {
    let _turn = context_turn();
    let (ssc, clock, hold, batches) = held_context();
    let _release_on_failure = Hold(hold.clone());
    ssc.start().unwrap();
    clock.advance(8000);
    // One batch runs, two wait in the queue, one waits to be queued: generation stops there.
    std::thread::sleep(Duration::from_millis(500));
    ssc.wait_for_listeners();
    assert_eq!(*batches.submitted.lock(), vec![1000, 2000, 3000, 4000]);
    hold.store(false, Ordering::SeqCst);
    assert!(ssc.wait_for_batch(Time::from_millis(8000), Duration::from_secs(30)));
    ssc.wait_for_listeners();
    assert_eq!(*batches.completed.lock(), (1..=8).map(|i| i * 1000).collect::<Vec<_>>());
    ssc.stop(true, false);
}

#[test]
fn a_non_graceful_stop_with_a_full_queue_ends_promptly() {
    let _turn = context_turn();
    let (ssc, clock, hold, batches) = held_context();
    let _release_on_failure = Hold(hold.clone());
    ssc.start().unwrap();
    clock.advance(8000);
    std::thread::sleep(Duration::from_millis(300));
    let releaser = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        hold.store(false, Ordering::SeqCst);
    });
    let started = Instant::now();
    ssc.stop(true, false);
    releaser.join().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10), "stop took {:?}", started.elapsed());
    ssc.wait_for_listeners();
    assert_eq!(*batches.completed.lock(), vec![1000], "only the running batch completed");
}
