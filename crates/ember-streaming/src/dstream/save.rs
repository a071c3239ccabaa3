//! `save_as_text_files` / `save_as_object_files`: one directory per batch, named
//! `prefix-TIME_IN_MS.suffix` (Spark's `rddToFileName`).

use super::DStream;
use crate::Time;
use ember_core::Data;
use std::fmt::Display;

/// Spark's `rddToFileName`: `prefix-<ms>.suffix`, leaving out an empty prefix or suffix.
pub(crate) fn rdd_to_file_name(prefix: &str, suffix: &str, time: Time) -> String {
    let mut name = time.millis().to_string();
    if !prefix.is_empty() {
        name = format!("{prefix}-{name}");
    }
    if !suffix.is_empty() {
        name = format!("{name}.{suffix}");
    }
    name
}

impl<T: Data + Display> DStream<T> {
    /// Saves each batch as text (`Display`, one record per line) in `prefix-<ms>.suffix/`.
    /// A directory left by an earlier run of the same batch is replaced.
    #[track_caller]
    pub fn save_as_text_files(&self, prefix: &str, suffix: &str) {
        let (prefix, suffix) = (prefix.to_string(), suffix.to_string());
        self.register_output("save_as_text_files", move |rdd, time| {
            rdd.save_as_text_file_overwrite(rdd_to_file_name(&prefix, &suffix, time))
        });
    }
}

impl<T: Data> DStream<T> {
    /// Saves each batch as object files in `prefix-<ms>.suffix/`.
    #[track_caller]
    pub fn save_as_object_files(&self, prefix: &str, suffix: &str) {
        let (prefix, suffix) = (prefix.to_string(), suffix.to_string());
        self.register_output("save_as_object_files", move |rdd, time| {
            rdd.save_as_object_file_overwrite(rdd_to_file_name(&prefix, &suffix, time))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_as_spark() {
        let t = Time::from_millis(1000);
        assert_eq!(rdd_to_file_name("out", "txt", t), "out-1000.txt");
        assert_eq!(rdd_to_file_name("out", "", t), "out-1000");
        assert_eq!(rdd_to_file_name("", "", t), "1000");
        assert_eq!(rdd_to_file_name("", "txt", t), "1000.txt");
    }
}
