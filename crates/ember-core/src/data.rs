//! The bounds every record and key carries.

use serde::{de::DeserializeOwned, Serialize};
use std::hash::Hash;

/// A record Ember can move between tasks, cache, spill and checkpoint.
///
/// Implemented for every type that is `Clone + Send + Sync + Serialize + DeserializeOwned`.
///
/// ```
/// fn takes_data<T: ember_core::Data>(_: T) {}
/// takes_data((String::from("word"), 1u64));
/// ```
pub trait Data: Clone + Send + Sync + Serialize + DeserializeOwned + 'static {}

impl<T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static> Data for T {}

/// A key of a pair RDD: data that can be hashed and compared for equality.
pub trait Key: Data + Eq + Hash {}

impl<T: Data + Eq + Hash> Key for T {}
