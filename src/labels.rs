//! Labeled samples: hand-coded paragraphs and documents → a [`LabeledSet`].
//!
//! Input: a paragraph-label file `{"id", "para", "frame", "text"?}` (JSONL), optionally joined
//! to an articles file by id, or a corpus folder holding `articles.jsonl` and
//! `labels/paragraphs.jsonl`. Output: [`LabeledSet`], one [`LabeledDoc`] per article with its
//! paragraphs in order. Invalid labels are errors naming the file and line.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::corpus::{paragraphs, read_jsonl, DocId, Label};
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

/// A set of labeled documents, sorted by id.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LabeledSet {
    /// The documents.
    pub docs: Vec<LabeledDoc>,
}

impl LabeledSet {
    /// Number of labeled paragraphs per label, in [`Label::ALL`] order.
    pub fn counts(&self) -> [usize; Label::COUNT] {
        let mut c = [0; Label::COUNT];
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
        self.counts().iter().sum()
    }

    /// Merge another set (documents with the same id in both are an error).
    ///
    /// # Errors
    /// [`Error::Other`] naming the first duplicated id.
    pub fn extend(&mut self, other: LabeledSet) -> Result<()> {
        self.docs.extend(other.docs);
        self.docs.sort_by(|a, b| a.id.cmp(&b.id));
        if let Some(w) = self.docs.windows(2).find(|w| w[0].id == w[1].id) {
            return Err(Error::Other(format!(
                "document {} is labeled in two inputs",
                w[0].id
            )));
        }
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

fn get_label(path: &Path, line: u64, s: &str) -> Result<Label> {
    s.parse::<Label>().map_err(|e| label_err(path, line, e))
}

/// Read paragraph labels `{"id", "para", "frame", "text"?}`, one per line. Returns the labels
/// with their line numbers.
///
/// # Errors
/// [`Error::Labels`] naming the file and line for malformed lines, unknown labels, bad
/// indices and duplicate `(id, para)` rows.
pub fn read_paragraph_labels(path: &Path) -> Result<Vec<(u64, ParagraphLabel)>> {
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
        let frame = get_label(path, n, &get_str(path, n, &map, "frame")?)?;
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
pub fn read_document_labels(path: &Path) -> Result<Vec<DocumentLabel>> {
    let mut out = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for_each_json_line(path, |n, map| {
        let id = get_str(path, n, &map, "id")?;
        let primary = get_label(path, n, &get_str(path, n, &map, "primary")?)?;
        let present = match map.get("present") {
            None | Some(Value::Null) => Vec::new(),
            Some(Value::Array(a)) => a
                .iter()
                .map(|v| match v {
                    Value::String(s) => get_label(path, n, s),
                    _ => Err(label_err(path, n, "\"present\" must hold label names")),
                })
                .collect::<Result<Vec<_>>>()?,
            Some(_) => return Err(label_err(path, n, "field \"present\" must be an array")),
        };
        if present.contains(&Label::None) {
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
    /// # Errors
    /// [`Error::Labels`] naming file and line for bad rows, labels of paragraphs that do not
    /// exist, text that disagrees with the article, or ids missing from the articles.
    pub fn load(&self) -> Result<LabeledSet> {
        let labels = read_paragraph_labels(&self.paragraphs)?;
        let path = &self.paragraphs;
        let mut by_doc: BTreeMap<DocId, Vec<(u64, ParagraphLabel)>> = BTreeMap::new();
        for (n, l) in labels {
            by_doc.entry(l.id.clone()).or_default().push((n, l));
        }
        let mut docs = Vec::new();
        if let Some(apath) = &self.articles {
            let mut articles = HashMap::new();
            for a in read_jsonl(apath)? {
                let a = a.map_err(|e| Error::Labels {
                    path: apath.clone(),
                    line: e.line.unwrap_or(0),
                    message: e.reason,
                })?;
                articles.insert(a.id.clone(), a);
            }
            for (id, rows) in by_doc {
                let Some(a) = articles.get(&id) else {
                    let line = rows[0].0;
                    return Err(label_err(
                        path,
                        line,
                        format!("document {id} is not in {}", apath.display()),
                    ));
                };
                let paras = paragraphs(&a.text);
                let mut lp: Vec<LabeledPara> = paras
                    .iter()
                    .enumerate()
                    .map(|(i, t)| LabeledPara {
                        index: i,
                        text: t.to_string(),
                        label: None,
                    })
                    .collect();
                for (n, l) in rows {
                    let Some(slot) = lp.get_mut(l.para) else {
                        return Err(label_err(
                            path,
                            n,
                            format!(
                                "document {id} has {} paragraphs; paragraph {} does not exist",
                                paras.len(),
                                l.para
                            ),
                        ));
                    };
                    if let Some(t) = &l.text {
                        if t.trim() != slot.text {
                            return Err(label_err(
                                path,
                                n,
                                format!(
                                    "text of document {id} paragraph {} differs from the article",
                                    l.para
                                ),
                            ));
                        }
                    }
                    slot.label = Some(l.frame);
                }
                docs.push(LabeledDoc {
                    id,
                    source: a.source.clone(),
                    date: a.date.clone(),
                    n_paragraphs: lp.len(),
                    paragraphs: lp,
                });
            }
        } else {
            for (id, mut rows) in by_doc {
                rows.sort_by_key(|r| r.1.para);
                let mut lp = Vec::with_capacity(rows.len());
                for (n, l) in rows {
                    let Some(text) = l.text else {
                        return Err(label_err(
                            path,
                            n,
                            "no \"text\" and no articles file to take it from",
                        ));
                    };
                    lp.push(LabeledPara {
                        index: l.para,
                        text: text.trim().to_string(),
                        label: Some(l.frame),
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
        Ok(LabeledSet { docs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        p
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
        .load()
        .unwrap();
        assert_eq!(set.docs.len(), 1);
        assert_eq!(set.docs[0].paragraphs.len(), 3);
        assert_eq!(set.docs[0].paragraphs[2].label, Some(Label::Economic));
        assert_eq!(set.docs[0].paragraphs[1].label, None);

        let missing = write(dir.path(), "m.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":7,\"frame\":\"none\"}\n");
        let e = LabelSource {
            paragraphs: missing,
            articles: Some(arts.clone()),
        }
        .load()
        .unwrap_err();
        assert!(matches!(e, Error::Labels { line: 2, .. }), "{e}");

        let unknown = write(
            dir.path(),
            "u.jsonl",
            "{\"id\":\"d1\",\"para\":0,\"frame\":\"crime\"}\n",
        );
        let e = read_paragraph_labels(&unknown).unwrap_err();
        assert!(e.to_string().contains("u.jsonl:1"), "{e}");

        let dup = write(dir.path(), "d.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":0,\"frame\":\"economic\"}\n");
        let e = read_paragraph_labels(&dup).unwrap_err();
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
        .load()
        .unwrap_err();
        assert!(e.to_string().contains("zz"), "{e}");
    }
}
