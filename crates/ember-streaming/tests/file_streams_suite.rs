//! File streams (Spark's `InputStreamsSuite` file cases): files moved into the directory while
//! the stream runs are read once each; files already there, hidden files and appends are not;
//! a binary file ending in a partial record, or a file that vanishes before it is read, fails
//! its batch with an error naming the file, and the stream keeps running.

use ember_core::{Conf, Context};
use ember_streaming::testing::context_turn;
use ember_streaming::StreamingContext;
use parking_lot::Mutex;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn ssc() -> StreamingContext {
    StreamingContext::new(&Context::new(Conf::empty().master("local[2]")).unwrap(), Duration::from_millis(100))
}

/// Writes `contents` beside `dir` and renames it in, as Spark's guide asks.
fn move_in(dir: &Path, name: &str, contents: &[u8]) {
    let staging = dir.parent().unwrap().join(format!("staging-{name}"));
    std::fs::write(&staging, contents).unwrap();
    std::fs::rename(&staging, dir.join(name)).unwrap();
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn text_files_moved_in_while_running_are_read_once() {
    let _turn = context_turn();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("already-there.txt"), "old\n").unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let ssc = ssc();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    ssc.text_file_stream(&dir).foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        sink.lock().extend(rdd.collect()?);
        Ok(())
    });
    ssc.start().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    move_in(&dir, "a.txt", b"a1\na2\n");
    wait_for("a.txt", || lines.lock().len() >= 2);
    move_in(&dir, ".hidden", b"h\n");
    move_in(&dir, "b.txt", b"b1\n");
    wait_for("b.txt", || lines.lock().len() >= 3);
    std::thread::sleep(Duration::from_millis(300)); // a few more batches: nothing is read twice
    ssc.stop(true, true);
    assert_eq!(*lines.lock(), vec!["a1", "a2", "b1"]);
}

#[test]
fn binary_records_and_a_partial_record_error() {
    let _turn = context_turn();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let ssc = ssc();
    let records = Arc::new(Mutex::new(Vec::new()));
    let sink = records.clone();
    ssc.binary_records_stream(&dir, 4).foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        sink.lock().extend(rdd.collect()?);
        Ok(())
    });
    ssc.start().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    move_in(&dir, "good.bin", b"abcdefgh");
    wait_for("two records", || records.lock().len() >= 2);
    move_in(&dir, "bad.bin", b"abcdef");
    let err = ssc.await_termination_or_timeout(Duration::from_secs(20)).unwrap_err().to_string();
    ssc.stop(true, false);
    assert_eq!(*records.lock(), vec![b"abcd".to_vec(), b"efgh".to_vec()]);
    assert!(err.contains("bad.bin") && err.contains("recordLength: 4"), "{err}");
}

#[test]
fn a_file_that_vanishes_before_it_is_read_is_a_reported_error_not_a_crash() {
    let _turn = context_turn();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let ssc = ssc();
    let (d, counts) = (dir.clone(), Arc::new(Mutex::new(Vec::new())));
    let sink = counts.clone();
    // The batch selects the file; it disappears before the job reads it.
    ssc.text_file_stream(&dir).foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        if d.join("gone.txt").exists() {
            std::fs::remove_file(d.join("gone.txt")).unwrap();
        }
        sink.lock().push(rdd.count()?);
        Ok(())
    });
    ssc.start().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    move_in(&dir, "gone.txt", b"never read\n");
    let err = ssc.await_termination_or_timeout(Duration::from_secs(20)).unwrap_err().to_string();
    assert!(err.contains("gone.txt") && err.contains("No such file"), "{err}");
    // The stream is still running: later batches keep completing.
    let before = counts.lock().len();
    wait_for("more batches", || counts.lock().len() > before + 2);
    ssc.stop(true, false);
}
