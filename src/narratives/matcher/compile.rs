//! Rule compilation: pattern ids, trigger patterns and clauses.

use super::evaluate::Presence;
use super::index::occurs;
use super::{Dfa, Filter, FxHashMap, Matcher, Node, Query, Scratch, WordPat};

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
