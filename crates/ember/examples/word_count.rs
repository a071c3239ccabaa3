//! Batch word count, Spark's `JavaWordCount`: counts the words of a text file (or directory or
//! glob) and prints the most frequent ones.
//!
//! ```sh
//! cargo run --release -p ember --example word_count -- README.md 10
//! ```

use ember::prelude::*;

fn main() -> ember::Result<()> {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "README.md".into());
    let top: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(10);
    let ctx = Context::new(Conf::new().master("local[*]").app_name("word_count"))?;
    let counts = ctx
        .text_file(&path, ctx.default_parallelism())?
        .flat_map(|line: String| line.split_whitespace().map(str::to_owned).collect::<Vec<_>>())
        .map(|word| (word, 1u64))
        .reduce_by_key(|a, b| a + b);
    for (n, word) in counts.map(|(w, n)| (n, w)).top(top)? {
        println!("{word}: {n}");
    }
    ctx.stop();
    Ok(())
}
