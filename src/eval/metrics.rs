//! Paragraph metrics: the confusion matrix, per-label precision, recall and F1, Krippendorff's alpha.

use super::*;

/// A K×K confusion matrix: rows are the coders' labels, columns the model's, in codebook
/// column order.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Confusion(pub Vec<Vec<u64>>);

impl Confusion {
    /// An empty matrix for `k` labels.
    pub fn new(k: usize) -> Confusion {
        Confusion(vec![vec![0; k]; k])
    }

    /// Number of labels.
    pub fn k(&self) -> usize {
        self.0.len()
    }

    /// Count one paragraph.
    pub fn add(&mut self, gold: Label, predicted: Label) {
        self.0[gold.index()][predicted.index()] += 1;
    }

    /// Number of paragraphs counted.
    pub fn total(&self) -> u64 {
        self.0.iter().flatten().sum()
    }

    /// Paragraphs whose label is `l` (row sum).
    pub fn support(&self, l: Label) -> u64 {
        self.0[l.index()].iter().sum()
    }

    /// Paragraphs predicted as `l` (column sum).
    pub fn predicted(&self, l: Label) -> u64 {
        self.0.iter().map(|r| r[l.index()]).sum()
    }

    /// Add another matrix (of the same size, or to an empty one).
    pub fn merge(&mut self, o: &Confusion) {
        if self.0.is_empty() {
            *self = Confusion::new(o.k());
        }
        for (a, b) in self.0.iter_mut().flatten().zip(o.0.iter().flatten()) {
            *a += b;
        }
    }

    /// The confusion matrix (`k` labels) of the coded paragraphs of some predictions.
    pub fn of<'a>(paras: impl IntoIterator<Item = &'a ParaPrediction>, k: usize) -> Confusion {
        let mut c = Confusion::new(k);
        for p in paras {
            if let Some(g) = p.gold {
                c.add(g, p.predicted());
            }
        }
        c
    }
}

/// Precision, recall and F1 of one label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabelMetrics {
    /// The label's name.
    pub label: String,
    /// TP / (TP + FP); `None` when the label was never predicted.
    pub precision: Option<f64>,
    /// TP / (TP + FN); `None` when the label has no support.
    pub recall: Option<f64>,
    /// 2TP / (2TP + FP + FN); `None` when the label is neither present nor predicted.
    pub f1: Option<f64>,
    /// Coded paragraphs with this label.
    pub support: u64,
    /// Paragraphs the model gave this label.
    pub predicted: u64,
}

/// A 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    /// Lower bound (2.5th percentile).
    pub lo: f64,
    /// Upper bound (97.5th percentile).
    pub hi: f64,
}

/// Paragraph-level agreement between the model and the coders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParagraphMetrics {
    /// Coded paragraphs.
    pub n: u64,
    /// Fraction of paragraphs where the model's label equals the coders'.
    pub accuracy: Option<f64>,
    /// Micro F1 over the codebook's frames (pooled TP/FP/FN of the frame labels; the none
    /// label is the negative class).
    pub micro_f1_frames: Option<f64>,
    /// Mean F1 of the frames (over those defined).
    pub macro_f1_frames: Option<f64>,
    /// Micro F1 over all labels (equals accuracy).
    pub micro_f1_all: Option<f64>,
    /// Mean F1 of all labels (over those defined).
    pub macro_f1_all: Option<f64>,
    /// Krippendorff's alpha (nominal) treating the model and the coders as two coders.
    pub krippendorff_alpha: Option<f64>,
    /// Per label, codebook column order.
    pub per_label: Vec<LabelMetrics>,
    /// Rows: coders' label; columns: model's label; codebook column order.
    pub confusion: Confusion,
    /// 95% bootstrap intervals (documents resampled).
    pub intervals: ParagraphIntervals,
}

/// Bootstrap intervals of the paragraph metrics.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ParagraphIntervals {
    /// Of `macro_f1_frames`.
    pub macro_f1_frames: Option<Interval>,
    /// Of `macro_f1_all`.
    pub macro_f1_all: Option<Interval>,
    /// Of `accuracy`.
    pub accuracy: Option<Interval>,
}

pub(super) fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

pub(super) fn mean_defined(xs: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let v: Vec<f64> = xs.into_iter().flatten().collect();
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// Krippendorff's alpha (nominal data, two coders, no missing values) of a confusion matrix.
///
/// The coincidence matrix is `C + Cᵀ`; `alpha = 1 − (n − 1) · Σ_{c≠k} o_ck / Σ_{c≠k} n_c n_k`.
/// `None` when there are fewer than two paragraphs or no variation at all.
pub fn krippendorff_alpha(c: &Confusion) -> Option<f64> {
    let k = c.k();
    let mut nc = vec![0f64; k];
    let mut disagree = 0f64;
    for (i, n_i) in nc.iter_mut().enumerate() {
        for j in 0..k {
            let o = (c.0[i][j] + c.0[j][i]) as f64;
            *n_i += o;
            if i != j {
                disagree += o;
            }
        }
    }
    let n: f64 = nc.iter().sum();
    let expected = n * n - nc.iter().map(|x| x * x).sum::<f64>();
    if n < 2.0 || expected <= 0.0 {
        return None;
    }
    Some(1.0 - (n - 1.0) * disagree / expected)
}

/// All paragraph metrics of a confusion matrix of the labels of `cb` (intervals left empty).
pub fn paragraph_metrics(c: &Confusion, cb: &Codebook) -> ParagraphMetrics {
    let per_label: Vec<LabelMetrics> = cb
        .labels()
        .map(|l| {
            let i = l.index();
            let tp = c.0[i][i];
            let support = c.support(l);
            let predicted = c.predicted(l);
            let (fp, fneg) = (predicted - tp, support - tp);
            LabelMetrics {
                label: cb.name(l).to_string(),
                precision: ratio(tp, predicted),
                recall: ratio(tp, support),
                f1: ratio(2 * tp, 2 * tp + fp + fneg),
                support,
                predicted,
            }
        })
        .collect();
    let n = c.total();
    let correct: u64 = (0..c.k()).map(|i| c.0[i][i]).sum();
    let (mut tp, mut fp, mut fneg) = (0, 0, 0);
    for &l in cb.frames() {
        let m = &per_label[l.index()];
        let t = c.0[l.index()][l.index()];
        tp += t;
        fp += m.predicted - t;
        fneg += m.support - t;
    }
    ParagraphMetrics {
        n,
        accuracy: ratio(correct, n),
        micro_f1_frames: ratio(2 * tp, 2 * tp + fp + fneg),
        macro_f1_frames: mean_defined(cb.frames().iter().map(|l| per_label[l.index()].f1)),
        micro_f1_all: ratio(correct, n),
        macro_f1_all: mean_defined(per_label.iter().map(|m| m.f1)),
        krippendorff_alpha: krippendorff_alpha(c),
        per_label,
        confusion: c.clone(),
        intervals: ParagraphIntervals::default(),
    }
}
