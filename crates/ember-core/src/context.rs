//! `Context`: the entry point to the engine (Spark's `SparkContext`).

use crate::conf::Master;

use crate::scheduler::listener::{ListenerBus, SparkListener};
use crate::scheduler::{dag_hooks, Executor};
use crate::shuffle::ShuffleManager;
use crate::storage::{BlockManager, BlockManagerStats, MemoryClaim};
use crate::{Conf, Error, Result};
use parking_lot::Mutex;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

struct Inner {
    conf: Conf,
    threads: usize,
    max_failures: usize,
    executor: Executor,
    bus: ListenerBus,
    blocks: Arc<BlockManager>,
    shuffles: ShuffleManager,
    local_dir: PathBuf,
    checkpoint_dir: Mutex<Option<PathBuf>>,
    stopped: AtomicBool,
    next_rdd: AtomicUsize,
    next_shuffle: AtomicUsize,
    next_job: AtomicUsize,
    next_stage: AtomicUsize,
    next_task: AtomicU64,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.executor.shutdown();
        let _ = std::fs::remove_dir_all(&self.local_dir);
    }
}

/// The engine: executor threads, block store, shuffle and listener bus. Cheap to clone.
///
/// ```
/// use ember_core::{Conf, Context};
/// let ctx = Context::new(Conf::new().master("local[2]").app_name("doc")).unwrap();
/// assert_eq!(ctx.default_parallelism(), 2);
/// let sum = ctx.parallelize((1..=100).collect::<Vec<u64>>(), 4).reduce(|a, b| a + b).unwrap();
/// assert_eq!(sum, Some(5050));
/// ctx.stop();
/// assert!(ctx.parallelize(vec![1], 1).count().is_err());
/// ```
#[derive(Clone)]
pub struct Context {
    inner: Arc<Inner>,
}

static LOCAL_DIRS: AtomicUsize = AtomicUsize::new(0);

impl Context {
    /// Starts an engine as `conf` describes (`spark.master`, memory, local dir, …).
    pub fn new(conf: Conf) -> Result<Context> {
        dag_hooks::install_panic_hook();
        let master = Master::parse(conf.get("spark.master").unwrap_or("local[*]"))?;
        let max_failures = match master.max_failures {
            Some(n) => n,
            None => conf.get_usize("spark.task.maxFailures")?,
        }
        .max(1);
        let memory = conf.get_bytes("spark.driver.memory", 4 << 30)?;
        let budget = (memory as f64 * conf.get_f64("spark.memory.fraction", 0.6)?) as u64;
        let root = conf.get("spark.local.dir").map(PathBuf::from).unwrap_or_else(std::env::temp_dir);
        let local_dir =
            root.join(format!("ember-{}-{}", std::process::id(), LOCAL_DIRS.fetch_add(1, Ordering::Relaxed)));
        std::fs::create_dir_all(&local_dir)
            .map_err(|e| Error::io(format!("Cannot create spark.local.dir {}", local_dir.display()), e))?;
        let blocks =
            Arc::new(BlockManager::new(budget, local_dir.clone(), conf.get_bool("spark.rdd.compress", false)?));
        let shuffles = ShuffleManager::new(
            blocks.clone(),
            local_dir.join("shuffle"),
            conf.get_bool("spark.shuffle.spill.compress", true)?,
        );
        let bus_capacity = conf.get_usize("spark.scheduler.listenerbus.eventqueue.capacity")?;
        for (key, near) in conf.unknown_keys() {
            tracing::debug!("configuration key {key} is not used by Ember (closest known: {near:?})");
        }
        Ok(Context {
            inner: Arc::new(Inner {
                threads: master.threads,
                max_failures,
                executor: Executor::new(master.threads)?,
                bus: ListenerBus::with_capacity("ember-listener-bus", bus_capacity),
                blocks,
                shuffles,
                local_dir,
                checkpoint_dir: Mutex::new(None),
                stopped: AtomicBool::new(false),
                next_rdd: AtomicUsize::new(0),
                next_shuffle: AtomicUsize::new(0),
                next_job: AtomicUsize::new(0),
                next_stage: AtomicUsize::new(0),
                next_task: AtomicU64::new(0),
                conf,
            }),
        })
    }

    /// `Context::new(Conf::new().master("local[threads]"))`.
    pub fn local(threads: usize) -> Result<Context> {
        Context::new(Conf::new().master(&format!("local[{threads}]")))
    }

    /// The configuration the context was started with.
    pub fn conf(&self) -> &Conf {
        &self.inner.conf
    }

    /// `spark.app.name`.
    pub fn app_name(&self) -> &str {
        self.inner.conf.get("spark.app.name").unwrap_or("ember")
    }

    /// `spark.default.parallelism` if set, else the number of executor threads.
    pub fn default_parallelism(&self) -> usize {
        self.configured_parallelism().unwrap_or(self.inner.threads)
    }

    pub(crate) fn configured_parallelism(&self) -> Option<usize> {
        self.inner.conf.get_usize_opt("spark.default.parallelism").ok().flatten().filter(|n| *n > 0)
    }

    /// Number of executor threads (the `n` of `local[n]`).
    pub fn executor_threads(&self) -> usize {
        self.inner.executor.threads()
    }

    /// The directory for spills and disk blocks (under `spark.local.dir`), removed on stop.
    pub fn local_dir(&self) -> &Path {
        &self.inner.local_dir
    }

    /// Sets the directory under which `rdd.checkpoint()` writes. A fresh subdirectory is created
    /// inside it, as Spark does; an unwritable location is an error now, not at the first job.
    pub fn set_checkpoint_dir(&self, dir: impl AsRef<Path>) -> Result<()> {
        let dir = dir.as_ref().join(format!("ember-{}-{}", std::process::id(), crate::scheduler::listener::now_ms()));
        std::fs::create_dir_all(&dir)
            .map_err(|e| Error::io(format!("Cannot create checkpoint directory {}", dir.display()), e))?;
        *self.inner.checkpoint_dir.lock() = Some(dir);
        Ok(())
    }

    /// The checkpoint directory, once set.
    pub fn checkpoint_dir(&self) -> Option<PathBuf> {
        self.inner.checkpoint_dir.lock().clone()
    }

    /// Registers a listener for job, stage and task events.
    pub fn add_listener(&self, listener: Arc<dyn SparkListener>) {
        self.inner.bus.add_listener(Arc::new(move |e| listener.on_event(e)));
    }

    /// Blocks until listeners have seen every event posted so far.
    pub fn wait_for_listeners(&self) {
        self.inner.bus.wait_until_empty();
    }

    /// Block store counters (cache hits, evictions, memory in use).
    pub fn block_manager_stats(&self) -> BlockManagerStats {
        self.inner.blocks.stats()
    }

    /// A new, empty claim on the memory budget for state held outside the block store.
    pub fn claim_memory(&self) -> MemoryClaim {
        MemoryClaim::new(self.clone())
    }

    /// Shuffles whose outputs are still held (their RDDs are alive).
    pub fn live_shuffles(&self) -> usize {
        self.inner.shuffles.live_shuffles()
    }

    /// Stops the engine: running tasks finish, new jobs fail with [`Error::ContextStopped`],
    /// and the local directory is removed. Stopping twice is harmless.
    pub fn stop(&self) {
        if !self.inner.stopped.swap(true, Ordering::SeqCst) {
            self.inner.executor.shutdown();
            self.inner.bus.wait_until_empty();
            let _ = std::fs::remove_dir_all(&self.inner.local_dir);
            tracing::info!("Context stopped");
        }
    }

    /// Whether `stop()` has been called.
    pub fn is_stopped(&self) -> bool {
        self.inner.stopped.load(Ordering::SeqCst)
    }

    pub(crate) fn check_running(&self) -> Result<()> {
        if self.is_stopped() {
            Err(Error::ContextStopped)
        } else {
            Ok(())
        }
    }

    pub(crate) fn block_manager(&self) -> &BlockManager {
        &self.inner.blocks
    }
    pub(crate) fn shuffle_manager(&self) -> &ShuffleManager {
        &self.inner.shuffles
    }
    pub(crate) fn executor(&self) -> &Executor {
        &self.inner.executor
    }
    pub(crate) fn bus(&self) -> &ListenerBus {
        &self.inner.bus
    }
    pub(crate) fn max_task_failures(&self) -> usize {
        self.inner.max_failures
    }
    pub(crate) fn new_rdd_id(&self) -> usize {
        self.inner.next_rdd.fetch_add(1, Ordering::Relaxed)
    }
    pub(crate) fn new_shuffle_id(&self) -> usize {
        self.inner.next_shuffle.fetch_add(1, Ordering::Relaxed)
    }
    pub(crate) fn next_job_id(&self) -> usize {
        self.inner.next_job.fetch_add(1, Ordering::Relaxed)
    }
    pub(crate) fn next_stage_id(&self) -> usize {
        self.inner.next_stage.fetch_add(1, Ordering::Relaxed)
    }
    pub(crate) fn next_task_id(&self) -> u64 {
        self.inner.next_task.fetch_add(1, Ordering::Relaxed)
    }
}
