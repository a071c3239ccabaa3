//! Ember's single error type: one variant per situation a user can hit, each with a clear message.

use std::path::PathBuf;
use std::sync::Arc;

/// Result type of every fallible Ember call.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in Ember, with the message the user sees.
///
/// `Debug` prints that message too (and any cause it does not already name), so a
/// `fn main() -> ember::Result<()>` that fails shows the user a sentence, not a structure.
///
/// ```
/// let err = ember_core::Error::ContextStopped;
/// assert_eq!(err.to_string(), "Cannot call methods on a stopped Context.");
/// assert_eq!(format!("{err:?}"), "Cannot call methods on a stopped Context.");
/// ```
#[derive(Clone, thiserror::Error)]
pub enum Error {
    /// A method was called on a `Context` after `stop()`.
    #[error("Cannot call methods on a stopped Context.")]
    ContextStopped,
    /// A configuration value could not be parsed or is out of range.
    #[error("Invalid value '{value}' for configuration key '{key}': {reason}")]
    InvalidConf {
        /// The configuration key.
        key: String,
        /// The value found.
        value: String,
        /// What was expected.
        reason: String,
    },
    /// A job was aborted because one of its tasks failed `spark.task.maxFailures` times.
    #[error(
        "Job aborted due to stage failure: Task {partition} in stage {stage}.0 failed {attempts} times, \
         most recent failure: Lost task {partition}.{last_attempt} in stage {stage}.0: {message}"
    )]
    JobFailed {
        /// The stage whose task failed.
        stage: usize,
        /// The partition the task computed.
        partition: usize,
        /// How many attempts were made.
        attempts: usize,
        /// The last attempt's number (attempts - 1).
        last_attempt: usize,
        /// The last failure's message (for a panic, its message).
        message: String,
    },
    /// An I/O operation failed; `context` says what Ember was doing, and the operating system's
    /// error is kept as the cause ([`Error::io_error`], `source()`).
    #[error("{context}: {source}")]
    Io {
        /// What Ember was doing.
        context: String,
        /// The operating system's error.
        source: Arc<std::io::Error>,
    },
    /// A line of a text input is not valid UTF-8.
    #[error(
        "Malformed UTF-8 in {} at byte offset {offset} (use text_file_lossy to replace invalid bytes with U+FFFD)",
        path.display()
    )]
    MalformedUtf8 {
        /// The file.
        path: PathBuf,
        /// Byte offset of the first invalid byte.
        offset: u64,
    },
    /// An output directory already exists (Spark refuses to overwrite).
    #[error("Output directory {} already exists", path.display())]
    OutputExists {
        /// The directory.
        path: PathBuf,
    },
    /// A path or glob given as input matched no file.
    #[error("Input path does not exist: {pattern}")]
    InputMissing {
        /// The path or glob given.
        pattern: String,
    },
    /// Encoding or decoding records with the codec failed.
    #[error("Codec error: {0}")]
    Codec(String),
    /// `rdd.checkpoint()` was called before `set_checkpoint_dir`.
    #[error("Checkpoint directory has not been set in the Context")]
    CheckpointDirNotSet,
    /// A broadcast variable was used after `destroy()`.
    #[error("Attempted to use Broadcast({0}) after it was destroyed")]
    BroadcastDestroyed(u64),
    /// A caller broke a documented precondition (Spark's `require`).
    #[error("requirement failed: {0}")]
    IllegalArgument(String),
    /// An operation is not valid in the current state (Spark's `IllegalStateException`).
    #[error("{0}")]
    IllegalState(String),
}

impl Error {
    /// Wraps an `std::io::Error` with what Ember was doing when it happened.
    pub fn io(context: impl Into<String>, err: std::io::Error) -> Self {
        Error::Io { context: context.into(), source: Arc::new(err) }
    }

    /// The operating system's error behind an [`Error::Io`].
    ///
    /// ```
    /// use std::io::ErrorKind;
    /// let err = ember_core::Error::io("reading in.txt", ErrorKind::NotFound.into());
    /// assert_eq!(err.io_error().map(|e| e.kind()), Some(ErrorKind::NotFound));
    /// ```
    pub fn io_error(&self) -> Option<&std::io::Error> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl std::fmt::Debug for Error {
    /// The message, then each deeper cause the message does not already include (as `anyhow`
    /// prints a chain).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let message = self.to_string();
        f.write_str(&message)?;
        let mut cause = std::error::Error::source(self);
        while let Some(c) = cause {
            let text = c.to_string();
            if !message.contains(&text) {
                write!(f, "\n\nCaused by:\n    {text}")?;
            }
            cause = c.source();
        }
        Ok(())
    }
}

impl From<bincode::Error> for Error {
    fn from(e: bincode::Error) -> Self {
        Error::Codec(e.to_string())
    }
}
