//! Scoring: [`FramingModel::score_document`] → [`DocScores`], and the document [`aggregate`].

use super::*;

/// The per-paragraph and per-document output of the model for one document.
#[derive(Debug, Clone, PartialEq)]
pub struct DocScores {
    /// Label probabilities per paragraph, codebook column order.
    pub paragraphs: Vec<Vec<f32>>,
    /// Length weight (token count, at least 1) per paragraph.
    pub weights: Vec<f32>,
    /// The word features (unigram and bigram entries of the sparse row) per paragraph, kept
    /// for explanations; the neighbour, layout and document blocks are not kept.
    pub rows: WordRows,
    /// Token ids per paragraph (for explanations, and the narratives read words from them).
    pub tokens: Vec<Vec<u32>>,
    /// The document aggregates.
    pub aggregate: Aggregate,
}

/// Document-level aggregates of paragraph probabilities.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
    /// Share of each frame ([`Codebook::frames`] order) in the framed text (sums to 1 when
    /// framed mass > 0).
    pub shares: Vec<f64>,
    /// 1 − length-weighted mean probability of the none label (1 without one).
    pub framed_fraction: f64,
    /// The dominant frame, or `None`.
    pub dominant: Option<Label>,
    /// Frames present, in label order.
    pub present: Vec<Label>,
}

/// Aggregate paragraph probabilities into document shares and decisions.
///
/// `probs[i]` are paragraph `i`'s label probabilities (codebook column order) and `weights[i]`
/// its length.
pub fn aggregate(probs: &[Vec<f32>], weights: &[f32], t: &Thresholds, cb: &Codebook) -> Aggregate {
    let frames = cb.frames();
    let total: f64 = weights.iter().map(|&w| w as f64).sum();
    let mut mass = vec![0f64; frames.len()];
    let mut none = 0f64;
    for (p, &w) in probs.iter().zip(weights) {
        for (m, f) in mass.iter_mut().zip(frames) {
            *m += w as f64 * p[f.index()] as f64;
        }
        if let Some(n) = cb.none() {
            none += w as f64 * p[n.index()] as f64;
        }
    }
    let framed_mass: f64 = mass.iter().sum();
    let framed_fraction = if total > 0.0 {
        (1.0 - none / total).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let shares: Vec<f64> = if framed_mass > 0.0 {
        mass.iter().map(|m| m / framed_mass).collect()
    } else {
        vec![0.0; frames.len()]
    };
    let mut best = 0;
    for i in 1..shares.len() {
        if shares[i] > shares[best] {
            best = i;
        }
    }
    let dominant = (framed_mass > 0.0 && framed_fraction >= t.framed_min).then(|| frames[best]);
    let present = frames
        .iter()
        .enumerate()
        .filter(|&(i, _)| {
            framed_mass > 0.0
                && shares[i] >= t.present_share[i]
                && shares[i] * framed_fraction >= t.present_mass
        })
        .map(|(_, &l)| l)
        .collect();
    Aggregate {
        shares,
        framed_fraction,
        dominant,
        present,
    }
}

impl FramingModel {
    /// Label probabilities of one sparse row.
    pub fn predict_row(&self, row: &SparseRow) -> Vec<f32> {
        softmax(self.logits(row, self.bias.clone()))
    }

    /// `start` + row · weights (no bias added: pass the bias in `start`).
    fn logits(&self, row: &SparseRow, start: Vec<f32>) -> Vec<f32> {
        let mut z = start;
        for (&i, &v) in row.idx.iter().zip(&row.val) {
            self.add_feature(&mut z, i, v);
        }
        z
    }

    /// `z += v · weights of feature i`.
    #[inline]
    fn add_feature(&self, z: &mut [f32], i: u32, v: f32) {
        let w = self.weight(i);
        for (zc, &wc) in z.iter_mut().zip(w) {
            *zc += v * wc;
        }
    }

    /// `z += row · weights` for a model of `N` labels (`z.len() == N`): the sums of
    /// [`FramingModel::add_feature`] in the same order, with the logits kept in registers.
    #[inline]
    fn add_row<const N: usize>(&self, z: &mut [f32], blocks: &RowBlocks<'_>) {
        let mut a = [0f32; N];
        a.copy_from_slice(z);
        blocks.for_each(|f, v| {
            let w = &self.weight(f)[..N];
            for c in 0..N {
                a[c] += v * w[c];
            }
        });
        z.copy_from_slice(&a);
    }

    /// Score every paragraph of a document and aggregate.
    ///
    /// Each paragraph's logits are summed straight from its feature blocks
    /// ([`Featurizer::visit_document`]), in the order of the merged row, so they are the
    /// logits of [`Featurizer::transform_document`]'s rows to the bit; only the word features
    /// are kept ([`DocScores::rows`]).
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if tokenization fails.
    pub fn score_document(&self, paragraphs: &[&str]) -> Result<DocScores> {
        let toks = DocTokens {
            paras: paragraphs
                .iter()
                .map(|p| self.tokenizer.ids(p))
                .collect::<Result<_>>()?,
        };
        let n = toks.paras.len();
        let mut probs = Vec::with_capacity(n);
        let mut rows = WordRows::with_capacity(n);
        // the document block adds the same logits to every paragraph: compute them once
        let featurizer = &self.file.featurizer;
        let doc_row = featurizer.doc_row(&DocBlock { paras: &toks.paras });
        let doc_logits = self.logits(&doc_row, self.bias.clone());
        let dense = self.embed.as_ref().map(|(_, k)| k.doc_logits(&toks.paras));
        let l = doc_logits.len();
        featurizer.visit_document(&toks.paras, |i, blocks| {
            let mut z = doc_logits.clone();
            if let Some(d) = &dense {
                for (z, x) in z.iter_mut().zip(&d[i * l..(i + 1) * l]) {
                    *z += x;
                }
            }
            match l {
                2 => self.add_row::<2>(&mut z, &blocks),
                3 => self.add_row::<3>(&mut z, &blocks),
                4 => self.add_row::<4>(&mut z, &blocks),
                5 => self.add_row::<5>(&mut z, &blocks),
                6 => self.add_row::<6>(&mut z, &blocks),
                _ => blocks.for_each(|f, v| self.add_feature(&mut z, f, v)),
            }
            probs.push(softmax(z));
            let (idx, val) = blocks.words();
            rows.push(idx, val);
        });
        let weights: Vec<f32> = toks.paras.iter().map(|t| t.len().max(1) as f32).collect();
        let aggregate = aggregate(&probs, &weights, &self.file.thresholds, &self.codebook);
        Ok(DocScores {
            paragraphs: probs,
            weights,
            rows,
            tokens: toks.paras,
            aggregate,
        })
    }
}

pub(super) fn softmax(z: Vec<f32>) -> Vec<f32> {
    let m = z.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
    let mut e: Vec<f32> = z.into_iter().map(|x| (x - m).exp()).collect();
    let s: f32 = e.iter().sum();
    for x in &mut e {
        *x /= s;
    }
    e
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn aggregate_shares_and_decisions() {
        let cb = Codebook::migration();
        let t = Thresholds::from_codebook(&cb);
        let probs = [
            vec![0.8, 0.0, 0.0, 0.0, 0.2],
            vec![0.0, 0.0, 0.0, 0.0, 1.0],
            vec![0.0, 0.5, 0.0, 0.0, 0.5],
        ];
        let a = aggregate(&probs, &[1.0, 1.0, 2.0], &t, &cb);
        // framed mass: hum 0.8, eco 1.0 → shares 0.444.., 0.555..
        assert_relative_eq!(a.shares[0], 0.8 / 1.8, epsilon = 1e-6);
        assert_relative_eq!(a.shares.iter().sum::<f64>(), 1.0, epsilon = 1e-9);
        assert_relative_eq!(a.framed_fraction, 1.8 / 4.0, epsilon = 1e-6);
        assert_eq!(a.dominant, Some(Label(1)));
        assert_eq!(a.present, vec![Label(0), Label(1)]);
        let none = aggregate(&[vec![0.0, 0.0, 0.0, 0.05, 0.95]], &[1.0], &t, &cb);
        assert_eq!(none.dominant, None);
        assert!(none.present.is_empty());
        let empty = aggregate(&[], &[], &t, &cb);
        assert_eq!(empty.shares, [0.0; 4]);
        // a codebook without a none label: everything is framed
        let three = Codebook::from_names("t", &["a".into(), "b".into(), "c".into()], None).unwrap();
        let t3 = Thresholds::from_codebook(&three);
        let a = aggregate(&[vec![0.2, 0.7, 0.1]], &[1.0], &t3, &three);
        assert_eq!(a.framed_fraction, 1.0);
        assert_eq!(a.dominant, Some(Label(1)));
        assert_eq!(a.present, vec![Label(0), Label(1)]);
    }
}
