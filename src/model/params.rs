//! Training parameters: thresholds, [`TrainParams`] → [`TrainValidParams`], [`EmbedSource`].

use super::*;

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
pub struct TrainValidParams(pub(super) TrainParams, pub(super) Option<Arc<EmbedSource>>);

/// An embedding table with its tokenizer, as read from a table folder (or a model folder).
#[derive(Debug)]
pub struct EmbedSource {
    /// The file's bytes, written unchanged into trained model folders.
    pub(super) bytes: Arc<Vec<u8>>,
    pub(super) table: EmbeddingTable,
    pub(super) tokenizer: DocTokenizer,
    pub(super) sha256: String,
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
