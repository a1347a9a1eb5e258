//! Stage 1, input: files on disk → [`Article`]s.
//!
//! Input: paths (JSONL, CSV, a folder of `.txt`/`.md` files, or `-` for JSONL on stdin).
//! Output: an iterator of `Result<Article, InputError>` in input order. A bad record becomes an
//! [`InputError`] naming the file and line; it never stops the other records.
//!
//! A *paragraph* is a non-blank line of an article's text, trimmed; paragraphs are indexed from 0
//! in document order ([`paragraphs`]). This matches the `para` field of labeled samples.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, InputError, Result};

/// A document identifier, unique within a batch.
pub type DocId = String;

/// The five paragraph labels: the four frames of the codebook plus `none`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    /// People facing hardship, danger or persecution.
    Humanitarian,
    /// Money, work and prosperity.
    Economic,
    /// A threat to the state or society beyond ordinary law-breaking.
    Security,
    /// The machinery of immigration law.
    Enforcement,
    /// No frame: boilerplate, political process, off-topic.
    None,
}

impl Label {
    /// All labels, in model column order.
    pub const ALL: [Label; 5] = [
        Label::Humanitarian,
        Label::Economic,
        Label::Security,
        Label::Enforcement,
        Label::None,
    ];
    /// The four frames (every label but `none`).
    pub const FRAMES: [Label; 4] = [
        Label::Humanitarian,
        Label::Economic,
        Label::Security,
        Label::Enforcement,
    ];
    /// Number of labels.
    pub const COUNT: usize = 5;

    /// Column index of this label in score vectors.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The label at a column index.
    pub fn from_index(i: usize) -> Label {
        Label::ALL[i]
    }

    /// The lowercase name used in files.
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Humanitarian => "humanitarian",
            Label::Economic => "economic",
            Label::Security => "security",
            Label::Enforcement => "enforcement",
            Label::None => "none",
        }
    }

    /// Whether this is one of the four frames.
    pub fn is_frame(self) -> bool {
        self != Label::None
    }
}

impl std::fmt::Display for Label {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for Label {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "humanitarian" => Ok(Label::Humanitarian),
            "economic" => Ok(Label::Economic),
            "security" => Ok(Label::Security),
            "enforcement" => Ok(Label::Enforcement),
            "none" => Ok(Label::None),
            other => Err(format!(
                "unknown label {other:?} (expected humanitarian, economic, security, enforcement or none)"
            )),
        }
    }
}

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
}

impl Article {
    /// The article's paragraphs (non-blank lines, trimmed), in order.
    pub fn paragraphs(&self) -> Vec<&str> {
        paragraphs(&self.text)
    }

    fn input_error(&self, reason: impl Into<String>) -> InputError {
        InputError {
            file: self.origin.file.clone(),
            line: self.origin.line,
            id: Some(self.id.clone()),
            reason: reason.into(),
        }
    }

    /// Check that the article has something to classify.
    ///
    /// # Errors
    /// An [`InputError`] when the text is empty or whitespace-only.
    pub fn validate(&self) -> std::result::Result<(), InputError> {
        if self.text.trim().is_empty() {
            return Err(self.input_error("empty text: nothing to classify"));
        }
        Ok(())
    }
}

/// Split text into paragraphs: non-blank lines, trimmed, in order.
pub fn paragraphs(text: &str) -> Vec<&str> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Turn one JSON value into an article.
///
/// `id` and `text` are required strings; `title`, `date`, `source`, `url` are optional strings
/// (null allowed); every other field is kept in [`Article::extra`].
///
/// # Errors
/// An [`InputError`] naming `origin` when the value is not an object or a field has the wrong type.
pub fn article_from_json(
    value: Value,
    origin: &Origin,
) -> std::result::Result<Article, InputError> {
    let err = |id: Option<String>, reason: String| InputError {
        file: origin.file.clone(),
        line: origin.line,
        id,
        reason,
    };
    let Value::Object(mut map) = value else {
        return Err(err(
            None,
            format!("expected a JSON object, found {}", json_kind(&value)),
        ));
    };
    let id = match map.remove("id") {
        Some(Value::String(s)) if !s.trim().is_empty() => s,
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(_)) => return Err(err(None, "field \"id\" is empty".into())),
        Some(v) => {
            return Err(err(
                None,
                format!("field \"id\" must be a string, found {}", json_kind(&v)),
            ))
        }
        None => return Err(err(None, "missing field \"id\"".into())),
    };
    let text = match map.remove("text") {
        Some(Value::String(s)) => s,
        Some(v) => {
            return Err(err(
                Some(id),
                format!("field \"text\" must be a string, found {}", json_kind(&v)),
            ))
        }
        None => return Err(err(Some(id), "missing field \"text\"".into())),
    };
    let mut opt = |name: &str| -> std::result::Result<Option<String>, InputError> {
        match map.remove(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(err(
                Some(id.clone()),
                format!("field {name:?} must be a string, found {}", json_kind(&v)),
            )),
        }
    };
    let title = opt("title")?;
    let date = opt("date")?;
    let source = opt("source")?;
    let url = opt("url")?;
    Ok(Article {
        id,
        title,
        date,
        source,
        url,
        text,
        extra: map,
        origin: origin.clone(),
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
    /// One JSON object per line.
    Jsonl,
    /// CSV with a header row naming the columns.
    Csv,
    /// A folder of `.txt`/`.md` files, one article each (id = relative path).
    Folder,
    /// JSONL on standard input.
    Stdin,
}

/// Decide how to read a path: `-` is stdin, a folder is a folder, `.csv` is CSV, anything else
/// is JSONL.
pub fn input_kind(path: &Path) -> InputKind {
    if path.as_os_str() == "-" {
        InputKind::Stdin
    } else if path.is_dir() {
        InputKind::Folder
    } else if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        InputKind::Csv
    } else {
        InputKind::Jsonl
    }
}

/// One item of an input stream.
pub type ArticleResult = std::result::Result<Article, InputError>;

/// Read every input in turn as one stream of articles.
///
/// Fatal problems (a path that does not exist) are returned up front; problems with single
/// records come out of the iterator as [`InputError`]s.
///
/// # Errors
/// [`Error::Io`] when an input path cannot be opened at all.
pub fn read_inputs(paths: &[PathBuf]) -> Result<Box<dyn Iterator<Item = ArticleResult> + Send>> {
    let mut iters: Vec<Box<dyn Iterator<Item = ArticleResult> + Send>> = Vec::new();
    for path in paths {
        let it: Box<dyn Iterator<Item = ArticleResult> + Send> = match input_kind(path) {
            InputKind::Stdin => Box::new(read_jsonl_from(
                BufReader::new(std::io::stdin()),
                "-".into(),
            )),
            InputKind::Folder => Box::new(read_folder(path)?.into_iter()),
            InputKind::Csv => Box::new(read_csv(path)?),
            InputKind::Jsonl => Box::new(read_jsonl(path)?),
        };
        iters.push(it);
    }
    Ok(Box::new(iters.into_iter().flatten()))
}

/// Read a JSONL file of articles.
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

/// Read JSONL articles from any reader; `name` is used in errors.
pub fn read_jsonl_from<R: BufRead + Send>(
    mut reader: R,
    name: String,
) -> impl Iterator<Item = ArticleResult> + Send {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    let mut done = false;
    std::iter::from_fn(move || loop {
        if done {
            return None;
        }
        buf.clear();
        line_no += 1;
        let origin = Origin {
            file: name.clone(),
            line: Some(line_no),
        };
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => {
                done = true;
                return None;
            }
            Ok(_) => {}
            Err(e) => {
                done = true;
                return Some(Err(InputError {
                    file: name.clone(),
                    line: Some(line_no),
                    id: None,
                    reason: format!("read error: {e}"),
                }));
            }
        }
        if buf.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let line = match std::str::from_utf8(&buf) {
            Ok(s) => s,
            Err(e) => {
                return Some(Err(InputError {
                    file: name.clone(),
                    line: Some(line_no),
                    id: None,
                    reason: format!("invalid UTF-8 at byte {}", e.valid_up_to()),
                }))
            }
        };
        let parsed = serde_json::from_str::<Value>(line)
            .map_err(|e| InputError {
                file: name.clone(),
                line: Some(line_no),
                id: None,
                reason: format!("malformed JSON: {e}"),
            })
            .and_then(|v| article_from_json(v, &origin));
        return Some(parsed);
    })
}

/// Read a CSV file with a header naming `id`, `text` and optionally `title`, `date`, `source`,
/// `url`; other columns are kept as extra string fields.
///
/// # Errors
/// [`Error::Io`] when the file cannot be opened; [`Error::Input`] when the header lacks `text`.
pub fn read_csv(path: &Path) -> Result<impl Iterator<Item = ArticleResult> + Send> {
    let name = path.display().to_string();
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => Error::Other(format!("{name}: {other:?}")),
        })?;
    let headers = rdr
        .headers()
        .map_err(|e| {
            Error::Input(InputError {
                file: name.clone(),
                line: Some(1),
                id: None,
                reason: format!("cannot read CSV header: {e}"),
            })
        })?
        .clone();
    if !headers.iter().any(|h| h == "text") {
        return Err(Error::Input(InputError {
            file: name,
            line: Some(1),
            id: None,
            reason: "CSV header has no \"text\" column".into(),
        }));
    }
    let n_cols = headers.len();
    Ok(rdr.into_byte_records().map(move |rec| {
        let rec = rec.map_err(|e| InputError {
            file: name.clone(),
            line: e.position().map(|p| p.line()),
            id: None,
            reason: format!("bad CSV record: {e}"),
        })?;
        let line = rec.position().map(|p| p.line());
        if rec.len() != n_cols {
            return Err(InputError {
                file: name.clone(),
                line,
                id: None,
                reason: format!(
                    "CSV record has {} fields, the header has {n_cols}",
                    rec.len()
                ),
            });
        }
        let mut map = Map::new();
        for (h, field) in headers.iter().zip(rec.iter()) {
            let s = std::str::from_utf8(field).map_err(|e| InputError {
                file: name.clone(),
                line,
                id: None,
                reason: format!("invalid UTF-8 in column {h:?} at byte {}", e.valid_up_to()),
            })?;
            map.insert(h.to_string(), Value::String(s.to_string()));
        }
        if map.get("id").is_none_or(|v| v.as_str() == Some("")) {
            return Err(InputError {
                file: name.clone(),
                line,
                id: None,
                reason: "missing id".into(),
            });
        }
        article_from_json(
            Value::Object(map),
            &Origin {
                file: name.clone(),
                line,
            },
        )
    }))
}

/// Read a folder of `.txt` and `.md` files (recursively, sorted by path; links are not
/// followed). The id is the path relative to the folder, with `/` separators; the title is
/// the first paragraph.
///
/// # Errors
/// [`Error::Io`] when the folder cannot be listed at all.
pub fn read_folder(dir: &Path) -> Result<Vec<ArticleResult>> {
    let mut out = Vec::new();
    let walker = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name();
    for entry in walker {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let file = e
                    .path()
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|| dir.display().to_string());
                out.push(Err(InputError {
                    file,
                    line: None,
                    id: None,
                    reason: format!("cannot list: {e}"),
                }));
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let path = entry.path();
        let is_text = path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| e.eq_ignore_ascii_case("txt") || e.eq_ignore_ascii_case("md"));
        if !is_text {
            continue;
        }
        let rel = path.strip_prefix(dir).unwrap_or(path);
        let id = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy())
            .collect::<Vec<_>>()
            .join("/");
        out.push(read_text_file(path, id));
    }
    Ok(out)
}

/// Read one text file as an article with the given id.
fn read_text_file(path: &Path, id: String) -> ArticleResult {
    let file = path.display().to_string();
    let err = |reason: String| InputError {
        file: file.clone(),
        line: None,
        id: Some(id.clone()),
        reason,
    };
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| err(format!("cannot read: {e}")))?;
    if bytes.contains(&0) {
        return Err(err("binary file (contains NUL bytes)".into()));
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        err(format!(
            "invalid UTF-8 at byte {}",
            e.utf8_error().valid_up_to()
        ))
    })?;
    let title = paragraphs(&text)
        .first()
        .map(|t| t.trim_start_matches('#').trim().to_string());
    Ok(Article {
        id,
        title,
        text,
        origin: Origin {
            file: file.clone(),
            line: None,
        },
        ..Article::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

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
        assert!(e.reason.contains("malformed JSON"));
        assert!(items[2]
            .as_ref()
            .unwrap_err()
            .reason
            .contains("expected a JSON object"));
        let e = items[3].as_ref().unwrap_err();
        assert_eq!(e.line, Some(5));
        assert!(e.reason.contains("missing field \"text\""));
    }

    #[test]
    fn labels_parse_and_reject_unknown() {
        assert_eq!("Security".parse::<Label>().unwrap(), Label::Security);
        assert!("crime".parse::<Label>().is_err());
        for l in Label::ALL {
            assert_eq!(Label::from_index(l.index()), l);
        }
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
