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

mod calibration;
mod documents;
mod folds;
mod metrics;
mod outputs;
mod predict;
mod report;
mod resample;

pub use calibration::*;
pub use documents::*;
pub use folds::*;
pub use metrics::*;
pub use outputs::*;
pub use predict::*;
pub use report::*;
use resample::*;

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
