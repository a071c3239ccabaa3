//! `State<S>`: the state of one key, as a `map_with_state` function sees and changes it.

/// The state of one key inside a [`StateSpec`](crate::StateSpec) function (Spark's `State`).
///
/// Read it with [`exists`](Self::exists) and [`get`](Self::get); change it with
/// [`update`](Self::update) or [`remove`](Self::remove). When a key times out the function is
/// called once more with no value and [`is_timing_out`](Self::is_timing_out) true; the state
/// is then removed and may no longer be changed.
///
/// ```
/// use ember_streaming::State;
/// let mut state = State::<u64>::default();
/// assert!(!state.exists());
/// state.update(3);
/// assert_eq!(*state.get(), 3);
/// state.remove();
/// assert_eq!(state.get_option(), None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State<S> {
    value: Option<S>,
    updated: bool,
    removed: bool,
    timing_out: bool,
}

impl<S> Default for State<S> {
    fn default() -> Self {
        State { value: None, updated: false, removed: false, timing_out: false }
    }
}

impl<S> State<S> {
    /// A state holding `value` (or none), as read from the state map.
    pub(crate) fn wrap(value: Option<S>) -> State<S> {
        State { value, ..State::default() }
    }

    /// The state of a key that is timing out: set, but no longer changeable.
    pub(crate) fn timing_out(value: S) -> State<S> {
        State { value: Some(value), timing_out: true, ..State::default() }
    }

    /// Whether the key has state.
    pub fn exists(&self) -> bool {
        self.value.is_some()
    }

    /// The state.
    ///
    /// # Panics
    ///
    /// "State is not set" if it does not [`exist`](Self::exists) (Spark throws
    /// `NoSuchElementException`).
    pub fn get(&self) -> &S {
        self.value.as_ref().expect("State is not set")
    }

    /// The state, if it exists.
    pub fn get_option(&self) -> Option<&S> {
        self.value.as_ref()
    }

    /// Sets the state to `value`.
    ///
    /// # Panics
    ///
    /// After [`remove`](Self::remove): "requirement failed: Cannot update the state after it
    /// has been removed"; while timing out: "requirement failed: Cannot update the state that
    /// is timing out".
    pub fn update(&mut self, value: S) {
        assert!(!self.removed, "requirement failed: Cannot update the state after it has been removed");
        assert!(!self.timing_out, "requirement failed: Cannot update the state that is timing out");
        self.value = Some(value);
        self.updated = true;
    }

    /// Removes the key's state.
    ///
    /// # Panics
    ///
    /// While timing out: "requirement failed: Cannot remove the state that is timing out";
    /// twice: "requirement failed: Cannot remove the state that has already been removed".
    pub fn remove(&mut self) {
        assert!(!self.timing_out, "requirement failed: Cannot remove the state that is timing out");
        assert!(!self.removed, "requirement failed: Cannot remove the state that has already been removed");
        self.value = None;
        self.updated = false;
        self.removed = true;
    }

    /// Whether the key is timing out: this is its last call, and its state will be removed.
    pub fn is_timing_out(&self) -> bool {
        self.timing_out
    }

    pub(crate) fn is_updated(&self) -> bool {
        self.updated
    }

    pub(crate) fn is_removed(&self) -> bool {
        self.removed
    }

    pub(crate) fn into_value(self) -> Option<S> {
        self.value
    }
}

impl<S: std::fmt::Display> std::fmt::Display for State<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.value {
            Some(v) => v.fmt(f),
            None => f.write_str("<state not set>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::State;
    use std::panic::{catch_unwind, AssertUnwindSafe};

    fn panic_message(f: impl FnOnce()) -> String {
        let err = catch_unwind(AssertUnwindSafe(f)).expect_err("should panic");
        err.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| err.downcast_ref::<String>().cloned()).unwrap()
    }

    /// Spark's `MapWithStateSuite` "state - get, exists, update, remove".
    fn check(state: &State<i32>, expected: Option<i32>, updated: bool, removed: bool, timing_out: bool) {
        assert_eq!(state.exists(), expected.is_some());
        assert_eq!(state.get_option().copied(), expected);
        match expected {
            Some(v) => assert_eq!(*state.get(), v),
            None => assert_eq!(
                panic_message(|| {
                    let _ = state.get();
                }),
                "State is not set"
            ),
        }
        assert_eq!(state.is_timing_out(), timing_out);
        assert_eq!(state.is_updated(), updated);
        assert_eq!(state.is_removed(), removed);
        if timing_out {
            let mut s = state.clone();
            assert_eq!(panic_message(|| s.remove()), "requirement failed: Cannot remove the state that is timing out");
            assert_eq!(
                panic_message(|| s.update(-1)),
                "requirement failed: Cannot update the state that is timing out"
            );
        }
        if removed {
            let mut s = state.clone();
            assert_eq!(
                panic_message(|| s.remove()),
                "requirement failed: Cannot remove the state that has already been removed"
            );
            assert_eq!(
                panic_message(|| s.update(-1)),
                "requirement failed: Cannot update the state after it has been removed"
            );
        }
    }

    #[test]
    fn get_exists_update_remove() {
        let mut state = State::default();
        check(&state, None, false, false, false);
        state = State::wrap(None);
        check(&state, None, false, false, false);
        state = State::wrap(Some(1));
        check(&state, Some(1), false, false, false);
        state.update(2);
        check(&state, Some(2), true, false, false);
        state = State::default();
        state.update(2);
        check(&state, Some(2), true, false, false);
        state.remove();
        check(&state, None, false, true, false);
        state = State::timing_out(3);
        check(&state, Some(3), false, false, true);
        assert_eq!(state.to_string(), "3");
        assert_eq!(State::<i32>::default().to_string(), "<state not set>");
    }
}
