//! The socket receiver against real TCP servers on 127.0.0.1 that the tests start and stop:
//! stopping never leaves a connection open (not even one still being made when stop came), a
//! reconnect's connection is the one that stays open and that stop closes, and a line longer
//! than `ember.streaming.socket.maxLineBytes` is skipped and reported while the lines after it
//! still arrive.

mod common;
use common::{collect, wait_for};

use ember_core::{Conf, Context};
use ember_streaming::testing::context_turn;
use ember_streaming::StreamingContext;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

/// A context on `local[2]` with short blocks and restarts, plus the `extra` settings.
fn ssc(extra: &[(&str, &str)]) -> StreamingContext {
    let conf = extra.iter().fold(
        Conf::empty()
            .master("local[2]")
            .set("spark.streaming.blockInterval", "20ms")
            .set("spark.streaming.receiverRestartDelay", "100"),
        |conf, (key, value)| conf.set(*key, *value),
    );
    StreamingContext::new(&Context::new(conf).unwrap(), Duration::from_millis(100))
}

/// Asserts the client closes `conn` (the server reads end of stream) within a few seconds.
fn assert_closed_by_client(conn: &mut TcpStream, which: &str) {
    conn.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut byte = [0u8; 1];
    match conn.read(&mut byte) {
        Ok(0) => {}
        Ok(_) => panic!("{which}: the client sent data"),
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
            panic!("{which}: still open 5 s after it should have been closed")
        }
        Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
        Err(e) => panic!("{which}: {e}"),
    }
}

/// Connects to `addr` until the listener's accept queue is full (a connect times out). Linux then
/// drops further SYNs, so a new connect hangs, retrying, until the queue has room again.
#[cfg(target_os = "linux")]
fn fill_accept_queue(addr: SocketAddr) -> Vec<TcpStream> {
    let mut fillers = Vec::new();
    while let Ok(filler) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
        fillers.push(filler);
        assert!(fillers.len() < 10_000, "the accept queue never filled");
    }
    fillers
}

#[test]
#[cfg(target_os = "linux")]
fn stopping_during_a_slow_connect_leaves_no_connection_open() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let fillers = fill_accept_queue(addr);
    let ssc = ssc(&[]);
    ssc.socket_text_stream("127.0.0.1", addr.port()).foreach_rdd(|_, _| ());
    ssc.start().unwrap();
    // The receiver's first SYN was dropped: it is connecting when stop comes.
    std::thread::sleep(Duration::from_millis(300));
    ssc.stop(true, true);
    // Make room: the kernel retries the SYN after 1 s, within the receiver's 5 s connect timeout,
    // and this time the connect completes.
    let filler_addrs: Vec<SocketAddr> = fillers.iter().map(|f| f.local_addr().unwrap()).collect();
    listener.set_nonblocking(true).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut receiver_conn = loop {
        match listener.accept() {
            Ok((conn, peer)) if !filler_addrs.contains(&peer) => break conn,
            Ok(_) => {}
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                assert!(Instant::now() < deadline, "the receiver's connect never completed");
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("accept: {e}"),
        }
    };
    receiver_conn.set_nonblocking(false).unwrap();
    assert_closed_by_client(&mut receiver_conn, "the connection completed after stop");
}

#[test]
fn a_reconnect_keeps_its_new_connection_open_and_stop_closes_it() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (received_b, wait_b) = std::sync::mpsc::channel::<()>();
    let server = std::thread::spawn(move || {
        // The first connection ends: the receiver restarts and connects again.
        listener.accept().unwrap().0.write_all(b"a\n").unwrap();
        let (mut second, _) = listener.accept().unwrap();
        second.write_all(b"b\n").unwrap();
        // Long after the first generation is gone, the second connection still works...
        wait_b.recv().unwrap();
        std::thread::sleep(Duration::from_millis(300));
        second.write_all(b"c\n").unwrap();
        // ...until stop closes it.
        assert_closed_by_client(&mut second, "the second connection");
    });
    let ssc = ssc(&[]);
    let lines = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("a and b", || lines.lock().len() >= 2);
    received_b.send(()).unwrap();
    wait_for("c on the second connection", || lines.lock().len() >= 3);
    let info = ssc.receiver_infos().remove(0);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(*lines.lock(), vec!["a", "b", "c"]);
    assert_eq!(info.restarts, 1, "{info:?}");
}

/// `lines`, with any line longer than 80 bytes shown as its length (so a failure stays readable).
fn shown(lines: &[String]) -> Vec<String> {
    lines.iter().map(|l| if l.len() > 80 { format!("<{} bytes>", l.len()) } else { l.clone() }).collect()
}

#[test]
fn a_line_longer_than_max_line_bytes_is_skipped_and_reported_and_the_next_lines_arrive() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(b"before\n").unwrap();
        // 5 MB without a newline: the receiver must not hold it.
        let chunk = vec![b'x'; 1 << 20];
        (0..5).for_each(|_| conn.write_all(&chunk).unwrap());
        conn.write_all(b"\nafter\n").unwrap();
        // Exactly the cap (its "\r\n" not counted) arrives; one byte more is skipped.
        conn.write_all(&[vec![b'a'; 1024], b"\r\n".to_vec()].concat()).unwrap();
        conn.write_all(&[vec![b'b'; 1025], b"\n".to_vec()].concat()).unwrap();
        conn.write_all(b"last\n").unwrap();
        // Held open, so a reconnect's error does not replace the one under test.
        assert_closed_by_client(&mut conn, "the connection after stop");
    });
    let ssc = ssc(&[("ember.streaming.socket.maxLineBytes", "1024")]);
    let lines = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("the last line", || lines.lock().iter().any(|l| l == "last"));
    let info = ssc.receiver_infos().remove(0);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(shown(&lines.lock()), vec!["before", "after", "<1024 bytes>", "last"]);
    assert_eq!((info.records, info.errors), (4, 2), "{info:?}");
    assert_eq!(info.last_error_message, "Skipped line 5: longer than ember.streaming.socket.maxLineBytes (1024 bytes)");
}

#[test]
fn the_default_max_line_bytes_is_one_mebibyte() {
    let _turn = context_turn();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        conn.write_all(&[vec![b'x'; (1 << 20) + 1], b"\nafter\n".to_vec()].concat()).unwrap();
        assert_closed_by_client(&mut conn, "the connection after stop");
    });
    let ssc = ssc(&[]);
    let lines = collect(&ssc.socket_text_stream("127.0.0.1", port));
    ssc.start().unwrap();
    wait_for("the line after the long one", || lines.lock().iter().any(|l| l == "after"));
    let info = ssc.receiver_infos().remove(0);
    ssc.stop(true, true);
    server.join().unwrap();
    assert_eq!(shown(&lines.lock()), vec!["after"]);
    assert_eq!(
        info.last_error_message,
        "Skipped line 1: longer than ember.streaming.socket.maxLineBytes (1048576 bytes)"
    );
}

#[test]
fn an_invalid_max_line_bytes_is_refused_at_start() {
    let _turn = context_turn();
    let key = "ember.streaming.socket.maxLineBytes";
    let unparsable = |value: &str| {
        format!("Invalid value '{value}' for configuration key '{key}': expected a size such as 512m or 2g")
    };
    for (value, message) in [
        ("0", format!("requirement failed: '{key}' should be a positive value")),
        ("-1", unparsable("-1")),
        ("lots", unparsable("lots")),
    ] {
        let ssc = ssc(&[(key, value)]);
        ssc.socket_text_stream("127.0.0.1", 9).foreach_rdd(|_, _| ());
        let started = ssc.start();
        ssc.stop(true, false);
        assert_eq!(started.map_err(|e| e.to_string()), Err(message), "value {value}");
    }
}
