//! Helpers shared by the streaming test suites. Each suite compiles this module on its own and
//! uses some of it, so the rest is unused there.
#![allow(dead_code)]

use ember_core::Data;
use ember_streaming::receiver::{Receiver, ReceiverContext};
use ember_streaming::scheduler::listener::{BatchInfo, StreamingListener};
use ember_streaming::DStream;
use parking_lot::Mutex;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// Each batch sorted: Spark's suites compare such batches as sets (`useSet = true`).
pub fn sorted<T: Ord>(batches: Vec<Vec<T>>) -> Vec<Vec<T>> {
    batches
        .into_iter()
        .map(|mut b| {
            b.sort();
            b
        })
        .collect()
}

/// Collects every record of every batch of `stream`.
pub fn collect<T: Data>(stream: &DStream<T>) -> Arc<Mutex<Vec<T>>> {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    stream.foreach_rdd(move |rdd, _| -> ember_core::Result<()> {
        sink.lock().extend(rdd.collect()?);
        Ok(())
    });
    seen
}

/// Polls `done` until it holds; fails the test after 20 s.
pub fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Everything logged by any thread of this test binary, without colours (installs the global
/// subscriber on first use).
pub fn logs() -> &'static Mutex<Vec<u8>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Arc::new(Mutex::new(Vec::new()));
        let sink = logs.clone();
        let subscriber =
            tracing_subscriber::fmt().with_ansi(false).with_writer(move || LogWriter(sink.clone())).finish();
        tracing::subscriber::set_global_default(subscriber).unwrap();
        logs
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The logged lines that mention `needle`.
pub fn log_lines_with(needle: &str) -> Vec<String> {
    String::from_utf8_lossy(&logs().lock()).lines().filter(|l| l.contains(needle)).map(str::to_owned).collect()
}

/// The batch times listeners saw submitted and completed, in order.
#[derive(Default)]
pub struct Batches {
    pub submitted: Mutex<Vec<u64>>,
    pub completed: Mutex<Vec<u64>>,
    pub completed_infos: Mutex<Vec<BatchInfo>>,
}

impl StreamingListener for Batches {
    fn on_batch_submitted(&self, batch: &BatchInfo) {
        self.submitted.lock().push(batch.batch_time.millis());
    }
    fn on_batch_completed(&self, batch: &BatchInfo) {
        self.completed.lock().push(batch.batch_time.millis());
        self.completed_infos.lock().push(batch.clone());
    }
}

/// A receiver that stores what the test hands it: `on_start` puts its context in the slot.
pub struct Pushed(pub Arc<Mutex<Option<ReceiverContext<i32>>>>);

impl Receiver<i32> for Pushed {
    fn on_start(&mut self, ctx: ReceiverContext<i32>) {
        *self.0.lock() = Some(ctx);
    }
    fn on_stop(&mut self) {}
}
