//! Evaluation: hand-coded samples and model scores → metrics researchers can trust.
//!
//! Input: [`Annotations`] (paragraph and document labels joined to their articles) and either a
//! fitted [`FramingModel`] ([`predict`]) or training parameters plus a fold assignment
//! ([`cross_validate`], folds from [`FoldParams`]). Output: [`DocPrediction`]s, then an
//! [`EvalReport`] ([`EvalValidParams::evaluate`]): paragraph metrics (per-label precision,
//! recall, F1 and support, micro and macro F1, accuracy, the confusion matrix, Krippendorff's
//! alpha between model and coders, bootstrap intervals), calibration (Brier score, ECE,
//! reliability table) and document metrics (dominant-frame accuracy, F1 of present frames,
//! error of frame shares), overall and per sampling stratum. [`write_outputs`] writes
//! `metrics.json`, `report.md`, `confusion.svg`, `reliability.svg`, `predictions.jsonl` and,
//! for cross-validation, `folds.csv`.
//!
//! Conventions (the same as scikit-learn's with `zero_division=nan`): precision is undefined
//! for a label never predicted, recall for a label with no support, and F1 (= 2TP / (2TP + FP +
//! FN)) only when a label is neither predicted nor present; undefined values are `null` in
//! JSON and are left out of macro averages. Bootstrap intervals resample *documents* (the
//! paragraphs of an article are not independent), percentile method.
//!
//! ```
//! # fn main() -> framelens::Result<()> {
//! use framelens::eval::{paragraph_metrics, Confusion};
//! use framelens::Codebook;
//! let cb = Codebook::migration();
//! let label = |n: &str| cb.parse(n).map_err(framelens::Error::Other);
//! let mut c = Confusion::new(cb.len());
//! c.add(label("economic")?, label("economic")?);
//! c.add(label("none")?, label("economic")?);
//! let m = paragraph_metrics(&c, &cb);
//! assert_eq!(m.accuracy, Some(0.5));
//! # Ok(())
//! # }
//! ```

pub mod svg;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::codebook::{Codebook, Label};
use crate::corpus::DocId;
use crate::error::{Error, Result};
use crate::labels::{Annotations, DocumentLabel, LabeledDoc, LabeledSet};
use crate::model::{aggregate, Aggregate, FramingModel, Thresholds, TrainValidParams};
use crate::stats::{quantile, SplitMix64};

// ---------------------------------------------------------------------------------------------
// Predictions

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

fn argmax(p: &[f32]) -> usize {
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

// ---------------------------------------------------------------------------------------------
// Paragraph metrics

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

fn ratio(a: u64, b: u64) -> Option<f64> {
    (b > 0).then(|| a as f64 / b as f64)
}

fn mean_defined(xs: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
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

// ---------------------------------------------------------------------------------------------
// Calibration

/// One bin of the reliability table (by the probability of the predicted label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReliabilityBin {
    /// Lower edge (inclusive).
    pub lo: f64,
    /// Upper edge (exclusive, except 1.0 for the last bin).
    pub hi: f64,
    /// Paragraphs whose confidence falls in the bin.
    pub n: u64,
    /// Their mean confidence.
    pub confidence: Option<f64>,
    /// The fraction of them labeled correctly.
    pub accuracy: Option<f64>,
}

/// How well the model's probabilities match observed frequencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Coded paragraphs.
    pub n: u64,
    /// Multi-class Brier score: mean over paragraphs of Σ_labels (p − y)², in 0..=2.
    pub brier: Option<f64>,
    /// Mean negative log probability of the coded label (probabilities floored at 1e-15).
    pub log_loss: Option<f64>,
    /// Expected calibration error of the top label: Σ_bins (n_b / n) · |accuracy_b −
    /// confidence_b|, equal-width bins.
    pub ece: Option<f64>,
    /// The reliability table.
    pub bins: Vec<ReliabilityBin>,
}

/// Calibration of the coded paragraphs of some predictions, with `n_bins` equal-width bins.
pub fn calibration<'a>(
    paras: impl IntoIterator<Item = &'a ParaPrediction>,
    n_bins: usize,
) -> Calibration {
    let n_bins = n_bins.max(1);
    let mut count = vec![0u64; n_bins];
    let mut conf = vec![0f64; n_bins];
    let mut correct = vec![0u64; n_bins];
    let (mut n, mut brier, mut ll) = (0u64, 0f64, 0f64);
    for p in paras {
        let Some(g) = p.gold else { continue };
        n += 1;
        for (c, &x) in p.probs.iter().enumerate() {
            let y = if c == g.index() { 1.0 } else { 0.0 };
            brier += (x as f64 - y).powi(2);
        }
        ll -= (p.probs[g.index()] as f64).max(1e-15).ln();
        let top = argmax(&p.probs);
        let c = (p.probs[top] as f64).clamp(0.0, 1.0);
        let b = ((c * n_bins as f64) as usize).min(n_bins - 1);
        count[b] += 1;
        conf[b] += c;
        correct[b] += u64::from(top == g.index());
    }
    let bins: Vec<ReliabilityBin> = (0..n_bins)
        .map(|b| ReliabilityBin {
            lo: b as f64 / n_bins as f64,
            hi: (b + 1) as f64 / n_bins as f64,
            n: count[b],
            confidence: (count[b] > 0).then(|| conf[b] / count[b] as f64),
            accuracy: ratio(correct[b], count[b]),
        })
        .collect();
    let ece = (n > 0).then(|| {
        bins.iter()
            .filter_map(|b| Some(b.n as f64 / n as f64 * (b.accuracy? - b.confidence?).abs()))
            .sum()
    });
    Calibration {
        n,
        brier: (n > 0).then(|| brier / n as f64),
        log_loss: (n > 0).then(|| ll / n as f64),
        ece,
        bins,
    }
}

// ---------------------------------------------------------------------------------------------
// Document metrics

/// Precision, recall and F1 of one frame's "present" decision over documents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresentMetrics {
    /// The frame's name.
    pub frame: String,
    /// Precision (`None` when never predicted present).
    pub precision: Option<f64>,
    /// Recall (`None` when never coded present).
    pub recall: Option<f64>,
    /// F1 (`None` when neither).
    pub f1: Option<f64>,
    /// Documents coded with the frame present.
    pub support: u64,
    /// Documents where the model finds it present.
    pub predicted: u64,
}

/// Error of the model's frame shares against shares computed from the coded paragraphs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShareErrors {
    /// Documents with coded paragraphs of which at least one is framed (shares defined).
    pub n: u64,
    /// Mean over documents and frames of |model share − coded share|.
    pub mae: Option<f64>,
    /// The same per frame, codebook frame order.
    pub mae_per_frame: Vec<Option<f64>>,
    /// Documents with coded paragraphs.
    pub n_framed_fraction: u64,
    /// Mean |model framed fraction − coded framed fraction|.
    pub framed_fraction_mae: Option<f64>,
}

/// Document-level agreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DocumentMetrics {
    /// Documents with a document label.
    pub n: u64,
    /// Fraction whose dominant frame (or `none`) equals the coded `primary`.
    pub dominant_accuracy: Option<f64>,
    /// 95% bootstrap interval of `dominant_accuracy`.
    pub dominant_accuracy_interval: Option<Interval>,
    /// Rows: coded primary; columns: model's dominant; codebook column order (plus a last
    /// "no frame" row and column when the codebook has no none label).
    pub dominant_confusion: Confusion,
    /// Per frame, codebook frame order.
    pub present: Vec<PresentMetrics>,
    /// Micro F1 of "present" over the frames.
    pub present_micro_f1: Option<f64>,
    /// Mean F1 of "present" over the frames (those defined).
    pub present_macro_f1: Option<f64>,
    /// Share errors, over documents with coded paragraphs.
    pub shares: ShareErrors,
}

fn share_errors(preds: &[&DocPrediction], t: &Thresholds, cb: &Codebook) -> ShareErrors {
    let nf_frames = cb.n_frames();
    let mut sum = vec![0f64; nf_frames];
    let (mut n, mut nf, mut ff) = (0u64, 0u64, 0f64);
    for d in preds {
        let coded: Vec<&ParaPrediction> =
            d.paragraphs.iter().filter(|p| p.gold.is_some()).collect();
        if coded.is_empty() {
            continue;
        }
        let w: Vec<f32> = coded.iter().map(|p| p.weight).collect();
        let probs: Vec<Vec<f32>> = coded.iter().map(|p| p.probs.clone()).collect();
        let gold: Vec<Vec<f32>> = coded
            .iter()
            .map(|p| {
                let mut o = vec![0f32; cb.len()];
                o[p.gold.expect("filtered").index()] = 1.0;
                o
            })
            .collect();
        let m = aggregate(&probs, &w, t, cb);
        let g = aggregate(&gold, &w, t, cb);
        nf += 1;
        ff += (m.framed_fraction - g.framed_fraction).abs();
        if coded.iter().any(|p| p.gold.is_some_and(|l| cb.is_frame(l))) {
            n += 1;
            for (s, (a, b)) in sum.iter_mut().zip(m.shares.iter().zip(&g.shares)) {
                *s += (a - b).abs();
            }
        }
    }
    let per = sum.iter().map(|s| (n > 0).then(|| s / n as f64)).collect();
    ShareErrors {
        n,
        mae: (n > 0).then(|| sum.iter().sum::<f64>() / (nf_frames as u64 * n) as f64),
        mae_per_frame: per,
        n_framed_fraction: nf,
        framed_fraction_mae: (nf > 0).then(|| ff / nf as f64),
    }
}

/// Document metrics of predictions against document labels (documents without a label count
/// only towards the share errors).
pub fn document_metrics(
    preds: &[&DocPrediction],
    labels: &HashMap<&str, &DocumentLabel>,
    t: &Thresholds,
    cb: &Codebook,
) -> DocumentMetrics {
    let nfr = cb.n_frames();
    let mut dom = Confusion::new(cb.len() + usize::from(cb.none().is_none()));
    let mut tp = vec![0u64; nfr];
    let mut sup = vec![0u64; nfr];
    let mut pred = vec![0u64; nfr];
    for d in preds {
        let Some(l) = labels.get(d.id.as_str()) else {
            continue;
        };
        dom.add(l.primary, dominant_slot(d.aggregate.dominant, cb));
        for (i, f) in cb.frames().iter().enumerate() {
            let g = l.present.contains(f);
            let p = d.aggregate.present.contains(f);
            sup[i] += u64::from(g);
            pred[i] += u64::from(p);
            tp[i] += u64::from(g && p);
        }
    }
    let present: Vec<PresentMetrics> = (0..nfr)
        .map(|i| PresentMetrics {
            frame: cb.name(cb.frames()[i]).to_string(),
            precision: ratio(tp[i], pred[i]),
            recall: ratio(tp[i], sup[i]),
            f1: ratio(2 * tp[i], sup[i] + pred[i]),
            support: sup[i],
            predicted: pred[i],
        })
        .collect();
    let (t_all, s_all, p_all) = (
        tp.iter().sum::<u64>(),
        sup.iter().sum::<u64>(),
        pred.iter().sum::<u64>(),
    );
    let n = dom.total();
    let correct: u64 = (0..dom.k()).map(|i| dom.0[i][i]).sum();
    DocumentMetrics {
        n,
        dominant_accuracy: ratio(correct, n),
        dominant_accuracy_interval: None,
        dominant_confusion: dom,
        present_micro_f1: ratio(2 * t_all, s_all + p_all),
        present_macro_f1: mean_defined(present.iter().map(|m| m.f1)),
        present,
        shares: share_errors(preds, t, cb),
    }
}

/// The dominant-confusion column of a document's dominant frame: the frame, else the none
/// label, else the extra "no frame" column after the labels.
fn dominant_slot(d: Option<Label>, cb: &Codebook) -> Label {
    d.or(cb.none()).unwrap_or(Label::from_index(cb.len()))
}

// ---------------------------------------------------------------------------------------------
// Bootstrap

fn interval(mut v: Vec<f64>) -> Option<Interval> {
    v.sort_by(f64::total_cmp);
    Some(Interval {
        lo: quantile(&v, 0.025)?,
        hi: quantile(&v, 0.975)?,
    })
}

/// Percentile bootstrap over documents: `units[i]` is document `i`'s paragraph confusion
/// matrix and (when it has a document label) whether its dominant frame was right.
fn bootstrap(
    units: &[(Confusion, Option<bool>)],
    replicates: usize,
    seed: u64,
    cb: &Codebook,
) -> (ParagraphIntervals, Option<Interval>) {
    if units.is_empty() || replicates == 0 {
        return (ParagraphIntervals::default(), None);
    }
    let mut rng = SplitMix64::new(seed);
    let (mut mf, mut ma, mut acc, mut dom) = (vec![], vec![], vec![], vec![]);
    for _ in 0..replicates {
        let mut c = Confusion::new(cb.len());
        let (mut right, mut n) = (0u64, 0u64);
        for _ in 0..units.len() {
            let u = &units[rng.below(units.len())];
            c.merge(&u.0);
            if let Some(ok) = u.1 {
                n += 1;
                right += u64::from(ok);
            }
        }
        let m = paragraph_metrics(&c, cb);
        mf.extend(m.macro_f1_frames);
        ma.extend(m.macro_f1_all);
        acc.extend(m.accuracy);
        dom.extend(ratio(right, n));
    }
    (
        ParagraphIntervals {
            macro_f1_frames: interval(mf),
            macro_f1_all: interval(ma),
            accuracy: interval(acc),
        },
        interval(dom),
    )
}

// ---------------------------------------------------------------------------------------------
// The report

/// Evaluation parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `bootstrap` | 1000 | bootstrap replicates (0: no intervals) | 0 ..= 100 000 |
/// | `seed` | 42 | seed of the bootstrap | any |
/// | `bins` | 10 | bins of the reliability table | 2 ..= 100 |
///
/// # Errors
/// [`EvalParams::check`] returns [`Error::InvalidParam`] naming the bad value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalParams {
    /// Bootstrap replicates.
    pub bootstrap: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Reliability bins.
    pub bins: usize,
}

impl Default for EvalParams {
    fn default() -> Self {
        EvalParams {
            bootstrap: 1000,
            seed: 42,
            bins: 10,
        }
    }
}

/// Evaluation parameters that passed [`EvalParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct EvalValidParams(EvalParams);

impl EvalParams {
    /// Set `bootstrap`.
    pub fn bootstrap(mut self, v: usize) -> Self {
        self.bootstrap = v;
        self
    }
    /// Set `seed`.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Set `bins`.
    pub fn bins(mut self, v: usize) -> Self {
        self.bins = v;
        self
    }

    /// Validate.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] naming the first bad value.
    pub fn check(self) -> Result<EvalValidParams> {
        if self.bootstrap > 100_000 {
            return Err(Error::InvalidParam {
                name: "bootstrap",
                value: self.bootstrap.to_string(),
                reason: "must be in 0..=100000",
            });
        }
        if !(2..=100).contains(&self.bins) {
            return Err(Error::InvalidParam {
                name: "bins",
                value: self.bins.to_string(),
                reason: "must be in 2..=100",
            });
        }
        Ok(EvalValidParams(self))
    }
}

/// Metrics of one set of documents (all of them, or one sampling stratum).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Documents evaluated.
    pub n_documents: u64,
    /// Paragraph metrics.
    pub paragraph: ParagraphMetrics,
    /// Calibration of paragraph probabilities.
    pub calibration: Calibration,
    /// Document metrics.
    pub document: DocumentMetrics,
}

/// Accuracy and macro F1 of one cross-validation fold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldMetrics {
    /// Fold number (0-based).
    pub fold: usize,
    /// Documents held out.
    pub n_documents: u64,
    /// Coded paragraphs held out.
    pub n_paragraphs: u64,
    /// Paragraph accuracy.
    pub accuracy: Option<f64>,
    /// Paragraph macro F1 over the frames.
    pub macro_f1_frames: Option<f64>,
    /// Dominant-frame accuracy (documents with document labels).
    pub dominant_accuracy: Option<f64>,
}

/// How an evaluation was run (recorded in `metrics.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Setup {
    /// `eval` or `cv`.
    pub command: String,
    /// Label files and folders, as given.
    pub labels: Vec<String>,
    /// Articles file, when given.
    pub articles: Option<String>,
    /// Labeled samples added to every training fold (CV).
    pub extra_train: Vec<String>,
    /// Model folder (eval).
    pub model: Option<String>,
    /// Model hash (eval).
    pub model_hash: Option<String>,
    /// Training parameters (CV).
    pub train_params: Option<serde_json::Value>,
    /// Fold assignment (CV).
    pub folds: Option<FoldsInfo>,
    /// Document thresholds used for dominant and present frames.
    pub thresholds: Option<Thresholds>,
    /// Evaluation parameters.
    pub eval_params: Option<EvalParams>,
}

/// Summary of a fold assignment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldsInfo {
    /// Number of folds.
    pub k: usize,
    /// Grouping.
    pub group_by: GroupBy,
    /// Seed.
    pub seed: u64,
    /// Whether the folds were stratified by label.
    #[serde(default)]
    pub stratify: bool,
    /// Number of groups.
    pub groups: usize,
    /// The file holding the assignment (relative to the output folder).
    pub file: String,
}

/// Everything `metrics.json` holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    /// The tool that produced the predictions (`framelens`).
    pub tool: String,
    /// Its version.
    pub version: String,
    /// The codebook: scheme, version and labels.
    pub codebook: String,
    /// Label names in codebook column order (rows and columns of the confusion matrices).
    pub labels: Vec<String>,
    /// How the evaluation was run.
    pub setup: Setup,
    /// Metrics over every document.
    #[serde(flatten)]
    pub all: Metrics,
    /// Metrics per sampling stratum (the `sample` field of document labels).
    pub by_sample: BTreeMap<String, Metrics>,
    /// Per cross-validation fold (empty outside CV).
    pub by_fold: Vec<FoldMetrics>,
}

impl EvalValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &EvalParams {
        &self.0
    }

    /// Metrics of a set of predictions.
    pub fn metrics(
        &self,
        preds: &[&DocPrediction],
        labels: &HashMap<&str, &DocumentLabel>,
        t: &Thresholds,
        cb: &Codebook,
    ) -> Metrics {
        let p = &self.0;
        let k = cb.len();
        let conf = Confusion::of(preds.iter().flat_map(|d| &d.paragraphs), k);
        let mut paragraph = paragraph_metrics(&conf, cb);
        let mut document = document_metrics(preds, labels, t, cb);
        let units: Vec<(Confusion, Option<bool>)> = preds
            .iter()
            .map(|d| {
                (
                    Confusion::of(&d.paragraphs, k),
                    labels
                        .get(d.id.as_str())
                        .map(|l| l.primary == dominant_slot(d.aggregate.dominant, cb)),
                )
            })
            .filter(|u| u.0.total() > 0 || u.1.is_some())
            .collect();
        let (pi, di) = bootstrap(&units, p.bootstrap, p.seed, cb);
        paragraph.intervals = pi;
        document.dominant_accuracy_interval = di;
        Metrics {
            n_documents: preds.len() as u64,
            paragraph,
            calibration: calibration(preds.iter().flat_map(|d| &d.paragraphs), p.bins),
            document,
        }
    }

    /// Evaluate predictions against annotations (labels of codebook `cb`): overall, per
    /// sampling stratum and per fold.
    pub fn evaluate(
        &self,
        preds: &[DocPrediction],
        annotations: &Annotations,
        t: &Thresholds,
        cb: &Codebook,
        setup: Setup,
    ) -> EvalReport {
        let labels: HashMap<&str, &DocumentLabel> = annotations
            .documents
            .iter()
            .map(|d| (d.id.as_str(), d))
            .collect();
        let all: Vec<&DocPrediction> = preds.iter().collect();
        let mut strata: BTreeMap<String, Vec<&DocPrediction>> = BTreeMap::new();
        for d in preds {
            if let Some(s) = labels.get(d.id.as_str()).and_then(|l| l.sample.as_ref()) {
                strata.entry(s.clone()).or_default().push(d);
            }
        }
        let by_sample = strata
            .into_iter()
            .map(|(k, v)| (k, self.metrics(&v, &labels, t, cb)))
            .collect();
        let mut folds: BTreeMap<usize, Vec<&DocPrediction>> = BTreeMap::new();
        for d in preds {
            if let Some(f) = d.fold {
                folds.entry(f).or_default().push(d);
            }
        }
        let quick = EvalValidParams(EvalParams {
            bootstrap: 0,
            ..self.0.clone()
        });
        let by_fold = folds
            .into_iter()
            .map(|(fold, v)| {
                let m = quick.metrics(&v, &labels, t, cb);
                FoldMetrics {
                    fold,
                    n_documents: m.n_documents,
                    n_paragraphs: m.paragraph.n,
                    accuracy: m.paragraph.accuracy,
                    macro_f1_frames: m.paragraph.macro_f1_frames,
                    dominant_accuracy: m.document.dominant_accuracy,
                }
            })
            .collect();
        EvalReport {
            tool: "framelens".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            codebook: cb.describe(),
            labels: cb.names().iter().map(|s| s.to_string()).collect(),
            setup,
            all: self.metrics(&all, &labels, t, cb),
            by_sample,
            by_fold,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Folds

/// What cross-validation folds are grouped by, so that related paragraphs never sit on both
/// sides of a split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    /// The article: its paragraphs stay together.
    Article,
    /// The outlet (`source`).
    Source,
    /// The publication year (`date[..4]`).
    Year,
    /// The publication month (`date[..7]`).
    Month,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "article" | "document" | "id" => Ok(GroupBy::Article),
            "source" | "outlet" => Ok(GroupBy::Source),
            "year" | "date" => Ok(GroupBy::Year),
            "month" => Ok(GroupBy::Month),
            o => Err(format!(
                "unknown grouping {o:?} (expected article, source, year or month)"
            )),
        }
    }
}

impl std::fmt::Display for GroupBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            GroupBy::Article => "article",
            GroupBy::Source => "source",
            GroupBy::Year => "year",
            GroupBy::Month => "month",
        })
    }
}

impl GroupBy {
    /// The group of a document.
    pub fn key(self, d: &LabeledDoc) -> String {
        let date = |n: usize| {
            d.date
                .as_deref()
                .map(str::trim)
                .filter(|s| {
                    s.len() >= n
                        && s.is_char_boundary(n)
                        && s[..4].bytes().all(|b| b.is_ascii_digit())
                })
                .map(|s| s[..n].to_string())
                .unwrap_or_else(|| "(no date)".into())
        };
        match self {
            GroupBy::Article => d.id.clone(),
            GroupBy::Source => d
                .source
                .as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or("(no source)")
                .to_string(),
            GroupBy::Year => date(4),
            GroupBy::Month => date(7),
        }
    }
}

/// Fold-assignment parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `k` | 5 | number of folds | 2 ..= 100 |
/// | `group_by` | article | what must not be split across folds | article, source, year, month |
/// | `seed` | 42 | breaks ties between groups of equal size | any |
/// | `stratify` | false | deal the groups of each majority label round the folds, so every fold has about the same label mix | |
///
/// # Errors
/// [`FoldParams::check`] returns [`Error::InvalidParam`] for a bad `k`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FoldParams {
    /// Number of folds.
    pub k: usize,
    /// Grouping.
    pub group_by: GroupBy,
    /// Seed.
    pub seed: u64,
    /// Stratify by each group's most frequent coded label.
    #[serde(default)]
    pub stratify: bool,
}

impl Default for FoldParams {
    fn default() -> Self {
        FoldParams {
            k: 5,
            group_by: GroupBy::Article,
            seed: 42,
            stratify: false,
        }
    }
}

/// Fold parameters that passed [`FoldParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct FoldValidParams(FoldParams);

impl FoldParams {
    /// Set `k`.
    pub fn k(mut self, v: usize) -> Self {
        self.k = v;
        self
    }
    /// Set `group_by`.
    pub fn group_by(mut self, v: GroupBy) -> Self {
        self.group_by = v;
        self
    }
    /// Set `seed`.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Set `stratify`.
    pub fn stratify(mut self, v: bool) -> Self {
        self.stratify = v;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `k` is out of range.
    pub fn check(self) -> Result<FoldValidParams> {
        if !(2..=100).contains(&self.k) {
            return Err(Error::InvalidParam {
                name: "folds",
                value: self.k.to_string(),
                reason: "must be in 2..=100",
            });
        }
        Ok(FoldValidParams(self))
    }
}

/// One document's fold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FoldEntry {
    /// Document id.
    pub id: DocId,
    /// Its group.
    pub group: String,
    /// Its fold (0-based).
    pub fold: usize,
}

/// A fold assignment: every document in exactly one fold, every group in one fold.
#[derive(Debug, Clone, PartialEq)]
pub struct Folds {
    /// Parameters used.
    pub params: FoldParams,
    /// Entries sorted by id.
    pub entries: Vec<FoldEntry>,
    /// Number of groups.
    pub groups: usize,
}

impl FoldValidParams {
    /// Assign the documents of `set` to folds. Groups are placed largest first (by coded
    /// paragraphs, at least 1 per document) into the fold with the least weight so far, so the
    /// folds are balanced; the seed orders groups of equal size.
    ///
    /// # Errors
    /// [`Error::Other`] when there are fewer groups than folds.
    pub fn assign(&self, set: &LabeledSet) -> Result<Folds> {
        let p = &self.0;
        let mut groups: BTreeMap<String, u64> = BTreeMap::new();
        for d in &set.docs {
            let n = d.paragraphs.iter().filter(|x| x.label.is_some()).count() as u64;
            *groups.entry(p.group_by.key(d)).or_default() += n.max(1);
        }
        if groups.len() < p.k {
            return Err(Error::Other(format!(
                "{} folds need at least {} groups, but grouping by {} gives {}",
                p.k,
                p.k,
                p.group_by,
                groups.len()
            )));
        }
        let mut order: Vec<(String, u64)> = groups.into_iter().collect();
        let mut rng = SplitMix64::new(p.seed);
        for i in (1..order.len()).rev() {
            let j = rng.below(i + 1);
            order.swap(i, j);
        }
        order.sort_by_key(|g| std::cmp::Reverse(g.1));
        let mut fold_of: HashMap<String, usize> = HashMap::new();
        if p.stratify {
            // each group's stratum: its most frequent coded label (ties: lowest column)
            let mut counts: HashMap<String, BTreeMap<Label, u64>> = HashMap::new();
            for d in &set.docs {
                let c = counts.entry(p.group_by.key(d)).or_default();
                for l in d.paragraphs.iter().filter_map(|x| x.label) {
                    *c.entry(l).or_default() += 1;
                }
            }
            let stratum = |g: &str| -> Option<Label> {
                let c = counts.get(g)?;
                let best = c.values().copied().max()?;
                c.iter().find(|(_, &n)| n == best).map(|(&l, _)| l)
            };
            let mut strata: BTreeMap<Option<Label>, Vec<&(String, u64)>> = BTreeMap::new();
            for g in &order {
                strata.entry(stratum(&g.0)).or_default().push(g);
            }
            // deal each stratum's groups (largest first) to the lightest folds in turn
            let mut load = vec![0u64; p.k];
            for gs in strata.values() {
                let mut taken = vec![0u64; p.k];
                for (g, w) in gs {
                    let f = (0..p.k)
                        .min_by_key(|&f| (taken[f], load[f], f))
                        .expect("k >= 2");
                    taken[f] += 1;
                    load[f] += w;
                    fold_of.insert(g.clone(), f);
                }
            }
        } else {
            let mut load = vec![0u64; p.k];
            for (g, w) in &order {
                let f = (0..p.k).min_by_key(|&f| (load[f], f)).expect("k >= 2");
                load[f] += w;
                fold_of.insert(g.clone(), f);
            }
        }
        let mut entries: Vec<FoldEntry> = set
            .docs
            .iter()
            .map(|d| {
                let group = p.group_by.key(d);
                FoldEntry {
                    id: d.id.clone(),
                    fold: fold_of[&group],
                    group,
                }
            })
            .collect();
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(Folds {
            params: p.clone(),
            entries,
            groups: order.len(),
        })
    }
}

impl Folds {
    /// The fold of a document.
    pub fn fold_of(&self, id: &str) -> Option<usize> {
        self.entries
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| self.entries[i].fold)
    }

    /// The assignment as CSV (`id,group,fold`), sorted by id; documents of `extra_train`
    /// (used for training in every fold, never tested) have the fold `train`.
    pub fn to_csv(&self, extra_train: &[DocId]) -> String {
        let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
        w.write_record(["id", "group", "fold"]).expect("in memory");
        for e in &self.entries {
            w.write_record([e.id.as_str(), e.group.as_str(), &e.fold.to_string()])
                .expect("in memory");
        }
        let mut extra = extra_train.to_vec();
        extra.sort();
        for id in &extra {
            w.write_record([id.as_str(), "", "train"])
                .expect("in memory");
        }
        String::from_utf8(w.into_inner().expect("in memory")).expect("UTF-8 in, UTF-8 out")
    }
}

/// Cross-validate: for each fold, fit a model on the other folds (plus `extra_train`, when
/// given) and score the held-out documents. `on_fold` is called after each fold with its
/// number and the seconds it took. The predictions come back sorted by id.
///
/// # Errors
/// Training errors (naming the fold), e.g. when a training split lacks a label.
pub fn cross_validate(
    params: &TrainValidParams,
    data: &LabeledSet,
    extra_train: Option<&LabeledSet>,
    folds: &Folds,
    cb: &Codebook,
    mut on_fold: impl FnMut(usize, f64),
) -> Result<Vec<DocPrediction>> {
    let mut out = Vec::new();
    for f in 0..folds.params.k {
        let t0 = std::time::Instant::now();
        let test = data.select(|_, d| folds.fold_of(&d.id) == Some(f));
        let mut train = data.select(|_, d| folds.fold_of(&d.id) != Some(f));
        if let Some(x) = extra_train {
            train
                .extend(x.clone())
                .map_err(|e| Error::Other(format!("extra training data: {e}")))?;
        }
        let model = params
            .fit(&train, cb)
            .map_err(|e| Error::Other(format!("fold {f}: {e}")))?;
        let mut p = predict(&model, &test)?;
        for d in &mut p {
            d.fold = Some(f);
        }
        out.extend(p);
        on_fold(f, t0.elapsed().as_secs_f64());
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Outputs

fn r4(x: f32) -> f64 {
    (x as f64 * 1e4).round() / 1e4
}

/// One line of `predictions.jsonl` (no text: only ids, labels and scores), keyed by the names
/// of codebook `cb`.
pub fn prediction_json(d: &DocPrediction, cb: &Codebook) -> serde_json::Value {
    let a = &d.aggregate;
    let name = |l: Label| cb.name(l).to_string();
    serde_json::json!({
        "id": d.id,
        "fold": d.fold,
        "dominant": a.dominant.or(cb.none()).map(name),
        "present": a.present.iter().map(|&l| name(l)).collect::<Vec<_>>(),
        "framed_fraction": (a.framed_fraction * 1e6).round() / 1e6,
        "shares": cb.frames().iter().zip(&a.shares).map(|(&l, s)| (name(l), serde_json::json!((s * 1e6).round() / 1e6))).collect::<serde_json::Map<_, _>>(),
        "paragraphs": d.paragraphs.iter().map(|p| serde_json::json!({
            "index": p.index,
            "gold": p.gold.map(name),
            "predicted": name(p.predicted()),
            "weight": p.weight,
            "probs": p.probs.iter().map(|&x| r4(x)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

fn f3(x: Option<f64>) -> String {
    x.map_or_else(|| "–".into(), |v| format!("{v:.3}"))
}

fn fi(x: Option<Interval>) -> String {
    x.map_or_else(|| "–".into(), |i| format!("[{:.3}, {:.3}]", i.lo, i.hi))
}

fn metrics_markdown(s: &mut String, m: &Metrics, heading: &str, labels: &[String]) {
    let n_frames = m.document.present.len();
    let p = &m.paragraph;
    let _ = writeln!(s, "{heading} Paragraphs\n");
    let _ = writeln!(
        s,
        "{} documents, {} coded paragraphs.\n\n| metric | value | 95% interval |\n|---|---:|---:|",
        m.n_documents, p.n
    );
    let _ = writeln!(
        s,
        "| macro F1, {n_frames} frames | {} | {} |",
        f3(p.macro_f1_frames),
        fi(p.intervals.macro_f1_frames)
    );
    let _ = writeln!(
        s,
        "| micro F1, {n_frames} frames | {} | |",
        f3(p.micro_f1_frames)
    );
    let _ = writeln!(
        s,
        "| macro F1, {} labels | {} | {} |",
        labels.len(),
        f3(p.macro_f1_all),
        fi(p.intervals.macro_f1_all)
    );
    let _ = writeln!(
        s,
        "| accuracy (= micro F1, {} labels) | {} | {} |",
        labels.len(),
        f3(p.accuracy),
        fi(p.intervals.accuracy)
    );
    let _ = writeln!(
        s,
        "| Krippendorff's alpha, model vs coders | {} | |\n",
        f3(p.krippendorff_alpha)
    );
    let _ = writeln!(
        s,
        "| label | precision | recall | F1 | support | predicted |\n|---|---:|---:|---:|---:|---:|"
    );
    for l in &p.per_label {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            l.label,
            f3(l.precision),
            f3(l.recall),
            f3(l.f1),
            l.support,
            l.predicted
        );
    }
    let _ = writeln!(
        s,
        "\nConfusion matrix (rows: coders, columns: model):\n\n| | {} |\n|---|{}",
        labels.join(" | "),
        "---:|".repeat(labels.len())
    );
    for (l, r) in labels.iter().zip(&p.confusion.0) {
        let row = r
            .iter()
            .map(|x| x.to_string())
            .collect::<Vec<_>>()
            .join(" | ");
        let _ = writeln!(s, "| **{l}** | {row} |");
    }
    let c = &m.calibration;
    let _ = writeln!(
        s,
        "\n{heading} Calibration\n\nBrier score {} (0 is perfect, {} labels), log loss {}, expected calibration error {}.\n\n| confidence | paragraphs | mean confidence | accuracy |\n|---|---:|---:|---:|",
        f3(c.brier),
        labels.len(),
        f3(c.log_loss),
        f3(c.ece)
    );
    for b in &c.bins {
        let _ = writeln!(
            s,
            "| {:.1}–{:.1} | {} | {} | {} |",
            b.lo,
            b.hi,
            b.n,
            f3(b.confidence),
            f3(b.accuracy)
        );
    }
    let d = &m.document;
    let _ = writeln!(
        s,
        "\n{heading} Documents\n\n{} documents with document labels. Dominant-frame accuracy against `primary`: {} {}.\nPresent frames: micro F1 {}, macro F1 {}.\n",
        d.n,
        f3(d.dominant_accuracy),
        fi(d.dominant_accuracy_interval),
        f3(d.present_micro_f1),
        f3(d.present_macro_f1)
    );
    let _ = writeln!(
        s,
        "| frame | present precision | recall | F1 | coded present | predicted present | share MAE |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    for (i, pm) in d.present.iter().enumerate() {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            pm.frame,
            f3(pm.precision),
            f3(pm.recall),
            f3(pm.f1),
            pm.support,
            pm.predicted,
            f3(d.shares.mae_per_frame[i])
        );
    }
    let _ = writeln!(
        s,
        "\nFrame shares against shares of the coded paragraphs (same length weights): mean absolute error {} over {} documents; framed fraction MAE {} over {}.\n",
        f3(d.shares.mae),
        d.shares.n,
        f3(d.shares.framed_fraction_mae),
        d.shares.n_framed_fraction
    );
}

impl EvalReport {
    /// The human-readable report (`report.md`).
    pub fn to_markdown(&self) -> String {
        let mut s = String::from("# framelens evaluation\n\n");
        let st = &self.setup;
        let _ = writeln!(s, "- command: `{}`", st.command);
        let _ = writeln!(s, "- labels: {}", st.labels.join(", "));
        let _ = writeln!(s, "- codebook: {}", self.codebook);
        if let Some(a) = &st.articles {
            let _ = writeln!(s, "- articles: {a}");
        }
        if !st.extra_train.is_empty() {
            let _ = writeln!(
                s,
                "- added to every training fold: {}",
                st.extra_train.join(", ")
            );
        }
        if let Some(m) = &st.model {
            let _ = writeln!(
                s,
                "- model: {m} (`{}`)",
                st.model_hash.as_deref().unwrap_or("?")
            );
        }
        if let Some(f) = &st.folds {
            let _ = writeln!(
                s,
                "- folds: {} grouped by {}{} ({} groups, seed {}), assignment in `{}`",
                f.k,
                f.group_by,
                if f.stratify {
                    ", stratified by label"
                } else {
                    ""
                },
                f.groups,
                f.seed,
                f.file
            );
        }
        if let Some(e) = &st.eval_params {
            let _ = writeln!(
                s,
                "- bootstrap: {} replicates over documents, seed {}",
                e.bootstrap, e.seed
            );
        }
        s.push_str(
            "\nUndefined values (a label never predicted or never coded) are shown as –.\n\n",
        );
        metrics_markdown(&mut s, &self.all, "##", &self.labels);
        s.push_str(
            "![confusion matrix](confusion.svg) ![reliability diagram](reliability.svg)\n\n",
        );
        if !self.by_fold.is_empty() {
            s.push_str("## Folds\n\n| fold | documents | coded paragraphs | accuracy | macro F1 (frames) | dominant accuracy |\n|---:|---:|---:|---:|---:|---:|\n");
            for f in &self.by_fold {
                let _ = writeln!(
                    s,
                    "| {} | {} | {} | {} | {} | {} |",
                    f.fold,
                    f.n_documents,
                    f.n_paragraphs,
                    f3(f.accuracy),
                    f3(f.macro_f1_frames),
                    f3(f.dominant_accuracy)
                );
            }
            s.push('\n');
        }
        for (k, m) in &self.by_sample {
            let _ = writeln!(s, "## Sample `{k}`\n");
            metrics_markdown(&mut s, m, "###", &self.labels);
        }
        s
    }
}

/// Write `metrics.json`, `report.md`, `confusion.svg`, `reliability.svg`,
/// `predictions.jsonl` and, when given, `folds.csv` into `dir`.
///
/// # Errors
/// [`Error::Io`] when the folder or a file cannot be written.
pub fn write_outputs(
    dir: &Path,
    report: &EvalReport,
    preds: &[DocPrediction],
    folds: Option<(&Folds, &[DocId])>,
    cb: &Codebook,
) -> Result<Vec<PathBuf>> {
    use crate::fsio::write_atomic;
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = dir.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Json {
        path: dir.join("metrics.json"),
        source: e,
    })?;
    put("metrics.json", format!("{json}\n").as_bytes())?;
    put("report.md", report.to_markdown().as_bytes())?;
    put(
        "confusion.svg",
        svg::confusion_matrix(
            &report.all.paragraph.confusion.0,
            &cb.names(),
            "Paragraph labels: coders (rows) vs model (columns)",
        )
        .as_bytes(),
    )?;
    put(
        "reliability.svg",
        svg::reliability_diagram(&report.all.calibration).as_bytes(),
    )?;
    let mut lines = String::new();
    for d in preds {
        lines.push_str(&prediction_json(d, cb).to_string());
        lines.push('\n');
    }
    put("predictions.jsonl", lines.as_bytes())?;
    if let Some((f, extra)) = folds {
        put("folds.csv", f.to_csv(extra).as_bytes())?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[allow(non_upper_case_globals)]
    const Humanitarian: Label = Label(0);
    #[allow(non_upper_case_globals)]
    const Economic: Label = Label(1);
    #[allow(non_upper_case_globals)]
    const Security: Label = Label(2);
    #[allow(non_upper_case_globals)]
    const Enforcement: Label = Label(3);
    #[allow(non_upper_case_globals)]
    const None: Label = Label(4);

    fn cb() -> Codebook {
        Codebook::migration()
    }

    fn thr() -> Thresholds {
        Thresholds::from_codebook(&cb())
    }

    fn conf(pairs: &[(Label, Label)]) -> Confusion {
        let mut c = Confusion::new(5);
        for &(g, p) in pairs {
            c.add(g, p);
        }
        c
    }

    #[test]
    fn perfect_predictions() {
        let c = conf(&[
            (Humanitarian, Humanitarian),
            (Economic, Economic),
            (Security, Security),
            (Enforcement, Enforcement),
            (None, None),
            (None, None),
        ]);
        let m = paragraph_metrics(&c, &cb());
        assert_eq!(m.accuracy, Some(1.0));
        assert_eq!(m.macro_f1_frames, Some(1.0));
        assert_eq!(m.macro_f1_all, Some(1.0));
        assert_eq!(m.micro_f1_frames, Some(1.0));
        assert_eq!(m.krippendorff_alpha, Some(1.0));
        for l in &m.per_label {
            assert_eq!(
                (l.precision, l.recall, l.f1),
                (Some(1.0), Some(1.0), Some(1.0))
            );
        }
        assert_eq!(m.per_label[4].support, 2);
    }

    #[test]
    fn all_wrong_predictions() {
        // Every paragraph shifted to the next label: no true positive anywhere.
        let c = conf(&[
            (Humanitarian, Economic),
            (Economic, Security),
            (Security, Enforcement),
            (Enforcement, None),
            (None, Humanitarian),
        ]);
        let m = paragraph_metrics(&c, &cb());
        assert_eq!(m.accuracy, Some(0.0));
        assert_eq!(m.macro_f1_frames, Some(0.0));
        assert_eq!(m.micro_f1_frames, Some(0.0));
        // Each label is coded once and predicted once: o_ck = 1 off the diagonal in both
        // directions (10 disagreeing pairs), n_c = 2 for all five, n = 10:
        // alpha = 1 − 9 · 10 / (100 − 5·4) = 1 − 90/80 = −0.125.
        assert_relative_eq!(m.krippendorff_alpha.unwrap(), -0.125, epsilon = 1e-12);
    }

    #[test]
    fn one_class_missing() {
        // Security is never coded and never predicted: its F1 is undefined and left out of the
        // macro averages; precision of a never-predicted label is undefined too.
        let c = conf(&[
            (Humanitarian, Humanitarian),
            (Humanitarian, Economic),
            (Economic, Economic),
            (Enforcement, Enforcement),
            (Enforcement, None),
            (None, None),
            (None, Enforcement),
        ]);
        let m = paragraph_metrics(&c, &cb());
        let sec = &m.per_label[Security.index()];
        assert_eq!(
            (sec.precision, sec.recall, sec.f1),
            (Option::None, Option::None, Option::None)
        );
        // Hand-worked: hum P=1/1 R=1/2 F1=2/3; eco P=1/2 R=1 F1=2/3; enf P=1/2 R=1/2 F1=1/2;
        // none P=1/2 R=1/2 F1=1/2.
        let f = |l: Label| m.per_label[l.index()].f1.unwrap();
        assert_relative_eq!(f(Humanitarian), 2.0 / 3.0, epsilon = 1e-12);
        assert_relative_eq!(f(Economic), 2.0 / 3.0, epsilon = 1e-12);
        assert_relative_eq!(f(Enforcement), 0.5, epsilon = 1e-12);
        assert_relative_eq!(
            m.macro_f1_frames.unwrap(),
            (2.0 / 3.0 + 2.0 / 3.0 + 0.5) / 3.0,
            epsilon = 1e-12
        );
        assert_relative_eq!(
            m.macro_f1_all.unwrap(),
            (2.0 / 3.0 + 2.0 / 3.0 + 0.5 + 0.5) / 4.0,
            epsilon = 1e-12
        );
        // Frames pooled: TP 3 (hum, eco, enf); FP: eco 1 + enf 1 = 2; FN: hum 1 + enf 1 = 2.
        assert_relative_eq!(m.micro_f1_frames.unwrap(), 6.0 / 10.0, epsilon = 1e-12);
        assert_relative_eq!(m.accuracy.unwrap(), 4.0 / 7.0, epsilon = 1e-12);
        // A label predicted but never coded: precision 0, recall undefined, F1 0.
        let c2 = conf(&[(None, Security), (None, None)]);
        let m2 = paragraph_metrics(&c2, &cb());
        let sec = &m2.per_label[Security.index()];
        assert_eq!(
            (sec.precision, sec.recall, sec.f1),
            (Some(0.0), Option::None, Some(0.0))
        );
        assert_eq!(m2.macro_f1_frames, Some(0.0));
    }

    #[test]
    fn empty_input_is_all_undefined() {
        let m = paragraph_metrics(&Confusion::new(5), &cb());
        assert_eq!(m.n, 0);
        assert_eq!(m.accuracy, Option::None);
        assert_eq!(m.macro_f1_frames, Option::None);
        assert_eq!(m.micro_f1_frames, Option::None);
        assert_eq!(m.krippendorff_alpha, Option::None);
        let c = calibration(std::iter::empty(), 10);
        assert_eq!((c.n, c.brier, c.ece), (0, Option::None, Option::None));
        let d = document_metrics(&[], &HashMap::new(), &thr(), &cb());
        assert_eq!(d.dominant_accuracy, Option::None);
        assert_eq!(d.shares.mae, Option::None);
        let (pi, di) = bootstrap(&[], 100, 1, &cb());
        assert_eq!(pi, ParagraphIntervals::default());
        assert_eq!(di, Option::None);
    }

    #[test]
    fn krippendorff_alpha_matches_the_textbook_example() {
        // Krippendorff (2011), "Computing Krippendorff's alpha-reliability", binary example:
        // coder A 0 1 0 0 0 0 0 0 1 0, coder B 1 1 1 0 0 1 0 0 0 0. By hand: o00 = 10,
        // o01 = o10 = 4, o11 = 2; n0 = 14, n1 = 6, n = 20;
        // alpha = 1 − 19 · 8 / (2 · 14 · 6) = 1 − 152/168 = 0.0952…
        let a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0];
        let b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0];
        let lab = |x| if x == 1 { Economic } else { None };
        let c = conf(
            &a.iter()
                .zip(&b)
                .map(|(&x, &y)| (lab(x), lab(y)))
                .collect::<Vec<_>>(),
        );
        assert_relative_eq!(
            krippendorff_alpha(&c).unwrap(),
            1.0 - 152.0 / 168.0,
            epsilon = 1e-12
        );
        // Agreement only on one value: no variation, alpha undefined.
        assert_eq!(
            krippendorff_alpha(&conf(&[(None, None), (None, None)])),
            Option::None
        );
    }

    fn para(gold: Label, probs: [f32; 5]) -> ParaPrediction {
        ParaPrediction {
            index: 0,
            gold: Some(gold),
            probs: probs.to_vec(),
            weight: 1.0,
        }
    }

    #[test]
    fn calibration_hand_worked() {
        let ps = [
            para(Humanitarian, [0.95, 0.05, 0.0, 0.0, 0.0]),
            para(Economic, [0.6, 0.4, 0.0, 0.0, 0.0]),
            para(None, [0.0, 0.0, 0.0, 0.25, 0.75]),
        ];
        let c = calibration(&ps, 10);
        // Brier: (0.0025 + 0.0025) + (0.36 + 0.36) + (0.0625 + 0.0625) = 0.85; / 3.
        assert_relative_eq!(c.brier.unwrap(), 0.85 / 3.0, epsilon = 1e-6);
        // Bins: 0.95 → bin 9 (right), 0.6 → bin 6 (wrong), 0.75 → bin 7 (right).
        assert_eq!(c.bins[9].n, 1);
        assert_eq!(c.bins[6].accuracy, Some(0.0));
        // ECE = (|1 − 0.95| + |0 − 0.6| + |1 − 0.75|) / 3 = 0.9 / 3.
        assert_relative_eq!(c.ece.unwrap(), 0.9 / 3.0, epsilon = 1e-6);
        let ll = -(0.95f64.ln() + 0.4f64.ln() + 0.75f64.ln()) / 3.0;
        assert_relative_eq!(c.log_loss.unwrap(), ll, epsilon = 1e-6);
    }

    fn doc(id: &str, gold: &[Label], probs: &[[f32; 5]]) -> DocPrediction {
        let paragraphs: Vec<ParaPrediction> = gold
            .iter()
            .zip(probs)
            .enumerate()
            .map(|(i, (&g, &p))| ParaPrediction {
                index: i,
                gold: Some(g),
                probs: p.to_vec(),
                weight: 1.0,
            })
            .collect();
        let w = vec![1.0; probs.len()];
        let probs: Vec<Vec<f32>> = probs.iter().map(|p| p.to_vec()).collect();
        DocPrediction {
            id: id.into(),
            fold: Option::None,
            paragraphs,
            aggregate: aggregate(&probs, &w, &thr(), &cb()),
        }
    }

    fn dlabel(id: &str, primary: Label, present: &[Label]) -> DocumentLabel {
        DocumentLabel {
            id: id.into(),
            primary,
            present: present.to_vec(),
            sample: Option::None,
            source: Option::None,
            date: Option::None,
        }
    }

    #[test]
    fn document_metrics_hand_worked() {
        let t = thr();
        // d1: both paragraphs confidently economic → dominant economic, present [economic];
        // coded shares: economic 1/2 (one economic, one humanitarian paragraph).
        let d1 = doc(
            "d1",
            &[Economic, Humanitarian],
            &[[0.0, 1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0, 0.0]],
        );
        // d2: all none → dominant none.
        let d2 = doc("d2", &[None], &[[0.0, 0.0, 0.0, 0.0, 1.0]]);
        let l1 = dlabel("d1", Economic, &[Economic, Humanitarian]);
        let l2 = dlabel("d2", Enforcement, &[Enforcement]);
        let labels: HashMap<&str, &DocumentLabel> = [("d1", &l1), ("d2", &l2)].into();
        let m = document_metrics(&[&d1, &d2], &labels, &t, &cb());
        assert_eq!(m.n, 2);
        assert_eq!(m.dominant_accuracy, Some(0.5));
        // present: TP 1 (economic), FN 2 (humanitarian d1, enforcement d2), FP 0.
        assert_relative_eq!(m.present_micro_f1.unwrap(), 2.0 / 4.0, epsilon = 1e-12);
        assert_eq!(m.present[0].recall, Some(0.0));
        assert_eq!(m.present[1].f1, Some(1.0));
        assert_eq!(m.present[2].f1, Option::None);
        // shares: only d1 has framed coded paragraphs: model (0, 1, 0, 0) vs coded
        // (0.5, 0.5, 0, 0) → MAE (0.5 + 0.5) / 4 = 0.25.
        assert_eq!(m.shares.n, 1);
        assert_relative_eq!(m.shares.mae.unwrap(), 0.25, epsilon = 1e-9);
        assert_relative_eq!(m.shares.mae_per_frame[0].unwrap(), 0.5, epsilon = 1e-9);
        // framed fraction: d1 model 1 vs coded 1, d2 model 0 vs coded 0.
        assert_relative_eq!(m.shares.framed_fraction_mae.unwrap(), 0.0, epsilon = 1e-9);
    }

    #[test]
    fn bootstrap_is_seeded_and_brackets_the_estimate() {
        let mut units = Vec::new();
        for i in 0..40 {
            let c = if i % 4 == 0 {
                conf(&[(Economic, None), (None, None)])
            } else {
                conf(&[(Economic, Economic), (None, None)])
            };
            units.push((c, Some(i % 3 != 0)));
        }
        let (a, da) = bootstrap(&units, 500, 7, &cb());
        let (b, _) = bootstrap(&units, 500, 7, &cb());
        assert_eq!(a, b);
        let acc = a.accuracy.unwrap();
        // point estimate 70/80 = 0.875
        assert!(acc.lo < 0.875 && 0.875 < acc.hi, "{acc:?}");
        assert!(acc.hi <= 1.0 && acc.lo > 0.7);
        let d = da.unwrap();
        assert!(d.lo < 26.0 / 40.0 && 26.0 / 40.0 < d.hi, "{d:?}");
    }

    fn labeled(id: &str, source: &str, date: &str, n: usize) -> LabeledDoc {
        LabeledDoc {
            id: id.into(),
            source: Some(source.into()),
            date: Some(date.into()),
            paragraphs: (0..n)
                .map(|i| crate::labels::LabeledPara {
                    index: i,
                    text: format!("p{i}"),
                    label: Some(None),
                })
                .collect(),
            n_paragraphs: n,
        }
    }

    #[test]
    fn folds_keep_groups_together_and_balance() {
        let set = LabeledSet {
            docs: (0..12)
                .map(|i| {
                    labeled(
                        &format!("d{i:02}"),
                        ["A", "B", "C", "D"][i % 4],
                        ["2019-01-05", "2020-03-01", ""][i % 3],
                        1 + i % 5,
                    )
                })
                .collect(),
        };
        for g in [GroupBy::Article, GroupBy::Source, GroupBy::Year] {
            let k = if g == GroupBy::Year { 3 } else { 4 };
            let f = FoldParams::default()
                .k(k)
                .group_by(g)
                .check()
                .unwrap()
                .assign(&set)
                .unwrap();
            assert_eq!(f.entries.len(), 12);
            let mut fold_of_group: HashMap<&str, usize> = HashMap::new();
            for e in &f.entries {
                assert_eq!(*fold_of_group.entry(&e.group).or_insert(e.fold), e.fold);
            }
            let used: std::collections::BTreeSet<usize> =
                f.entries.iter().map(|e| e.fold).collect();
            assert_eq!(used.len(), k, "every fold is used ({g})");
            // deterministic
            let again = FoldParams::default()
                .k(k)
                .group_by(g)
                .check()
                .unwrap()
                .assign(&set)
                .unwrap();
            assert_eq!(f, again);
        }
        let e = FoldParams::default()
            .k(5)
            .group_by(GroupBy::Source)
            .check()
            .unwrap()
            .assign(&set)
            .unwrap_err();
        assert!(e.to_string().contains("gives 4"), "{e}");
        assert_eq!(GroupBy::Year.key(&labeled("x", "s", "", 1)), "(no date)");
        assert_eq!(
            GroupBy::Month.key(&labeled("x", "s", "2019-04-02", 1)),
            "2019-04"
        );
        assert!(FoldParams::default().k(1).check().is_err());
        let csv = FoldParams::default()
            .k(2)
            .check()
            .unwrap()
            .assign(&set)
            .unwrap()
            .to_csv(&["zz".into()]);
        assert!(csv.starts_with("id,group,fold\nd00,d00,"));
        assert!(csv.ends_with("zz,,train\n"));
    }
}
