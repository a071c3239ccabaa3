//! Streaming's own RDD records, as in Spark's `streaming/rdd` package.

pub(crate) mod map_with_state;
