//! Benchmark side of Spark's NetworkWordCount (the protocol of `bench/compare_wordcount.sh`):
//! counts words read from `127.0.0.1:<port>` until `<expected_words>` have been counted, then
//! prints `done_ms <epoch ms> words <n> batches <b>` and exits.
//!
//! ```sh
//! cargo run --release -p ember --example network_word_count_bench -- 9411 43000000 1000
//! ```
//! The master is `local[2]` unless `EMBER_MASTER` says otherwise. Each completed batch is traced
//! to stderr as `batch <time> records <n> scheduling_ms <s> processing_ms <p>`.

use ember::prelude::*;
use ember_streaming::scheduler::listener::{BatchInfo, StreamingListener};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Prints each completed batch's delays to stderr, to show where a run's time went.
struct Trace;

impl StreamingListener for Trace {
    fn on_batch_completed(&self, b: &BatchInfo) {
        eprintln!(
            "batch {} records {} scheduling_ms {} processing_ms {}",
            b.batch_time,
            b.num_records(),
            b.scheduling_delay_ms().unwrap_or(0),
            b.processing_delay_ms().unwrap_or(0)
        );
    }
}

fn main() -> ember::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| args.get(i).and_then(|a| a.parse::<u64>().ok());
    let (Some(port), Some(expected), Some(batch_ms)) = (arg(0), arg(1), arg(2)) else {
        eprintln!("usage: network_word_count_bench <port> <expected_words> <batch_ms>");
        std::process::exit(2);
    };
    let master = std::env::var("EMBER_MASTER").unwrap_or_else(|_| "local[2]".into());
    let ctx = Context::new(Conf::new().master(&master).app_name("wc"))?;
    let ssc = StreamingContext::new(&ctx, Duration::from_millis(batch_ms));
    ssc.add_streaming_listener(Arc::new(Trace));
    let counts = ssc
        .socket_text_stream("127.0.0.1", port as u16)
        .flat_map(|l: String| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b);
    let (total, batches) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
    counts.foreach_rdd(move |rdd, _| -> ember::Result<()> {
        let n = rdd.map(|(_, c)| c).fold(0, |a, b| a + b)?;
        let t = total.fetch_add(n, Ordering::SeqCst) + n;
        let b = batches.fetch_add(1, Ordering::SeqCst) + 1;
        if t >= expected {
            println!("done_ms {} words {t} batches {b}", ember::core::listener::now_ms());
            std::io::stdout().flush().ok();
            std::process::exit(0);
        }
        Ok(())
    });
    ssc.start()?;
    ssc.await_termination()
}
