//! A built-in text source for demos and tests: deterministic lines of words drawn from a
//! Zipf-like vocabulary (the shape of `gen_lines.py` in the shared benchmarks), so a demo needs
//! no files and no network.

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
