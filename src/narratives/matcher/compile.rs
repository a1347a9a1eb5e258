//! Rule compilation: pattern ids, trigger patterns and clauses.

use super::evaluate::{Presence, Prog};
use super::index::occurs;
use super::{Dfa, Filter, FxHashMap, Matcher, Node, Query, Scratch, WordPat};

impl Matcher {
    /// Compile `rules` into one matcher.
    pub fn new(rules: &[Query]) -> Self {
        Self::with_frequency(rules, |_| None)
    }

    /// [`Matcher::new`], with `frequency(pattern)` estimating how often words matching a
    /// pattern occur (relative to one another; `None` when unknown): rules are then triggered
    /// by the patterns expected least often. Which patterns trigger a rule changes how many
    /// rules are evaluated, never which rules match. When `frequency` knows no pattern, a
    /// pattern counts as frequent when it is a function word or a word of one or two letters
    /// ("the", "of", "us"), or when several rules use it: words that many storylines share
    /// ("immigra*", "border") are the set's topic, present in most paragraphs it is run on.
    pub fn with_frequency(rules: &[Query], frequency: impl Fn(&WordPat) -> Option<f64>) -> Self {
        let mut m = Matcher::default();
        let mut ids: FxHashMap<WordPat, u32> = FxHashMap::default();
        for q in rules {
            let node = m.compile(q, &mut ids);
            m.rules.push(node);
        }
        m.n_pats = ids.len();
        let mut pats: Vec<(&WordPat, u32)> = ids.iter().map(|(w, &id)| (w, id)).collect();
        pats.sort_by_key(|p| p.1);
        let mut users = vec![0usize; ids.len()];
        for q in rules {
            let mut mine: Vec<u32> = q.word_pats().iter().map(|w| ids[*w]).collect();
            mine.sort_unstable();
            mine.dedup();
            for id in mine {
                users[id as usize] += 1;
            }
        }
        let known: Vec<Option<f64>> = pats.iter().map(|(w, _)| frequency(w)).collect();
        let cost: Vec<f64> = if known.iter().any(Option::is_some) {
            // a pattern the estimate does not know is taken to be rare
            known.iter().map(|f| f.unwrap_or(0.0)).collect()
        } else {
            // one for a common pattern, a thousandth for another: the cost of a set of
            // patterns orders sets by their common patterns, then by their size
            pats.iter()
                .map(|(w, id)| {
                    let common = w.text.len() <= 2
                        || crate::embed::is_stopword(&w.text)
                        || users[*id as usize] >= SHARED_BY;
                    if common {
                        1.0
                    } else {
                        1e-3
                    }
                })
                .collect()
        };
        let w = Weights {
            cost,
            len: pats.iter().map(|(w, _)| w.text.len()).collect(),
        };
        // every phrase is anchored at its cheapest word, the one `trigger` picks; a pattern
        // that is a word of phrases only, and never their anchor, is lazy
        let mut lazy = vec![true; ids.len()];
        for node in &mut m.rules {
            set_anchors(node, &w, &mut lazy);
        }
        m.pat_rules = vec![Vec::new(); ids.len()];
        for (r, (node, q)) in m.rules.iter().zip(rules).enumerate() {
            let trig = trigger(node, &w).unwrap_or_else(|| {
                // a rule that could match without its words is refused by the parser; were
                // it not, every pattern of it triggers it
                q.word_pats().iter().map(|w| ids[*w]).collect()
            });
            let mut trig = trig;
            trig.sort_unstable();
            trig.dedup();
            for p in trig {
                lazy[p as usize] = false;
                m.pat_rules[p as usize].push(r as u32);
            }
            let mut flat = Vec::new();
            for c in clauses(node, &w) {
                flat.push(c.len() as u32);
                flat.extend(c);
            }
            m.clauses.push(flat);
        }
        for node in &m.rules {
            m.presence.push(Presence::new(node, &lazy));
            m.progs.push(Prog::new(node));
        }
        m.lazy = lazy;
        m.dfa = Dfa::new(&pats);
        m.filter = Filter::new(&pats);
        m.pats = pats.iter().map(|(w, _)| (*w).clone()).collect();
        m
    }

    /// Every word pattern of the rules.
    pub fn patterns(&self) -> &[WordPat] {
        &self.pats
    }

    /// Whether pattern `id` triggers a rule: no rule can match a paragraph where no trigger
    /// pattern occurs.
    pub fn is_trigger(&self, id: usize) -> bool {
        !self.pat_rules[id].is_empty()
    }

    /// The patterns whose positions [`Matcher::find_tokens`] needs indexed: all but the lazy
    /// words of phrases, which it checks where their phrase's anchor occurs.
    pub fn indexed_patterns(&self) -> impl Iterator<Item = &WordPat> {
        (self.pats.iter().zip(&self.lazy))
            .filter(|(_, &lazy)| !lazy)
            .map(|(p, _)| p)
    }

    /// Append the ids of the indexed patterns ([`Matcher::indexed_patterns`]) the word `word`
    /// (ASCII, any case) matches: read from token ids, the lazy ones are checked in place.
    pub fn word_patterns(&self, word: &[u8], out: &mut Vec<u32>) {
        let from = out.len();
        self.dfa.word(word, out);
        self.drop_lazy(out, from);
    }

    /// Remove the lazy patterns from `out[from..]`.
    #[inline]
    pub(super) fn drop_lazy(&self, out: &mut Vec<u32>, from: usize) {
        let mut keep = from;
        for i in from..out.len() {
            let p = out[i];
            out[keep] = p;
            keep += usize::from(!self.lazy[p as usize]);
        }
        out.truncate(keep);
    }

    fn compile(&self, q: &Query, ids: &mut FxHashMap<WordPat, u32>) -> Node {
        let mut c = |x: &Query| Box::new(self.compile(x, ids));
        match q {
            Query::Term(ws) => Node::Term {
                ids: ws
                    .iter()
                    .map(|w| {
                        let n = ids.len() as u32;
                        *ids.entry(w.clone()).or_insert(n)
                    })
                    .collect(),
                anchor: 0,
            },
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
}

/// The index in `ids` of the cheapest, then longest, pattern.
fn cheapest(ids: &[u32], w: &Weights) -> Option<usize> {
    let key = |i: u32| (w.cost[i as usize], std::cmp::Reverse(w.len[i as usize]), i);
    (0..ids.len()).min_by(|&a, &b| {
        key(ids[a])
            .partial_cmp(&key(ids[b]))
            .expect("costs are numbers")
    })
}

/// Anchor each phrase of `node` at its cheapest word ([`cheapest`]), and clear `lazy` for
/// the anchors and for every one-word term.
fn set_anchors(node: &mut Node, w: &Weights, lazy: &mut [bool]) {
    match node {
        Node::Term { ids, anchor } => {
            *anchor = cheapest(ids, w).expect("a term has a word");
            lazy[ids[*anchor] as usize] = false;
        }
        Node::Not(a) => set_anchors(a, w, lazy),
        Node::Near(a, b, _) | Node::And(a, b) | Node::Or(a, b) => {
            set_anchors(a, w, lazy);
            set_anchors(b, w, lazy);
        }
    }
}

/// How trigger patterns are chosen: per pattern, the expected cost of its occurrences (its
/// estimated frequency) and its length.
struct Weights {
    cost: Vec<f64>,
    len: Vec<usize>,
}

impl Weights {
    /// The cost of a set of patterns.
    fn of(&self, t: &[u32]) -> f64 {
        t.iter().map(|&i| self.cost[i as usize]).sum()
    }
}

/// A set of patterns at least one of which occurs in every paragraph the rule matches
/// (none when the rule can match without any: a bare `NOT`). Of the two sides of an `AND`
/// or `NEAR` the cheaper set is kept, and of a phrase its cheapest, longest word, so that
/// frequent words such as "the" trigger few rules. Correct whatever the choice: a rule is
/// still evaluated in full.
fn trigger(node: &Node, w: &Weights) -> Option<Vec<u32>> {
    match node {
        Node::Term { ids, .. } => cheapest(ids, w).map(|k| vec![ids[k]]),
        Node::Not(_) => None,
        Node::And(a, b) | Node::Near(a, b, _) => match (trigger(a, w), trigger(b, w)) {
            (Some(x), Some(y)) => Some(if w.of(&y) < w.of(&x) { y } else { x }),
            (x, None) => x,
            (None, y) => y,
        },
        Node::Or(a, b) => {
            let mut x = trigger(a, w)?;
            x.extend(trigger(b, w)?);
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
fn clauses(node: &Node, w: &Weights) -> Vec<Vec<u32>> {
    match node {
        Node::Term { .. } => trigger(node, w).into_iter().collect(),
        Node::Not(_) => Vec::new(),
        Node::And(a, b) | Node::Near(a, b, _) => {
            let mut x = clauses(a, w);
            x.extend(clauses(b, w));
            x
        }
        Node::Or(a, b) => {
            let (x, y) = (clauses(a, w), clauses(b, w));
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
pub(super) fn clauses_hold(flat: &[u32], s: &Scratch) -> bool {
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

#[cfg(test)]
mod tests {
    use super::super::tests::{matcher, span};
    use super::*;

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
}
