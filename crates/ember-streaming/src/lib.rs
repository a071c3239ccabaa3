//! # ember-streaming
//!
//! Spark Streaming's DStream model on Ember's RDD engine: `StreamingContext`, DStreams,
//! receivers, windows and state. This crate is being built; today it re-exports the engine it
//! runs on so the workspace layout matches the architecture.

pub use ember_core as core;
