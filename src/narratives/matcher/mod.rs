//! Many rules compiled into one matcher, run over a paragraph's words.
//!
//! Input: parsed [`Query`] rules. Output: a [`Matcher`] that, for a paragraph, tells which
//! rules match and where (the word span of the first match).
//!
//! Compilation collects the distinct word patterns of all rules into one automaton over
//! folded bytes: a trie whose states say which exact word (`deport`) ends there and which
//! prefix pattern (`deport*`) is complete there. A paragraph is split once
//! ([`Words::split_with`], which folds only the words with non-ASCII letters): an ASCII word
//! is hashed case-folded, and the hashes of the whole word and of its prefixes of pattern
//! lengths are tested against bit sets; only a word that passes is run through the
//! automaton. A folded word goes through the automaton directly. That gives the positions of
//! every pattern.
//!
//! A rule is evaluated only when one of its trigger patterns occurs: a set of its patterns
//! one of which every match holds, chosen to avoid frequent words ("the" in `"the ban"` does
//! not trigger the rule, "ban" does). Rules that could match without any of their terms are
//! rejected by the parser, so the cost per paragraph is one pass over its bytes plus the few
//! rules that have a candidate.
//!
//! Read from token ids ([`Matcher::find_tokens`], the path `classify` takes), a paragraph
//! costs less: a first look at its ids asks only whether any word may be a trigger (one
//! table look-up per token); a paragraph with none is done there. The others are indexed,
//! except for the words of phrases that are never a phrase's anchor (its rarest word, from
//! whose positions the phrase is looked for): those, mostly "the", "of" and "in", are checked
//! in place when a phrase needs them. There, the matcher is compiled again with the
//! tokenizer's vocabulary as an estimate of word frequencies
//! ([`Matcher::with_frequency`]), so that triggers and anchors are the words expected least
//! often. None of this changes which rules match or where, only how much is read.

use rustc_hash::FxHashMap;

use super::query::{Query, WordPat};
use super::token_words::TokenWords;
use super::words::{AsciiRuns, Word, Words};

mod automaton;
mod compile;
mod evaluate;
mod index;

use automaton::{Dfa, Filter};
use evaluate::{Presence, Prog};

/// A compiled rule: the tree with word patterns replaced by their ids.
#[derive(Debug, Clone)]
enum Node {
    /// A word or phrase: its patterns, and which of them is the anchor (the rarest, from
    /// whose positions the phrase is looked for).
    Term {
        ids: Vec<u32>,
        anchor: usize,
    },
    Not(Box<Node>),
    Near(Box<Node>, Box<Node>, u32),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
}

/// Rules compiled once, matched against many paragraphs.
#[derive(Debug, Clone, Default)]
pub struct Matcher {
    dfa: Dfa,
    filter: Filter,
    n_pats: usize,
    rules: Vec<Node>,
    /// The rules that use each pattern.
    pat_rules: Vec<Vec<u32>>,
    /// Per rule, clauses that must all hold for it to match ([`clauses`]), each written as
    /// its length followed by its pattern ids: a candidate rule is evaluated only when each
    /// clause has a pattern that occurs.
    clauses: Vec<Vec<u32>>,
    /// Per rule, [`possible`] compiled to a flat test on the bit set of present patterns.
    presence: Vec<Presence>,
    /// Per rule, the tree compiled for evaluation.
    progs: Vec<Prog>,
    /// The patterns, by id.
    pats: Vec<WordPat>,
    /// Per pattern: only ever a word of a phrase other than its anchor. Read from token ids,
    /// such a word is not indexed: the phrase is found at its anchor's positions and the word
    /// checked there ([`Matcher::find_tokens`]), so frequent words ("the", "of", "in") cost
    /// nothing where no phrase needs them.
    lazy: Vec<bool>,
}

/// A rule's match in one paragraph: the first (leftmost) matching span, in words, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMatch {
    /// Rule index, in the order given to [`Matcher::new`].
    pub rule: usize,
    /// First word of the match.
    pub first: usize,
    /// Last word of the match.
    pub last: usize,
}

/// Per-thread working memory of [`Matcher::find`]; reuse it across paragraphs.
#[derive(Debug, Default, Clone)]
pub struct Scratch {
    /// The paragraph's words.
    pub words: Words,
    /// Positions of each pattern in the current paragraph.
    pos: Vec<Vec<u32>>,
    /// The patterns that occur in the current paragraph, as bits (those of `touched`).
    present: Vec<u64>,
    touched: Vec<u32>,
    /// Pattern ids of the current word (empty between words).
    word_pats: Vec<u32>,
    /// Candidate rules of the current paragraph, as bits.
    cand: Vec<u64>,
    /// The word numbers of the unknown tokens of the current paragraph
    /// ([`Matcher::find_tokens`]).
    unk_words: Vec<u32>,
    /// Per word of the current paragraph read from token ids, the index of its first token
    /// (valid for the first `words_read` words).
    word_tok: Vec<u32>,
    words_read: usize,
    /// The unknown words of the current paragraph read from token ids: word number and
    /// byte span in the text, in word order.
    unk_spans: Vec<(u32, u32, u32)>,
    /// The current word spelled out from its tokens ([`Matcher::find_tokens`]).
    spell: Vec<u8>,
    /// The spans of the rule being evaluated ([`eval`]).
    spans: Vec<(u32, u32)>,
}

#[cfg(test)]
mod tests {
    use super::compile::clauses_hold;
    use super::evaluate::possible;
    use super::*;

    pub(super) fn matcher(rules: &[&str]) -> Matcher {
        let q: Vec<Query> = rules.iter().map(|r| Query::parse(r).unwrap()).collect();
        Matcher::new(&q)
    }

    /// Does `rule` match `text`?
    pub(super) fn m(rule: &str, text: &str) -> bool {
        !matcher(&[rule])
            .find(text, &mut Scratch::default())
            .is_empty()
    }

    /// The matched text of `rule` in `text`.
    pub(super) fn span(rule: &str, text: &str) -> Option<String> {
        let mut s = Scratch::default();
        let f = matcher(&[rule]).find(text, &mut s);
        f.first().map(|r| {
            let (a, _) = s.words.span(r.first);
            let (_, b) = s.words.span(r.last);
            text[a..b].to_string()
        })
    }

    #[test]
    fn phrases_read_from_token_ids_check_their_lazy_words_in_place() {
        let vocab = ["[UNK]", "the", "wall", "of", ",", "china", "##s"];
        let starts = super::super::token_words::starts_of(&vocab, 0);
        let rules = [
            "\"the wall\"",
            "\"of the\" NEAR/1 chinas",
            "\"qwxz zzyzxq\"",
            "\"wall of\" AND NOT \"of the chin*\"",
        ];
        let q: Vec<Query> = rules.iter().map(|r| Query::parse(r).unwrap()).collect();
        let mt =
            Matcher::with_frequency(&q, super::super::token_words::vocabulary_frequency(&starts));
        let lazy: Vec<&str> = (mt.pats.iter().zip(&mt.lazy))
            .filter(|(_, &l)| l)
            .map(|(p, _)| p.text.as_str())
            .collect();
        // "the" (rank 1) is checked beside "wall", "of" (rank 3) and "chin*" (rank 5); of
        // two words the vocabulary lacks, the shorter beside the longer
        assert_eq!(lazy, ["the", "qwxz"]);
        let tw = TokenWords::new(
            &starts,
            mt.indexed_patterns(),
            |i| mt.is_trigger(i),
            |w, out| mt.word_patterns(w, out),
        );
        let cases: [(&str, &[u32]); 5] = [
            ("The wall, of the chinas", &[1, 2, 4, 3, 1, 5, 6]),
            ("THE WALL of THE wall", &[1, 2, 3, 1, 2]),
            ("qwxz zzyzxq", &[0, 0]),
            ("Zzyzxq QWXZ zzyzxq, wall of wall", &[0, 0, 0, 4, 2, 3, 2]),
            ("the the of", &[1, 1, 3]),
        ];
        let mut s = Scratch::default();
        for (text, ids) in cases {
            let want = mt.find(text, &mut s);
            assert_eq!(mt.find_tokens(ids, text, &tw, &mut s), Some(want), "{text}");
        }
        let rules_of = |text, ids| {
            let f = mt
                .find_tokens(ids, text, &tw, &mut Scratch::default())
                .unwrap();
            f.iter()
                .map(|m| (m.rule, m.first, m.last))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            rules_of("The wall, of the chinas", &[1, 2, 4, 3, 1, 5, 6][..]),
            [(0, 0, 1), (1, 2, 4)]
        );
        assert_eq!(
            rules_of("THE WALL of THE wall", &[1, 2, 3, 1, 2][..]),
            [(0, 0, 1), (3, 1, 2)]
        );
        assert_eq!(
            rules_of(
                "Zzyzxq QWXZ zzyzxq, wall of wall",
                &[0, 0, 0, 4, 2, 3, 2][..]
            ),
            [(2, 1, 2), (3, 3, 4)]
        );
        assert!(rules_of("the the of", &[1, 1, 3][..]).is_empty());
    }

    #[test]
    fn many_rules_share_one_index() {
        let mt = matcher(&["wall", "caravan*", "\"travel ban\"", "wall AND mexico"]);
        let mut s = Scratch::default();
        let f = mt.find("A caravan reached the wall.", &mut s);
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [0, 1]);
        let f = mt.find("Mexico will pay for the wall", &mut s);
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [0, 3]);
        assert!(mt.find("nothing here", &mut s).is_empty());
        let f = mt.find("the travel ban", &mut s);
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [2]);
    }

    #[test]
    fn clauses_hold_wherever_a_shipped_rule_may_match() {
        // the clauses are a shortcut before `possible`: they must hold whenever it does; and
        // its compiled form gives what it gives
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let corpus = std::fs::read_to_string(root.join("corpus/articles.jsonl")).unwrap();
        let paras: Vec<String> = corpus
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .flat_map(|v| {
                let t = v["text"].as_str().unwrap_or_default().to_string();
                t.split("\n\n").map(str::to_string).collect::<Vec<_>>()
            })
            .collect();
        let (mut checked, mut possible_rules) = (0, 0);
        for file in ["darien.toml", "us-2012-2020.toml"] {
            let path = root.join("models/narratives").join(file);
            let f = super::super::NarrativeFile::from_file(&path).unwrap();
            let mut q: Vec<Query> = f.narratives.iter().map(|n| n.query.clone()).collect();
            q.push(f.stance.query.clone());
            let mt = Matcher::new(&q);
            let mut s = Scratch::default();
            for p in &paras {
                mt.index(p, &mut s);
                for (r, node) in mt.rules.iter().enumerate() {
                    checked += 1;
                    assert_eq!(
                        mt.presence[r].holds(&s),
                        possible(node, &mt.lazy, &s),
                        "{file} rule {r}"
                    );
                    if possible(node, &mt.lazy, &s) {
                        possible_rules += 1;
                        assert!(clauses_hold(&mt.clauses[r], &s), "{file} rule {r}: {p}");
                    }
                }
            }
        }
        assert!(possible_rules > 100, "{possible_rules} of {checked}");
    }
}
