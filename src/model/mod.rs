//! Stage 4, the model: labeled paragraphs → a fitted [`FramingModel`]; paragraphs → scores.
//!
//! Input: a [`LabeledSet`] for [`TrainValidParams::fit`]; paragraph texts for
//! [`FramingModel::score_document`]. Output: [`FramingModel`] (saved as a model folder) and
//! [`DocScores`] (per-paragraph probabilities and the document aggregates).
//!
//! The classifier is linfa's multinomial logistic regression, trained on the densified sample.
//! At inference nothing is densified: each paragraph's sparse TF-IDF row is dotted with the
//! fitted weights directly (`params()`/`intercept()`), which reproduces linfa's probabilities.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray::{Array1, Array2, ShapeBuilder};
use serde::{Deserialize, Serialize};

use crate::codebook::{Codebook, Label, CODEBOOK_FILE};
use crate::embed::{self, EmbeddingParams, EmbeddingTable, FoldedTable, TableView};
use crate::error::{Error, Result};
use crate::features::{
    merge_rows, DocBlock, FeatureKind, Featurizer, FeaturizerParams, ParaTokens, RowBlocks,
    SparseRow, WordRows,
};
use crate::hash::sha256_hex;
use crate::labels::LabeledSet;
use crate::tokenize::{DocTokenizer, TokenizerParams};

// FramingModel's methods, in the order they had in one file: its parts and accessors, scoring,
// the model folder
mod framing_model;

mod scoring;

mod format;

mod card;
mod fit;
mod params;

pub use card::*;
pub use fit::*;
pub use format::*;
pub use framing_model::*;
pub use params::*;
pub use scoring::*;

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::labels::{LabeledDoc, LabeledPara};
    use approx::assert_relative_eq;

    pub(crate) fn tiny_set() -> LabeledSet {
        let texts: [(&str, Label); 10] = [
            ("Families fled persecution and feared for their lives in the jungle.", Label(0)),
            ("Children died of hunger on the dangerous journey, aid groups said.", Label(0)),
            ("Unemployment and unpaid wages pushed workers to leave; smuggling fees cost thousands.", Label(1)),
            ("Migrant labour fills jobs and pays taxes, a fiscal study found.", Label(1)),
            ("Officials warned of espionage and a national security threat from spies.", Label(2)),
            ("Cartels and terrorists threaten communities, the sheriff said.", Label(2)),
            ("Border Patrol agents apprehended 300 migrants and processed them for removal.", Label(3)),
            ("Deportation flights resumed and detention centers filled, ICE said.", Label(3)),
            ("By Jane Doe, staff writer", Label(4)),
            ("The Senate vote is scheduled for Tuesday; polls show a tight race.", Label(4)),
        ];
        let docs = texts
            .chunks(2)
            .enumerate()
            .map(|(d, pair)| LabeledDoc {
                id: format!("d{d}"),
                paragraphs: pair
                    .iter()
                    .enumerate()
                    .map(|(i, (t, l))| LabeledPara {
                        index: i,
                        text: t.to_string(),
                        label: Some(*l),
                    })
                    .collect(),
                n_paragraphs: 2,
                ..Default::default()
            })
            .collect();
        LabeledSet { docs }
    }

    pub(crate) fn tiny_model() -> FramingModel {
        tiny_model_with(&Codebook::migration())
    }

    pub(crate) fn tiny_model_with(cb: &Codebook) -> FramingModel {
        let params = TrainParams::default()
            .tokenizer(TokenizerParams {
                vocab_size: 1000,
                min_frequency: 1,
            })
            .features(FeaturizerParams::default().min_df(1))
            .alpha(0.1)
            .max_iterations(50);
        params.check().unwrap().fit(&tiny_set(), cb).unwrap()
    }

    #[test]
    fn sparse_scoring_matches_linfa() {
        let m = tiny_model();
        let texts = [
            "Agents apprehended families fleeing persecution.",
            "Spies and cartels.",
        ];
        let s = m.score_document(&texts).unwrap();
        let nf = m.featurizer().n_features();
        let mut x = Array2::<f32>::zeros((2, nf));
        let toks: Vec<Vec<u32>> = texts
            .iter()
            .map(|t| m.tokenizer().ids(t).unwrap())
            .collect();
        let doc = m.featurizer().doc_row(&DocBlock { paras: &toks });
        assert!(
            !doc.idx.is_empty(),
            "the default parameters use the document block"
        );
        for (r, row) in m.featurizer().transform_document(&toks).iter().enumerate() {
            let row = merge_rows(row, &doc);
            for (&i, &v) in row.idx.iter().zip(&row.val) {
                x[[r, i as usize]] = v;
            }
        }
        // linfa's probabilities, then the same prior correction
        let lp = m.file.classifier.predict_probabilities(&x);
        for r in 0..2 {
            let z: Vec<f32> = (0..5)
                .map(|c| lp[[r, c]].ln() + m.file.intercept_adjust[c])
                .collect();
            let p = softmax(z);
            for (a, b) in p.iter().zip(&s.paragraphs[r]) {
                assert_relative_eq!(a, b, epsilon = 1e-5);
            }
        }
    }

    #[test]
    fn learns_the_tiny_sample() {
        let m = tiny_model();
        let s = m
            .score_document(&["Border Patrol agents apprehended migrants for removal."])
            .unwrap();
        let best = (0..5)
            .max_by(|&a, &b| s.paragraphs[0][a].total_cmp(&s.paragraphs[0][b]))
            .unwrap();
        assert_eq!(Label::from_index(best), Label(3));
    }

    #[test]
    fn save_load_round_trip_and_checksums() {
        let m = tiny_model();
        let dir = tempfile::tempdir().unwrap();
        let man = m.save(dir.path()).unwrap();
        let (back, man2) = FramingModel::load(dir.path()).unwrap();
        assert_eq!(man, man2);
        let t = ["Deportation flights resumed."];
        assert_eq!(
            m.score_document(&t).unwrap().paragraphs,
            back.score_document(&t).unwrap().paragraphs
        );
        let dir2 = tempfile::tempdir().unwrap();
        assert_eq!(m.save(dir2.path()).unwrap(), man);
        // corrupt model.json
        let p = dir.path().join("model.json");
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, &s[..s.len() / 2]).unwrap();
        let e = FramingModel::load(dir.path()).unwrap_err();
        assert!(e.to_string().contains("checksum"), "{e}");
        // an edited codebook is caught by its checksum
        let p = dir2.path().join(CODEBOOK_FILE);
        let s = std::fs::read_to_string(&p).unwrap();
        std::fs::write(&p, s.replace("humanitarian", "humane")).unwrap();
        let e = FramingModel::load(dir2.path()).unwrap_err();
        assert!(
            e.to_string().contains("codebook.toml") && e.to_string().contains("checksum"),
            "{e}"
        );
    }
}
