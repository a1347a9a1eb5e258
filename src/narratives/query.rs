//! The narrative query language: lexer and parser.
//!
//! Input: a rule string. Output: a [`Query`] tree, or a [`QueryError`] with the 1-based
//! column (in characters) where the rule goes wrong.
//!
//! | Syntax | Meaning |
//! |---|---|
//! | `word` | the word, case-insensitive and accent-folded (`darien` matches `Darién`) |
//! | `deport*` | any word starting with `deport` (at least 2 characters before `*`) |
//! | `"catch and release"` | the words in this order, adjacent (words inside may end in `*`) |
//! | `MS-13`, `China's` | a bare term with inner punctuation is the phrase of its words |
//! | `NOT a` | the paragraph does not match `a` |
//! | `a NEAR/n b` | `a` and `b` with at most `n` words between them, in either order |
//! | `a AND b` | both |
//! | `a OR b` | either |
//! | `( … )` | grouping |
//!
//! Precedence, tightest first: `NOT`, `NEAR/n`, `AND`, `OR`; binary operators group left to
//! right. Operators are upper-case; two terms side by side without an operator are an error
//! (write `AND`, or quote a phrase). A `NOT` cannot be an operand of `NEAR`, and a rule must
//! need at least one of its terms to be present (`NOT a` alone, or `a OR NOT b`, would match
//! nearly every paragraph and are rejected).

use super::words::{fold_char, is_word_char};

/// One word of a term: its folded text, and whether it is a prefix (`deport*`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WordPat {
    /// Folded word (or prefix).
    pub text: String,
    /// Matches any word starting with `text`.
    pub prefix: bool,
}

/// A parsed rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// One word, or a phrase of adjacent words.
    Term(Vec<WordPat>),
    /// The operand must not match.
    Not(Box<Query>),
    /// Both operands within `n` words of each other.
    Near(Box<Query>, Box<Query>, u32),
    /// Both operands.
    And(Box<Query>, Box<Query>),
    /// Either operand.
    Or(Box<Query>, Box<Query>),
}

/// A rule that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("column {column}: {message}")]
pub struct QueryError {
    /// 1-based column, in characters, in the rule string.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(Vec<WordPat>),
    And,
    Or,
    Not,
    Near(u32),
    Open,
    Close,
}

/// Byte offset → 1-based character column.
fn column(src: &str, byte: usize) -> usize {
    src[..byte.min(src.len())].chars().count() + 1
}

fn err(src: &str, byte: usize, message: impl Into<String>) -> QueryError {
    QueryError {
        column: column(src, byte),
        message: message.into(),
    }
}

/// Split raw term text (a bare term or a quoted phrase) into word patterns. `start` is the
/// byte offset of `raw` in `src`, for errors.
fn word_pats(src: &str, raw: &str, start: usize) -> Result<Vec<WordPat>, QueryError> {
    let mut pats: Vec<WordPat> = Vec::new();
    let mut cur = String::new();
    let mut after_star = false;
    for (i, c) in raw.char_indices() {
        if after_star && is_word_char(c) {
            return Err(err(
                src,
                start + i - 1,
                "`*` is only allowed at the end of a word",
            ));
        }
        if is_word_char(c) {
            fold_char(c, &mut cur);
        } else if c == '*' {
            if cur.chars().count() < 2 {
                return Err(err(
                    src,
                    start + i,
                    "a wildcard needs at least 2 letters before `*`",
                ));
            }
            pats.push(WordPat {
                text: std::mem::take(&mut cur),
                prefix: true,
            });
            after_star = true;
            continue;
        } else if !cur.is_empty() {
            pats.push(WordPat {
                text: std::mem::take(&mut cur),
                prefix: false,
            });
        }
        after_star = false;
    }
    if !cur.is_empty() {
        pats.push(WordPat {
            text: cur,
            prefix: false,
        });
    }
    Ok(pats)
}

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, QueryError> {
    let mut toks = Vec::new();
    let mut it = src.char_indices().peekable();
    while let Some(&(i, c)) = it.peek() {
        if c.is_whitespace() {
            it.next();
            continue;
        }
        match c {
            '(' => {
                it.next();
                toks.push((Tok::Open, i));
            }
            ')' => {
                it.next();
                toks.push((Tok::Close, i));
            }
            '"' | '“' | '”' => {
                it.next();
                let body_start = i + c.len_utf8();
                let mut end = None;
                for (j, d) in it.by_ref() {
                    if d == '"' || d == '“' || d == '”' {
                        end = Some(j);
                        break;
                    }
                }
                let Some(end) = end else {
                    return Err(err(src, i, "unclosed quote"));
                };
                let pats = word_pats(src, &src[body_start..end], body_start)?;
                if pats.is_empty() {
                    return Err(err(src, i, "empty phrase"));
                }
                toks.push((Tok::Word(pats), i));
            }
            _ => {
                let mut end = src.len();
                while let Some(&(j, d)) = it.peek() {
                    if d.is_whitespace() || matches!(d, '(' | ')' | '"' | '“' | '”') {
                        end = j;
                        break;
                    }
                    it.next();
                }
                let raw = &src[i..end];
                let tok = match raw {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" => Tok::Not,
                    _ if raw.starts_with("NEAR/") => {
                        let n = &raw[5..];
                        match n.parse::<u32>() {
                            Ok(n) if n <= 1000 => Tok::Near(n),
                            _ => {
                                return Err(err(
                                    src,
                                    i + 5,
                                    format!(
                                        "NEAR/ needs a distance from 0 to 1000 words, found {n:?}"
                                    ),
                                ))
                            }
                        }
                    }
                    "NEAR" => {
                        return Err(err(src, i, "NEAR needs a distance: write NEAR/n"));
                    }
                    _ => {
                        let pats = word_pats(src, raw, i)?;
                        if pats.is_empty() {
                            return Err(err(src, i, format!("{raw:?} has no letters or digits")));
                        }
                        Tok::Word(pats)
                    }
                };
                toks.push((tok, i));
            }
        }
    }
    Ok(toks)
}

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos).map(|t| &t.0)
    }

    fn at(&self) -> usize {
        self.toks.get(self.pos).map_or(self.src.len(), |t| t.1)
    }

    fn or(&mut self) -> Result<Query, QueryError> {
        let mut q = self.and()?;
        while self.peek() == Some(&Tok::Or) {
            self.pos += 1;
            q = Query::Or(Box::new(q), Box::new(self.and()?));
        }
        Ok(q)
    }

    fn and(&mut self) -> Result<Query, QueryError> {
        let mut q = self.near()?;
        while self.peek() == Some(&Tok::And) {
            self.pos += 1;
            q = Query::And(Box::new(q), Box::new(self.near()?));
        }
        Ok(q)
    }

    fn near(&mut self) -> Result<Query, QueryError> {
        let mut q = self.unary()?;
        while let Some(&Tok::Near(n)) = self.peek() {
            let op = self.at();
            self.pos += 1;
            let rhs_at = self.at();
            let r = self.unary()?;
            if matches!(q, Query::Not(_)) {
                return Err(err(self.src, op, "NOT cannot be an operand of NEAR"));
            }
            if matches!(r, Query::Not(_)) {
                return Err(err(self.src, rhs_at, "NOT cannot be an operand of NEAR"));
            }
            q = Query::Near(Box::new(q), Box::new(r), n);
        }
        Ok(q)
    }

    fn unary(&mut self) -> Result<Query, QueryError> {
        if self.peek() == Some(&Tok::Not) {
            self.pos += 1;
            return Ok(Query::Not(Box::new(self.unary()?)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let at = self.at();
        match self.toks.get(self.pos).map(|t| t.0.clone()) {
            Some(Tok::Word(p)) => {
                self.pos += 1;
                Ok(Query::Term(p))
            }
            Some(Tok::Open) => {
                self.pos += 1;
                let q = self.or()?;
                if self.peek() != Some(&Tok::Close) {
                    return Err(err(
                        self.src,
                        self.at(),
                        format!(
                            "expected `)` to close the `(` at column {}",
                            column(self.src, at)
                        ),
                    ));
                }
                self.pos += 1;
                Ok(q)
            }
            Some(Tok::Close) => Err(err(self.src, at, "expected a term, found `)`")),
            Some(t) => Err(err(
                self.src,
                at,
                format!("expected a term, found the operator {}", op_name(&t)),
            )),
            None => Err(err(
                self.src,
                at,
                "expected a term, found the end of the rule",
            )),
        }
    }
}

fn op_name(t: &Tok) -> String {
    match t {
        Tok::And => "AND".into(),
        Tok::Or => "OR".into(),
        Tok::Not => "NOT".into(),
        Tok::Near(n) => format!("NEAR/{n}"),
        Tok::Open => "(".into(),
        Tok::Close => ")".into(),
        Tok::Word(_) => "a term".into(),
    }
}

impl Query {
    /// Parse a rule.
    ///
    /// # Errors
    /// A [`QueryError`] with the column of the first problem.
    pub fn parse(src: &str) -> Result<Query, QueryError> {
        let toks = lex(src)?;
        if toks.is_empty() {
            return Err(err(src, 0, "empty rule"));
        }
        let mut p = Parser { src, toks, pos: 0 };
        let q = p.or()?;
        if let Some(t) = p.peek() {
            let msg = match t {
                Tok::Close => "unmatched `)`".to_string(),
                Tok::Word(_) => {
                    "two terms without an operator between them: write AND, OR, NEAR/n, or quote a phrase"
                        .to_string()
                }
                t => format!("unexpected {}", op_name(t)),
            };
            return Err(err(src, p.at(), msg));
        }
        if q.matches_without_terms() {
            return Err(err(
                src,
                0,
                "the rule matches paragraphs that contain none of its terms (a NOT that is not joined to a term by AND)",
            ));
        }
        Ok(q)
    }

    /// Whether the rule is satisfied by a paragraph with none of its terms.
    pub fn matches_without_terms(&self) -> bool {
        match self {
            Query::Term(_) | Query::Near(..) => false,
            Query::Not(_) => true,
            Query::And(a, b) => a.matches_without_terms() && b.matches_without_terms(),
            Query::Or(a, b) => a.matches_without_terms() || b.matches_without_terms(),
        }
    }

    /// Every word pattern in the rule, in order.
    pub fn word_pats(&self) -> Vec<&WordPat> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a WordPat>) {
        match self {
            Query::Term(p) => out.extend(p.iter()),
            Query::Not(a) => a.collect(out),
            Query::Near(a, b, _) | Query::And(a, b) | Query::Or(a, b) => {
                a.collect(out);
                b.collect(out);
            }
        }
    }
}

impl std::fmt::Display for Query {
    /// The canonical form: every binary operation in parentheses, phrases quoted.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Query::Term(p) => {
                let words: Vec<String> = p
                    .iter()
                    .map(|w| format!("{}{}", w.text, if w.prefix { "*" } else { "" }))
                    .collect();
                if words.len() == 1 {
                    write!(f, "{}", words[0])
                } else {
                    write!(f, "\"{}\"", words.join(" "))
                }
            }
            Query::Not(a) => write!(f, "NOT {a}"),
            Query::Near(a, b, n) => write!(f, "({a} NEAR/{n} {b})"),
            Query::And(a, b) => write!(f, "({a} AND {b})"),
            Query::Or(a, b) => write!(f, "({a} OR {b})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Query::parse(s).unwrap().to_string()
    }

    fn e(s: &str) -> QueryError {
        Query::parse(s).unwrap_err()
    }

    #[test]
    fn terms_phrases_and_wildcards() {
        assert_eq!(p("Darién"), "darien");
        assert_eq!(p("deport*"), "deport*");
        assert_eq!(p("\"Catch and Release\""), "\"catch and release\"");
        assert_eq!(p("“military-age men”"), "\"military age men\"");
        assert_eq!(p("MS-13"), "\"ms 13\"");
        assert_eq!(p("\"chain migra*\""), "\"chain migra*\"");
    }

    #[test]
    fn precedence_not_near_and_or() {
        assert_eq!(p("a OR b AND c"), "(a OR (b AND c))");
        assert_eq!(p("a AND b OR c"), "((a AND b) OR c)");
        assert_eq!(p("a AND b NEAR/3 c"), "(a AND (b NEAR/3 c))");
        assert_eq!(p("a NEAR/3 b AND c"), "((a NEAR/3 b) AND c)");
        assert_eq!(p("a AND NOT b OR c"), "((a AND NOT b) OR c)");
        assert_eq!(p("NOT b AND a"), "(NOT b AND a)");
        assert_eq!(p("a OR b OR c"), "((a OR b) OR c)");
        assert_eq!(p("a NEAR/1 b NEAR/2 c"), "((a NEAR/1 b) NEAR/2 c)");
    }

    #[test]
    fn parentheses_override_precedence() {
        assert_eq!(p("(a OR b) AND c"), "((a OR b) AND c)");
        assert_eq!(
            p("(a OR b) NEAR/5 (c AND d)"),
            "((a OR b) NEAR/5 (c AND d))"
        );
        assert_eq!(p("a AND NOT (b OR c)"), "(a AND NOT (b OR c))");
        assert_eq!(p("((a))"), "a");
    }

    #[test]
    fn errors_carry_columns() {
        let x = e("a AND");
        assert_eq!(x.column, 6);
        assert!(x.message.contains("end of the rule"), "{x}");
        let x = e("(a OR b");
        assert_eq!(x.column, 8);
        assert!(x.message.contains("column 1"), "{x}");
        let x = e("a OR b)");
        assert_eq!((x.column, x.message.as_str()), (7, "unmatched `)`"));
        let x = e("border wall");
        assert_eq!(x.column, 8);
        assert!(x.message.contains("without an operator"), "{x}");
        let x = e("a \"bc");
        assert_eq!((x.column, x.message.as_str()), (3, "unclosed quote"));
        assert_eq!(e("a NEAR/x b").column, 8);
        assert_eq!(e("a NEAR b").column, 3);
        assert_eq!(e("d*eport").column, 2);
        assert_eq!(e("x OR a*").column, 7);
        assert_eq!(e("a NEAR/2 NOT b").column, 10);
        assert_eq!(e("NOT a").column, 1);
        assert!(e("a OR NOT b").message.contains("none of its terms"));
        assert_eq!(e("a AND OR b").column, 7);
        assert_eq!(e("").message, "empty rule");
        assert_eq!(e("a OR \"\"").column, 6);
        // columns count characters, not bytes
        assert_eq!(e("é AND").column, 6);
    }

    #[test]
    fn word_pats_lists_every_word() {
        let q = Query::parse("\"a b\" AND (cc* OR NOT d)").unwrap();
        let w: Vec<&str> = q.word_pats().iter().map(|w| w.text.as_str()).collect();
        assert_eq!(w, ["a", "b", "cc", "d"]);
    }
}
