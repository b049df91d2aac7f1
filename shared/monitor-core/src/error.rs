//! The crate's error type. Every variant carries the offending value (key, line, field).

/// Errors of monitor-core use cases.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CoreError {
    /// An object or file could not be found in the store.
    #[error("object not found: {key}")]
    NotFound {
        /// store key or path
        key: String,
    },
    /// An I/O failure on a store key.
    #[error("I/O error on {key}: {source}")]
    Io {
        /// store key or path
        key: String,
        /// underlying error
        #[source]
        source: std::io::Error,
    },
    /// A transient failure the caller may retry (throttling, timeouts).
    #[error("transient error on {key}: {message}")]
    Transient {
        /// store key
        key: String,
        /// what happened
        message: String,
    },
    /// A dataset could not be read: names the file, line and column.
    #[error("{file}:{line}: column {column}: {message}")]
    Dataset {
        /// file or key
        file: String,
        /// 1-based line number
        line: u64,
        /// column name or index
        column: String,
        /// what is wrong
        message: String,
    },
    /// A dataset with no data rows.
    #[error("{file}: no data rows")]
    EmptyDataset {
        /// file or key
        file: String,
    },
    /// A SageMaker file could not be parsed.
    #[error("{key}: {source}")]
    Format {
        /// store key
        key: String,
        /// parse failure
        #[source]
        source: crate::formats::statistics::FormatError,
    },
    /// A state about to be written holds a non-finite float (serde_json would write it as
    /// `null` and the file would no longer decode): refused, nothing is written.
    #[error("refusing to write state of {key}: field {field} is {value}, not a finite number")]
    NonFiniteState {
        /// what the state was built from (its source object)
        key: String,
        /// dotted path of the field, e.g. `minutes[0].profile.features[2].moments.sum`
        field: String,
        /// the value (`NaN`, `inf` or `-inf`)
        value: f64,
    },
    /// An object that cannot be read as text at all (a gzip object): one error for the
    /// object instead of a bad line per chunk of binary. Not retryable.
    #[error("{key}: {message}")]
    BadObject {
        /// store key
        key: String,
        /// what the object is and what was expected
        message: String,
    },
    /// A configuration value is missing or invalid.
    #[error("invalid configuration {field} = {value:?}: {message}")]
    Config {
        /// field or variable name
        field: String,
        /// offending value
        value: String,
        /// why it is invalid
        message: String,
    },
    /// Two monitor configurations declare the same `name`: neither is used (their state
    /// keys would collide).
    #[error("monitor name {name:?} is declared by both {first} and {second}")]
    DuplicateMonitor {
        /// the shared name
        name: String,
        /// one configuration key
        first: String,
        /// the other configuration key
        second: String,
    },
    /// Our own state file could not be decoded.
    #[error("invalid state object {key}: {message}")]
    State {
        /// store key
        key: String,
        /// what is wrong
        message: String,
    },
}

impl CoreError {
    /// Whether the same call may succeed when retried: an I/O failure or a transient one
    /// (throttling, timeouts). Use cases propagate these, so the event is delivered again,
    /// and turn anything else into a `Failed` execution or a permanent error.
    pub fn is_retryable(&self) -> bool {
        match self {
            // A gzip object reads the same on every retry.
            CoreError::Io { source, .. } => !crate::store::is_gzip_error(source),
            CoreError::Transient { .. } => true,
            _ => false,
        }
    }
}

/// The retry boundary of the use cases, named once: a retryable error
/// ([`CoreError::is_retryable`]) propagates, so the event is delivered again; anything else
/// is the caller's to turn into a `Failed` execution, a failure entry or a log line.
pub trait RetryBoundary<T> {
    /// The outer `Err` is a retryable error; the value, or any other error, comes back
    /// inside `Ok`.
    ///
    /// # Errors
    /// The error, when it is retryable.
    fn propagate_retryable(self) -> Result<Result<T, CoreError>, CoreError>;
}

impl<T> RetryBoundary<T> for Result<T, CoreError> {
    fn propagate_retryable(self) -> Result<Result<T, CoreError>, CoreError> {
        match self {
            Err(e) if e.is_retryable() => Err(e),
            other => Ok(other),
        }
    }
}
