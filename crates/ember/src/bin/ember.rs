//! The `ember` command: run the demo, a word count over files, or print the version.

use clap::{Parser, Subcommand};
use ember::prelude::*;
use std::time::{Duration, Instant};

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
    /// Streaming word count over a built-in generated text source (no setup): prints each
    /// batch's most frequent words as Spark's print() does, then stops.
    Demo {
        /// How long to run, in seconds.
        #[arg(long, default_value_t = 5)]
        seconds: u64,
        /// Batch interval in milliseconds.
        #[arg(long, default_value_t = 1000)]
        batch_ms: u64,
        /// Generated lines per second.
        #[arg(long, default_value_t = 20_000)]
        rate: u64,
    },
    /// Runs a streaming example job.
    Run {
        #[command(subcommand)]
        job: Job,
    },
    /// Batch word count over a text file, directory or glob: text_file → flat_map → map →
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

#[derive(Subcommand)]
enum Job {
    /// Spark's NetworkWordCount: counts words of lines read from a TCP socket (try `nc -lk 9999`).
    NetworkWordCount {
        /// Host to connect to.
        #[arg(long, default_value = "localhost")]
        host: String,
        /// Port to connect to.
        #[arg(long, default_value_t = 9999)]
        port: u16,
        /// Batch interval in milliseconds.
        #[arg(long, default_value_t = 1000)]
        batch_ms: u64,
    },
}

/// The word count every streaming job here runs: split on spaces, count per batch.
fn streaming_word_count(lines: &DStream<String>) -> DStream<(String, u64)> {
    lines
        .flat_map(|l: String| l.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
}

fn word_pairs(lines: Rdd<String>) -> Rdd<(String, u64)> {
    lines
        .flat_map(|l: String| l.split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect::<Vec<_>>())
        .map(|w| (w, 1u64))
        .reduce_by_key(|a, b| a + b)
}

fn main() {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("EMBER_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    // A failure is one readable line, as other command-line tools print theirs.
    if let Err(e) = run(Cli::parse()) {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> ember::Result<()> {
    match cli.command {
        Command::Version => println!("ember {}", env!("CARGO_PKG_VERSION")),
        Command::Demo { seconds, batch_ms, rate } => {
            let ctx = Context::new(Conf::new().master(&cli.master).app_name("ember-demo"))?;
            let ssc = StreamingContext::new(&ctx, Duration::from_millis(batch_ms));
            let lines = ssc.receiver_stream(ember::demo::GeneratedText::new(rate, 10_000, 42));
            streaming_word_count(&lines).print();
            // Ctrl-C stops the job cleanly (gracefully when spark.streaming.stopGracefullyOnShutdown is set).
            ssc.stop_on_shutdown();
            ssc.start()?;
            let finished = ssc.await_termination_or_timeout(Duration::from_secs(seconds))?;
            if !finished {
                ssc.stop(true, true);
            }
        }
        Command::Run { job: Job::NetworkWordCount { host, port, batch_ms } } => {
            let ctx = Context::new(Conf::new().master(&cli.master).app_name("NetworkWordCount"))?;
            let ssc = StreamingContext::new(&ctx, Duration::from_millis(batch_ms));
            streaming_word_count(&ssc.socket_text_stream(&host, port)).print();
            ssc.stop_on_shutdown();
            ssc.start()?;
            ssc.await_termination()?;
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
