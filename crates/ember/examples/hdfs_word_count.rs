//! Spark's `HdfsWordCount` on a local directory: counts the words of every text file moved into
//! `DIR` while it runs (write elsewhere, then `mv` in).
//!
//! ```sh
//! mkdir -p /tmp/in && cargo run --release -p ember --example hdfs_word_count -- /tmp/in
//! echo "hello world" > /tmp/f && mv /tmp/f /tmp/in/   # in another terminal
//! ```

use ember::prelude::*;
use std::time::Duration;

fn main() -> ember::Result<()> {
    let dir = std::env::args().nth(1).unwrap_or_else(|| "/tmp/in".into());
    let ctx = Context::new(Conf::new().master("local[2]").app_name("HdfsWordCount"))?;
    let ssc = StreamingContext::new(&ctx, Duration::from_secs(2));
    let lines = ssc.text_file_stream(&dir);
    let words = lines.flat_map(|line: String| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>());
    words.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b).print();
    ssc.start()?;
    ssc.await_termination()
}
