//! What the socket word count's user code costs per word before Ember does anything: each
//! step of `flat_map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())`, then the same
//! words counted in a plain hash table. Single-threaded, on lines already in memory; the
//! lower bounds that BENCHMARKS.md weighs Ember's per-word cost against.
//!
//! Usage: `word-count-floors FILE [LINES]` (the first LINES lines, default 2,500,000). Prints
//! the minimum and median ns/word of five runs of each step.

use std::hash::BuildHasher;
use std::hint::black_box;
use std::time::Instant;

#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Times `step` five times over `words` words; prints min and median ns/word.
fn time(name: &str, words: usize, step: impl Fn() -> usize) {
    let mut ns: Vec<f64> = (0..5)
        .map(|_| {
            let start = Instant::now();
            black_box(step());
            start.elapsed().as_nanos() as f64 / words as f64
        })
        .collect();
    ns.sort_by(f64::total_cmp);
    println!("{name:<44} min {:>5.1}  median {:>5.1} ns/word", ns[0], ns[2]);
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let Some(path) = args.next() else {
        eprintln!("usage: word-count-floors FILE [LINES]");
        std::process::exit(2);
    };
    let limit = args.next().and_then(|n| n.parse().ok()).unwrap_or(2_500_000);
    let text = std::fs::read_to_string(path)?;
    let lines: Vec<&str> = text.lines().take(limit).collect();
    let words: usize = lines.iter().map(|l| l.split(' ').count()).sum();
    println!("{} lines, {words} words", lines.len());
    let hasher = foldhash::fast::FixedState::with_seed(1);
    time("split(' ')", words, || lines.iter().flat_map(|l| l.split(' ')).map(|w| black_box(w).len()).sum());
    time("split + hash (foldhash)", words, || {
        lines.iter().flat_map(|l| l.split(' ')).map(|w| hasher.hash_one(w) as usize & 1).sum()
    });
    time("split + String per word", words, || {
        lines.iter().flat_map(|l| l.split(' ')).map(|w| black_box(w.to_owned()).len()).sum()
    });
    time("the user's flat_map (+ line copy, Vec per line)", words, || {
        let owned = lines.iter().map(|l| l.to_string());
        owned.flat_map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>()).map(|w| black_box(w).len()).sum()
    });
    time("split + count borrowed words (hashbrown)", words, || {
        let mut counts = hashbrown::HashMap::with_hasher(hasher.clone());
        lines.iter().flat_map(|l| l.split(' ')).for_each(|w| *counts.entry(w).or_insert(0u64) += 1);
        counts.len()
    });
    time("the user's flat_map + count Strings (hashbrown)", words, || {
        let mut counts = hashbrown::HashMap::with_hasher(hasher.clone());
        let owned = lines.iter().map(|l| l.to_string());
        owned
            .flat_map(|l| l.split(' ').map(str::to_owned).collect::<Vec<_>>())
            .for_each(|w| *counts.entry(w).or_insert(0u64) += 1);
        counts.len()
    });
    Ok(())
}
