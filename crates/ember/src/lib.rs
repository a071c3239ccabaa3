//! # Ember
//!
//! Apache Spark Streaming rebuilt in Rust. This facade re-exports the engine
//! ([`core`], Spark Core's role) and the streaming layer ([`streaming`]); most programs need only
//! the [`prelude`].
//!
//! ```
//! use ember::prelude::*;
//! let ctx = Context::local(2)?;
//! let counts = ctx
//!     .parallelize(ember::demo::generate_lines(100, 50, 7), 2)
//!     .flat_map(|l: String| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
//!     .map(|w| (w, 1u64))
//!     .reduce_by_key(|a, b| a + b);
//! assert_eq!(counts.values().reduce(|a, b| a + b)?, Some(ember::demo::count_words(&ember::demo::generate_lines(100, 50, 7))));
//! # Ok::<(), ember::Error>(())
//! ```

pub mod demo;

pub use ember_core as core;
pub use ember_core::{Error, Result};
pub use ember_streaming as streaming;

/// The names most programs use.
pub mod prelude {
    pub use ember_core::{Conf, Context, Data, Rdd, StorageLevel};
    pub use ember_streaming::{DStream, State, StateSpec, StreamingContext, Time};
}
