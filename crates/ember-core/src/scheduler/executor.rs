//! The executor: a fixed pool of worker threads that run tasks, shared by all jobs.

use crate::{Error, Result};
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;

type Work = Box<dyn FnOnce() + Send>;

pub(crate) struct Executor {
    sender: Mutex<Option<Sender<Work>>>,
    threads: usize,
}

impl Executor {
    pub(crate) fn new(threads: usize) -> Result<Executor> {
        let (sender, receiver) = crossbeam_channel::unbounded::<Work>();
        for i in 0..threads {
            let rx: Receiver<Work> = receiver.clone();
            std::thread::Builder::new()
                .name(format!("ember-executor-{i}"))
                .spawn(move || {
                    while let Ok(work) = rx.recv() {
                        work();
                    }
                })
                .map_err(|e| Error::io("starting executor thread", e))?;
        }
        Ok(Executor { sender: Mutex::new(Some(sender)), threads })
    }

    pub(crate) fn threads(&self) -> usize {
        self.threads
    }

    pub(crate) fn submit(&self, work: Work) -> Result<()> {
        match &*self.sender.lock() {
            Some(tx) => tx.send(work).map_err(|_| Error::ContextStopped),
            None => Err(Error::ContextStopped),
        }
    }

    /// Lets queued tasks finish, then the threads exit.
    pub(crate) fn shutdown(&self) {
        self.sender.lock().take();
    }
}
