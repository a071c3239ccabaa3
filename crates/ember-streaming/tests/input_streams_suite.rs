//! Receivers and socket streams against real TCP servers on 127.0.0.1 (Spark's
//! `InputStreamsSuite` and `ReceiverSuite`): data arrives, a server that drops and returns is
//! reconnected to without losing what was read, refused connections are retried, bad input is
//! counted and skipped, a panicking receiver is restarted, and `local[1]` is enough.

mod common;
use common::{collect, wait_for};

use ember_core::{Conf, Context};
use ember_streaming::receiver::{Receiver, ReceiverContext, ReceiverInfo};
use ember_streaming::scheduler::listener::StreamingListener;
use ember_streaming::testing::context_turn;
use ember_streaming::StreamingContext;
use parking_lot::Mutex;
use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

fn ssc(master: &str) -> StreamingContext {
    let conf = Conf::empty()
        .master(master)
        .set("spark.streaming.blockInterval", "20ms")
        .set("spark.streaming.receiverRestartDelay", "100");
    StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100))
}

/// Serves each connection the next list of byte chunks, then closes it.
fn serve(listener: TcpListener, connections: Vec<Vec<&'static [u8]>>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for chunks in connections {
            let (mut conn, _) = listener.accept().unwrap();
            for chunk in chunks {
                conn.write_all(chunk).unwrap();
            }
            conn.flush().unwrap();
        }
    })
}

/// Serves `count` numbered lines (`line 0`, `line 1`, …) at once to one client, then holds the
/// connection open for a moment; returns the port, the lines and the server thread.
fn serve_lines(count: usize) -> (u16, Vec<String>, std::thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let lines: Vec<String> = (0..count).map(|i| format!("line {i}")).collect();
    let payload = lines.join("\n") + "\n";
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(payload.as_bytes()).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    });
    (port, lines, server)
}

#[test]
fn socket_text_stream_receives_every_line() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve(listener, vec![vec![b"hello world\n", b"one\r\ntwo\n", b"last line without newline"]]);
    let ssc = ssc("local[2]");
    let lines = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("4 lines", || lines.lock().len() >= 4);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*lines.lock(), vec!["hello world", "one", "two", "last line without newline"]);
}

#[test]
fn server_that_drops_and_returns_is_reconnected_without_losing_data() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve(listener, vec![vec![b"a\nb\nc\n"], vec![b"d\ne\n"], vec![b"f\n"]]);
    let ssc = ssc("local[2]");
    let stream = ssc.socket_text_stream("127.0.0.1", port);
    let words = collect(&stream.map(|w| w.to_uppercase()));
    ssc.start().unwrap();
    wait_for("6 lines over 3 connections", || words.lock().len() >= 6);
    let infos = ssc.receiver_infos();
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*words.lock(), vec!["A", "B", "C", "D", "E", "F"]);
    assert!(infos[0].restarts >= 2, "{infos:?}");
    assert!(infos[0].last_error_message.contains("Socket data stream had no more data"), "{infos:?}");
}

#[test]
fn refused_connection_is_retried_until_the_server_appears() {
    let _turn = context_turn();
    // Reserve a port, then close it so the first attempts are refused.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let ssc = ssc("local[2]");
    let lines = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("a refused attempt", || ssc.receiver_infos()[0].errors > 0);
    let info = ssc.receiver_infos().remove(0);
    assert!(info.last_error_message.contains(&format!("Error connecting to 127.0.0.1:{port}")), "{info:?}");
    let server = serve(TcpListener::bind(("127.0.0.1", port)).unwrap(), vec![vec![b"finally\n"]]);
    wait_for("the line after reconnecting", || !lines.lock().is_empty());
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*lines.lock(), vec!["finally"]);
}

#[test]
fn undecodable_lines_are_counted_and_skipped() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = serve(listener, vec![vec![b"good\n", b"bad \xff\xfe\n", b"also good\n"]]);
    let ssc = ssc("local[2]");
    let events = Arc::new(ReceiverEvents::default());
    ssc.add_streaming_listener(events.clone());
    let lines = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("2 good lines", || lines.lock().len() >= 2);
    let info = ssc.receiver_infos().remove(0);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*lines.lock(), vec!["good", "also good"]);
    assert!(info.errors >= 1, "{info:?}");
    assert_eq!(info.records, 2);
    let reported: Vec<String> = events.0.lock().iter().map(|(_, r)| r.last_error_message.clone()).collect();
    assert!(reported.iter().any(|m| m == "Skipped line 2: malformed UTF-8 at byte 4"), "{reported:?}");
}

/// Panics the first time it starts, then stores 0..5 and stops itself.
struct FlakyReceiver {
    starts: Arc<Mutex<u32>>,
}

impl Receiver<u32> for FlakyReceiver {
    fn on_start(&mut self, ctx: ReceiverContext<u32>) {
        let mut starts = self.starts.lock();
        *starts += 1;
        if *starts == 1 {
            panic!("receiver failed to start");
        }
        std::thread::spawn(move || {
            ctx.store_many((0..5).collect());
        });
    }
    fn on_stop(&mut self) {}
}

/// Receiver events as the listener saw them: ("started" | "error" | "stopped", info).
#[derive(Default)]
struct ReceiverEvents(Mutex<Vec<(&'static str, ReceiverInfo)>>);

impl StreamingListener for ReceiverEvents {
    fn on_receiver_started(&self, r: &ReceiverInfo) {
        self.0.lock().push(("started", r.clone()));
    }
    fn on_receiver_error(&self, r: &ReceiverInfo) {
        self.0.lock().push(("error", r.clone()));
    }
    fn on_receiver_stopped(&self, r: &ReceiverInfo) {
        self.0.lock().push(("stopped", r.clone()));
    }
}

#[test]
fn panicking_receiver_is_reported_and_restarted_and_local_1_is_enough() {
    let _turn = context_turn();
    let starts = Arc::new(Mutex::new(0));
    let ssc = ssc("local[1]");
    let events = Arc::new(ReceiverEvents::default());
    ssc.add_streaming_listener(events.clone());
    let records = collect(&ssc.receiver_stream(FlakyReceiver { starts: starts.clone() }));
    ssc.start().unwrap();
    wait_for("records after the restart", || records.lock().len() >= 5);
    let info = ssc.receiver_infos().remove(0);
    ssc.stop(true, true);
    assert_eq!(*records.lock(), vec![0, 1, 2, 3, 4]);
    assert_eq!(*starts.lock(), 2);
    assert_eq!(info.restarts, 1);
    assert!(info.last_error_message.contains("Error starting receiver"), "{info:?}");
    ssc.wait_for_listeners();
    let kinds: Vec<&str> = events.0.lock().iter().map(|(k, _)| *k).collect();
    // Started, the panic is reported (the restart), stopped for the restart, started again,
    // and stopped at the end.
    assert_eq!(kinds, vec!["started", "error", "stopped", "started", "stopped"], "{:?}", events.0.lock());
    let error = &events.0.lock()[1].1;
    assert!(error.last_error_message.contains("Error starting receiver 0"), "{error:?}");
}

#[test]
fn graceful_stop_processes_every_received_record() {
    let _turn = context_turn();
    let (port, lines, server) = serve_lines(20_000);
    // Long batches: when stop is called, most records are still waiting for a batch.
    let conf = Conf::empty().master("local[2]").set("spark.streaming.blockInterval", "20ms");
    let ssc = StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(500));
    let seen = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("all lines received", || ssc.receiver_infos()[0].records == 20_000);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(seen.lock().len(), 20_000, "graceful stop loses nothing that was received");
    assert_eq!(*seen.lock(), lines);
}

#[test]
fn zero_block_interval_is_refused_at_start() {
    let _turn = context_turn();
    let conf = Conf::empty().master("local[2]").set("spark.streaming.blockInterval", "0ms");
    let ssc = StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100));
    ssc.socket_text_stream("127.0.0.1", 9).foreach_rdd(|_, _| ());
    let err = ssc.start().unwrap_err();
    assert_eq!(err.to_string(), "requirement failed: 'spark.streaming.blockInterval' should be a positive value");
}

#[test]
fn a_burst_within_one_block_interval_is_cut_into_blocks_of_block_max_records() {
    let _turn = context_turn();
    let (port, lines, server) = serve_lines(10_000);
    // One block interval spans the whole run, so only the record limit can cut blocks early.
    let conf = Conf::empty()
        .master("local[2]")
        .set("spark.streaming.blockInterval", "60s")
        .set("ember.streaming.blockMaxRecords", "1000");
    let ssc = StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100));
    let (seen, partitions) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(Vec::new())));
    let (lines_sink, sizes_sink) = (seen.clone(), partitions.clone());
    ssc.socket_text_stream("127.0.0.1", port).foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        for partition in rdd.glom().collect()? {
            sizes_sink.lock().push(partition.len());
            lines_sink.lock().extend(partition);
        }
        Ok(())
    });
    ssc.start().unwrap();
    wait_for("all lines in batches", || seen.lock().len() == 10_000);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*seen.lock(), lines);
    assert_eq!(*partitions.lock(), vec![1000; 10], "ten full blocks, each its own partition");
}

#[test]
fn an_invalid_block_max_records_is_refused_at_start() {
    let _turn = context_turn();
    for (value, message) in [
        (
            "lots",
            "Invalid value 'lots' for configuration key 'ember.streaming.blockMaxRecords': expected a whole number",
        ),
        ("0", "requirement failed: 'ember.streaming.blockMaxRecords' should be a positive value"),
    ] {
        let conf = Conf::empty().master("local[2]").set("ember.streaming.blockMaxRecords", value);
        let ssc = StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100));
        ssc.socket_text_stream("127.0.0.1", 9).foreach_rdd(|_, _| ());
        assert_eq!(ssc.start().unwrap_err().to_string(), message);
    }
}

#[test]
fn received_blocks_are_kept_serialized_spill_to_disk_and_leave_the_store_after_their_batch() {
    let _turn = context_turn();
    let (port, lines, server) = serve_lines(20_000);
    // A budget of about 40 KB for some 250 KB of serialized lines: blocks must go to disk.
    let local = tempfile::tempdir().unwrap();
    let conf = Conf::empty()
        .master("local[2]")
        .set("spark.driver.memory", "64k")
        .set("spark.local.dir", local.path().to_str().unwrap())
        .set("spark.streaming.blockInterval", "20ms")
        .set("ember.streaming.blockMaxRecords", "2000");
    let ctx = Context::new(conf).unwrap();
    let ssc = StreamingContext::new(&ctx, Duration::from_millis(200));
    let (seen, disk_blocks) = (Arc::new(Mutex::new(Vec::new())), Arc::new(Mutex::new(0)));
    let (sink, disk) = (seen.clone(), disk_blocks.clone());
    let stats = ctx.clone();
    ssc.socket_text_stream("127.0.0.1", port).foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        let mut disk = disk.lock();
        *disk = (*disk).max(stats.block_manager_stats().disk_blocks);
        sink.lock().extend(rdd.collect()?);
        Ok(())
    });
    ssc.start().unwrap();
    wait_for("all lines in batches", || seen.lock().len() == 20_000);
    wait_for("received blocks released", || ctx.block_manager_stats().blocks == 0);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*seen.lock(), lines, "spilled blocks lose nothing and keep their order");
    assert!(*disk_blocks.lock() > 0, "blocks over the budget went to disk");
}

/// Stores one block of 10,000 numbers memory-only, serialized, then idles.
struct MemoryOnlyReceiver;

impl Receiver<u64> for MemoryOnlyReceiver {
    fn on_start(&mut self, ctx: ReceiverContext<u64>) {
        ctx.store_many((0..10_000).collect());
    }
    fn on_stop(&mut self) {}
    fn storage_level(&self) -> ember_core::StorageLevel {
        ember_core::StorageLevel::MEMORY_ONLY_SER
    }
}

#[test]
fn a_block_that_does_not_fit_a_memory_only_level_is_reported_lost() {
    let _turn = context_turn();
    let conf = Conf::empty().master("local[2]").set("spark.driver.memory", "16k");
    let ssc = StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100));
    let events = Arc::new(ReceiverEvents::default());
    ssc.add_streaming_listener(events.clone());
    ssc.receiver_stream(MemoryOnlyReceiver).foreach_rdd(|_, _| ());
    ssc.start().unwrap();
    wait_for("the loss reported", || ssc.receiver_infos()[0].errors > 0);
    let info = ssc.receiver_infos().remove(0);
    ssc.stop(true, true);
    let message = info.last_error_message;
    assert!(
        message.starts_with("Error storing a received block, its records are lost: Could not store input-"),
        "{message}"
    );
    assert!(
        message.ends_with("to block manager with storage level StorageLevel(memory, serialized, 1 replicas)"),
        "{message}"
    );
    assert_eq!(info.records, 10_000);
}
