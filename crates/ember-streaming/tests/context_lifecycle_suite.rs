//! A context's life as a user's program lives it: dropping the last handle (an early return
//! with `?`, a failed assertion) stops a started context so the next one can start; `stop()`
//! may be called from an output operation, from a receiver's `on_start`, and from two threads
//! at once, as Spark allows, without a deadlock or a panic.

use ember_core::{Conf, Context, Error, Result};
use ember_streaming::receiver::{Receiver, ReceiverContext};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{RddQueue, StreamingContext, StreamingContextState};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

fn manual() -> (StreamingContext, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(0));
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    (StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone()), clock)
}

/// Runs `f` on its own thread and fails the test if it has not returned within 20 s.
fn within_20s<R: Send + 'static>(what: &str, f: impl FnOnce() -> R + Send + 'static) -> R {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(20)).unwrap_or_else(|_| panic!("{what} did not return in 20 s (deadlock?)"))
}

fn counted(ssc: &StreamingContext) -> RddQueue<i32> {
    let queue = RddQueue::new();
    ssc.queue_stream(&queue, true).count().foreach_rdd(|_, _| Ok(()));
    queue
}

/// A user's job that starts its context, then fails before stopping it.
fn job_that_returns_early() -> Result<()> {
    let (ssc, _clock) = manual();
    counted(&ssc);
    ssc.start()?;
    Err(Error::IllegalState("the input was not there".into()))?;
    ssc.stop(true, true);
    Ok(())
}

#[test]
fn an_early_return_stops_the_started_context_so_the_next_one_starts() {
    let _turn = context_turn();
    assert!(job_that_returns_early().is_err());
    let (ssc, _clock) = manual();
    counted(&ssc);
    ssc.start().expect("the abandoned context was stopped when its last handle went");
    ssc.stop(true, false);
}

#[test]
fn a_failed_assertion_while_running_stops_the_context() {
    let _turn = context_turn();
    let failed = std::panic::catch_unwind(|| {
        let (ssc, _clock) = manual();
        counted(&ssc);
        ssc.start().unwrap();
        assert_eq!(1, 2, "a test's assertion fails between start and stop");
    });
    assert!(failed.is_err());
    let (ssc, _clock) = manual();
    counted(&ssc);
    ssc.start().expect("the unwound context was stopped");
    ssc.stop(true, false);
}

#[test]
fn stop_inside_foreach_rdd_stops_the_context() {
    let _turn = context_turn();
    let (ssc, clock) = manual();
    let queue = RddQueue::new();
    queue.push(ssc.spark_context().parallelize(vec![1, 2, 3], 1));
    let inside = ssc.clone();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    ssc.queue_stream(&queue, true).foreach_rdd(move |rdd, _| {
        sink.lock().extend(rdd.collect()?);
        inside.stop(false, false);
        Ok(())
    });
    ssc.start().unwrap();
    clock.advance(1000);
    let waiting = ssc.clone();
    within_20s("await_termination after a stop from foreach_rdd", move || waiting.await_termination()).unwrap();
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    assert_eq!(*seen.lock(), vec![1, 2, 3]);
    ssc.spark_context().stop();
}

/// A receiver that gives up at once: its `on_start` stops it (Spark's `Receiver.stop`).
struct GivesUp;

impl Receiver<i32> for GivesUp {
    fn on_start(&mut self, ctx: ReceiverContext<i32>) {
        ctx.stop("nothing to receive");
    }
    fn on_stop(&mut self) {}
}

#[test]
fn a_receiver_that_stops_itself_in_on_start_does_not_block_start() {
    let _turn = context_turn();
    let (ssc, _clock) = manual();
    ssc.receiver_stream(GivesUp).count().foreach_rdd(|_, _| Ok(()));
    let starting = ssc.clone();
    within_20s("start with a receiver that stops in on_start", move || starting.start()).unwrap();
    let infos = ssc.receiver_infos();
    assert!(!infos[0].active, "{infos:?}");
    within_20s("stop", move || ssc.stop(true, false));
}

/// A receiver whose `on_start` stops the whole streaming context.
struct StopsTheContext(Arc<Mutex<Option<StreamingContext>>>);

impl Receiver<i32> for StopsTheContext {
    fn on_start(&mut self, _ctx: ReceiverContext<i32>) {
        if let Some(ssc) = self.0.lock().take() {
            ssc.stop(false, false);
        }
    }
    fn on_stop(&mut self) {}
}

#[test]
fn a_receiver_that_stops_the_context_in_on_start_leaves_it_stopped() {
    let _turn = context_turn();
    let (ssc, _clock) = manual();
    let slot = Arc::new(Mutex::new(Some(ssc.clone())));
    ssc.receiver_stream(StopsTheContext(slot)).count().foreach_rdd(|_, _| Ok(()));
    let starting = ssc.clone();
    let _ = within_20s("start with a receiver that stops the context", move || starting.start());
    assert_eq!(ssc.state(), StreamingContextState::Stopped);
    // Nothing is left running: the next context starts.
    drop(ssc);
    let (next, _clock) = manual();
    counted(&next);
    next.start().unwrap();
    next.stop(true, false);
}

#[test]
fn racing_stops_are_safe() {
    let _turn = context_turn();
    for _ in 0..20 {
        let (ssc, clock) = manual();
        counted(&ssc);
        ssc.start().unwrap();
        clock.advance(1000);
        let stoppers: Vec<_> = (0..2)
            .map(|i| {
                let ssc = ssc.clone();
                std::thread::spawn(move || ssc.stop(true, i == 0))
            })
            .collect();
        within_20s("two racing stops", move || stoppers.into_iter().for_each(|s| s.join().unwrap()));
        assert_eq!(ssc.state(), StreamingContextState::Stopped);
        assert!(ssc.spark_context().is_stopped());
    }
}
