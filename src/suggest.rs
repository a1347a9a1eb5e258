//! Active learning stage: a pool of articles and a fitted model → the paragraphs to code next.
//!
//! Input: the pool's [`Article`](crate::corpus::Article)s (any format [`crate::corpus::read_inputs`] reads), a
//! [`FramingModel`], and paragraphs to leave out (already coded, or whole articles kept for
//! evaluation). Output: [`Suggestion`]s, written by [`write_outputs`] as `to-code.jsonl`,
//! `to-code.csv` and a Label Studio import file.
//!
//! Every paragraph of the pool is scored once ([`Pool::score`]); [`SuggestValidParams::select`]
//! then picks `n` of them by a [`Mix`] of [`Strategy`]s, with at most `per_article` from any
//! one article. Random picks are drawn first, from the whole pool, so that they stay an
//! unbiased sample; the other strategies then take their quotas in the order given. Ties are
//! broken by (id, paragraph), and the random order is a seeded hash of (id, paragraph), so the
//! same pool, model and seed always give the same suggestions, whatever the pool's order.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use crate::codebook::LabelResolver;
use crate::corpus::{paragraphs, read_inputs};
use crate::error::{Error, Result};
use crate::fsio::write_atomic_with;
use crate::labels::{label_files, read_label_file};
use crate::model::FramingModel;
use crate::stats::SplitMix64;

/// How one share of the suggestions is chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// Highest entropy of the label distribution first (the model is least sure overall).
    Entropy,
    /// Smallest gap between the two most probable labels first ("breaking ties").
    Margin,
    /// The most probable paragraphs of one label (named as in the model's codebook) first,
    /// to enrich a rare frame.
    Label(String),
    /// A seeded random sample of the pool (for unbiased estimates and learning curves).
    Random,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Strategy::Entropy => f.write_str("entropy"),
            Strategy::Margin => f.write_str("margin"),
            Strategy::Label(l) => write!(f, "label:{l}"),
            Strategy::Random => f.write_str("random"),
        }
    }
}

impl std::str::FromStr for Strategy {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "entropy" => Ok(Strategy::Entropy),
            "margin" => Ok(Strategy::Margin),
            "random" => Ok(Strategy::Random),
            other => match other.strip_prefix("label:") {
                Some(l) if !l.trim().is_empty() => Ok(Strategy::Label(l.trim().to_string())),
                Some(_) => Err("label: needs a label name, e.g. label:security".into()),
                None => Err(format!(
                    "unknown strategy {other:?} (entropy, margin, random or label:FRAME)"
                )),
            },
        }
    }
}

/// Strategies with the share of the suggestions each picks; the shares sum to 1.
#[derive(Debug, Clone, PartialEq)]
pub struct Mix(Vec<(Strategy, f64)>);

impl Mix {
    /// One strategy for every suggestion.
    pub fn single(s: Strategy) -> Mix {
        Mix(vec![(s, 1.0)])
    }

    /// The strategies and their shares, as given.
    pub fn parts(&self) -> &[(Strategy, f64)] {
        &self.0
    }

    /// Check that every `label:NAME` names one of `labels` (the model's codebook).
    ///
    /// # Errors
    /// A message naming the unknown label and the known ones.
    pub fn check_labels(&self, labels: &[&str]) -> std::result::Result<(), String> {
        for (s, _) in &self.0 {
            if let Strategy::Label(name) = s {
                if !labels.contains(&name.as_str()) {
                    return Err(format!(
                        "unknown label {name:?} (the model's labels: {})",
                        labels.join(", ")
                    ));
                }
            }
        }
        Ok(())
    }

    /// How many of `n` suggestions each part picks: `n × share`, rounded by largest
    /// remainder so that the counts add up to `n` (ties go to the earlier part).
    pub fn quotas(&self, n: usize) -> Vec<usize> {
        let exact: Vec<f64> = self.0.iter().map(|(_, w)| w * n as f64).collect();
        let mut q: Vec<usize> = exact.iter().map(|x| x.floor() as usize).collect();
        let mut order: Vec<usize> = (0..q.len()).collect();
        order.sort_by(|&a, &b| {
            let (ra, rb) = (exact[a] - q[a] as f64, exact[b] - q[b] as f64);
            rb.partial_cmp(&ra)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(a.cmp(&b))
        });
        let left = n.saturating_sub(q.iter().sum());
        for &i in order.iter().take(left) {
            q[i] += 1;
        }
        q
    }
}

impl std::str::FromStr for Mix {
    type Err = String;
    /// `margin=0.6,label:security=0.2,random=0.2`: shares in [0, 1] that sum to 1 (± 1e-6),
    /// each strategy at most once.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let mut parts = Vec::new();
        for item in s.split(',').map(str::trim).filter(|x| !x.is_empty()) {
            let (name, w) = item
                .rsplit_once('=')
                .ok_or_else(|| format!("{item:?}: expected STRATEGY=SHARE"))?;
            let strategy: Strategy = name.parse()?;
            let w: f64 = w
                .trim()
                .parse()
                .map_err(|_| format!("{item:?}: share {w:?} is not a number"))?;
            if !(0.0..=1.0).contains(&w) {
                return Err(format!("{item:?}: share must be in [0, 1]"));
            }
            if parts.iter().any(|(s, _)| *s == strategy) {
                return Err(format!("strategy {strategy} is given twice"));
            }
            parts.push((strategy, w));
        }
        if parts.is_empty() {
            return Err("empty mix".into());
        }
        let sum: f64 = parts.iter().map(|(_, w)| w).sum();
        if (sum - 1.0).abs() > 1e-6 {
            return Err(format!("shares sum to {sum}, not 1"));
        }
        Ok(Mix(parts))
    }
}

/// Parameters of the selection.
///
/// | Name | Default | Purpose | Range |
/// |------|---------|---------|-------|
/// | `n` | 500 | paragraphs to suggest | ≥ 1 |
/// | `mix` | `margin=1` | strategies and their shares | shares sum to 1 |
/// | `per_article` | 3 | at most this many paragraphs from one article | ≥ 1 |
/// | `seed` | 42 | random picks and the random order | any |
///
/// # Errors
/// [`SuggestParams::check`] returns [`Error::InvalidParam`] for `n` or `per_article` of 0.
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestParams {
    n: usize,
    mix: Mix,
    per_article: usize,
    seed: u64,
}

impl Default for SuggestParams {
    fn default() -> Self {
        SuggestParams {
            n: 500,
            mix: Mix::single(Strategy::Margin),
            per_article: 3,
            seed: 42,
        }
    }
}

/// [`SuggestParams`] that passed [`SuggestParams::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct SuggestValidParams(SuggestParams);

impl SuggestParams {
    /// The strategies and shares.
    pub fn strategies(&self) -> &Mix {
        &self.mix
    }
    /// Paragraphs to suggest.
    pub fn n(mut self, v: usize) -> Self {
        self.n = v;
        self
    }
    /// Strategies and shares.
    pub fn mix(mut self, v: Mix) -> Self {
        self.mix = v;
        self
    }
    /// At most this many paragraphs per article.
    pub fn per_article(mut self, v: usize) -> Self {
        self.per_article = v;
        self
    }
    /// Seed of the random picks.
    pub fn seed(mut self, v: u64) -> Self {
        self.seed = v;
        self
    }
    /// Validate.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] naming `n` or `per_article` when it is 0.
    pub fn check(self) -> Result<SuggestValidParams> {
        if self.n == 0 {
            return Err(Error::InvalidParam {
                name: "n",
                value: "0".into(),
                reason: "at least 1",
            });
        }
        if self.per_article == 0 {
            return Err(Error::InvalidParam {
                name: "per_article",
                value: "0".into(),
                reason: "at least 1",
            });
        }
        Ok(SuggestValidParams(self))
    }
}

/// Paragraphs and articles that are not suggested.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exclusions {
    /// (article id, paragraph index) already coded.
    pub paragraphs: BTreeSet<(String, usize)>,
    /// Whole articles left out (e.g. kept for independent evaluation).
    pub articles: BTreeSet<String>,
}

impl Exclusions {
    /// Add every paragraph labeled in these label files or folders (any format `eval`
    /// reads; document labels exclude nothing).
    ///
    /// # Errors
    /// [`Error::Labels`] or [`Error::Io`] naming the file (and line) that cannot be read.
    pub fn add_labels(&mut self, paths: &[PathBuf], r: &dyn LabelResolver) -> Result<()> {
        for (f, _) in label_files(paths, None)? {
            for (_, l) in read_label_file(&f, r)?.paragraphs {
                self.paragraphs.insert((l.id, l.para));
            }
        }
        Ok(())
    }

    /// Add whole articles: a text file of ids, one a line (blank lines and `#` comments
    /// ignored).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read.
    pub fn add_article_list(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        for line in text.lines().map(str::trim) {
            if !line.is_empty() && !line.starts_with('#') {
                self.articles.insert(line.to_string());
            }
        }
        Ok(())
    }
}

/// One scored paragraph of the pool.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Article id.
    pub id: String,
    /// 0-based paragraph index among the article's non-blank lines (as in label files).
    pub para: usize,
    /// The paragraph.
    pub text: String,
    /// The article's title.
    pub title: Option<String>,
    /// The paragraph before, if any.
    pub previous: Option<String>,
    /// The paragraph after, if any.
    pub next: Option<String>,
    /// Label probabilities, in the model's codebook order.
    pub probs: Vec<f32>,
}

impl Candidate {
    /// The most probable label.
    pub fn suggested(&self) -> usize {
        argmax(&self.probs)
    }
    fn entropy(&self) -> f64 {
        -self
            .probs
            .iter()
            .filter(|&&p| p > 0.0)
            .map(|&p| f64::from(p) * f64::from(p).ln())
            .sum::<f64>()
    }
    fn margin(&self) -> f64 {
        let mut p: Vec<f32> = self.probs.clone();
        p.sort_by(|a, b| b.total_cmp(a));
        f64::from(p[0] - p.get(1).copied().unwrap_or(0.0))
    }
}

fn argmax(p: &[f32]) -> usize {
    (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b })
}

/// Every scorable paragraph of a pool, sorted by (id, paragraph).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pool {
    /// The model's label names, in codebook order (the columns of the probabilities).
    pub labels: Vec<String>,
    /// The candidates.
    pub candidates: Vec<Candidate>,
    /// Articles read.
    pub articles: usize,
    /// Articles left out by [`Exclusions::articles`].
    pub excluded_articles: usize,
    /// Paragraphs left out by [`Exclusions::paragraphs`].
    pub excluded_paragraphs: usize,
    /// Records that could not be read, each `file:line: reason` (they are skipped).
    pub problems: Vec<String>,
}

impl Pool {
    /// Read the pool files and score every paragraph not excluded.
    ///
    /// A record that cannot be read is skipped and listed in [`Pool::problems`]; a pool
    /// file none of whose records is an article is an error.
    ///
    /// # Errors
    /// [`Error::Io`] for a pool path that does not exist; [`Error::Input`] naming the file
    /// and line of the first bad record of a file that holds no article at all (e.g. a label
    /// file given as the pool); [`Error::Tokenizer`] if tokenization fails.
    pub fn score(model: &FramingModel, pool: &[PathBuf], exclude: &Exclusions) -> Result<Pool> {
        let mut out = Pool {
            labels: model
                .codebook()
                .names()
                .into_iter()
                .map(String::from)
                .collect(),
            ..Pool::default()
        };
        let mut seen = BTreeSet::new();
        for path in pool {
            let mut good = 0usize;
            let mut first_bad = None;
            let mut articles = Vec::new();
            for r in read_inputs(std::slice::from_ref(path))? {
                match r {
                    Ok(a) if a.extra.contains_key("para") && a.extra.contains_key("frame") => {
                        return Err(Error::Other(format!(
                            "{}:{}: a paragraph label (it has \"para\" and \"frame\"), not \
                             an article: give labels with --exclude-labels and articles with --pool",
                            a.origin.file,
                            a.origin.line.unwrap_or(0)
                        )));
                    }
                    Ok(a) => {
                        good += 1;
                        articles.push(a);
                    }
                    Err(e) => {
                        out.problems.push(e.to_string());
                        first_bad.get_or_insert(e);
                    }
                }
            }
            if good == 0 {
                if let Some(e) = first_bad {
                    return Err(Error::Input(e));
                }
            }
            out.articles += articles.len();
            articles.retain(|a| {
                let first = seen.insert(a.id.to_string());
                if !first {
                    out.problems.push(format!(
                        "{}:{}: duplicate article id {} (the first is kept)",
                        a.origin.file,
                        a.origin.line.unwrap_or(0),
                        a.id
                    ));
                }
                first
            });
            let before = articles.len();
            articles.retain(|a| !exclude.articles.contains(a.id.as_str()));
            out.excluded_articles += before - articles.len();
            let scored: Vec<Result<(Vec<Candidate>, usize)>> = articles
                .par_iter()
                .map(|a| {
                    let paras = paragraphs(&a.text);
                    let id = a.id.to_string();
                    let s = model.score_document(&paras)?;
                    let mut cands = Vec::new();
                    let mut skipped = 0;
                    for (i, p) in paras.iter().enumerate() {
                        if exclude.paragraphs.contains(&(id.clone(), i)) {
                            skipped += 1;
                            continue;
                        }
                        cands.push(Candidate {
                            id: id.clone(),
                            para: i,
                            text: (*p).to_string(),
                            title: a.title.clone(),
                            previous: i.checked_sub(1).map(|j| paras[j].to_string()),
                            next: paras.get(i + 1).map(|s| (*s).to_string()),
                            probs: s.paragraphs[i].clone(),
                        });
                    }
                    Ok((cands, skipped))
                })
                .collect();
            for r in scored {
                let (c, skipped) = r?;
                out.candidates.extend(c);
                out.excluded_paragraphs += skipped;
            }
        }
        out.candidates
            .sort_by(|a, b| (&a.id, a.para).cmp(&(&b.id, b.para)));
        Ok(out)
    }
}

/// One paragraph to code, with the strategy that picked it.
#[derive(Debug, Clone, PartialEq)]
pub struct Suggestion {
    /// The paragraph and its scores.
    pub candidate: Candidate,
    /// The strategy that picked it.
    pub strategy: Strategy,
    /// 1-based rank within that strategy's picks.
    pub rank: usize,
}

/// A seeded hash of (id, paragraph): the random order, independent of the pool's order.
fn random_key(seed: u64, id: &str, para: usize) -> u64 {
    let mut h = SplitMix64::new(seed);
    let mut x = h.next_u64();
    for chunk in id.as_bytes().chunks(8) {
        let mut b = [0u8; 8];
        b[..chunk.len()].copy_from_slice(chunk);
        x = SplitMix64::new(x ^ u64::from_le_bytes(b)).next_u64();
    }
    SplitMix64::new(x ^ para as u64).next_u64()
}

impl SuggestValidParams {
    /// The validated parameters.
    pub fn params(&self) -> &SuggestParams {
        &self.0
    }

    /// Pick the suggestions from a scored pool: random parts first, then the others in the
    /// order given, each taking its quota of `n` from what is left, with at most
    /// `per_article` paragraphs of any article overall. Fewer than `n` come back when the
    /// pool runs out.
    pub fn select(&self, pool: &Pool) -> Vec<Suggestion> {
        let p = &self.0;
        let quotas = p.mix.quotas(p.n);
        let mut parts: Vec<(Strategy, usize)> = p
            .mix
            .parts()
            .iter()
            .map(|(s, _)| s.clone())
            .zip(quotas)
            .collect();
        // stable: random parts first, the rest keep their order
        parts.sort_by_key(|(s, _)| !matches!(s, Strategy::Random));
        let cands = &pool.candidates;
        let mut taken = vec![false; cands.len()];
        let mut per_article: HashMap<&str, usize> = HashMap::new();
        let mut out = Vec::with_capacity(p.n);
        for (strategy, quota) in parts {
            if quota == 0 {
                continue;
            }
            let mut order: Vec<usize> = (0..cands.len()).filter(|&i| !taken[i]).collect();
            match strategy {
                Strategy::Random => order
                    .sort_by_cached_key(|&i| (random_key(p.seed, &cands[i].id, cands[i].para), i)),
                Strategy::Entropy => order.sort_by(|&a, &b| {
                    cands[b]
                        .entropy()
                        .total_cmp(&cands[a].entropy())
                        .then(a.cmp(&b))
                }),
                Strategy::Margin => order.sort_by(|&a, &b| {
                    cands[a]
                        .margin()
                        .total_cmp(&cands[b].margin())
                        .then(a.cmp(&b))
                }),
                Strategy::Label(ref name) => {
                    let Some(c) = pool.labels.iter().position(|l| l == name) else {
                        continue; // refused by Mix::check_labels
                    };
                    order.sort_by(|&a, &b| {
                        cands[b].probs[c]
                            .total_cmp(&cands[a].probs[c])
                            .then(a.cmp(&b))
                    })
                }
            }
            let mut rank = 0;
            for i in order {
                if rank == quota {
                    break;
                }
                let n = per_article.entry(cands[i].id.as_str()).or_insert(0);
                if *n >= p.per_article {
                    continue;
                }
                *n += 1;
                taken[i] = true;
                rank += 1;
                out.push(Suggestion {
                    candidate: cands[i].clone(),
                    strategy: strategy.clone(),
                    rank,
                });
            }
        }
        out
    }
}

/// Names of the output files written by [`write_outputs`].
pub const OUTPUT_FILES: [&str; 3] = ["to-code.jsonl", "to-code.csv", "label-studio.json"];

fn rounded(p: f32) -> f64 {
    (f64::from(p) * 1e4).round() / 1e4
}

fn scores_json(labels: &[String], probs: &[f32]) -> serde_json::Map<String, Value> {
    labels
        .iter()
        .zip(probs)
        .map(|(l, p)| (l.clone(), json!(rounded(*p))))
        .collect()
}

/// One line of `to-code.jsonl`.
#[derive(Serialize)]
struct JsonRow<'a> {
    id: &'a str,
    para: usize,
    text: &'a str,
    title: Option<&'a str>,
    context: Context<'a>,
    suggested: &'a str,
    scores: serde_json::Map<String, Value>,
    strategy: String,
}

#[derive(Serialize)]
struct Context<'a> {
    previous: Option<&'a str>,
    next: Option<&'a str>,
}

/// Write `to-code.jsonl`, `to-code.csv` (an empty `frame` column for the coders) and
/// `label-studio.json` (import tasks, the model's label as a pre-annotation with its score)
/// into `out`. Coders return labels with `frame` filled in (or a Label Studio export), in any
/// format `eval` and `train --labels` read.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written.
/// `labels` are the model's label names in codebook order (see [`Pool::labels`]).
pub fn write_outputs(
    out: &Path,
    suggestions: &[Suggestion],
    labels: &[String],
    model_version: &str,
) -> Result<()> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    write_atomic_with(&out.join(OUTPUT_FILES[0]), true, |w| {
        for s in suggestions {
            let c = &s.candidate;
            let row = JsonRow {
                id: &c.id,
                para: c.para,
                text: &c.text,
                title: c.title.as_deref(),
                context: Context {
                    previous: c.previous.as_deref(),
                    next: c.next.as_deref(),
                },
                suggested: &labels[c.suggested()],
                scores: scores_json(labels, &c.probs),
                strategy: s.strategy.to_string(),
            };
            serde_json::to_writer(&mut *w, &row)?;
            w.write_all(b"\n")?;
        }
        Ok(())
    })?;
    write_atomic_with(&out.join(OUTPUT_FILES[1]), true, |w| {
        let mut csv = csv::Writer::from_writer(w);
        let mut header = vec!["id", "para", "frame", "suggested", "strategy", "title"];
        header.extend(["previous", "text", "next"]);
        let score_cols: Vec<String> = labels.iter().map(|l| format!("p_{l}")).collect();
        header.extend(score_cols.iter().map(String::as_str));
        csv.write_record(&header)?;
        for s in suggestions {
            let c = &s.candidate;
            let mut rec = vec![
                c.id.clone(),
                c.para.to_string(),
                String::new(),
                labels[c.suggested()].clone(),
                s.strategy.to_string(),
                c.title.clone().unwrap_or_default(),
                c.previous.clone().unwrap_or_default(),
                c.text.clone(),
                c.next.clone().unwrap_or_default(),
            ];
            rec.extend(c.probs.iter().map(|p| format!("{:.4}", rounded(*p))));
            csv.write_record(&rec)?;
        }
        csv.flush()
    })?;
    let tasks: Vec<Value> = suggestions
        .iter()
        .map(|s| {
            let c = &s.candidate;
            let best = c.suggested();
            json!({
                "data": {
                    "id": c.id,
                    "para": c.para,
                    "text": c.text,
                    "title": c.title,
                    "previous": c.previous,
                    "next": c.next,
                    "strategy": s.strategy.to_string(),
                },
                "predictions": [{
                    "model_version": model_version,
                    "score": rounded(c.probs[best]),
                    "result": [{
                        "from_name": "frame",
                        "to_name": "text",
                        "type": "choices",
                        "value": {"choices": [labels[best]]},
                    }],
                }],
            })
        })
        .collect();
    write_atomic_with(&out.join(OUTPUT_FILES[2]), true, |w| {
        serde_json::to_writer_pretty(&mut *w, &tasks)?;
        w.write_all(b"\n")
    })?;
    Ok(())
}

/// Counts of the picks per strategy, for the log.
pub fn counts_by_strategy(suggestions: &[Suggestion]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in suggestions {
        *m.entry(s.strategy.to_string()).or_insert(0) += 1;
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand(id: &str, para: usize, probs: [f32; 5]) -> Candidate {
        Candidate {
            id: id.into(),
            para,
            text: format!("{id} {para}"),
            title: None,
            previous: None,
            next: None,
            probs: probs.to_vec(),
        }
    }

    fn pool() -> Pool {
        Pool {
            labels: [
                "humanitarian",
                "economic",
                "security",
                "enforcement",
                "none",
            ]
            .map(String::from)
            .to_vec(),
            candidates: vec![
                cand("a", 0, [0.2, 0.2, 0.2, 0.2, 0.2]), // max entropy, margin 0
                cand("a", 1, [0.45, 0.44, 0.01, 0.05, 0.05]), // small margin
                cand("b", 0, [0.0, 0.0, 0.9, 0.1, 0.0]), // security
                cand("b", 1, [0.0, 0.0, 0.6, 0.4, 0.0]),
                cand("c", 0, [0.97, 0.01, 0.0, 0.01, 0.01]), // sure
            ],
            ..Pool::default()
        }
    }

    fn pick(mix: &str, n: usize, per: usize, seed: u64) -> Vec<(String, usize, String)> {
        SuggestParams::default()
            .n(n)
            .mix(mix.parse().unwrap())
            .per_article(per)
            .seed(seed)
            .check()
            .unwrap()
            .select(&pool())
            .into_iter()
            .map(|s| (s.candidate.id, s.candidate.para, s.strategy.to_string()))
            .collect()
    }

    #[test]
    fn each_strategy_picks_its_documented_items() {
        let ids = |v: Vec<(String, usize, String)>| {
            v.into_iter()
                .map(|(i, p, _)| format!("{i}{p}"))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(pick("entropy=1", 2, 5, 1)), ["a0", "a1"]);
        assert_eq!(ids(pick("margin=1", 3, 5, 1)), ["a0", "a1", "b1"]);
        assert_eq!(ids(pick("label:security=1", 2, 5, 1)), ["b0", "b1"]);
        assert_eq!(ids(pick("label:humanitarian=1", 1, 5, 1)), ["c0"]);
        // per-article cap: a's second paragraph is skipped
        assert_eq!(ids(pick("margin=1", 3, 1, 1)), ["a0", "b1", "c0"]);
    }

    #[test]
    fn random_is_seeded_and_order_independent() {
        let a = pick("random=1", 3, 5, 7);
        assert_eq!(a, pick("random=1", 3, 5, 7));
        let mut p = pool();
        p.candidates.reverse();
        let b: Vec<_> = SuggestParams::default()
            .n(3)
            .mix("random=1".parse().unwrap())
            .per_article(5)
            .seed(7)
            .check()
            .unwrap()
            .select(&p)
            .into_iter()
            .map(|s| (s.candidate.id, s.candidate.para, s.strategy.to_string()))
            .collect();
        assert_eq!(a, b);
        let others: Vec<_> = (0..20).map(|s| pick("random=1", 3, 5, s)).collect();
        assert!(
            others.iter().any(|o| *o != a),
            "the seed changes the sample"
        );
    }

    #[test]
    fn mixes_split_by_quota_and_never_pick_twice() {
        let v = pick("margin=0.6,label:security=0.2,random=0.2", 5, 5, 3);
        assert_eq!(v.len(), 5);
        let mut keys: Vec<_> = v.iter().map(|(i, p, _)| (i.clone(), *p)).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 5);
        assert_eq!(v[0].2, "random", "random draws first");
        let n = |s: &str| v.iter().filter(|x| x.2 == s).count();
        assert_eq!((n("margin"), n("label:security"), n("random")), (3, 1, 1));
    }

    #[test]
    fn quotas_add_up() {
        let m: Mix = "margin=0.34,entropy=0.33,random=0.33".parse().unwrap();
        assert_eq!(m.quotas(10), vec![4, 3, 3]);
        assert_eq!(m.quotas(1).iter().sum::<usize>(), 1);
    }

    #[test]
    fn bad_mixes_are_refused() {
        for (s, needle) in [
            ("margin=0.5,random=0.4", "sum to"),
            ("margins=1", "unknown strategy"),
            ("label:=1", "label name"),
            ("margin", "STRATEGY=SHARE"),
            ("margin=x", "not a number"),
            ("margin=0.5,margin=0.5", "twice"),
            ("margin=1.5,random=-0.5", "[0, 1]"),
        ] {
            let e = s.parse::<Mix>().unwrap_err();
            assert!(e.contains(needle), "{s}: {e}");
        }
        let m: Mix = "label:sports=1".parse().unwrap();
        let e = m.check_labels(&["security", "none"]).unwrap_err();
        assert!(
            e.contains("\"sports\"") && e.contains("security, none"),
            "{e}"
        );
        assert!(SuggestParams::default().n(0).check().is_err());
        assert!(SuggestParams::default().per_article(0).check().is_err());
    }

    #[test]
    fn fewer_when_the_pool_runs_out() {
        assert_eq!(pick("margin=1", 50, 1, 1).len(), 3);
    }
}
