//! One `.txt`/`.md` file → one article, and the checks every reader makes first (binary data, byte-order mark).

use super::*;

/// Why some leading bytes are not text, if they are not.
pub(super) fn sniff_binary(head: &[u8]) -> Option<&'static str> {
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

pub(super) const BOM: &[u8] = b"\xEF\xBB\xBF";

/// Read one text file as an article with the given id (the default [`Limits`] aside, as
/// [`read_folder_logged`] reads it).
pub(super) fn read_text_from(
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
