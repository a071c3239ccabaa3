//! A built-in text source for demos and tests: deterministic lines of words drawn from a
//! Zipf-like vocabulary (the shape of `gen_lines.py` in the shared benchmarks), so a demo needs
//! no files and no network. [`GeneratedText`] streams them as a receiver.

use ember_streaming::receiver::{Receiver, ReceiverContext};
use std::time::{Duration, Instant};

/// `n` lines of about 100 bytes, words `w0`, `w1`, … from a vocabulary of `vocab` words, the
/// same for the same `seed`.
///
/// ```
/// let lines = ember::demo::generate_lines(3, 10, 1);
/// assert_eq!(lines.len(), 3);
/// assert_eq!(lines, ember::demo::generate_lines(3, 10, 1));
/// ```
pub fn generate_lines(n: usize, vocab: usize, seed: u64) -> Vec<String> {
    let vocab = vocab.max(1);
    // Cumulative 1/(i+1) weights: a few words are frequent, most are rare, as in real text.
    let cumulative: Vec<f64> = (0..vocab)
        .scan(0.0, |acc, i| {
            *acc += 1.0 / (i as f64 + 1.0);
            Some(*acc)
        })
        .collect();
    let total = cumulative[vocab - 1];
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    (0..n)
        .map(|_| {
            let mut line = String::with_capacity(110);
            while line.len() < 95 {
                let target = uniform() * total;
                let word = cumulative.partition_point(|c| *c < target).min(vocab - 1);
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(&format!("w{word:x}"));
            }
            line
        })
        .collect()
}

/// Number of space-separated words in `lines` (what a word count must add up to).
pub fn count_words(lines: &[String]) -> u64 {
    lines.iter().map(|l| l.split(' ').count() as u64).sum()
}

/// A receiver that streams generated lines at `lines_per_sec` (the demo's built-in source).
///
/// ```
/// use ember::prelude::*;
/// let ctx = Context::local(2)?;
/// let ssc = StreamingContext::new(&ctx, std::time::Duration::from_millis(200));
/// let lines = ssc.receiver_stream(ember::demo::GeneratedText::new(1_000, 100, 7));
/// lines.count().print();
/// # Ok::<(), ember::Error>(())
/// ```
pub struct GeneratedText {
    lines_per_sec: u64,
    vocab: usize,
    seed: u64,
}

impl GeneratedText {
    /// Lines over a `vocab`-word vocabulary, `lines_per_sec` of them per second.
    pub fn new(lines_per_sec: u64, vocab: usize, seed: u64) -> Self {
        GeneratedText { lines_per_sec: lines_per_sec.max(1), vocab, seed }
    }
}

impl Receiver<String> for GeneratedText {
    fn on_start(&mut self, ctx: ReceiverContext<String>) {
        let (rate, vocab, seed) = (self.lines_per_sec, self.vocab, self.seed);
        std::thread::spawn(move || {
            // Ten slices a second, each a block of the lines due by then.
            let started = Instant::now();
            let (mut sent, mut round) = (0u64, seed);
            while !ctx.is_stopped() {
                let due = (started.elapsed().as_secs_f64() * rate as f64) as u64;
                if due > sent {
                    round += 1;
                    ctx.store_many(generate_lines((due - sent) as usize, vocab, round));
                    sent = due;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        });
    }
    fn on_stop(&mut self) {}
}
