//! # ember-core
//!
//! Ember's RDD engine, in Spark Core's role: a [`Context`] runs jobs over [`Rdd`]s, lazy and
//! partitioned datasets recomputed from their lineage. The DAG scheduler cuts each job into
//! stages at shuffle boundaries and runs tasks on a fixed pool of executor threads; narrow
//! transformations pipeline within a task; shuffles combine map-side and spill to
//! `spark.local.dir` when the memory budget is exhausted; the block store keeps persisted
//! partitions at Spark's storage levels, evicting least recently used blocks.
//!
//! ```
//! use ember_core::Context;
//! let ctx = Context::local(2)?;
//! let lines = ctx.parallelize(vec!["a b".to_string(), "b".to_string()], 2);
//! let mut counts = lines
//!     .flat_map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
//!     .map(|w| (w, 1u64))
//!     .reduce_by_key(|a, b| a + b)
//!     .collect()?;
//! counts.sort();
//! assert_eq!(counts, vec![("a".to_string(), 1), ("b".to_string(), 2)]);
//! # Ok::<(), ember_core::Error>(())
//! ```

#![warn(missing_docs)]

pub mod accumulator;
pub mod broadcast;
pub mod codec;
mod conf;
mod context;
mod data;
mod error;
pub mod event_bus;
pub mod partitioner;
pub mod rdd;
mod scheduler;
mod shuffle;
mod storage;

pub use accumulator::Accumulator;
pub use broadcast::Broadcast;
pub use conf::Conf;
pub use context::Context;
pub use data::{Data, Key};
pub use error::{Error, Result};
pub use partitioner::{HashPartitioner, Partitioner, RangePartitioner};
pub use rdd::{PartitionIter, Rdd};
pub use scheduler::listener;
pub use scheduler::TaskContext;
pub use storage::{BlockManagerStats, MemoryClaim, StorageLevel};
