//! Stage 2, tokenization: paragraph text → token ids, with a Hugging Face `tokenizers` pipeline.
//!
//! Input: `&str` (one paragraph). Output: `Vec<u32>` token ids ([`DocTokenizer::ids`]).
//!
//! The pipeline is a `tokenizers::Tokenizer` (NFD → strip accents → lowercase normalizer, BERT
//! pre-tokenizer splitting on whitespace and punctuation, word-level model) trained on the
//! training text by [`TokenizerParams::fit`] and saved as `tokenizer.json`.
//!
//! Speed: the `tokenizers` encoder does much work per call that this job does not need
//! (offsets, alignment tracking through Unicode normalization, added-token scanning): about
//! 6 µs per word here. For the pipeline [`TokenizerParams::fit`] builds (NFD → strip accents →
//! lowercase, BERT pre-tokenizer, word-level model), every ASCII whitespace or punctuation
//! character is a word boundary, so [`DocTokenizer::ids`] cuts the text there itself. A chunk
//! of ASCII letters and digits (97% of the words of news text) is exactly one word, whose id
//! is its lowercase form's entry in the model's vocabulary; an ASCII punctuation character is
//! its own token; any other chunk (accents, curly quotes, dashes, other scripts) goes through
//! the Hugging Face pipeline once per thread and is remembered. A paragraph containing an
//! added token (a literal `[UNK]`) takes `Tokenizer::encode` whole, and so does every
//! paragraph when a loaded tokenizer has any other pipeline ([`DocTokenizer::fast_path`]).
//! The ids are identical to `Tokenizer::encode` on the whole paragraph: tested below on
//! adversarial strings and in the integration tests on every paragraph of the corpus.

use std::cell::RefCell;
use std::path::Path;

use rustc_hash::FxHashMap;
use thread_local::ThreadLocal;
use tokenizers::models::wordlevel::{WordLevel, WordLevelTrainer};
use tokenizers::models::ModelWrapper;
use tokenizers::normalizers::{Lowercase, Sequence, StripAccents, NFD};
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::{AddedToken, Model, Tokenizer, TokenizerBuilder};

use crate::error::{Error, Result};

/// The unknown-word token.
pub const UNK: &str = "[UNK]";

/// Cached chunks per thread (of each kind) before the cache is cleared (bounds memory on endless
/// input: about 10 MB per thread at the limit).
const CACHE_LIMIT: usize = 1 << 17;

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

/// Token ids of the chunks one thread has looked up the slow way: WordPiece splits of words
/// missing from the vocabulary, by their lowercase bytes packed as in [`WordTable`] (up to
/// 16 bytes), and every other chunk (longer, or not plain ASCII) by its text.
#[derive(Debug, Default)]
struct ChunkCache {
    pieces: FxHashMap<(u64, u64), Box<[u32]>>,
    text: FxHashMap<Box<str>, Box<[u32]>>,
}

/// Insert into one of a [`ChunkCache`]'s maps, emptying it first when it holds
/// [`CACHE_LIMIT`] chunks.
fn remember<K: std::hash::Hash + Eq>(map: &mut FxHashMap<K, Box<[u32]>>, key: K, ids: &[u32]) {
    if map.len() >= CACHE_LIMIT {
        map.clear();
    }
    map.insert(key, ids.into());
}

/// Byte classes of the chunk scanner.
const WORD: u8 = 0;
/// ASCII whitespace (and vertical tab): a word boundary that yields no token.
const SPACE: u8 = 1;
/// ASCII punctuation: a word boundary and a token of its own.
const PUNCT: u8 = 2;
/// Any other byte (non-ASCII, control characters): part of a chunk the Hugging Face
/// pipeline must see.
const OTHER: u8 = 3;

/// Class of every byte value.
static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c.is_ascii_alphanumeric() {
            WORD
        } else if c.is_ascii_whitespace() || c == 0x0B {
            SPACE
        } else if c.is_ascii_punctuation() {
            PUNCT
        } else {
            OTHER
        };
        b += 1;
    }
    t
};

/// What the exact fast path needs, present only when the loaded pipeline is the one it is
/// proven for (see [`FastPath::detect`]).
#[derive(Debug, Clone)]
struct FastPath {
    /// The word-level vocabulary keyed by the normalized (lowercase) word.
    vocab: WordTable,
    /// The id the word-level model gives an unknown word.
    unk: u32,
    /// Ids of each ASCII punctuation character on its own.
    punct: [u32; 128],
    /// Contents of the added tokens: a paragraph containing one takes the reference path.
    added: Vec<String>,
    /// The distinct first bytes of `added`: a text holds an added token only where it holds
    /// one of these, so one `memchr` pass finds the places to compare.
    added_first: Vec<u8>,
    /// A WordPiece model (an embedding table's tokenizer): a word missing from the vocabulary
    /// is split into pieces by the pipeline (cached) instead of becoming the unknown token.
    wordpiece: bool,
    /// Longest word the model looks up whole (WordPiece's `max_input_chars_per_word`).
    max_word: usize,
    /// WordPiece continuation pieces (`##…`), keyed without their prefix.
    cont: WordTable,
    /// WordPiece's continuation prefix (`##`); none for a word-level model.
    cont_prefix: Option<String>,
    /// Ids of the news punctuation outside ASCII on its own ([`news_char`]): `«`, `»`, then
    /// U+2010–U+2027 (dashes, curly quotes, bullets, ellipsis).
    news_punct: [u32; 26],
}

/// A space or punctuation mark outside ASCII that news text is full of, at the start of
/// `b`: its length in bytes and, for a punctuation mark, its index in
/// [`FastPath::news_punct`]. The no-break space and U+2000–U+200A are whitespace (U+2000 and
/// U+2001 become U+2002 and U+2003 under NFD, spaces still); `«`, `»` and U+2010–U+2027 are
/// punctuation that NFD, accent stripping and lowercasing leave as they are. So, as for ASCII
/// spaces and punctuation, the BERT pre-tokenizer cuts the text there whatever surrounds
/// them, and a punctuation mark is one token.
#[inline]
fn news_char(b: &[u8]) -> Option<(usize, Option<usize>)> {
    match *b {
        [0xc2, 0xa0, ..] => Some((2, None)),
        [0xc2, 0xab, ..] => Some((2, Some(0))),
        [0xc2, 0xbb, ..] => Some((2, Some(1))),
        [0xe2, 0x80, x, ..] if (0x80..=0x8a).contains(&x) => Some((3, None)),
        [0xe2, 0x80, x, ..] if (0x90..=0xa7).contains(&x) => {
            Some((3, Some(2 + usize::from(x - 0x90))))
        }
        _ => None,
    }
}

impl FastPath {
    /// Enable the fast path only for the pipeline [`TokenizerParams::fit`] builds: the
    /// normalizer NFD → StripAccents → Lowercase, the BERT pre-tokenizer, a word-level model
    /// with its unknown token in the vocabulary, no truncation or padding, and only added
    /// tokens matched on the raw text. Under those, the text can be cut at ASCII whitespace
    /// and punctuation (every such character is a boundary both before and after
    /// normalization, and normalization never crosses it), and a chunk of ASCII letters and
    /// digits is exactly one word: its lowercase form looked up in the vocabulary.
    fn detect(tk: &Tokenizer) -> Option<FastPath> {
        let json = |v: serde_json::Result<serde_json::Value>| v.ok();
        let normalizer = json(serde_json::to_value(tk.get_normalizer()?))?;
        let expected = serde_json::json!({"type": "Sequence", "normalizers": [
            {"type": "NFD"}, {"type": "StripAccents"}, {"type": "Lowercase"}]});
        if normalizer != expected {
            return None;
        }
        let pre = json(serde_json::to_value(tk.get_pre_tokenizer()?))?;
        if pre != serde_json::json!({"type": "BertPreTokenizer"}) {
            return None;
        }
        if tk.get_truncation().is_some() || tk.get_padding().is_some() {
            return None;
        }
        // a word-level model (trained by framelens) or a WordPiece model (an embedding
        // table's): for both, a word found whole in the vocabulary is that one token
        let (unk, vocab, wordpiece, max_word, cont, cont_prefix) = match tk.get_model() {
            ModelWrapper::WordLevel(wl) => (
                wl.token_to_id(&wl.unk_token)?,
                wl.get_vocab(),
                false,
                usize::MAX,
                std::collections::HashMap::new(),
                None,
            ),
            ModelWrapper::WordPiece(wp) => {
                let vocab = wp.get_vocab();
                let prefix = &wp.continuing_subword_prefix;
                let cont: std::collections::HashMap<String, u32> = vocab
                    .iter()
                    .filter_map(|(w, &id)| Some((w.strip_prefix(prefix.as_str())?.to_string(), id)))
                    .filter(|(w, _)| !w.is_empty())
                    .collect();
                (
                    wp.token_to_id(&wp.unk_token)?,
                    vocab,
                    true,
                    wp.max_input_chars_per_word,
                    cont,
                    Some(prefix.clone()),
                )
            }
            _ => return None,
        };
        let mut added = Vec::new();
        for t in tk.get_added_tokens_decoder().values() {
            if t.normalized || t.content.is_empty() {
                return None;
            }
            added.push(t.content.clone());
        }
        let mut punct = [unk; 128];
        for c in 0u8..128 {
            if c.is_ascii_punctuation() {
                // the normalizer leaves an ASCII punctuation character as it is
                let s = [c];
                punct[c as usize] = std::str::from_utf8(&s)
                    .ok()
                    .and_then(|w| vocab.get(w).copied())
                    .unwrap_or(unk);
            }
        }
        let mut news_punct = [unk; 26];
        let news = ['\u{ab}', '\u{bb}']
            .into_iter()
            .chain('\u{2010}'..='\u{2027}');
        for (slot, c) in news_punct.iter_mut().zip(news) {
            *slot = vocab
                .get(c.encode_utf8(&mut [0; 4]) as &str)
                .copied()
                .unwrap_or(unk);
        }
        let mut added_first: Vec<u8> = added.iter().map(|a| a.as_bytes()[0]).collect();
        added_first.sort_unstable();
        added_first.dedup();
        Some(FastPath {
            vocab: WordTable::new(&vocab),
            unk,
            punct,
            added,
            added_first,
            wordpiece,
            max_word,
            cont: WordTable::new(&cont),
            cont_prefix,
            news_punct,
        })
    }

    /// Whether `text` contains one of the added tokens (what `text.contains(a)` for each of
    /// them tells, in one pass over the text for up to three distinct first bytes: an added
    /// token occurs at `i` only if its first byte does).
    fn has_added(&self, text: &str) -> bool {
        let b = text.as_bytes();
        let at = |i: usize| self.added.iter().any(|a| b[i..].starts_with(a.as_bytes()));
        match *self.added_first.as_slice() {
            [] => false,
            [x] => memchr::memchr_iter(x, b).any(at),
            [x, y] => memchr::memchr2_iter(x, y, b).any(at),
            [x, y, z] => memchr::memchr3_iter(x, y, z, b).any(at),
            _ => self.added.iter().any(|a| text.contains(a.as_str())),
        }
    }

    /// The id of a chunk of ASCII letters and digits, when the model maps it to one token
    /// without splitting it: none for a WordPiece word missing from the vocabulary.
    #[inline]
    fn word(&self, chunk: &[u8]) -> Option<u32> {
        if !self.wordpiece {
            return Some(self.vocab.get_lowercase(chunk).unwrap_or(self.unk));
        }
        if chunk.len() > self.max_word {
            return None;
        }
        self.vocab.get_lowercase(chunk)
    }

    /// WordPiece's greedy longest-match-first split of a chunk of ASCII letters and digits
    /// (at most `max_word` bytes), appended to `out`: the longest vocabulary prefix, then
    /// repeatedly the longest continuation piece (`##…`) of the rest; the unknown token for
    /// the whole word when some rest has no piece. The same ids as the Hugging Face model.
    fn pieces(&self, chunk: &[u8], out: &mut Vec<u32>) {
        let mark = out.len();
        let mut start = 0;
        while start < chunk.len() {
            let table = if start == 0 { &self.vocab } else { &self.cont };
            let found = (start + 1..=chunk.len())
                .rev()
                .find_map(|end| Some((table.get_lowercase(&chunk[start..end])?, end)));
            let Some((id, end)) = found else {
                out.truncate(mark);
                out.push(self.unk);
                return;
            };
            out.push(id);
            start = end;
        }
    }
}

/// The vocabulary's ASCII words up to 16 bytes in an open-addressing table keyed by the word's
/// bytes packed into two `u64` (zero-padded: these words hold no NUL byte), so a lookup is two
/// loads, a multiply and one or two probes; longer or non-ASCII words are in a plain map.
#[derive(Debug, Clone)]
struct WordTable {
    /// `(key0, key1, id)` slots; `key0 == 0` marks an empty slot.
    slots: Vec<(u64, u64, u32)>,
    mask: usize,
    long: FxHashMap<Box<[u8]>, u32>,
}

impl WordTable {
    fn new(vocab: &std::collections::HashMap<String, u32>) -> Self {
        let cap = (vocab.len() * 2).next_power_of_two().max(16);
        let mut t = WordTable {
            slots: vec![(0, 0, 0); cap],
            mask: cap - 1,
            long: FxHashMap::default(),
        };
        for (w, &id) in vocab {
            let b = w.as_bytes();
            if !b.is_empty() && b.len() <= 16 && b.iter().all(|&c| c != 0 && c.is_ascii()) {
                let (k0, k1) = pack(b);
                let mut i = slot_of(k0, k1) & t.mask;
                while t.slots[i].0 != 0 {
                    i = (i + 1) & t.mask;
                }
                t.slots[i] = (k0, k1, id);
            } else {
                t.long.insert(b.into(), id);
            }
        }
        t
    }

    /// The id of the lowercase form of `chunk` (ASCII letters and digits only).
    #[inline]
    fn get_lowercase(&self, chunk: &[u8]) -> Option<u32> {
        if chunk.len() <= 16 {
            let (k0, k1) = lowercase_key(chunk);
            let mut i = slot_of(k0, k1) & self.mask;
            loop {
                let s = &self.slots[i];
                if s.0 == k0 && s.1 == k1 {
                    return Some(s.2);
                }
                if s.0 == 0 {
                    return None;
                }
                i = (i + 1) & self.mask;
            }
        } else {
            let lower = chunk.to_ascii_lowercase();
            self.long.get(lower.as_slice()).copied()
        }
    }
}

/// The lowercase form of a chunk of up to 16 ASCII letters and digits, packed ([`pack`]):
/// setting bit 5 lowercases letters, and digits have it set.
#[inline]
fn lowercase_key(chunk: &[u8]) -> (u64, u64) {
    let (k0, k1) = pack(chunk);
    let lower = |k: u64, n: usize| {
        let m = if n >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * n)) - 1
        };
        k | (0x2020_2020_2020_2020 & m)
    };
    (
        lower(k0, chunk.len().min(8)),
        lower(k1, chunk.len().saturating_sub(8)),
    )
}

/// Up to 16 bytes as two little-endian `u64`, zero-padded.
///
/// The bytes are read with (overlapping) loads of the slice itself, not copied into a
/// buffer first: a buffer filled byte by byte and read back as words stalls the load on
/// each lookup (no store-to-load forwarding).
#[inline]
fn pack(b: &[u8]) -> (u64, u64) {
    #[inline(always)]
    fn u64_at(b: &[u8], i: usize) -> u64 {
        u64::from_le_bytes(b[i..i + 8].try_into().unwrap_or([0; 8]))
    }
    #[inline(always)]
    fn u32_at(b: &[u8], i: usize) -> u64 {
        u32::from_le_bytes(b[i..i + 4].try_into().unwrap_or([0; 4])) as u64
    }
    /// The first `n` (1..=8) bytes of `b`, zero-padded.
    #[inline(always)]
    fn low(b: &[u8], n: usize) -> u64 {
        if n == 8 {
            u64_at(b, 0)
        } else if n >= 4 {
            // two 4-byte loads that overlap in the middle: the shared bytes are equal
            u32_at(b, 0) | (u32_at(b, n - 4) << (8 * (n - 4)))
        } else {
            let (first, mid, last) = (b[0] as u64, b[n / 2] as u64, b[n - 1] as u64);
            first | (mid << (8 * (n / 2))) | (last << (8 * (n - 1)))
        }
    }
    let n = b.len();
    debug_assert!(n <= 16);
    match n {
        0 => (0, 0),
        1..=8 => (low(b, n), 0),
        _ => (u64_at(b, 0), u64_at(b, n - 8) >> (8 * (16 - n))),
    }
}

#[inline]
fn slot_of(k0: u64, k1: u64) -> usize {
    let h = (k0 ^ k1.rotate_left(29)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (h >> 32) as usize
}

/// How the token ids of a text relate to its words, on the fast path's pipeline
/// ([`DocTokenizer::word_starts`]).
///
/// In a text for which [`words_are_ascii_runs`] holds, the tokenizer's words are exactly the
/// maximal runs of ASCII letters and digits, lowercased (every other character there is a
/// space or a punctuation mark, which the BERT pre-tokenizer splits on and normalization
/// leaves alone), and the first token of each word is either a token whose `text` is a prefix
/// of the word (the whole word, or its first WordPiece piece) or one of `any`.
#[derive(Debug, Clone)]
pub struct WordStarts {
    /// Per token id: the text of a token that begins a word, `None` for a WordPiece
    /// continuation piece (`##…`) and for the ids in `any`.
    pub text: Vec<Option<String>>,
    /// Per token id: the text of a WordPiece continuation piece without its prefix (`None`
    /// for the others).
    pub cont: Vec<Option<String>>,
    /// Ids that may stand for any word: the unknown token and the added tokens. Sorted.
    pub any: Vec<u32>,
    /// The unknown token (one of `any`). In an accepted text it stands for exactly one word:
    /// a word the vocabulary lacks (a word-level model's unknown word, or a WordPiece word
    /// too long to split), or a literal `[UNK]`, whose letters are one word of the text.
    pub unk: u32,
}

/// Whether every character of `text` is an ASCII letter, digit, printable punctuation mark
/// or whitespace, or one of the Unicode spaces and punctuation marks common in news text
/// ([`news_char`]: no-break space, the spaces U+2000–U+200A, dashes, curly quotes, bullets and
/// ellipsis U+2010–U+2027, guillemets): the texts for which [`WordStarts`] holds.
pub fn words_are_ascii_runs(text: &str) -> bool {
    let ascii_ok = |b: u8| (b.wrapping_sub(0x20) < 0x5f) | (b.wrapping_sub(0x09) < 5);
    let bytes = text.as_bytes();
    for (n, block) in bytes.chunks(64).enumerate() {
        // a block of 64 bytes checked branch-free, so the compiler checks many bytes at once:
        // no ASCII byte outside the accepted ones, and whether any byte is not ASCII
        let (mut bad, mut high) = (false, false);
        for &b in block {
            bad |= (b < 0x80) & !ascii_ok(b);
            high |= b >= 0x80;
        }
        if bad {
            return false;
        }
        if !high {
            continue;
        }
        // news text has curly quotes and dashes in most paragraphs: only the characters that
        // begin in this block are decoded (one may run past its end; those are continuation
        // bytes of the next block, which no character begins with)
        let mut leads =
            (block.iter().enumerate()).fold(0u64, |m, (k, &b)| m | u64::from(b >= 0xc0) << k);
        while leads != 0 {
            let k = leads.trailing_zeros() as usize;
            leads &= leads - 1;
            if news_char(&bytes[n * 64 + k..]).is_none() {
                return false;
            }
        }
    }
    true
}

/// A Hugging Face tokenizer with a fast path that gives exactly its ids.
pub struct DocTokenizer {
    inner: Tokenizer,
    fast: Option<FastPath>,
    cache: ThreadLocal<RefCell<ChunkCache>>,
    instance: u64,
}

impl std::fmt::Debug for DocTokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocTokenizer")
            .field("vocab_size", &self.vocab_size())
            .field("fast_path", &self.fast.is_some())
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
        static INSTANCES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        DocTokenizer {
            fast: FastPath::detect(&inner),
            inner,
            cache: ThreadLocal::new(),
            instance: INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
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

    /// Whether the exact fast path is on (the pipeline is the one [`TokenizerParams::fit`]
    /// builds); otherwise every paragraph goes through `Tokenizer::encode`.
    pub fn fast_path(&self) -> bool {
        self.fast.is_some()
    }

    /// A number no other tokenizer of this process has (a clone gets a new one): a key for
    /// what callers derive from this tokenizer's vocabulary.
    pub fn instance(&self) -> u64 {
        self.instance
    }

    /// How each token id can begin a word, for prefilters that decide from a text's ids
    /// which words it cannot hold (see [`WordStarts`]); `None` off the fast path, whose
    /// pipeline is the one this is proven for.
    pub fn word_starts(&self) -> Option<WordStarts> {
        let fast = self.fast.as_ref()?;
        let mut text = vec![None; self.vocab_size()];
        let mut cont = vec![None; self.vocab_size()];
        let mut any = vec![fast.unk];
        for (tok, id) in self.inner.get_vocab(true) {
            let Some(slot) = text.get_mut(id as usize) else {
                continue;
            };
            if fast.added.contains(&tok) {
                any.push(id);
                continue;
            }
            match fast.cont_prefix.as_deref() {
                Some(p) if tok.starts_with(p) && tok.len() > p.len() => {
                    cont[id as usize] = Some(tok[p.len()..].to_string());
                }
                _ => *slot = Some(tok),
            }
        }
        any.sort_unstable();
        any.dedup();
        Some(WordStarts {
            text,
            cont,
            any,
            unk: fast.unk,
        })
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
    /// The text is cut at ASCII whitespace and punctuation; a chunk of ASCII letters and
    /// digits is looked up in the vocabulary, any other chunk goes through the Hugging Face
    /// pipeline once per thread and is remembered. A text containing an added token (such as
    /// a literal `[UNK]`), or any text when the pipeline is not the recognised one, goes
    /// through `Tokenizer::encode` whole.
    ///
    /// # Errors
    /// [`Error::Tokenizer`] if the Hugging Face tokenizer fails on a chunk.
    pub fn ids_into(&self, text: &str, out: &mut Vec<u32>) -> Result<()> {
        let Some(fast) = &self.fast else {
            out.extend(self.encode_reference(text)?);
            return Ok(());
        };
        if fast.has_added(text) {
            out.extend(self.encode_reference(text)?);
            return Ok(());
        }
        let bytes = text.as_bytes();
        let mut start = 0;
        let mut plain = true;
        for (i, &b) in bytes.iter().enumerate() {
            match CLASS[b as usize] {
                WORD => {}
                // the rest of a news character already cut at (below)
                OTHER if i < start => {}
                OTHER => match news_char(&bytes[i..]) {
                    // curly quotes, dashes and no-break spaces cut the text as ASCII ones do,
                    // so "don’t" is three tokens here rather than a chunk for the pipeline
                    Some((len, punct)) => {
                        if start < i {
                            self.chunk(fast, &text[start..i], plain, out)?;
                        }
                        if let Some(k) = punct {
                            out.push(fast.news_punct[k]);
                        }
                        start = i + len;
                        plain = true;
                    }
                    None => plain = false,
                },
                class => {
                    if start < i {
                        self.chunk(fast, &text[start..i], plain, out)?;
                    }
                    if class == PUNCT {
                        out.push(fast.punct[b as usize]);
                    }
                    start = i + 1;
                    plain = true;
                }
            }
        }
        if start < bytes.len() {
            self.chunk(fast, &text[start..], plain, out)?;
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

    #[inline]
    fn chunk(&self, fast: &FastPath, chunk: &str, plain: bool, out: &mut Vec<u32>) -> Result<()> {
        if plain {
            if let Some(id) = fast.word(chunk.as_bytes()) {
                out.push(id);
                return Ok(());
            }
        }
        let cell = self.cache.get_or(|| RefCell::new(ChunkCache::default()));
        let mut cache = cell.borrow_mut();
        if plain && fast.wordpiece && chunk.len() <= fast.max_word.min(16) {
            // a word missing from the vocabulary: split once, then cached (names recur)
            let key = lowercase_key(chunk.as_bytes());
            if let Some(ids) = cache.pieces.get(&key) {
                out.extend_from_slice(ids);
                return Ok(());
            }
            let mark = out.len();
            fast.pieces(chunk.as_bytes(), out);
            remember(&mut cache.pieces, key, &out[mark..]);
            return Ok(());
        }
        if let Some(ids) = cache.text.get(chunk) {
            out.extend_from_slice(ids);
            return Ok(());
        }
        let mark = out.len();
        if plain && fast.wordpiece && chunk.len() <= fast.max_word {
            fast.pieces(chunk.as_bytes(), out);
        } else {
            out.extend(self.encode_reference(chunk)?);
        }
        remember(&mut cache.text, chunk.into(), &out[mark..]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_of_ascii_words_and_news_punctuation() {
        let long = "Border Patrol agents apprehended families near the border, 2019.\n\t".repeat(3);
        assert!(words_are_ascii_runs(&long));
        assert!(words_are_ascii_runs(
            "\u{201c}Caravans\u{201d}\u{a0}\u{2014} don\u{2019}t\u{2026}"
        ));
        for bad in ['\u{7f}', '\u{1}', 'é', '\u{200b}', '€', '\u{2028}'] {
            // early, in a block of 64 bytes, and in the tail after the blocks
            for at in [3, 70, long.len() - 1] {
                let mut t = long.clone();
                t.insert(at, bad);
                assert!(!words_are_ascii_runs(&t), "{bad:?} at {at}");
            }
        }
        // against the character-by-character definition, with news punctuation and other
        // characters at every position around the block boundaries, alone and in pairs
        let reference = |t: &str| {
            t.chars().all(|c| {
                matches!(c, ' '..='~' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | '\u{a0}'
                    | '\u{ab}' | '\u{bb}' | '\u{2000}'..='\u{200a}' | '\u{2010}'..='\u{2027}')
            })
        };
        for at in (0..140).filter(|&at| long.is_char_boundary(at)) {
            for c in [
                '\u{201c}', '\u{a0}', '\u{2026}', 'é', '\u{200b}', '\u{7f}', '😀',
            ] {
                let mut t = long.clone();
                t.insert(at, c);
                assert_eq!(words_are_ascii_runs(&t), reference(&t), "{c:?} at {at}");
                let later = (at + 60..=t.len()).find(|&i| t.is_char_boundary(i));
                t.insert(later.expect("the end is a boundary"), '\u{2019}');
                assert_eq!(
                    words_are_ascii_runs(&t),
                    reference(&t),
                    "{c:?} at {at} and 60 on"
                );
            }
        }
    }

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
    fn wordpiece_fast_split_equals_the_reference() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/embeddings/tokenizer.json");
        let tk = DocTokenizer::from_file(&path).unwrap();
        assert!(tk.fast.as_ref().is_some_and(|f| f.wordpiece));
        // words split into pieces, unknown to every piece, digits, mixed case, long words
        let mut text = String::from(
            "Unaffable apprehensions xqzjv Darien 2,300km COVID19 asylumseekers \
             deportations BorderPatrol h1b zzzzzzzzzzqqqq a1b2c3 Mayorkas",
        );
        text.push(' ');
        text.push_str(&"x".repeat(100));
        text.push(' ');
        text.push_str(&"ab".repeat(51));
        let mut seed = 7u64;
        for _ in 0..2000 {
            let n = 1 + (seed >> 33) as usize % 14;
            for _ in 0..n {
                seed = seed
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let c = b"etaoinshrdlucmfwypvbgkjqxz0123456789ETAO"[(seed >> 35) as usize % 40];
                text.push(c as char);
            }
            text.push(' ');
        }
        assert_eq!(tk.ids(&text).unwrap(), tk.encode_reference(&text).unwrap());
    }

    #[test]
    fn pack_is_the_zero_padded_bytes() {
        let text = b"abcdefghijklmnopq";
        for start in 0..text.len() {
            for end in start..=(start + 16).min(text.len()) {
                let b = &text[start..end];
                let mut buf = [0u8; 16];
                buf[..b.len()].copy_from_slice(b);
                let want = (
                    u64::from_le_bytes(buf[..8].try_into().unwrap()),
                    u64::from_le_bytes(buf[8..].try_into().unwrap()),
                );
                assert_eq!(pack(b), want, "{:?}", std::str::from_utf8(b));
            }
        }
    }

    #[test]
    fn added_tokens_are_found_in_one_pass() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/embeddings/tokenizer.json");
        let tk = DocTokenizer::from_file(&path).unwrap();
        let fast = tk.fast.as_ref().unwrap();
        assert!(
            fast.added.len() > 1,
            "a vocabulary with several added tokens"
        );
        for text in [
            "no added token here [ nor [UN nor [unk] nor [MAS",
            "[CLS] at the start",
            "at the end [SEP]",
            "[[MASK]] nested and [PAD",
            "[",
            "",
            "x[UNK]y",
            "café [MASK]",
        ] {
            let slow = fast.added.iter().any(|a| text.contains(a.as_str()));
            assert_eq!(fast.has_added(text), slow, "{text:?}");
            assert_eq!(
                tk.ids(text).unwrap(),
                tk.encode_reference(text).unwrap(),
                "{text:?}"
            );
        }
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
            "a literal [UNK] token, [UNK]] and [unk] and UNK",
            "Greek question mark\u{37e}here, Kelvin \u{212a} and Angstrom \u{212b}",
            "control\u{1}chars\u{1c}and\u{7f}del \u{b}vt\u{c}ff\r\n",
            "UPPER lower MiXeD 12345 a1b2 Border BORDER border Families",
            "averyveryveryverylongwordthatislongerthanfortyeightbytesforsureyesindeed x",
            ";;;...!!!---",
            "é",
            " ",
        ] {
            assert_eq!(tk.ids(text).unwrap(), tk.encode_reference(text).unwrap(), "{text:?}");
        }
        // every space and punctuation mark of the news fast path, alone, inside words, next
        // to others, to accented letters and combining marks, with the default model's
        // tokenizer (which has the curly quotes) and the tiny one (which has not)
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/default/tokenizer.json");
        let default = DocTokenizer::from_file(&path).unwrap();
        assert!(default.fast_path());
        let news: Vec<char> = ['\u{a0}', '\u{ab}', '\u{bb}']
            .into_iter()
            .chain('\u{2000}'..='\u{2027}')
            .chain(['\u{2028}', '\u{2030}', '\u{20ac}', '\u{c0}', '\u{e9}'])
            .collect();
        for c in news {
            for t in [
                format!("{c}"),
                format!("don{c}t Border{c}{c}wall"),
                format!("{c}Caravans{c} caf\u{e9}{c}s e\u{301}{c}\u{301}x {c}"),
                format!("O{c}Reilly{c}s {c}{c}\u{201c}x\u{201d}, 2019{c}20{c}.{c} \u{2014}z"),
            ] {
                for tk in [&tk, &default] {
                    assert_eq!(
                        tk.ids(&t).unwrap(),
                        tk.encode_reference(&t).unwrap(),
                        "{t:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_path_only_for_the_recognised_pipeline() {
        let tk = tiny();
        assert!(tk.fast_path());
        // the same tokenizer with another normalizer: every text takes the reference path
        let mut inner = tk.inner().clone();
        inner
            .with_normalizer(Some(tokenizers::normalizers::Lowercase))
            .expect("a normalizer can be set");
        let other = DocTokenizer::new(inner);
        assert!(!other.fast_path());
        let text = "Café Families, BORDER agents";
        assert_eq!(
            other.ids(text).unwrap(),
            other.encode_reference(text).unwrap()
        );
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
