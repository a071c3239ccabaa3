//! `StateSpec`: what `map_with_state` needs: the function, and optionally a timeout, initial
//! state and partition count.

use crate::{State, Time};
use ember_core::{Data, Key, Rdd};
use std::sync::Arc;
use std::time::Duration;

/// The function of a [`StateSpec`]: (batch time, key, value or `None` when timing out, state).
pub(crate) type StateFn<K, V, S, M> = dyn Fn(Time, &K, Option<V>, &mut State<S>) -> M + Send + Sync;

/// Everything [`DStream::map_with_state`](crate::DStream::map_with_state) needs (Spark's
/// `StateSpec`), built from [`function`](Self::function) and optional settings.
///
/// ```
/// use ember_streaming::{State, StateSpec};
/// use std::time::Duration;
/// // A running count per word; a word idle for 30 s is dropped, reporting its last count.
/// let spec = StateSpec::function(|_time, word: &String, one: Option<u64>, state: &mut State<u64>| {
///     if state.is_timing_out() {
///         return (word.clone(), *state.get());
///     }
///     let count = state.get_option().copied().unwrap_or(0) + one.unwrap_or(0);
///     state.update(count);
///     (word.clone(), count)
/// })
/// .timeout(Duration::from_secs(30))
/// .num_partitions(4);
/// # let _ = spec;
/// ```
pub struct StateSpec<K: Key, V, S: Data, M> {
    pub(crate) function: Arc<StateFn<K, V, S, M>>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) initial_state: Option<Rdd<(K, S)>>,
    pub(crate) num_partitions: Option<usize>,
}

impl<K: Key, V, S: Data, M> Clone for StateSpec<K, V, S, M> {
    fn clone(&self) -> Self {
        StateSpec {
            function: self.function.clone(),
            timeout: self.timeout,
            initial_state: self.initial_state.clone(),
            num_partitions: self.num_partitions,
        }
    }
}

impl<K: Key, V, S: Data, M> StateSpec<K, V, S, M> {
    /// A spec calling `f(time, key, value, state)` for every record of every batch, in order,
    /// and once with no value for each key that times out. Each call's result is one record
    /// of the mapped stream.
    pub fn function(f: impl Fn(Time, &K, Option<V>, &mut State<S>) -> M + Send + Sync + 'static) -> Self {
        StateSpec { function: Arc::new(f), timeout: None, initial_state: None, num_partitions: None }
    }

    /// Removes keys that received no data for `idle`, after one last call with
    /// [`State::is_timing_out`] true. As in Spark, timeouts are checked on the batches that
    /// checkpoint the state (every 10 batches by default), so a key may stay up to a
    /// checkpoint interval longer.
    pub fn timeout(mut self, idle: Duration) -> Self {
        self.timeout = Some(idle);
        self
    }

    /// Starts from the state in `rdd`, as if each key had been updated at the first batch.
    pub fn initial_state(mut self, rdd: Rdd<(K, S)>) -> Self {
        self.initial_state = Some(rdd);
        self
    }

    /// Hash-partitions the state into `n` partitions (default: the context's parallelism).
    pub fn num_partitions(mut self, n: usize) -> Self {
        self.num_partitions = Some(n);
        self
    }
}
