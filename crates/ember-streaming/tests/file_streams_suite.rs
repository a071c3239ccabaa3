//! File streams (Spark's `InputStreamsSuite` file cases): files moved into the directory while
//! the stream runs are read once each; files already there, hidden files and appends are not;
//! a binary file ending in a partial record, or a file that vanishes before it is read, fails
//! its batch with an error naming the file, and the stream keeps running. A listed file the
//! stream cannot consider (a dangling symlink, a name that is not UTF-8) is skipped with a
//! warning and a listener event, once while it stays listed.

mod common;
use common::{log_lines_with, logs, wait_for};

use ember_core::{Conf, Context};
use ember_streaming::scheduler::listener::{SkippedInputFile, StreamingListener};
use ember_streaming::testing::context_turn;
use ember_streaming::StreamingContext;
use parking_lot::Mutex;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

#[derive(Default)]
struct Skipped(Mutex<Vec<SkippedInputFile>>);

impl StreamingListener for Skipped {
    fn on_input_file_skipped(&self, file: &SkippedInputFile) {
        self.0.lock().push(file.clone());
    }
}

/// A running text file stream over a fresh directory, with its lines and skipped files.
struct Watched {
    root: tempfile::TempDir,
    dir: std::path::PathBuf,
    ssc: StreamingContext,
    skipped: Arc<Skipped>,
    lines: Arc<Mutex<Vec<String>>>,
}

fn watched() -> Watched {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("in");
    std::fs::create_dir(&dir).unwrap();
    let ssc = ssc();
    let skipped = Arc::new(Skipped::default());
    ssc.add_streaming_listener(skipped.clone());
    let lines = common::collect(&ssc.text_file_stream(&dir));
    ssc.start().unwrap();
    std::thread::sleep(Duration::from_millis(150));
    Watched { root, dir, ssc, skipped, lines }
}

fn ssc() -> StreamingContext {
    StreamingContext::new(&Context::new(Conf::empty().master("local[2]")).unwrap(), Duration::from_millis(100))
}

/// Writes `contents` beside `dir` and renames it in, as Spark's guide asks.
fn move_in(dir: &Path, name: &str, contents: &[u8]) {
    let staging = dir.parent().unwrap().join(format!("staging-{name}"));
    std::fs::write(&staging, contents).unwrap();
    std::fs::rename(&staging, dir.join(name)).unwrap();
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

#[test]
fn a_dangling_symlink_is_reported_once_while_listed_and_the_other_files_are_read() {
    logs();
    let _turn = context_turn();
    let Watched { root, dir, ssc, skipped, lines } = watched();
    let broken = dir.join("broken.txt");
    std::os::unix::fs::symlink(root.path().join("nowhere.txt"), &broken).unwrap();
    move_in(&dir, "good.txt", b"g1\ng2\n");
    wait_for("good.txt", || lines.lock().len() >= 2);
    wait_for("the skipped file's event", || !skipped.0.lock().is_empty());
    std::thread::sleep(Duration::from_millis(500)); // five more batches list it again
    ssc.wait_for_listeners();
    {
        let events = skipped.0.lock();
        assert_eq!(events.len(), 1, "reported once, not every batch: {events:?}");
        assert_eq!(events[0].path, broken);
        assert!(events[0].reason.contains("No such file or directory"), "{:?}", events[0]);
        assert!(events[0].reason.contains("a symbolic link to") && events[0].reason.contains("nowhere.txt"));
        assert!(events[0].batch_time.millis() > 0);
    }
    let warnings = log_lines_with(&broken.display().to_string());
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("WARN") && warnings[0].contains("No such file or directory"), "{warnings:?}");
    // Once no longer listed it is forgotten: back again, it is reported again.
    std::fs::remove_file(&broken).unwrap();
    std::thread::sleep(Duration::from_millis(300));
    std::os::unix::fs::symlink(root.path().join("nowhere.txt"), &broken).unwrap();
    wait_for("the second event", || skipped.0.lock().len() >= 2);
    std::thread::sleep(Duration::from_millis(300));
    ssc.stop(true, true);
    ssc.wait_for_listeners();
    let events = skipped.0.lock().clone();
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!((events[1].stream_id, &events[1].path), (events[0].stream_id, &broken));
    assert_eq!(log_lines_with(&broken.display().to_string()).len(), 2);
    assert_eq!(*lines.lock(), vec!["g1", "g2"]);
    assert!(ssc.await_termination_or_timeout(Duration::ZERO).is_ok(), "a skipped file fails no batch");
}

#[test]
fn a_file_whose_name_is_not_utf8_is_reported_not_silently_skipped() {
    use std::os::unix::ffi::OsStrExt;
    let _turn = context_turn();
    let Watched { root, dir, ssc, skipped, lines } = watched();
    let name = std::ffi::OsStr::from_bytes(b"latin1-\xe9.txt");
    std::fs::write(root.path().join("staging"), "x\n").unwrap();
    std::fs::rename(root.path().join("staging"), dir.join(name)).unwrap();
    move_in(&dir, "good.txt", b"g\n");
    wait_for("good.txt", || !lines.lock().is_empty());
    wait_for("the skipped file's event", || !skipped.0.lock().is_empty());
    ssc.stop(true, true);
    ssc.wait_for_listeners();
    let events = skipped.0.lock().clone();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(
        (events[0].path.as_path(), events[0].reason.as_str()),
        (dir.join(name).as_path(), "its name is not valid UTF-8")
    );
    assert_eq!(*lines.lock(), vec!["g"]);
}

#[test]
fn a_file_without_read_permission_fails_its_batch_with_its_name_unless_root_can_read_it() {
    use std::os::unix::fs::PermissionsExt;
    let _turn = context_turn();
    let Watched { root, dir, ssc, skipped, lines } = watched();
    let staging = root.path().join("staging-secret.txt");
    std::fs::write(&staging, "s1\n").unwrap();
    std::fs::set_permissions(&staging, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Mode 000 stops reads only without CAP_DAC_OVERRIDE: these tests usually run as root,
    // where the file is read like any other, so the dangling-symlink test above is what covers
    // a file the stream cannot read.
    let permissions_enforced = std::fs::File::open(&staging).is_err();
    std::fs::rename(&staging, dir.join("secret.txt")).unwrap();
    if permissions_enforced {
        // Its metadata is readable, so it is selected; reading it fails that batch, naming it.
        let err = ssc.await_termination_or_timeout(Duration::from_secs(20)).unwrap_err().to_string();
        assert!(err.contains("secret.txt") && err.contains("Permission denied"), "{err}");
    } else {
        wait_for("secret.txt, readable by root", || !lines.lock().is_empty());
    }
    ssc.stop(true, true);
    ssc.wait_for_listeners();
    let events = skipped.0.lock().clone();
    assert!(events.is_empty(), "{events:?}");
    if !permissions_enforced {
        assert_eq!(*lines.lock(), vec!["s1"]);
    }
}
