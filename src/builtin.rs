//! The default model, built into the binary.
//!
//! `build.rs` embeds every file of `models/default` that its `manifest.json` names (model,
//! tokenizer, codebook and, for a format-3 model with embeddings, the embedding table), so
//! framelens works from any directory and after `cargo install`. [`load`] verifies them
//! against the manifest's checksums exactly as [`FramingModel::load`] verifies a folder.
//!
//! The rule the command line follows: `--model DIR` loads that folder; without it, the
//! built-in model is used, whatever the working directory. Built from a source checkout, the
//! built-in model *is* that checkout's `models/default` (cargo rebuilds when it changes), so
//! `--model models/default` and no `--model` give the same model hash and the same reports.

use std::path::Path;

use crate::error::{Error, Result};
use crate::model::{FramingModel, Manifest};

/// The bytes of the embedded model files.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Files {
    manifest: &'static [u8],
    model: &'static [u8],
    tokenizer: &'static [u8],
    codebook: Option<&'static [u8]>,
    table: Option<&'static [u8]>,
}

include!(concat!(env!("OUT_DIR"), "/builtin_model.rs"));

/// How the built-in model is named in `run.json`, errors and logs.
pub const NAME: &str = "(built-in) models/default";

/// Whether this binary carries a default model.
pub fn available() -> bool {
    FILES.is_some()
}

/// Load the built-in default model, verifying the checksums of its files.
///
/// # Errors
/// [`Error::Model`] when the binary was built without `models/default`, or (a corrupted
/// binary) a file does not match the manifest.
pub fn load() -> Result<(FramingModel, Manifest)> {
    let Some(f) = FILES else {
        return Err(Error::Model {
            path: NAME.into(),
            message: "this framelens was built without models/default: give a model folder \
                      with --model DIR"
                .into(),
        });
    };
    FramingModel::from_bytes_with_table(
        Path::new(NAME),
        f.manifest,
        f.model,
        f.tokenizer,
        f.codebook,
        f.table.map(<[u8]>::to_vec),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_model_is_models_default() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default");
        if !dir.is_dir() {
            return;
        }
        let (m, man) = load().unwrap();
        let (d, dman) = FramingModel::load(&dir).unwrap();
        assert_eq!(man.model_hash, dman.model_hash);
        assert_eq!(m.codebook().names(), d.codebook().names());
        assert_eq!(m.path(), Path::new(NAME));
        let paras = ["Border agents detained families at the crossing."];
        assert_eq!(
            m.score_document(&paras).unwrap().paragraphs,
            d.score_document(&paras).unwrap().paragraphs
        );
    }
}
