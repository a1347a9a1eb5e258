//! Calibration of paragraph probabilities: Brier score, log loss, ECE and the reliability table.

use super::*;

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
