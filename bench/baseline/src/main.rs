//! Hand-written single-threaded word count: read, split each line on spaces, count in a
//! `HashMap`. The yardstick Ember is measured against (BENCHMARKS.md).
//!
//! Usage:
//!   wordcount-baseline FILE                          count a file; prints words/s
//!   wordcount-baseline --socket PORT EXPECTED_WORDS  count lines read from 127.0.0.1:PORT until
//!                                                    EXPECTED_WORDS words, then print `done_ms`

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::time::Instant;

/// Counts words line by line until the input ends or `limit` words were seen.
fn count(input: impl Read, limit: u64) -> std::io::Result<(u64, HashMap<String, u64>)> {
    let mut reader = BufReader::with_capacity(1 << 20, input);
    let mut counts: HashMap<String, u64> = HashMap::new();
    let mut line = String::new();
    let mut words = 0u64;
    while words < limit && reader.read_line(&mut line)? > 0 {
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
    Ok((words, counts))
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--socket") {
        let (port, expected): (u16, u64) = match (args.get(1).map(|a| a.parse()), args.get(2).map(|a| a.parse())) {
            (Some(Ok(p)), Some(Ok(e))) => (p, e),
            _ => panic!("usage: wordcount-baseline --socket PORT EXPECTED_WORDS"),
        };
        let (words, _) = count(std::net::TcpStream::connect(("127.0.0.1", port))?, expected)?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        println!("done_ms {now} words {words} batches 1");
        return Ok(());
    }
    let path = args.first().expect("usage: wordcount-baseline FILE");
    let started = Instant::now();
    let (words, counts) = count(std::fs::File::open(path)?, u64::MAX)?;
    let secs = started.elapsed().as_secs_f64();
    println!("words {words} distinct {} secs {secs:.3} words_per_sec {:.0}", counts.len(), words as f64 / secs);
    Ok(())
}
