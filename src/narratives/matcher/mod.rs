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

use rustc_hash::FxHashMap;

use super::query::{Query, WordPat};
use super::token_words::TokenWords;
use super::words::{AsciiRuns, Word, Words};

mod automaton;
mod compile;
mod evaluate;
mod index;

use automaton::{Dfa, Filter};
use evaluate::Presence;

/// A compiled rule: the tree with word patterns replaced by their ids.
#[derive(Debug, Clone)]
enum Node {
    Term(Vec<u32>),
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
    /// The patterns, by id.
    pats: Vec<WordPat>,
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
                        possible(node, &s),
                        "{file} rule {r}"
                    );
                    if possible(node, &s) {
                        possible_rules += 1;
                        assert!(clauses_hold(&mt.clauses[r], &s), "{file} rule {r}: {p}");
                    }
                }
            }
        }
        assert!(possible_rules > 100, "{possible_rules} of {checked}");
    }
}
