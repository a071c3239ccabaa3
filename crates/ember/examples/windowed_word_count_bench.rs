//! Ember side of `bench/compare_windowed.sh`: a windowed word count over a socket
//! (`reduce_by_key_and_window_inv`, as Spark's `WindowedWordCountBench.java`). Runs `<run_s>`
//! seconds, then prints the processing and scheduling delays of the batches whose window was
//! full: `full_batches N p50_ms P p95_ms Q max_ms M max_sched_ms S lines L`.
//!
//! ```sh
//! cargo run --release -p ember --example windowed_word_count_bench -- 9431 1000 30 45
//! ```

use ember::prelude::*;
use ember_streaming::scheduler::listener::{BatchInfo, StreamingListener};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (processing ms, scheduling ms, lines) of each completed batch.
#[derive(Default)]
struct Delays(Mutex<Vec<(u64, u64, u64)>>);

impl StreamingListener for Delays {
    fn on_batch_completed(&self, b: &BatchInfo) {
        let (p, s) = (b.processing_delay_ms().unwrap_or(0), b.scheduling_delay_ms().unwrap_or(0));
        self.0.lock().push((p, s, b.num_records()));
    }
}

fn main() -> ember::Result<()> {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let [port, batch_ms, window_s, run_s] = args[..] else {
        eprintln!("usage: windowed_word_count_bench <port> <batch_ms> <window_s> <run_s>");
        std::process::exit(2);
    };
    let master = std::env::var("EMBER_MASTER").unwrap_or_else(|_| "local[2]".into());
    let ctx = Context::new(Conf::new().master(&master).app_name("windowed"))?;
    let ssc = StreamingContext::new(&ctx, Duration::from_millis(batch_ms));
    let dir = tempfile::tempdir().map_err(|e| ember::Error::io("creating a checkpoint directory", e))?;
    ssc.checkpoint(dir.path())?;
    let delays = Arc::new(Delays::default());
    ssc.add_streaming_listener(delays.clone());
    ssc.socket_text_stream("127.0.0.1", port as u16)
        .flat_map(|l: String| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key_and_window_inv(
            |a, b| a + b,
            |a, b| a - b,
            Duration::from_secs(window_s),
            Duration::from_millis(batch_ms),
        )
        .foreach_rdd(|rdd, _| rdd.count().map(drop));
    ssc.start()?;
    std::thread::sleep(Duration::from_secs(run_s));
    let all = delays.0.lock().clone();
    let full = &all[((window_s * 1000 / batch_ms) as usize).min(all.len())..];
    let mut proc: Vec<u64> = full.iter().map(|b| b.0).collect();
    proc.sort_unstable();
    let n = proc.len();
    let at = |q: f64| if n > 0 { proc[((n as f64 * q) as usize).min(n - 1)] as i64 } else { -1 };
    println!(
        "full_batches {n} p50_ms {} p95_ms {} max_ms {} max_sched_ms {} lines {}",
        at(0.5),
        at(0.95),
        at(1.0),
        full.iter().map(|b| b.1 as i64).max().unwrap_or(-1),
        full.iter().map(|b| b.2).sum::<u64>()
    );
    std::process::exit(0);
}
