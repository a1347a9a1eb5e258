//! Stage 3b, embeddings: token ids → pooled vectors of a static token-embedding table.
//!
//! Input: the token ids of a document's paragraphs. Output: three dense feature blocks per
//! paragraph ([`reference_blocks`], for training), or their contribution to the logits
//! ([`FoldedTable::doc_logits`], for scoring).
//!
//! The table (`embeddings.safetensors`, one `V × d` tensor named `embeddings`, f16 or f32) is a
//! model2vec-style distillation of a sentence encoder; its vocabulary is the one of the
//! `tokenizer.json` shipped beside it, which then is the model's tokenizer. Per paragraph:
//! - the pooled table vectors of the paragraph, times `para_weight`;
//! - of its neighbours (previous and next paragraph, pooled together), times `context_weight`;
//! - of the whole document (every paragraph), times `doc_weight`.
//!
//! Pooling is the sum of the token vectors divided by `n` ([`Pooling::Mean`]) or by `√n`
//! ([`Pooling::SqrtN`]); both are linear in the token vectors, so scoring never builds a
//! vector: the classifier's weights of each block are folded into a per-token table of logits
//! (`K[t] = w_block · Wᵀ v_t`) and a paragraph costs a few additions per token. The result is
//! the same as the dense computation up to float rounding (tested in `model.rs`).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// File name of the table in a model folder (and in a table folder).
pub const TABLE_FILE: &str = "embeddings.safetensors";
/// File name of the table's tokenizer in a table folder.
pub const TOKENIZER_FILE: &str = "tokenizer.json";
/// Name of the tensor in the safetensors file.
pub const TENSOR: &str = "embeddings";
/// Dense blocks per paragraph: paragraph, neighbours, document.
pub const BLOCKS: usize = 3;

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

/// The tensor of a table file ([`EmbeddingTable::from_safetensors`]), checked but not
/// decoded: rows are decoded as they are read, so that loading a model folds the table
/// without a decoded copy of it.
#[derive(Debug, Clone, Copy)]
pub struct TableView<'a> {
    rows: usize,
    dim: usize,
    raw: &'a [u8],
    f16: bool,
    path: &'a Path,
}

impl<'a> TableView<'a> {
    /// Check a safetensors file holding one 2-D f16 or f32 tensor named `embeddings` (all
    /// but the values' finiteness, which [`TableView::decode`] tells).
    ///
    /// # Errors
    /// [`Error::Model`] naming `path` when the bytes are not such a file.
    pub fn parse(bytes: &'a [u8], path: &'a Path) -> Result<Self> {
        let bad = |m: String| Error::Model {
            path: path.to_path_buf(),
            message: m,
        };
        let st = safetensors::SafeTensors::deserialize(bytes)
            .map_err(|e| bad(format!("not a safetensors file: {e}")))?;
        let t = st
            .tensor(TENSOR)
            .map_err(|e| bad(format!("no tensor {TENSOR:?}: {e}")))?;
        let &[rows, dim] = t.shape() else {
            return Err(bad(format!("tensor shape {:?}, expected 2-D", t.shape())));
        };
        if rows == 0 || dim == 0 {
            return Err(bad(format!("empty tensor {rows} × {dim}")));
        }
        let raw = t.data();
        let (f16, width) = match t.dtype() {
            safetensors::Dtype::F16 => (true, 2),
            safetensors::Dtype::F32 => (false, 4),
            d => return Err(bad(format!("dtype {d:?}, expected F16 or F32"))),
        };
        if raw.len() / width != rows * dim {
            return Err(bad("tensor data does not match its shape".into()));
        }
        Ok(TableView {
            rows,
            dim,
            raw,
            f16,
            path,
        })
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Decode row `t` into `out` (`dim` values); false when one of them is not finite.
    pub fn decode(&self, t: usize, out: &mut [f32]) -> bool {
        let mut finite = true;
        if self.f16 {
            let row = &self.raw[t * self.dim * 2..(t + 1) * self.dim * 2];
            for (o, b) in out.iter_mut().zip(row.chunks_exact(2)) {
                *o = half::f16::from_le_bytes([b[0], b[1]]).to_f32();
                finite &= o.is_finite();
            }
        } else {
            let row = &self.raw[t * self.dim * 4..(t + 1) * self.dim * 4];
            for (o, b) in out.iter_mut().zip(row.chunks_exact(4)) {
                *o = f32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                finite &= o.is_finite();
            }
        }
        finite
    }

    /// The error for a table holding a value that is not finite.
    fn non_finite(&self) -> Error {
        Error::Model {
            path: self.path.to_path_buf(),
            message: "the table holds non-finite values".into(),
        }
    }
}

/// A `V × d` token-embedding table, as f32 in memory.
#[derive(Debug, Clone, PartialEq)]
pub struct EmbeddingTable {
    rows: usize,
    dim: usize,
    data: Vec<f32>,
}

impl EmbeddingTable {
    /// Parse a safetensors file holding one 2-D f16 or f32 tensor named `embeddings`.
    ///
    /// # Errors
    /// [`Error::Model`] naming `path` when the bytes are not such a file.
    pub fn from_safetensors(bytes: &[u8], path: &Path) -> Result<Self> {
        let view = TableView::parse(bytes, path)?;
        let mut data = vec![0f32; view.rows * view.dim];
        let mut finite = true;
        for (t, row) in data.chunks_exact_mut(view.dim).enumerate() {
            finite &= view.decode(t, row);
        }
        if !finite {
            return Err(view.non_finite());
        }
        Ok(EmbeddingTable {
            rows: view.rows,
            dim: view.dim,
            data,
        })
    }

    /// A table keyed by another vocabulary: row `w` is the mean of the rows `pieces(w)` of
    /// this table (a zero row when the word has no piece in it).
    pub fn rekeyed(&self, words: usize, mut pieces: impl FnMut(u32) -> Vec<u32>) -> Self {
        let d = self.dim;
        let mut data = vec![0f32; words * d];
        for (w, row) in data.chunks_exact_mut(d).enumerate() {
            let n = self.add_sum(&pieces(w as u32), row);
            if n > 1 {
                let s = 1.0 / n as f32;
                row.iter_mut().for_each(|x| *x *= s);
            }
        }
        EmbeddingTable {
            rows: words,
            dim: d,
            data,
        }
    }

    /// The table as a safetensors file (one f16 tensor named `embeddings`); deterministic.
    ///
    /// # Errors
    /// [`Error::Model`] when safetensors cannot serialise it.
    pub fn to_safetensors_f16(&self) -> Result<Vec<u8>> {
        let bytes: Vec<u8> = self
            .data
            .iter()
            .flat_map(|&x| half::f16::from_f32(x).to_le_bytes())
            .collect();
        let view = safetensors::tensor::TensorView::new(
            safetensors::Dtype::F16,
            vec![self.rows, self.dim],
            &bytes,
        )
        .map_err(|e| Error::Model {
            path: PathBuf::from(TABLE_FILE),
            message: format!("cannot write the table: {e}"),
        })?;
        safetensors::serialize([(TENSOR, view)], None).map_err(|e| Error::Model {
            path: PathBuf::from(TABLE_FILE),
            message: format!("cannot write the table: {e}"),
        })
    }

    /// Number of token vectors.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// Vector dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The vector of token `id` (none outside the table).
    #[inline]
    pub fn vector(&self, id: u32) -> Option<&[f32]> {
        let i = id as usize;
        (i < self.rows).then(|| &self.data[i * self.dim..(i + 1) * self.dim])
    }

    /// The table with every row replaced by `(row − s.mean) ⊙ s.scale`.
    ///
    /// Pooling is linear, so pooling the standardised rows equals standardising the pooled
    /// vector (up to the pooling factor times the mean), and the folded scoring stays exact.
    pub fn standardized(&self, s: &Standardizer) -> EmbeddingTable {
        let mut data = vec![0f32; self.data.len()];
        for (out, row) in data
            .chunks_exact_mut(self.dim)
            .zip(self.data.chunks_exact(self.dim))
        {
            s.apply(row, out);
        }
        EmbeddingTable {
            rows: self.rows,
            dim: self.dim,
            data,
        }
    }

    /// Add the vectors of `ids` to `sum` (length `dim`); returns how many ids had a vector.
    pub fn add_sum(&self, ids: &[u32], sum: &mut [f32]) -> usize {
        let mut n = 0;
        for &id in ids {
            if let Some(v) = self.vector(id) {
                for (s, x) in sum.iter_mut().zip(v) {
                    *s += x;
                }
                n += 1;
            }
        }
        n
    }
}

/// Per-dimension centring and scaling of the table, fitted at training on the mean-pooled
/// vectors of the training paragraphs: each dimension gets mean 0 and variance `1 / d`, so a
/// pooled block has an L2 norm near 1 like the TF-IDF blocks, and the solver sees
/// well-conditioned columns (without it the common direction shared by every pooled vector
/// made 40 L-BFGS iterations fall far short: training-set macro-F1 0.82 instead of 1.0).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardizer {
    /// Subtracted from every row.
    pub mean: Vec<f32>,
    /// Then multiplied in, per dimension.
    pub scale: Vec<f32>,
}

impl Standardizer {
    /// `(v − mean) ⊙ scale`, written to `out` (both of the table's dimension).
    #[inline]
    pub fn apply(&self, v: &[f32], out: &mut [f32]) {
        out.copy_from_slice(v);
        self.apply_in_place(out);
    }

    /// `x ← (x − mean) ⊙ scale`.
    #[inline]
    pub fn apply_in_place(&self, x: &mut [f32]) {
        for ((o, m), k) in x.iter_mut().zip(&self.mean).zip(&self.scale) {
            *o = (*o - m) * k;
        }
    }

    /// Fit on the mean-pooled vectors of `paras` (token ids per paragraph); empty paragraphs
    /// are skipped.
    pub fn fit<'a>(table: &EmbeddingTable, paras: impl Iterator<Item = &'a [u32]>) -> Self {
        let d = table.dim();
        let mut n = 0f64;
        let mut sum = vec![0f64; d];
        let mut sq = vec![0f64; d];
        let mut v = vec![0f32; d];
        for ids in paras {
            v.iter_mut().for_each(|x| *x = 0.0);
            let k = table.add_sum(ids, &mut v);
            if k == 0 {
                continue;
            }
            for j in 0..d {
                let x = (v[j] / k as f32) as f64;
                sum[j] += x;
                sq[j] += x * x;
            }
            n += 1.0;
        }
        let n = n.max(1.0);
        let mean: Vec<f32> = sum.iter().map(|s| (s / n) as f32).collect();
        let scale = (0..d)
            .map(|j| {
                let var = (sq[j] / n - (sum[j] / n).powi(2)).max(0.0);
                (1.0 / (var.sqrt().max(1e-6) * (d as f64).sqrt())) as f32
            })
            .collect();
        Standardizer { mean, scale }
    }
}

/// The dense features of paragraph `i` of a document, computed the straightforward way: three
/// blocks of `dim` values (paragraph, neighbours, document), each the pooled token vectors times
/// its weight. Tokens without a vector are not counted.
pub fn reference_blocks(
    table: &EmbeddingTable,
    params: &EmbeddingParams,
    paras: &[Vec<u32>],
    i: usize,
) -> Vec<f32> {
    let d = table.dim();
    let mut out = vec![0f32; BLOCKS * d];
    let w = params.weights();
    let pool = |ids: &[&[u32]], block: usize, out: &mut [f32]| {
        let mut sum = vec![0f32; d];
        let n: usize = ids.iter().map(|x| table.add_sum(x, &mut sum)).sum();
        let s = params.pooling.scale(n) * w[block];
        for (o, x) in out[block * d..(block + 1) * d].iter_mut().zip(&sum) {
            *o = x * s;
        }
    };
    pool(&[&paras[i]], 0, &mut out);
    let empty: &[u32] = &[];
    let prev = if i > 0 { &paras[i - 1][..] } else { empty };
    let next = paras.get(i + 1).map_or(empty, |v| v.as_slice());
    pool(&[prev, next], 1, &mut out);
    let all: Vec<&[u32]> = paras.iter().map(|p| p.as_slice()).collect();
    pool(&all, 2, &mut out);
    out
}

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

/// Words of news prose that carry no frame although they are not function words.
const NEWS_STOPWORDS: &[&str] = &[
    "according",
    "added",
    "asked",
    "percent",
    "reported",
    "said",
    "say",
    "saying",
    "says",
    "told",
];

/// Whether a token can be shown as an explanation term: a content word of at least two
/// characters, made of letters (digits, `-` and `'` inside are fine, e.g. `h-1b`), not a
/// stopword ([`is_stopword`] and a few reporting verbs), not a bare number or
/// punctuation, not a word piece (`##…`) or special token.
pub fn is_content_word(w: &str) -> bool {
    let mut chars = w.chars();
    let (Some(first), Some(last)) = (chars.next(), w.chars().next_back()) else {
        return false;
    };
    w.chars().count() >= 2
        && first.is_alphanumeric()
        && last.is_alphanumeric()
        && w.chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '\'' || c == '\u{2019}')
        && w.chars().any(char::is_alphabetic)
        && !is_stopword(&w.to_lowercase())
        && !NEWS_STOPWORDS.contains(&w.to_lowercase().as_str())
}

/// A few hundred English function words, never reported as evidence terms.
pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.binary_search(&w).is_ok()
}

/// Sorted.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "even",
    "few",
    "for",
    "from",
    "further",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "last",
    "many",
    "may",
    "me",
    "might",
    "more",
    "most",
    "mr",
    "mrs",
    "ms",
    "much",
    "must",
    "my",
    "myself",
    "new",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "per",
    "s",
    "said",
    "same",
    "say",
    "says",
    "she",
    "should",
    "since",
    "so",
    "some",
    "such",
    "t",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "this",
    "those",
    "through",
    "to",
    "too",
    "two",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "year",
    "years",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
];

#[cfg(test)]
mod tests {
    use super::*;

    /// A safetensors file of `rows × dim` f16 values `f(r, j)`.
    pub(crate) fn table_bytes(rows: usize, dim: usize, f: impl Fn(usize, usize) -> f32) -> Vec<u8> {
        let mut data = Vec::with_capacity(rows * dim * 2);
        for r in 0..rows {
            for j in 0..dim {
                data.extend_from_slice(&half::f16::from_f32(f(r, j)).to_le_bytes());
            }
        }
        let view =
            safetensors::tensor::TensorView::new(safetensors::Dtype::F16, vec![rows, dim], &data)
                .unwrap();
        safetensors::serialize([(TENSOR, view)], None).unwrap()
    }

    #[test]
    fn stopwords_are_sorted() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
        assert!(is_stopword("the") && !is_stopword("border"));
    }

    #[test]
    fn table_loads_and_rejects_garbage() {
        let b = table_bytes(5, 4, |r, j| (r * 4 + j) as f32 / 8.0);
        let t = EmbeddingTable::from_safetensors(&b, Path::new("t")).unwrap();
        assert_eq!((t.rows(), t.dim()), (5, 4));
        assert_eq!(t.vector(1).unwrap(), &[0.5, 0.625, 0.75, 0.875]);
        assert!(t.vector(5).is_none());
        let e = EmbeddingTable::from_safetensors(&b[..b.len() - 3], Path::new("t")).unwrap_err();
        assert!(e.to_string().contains("safetensors"), "{e}");
    }

    #[test]
    fn rekeyed_rows_are_the_mean_of_their_pieces_and_survive_f16() {
        let b = table_bytes(5, 2, |r, j| (r * 2 + j) as f32);
        let t = EmbeddingTable::from_safetensors(&b, Path::new("t")).unwrap();
        let pieces = [vec![1u32, 3], vec![], vec![4], vec![0, 2, 99]];
        let w = t.rekeyed(pieces.len(), |i| pieces[i as usize].clone());
        assert_eq!(w.rows(), 4);
        assert_eq!(w.vector(0).unwrap(), &[4.0, 5.0]); // mean of [2, 3] and [6, 7]
        assert_eq!(w.vector(1).unwrap(), &[0.0, 0.0]); // no piece: a zero row
        assert_eq!(w.vector(2).unwrap(), &[8.0, 9.0]);
        assert_eq!(w.vector(3).unwrap(), &[2.0, 3.0]); // 99 is outside the table: not counted
        let back =
            EmbeddingTable::from_safetensors(&w.to_safetensors_f16().unwrap(), Path::new("w"))
                .unwrap();
        assert_eq!(back, w);
        assert_eq!(
            w.to_safetensors_f16().unwrap(),
            back.to_safetensors_f16().unwrap()
        );
    }

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
