//! One partition of `map_with_state` at one batch (Spark's `MapWithStateRDDRecord`): the
//! partition's [`StateMap`] read at that batch, and how a batch's records update it.

use crate::state_spec::StateFn;
use crate::util::state_map::{Begin, StateEntry, StateMap};
use crate::{State, Time};
use ember_core::{Data, Key, PartitionIter};
use serde::de::Deserializer;
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// Partition state as of batch `time`. Cloning shares the map. Serialized (checkpoint files),
/// it is the entries and mapped records of that batch; deserialized, a map of its own.
pub struct MapWithStateRecord<K, S, M> {
    pub(crate) map: Arc<StateMap<K, S, M>>,
    pub(crate) time: Time,
}

impl<K, S, M> Clone for MapWithStateRecord<K, S, M> {
    fn clone(&self) -> Self {
        MapWithStateRecord { map: self.map.clone(), time: self.time }
    }
}

impl<K: Key, S: Data, M: Data> MapWithStateRecord<K, S, M> {
    /// The records the function returned in this batch.
    pub(crate) fn mapped(&self) -> Vec<M> {
        self.map.mapped(self.time).unwrap_or_else(|e| panic!("map_with_state: {e}")).to_vec()
    }

    /// Every key's state after this batch.
    pub(crate) fn snapshot(&self) -> Vec<(K, S)> {
        let entries = self.map.entries_at(self.time).unwrap_or_else(|e| panic!("map_with_state: {e}"));
        entries.into_iter().map(|(k, e)| (k, e.state)).collect()
    }
}

impl<K: Key, S: Data, M: Data> Serialize for MapWithStateRecord<K, S, M> {
    fn serialize<Z: Serializer>(&self, serializer: Z) -> Result<Z::Ok, Z::Error> {
        let entries = self.map.entries_at(self.time).map_err(serde::ser::Error::custom)?;
        let mapped = self.map.mapped(self.time).map_err(serde::ser::Error::custom)?;
        (self.time, entries, &*mapped).serialize(serializer)
    }
}

impl<'de, K: Key, S: Data, M: Data> Deserialize<'de> for MapWithStateRecord<K, S, M> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let (time, entries, mapped): (Time, Vec<(K, StateEntry<S>)>, Vec<M>) = Deserialize::deserialize(deserializer)?;
        Ok(MapWithStateRecord { map: Arc::new(StateMap::restored(time, entries, mapped)), time })
    }
}

/// The state a partition starts a batch from.
pub(crate) enum Previous<K, S, M> {
    /// The first batch: the initial state's records for this partition.
    Initial(PartitionIter<(K, S)>),
    /// The previous batch's record for this partition (computed only if the map lags).
    Batch(PartitionIter<MapWithStateRecord<K, S, M>>),
}

/// How one batch updates a partition's state.
pub(crate) struct BatchSpec<K, V, S, M> {
    pub function: Arc<StateFn<K, V, S, M>>,
    pub time: Time,
    pub previous_time: Time,
    pub timeout: Option<Duration>,
    /// This batch checkpoints the state: also time out idle keys (Spark's `doFullScan`).
    pub full_scan: bool,
    /// Versions at or before this are no longer remembered.
    pub forget_through: Time,
}

/// Applies batch `spec.time` to `map` (once: a recomputed partition reads the applied batch)
/// and returns the partition's record for that batch (Spark's `updateRecordWithData`).
///
/// Each record calls the function with its value, in order; a removed state leaves the map,
/// an updated one is stored with this batch's time, and with a timeout set even an untouched
/// existing state is re-stored, refreshing its time. On full-scan batches, states idle since
/// before `time - timeout` get a last call with no value and are removed.
pub(crate) fn update_record_with_data<K: Key, V: Data, S: Data, M: Data>(
    map: &Arc<StateMap<K, S, M>>,
    spec: &BatchSpec<K, V, S, M>,
    mut previous: Option<Previous<K, S, M>>,
    data: PartitionIter<(K, V)>,
) -> Result<MapWithStateRecord<K, S, M>, String> {
    let record = MapWithStateRecord { map: map.clone(), time: spec.time };
    loop {
        let fresh_ok = matches!(previous, Some(Previous::Initial(_)));
        match map.begin(spec.time, spec.previous_time, fresh_ok) {
            Begin::Applied => return Ok(record),
            Begin::Apply(mut batch) => {
                if let Some(Previous::Initial(initial)) = previous {
                    initial.for_each(|(k, s)| batch.put(k, s));
                }
                let mut mapped = Vec::new();
                for (key, value) in data {
                    let mut state = State::wrap(batch.get(&key).map(|e| e.state.clone()));
                    mapped.push((spec.function)(spec.time, &key, Some(value), &mut state));
                    if state.is_removed() {
                        batch.remove(&key);
                    } else if state.is_updated() || (state.exists() && spec.timeout.is_some()) {
                        batch.put(key, state.into_value().expect("an updated state is set"));
                    }
                }
                if let (true, Some(timeout)) = (spec.full_scan, spec.timeout) {
                    let threshold = Time::from_millis(spec.time.millis().saturating_sub(timeout.as_millis() as u64));
                    for (key, value) in batch.idle_since(threshold) {
                        let mut state = State::timing_out(value);
                        mapped.push((spec.function)(spec.time, &key, None, &mut state));
                        batch.remove(&key);
                    }
                }
                batch.commit(mapped, spec.forget_through);
                return Ok(record);
            }
            Begin::Behind(at) => match previous.take() {
                // Bring the map up to the previous batch (computing it), or adopt the previous
                // batch's state read back from checkpoint files.
                Some(Previous::Batch(records)) => {
                    for prev in records {
                        if !Arc::ptr_eq(&prev.map, map) {
                            map.adopt(&prev.map, prev.time)?;
                        }
                    }
                }
                _ => {
                    return Err(format!(
                        "the state is at batch {}, but batch {} follows batch {}",
                        at.map_or("none".to_string(), |t| t.to_string()),
                        spec.time,
                        spec.previous_time
                    ))
                }
            },
        }
    }
}
