//! The transforms: token ids → sparse rows (or their blocks).

use super::*;

impl Featurizer {
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
                if let Some(i) = dense_lookup(&self.layout_ix, c as usize) {
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
        // without branches on the comparison (which list is ahead is not predictable): the
        // smaller feature, with the count of each list that holds it
        while i < a.len() && j < b.len() {
            let ((fa, ta), (fb, tb)) = (a[i], b[j]);
            let (take_a, take_b) = (fa <= fb, fb <= fa);
            let tf = if take_a { ta } else { 0.0 } + if take_b { tb } else { 0.0 };
            push(fa.min(fb), tf);
            i += take_a as usize;
            j += take_b as usize;
        }
        for &(f, tf) in a[i..].iter().chain(&b[j..]) {
            push(f, tf);
        }
        normalize(&mut row.val[start..], norm);
    }

    #[inline]
    /// The unigram feature of token `id`, if it has one.
    pub fn unigram(&self, id: u32) -> Option<u32> {
        dense_lookup(&self.unigram_ix, id as usize)
    }

    #[inline]
    fn context(&self, id: u32) -> Option<u32> {
        dense_lookup(&self.context_ix, id as usize)
    }

    #[inline]
    fn doc(&self, id: u32) -> Option<u32> {
        dense_lookup(&self.doc_ix, id as usize)
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
}
