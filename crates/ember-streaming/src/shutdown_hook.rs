//! Stopping on SIGINT/SIGTERM, as Spark's shutdown hook does, installed only when the
//! application asks (`spark.streaming.stopGracefullyOnShutdown`, or
//! [`StreamingContext::stop_on_shutdown`](crate::StreamingContext::stop_on_shutdown)).
//!
//! The first signal stops the running context (gracefully if the key says so) from a thread of
//! its own, so `await_termination` returns and the program ends normally. A signal that finds
//! no running context, or a second signal, takes the course it had before Ember installed
//! anything: handlers registered earlier still run (signal-hook chains them), and then the
//! default action ends the process.

use crate::context::SscInner;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Installs the handler once per process; later calls do nothing.
pub(crate) fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
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
                        let _ = signal_hook::low_level::emulate_default_handler(signal);
                    }
                }
            }
        });
        if let Err(e) = spawned {
            tracing::warn!("Could not start the SIGINT/SIGTERM handler thread ({e}); stop the context yourself");
        }
    });
}
