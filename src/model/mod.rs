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
    merge_rows, DocBlock, FeatureKind, Featurizer, FeaturizerParams, ParaTokens, SparseRow,
};
use crate::hash::sha256_hex;
use crate::labels::LabeledSet;
use crate::tokenize::{DocTokenizer, TokenizerParams};

/// Version of the model folder format written by this framelens; bumped on incompatible changes.
///
/// 1: `model.json`, `tokenizer.json`, `manifest.json`, labels fixed to the migration codebook.
/// 2: adds `codebook.toml` (checksummed in the manifest); the labels are the codebook's.
/// 3: adds the optional embedding table `embeddings.safetensors` (checksummed in the manifest).
/// Every version from [`OLDEST_FORMAT_VERSION`] to this one loads.
pub const FORMAT_VERSION: u32 = 3;

/// The oldest model folder format this framelens still loads.
pub const OLDEST_FORMAT_VERSION: u32 = 1;

/// Whether a model folder of format `v` loads.
pub fn format_supported(v: u32) -> bool {
    (OLDEST_FORMAT_VERSION..=FORMAT_VERSION).contains(&v)
}

/// Document-level decision thresholds, stored in the model.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `framed_min` | 0.25 | below this framed fraction the dominant frame is `none` | 0 ..= 1 |
/// | `present_share` | 0.15 each | a frame is present when its share reaches this (one value per frame, codebook order) … | 0 ..= 1 |
/// | `present_mass` | 0.1 | … and it covers at least this fraction of all text | 0 ..= 1 |
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Minimum framed fraction for a dominant frame.
    pub framed_min: f64,
    /// Minimum share per frame, in the codebook's frame order.
    pub present_share: Vec<f64>,
    /// Minimum `share × framed_fraction` for a present frame.
    pub present_mass: f64,
}

impl Thresholds {
    /// The codebook's default thresholds.
    pub fn from_codebook(cb: &Codebook) -> Self {
        Thresholds {
            framed_min: cb.thresholds.framed_min,
            present_share: cb.present_shares(),
            present_mass: cb.thresholds.present_mass,
        }
    }
}

/// Training hyper-parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `tokenizer` | see [`TokenizerParams`] | word vocabulary | |
/// | `features` | see [`FeaturizerParams`] | n-grams, context, layout | |
/// | `alpha` | 0.1 | L2 penalty of the logistic regression | > 0 |
/// | `max_iterations` | 40 | L-BFGS iterations (grouped CV on real coverage plateaus from 40; see `eval/iterations.md`) | 1 ..= 10 000 |
/// | `prior_correction` | 0.5 | subtract this × ln(class prior) from the intercepts, for recall of rare frames | 0 ..= 1 |
/// | `seed` | 42 | recorded for reproducibility (fitting itself is deterministic) | any |
/// | `thresholds` | the codebook's | document decisions (one `present_share` per frame) | |
/// | `embeddings` | none | pooled static-embedding blocks, see [`EmbeddingParams`]; its table's tokenizer replaces the trained one | |
///
/// # Errors
/// [`TrainParams::check`] returns [`Error::InvalidParam`] naming the first bad value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Tokenizer training.
    pub tokenizer: TokenizerParams,
    /// Featurizer.
    pub features: FeaturizerParams,
    /// L2 penalty.
    pub alpha: f32,
    /// Solver iterations.
    pub max_iterations: u64,
    /// Logit adjustment strength.
    pub prior_correction: f32,
    /// Seed, recorded in the manifest.
    pub seed: u64,
    /// Document thresholds; `None` takes the codebook's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thresholds: Option<Thresholds>,
    /// Embedding features (none: TF-IDF blocks only, with a trained tokenizer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings: Option<EmbeddingParams>,
}

impl Default for TrainParams {
    fn default() -> Self {
        TrainParams {
            tokenizer: TokenizerParams::default(),
            features: FeaturizerParams::default(),
            alpha: 0.1,
            max_iterations: 40,
            prior_correction: 0.5,
            seed: 42,
            thresholds: None,
            embeddings: None,
        }
    }
}

/// Training parameters that passed [`TrainParams::check`], with the embedding table loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainValidParams(TrainParams, Option<Arc<EmbedSource>>);

/// An embedding table with its tokenizer, as read from a table folder (or a model folder).
#[derive(Debug)]
pub struct EmbedSource {
    /// The file's bytes, written unchanged into trained model folders.
    bytes: Arc<Vec<u8>>,
    table: EmbeddingTable,
    tokenizer: DocTokenizer,
    sha256: String,
}

impl PartialEq for EmbedSource {
    fn eq(&self, other: &Self) -> bool {
        self.sha256 == other.sha256
    }
}

impl EmbedSource {
    /// The table keyed by the words of `words` (see [`EmbeddingTable::rekeyed`]): a word's
    /// pieces under the table's tokenizer, their vectors averaged, stored as f16.
    ///
    /// # Errors
    /// Tokenizer errors; [`Error::Model`] when the table cannot be written.
    pub fn rekeyed(&self, words: &DocTokenizer) -> Result<EmbedSource> {
        let mut err = None;
        let t = self.table.rekeyed(words.vocab_size(), |id| {
            let Some(w) = words.id_to_token(id) else {
                return Vec::new();
            };
            self.tokenizer.ids(&w).unwrap_or_else(|e| {
                err.get_or_insert(e);
                Vec::new()
            })
        });
        if let Some(e) = err {
            return Err(e);
        }
        let bytes = t.to_safetensors_f16()?;
        // read back, so that training uses exactly the f16 values scoring will load
        let table = EmbeddingTable::from_safetensors(&bytes, Path::new(embed::TABLE_FILE))?;
        Ok(EmbedSource {
            sha256: sha256_hex(&bytes),
            bytes: Arc::new(bytes),
            table,
            tokenizer: words.clone(),
        })
    }

    /// Read `embeddings.safetensors` and `tokenizer.json` from `dir`.
    ///
    /// # Errors
    /// [`Error::Model`] naming the file when it is missing or invalid, or when the table and
    /// the tokenizer disagree on the vocabulary size.
    pub fn load(dir: &Path) -> Result<Self> {
        let path = dir.join(embed::TABLE_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::Model {
            path: path.clone(),
            message: format!("cannot read the embedding table: {e}"),
        })?;
        let table = EmbeddingTable::from_safetensors(&bytes, &path)?;
        let tokenizer = DocTokenizer::from_file(&dir.join(embed::TOKENIZER_FILE))?;
        if tokenizer.vocab_size() != table.rows() {
            return Err(Error::Model {
                path,
                message: format!(
                    "the table has {} rows but its tokenizer {} tokens",
                    table.rows(),
                    tokenizer.vocab_size()
                ),
            });
        }
        Ok(EmbedSource {
            sha256: sha256_hex(&bytes),
            bytes: Arc::new(bytes),
            table,
            tokenizer,
        })
    }
}

impl TrainParams {
    /// Set `alpha`.
    pub fn alpha(mut self, v: f32) -> Self {
        self.alpha = v;
        self
    }
    /// Set `max_iterations`.
    pub fn max_iterations(mut self, v: u64) -> Self {
        self.max_iterations = v;
        self
    }
    /// Set `prior_correction`.
    pub fn prior_correction(mut self, v: f32) -> Self {
        self.prior_correction = v;
        self
    }
    /// Set `seed`.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Set the featurizer parameters.
    pub fn features(mut self, v: FeaturizerParams) -> Self {
        self.features = v;
        self
    }
    /// Set the tokenizer parameters.
    pub fn tokenizer(mut self, v: TokenizerParams) -> Self {
        self.tokenizer = v;
        self
    }
    /// Set the embedding features (none turns them off).
    pub fn embeddings(mut self, v: Option<EmbeddingParams>) -> Self {
        self.embeddings = v;
        self
    }

    /// Validate every parameter and load the embedding table, when there is one.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] naming the first bad value; [`Error::Model`] when the
    /// embedding table cannot be read.
    pub fn check(self) -> Result<TrainValidParams> {
        let bad = |name, value: String, reason| Error::InvalidParam {
            name,
            value,
            reason,
        };
        if !(self.alpha.is_finite() && self.alpha > 0.0) {
            return Err(bad(
                "alpha",
                self.alpha.to_string(),
                "must be a positive number",
            ));
        }
        if !(1..=10_000).contains(&self.max_iterations) {
            return Err(bad(
                "max_iterations",
                self.max_iterations.to_string(),
                "must be in 1..=10000",
            ));
        }
        if !(0.0..=1.0).contains(&self.prior_correction) {
            return Err(bad(
                "prior_correction",
                self.prior_correction.to_string(),
                "must be in 0..=1",
            ));
        }
        if let Some(t) = &self.thresholds {
            let unit = |x: f64| (0.0..=1.0).contains(&x);
            if !unit(t.framed_min)
                || !unit(t.present_mass)
                || !t.present_share.iter().all(|&x| unit(x))
            {
                return Err(bad(
                    "thresholds",
                    format!("{t:?}"),
                    "every threshold must be in 0..=1",
                ));
            }
        }
        self.features.clone().check()?;
        let embed = match &self.embeddings {
            Some(e) => {
                e.check()?;
                Some(Arc::new(EmbedSource::load(&e.table)?))
            }
            None => None,
        };
        Ok(TrainValidParams(self, embed))
    }
}

/// Token ids of every paragraph of a document, with helpers to build [`ParaTokens`].
pub struct DocTokens {
    /// Per paragraph ids.
    pub paras: Vec<Vec<u32>>,
}

impl DocTokens {
    /// The featurizer input of paragraph `i`.
    pub fn para(&self, i: usize) -> ParaTokens<'_> {
        let empty: &[u32] = &[];
        ParaTokens {
            ids: &self.paras[i],
            prev: if i > 0 { &self.paras[i - 1] } else { empty },
            next: self.paras.get(i + 1).map_or(empty, |v| v.as_slice()),
            index: i,
            count: self.paras.len(),
        }
    }
}

impl TrainValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &TrainParams {
        &self.0
    }

    /// Fit tokenizer, featurizer and classifier on the labeled paragraphs, whose labels index
    /// `codebook`; the model carries the codebook.
    ///
    /// # Errors
    /// [`Error::Fit`] when a label has no examples or linfa fails, or when the thresholds do
    /// not have one `present_share` per frame; tokenizer errors.
    pub fn fit(&self, data: &LabeledSet, codebook: &Codebook) -> Result<FramingModel> {
        let p = &self.0;
        let k = codebook.len();
        let counts = data.counts(k);
        for l in codebook.labels() {
            if counts[l.index()] == 0 {
                return Err(Error::Fit(format!(
                    "label {} has no examples in the training data (counts: {})",
                    codebook.name(l),
                    format_counts(&counts, codebook)
                )));
            }
        }
        let thresholds = p
            .thresholds
            .clone()
            .unwrap_or_else(|| Thresholds::from_codebook(codebook));
        if thresholds.present_share.len() != codebook.n_frames() {
            return Err(Error::Fit(format!(
                "thresholds give {} present_share values; the codebook has {} frames",
                thresholds.present_share.len(),
                codebook.n_frames()
            )));
        }
        let pieces = p
            .embeddings
            .as_ref()
            .is_some_and(|e| e.keys == embed::Keys::Pieces);
        let tokenizer = match &self.1 {
            Some(e) if pieces => e.tokenizer.clone(),
            _ => p.tokenizer.fit(data.docs.iter().flat_map(|d| {
                d.paragraphs
                    .iter()
                    .filter(|x| x.label.is_some())
                    .map(|x| x.text.as_str())
            }))?,
        };
        // the table of the model: the source table, or the source table keyed by the words
        let source = match &self.1 {
            Some(e) if !pieces => Some(Arc::new(e.rekeyed(&tokenizer)?)),
            other => other.clone(),
        };
        let doc_tokens: Vec<DocTokens> = data
            .docs
            .iter()
            .map(|d| {
                Ok(DocTokens {
                    paras: d
                        .paragraphs
                        .iter()
                        .map(|x| tokenizer.ids(&x.text))
                        .collect::<Result<_>>()?,
                })
            })
            .collect::<Result<_>>()?;
        let mut inputs = Vec::new();
        let mut blocks = Vec::new();
        let mut doc_of = Vec::new();
        let mut targets = Vec::new();
        for (n, (d, toks)) in data.docs.iter().zip(&doc_tokens).enumerate() {
            for (i, para) in d.paragraphs.iter().enumerate() {
                if let Some(l) = para.label {
                    let mut pt = toks.para(i);
                    pt.index = para.index;
                    pt.count = d.n_paragraphs.max(para.index + 1);
                    inputs.push(pt);
                    blocks.push(DocBlock { paras: &toks.paras });
                    doc_of.push(n);
                    targets.push(l.index());
                }
            }
        }
        let featurizer = p.features.clone().check()?.fit_with_docs(&inputs, &blocks);
        let doc_rows: Vec<SparseRow> = doc_tokens
            .iter()
            .map(|t| featurizer.doc_row(&DocBlock { paras: &t.paras }))
            .collect();
        let nf = featurizer.n_features();
        let standardizer = source
            .as_ref()
            .map(|e| embed::Standardizer::fit(&e.table, inputs.iter().map(|pt| pt.ids)));
        let std_table = match (&source, &standardizer) {
            (Some(e), Some(s)) => Some(e.table.standardized(s)),
            _ => None,
        };
        let dense = match (&std_table, &p.embeddings) {
            (Some(t), Some(ep)) => Some((t, ep)),
            _ => None,
        };
        let nd = dense.map_or(0, |(t, _)| embed::BLOCKS * t.dim());
        // Column-major: linfa's gradient multiplies the transpose of this matrix, and
        // matrixmultiply packs a column-major matrix's transpose from contiguous memory; the
        // fitted weights are the same, and 10,000 × 20,000 trains ~15% faster.
        let mut x = Array2::<f32>::zeros((inputs.len(), nf + nd).f());
        for (r, pt) in inputs.iter().enumerate() {
            let row = merge_rows(&featurizer.transform(pt), &doc_rows[doc_of[r]]);
            for (&i, &v) in row.idx.iter().zip(&row.val) {
                x[[r, i as usize]] = v;
            }
        }
        // the dense embedding blocks, after the sparse features
        if let Some((table, ep)) = dense {
            let mut r = 0;
            for (d, toks) in data.docs.iter().zip(&doc_tokens) {
                for (i, para) in d.paragraphs.iter().enumerate() {
                    if para.label.is_some() {
                        let v = embed::reference_blocks(table, ep, &toks.paras, i);
                        for (j, &v) in v.iter().enumerate() {
                            x[[r, nf + j]] = v;
                        }
                        r += 1;
                    }
                }
            }
        }
        let y = Array1::from(targets);
        let dataset = Dataset::new(x, y);
        let fitted: MultiFittedLogisticRegression<f32, usize> = MultiLogisticRegression::default()
            .alpha(p.alpha)
            .max_iterations(p.max_iterations)
            .fit(&dataset)
            .map_err(|e| Error::Fit(e.to_string()))?;
        let n = counts.iter().sum::<usize>() as f32;
        let mut adjust = vec![0f32; k];
        for (a, &c) in adjust.iter_mut().zip(&counts) {
            *a = -p.prior_correction * (c as f32 / n).ln();
        }
        let mean = adjust.iter().sum::<f32>() / k as f32;
        for a in &mut adjust {
            *a -= mean;
        }
        let tokenizer_json = tokenizer.to_json()?;
        let file = ModelFile {
            format_version: FORMAT_VERSION,
            labels: codebook.names().iter().map(|s| s.to_string()).collect(),
            tokenizer_sha256: sha256_hex(tokenizer_json.as_bytes()),
            train_params: p.clone(),
            training_counts: codebook
                .labels()
                .map(|l| (codebook.name(l).to_string(), counts[l.index()]))
                .collect(),
            training_documents: data.docs.len(),
            thresholds,
            intercept_adjust: adjust,
            featurizer,
            classifier: fitted,
            embeddings_sha256: source.as_ref().map(|e| e.sha256.clone()),
            embeddings_standardizer: standardizer,
        };
        let bytes = source.as_ref().map(|e| e.bytes.clone());
        FramingModel::from_parts(
            file,
            tokenizer,
            Arc::new(codebook.clone()),
            bytes,
            PathBuf::from("<memory>"),
        )
    }
}

fn format_counts(c: &[usize], cb: &Codebook) -> String {
    cb.labels()
        .map(|l| format!("{} {}", cb.name(l), c[l.index()]))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The serialised content of `model.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModelFile {
    /// [`FORMAT_VERSION`] at training time.
    pub format_version: u32,
    /// Label names in score-column order (the codebook's).
    pub labels: Vec<String>,
    /// SHA-256 of the `tokenizer.json` this model was trained with.
    pub tokenizer_sha256: String,
    /// The parameters used.
    pub train_params: TrainParams,
    /// Labeled paragraphs per label.
    pub training_counts: Vec<(String, usize)>,
    /// Labeled documents.
    pub training_documents: usize,
    /// Document thresholds.
    pub thresholds: Thresholds,
    /// Added to the logits (prior correction), one per label.
    pub intercept_adjust: Vec<f32>,
    /// Vocabulary and IDF.
    pub featurizer: Featurizer,
    /// The fitted linfa classifier (its weight rows: the sparse features, then the dense
    /// embedding blocks when there is a table).
    pub classifier: MultiFittedLogisticRegression<f32, usize>,
    /// SHA-256 of the `embeddings.safetensors` this model was trained with (format 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_sha256: Option<String>,
    /// The per-dimension standardisation of the table fitted at training.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_standardizer: Option<embed::Standardizer>,
}

/// `manifest.json`: format version, checksums and the model hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Model folder format.
    pub format_version: u32,
    /// framelens version that wrote it.
    pub framelens_version: String,
    /// Content hash of the model (SHA-256 over the model.json, tokenizer.json and, from
    /// format 2, codebook.toml checksums).
    pub model_hash: String,
    /// SHA-256 of `model.json`.
    pub model_sha256: String,
    /// SHA-256 of `tokenizer.json`.
    pub tokenizer_sha256: String,
    /// The seed recorded at training.
    pub seed: u64,
    /// SHA-256 of `codebook.toml` (format 2 on; format 1 has no codebook file).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub codebook_sha256: Option<String>,
    /// SHA-256 of `embeddings.safetensors`, when the model has an embedding table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embeddings_sha256: Option<String>,
}

/// The per-paragraph and per-document output of the model for one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocScores {
    /// Label probabilities per paragraph, codebook column order.
    pub paragraphs: Vec<Vec<f32>>,
    /// Length weight (token count, at least 1) per paragraph.
    pub weights: Vec<f32>,
    /// Sparse features per paragraph (kept for explanations).
    pub rows: Vec<SparseRow>,
    /// Token ids per paragraph (for explanations, and the narratives read words from them).
    pub tokens: Vec<Vec<u32>>,
    /// The document aggregates.
    pub aggregate: Aggregate,
}

/// Document-level aggregates of paragraph probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Share of each frame ([`Codebook::frames`] order) in the framed text (sums to 1 when
    /// framed mass > 0).
    pub shares: Vec<f64>,
    /// 1 − length-weighted mean probability of the none label (1 without one).
    pub framed_fraction: f64,
    /// The dominant frame, or `None`.
    pub dominant: Option<Label>,
    /// Frames present, in label order.
    pub present: Vec<Label>,
}

/// Aggregate paragraph probabilities into document shares and decisions.
///
/// `probs[i]` are paragraph `i`'s label probabilities (codebook column order) and `weights[i]`
/// its length.
pub fn aggregate(probs: &[Vec<f32>], weights: &[f32], t: &Thresholds, cb: &Codebook) -> Aggregate {
    let frames = cb.frames();
    let total: f64 = weights.iter().map(|&w| w as f64).sum();
    let mut mass = vec![0f64; frames.len()];
    let mut none = 0f64;
    for (p, &w) in probs.iter().zip(weights) {
        for (m, f) in mass.iter_mut().zip(frames) {
            *m += w as f64 * p[f.index()] as f64;
        }
        if let Some(n) = cb.none() {
            none += w as f64 * p[n.index()] as f64;
        }
    }
    let framed_mass: f64 = mass.iter().sum();
    let framed_fraction = if total > 0.0 {
        (1.0 - none / total).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let shares: Vec<f64> = if framed_mass > 0.0 {
        mass.iter().map(|m| m / framed_mass).collect()
    } else {
        vec![0.0; frames.len()]
    };
    let mut best = 0;
    for i in 1..shares.len() {
        if shares[i] > shares[best] {
            best = i;
        }
    }
    let dominant = (framed_mass > 0.0 && framed_fraction >= t.framed_min).then(|| frames[best]);
    let present = frames
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            framed_mass > 0.0
                && shares[i] >= t.present_share[i]
                && shares[i] * framed_fraction >= t.present_mass
        })
        .map(|(_, &l)| l)
        .collect();
    Aggregate {
        shares,
        framed_fraction,
        dominant,
        present,
    }
}

/// No explanation slot ([`FramingModel::term_slots`]).
pub const NO_TERM: u32 = u32::MAX;

/// A fitted framing model: tokenizer, featurizer, classifier and thresholds.
#[derive(Debug, Clone)]
pub struct FramingModel {
    file: ModelFile,
    tokenizer: DocTokenizer,
    codebook: Arc<Codebook>,
    /// Row-major `[n_features][K]` weights for sparse scoring (K labels).
    weights: Vec<f32>,
    /// Intercept plus prior correction.
    bias: Vec<f32>,
    /// The embedding table (its file's bytes) folded with the dense weights.
    embed: Option<(Arc<Vec<u8>>, FoldedTable)>,
    path: PathBuf,
    /// Per token id, whether it is a content word ([`FramingModel::content_tokens`]).
    content_tokens: Arc<std::sync::OnceLock<Vec<bool>>>,
    /// Per feature, where explanation terms sum its value ([`FramingModel::term_slots`]).
    term_slots: Arc<std::sync::OnceLock<Vec<u32>>>,
    /// Per table token, the labels it may push towards ([`FramingModel::term_labels`]).
    term_labels: Arc<std::sync::OnceLock<Vec<u8>>>,
}

impl FramingModel {
    fn from_parts(
        mut file: ModelFile,
        tokenizer: DocTokenizer,
        codebook: Arc<Codebook>,
        table: Option<Arc<Vec<u8>>>,
        path: PathBuf,
    ) -> Result<Self> {
        let merr = |m: String| Error::Model {
            path: path.clone(),
            message: m,
        };
        let k = codebook.len();
        if !file.classifier.classes().iter().copied().eq(0..k) {
            return Err(merr(format!(
                "classifier classes {:?}, expected 0..{k}",
                file.classifier.classes()
            )));
        }
        if !file.labels.iter().map(String::as_str).eq(codebook.names()) {
            return Err(merr(format!(
                "the model's labels ({}) differ from its codebook's ({})",
                file.labels.join(", "),
                codebook.names().join(", ")
            )));
        }
        if file.intercept_adjust.len() != k {
            return Err(merr(format!(
                "{} intercept adjustments, expected {k}",
                file.intercept_adjust.len()
            )));
        }
        if file.thresholds.present_share.len() != codebook.n_frames() {
            return Err(merr(format!(
                "{} present_share thresholds, expected one per frame ({})",
                file.thresholds.present_share.len(),
                codebook.n_frames()
            )));
        }
        file.featurizer
            .validate_and_index()
            .map_err(|e| merr(e.to_string()))?;
        let params = file.classifier.params();
        let nf = file.featurizer.n_features();
        let tpath = path.join(embed::TABLE_FILE);
        let view = match (&file.train_params.embeddings, &table) {
            (Some(ep), Some(bytes)) => {
                let t = TableView::parse(bytes, &tpath)?;
                let st = file
                    .embeddings_standardizer
                    .as_ref()
                    .filter(|s| s.mean.len() == t.dim() && s.scale.len() == t.dim())
                    .ok_or_else(|| {
                        merr(
                            "the table's standardisation is missing or of another dimension".into(),
                        )
                    })?;
                if t.rows() != tokenizer.vocab_size() {
                    return Err(merr(format!(
                        "the embedding table has {} rows but the tokenizer {} tokens",
                        t.rows(),
                        tokenizer.vocab_size()
                    )));
                }
                Some((ep, st, t))
            }
            (None, None) => None,
            (Some(_), None) => return Err(merr("the model needs its embedding table".into())),
            (None, Some(_)) => {
                return Err(merr("an embedding table without its parameters".into()))
            }
        };
        let nd = view.as_ref().map_or(0, |(_, _, t)| embed::BLOCKS * t.dim());
        if params.dim() != (nf + nd, k) {
            return Err(merr(format!(
                "weights are {:?}, expected ({}, {k})",
                params.dim(),
                nf + nd
            )));
        }
        let mut weights: Vec<f32> = params.rows().into_iter().flatten().copied().collect();
        let folded = view
            .map(|(ep, st, t)| {
                FoldedTable::from_view_standardized(&t, st, ep, &weights[nf * k..], k)
            })
            .transpose()?;
        // both or neither: a table without parameters, or the reverse, was refused above
        let embed = table.zip(folded);
        weights.truncate(nf * k);
        let b = file.classifier.intercept();
        let bias = (0..k).map(|i| b[i] + file.intercept_adjust[i]).collect();
        Ok(FramingModel {
            file,
            tokenizer,
            codebook,
            weights,
            bias,
            embed,
            path,
            content_tokens: Arc::default(),
            term_slots: Arc::default(),
            term_labels: Arc::default(),
        })
    }

    /// Per token id of the tokenizer's vocabulary, whether the token may be shown as an
    /// explanation term ([`embed::is_content_word`]); computed on the first call, kept with the
    /// model.
    pub fn content_tokens(&self) -> &[bool] {
        self.content_tokens.get_or_init(|| {
            let tk = &self.tokenizer;
            (0..tk.vocab_size() as u32)
                .map(|id| {
                    tk.id_to_token(id)
                        .is_some_and(|w| embed::is_content_word(&w))
                })
                .collect()
        })
    }

    /// Per feature index, the slot in which explanation terms sum the feature's value, or
    /// [`NO_TERM`]: slots `0..n_features()` are features and `n_features() + t` the embedding
    /// table's token `t`. A unigram of a content token is summed in its token's slot when the
    /// model has a table holding the token (so that a word's push joins its table share),
    /// in its own slot otherwise; a bigram of two content tokens in its own slot; any other
    /// feature (a stopword, a piece, the neighbour, document or layout blocks) has none.
    /// Computed on the first call, kept with the model.
    pub fn term_slots(&self) -> &[u32] {
        self.term_slots.get_or_init(|| {
            let featurizer = self.featurizer();
            let nf = featurizer.n_features();
            let rows = self.folded_table().map_or(0, |k| k.rows());
            let content = self.content_tokens();
            let is_content = |t: u32| content.get(t as usize).copied().unwrap_or(false);
            (0..nf as u32)
                .map(|i| match featurizer.kind(i) {
                    FeatureKind::Unigram(t) if is_content(t) => {
                        if (t as usize) < rows {
                            (nf + t as usize) as u32
                        } else {
                            i
                        }
                    }
                    FeatureKind::Bigram(a, b) if is_content(a) && is_content(b) => i,
                    _ => NO_TERM,
                })
                .collect()
        })
    }

    /// Per token of the embedding table (empty without one), the labels (bit `l` for label
    /// `l`) towards which the token's table logits may push an explanation term: bit `l` is
    /// set when, in some kept block, its logit for `l` exceeds their mean over labels, as the
    /// explanation computes it. The push of a token whose bit is clear for a frame is a sum
    /// of non-negative pooling sums times non-positive differences, never positive, so the
    /// token can be left out of that frame's terms. For a content token with a unigram
    /// feature, whose TF-IDF push (its summed value, positive, times its weight less the
    /// weights' mean) joins its table push, the feature's weights count as one more block.
    /// Any content token of a codebook of more than eight labels has every bit set (and a
    /// frame past the eighth asks for every bit); a token that is not a content word has
    /// none. Computed on the first call, kept with the model.
    pub fn term_labels(&self) -> &[u8] {
        self.term_labels.get_or_init(|| {
            let Some(k) = self.folded_table() else {
                return Vec::new();
            };
            let content = self.content_tokens();
            let nl = self.codebook.len() as f32;
            (0..k.rows() as u32)
                .map(|t| {
                    if !content.get(t as usize).copied().unwrap_or(false) {
                        return 0;
                    }
                    if k.labels() > 8 {
                        return u8::MAX;
                    }
                    let kt = k.token(t).expect("in range");
                    // the TF-IDF part of a word's push (its unigram feature's summed value,
                    // positive, times its weight less their mean) and the table parts
                    let tfidf = self.featurizer().unigram(t).map(|i| self.weight(i));
                    let mut bits = 0u8;
                    for kb in tfidf.into_iter().chain(kt.chunks_exact(k.labels())) {
                        let mean = kb.iter().sum::<f32>() / nl;
                        for (l, &v) in kb.iter().enumerate() {
                            if v - mean > 0.0 {
                                bits |= 1 << l;
                            }
                        }
                    }
                    bits
                })
                .collect()
        })
    }

    /// The embedding table folded with the classifier, when the model has one.
    pub fn folded_table(&self) -> Option<&FoldedTable> {
        self.embed.as_ref().map(|e| &e.1)
    }

    /// The tokenizer.
    pub fn tokenizer(&self) -> &DocTokenizer {
        &self.tokenizer
    }

    /// The featurizer.
    pub fn featurizer(&self) -> &Featurizer {
        &self.file.featurizer
    }

    /// Document thresholds.
    pub fn thresholds(&self) -> &Thresholds {
        &self.file.thresholds
    }

    /// Replace the document thresholds.
    pub fn set_thresholds(&mut self, t: Thresholds) {
        self.file.thresholds = t;
    }

    /// The parameters the model was trained with.
    pub fn train_params(&self) -> &TrainParams {
        &self.file.train_params
    }

    /// The stored model file content.
    pub fn file(&self) -> &ModelFile {
        &self.file
    }

    /// Where the model was loaded from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The codebook: the labels of the score columns.
    pub fn codebook(&self) -> &Arc<Codebook> {
        &self.codebook
    }

    /// Number of labels (score columns).
    pub fn n_labels(&self) -> usize {
        self.bias.len()
    }

    /// Weight of feature `f` for each label.
    pub fn weight(&self, f: u32) -> &[f32] {
        let k = self.n_labels();
        &self.weights[f as usize * k..(f as usize + 1) * k]
    }

    /// Label probabilities of one sparse row.
    pub fn predict_row(&self, row: &SparseRow) -> Vec<f32> {
        softmax(self.logits(row, self.bias.clone()))
    }

    /// `start` + row · weights (no bias added: pass the bias in `start`).
    fn logits(&self, row: &SparseRow, start: Vec<f32>) -> Vec<f32> {
        let mut z = start;
        for (&i, &v) in row.idx.iter().zip(&row.val) {
            let w = self.weight(i);
            for (zc, &wc) in z.iter_mut().zip(w) {
                *zc += v * wc;
            }
        }
        z
    }

    /// Score every paragraph of a document and aggregate.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if tokenization fails.
    pub fn score_document(&self, paragraphs: &[&str]) -> Result<DocScores> {
        let toks = DocTokens {
            paras: paragraphs
                .iter()
                .map(|p| self.tokenizer.ids(p))
                .collect::<Result<_>>()?,
        };
        let mut probs = Vec::with_capacity(paragraphs.len());
        let mut rows = Vec::with_capacity(paragraphs.len());
        let mut weights = Vec::with_capacity(paragraphs.len());
        // the document block adds the same logits to every paragraph: compute them once
        let doc_row = self
            .file
            .featurizer
            .doc_row(&DocBlock { paras: &toks.paras });
        let doc_logits = self.logits(&doc_row, self.bias.clone());
        let dense = self.embed.as_ref().map(|(_, k)| k.doc_logits(&toks.paras));
        let all_rows = self.file.featurizer.transform_document(&toks.paras);
        for (i, row) in all_rows.into_iter().enumerate() {
            let mut start = doc_logits.clone();
            if let Some(d) = &dense {
                let l = start.len();
                for (z, x) in start.iter_mut().zip(&d[i * l..(i + 1) * l]) {
                    *z += x;
                }
            }
            probs.push(softmax(self.logits(&row, start)));
            rows.push(row);
            weights.push(toks.paras[i].len().max(1) as f32);
        }
        let aggregate = aggregate(&probs, &weights, &self.file.thresholds, &self.codebook);
        Ok(DocScores {
            paragraphs: probs,
            weights,
            rows,
            tokens: toks.paras,
            aggregate,
        })
    }

    /// Save as a model folder: `model.json`, `tokenizer.json`, `codebook.toml`, `manifest.json`
    /// (and `embeddings.safetensors` when the model has an embedding table), always in the
    /// current [`FORMAT_VERSION`].
    ///
    /// Files are written atomically; the same model always gives the same bytes.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be written.
    pub fn save(&self, dir: &Path) -> Result<Manifest> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let tok = self.tokenizer.to_json()?;
        let model = serde_json::to_string(&self.file).map_err(|e| Error::Json {
            path: dir.join("model.json"),
            source: e,
        })?;
        let codebook = self.codebook.to_toml();
        let (ms, ts, cs) = (
            sha256_hex(model.as_bytes()),
            sha256_hex(tok.as_bytes()),
            sha256_hex(codebook.as_bytes()),
        );
        let table_sha = self.embed.as_ref().map(|(b, _)| sha256_hex(b));
        let mut hash = model_hash(&ms, &ts, Some(&cs));
        if let Some(t) = &table_sha {
            hash = sha256_hex(format!("{hash}\n{t}\n").as_bytes());
        }
        let manifest = Manifest {
            format_version: FORMAT_VERSION,
            framelens_version: env!("CARGO_PKG_VERSION").to_string(),
            model_hash: hash,
            model_sha256: ms,
            tokenizer_sha256: ts,
            seed: self.file.train_params.seed,
            codebook_sha256: Some(cs),
            embeddings_sha256: table_sha,
        };
        if let Some((b, _)) = &self.embed {
            crate::fsio::write_atomic(&dir.join(embed::TABLE_FILE), b)?;
        }
        crate::fsio::write_atomic(&dir.join("tokenizer.json"), tok.as_bytes())?;
        crate::fsio::write_atomic(&dir.join("model.json"), model.as_bytes())?;
        crate::fsio::write_atomic(&dir.join(CODEBOOK_FILE), codebook.as_bytes())?;
        let m = serde_json::to_string_pretty(&manifest).expect("manifest serialises");
        crate::fsio::write_atomic(&dir.join("manifest.json"), format!("{m}\n").as_bytes())?;
        Ok(manifest)
    }

    /// Load a model folder, verifying format version and checksums before use.
    ///
    /// # Errors
    /// [`Error::Model`] naming the folder or file when anything is missing, truncated,
    /// corrupted, of another format version, or when the tokenizer does not match the model.
    pub fn load(dir: &Path) -> Result<(FramingModel, Manifest)> {
        let merr = |p: &Path, m: String| Error::Model {
            path: p.to_path_buf(),
            message: m,
        };
        if !dir.is_dir() {
            return Err(merr(dir, "no such model folder".into()));
        }
        let read = |name: &str| -> Result<Vec<u8>> {
            let p = dir.join(name);
            std::fs::read(&p).map_err(|e| merr(&p, format!("cannot read: {e}")))
        };
        let manifest = read("manifest.json")?;
        let model = read("model.json")?;
        let tok = read("tokenizer.json")?;
        let codebook = if dir.join(CODEBOOK_FILE).exists() {
            Some(read(CODEBOOK_FILE)?)
        } else {
            None
        };
        // the table is read only when the manifest names it (a format 3 model with embeddings)
        let wants_table = serde_json::from_slice::<serde_json::Value>(&manifest)
            .ok()
            .is_some_and(|m| m.get("embeddings_sha256").is_some_and(|v| !v.is_null()));
        let table = if wants_table {
            Some(read(embed::TABLE_FILE)?)
        } else {
            None
        };
        FramingModel::from_bytes_with_table(
            dir,
            &manifest,
            &model,
            &tok,
            codebook.as_deref(),
            table,
        )
    }

    /// The same model with another codebook of the same labels in the same order (new
    /// descriptions, colours or scheme version), e.g. to give a format-1 model its codebook.
    ///
    /// # Errors
    /// [`Error::Model`] when the label names differ.
    pub fn with_codebook(mut self, codebook: Codebook) -> Result<FramingModel> {
        if codebook.names() != self.codebook.names() {
            return Err(Error::Model {
                path: self.path.clone(),
                message: format!(
                    "the codebook's labels ({}) differ from the model's ({})",
                    codebook.names().join(", "),
                    self.codebook.names().join(", ")
                ),
            });
        }
        if codebook.none() != self.codebook.none() {
            return Err(Error::Model {
                path: self.path.clone(),
                message: "the codebook's none label differs from the model's".into(),
            });
        }
        self.codebook = Arc::new(codebook);
        self.file.format_version = FORMAT_VERSION;
        Ok(self)
    }

    /// Load a model from the bytes of its files, verifying format version and checksums
    /// as [`FramingModel::load`] does; `dir` names the folder in errors. `codebook` is the
    /// content of `codebook.toml`, required from format 2 on (format 1 uses
    /// [`Codebook::migration`]).
    ///
    /// # Errors
    /// [`Error::Model`] as for [`FramingModel::load`].
    pub fn from_bytes(
        dir: &Path,
        manifest: &[u8],
        model: &[u8],
        tokenizer: &[u8],
        codebook: Option<&[u8]>,
    ) -> Result<(FramingModel, Manifest)> {
        FramingModel::from_bytes_with_table(dir, manifest, model, tokenizer, codebook, None)
    }

    /// [`FramingModel::from_bytes`] with the bytes of `embeddings.safetensors`, required when
    /// the manifest names a table; its checksum is verified before it is parsed.
    ///
    /// # Errors
    /// [`Error::Model`] as for [`FramingModel::load`].
    pub fn from_bytes_with_table(
        dir: &Path,
        manifest: &[u8],
        model: &[u8],
        tokenizer: &[u8],
        codebook: Option<&[u8]>,
        table: Option<Vec<u8>>,
    ) -> Result<(FramingModel, Manifest)> {
        let merr = |p: &Path, m: String| Error::Model {
            path: p.to_path_buf(),
            message: m,
        };
        let text = |name: &str, b: &[u8]| -> Result<String> {
            String::from_utf8(b.to_vec()).map_err(|e| {
                merr(
                    &dir.join(name),
                    format!(
                        "not UTF-8 (byte {}): the file is corrupted",
                        e.utf8_error().valid_up_to()
                    ),
                )
            })
        };
        let mpath = dir.join("manifest.json");
        let manifest: Manifest = serde_json::from_str(&text("manifest.json", manifest)?)
            .map_err(|e| merr(&mpath, format!("invalid manifest: {e}")))?;
        if !format_supported(manifest.format_version) {
            return Err(merr(&mpath, format!(
                "model format version {} is not supported by this framelens (reads {OLDEST_FORMAT_VERSION} to {FORMAT_VERSION}); retrain the model",
                manifest.format_version
            )));
        }
        let model = text("model.json", model)?;
        let tok = text("tokenizer.json", tokenizer)?;
        let (ms, ts) = (sha256_hex(model.as_bytes()), sha256_hex(tok.as_bytes()));
        if ms != manifest.model_sha256 {
            return Err(merr(
                &dir.join("model.json"),
                "checksum mismatch: the file is truncated or corrupted".into(),
            ));
        }
        if ts != manifest.tokenizer_sha256 {
            return Err(merr(
                &dir.join("tokenizer.json"),
                "checksum mismatch: the file is truncated, corrupted or replaced".into(),
            ));
        }
        let tpath = dir.join(embed::TABLE_FILE);
        let table = match (&manifest.embeddings_sha256, table) {
            (Some(_), Some(bytes)) => Some(Arc::new(bytes)),
            (Some(_), None) => return Err(merr(&tpath, "missing embedding table".into())),
            (None, _) => None,
        };
        // The table's checksum (16 MB) and the tokenizer's parsing run on their own threads
        // while the model file is parsed; the table is checked before anything uses it.
        std::thread::scope(|scope| {
            let table_ok = table.as_ref().map(|bytes| {
                let bytes = Arc::clone(bytes);
                scope.spawn(move || sha256_hex(&bytes))
            });
            let tok_path = dir.join("tokenizer.json");
            let parsed_tok = scope.spawn(move || DocTokenizer::from_json(&tok, &tok_path));
            let rest = Self::check_and_parse(dir, &manifest, &model, &ts, codebook, &text);
            fn join<T>(h: std::thread::ScopedJoinHandle<'_, T>) -> T {
                h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))
            }
            let tokenizer = join(parsed_tok);
            if let (Some(h), Some(want)) = (table_ok, &manifest.embeddings_sha256) {
                if &join(h) != want {
                    return Err(merr(
                        &tpath,
                        "checksum mismatch: the embedding table is truncated, corrupted or replaced"
                            .into(),
                    ));
                }
            }
            let (file, codebook) = rest?;
            let tokenizer = tokenizer?;
            let m = FramingModel::from_parts(
                file,
                tokenizer,
                Arc::new(codebook),
                table,
                dir.to_path_buf(),
            )?;
            Ok((m, manifest))
        })
    }

    /// The codebook and the model file of [`FramingModel::from_bytes_with_table`], checked
    /// against the manifest (`ts`: the tokenizer's checksum).
    fn check_and_parse(
        dir: &Path,
        manifest: &Manifest,
        model: &str,
        ts: &str,
        codebook: Option<&[u8]>,
        text: &dyn Fn(&str, &[u8]) -> Result<String>,
    ) -> Result<(ModelFile, Codebook)> {
        let merr = |p: &Path, m: String| Error::Model {
            path: p.to_path_buf(),
            message: m,
        };
        let mpath = dir.join("manifest.json");
        let tpath = dir.join(embed::TABLE_FILE);
        let cpath = dir.join(CODEBOOK_FILE);
        let codebook = match (&manifest.codebook_sha256, manifest.format_version) {
            (None, 1) => Codebook::migration(),
            (None, _) => {
                return Err(merr(
                    &mpath,
                    "the manifest has no codebook checksum (codebook_sha256)".into(),
                ))
            }
            (Some(want), _) => {
                let Some(bytes) = codebook else {
                    return Err(merr(&cpath, "missing: the model has no codebook".into()));
                };
                let text = text(CODEBOOK_FILE, bytes)?;
                if &sha256_hex(text.as_bytes()) != want {
                    return Err(merr(
                        &cpath,
                        "checksum mismatch: the file is truncated, corrupted or edited".into(),
                    ));
                }
                Codebook::from_toml(&text, &cpath)?
            }
        };
        let file: ModelFile = serde_json::from_str(model)
            .map_err(|e| merr(&dir.join("model.json"), format!("invalid model: {e}")))?;
        if !format_supported(file.format_version) {
            return Err(merr(
                &dir.join("model.json"),
                format!("format version {} not supported", file.format_version),
            ));
        }
        if file.tokenizer_sha256 != ts {
            return Err(merr(
                &dir.join("tokenizer.json"),
                "this tokenizer is not the one the model was trained with".into(),
            ));
        }
        if file.embeddings_sha256 != manifest.embeddings_sha256 {
            return Err(merr(
                &tpath,
                "this embedding table is not the one the model was trained with".into(),
            ));
        }
        Ok((file, codebook))
    }
}

/// The model hash from the file checksums (format 1 has no codebook file).
pub fn model_hash(model_sha: &str, tokenizer_sha: &str, codebook_sha: Option<&str>) -> String {
    match codebook_sha {
        None => sha256_hex(format!("{model_sha}\n{tokenizer_sha}\n").as_bytes()),
        Some(c) => sha256_hex(format!("{model_sha}\n{tokenizer_sha}\n{c}\n").as_bytes()),
    }
}

fn softmax(z: Vec<f32>) -> Vec<f32> {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut e: Vec<f32> = z.into_iter().map(|x| (x - m).exp()).collect();
    let s: f32 = e.iter().sum();
    for x in &mut e {
        *x /= s;
    }
    e
}

/// The model card (`MODEL.md`): data, command, parameters, seed. Deterministic.
///
/// `articles` is the articles file joined to label files, and `notes` (e.g. development
/// metrics measured with `framelens cv`/`eval`) is appended verbatim.
pub fn model_card(
    model: &FramingModel,
    manifest: &Manifest,
    labels: &[PathBuf],
    articles: Option<&Path>,
    notes: Option<&str>,
) -> String {
    let f = model.file();
    let p = &f.train_params;
    let mut s = String::from("# framelens model card\n\n");
    s.push_str(&format!(
        "- model hash: `{}`\n- format version: {}\n- framelens version: {}\n- seed: {}\n\n",
        manifest.model_hash, manifest.format_version, manifest.framelens_version, manifest.seed
    ));
    s.push_str(&format!(
        "Codebook: {} (`codebook.toml`).\n\n",
        model.codebook().describe()
    ));
    s.push_str("## Training data\n\n");
    for l in labels {
        s.push_str(&format!("- `{}`\n", l.display()));
    }
    s.push_str(&format!(
        "\n{} documents; labeled paragraphs per label:\n\n| label | paragraphs |\n|---|---:|\n",
        f.training_documents
    ));
    for (l, c) in &f.training_counts {
        s.push_str(&format!("| {l} | {c} |\n"));
    }
    s.push_str("\n## Reproduce\n\n```\nframelens train");
    for l in labels {
        s.push_str(&format!(" --labels {}", l.display()));
    }
    if let Some(a) = articles {
        s.push_str(&format!(" --articles {}", a.display()));
    }
    if let Some(e) = &p.embeddings {
        s.push_str(&format!(
            " --embeddings {} --embed-pooling {} --embed-para-weight {} --embed-context-weight {} --embed-doc-weight {}",
            e.table.display(),
            match e.pooling {
                embed::Pooling::Mean => "mean",
                embed::Pooling::SqrtN => "sqrt_n",
            },
            e.para_weight,
            e.context_weight,
            e.doc_weight
        ));
    }
    s.push_str(&format!(" --seed {} --out <folder>\n```\n\n", p.seed));
    s.push_str("## Parameters\n\n```json\n");
    s.push_str(&serde_json::to_string_pretty(p).expect("params serialise"));
    s.push_str("\n```\n\n");
    s.push_str(&format!(
        "Vocabulary: {} words (tokenizer), {} features. Classifier: linfa-logistic multinomial logistic regression over {:?}.\n",
        model.tokenizer().vocab_size(),
        model.featurizer().n_features(),
        model.codebook().names()
    ));
    if let (Some(e), Some(sha)) = (&p.embeddings, &manifest.embeddings_sha256) {
        s.push_str(&format!(
            "Embedding table: `{}` (SHA-256 `{sha}`), {} rows; the tokenizer is the table's. \
             Per paragraph the pooled ({:?}) table vectors of the paragraph, its neighbours and \
             the whole document are dense blocks beside the TF-IDF features.\n",
            embed::TABLE_FILE,
            model.tokenizer().vocab_size(),
            e.pooling
        ));
    }
    if let Some(n) = notes {
        s.push('\n');
        s.push_str(n.trim_end());
        s.push('\n');
    }
    s
}

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
        for (r, row) in s.rows.iter().enumerate() {
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
    fn missing_label_is_an_error() {
        let mut set = tiny_set();
        set.docs.retain(|d| d.id != "d4");
        let e = TrainParams::default()
            .check()
            .unwrap()
            .fit(&set, &Codebook::migration())
            .unwrap_err();
        assert!(e.to_string().contains("none has no examples"), "{e}");
    }

    #[test]
    fn aggregate_shares_and_decisions() {
        let cb = Codebook::migration();
        let t = Thresholds::from_codebook(&cb);
        let probs = [
            vec![0.8, 0.0, 0.0, 0.0, 0.2],
            vec![0.0, 0.0, 0.0, 0.0, 1.0],
            vec![0.0, 0.5, 0.0, 0.0, 0.5],
        ];
        let a = aggregate(&probs, &[1.0, 1.0, 2.0], &t, &cb);
        // framed mass: hum 0.8, eco 1.0 → shares 0.444.., 0.555..
        assert_relative_eq!(a.shares[0], 0.8 / 1.8, epsilon = 1e-6);
        assert_relative_eq!(a.shares.iter().sum::<f64>(), 1.0, epsilon = 1e-9);
        assert_relative_eq!(a.framed_fraction, 1.8 / 4.0, epsilon = 1e-6);
        assert_eq!(a.dominant, Some(Label(1)));
        assert_eq!(a.present, vec![Label(0), Label(1)]);
        let none = aggregate(&[vec![0.0, 0.0, 0.0, 0.05, 0.95]], &[1.0], &t, &cb);
        assert_eq!(none.dominant, None);
        assert!(none.present.is_empty());
        let empty = aggregate(&[], &[], &t, &cb);
        assert_eq!(empty.shares, [0.0; 4]);
        // a codebook without a none label: everything is framed
        let three = Codebook::from_names("t", &["a".into(), "b".into(), "c".into()], None).unwrap();
        let t3 = Thresholds::from_codebook(&three);
        let a = aggregate(&[vec![0.2, 0.7, 0.1]], &[1.0], &t3, &three);
        assert_eq!(a.framed_fraction, 1.0);
        assert_eq!(a.dominant, Some(Label(1)));
        assert_eq!(a.present, vec![Label(0), Label(1)]);
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
