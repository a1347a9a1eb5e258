//! Training: [`TrainValidParams::fit`] on labeled paragraphs, tokenized as [`DocTokens`].

use super::*;

/// Token ids of every paragraph of a document, with helpers to build [`ParaTokens`].
pub struct DocTokens {
    /// Per paragraph ids.
    pub paras: Vec<Vec<u32>>,
}

impl DocTokens {
    /// The featurizer input of paragraph `i`.
    pub fn para(&self, i: usize) -> ParaTokens<'_> {
        let empty: &[u32] = &[];
        ParaTokens {
            ids: &self.paras[i],
            prev: if i > 0 { &self.paras[i - 1] } else { empty },
            next: self.paras.get(i + 1).map_or(empty, |v| v.as_slice()),
            index: i,
            count: self.paras.len(),
        }
    }
}

impl TrainValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &TrainParams {
        &self.0
    }

    /// Fit tokenizer, featurizer and classifier on the labeled paragraphs, whose labels index
    /// `codebook`; the model carries the codebook.
    ///
    /// # Errors
    /// [`Error::Fit`] when a label has no examples or linfa fails, or when the thresholds do
    /// not have one `present_share` per frame; tokenizer errors.
    pub fn fit(&self, data: &LabeledSet, codebook: &Codebook) -> Result<FramingModel> {
        let p = &self.0;
        let k = codebook.len();
        let counts = data.counts(k);
        for l in codebook.labels() {
            if counts[l.index()] == 0 {
                return Err(Error::Fit(format!(
                    "label {} has no examples in the training data (counts: {})",
                    codebook.name(l),
                    format_counts(&counts, codebook)
                )));
            }
        }
        let thresholds = p
            .thresholds
            .clone()
            .unwrap_or_else(|| Thresholds::from_codebook(codebook));
        if thresholds.present_share.len() != codebook.n_frames() {
            return Err(Error::Fit(format!(
                "thresholds give {} present_share values; the codebook has {} frames",
                thresholds.present_share.len(),
                codebook.n_frames()
            )));
        }
        let pieces = p
            .embeddings
            .as_ref()
            .is_some_and(|e| e.keys == embed::Keys::Pieces);
        let tokenizer = match &self.1 {
            Some(e) if pieces => e.tokenizer.clone(),
            _ => p.tokenizer.fit(data.docs.iter().flat_map(|d| {
                d.paragraphs
                    .iter()
                    .filter(|x| x.label.is_some())
                    .map(|x| x.text.as_str())
            }))?,
        };
        // the table of the model: the source table, or the source table keyed by the words
        let source = match &self.1 {
            Some(e) if !pieces => Some(Arc::new(e.rekeyed(&tokenizer)?)),
            other => other.clone(),
        };
        let doc_tokens: Vec<DocTokens> = data
            .docs
            .iter()
            .map(|d| {
                Ok(DocTokens {
                    paras: d
                        .paragraphs
                        .iter()
                        .map(|x| tokenizer.ids(&x.text))
                        .collect::<Result<_>>()?,
                })
            })
            .collect::<Result<_>>()?;
        let mut inputs = Vec::new();
        let mut blocks = Vec::new();
        let mut doc_of = Vec::new();
        let mut targets = Vec::new();
        for (n, (d, toks)) in data.docs.iter().zip(&doc_tokens).enumerate() {
            for (i, para) in d.paragraphs.iter().enumerate() {
                if let Some(l) = para.label {
                    let mut pt = toks.para(i);
                    pt.index = para.index;
                    pt.count = d.n_paragraphs.max(para.index + 1);
                    inputs.push(pt);
                    blocks.push(DocBlock { paras: &toks.paras });
                    doc_of.push(n);
                    targets.push(l.index());
                }
            }
        }
        let featurizer = p.features.clone().check()?.fit_with_docs(&inputs, &blocks);
        let doc_rows: Vec<SparseRow> = doc_tokens
            .iter()
            .map(|t| featurizer.doc_row(&DocBlock { paras: &t.paras }))
            .collect();
        let nf = featurizer.n_features();
        let standardizer = source
            .as_ref()
            .map(|e| embed::Standardizer::fit(&e.table, inputs.iter().map(|pt| pt.ids)));
        let std_table = match (&source, &standardizer) {
            (Some(e), Some(s)) => Some(e.table.standardized(s)),
            _ => None,
        };
        let dense = match (&std_table, &p.embeddings) {
            (Some(t), Some(ep)) => Some((t, ep)),
            _ => None,
        };
        let nd = dense.map_or(0, |(t, _)| embed::BLOCKS * t.dim());
        // Column-major: linfa's gradient multiplies the transpose of this matrix, and
        // matrixmultiply packs a column-major matrix's transpose from contiguous memory; the
        // fitted weights are the same, and 10,000 × 20,000 trains ~15% faster.
        let mut x = Array2::<f32>::zeros((inputs.len(), nf + nd).f());
        for (r, pt) in inputs.iter().enumerate() {
            let row = merge_rows(&featurizer.transform(pt), &doc_rows[doc_of[r]]);
            for (&i, &v) in row.idx.iter().zip(&row.val) {
                x[[r, i as usize]] = v;
            }
        }
        // the dense embedding blocks, after the sparse features
        if let Some((table, ep)) = dense {
            let mut r = 0;
            for (d, toks) in data.docs.iter().zip(&doc_tokens) {
                for (i, para) in d.paragraphs.iter().enumerate() {
                    if para.label.is_some() {
                        let v = embed::reference_blocks(table, ep, &toks.paras, i);
                        for (j, &v) in v.iter().enumerate() {
                            x[[r, nf + j]] = v;
                        }
                        r += 1;
                    }
                }
            }
        }
        let y = Array1::from(targets);
        let dataset = Dataset::new(x, y);
        let fitted: MultiFittedLogisticRegression<f32, usize> = MultiLogisticRegression::default()
            .alpha(p.alpha)
            .max_iterations(p.max_iterations)
            .fit(&dataset)
            .map_err(|e| Error::Fit(e.to_string()))?;
        let n = counts.iter().sum::<usize>() as f32;
        let mut adjust = vec![0f32; k];
        for (a, &c) in adjust.iter_mut().zip(&counts) {
            *a = -p.prior_correction * (c as f32 / n).ln();
        }
        let mean = adjust.iter().sum::<f32>() / k as f32;
        for a in &mut adjust {
            *a -= mean;
        }
        let tokenizer_json = tokenizer.to_json()?;
        let file = ModelFile {
            format_version: FORMAT_VERSION,
            labels: codebook.names().iter().map(|s| s.to_string()).collect(),
            tokenizer_sha256: sha256_hex(tokenizer_json.as_bytes()),
            train_params: p.clone(),
            training_counts: codebook
                .labels()
                .map(|l| (codebook.name(l).to_string(), counts[l.index()]))
                .collect(),
            training_documents: data.docs.len(),
            thresholds,
            intercept_adjust: adjust,
            featurizer,
            classifier: fitted,
            embeddings_sha256: source.as_ref().map(|e| e.sha256.clone()),
            embeddings_standardizer: standardizer,
        };
        let bytes = source.as_ref().map(|e| e.bytes.clone());
        FramingModel::from_parts(
            file,
            tokenizer,
            Arc::new(codebook.clone()),
            bytes,
            PathBuf::from("<memory>"),
        )
    }
}

fn format_counts(c: &[usize], cb: &Codebook) -> String {
    cb.labels()
        .map(|l| format!("{} {}", cb.name(l), c[l.index()]))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::tiny_set;

    #[test]
    fn missing_label_is_an_error() {
        let mut set = tiny_set();
        set.docs.retain(|d| d.id != "d4");
        let e = TrainParams::default()
            .check()
            .unwrap()
            .fit(&set, &Codebook::migration())
            .unwrap_err();
        assert!(e.to_string().contains("none has no examples"), "{e}");
    }
}
