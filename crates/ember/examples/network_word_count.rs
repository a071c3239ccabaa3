//! Spark's `NetworkWordCount`: counts words in lines read from a TCP socket every second.
//!
//! ```sh
//! nc -lk 9999          # in one terminal, then type lines
//! cargo run --release -p ember --example network_word_count -- localhost 9999
//! ```

use ember::prelude::*;
use std::time::Duration;

fn main() -> ember::Result<()> {
    let mut args = std::env::args().skip(1);
    let host = args.next().unwrap_or_else(|| "localhost".into());
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(9999);
    let ctx = Context::new(Conf::new().master("local[2]").app_name("NetworkWordCount"))?;
    let ssc = StreamingContext::new(&ctx, Duration::from_secs(1));
    let words = ssc
        .socket_text_stream(&host, port)
        .flat_map(|line: String| line.split(' ').map(str::to_owned).collect::<Vec<_>>());
    words.map(|w| (w, 1u64)).reduce_by_key(|a, b| a + b).print();
    ssc.start()?;
    ssc.await_termination()
}
