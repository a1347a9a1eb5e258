//! Indexing a paragraph: where each pattern occurs.

use super::{AsciiRuns, Matcher, Scratch, TokenWords, Word};

impl Matcher {
    /// Split `text` into `scratch.words` and index the patterns that occur in it.
    pub(super) fn index(&self, text: &str, s: &mut Scratch) {
        self.reset(s);
        // ASCII words go through the filter and then the automaton as they are (both ignore
        // case); other words arrive folded and go through the automaton.
        let Scratch {
            words,
            pos,
            present,
            touched,
            word_pats,
            ..
        } = s;
        let mut ix = Index {
            pos,
            present,
            touched,
        };
        let mut i = 0;
        words.split_with(text, |w| {
            match w {
                Word::Ascii(b) => self.ascii_word_patterns(b, word_pats),
                Word::Folded(f) => self.dfa.word(f.as_bytes(), word_pats),
            }
            if !word_pats.is_empty() {
                ix.note(word_pats, i);
                word_pats.clear();
            }
            i += 1;
        });
    }

    /// Append the ids of the patterns an ASCII word of the text (any case) matches: only a
    /// word that passes the filter is run through the automaton.
    #[inline]
    fn ascii_word_patterns(&self, w: &[u8], out: &mut Vec<u32>) {
        if self.filter.may_match(w) {
            self.dfa.word(w, out);
        }
    }

    /// Forget the previous paragraph's index.
    fn reset(&self, s: &mut Scratch) {
        if s.pos.len() < self.n_pats {
            s.pos.resize_with(self.n_pats, Vec::new);
            s.present.resize(self.n_pats.div_ceil(64), 0);
        }
        for &t in &s.touched {
            s.pos[t as usize].clear();
            s.present[t as usize >> 6] = 0;
        }
        s.touched.clear();
        s.word_pats.clear();
    }

    /// The first look at a paragraph read from its token ids (the caller checked
    /// [`TokenWords::applies_to`] on its text): false when no rule can match it, because none
    /// of its words can match a trigger pattern (every match of a rule holds one of its
    /// triggers). Each token costs one look-up and a word count, without the branches and
    /// pattern positions of [`Matcher::index_tokens`]; the unknown words are read from the
    /// text. True at the first token that may begin a trigger word, or when the ids alone
    /// cannot tell (the full walk then decides).
    pub(super) fn may_match_tokens(
        &self,
        ids: &[u32],
        text: &str,
        tw: &TokenWords,
        s: &mut Scratch,
    ) -> bool {
        use super::super::token_words::{GATE_TRIGGER, GATE_UNK, GATE_WALK, GATE_WORD};
        let Scratch {
            unk_words,
            word_pats,
            ..
        } = s;
        unk_words.clear();
        let mut n = 0u32;
        for &t in ids {
            let g = tw.gate.get(t as usize).copied().unwrap_or(GATE_WALK);
            if g & (GATE_TRIGGER | GATE_WALK | GATE_UNK) != 0 {
                if g & GATE_UNK == 0 {
                    return true;
                }
                unk_words.push(n);
            }
            n += u32::from(g & GATE_WORD != 0);
        }
        let mut runs = AsciiRuns::new(text);
        let mut found = false;
        for &w in unk_words.iter() {
            let Some(word) = runs.word(w as usize) else {
                return true; // the text is not what the ids say: the full walk reads it whole
            };
            self.ascii_word_patterns(word, word_pats);
            found = word_pats.iter().any(|&p| self.is_trigger(p as usize));
            word_pats.clear();
            if found {
                break;
            }
        }
        found
    }

    /// Index the patterns of a paragraph from its token ids, as [`TokenWords`] reads them
    /// (the caller checked [`TokenWords::applies_to`] on its text); false, with the index
    /// incomplete, at a token that may stand for any word (or a continuation piece outside a
    /// word, which no accepted text gives).
    ///
    /// Only a word whose first token is [`MARKED`](super::super::token_words::MARKED) can match a
    /// pattern (see [`super::super::token_words`]), so every other token costs one look-up of its
    /// kind and a word count: word `i` is the `i`-th token that begins a word, as in
    /// [`Matcher::index`]. The unknown token is word `i` of `text` (its `i`-th ASCII
    /// letter-digit run), found by a scan of the text that goes on from the previous one.
    pub(super) fn index_tokens(
        &self,
        ids: &[u32],
        text: &str,
        tw: &TokenWords,
        s: &mut Scratch,
    ) -> bool {
        use super::super::token_words::{ANY, CONT, MARKED, SEP, START, UNK};
        self.reset(s);
        let Scratch {
            pos,
            present,
            touched,
            word_pats,
            spell,
            word_tok,
            words_read,
            unk_spans,
            ..
        } = s;
        unk_spans.clear();
        let mut ix = Index {
            pos,
            present,
            touched,
        };
        // word `n`'s first token goes to `word_tok[n]`: every token writes its index there
        // and the one that begins word `n` is the last to (a word has no more words than ids)
        word_tok.clear();
        word_tok.resize(ids.len() + 1, 0);
        let kind = |t: u32| tw.kind.get(t as usize).copied().unwrap_or(ANY);
        // words begun so far, and whether the last token was part of a word: updated without
        // branches, as which kind comes next is unpredictable
        let (mut n, mut in_word) = (0usize, false);
        let mut runs = AsciiRuns::new(text);
        let mut j = 0;
        while j < ids.len() {
            let t = ids[j];
            let k = kind(t);
            word_tok[n] = j as u32;
            j += 1;
            if k & MARKED == 0 {
                n += (k == START) as usize;
                // rare: a branch that is predicted, not a flag carried from token to token
                if (k == ANY) | ((k == CONT) & !in_word) {
                    return false;
                }
                in_word = k != SEP;
                continue;
            }
            if k == UNK {
                // a word the ids do not spell: read it from the text (no such word means the
                // text is not what the ids say; it is then read whole)
                let Some((from, to)) = runs.nth(n) else {
                    return false;
                };
                unk_spans.push((n as u32, from as u32, to as u32));
                self.ascii_word_patterns(&text.as_bytes()[from..to], word_pats);
                self.drop_lazy(word_pats, 0);
                if !word_pats.is_empty() {
                    ix.note(word_pats, n);
                    word_pats.clear();
                }
                n += 1;
                in_word = true;
                continue;
            }
            // a marked word: this token and the continuation pieces after it
            let start = j - 1;
            j = tw.word_end(ids, start);
            if j == start + 1 {
                ix.note(tw.whole_word(t), n);
            } else {
                tw.spell(&ids[start..j], spell);
                self.word_patterns(spell, word_pats);
                ix.note(word_pats, n);
                word_pats.clear();
            }
            n += 1;
            in_word = true;
        }
        *words_read = n;
        true
    }
}

/// Where [`Matcher::index`] and [`Matcher::index_tokens`] record the patterns that occur.
struct Index<'a> {
    pos: &'a mut [Vec<u32>],
    present: &'a mut [u64],
    touched: &'a mut Vec<u32>,
}

impl Index<'_> {
    /// Record that the patterns `pats` occur at word `i` (`touched` lists the patterns seen,
    /// `present` has their bits).
    fn note(&mut self, pats: &[u32], i: usize) {
        for &id in pats {
            let p = &mut self.pos[id as usize];
            if p.is_empty() {
                self.touched.push(id);
                self.present[id as usize >> 6] |= 1 << (id & 63);
            }
            p.push(i as u32);
        }
    }
}

/// Whether pattern `id` occurs in the indexed paragraph.
#[inline]
pub(super) fn occurs(s: &Scratch, id: u32) -> bool {
    s.present[id as usize >> 6] >> (id & 63) & 1 == 1
}

/// Whether pattern `id` occurs at word `word`: the positions of a pattern are recorded in
/// word order, so they are sorted.
pub(super) fn has_pat(s: &Scratch, word: usize, id: u32) -> bool {
    s.pos[id as usize].binary_search(&(word as u32)).is_ok()
}
