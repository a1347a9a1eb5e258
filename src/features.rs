//! Stage 3, features: token ids of a paragraph (and its neighbours) → a sparse TF-IDF row.
//!
//! Input: [`ParaTokens`]. Output: [`SparseRow`] (sorted feature indices and values).
//! [`FeaturizerParams`] → [`FeaturizerValidParams`] (`check`) → [`Featurizer`] (`fit`); the
//! vocabulary and IDF are fixed at fit time, so scoring in chunks never changes a feature.
//!
//! Features of a paragraph:
//! - token unigrams and bigrams, weighted `(1 + ln tf) · idf`, L2-normalised to 1;
//! - optionally, the unigrams of the previous and next paragraphs (a separate block,
//!   L2-normalised to `context_weight`), since a paragraph is read in its context;
//! - a few layout indicators (position in the article, length bucket), weight `layout_weight`:
//!   bylines, headlines and boilerplate are short and sit at the ends.

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const BIGRAM: u64 = 1 << 63;
const CONTEXT: u64 = 1 << 62;
const LAYOUT: u64 = 1 << 61;
const DOC: u64 = 1 << 60;

/// A paragraph's tokens with what the featurizer needs of its surroundings.
#[derive(Debug, Clone, Copy)]
pub struct ParaTokens<'a> {
    /// The paragraph's token ids.
    pub ids: &'a [u32],
    /// The previous paragraph's ids (empty for the first).
    pub prev: &'a [u32],
    /// The next paragraph's ids (empty for the last).
    pub next: &'a [u32],
    /// 0-based paragraph index.
    pub index: usize,
    /// Number of paragraphs in the document.
    pub count: usize,
}

/// The document-wide block: unigrams of the whole document, shared by all its paragraphs.
///
/// Kept apart from [`ParaTokens`] so that scoring computes it once per document; its
/// contribution to a linear model is the same for every paragraph.
#[derive(Debug, Clone, Copy)]
pub struct DocBlock<'a> {
    /// Token ids of every paragraph of the document.
    pub paras: &'a [Vec<u32>],
}

/// A sparse feature vector: strictly increasing indices with their values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SparseRow {
    /// Feature indices, increasing.
    pub idx: Vec<u32>,
    /// Values, same length as `idx`.
    pub val: Vec<f32>,
}

/// The word features (unigram and bigram entries) of each paragraph of a document, in one
/// buffer: what explanations read of the rows ([`Featurizer::visit_document`] fills it).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WordRows {
    /// Feature indices of every paragraph, one after the other, increasing within each.
    idx: Vec<u32>,
    /// Values, same length as `idx`.
    val: Vec<f32>,
    /// Paragraph `i`'s entries end at `ends[i]` (and start where paragraph `i − 1`'s end).
    ends: Vec<usize>,
}

impl WordRows {
    /// Room for `paragraphs` paragraphs.
    pub fn with_capacity(paragraphs: usize) -> Self {
        WordRows {
            idx: Vec::new(),
            val: Vec::new(),
            ends: Vec::with_capacity(paragraphs),
        }
    }

    /// Append a paragraph's entries (`idx` increasing, `val` the same length).
    pub fn push(&mut self, idx: &[u32], val: &[f32]) {
        debug_assert_eq!(idx.len(), val.len());
        self.idx.extend_from_slice(idx);
        self.val.extend_from_slice(val);
        self.ends.push(self.idx.len());
    }

    /// Number of paragraphs.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// No paragraphs.
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Paragraph `i`'s word features and their values, if there is a paragraph `i`.
    pub fn get(&self, i: usize) -> Option<(&[u32], &[f32])> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some((&self.idx[start..end], &self.val[start..end]))
    }

    /// Each paragraph's word features and their values, in paragraph order.
    pub fn iter(&self) -> impl Iterator<Item = (&[u32], &[f32])> + '_ {
        let starts = std::iter::once(0).chain(self.ends.iter().copied());
        starts
            .zip(&self.ends)
            .map(|(a, &b)| (&self.idx[a..b], &self.val[a..b]))
    }
}

/// One paragraph's row as its sorted, disjoint blocks, before they are merged (see
/// [`Featurizer::visit_document`]).
#[derive(Debug, Clone, Copy)]
pub struct RowBlocks<'a> {
    blocks: &'a SparseRow,
    /// The word block is `bounds[0]..bounds[1]` (its unigrams up to `unigrams_end`, then its
    /// bigrams),
    /// the neighbour block `bounds[1]..bounds[2]`, the layout indicators `bounds[2]..bounds[3]`.
    bounds: [usize; 4],
    unigrams_end: usize,
}

impl<'a> RowBlocks<'a> {
    /// The word block: the unigram and bigram entries of the row, increasing.
    pub fn words(&self) -> (&'a [u32], &'a [f32]) {
        let r = self.bounds[0]..self.bounds[1];
        (&self.blocks.idx[r.clone()], &self.blocks.val[r])
    }

    /// Call `f` with every entry of the row in increasing feature order, as in the merged row
    /// ([`Featurizer::transform`]): keys sort by kind, unigrams first, then layout indicators,
    /// then neighbour tokens, bigrams last (the document block is not part of the row).
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(u32, f32)) {
        let [start, main_end, ctx_end, end] = self.bounds;
        for r in [
            start..self.unigrams_end,
            ctx_end..end,
            main_end..ctx_end,
            self.unigrams_end..main_end,
        ] {
            for (&i, &v) in self.blocks.idx[r.clone()].iter().zip(&self.blocks.val[r]) {
                f(i, v);
            }
        }
    }
}

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

/// Layout indicator codes.
fn layout_codes(index: usize, count: usize, len: usize) -> [u64; 2] {
    let pos = if index == 0 {
        0
    } else if index + 1 == count {
        1
    } else if index < 3 {
        2
    } else {
        3
    };
    let len = match len {
        0..=5 => 10,
        6..=15 => 11,
        16..=40 => 12,
        _ => 13,
    };
    [pos, len]
}

/// Every candidate key of a paragraph, with repetitions (for counting).
fn raw_keys(p: &FeaturizerParams, para: &ParaTokens<'_>, out: &mut Vec<u64>) {
    out.extend(para.ids.iter().map(|&i| i as u64));
    if p.bigrams {
        out.extend(para.ids.windows(2).map(|w| bigram(w[0], w[1])));
    }
    if p.context_weight > 0.0 {
        out.extend(
            para.prev
                .iter()
                .chain(para.next.iter())
                .map(|&i| CONTEXT | i as u64),
        );
    }
    if p.layout_weight > 0.0 {
        out.extend(
            layout_codes(para.index, para.count, para.ids.len())
                .iter()
                .map(|c| LAYOUT | c),
        );
    }
}

fn bigram(a: u32, b: u32) -> u64 {
    BIGRAM | ((a as u64) << 31) | (b as u64 & 0x7FFF_FFFF)
}

/// What a feature key stands for, for explanations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureKind {
    /// One token of the paragraph.
    Unigram(u32),
    /// Two adjacent tokens of the paragraph.
    Bigram(u32, u32),
    /// A token of a neighbouring paragraph.
    Context(u32),
    /// A position or length indicator.
    Layout(u64),
    /// A token anywhere in the document.
    Document(u32),
}

/// A fitted featurizer: a fixed vocabulary of feature keys with their IDF.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Featurizer {
    params: FeaturizerParams,
    /// Feature keys, increasing; the position is the feature index.
    keys: Vec<u64>,
    /// IDF per feature.
    idf: Vec<f32>,
    /// The feature of the unigram key of token id `t` at `[t]` (or `NONE`).
    #[serde(skip)]
    unigram_ix: Vec<u32>,
    /// The features of the context keys, by token id.
    #[serde(skip)]
    context_ix: Vec<u32>,
    /// The features of the document keys, by token id.
    #[serde(skip)]
    doc_ix: Vec<u32>,
    /// The features of the layout keys, by indicator code.
    #[serde(skip)]
    layout_ix: Vec<u32>,
    /// The features of the bigram keys: the bigrams whose first token is `a` are
    /// `bigram_next[bigram_at[a]..bigram_at[a + 1]]`, as (second token, feature), by second.
    #[serde(skip)]
    bigram_at: Vec<u32>,
    #[serde(skip)]
    bigram_next: Vec<(u32, u32)>,
}

/// No feature, in the dense lookup tables.
const NONE: u32 = u32::MAX;

/// Dense feature counts of the block being built.
///
/// `counts[f]` is the count of feature `f`, bit `f` of `bits` is set when that count is not
/// zero, and bit `w` of `words` when `bits[w]` is not zero. Draining walks the set bits in
/// increasing order (the sorted order, with no sort) and resets them with their counts, so
/// everything is zero between blocks, whatever featurizer used it.
#[derive(Debug, Default)]
struct Counts {
    counts: Vec<f32>,
    bits: Vec<u64>,
    words: Vec<u64>,
}

impl Counts {
    /// Make room for features `0..n`.
    fn reserve(&mut self, n: usize) {
        if self.counts.len() < n {
            self.counts.resize(n, 0.0);
            self.bits.resize(n.div_ceil(64), 0);
            self.words.resize(self.bits.len().div_ceil(64), 0);
        }
    }

    #[inline]
    fn count(&mut self, f: u32) {
        let c = &mut self.counts[f as usize];
        if *c == 0.0 {
            let w = f as usize >> 6;
            self.bits[w] |= 1 << (f & 63);
            self.words[w >> 6] |= 1 << (w & 63);
        }
        *c += 1.0;
    }

    /// Call `f` with each counted feature and its count, in increasing feature order, and
    /// reset them.
    #[inline]
    fn drain(&mut self, mut f: impl FnMut(u32, f32)) {
        for (j, summary) in self.words.iter_mut().enumerate() {
            let mut sw = std::mem::take(summary);
            while sw != 0 {
                let w = j * 64 + sw.trailing_zeros() as usize;
                sw &= sw - 1;
                let mut b = std::mem::take(&mut self.bits[w]);
                while b != 0 {
                    let i = w * 64 + b.trailing_zeros() as usize;
                    b &= b - 1;
                    f(i as u32, std::mem::take(&mut self.counts[i]));
                }
            }
        }
    }
}

/// Per-thread buffers of [`Featurizer::transform`], [`Featurizer::transform_document`] and
/// [`Featurizer::doc_row`]: the counts of the block being built and the blocks built so far.
#[derive(Debug, Default)]
struct Scratch {
    counts: Counts,
    blocks: SparseRow,
    /// [`Featurizer::visit_document`]'s neighbour counts of each paragraph, and where each
    /// paragraph's list ends in it.
    ctx: Vec<(u32, f32)>,
    ctx_at: Vec<usize>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
}

/// `1 + ln tf` for small counts, computed once (the same `f32` values as computing it each
/// time): most features occur a few times in a paragraph.
fn log_tf(tf: f32) -> f32 {
    static TABLE: std::sync::OnceLock<[f32; 64]> = std::sync::OnceLock::new();
    let t = TABLE.get_or_init(|| {
        let mut t = [0f32; 64];
        for (k, v) in t.iter_mut().enumerate().skip(1) {
            *v = 1.0 + (k as f32).ln();
        }
        t
    });
    let k = tf as usize;
    if k < 64 && k as f32 == tf {
        t[k]
    } else {
        1.0 + tf.ln()
    }
}

impl Featurizer {
    fn from_parts(params: FeaturizerParams, keys: Vec<u64>, idf: Vec<f32>) -> Self {
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
    fn bigram_feature(&self, a: u32, b: u32) -> Option<u32> {
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

    /// Sparse features of one paragraph.
    pub fn transform(&self, para: &ParaTokens<'_>) -> SparseRow {
        let p = &self.params;
        self.with_scratch(|s| {
            self.assemble(s, para.ids, para.index, para.count, |s| {
                self.count_context(para.prev, s);
                self.count_context(para.next, s);
                self.flush_block(s, p.context_weight);
            })
        })
    }

    /// The rows of every paragraph of a document ([`Featurizer::transform`] of each
    /// paragraph with its neighbours, the same rows), computed together by
    /// [`Featurizer::visit_document`].
    pub fn transform_document(&self, paras: &[Vec<u32>]) -> Vec<SparseRow> {
        let mut rows = Vec::with_capacity(paras.len());
        self.visit_document(paras, |_, row| {
            rows.push(merge_blocks(row.blocks, &row.bounds));
        });
        rows
    }

    /// Call `f(i, row)` with the row of each paragraph `i` of a document, in order, as its
    /// blocks (the row [`Featurizer::transform_document`] merges from them): each
    /// paragraph's tokens are counted for the neighbour block once, as a sorted list of
    /// (feature, count), and the neighbour block of paragraph `i` merges the lists of `i − 1`
    /// and `i + 1` (the counts `transform` would find, in the same increasing order).
    ///
    /// `f` runs while this thread's featurizer buffers are in use: it must not call back into
    /// a featurizer's `transform`, `transform_document`, `visit_document` or `doc_row`.
    pub fn visit_document(&self, paras: &[Vec<u32>], mut f: impl FnMut(usize, RowBlocks<'_>)) {
        let p = &self.params;
        let n = paras.len();
        let (u, _) = self.word_feature_bounds();
        self.with_scratch(|s| {
            // the neighbour counts of paragraph j: ctx[at[j]..at[j + 1]]
            let mut ctx = std::mem::take(&mut s.ctx);
            let mut at = std::mem::take(&mut s.ctx_at);
            ctx.clear();
            at.clear();
            at.push(0);
            if p.context_weight > 0.0 {
                for ids in paras {
                    self.count_context(ids, s);
                    s.counts.drain(|f, tf| ctx.push((f, tf)));
                    at.push(ctx.len());
                }
            }
            // (called only with a neighbour block, when the lists were made)
            let list = |j: usize| {
                if j < n {
                    &ctx[at[j]..at[j + 1]]
                } else {
                    &[][..]
                }
            };
            for (i, ids) in paras.iter().enumerate() {
                s.blocks.idx.clear();
                s.blocks.val.clear();
                let bounds = self.blocks(s, ids, i, n, |s| {
                    let (a, b) = (list(i.wrapping_sub(1)), list(i + 1));
                    self.merged_block(a, b, p.context_weight, &mut s.blocks);
                });
                let unigrams_end =
                    bounds[0] + s.blocks.idx[bounds[0]..bounds[1]].partition_point(|&f| f < u);
                f(
                    i,
                    RowBlocks {
                        blocks: &s.blocks,
                        bounds,
                        unigrams_end,
                    },
                );
            }
            s.ctx = ctx;
            s.ctx_at = at;
        })
    }

    /// The row of paragraph `index` of `count` with tokens `ids`: its word block, the
    /// neighbour block that `context` appends (called only when the featurizer has one),
    /// and the layout indicators; each block is sorted and their features are disjoint, so
    /// they are merged into one sorted row.
    fn assemble(
        &self,
        s: &mut Scratch,
        ids: &[u32],
        index: usize,
        count: usize,
        context: impl FnOnce(&mut Scratch),
    ) -> SparseRow {
        let bounds = self.blocks(s, ids, index, count, context);
        merge_blocks(&s.blocks, &bounds)
    }

    /// Append to `s.blocks` the blocks of paragraph `index` of `count` with tokens `ids`:
    /// its word block, the neighbour block that `context` appends (called only when the
    /// featurizer has one), and the layout indicators; returns the block bounds (see
    /// [`merge_blocks`]).
    fn blocks(
        &self,
        s: &mut Scratch,
        ids: &[u32],
        index: usize,
        count: usize,
        context: impl FnOnce(&mut Scratch),
    ) -> [usize; 4] {
        let start = s.blocks.idx.len();
        self.count_words(ids, s);
        self.flush_block(s, 1.0);
        let main_end = s.blocks.idx.len();
        if self.params.context_weight > 0.0 {
            context(s);
        }
        let ctx_end = s.blocks.idx.len();
        let w = self.params.layout_weight;
        if w > 0.0 {
            for c in layout_codes(index, count, ids.len()) {
                let i = self.layout_ix.get(c as usize).copied().unwrap_or(NONE);
                if i != NONE {
                    s.blocks.idx.push(i);
                    s.blocks.val.push(w);
                }
            }
        }
        [start, main_end, ctx_end, s.blocks.idx.len()]
    }

    /// Count the neighbour-block features of a paragraph's tokens.
    #[inline]
    fn count_context(&self, ids: &[u32], s: &mut Scratch) {
        for &id in ids {
            if let Some(i) = self.context(id) {
                s.counts.count(i);
            }
        }
    }

    /// Count the unigram and bigram features of a paragraph's tokens.
    #[inline]
    fn count_words(&self, ids: &[u32], s: &mut Scratch) {
        for &id in ids {
            if let Some(i) = self.unigram(id) {
                s.counts.count(i);
            }
        }
        if self.params.bigrams {
            for w in ids.windows(2) {
                if let Some(i) = self.bigram_feature(w[0], w[1]) {
                    s.counts.count(i);
                }
            }
        }
    }

    /// Append the block of the summed counts of two sorted (feature, count) lists to `row`,
    /// as [`Featurizer::flush_block`] builds it from the same counts.
    fn merged_block(&self, a: &[(u32, f32)], b: &[(u32, f32)], norm: f32, row: &mut SparseRow) {
        let start = row.idx.len();
        let mut push = |f: u32, tf: f32| {
            row.idx.push(f);
            row.val.push(log_tf(tf) * self.idf[f as usize]);
        };
        let (mut i, mut j) = (0, 0);
        while i < a.len() && j < b.len() {
            let (fa, fb) = (a[i].0, b[j].0);
            if fa < fb {
                push(fa, a[i].1);
                i += 1;
            } else if fb < fa {
                push(fb, b[j].1);
                j += 1;
            } else {
                push(fa, a[i].1 + b[j].1);
                i += 1;
                j += 1;
            }
        }
        for &(f, tf) in a[i..].iter().chain(&b[j..]) {
            push(f, tf);
        }
        normalize(&mut row.val[start..], norm);
    }

    #[inline]
    /// The unigram feature of token `id`, if it has one.
    pub fn unigram(&self, id: u32) -> Option<u32> {
        self.unigram_ix
            .get(id as usize)
            .copied()
            .filter(|&i| i != NONE)
    }

    #[inline]
    fn context(&self, id: u32) -> Option<u32> {
        self.context_ix
            .get(id as usize)
            .copied()
            .filter(|&i| i != NONE)
    }

    #[inline]
    fn doc(&self, id: u32) -> Option<u32> {
        self.doc_ix.get(id as usize).copied().filter(|&i| i != NONE)
    }

    /// The whole-document block of a document (empty when `doc_weight` is 0). Add it to each
    /// paragraph's row with [`merge_rows`] for training, or score it once per document.
    pub fn doc_row(&self, doc: &DocBlock<'_>) -> SparseRow {
        if self.params.doc_weight <= 0.0 {
            return SparseRow::default();
        }
        self.with_scratch(|s| {
            for &id in doc.paras.iter().flatten() {
                if let Some(i) = self.doc(id) {
                    s.counts.count(i);
                }
            }
            self.flush_block(s, self.params.doc_weight);
            s.blocks.clone()
        })
    }

    /// Run `f` with this thread's [`Scratch`], sized for this featurizer, with no blocks.
    fn with_scratch<R>(&self, f: impl FnOnce(&mut Scratch) -> R) -> R {
        SCRATCH.with(|cell| {
            let mut guard = cell.borrow_mut();
            let s = &mut *guard;
            s.counts.reserve(self.keys.len());
            s.blocks.idx.clear();
            s.blocks.val.clear();
            f(s)
        })
    }

    /// Turn the counted features of `s` into a block appended to `s.blocks`: `(1 + ln tf)·idf`
    /// in increasing feature order, scaled to L2 norm `norm`; the counts are reset.
    fn flush_block(&self, s: &mut Scratch, norm: f32) {
        let row = &mut s.blocks;
        let start = row.idx.len();
        s.counts.drain(|f, tf| {
            row.idx.push(f);
            row.val.push(log_tf(tf) * self.idf[f as usize]);
        });
        normalize(&mut row.val[start..], norm);
    }
}

/// Scale `vals` to L2 norm `norm` (left as they are when all are zero).
#[inline]
fn normalize(vals: &mut [f32], norm: f32) {
    let ss: f32 = vals.iter().map(|v| v * v).sum();
    if ss > 0.0 {
        let scale = norm / ss.sqrt();
        for v in vals {
            *v *= scale;
        }
    }
}

/// The sum of two sparse rows.
pub fn merge_rows(a: &SparseRow, b: &SparseRow) -> SparseRow {
    let mut out = SparseRow {
        idx: Vec::with_capacity(a.idx.len() + b.idx.len()),
        val: Vec::with_capacity(a.idx.len() + b.idx.len()),
    };
    let (mut i, mut j) = (0, 0);
    while i < a.idx.len() || j < b.idx.len() {
        let take_a = j >= b.idx.len() || (i < a.idx.len() && a.idx[i] <= b.idx[j]);
        let take_b = i >= a.idx.len() || (j < b.idx.len() && b.idx[j] <= a.idx[i]);
        let idx = if take_a { a.idx[i] } else { b.idx[j] };
        let mut v = 0.0;
        if take_a {
            v += a.val[i];
            i += 1;
        }
        if take_b {
            v += b.val[j];
            j += 1;
        }
        out.idx.push(idx);
        out.val.push(v);
    }
    out
}

/// Merge the sorted, disjoint blocks `bounds[k]..bounds[k + 1]` of `blocks` into one sorted
/// row (what sorting the concatenation would give).
fn merge_blocks(blocks: &SparseRow, bounds: &[usize; 4]) -> SparseRow {
    let n = blocks.idx.len();
    let mut row = SparseRow {
        idx: Vec::with_capacity(n),
        val: Vec::with_capacity(n),
    };
    // (next, end) of each non-empty block
    let mut heads = [(0usize, 0usize); 3];
    let mut live = 0;
    for w in bounds.windows(2) {
        if w[0] < w[1] {
            heads[live] = (w[0], w[1]);
            live += 1;
        }
    }
    while live > 0 {
        let mut best = 0;
        for h in 1..live {
            if blocks.idx[heads[h].0] < blocks.idx[heads[best].0] {
                best = h;
            }
        }
        // copy the run of the best block that stays below every other head
        let limit = (0..live)
            .filter(|&h| h != best)
            .map(|h| blocks.idx[heads[h].0])
            .min()
            .unwrap_or(u32::MAX);
        let (a, b) = heads[best];
        let mut e = a;
        while e < b && blocks.idx[e] < limit {
            e += 1;
        }
        row.idx.extend_from_slice(&blocks.idx[a..e]);
        row.val.extend_from_slice(&blocks.val[a..e]);
        if e == b {
            live -= 1;
            heads[best] = heads[live];
        } else {
            heads[best].0 = e;
        }
    }
    row
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn para(ids: &[u32]) -> ParaTokens<'_> {
        ParaTokens {
            ids,
            prev: &[],
            next: &[],
            index: 1,
            count: 3,
        }
    }

    #[test]
    fn vocabulary_respects_min_df_and_rows_are_unit_norm() {
        let a = [1u32, 2, 3];
        let b = [1u32, 2, 4];
        let params = FeaturizerParams::default()
            .context_weight(0.0)
            .layout_weight(0.0)
            .check()
            .unwrap();
        let f = params.fit(&[para(&a), para(&b)]);
        // 1, 2 and the bigram (1,2) occur twice; 3, 4 and other bigrams once
        assert_eq!(f.n_features(), 3);
        let row = f.transform(&para(&[1, 2, 2, 9]));
        assert!(row.idx.windows(2).all(|w| w[0] < w[1]));
        let norm: f32 = row.val.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert_relative_eq!(norm, 1.0, epsilon = 1e-6);
        // unknown token 9 contributes nothing; 2 occurs twice: weight 1 + ln 2 relative to 1
        let i1 = row
            .idx
            .iter()
            .position(|&i| f.kind(i) == FeatureKind::Unigram(1))
            .unwrap();
        let i2 = row
            .idx
            .iter()
            .position(|&i| f.kind(i) == FeatureKind::Unigram(2))
            .unwrap();
        assert_relative_eq!(row.val[i2] / row.val[i1], 1.0 + 2f32.ln(), epsilon = 1e-5);
    }

    /// The straightforward block: sort the occurrences, add up each feature's count, weight
    /// `(1 + ln tf)·idf`, scale to L2 norm `norm`, append to `row`.
    fn reference_block(f: &Featurizer, counts: &mut [(u32, f32)], norm: f32, row: &mut SparseRow) {
        if counts.is_empty() {
            return;
        }
        counts.sort_unstable_by_key(|c| c.0);
        let start = row.idx.len();
        let mut i = 0;
        while i < counts.len() {
            let feature = counts[i].0;
            let mut tf = 0.0;
            while i < counts.len() && counts[i].0 == feature {
                tf += counts[i].1;
                i += 1;
            }
            row.idx.push(feature);
            row.val.push((1.0 + f32::ln(tf)) * f.idf[feature as usize]);
        }
        let ss: f32 = row.val[start..].iter().map(|v| v * v).sum();
        if ss > 0.0 {
            let scale = norm / ss.sqrt();
            for v in &mut row.val[start..] {
                *v *= scale;
            }
        }
    }

    /// Feature of each key, as a hash map.
    fn key_index(f: &Featurizer) -> FxHashMap<u64, u32> {
        (f.keys.iter().enumerate())
            .map(|(i, &k)| (k, i as u32))
            .collect()
    }

    /// The straightforward document block (one hash lookup per token).
    fn reference_doc_row(f: &Featurizer, doc: &DocBlock<'_>) -> SparseRow {
        let ix = key_index(f);
        let mut row = SparseRow::default();
        if f.params.doc_weight > 0.0 {
            let mut counts: Vec<(u32, f32)> = doc
                .paras
                .iter()
                .flatten()
                .filter_map(|&id| ix.get(&(DOC | id as u64)))
                .map(|&i| (i, 1.0))
                .collect();
            reference_block(f, &mut counts, f.params.doc_weight, &mut row);
        }
        row
    }

    /// The straightforward transform (one hash lookup per key, one sort of the whole row): the
    /// optimised [`Featurizer::transform`] must give bit-identical rows.
    fn reference_transform(f: &Featurizer, para: &ParaTokens<'_>) -> SparseRow {
        let p = &f.params;
        let ix = key_index(f);
        let mut row = SparseRow::default();
        let mut counts: Vec<(u32, f32)> = Vec::new();
        for &id in para.ids {
            if let Some(&i) = ix.get(&(id as u64)) {
                counts.push((i, 1.0));
            }
        }
        if p.bigrams {
            for w in para.ids.windows(2) {
                if let Some(&i) = ix.get(&bigram(w[0], w[1])) {
                    counts.push((i, 1.0));
                }
            }
        }
        reference_block(f, &mut counts, 1.0, &mut row);
        if p.context_weight > 0.0 {
            let mut ctx: Vec<(u32, f32)> = para
                .prev
                .iter()
                .chain(para.next.iter())
                .filter_map(|&id| ix.get(&(CONTEXT | id as u64)))
                .map(|&i| (i, 1.0))
                .collect();
            reference_block(f, &mut ctx, p.context_weight, &mut row);
        }
        if p.layout_weight > 0.0 {
            for c in layout_codes(para.index, para.count, para.ids.len()) {
                if let Some(&i) = ix.get(&(LAYOUT | c)) {
                    row.idx.push(i);
                    row.val.push(p.layout_weight);
                }
            }
        }
        let mut pairs: Vec<(u32, f32)> = row
            .idx
            .iter()
            .copied()
            .zip(row.val.iter().copied())
            .collect();
        pairs.sort_unstable_by_key(|x| x.0);
        SparseRow {
            idx: pairs.iter().map(|x| x.0).collect(),
            val: pairs.iter().map(|x| x.1).collect(),
        }
    }

    #[test]
    fn optimised_transform_is_bit_identical_to_the_reference() {
        // pseudo-random documents over a small vocabulary, so features repeat
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = |m: u32| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % m as u64) as u32
        };
        let docs: Vec<Vec<Vec<u32>>> = (0..60)
            .map(|_| {
                (0..1 + next(8))
                    .map(|_| (0..next(40)).map(|_| next(50)).collect())
                    .collect()
            })
            .collect();
        fn pt(d: &[Vec<u32>], i: usize) -> ParaTokens<'_> {
            ParaTokens {
                ids: &d[i],
                prev: if i > 0 { &d[i - 1] } else { &[] },
                next: d.get(i + 1).map_or(&[][..], |v| v.as_slice()),
                index: i,
                count: d.len(),
            }
        }
        for params in [
            FeaturizerParams::default().min_df(2),
            FeaturizerParams::default().min_df(1).bigrams(false),
            FeaturizerParams::default().min_df(3).context_weight(0.0),
            FeaturizerParams::default()
                .min_df(1)
                .layout_weight(0.0)
                .max_features(40),
            FeaturizerParams::default().min_df(1).doc_weight(0.0),
        ] {
            let inputs: Vec<ParaTokens<'_>> = docs
                .iter()
                .flat_map(|d| (0..d.len()).map(move |i| pt(d, i)))
                .collect();
            let blocks: Vec<DocBlock<'_>> = docs
                .iter()
                .flat_map(|d| (0..d.len()).map(move |_| DocBlock { paras: d }))
                .collect();
            let f = params.check().unwrap().fit_with_docs(&inputs, &blocks);
            let bits = |r: &SparseRow| r.val.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
            for p in &inputs {
                let (a, b) = (f.transform(p), reference_transform(&f, p));
                assert_eq!(a.idx, b.idx);
                assert_eq!(bits(&a), bits(&b));
            }
            for d in &docs {
                let block = DocBlock { paras: d };
                let (a, b) = (f.doc_row(&block), reference_doc_row(&f, &block));
                assert_eq!(a.idx, b.idx);
                assert_eq!(bits(&a), bits(&b));
                // the whole document at once: the rows of its paragraphs one by one
                let rows = f.transform_document(d);
                assert_eq!(rows.len(), d.len());
                for (i, a) in rows.iter().enumerate() {
                    let b = reference_transform(&f, &pt(d, i));
                    assert_eq!(a.idx, b.idx);
                    assert_eq!(bits(a), bits(&b));
                }
                // the blocks visited in the merged row's order; the word block is its word
                // features
                let (u, bi) = f.word_feature_bounds();
                let mut visited = 0;
                f.visit_document(d, |i, blocks| {
                    let mut row = SparseRow::default();
                    blocks.for_each(|i, v| {
                        row.idx.push(i);
                        row.val.push(v);
                    });
                    assert_eq!(row.idx, rows[i].idx);
                    assert_eq!(bits(&row), bits(&rows[i]));
                    let (idx, val) = blocks.words();
                    let words: Vec<(u32, u32)> = (rows[i].idx.iter().zip(&rows[i].val))
                        .filter(|(&i, _)| i < u || i >= bi)
                        .map(|(&i, v)| (i, v.to_bits()))
                        .collect();
                    let got: Vec<(u32, u32)> = idx
                        .iter()
                        .zip(val)
                        .map(|(&i, v)| (i, v.to_bits()))
                        .collect();
                    assert_eq!(got, words);
                    visited += 1;
                });
                assert_eq!(visited, d.len());
            }
        }
    }

    #[test]
    fn context_and_layout_blocks() {
        let a = [1u32, 2];
        let ctx = [3u32];
        let p = ParaTokens {
            ids: &a,
            prev: &ctx,
            next: &[],
            index: 0,
            count: 2,
        };
        let f = FeaturizerParams::default()
            .min_df(1)
            .check()
            .unwrap()
            .fit(&[p]);
        let row = f.transform(&p);
        let kinds: Vec<_> = row.idx.iter().map(|&i| f.kind(i)).collect();
        assert!(kinds.contains(&FeatureKind::Context(3)));
        assert!(kinds.contains(&FeatureKind::Bigram(1, 2)));
        assert!(kinds.iter().any(|k| matches!(k, FeatureKind::Layout(_))));
    }

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
