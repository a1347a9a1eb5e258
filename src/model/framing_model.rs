//! [`FramingModel`]: the checked assembly of its parts, accessors and explanation terms.

use super::*;

/// No explanation slot ([`FramingModel::term_slots`]).
pub const NO_TERM: u32 = u32::MAX;

/// A fitted framing model: tokenizer, featurizer, classifier and thresholds.
#[derive(Debug, Clone)]
pub struct FramingModel {
    pub(super) file: ModelFile,
    pub(super) tokenizer: DocTokenizer,
    pub(super) codebook: Arc<Codebook>,
    /// Row-major `[n_features][K]` weights for sparse scoring (K labels).
    pub(super) weights: Vec<f32>,
    /// Intercept plus prior correction.
    pub(super) bias: Vec<f32>,
    /// The embedding table (its file's bytes) folded with the dense weights.
    pub(super) embed: Option<(Arc<Vec<u8>>, FoldedTable)>,
    pub(super) path: PathBuf,
    /// Per token id, whether it is a content word ([`FramingModel::content_tokens`]).
    pub(super) content_tokens: Arc<std::sync::OnceLock<Vec<bool>>>,
    /// Per feature, where explanation terms sum its value ([`FramingModel::term_slots`]).
    pub(super) term_slots: Arc<std::sync::OnceLock<Vec<u32>>>,
    /// Per table token, the labels it may push towards ([`FramingModel::term_labels`]).
    pub(super) term_labels: Arc<std::sync::OnceLock<Vec<u8>>>,
}

impl FramingModel {
    pub(super) fn from_parts(
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
}
