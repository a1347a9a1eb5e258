//! JSONL input: one article per line, each line read with a size cap ([`read_jsonl_with`]).

use super::*;

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
        let (take, done) = match memchr::memchr(b'\n', avail) {
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
}
