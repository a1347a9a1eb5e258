use super::*;

/// How token vectors are pooled: their sum divided by `n` or by `√n`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean of the token vectors.
    #[default]
    Mean,
    /// The sum divided by the square root of the token count.
    SqrtN,
}

impl Pooling {
    /// The factor applied to a sum of `n` token vectors (0 when `n` is 0).
    pub fn scale(self, n: usize) -> f32 {
        if n == 0 {
            return 0.0;
        }
        match self {
            Pooling::Mean => 1.0 / n as f32,
            Pooling::SqrtN => 1.0 / (n as f32).sqrt(),
        }
    }
}

impl std::str::FromStr for Pooling {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "mean" => Ok(Pooling::Mean),
            "sqrt_n" | "sqrt-n" => Ok(Pooling::SqrtN),
            _ => Err(format!("unknown pooling {s:?}: use mean or sqrt_n")),
        }
    }
}

/// Embedding-feature parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `table` | `models/embeddings` | folder holding `embeddings.safetensors` and its `tokenizer.json` | a folder |
/// | `pooling` | `mean` | how token vectors are pooled | `mean`, `sqrt_n` |
/// | `para_weight` | 1.0 | scale of the paragraph's pooled vector | 0 ..= 10 |
/// | `context_weight` | 1.0 | scale of the neighbours' pooled vector | 0 ..= 10 |
/// | `doc_weight` | 1.0 | scale of the document's pooled vector | 0 ..= 10 |
/// | `keys` | `pieces` | what the table is keyed by in the model, see [`Keys`] | |
///
/// # Errors
/// [`EmbeddingParams::check`] returns [`Error::InvalidParam`] naming the first bad value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingParams {
    /// Folder with the table and its tokenizer.
    pub table: PathBuf,
    /// Pooling of token vectors.
    #[serde(default)]
    pub pooling: Pooling,
    /// Weight of the paragraph block.
    pub para_weight: f32,
    /// Weight of the neighbour block.
    pub context_weight: f32,
    /// Weight of the document block.
    pub doc_weight: f32,
    /// What the model's table is keyed by.
    #[serde(default)]
    pub keys: Keys,
}

/// What the table in a trained model is keyed by.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Keys {
    /// The words of the model's own trained tokenizer: each word's vector is the mean of the
    /// table vectors of its pieces under the table's tokenizer ([`EmbeddingTable::rekeyed`]).
    /// One tokenization serves the TF-IDF features and the embedding blocks.
    Words,
    /// The table's own tokens: its tokenizer replaces the trained one (TF-IDF features are
    /// then over word pieces).
    #[default]
    Pieces,
}

impl std::str::FromStr for Keys {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "words" => Ok(Keys::Words),
            "pieces" => Ok(Keys::Pieces),
            _ => Err(format!("unknown keys {s:?} (words or pieces)")),
        }
    }
}

impl Default for EmbeddingParams {
    fn default() -> Self {
        EmbeddingParams {
            table: PathBuf::from("models/embeddings"),
            pooling: Pooling::Mean,
            para_weight: 1.0,
            context_weight: 1.0,
            doc_weight: 1.0,
            keys: Keys::Pieces,
        }
    }
}

impl EmbeddingParams {
    /// The block weights, in block order.
    pub fn weights(&self) -> [f32; BLOCKS] {
        [self.para_weight, self.context_weight, self.doc_weight]
    }

    /// Validate the weights.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] naming the first weight outside 0..=10.
    pub fn check(&self) -> Result<()> {
        for (name, w) in [
            ("embeddings.para_weight", self.para_weight),
            ("embeddings.context_weight", self.context_weight),
            ("embeddings.doc_weight", self.doc_weight),
        ] {
            if !(0.0..=10.0).contains(&w) {
                return Err(Error::InvalidParam {
                    name,
                    value: w.to_string(),
                    reason: "must be in 0..=10",
                });
            }
        }
        Ok(())
    }
}
