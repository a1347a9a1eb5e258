//! Document metrics: dominant-frame accuracy, present frames, error of frame shares.

use super::*;

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

pub(super) fn share_errors(preds: &[&DocPrediction], t: &Thresholds, cb: &Codebook) -> ShareErrors {
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
pub(super) fn dominant_slot(d: Option<Label>, cb: &Codebook) -> Label {
    d.or(cb.none()).unwrap_or(Label::from_index(cb.len()))
}
