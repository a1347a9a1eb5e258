//! Labeled samples: hand-coded paragraphs and documents → a [`LabeledSet`].
//!
//! Input: a paragraph-label file `{"id", "para", "frame", "text"?}` (JSONL), optionally joined
//! to an articles file by id, or a corpus folder holding `articles.jsonl` and
//! `labels/paragraphs.jsonl`. Output: [`LabeledSet`], one [`LabeledDoc`] per article with its
//! paragraphs in order. Invalid labels are errors naming the file and line.
//!
//! Label files come in several formats ([`read_label_file`] detects which):
//!
//! - JSONL: paragraph labels `{"id", "para", "frame", "text"?}` and document labels
//!   `{"id", "primary", "present", "sample"?, "source"?, "date"?}`, one object per line;
//! - CSV (`.csv`) with a header naming the same columns (`present` is a `;`-, `|`- or
//!   `,`-separated list or a JSON array);
//! - Label Studio JSON exports of text classification (full export: tasks with `data` and
//!   `annotations`; JSON-MIN export: flat objects), where the task data carries the article id
//!   (`doc_id`, `article_id`, `document_id` or `id`) and, for a paragraph task, `para`; the
//!   choice control is named `frame` for paragraphs, `primary` and `present` for documents;
//! - doccano exports of text classification (JSONL or JSON), `{"text", "label": [..], ..}`
//!   with the article id and `para` kept as metadata fields as above.
//!
//! [`Annotations::load`] reads any mix of these (paragraph and document labels, files and
//! folders) and joins them to articles, for evaluation.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codebook::{Label, LabelResolver};
use crate::corpus::{paragraphs, read_jsonl, Article, DocId};
use crate::error::{Error, Result};

/// One hand-coded paragraph label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParagraphLabel {
    /// Article id.
    pub id: DocId,
    /// 0-based paragraph index among the article's non-blank lines.
    pub para: usize,
    /// The coded label.
    pub frame: Label,
    /// The paragraph text, when the file carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

/// One hand-coded document label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentLabel {
    /// Article id.
    pub id: DocId,
    /// Primary frame, or `none`.
    pub primary: Label,
    /// Frames clearly present.
    #[serde(default)]
    pub present: Vec<Label>,
    /// How the article was sampled, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sample: Option<String>,
    /// Outlet, when the label file carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Publication date, when the label file carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// A paragraph of a labeled document.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledPara {
    /// 0-based index in the article.
    pub index: usize,
    /// Text.
    pub text: String,
    /// The coded label, if this paragraph was coded.
    pub label: Option<Label>,
}

/// A document with its (possibly partly) labeled paragraphs, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabeledDoc {
    /// Article id.
    pub id: DocId,
    /// Outlet, when known.
    pub source: Option<String>,
    /// Date, when known.
    pub date: Option<String>,
    /// Paragraphs in index order.
    pub paragraphs: Vec<LabeledPara>,
    /// Number of paragraphs in the full article.
    pub n_paragraphs: usize,
}

impl LabeledDoc {
    /// Unite the paragraphs of another labeling of the same document.
    fn merge(&mut self, other: LabeledDoc) -> Result<()> {
        for p in other.paragraphs {
            match self.paragraphs.binary_search_by_key(&p.index, |q| q.index) {
                Ok(i) => {
                    let q = &mut self.paragraphs[i];
                    if q.text != p.text {
                        return Err(Error::Other(format!(
                            "document {} paragraph {} has a different text in two inputs",
                            self.id, p.index
                        )));
                    }
                    match (q.label, p.label) {
                        (Some(_), Some(_)) => {
                            return Err(Error::Other(format!(
                                "document {} paragraph {} is labeled in two inputs",
                                self.id, p.index
                            )))
                        }
                        (None, Some(l)) => q.label = Some(l),
                        _ => {}
                    }
                }
                Err(i) => self.paragraphs.insert(i, p),
            }
        }
        self.n_paragraphs = self.n_paragraphs.max(other.n_paragraphs);
        if self.source.is_none() {
            self.source = other.source;
        }
        if self.date.is_none() {
            self.date = other.date;
        }
        Ok(())
    }
}

/// A set of labeled documents, sorted by id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabeledSet {
    /// The documents.
    pub docs: Vec<LabeledDoc>,
}

impl LabeledSet {
    /// Number of labeled paragraphs per label, for a codebook of `k` labels, in column order.
    pub fn counts(&self, k: usize) -> Vec<usize> {
        let mut c = vec![0; k];
        for d in &self.docs {
            for p in &d.paragraphs {
                if let Some(l) = p.label {
                    c[l.index()] += 1;
                }
            }
        }
        c
    }

    /// Total labeled paragraphs.
    pub fn n_labeled(&self) -> usize {
        self.docs
            .iter()
            .map(|d| d.paragraphs.iter().filter(|p| p.label.is_some()).count())
            .sum()
    }

    /// Merge another set. A document in both (e.g. coded in two rounds) is merged: its
    /// paragraphs are united by index.
    ///
    /// # Errors
    /// [`Error::Other`] naming the document and paragraph when a paragraph is labeled in both
    /// sets or has a different text in each.
    pub fn extend(&mut self, other: LabeledSet) -> Result<()> {
        let mut by_id: BTreeMap<DocId, LabeledDoc> = std::mem::take(&mut self.docs)
            .into_iter()
            .map(|d| (d.id.clone(), d))
            .collect();
        for d in other.docs {
            match by_id.entry(d.id.clone()) {
                std::collections::btree_map::Entry::Vacant(e) => {
                    e.insert(d);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => e.get_mut().merge(d)?,
            }
        }
        self.docs = by_id.into_values().collect();
        Ok(())
    }

    /// The subset of documents whose index (in `self.docs`) passes `keep`.
    pub fn select(&self, mut keep: impl FnMut(usize, &LabeledDoc) -> bool) -> LabeledSet {
        LabeledSet {
            docs: self
                .docs
                .iter()
                .enumerate()
                .filter(|(i, d)| keep(*i, d))
                .map(|(_, d)| d.clone())
                .collect(),
        }
    }
}

fn label_err(path: &Path, line: u64, message: impl Into<String>) -> Error {
    Error::Labels {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// Read JSON lines, calling `f` with each parsed object and its 1-based line.
fn for_each_json_line(
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

fn get_label(r: &dyn LabelResolver, path: &Path, line: u64, s: &str) -> Result<Label> {
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

/// Where a labeled sample lives on disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSource {
    /// The paragraph-label file.
    pub paragraphs: PathBuf,
    /// Articles to take text and metadata from, when the labels do not carry text.
    pub articles: Option<PathBuf>,
}

impl LabelSource {
    /// Resolve a user path: a folder means `<dir>/labels/paragraphs.jsonl` joined to
    /// `<dir>/articles.jsonl`; a file means paragraph labels carrying their own text, joined to
    /// `articles` when given.
    pub fn resolve(path: &Path, articles: Option<&Path>) -> LabelSource {
        if path.is_dir() {
            LabelSource {
                paragraphs: path.join("labels").join("paragraphs.jsonl"),
                articles: Some(path.join("articles.jsonl")),
            }
        } else {
            LabelSource {
                paragraphs: path.to_path_buf(),
                articles: articles.map(Path::to_path_buf),
            }
        }
    }

    /// Load the labeled documents.
    ///
    /// The paragraph-label file may be in any format [`read_label_file`] reads.
    ///
    /// # Errors
    /// [`Error::Labels`] naming file and line for bad rows, labels of paragraphs that do not
    /// exist, text that disagrees with the article, or ids missing from the articles.
    pub fn load(&self, r: &dyn LabelResolver) -> Result<LabeledSet> {
        let file = read_label_file(&self.paragraphs, r)?;
        if file.paragraphs.is_empty() {
            if let Some((line, _)) = file.documents.first() {
                return Err(label_err(
                    &self.paragraphs,
                    *line,
                    "this file holds document labels; paragraph labels are needed here",
                ));
            }
        }
        let rows = file
            .paragraphs
            .into_iter()
            .map(|(line, label)| Sourced {
                path: self.paragraphs.clone(),
                line,
                label,
            })
            .collect();
        let articles = match &self.articles {
            Some(a) => Some((a.as_path(), read_articles(a)?)),
            None => None,
        };
        let docs = build_docs(rows, articles.as_ref().map(|(p, m)| (*p, m)))?;
        Ok(LabeledSet { docs })
    }
}

/// A label together with the file and 1-based line it was read from.
#[derive(Debug, Clone)]
struct Sourced<T> {
    path: PathBuf,
    line: u64,
    label: T,
}

/// Read an articles file into a map by id.
fn read_articles(apath: &Path) -> Result<HashMap<DocId, Article>> {
    let mut articles = HashMap::new();
    for a in read_jsonl(apath)? {
        let a = a.map_err(|e| Error::Labels {
            path: apath.to_path_buf(),
            line: e.line.unwrap_or(0),
            message: e.reason,
        })?;
        articles.insert(a.id.clone(), a);
    }
    Ok(articles)
}

/// Group paragraph labels by document and build the labeled documents, taking text from
/// `articles` when given (every paragraph, labeled or not) or else from the labels.
fn build_docs(
    rows: Vec<Sourced<ParagraphLabel>>,
    articles: Option<(&Path, &HashMap<DocId, Article>)>,
) -> Result<Vec<LabeledDoc>> {
    let mut by_doc: BTreeMap<DocId, Vec<Sourced<ParagraphLabel>>> = BTreeMap::new();
    for r in rows {
        by_doc.entry(r.label.id.clone()).or_default().push(r);
    }
    let mut docs = Vec::new();
    for (id, mut rows) in by_doc {
        if let Some((apath, articles)) = articles {
            let Some(a) = articles.get(&id) else {
                let r = &rows[0];
                return Err(label_err(
                    &r.path,
                    r.line,
                    format!("document {id} is not in {}", apath.display()),
                ));
            };
            let mut doc = article_doc(a);
            for r in rows {
                let l = r.label;
                let n = doc.paragraphs.len();
                let Some(slot) = doc.paragraphs.get_mut(l.para) else {
                    return Err(label_err(
                        &r.path,
                        r.line,
                        format!(
                            "document {id} has {n} paragraphs; paragraph {} does not exist",
                            l.para
                        ),
                    ));
                };
                if let Some(t) = &l.text {
                    if t.trim() != slot.text {
                        return Err(label_err(
                            &r.path,
                            r.line,
                            format!(
                                "text of document {id} paragraph {} differs from the article",
                                l.para
                            ),
                        ));
                    }
                }
                slot.label = Some(l.frame);
            }
            docs.push(doc);
        } else {
            rows.sort_by_key(|r| r.label.para);
            let mut lp = Vec::with_capacity(rows.len());
            for r in rows {
                let Some(text) = r.label.text else {
                    return Err(label_err(
                        &r.path,
                        r.line,
                        "no \"text\" and no articles file to take it from",
                    ));
                };
                lp.push(LabeledPara {
                    index: r.label.para,
                    text: text.trim().to_string(),
                    label: Some(r.label.frame),
                });
            }
            let n_paragraphs = lp.last().map_or(0, |p| p.index + 1);
            docs.push(LabeledDoc {
                id,
                source: None,
                date: None,
                paragraphs: lp,
                n_paragraphs,
            });
        }
    }
    Ok(docs)
}

/// An article as a labeled document with no paragraph labelled yet.
fn article_doc(a: &Article) -> LabeledDoc {
    let lp: Vec<LabeledPara> = paragraphs(&a.text)
        .iter()
        .enumerate()
        .map(|(i, t)| LabeledPara {
            index: i,
            text: t.to_string(),
            label: None,
        })
        .collect();
    LabeledDoc {
        id: a.id.clone(),
        source: a.source.clone(),
        date: a.date.clone(),
        n_paragraphs: lp.len(),
        paragraphs: lp,
    }
}

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

/// One parsed row.
enum Row {
    Paragraph(ParagraphLabel),
    Document(DocumentLabel),
    Unannotated,
    /// A row of an annotation tool.
    Tool(Box<Row>),
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
fn parse_row(
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

/// The label files behind label paths, each with the articles file its rows join to.
///
/// A folder in corpus layout (`articles.jsonl` and `labels/`) gives every label file in
/// `labels/`, joined to its own `articles.jsonl`; any other folder gives every `.jsonl`,
/// `.json` and `.csv` file in it (sorted), joined to `articles`; a file is itself.
///
/// # Errors
/// [`Error::Io`] for a path that does not exist or a folder that cannot be listed;
/// [`Error::Labels`] for a folder without label files.
pub fn label_files(
    paths: &[PathBuf],
    articles: Option<&Path>,
) -> Result<Vec<(PathBuf, Option<PathBuf>)>> {
    let mut files: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
    for p in paths {
        if p.is_dir() {
            let (dir, arts) = if p.join("labels").is_dir() && p.join("articles.jsonl").is_file() {
                (p.join("labels"), Some(p.join("articles.jsonl")))
            } else {
                (p.clone(), articles.map(Path::to_path_buf))
            };
            let found = label_files_in(&dir)?;
            if found.is_empty() {
                return Err(label_err(
                    &dir,
                    0,
                    "no label files (.jsonl, .json, .csv) here",
                ));
            }
            files.extend(found.into_iter().map(|f| (f, arts.clone())));
        } else if p.is_file() {
            files.push((p.clone(), articles.map(Path::to_path_buf)));
        } else {
            return Err(Error::io(
                p,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file or folder"),
            ));
        }
    }
    Ok(files)
}

/// The label files of a folder (`.jsonl`, `.json`, `.csv`, any case), sorted.
fn label_files_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|f| {
            f.is_file()
                && f.extension().and_then(|x| x.to_str()).is_some_and(|x| {
                    ["jsonl", "json", "csv"].contains(&x.to_ascii_lowercase().as_str())
                })
        })
        .collect();
    found.sort();
    Ok(found)
}

/// Paragraph and document labels that join to the same articles file.
type RowsToJoin = (Vec<Sourced<ParagraphLabel>>, Vec<Sourced<DocumentLabel>>);

/// Every label name used in label files or folders (a corpus folder's `labels/`, or the
/// `.jsonl`, `.json` and `.csv` files of a folder), in order of first appearance: the draft of
/// a codebook.
///
/// # Errors
/// [`Error::Labels`] for malformed rows; [`Error::Io`] for unreadable paths.
pub fn label_names(paths: &[PathBuf]) -> Result<Vec<String>> {
    let names = crate::codebook::NameCollector::default();
    for p in paths {
        let files: Vec<PathBuf> = if p.is_dir() {
            let dir = if p.join("labels").is_dir() {
                p.join("labels")
            } else {
                p.clone()
            };
            label_files_in(&dir)?
        } else {
            vec![p.clone()]
        };
        for f in files {
            read_label_file(&f, &names)?;
        }
    }
    Ok(names.names())
}

/// Hand-coded labels of both kinds, joined to their articles: the input of evaluation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Annotations {
    /// Every document that has a paragraph or document label, with all its known paragraphs
    /// (labeled or not), sorted by id.
    pub set: LabeledSet,
    /// Document labels, sorted by id; each id is in `set`.
    pub documents: Vec<DocumentLabel>,
    /// The label files read.
    pub files: Vec<PathBuf>,
}

impl Annotations {
    /// Load labels from files and folders, joined to `articles` when given.
    ///
    /// A folder in corpus layout (`articles.jsonl` and `labels/`) contributes every label file
    /// in `labels/` joined to its own `articles.jsonl`; any other folder contributes every
    /// `.jsonl`, `.json` and `.csv` file in it (sorted). Each file may hold paragraph labels,
    /// document labels or both, in any format [`read_label_file`] reads. Text comes from the
    /// articles when there are any (then every paragraph is known, labeled or not), else from
    /// the paragraph labels themselves. A document's outlet and date come from its article,
    /// else from its document label.
    ///
    /// # Errors
    /// [`Error::Labels`] naming file and line for bad rows, a paragraph or document labeled
    /// twice (in one file or across files), ids missing from the articles, document labels
    /// with no text to score, and paragraphs that do not exist.
    pub fn load(
        paths: &[PathBuf],
        articles: Option<&Path>,
        r: &dyn LabelResolver,
    ) -> Result<Annotations> {
        let files = label_files(paths, articles)?;
        // Read every file, grouping rows by the articles file they join to.
        let mut groups: BTreeMap<Option<PathBuf>, RowsToJoin> = BTreeMap::new();
        let mut seen_para: HashMap<(String, usize), (PathBuf, u64)> = HashMap::new();
        let mut seen_doc: HashMap<String, (PathBuf, u64)> = HashMap::new();
        for (f, arts) in &files {
            let lf = read_label_file(f, r)?;
            let g = groups.entry(arts.clone()).or_default();
            for (line, l) in lf.paragraphs {
                if let Some((fp, fl)) = seen_para.insert((l.id.clone(), l.para), (f.clone(), line))
                {
                    return Err(label_err(
                        f,
                        line,
                        format!(
                            "document {} paragraph {} is already labeled at {}:{fl}",
                            l.id,
                            l.para,
                            fp.display()
                        ),
                    ));
                }
                g.0.push(Sourced {
                    path: f.clone(),
                    line,
                    label: l,
                });
            }
            for (line, l) in lf.documents {
                if let Some((fp, fl)) = seen_doc.insert(l.id.clone(), (f.clone(), line)) {
                    return Err(label_err(
                        f,
                        line,
                        format!(
                            "document {} is already labeled at {}:{fl}",
                            l.id,
                            fp.display()
                        ),
                    ));
                }
                g.1.push(Sourced {
                    path: f.clone(),
                    line,
                    label: l,
                });
            }
        }
        let mut docs: BTreeMap<DocId, LabeledDoc> = BTreeMap::new();
        let mut documents = Vec::new();
        for (arts, (paras, doc_labels)) in groups {
            let articles = match &arts {
                Some(a) => Some(read_articles(a)?),
                None => None,
            };
            let joined = articles.as_ref().zip(arts.as_deref()).map(|(m, p)| (p, m));
            for d in build_docs(paras, joined)? {
                if docs.contains_key(&d.id) {
                    return Err(Error::Other(format!(
                        "document {} is labeled in two inputs joined to different articles",
                        d.id
                    )));
                }
                docs.insert(d.id.clone(), d);
            }
            for r in doc_labels {
                let l = r.label;
                if !docs.contains_key(&l.id) {
                    match joined.and_then(|(_, m)| m.get(&l.id)) {
                        Some(a) => {
                            docs.insert(l.id.clone(), article_doc(a));
                        }
                        None => {
                            let why = match joined {
                                Some((p, _)) => format!("is not in {}", p.display()),
                                None => "has no labeled paragraphs with text and no articles file (--articles) to take its text from".to_string(),
                            };
                            return Err(label_err(
                                &r.path,
                                r.line,
                                format!("document {} {why}", l.id),
                            ));
                        }
                    }
                }
                let d = docs.get_mut(&l.id).expect("inserted above");
                if d.source.is_none() {
                    d.source = l.source.clone();
                }
                if d.date.is_none() {
                    d.date = l.date.clone();
                }
                documents.push(l);
            }
        }
        documents.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Annotations {
            set: LabeledSet {
                docs: docs.into_values().collect(),
            },
            documents,
            files: files.into_iter().map(|(f, _)| f).collect(),
        })
    }

    /// The document label of `id`, if any.
    pub fn document(&self, id: &str) -> Option<&DocumentLabel> {
        self.documents
            .binary_search_by(|d| d.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.documents[i])
    }

    /// Merge another set of annotations (see [`LabeledSet::extend`] for documents in both).
    ///
    /// # Errors
    /// [`Error::Other`] naming the document when a paragraph is labeled in both, or a
    /// document carries a document label in both.
    pub fn extend(&mut self, other: Annotations) -> Result<()> {
        self.set.extend(other.set)?;
        self.documents.extend(other.documents);
        self.documents.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = self.documents.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Error::Other(format!(
                "document {} has a document label in two inputs",
                w[0].id
            )));
        }
        self.files.extend(other.files);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Codebook;
    use std::io::Write;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        p
    }

    fn doc(id: &str, labels: &[(usize, Option<Label>)]) -> LabeledDoc {
        LabeledDoc {
            id: id.into(),
            paragraphs: labels
                .iter()
                .map(|&(index, label)| LabeledPara {
                    index,
                    text: format!("p{index}"),
                    label,
                })
                .collect(),
            n_paragraphs: 4,
            ..LabeledDoc::default()
        }
    }

    #[test]
    fn sets_merge_a_document_coded_in_two_rounds() {
        let mut a = LabeledSet {
            docs: vec![doc("x", &[(0, Some(Label(4))), (2, None)])],
        };
        let b = LabeledSet {
            docs: vec![
                doc("x", &[(1, Some(Label(2))), (2, Some(Label(1)))]),
                doc("w", &[(0, Some(Label(0)))]),
            ],
        };
        a.extend(b).unwrap();
        assert_eq!(a.docs.len(), 2);
        assert_eq!(a.docs[0].id, "w");
        let labels: Vec<_> = a.docs[1]
            .paragraphs
            .iter()
            .map(|p| (p.index, p.label))
            .collect();
        assert_eq!(
            labels,
            [
                (0, Some(Label(4))),
                (1, Some(Label(2))),
                (2, Some(Label(1)))
            ]
        );
        assert_eq!(a.n_labeled(), 4);
        let again = LabeledSet {
            docs: vec![doc("x", &[(1, Some(Label(3)))])],
        };
        let e = a.extend(again).unwrap_err().to_string();
        assert!(
            e.contains("document x paragraph 1 is labeled in two inputs"),
            "{e}"
        );
    }

    #[test]
    fn joins_labels_to_articles_and_names_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let arts = write(
            dir.path(),
            "a.jsonl",
            "{\"id\":\"d1\",\"text\":\"One.\\n\\nTwo.\\nThree.\"}\n",
        );
        let good = write(dir.path(), "p.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":2,\"frame\":\"economic\",\"text\":\"Three.\"}\n");
        let set = LabelSource {
            paragraphs: good,
            articles: Some(arts.clone()),
        }
        .load(&Codebook::migration())
        .unwrap();
        assert_eq!(set.docs.len(), 1);
        assert_eq!(set.docs[0].paragraphs.len(), 3);
        assert_eq!(set.docs[0].paragraphs[2].label, Some(Label(1)));
        assert_eq!(set.docs[0].paragraphs[1].label, None);

        let missing = write(dir.path(), "m.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":7,\"frame\":\"none\"}\n");
        let e = LabelSource {
            paragraphs: missing,
            articles: Some(arts.clone()),
        }
        .load(&Codebook::migration())
        .unwrap_err();
        assert!(matches!(e, Error::Labels { line: 2, .. }), "{e}");

        let unknown = write(
            dir.path(),
            "u.jsonl",
            "{\"id\":\"d1\",\"para\":0,\"frame\":\"crime\"}\n",
        );
        let e = read_paragraph_labels(&unknown, &Codebook::migration()).unwrap_err();
        assert!(e.to_string().contains("u.jsonl:1"), "{e}");

        let dup = write(dir.path(), "d.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":0,\"frame\":\"economic\"}\n");
        let e = read_paragraph_labels(&dup, &Codebook::migration()).unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");

        let other = write(
            dir.path(),
            "o.jsonl",
            "{\"id\":\"zz\",\"para\":0,\"frame\":\"none\"}\n",
        );
        let e = LabelSource {
            paragraphs: other,
            articles: Some(arts),
        }
        .load(&Codebook::migration())
        .unwrap_err();
        assert!(e.to_string().contains("zz"), "{e}");
    }

    #[test]
    fn array_items_are_located_by_line() {
        let text = "[\n  {\"a\": \"[{,\\\"\"},\n  {\"b\": [1, {\"c\": 2}]}, {\"d\": 3}\n]";
        assert_eq!(array_item_lines(text), vec![2, 3, 3]);
        assert_eq!(array_item_lines("[]"), Vec::<u64>::new());
    }

    #[test]
    fn reads_csv_doccano_and_label_studio_rows() {
        let dir = tempfile::tempdir().unwrap();
        let csv = write(
            dir.path(),
            "d.csv",
            "id,primary,present,sample\nd1,economic,\"economic; Security\",random\nd2,none,,\n",
        );
        let f = read_label_file(&csv, &Codebook::migration()).unwrap();
        assert_eq!(f.format, LabelFormat::Csv);
        assert_eq!(f.documents.len(), 2);
        assert_eq!(f.documents[0].0, 2);
        assert_eq!(f.documents[0].1.present, vec![Label(1), Label(2)]);
        assert_eq!(f.documents[0].1.sample.as_deref(), Some("random"));
        assert!(f.documents[1].1.present.is_empty());

        let dn = write(
            dir.path(),
            "dn.jsonl",
            "{\"id\":7,\"text\":\"t\",\"label\":[\"enforcement\"],\"doc_id\":\"d1\",\"para\":\"3\"}\n{\"id\":8,\"text\":\"t\",\"label\":[\"economic\",\"security\"],\"doc_id\":\"d2\"}\n",
        );
        let e = read_label_file(&dn, &Codebook::migration())
            .unwrap_err()
            .to_string();
        assert!(e.contains("dn.jsonl:2:") && e.contains("primary"), "{e}");

        let ls = write(
            dir.path(),
            "ls.json",
            "[{\"data\":{\"doc_id\":\"d1\",\"para\":0},\"annotations\":[{\"result\":[{\"from_name\":\"frame\",\"value\":{\"choices\":[\"None\"]}}]}]},\n{\"data\":{\"doc_id\":\"d1\"},\"annotations\":[{\"result\":[{\"from_name\":\"present\",\"value\":{\"choices\":[\"Economic\"]}}]}]}]",
        );
        let e = read_label_file(&ls, &Codebook::migration())
            .unwrap_err()
            .to_string();
        assert!(e.contains("ls.json:2:") && e.contains("primary"), "{e}");
    }
}
