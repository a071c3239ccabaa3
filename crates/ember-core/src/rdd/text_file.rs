//! Text files: `Context::text_file` reads a file, a directory or a glob as lines, split into
//! partitions by byte ranges (Hadoop's `TextInputFormat`); `save_as_text_file` writes them.

use super::chunks::chunked;
use super::output::save_parts;
use super::{Chunks, Dependency, Rdd, RddOp};
use crate::scheduler::{raise, TaskContext};
use crate::{Context, Data, Error, Result};
use std::fmt::Display;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Largest split, as Hadoop's local file system block size.
const MAX_SPLIT: u64 = 32 << 20;
/// A file's last split may be up to 10% larger rather than leave a sliver (Hadoop's `SPLIT_SLOP`).
const SPLIT_SLOP: f64 = 1.1;

#[derive(Debug, Clone)]
struct FileSplit {
    path: Arc<PathBuf>,
    start: u64,
    end: u64,
}

struct TextFileRdd {
    splits: Vec<FileSplit>,
    lossy: bool,
}

/// The files a path names: itself, the visible files of a directory, or a glob's matches.
fn resolve(pattern: &str) -> Result<Vec<PathBuf>> {
    let missing = || Error::InputMissing { pattern: pattern.to_string() };
    let visible = |p: &Path| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with(['.', '_']));
    let mut files: Vec<PathBuf> = if pattern.contains(['*', '?', '[']) {
        glob::glob(pattern)
            .map_err(|e| Error::IllegalArgument(format!("bad glob {pattern}: {e}")))?
            .filter_map(std::result::Result::ok)
            .collect()
    } else {
        let path = PathBuf::from(pattern);
        if path.is_dir() {
            std::fs::read_dir(&path)
                .map_err(|e| Error::io(format!("listing {pattern}"), e))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect()
        } else if path.exists() {
            vec![path]
        } else {
            return Err(missing());
        }
    };
    files.retain(|p| p.is_file() && visible(p));
    files.sort();
    if files.is_empty() && !Path::new(pattern).is_dir() {
        return Err(missing());
    }
    Ok(files)
}

fn splits(files: Vec<PathBuf>, min_partitions: usize) -> Result<Vec<FileSplit>> {
    let sizes: Vec<u64> = files
        .iter()
        .map(|f| std::fs::metadata(f).map(|m| m.len()).map_err(|e| Error::io(format!("reading {}", f.display()), e)))
        .collect::<Result<_>>()?;
    let goal = sizes.iter().sum::<u64>() / min_partitions.max(1) as u64;
    let split_size = goal.clamp(1, MAX_SPLIT);
    let mut out = Vec::new();
    for (path, size) in files.into_iter().zip(sizes) {
        let path = Arc::new(path);
        let mut start = 0;
        while (size - start) as f64 / split_size as f64 > SPLIT_SLOP {
            out.push(FileSplit { path: path.clone(), start, end: start + split_size });
            start += split_size;
        }
        out.push(FileSplit { path, start, end: size });
    }
    Ok(out)
}

/// Lines whose first byte lies in `[start, end)`: a split that starts mid-line skips to the
/// next line, and the last line may run past `end`.
struct LineReader {
    reader: BufReader<std::fs::File>,
    path: Arc<PathBuf>,
    pos: u64,
    end: u64,
    lossy: bool,
    buf: Vec<u8>,
}

impl LineReader {
    fn open(split: &FileSplit, lossy: bool) -> Result<LineReader> {
        let context = || format!("reading {}", split.path.display());
        let file = std::fs::File::open(split.path.as_ref()).map_err(|e| Error::io(context(), e))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut pos = split.start;
        if split.start > 0 {
            // Back up one byte: if it is a newline, this split starts exactly at a line.
            reader.seek(SeekFrom::Start(split.start - 1)).map_err(|e| Error::io(context(), e))?;
            let mut skipped = Vec::new();
            pos = split.start - 1 + reader.read_until(b'\n', &mut skipped).map_err(|e| Error::io(context(), e))? as u64;
        }
        Ok(LineReader { reader, path: split.path.clone(), pos, end: split.end, lossy, buf: Vec::with_capacity(256) })
    }
}

impl Iterator for LineReader {
    type Item = String;
    fn next(&mut self) -> Option<String> {
        if self.pos >= self.end {
            return None;
        }
        let line_start = self.pos;
        let n = self
            .reader
            .read_until(b'\n', &mut self.buf)
            .unwrap_or_else(|e| raise(Error::io(format!("reading {}", self.path.display()), e)));
        if n == 0 {
            return None;
        }
        self.pos += n as u64;
        // The buffer becomes the line's String (no copy); the next line gets a fresh one.
        let mut bytes = std::mem::replace(&mut self.buf, Vec::with_capacity(n + n / 2));
        if bytes.last() == Some(&b'\n') {
            bytes.pop();
        }
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
        Some(match String::from_utf8(bytes) {
            Ok(s) => s,
            Err(e) if self.lossy => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            Err(e) => raise(Error::MalformedUtf8 {
                path: self.path.as_ref().clone(),
                offset: line_start + e.utf8_error().valid_up_to() as u64,
            }),
        })
    }
}

impl RddOp<String> for TextFileRdd {
    fn num_partitions(&self) -> usize {
        self.splits.len()
    }
    fn dependencies(&self) -> Vec<Dependency> {
        Vec::new()
    }
    fn compute(&self, split: usize, _tc: &TaskContext) -> Chunks<String> {
        chunked(LineReader::open(&self.splits[split], self.lossy).unwrap_or_else(|e| raise(e)))
    }
    fn name(&self) -> &'static str {
        "TextFileRDD"
    }
}

impl Context {
    /// Lines of a text file, of every visible file in a directory, or of the files a glob
    /// matches, in at least `min_partitions` partitions (more for files over 32 MiB).
    /// Lines end at `\n` (a trailing `\r` is dropped). A line that is not valid UTF-8 fails
    /// the job with an error naming the file and byte offset.
    ///
    /// ```
    /// # let ctx = ember_core::Context::local(2).unwrap();
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::write(dir.path().join("a.txt"), "one\ntwo\r\nthree").unwrap();
    /// let lines = ctx.text_file(dir.path().join("a.txt"), 2).unwrap();
    /// assert_eq!(lines.collect().unwrap(), vec!["one", "two", "three"]);
    /// assert!(ctx.text_file(dir.path().join("nope"), 2).is_err());
    /// ```
    pub fn text_file(&self, path: impl AsRef<Path>, min_partitions: usize) -> Result<Rdd<String>> {
        self.text_file_with(path.as_ref(), min_partitions, false)
    }

    /// [`text_file`](Self::text_file), replacing invalid UTF-8 with U+FFFD instead of failing.
    pub fn text_file_lossy(&self, path: impl AsRef<Path>, min_partitions: usize) -> Result<Rdd<String>> {
        self.text_file_with(path.as_ref(), min_partitions, true)
    }

    fn text_file_with(&self, path: &Path, min_partitions: usize, lossy: bool) -> Result<Rdd<String>> {
        let files = resolve(&path.to_string_lossy())?;
        Ok(Rdd::from_op(self, TextFileRdd { splits: splits(files, min_partitions)?, lossy }))
    }
}

impl<T: Data + Display> Rdd<T> {
    /// Saves each record's `Display` text as one line, in `path/part-NNNNN` files plus
    /// `path/_SUCCESS`. An existing `path` is an error (Spark does not overwrite).
    pub fn save_as_text_file(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_as_text_file_to(path.as_ref(), false)
    }

    /// [`save_as_text_file`](Self::save_as_text_file), replacing `path` if it exists (what
    /// streaming output operations use: a batch may be rerun after recovery).
    pub fn save_as_text_file_overwrite(&self, path: impl AsRef<Path>) -> Result<()> {
        self.save_as_text_file_to(path.as_ref(), true)
    }

    fn save_as_text_file_to(&self, path: &Path, overwrite: bool) -> Result<()> {
        save_parts(
            self,
            path,
            overwrite,
            Arc::new(|out, it| {
                for record in it {
                    writeln!(out, "{record}").map_err(|e| Error::io("writing text part", e))?;
                }
                Ok(())
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(path: &Path, parts: usize) -> Vec<String> {
        let files = resolve(&path.to_string_lossy()).unwrap();
        splits(files, parts)
            .unwrap()
            .iter()
            .flat_map(|s| LineReader::open(s, false).unwrap().collect::<Vec<_>>())
            .collect()
    }

    #[test]
    fn every_line_is_read_once_whatever_the_split_points() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lines.txt");
        let lines: Vec<String> = (0..500).map(|i| "x".repeat(i % 17) + &i.to_string()).collect();
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        for parts in [1, 2, 3, 7, 64, 1000] {
            assert_eq!(read_all(&path, parts), lines, "{parts} partitions");
        }
    }

    #[test]
    fn empty_lines_and_missing_final_newline() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, "a\n\n\nb").unwrap();
        for parts in 1..6 {
            assert_eq!(read_all(&path, parts), vec!["a", "", "", "b"]);
        }
    }
}
