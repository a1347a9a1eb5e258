//! One label file of any format ([`read_label_file`]): format detection, CSV records, JSON arrays.

use super::*;

/// The format of a label file, as detected by [`read_label_file`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum LabelFormat {
    /// framelens JSONL (one object per line).
    Jsonl,
    /// CSV with a header row.
    Csv,
    /// A JSON array of framelens objects.
    Json,
    /// A Label Studio export (full JSON or JSON-MIN).
    LabelStudio,
    /// A doccano text-classification export (JSONL or JSON).
    Doccano,
}

/// The label rows of one file, each with its 1-based line.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelFile {
    /// The file.
    pub path: PathBuf,
    /// The detected format.
    pub format: LabelFormat,
    /// Paragraph labels, in file order.
    pub paragraphs: Vec<(u64, ParagraphLabel)>,
    /// Document labels, in file order.
    pub documents: Vec<(u64, DocumentLabel)>,
    /// Tasks of an annotation-tool export that carried no (uncancelled) annotation.
    pub unannotated: usize,
}

/// Read a label file of any supported format: framelens JSONL or JSON, CSV (by the `.csv`
/// extension), Label Studio or doccano exports (by their fields). Paragraph and document
/// labels may be mixed in one file.
///
/// # Errors
/// [`Error::Labels`] naming the file and line for malformed rows, unknown label names,
/// missing ids and duplicate rows (a second label of the same paragraph or document).
pub fn read_label_file(path: &Path, r: &dyn LabelResolver) -> Result<LabelFile> {
    let is_csv = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
    let mut out = LabelFile {
        path: path.to_path_buf(),
        format: if is_csv {
            LabelFormat::Csv
        } else {
            LabelFormat::Jsonl
        },
        paragraphs: Vec::new(),
        documents: Vec::new(),
        unannotated: 0,
    };
    let mut tool = false;
    let mut doccano = false;
    let mut seen_para: HashMap<(String, usize), u64> = HashMap::new();
    let mut seen_doc: HashMap<String, u64> = HashMap::new();
    let mut push = |n: u64, map: serde_json::Map<String, Value>| -> Result<()> {
        let row = parse_row(r, path, n, &map)?;
        let row = match row {
            Row::Tool(r) => {
                tool = true;
                doccano |= is_doccano(&map);
                *r
            }
            r => r,
        };
        match row {
            Row::Paragraph(l) => {
                if let Some(first) = seen_para.insert((l.id.clone(), l.para), n) {
                    return Err(label_err(
                        path,
                        n,
                        format!(
                            "duplicate label for document {} paragraph {} (first on line {first})",
                            l.id, l.para
                        ),
                    ));
                }
                out.paragraphs.push((n, l));
            }
            Row::Document(l) => {
                if let Some(first) = seen_doc.insert(l.id.clone(), n) {
                    return Err(label_err(
                        path,
                        n,
                        format!(
                            "duplicate label for document {} (first on line {first})",
                            l.id
                        ),
                    ));
                }
                out.documents.push((n, l));
            }
            Row::Unannotated => out.unannotated += 1,
            Row::Tool(_) => unreachable!("tool rows are unwrapped above"),
        }
        Ok(())
    };
    if is_csv {
        for_each_csv_row(path, &mut push)?;
    } else {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        if text.trim_start().starts_with('[') {
            out.format = LabelFormat::Json;
            for_each_json_array_item(path, &text, &mut push)?;
        } else {
            for_each_json_line(path, &mut push)?;
        }
    }
    if tool {
        out.format = if doccano {
            LabelFormat::Doccano
        } else {
            LabelFormat::LabelStudio
        };
    }
    if out.unannotated > 0 {
        log::warn!(
            "{}: {} tasks carry no annotation and were skipped",
            path.display(),
            out.unannotated
        );
    }
    Ok(out)
}

fn is_doccano(map: &serde_json::Map<String, Value>) -> bool {
    !map.contains_key("data") && (map.contains_key("label") || map.contains_key("labels"))
}

/// Visit each CSV record as a JSON object of strings (empty cells are absent).
fn for_each_csv_row(
    path: &Path,
    f: &mut impl FnMut(u64, serde_json::Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .map_err(|e| match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(path, io),
            other => label_err(path, 1, format!("cannot read CSV: {other:?}")),
        })?;
    let headers: Vec<String> = rdr
        .headers()
        .map_err(|e| label_err(path, 1, format!("cannot read CSV header: {e}")))?
        .iter()
        .map(|h| h.trim().to_string())
        .collect();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            label_err(path, line, format!("bad CSV record: {e}"))
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != headers.len() {
            return Err(label_err(
                path,
                line,
                format!(
                    "CSV record has {} fields, the header has {}",
                    rec.len(),
                    headers.len()
                ),
            ));
        }
        if rec.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let mut map = serde_json::Map::new();
        for (h, cell) in headers.iter().zip(rec.iter()) {
            if !cell.trim().is_empty() {
                map.insert(h.clone(), Value::String(cell.to_string()));
            }
        }
        f(line, map)?;
    }
    Ok(())
}

/// Visit each object of a top-level JSON array, with the line its `{` is on.
fn for_each_json_array_item(
    path: &Path,
    text: &str,
    f: &mut impl FnMut(u64, serde_json::Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let items: Vec<Value> = serde_json::from_str(text).map_err(|e| {
        label_err(
            path,
            e.line() as u64,
            format!("malformed JSON (expected an array of objects): {e}"),
        )
    })?;
    let lines = array_item_lines(text);
    for (i, v) in items.into_iter().enumerate() {
        let n = lines.get(i).copied().unwrap_or(0);
        let Value::Object(map) = v else {
            return Err(label_err(
                path,
                n,
                format!("item {} of the array is not a JSON object", i + 1),
            ));
        };
        f(n, map)?;
    }
    Ok(())
}

/// 1-based line of the start of each element of a top-level JSON array (of valid JSON).
fn array_item_lines(text: &str) -> Vec<u64> {
    let mut out = Vec::new();
    let (mut depth, mut line) = (0usize, 1u64);
    let (mut in_str, mut esc, mut expect_item) = (false, false, false);
    for c in text.chars() {
        if c == '\n' {
            line += 1;
        }
        if in_str {
            if esc {
                esc = false;
            } else if c == '\\' {
                esc = true;
            } else if c == '"' {
                in_str = false;
            }
            continue;
        }
        if c.is_whitespace() {
            continue;
        }
        if depth == 1 && expect_item && c != ']' {
            out.push(line);
            expect_item = false;
        }
        match c {
            '"' => in_str = true,
            '[' | '{' => {
                depth += 1;
                if depth == 1 {
                    expect_item = true;
                }
            }
            ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 1 => expect_item = true,
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn array_items_are_located_by_line() {
        let text = "[\n  {\"a\": \"[{,\\\"\"},\n  {\"b\": [1, {\"c\": 2}]}, {\"d\": 3}\n]";
        assert_eq!(array_item_lines(text), vec![2, 3, 3]);
        assert_eq!(array_item_lines("[]"), Vec::<u64>::new());
    }
}
