//! Paragraph labels joined to their articles: [`LabelSource`] and the labeled documents built from them.

use super::*;

use crate::corpus::{paragraphs, read_jsonl, Article};

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

/// Read an articles file into a map by id.
pub(super) fn read_articles(apath: &Path) -> Result<HashMap<DocId, Article>> {
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
pub(super) fn build_docs(
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
pub(super) fn article_doc(a: &Article) -> LabeledDoc {
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
