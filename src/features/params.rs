//! [`FeaturizerParams`], their check, and the fit that makes a [`Featurizer`].

use super::*;

/// Featurizer hyper-parameters.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `bigrams` | true | add token bigrams to unigrams | bool |
/// | `min_df` | 2 | keep features seen in at least this many training paragraphs | ≥ 1 |
/// | `max_features` | 20 000 | keep at most this many features, most frequent first | ≥ 1 |
/// | `context_weight` | 0.5 | L2 norm of the neighbours' unigram block (0 turns it off) | 0 ..= 1 |
/// | `layout_weight` | 0.3 | value of the position and length indicators (0 turns them off) | 0 ..= 1 |
/// | `doc_weight` | 0.3 | L2 norm of the whole-document unigram block (0 turns it off) | 0 ..= 1 |
///
/// # Errors
/// [`FeaturizerParams::check`] returns [`Error::InvalidParam`] naming the first bad value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeaturizerParams {
    /// Use token bigrams.
    pub bigrams: bool,
    /// Minimum document frequency.
    pub min_df: u32,
    /// Maximum vocabulary size.
    pub max_features: usize,
    /// Weight of the neighbour block.
    pub context_weight: f32,
    /// Weight of layout indicators.
    pub layout_weight: f32,
    /// Weight of the whole-document block.
    #[serde(default)]
    pub doc_weight: f32,
}

impl Default for FeaturizerParams {
    fn default() -> Self {
        FeaturizerParams {
            bigrams: true,
            min_df: 2,
            max_features: 20_000,
            context_weight: 0.5,
            layout_weight: 0.3,
            doc_weight: 0.3,
        }
    }
}

/// Featurizer parameters that passed [`FeaturizerParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct FeaturizerValidParams(FeaturizerParams);

impl FeaturizerParams {
    /// Set `bigrams`.
    pub fn bigrams(mut self, v: bool) -> Self {
        self.bigrams = v;
        self
    }
    /// Set `min_df`.
    pub fn min_df(mut self, v: u32) -> Self {
        self.min_df = v;
        self
    }
    /// Set `max_features`.
    pub fn max_features(mut self, v: usize) -> Self {
        self.max_features = v;
        self
    }
    /// Set `context_weight`.
    pub fn context_weight(mut self, v: f32) -> Self {
        self.context_weight = v;
        self
    }
    /// Set `layout_weight`.
    pub fn layout_weight(mut self, v: f32) -> Self {
        self.layout_weight = v;
        self
    }

    /// Set `doc_weight`.
    pub fn doc_weight(mut self, v: f32) -> Self {
        self.doc_weight = v;
        self
    }

    /// Validate the parameters.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] with the offending value.
    pub fn check(self) -> Result<FeaturizerValidParams> {
        let bad = |name, value: String, reason| {
            Err(Error::InvalidParam {
                name,
                value,
                reason,
            })
        };
        if self.min_df < 1 {
            return bad("min_df", self.min_df.to_string(), "must be at least 1");
        }
        if self.max_features < 1 {
            return bad(
                "max_features",
                self.max_features.to_string(),
                "must be at least 1",
            );
        }
        if !(0.0..=1.0).contains(&self.context_weight) {
            return bad(
                "context_weight",
                self.context_weight.to_string(),
                "must be in 0..=1",
            );
        }
        if !(0.0..=1.0).contains(&self.layout_weight) {
            return bad(
                "layout_weight",
                self.layout_weight.to_string(),
                "must be in 0..=1",
            );
        }
        if !(0.0..=1.0).contains(&self.doc_weight) {
            return bad(
                "doc_weight",
                self.doc_weight.to_string(),
                "must be in 0..=1",
            );
        }
        Ok(FeaturizerValidParams(self))
    }
}

impl FeaturizerValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &FeaturizerParams {
        &self.0
    }

    /// Fix the vocabulary and IDF on training paragraphs.
    pub fn fit(&self, paras: &[ParaTokens<'_>]) -> Featurizer {
        self.fit_with_docs(paras, &[])
    }

    /// Fix the vocabulary and IDF on training paragraphs; `docs[i]` is paragraph `i`'s
    /// document block (used when `doc_weight > 0`; may be empty otherwise).
    pub fn fit_with_docs(&self, paras: &[ParaTokens<'_>], docs: &[DocBlock<'_>]) -> Featurizer {
        let p = &self.0;
        let mut df: FxHashMap<u64, u32> = FxHashMap::default();
        let mut keys = Vec::new();
        for (n, para) in paras.iter().enumerate() {
            keys.clear();
            raw_keys(p, para, &mut keys);
            if p.doc_weight > 0.0 {
                if let Some(d) = docs.get(n) {
                    keys.extend(d.paras.iter().flatten().map(|&i| DOC | i as u64));
                }
            }
            keys.sort_unstable();
            keys.dedup();
            for k in &keys {
                *df.entry(*k).or_default() += 1;
            }
        }
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|(_, d)| *d >= p.min_df).collect();
        // most frequent first, ties by key: deterministic
        kept.sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        kept.truncate(p.max_features);
        kept.sort_unstable_by_key(|k| k.0);
        let n = paras.len() as f32;
        let keys: Vec<u64> = kept.iter().map(|k| k.0).collect();
        let idf: Vec<f32> = kept
            .iter()
            .map(|&(_, d)| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0)
            .collect();
        Featurizer::from_parts(p.clone(), keys, idf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_rejects_bad_values() {
        let e = FeaturizerParams::default()
            .context_weight(2.0)
            .check()
            .unwrap_err();
        assert!(matches!(
            e,
            Error::InvalidParam {
                name: "context_weight",
                ..
            }
        ));
        let e = FeaturizerParams::default().min_df(0).check().unwrap_err();
        assert!(matches!(e, Error::InvalidParam { name: "min_df", .. }));
    }
}
