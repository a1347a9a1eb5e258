//! Label rows ([`ParagraphLabel`], [`DocumentLabel`]) and labeled documents: [`LabeledDoc`], [`LabeledSet`] and their merging.

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
