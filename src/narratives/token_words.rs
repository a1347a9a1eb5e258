//! The words of a paragraph read from its token ids: classification has already tokenized
//! every paragraph, so the matcher can index a paragraph's words from its ids
//! ([`super::Matcher::find_tokens`]) instead of splitting and folding its text again.
//!
//! Input: the tokenizer's [`WordStarts`] and the matcher's patterns. Output: [`TokenWords`],
//! what each id says about the words: it begins a word, continues one, separates words, or
//! may stand for any word (then the paragraph is read from its text).
//!
//! Exact, not a heuristic. In a text [`words_are_ascii_runs`] accepts, the tokenizer's words
//! are the maximal runs of ASCII letters and digits, lowercased: the narrative words of that
//! text, in the same order. Each word is one token that begins a word followed by any
//! continuation pieces, or a token that may stand for any word (the unknown token); every
//! other token is a punctuation mark. The unknown token stands for one word the vocabulary
//! lacks (or a literal `[UNK]`), which is read from the text: the text's `n`-th ASCII
//! letter-digit run, for the `n`-th word. The other added tokens make a paragraph read from
//! its text. The first token of a word `w` is the longest token that
//! begins a word and is a prefix of `w` (WordPiece's greedy split; a word-level model's whole
//! word). So a word equal to a pattern `p` begins with the longest such prefix of `p`, and a
//! word starting with `p` (for `p*`) begins either with that token again or with a token
//! starting with `p`. Only words beginning with a token so marked are spelled out from their
//! pieces and run through the matcher's automaton; the others match no pattern.

use super::query::WordPat;
use crate::tokenize::{words_are_ascii_runs, WordStarts};

/// Kinds of token, in [`TokenWords::kind`].
pub(crate) const SEP: u8 = 0;
pub(crate) const START: u8 = 1;
pub(crate) const CONT: u8 = 2;
pub(crate) const ANY: u8 = 3;
/// Flag of a [`START`] token that may begin a word some pattern matches.
pub(crate) const MARKED: u8 = 4;
/// The unknown token: one word of the text that the ids do not spell, read from the text
/// ([`WordStarts::unk`]).
pub(crate) const UNK: u8 = ANY | MARKED;

/// Bits of [`TokenWords::gate`], what the first look at a paragraph's ids needs of a token.
/// A word-start token that as a whole word matches a trigger pattern.
pub(crate) const GATE_TRIGGER: u8 = 1;
/// A token after which the ids alone cannot say that no trigger occurs: one that may stand for
/// any word (other than the unknown token), or a continuation piece (which the full walk checks
/// is inside a word).
pub(crate) const GATE_WALK: u8 = 2;
/// A token that begins a word (the unknown token included).
pub(crate) const GATE_WORD: u8 = 4;
/// The unknown token.
pub(crate) const GATE_UNK: u8 = 8;

/// What each token id of one tokenizer says about the words of a text, for one matcher.
#[derive(Debug, Clone)]
pub struct TokenWords {
    /// Per id: [`SEP`], [`START`] (with [`MARKED`]), [`CONT`] or [`ANY`].
    pub(crate) kind: Vec<u8>,
    /// Per id: the lowercase text of a word-start or continuation token (empty otherwise).
    pub(crate) text: Vec<Box<[u8]>>,
    /// Per id: [`GATE_TRIGGER`], [`GATE_WALK`], [`GATE_WORD`] and [`GATE_UNK`] bits, for the
    /// first look at a paragraph ([`super::Matcher::find_tokens`]): a paragraph with no token
    /// that may begin a trigger word (and no unknown word that is one) matches no rule.
    pub(crate) gate: Vec<u8>,
    /// The patterns a word of one marked token matches: `whole[whole_at[t]..whole_at[t + 1]]`.
    whole_at: Vec<u32>,
    whole: Vec<u32>,
}

impl TokenWords {
    /// Classify the ids of `starts` and mark those that may begin a word matching one of
    /// `pats`; `patterns_of(word, out)` appends the ids of the patterns a word matches (the
    /// matcher's automaton), kept for each marked token as a word on its own. A word-start
    /// token that as a whole word matches a pattern `i` for which `is_trigger(i)` holds gets
    /// [`GATE_TRIGGER`].
    pub fn new<'a>(
        starts: &WordStarts,
        pats: impl IntoIterator<Item = &'a WordPat>,
        is_trigger: impl Fn(usize) -> bool,
        patterns_of: impl Fn(&[u8], &mut Vec<u32>),
    ) -> Self {
        let is_word = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_alphanumeric());
        let n = starts.text.len().max(starts.cont.len());
        let mut kind = vec![SEP; n];
        let mut text: Vec<Box<[u8]>> = vec![Box::default(); n];
        for (id, t) in starts.text.iter().enumerate() {
            if let Some(t) = t.as_deref().filter(|t| is_word(t)) {
                kind[id] = START;
                text[id] = t.as_bytes().into();
            }
        }
        for (id, t) in starts.cont.iter().enumerate() {
            if let Some(t) = t.as_deref().filter(|t| is_word(t)) {
                kind[id] = CONT;
                text[id] = t.as_bytes().into();
            }
        }
        for &a in &starts.any {
            if let Some(k) = kind.get_mut(a as usize) {
                *k = if a == starts.unk { UNK } else { ANY };
            }
        }
        let by_text: rustc_hash::FxHashMap<&[u8], usize> = (0..n)
            .filter(|&id| kind[id] == START)
            .map(|id| (&*text[id], id))
            .collect();
        // word-start tokens by text, so the tokens starting with a prefix are one range
        let mut sorted: Vec<usize> = (0..n).filter(|&id| kind[id] == START).collect();
        sorted.sort_unstable_by(|&a, &b| text[a].cmp(&text[b]));
        let mut marked = vec![false; n];
        // without continuation pieces (a word-level model) a word is one token: a word equal
        // to `p` is the token `p` itself, not the longest token that begins `p` (a pattern the
        // vocabulary lacks then marks nothing: its word is the unknown token)
        let whole_only = cont_free(starts);
        // a pattern whose folded text is not ASCII matches no word of an accepted text
        for p in pats.into_iter().filter(|p| p.text.is_ascii()) {
            let b = p.text.as_bytes();
            let shortest = if whole_only { b.len() } else { 1 };
            if let Some(&id) = (shortest..=b.len())
                .rev()
                .find_map(|k| by_text.get(&b[..k]))
            {
                marked[id] = true;
            }
            if p.prefix {
                let from = sorted.partition_point(|&id| &*text[id] < b);
                for &id in sorted[from..]
                    .iter()
                    .take_while(|&&id| text[id].starts_with(b))
                {
                    marked[id] = true;
                }
            }
        }
        let (mut whole_at, mut whole) = (Vec::with_capacity(n + 1), Vec::new());
        whole_at.push(0);
        // a word-start token followed by no continuation piece is the whole word: it may be a
        // trigger word only if its own patterns hold a trigger (a continuation piece after it
        // sends the paragraph to the full walk)
        let mut gate = vec![0; n];
        for (id, (k, m)) in kind.iter_mut().zip(marked).enumerate() {
            let from = whole.len();
            if m {
                *k |= MARKED;
                patterns_of(&text[id], &mut whole);
            }
            whole_at.push(whole.len() as u32);
            let trigger = whole[from..].iter().any(|&p| is_trigger(p as usize));
            gate[id] = match *k & !MARKED {
                START if trigger => GATE_WORD | GATE_TRIGGER,
                START => GATE_WORD,
                _ if *k == UNK => GATE_WORD | GATE_UNK,
                CONT | ANY => GATE_WALK,
                _ => 0,
            };
        }
        TokenWords {
            kind,
            text,
            gate,
            whole_at,
            whole,
        }
    }

    /// The patterns matched by a word that is the marked token `t` alone.
    #[inline]
    pub(crate) fn whole_word(&self, t: u32) -> &[u32] {
        let t = t as usize;
        &self.whole[self.whole_at[t] as usize..self.whole_at[t + 1] as usize]
    }

    /// The end (exclusive) of the word that begins at `ids[start]`: past the continuation
    /// pieces after it.
    #[inline]
    pub(crate) fn word_end(&self, ids: &[u32], start: usize) -> usize {
        let pieces = (ids[start + 1..].iter())
            .take_while(|&&c| self.kind.get(c as usize) == Some(&CONT))
            .count();
        start + 1 + pieces
    }

    /// Replace `out` with the word its tokens `word` spell (a word-start token and its
    /// continuation pieces), lowercase.
    pub(crate) fn spell(&self, word: &[u32], out: &mut Vec<u8>) {
        out.clear();
        for &t in word {
            out.extend_from_slice(&self.text[t as usize]);
        }
    }

    /// Whether a paragraph with this text can be read from its ids.
    pub fn applies_to(&self, text: &str) -> bool {
        words_are_ascii_runs(text)
    }
}

/// Whether the vocabulary has no continuation pieces (a word-level model's): every word of an
/// accepted text is then one token.
fn cont_free(starts: &WordStarts) -> bool {
    starts.cont.iter().all(Option::is_none)
}

/// An estimate of how often words matching each pattern occur, for
/// [`super::Matcher::with_frequency`], from a vocabulary that numbers its words by
/// frequency, as tokenizer trainers do: by Zipf's law a word of rank `r` is about `1 / (r + 1)`
/// as frequent as the first, summed over the word-start tokens a pattern matches as whole
/// words (`None` when it matches none: a word the vocabulary lacks is rare). A vocabulary in
/// another order only makes worse choices of triggers, never other matches.
pub fn vocabulary_frequency(starts: &WordStarts) -> impl Fn(&WordPat) -> Option<f64> + '_ {
    let mut words: Vec<(&str, usize)> = (starts.text.iter().enumerate())
        .filter_map(|(id, t)| Some((t.as_deref()?, id)))
        .collect();
    words.sort_unstable();
    move |p: &WordPat| {
        let from = words.partition_point(|(w, _)| *w < p.text.as_str());
        let matching = words[from..].iter().take_while(|(w, _)| {
            if p.prefix {
                w.starts_with(p.text.as_str())
            } else {
                *w == p.text
            }
        });
        let f: f64 = matching.map(|&(_, id)| 1.0 / (id as f64 + 1.0)).sum();
        (f > 0.0).then_some(f)
    }
}

/// The [`WordStarts`] of a small test vocabulary: `##` marks a continuation piece, `[…]` the
/// unknown token `unk`.
#[cfg(test)]
pub(crate) fn starts_of(vocab: &[&str], unk: u32) -> WordStarts {
    WordStarts {
        text: (vocab.iter())
            .map(|w| (!w.starts_with("##") && !w.starts_with('[')).then(|| w.to_string()))
            .collect(),
        cont: (vocab.iter())
            .map(|w| w.strip_prefix("##").map(str::to_string))
            .collect(),
        any: vec![unk],
        unk,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pat(text: &str, prefix: bool) -> WordPat {
        WordPat {
            text: text.into(),
            prefix,
        }
    }

    #[test]
    fn a_word_level_vocabulary_marks_only_whole_words() {
        // no continuation pieces: a word is one token or the unknown token, so "caravan",
        // which the vocabulary lacks, marks no token (not "cara", its longest prefix)
        let vocab = ["[UNK]", "cara", "caravans", "deport", "deportations", "the"];
        let starts = starts_of(&vocab, 0);
        let tw = TokenWords::new(
            &starts,
            &[
                pat("caravan", false),
                pat("deport", true),
                pat("the", false),
            ],
            |_| false,
            |_, _| {},
        );
        let m = START | MARKED;
        assert_eq!(tw.kind, [UNK, START, START, m, m, m]);
    }

    #[test]
    fn marks_the_tokens_that_may_begin_a_pattern_word() {
        let vocab = [
            "border",
            "deport",
            "##ation",
            "cara",
            "caravans",
            "the",
            "[UNK]",
            "c",
            "deportations",
            ",",
        ];
        let starts = starts_of(&vocab, 6);
        let tw = TokenWords::new(
            &starts,
            &[pat("caravan", false), pat("deportation", true)],
            |p| p == 12,
            |w, out| out.push(w.len() as u32),
        );
        // "caravan" begins with "cara", the longest token that is a prefix of it (not "c");
        // "caravans" is no prefix of "caravan"; a word starting with "deportation" begins
        // with "deport" or a longer token such as "deportations"
        let m = START | MARKED;
        assert_eq!(
            tw.kind,
            [START, m, CONT, m, START, START, UNK, START, m, SEP]
        );
        // a token is a trigger word when its own patterns (here: its length) hold a trigger
        // (12): "deportations", not "deport", which may only begin one
        let g = GATE_WORD | GATE_TRIGGER;
        assert_eq!(
            tw.gate,
            [
                GATE_WORD,
                GATE_WORD,
                GATE_WALK,
                GATE_WORD,
                GATE_WORD,
                GATE_WORD,
                GATE_WORD | GATE_UNK,
                GATE_WORD,
                g,
                0
            ]
        );
        // what `patterns_of` said of each marked token on its own
        assert_eq!(tw.whole_word(1), [6]);
        assert_eq!(tw.whole_word(8), [12]);
        assert!(tw.whole_word(0).is_empty());
        assert!(tw.applies_to("the \u{201c}border\u{201d}, 2019"));
        assert!(!tw.applies_to("the border\u{200b}"));
        assert!(!tw.applies_to("Darién"));
    }
}
