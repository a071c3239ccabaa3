//! Clocks: the system clock in production, a manual clock in tests (Spark's `util.Clock`).

use parking_lot::{Condvar, Mutex};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// Where the batch timer reads the time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in epoch milliseconds.
    fn now_ms(&self) -> u64;
    /// Blocks until the clock reaches `target_ms` (true) or `stop` is set (false).
    fn wait_till(&self, target_ms: u64, stop: &AtomicBool) -> bool;
    /// Wakes any `wait_till` so it rechecks `stop`.
    fn wake(&self) {}
}

/// Wall-clock time.
#[derive(Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
    }
    fn wait_till(&self, target_ms: u64, stop: &AtomicBool) -> bool {
        loop {
            if stop.load(Ordering::SeqCst) {
                return false;
            }
            let now = self.now_ms();
            if now >= target_ms {
                return true;
            }
            // Short slices, so a stop is noticed promptly.
            std::thread::sleep(Duration::from_millis((target_ms - now).min(25)));
        }
    }
}

/// A clock that moves only when told to (Spark's `ManualClock`), for deterministic tests.
///
/// ```
/// use ember_streaming::util::clock::{Clock, ManualClock};
/// let clock = ManualClock::new(0);
/// clock.advance(1000);
/// assert_eq!(clock.now_ms(), 1000);
/// ```
#[derive(Debug, Default)]
pub struct ManualClock {
    time: Mutex<u64>,
    moved: Condvar,
}

impl ManualClock {
    /// A manual clock reading `start_ms`.
    pub fn new(start_ms: u64) -> ManualClock {
        ManualClock { time: Mutex::new(start_ms), moved: Condvar::new() }
    }

    /// Moves the clock forward by `ms`.
    pub fn advance(&self, ms: u64) {
        *self.time.lock() += ms;
        self.moved.notify_all();
    }

    /// Sets the clock to `ms`.
    pub fn set_time(&self, ms: u64) {
        *self.time.lock() = ms;
        self.moved.notify_all();
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        *self.time.lock()
    }
    fn wait_till(&self, target_ms: u64, stop: &AtomicBool) -> bool {
        let mut time = self.time.lock();
        while *time < target_ms {
            if stop.load(Ordering::SeqCst) {
                return false;
            }
            self.moved.wait_for(&mut time, Duration::from_millis(50));
        }
        !stop.load(Ordering::SeqCst)
    }
    fn wake(&self) {
        self.moved.notify_all();
    }
}
