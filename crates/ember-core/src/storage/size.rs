//! Size estimation for memory accounting, by sampling (Spark's `SizeEstimator` does likewise).

use serde::Serialize;

/// Estimated in-memory bytes of `items`: the encoded size of up to 32 evenly spaced samples,
/// scaled to the whole slice, plus each element's inline size.
pub(crate) fn estimate_size<T: Serialize>(items: &[T]) -> u64 {
    if items.is_empty() {
        return 0;
    }
    let step = (items.len() / 32).max(1);
    let (mut bytes, mut n) = (0u64, 0u64);
    for item in items.iter().step_by(step).take(32) {
        bytes += bincode::serialized_size(item).unwrap_or(0);
        n += 1;
    }
    let per_item = bytes / n + std::mem::size_of::<T>() as u64;
    per_item * items.len() as u64
}

#[cfg(test)]
mod tests {
    #[test]
    fn estimates_grow_with_content() {
        let small: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        let large: Vec<String> = (0..1000).map(|i| "x".repeat(100) + &i.to_string()).collect();
        let (s, l) = (super::estimate_size(&small), super::estimate_size(&large));
        assert!(s >= 1000 * 24 && l > s + 90_000, "{s} {l}");
        assert_eq!(super::estimate_size::<u8>(&[]), 0);
    }
}
