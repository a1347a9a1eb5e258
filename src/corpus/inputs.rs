//! Which reader a path takes ([`input_kind`], [`file_format`]) and every input read as one stream.

use super::*;

use std::path::PathBuf;

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
pub(super) fn read_file(path: &Path, kind: InputKind, id: String, limits: Limits) -> ArticleStream {
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

pub(super) fn unreadable(path: &Path, id: Option<String>, e: &std::io::Error) -> InputError {
    InputError::new(
        InputProblem::Unreadable,
        path.display().to_string(),
        None,
        id,
        format!("cannot read: {e}"),
    )
}
