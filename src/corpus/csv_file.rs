//! CSV input: a header row naming the columns, one article per row ([`read_csv_from`]).

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

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
}
