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

mod folded;
mod params;
mod table;
mod words;

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

pub use folded::*;
pub use params::*;
pub use table::*;
pub use words::*;

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
}
