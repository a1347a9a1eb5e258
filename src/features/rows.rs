//! Rows: a document's word features ([`WordRows`]), a paragraph's row as its blocks
//! ([`RowBlocks`]), and the merging of sorted rows.

use super::*;

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
    pub(super) blocks: &'a SparseRow,
    /// The word block is `bounds[0]..bounds[1]` (its unigrams up to `unigrams_end`, then its
    /// bigrams),
    /// the neighbour block `bounds[1]..bounds[2]`, the layout indicators `bounds[2]..bounds[3]`.
    pub(super) bounds: [usize; 4],
    pub(super) unigrams_end: usize,
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
pub(super) fn merge_blocks(blocks: &SparseRow, bounds: &[usize; 4]) -> SparseRow {
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
