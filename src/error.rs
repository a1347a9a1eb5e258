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
    /// A codebook file is invalid.
    #[error("codebook {path}: {field}: {message}")]
    Codebook {
        /// The codebook file.
        path: PathBuf,
        /// The field at fault (e.g. `labels[2].name`, `thresholds.framed_min`, `line 4`).
        field: String,
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
    /// The trends database (SQLite) failed or is not a framelens database.
    #[error("database {path}: {source}")]
    Store {
        /// The database file.
        path: PathBuf,
        /// The SQLite error.
        #[source]
        source: rusqlite::Error,
    },
    /// A chart could not be drawn or rasterised.
    #[error("chart: {0}")]
    Chart(String),
    /// A narrative file is unusable (see [`crate::narratives`]).
    #[error(transparent)]
    Narratives(#[from] NarrativeError),
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

/// A single input record that could not be turned into an article (or, as a warning, one
/// that was repaired).
///
/// These never stop a batch: they are collected, reported in `errors.jsonl` and `summary.md`,
/// and counted.
#[derive(
    Debug, Clone, PartialEq, Eq, Default, thiserror::Error, serde::Serialize, serde::Deserialize,
)]
#[error("{file}{}{}: {reason}", line.map(|l| format!(":{l}")).unwrap_or_default(), id.as_ref().map(|i| format!(" (document {i})")).unwrap_or_default())]
pub struct InputError {
    /// What kind of problem this is (a stable code for programs).
    #[serde(default)]
    pub kind: InputProblem,
    /// The input file (`-` for stdin).
    pub file: String,
    /// 1-based line or CSV record, where the input has lines.
    pub line: Option<u64>,
    /// The document id, when it was known.
    pub id: Option<String>,
    /// Why the record was rejected.
    pub reason: String,
}

/// The kind of an [`InputError`]: a stable `snake_case` code written to `errors.jsonl`.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputProblem {
    /// Anything not covered below.
    #[default]
    Other,
    /// A file or folder entry could not be opened or read.
    Unreadable,
    /// A file that holds binary data (NUL bytes, a compressed archive …).
    BinaryFile,
    /// A folder link that points back to one of its ancestors (not followed).
    DirectoryLoop,
    /// Bytes that are not UTF-8.
    InvalidUtf8,
    /// A JSONL line that is not valid JSON.
    MalformedJson,
    /// A JSON value that is not an object.
    NotAnObject,
    /// A required field (`text`) is missing or null.
    MissingField,
    /// A field holds the wrong JSON type.
    WrongType,
    /// No id was given: one was derived from the text's SHA-256 (a warning).
    DerivedId,
    /// The id was already used: the document was renamed with a `#N` suffix (a warning).
    DuplicateId,
    /// A CSV file without a usable header.
    CsvHeader,
    /// A CSV row whose number of fields differs from the header.
    CsvColumns,
    /// A CSV row that could not be parsed.
    CsvRecord,
    /// The text is empty or whitespace-only.
    EmptyText,
    /// The text has no letters or digits (only punctuation, symbols, emoji).
    NoWords,
    /// The record is larger than the document size limit.
    TooLarge,
    /// A paragraph (line) is longer than the paragraph size limit.
    LineTooLong,
    /// HTML markup was stripped from the text (a warning).
    HtmlStripped,
    /// The tokenizer failed on the text.
    Tokenizer,
    /// framelens itself failed on this document (a bug: please report it).
    Internal,
    /// A gzip or zstd file that is truncated or corrupt (the records before the damage are
    /// read; the error names the compressed byte offset).
    CorruptCompressed,
}

impl InputProblem {
    /// The `snake_case` code, as written to `errors.jsonl`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputProblem::Other => "other",
            InputProblem::Unreadable => "unreadable",
            InputProblem::BinaryFile => "binary_file",
            InputProblem::DirectoryLoop => "directory_loop",
            InputProblem::InvalidUtf8 => "invalid_utf8",
            InputProblem::MalformedJson => "malformed_json",
            InputProblem::NotAnObject => "not_an_object",
            InputProblem::MissingField => "missing_field",
            InputProblem::WrongType => "wrong_type",
            InputProblem::DerivedId => "derived_id",
            InputProblem::DuplicateId => "duplicate_id",
            InputProblem::CsvHeader => "csv_header",
            InputProblem::CsvColumns => "csv_columns",
            InputProblem::CsvRecord => "csv_record",
            InputProblem::EmptyText => "empty_text",
            InputProblem::NoWords => "no_words",
            InputProblem::TooLarge => "too_large",
            InputProblem::LineTooLong => "line_too_long",
            InputProblem::HtmlStripped => "html_stripped",
            InputProblem::Tokenizer => "tokenizer",
            InputProblem::Internal => "internal",
            InputProblem::CorruptCompressed => "corrupt_compressed",
        }
    }
}

impl std::fmt::Display for InputProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl InputError {
    /// A problem of `kind` in `file` (at `line`, for document `id` when known).
    pub fn new(
        kind: InputProblem,
        file: impl Into<String>,
        line: Option<u64>,
        id: Option<String>,
        reason: impl Into<String>,
    ) -> Self {
        InputError {
            kind,
            file: file.into(),
            line,
            id,
            reason: reason.into(),
        }
    }
}

/// A narrative file that cannot be used ([`crate::narratives`]; defined here, where every
/// error of the crate is, so that this module imports none of the stages).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NarrativeError {
    /// The file cannot be read.
    #[error("narrative file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or does not have the expected fields.
    #[error("narrative file {path}: {message}")]
    Toml {
        /// The file.
        path: PathBuf,
        /// The TOML parser's message (with its line and column).
        message: String,
    },
    /// A rule does not parse.
    #[error("{}:{line}:{column}: narrative `{id}`: rule column {rule_column}: {message}", path.display())]
    Rule {
        /// The file.
        path: PathBuf,
        /// The narrative (`stance` for the rebuttal cue rule).
        id: String,
        /// 1-based line in the file.
        line: usize,
        /// 1-based column in the file (characters).
        column: usize,
        /// 1-based column in the rule string (characters).
        rule_column: usize,
        /// What is wrong.
        message: String,
    },
    /// A narrative's fields are invalid (bad or duplicate id, unknown frame).
    #[error("{}:{line}: narrative `{id}`: {message}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// The narrative.
        id: String,
        /// 1-based line of its id in the file.
        line: usize,
        /// What is wrong.
        message: String,
    },
}
