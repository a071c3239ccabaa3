//! Hand-written single-threaded word count: read the file, split each line on spaces, count in
//! a `HashMap`. The yardstick Ember's `wordcount` is measured against (BENCHMARKS.md).
//! Usage: wordcount-baseline FILE

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::time::Instant;

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).expect("usage: wordcount-baseline FILE");
    let started = Instant::now();
    let mut reader = BufReader::with_capacity(1 << 20, std::fs::File::open(path)?);
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut line = String::new();
    let mut words = 0u64;
    while reader.read_line(&mut line)? > 0 {
        for word in line.trim_end_matches(['\n', '\r']).split(' ').filter(|w| !w.is_empty()) {
            words += 1;
            match counts.get_mut(word) {
                Some(n) => *n += 1,
                None => {
                    counts.insert(word.to_owned(), 1);
                }
            }
        }
        line.clear();
    }
    let secs = started.elapsed().as_secs_f64();
    println!("words {words} distinct {} secs {secs:.3} words_per_sec {:.0}", counts.len(), words as f64 / secs);
    Ok(())
}
