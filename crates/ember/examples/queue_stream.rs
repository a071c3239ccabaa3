//! Spark's `QueueStream` example: RDDs pushed into a queue become the stream's batches; each
//! batch counts its numbers by last digit.
//!
//! ```sh
//! cargo run --release -p ember --example queue_stream
//! ```

use ember::prelude::*;
use ember::streaming::RddQueue;
use std::time::Duration;

fn main() -> ember::Result<()> {
    let ctx = Context::new(Conf::new().master("local[2]").app_name("QueueStream"))?;
    let ssc = StreamingContext::new(&ctx, Duration::from_secs(1));
    let queue = RddQueue::new();
    let input = ssc.queue_stream(&queue, true);
    input.map(|x: u32| (x % 10, 1u64)).reduce_by_key(|a, b| a + b).print();
    ssc.start()?;
    for _ in 0..30 {
        queue.push(ctx.parallelize((1..=1000).collect(), 10));
        std::thread::sleep(Duration::from_millis(100));
    }
    ssc.stop(true, true);
    Ok(())
}
