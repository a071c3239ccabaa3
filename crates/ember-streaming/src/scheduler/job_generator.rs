//! `JobGenerator`: a recurring timer on the context's clock that, at every batch time,
//! generates the batch's jobs from the graph and hands them to the scheduler.

use crate::context::SscInner;
use crate::Time;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

pub(crate) struct JobGenerator {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl JobGenerator {
    /// Starts the timer; the first batch is at `first_batch`.
    pub(crate) fn start(ssc: Arc<SscInner>, first_batch: Time) -> JobGenerator {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::Builder::new()
            .name("JobGenerator".into())
            .spawn(move || {
                super::mark_streaming_thread();
                let mut time = first_batch;
                while ssc.clock.wait_till(time.millis(), &flag) {
                    ssc.generate_batch(time);
                    time = time + ssc.batch;
                }
            })
            .expect("spawning the job generator thread");
        JobGenerator { stop, thread: Some(thread) }
    }

    /// Stops the timer (a batch being generated finishes first). Called from the timer's own
    /// thread (a transform that stops the context), it does not wait for itself.
    pub(crate) fn stop(&mut self, ssc: &SscInner) {
        self.stop.store(true, Ordering::SeqCst);
        ssc.clock.wake();
        if let Some(thread) = self.thread.take() {
            if thread.thread().id() != std::thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}
