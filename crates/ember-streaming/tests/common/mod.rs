//! Helpers shared by the streaming test suites.

/// Each batch sorted: Spark's suites compare such batches as sets (`useSet = true`).
pub fn sorted<T: Ord>(batches: Vec<Vec<T>>) -> Vec<Vec<T>> {
    batches
        .into_iter()
        .map(|mut b| {
            b.sort();
            b
        })
        .collect()
}
