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
//!
//! Parts: `params` (the hyper-parameters, their check and the fit), `fitted` (the fitted
//! featurizer's lookup tables and feature kinds), `transform` (token ids → rows or their
//! blocks), `rows` ([`WordRows`], [`RowBlocks`] and row merging), `counts` (the per-thread
//! counting buffers).

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

const BIGRAM: u64 = 1 << 63;
const CONTEXT: u64 = 1 << 62;
const LAYOUT: u64 = 1 << 61;
const DOC: u64 = 1 << 60;

mod counts;
mod fitted;
mod params;
mod rows;
mod transform;

use counts::{log_tf, Scratch, SCRATCH};
pub use params::{FeaturizerParams, FeaturizerValidParams};
use rows::merge_blocks;
pub use rows::{merge_rows, RowBlocks, WordRows};

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
    /// The features of the bigram keys: an open-addressing table of (packed pair of token
    /// ids, feature), empty slots `(NO_PAIR, NONE)`, a power of two long.
    #[serde(skip)]
    bigram_slots: Vec<(u64, u32)>,
}

/// No feature, in the dense lookup tables.
const NONE: u32 = u32::MAX;

/// The feature at `[i]` of one of the dense lookup tables (unigram, context, document or
/// layout keys), if there is one.
#[inline]
fn dense_lookup(table: &[u32], i: usize) -> Option<u32> {
    table.get(i).copied().filter(|&f| f != NONE)
}
