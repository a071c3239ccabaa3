//! Ember side of `bench/compare_latency.sh`: Spark's NetworkWordCount (`socket_text_stream →
//! flat_map → map → reduce_by_key → foreach_rdd`) on lines offered at a fixed rate, for
//! `<run_s>` seconds. Then prints the end-to-end delay (the listener's `total_delay`: from the
//! batch time to the end of its last job) of every batch after the first two seconds:
//! `batches N of M p50_total_ms A p99_total_ms B max_total_ms C p99_processing_ms D p99_sched_ms E max_sched_ms F lines L`,
//! where `M` is how many batches fell due in that time (fewer completed means a backlog).
//!
//! ```sh
//! python3 bench/paced_server.py 9441 FILE 200000 40 &
//! cargo run --release -p ember --example latency_bench -- 9441 100 30
//! ```
//! The master is `local[2]` unless `EMBER_MASTER` says otherwise; the block interval is a
//! quarter of the batch, at most Spark's default 200 ms (the same rule as `LatencyBench.java`).

use ember::prelude::*;
use ember_streaming::scheduler::listener::{BatchInfo, StreamingListener};
use parking_lot::Mutex;
use std::sync::Arc;
use std::time::Duration;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// (total delay, processing delay, scheduling delay, records) of each completed batch, in ms.
#[derive(Default)]
struct Delays(Mutex<Vec<[u64; 4]>>);

impl StreamingListener for Delays {
    fn on_batch_completed(&self, b: &BatchInfo) {
        let ms = |d: Option<u64>| d.unwrap_or(0);
        let row = [ms(b.total_delay_ms()), ms(b.processing_delay_ms()), ms(b.scheduling_delay_ms()), b.num_records()];
        self.0.lock().push(row);
    }
}

/// The `q` quantile of `values` (nearest rank), or -1 when there are none.
fn quantile(mut values: Vec<u64>, q: f64) -> i64 {
    values.sort_unstable();
    match values.len() {
        0 => -1,
        n => values[((n as f64 * q).ceil() as usize).clamp(1, n) - 1] as i64,
    }
}

fn main() -> ember::Result<()> {
    let args: Vec<u64> = std::env::args().skip(1).filter_map(|a| a.parse().ok()).collect();
    let [port, batch_ms, run_s] = args[..] else {
        eprintln!("usage: latency_bench <port> <batch_ms> <run_s>");
        std::process::exit(2);
    };
    let master = std::env::var("EMBER_MASTER").unwrap_or_else(|_| "local[2]".into());
    let block_ms = (batch_ms / 4).clamp(1, 200);
    let conf =
        Conf::new().master(&master).app_name("latency").set("spark.streaming.blockInterval", format!("{block_ms}ms"));
    let ctx = Context::new(conf)?;
    let ssc = StreamingContext::new(&ctx, Duration::from_millis(batch_ms));
    let delays = Arc::new(Delays::default());
    ssc.add_streaming_listener(delays.clone());
    ssc.socket_text_stream("127.0.0.1", port as u16)
        .flat_map(|l: String| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
        .foreach_rdd(|rdd, _| rdd.map(|(_, c)| c).fold(0, |a, b| a + b).map(drop));
    ssc.start()?;
    std::thread::sleep(Duration::from_secs(run_s));
    let all = delays.0.lock().clone();
    let measured = &all[((2000 / batch_ms) as usize).min(all.len())..];
    let column = |i: usize| measured.iter().map(|b| b[i]).collect::<Vec<_>>();
    println!(
        "batches {} of {} p50_total_ms {} p99_total_ms {} max_total_ms {} p99_processing_ms {} p99_sched_ms {} max_sched_ms {} lines {}",
        measured.len(),
        (run_s * 1000).saturating_sub(2000) / batch_ms,
        quantile(column(0), 0.5),
        quantile(column(0), 0.99),
        quantile(column(0), 1.0),
        quantile(column(1), 0.99),
        quantile(column(2), 0.99),
        quantile(column(2), 1.0),
        column(3).iter().sum::<u64>()
    );
    std::process::exit(0);
}
