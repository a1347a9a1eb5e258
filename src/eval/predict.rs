//! Model predictions for coded documents: [`predict`], [`predict_document`].

use super::*;

/// The model's output for one paragraph of a labeled document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParaPrediction {
    /// 0-based paragraph index in the article.
    pub index: usize,
    /// The coders' label, when this paragraph was coded.
    #[serde(default)]
    pub gold: Option<Label>,
    /// Label probabilities, codebook column order.
    pub probs: Vec<f32>,
    /// Length weight (tokens) used in document aggregation.
    pub weight: f32,
}

impl ParaPrediction {
    /// The most probable label (the first on ties, as in reports).
    pub fn predicted(&self) -> Label {
        Label::from_index(argmax(&self.probs))
    }
}

/// The model's output for one labeled document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocPrediction {
    /// Document id.
    pub id: DocId,
    /// The cross-validation fold that held this document out (`None` outside CV).
    pub fold: Option<usize>,
    /// Every scored paragraph, in order.
    pub paragraphs: Vec<ParaPrediction>,
    /// Document aggregates of all paragraphs, as `classify` reports them.
    pub aggregate: Aggregate,
}

pub(super) fn argmax(p: &[f32]) -> usize {
    (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b })
}

/// Score one labeled document with its full paragraph sequence (context features see the
/// neighbours), keeping the coders' labels beside the scores.
///
/// # Errors
/// Tokenizer errors.
pub fn predict_document(
    model: &FramingModel,
    doc: &LabeledDoc,
    fold: Option<usize>,
) -> Result<DocPrediction> {
    let texts: Vec<&str> = doc.paragraphs.iter().map(|p| p.text.as_str()).collect();
    let s = model.score_document(&texts)?;
    let paragraphs = doc
        .paragraphs
        .iter()
        .zip(s.paragraphs.iter().zip(&s.weights))
        .map(|(p, (probs, &weight))| ParaPrediction {
            index: p.index,
            gold: p.label,
            probs: probs.clone(),
            weight,
        })
        .collect();
    Ok(DocPrediction {
        id: doc.id.clone(),
        fold,
        paragraphs,
        aggregate: s.aggregate,
    })
}

/// Score every document of a labeled set (in parallel; the result is in set order).
///
/// # Errors
/// Tokenizer errors, naming the document.
pub fn predict(model: &FramingModel, set: &LabeledSet) -> Result<Vec<DocPrediction>> {
    let gaps = set
        .docs
        .iter()
        .filter(|d| d.paragraphs.iter().enumerate().any(|(i, p)| p.index != i))
        .count();
    if gaps > 0 {
        log::warn!(
            "{gaps} documents lack some paragraphs (labels without an articles file): they are scored on the paragraphs known"
        );
    }
    set.docs
        .par_iter()
        .map(|d| {
            predict_document(model, d, None)
                .map_err(|e| Error::Other(format!("document {}: {e}", d.id)))
        })
        .collect()
}
