//! One row of any format → a paragraph or document label: framelens fields, doccano, Label Studio tasks.

use super::*;

/// One parsed row.
pub(super) enum Row {
    Paragraph(ParagraphLabel),
    Document(DocumentLabel),
    Unannotated,
    /// A row of an annotation tool.
    Tool(Box<Row>),
}

/// The article id of a row: `doc_id`, `article_id`, `document_id`, then `id`.
fn row_id(path: &Path, n: u64, map: &serde_json::Map<String, Value>) -> Result<String> {
    for key in ["doc_id", "article_id", "document_id", "id"] {
        match map.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::String(s)) if !s.trim().is_empty() => return Ok(s.trim().to_string()),
            Some(Value::Number(x)) => return Ok(x.to_string()),
            Some(_) => {
                return Err(label_err(
                    path,
                    n,
                    format!("field {key:?} must be a non-empty string"),
                ))
            }
        }
    }
    Err(label_err(path, n, "missing document id (field \"id\")"))
}

/// `para` (or `paragraph`) as an index, when present.
fn row_para(path: &Path, n: u64, map: &serde_json::Map<String, Value>) -> Result<Option<usize>> {
    let v = match map.get("para").or_else(|| map.get("paragraph")) {
        None | Some(Value::Null) => return Ok(None),
        Some(v) => v,
    };
    let bad = || {
        label_err(
            path,
            n,
            format!("field \"para\" must be a non-negative integer, found {v}"),
        )
    };
    match v {
        Value::Number(x) => x.as_u64().map(|x| Some(x as usize)).ok_or_else(bad),
        Value::String(s) => s.trim().parse::<usize>().map(Some).map_err(|_| bad()),
        _ => Err(bad()),
    }
}

fn opt_str(
    path: &Path,
    n: u64,
    map: &serde_json::Map<String, Value>,
    key: &str,
) -> Result<Option<String>> {
    match map.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(label_err(
            path,
            n,
            format!("field {key:?} must be a string"),
        )),
    }
}

/// Label names from a string (one name, a `;`/`|`/`,`-separated list or a JSON array), an
/// array of names, or a Label Studio `{"choices": [..]}` object.
fn label_list(
    r: &dyn LabelResolver,
    path: &Path,
    n: u64,
    key: &str,
    v: &Value,
) -> Result<Vec<Label>> {
    match v {
        Value::Null => Ok(Vec::new()),
        Value::String(s) => {
            let s = s.trim();
            if s.starts_with('[') {
                let inner: Value = serde_json::from_str(s)
                    .map_err(|e| label_err(path, n, format!("field {key:?}: {e}")))?;
                return label_list(r, path, n, key, &inner);
            }
            s.split([';', '|', ','])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(|x| get_label(r, path, n, x))
                .collect()
        }
        Value::Array(a) => a
            .iter()
            .map(|x| match x {
                Value::String(s) => get_label(r, path, n, s),
                _ => Err(label_err(path, n, format!("{key:?} must hold label names"))),
            })
            .collect(),
        Value::Object(o) if o.contains_key("choices") => label_list(r, path, n, key, &o["choices"]),
        _ => Err(label_err(path, n, format!("{key:?} must hold label names"))),
    }
}

/// Exactly one label from a value.
fn one_label(r: &dyn LabelResolver, path: &Path, n: u64, key: &str, v: &Value) -> Result<Label> {
    let l = label_list(r, path, n, key, v)?;
    match l.as_slice() {
        [x] => Ok(*x),
        [] => Err(label_err(path, n, format!("field {key:?} holds no label"))),
        _ => Err(label_err(
            path,
            n,
            format!(
                "field {key:?} holds {} labels; exactly one is expected",
                l.len()
            ),
        )),
    }
}

fn document_row(
    r: &dyn LabelResolver,
    path: &Path,
    n: u64,
    map: &serde_json::Map<String, Value>,
    id: String,
    primary: Label,
    present: Vec<Label>,
) -> Result<DocumentLabel> {
    if present.iter().any(|&l| r.is_none(l)) {
        return Err(label_err(
            path,
            n,
            "\"present\" lists frames only, not none",
        ));
    }
    let mut present = present;
    present.sort();
    present.dedup();
    Ok(DocumentLabel {
        id,
        primary,
        present,
        sample: opt_str(path, n, map, "sample")?,
        source: opt_str(path, n, map, "source")?,
        date: opt_str(path, n, map, "date")?,
    })
}

/// Parse one row (a JSONL object, a CSV record or an array item) of any supported format.
pub(super) fn parse_row(
    r: &dyn LabelResolver,
    path: &Path,
    n: u64,
    map: &serde_json::Map<String, Value>,
) -> Result<Row> {
    // Label Studio full export: a task with `data` and `annotations`.
    if let Some(Value::Object(data)) = map.get("data") {
        return label_studio_task(r, path, n, map, data).map(|r| Row::Tool(Box::new(r)));
    }
    let id = row_id(path, n, map)?;
    let para = row_para(path, n, map)?;
    let text = opt_str(path, n, map, "text")?;
    if let Some(frame) = map.get("frame") {
        // a row with its own text and no index is a one-paragraph document (e.g. a headline)
        let Some(para) = para.or(text.as_ref().map(|_| 0)) else {
            return Err(label_err(path, n, "missing field \"para\""));
        };
        let frame = one_label(r, path, n, "frame", frame)?;
        return Ok(Row::Paragraph(ParagraphLabel {
            id,
            para,
            frame,
            text,
        }));
    }
    if let Some(primary) = map.get("primary") {
        if para.is_some() && map.get("label").is_none() && map.get("labels").is_none() {
            return Err(label_err(
                path,
                n,
                "a paragraph label needs \"frame\", not \"primary\"",
            ));
        }
        if para.is_none() {
            let primary = one_label(r, path, n, "primary", primary)?;
            let present = match map.get("present") {
                Some(v) => label_list(r, path, n, "present", v)?,
                None => match map.get("label").or_else(|| map.get("labels")) {
                    Some(v) => label_list(r, path, n, "label", v)?
                        .into_iter()
                        .filter(|&l| !r.is_none(l))
                        .collect(),
                    None => Vec::new(),
                },
            };
            return document_row(r, path, n, map, id, primary, present).map(Row::Document);
        }
    }
    // doccano: `label` (or `labels`) holds the chosen labels.
    if let Some(v) = map.get("label").or_else(|| map.get("labels")) {
        let labels = label_list(r, path, n, "label", v)?;
        let row = if let Some(para) = para {
            let frame = match labels.as_slice() {
                [x] => *x,
                [] => return Ok(Row::Tool(Box::new(Row::Unannotated))),
                _ => {
                    return Err(label_err(
                        path,
                        n,
                        format!(
                        "paragraph {para} of document {id} has {} labels; exactly one is expected",
                        labels.len()
                    ),
                    ))
                }
            };
            Row::Paragraph(ParagraphLabel {
                id,
                para,
                frame,
                text,
            })
        } else {
            let frames: Vec<Label> = labels.iter().copied().filter(|&l| !r.is_none(l)).collect();
            let primary = match frames.as_slice() {
                [] => match labels.iter().copied().find(|&l| r.is_none(l)) {
                    Some(none) => none,
                    None => {
                        return Err(label_err(
                            path,
                            n,
                            format!("document {id} has no frame and the codebook has no none label"),
                        ))
                    }
                },
                [x] => *x,
                _ => {
                    return Err(label_err(
                        path,
                        n,
                        format!(
                            "document {id} has several frames and no \"primary\" field naming the primary one"
                        ),
                    ))
                }
            };
            Row::Document(document_row(r, path, n, map, id, primary, frames)?)
        };
        return Ok(Row::Tool(Box::new(row)));
    }
    Err(label_err(
        path,
        n,
        "not a label: expected \"frame\" (paragraph), \"primary\" (document), a doccano \"label\" or a Label Studio task",
    ))
}

/// One task of a Label Studio full export.
fn label_studio_task(
    r: &dyn LabelResolver,
    path: &Path,
    n: u64,
    task: &serde_json::Map<String, Value>,
    data: &serde_json::Map<String, Value>,
) -> Result<Row> {
    let id = row_id(path, n, data)?;
    let para = row_para(path, n, data)?;
    let text = opt_str(path, n, data, "text")?;
    let anns: Vec<&serde_json::Map<String, Value>> = ["annotations", "completions"]
        .iter()
        .filter_map(|k| task.get(*k))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(Value::as_object)
        .filter(|a| a.get("was_cancelled").and_then(Value::as_bool) != Some(true))
        .collect();
    let ann = anns
        .iter()
        .find(|a| a.get("ground_truth").and_then(Value::as_bool) == Some(true))
        .or_else(|| anns.first());
    let Some(ann) = ann else {
        return Ok(Row::Unannotated);
    };
    let mut by_control: BTreeMap<String, Vec<Label>> = BTreeMap::new();
    for res in ann
        .get("result")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(value) = res.get("value") else {
            continue;
        };
        if value.get("choices").is_none() {
            continue;
        }
        let name = res
            .get("from_name")
            .and_then(Value::as_str)
            .unwrap_or("frame")
            .to_string();
        by_control
            .entry(name)
            .or_default()
            .extend(label_list(r, path, n, "choices", value)?);
    }
    if by_control.is_empty() {
        return Ok(Row::Unannotated);
    }
    if let Some(para) = para {
        let all: Vec<Label> = by_control.into_values().flatten().collect();
        let frame = match all.as_slice() {
            [x] => *x,
            _ => {
                return Err(label_err(
                    path,
                    n,
                    format!(
                        "task for document {id} paragraph {para} has {} choices; exactly one is expected",
                        all.len()
                    ),
                ))
            }
        };
        return Ok(Row::Paragraph(ParagraphLabel {
            id,
            para,
            frame,
            text,
        }));
    }
    let mut primary = None;
    let mut present = Vec::new();
    for (name, labels) in by_control {
        if name.to_ascii_lowercase().contains("primary") {
            primary = Some(labels);
        } else {
            present.extend(labels.into_iter().filter(|&l| !r.is_none(l)));
        }
    }
    let Some(primary) = primary else {
        return Err(label_err(
            path,
            n,
            format!("document task {id} has no choice from a control named \"primary\""),
        ));
    };
    let primary = match primary.as_slice() {
        [x] => *x,
        _ => {
            return Err(label_err(
                path,
                n,
                format!("document task {id} must have exactly one primary choice"),
            ))
        }
    };
    document_row(r, path, n, data, id, primary, present).map(Row::Document)
}
