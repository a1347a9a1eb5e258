//! Stage 1, input: files on disk → [`Article`]s.
//!
//! Input: paths (JSONL, CSV, one `.txt`/`.md` file, a folder of any of these, or `-` for
//! JSONL on stdin), each possibly compressed with gzip or zstd ([`Compression`], recognised
//! by extension and by magic bytes). Files in a folder that are none of these are skipped and
//! listed ([`SkippedFile`]). Output: an iterator of `Result<Article, InputError>` in input order
//! ([`read_inputs_with`]). A bad record becomes an [`InputError`] naming the file, line and
//! document and saying why; it never stops the other records. [`Article::prepare`] then strips
//! HTML markup and rejects what cannot be classified (empty text, no words, size [`Limits`]).
//!
//! Bad input, by design: invalid UTF-8 is rejected (never decoded lossily, which would change
//! words silently); a record larger than [`Limits::max_doc_bytes`] is skipped without being
//! held in memory; binary files, broken links, unreadable files and folder loops are reported
//! once each; a missing id is derived from the text ([`derived_id`]) with a warning.
//!
//! A *paragraph* is a non-blank line of an article's text, trimmed; paragraphs are indexed from 0
//! in document order ([`paragraphs`]). This matches the `para` field of labeled samples.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::error::{Error, InputError, InputProblem, Result};

/// A document identifier, unique within a batch.
pub type DocId = String;

pub use crate::codebook::Label;

/// Where an article came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    /// The input file (`-` for stdin).
    pub file: String,
    /// 1-based line or record number, for line-oriented formats.
    pub line: Option<u64>,
}

/// One article to classify.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Article {
    /// Unique id.
    pub id: DocId,
    /// Headline.
    pub title: Option<String>,
    /// Publication date as given (not parsed here).
    pub date: Option<String>,
    /// Outlet.
    pub source: Option<String>,
    /// Address.
    pub url: Option<String>,
    /// Body text, paragraphs separated by newlines.
    pub text: String,
    /// Any other fields of the input record, carried into reports.
    pub extra: Map<String, Value>,
    /// Where the article was read from.
    pub origin: Origin,
    /// Repairs made while reading (derived id, a field of the wrong type moved to `extra`,
    /// HTML stripped …); each is reported as a warning.
    pub warnings: Vec<InputError>,
}

/// Size limits applied while reading and preparing articles.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `max_doc_bytes` | 10 000 000 | a record (JSONL line, CSV row, text file) larger than this is rejected without being held in memory | ≥ 1 |
/// | `max_paragraph_bytes` | 100 000 | a document with a longer paragraph (line) is rejected: that is not prose | ≥ 1 |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest record, in bytes.
    pub max_doc_bytes: usize,
    /// Longest paragraph, in bytes.
    pub max_paragraph_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_doc_bytes: 10_000_000,
            max_paragraph_bytes: 100_000,
        }
    }
}

impl Limits {
    /// Check the limits.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when a limit is zero.
    pub fn check(self) -> Result<Self> {
        for (name, v) in [
            ("max_doc_bytes", self.max_doc_bytes),
            ("max_paragraph_bytes", self.max_paragraph_bytes),
        ] {
            if v == 0 {
                return Err(Error::InvalidParam {
                    name,
                    value: "0".into(),
                    reason: "must be at least 1",
                });
            }
        }
        Ok(self)
    }
}

impl Article {
    /// The article's paragraphs (non-blank lines, trimmed), in order.
    pub fn paragraphs(&self) -> Vec<&str> {
        paragraphs(&self.text)
    }

    fn input_error(&self, kind: InputProblem, reason: impl Into<String>) -> InputError {
        InputError::new(
            kind,
            self.origin.file.clone(),
            self.origin.line,
            Some(self.id.clone()),
            reason,
        )
    }

    /// Check that the article has something to classify.
    ///
    /// # Errors
    /// An [`InputError`] when the text is empty or whitespace-only.
    pub fn validate(&self) -> std::result::Result<(), InputError> {
        if self.text.trim().is_empty() {
            return Err(
                self.input_error(InputProblem::EmptyText, "empty text: nothing to classify")
            );
        }
        Ok(())
    }

    /// Make the article ready to classify: strip HTML markup from the text and title (with a
    /// warning), then check that something classifiable is left and that it is within `limits`.
    ///
    /// # Errors
    /// An [`InputError`] when the text is empty or whitespace-only (also after stripping
    /// markup), has no letters or digits, is larger than `max_doc_bytes`, or has a paragraph
    /// longer than `max_paragraph_bytes`.
    pub fn prepare(mut self, limits: &Limits) -> std::result::Result<Article, InputError> {
        if self.text.len() > limits.max_doc_bytes {
            return Err(self.input_error(
                InputProblem::TooLarge,
                format!(
                    "text is {} bytes, over the limit of {} bytes (--max-doc-bytes)",
                    self.text.len(),
                    limits.max_doc_bytes
                ),
            ));
        }
        self.validate()?;
        let mut stripped = 0;
        if let Some((t, n)) = strip_html(&self.text) {
            self.text = t;
            stripped += n;
        }
        if let Some((t, n)) = self.title.as_deref().and_then(strip_html) {
            self.title = Some(t.split_whitespace().collect::<Vec<_>>().join(" "));
            stripped += n;
        }
        if stripped > 0 {
            let w = self.input_error(
                InputProblem::HtmlStripped,
                format!("HTML markup stripped ({stripped} tags removed); the rest was classified"),
            );
            self.warnings.push(w);
            if self.text.trim().is_empty() {
                return Err(self.input_error(
                    InputProblem::EmptyText,
                    "no text left after stripping HTML markup: nothing to classify",
                ));
            }
        }
        if !self.text.chars().any(char::is_alphanumeric) {
            return Err(self.input_error(
                InputProblem::NoWords,
                "no letters or digits (only punctuation, symbols or emoji): nothing to classify",
            ));
        }
        if let Some((i, p)) = paragraphs(&self.text)
            .iter()
            .enumerate()
            .find(|(_, p)| p.len() > limits.max_paragraph_bytes)
        {
            return Err(self.input_error(
                InputProblem::LineTooLong,
                format!(
                    "paragraph {i} is one line of {} bytes, over the limit of {} bytes \
                     (--max-paragraph-bytes): text without line breaks is not prose; split it \
                     into paragraphs",
                    p.len(),
                    limits.max_paragraph_bytes
                ),
            ));
        }
        Ok(self)
    }
}

/// Split text into paragraphs: non-blank lines, trimmed, in order.
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// The id given to a document without one: `sha256-` and the first 16 hex digits of the
/// SHA-256 of its text. The same text always gets the same id.
pub fn derived_id(text: &str) -> DocId {
    format!("sha256-{}", &crate::hash::sha256_hex(text.as_bytes())[..16])
}

/// Turn one JSON value into an article.
///
/// `text` is a required string. `id` is a string or number; when it is missing, null, empty or
/// of another type, an id is derived from the text ([`derived_id`]) and a warning recorded.
/// `title`, `date`, `source`, `url` are optional strings (null allowed, numbers are turned into
/// strings); a value of another type is kept under [`Article::extra`] with a warning. Every
/// other field is kept in [`Article::extra`].
///
/// # Errors
/// An [`InputError`] naming `origin` when the value is not an object or `text` is missing or
/// not a string.
pub fn article_from_json(
    value: Value,
    origin: &Origin,
) -> std::result::Result<Article, InputError> {
    let err = |kind, id: Option<String>, reason: String| {
        InputError::new(kind, origin.file.clone(), origin.line, id, reason)
    };
    let Value::Object(mut map) = value else {
        return Err(err(
            InputProblem::NotAnObject,
            None,
            format!("expected a JSON object, found {}", json_kind(&value)),
        ));
    };
    let id = match map.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s),
        Some(Value::Number(n)) => Ok(n.to_string()),
        None | Some(Value::Null) => Err("no \"id\" field".to_string()),
        Some(Value::String(_)) => Err("the \"id\" field is empty".to_string()),
        Some(v) => Err(format!(
            "the \"id\" field is {}, not a string",
            json_kind(&v)
        )),
    };
    let known = id.as_ref().ok().cloned();
    let text = match map.remove("text") {
        Some(Value::String(s)) => s,
        None | Some(Value::Null) => {
            return Err(err(
                InputProblem::MissingField,
                known,
                "missing field \"text\": nothing to classify".into(),
            ))
        }
        Some(v) => {
            return Err(err(
                InputProblem::WrongType,
                known,
                format!("field \"text\" must be a string, found {}", json_kind(&v)),
            ))
        }
    };
    let mut warnings = Vec::new();
    let id = match id {
        Ok(id) => id,
        Err(why) => {
            let d = derived_id(&text);
            warnings.push(err(
                InputProblem::DerivedId,
                Some(d.clone()),
                format!("{why}: using the id {d:?}, derived from the SHA-256 of the text"),
            ));
            d
        }
    };
    let mut opt = |name: &str| -> Option<String> {
        match map.remove(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(Value::Number(n)) => Some(n.to_string()),
            Some(v) => {
                warnings.push(err(
                    InputProblem::WrongType,
                    Some(id.clone()),
                    format!(
                        "field {name:?} must be a string, found {}: kept under \"meta\", {name} left empty",
                        json_kind(&v)
                    ),
                ));
                map.insert(name.to_string(), v);
                None
            }
        }
    };
    let title = opt("title");
    let date = opt("date");
    let source = opt("source");
    let url = opt("url");
    Ok(Article {
        id,
        title,
        date,
        source,
        url,
        text,
        extra: map,
        origin: origin.clone(),
        warnings,
    })
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The kinds of input framelens reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// One JSON object per line (`.jsonl`, `.ndjson`).
    Jsonl,
    /// CSV with a header row naming the columns.
    Csv,
    /// A folder: every file of a supported format below it.
    Folder,
    /// One `.txt`/`.md` file: one article (id = the file name).
    Text,
    /// JSONL on standard input.
    Stdin,
}

/// How an input file is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// Plain bytes.
    None,
    /// gzip (`.gz`, magic bytes `1f 8b`); concatenated members are read as one stream.
    Gzip,
    /// Zstandard (`.zst`, magic bytes `28 b5 2f fd`).
    Zstd,
}

impl Compression {
    /// The compression the first bytes of a file announce.
    pub fn from_magic(head: &[u8]) -> Self {
        if head.starts_with(&[0x1f, 0x8b]) {
            Compression::Gzip
        } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    /// The compression a file name announces (`.gz`, `.zst`, `.zstd`).
    pub fn from_name(path: &Path) -> Self {
        if has_ext(path, &["gz", "gzip"]) {
            Compression::Gzip
        } else if has_ext(path, &["zst", "zstd"]) {
            Compression::Zstd
        } else {
            Compression::None
        }
    }

    fn name(self) -> &'static str {
        match self {
            Compression::None => "plain",
            Compression::Gzip => "gzip",
            Compression::Zstd => "zstd",
        }
    }
}

fn has_ext(path: &Path, exts: &[&str]) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| exts.iter().any(|x| e.eq_ignore_ascii_case(x)))
}

/// The format of a file from its name: `.jsonl`/`.ndjson` JSONL, `.csv` CSV, `.txt`/`.md`
/// one text article, each optionally followed by `.gz` or `.zst`. `None` for any other name
/// (such a file in a folder is skipped and listed).
pub fn file_format(path: &Path) -> Option<(InputKind, Compression)> {
    let comp = Compression::from_name(path);
    let inner = match comp {
        Compression::None => path.to_path_buf(),
        _ => PathBuf::from(path.file_stem()?),
    };
    let ext = inner.extension()?.to_str()?.to_ascii_lowercase();
    let kind = match ext.as_str() {
        "jsonl" | "ndjson" => InputKind::Jsonl,
        "csv" => InputKind::Csv,
        "txt" | "md" => InputKind::Text,
        _ => return None,
    };
    Some((kind, comp))
}

/// Decide how to read a path: `-` is stdin, a folder is a folder, then by [`file_format`];
/// any other file named on the command line is read as JSONL.
pub fn input_kind(path: &Path) -> InputKind {
    if path.as_os_str() == "-" {
        InputKind::Stdin
    } else if path.is_dir() {
        InputKind::Folder
    } else {
        file_format(path).map_or(InputKind::Jsonl, |f| f.0)
    }
}

/// A file in an input folder that framelens does not read (not a supported format), or a
/// hidden folder it does not enter.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SkippedFile {
    /// The path, as found below the input folder.
    pub path: String,
    /// The extension (`.pdf`, `.json.bz2` …), `(none)` or `(hidden folder)`.
    pub ext: String,
}

impl SkippedFile {
    fn new(path: &Path, hidden_dir: bool) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let ext = if hidden_dir {
            "(hidden folder)".to_string()
        } else {
            // `.tar.gz`, `.json.bz2`: the last two extensions when the last one is short
            let trimmed = name.trim_start_matches('.');
            let parts: Vec<&str> = trimmed.split('.').collect();
            match parts.len() {
                0 | 1 => "(none)".to_string(),
                2 => format!(".{}", parts[1].to_ascii_lowercase()),
                n => {
                    let last = parts[n - 1].to_ascii_lowercase();
                    if matches!(last.as_str(), "gz" | "zst" | "bz2" | "xz" | "zip" | "7z") {
                        format!(".{}.{last}", parts[n - 2].to_ascii_lowercase())
                    } else {
                        format!(".{last}")
                    }
                }
            }
        };
        SkippedFile {
            path: path.display().to_string(),
            ext,
        }
    }
}

/// Where the readers record the files they skip; shared by the reader and the caller.
pub type SkipLog = std::sync::Arc<std::sync::Mutex<Vec<SkippedFile>>>;

/// Counts of skipped files by extension, most frequent first (ties by extension), e.g.
/// `3 .pdf, 1 (none)`.
pub fn skipped_by_ext(files: &[SkippedFile]) -> String {
    let mut counts: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for f in files {
        *counts.entry(f.ext.as_str()).or_default() += 1;
    }
    let mut v: Vec<(&str, usize)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    v.iter()
        .map(|(e, n)| format!("{n} {e}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// An error while decompressing, carrying the compressed byte offset (wrapped in an
/// [`std::io::Error`] by the decoding reader and recognised by the record readers).
#[derive(Debug)]
struct DecompressError(String);

impl std::fmt::Display for DecompressError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DecompressError {}

/// The kind and reason of a read error: a decompression failure is
/// [`InputProblem::CorruptCompressed`], anything else [`InputProblem::Unreadable`].
fn read_problem(e: &std::io::Error) -> (InputProblem, String) {
    match e
        .get_ref()
        .and_then(|x| x.downcast_ref::<DecompressError>())
    {
        Some(d) => (InputProblem::CorruptCompressed, d.to_string()),
        None => (InputProblem::Unreadable, format!("read error: {e}")),
    }
}

/// A buffered reader that counts the bytes its consumer has consumed.
struct Counted<R> {
    inner: R,
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.pos
            .fetch_add(n as u64, std::sync::atomic::Ordering::Relaxed);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.pos
            .fetch_add(amt as u64, std::sync::atomic::Ordering::Relaxed);
        self.inner.consume(amt);
    }
}

/// A decompressing reader whose errors name the compressed byte offset reached.
struct Decoded {
    inner: Box<dyn Read + Send>,
    pos: std::sync::Arc<std::sync::atomic::AtomicU64>,
    size: Option<u64>,
    format: Compression,
}

impl Read for Decoded {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.inner.read(buf).map_err(|e| {
            if e.kind() == std::io::ErrorKind::Interrupted {
                return e;
            }
            let at = self.pos.load(std::sync::atomic::Ordering::Relaxed);
            let of = self.size.map(|s| format!(" of {s}")).unwrap_or_default();
            let what = if self.size.is_some_and(|s| at >= s) {
                "truncated"
            } else {
                "corrupt"
            };
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                DecompressError(format!(
                    "{} data {what} at byte {at}{of} of the compressed file ({e}); the records \
                     before that point were read",
                    self.format.name()
                )),
            )
        })
    }
}

/// Wrap `raw` in a decompressor when its first bytes (or the name, `claimed`) say it is
/// compressed. A name that claims a compression the bytes do not carry is an error.
fn decode<R: Read + Send + 'static>(
    raw: R,
    name: &str,
    claimed: Compression,
    size: Option<u64>,
) -> std::result::Result<Box<dyn BufRead + Send>, InputError> {
    let err = |kind, reason: String| InputError::new(kind, name, None, None, reason);
    let mut raw = BufReader::with_capacity(1 << 20, raw);
    let head = raw
        .fill_buf()
        .map_err(|e| err(InputProblem::Unreadable, format!("cannot read: {e}")))?;
    let magic = Compression::from_magic(head);
    if claimed != Compression::None && magic != claimed {
        return Err(err(
            InputProblem::CorruptCompressed,
            format!(
                "{} data corrupt at byte 0: the name says {} but the file does not start with \
                 its signature",
                claimed.name(),
                claimed.name()
            ),
        ));
    }
    let pos = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counted = Counted {
        inner: raw,
        pos: pos.clone(),
    };
    let inner: Box<dyn Read + Send> = match magic {
        Compression::None => return Ok(Box::new(counted.inner)),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(counted)),
        Compression::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(counted).map_err(
            |e| {
                err(
                    InputProblem::CorruptCompressed,
                    format!("zstd data corrupt at byte 0: {e}"),
                )
            },
        )?),
    };
    Ok(Box::new(BufReader::with_capacity(
        1 << 20,
        Decoded {
            inner,
            pos,
            size,
            format: magic,
        },
    )))
}

/// Open an input file for reading, decompressing it when it is gzip or zstd.
fn open_input(path: &Path) -> std::result::Result<Box<dyn BufRead + Send>, InputError> {
    let f = File::open(path).map_err(|e| unreadable(path, None, &e))?;
    let size = f.metadata().ok().map(|m| m.len());
    decode(
        f,
        &path.display().to_string(),
        Compression::from_name(path),
        size,
    )
}

/// One item of an input stream.
pub type ArticleResult = std::result::Result<Article, InputError>;

/// A boxed stream of articles.
pub type ArticleStream = Box<dyn Iterator<Item = ArticleResult> + Send>;

/// Read every input in turn as one stream of articles, with the default [`Limits`].
///
/// # Errors
/// See [`read_inputs_with`].
pub fn read_inputs(paths: &[PathBuf]) -> Result<ArticleStream> {
    read_inputs_with(paths, &Limits::default())
}

/// Read every input in turn as one stream of articles.
///
/// An input path that does not exist is a fatal error, returned up front (a typo should not
/// produce an empty report). Everything else — a file that cannot be opened or read, a binary
/// file, a bad header, a bad record — comes out of the iterator as an [`InputError`] and the
/// other records and inputs are still read. Files are opened lazily, one at a time.
///
/// # Errors
/// [`Error::Io`] when an input path does not exist.
pub fn read_inputs_with(paths: &[PathBuf], limits: &Limits) -> Result<ArticleStream> {
    read_inputs_logged(paths, limits, SkipLog::default())
}

/// [`read_inputs_with`], recording every file a folder holds but framelens does not read in
/// `skipped` (complete once the stream is exhausted).
///
/// # Errors
/// [`Error::Io`] when an input path does not exist.
pub fn read_inputs_logged(
    paths: &[PathBuf],
    limits: &Limits,
    skipped: SkipLog,
) -> Result<ArticleStream> {
    for path in paths {
        if path.as_os_str() != "-" {
            if let Err(e) = std::fs::metadata(path) {
                if e.kind() == std::io::ErrorKind::NotFound {
                    return Err(Error::io(path, e));
                }
            }
        }
    }
    let limits = *limits;
    let paths = paths.to_vec();
    Ok(Box::new(
        paths
            .into_iter()
            .flat_map(move |p| read_one_input(&p, limits, &skipped)),
    ))
}

fn read_one_input(path: &Path, limits: Limits, skipped: &SkipLog) -> ArticleStream {
    match input_kind(path) {
        InputKind::Stdin => match decode(std::io::stdin(), "-", Compression::None, None) {
            Ok(r) => Box::new(read_jsonl_with(r, "-".into(), limits)),
            Err(e) => Box::new(std::iter::once(Err(e))),
        },
        InputKind::Folder => Box::new(read_folder_logged(path, limits, skipped.clone())),
        kind => {
            let id = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| path.display().to_string());
            read_file(path, kind, id, limits)
        }
    }
}

/// Read one file of a known kind (decompressing it when needed); `id` is the id of a text
/// file's article.
fn read_file(path: &Path, kind: InputKind, id: String, limits: Limits) -> ArticleStream {
    let reader = match open_input(path) {
        Ok(r) => r,
        Err(e) => return Box::new(std::iter::once(Err(e))),
    };
    let name = path.display().to_string();
    match kind {
        InputKind::Csv => Box::new(read_csv_from(reader, name, limits)),
        InputKind::Text => Box::new(std::iter::once(read_text_from(
            reader, name, path, id, &limits,
        ))),
        _ => Box::new(read_jsonl_with(reader, name, limits)),
    }
}

fn unreadable(path: &Path, id: Option<String>, e: &std::io::Error) -> InputError {
    InputError::new(
        InputProblem::Unreadable,
        path.display().to_string(),
        None,
        id,
        format!("cannot read: {e}"),
    )
}

/// Read a JSONL file of articles (default [`Limits`]).
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened.
pub fn read_jsonl(path: &Path) -> Result<impl Iterator<Item = ArticleResult> + Send> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(read_jsonl_from(
        BufReader::with_capacity(1 << 20, file),
        path.display().to_string(),
    ))
}

/// Read JSONL articles from any reader with the default [`Limits`]; `name` is used in errors.
pub fn read_jsonl_from<R: BufRead + Send>(
    reader: R,
    name: String,
) -> impl Iterator<Item = ArticleResult> + Send {
    read_jsonl_with(reader, name, Limits::default())
}

/// Why some leading bytes are not text, if they are not.
fn sniff_binary(head: &[u8]) -> Option<&'static str> {
    let head = &head[..head.len().min(8192)];
    if head.starts_with(&[0x1f, 0x8b]) {
        Some("binary file (gzip-compressed: decompress it first)")
    } else if head.starts_with(b"PK\x03\x04") {
        Some("binary file (a zip archive: unpack it first)")
    } else if head.starts_with(b"%PDF") {
        Some("binary file (a PDF: extract its text first)")
    } else if head.contains(&0) {
        Some("binary file (contains NUL bytes): not text")
    } else {
        None
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Outcome of reading one line with a size cap.
enum BoundedLine {
    /// End of input.
    Eof,
    /// A line (without the cap being hit) is in the buffer.
    Line,
    /// The line was longer than the cap; it was skipped and this is its length.
    TooLong(u64),
}

/// Read one line into `buf` (cleared first), holding at most `max + 1` bytes of it in memory:
/// a longer line is consumed up to its newline and reported as [`BoundedLine::TooLong`].
fn read_line_bounded<R: BufRead>(
    r: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<BoundedLine> {
    buf.clear();
    let mut total: u64 = 0;
    let mut too_long = false;
    loop {
        let avail = match r.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            break;
        }
        let (take, done) = match avail.iter().position(|&b| b == b'\n') {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        total += take as u64;
        if !too_long {
            if buf.len() + take > max.saturating_add(2) {
                too_long = true;
                buf.clear();
                buf.shrink_to(1 << 16);
            } else {
                buf.extend_from_slice(&avail[..take]);
            }
        }
        r.consume(take);
        if done {
            break;
        }
    }
    if !too_long {
        let content = buf
            .strip_suffix(b"\n")
            .map_or(&buf[..], |b| b.strip_suffix(b"\r").unwrap_or(b));
        if content.len() > max {
            too_long = true;
            buf.clear();
        }
    }
    Ok(if total == 0 {
        BoundedLine::Eof
    } else if too_long {
        BoundedLine::TooLong(total)
    } else {
        BoundedLine::Line
    })
}

/// Read JSONL articles from any reader; `name` is used in errors.
///
/// Each non-blank line is one record. A line longer than `limits.max_doc_bytes` is skipped
/// without being held in memory; invalid UTF-8, malformed JSON and bad fields are reported
/// per line. A reader whose first bytes are binary (NUL bytes, gzip, zip, PDF) gives a single
/// error. A UTF-8 byte-order mark is ignored.
pub fn read_jsonl_with<R: BufRead + Send>(
    mut reader: R,
    name: String,
    limits: Limits,
) -> impl Iterator<Item = ArticleResult> + Send {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut done = false;
    let mut first = true;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        let err =
            |kind, line, reason: String| InputError::new(kind, name.clone(), line, None, reason);
        if first {
            first = false;
            match reader.fill_buf() {
                Ok(head) => {
                    if let Some(why) = sniff_binary(head) {
                        done = true;
                        return Some(Err(err(InputProblem::BinaryFile, None, why.into())));
                    }
                    if head.starts_with(BOM) {
                        reader.consume(BOM.len());
                    }
                }
                Err(e) => {
                    done = true;
                    let (kind, reason) = read_problem(&e);
                    return Some(Err(err(kind, None, reason)));
                }
            }
        }
        line_no += 1;
        match read_line_bounded(&mut reader, &mut buf, limits.max_doc_bytes) {
            Ok(BoundedLine::Eof) => {
                done = true;
                return None;
            }
            Ok(BoundedLine::Line) => {}
            Ok(BoundedLine::TooLong(n)) => {
                return Some(Err(err(
                    InputProblem::TooLarge,
                    Some(line_no),
                    format!(
                        "record is {n} bytes, over the limit of {} bytes (--max-doc-bytes): skipped unread",
                        limits.max_doc_bytes
                    ),
                )))
            }
            Err(e) => {
                done = true;
                let (kind, reason) = read_problem(&e);
                return Some(Err(err(kind, Some(line_no), reason)));
            }
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(s) => s,
            Err(e) => {
                return Some(Err(err(
                    InputProblem::InvalidUtf8,
                    Some(line_no),
                    format!(
                        "invalid UTF-8 at byte {} of the line: framelens reads UTF-8 only \
                         (re-encode the file, e.g. with `iconv -f latin1 -t utf-8`)",
                        e.valid_up_to()
                    ),
                )))
            }
        };
        let origin = Origin {
            file: name.clone(),
            line: Some(line_no),
        };
        let parsed = serde_json::from_str::<Value>(line)
            .map_err(|e| {
                err(
                    InputProblem::MalformedJson,
                    Some(line_no),
                    format!("malformed JSON: {e}"),
                )
            })
            .and_then(|v| article_from_json(v, &origin));
        return Some(parsed);
    })
}

/// Read a CSV file with a header naming `text` and optionally `id`, `title`, `date`,
/// `source`, `url`; other columns are kept as extra string fields. Default [`Limits`].
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened.
pub fn read_csv(path: &Path) -> Result<impl Iterator<Item = ArticleResult> + Send> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    Ok(read_csv_from(
        file,
        path.display().to_string(),
        Limits::default(),
    ))
}

/// [`read_csv_from`] on a file; a file that cannot be opened gives one [`InputError`].
pub fn read_csv_with(path: &Path, limits: Limits) -> ArticleStream {
    read_file(path, InputKind::Csv, String::new(), limits)
}

/// Read CSV articles from any reader; `name` is used in errors.
///
/// A missing or unusable header (no `text` column, invalid UTF-8, binary data) gives one
/// error for the file. Rows with the wrong number of fields, invalid UTF-8 or more than
/// `limits.max_doc_bytes` bytes are reported one by one.
pub fn read_csv_from<R: Read + Send + 'static>(
    reader: R,
    name: String,
    limits: Limits,
) -> impl Iterator<Item = ArticleResult> + Send {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let file_err = |kind, reason: String| {
        Box::new(std::iter::once(Err(InputError::new(
            kind,
            name.clone(),
            None,
            None,
            reason,
        )))) as ArticleStream
    };
    match reader.fill_buf().map(sniff_binary) {
        Err(e) => {
            let (kind, reason) = read_problem(&e);
            file_err(kind, reason)
        }
        Ok(Some(why)) => file_err(InputProblem::BinaryFile, why.into()),
        Ok(None) => csv_records(reader, name.clone(), limits),
    }
}

fn csv_records<R: Read + Send + 'static>(reader: R, name: String, limits: Limits) -> ArticleStream {
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header_err = |kind, reason: String| {
        Box::new(std::iter::once(Err(InputError::new(
            kind,
            name.clone(),
            Some(1),
            None,
            reason,
        )))) as ArticleStream
    };
    let headers = match rdr.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            let kind = match e.kind() {
                csv::ErrorKind::Utf8 { .. } => InputProblem::InvalidUtf8,
                csv::ErrorKind::Io(io) => {
                    let (kind, reason) = read_problem(io);
                    return header_err(kind, reason);
                }
                _ => InputProblem::CsvHeader,
            };
            return header_err(kind, format!("cannot read the CSV header: {e}"));
        }
    };
    if !headers.iter().any(|h| h == "text") {
        return header_err(
            InputProblem::CsvHeader,
            format!(
                "the CSV header has no \"text\" column (columns: {}); no row can be read",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        );
    }
    let n_cols = headers.len();
    let mut records = rdr.into_byte_records();
    let mut done = false;
    Box::new(std::iter::from_fn(move || {
        if done {
            return None;
        }
        let rec = records.next()?;
        let err =
            |kind, line, reason: String| InputError::new(kind, name.clone(), line, None, reason);
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line());
                if let csv::ErrorKind::Io(io) = e.kind() {
                    done = true;
                    let (kind, reason) = read_problem(io);
                    return Some(Err(err(kind, line, reason)));
                }
                return Some(Err(err(
                    InputProblem::CsvRecord,
                    line,
                    format!("bad CSV record: {e}"),
                )));
            }
        };
        let line = rec.position().map(|p| p.line());
        Some(csv_article(&rec, &headers, n_cols, line, &name, &limits))
    }))
}

fn csv_article(
    rec: &csv::ByteRecord,
    headers: &csv::StringRecord,
    n_cols: usize,
    line: Option<u64>,
    name: &str,
    limits: &Limits,
) -> ArticleResult {
    let err = |kind, reason: String| InputError::new(kind, name, line, None, reason);
    let size = rec.as_slice().len();
    if size > limits.max_doc_bytes {
        return Err(err(
            InputProblem::TooLarge,
            format!(
                "CSV row is {size} bytes, over the limit of {} bytes (--max-doc-bytes)",
                limits.max_doc_bytes
            ),
        ));
    }
    if rec.len() != n_cols {
        return Err(err(
            InputProblem::CsvColumns,
            format!("CSV row has {} fields, the header has {n_cols}", rec.len()),
        ));
    }
    let mut map = Map::new();
    for (h, field) in headers.iter().zip(rec.iter()) {
        let s = std::str::from_utf8(field).map_err(|e| {
            err(
                InputProblem::InvalidUtf8,
                format!(
                    "invalid UTF-8 in column {h:?} at byte {}: framelens reads UTF-8 only",
                    e.valid_up_to()
                ),
            )
        })?;
        map.insert(h.to_string(), Value::String(s.to_string()));
    }
    article_from_json(
        Value::Object(map),
        &Origin {
            file: name.to_string(),
            line,
        },
    )
}

/// Read a folder with the default [`Limits`] (see [`read_folder_with`]).
pub fn read_folder(dir: &Path) -> impl Iterator<Item = ArticleResult> + Send {
    read_folder_with(dir, Limits::default())
}

/// Read a folder (see [`read_folder_logged`]); skipped files are logged at debug level only.
pub fn read_folder_with(dir: &Path, limits: Limits) -> impl Iterator<Item = ArticleResult> + Send {
    read_folder_logged(dir, limits, SkipLog::default())
}

/// Read every file of a supported format below a folder ([`file_format`]: JSONL, CSV, `.txt`,
/// `.md`, each plain, gzip or zstd), recursively and sorted by path. A text file is one
/// article whose id is its path relative to the folder (`/` separators) and whose title is
/// its first paragraph; JSONL and CSV files give their records. Links are followed; a link
/// back to an ancestor folder (a loop) is reported and not followed, as are broken links,
/// unreadable entries and binary, corrupt or non-UTF-8 files. Any other file, and any hidden
/// folder (not entered), is recorded in `skipped`.
pub fn read_folder_logged(
    dir: &Path,
    limits: Limits,
    skipped: SkipLog,
) -> impl Iterator<Item = ArticleResult> + Send {
    let root = dir.to_path_buf();
    let hidden = |e: &walkdir::DirEntry| {
        e.depth() > 0 && e.file_type().is_dir() && e.file_name().to_string_lossy().starts_with('.')
    };
    let skipped2 = skipped.clone();
    walkdir::WalkDir::new(dir)
        .follow_links(true)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(move |e| {
            if hidden(e) {
                if let Ok(mut s) = skipped2.lock() {
                    s.push(SkippedFile::new(e.path(), true));
                }
                false
            } else {
                true
            }
        })
        .flat_map(move |entry| -> ArticleStream {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => return Box::new(std::iter::once(Err(walk_error(&root, &e)))),
            };
            if !entry.file_type().is_file() {
                return Box::new(std::iter::empty());
            }
            let path = entry.path();
            let Some((kind, _)) = file_format(path) else {
                log::debug!("{}: skipped (not a format framelens reads)", path.display());
                if let Ok(mut s) = skipped.lock() {
                    s.push(SkippedFile::new(path, false));
                }
                return Box::new(std::iter::empty());
            };
            let rel = path.strip_prefix(&root).unwrap_or(path);
            let id = rel
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            read_file(path, kind, id, limits)
        })
}

fn walk_error(root: &Path, e: &walkdir::Error) -> InputError {
    let file = e
        .path()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| root.display().to_string());
    if let Some(anc) = e.loop_ancestor() {
        return InputError::new(
            InputProblem::DirectoryLoop,
            file,
            None,
            None,
            format!(
                "directory loop: this link points back to {}, which is already being read; not followed",
                anc.display()
            ),
        );
    }
    let why = e
        .io_error()
        .map(|io| io.to_string())
        .unwrap_or_else(|| e.to_string());
    let broken = e
        .path()
        .is_some_and(|p| p.symlink_metadata().is_ok() && std::fs::metadata(p).is_err());
    InputError::new(
        InputProblem::Unreadable,
        file,
        None,
        None,
        if broken {
            format!("cannot read: {why} (a broken link)")
        } else {
            format!("cannot read: {why}")
        },
    )
}

/// Read one text file as an article with the given id (the default [`Limits`] aside, as
/// [`read_folder_logged`] reads it).
fn read_text_from(
    reader: Box<dyn BufRead + Send>,
    file: String,
    path: &Path,
    id: String,
    limits: &Limits,
) -> ArticleResult {
    let err =
        |kind, reason: String| InputError::new(kind, file.clone(), None, Some(id.clone()), reason);
    let mut bytes = Vec::new();
    // read one byte past the limit to notice a larger file without reading all of it
    let cap = limits.max_doc_bytes as u64 + 1;
    reader.take(cap).read_to_end(&mut bytes).map_err(|e| {
        let (kind, reason) = read_problem(&e);
        err(
            kind,
            if kind == InputProblem::Unreadable {
                format!("cannot read: {e}")
            } else {
                reason
            },
        )
    })?;
    if bytes.len() as u64 >= cap {
        let size = if Compression::from_magic(&bytes) == Compression::None
            && Compression::from_name(path) == Compression::None
        {
            format!("{} bytes", std::fs::metadata(path).map_or(cap, |m| m.len()))
        } else {
            format!("over {} bytes decompressed", limits.max_doc_bytes)
        };
        return Err(err(
            InputProblem::TooLarge,
            format!(
                "file is {size}, over the limit of {} bytes (--max-doc-bytes): skipped",
                limits.max_doc_bytes
            ),
        ));
    }
    if let Some(why) = sniff_binary(&bytes) {
        return Err(err(InputProblem::BinaryFile, why.into()));
    }
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        err(
            InputProblem::InvalidUtf8,
            format!(
                "invalid UTF-8 at byte {}: framelens reads UTF-8 only (re-encode the file, \
                 e.g. with `iconv -f latin1 -t utf-8`)",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    let title = paragraphs(&text)
        .first()
        .map(|t| t.trim_start_matches('#').trim().to_string());
    Ok(Article {
        id,
        title,
        text,
        origin: Origin { file, line: None },
        ..Article::default()
    })
}

/// HTML elements whose content is not text.
const HTML_SKIP: &[&str] = &["script", "style", "noscript", "template", "head"];

/// Inline HTML elements: removed without a break.
const HTML_INLINE: &[&str] = &[
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "del", "dfn", "em", "font", "i", "ins",
    "kbd", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time",
    "tt", "u", "var", "wbr",
];

/// HTML elements replaced by a space.
const HTML_SPACE: &[&str] = &[
    "td", "th", "img", "input", "button", "label", "select", "option",
];

/// Block-level HTML elements: replaced by a line break (a paragraph boundary).
const HTML_BLOCK: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "br",
    "caption",
    "center",
    "dd",
    "details",
    "dialog",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "iframe",
    "li",
    "main",
    "meta",
    "link",
    "nav",
    "ol",
    "p",
    "picture",
    "pre",
    "section",
    "source",
    "summary",
    "svg",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "title",
    "tr",
    "ul",
    "video",
    "audio",
    "object",
    "embed",
];

/// Longest tag (from `<` to `>`) recognised as markup.
const MAX_TAG: usize = 4096;

enum TagAction {
    Nothing,
    Space,
    Break,
    /// Skip the element's content up to its closing tag.
    SkipTo(&'static str),
}

/// Parse an HTML tag, comment or declaration starting at `b[lt] == b'<'`: the index just past
/// it and what to put in its place, or `None` when this `<` is not markup.
fn parse_tag(b: &[u8], lt: usize) -> Option<(usize, TagAction)> {
    let rest = &b[lt..];
    if rest.starts_with(b"<!--") {
        let end = find(&b[lt + 4..], b"-->").map_or(b.len(), |i| lt + 4 + i + 3);
        return Some((end, TagAction::Nothing));
    }
    if rest.len() > 2 && (rest[1] == b'!' || rest[1] == b'?') && rest[2].is_ascii_alphabetic() {
        let gt = rest.iter().take(MAX_TAG).position(|&c| c == b'>')?;
        return Some((lt + gt + 1, TagAction::Nothing));
    }
    let mut i = 1;
    let closing = rest.get(1) == Some(&b'/');
    if closing {
        i += 1;
    }
    let start = i;
    while i < rest.len() && rest[i].is_ascii_alphanumeric() && i - start < 16 {
        i += 1;
    }
    if i == start || !rest[start].is_ascii_alphabetic() {
        return None;
    }
    let name = std::str::from_utf8(&rest[start..i])
        .ok()?
        .to_ascii_lowercase();
    match rest.get(i) {
        Some(c) if c.is_ascii_whitespace() || *c == b'/' || *c == b'>' => {}
        _ => return None,
    }
    // find the closing '>' outside quoted attribute values, within MAX_TAG bytes
    let mut quote = None;
    let mut j = i;
    let gt = loop {
        if j >= rest.len() || j >= MAX_TAG {
            return None;
        }
        let c = rest[j];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => break j,
            None if c == b'<' => return None,
            None => {}
        }
        j += 1;
    };
    let end = lt + gt + 1;
    let is = |set: &[&str]| set.contains(&name.as_str());
    let action = if let (false, Some(skip)) = (closing, HTML_SKIP.iter().find(|s| **s == name)) {
        TagAction::SkipTo(skip)
    } else if is(HTML_INLINE) {
        TagAction::Nothing
    } else if is(HTML_SPACE) {
        TagAction::Space
    } else if is(HTML_BLOCK) || is(HTML_SKIP) {
        TagAction::Break
    } else {
        return None;
    };
    Some((end, action))
}

/// Position of `needle` in `hay`, ASCII case-insensitively.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}

/// Remove HTML markup from text: tags and comments are dropped (block elements such as `<p>`,
/// `<br>`, `<div>`, `<li>` become line breaks, so they still separate paragraphs), the content
/// of `<script>`, `<style>`, `<head>` … is dropped, and character references (`&amp;`,
/// `&#233;` …) are decoded. Only known HTML element names count as tags, so prose such as
/// `a <b and c> d` with unknown names is left alone.
///
/// Returns the cleaned text and the number of tags removed, or `None` when the text has no
/// markup (it is then used unchanged, entities included).
pub fn strip_html(text: &str) -> Option<(String, usize)> {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut tags = 0usize;
    let mut last = 0;
    let mut i = 0;
    while let Some(off) = b[i..].iter().position(|&c| c == b'<') {
        let lt = i + off;
        let Some((mut end, action)) = parse_tag(b, lt) else {
            i = lt + 1;
            continue;
        };
        if tags == 0 {
            out.reserve(text.len());
        }
        out.push_str(&text[last..lt]);
        tags += 1;
        match action {
            TagAction::Nothing => {}
            TagAction::Space => out.push(' '),
            TagAction::Break => out.push('\n'),
            TagAction::SkipTo(name) => {
                let close = format!("</{name}");
                end = match find(&b[end..], close.as_bytes()) {
                    Some(k) => {
                        let from = end + k;
                        b[from..]
                            .iter()
                            .position(|&c| c == b'>')
                            .map_or(b.len(), |g| from + g + 1)
                    }
                    None => b.len(),
                };
                out.push('\n');
            }
        }
        last = end;
        i = end;
        if i >= b.len() {
            break;
        }
    }
    if tags == 0 {
        return None;
    }
    out.push_str(&text[last.min(text.len())..]);
    Some((decode_entities(&out), tags))
}

/// Decode HTML character references (`&amp;`, `&nbsp;`, `&#8217;`, `&#x1F600;` …); unknown or
/// invalid ones are kept as they are.
pub fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let semi = after
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = semi.and_then(|k| entity(&after[..k]).map(|c| (c, k)));
        match decoded {
            Some((c, k)) => {
                out.push(c);
                rest = &after[k + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let v = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse::<u32>().ok()?,
        };
        return char::from_u32(v).filter(|&c| c != '\0');
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "ndash" => '–',
        "mdash" => '—',
        "hellip" => '…',
        "lsquo" => '‘',
        "rsquo" => '’',
        "ldquo" => '“',
        "rdquo" => '”',
        "laquo" => '«',
        "raquo" => '»',
        "euro" => '€',
        "pound" => '£',
        "copy" => '©',
        "middot" => '·',
        "eacute" => 'é',
        "aacute" => 'á',
        "iacute" => 'í',
        "oacute" => 'ó',
        "uacute" => 'ú',
        "ntilde" => 'ñ',
        "uuml" => 'ü',
        "ouml" => 'ö',
        "auml" => 'ä',
        "ccedil" => 'ç',
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn jsonl(input: &[u8]) -> Vec<ArticleResult> {
        read_jsonl_with(
            Cursor::new(input.to_vec()),
            "in.jsonl".into(),
            Limits::default(),
        )
        .collect()
    }

    #[test]
    fn paragraphs_are_trimmed_non_blank_lines() {
        let p = paragraphs("  a \n\n\t\nb\r\n  c");
        assert_eq!(p, vec!["a", "b", "c"]);
    }

    #[test]
    fn jsonl_keeps_extra_fields_and_reports_bad_lines() {
        let input =
            "{\"id\":\"a\",\"text\":\"x\",\"bias\":\"left\"}\n{oops\n\n[1]\n{\"id\":\"b\"}\n";
        let items: Vec<_> = read_jsonl_from(Cursor::new(input), "in.jsonl".into()).collect();
        assert_eq!(items.len(), 4);
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.extra["bias"], "left");
        let e = items[1].as_ref().unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(e.kind, InputProblem::MalformedJson);
        assert!(e.reason.contains("malformed JSON"));
        let e = items[2].as_ref().unwrap_err();
        assert_eq!(e.kind, InputProblem::NotAnObject);
        assert!(e.reason.contains("expected a JSON object, found an array"));
        let e = items[3].as_ref().unwrap_err();
        assert_eq!(e.line, Some(5));
        assert_eq!(e.kind, InputProblem::MissingField);
        assert_eq!(e.id.as_deref(), Some("b"));
        assert!(e.reason.contains("missing field \"text\""));
    }

    #[test]
    fn missing_id_is_derived_from_the_text_with_a_warning() {
        let items = jsonl(b"{\"text\":\"Same words.\"}\n{\"id\":null,\"text\":\"Same words.\"}\n{\"id\":[1],\"text\":\"Other.\"}\n");
        let a = items[0].as_ref().unwrap();
        assert_eq!(a.id, derived_id("Same words."));
        assert!(a.id.starts_with("sha256-") && a.id.len() == 7 + 16);
        assert_eq!(a.warnings.len(), 1);
        assert_eq!(a.warnings[0].kind, InputProblem::DerivedId);
        assert!(a.warnings[0].reason.contains("no \"id\" field"));
        assert_eq!(items[1].as_ref().unwrap().id, a.id, "stable");
        let c = items[2].as_ref().unwrap();
        assert!(
            c.warnings[0].reason.contains("an array"),
            "{:?}",
            c.warnings
        );
    }

    #[test]
    fn wrong_field_types() {
        let items = jsonl(b"{\"id\":1,\"text\":7}\n{\"id\":\"x\",\"text\":\"ok\",\"title\":[\"a\"],\"date\":2024}\n");
        let e = items[0].as_ref().unwrap_err();
        assert_eq!(e.kind, InputProblem::WrongType);
        assert_eq!(e.id.as_deref(), Some("1"));
        let a = items[1].as_ref().unwrap();
        assert_eq!(a.title, None);
        assert_eq!(a.date.as_deref(), Some("2024"));
        assert_eq!(a.extra["title"], serde_json::json!(["a"]));
        assert_eq!(a.warnings[0].kind, InputProblem::WrongType);
    }

    #[test]
    fn oversized_lines_are_skipped_unread_and_counting_continues() {
        let big = format!("{{\"id\":\"big\",\"text\":\"{}\"}}\n", "a ".repeat(600));
        let input = format!("{big}{{\"id\":\"ok\",\"text\":\"fine\"}}\n{big}");
        let limits = Limits {
            max_doc_bytes: 1000,
            ..Limits::default()
        };
        let items: Vec<_> =
            read_jsonl_with(Cursor::new(input.into_bytes()), "f".into(), limits).collect();
        assert_eq!(items.len(), 3);
        let e = items[0].as_ref().unwrap_err();
        assert_eq!((e.kind, e.line), (InputProblem::TooLarge, Some(1)));
        assert!(
            e.reason.contains(&format!("{} bytes", big.len())),
            "{}",
            e.reason
        );
        assert_eq!(items[1].as_ref().unwrap().id, "ok");
        assert_eq!(items[2].as_ref().unwrap_err().line, Some(3));
        // the cap itself: a line of exactly the limit is fine
        let mut buf = Vec::new();
        let mut r = Cursor::new(b"abc\nabcd\n".to_vec());
        assert!(matches!(
            read_line_bounded(&mut r, &mut buf, 3).unwrap(),
            BoundedLine::Line
        ));
        assert!(matches!(
            read_line_bounded(&mut r, &mut buf, 3).unwrap(),
            BoundedLine::TooLong(5)
        ));
        assert!(matches!(
            read_line_bounded(&mut r, &mut buf, 3).unwrap(),
            BoundedLine::Eof
        ));
    }

    #[test]
    fn invalid_utf8_binary_and_bom() {
        let items = jsonl(b"{\"id\":\"l\",\"text\":\"Caf\xe9\"}\n");
        let e = items[0].as_ref().unwrap_err();
        assert_eq!(e.kind, InputProblem::InvalidUtf8);
        assert!(e.reason.contains("byte 21"), "{}", e.reason);
        let items = jsonl(b"\x1f\x8b\x08\x00rest");
        assert_eq!(items.len(), 1);
        assert_eq!(
            items[0].as_ref().unwrap_err().kind,
            InputProblem::BinaryFile
        );
        assert!(items[0].as_ref().unwrap_err().reason.contains("gzip"));
        let items = jsonl(b"\xEF\xBB\xBF{\"id\":\"b\",\"text\":\"t\"}\n");
        assert_eq!(items[0].as_ref().unwrap().id, "b");
    }

    #[test]
    fn csv_rows_header_and_columns() {
        let csv = b"id,text,title\na,Hello there.,T\nb,only two\n,No id here.,T3\nc,\"x\xff\",t\n";
        let items: Vec<_> =
            read_csv_from(Cursor::new(csv.to_vec()), "c.csv".into(), Limits::default()).collect();
        assert_eq!(items.len(), 4);
        assert_eq!(items[0].as_ref().unwrap().title.as_deref(), Some("T"));
        let e = items[1].as_ref().unwrap_err();
        assert_eq!((e.kind, e.line), (InputProblem::CsvColumns, Some(3)));
        assert!(e.reason.contains("2 fields, the header has 3"));
        let d = items[2].as_ref().unwrap();
        assert_eq!(d.id, derived_id("No id here."));
        assert_eq!(d.warnings[0].kind, InputProblem::DerivedId);
        let e = items[3].as_ref().unwrap_err();
        assert_eq!(e.kind, InputProblem::InvalidUtf8);
        let bad: Vec<_> = read_csv_from(
            Cursor::new(b"id,body\na,b\n".to_vec()),
            "h.csv".into(),
            Limits::default(),
        )
        .collect();
        assert_eq!(bad.len(), 1);
        assert_eq!(bad[0].as_ref().unwrap_err().kind, InputProblem::CsvHeader);
        let bom: Vec<_> = read_csv_from(
            Cursor::new(b"\xEF\xBB\xBFid,text\na,b\n".to_vec()),
            "bom.csv".into(),
            Limits::default(),
        )
        .collect();
        assert_eq!(bom[0].as_ref().unwrap().id, "a");
    }

    #[test]
    fn folder_reports_binary_broken_links_and_loops() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), "# Title\n\nBody text.\n").unwrap();
        std::fs::write(root.join("bin.txt"), b"PNG\x00\x01\x02").unwrap();
        std::fs::write(root.join("skip.jpg"), b"\xff\xd8").unwrap();
        std::fs::write(root.join("sub/b.md"), "Other text.\n").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.join("nowhere.txt"), root.join("broken.txt")).unwrap();
            std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();
        }
        let items: Vec<_> = read_folder(root).collect();
        let ok: Vec<&str> = items
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(ok, ["a.txt", "sub/b.md"]);
        assert_eq!(items[0].as_ref().unwrap().title.as_deref(), Some("Title"));
        let kinds: Vec<InputProblem> = items
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.kind)
            .collect();
        assert!(kinds.contains(&InputProblem::BinaryFile), "{kinds:?}");
        #[cfg(unix)]
        {
            assert!(kinds.contains(&InputProblem::Unreadable), "{items:?}");
            assert!(kinds.contains(&InputProblem::DirectoryLoop), "{items:?}");
        }
    }

    #[test]
    fn prepare_rejects_what_cannot_be_classified() {
        let art = |t: &str| Article {
            id: "x".into(),
            text: t.into(),
            ..Default::default()
        };
        let l = Limits::default();
        let kind = |t: &str| art(t).prepare(&l).unwrap_err().kind;
        assert_eq!(kind(" \n\t "), InputProblem::EmptyText);
        assert_eq!(kind("!!! ... ??? 🎉🎉 — “” ★"), InputProblem::NoWords);
        assert_eq!(kind("<p> </p><br/>"), InputProblem::EmptyText);
        let long = "word ".repeat(30_000);
        let e = art(&long).prepare(&l).unwrap_err();
        assert_eq!(e.kind, InputProblem::LineTooLong);
        assert!(e.reason.contains("paragraph 0"), "{}", e.reason);
        let small = Limits {
            max_doc_bytes: 10,
            ..l
        };
        assert_eq!(
            art("eleven chars").prepare(&small).unwrap_err().kind,
            InputProblem::TooLarge
        );
        let ok = art("<p>Migrants &amp; families</p><p>crossed.</p>")
            .prepare(&l)
            .unwrap();
        assert_eq!(ok.paragraphs(), ["Migrants & families", "crossed."]);
        assert_eq!(ok.warnings[0].kind, InputProblem::HtmlStripped);
        let plain = art("Rates < 5% and > 2% & rising").prepare(&l).unwrap();
        assert_eq!(plain.text, "Rates < 5% and > 2% & rising");
        assert!(plain.warnings.is_empty());
    }

    #[test]
    fn html_stripping() {
        let (t, n) = strip_html(
            "<html><head><title>T</title><style>p{x:1}</style></head><body>\
             <h1>Head</h1><p>One <b>bold</b> word.<br>Two&nbsp;&#8217;s &#x263A;</p>\
             <script>var a = '<p>';</script><!-- c --><div class=\"a>b\">Three</div></body></html>",
        )
        .unwrap();
        assert_eq!(
            paragraphs(&t),
            ["Head", "One bold word.", "Two ’s ☺", "Three"]
        );
        assert!(n >= 10);
        assert!(strip_html("a <b and c> d").is_some());
        assert!(strip_html("x <unknown> y, 3 < 4").is_none());
        assert!(strip_html("unterminated <p class=\"x").is_none());
        assert_eq!(
            decode_entities("AT&T &bogus; &#0; &amp;"),
            "AT&T &bogus; &#0; &"
        );
        // never panics on multi-byte text around markup
        let (t, _) = strip_html("é<p>ü</p>€<br/>").unwrap();
        assert_eq!(paragraphs(&t), ["é", "ü", "€"]);
    }

    #[test]
    fn empty_text_is_invalid() {
        let a = Article {
            id: "x".into(),
            text: " \n ".into(),
            ..Default::default()
        };
        assert!(a.validate().is_err());
    }
}
