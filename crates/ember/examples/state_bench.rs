//! Keyed-state benchmark (issue 4): a stateful word count holding `KEYS` distinct words, then
//! batches touching `TOUCHED` of them, run with `map_with_state` or `update_state_by_key`.
//!
//! `cargo run --release -p ember --example state_bench -- map_with_state 1000000 10000 40`
//!
//! Prints per-batch processing times after the first (loading) batch, the state's memory from
//! the block store's accounting and the process's resident memory, per key.

use ember::prelude::*;
use ember_streaming::util::clock::ManualClock;
use ember_streaming::RddQueue;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kb = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next());
    kb.and_then(|v| v.parse::<u64>().ok()).unwrap_or(0) * 1024
}

fn main() -> ember::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("map_with_state").to_string();
    let arg = |i: usize, default: u64| args.get(i).and_then(|a| a.parse().ok()).unwrap_or(default);
    let (keys, touched, batches) = (arg(1, 1_000_000), arg(2, 10_000), arg(3, 40));
    let ctx = Context::new(Conf::new().master("local[2]").app_name("state_bench"))?;
    let clock = Arc::new(ManualClock::new(0));
    let ssc = StreamingContext::with_clock(&ctx, Duration::from_secs(1), clock.clone());
    let dir = tempfile::tempdir().map_err(|e| ember::Error::io("creating a checkpoint directory", e))?;
    ssc.checkpoint(dir.path())?;
    let queue = RddQueue::new();
    let words = ssc.queue_stream(&queue, true);
    if mode == "map_with_state" {
        let spec = StateSpec::function(|_, _: &String, one: Option<u64>, state: &mut State<u64>| {
            let n = state.get_option().copied().unwrap_or(0) + one.unwrap_or(0);
            state.update(n);
            n
        });
        words.map_with_state(spec).foreach_rdd(|rdd, _| rdd.count().map(drop));
    } else {
        let update = |ones: &[u64], state: Option<u64>| Some(ones.iter().sum::<u64>() + state.unwrap_or(0));
        words.update_state_by_key(update).foreach_rdd(|rdd, _| rdd.count().map(drop));
    }
    ssc.start()?;
    let rss_before = rss_bytes();
    let mut times = Vec::new();
    for b in 0..batches {
        let batch: Vec<(String, u64)> = if b == 0 {
            (0..keys).map(|i| (format!("w{i:07}"), 1)).collect()
        } else {
            // A different `touched` keys each batch, spread over the key space.
            let stride = keys / touched;
            (0..touched).map(|i| (format!("w{:07}", (i * stride + b) % keys), 1)).collect()
        };
        queue.push(ctx.parallelize(batch, 2));
        let start = Instant::now();
        clock.advance(1000);
        if !ssc.wait_for_batch(Time::from_millis((b + 1) * 1000), Duration::from_secs(600)) {
            return Err(ember::Error::IllegalState(format!("batch {b} did not finish")));
        }
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    let state_memory = ctx.block_manager_stats().state_memory;
    let rss_after = rss_bytes();
    ssc.await_termination_or_timeout(Duration::ZERO)?;
    ssc.stop(true, false);
    let load = times.remove(0);
    let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
    times.sort_by(f64::total_cmp);
    let median = times.get(times.len() / 2).copied().unwrap_or(0.0);
    println!(
        "{mode} keys {keys} touched {touched} batches {batches} load_ms {load:.1} median_batch_ms {median:.2} mean_batch_ms {mean:.2} max_batch_ms {:.1} state_bytes_per_key {} rss_bytes_per_key {}",
        times.last().copied().unwrap_or(0.0),
        state_memory / keys,
        rss_after.saturating_sub(rss_before) / keys
    );
    Ok(())
}
