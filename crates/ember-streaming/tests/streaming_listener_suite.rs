//! Ported from Spark's `StreamingListenerSuite`: events per batch in order, Spark's delay
//! fields at each stage, output operation ids and failures, and records per input stream.

use ember_core::{Conf, Context};
use ember_streaming::scheduler::listener::{BatchInfo, OutputOperationInfo, StreamingListener};
use ember_streaming::testing::context_turn;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::{RddQueue, StreamingContext, Time};
use parking_lot::Mutex;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
enum Seen {
    Started,
    Submitted(BatchInfo),
    BatchStarted(BatchInfo),
    Completed(BatchInfo),
    OpStarted(OutputOperationInfo),
    OpCompleted(OutputOperationInfo),
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Seen>>);

impl StreamingListener for Recorder {
    fn on_streaming_started(&self, _: u64) {
        self.0.lock().push(Seen::Started);
    }
    fn on_batch_submitted(&self, b: &BatchInfo) {
        self.0.lock().push(Seen::Submitted(b.clone()));
    }
    fn on_batch_started(&self, b: &BatchInfo) {
        self.0.lock().push(Seen::BatchStarted(b.clone()));
    }
    fn on_batch_completed(&self, b: &BatchInfo) {
        self.0.lock().push(Seen::Completed(b.clone()));
    }
    fn on_output_operation_started(&self, o: &OutputOperationInfo) {
        self.0.lock().push(Seen::OpStarted(o.clone()));
    }
    fn on_output_operation_completed(&self, o: &OutputOperationInfo) {
        self.0.lock().push(Seen::OpCompleted(o.clone()));
    }
}

#[test]
fn batch_and_output_operation_events_in_order_with_sparks_delays() {
    let _turn = context_turn();
    let ctx = Context::new(Conf::empty().master("local[2]")).unwrap();
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone());
    let recorder = Arc::new(Recorder::default());
    ssc.add_streaming_listener(recorder.clone());
    let queue = RddQueue::new();
    for i in 0..3 {
        queue.push(ctx.parallelize(vec![i], 1));
    }
    let stream = ssc.queue_stream(&queue, true);
    stream.foreach_rdd(|_, _| ());
    stream.foreach_rdd(|rdd, t| -> ember_core::Result<()> {
        if t == Time::from_millis(2000) {
            return Err(ember_core::Error::IllegalState(format!("failing batch {}", rdd.count()?)));
        }
        Ok(())
    });
    stream.foreach_rdd(|_, _| ());
    ssc.start().unwrap();
    for i in 1..=3 {
        clock.advance(1000);
        ssc.wait_for_batch(Time::from_millis(i * 1000), Duration::from_secs(30));
    }
    ssc.stop(true, false);
    ssc.wait_for_listeners();
    let seen = recorder.0.lock().clone();

    assert!(matches!(seen[0], Seen::Started));
    // Per batch: Submitted, BatchStarted, (OpStarted i, OpCompleted i) for i in 0..3, Completed.
    for (batch, events) in seen[1..].chunks(9).enumerate() {
        let time = Time::from_millis((batch as u64 + 1) * 1000);
        let Seen::Submitted(s) = &events[0] else { panic!("{events:?}") };
        assert_eq!(s.batch_time, time);
        assert_eq!((s.scheduling_delay_ms(), s.processing_delay_ms(), s.total_delay_ms()), (None, None, None));
        let Seen::BatchStarted(b) = &events[1] else { panic!("{events:?}") };
        assert!(b.scheduling_delay_ms().is_some() && b.processing_delay_ms().is_none());
        for op in 0..3 {
            let (Seen::OpStarted(start), Seen::OpCompleted(end)) = (&events[2 + 2 * op], &events[3 + 2 * op]) else {
                panic!("{events:?}")
            };
            assert_eq!((start.id, end.id), (op, op));
            assert!(
                end.name.starts_with("foreach_rdd at ") && end.name.contains("streaming_listener_suite.rs"),
                "{}",
                end.name
            );
            assert!(end.duration_ms().is_some());
            let failed = batch == 1 && op == 1;
            assert_eq!(end.failure_reason.as_deref(), failed.then_some("failing batch 1"));
        }
        let Seen::Completed(c) = &events[8] else { panic!("{events:?}") };
        assert!(c.scheduling_delay_ms().is_some() && c.processing_delay_ms().is_some() && c.total_delay_ms().is_some());
        assert!(c.submission_time_ms <= c.processing_start_time_ms.unwrap());
        assert!(c.processing_start_time_ms <= c.processing_end_time_ms);
        assert_eq!(c.output_operation_infos.len(), 3);
    }
    assert_eq!(seen.len(), 1 + 3 * 9);
}

#[test]
fn receiver_batches_count_their_records_per_input_stream() {
    let _turn = context_turn();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        for i in 0..10 {
            writeln!(conn, "line {i}").unwrap();
        }
        std::thread::sleep(Duration::from_millis(500));
    });
    let conf = Conf::empty().master("local[2]").set("spark.streaming.blockInterval", "20ms");
    let ssc = StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100));
    let recorder = Arc::new(Recorder::default());
    ssc.add_streaming_listener(recorder.clone());
    ssc.socket_text_stream("127.0.0.1", port).foreach_rdd(|_, _| ());
    ssc.start().unwrap();
    let total = || {
        recorder
            .0
            .lock()
            .iter()
            .filter_map(|e| if let Seen::Completed(b) = e { Some(b.num_records()) } else { None })
            .sum::<u64>()
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while total() < 10 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    ssc.stop(true, false);
    server.join().unwrap();
    assert_eq!(total(), 10);
    let completed: Vec<BatchInfo> = recorder
        .0
        .lock()
        .iter()
        .filter_map(|e| if let Seen::Completed(b) = e { Some(b.clone()) } else { None })
        .collect();
    assert!(
        completed.iter().all(|b| b.stream_id_to_num_records.keys().all(|id| *id == 0)),
        "input stream ids start at 0"
    );
    assert!(completed.windows(2).all(|w| w[0].batch_time < w[1].batch_time));
}
