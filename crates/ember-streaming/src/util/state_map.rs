//! `StateMap`: one partition of `map_with_state`'s keyed state, versioned by batch time.
//!
//! Spark gives each batch a new map, a delta over the previous one, and compacts the chain of
//! deltas when it checkpoints. Here the newest state is a single table changed in place and
//! each batch keeps an undo log of the entries it changed. A batch therefore costs time in
//! proportion to the keys it touches, the state is held once, and the versions of batches
//! still remembered can be read through the undo logs (snapshots, recomputed partitions).
//! A batch that fails part way (a panicking function) is rolled back from its log.

use super::dense_map::DenseMap;
use crate::Time;
use ember_core::MemoryClaim;
use foldhash::fast::RandomState;
use parking_lot::{Mutex, MutexGuard};
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::Arc;

/// A key's state and the batch that last updated it (for timeouts).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct StateEntry<S> {
    pub state: S,
    pub updated: Time,
}

/// What one applied batch changed: each touched key's entry before the batch, and the batch's
/// mapped records.
struct Version<K, S, M> {
    time: Time,
    before: HashMap<K, Option<StateEntry<S>>, RandomState>,
    mapped: Arc<Vec<M>>,
}

struct Versions<K, S, M> {
    current: DenseMap<K, StateEntry<S>>,
    /// The batch `current` reflects; `None` before the first.
    version: Option<Time>,
    /// Applied batches still readable, oldest first; the last is `version`.
    history: VecDeque<Version<K, S, M>>,
    /// Serialized bytes of the keys and states in `current` (their heap, roughly).
    heap_bytes: u64,
}

/// One partition's state across batches.
pub(crate) struct StateMap<K, S, M> {
    versions: Mutex<Versions<K, S, M>>,
    claim: Option<MemoryClaim>,
}

/// Where a map stands relative to a batch about to be applied.
pub(crate) enum Begin<'a, K: Hash + Eq, S, M> {
    /// The batch is already applied.
    Applied,
    /// The map is at the previous batch (or new); apply through this update.
    Apply(BatchUpdate<'a, K, S, M>),
    /// The map is at this older batch: the previous batch must be applied first.
    Behind(Option<Time>),
}

fn entry_bytes<K: Serialize, S: Serialize>(key: &K, state: &S) -> u64 {
    bincode::serialized_size(key).unwrap_or(0) + bincode::serialized_size(state).unwrap_or(0)
}

impl<K: Hash + Eq + Clone + Serialize, S: Clone + Serialize, M> StateMap<K, S, M> {
    /// An empty map whose memory is accounted under `claim` (none for transient copies).
    pub(crate) fn new(claim: Option<MemoryClaim>) -> StateMap<K, S, M> {
        StateMap {
            versions: Mutex::new(Versions {
                current: DenseMap::default(),
                version: None,
                history: VecDeque::new(),
                heap_bytes: 0,
            }),
            claim,
        }
    }

    /// A map at batch `time` holding `entries` and that batch's `mapped` records.
    pub(crate) fn restored(time: Time, entries: Vec<(K, StateEntry<S>)>, mapped: Vec<M>) -> StateMap<K, S, M> {
        let map = StateMap::new(None);
        map.replace_with(time, entries, Arc::new(mapped));
        map
    }

    /// Makes this map a copy of `other` at batch `time` (recovery from checkpoint files).
    pub(crate) fn adopt(&self, other: &StateMap<K, S, M>, time: Time) -> Result<(), String> {
        let entries = other.entries_at(time)?;
        let mapped = other.mapped(time)?;
        self.replace_with(time, entries, mapped);
        Ok(())
    }

    fn replace_with(&self, time: Time, entries: Vec<(K, StateEntry<S>)>, mapped: Arc<Vec<M>>) {
        let mut v = self.versions.lock();
        v.heap_bytes = entries.iter().map(|(k, e)| entry_bytes(k, &e.state)).sum();
        v.current = entries.into_iter().collect();
        v.version = Some(time);
        v.history = VecDeque::from([Version { time, before: HashMap::default(), mapped }]);
        self.account(&v);
    }

    /// Starts applying batch `time`, which follows batch `previous`. A new map accepts any
    /// batch when `fresh_ok` (the first batch, with its initial state).
    pub(crate) fn begin(&self, time: Time, previous: Time, fresh_ok: bool) -> Begin<'_, K, S, M> {
        let versions = self.versions.lock();
        match versions.version {
            Some(v) if v >= time => Begin::Applied,
            Some(v) if v == previous => Begin::Apply(BatchUpdate::new(self, versions, time)),
            None if fresh_ok => Begin::Apply(BatchUpdate::new(self, versions, time)),
            other => Begin::Behind(other),
        }
    }

    /// The mapped records of batch `time`.
    pub(crate) fn mapped(&self, time: Time) -> Result<Arc<Vec<M>>, String> {
        let v = self.versions.lock();
        v.history
            .iter()
            .find(|h| h.time == time)
            .map(|h| h.mapped.clone())
            .ok_or_else(|| format!("the state of batch {time} is no longer remembered"))
    }

    /// Every key's entry as of batch `time`.
    pub(crate) fn entries_at(&self, time: Time) -> Result<Vec<(K, StateEntry<S>)>, String> {
        let v = self.versions.lock();
        let later = v.readable_after(time)?;
        // The oldest change after `time` to a key holds its entry as of `time`.
        let mut overrides: HashMap<&K, Option<&StateEntry<S>>, RandomState> = HashMap::default();
        for version in later.rev() {
            overrides.extend(version.before.iter().map(|(k, e)| (k, e.as_ref())));
        }
        let mut out = Vec::with_capacity(v.current.len());
        out.extend(v.current.iter().filter(|(k, _)| !overrides.contains_key(k)).map(|(k, e)| (k.clone(), e.clone())));
        out.extend(overrides.into_iter().filter_map(|(k, e)| e.map(|e| (k.clone(), e.clone()))));
        Ok(out)
    }

    /// Number of keys in the newest version.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.versions.lock().current.len()
    }

    /// Estimated bytes held: the table, the keys' and states' heap, and the undo logs.
    fn account(&self, v: &Versions<K, S, M>) {
        let Some(claim) = &self.claim else { return };
        let slot = std::mem::size_of::<(K, Option<StateEntry<S>>)>() as u64;
        let logs: u64 = v
            .history
            .iter()
            .map(|h| h.before.capacity() as u64 * (slot + 1) + (h.mapped.len() * std::mem::size_of::<M>()) as u64)
            .sum();
        claim.set(v.current.allocated_bytes() + v.heap_bytes + logs);
    }
}

impl<K, S, M> Versions<K, S, M> {
    /// The applied batches after `time`, if `time` itself is still held.
    fn readable_after(&self, time: Time) -> Result<std::collections::vec_deque::Iter<'_, Version<K, S, M>>, String> {
        let version = self.version.ok_or_else(|| format!("the state of batch {time} was never computed"))?;
        if time > version {
            return Err(format!("the state of batch {time} is not computed yet (newest: {version})"));
        }
        let start = self.history.partition_point(|h| h.time <= time);
        if start == 0 || self.history[start - 1].time != time {
            return Err(format!("the state of batch {time} is no longer remembered"));
        }
        Ok(self.history.range(start..))
    }
}

/// The changes of one batch in progress, holding the map's lock. Dropped without
/// [`commit`](Self::commit) (the function panicked), it restores every entry it changed.
pub(crate) struct BatchUpdate<'a, K: Hash + Eq, S, M> {
    map: &'a StateMap<K, S, M>,
    versions: MutexGuard<'a, Versions<K, S, M>>,
    time: Time,
    before: HashMap<K, Option<StateEntry<S>>, RandomState>,
    heap_bytes_before: u64,
    committed: bool,
}

impl<'a, K: Hash + Eq + Clone + Serialize, S: Clone + Serialize, M> BatchUpdate<'a, K, S, M> {
    fn new(map: &'a StateMap<K, S, M>, versions: MutexGuard<'a, Versions<K, S, M>>, time: Time) -> Self {
        let heap_bytes_before = versions.heap_bytes;
        BatchUpdate { map, versions, time, before: HashMap::default(), heap_bytes_before, committed: false }
    }

    /// The key's entry.
    pub(crate) fn get(&self, key: &K) -> Option<&StateEntry<S>> {
        self.versions.current.get(key)
    }

    /// Sets the key's state, updated at this batch.
    pub(crate) fn put(&mut self, key: K, state: S) {
        let entry = StateEntry { state, updated: self.time };
        let v = &mut *self.versions;
        v.heap_bytes += entry_bytes(&key, &entry.state);
        match v.current.get_mut(&key) {
            Some(slot) => {
                let old = std::mem::replace(slot, entry);
                v.heap_bytes -= entry_bytes(&key, &old.state);
                self.before.entry(key).or_insert(Some(old));
            }
            None => {
                if !self.before.contains_key(&key) {
                    self.before.insert(key.clone(), None);
                }
                v.current.insert(key, entry);
            }
        }
    }

    /// Removes the key's state.
    pub(crate) fn remove(&mut self, key: &K) {
        let v = &mut *self.versions;
        if let Some((key, old)) = v.current.remove_entry(key) {
            v.heap_bytes -= entry_bytes(&key, &old.state);
            self.before.entry(key).or_insert(Some(old));
        }
    }

    /// Keys last updated before `threshold`, with their states.
    pub(crate) fn idle_since(&self, threshold: Time) -> Vec<(K, S)> {
        self.versions
            .current
            .iter()
            .filter(|(_, e)| e.updated < threshold)
            .map(|(k, e)| (k.clone(), e.state.clone()))
            .collect()
    }

    /// Makes the batch the newest version, with its `mapped` records; forgets versions at or
    /// before `forget_through` (their batches are no longer remembered).
    pub(crate) fn commit(mut self, mapped: Vec<M>, forget_through: Time) {
        let before = std::mem::take(&mut self.before);
        let v = &mut *self.versions;
        v.history.push_back(Version { time: self.time, before, mapped: Arc::new(mapped) });
        v.version = Some(self.time);
        while v.history.len() > 1 && v.history[0].time <= forget_through {
            v.history.pop_front();
        }
        self.committed = true;
        self.map.account(v);
    }
}

impl<K: Hash + Eq, S, M> Drop for BatchUpdate<'_, K, S, M> {
    fn drop(&mut self) {
        if self.committed {
            return;
        }
        self.versions.heap_bytes = self.heap_bytes_before;
        let current = &mut self.versions.current;
        for (key, old) in self.before.drain() {
            match old {
                Some(entry) => {
                    current.insert(key, entry);
                }
                None => {
                    current.remove_entry(&key);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Begin, StateMap};
    use crate::Time;

    fn t(s: u64) -> Time {
        Time::from_millis(s * 1000)
    }

    /// Applies batch `s` (after `s - 1`) putting `puts` and removing `removes`.
    fn apply(map: &StateMap<&'static str, u32, u32>, s: u64, puts: &[(&'static str, u32)], removes: &[&'static str]) {
        let Begin::Apply(mut batch) = map.begin(t(s), t(s - 1), s == 1) else { panic!("batch {s} not applicable") };
        puts.iter().for_each(|&(k, v)| batch.put(k, v));
        removes.iter().for_each(|k| batch.remove(k));
        batch.commit(vec![s as u32], t(s.saturating_sub(3)));
    }

    fn at(map: &StateMap<&'static str, u32, u32>, s: u64) -> Vec<(&'static str, u32)> {
        let mut entries: Vec<_> = map.entries_at(t(s)).unwrap().into_iter().map(|(k, e)| (k, e.state)).collect();
        entries.sort();
        entries
    }

    #[test]
    fn older_batches_read_through_the_undo_logs() {
        let map = StateMap::new(None);
        apply(&map, 1, &[("a", 1), ("b", 1)], &[]);
        apply(&map, 2, &[("a", 2), ("c", 1)], &["b"]);
        apply(&map, 3, &[("b", 5)], &["a"]);
        assert_eq!(at(&map, 1), vec![("a", 1), ("b", 1)]);
        assert_eq!(at(&map, 2), vec![("a", 2), ("c", 1)]);
        assert_eq!(at(&map, 3), vec![("b", 5), ("c", 1)]);
        assert_eq!(*map.mapped(t(2)).unwrap(), vec![2]);
        assert!(matches!(map.begin(t(2), t(1), false), Begin::Applied));
        assert!(matches!(map.begin(t(5), t(4), false), Begin::Behind(Some(_))));
        // Batches at or before 4 - 3 = 1 are forgotten once batch 4 is applied.
        apply(&map, 4, &[], &[]);
        assert_eq!(map.entries_at(t(1)).unwrap_err(), "the state of batch 1000 ms is no longer remembered");
        assert_eq!(at(&map, 2), vec![("a", 2), ("c", 1)]);
    }

    #[test]
    fn an_unfinished_batch_is_rolled_back() {
        let map = StateMap::new(None);
        apply(&map, 1, &[("a", 1)], &[]);
        {
            let Begin::Apply(mut batch) = map.begin(t(2), t(1), false) else { panic!() };
            batch.put("a", 9);
            batch.put("z", 9);
            batch.remove(&"a");
            // dropped without commit: the function panicked
        }
        assert_eq!(at(&map, 1), vec![("a", 1)]);
        assert_eq!(map.len(), 1);
        apply(&map, 2, &[("b", 2)], &[]);
        assert_eq!(at(&map, 2), vec![("a", 1), ("b", 2)]);
    }
}
