//! A fitted [`Featurizer`]: its lookup tables, its vocabulary and what a feature stands for.

use super::*;

impl Featurizer {
    pub(super) fn from_parts(params: FeaturizerParams, keys: Vec<u64>, idf: Vec<f32>) -> Self {
        let mut f = Featurizer {
            params,
            keys,
            idf,
            unigram_ix: Vec::new(),
            context_ix: Vec::new(),
            doc_ix: Vec::new(),
            layout_ix: Vec::new(),
            bigram_at: Vec::new(),
            bigram_next: Vec::new(),
        };
        f.rebuild_index();
        f
    }

    /// Rebuild the key → feature lookup tables (after deserialisation).
    ///
    /// # Errors
    /// [`Error::Other`] when the stored keys and IDF disagree in length or order.
    pub fn validate_and_index(&mut self) -> Result<()> {
        if self.keys.len() != self.idf.len() {
            return Err(Error::Other(format!(
                "featurizer has {} keys but {} idf values",
                self.keys.len(),
                self.idf.len()
            )));
        }
        if self.keys.windows(2).any(|w| w[0] >= w[1]) {
            return Err(Error::Other("featurizer keys are not increasing".into()));
        }
        self.rebuild_index();
        Ok(())
    }

    fn rebuild_index(&mut self) {
        let dense = |flag: u64| {
            let mut t = Vec::new();
            for (i, &k) in self.keys.iter().enumerate() {
                if k & !0xFFFF_FFFF == flag {
                    let id = (k & 0xFFFF_FFFF) as usize;
                    if t.len() <= id {
                        t.resize(id + 1, NONE);
                    }
                    t[id] = i as u32;
                }
            }
            t
        };
        self.unigram_ix = dense(0);
        self.context_ix = dense(CONTEXT);
        self.doc_ix = dense(DOC);
        self.layout_ix = dense(LAYOUT);
        // the keys increase, and bigram keys with (first, second): the pairs come sorted
        let pairs: Vec<(u32, u32, u32)> = (self.keys.iter().enumerate())
            .filter(|&(_, &k)| k & BIGRAM != 0)
            .map(|(i, &k)| {
                (
                    ((k & !BIGRAM) >> 31) as u32,
                    (k & 0x7FFF_FFFF) as u32,
                    i as u32,
                )
            })
            .collect();
        let firsts = pairs.last().map_or(0, |p| p.0 as usize + 1);
        self.bigram_at = vec![0; firsts + 1];
        for p in &pairs {
            self.bigram_at[p.0 as usize + 1] += 1;
        }
        for a in 0..firsts {
            self.bigram_at[a + 1] += self.bigram_at[a];
        }
        self.bigram_next = pairs.iter().map(|p| (p.1, p.2)).collect();
    }

    /// The feature of the bigram `(a, b)`, if it has one.
    #[inline]
    pub(super) fn bigram_feature(&self, a: u32, b: u32) -> Option<u32> {
        let a = a as usize;
        if a + 1 >= self.bigram_at.len() {
            return None;
        }
        let run = &self.bigram_next[self.bigram_at[a] as usize..self.bigram_at[a + 1] as usize];
        if run.len() <= 8 {
            run.iter().find(|p| p.0 == b).map(|p| p.1)
        } else {
            let k = run.binary_search_by_key(&b, |p| p.0).ok()?;
            Some(run[k].1)
        }
    }

    /// Number of features.
    pub fn n_features(&self) -> usize {
        self.keys.len()
    }

    /// The parameters it was fitted with.
    pub fn params(&self) -> &FeaturizerParams {
        &self.params
    }

    /// The unigram features are `0..u` and the bigram features `b..n_features()`: `(u, b)`.
    /// (Keys sort by kind: unigrams have no flag bit, bigrams the highest.)
    pub fn word_feature_bounds(&self) -> (u32, u32) {
        let u = self.keys.partition_point(|&k| k & !0xFFFF_FFFF == 0);
        let b = self.keys.partition_point(|&k| k & BIGRAM == 0);
        (u as u32, b as u32)
    }

    /// What feature `i` stands for.
    pub fn kind(&self, i: u32) -> FeatureKind {
        let k = self.keys[i as usize];
        if k & BIGRAM != 0 {
            FeatureKind::Bigram(((k & !BIGRAM) >> 31) as u32, (k & 0x7FFF_FFFF) as u32)
        } else if k & CONTEXT != 0 {
            FeatureKind::Context((k & !CONTEXT) as u32)
        } else if k & DOC != 0 {
            FeatureKind::Document((k & !DOC) as u32)
        } else if k & LAYOUT != 0 {
            FeatureKind::Layout(k & !LAYOUT)
        } else {
            FeatureKind::Unigram(k as u32)
        }
    }
}
