//! File streams: each batch reads the files that appeared in a directory since the last batch
//! (Spark's `FileInputDStream`). Files are selected by modification time: a file is new at batch
//! time `t` if `threshold < mtime <= t` and it was not selected within the remember window
//! (`spark.streaming.fileStream.minRememberDuration`, 60 s). Write files elsewhere and move them
//! in atomically, as Spark's guide asks: an appended file is not read again. A listed file that
//! cannot be considered (a dangling symlink, an entry the listing cannot read, a name that is
//! not UTF-8) is skipped with a warning and a [`SkippedInputFile`] event, once while it stays
//! listed with the same problem; hidden files and directories are ignored without a word.

use crate::context::SscInner;
use crate::dstream::{AnyDStream, DStream, DStreamOp};
use crate::scheduler::listener::{SkippedInputFile, StreamingEvent};
use crate::{StreamingContext, Time};
use ember_core::{Context, Data, Error, Rdd, Result};
use parking_lot::Mutex;
use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Weak};
use std::time::Duration;

/// How a selected file becomes records.
type ReadFiles<T> = dyn Fn(&Context, Vec<PathBuf>) -> Result<Rdd<T>> + Send + Sync;

struct FileInputDStream<T: Data> {
    ctx: Context,
    ssc: Weak<SscInner>,
    directory: PathBuf,
    batch: Duration,
    remember: Duration,
    /// Files older than this are ignored (`new_files_only`: the clock at creation).
    ignore_before_ms: u64,
    /// Batch time → the files it selected, kept for the remember window.
    selected: Mutex<BTreeMap<Time, Vec<PathBuf>>>,
    /// The (path, reason) pairs already reported as skipped: the last listing's problems, so a
    /// file is reported once while it stays listed, and the set never outgrows the directory.
    reported: Mutex<HashSet<(PathBuf, String)>>,
    read: Box<ReadFiles<T>>,
    stream_id: usize,
}

/// What the listing makes of one directory entry.
enum Listed {
    /// A regular file modified at this epoch ms.
    File(PathBuf, u64),
    /// Hidden, a directory or another non-file: not the stream's business.
    Ignored,
    /// Could not be considered (the path, or the directory when the entry has none; why).
    Unreadable(PathBuf, String),
}

fn list_entry(directory: &Path, entry: std::io::Result<std::fs::DirEntry>) -> Listed {
    let path = match entry {
        Ok(entry) => entry.path(),
        Err(e) => return Listed::Unreadable(directory.to_path_buf(), format!("a directory entry cannot be read: {e}")),
    };
    let Some(name) = path.file_name() else { return Listed::Ignored };
    if name.as_encoded_bytes().starts_with(b".") {
        return Listed::Ignored;
    }
    if name.to_str().is_none() {
        return Listed::Unreadable(path, "its name is not valid UTF-8".into());
    }
    // Follows symlinks: a dangling one is an error here.
    let metadata = match std::fs::metadata(&path) {
        Ok(m) => m,
        Err(e) => {
            return match std::fs::read_link(&path) {
                Ok(target) => Listed::Unreadable(path, format!("{e} (a symbolic link to {})", target.display())),
                // Gone since the listing (moved away): no longer listed.
                Err(_) if e.kind() == std::io::ErrorKind::NotFound && std::fs::symlink_metadata(&path).is_err() => {
                    Listed::Ignored
                }
                Err(_) => Listed::Unreadable(path, e.to_string()),
            };
        }
    };
    if !metadata.is_file() {
        return Listed::Ignored;
    }
    let modified = metadata.modified().and_then(|m| {
        m.duration_since(std::time::UNIX_EPOCH).map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    });
    match modified {
        Ok(m) => Listed::File(path, m.as_millis() as u64),
        Err(e) => Listed::Unreadable(path, format!("its modification time cannot be read: {e}")),
    }
}

impl<T: Data> FileInputDStream<T> {
    fn new_files(&self, time: Time) -> Result<Vec<PathBuf>> {
        let threshold = self.ignore_before_ms.max(time.millis().saturating_sub(self.remember.as_millis() as u64));
        let mut selected = self.selected.lock();
        let seen: Vec<&PathBuf> = selected.values().flatten().collect();
        let entries = std::fs::read_dir(&self.directory)
            .map_err(|e| Error::io(format!("listing file stream directory {}", self.directory.display()), e))?;
        let mut files = Vec::new();
        let mut unreadable = HashSet::new();
        for entry in entries {
            match list_entry(&self.directory, entry) {
                Listed::File(path, modified) => {
                    if modified > threshold && modified <= time.millis() && !seen.contains(&&path) {
                        files.push(path);
                    }
                }
                Listed::Ignored => {}
                Listed::Unreadable(path, reason) => {
                    unreadable.insert((path, reason));
                }
            }
        }
        files.sort();
        selected.insert(time, files.clone());
        // Forget selections older than the remember window.
        let keep_from = time - self.remember;
        *selected = selected.split_off(&keep_from);
        drop(selected);
        self.report_unreadable(time, unreadable);
        Ok(files)
    }

    /// Warns about and posts each newly unreadable file; forgets the ones no longer listed.
    fn report_unreadable(&self, time: Time, unreadable: HashSet<(PathBuf, String)>) {
        let mut reported = self.reported.lock();
        let mut new: Vec<&(PathBuf, String)> = unreadable.iter().filter(|p| !reported.contains(*p)).collect();
        new.sort();
        let ssc = self.ssc.upgrade();
        for (path, reason) in new {
            tracing::warn!(
                "File stream {} (input stream {}) skipped {}: {reason}",
                self.directory.display(),
                self.stream_id,
                path.display()
            );
            if let Some(ssc) = &ssc {
                ssc.listeners.post(StreamingEvent::InputFileSkipped(SkippedInputFile {
                    stream_id: self.stream_id,
                    batch_time: time,
                    path: path.clone(),
                    reason: reason.clone(),
                }));
            }
        }
        *reported = unreadable;
    }
}

impl<T: Data> DStreamOp<T> for FileInputDStream<T> {
    fn slide_duration(&self) -> Duration {
        self.batch
    }
    fn dependencies(&self) -> Vec<Arc<dyn AnyDStream>> {
        Vec::new()
    }
    fn compute(&self, time: Time) -> Result<Option<Rdd<T>>> {
        let files = self.new_files(time)?;
        for f in &files {
            if std::fs::metadata(f).map(|m| m.len() == 0).unwrap_or(false) {
                tracing::error!(
                    "File {} has no data in it. Spark Streaming can only ingest files that have been \"moved\" to the directory assigned to the file stream.",
                    f.display()
                );
            }
        }
        if let Some(ssc) = self.ssc.upgrade() {
            ssc.report_input(time, self.stream_id, 0);
        }
        if files.is_empty() {
            return Ok(Some(self.ctx.empty_rdd()));
        }
        (self.read)(&self.ctx, files).map(Some)
    }
    fn name(&self) -> &'static str {
        "FileInputDStream"
    }
}

impl StreamingContext {
    /// Lines of the text files that appear in `directory` (a vanished or unreadable file fails
    /// that batch with an error naming it).
    pub fn text_file_stream(&self, directory: impl AsRef<Path>) -> DStream<String> {
        self.file_stream(directory, true, |ctx, files| {
            let rdds = files.iter().map(|f| ctx.text_file(f, 1)).collect::<Result<Vec<_>>>()?;
            Ok(ctx.union(rdds))
        })
    }

    /// Fixed-length binary records from the files that appear in `directory`. A file whose
    /// length is not a multiple of `record_length` fails the batch with an error naming it.
    pub fn binary_records_stream(&self, directory: impl AsRef<Path>, record_length: usize) -> DStream<Vec<u8>> {
        self.file_stream(directory, true, move |ctx, files| {
            let mut records = Vec::new();
            for f in &files {
                let bytes = std::fs::read(f).map_err(|e| Error::io(format!("reading {}", f.display()), e))?;
                if record_length == 0 || bytes.len() % record_length != 0 {
                    return Err(Error::IllegalArgument(format!(
                        "Byte array does not have correct length. {} did not equal recordLength: {record_length} (file {} ends in a partial record)",
                        bytes.len() % record_length.max(1),
                        f.display()
                    )));
                }
                records.push(bytes.chunks(record_length).map(<[u8]>::to_vec).collect());
            }
            Ok(ctx.parallelize_partitions(records))
        })
    }

    /// Records read by `read` from the files that appear in `directory`; `new_files_only`
    /// ignores files already there when the stream is created.
    pub fn file_stream<T: Data>(
        &self,
        directory: impl AsRef<Path>,
        new_files_only: bool,
        read: impl Fn(&Context, Vec<PathBuf>) -> Result<Rdd<T>> + Send + Sync + 'static,
    ) -> DStream<T> {
        let conf = self.spark_context().conf();
        let remember = conf
            .get_duration("spark.streaming.fileStream.minRememberDuration", Duration::from_secs(1))
            .unwrap_or_else(|e| {
                self.inner.config_error(e);
                None
            })
            .unwrap_or(Duration::from_secs(60));
        let batches = remember.as_millis().div_ceil(self.batch_duration().as_millis().max(1)) as u32;
        let op = FileInputDStream {
            ctx: self.spark_context().clone(),
            ssc: Arc::downgrade(&self.inner),
            directory: directory.as_ref().to_path_buf(),
            batch: self.batch_duration(),
            remember: self.batch_duration() * batches,
            ignore_before_ms: if new_files_only { self.inner.clock.now_ms() } else { 0 },
            selected: Mutex::default(),
            reported: Mutex::default(),
            read: Box::new(read),
            stream_id: self.inner.new_input_stream_id(),
        };
        DStream::from_op(self, op)
    }
}
