//! framelens JSONL label files of one kind each: [`read_paragraph_labels`], [`read_document_labels`].

use super::*;

use std::fs::File;
use std::io::{BufRead, BufReader};

/// Read JSON lines, calling `f` with each parsed object and its 1-based line.
pub(super) fn for_each_json_line(
    path: &Path,
    mut f: impl FnMut(u64, serde_json::Map<String, Value>) -> Result<()>,
) -> Result<()> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    for (i, line) in BufReader::new(file).lines().enumerate() {
        let n = i as u64 + 1;
        let line = line.map_err(|e| label_err(path, n, format!("cannot read line: {e}")))?;
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line)
            .map_err(|e| label_err(path, n, format!("malformed JSON: {e}")))?;
        let Value::Object(map) = v else {
            return Err(label_err(path, n, "expected a JSON object"));
        };
        f(n, map)?;
    }
    Ok(())
}

fn get_str(
    path: &Path,
    line: u64,
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<String> {
    match map.get(key) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(Value::Number(n)) if key == "id" => Ok(n.to_string()),
        Some(_) => Err(label_err(
            path,
            line,
            format!("field {key:?} must be a string"),
        )),
        None => Err(label_err(path, line, format!("missing field {key:?}"))),
    }
}

pub(super) fn get_label(r: &dyn LabelResolver, path: &Path, line: u64, s: &str) -> Result<Label> {
    r.resolve(s).map_err(|e| label_err(path, line, e))
}

/// Read paragraph labels `{"id", "para", "frame", "text"?}`, one per line. Returns the labels
/// with their line numbers.
///
/// # Errors
/// [`Error::Labels`] naming the file and line for malformed lines, unknown labels, bad
/// indices and duplicate `(id, para)` rows.
pub fn read_paragraph_labels(
    path: &Path,
    r: &dyn LabelResolver,
) -> Result<Vec<(u64, ParagraphLabel)>> {
    let mut out = Vec::new();
    let mut seen: HashMap<(String, usize), u64> = HashMap::new();
    for_each_json_line(path, |n, map| {
        let id = get_str(path, n, &map, "id")?;
        let para = match map.get("para") {
            Some(Value::Number(x)) if x.as_u64().is_some() => x.as_u64().unwrap_or(0) as usize,
            Some(_) => {
                return Err(label_err(
                    path,
                    n,
                    "field \"para\" must be a non-negative integer",
                ))
            }
            None => return Err(label_err(path, n, "missing field \"para\"")),
        };
        let frame = get_label(r, path, n, &get_str(path, n, &map, "frame")?)?;
        let text = match map.get("text") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err(label_err(path, n, "field \"text\" must be a string")),
        };
        if let Some(first) = seen.insert((id.clone(), para), n) {
            return Err(label_err(
                path,
                n,
                format!(
                    "duplicate label for document {id} paragraph {para} (first on line {first})"
                ),
            ));
        }
        out.push((
            n,
            ParagraphLabel {
                id,
                para,
                frame,
                text,
            },
        ));
        Ok(())
    })?;
    Ok(out)
}

/// Read document labels `{"id", "primary", "present"}`, one per line.
///
/// # Errors
/// [`Error::Labels`] naming the file and line for malformed lines, unknown labels and duplicates.
pub fn read_document_labels(path: &Path, r: &dyn LabelResolver) -> Result<Vec<DocumentLabel>> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for_each_json_line(path, |n, map| {
        let id = get_str(path, n, &map, "id")?;
        let primary = get_label(r, path, n, &get_str(path, n, &map, "primary")?)?;
        let present = match map.get("present") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => get_label(r, path, n, s),
                    _ => Err(label_err(path, n, "\"present\" must hold label names")),
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(label_err(path, n, "field \"present\" must be an array")),
        };
        if present.iter().any(|&l| r.is_none(l)) {
            return Err(label_err(
                path,
                n,
                "\"present\" lists frames only, not none",
            ));
        }
        let sample = map
            .get("sample")
            .and_then(Value::as_str)
            .map(str::to_string);
        let source = map
            .get("source")
            .and_then(Value::as_str)
            .map(str::to_string);
        let date = map.get("date").and_then(Value::as_str).map(str::to_string);
        if let Some(first) = seen.insert(id.clone(), n) {
            return Err(label_err(
                path,
                n,
                format!("duplicate label for document {id} (first on line {first})"),
            ));
        }
        out.push(DocumentLabel {
            id,
            primary,
            present,
            sample,
            source,
            date,
        });
        Ok(())
    })?;
    Ok(out)
}
