//! `Time`: a batch time, in milliseconds since the epoch (Spark's `streaming.Time`).

use serde::{Deserialize, Serialize};
use std::time::Duration;

/// An instant in epoch milliseconds. Batch times are multiples of the batch interval.
///
/// ```
/// use ember_streaming::Time;
/// use std::time::Duration;
/// let t = Time::from_millis(2000);
/// assert_eq!(t.to_string(), "2000 ms");
/// assert_eq!(t + Duration::from_secs(1), Time::from_millis(3000));
/// assert!(t.is_multiple_of(Duration::from_millis(500)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Time(u64);

impl Time {
    /// The instant `millis` milliseconds after the epoch.
    pub const fn from_millis(millis: u64) -> Time {
        Time(millis)
    }

    /// Milliseconds since the epoch.
    pub const fn millis(self) -> u64 {
        self.0
    }

    /// Whether this time is a whole multiple of `d`.
    pub fn is_multiple_of(self, d: Duration) -> bool {
        let d = d.as_millis() as u64;
        d != 0 && self.0.is_multiple_of(d)
    }

    /// The largest multiple of `d` at or before this time.
    pub fn floor(self, d: Duration) -> Time {
        let d = (d.as_millis() as u64).max(1);
        Time(self.0 / d * d)
    }
}

impl std::fmt::Display for Time {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

impl std::ops::Add<Duration> for Time {
    type Output = Time;
    fn add(self, d: Duration) -> Time {
        Time(self.0 + d.as_millis() as u64)
    }
}

impl std::ops::Sub<Duration> for Time {
    type Output = Time;
    fn sub(self, d: Duration) -> Time {
        Time(self.0.saturating_sub(d.as_millis() as u64))
    }
}

impl std::ops::Sub<Time> for Time {
    type Output = Duration;
    fn sub(self, other: Time) -> Duration {
        Duration::from_millis(self.0.saturating_sub(other.0))
    }
}
