//! # ember-streaming
//!
//! Spark Streaming's DStream model on Ember's RDD engine. A [`StreamingContext`] cuts time
//! into batches; each [`DStream`] is a sequence of RDDs, one per batch; output operations run a
//! job per batch. Semantics follow Spark's: batch times at multiples of the interval, RDDs
//! cached per batch and dropped after their remember duration, output operations run in
//! registration order.
//!
//! ```
//! use ember_streaming::testing::run_operation;
//! let counts = run_operation(
//!     vec![vec!["a".to_string(), "b".into(), "a".into()]],
//!     1,
//!     |s| s.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b),
//! ).unwrap();
//! let mut batch = counts[0].clone();
//! batch.sort();
//! assert_eq!(batch, vec![("a".to_string(), 2), ("b".to_string(), 1)]);
//! ```

#![warn(missing_docs)]

mod context;
pub mod dstream;
mod rdd;
pub mod receiver;
pub mod scheduler;
mod shutdown_hook;
mod state;
mod state_spec;
pub mod testing;
mod time;
pub mod util;

pub use context::{StreamingContext, StreamingContextState};
pub use dstream::{DStream, JobResult, MapWithStateDStream, RddQueue, SparkDisplay};
pub use state::State;
pub use state_spec::StateSpec;
pub use time::Time;
