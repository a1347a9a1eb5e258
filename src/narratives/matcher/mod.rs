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

/// The trie of all word patterns over folded bytes, as a transition table.
#[derive(Debug, Clone)]
struct Dfa {
    /// Byte → class (0: no pattern holds the byte). ASCII upper and lower case letters
    /// share a class.
    class: Vec<u8>,
    /// Number of classes.
    nc: usize,
    /// `next[state * nc + class]`, [`DEAD`] when no pattern continues so.
    next: Vec<u32>,
    /// The exact-word pattern ending at each state.
    exact: Vec<u32>,
    /// The prefix pattern complete at each state.
    prefix: Vec<u32>,
}

/// A quick test that lets through every ASCII word some pattern may match, and few others:
/// bit sets of the hashes of the exact words and of the prefixes, and the prefix lengths.
#[derive(Debug, Clone, Default)]
struct Filter {
    exact: Bits,
    prefix: Bits,
    /// Bit `n` (1..64) is set when an ASCII prefix pattern has `n` bytes.
    prefix_lens: u64,
    /// Some prefix pattern has 64 bytes or more: longer words skip the filter.
    long_prefix: bool,
}

impl Filter {
    fn new(pats: &[(&WordPat, u32)]) -> Self {
        let mut f = Filter::default();
        for (w, _) in pats {
            let b = w.text.as_bytes();
            if !b.is_ascii() || b.is_empty() {
                continue; // never part of an ASCII word (non-ASCII words skip the filter)
            }
            let h = b.iter().fold(FNV_OFFSET, |h, &c| fnv_step(h, c | 0x20));
            if !w.prefix {
                f.exact.set(h);
            } else if b.len() < 64 {
                f.prefix.set(h);
                f.prefix_lens |= 1 << b.len();
            } else {
                f.long_prefix = true;
            }
        }
        f
    }

    /// Whether the ASCII word `w` (any case) may hold a pattern: the hash of the whole word
    /// and of each prefix whose length some prefix pattern has are tested.
    #[inline]
    fn may_match(&self, w: &[u8]) -> bool {
        let mut h = FNV_OFFSET;
        let mut hit = false;
        for (n, &b) in (1..).zip(w) {
            h = fnv_step(h, b | 0x20);
            if n < 64 && self.prefix_lens >> n & 1 == 1 {
                hit |= self.prefix.get(h);
            }
        }
        hit || self.exact.get(h) || (w.len() >= 64 && self.long_prefix)
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

#[inline]
fn fnv_step(h: u64, b: u8) -> u64 {
    (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3)
}

/// A set of 2^16 bits indexed by the top bits of a hash.
#[derive(Debug, Clone)]
struct Bits(Vec<u64>);

impl Default for Bits {
    fn default() -> Self {
        Bits(vec![0; 1 << 10])
    }
}

impl Bits {
    fn set(&mut self, h: u64) {
        let k = (h >> 48) as usize;
        self.0[k >> 6] |= 1 << (k & 63);
    }
    #[inline]
    fn get(&self, h: u64) -> bool {
        let k = (h >> 48) as usize;
        self.0[k >> 6] & (1 << (k & 63)) != 0
    }
}

/// No state (and no pattern).
const DEAD: u32 = u32::MAX;

impl Default for Dfa {
    fn default() -> Self {
        Dfa::new(&[])
    }
}

impl Dfa {
    fn new(pats: &[(&WordPat, u32)]) -> Self {
        let mut class = vec![0u8; 256];
        let mut nc = 1usize;
        for (w, _) in pats {
            for &b in w.text.as_bytes() {
                let b = b.to_ascii_lowercase();
                if class[b as usize] == 0 {
                    class[b as usize] = nc as u8;
                    if b.is_ascii_lowercase() {
                        class[b.to_ascii_uppercase() as usize] = nc as u8;
                    }
                    nc += 1;
                }
            }
        }
        assert!(nc <= 256, "at most 255 distinct bytes in patterns");
        let mut d = Dfa {
            class,
            nc,
            next: vec![DEAD; nc],
            exact: vec![DEAD],
            prefix: vec![DEAD],
        };
        for &(w, id) in pats {
            let mut st = 0usize;
            for &b in w.text.as_bytes() {
                let c = d.class[b as usize] as usize;
                let n = d.next[st * nc + c];
                st = if n == DEAD {
                    let new = d.exact.len();
                    d.next[st * nc + c] = new as u32;
                    d.next.extend(std::iter::repeat_n(DEAD, nc));
                    d.exact.push(DEAD);
                    d.prefix.push(DEAD);
                    new
                } else {
                    n as usize
                };
            }
            if w.prefix {
                d.prefix[st] = id;
            } else {
                d.exact[st] = id;
            }
        }
        d
    }

    /// Run `word` (folded bytes, or ASCII in any case) through the trie, pushing the ids of
    /// the patterns it matches to `out`.
    #[inline]
    fn word(&self, word: &[u8], out: &mut Vec<u32>) {
        let mut st = 0usize;
        for &b in word {
            let n = self.next[st * self.nc + self.class[b as usize] as usize];
            if n == DEAD {
                return;
            }
            st = n as usize;
            if self.prefix[st] != DEAD {
                out.push(self.prefix[st]);
            }
        }
        if self.exact[st] != DEAD {
            out.push(self.exact[st]);
        }
    }
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

impl Matcher {
    /// Compile `rules` into one matcher.
    pub fn new(rules: &[Query]) -> Self {
        let mut m = Matcher::default();
        let mut ids: FxHashMap<WordPat, u32> = FxHashMap::default();
        for q in rules {
            let node = m.compile(q, &mut ids);
            m.rules.push(node);
        }
        m.n_pats = ids.len();
        let mut pats: Vec<(&WordPat, u32)> = ids.iter().map(|(w, &id)| (w, id)).collect();
        pats.sort_by_key(|p| p.1);
        // A pattern is common when it is a function word or a word of one or two letters
        // ("the", "of", "us"), or when several rules use it: words that many storylines
        // share ("immigra*", "border") are the set's topic, present in most paragraphs it is
        // run on. Rules are triggered by their rarer words where they can be.
        let mut users = vec![0usize; ids.len()];
        for q in rules {
            let mut mine: Vec<u32> = q.word_pats().iter().map(|w| ids[*w]).collect();
            mine.sort_unstable();
            mine.dedup();
            for id in mine {
                users[id as usize] += 1;
            }
        }
        let common: Vec<bool> = pats
            .iter()
            .map(|(w, id)| {
                w.text.len() <= 2
                    || crate::embed::is_stopword(&w.text)
                    || users[*id as usize] >= SHARED_BY
            })
            .collect();
        let len: Vec<usize> = pats.iter().map(|(w, _)| w.text.len()).collect();
        m.pat_rules = vec![Vec::new(); ids.len()];
        for (r, (node, q)) in m.rules.iter().zip(rules).enumerate() {
            let trig = trigger(node, &common, &len).unwrap_or_else(|| {
                // a rule that could match without its words is refused by the parser; were
                // it not, every pattern of it triggers it
                q.word_pats().iter().map(|w| ids[*w]).collect()
            });
            let mut trig = trig;
            trig.sort_unstable();
            trig.dedup();
            for p in trig {
                m.pat_rules[p as usize].push(r as u32);
            }
            let mut flat = Vec::new();
            for c in clauses(node, &common, &len) {
                flat.push(c.len() as u32);
                flat.extend(c);
            }
            m.clauses.push(flat);
            m.presence.push(Presence::new(node));
        }
        m.dfa = Dfa::new(&pats);
        m.filter = Filter::new(&pats);
        m.pats = pats.iter().map(|(w, _)| (*w).clone()).collect();
        m
    }

    /// Every word pattern of the rules.
    pub fn patterns(&self) -> &[WordPat] {
        &self.pats
    }

    /// Append the ids of the patterns the word `word` (ASCII, any case) matches.
    pub fn word_patterns(&self, word: &[u8], out: &mut Vec<u32>) {
        self.dfa.word(word, out);
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
                Word::Ascii(b) if self.filter.may_match(b) => self.dfa.word(b, word_pats),
                Word::Ascii(_) => {}
                Word::Folded(f) => self.dfa.word(f.as_bytes(), word_pats),
            }
            if !word_pats.is_empty() {
                ix.note(word_pats, i);
                word_pats.clear();
            }
            i += 1;
        });
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

    /// Index the patterns of a paragraph from its token ids, as [`TokenWords`] reads them
    /// (the caller checked [`TokenWords::applies_to`] on its text); false, with the index
    /// incomplete, at a token that may stand for any word (or a continuation piece outside a
    /// word, which no accepted text gives).
    ///
    /// Only a word whose first token is [`MARKED`](super::token_words::MARKED) can match a
    /// pattern (see [`super::token_words`]), so every other token costs one look-up of its
    /// kind and a word count: word `i` is the `i`-th token that begins a word, as in
    /// [`Matcher::index`]. The unknown token is word `i` of `text` (its `i`-th ASCII
    /// letter-digit run), found by a scan of the text that goes on from the previous one.
    fn index_tokens(&self, ids: &[u32], text: &str, tw: &TokenWords, s: &mut Scratch) -> bool {
        use super::token_words::{ANY, CONT, MARKED, SEP, START, UNK};
        self.reset(s);
        let Scratch {
            pos,
            present,
            touched,
            word_pats,
            spell,
            ..
        } = s;
        let mut ix = Index {
            pos,
            present,
            touched,
        };
        let kind = |t: u32| tw.kind.get(t as usize).copied().unwrap_or(ANY);
        // words begun so far; whether the last token was part of a word; whether a token
        // that may stand for any word, or a continuation outside a word, was seen. Updated
        // without branches: which kind comes next is unpredictable.
        let (mut n, mut in_word, mut bad) = (0usize, false, false);
        let mut runs = AsciiRuns::new(text);
        let mut j = 0;
        while j < ids.len() {
            let t = ids[j];
            let k = kind(t);
            j += 1;
            if k & MARKED == 0 {
                n += (k == START) as usize;
                bad |= (k == ANY) | ((k == CONT) & !in_word);
                in_word = k != SEP;
                continue;
            }
            if k == UNK {
                // a word the ids do not spell: read it from the text (no such word means the
                // text is not what the ids say; it is then read whole)
                let Some(w) = runs.nth(n) else {
                    return false;
                };
                if self.filter.may_match(w) {
                    self.dfa.word(w, word_pats);
                    ix.note(word_pats, n);
                    word_pats.clear();
                }
                n += 1;
                in_word = true;
                continue;
            }
            // a marked word: this token and the continuation pieces after it
            let from = j;
            while j < ids.len() && kind(ids[j]) == CONT {
                j += 1;
            }
            if j == from {
                ix.note(tw.whole_word(t), n);
            } else {
                spell.clear();
                spell.extend_from_slice(&tw.text[t as usize]);
                for &c in &ids[from..j] {
                    spell.extend_from_slice(&tw.text[c as usize]);
                }
                self.dfa.word(spell, word_pats);
                ix.note(word_pats, n);
                word_pats.clear();
            }
            n += 1;
            in_word = true;
        }
        !bad
    }

    /// The rules that match `text`, in rule order, each with its first match.
    pub fn find(&self, text: &str, s: &mut Scratch) -> Vec<RuleMatch> {
        self.index(text, s);
        self.evaluate(s)
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
        self.index_tokens(ids, text, tw, s)
            .then(|| self.evaluate(s))
    }

    /// The rules that match the indexed paragraph.
    fn evaluate(&self, s: &mut Scratch) -> Vec<RuleMatch> {
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
        for w in 0..s.cand.len() {
            let mut bits = s.cand[w];
            while bits != 0 {
                let r = w * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                let node = &self.rules[r];
                if !clauses_hold(&self.clauses[r], s) || !self.presence[r].holds(s) {
                    continue;
                }
                spans.clear();
                if !eval(node, s, &mut spans) {
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
        out
    }
}

/// A set of patterns at least one of which occurs in every paragraph the rule matches
/// (none when the rule can match without any: a bare `NOT`). Of the two sides of an `AND`
/// or `NEAR` the cheaper set is kept (fewer common patterns, then fewer patterns), and of a
/// phrase its least common, longest word, so that frequent words such as "the" trigger few
/// rules. Correct whatever the choice: a rule is still evaluated in full.
fn trigger(node: &Node, common: &[bool], len: &[usize]) -> Option<Vec<u32>> {
    let cost = |t: &[u32]| -> (usize, usize) {
        (t.iter().filter(|&&i| common[i as usize]).count(), t.len())
    };
    match node {
        Node::Term(ids) => ids
            .iter()
            .copied()
            .min_by_key(|&i| (common[i as usize], std::cmp::Reverse(len[i as usize]), i))
            .map(|i| vec![i]),
        Node::Not(_) => None,
        Node::And(a, b) | Node::Near(a, b, _) => {
            match (trigger(a, common, len), trigger(b, common, len)) {
                (Some(x), Some(y)) => Some(if cost(&y) < cost(&x) { y } else { x }),
                (x, None) => x,
                (None, y) => y,
            }
        }
        Node::Or(a, b) => {
            let mut x = trigger(a, common, len)?;
            x.extend(trigger(b, common, len)?);
            Some(x)
        }
    }
}

/// A pattern that this many rules use counts as common when triggers are chosen.
const SHARED_BY: usize = 3;

/// Most clauses kept for one rule by [`clauses`]: past it an `OR` gives one clause.
const MAX_CLAUSES: usize = 16;

/// Sets of patterns such that every paragraph the rule matches holds a pattern of each set
/// (a conjunctive normal form of [`possible`], coarsened): a phrase or `AND` needs each of
/// its parts, so it gives their clauses (of a phrase, the clause of its rarest word, as
/// [`trigger`] picks it); `a OR b` needs, for every clause `x` of `a` and `y` of `b`, a
/// pattern of `x ∪ y`; a `NOT` needs nothing. Past [`MAX_CLAUSES`] products an `OR` keeps
/// one clause, the union of one clause of each side, which is still needed. Each clause is
/// implied by [`possible`], so testing the clauses first rejects rules sooner and never
/// changes which rules match.
fn clauses(node: &Node, common: &[bool], len: &[usize]) -> Vec<Vec<u32>> {
    match node {
        Node::Term(_) => trigger(node, common, len).into_iter().collect(),
        Node::Not(_) => Vec::new(),
        Node::And(a, b) | Node::Near(a, b, _) => {
            let mut x = clauses(a, common, len);
            x.extend(clauses(b, common, len));
            x
        }
        Node::Or(a, b) => {
            let (x, y) = (clauses(a, common, len), clauses(b, common, len));
            if x.is_empty() || y.is_empty() {
                return Vec::new(); // one side may match with no pattern at all
            }
            let join = |p: &[u32], q: &[u32]| {
                let mut c = [p, q].concat();
                c.sort_unstable();
                c.dedup();
                c
            };
            if x.len() * y.len() > MAX_CLAUSES {
                return vec![join(&x[0], &y[0])];
            }
            x.iter()
                .flat_map(|p| y.iter().map(move |q| (p, q)))
                .map(|(p, q)| join(p, q))
                .collect()
        }
    }
}

/// Whether each clause of `flat` (as in [`Matcher`]'s `clauses`) has a pattern that occurs.
fn clauses_hold(flat: &[u32], s: &Scratch) -> bool {
    each_clause(flat).all(|c| c.iter().any(|&i| occurs(s, i)))
}

/// The clauses of a flat list (each written as its length followed by its pattern ids).
fn each_clause(flat: &[u32]) -> impl Iterator<Item = &[u32]> {
    let mut rest = flat;
    std::iter::from_fn(move || {
        let (&n, tail) = rest.split_first()?;
        let (c, tail) = tail.split_at(n as usize);
        rest = tail;
        Some(c)
    })
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
fn occurs(s: &Scratch, id: u32) -> bool {
    s.present[id as usize >> 6] >> (id & 63) & 1 == 1
}

/// Whether pattern `id` occurs at word `word`: the positions of a pattern are recorded in
/// word order, so they are sorted.
fn has_pat(s: &Scratch, word: usize, id: u32) -> bool {
    s.pos[id as usize].binary_search(&(word as u32)).is_ok()
}

/// Whether the rule can match given only which patterns occur (positions ignored): the
/// definition of the test [`Presence`] compiles (kept for the tests that check both).
#[cfg(test)]
fn possible(node: &Node, s: &Scratch) -> bool {
    match node {
        Node::Term(ids) => ids.iter().all(|&i| occurs(s, i)),
        Node::Not(_) => true,
        Node::And(a, b) | Node::Near(a, b, _) => possible(a, s) && possible(b, s),
        Node::Or(a, b) => possible(a, s) || possible(b, s),
    }
}

/// [`possible`] compiled once per rule: chains of `AND`/`NEAR` and of `OR` become lists, and
/// an `OR`'s one-word alternatives become one sparse bit mask over the patterns, tested
/// against the paragraph's present bits a word (64 patterns) at a time. A cheap,
/// allocation-free test that rejects most candidate rules before [`eval`].
#[derive(Debug, Clone, PartialEq)]
enum Presence {
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
    fn new(node: &Node) -> Self {
        match node {
            Node::Term(ids) => Presence::All(ids.clone()),
            Node::Not(_) => Presence::Always,
            Node::And(..) | Node::Near(..) => {
                let mut parts = Vec::new();
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    match n {
                        Node::And(a, b) | Node::Near(a, b, _) => {
                            stack.push(b);
                            stack.push(a);
                        }
                        other => match Presence::new(other) {
                            Presence::Always => {}
                            p => parts.push(p),
                        },
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
                let mut stack = vec![node];
                while let Some(n) = stack.pop() {
                    match n {
                        Node::Or(a, b) => {
                            stack.push(b);
                            stack.push(a);
                        }
                        Node::Term(ids) if ids.len() == 1 => {
                            let (w, bit) = (ids[0] >> 6, 1u64 << (ids[0] & 63));
                            match words.iter_mut().find(|x| x.0 == w) {
                                Some(x) => x.1 |= bit,
                                None => words.push((w, bit)),
                            }
                        }
                        other => match Presence::new(other) {
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
    fn holds(&self, s: &Scratch) -> bool {
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

/// Append to `out` the spans (first and last word) where `node` matches, in no particular
/// order, and say whether it matches; when it does not, `out` is left as it was. A `NOT`
/// that holds appends nothing. One buffer serves the whole rule, so evaluating allocates
/// nothing once the buffer has grown.
fn eval(node: &Node, s: &Scratch, out: &mut Vec<(u32, u32)>) -> bool {
    let mark = out.len();
    match node {
        Node::Term(ids) => {
            let first = &s.pos[ids[0] as usize];
            if first.is_empty() || ids[1..].iter().any(|&i| s.pos[i as usize].is_empty()) {
                return false;
            }
            let last = ids.len() as u32 - 1;
            out.extend(
                (first.iter())
                    .filter(|&&p| {
                        (ids[1..].iter().enumerate())
                            .all(|(k, &id)| has_pat(s, p as usize + k + 1, id))
                    })
                    .map(|&p| (p, p + last)),
            );
            out.len() > mark
        }
        Node::Not(a) => {
            let held = eval(a, s, out);
            out.truncate(mark);
            !held
        }
        Node::And(a, b) => {
            let held = eval(a, s, out) && eval(b, s, out);
            if !held {
                out.truncate(mark);
            }
            held
        }
        Node::Or(a, b) => {
            let x = eval(a, s, out);
            let y = eval(b, s, out);
            x || y
        }
        Node::Near(a, b, n) => {
            if !eval(a, s, out) {
                return false;
            }
            let mid = out.len();
            if !eval(b, s, out) {
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

    #[test]
    fn rules_are_triggered_by_their_rarer_words() {
        let mt = matcher(&["\"the ban\" OR (of NEAR/2 darien*)", "the AND wall"]);
        let the = |mt: &Matcher| {
            let mut s = Scratch::default();
            mt.index("the", &mut s);
            s.touched
                .iter()
                .flat_map(|&p| mt.pat_rules[p as usize].clone())
                .collect::<Vec<_>>()
        };
        // "the" and "of" trigger nothing: "ban", "darien*" and "wall" do
        assert!(the(&mt).is_empty());
        let mut s = Scratch::default();
        assert_eq!(mt.find("THE BAN, of course", &mut s)[0].rule, 0);
        let f = mt.find("Lives lost of Darién’s jungle; the Wall", &mut s);
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [0, 1]);
        assert_eq!(
            span("of NEAR/2 darien*", "route of the DARIÉN gap"),
            Some("of the DARIÉN".into())
        );
        assert!(mt.find("the the the of of", &mut s).is_empty());
    }

    #[test]
    fn words_many_rules_share_do_not_trigger_them() {
        // "immigra*" is in three rules: each is triggered by its own rarer word instead
        let mt = matcher(&[
            "immigra* NEAR/5 welfare",
            "immigra* NEAR/5 (jobs OR wages)",
            "immigra* AND wall",
        ]);
        let triggers = |name: &str| {
            let id = mt.pats.iter().position(|p| p.text == name).unwrap();
            mt.pat_rules[id].clone()
        };
        assert_eq!(triggers("immigra"), Vec::<u32>::new());
        assert_eq!(triggers("welfare"), [0]);
        assert_eq!(triggers("wages"), [1]);
        assert_eq!(triggers("wall"), [2]);
        // with two rules it is not shared enough: the shorter side is kept
        let mt = matcher(&["immigra* NEAR/5 welfare", "immigra* AND wall"]);
        let id = mt.pats.iter().position(|p| p.text == "immigra").unwrap();
        assert_eq!(mt.pat_rules[id], [0, 1]);
        // the matches are the same whatever triggers a rule
        let mut s = Scratch::default();
        let f = mt.find("Immigrants and the wall", &mut s);
        assert_eq!(f.iter().map(|r| r.rule).collect::<Vec<_>>(), [1]);
    }

    /// The clauses of rule `r`, each as its patterns' texts (prefixes with a `*`).
    fn clause_texts(mt: &Matcher, r: usize) -> Vec<Vec<String>> {
        let text = |i: &u32| {
            let p = &mt.pats[*i as usize];
            format!("{}{}", p.text, if p.prefix { "*" } else { "" })
        };
        each_clause(&mt.clauses[r])
            .map(|c| {
                let mut c: Vec<String> = c.iter().map(text).collect();
                c.sort();
                c
            })
            .collect()
    }

    #[test]
    fn clauses_need_each_part_of_an_and_and_a_side_of_an_or() {
        let mt = matcher(&[
            "\"public charge\" OR (immigra* NEAR/8 (welfare OR \"food stamps\"))",
            "wall AND NOT \"wall street\"",
            "(NOT wall OR fence) AND gate",
            "(a AND b) OR (c AND d) OR (e AND f) OR (g AND h) OR (i AND j)",
        ]);
        assert_eq!(
            clause_texts(&mt, 0),
            [
                vec!["immigra*", "public"],
                vec!["public", "stamps", "welfare"]
            ]
        );
        assert_eq!(clause_texts(&mt, 1), [["wall"]]);
        // a side that may hold no pattern leaves the OR without clauses
        assert_eq!(clause_texts(&mt, 2), [["gate"]]);
        // 2^5 products are too many: one clause of each side is kept
        let c = clause_texts(&mt, 3);
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].len(), 5);
        let mut s = Scratch::default();
        mt.index("welfare benefits", &mut s);
        assert!(!clauses_hold(&mt.clauses[0], &s));
        mt.index("benefits for immigrants", &mut s);
        assert!(!clauses_hold(&mt.clauses[0], &s));
        mt.index("immigrants on food stamps", &mut s);
        assert!(clauses_hold(&mt.clauses[0], &s));
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

    #[test]
    fn ascii_and_folded_words_find_the_same_patterns() {
        let mt = matcher(&["deport*", "ice", "h1b", "\"zero tolerance\""]);
        let mut s = Scratch::default();
        for (text, rules) in [
            ("Deportations by ICE under Zero Tolerance", vec![0, 1, 3]),
            ("Déportations by ÏCE under Zero Tolérance", vec![0, 1, 3]),
            ("H1B visas; nice; deport", vec![0, 2]),
            ("H1B visas – nice – “deport”", vec![0, 2]),
            ("device dice icecream deplore", vec![]),
        ] {
            let f = mt.find(text, &mut s);
            assert_eq!(
                f.iter().map(|r| r.rule).collect::<Vec<_>>(),
                rules,
                "{text}"
            );
        }
    }
}
