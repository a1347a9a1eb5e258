use super::*;

/// The table folded with a classifier's weights: per token and block, the logits that block
/// adds (`k` labels each): block `b`'s weight times the classifier weights of that block
/// applied to the token's vector. Only the blocks with a non-zero weight are kept (the
/// default model uses the paragraph block alone): a block of weight 0 adds nothing.
#[derive(Debug, Clone)]
pub struct FoldedTable {
    /// `[rows][blocks.len()][labels]`, row-major, each row padded with zeros to `pstride`
    /// values (a multiple of eight, so that summing rows runs on whole vectors).
    k: Vec<f32>,
    /// The padded length of a row.
    pstride: usize,
    rows: usize,
    labels: usize,
    /// The kept blocks (0 paragraph, 1 neighbours, 2 document), ascending.
    blocks: Vec<usize>,
    pooling: Pooling,
}

impl FoldedTable {
    /// Fold `table` with the classifier rows `weights[(b * dim + j) * labels + c]` (the dense
    /// part of the row-major weight matrix, `[BLOCKS * dim][labels]`) and the block weights
    /// of `params`.
    pub fn new(
        table: &EmbeddingTable,
        params: &EmbeddingParams,
        weights: &[f32],
        labels: usize,
    ) -> Self {
        let row = |t: usize, x: &mut [f32]| {
            x.copy_from_slice(table.vector(t as u32).expect("in range"));
        };
        Self::fold(table.rows(), table.dim(), &row, params, weights, labels)
    }

    /// [`FoldedTable::new`] of `table.standardized(s)`, without building that table: each
    /// row is standardised as it is folded (the same values), rows in parallel.
    pub fn new_standardized(
        table: &EmbeddingTable,
        s: &Standardizer,
        params: &EmbeddingParams,
        weights: &[f32],
        labels: usize,
    ) -> Self {
        let row = |t: usize, x: &mut [f32]| {
            s.apply(table.vector(t as u32).expect("in range"), x);
        };
        Self::fold(table.rows(), table.dim(), &row, params, weights, labels)
    }

    /// [`FoldedTable::new_standardized`] of the table a [`TableView`] holds, decoding each
    /// row as it is folded (no decoded copy of the table; the same values).
    ///
    /// # Errors
    /// [`Error::Model`] naming the table file when it holds a value that is not finite.
    pub fn from_view_standardized(
        view: &TableView<'_>,
        s: &Standardizer,
        params: &EmbeddingParams,
        weights: &[f32],
        labels: usize,
    ) -> Result<Self> {
        let finite = std::sync::atomic::AtomicBool::new(true);
        let row = |t: usize, x: &mut [f32]| {
            if !view.decode(t, x) {
                finite.store(false, std::sync::atomic::Ordering::Relaxed);
            }
            s.apply_in_place(x);
        };
        let folded = Self::fold(view.rows(), view.dim(), &row, params, weights, labels);
        if !finite.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(view.non_finite());
        }
        Ok(folded)
    }

    // lanes index the side-by-side sums, which are columns of `xs` and `acc`
    #[allow(clippy::needless_range_loop)]
    fn fold(
        rows: usize,
        d: usize,
        row: &(dyn Fn(usize, &mut [f32]) + Sync),
        params: &EmbeddingParams,
        weights: &[f32],
        labels: usize,
    ) -> Self {
        use rayon::prelude::*;
        let bw = params.weights();
        let blocks: Vec<usize> = (0..BLOCKS).filter(|&b| bw[b] != 0.0).collect();
        let stride = blocks.len() * labels;
        let pstride = stride.div_ceil(8) * 8;
        let mut k = vec![0f32; rows * pstride];
        if stride > 0 {
            // Eight rows at a time, each sum in the order of a one-row loop (the same values,
            // tested): the eight rows' sums are independent, so they run side by side.
            const LANES: usize = 8;
            k.par_chunks_mut(pstride * 256)
                .enumerate()
                .for_each(|(c, part)| {
                    let first = c * 256;
                    let n = part.len() / pstride;
                    let mut x = vec![0f32; d];
                    let mut xs = vec![[0f32; LANES]; d];
                    let mut acc = vec![[0f32; LANES]; labels];
                    let mut r = 0;
                    while r < n {
                        // at the part's end, the lanes past its last row repeat that row and
                        // their sums are not written
                        let lanes = LANES.min(n - r);
                        for lane in 0..LANES {
                            row(first + r + lane.min(lanes - 1), &mut x);
                            for (j, xj) in x.iter().enumerate() {
                                xs[j][lane] = *xj;
                            }
                        }
                        for (bi, &b) in blocks.iter().enumerate() {
                            acc.iter_mut().for_each(|a| *a = [0.0; LANES]);
                            for (j, xj) in xs.iter().enumerate() {
                                let w = &weights[(b * d + j) * labels..(b * d + j + 1) * labels];
                                for (a, &wc) in acc.iter_mut().zip(w) {
                                    for lane in 0..LANES {
                                        a[lane] += xj[lane] * wc;
                                    }
                                }
                            }
                            for lane in 0..lanes {
                                let o = &mut part[(r + lane) * pstride + bi * labels..][..labels];
                                for (oc, a) in o.iter_mut().zip(&acc) {
                                    *oc = a[lane] * bw[b];
                                }
                            }
                        }
                        r += LANES;
                    }
                });
        }
        FoldedTable {
            k,
            pstride,
            rows,
            labels,
            blocks,
            pooling: params.pooling,
        }
    }

    /// The number of labels (logits per block).
    pub fn labels(&self) -> usize {
        self.labels
    }

    /// The kept blocks, ascending: [`FoldedTable::token`] holds one run of
    /// [`FoldedTable::labels`] logits per kept block, in this order.
    pub fn blocks(&self) -> &[usize] {
        &self.blocks
    }

    /// The number of token rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The per-token logits of token `t`, `[kept blocks][labels]` row-major (none outside
    /// the table).
    #[inline]
    pub fn token(&self, t: u32) -> Option<&[f32]> {
        let stride = self.blocks.len() * self.labels;
        let i = t as usize * self.pstride;
        ((t as usize) < self.rows).then(|| &self.k[i..i + stride])
    }

    /// The pooling factor for `n` tokens.
    pub fn scale(&self, n: usize) -> f32 {
        self.pooling.scale(n)
    }

    /// The logits the three blocks add to each paragraph of a document: flat, paragraph
    /// `i`'s at `[i * labels()..][..labels()]`.
    ///
    /// One pass over the tokens sums each paragraph's per-token logits of the kept blocks;
    /// the neighbour block of paragraph `i` reuses the sums of `i − 1` and `i + 1`, and the
    /// document block is the sum over paragraphs, computed once.
    pub fn doc_logits(&self, paras: &[Vec<u32>]) -> Vec<f32> {
        let l = self.labels;
        let stride = self.blocks.len() * l;
        // offset of a block's logits in a token row (none when the block is not kept)
        let at = |b: usize| self.blocks.iter().position(|&x| x == b).map(|p| p * l);
        let (own_at, ctx_at, doc_at) = (at(0), at(1), at(2));
        let mut sums = vec![0f32; paras.len() * stride];
        let mut counts = Vec::with_capacity(paras.len());
        for (i, ids) in paras.iter().enumerate() {
            let s = &mut sums[i * stride..(i + 1) * stride];
            let n = self.sum_rows(ids, s);
            counts.push(n);
        }
        let row = |i: usize, o: usize| &sums[i * stride + o..i * stride + o + l];
        let mut doc = vec![0f32; l];
        if let Some(o) = doc_at {
            for i in 0..paras.len() {
                for (x, y) in doc.iter_mut().zip(row(i, o)) {
                    *x += y;
                }
            }
        }
        let ds = self.scale(counts.iter().sum());
        let mut out = vec![0f32; paras.len() * l];
        let mut ctx = vec![0f32; l];
        for (i, z) in out.chunks_exact_mut(l.max(1)).enumerate().take(paras.len()) {
            if let Some(o) = own_at {
                let ps = self.scale(counts[i]);
                for (x, y) in z.iter_mut().zip(row(i, o)) {
                    *x += y * ps;
                }
            }
            if let Some(o) = ctx_at {
                ctx.iter_mut().for_each(|x| *x = 0.0);
                let mut cn = 0;
                for j in [i.wrapping_sub(1), i + 1] {
                    if j < paras.len() {
                        for (x, y) in ctx.iter_mut().zip(row(j, o)) {
                            *x += y;
                        }
                        cn += counts[j];
                    }
                }
                let cs = self.scale(cn);
                for (x, y) in z.iter_mut().zip(&ctx) {
                    *x += y * cs;
                }
            }
            if doc_at.is_some() {
                for (x, y) in z.iter_mut().zip(&doc) {
                    *x += y * ds;
                }
            }
        }
        out
    }

    /// Sum the rows of the tokens `ids` that are in the table into `s` (the first
    /// `s.len()` values of each row, each value summed in token order, as a plain loop would)
    /// and count those tokens. The padded rows are added eight values at a time, as whole
    /// arrays: one pass over the tokens per eight values (one pass for the default model).
    #[inline]
    fn sum_rows(&self, ids: &[u32], s: &mut [f32]) -> usize {
        let in_table = |t: &&u32| (**t as usize) < self.rows;
        let mut n = 0;
        for (g, out) in s.chunks_mut(8).enumerate() {
            let mut acc = [0f32; 8];
            n = 0;
            for &t in ids.iter().filter(in_table) {
                let k = t as usize * self.pstride + g * 8;
                let r: &[f32; 8] = self.k[k..k + 8].try_into().expect("a whole padded row");
                for (a, y) in acc.iter_mut().zip(r) {
                    *a += y;
                }
                n += 1;
            }
            out.copy_from_slice(&acc[..out.len()]);
        }
        if s.is_empty() {
            n = ids.iter().filter(in_table).count();
        }
        n
    }

    /// Per paragraph, the factor each kept block ([`FoldedTable::blocks`], in that order)
    /// applies to one of its tokens' logits in the sum of the document's paragraph logits:
    /// the paragraph's own pooling factor, the neighbour factors of the paragraphs before and
    /// after it, and the document factor times the number of paragraphs; flat, paragraph `i`'s
    /// factors at `[i * blocks().len()..][..blocks().len()]`.
    /// `Σ_b coef[i][b] · k[t][b]` summed over a document's tokens is the sum of
    /// [`FoldedTable::doc_logits`].
    pub fn token_coefficients(&self, paras: &[Vec<u32>]) -> Vec<f32> {
        let n: Vec<usize> = paras
            .iter()
            .map(|p| p.iter().filter(|&&t| (t as usize) < self.rows).count())
            .collect();
        let ctx_n = |j: usize| {
            let before = if j > 0 { n[j - 1] } else { 0 };
            before + n.get(j + 1).copied().unwrap_or(0)
        };
        let ds = self.scale(n.iter().sum()) * paras.len() as f32;
        let mut out = Vec::with_capacity(paras.len() * self.blocks.len());
        for (i, &ni) in n.iter().enumerate() {
            out.extend(self.blocks.iter().map(|&b| {
                match b {
                    0 => self.scale(ni),
                    1 => [i.wrapping_sub(1), i + 1]
                        .into_iter()
                        .filter(|&j| j < paras.len())
                        .map(|j| self.scale(ctx_n(j)))
                        .sum(),
                    _ => ds,
                }
            }));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::tests::table_bytes;

    #[test]
    fn folded_logits_equal_weights_times_reference_blocks() {
        let (rows, dim) = (7, 3);
        let b = table_bytes(rows, dim, |r, j| ((r * 7 + j * 3) % 5) as f32 - 2.0);
        let t = EmbeddingTable::from_safetensors(&b, Path::new("t")).unwrap();
        let w: Vec<[f32; 5]> = (0..BLOCKS * dim)
            .map(|i| [0, 1, 2, 3, 4].map(|c| ((i * 5 + c) % 7) as f32 / 7.0 - 0.4))
            .collect();
        let paras = vec![vec![1u32, 2, 2], vec![], vec![3, 6, 0, 99], vec![5]];
        for pooling in [Pooling::Mean, Pooling::SqrtN] {
            let p = EmbeddingParams {
                pooling,
                para_weight: 0.5,
                context_weight: 2.0,
                doc_weight: 1.5,
                ..Default::default()
            };
            let flat: Vec<f32> = w.iter().flatten().copied().collect();
            let folded = FoldedTable::new(&t, &p, &flat, 5).doc_logits(&paras);
            assert_eq!(folded.len(), paras.len() * 5);
            for (i, z) in folded.chunks_exact(5).enumerate() {
                let x = reference_blocks(&t, &p, &paras, i);
                for c in 0..5 {
                    let r: f32 = x.iter().zip(&w).map(|(x, w)| x * w[c]).sum();
                    approx::assert_relative_eq!(z[c], r, epsilon = 1e-4, max_relative = 1e-4);
                }
            }
        }
    }

    #[test]
    fn folding_while_standardising_gives_the_same_table() {
        // more rows than one parallel part (256), and a last part that is no multiple of the
        // eight rows folded side by side
        let (rows, dim) = (603, 4);
        let bytes = table_bytes(rows, dim, |r, j| ((r * 13 + j * 5) % 11) as f32 / 3.0 - 1.5);
        let t = EmbeddingTable::from_safetensors(&bytes, Path::new("t")).unwrap();
        let s = Standardizer {
            mean: vec![0.1, -0.2, 0.3, 0.05],
            scale: vec![1.5, 0.7, 2.0, 1.1],
        };
        let flat: Vec<f32> = (0..BLOCKS * dim * 5)
            .map(|i| (i % 9) as f32 / 9.0 - 0.45)
            .collect();
        let p = EmbeddingParams {
            para_weight: 1.0,
            context_weight: 0.5,
            doc_weight: 0.0,
            ..Default::default()
        };
        let a = FoldedTable::new(&t.standardized(&s), &p, &flat, 5);
        let b = FoldedTable::new_standardized(&t, &s, &p, &flat, 5);
        let view = TableView::parse(&bytes, Path::new("t")).unwrap();
        let c = FoldedTable::from_view_standardized(&view, &s, &p, &flat, 5).unwrap();
        assert_eq!(a.blocks, [0, 1]);
        assert_eq!(a.blocks, b.blocks);
        // rows of 2 blocks × 5 labels, padded to 16 values
        assert_eq!(a.pstride, 16);
        assert_eq!(a.k.len(), rows * 16);
        // the straightforward fold, one row and one sum at a time
        let st = t.standardized(&s);
        let bw = p.weights();
        let mut want = Vec::new();
        for r in 0..rows {
            let x = st.vector(r as u32).unwrap();
            for &blk in &a.blocks {
                for c in 0..5 {
                    let mut z = 0f32;
                    for (j, xj) in x.iter().enumerate() {
                        z += xj * flat[(blk * dim + j) * 5 + c];
                    }
                    want.push(z * bw[blk]);
                }
            }
        }
        for k in [&a, &b, &c] {
            let got: Vec<f32> = (0..rows as u32)
                .flat_map(|t| k.token(t).unwrap().to_vec())
                .collect();
            assert_eq!(got.len(), want.len());
            assert!(got
                .iter()
                .zip(&want)
                .all(|(x, y)| x.to_bits() == y.to_bits()));
            // the padding is zero
            assert!(k
                .k
                .chunks_exact(16)
                .all(|r| r[10..].iter().all(|&x| x == 0.0)));
        }
    }

    #[test]
    fn a_table_with_a_non_finite_value_is_refused_when_folded() {
        let bytes = table_bytes(20, 3, |r, j| if r == 13 && j == 1 { f32::NAN } else { 0.5 });
        assert!(EmbeddingTable::from_safetensors(&bytes, Path::new("t"))
            .unwrap_err()
            .to_string()
            .contains("non-finite"));
        let view = TableView::parse(&bytes, Path::new("t")).unwrap();
        let s = Standardizer {
            mean: vec![0.0; 3],
            scale: vec![1.0; 3],
        };
        let w = vec![0.1f32; BLOCKS * 3 * 5];
        let e = FoldedTable::from_view_standardized(&view, &s, &EmbeddingParams::default(), &w, 5)
            .unwrap_err();
        assert!(e.to_string().contains("non-finite"), "{e}");
    }
}
