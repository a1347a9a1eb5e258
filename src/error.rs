//! Error types for every pipeline stage.
//!
//! Library code returns [`Error`]; each variant carries the context a user needs to find the
//! problem (file, line, document id). The binary adds its own context with `anyhow`.

use std::path::PathBuf;

/// Result alias used across the library.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in framelens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file involved.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// One input record (a JSONL line, a CSV row, a text file) is unusable.
    #[error("{0}")]
    Input(#[from] InputError),
    /// A labeled-data file is invalid.
    #[error("{path}:{line}: {message}")]
    Labels {
        /// The labels file.
        path: PathBuf,
        /// 1-based line (0 when the whole file is concerned).
        line: u64,
        /// What is wrong.
        message: String,
    },
    /// Hyper-parameters out of range.
    #[error("invalid parameter {name} = {value}: {reason}")]
    InvalidParam {
        /// Parameter name.
        name: &'static str,
        /// The rejected value.
        value: String,
        /// The accepted range.
        reason: &'static str,
    },
    /// The Hugging Face tokenizer failed.
    #[error("tokenizer {path}: {source}")]
    Tokenizer {
        /// The tokenizer file (or `<memory>`).
        path: PathBuf,
        /// The tokenizers error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// linfa failed to fit the classifier.
    #[error("training failed: {0}")]
    Fit(String),
    /// A model folder is missing, damaged or incompatible.
    #[error("model {path}: {message}")]
    Model {
        /// The model folder or file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// JSON (de)serialisation of an output or model file failed.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// The serde_json error.
        #[source]
        source: serde_json::Error,
    },
    /// Anything else, with a message.
    #[error("{0}")]
    Other(String),
}

impl Error {
    /// Wrap an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }
}

/// A single input record that could not be turned into an article.
///
/// These never stop a batch: they are collected, reported and counted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize, serde::Deserialize)]
#[error("{file}{}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default(), id.as_ref().map(|i| format!(" (document {i})")).unwrap_or_default())]
pub struct InputError {
    /// The input file (`-` for stdin).
    pub file: String,
    /// 1-based line or CSV record, where the input has lines.
    pub line: Option<u64>,
    /// The document id, when it was known.
    pub id: Option<String>,
    /// Why the record was rejected.
    pub reason: String,
}
