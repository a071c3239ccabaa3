//! The executor: a fixed pool of worker threads that run tasks, shared by all jobs.

use crate::{Error, Result};
use crossbeam_channel::{Receiver, Sender};
use parking_lot::Mutex;
use std::thread::JoinHandle;

type Work = Box<dyn FnOnce() + Send>;

pub(crate) struct Executor {
    sender: Mutex<Option<Sender<Work>>>,
    threads: usize,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl Executor {
    pub(crate) fn new(threads: usize) -> Result<Executor> {
        let (sender, receiver) = crossbeam_channel::unbounded::<Work>();
        let mut workers = Vec::with_capacity(threads);
        for i in 0..threads {
            let rx: Receiver<Work> = receiver.clone();
            let worker = std::thread::Builder::new()
                .name(format!("ember-executor-{i}"))
                .spawn(move || {
                    while let Ok(work) = rx.recv() {
                        work();
                    }
                })
                .map_err(|e| Error::io("starting executor thread", e))?;
            workers.push(worker);
        }
        Ok(Executor { sender: Mutex::new(Some(sender)), threads, workers: Mutex::new(workers) })
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

    /// Lets queued tasks finish and waits for the threads to exit, so nothing runs once the
    /// engine removes its directories. Called from a task, that task's own thread is not waited
    /// for (it would wait for itself); it exits once the task returns.
    pub(crate) fn shutdown(&self) {
        self.sender.lock().take();
        let me = std::thread::current().id();
        for worker in std::mem::take(&mut *self.workers.lock()) {
            if worker.thread().id() != me {
                let _ = worker.join();
            }
        }
    }
}
