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
            bigram_slots: Vec::new(),
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
        // open addressing, at most a third full: a lookup that finds nothing (most of them)
        // mostly stops at its first slot
        let n = self.keys.iter().filter(|&&k| k & BIGRAM != 0).count();
        let slots = (3 * n).next_power_of_two().max(16);
        self.bigram_slots = vec![(NO_PAIR, NONE); slots];
        let mask = slots - 1;
        for (i, &k) in self.keys.iter().enumerate() {
            if k & BIGRAM != 0 {
                let pair = bigram_pair(((k & !BIGRAM) >> 31) as u32, (k & 0x7FFF_FFFF) as u32);
                let mut at = bigram_slot(pair, mask);
                while self.bigram_slots[at].0 != NO_PAIR {
                    at = (at + 1) & mask;
                }
                self.bigram_slots[at] = (pair, i as u32);
            }
        }
    }

    /// The feature of the bigram `(a, b)`, if it has one.
    #[inline]
    pub(super) fn bigram_feature(&self, a: u32, b: u32) -> Option<u32> {
        let pair = bigram_pair(a, b);
        let mask = self.bigram_slots.len().wrapping_sub(1);
        let mut at = bigram_slot(pair, mask);
        loop {
            let &(p, f) = self.bigram_slots.get(at)?;
            if p == pair {
                return Some(f);
            }
            if p == NO_PAIR {
                return None;
            }
            at = (at + 1) & mask;
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

/// An empty slot of the bigram table (no pair of token ids packs to it: the second id of a
/// bigram key has 31 bits).
const NO_PAIR: u64 = u64::MAX;

/// Two token ids packed into one word.
#[inline]
fn bigram_pair(a: u32, b: u32) -> u64 {
    ((a as u64) << 32) | b as u64
}

/// The first slot of `pair` in a table of `mask + 1` slots (a power of two).
#[inline]
fn bigram_slot(pair: u64, mask: usize) -> usize {
    (pair.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as usize & mask
}
