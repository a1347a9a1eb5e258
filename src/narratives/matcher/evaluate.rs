//! Evaluating the candidate rules of an indexed paragraph.

use super::compile::clauses_hold;
use super::index::{has_pat, occurs};
use super::{Matcher, Node, RuleMatch, Scratch, TokenWords, WordPat};

impl Matcher {
    /// The rules that match `text`, in rule order, each with its first match.
    pub fn find(&self, text: &str, s: &mut Scratch) -> Vec<RuleMatch> {
        self.index(text, s);
        self.evaluate(s, None)
    }

    /// [`Matcher::find`] on a paragraph read from its token ids (see [`TokenWords`]): the
    /// same matches, with word positions but no spans in `s.words`; `None` when the ids hold
    /// a token that may stand for any word.
    pub fn find_tokens(
        &self,
        ids: &[u32],
        text: &str,
        tw: &TokenWords,
        s: &mut Scratch,
    ) -> Option<Vec<RuleMatch>> {
        if !self.may_match_tokens(ids, text, tw, s) {
            return Some(Vec::new());
        }
        self.index_tokens(ids, text, tw, s)
            .then(|| self.evaluate(s, Some((ids, text, tw))))
    }

    /// The rules that match the indexed paragraph; `tokens` when it was indexed from its
    /// token ids (then the lazy patterns are checked on the words themselves).
    fn evaluate(
        &self,
        s: &mut Scratch,
        tokens: Option<(&[u32], &str, &TokenWords)>,
    ) -> Vec<RuleMatch> {
        let mut out = Vec::new();
        if s.touched.is_empty() {
            return out;
        }
        // candidate rules: those using a pattern that occurs
        s.cand.clear();
        s.cand.resize(self.rules.len().div_ceil(64), 0);
        for &t in &s.touched {
            for &r in &self.pat_rules[t as usize] {
                s.cand[r as usize >> 6] |= 1 << (r & 63);
            }
        }
        let mut spans = std::mem::take(&mut s.spans);
        let mut spell = std::mem::take(&mut s.spell);
        let mut cx = Cx {
            s,
            lazy: &self.lazy,
            pats: &self.pats,
            tokens,
            spell: &mut spell,
        };
        for w in 0..s.cand.len() {
            let mut bits = s.cand[w];
            while bits != 0 {
                let r = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                if !clauses_hold(&self.clauses[r], cx.s) || !self.presence[r].holds(cx.s) {
                    continue;
                }
                spans.clear();
                let prog = &self.progs[r];
                if !prog.eval(prog.root, &mut cx, &mut spans) {
                    continue;
                }
                let (first, last) = spans.iter().copied().min().unwrap_or((0, 0));
                out.push(RuleMatch {
                    rule: r,
                    first: first as usize,
                    last: last as usize,
                });
            }
        }
        s.spans = spans;
        s.spell = spell;
        out
    }
}

/// What [`eval`] reads: the index, and the words themselves for the lazy patterns.
struct Cx<'a> {
    s: &'a Scratch,
    lazy: &'a [bool],
    pats: &'a [WordPat],
    /// The paragraph's ids, text and their reading, when it was indexed from its ids.
    tokens: Option<(&'a [u32], &'a str, &'a TokenWords)>,
    spell: &'a mut Vec<u8>,
}

impl Cx<'_> {
    /// Whether pattern `id` matches word `word`.
    fn at(&mut self, word: usize, id: u32) -> bool {
        match self.tokens {
            Some((ids, text, tw)) if self.lazy[id as usize] => {
                let Some(w) = word_of(ids, text, tw, self.s, word, self.spell) else {
                    return false;
                };
                let p = &self.pats[id as usize];
                let t = p.text.as_bytes();
                if p.prefix {
                    w.len() >= t.len() && w[..t.len()].eq_ignore_ascii_case(t)
                } else {
                    w.eq_ignore_ascii_case(t)
                }
            }
            _ => has_pat(self.s, word, id),
        }
    }
}

/// Word `word` of a paragraph indexed from its ids, as its tokens spell it (lowercase), or
/// as the text has it (any case) for an unknown token; `None` past the last word.
fn word_of<'a>(
    ids: &[u32],
    text: &'a str,
    tw: &'a TokenWords,
    s: &Scratch,
    word: usize,
    spell: &'a mut Vec<u8>,
) -> Option<&'a [u8]> {
    use super::super::token_words::UNK;
    if word >= s.words_read {
        return None;
    }
    let j = s.word_tok[word] as usize;
    let t = ids[j];
    let kind = |t: u32| tw.kind.get(t as usize).copied();
    if kind(t) == Some(UNK) {
        // read when the paragraph was indexed
        let k = (s.unk_spans)
            .binary_search_by_key(&(word as u32), |u| u.0)
            .ok()?;
        let (_, from, to) = s.unk_spans[k];
        return text.as_bytes().get(from as usize..to as usize);
    }
    let end = tw.word_end(ids, j);
    if end == j + 1 {
        return tw.text.get(t as usize).map(|w| &w[..]);
    }
    tw.spell(&ids[j..end], spell);
    Some(spell)
}

/// Whether the rule can match given only which patterns occur (positions ignored; a lazy
/// pattern, which may occur unindexed, counts as present): the definition of the test
/// [`Presence`] compiles (kept for the tests that check both).
#[cfg(test)]
pub(super) fn possible(node: &Node, lazy: &[bool], s: &Scratch) -> bool {
    match node {
        Node::Term { ids, .. } => ids.iter().all(|&i| lazy[i as usize] || occurs(s, i)),
        Node::Not(_) => true,
        Node::And(a, b) | Node::Near(a, b, _) => possible(a, lazy, s) && possible(b, lazy, s),
        Node::Or(a, b) => possible(a, lazy, s) || possible(b, lazy, s),
    }
}

/// [`possible`] compiled once per rule: chains of `AND`/`NEAR` and of `OR` become lists, and
/// an `OR`'s one-word alternatives become one sparse bit mask over the patterns, tested
/// against the paragraph's present bits a word (64 patterns) at a time. A cheap,
/// allocation-free test that rejects most candidate rules before [`eval`].
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Presence {
    /// Holds always (a `NOT`: it may hold with no pattern present).
    Always,
    /// Every pattern of a phrase occurs.
    All(Vec<u32>),
    /// Every part holds.
    Each(Vec<Presence>),
    /// One of the one-word patterns `(word of the bit set, bits)` occurs, or a part holds.
    Any(Vec<(u32, u64)>, Vec<Presence>),
}

impl Presence {
    pub(super) fn new(node: &Node, lazy: &[bool]) -> Self {
        match node {
            Node::Term { ids, .. } => {
                let ids: Vec<u32> = ids.iter().copied().filter(|&i| !lazy[i as usize]).collect();
                Presence::All(ids)
            }
            Node::Not(_) => Presence::Always,
            Node::And(..) | Node::Near(..) => {
                let mut parts = Vec::new();
                for n in chain(node, |n| match n {
                    Node::And(a, b) | Node::Near(a, b, _) => Some((a, b)),
                    _ => None,
                }) {
                    match Presence::new(n, lazy) {
                        Presence::Always => {}
                        p => parts.push(p),
                    }
                }
                match parts.len() {
                    0 => Presence::Always,
                    1 => parts.pop().expect("one part"),
                    _ => Presence::Each(parts),
                }
            }
            Node::Or(..) => {
                let (mut words, mut parts) = (Vec::<(u32, u64)>::new(), Vec::new());
                for n in chain(node, or_operands) {
                    match n {
                        Node::Term { ids, .. } if ids.len() == 1 => {
                            let (w, bit) = (ids[0] >> 6, 1u64 << (ids[0] & 63));
                            match words.iter_mut().find(|x| x.0 == w) {
                                Some(x) => x.1 |= bit,
                                None => words.push((w, bit)),
                            }
                        }
                        other => match Presence::new(other, lazy) {
                            Presence::Always => return Presence::Always,
                            p => parts.push(p),
                        },
                    }
                }
                words.sort_unstable();
                Presence::Any(words, parts)
            }
        }
    }

    /// Whether the rule can match given the patterns present in `s` ([`possible`]).
    pub(super) fn holds(&self, s: &Scratch) -> bool {
        match self {
            Presence::Always => true,
            Presence::All(ids) => ids.iter().all(|&i| occurs(s, i)),
            Presence::Each(parts) => parts.iter().all(|p| p.holds(s)),
            Presence::Any(words, parts) => {
                words
                    .iter()
                    .any(|&(w, bits)| s.present[w as usize] & bits != 0)
                    || parts.iter().any(|p| p.holds(s))
            }
        }
    }
}

/// A rule compiled for [`Prog::eval`]: its nodes in one array, chains of `AND` and of `OR`
/// flattened into lists, and an `OR`'s one-word alternatives gathered into one list of
/// patterns, whose positions are read without a call per alternative. Evaluating a rule
/// then walks a few nearby entries instead of a tree of boxes, one per word.
#[derive(Debug, Clone)]
pub(super) struct Prog {
    ops: Vec<Op>,
    /// The entry of the whole rule.
    pub(super) root: u32,
}

/// One entry of a [`Prog`]; children are entries of the same array.
#[derive(Debug, Clone)]
enum Op {
    /// One-word patterns, any of which matches (an `OR`'s one-word alternatives).
    Words(Box<[u32]>),
    /// A word or phrase ([`Node::Term`]).
    Term {
        ids: Box<[u32]>,
        anchor: u32,
    },
    Not(u32),
    Near(u32, u32, u32),
    /// All of these, evaluated in order until one fails.
    And(Box<[u32]>),
    /// Any of these (all are evaluated, for their spans).
    Or(Box<[u32]>),
}

impl Prog {
    pub(super) fn new(node: &Node) -> Self {
        let mut ops = Vec::new();
        let root = Self::add(node, &mut ops);
        Prog { ops, root }
    }

    fn add(node: &Node, ops: &mut Vec<Op>) -> u32 {
        let op = match node {
            Node::Term { ids, anchor } => Op::Term {
                ids: ids.clone().into(),
                anchor: *anchor as u32,
            },
            Node::Not(a) => Op::Not(Self::add(a, ops)),
            Node::Near(a, b, n) => Op::Near(Self::add(a, ops), Self::add(b, ops), *n),
            Node::And(..) => {
                let parts = chain(node, |n| match n {
                    Node::And(a, b) => Some((a, b)),
                    _ => None,
                });
                Op::And(parts.iter().map(|p| Self::add(p, ops)).collect())
            }
            Node::Or(..) => {
                let mut words = Vec::new();
                let mut parts = Vec::new();
                for p in chain(node, or_operands) {
                    match p {
                        Node::Term { ids, .. } if ids.len() == 1 => words.push(ids[0]),
                        other => parts.push(Self::add(other, ops)),
                    }
                }
                if !words.is_empty() {
                    words.sort_unstable();
                    words.dedup();
                    ops.push(Op::Words(words.into()));
                    parts.push(ops.len() as u32 - 1);
                }
                match parts[..] {
                    [one] => return one,
                    _ => Op::Or(parts.into()),
                }
            }
        };
        ops.push(op);
        ops.len() as u32 - 1
    }

    /// Append to `out` the spans (first and last word) where entry `at` matches, in no
    /// particular order, and say whether it matches; when it does not, `out` is left as it
    /// was. A `NOT` that holds appends nothing. One buffer serves the whole rule, so
    /// evaluating allocates nothing once the buffer has grown.
    fn eval(&self, at: u32, cx: &mut Cx<'_>, out: &mut Vec<(u32, u32)>) -> bool {
        let mark = out.len();
        match &self.ops[at as usize] {
            Op::Words(ids) => {
                let s = cx.s;
                for &i in ids.iter() {
                    if occurs(s, i) {
                        out.extend(s.pos[i as usize].iter().map(|&p| (p, p)));
                    }
                }
                out.len() > mark
            }
            Op::Term { ids, anchor } => {
                // which patterns occur is a small bit set: tested before any position list
                let (s, lazy) = (cx.s, cx.lazy);
                if (ids.iter()).any(|&i| !lazy[i as usize] && !occurs(s, i)) {
                    return false;
                }
                let anchor = *anchor as usize;
                let at = &s.pos[ids[anchor] as usize];
                let (a, last) = (anchor as u32, ids.len() as u32 - 1);
                for &p in at {
                    let Some(first) = p.checked_sub(a) else {
                        continue;
                    };
                    let whole = (ids.iter().enumerate())
                        .all(|(k, &id)| k == anchor || cx.at(first as usize + k, id));
                    if whole {
                        out.push((first, first + last));
                    }
                }
                out.len() > mark
            }
            Op::Not(a) => {
                let held = self.eval(*a, cx, out);
                out.truncate(mark);
                !held
            }
            Op::And(parts) => {
                for &p in parts.iter() {
                    if !self.eval(p, cx, out) {
                        out.truncate(mark);
                        return false;
                    }
                }
                true
            }
            Op::Or(parts) => {
                let mut held = false;
                for &p in parts.iter() {
                    held |= self.eval(p, cx, out);
                }
                held
            }
            Op::Near(a, b, n) => {
                if !self.eval(*a, cx, out) {
                    return false;
                }
                let mid = out.len();
                if !self.eval(*b, cx, out) {
                    out.truncate(mark);
                    return false;
                }
                let end = out.len();
                for i in mark..mid {
                    let (a0, a1) = out[i];
                    for j in mid..end {
                        let (b0, b1) = out[j];
                        // words strictly between the two spans (0 when they touch or overlap)
                        let gap = if a1 < b0 {
                            b0 - a1 - 1
                        } else if b1 < a0 {
                            a0 - b1 - 1
                        } else {
                            0
                        };
                        if gap <= *n {
                            out.push((a0.min(b0), a1.max(b1)));
                        }
                    }
                }
                // keep the pairs only, where the two sides' spans were
                let found = out.len() - end;
                out.copy_within(end.., mark);
                out.truncate(mark + found);
                found > 0
            }
        }
    }
}

/// The operands of a chain of binary operators, left to right: `split` gives the two sides of
/// a node of the chain, and `None` for an operand.
fn chain<'a>(
    node: &'a Node,
    split: impl Fn(&'a Node) -> Option<(&'a Node, &'a Node)>,
) -> Vec<&'a Node> {
    let mut parts = Vec::new();
    let mut stack = vec![node];
    while let Some(n) = stack.pop() {
        match split(n) {
            Some((a, b)) => {
                stack.push(b);
                stack.push(a);
            }
            None => parts.push(n),
        }
    }
    parts
}

/// The two sides of an `OR`, for [`chain`].
fn or_operands(n: &Node) -> Option<(&Node, &Node)> {
    match n {
        Node::Or(a, b) => Some((a, b)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{m, span};

    #[test]
    fn phrases_need_adjacent_words_in_order() {
        assert!(m(
            "\"catch and release\"",
            "a policy of catch-and-release, he said"
        ));
        assert!(!m("\"catch and release\"", "catch and then release"));
        assert!(!m("\"catch and release\"", "release and catch"));
        assert!(m("MS-13", "members of MS 13 were"));
        assert_eq!(
            span("\"border wall\"", "They want a Border  Wall now").as_deref(),
            Some("Border  Wall")
        );
    }

    #[test]
    fn boolean_operators() {
        assert!(m("wall AND border", "the border needs a wall"));
        assert!(!m("wall AND border", "the wall"));
        assert!(m("wall OR fence", "a fence"));
        assert!(!m("wall OR fence", "a gate"));
        assert!(m("wall AND NOT \"wall street\"", "the wall at the border"));
        assert!(!m(
            "wall AND NOT \"wall street\"",
            "the wall of Wall Street"
        ));
        assert!(m("NOT paywall AND wall", "a wall"));
        // precedence: a OR (b AND c)
        assert!(m("a OR b AND c", "a"));
        assert!(!m("(a OR b) AND c", "a"));
        assert!(m("(a OR b) AND c", "b c"));
    }

    #[test]
    fn proximity_in_either_order() {
        let r = "china NEAR/3 deport*";
        assert!(m(r, "China refuses deportation"));
        assert!(m(r, "deportees that China"));
        assert!(m(r, "China refuses to accept deported citizens"));
        assert!(!m(r, "China will not accept any of its deported citizens"));
        assert!(m("a NEAR/0 b", "a b"));
        assert!(!m("a NEAR/0 b", "a x b"));
        assert!(m(
            "(army OR soldiers) NEAR/2 \"military age\"",
            "military age men, an army"
        ));
        assert_eq!(
            span(r, "Officials said China refuses deportation flights").as_deref(),
            Some("China refuses deportation")
        );
        // NEAR binds tighter than AND
        assert!(m("x AND a NEAR/1 b", "b a then x"));
        assert!(!m("x AND a NEAR/1 b", "a y y b then x"));
    }
}
