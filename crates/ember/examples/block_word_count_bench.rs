//! One streaming batch's work without the stream around it: the word count of
//! `network_word_count_bench` run on received blocks already in the block store, as a batch
//! job sees them. It times the processing alone, free of the socket and of where the batch
//! boundary falls.
//!
//! The file's lines are stored as receiver blocks of 250,000 lines (the default
//! `ember.streaming.blockMaxRecords`) at `MEMORY_AND_DISK_SER`, the socket receiver's level.
//! Then `block_rdd → flat_map → map → reduce_by_key → fold` counts the words, `REPS` times.
//!
//! ```sh
//! cargo run --release -p ember --example block_word_count_bench -- FILE [REPS]
//! ```
//! Prints `words <n> ms <elapsed>` per repetition. The master is `local[2]` unless
//! `EMBER_MASTER` says otherwise.

use ember::prelude::*;
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ember::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), reps) = (args.first(), args.get(1).and_then(|r| r.parse().ok()).unwrap_or(5)) else {
        eprintln!("usage: block_word_count_bench FILE [REPS]");
        std::process::exit(2);
    };
    let master = std::env::var("EMBER_MASTER").unwrap_or_else(|_| "local[2]".into());
    let ctx = Context::new(Conf::new().master(&master).app_name("block-wc"))?;
    let lines: Vec<String> = std::fs::read_to_string(path)
        .map_err(|e| ember::Error::io(format!("reading {path}"), e))?
        .lines()
        .map(str::to_owned)
        .collect();
    for _ in 0..reps {
        let blocks = lines
            .chunks(250_000)
            .map(|c| ctx.put_input_block(0, c.to_vec(), StorageLevel::MEMORY_AND_DISK_SER).map(Into::into))
            .collect::<ember::Result<Vec<_>>>()?;
        let start = Instant::now();
        let words = ctx
            .block_rdd::<String>(blocks)
            .flat_map(|l: String| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .map(|w| (w, 1u64))
            .reduce_by_key(|a, b| a + b)
            .map(|(_, c)| c)
            .fold(0, |a, b| a + b)?;
        println!("words {words} ms {}", start.elapsed().as_millis());
    }
    Ok(())
}
