//! Stage 2, tokenization: paragraph text → token ids, with a Hugging Face `tokenizers` pipeline.
//!
//! Input: `&str` (one paragraph). Output: `Vec<u32>` token ids ([`DocTokenizer::ids`]).
//!
//! The pipeline is a `tokenizers::Tokenizer` (NFD → strip accents → lowercase normalizer, BERT
//! pre-tokenizer splitting on whitespace and punctuation, word-level model) trained on the
//! training text by [`TokenizerParams::fit`] and saved as `tokenizer.json`.
//!
//! Speed: the `tokenizers` encoder does much work per call that this job does not need
//! (offsets, alignment, added-token scanning). Because the pre-tokenizer splits on whitespace and
//! punctuation, every ASCII whitespace or ASCII punctuation character is a word boundary, so
//! [`DocTokenizer::ids`] cuts the text at those boundaries itself and asks the Hugging Face
//! tokenizer once per *distinct* chunk, remembering the answer in a per-thread cache.
//! The ids are identical to `Tokenizer::encode` on the whole paragraph (tested below and
//! on the corpus in the integration tests); only repeated work is skipped.

use std::cell::RefCell;
use std::path::Path;

use rustc_hash::FxHashMap;
use thread_local::ThreadLocal;
use tokenizers::models::wordlevel::{WordLevel, WordLevelTrainer};
use tokenizers::normalizers::{Lowercase, Sequence, StripAccents, NFD};
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{AddedToken, Tokenizer, TokenizerBuilder};

use crate::error::{Error, Result};

/// The unknown-word token.
pub const UNK: &str = "[UNK]";

/// Cached chunks per thread before the cache is cleared (bounds memory on endless input).
const CACHE_LIMIT: usize = 1 << 19;

/// Parameters for training the tokenizer.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `vocab_size` | 30 000 | words kept, most frequent first | ≥ 2 |
/// | `min_frequency` | 2 | a word must occur this often to be kept | ≥ 1 |
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TokenizerParams {
    /// Maximum vocabulary size, including `[UNK]`.
    pub vocab_size: usize,
    /// Minimum corpus frequency of a kept word.
    pub min_frequency: u64,
}

impl Default for TokenizerParams {
    fn default() -> Self {
        TokenizerParams {
            vocab_size: 30_000,
            min_frequency: 2,
        }
    }
}

impl TokenizerParams {
    /// Train a tokenizer on the given texts.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for out-of-range parameters, [`Error::Tokenizer`] if training fails.
    pub fn fit<'a, I>(&self, texts: I) -> Result<DocTokenizer>
    where
        I: Iterator<Item = &'a str> + Send,
    {
        if self.vocab_size < 2 {
            return Err(Error::InvalidParam {
                name: "vocab_size",
                value: self.vocab_size.to_string(),
                reason: "must be at least 2",
            });
        }
        if self.min_frequency < 1 {
            return Err(Error::InvalidParam {
                name: "min_frequency",
                value: self.min_frequency.to_string(),
                reason: "must be at least 1",
            });
        }
        let tok_err = |source| Error::Tokenizer {
            path: "<training>".into(),
            source,
        };
        let mut trainer = WordLevelTrainer::builder()
            .vocab_size(self.vocab_size)
            .min_frequency(self.min_frequency)
            .show_progress(false)
            .special_tokens(vec![AddedToken::from(UNK, true)])
            .build()
            .map_err(|e| tok_err(Box::new(e)))?;
        let model = WordLevel::builder()
            .unk_token(UNK.to_string())
            .build()
            .map_err(tok_err)?;
        let mut tk = TokenizerBuilder::new()
            .with_model(model)
            .with_normalizer(Some(Sequence::new(vec![
                NFD.into(),
                StripAccents.into(),
                Lowercase.into(),
            ])))
            .with_pre_tokenizer(Some(BertPreTokenizer))
            .with_post_processor(None::<tokenizers::processors::PostProcessorWrapper>)
            .with_decoder(None::<tokenizers::decoders::DecoderWrapper>)
            .build()
            .map_err(tok_err)?;
        tk.train(&mut trainer, texts).map_err(tok_err)?;
        Ok(DocTokenizer::new(Tokenizer::from(tk)))
    }
}

/// Token ids of each distinct chunk seen by one thread.
type ChunkCache = FxHashMap<Box<str>, Box<[u32]>>;

/// A Hugging Face tokenizer with a fast, exact per-chunk cache.
pub struct DocTokenizer {
    inner: Tokenizer,
    cache: ThreadLocal<RefCell<ChunkCache>>,
}

impl std::fmt::Debug for DocTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocTokenizer")
            .field("vocab_size", &self.vocab_size())
            .finish()
    }
}

impl Clone for DocTokenizer {
    fn clone(&self) -> Self {
        DocTokenizer::new(self.inner.clone())
    }
}

impl DocTokenizer {
    /// Wrap a loaded tokenizer.
    pub fn new(inner: Tokenizer) -> Self {
        DocTokenizer {
            inner,
            cache: ThreadLocal::new(),
        }
    }

    /// Load `tokenizer.json`.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] naming the file when it is missing or invalid.
    pub fn from_file(path: &Path) -> Result<Self> {
        let inner = Tokenizer::from_file(path).map_err(|source| Error::Tokenizer {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(DocTokenizer::new(inner))
    }

    /// Parse a tokenizer from its JSON text.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] when the JSON is not a valid tokenizer.
    pub fn from_json(json: &str, path: &Path) -> Result<Self> {
        let inner: Tokenizer = json.parse().map_err(|source| Error::Tokenizer {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(DocTokenizer::new(inner))
    }

    /// Serialise to the `tokenizer.json` format (deterministic, pretty-printed).
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if serialisation fails.
    pub fn to_json(&self) -> Result<String> {
        self.inner
            .to_string(true)
            .map_err(|source| Error::Tokenizer {
                path: "<memory>".into(),
                source,
            })
    }

    /// The wrapped Hugging Face tokenizer.
    pub fn inner(&self) -> &Tokenizer {
        &self.inner
    }

    /// Vocabulary size.
    pub fn vocab_size(&self) -> usize {
        self.inner.get_vocab_size(true)
    }

    /// The token string of an id.
    pub fn id_to_token(&self, id: u32) -> Option<String> {
        self.inner.id_to_token(id)
    }

    /// Token ids of a text via the plain `Tokenizer::encode` (the reference path).
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if encoding fails.
    pub fn encode_reference(&self, text: &str) -> Result<Vec<u32>> {
        let enc = self
            .inner
            .encode(text, false)
            .map_err(|source| Error::Tokenizer {
                path: "<encode>".into(),
                source,
            })?;
        Ok(enc.get_ids().to_vec())
    }

    /// Token ids of a text, appended to `out`. Identical to [`Self::encode_reference`].
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if the Hugging Face tokenizer fails on a chunk.
    pub fn ids_into(&self, text: &str, out: &mut Vec<u32>) -> Result<()> {
        let cell = self.cache.get_or(|| RefCell::new(FxHashMap::default()));
        let mut cache = cell.borrow_mut();
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i <= bytes.len() {
            let boundary = if i == bytes.len() {
                Some(false)
            } else {
                let b = bytes[i];
                if b.is_ascii_whitespace() || b == 0x0B {
                    Some(false)
                } else if b.is_ascii_punctuation() {
                    Some(true)
                } else {
                    None
                }
            };
            if let Some(is_punct) = boundary {
                if start < i {
                    self.chunk(&text[start..i], &mut cache, out)?;
                }
                if is_punct {
                    self.chunk(&text[i..i + 1], &mut cache, out)?;
                }
                start = i + 1;
            }
            i += 1;
        }
        Ok(())
    }

    /// Token ids of a text (see [`Self::ids_into`]).
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if the Hugging Face tokenizer fails.
    pub fn ids(&self, text: &str) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(text.len() / 5 + 1);
        self.ids_into(text, &mut out)?;
        Ok(out)
    }

    fn chunk(&self, chunk: &str, cache: &mut ChunkCache, out: &mut Vec<u32>) -> Result<()> {
        if let Some(ids) = cache.get(chunk) {
            out.extend_from_slice(ids);
            return Ok(());
        }
        let ids = self.encode_reference(chunk)?;
        out.extend_from_slice(&ids);
        if cache.len() >= CACHE_LIMIT {
            cache.clear();
        }
        cache.insert(chunk.into(), ids.into_boxed_slice());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn tiny() -> DocTokenizer {
        let texts = [
            "Border Patrol agents apprehended families near the border.",
            "Families fled repression; the journey through the jungle was dangerous.",
            "Smuggling fees cost migrants thousands of dollars, the economy failed.",
            "Officials warned of espionage and national security threats.",
        ];
        TokenizerParams {
            vocab_size: 100,
            min_frequency: 1,
        }
        .fit(texts.iter().copied())
        .unwrap()
    }

    #[test]
    fn fast_ids_equal_reference_encoding() {
        let tk = tiny();
        for text in [
            "Border Patrol agents apprehended families near the border.",
            "  Fleeing   REPRESSION!! the jungle—was «dangerous» 3,000 $ fees; café Ñandú 野口里佳 x",
            "tab\tseparated\u{a0}nbsp and\u{2028}line sep... (parenthetical) e-mail: a@b.c",
            "",
            "¿Qué? emoji 🙂 and combining e\u{301} accents",
        ] {
            assert_eq!(tk.ids(text).unwrap(), tk.encode_reference(text).unwrap(), "{text:?}");
        }
    }

    #[test]
    fn training_is_deterministic_and_round_trips() {
        let a = tiny().to_json().unwrap();
        let b = tiny().to_json().unwrap();
        assert_eq!(a, b);
        let back = DocTokenizer::from_json(&a, Path::new("t.json")).unwrap();
        assert_eq!(back.to_json().unwrap(), a);
        assert!(back.vocab_size() > 10);
    }

    #[test]
    fn invalid_params_are_rejected() {
        let err = TokenizerParams {
            vocab_size: 1,
            min_frequency: 1,
        }
        .fit(std::iter::empty())
        .unwrap_err();
        assert!(matches!(
            err,
            Error::InvalidParam {
                name: "vocab_size",
                ..
            }
        ));
    }
}
