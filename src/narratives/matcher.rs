//! Many rules compiled into one matcher, run over a paragraph's words.
//!
//! Input: parsed [`Query`] rules. Output: a [`Matcher`] that, for a paragraph, tells which
//! rules match and where (the word span of the first match).
//!
//! Compilation collects the distinct word patterns of all rules into one table: exact words
//! in one hash map, prefixes (`deport*`) in one hash map per prefix length. A paragraph is
//! split once ([`Words`]); each word is looked up once in the exact map and once per distinct
//! prefix length, which gives the positions of every pattern. A rule is evaluated only when
//! at least one of its patterns occurs (rules that could match without any of their terms are
//! rejected by the parser), so the cost per paragraph is one pass over its words plus the few
//! rules that have a candidate. Before any lookup, two bit tables that fit in the L1
//! cache (the first two bytes of every pattern, and a hash of the first three) reject most
//! words of a paragraph at the cost of two bit tests.

use rustc_hash::FxHashMap;

use super::query::{Query, WordPat};
use super::words::Words;

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
    exact: FxHashMap<Box<str>, u32>,
    /// (prefix length in bytes, prefix → pattern id), by length.
    prefixes: Vec<(usize, FxHashMap<Box<str>, u32>)>,
    n_pats: usize,
    rules: Vec<Node>,
    /// The rules that use each pattern.
    pat_rules: Vec<Vec<u32>>,
    /// Bit `b0 << 8 | b1` is set when some pattern starts with the bytes `b0 b1` (`b1` = 0 for
    /// a one-byte word): a word whose first two bytes are not set matches nothing.
    starts2: Bits,
    /// Set for the first two bytes of two-byte prefixes (`ab*`), which the three-byte table
    /// cannot filter.
    short_prefix: Bits,
    /// Bit [`key3`] is set for the first three bytes of every pattern of three bytes or more.
    starts3: Bits,
}

/// A fixed table of 2^16 bits.
#[derive(Debug, Clone)]
struct Bits(Vec<u64>);

impl Default for Bits {
    fn default() -> Self {
        Bits(vec![0; 1 << 10])
    }
}

impl Bits {
    fn set(&mut self, k: usize) {
        self.0[k >> 6] |= 1 << (k & 63);
    }
    #[inline]
    fn get(&self, k: usize) -> bool {
        self.0[k >> 6] & (1 << (k & 63)) != 0
    }
}

fn key2(w: &[u8]) -> usize {
    (w[0] as usize) << 8 | w.get(1).copied().unwrap_or(0) as usize
}

/// A 16-bit hash of the first three bytes (`w.len() >= 3`).
fn key3(w: &[u8]) -> usize {
    let x = (w[0] as u32) | (w[1] as u32) << 8 | (w[2] as u32) << 16;
    (x.wrapping_mul(0x9E37_79B1) >> 16) as usize
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
    touched: Vec<u32>,
    /// Pattern ids of each word: `word_pats[word_start[i]..word_start[i+1]]`.
    word_pats: Vec<u32>,
    word_start: Vec<u32>,
    /// Candidate rules of the current paragraph, as bits.
    cand: Vec<u64>,
}

type Spans = Option<Vec<(u32, u32)>>;

impl Matcher {
    /// Compile `rules` into one matcher.
    pub fn new(rules: &[Query]) -> Self {
        let mut m = Matcher::default();
        let mut ids: FxHashMap<WordPat, u32> = FxHashMap::default();
        for q in rules {
            let node = m.compile(q, &mut ids);
            let mut pats: Vec<u32> = q.word_pats().iter().map(|w| ids[*w]).collect();
            pats.sort_unstable();
            pats.dedup();
            m.rules.push(node);
            for p in pats {
                if m.pat_rules.len() <= p as usize {
                    m.pat_rules.resize_with(p as usize + 1, Vec::new);
                }
                m.pat_rules[p as usize].push(m.rules.len() as u32 - 1);
            }
        }
        m.n_pats = ids.len();
        m.pat_rules.resize_with(ids.len(), Vec::new);
        for w in ids.keys() {
            let b = w.text.as_bytes();
            m.starts2.set(key2(b));
            if b.len() >= 3 {
                m.starts3.set(key3(b));
            } else if w.prefix {
                m.short_prefix.set(key2(b));
            }
        }
        let mut by_len: FxHashMap<usize, FxHashMap<Box<str>, u32>> = FxHashMap::default();
        for (w, id) in ids {
            if w.prefix {
                by_len
                    .entry(w.text.len())
                    .or_default()
                    .insert(w.text.into(), id);
            } else {
                m.exact.insert(w.text.into(), id);
            }
        }
        m.prefixes = by_len.into_iter().collect();
        m.prefixes.sort_by_key(|p| p.0);
        m
    }

    fn compile(&self, q: &Query, ids: &mut FxHashMap<WordPat, u32>) -> Node {
        let mut c = |x: &Query| Box::new(self.compile(x, ids));
        match q {
            Query::Term(ws) => Node::Term(
                ws.iter()
                    .map(|w| {
                        let n = ids.len() as u32;
                        *ids.entry(w.clone()).or_insert(n)
                    })
                    .collect(),
            ),
            Query::Not(a) => Node::Not(c(a)),
            Query::Near(a, b, n) => Node::Near(c(a), c(b), *n),
            Query::And(a, b) => Node::And(c(a), c(b)),
            Query::Or(a, b) => Node::Or(c(a), c(b)),
        }
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether there are no rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Split `text` into `scratch.words` and index the patterns that occur in it.
    fn index(&self, text: &str, s: &mut Scratch) {
        s.words.split(text);
        if s.pos.len() < self.n_pats {
            s.pos.resize_with(self.n_pats, Vec::new);
        }
        for &t in &s.touched {
            s.pos[t as usize].clear();
        }
        s.touched.clear();
        s.word_pats.clear();
        s.word_start.clear();
        for i in 0..s.words.len() {
            s.word_start.push(s.word_pats.len() as u32);
            let w = s.words.word(i);
            let b = w.as_bytes();
            let k = key2(b);
            if !self.starts2.get(k)
                || (b.len() >= 3 && !self.starts3.get(key3(b)) && !self.short_prefix.get(k))
            {
                continue;
            }
            self.lookup(w, &mut s.word_pats);
            for k in s.word_start[i] as usize..s.word_pats.len() {
                let id = s.word_pats[k];
                let p = &mut s.pos[id as usize];
                if p.is_empty() {
                    s.touched.push(id);
                }
                p.push(i as u32);
            }
        }
        s.word_start.push(s.word_pats.len() as u32);
    }

    /// Push the ids of the patterns that match word `w` to `out`.
    fn lookup(&self, w: &str, out: &mut Vec<u32>) {
        if let Some(&id) = self.exact.get(w) {
            out.push(id);
        }
        for (len, map) in &self.prefixes {
            if *len > w.len() {
                break;
            }
            if !w.is_char_boundary(*len) {
                continue;
            }
            if let Some(&id) = map.get(&w[..*len]) {
                out.push(id);
            }
        }
    }

    /// The rules that match `text`, in rule order, each with its first match.
    pub fn find(&self, text: &str, s: &mut Scratch) -> Vec<RuleMatch> {
        self.index(text, s);
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
        for w in 0..s.cand.len() {
            let mut bits = s.cand[w];
            while bits != 0 {
                let r = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let node = &self.rules[r];
                if !possible(node, s) {
                    continue;
                }
                let Some(spans) = eval(node, s) else {
                    continue;
                };
                let (first, last) = spans.into_iter().min().unwrap_or((0, 0));
                out.push(RuleMatch {
                    rule: r,
                    first: first as usize,
                    last: last as usize,
                });
            }
        }
        out
    }
}

fn has_pat(s: &Scratch, word: usize, id: u32) -> bool {
    if word + 1 >= s.word_start.len() {
        return false;
    }
    s.word_pats[s.word_start[word] as usize..s.word_start[word + 1] as usize].contains(&id)
}

/// Whether the rule can match given only which patterns occur (positions ignored): a cheap,
/// allocation-free test that rejects most rules before [`eval`].
fn possible(node: &Node, s: &Scratch) -> bool {
    match node {
        Node::Term(ids) => ids.iter().all(|&i| !s.pos[i as usize].is_empty()),
        Node::Not(_) => true,
        Node::And(a, b) | Node::Near(a, b, _) => possible(a, s) && possible(b, s),
        Node::Or(a, b) => possible(a, s) || possible(b, s),
    }
}

fn eval(node: &Node, s: &Scratch) -> Spans {
    match node {
        Node::Term(ids) => {
            let first = &s.pos[ids[0] as usize];
            if first.is_empty() {
                return None;
            }
            if ids[1..].iter().any(|&i| s.pos[i as usize].is_empty()) {
                return None;
            }
            let spans: Vec<(u32, u32)> = first
                .iter()
                .filter(|&&p| {
                    ids[1..]
                        .iter()
                        .enumerate()
                        .all(|(k, &id)| has_pat(s, p as usize + k + 1, id))
                })
                .map(|&p| (p, p + ids.len() as u32 - 1))
                .collect();
            (!spans.is_empty()).then_some(spans)
        }
        Node::Not(a) => match eval(a, s) {
            Some(_) => None,
            None => Some(Vec::new()),
        },
        Node::And(a, b) => {
            let mut x = eval(a, s)?;
            x.extend(eval(b, s)?);
            Some(x)
        }
        Node::Or(a, b) => match (eval(a, s), eval(b, s)) {
            (None, None) => None,
            (Some(x), None) | (None, Some(x)) => Some(x),
            (Some(mut x), Some(y)) => {
                x.extend(y);
                Some(x)
            }
        },
        Node::Near(a, b, n) => {
            let x = eval(a, s)?;
            let y = eval(b, s)?;
            let mut out = Vec::new();
            for &(a0, a1) in &x {
                for &(b0, b1) in &y {
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
            (!out.is_empty()).then_some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher(rules: &[&str]) -> Matcher {
        let q: Vec<Query> = rules.iter().map(|r| Query::parse(r).unwrap()).collect();
        Matcher::new(&q)
    }

    /// Does `rule` match `text`?
    fn m(rule: &str, text: &str) -> bool {
        !matcher(&[rule])
            .find(text, &mut Scratch::default())
            .is_empty()
    }

    /// The matched text of `rule` in `text`.
    fn span(rule: &str, text: &str) -> Option<String> {
        let mut s = Scratch::default();
        let f = matcher(&[rule]).find(text, &mut s);
        f.first().map(|r| {
            let (a, _) = s.words.span(r.first);
            let (_, b) = s.words.span(r.last);
            text[a..b].to_string()
        })
    }

    #[test]
    fn words_are_case_insensitive_and_accent_folded() {
        assert!(m("darien", "Crossing the DARIÉN gap"));
        assert!(m("Darién", "crossing the darien gap"));
        assert!(!m("dari", "crossing the darien gap"));
        assert!(m("china", "China's deportees"));
    }

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
    fn prefix_wildcards() {
        assert!(m("deport*", "they were deported"));
        assert!(m("deport*", "deportation"));
        assert!(m("deport*", "Deport"));
        assert!(m("deport*", "deportee's"));
        assert!(!m("deport*", "redeported"));
        assert!(m("\"chain migra*\"", "so-called chain migration"));
        assert!(m("émigr*", "the emigrants"));
        // a prefix and an exact word of the same text are different patterns
        let mt = matcher(&["ban", "ban*"]);
        let f = mt.find("banned", &mut Scratch::default());
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [1]);
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
}
