//! The `ember` command: run the demo, a word count over files, or print the version.

use clap::{Parser, Subcommand};
use ember::prelude::*;
use std::time::Instant;

// Records are small, short-lived allocations (a `String` per word); mimalloc's thread-local
// free lists serve them far faster than the system allocator.
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "ember", about = "Apache Spark Streaming rebuilt in Rust", version)]
struct Cli {
    /// Spark master URL: local, local[n], local[*] or local[n,maxFailures].
    #[arg(long, global = true, default_value = "local[*]")]
    master: String,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Word count over a built-in generated text (no files, no setup): prints the top words.
    Demo {
        /// Lines of generated text.
        #[arg(long, default_value_t = 200_000)]
        lines: usize,
        /// How many of the most frequent words to print.
        #[arg(long, default_value_t = 10)]
        top: usize,
    },
    /// Word count over a text file, directory or glob: text_file → flat_map → map →
    /// reduce_by_key → count. Prints words, distinct words, seconds and words/s.
    Wordcount {
        /// Input path (file, directory or glob).
        path: String,
        /// Minimum number of input partitions (default: twice the executor threads).
        #[arg(long)]
        partitions: Option<usize>,
    },
    /// Prints the version.
    Version,
}

fn word_pairs(lines: Rdd<String>) -> Rdd<(String, u64)> {
    lines
        .flat_map(|l: String| l.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
}

fn main() -> ember::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("EMBER_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Version => println!("ember {}", env!("CARGO_PKG_VERSION")),
        Command::Demo { lines, top } => {
            let ctx = Context::new(Conf::new().master(&cli.master).app_name("ember-demo"))?;
            let started = Instant::now();
            let text = ember::demo::generate_lines(lines, 10_000, 42);
            let counts = word_pairs(ctx.parallelize(text, ctx.default_parallelism() * 2));
            let distinct = counts.count()?;
            let total: u64 = counts.values().reduce(|a, b| a + b)?.unwrap_or(0);
            println!("Word count over {lines} generated lines on {}:", cli.master);
            for (n, word) in counts.map(|(w, n)| (n, w)).top(top)? {
                println!("{n:>10}  {word}");
            }
            println!("{total} words, {distinct} distinct, in {:.2} s", started.elapsed().as_secs_f64());
            ctx.stop();
        }
        Command::Wordcount { path, partitions } => {
            let ctx = Context::new(Conf::new().master(&cli.master).app_name("ember-wordcount"))?;
            let started = Instant::now();
            let lines = ctx.text_file(&path, partitions.unwrap_or(ctx.default_parallelism() * 2))?;
            let counts = word_pairs(lines).cache();
            let distinct = counts.count()?;
            let words: u64 = counts.values().reduce(|a, b| a + b)?.unwrap_or(0);
            let secs = started.elapsed().as_secs_f64();
            println!("words {words} distinct {distinct} secs {secs:.3} words_per_sec {:.0}", words as f64 / secs);
            ctx.stop();
        }
    }
    Ok(())
}
