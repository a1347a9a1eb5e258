//! Narratives: user-defined storylines detected per paragraph, with evidence.
//!
//! Input: a narrative file ([`NarrativeFile`], TOML) and the paragraphs of a document with
//! their labels. Output: for each paragraph the narratives it matches, and for the document a
//! [`NarrativeHit`] per narrative (paragraph count, share of the text, evidence with spans).
//!
//! Frames are the angle; narratives are the recurring storylines coverage repeats and
//! contests ("the caravan", "China will not take its deportees back"). Each narrative has a
//! rule in a small query language ([`query`]); all rules of a file, plus the rebuttal cue
//! rule of [`stance`], are compiled once into one [`Matcher`] and run in the same streaming
//! pass as classification (see [`crate::classify`]).
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use framelens::narratives::{NarrativeFile, NarrativeSet};
//! let file = NarrativeFile::from_str(
//!     "[[narrative]]\nid = \"wall\"\nlabel = \"The wall\"\nrule = '\"border wall\"'\n",
//!     std::path::Path::new("n.toml"),
//! )?;
//! let set = NarrativeSet::new(file);
//! let found = set.detect(&["They want a border wall.", "Nothing here."], |_| String::new());
//! assert_eq!(found.paragraphs[0], ["wall"]);
//! assert_eq!(found.documents["wall"].evidence[0].span, [12, 23]);
//! # Ok(())
//! # }
//! ```

pub mod file;
pub mod matcher;
pub mod passage;
pub mod query;
pub mod stance;
pub mod token_words;
pub mod words;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

pub use file::{Narrative, NarrativeError, NarrativeFile, StanceConfig};
pub use matcher::{Matcher, RuleMatch, Scratch};
pub use query::{Query, QueryError};
pub use stance::Stance;
pub use token_words::TokenWords;

use crate::tokenize::DocTokenizer;

/// Most evidence passages kept per narrative and document.
pub const EVIDENCE_PER_NARRATIVE: usize = 3;

/// The name of a narrative file kept inside a model folder; `classify` uses it when no
/// `--narratives` is given.
pub const MODEL_NARRATIVES_FILE: &str = "narratives.toml";

/// A passage quoted as evidence for a narrative.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NarrativeEvidence {
    /// Paragraph index.
    pub index: usize,
    /// The sentence (or sentences) of the paragraph holding the first match
    /// ([`passage::passage`]).
    pub text: String,
    /// Byte range `[start, end)` of the first match in `text`.
    pub span: [usize; 2],
    /// Asserted or rebutted (only when the narrative file enables stance).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stance: Option<Stance>,
}

/// One narrative in one document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NarrativeHit {
    /// Paragraphs that carry it.
    pub paragraphs: usize,
    /// Their share of the document's text (bytes of matching paragraphs / bytes of all).
    pub share: f64,
    /// Of those paragraphs, how many rebut it (only when stance is enabled).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rebutted: Option<usize>,
    /// The first matching passages, in paragraph order.
    pub evidence: Vec<NarrativeEvidence>,
}

/// A narrative of a set, as recorded in `run.json` and the store: its id and label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NarrativeRef {
    /// The narrative id.
    pub id: String,
    /// Its human-readable label.
    pub label: String,
}

/// Which narrative file a run detected (the `narratives` object of `run.json`, a row of the
/// store's `narrative_sets`): documents checked with it carry each of its narratives or not,
/// so a narrative absent from a document's report is a true zero for trends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NarrativeSetInfo {
    /// The file as given.
    pub file: String,
    /// SHA-256 of the file's bytes: the set's identity.
    pub sha256: String,
    /// Whether stance (asserted/rebutted) was marked.
    pub stance: bool,
    /// The narratives, in file order.
    pub narratives: Vec<NarrativeRef>,
}

impl NarrativeSetInfo {
    /// A stand-in for reports written without a set in `run.json`: the ids seen in the
    /// reports (sorted), identified by a digest of that list.
    pub fn inferred<'a>(ids: impl IntoIterator<Item = &'a String>) -> Self {
        let ids: std::collections::BTreeSet<&String> = ids.into_iter().collect();
        let list: Vec<&str> = ids.iter().map(|s| s.as_str()).collect();
        NarrativeSetInfo {
            file: "(not recorded)".into(),
            sha256: format!(
                "ids:{}",
                &crate::hash::sha256_hex(list.join("\n").as_bytes())[..16]
            ),
            stance: false,
            narratives: list
                .iter()
                .map(|id| NarrativeRef {
                    id: id.to_string(),
                    label: id.to_string(),
                })
                .collect(),
        }
    }
}

/// The counts of one narrative in one document that the store and trends keep (a
/// [`NarrativeHit`] without its evidence).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct NarrativeCount {
    /// Paragraphs that carry it.
    pub paragraphs: u64,
    /// Their share of the document's text.
    #[serde(default)]
    pub share: f64,
    /// Of those, how many rebut it (when stance was on).
    #[serde(default)]
    pub rebutted: Option<u64>,
}

impl From<&NarrativeHit> for NarrativeCount {
    fn from(h: &NarrativeHit) -> Self {
        NarrativeCount {
            paragraphs: h.paragraphs as u64,
            share: h.share,
            rebutted: h.rebutted.map(|r| r as u64),
        }
    }
}

/// What [`NarrativeSet::detect`] found in one document.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detection {
    /// For each paragraph, the ids of the narratives it carries (file order).
    pub paragraphs: Vec<Vec<String>>,
    /// For each paragraph, the ids of the narratives it rebuts (empty unless stance is on).
    pub rebutted: Vec<Vec<String>>,
    /// Per narrative carried by the document.
    pub documents: BTreeMap<String, NarrativeHit>,
}

/// Per narrative while a document is scanned: (paragraphs, bytes, rebutted, evidence).
type Tally = (usize, usize, usize, Vec<NarrativeEvidence>);

/// A narrative file compiled for matching. Share one across threads: each thread keeps its
/// own working memory.
#[derive(Debug)]
pub struct NarrativeSet {
    file: NarrativeFile,
    matcher: Matcher,
    scratch: thread_local::ThreadLocal<RefCell<Scratch>>,
    /// How paragraphs of the last tokenizer used are read from their ids, by its
    /// [`DocTokenizer::instance`] (`None` inside: that tokenizer has no fast path).
    by_ids: std::sync::Mutex<Option<(u64, Arc<Option<ByIds>>)>>,
}

/// How the paragraphs tokenized by one tokenizer are matched from their token ids.
#[derive(Debug)]
pub struct ByIds {
    /// What each id says about the words.
    pub words: TokenWords,
    /// The rules compiled again with their triggers chosen by the frequencies the
    /// tokenizer's vocabulary implies ([`token_words::vocabulary_frequency`]): the same
    /// matches, fewer rules evaluated.
    pub matcher: Matcher,
}

impl NarrativeSet {
    /// Compile the rules of `file` (and its rebuttal cue rule, when stance is enabled) into
    /// one matcher ([`rules_of`]).
    pub fn new(file: NarrativeFile) -> Self {
        NarrativeSet {
            matcher: Matcher::new(&rules_of(&file)),
            file,
            scratch: thread_local::ThreadLocal::new(),
            by_ids: std::sync::Mutex::new(None),
        }
    }

    /// The rules the matcher runs.
    fn rules(&self) -> Vec<Query> {
        rules_of(&self.file)
    }

    /// Read and compile a narrative file.
    ///
    /// # Errors
    /// See [`NarrativeFile::from_file`].
    pub fn from_file(path: &Path) -> Result<Self, NarrativeError> {
        NarrativeFile::from_file(path).map(Self::new)
    }

    /// The parsed file.
    pub fn file(&self) -> &NarrativeFile {
        &self.file
    }

    /// The narratives, in file order.
    pub fn narratives(&self) -> &[Narrative] {
        &self.file.narratives
    }

    /// What `run.json` records of this set.
    pub fn info(&self) -> NarrativeSetInfo {
        NarrativeSetInfo {
            file: self.file.path.display().to_string(),
            sha256: self.file.sha256.clone(),
            stance: self.file.stance.enabled,
            narratives: self
                .file
                .narratives
                .iter()
                .map(|n| NarrativeRef {
                    id: n.id.clone(),
                    label: n.label.clone(),
                })
                .collect(),
        }
    }

    /// The narrative ids, in file order.
    pub fn ids(&self) -> Vec<String> {
        self.file.narratives.iter().map(|n| n.id.clone()).collect()
    }

    /// Find the narratives in a document's paragraphs. `label_of(i)` gives paragraph `i`'s
    /// label; it is called only for narratives with a `frames` filter.
    pub fn detect(&self, paras: &[&str], label_of: impl Fn(usize) -> String) -> Detection {
        self.detect_where(paras, None, label_of)
    }

    /// [`NarrativeSet::detect`] on the paragraphs of a classified document: `tokens`, when
    /// given, is the tokenizer that classified them and each paragraph's ids, from which the
    /// paragraphs' words are read where that gives the same words (see [`token_words`]).
    pub fn detect_classified(
        &self,
        paras: &[&str],
        tokens: Option<(&DocTokenizer, &[Vec<u32>])>,
        label_of: impl Fn(usize) -> String,
    ) -> Detection {
        let tw = tokens.map(|(tok, ids)| (self.by_ids(tok), ids));
        let by_ids = tw
            .as_ref()
            .and_then(|(tw, ids)| Some((tw.as_ref().as_ref()?, *ids)));
        self.detect_where(paras, by_ids, label_of)
    }

    /// How texts tokenized by `tok` are matched from their ids (built once per tokenizer).
    pub fn by_ids(&self, tok: &DocTokenizer) -> Arc<Option<ByIds>> {
        let mut cache = self.by_ids.lock().unwrap_or_else(|e| e.into_inner());
        match &*cache {
            Some((id, f)) if *id == tok.instance() => f.clone(),
            _ => {
                let f = Arc::new(tok.word_starts().map(|ws| {
                    let matcher = Matcher::with_frequency(
                        &self.rules(),
                        token_words::vocabulary_frequency(&ws),
                    );
                    let words = TokenWords::new(
                        &ws,
                        matcher.indexed_patterns(),
                        |i| matcher.is_trigger(i),
                        |w, out| matcher.word_patterns(w, out),
                    );
                    ByIds { words, matcher }
                }));
                *cache = Some((tok.instance(), f.clone()));
                f
            }
        }
    }

    /// [`NarrativeSet::detect`], reading each paragraph's words from its token ids
    /// (`tokens`: how, and the ids of each paragraph) where that gives the same words.
    fn detect_where(
        &self,
        paras: &[&str],
        tokens: Option<(&ByIds, &[Vec<u32>])>,
        label_of: impl Fn(usize) -> String,
    ) -> Detection {
        let cell = self.scratch.get_or_default();
        let mut scratch = cell.borrow_mut();
        let s = &mut *scratch;
        let n = self.file.narratives.len();
        let stance_on = self.file.stance.enabled;
        let total: usize = paras.iter().map(|p| p.len()).sum();
        let mut out = Detection {
            paragraphs: vec![Vec::new(); paras.len()],
            rebutted: vec![Vec::new(); paras.len()],
            documents: BTreeMap::new(),
        };
        let mut acc: Vec<Option<Tally>> = vec![None; n];
        for (i, text) in paras.iter().enumerate() {
            let by_ids = tokens.and_then(|(b, ids)| {
                let ids = ids.get(i).filter(|_| b.words.applies_to(text))?;
                b.matcher.find_tokens(ids, text, &b.words, s)
            });
            // reading the text gives the words' spans, which evidence needs; read from the
            // ids, a match that becomes evidence finds its span by a scan of the text up to
            // its last word
            let (found, mut spans_ready) = match by_ids {
                Some(f) => (f, false),
                None => (self.matcher.find(text, s), true),
            };
            if found.is_empty() {
                continue;
            }
            let rebutted = stance_on && found.last().is_some_and(|m| m.rule == n);
            let mut label: Option<String> = None;
            for m in found.iter().filter(|m| m.rule < n) {
                let nar = &self.file.narratives[m.rule];
                if !nar.frames.is_empty() {
                    let l = label.get_or_insert_with(|| label_of(i));
                    if !nar.frames.iter().any(|f| f == l) {
                        continue;
                    }
                }
                out.paragraphs[i].push(nar.id.clone());
                if rebutted {
                    out.rebutted[i].push(nar.id.clone());
                }
                let e = acc[m.rule].get_or_insert_with(|| (0, 0, 0, Vec::new()));
                e.0 += 1;
                e.1 += text.len();
                e.2 += rebutted as usize;
                if e.3.len() < EVIDENCE_PER_NARRATIVE {
                    // read from ids, the paragraph's words are its ASCII letter-digit runs
                    let quick = (!spans_ready)
                        .then(|| words::ascii_run_span(text, m.first, m.last))
                        .flatten();
                    let span = quick.unwrap_or_else(|| {
                        if !spans_ready {
                            s.words.split_with(text, |_| {});
                            spans_ready = true;
                        }
                        [s.words.span(m.first).0, s.words.span(m.last).1]
                    });
                    let [from, to] = passage::passage(text, span);
                    e.3.push(NarrativeEvidence {
                        index: i,
                        text: text[from..to].to_string(),
                        span: [span[0] - from, span[1] - from],
                        stance: stance_on.then_some(if rebutted {
                            Stance::Rebutted
                        } else {
                            Stance::Asserted
                        }),
                    });
                }
            }
        }
        for (nar, a) in self.file.narratives.iter().zip(acc) {
            if let Some((paragraphs, bytes, rebutted, evidence)) = a {
                let share = if total == 0 {
                    0.0
                } else {
                    (bytes as f64 / total as f64 * 1e6).round() / 1e6
                };
                out.documents.insert(
                    nar.id.clone(),
                    NarrativeHit {
                        paragraphs,
                        share,
                        rebutted: stance_on.then_some(rebutted),
                        evidence,
                    },
                );
            }
        }
        out
    }
}

/// The rules of a file's matcher: its narratives' rules, in file order, then (when stance is
/// enabled) its rebuttal cue rule. With stance off the cue rule's result would be read by
/// nothing, so it is left out: its words then neither index nor trigger anything.
fn rules_of(file: &NarrativeFile) -> Vec<Query> {
    let mut rules: Vec<Query> = file.narratives.iter().map(|n| n.query.clone()).collect();
    if file.stance.enabled {
        rules.push(file.stance.query.clone());
    }
    rules
}

/// The `narrative:<id>` cells of a document's `summary.csv` row: paragraphs carrying each
/// narrative (0 when absent).
pub fn summary_cells<'a>(
    hits: &'a BTreeMap<String, NarrativeHit>,
    ids: &'a [String],
) -> impl Iterator<Item = String> + 'a {
    ids.iter()
        .map(move |id| hits.get(id).map_or(0, |h| h.paragraphs).to_string())
}

/// Append the narratives section of a document's Markdown report (nothing when none).
pub fn render_markdown_section(hits: &BTreeMap<String, NarrativeHit>, s: &mut String) {
    if hits.is_empty() {
        return;
    }
    s.push_str(
        "\n## Narratives\n\n| narrative | paragraphs | share of the text |\n|---|---:|---:|\n",
    );
    for (id, h) in hits {
        s.push_str(&format!(
            "| {id} | {} | {:.1}% |\n",
            h.paragraphs,
            h.share * 100.0
        ));
    }
    for (id, h) in hits {
        s.push_str(&format!("\n### {id}\n\n"));
        for e in &h.evidence {
            let [a, b] = e.span;
            let t = &e.text;
            let quoted = match (t.get(..a), t.get(a..b), t.get(b..)) {
                (Some(x), Some(y), Some(z)) => format!("{x}**{y}**{z}"),
                _ => t.clone(),
            };
            s.push_str(&format!(
                "> {}\n>\n> — paragraph {}{}\n\n",
                quoted.replace('\n', " "),
                e.index,
                e.stance.map(|st| format!(", {st}")).unwrap_or_default()
            ));
        }
    }
}

/// Append the narratives section of `summary.md` (nothing when no document carries one).
pub fn render_summary_section(counts: &BTreeMap<String, u64>, classified: u64, o: &mut String) {
    if counts.is_empty() {
        return;
    }
    o.push_str("\n## Narratives\n\n| narrative | documents | % |\n|---|---:|---:|\n");
    let n = classified.max(1) as f64;
    for (id, c) in counts {
        o.push_str(&format!("| {id} | {c} | {:.1} |\n", 100.0 * *c as f64 / n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(toml: &str) -> NarrativeSet {
        NarrativeSet::new(NarrativeFile::from_str(toml, Path::new("t.toml")).unwrap())
    }

    const TWO: &str = r#"
[[narrative]]
id = "wall"
label = "The wall"
rule = '"border wall" OR wall NEAR/3 build*'

[[narrative]]
id = "deportees"
label = "China refuses deportees"
rule = 'china NEAR/6 (deport* OR "take back")'
frames = ["enforcement"]
"#;

    /// Paragraphs of the shipped corpus and, when `../shared` is there, of the first AllSides
    /// articles, split as the articles' blank lines split them.
    fn real_paragraphs() -> Vec<Vec<String>> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut docs = Vec::new();
        let mut read = |path: &Path, limit: usize| {
            let Ok(text) = std::fs::read_to_string(path) else {
                eprintln!("skipped {}: not found", path.display());
                return;
            };
            for line in text.lines().take(limit) {
                let Ok(v) = serde_json::from_str::<serde_json::Value>(line) else {
                    continue;
                };
                let body = v["text"].as_str().unwrap_or_default();
                let paras: Vec<String> = (body.split("\n\n"))
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                docs.push(paras);
            }
        };
        read(&root.join("corpus/articles.jsonl"), usize::MAX);
        read(&root.join("../shared/data/allsides-immigration.jsonl"), 400);
        docs
    }

    #[test]
    fn words_read_from_token_ids_find_what_the_text_finds() {
        if !crate::builtin::available() {
            eprintln!("skipped: no built-in model in this build");
            return;
        }
        let (model, _) = crate::builtin::load().unwrap();
        // the built-in word-level tokenizer, and the WordPiece one of the shipped embedding
        // table (words split into pieces, vocabulary in another order)
        let wordpiece = DocTokenizer::from_file(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("models/embeddings/tokenizer.json"),
        )
        .unwrap();
        let mut docs = real_paragraphs();
        let long = format!("{} caravan", "a".repeat(150));
        docs.push(
            [
                "The CARAVAN\u{2019}s arrival\u{2014}\u{201c}caravans\u{201d} of migrants\u{2026}",
                "MS-13 gang members; the gang of eight; ms13 cartels near the border.",
                "Darién Gap deportations: China won\u{2019}t take back deportees.",
                "zero tolerance: kids in cages, the separation of families, children taken",
                long.as_str(),
                "[UNK] caravan and [MASK] travel ban on Muslims",
                "Caravan\u{200b}s and stra\u{df}e caravan \u{ff43}\u{ff41}\u{ff52}avan",
                "sanctuary-city detainers ignored by police; DACA recipients\u{2019} deportation",
                "They came as children, brought illegally; Dreamers and the Dream Act.",
                "A wall\tbuilt\u{a0}on the\u{2009}border \u{ab}wall\u{bb} fence",
            ]
            .map(String::from)
            .to_vec(),
        );
        let labels = [
            "humanitarian",
            "economic",
            "security",
            "enforcement",
            "none",
        ];
        let (mut by_ids, mut total) = (0, 0);
        let files = ["darien.toml", "us-2012-2020.toml"];
        for (tok, file) in [model.tokenizer(), &wordpiece]
            .into_iter()
            .flat_map(|t| files.map(|f| (t, f)))
        {
            let path = Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("models/narratives")
                .join(file);
            let set = NarrativeSet::from_file(&path).unwrap();
            let b = set.by_ids(tok);
            let b = b
                .as_ref()
                .as_ref()
                .expect("the built-in tokenizer has a fast path");
            for paras in &docs {
                let paras: Vec<&str> = paras.iter().map(String::as_str).collect();
                let ids: Vec<Vec<u32>> = paras.iter().map(|p| tok.ids(p).unwrap()).collect();
                let label = |i: usize| labels[i % labels.len()].to_string();
                assert_eq!(
                    set.detect_where(&paras, Some((b, &ids)), label),
                    set.detect(&paras, label),
                    "{paras:?}"
                );
                let mut s = Scratch::default();
                for (p, ids) in paras.iter().zip(&ids) {
                    total += 1;
                    // the matcher with triggers chosen by frequency finds the same in the text
                    assert_eq!(b.matcher.find(p, &mut s), set.matcher.find(p, &mut s));
                    by_ids += (b.words.applies_to(p)
                        && b.matcher.find_tokens(ids, p, &b.words, &mut s).is_some())
                        as usize;
                }
            }
        }
        // the comparison means something only if most paragraphs took the token path
        assert!(
            by_ids * 10 > total * 9,
            "{by_ids} of {total} paragraphs read from ids"
        );
    }

    #[test]
    fn documents_get_counts_shares_and_evidence() {
        let s = set(TWO);
        let paras = [
            "Nobody asked. Trump wants to build a wall. More later.",
            "China will not take back its citizens.",
            "Nothing.",
            "The border wall.",
        ];
        let labels = ["security", "enforcement", "none", "security"];
        let d = s.detect(&paras, |i| labels[i].to_string());
        assert_eq!(d.paragraphs[0], ["wall"]);
        assert_eq!(d.paragraphs[1], ["deportees"]);
        assert!(d.paragraphs[2].is_empty());
        let w = &d.documents["wall"];
        assert_eq!(w.paragraphs, 2);
        let total: usize = paras.iter().map(|p| p.len()).sum();
        let want = ((paras[0].len() + paras[3].len()) as f64 / total as f64 * 1e6).round() / 1e6;
        assert_eq!(w.share, want);
        assert_eq!(w.evidence[0].index, 0);
        // the evidence quotes the sentence of the match, the span is in it
        let [a, b] = w.evidence[0].span;
        assert_eq!(w.evidence[0].text, "Trump wants to build a wall.");
        assert_eq!(&w.evidence[0].text[a..b], "build a wall");
        let [a, b] = w.evidence[1].span;
        assert_eq!(&w.evidence[1].text[a..b], "border wall");
        assert_eq!(w.rebutted, None);
        assert_eq!(w.evidence[0].stance, None);
    }

    #[test]
    fn frames_filter_counts_only_labelled_paragraphs() {
        let s = set(TWO);
        let paras = ["China will not take back deportees."];
        let d = s.detect(&paras, |_| "humanitarian".into());
        assert!(d.paragraphs[0].is_empty());
        assert!(d.documents.is_empty());
        let d = s.detect(&paras, |_| "enforcement".into());
        assert_eq!(d.documents["deportees"].paragraphs, 1);
    }

    #[test]
    fn stance_marks_rebuttals_when_enabled() {
        let toml = format!("[stance]\nenabled = true\n{TWO}");
        let s = set(&toml);
        let paras = [
            "Claims that Mexico will build a wall are false.",
            "They will build the wall.",
        ];
        let d = s.detect(&paras, |_| String::new());
        let w = &d.documents["wall"];
        assert_eq!(w.rebutted, Some(1));
        assert_eq!(w.evidence[0].stance, Some(Stance::Rebutted));
        assert_eq!(w.evidence[1].stance, Some(Stance::Asserted));
        assert_eq!(d.rebutted[0], ["wall"]);
        assert!(d.rebutted[1].is_empty());
        // a rebuttal cue alone is not a narrative
        let d = s.detect(&["That is false."], |_| String::new());
        assert!(d.documents.is_empty());
    }

    #[test]
    fn stance_off_leaves_out_the_cue_rule_and_finds_the_same() {
        let off = set(TWO);
        let on = set(&format!("[stance]\nenabled = true\n{TWO}"));
        assert_eq!(off.matcher.len(), 2);
        assert_eq!(on.matcher.len(), 3);
        let paras = [
            "Claims that Mexico will build a wall are false.",
            "China will not take back deportees; a myth, they said.",
            "The border wall is no lie.",
            "False.",
        ];
        let label = |_| "enforcement".to_string();
        let (a, mut b) = (off.detect(&paras, label), on.detect(&paras, label));
        assert!(a.rebutted.iter().all(Vec::is_empty));
        assert!(b.rebutted.iter().any(|r| !r.is_empty()));
        for h in b.documents.values_mut() {
            h.rebutted = None;
            h.evidence.iter_mut().for_each(|e| e.stance = None);
        }
        assert_eq!(a.paragraphs, b.paragraphs);
        assert_eq!(a.documents, b.documents);
    }

    #[test]
    fn evidence_is_capped_and_in_paragraph_order() {
        let s = set(TWO);
        let paras = vec!["border wall"; 5];
        let d = s.detect(&paras, |_| String::new());
        let w = &d.documents["wall"];
        assert_eq!(w.paragraphs, 5);
        assert_eq!(w.share, 1.0);
        let idx: Vec<usize> = w.evidence.iter().map(|e| e.index).collect();
        assert_eq!(idx, [0, 1, 2]);
    }
}
