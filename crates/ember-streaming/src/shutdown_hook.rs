//! Stopping on SIGINT/SIGTERM, as Spark's shutdown hook does, installed only when the
//! application asks (`spark.streaming.stopGracefullyOnShutdown`, or
//! [`StreamingContext::stop_on_shutdown`](crate::StreamingContext::stop_on_shutdown)).
//!
//! The first signal stops the running context (gracefully if the key says so) from a thread of
//! its own, so `await_termination` returns and the program ends normally. A signal that finds
//! no running context, or a second signal, takes the course it had before Ember installed
//! anything: handlers registered earlier still run (signal-hook chains them); a signal that was
//! ignored stays ignored; one that had its default action ends the process as it would have.

use crate::context::SscInner;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// What a signal did before Ember's handler was installed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Previous {
    /// The default action (for SIGINT and SIGTERM: end the process).
    Default,
    /// Ignored.
    Ignored,
    /// A handler of the program's own, which signal-hook still calls.
    Handler,
}

fn previous_disposition(signal: i32) -> Previous {
    // SAFETY: reading the current action with a null new action changes nothing.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    if unsafe { libc::sigaction(signal, std::ptr::null(), &mut old) } != 0 {
        return Previous::Default;
    }
    match old.sa_sigaction {
        libc::SIG_DFL => Previous::Default,
        libc::SIG_IGN => Previous::Ignored,
        _ => Previous::Handler,
    }
}

/// Installs the handler once per process; later calls do nothing.
pub(crate) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = [(SIGINT, previous_disposition(SIGINT)), (SIGTERM, previous_disposition(SIGTERM))];
        let mut signals = match Signals::new([SIGINT, SIGTERM]) {
            Ok(signals) => signals,
            Err(e) => {
                tracing::warn!("Could not install the SIGINT/SIGTERM handler ({e}); stop the context yourself");
                return;
            }
        };
        let spawned = std::thread::Builder::new().name("ember-shutdown-hook".into()).spawn(move || {
            let mut stopped_one = false;
            for signal in signals.forever() {
                match SscInner::active() {
                    Some(inner) if !stopped_one => {
                        stopped_one = true;
                        let graceful = inner
                            .ctx
                            .conf()
                            .get_bool("spark.streaming.stopGracefullyOnShutdown", false)
                            .unwrap_or(false);
                        tracing::info!(
                            "Signal {signal} received: stopping the StreamingContext (graceful: {graceful})"
                        );
                        inner.stop(false, graceful);
                    }
                    _ => {
                        let before = previous.iter().find(|(s, _)| *s == signal).map_or(Previous::Default, |p| p.1);
                        if before == Previous::Default {
                            let _ = signal_hook::low_level::emulate_default_handler(signal);
                        }
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("Could not start the SIGINT/SIGTERM handler thread ({e}); stop the context yourself");
        }
    });
}
