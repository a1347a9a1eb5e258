//! Stage 5, reports: scored documents → files a person or a program reads.
//!
//! Input: [`DocReport`]s (built by [`build_report`] from an article and its [`DocScores`]),
//! in any order and in chunks. Output, in the `--out` folder: `documents.jsonl` (sorted by id),
//! `docs/<id>.md`, `summary.csv`, `summary.md` and `run.json`. Memory stays bounded: each chunk
//! is sorted and spilled to a run file, and the runs are merged at the end.

pub mod html;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::codebook::{Codebook, Label, CODEBOOK_FILE};
use crate::corpus::Article;
use crate::error::{Error, InputError, InputProblem, Result};
use crate::features::FeatureKind;
use crate::fsio::{sync_dir, write_atomic, write_atomic_with};
use crate::model::{DocScores, FramingModel, NO_TERM};

/// Evidence passages kept per present frame.
pub const EVIDENCE_PER_FRAME: usize = 3;
/// Terms listed per present frame.
pub const TERMS_PER_FRAME: usize = 6;

/// How much per-paragraph detail `documents.jsonl` carries (`--paragraphs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ParagraphDetail {
    /// `paragraphs: [{index, label, scores}]` (the default).
    #[default]
    Full,
    /// `paragraphs: [{index, label}]`, without the scores.
    Labels,
    /// No `paragraphs` field.
    None,
}

impl std::str::FromStr for ParagraphDetail {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "full" => Ok(ParagraphDetail::Full),
            "labels" => Ok(ParagraphDetail::Labels),
            "none" => Ok(ParagraphDetail::None),
            _ => Err(format!("{s:?}: expected full, labels or none")),
        }
    }
}

impl std::fmt::Display for ParagraphDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ParagraphDetail::Full => "full",
            ParagraphDetail::Labels => "labels",
            ParagraphDetail::None => "none",
        })
    }
}

/// Values keyed by label names, serialised as a JSON object in the given order.
pub struct Named<'a, T>(pub Vec<(&'a str, T)>);

impl<T: Serialize> Serialize for Named<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// One paragraph's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParagraphReport {
    /// 0-based paragraph index.
    pub index: usize,
    /// Most probable label.
    pub label: Label,
    /// Label probabilities, codebook column order.
    pub scores: Vec<f64>,
    /// Ids of the narratives this paragraph carries (with `--narratives`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub narratives: Vec<String>,
    /// Of those, the ones it rebuts (when the narrative file enables stance).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rebutted: Vec<String>,
}

/// A passage quoted as evidence for a frame.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Paragraph index.
    pub index: usize,
    /// Probability of the frame for this paragraph.
    pub score: f64,
    /// The paragraph text.
    pub text: String,
}

/// The report for one document: one line of `documents.jsonl`, keyed by the names of its
/// codebook.
#[derive(Debug, Clone, PartialEq)]
pub struct DocReport {
    /// The codebook whose labels the scores, frames and keys refer to.
    pub codebook: Arc<Codebook>,
    /// Document id.
    pub id: String,
    /// Headline.
    pub title: Option<String>,
    /// Date as given in the input.
    pub date: Option<String>,
    /// Outlet.
    pub source: Option<String>,
    /// Address.
    pub url: Option<String>,
    /// Other input fields, carried through.
    pub meta: Map<String, Value>,
    /// Share of each frame in the framed text, [`Codebook::frames`] order.
    pub shares: Vec<f64>,
    /// Fraction of the text that is framed at all.
    pub framed_fraction: f64,
    /// Dominant frame, or `None` (written as the none label, or null without one).
    pub dominant: Option<Label>,
    /// Frames clearly present.
    pub present: Vec<Label>,
    /// Per-paragraph labels and scores.
    pub paragraphs: Vec<ParagraphReport>,
    /// The strongest passages per present frame.
    pub evidence: BTreeMap<Label, Vec<Evidence>>,
    /// The terms that pushed each present frame most.
    pub terms: BTreeMap<Label, Vec<String>>,
    /// The narratives the document carries (with `--narratives`), by id.
    pub narratives: BTreeMap<String, crate::narratives::NarrativeHit>,
    /// The paragraph texts (for `report.html`; not written to `documents.jsonl`), empty when
    /// the report was read back from a report folder.
    pub texts: Vec<String>,
}

impl DocReport {
    /// The name written for the dominant frame (the none label's name when there is none).
    pub fn dominant_name(&self) -> Option<&str> {
        let cb = &self.codebook;
        self.dominant.or(cb.none()).map(|l| cb.name(l))
    }
}

impl Serialize for DocReport {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        DocJson(self, ParagraphDetail::Full).serialize(s)
    }
}

/// A document report as a `documents.jsonl` line with the given paragraph detail.
pub struct DocJson<'a>(pub &'a DocReport, pub ParagraphDetail);

impl Serialize for DocJson<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let (this, detail) = (self.0, self.1);
        let cb = &this.codebook;
        let name = |l: &Label| cb.name(*l);
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("id", &this.id)?;
        m.serialize_entry("title", &this.title)?;
        m.serialize_entry("date", &this.date)?;
        m.serialize_entry("source", &this.source)?;
        if let Some(u) = &this.url {
            m.serialize_entry("url", u)?;
        }
        if !this.meta.is_empty() {
            m.serialize_entry("meta", &this.meta)?;
        }
        m.serialize_entry(
            "shares",
            &Named(
                cb.frames()
                    .iter()
                    .map(name)
                    .zip(this.shares.iter())
                    .collect(),
            ),
        )?;
        m.serialize_entry("framed_fraction", &this.framed_fraction)?;
        m.serialize_entry("dominant", &this.dominant_name())?;
        m.serialize_entry(
            "present",
            &this.present.iter().map(name).collect::<Vec<_>>(),
        )?;
        #[derive(Serialize)]
        struct Para<'a> {
            index: usize,
            label: &'a str,
            #[serde(skip_serializing_if = "Option::is_none")]
            scores: Option<Named<'a, f64>>,
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            narratives: &'a [String],
            #[serde(skip_serializing_if = "<[String]>::is_empty")]
            rebutted: &'a [String],
        }
        if detail != ParagraphDetail::None {
            let names = cb.names();
            let paras: Vec<Para> = this
                .paragraphs
                .iter()
                .map(|p| Para {
                    index: p.index,
                    label: cb.name(p.label),
                    scores: (detail == ParagraphDetail::Full).then(|| {
                        Named(
                            names
                                .iter()
                                .copied()
                                .zip(p.scores.iter().copied())
                                .collect(),
                        )
                    }),
                    narratives: &p.narratives,
                    rebutted: &p.rebutted,
                })
                .collect();
            m.serialize_entry("paragraphs", &paras)?;
        }
        m.serialize_entry(
            "evidence",
            &Named(this.evidence.iter().map(|(l, v)| (name(l), v)).collect()),
        )?;
        m.serialize_entry(
            "terms",
            &Named(this.terms.iter().map(|(l, v)| (name(l), v)).collect()),
        )?;
        if !this.narratives.is_empty() {
            m.serialize_entry("narratives", &this.narratives)?;
        }
        m.end()
    }
}

/// Frame shares from a `documents.jsonl` `shares` object, in [`Codebook::frames`] order.
///
/// # Errors
/// A message naming the codebook frame the object lacks.
pub fn shares_from_map(
    m: &Map<String, Value>,
    cb: &Codebook,
) -> std::result::Result<Vec<f64>, String> {
    cb.frame_names()
        .into_iter()
        .map(|n| {
            m.get(n).and_then(Value::as_f64).ok_or_else(|| {
                format!(
                    "shares has no number for frame {n:?}: the report was written with another codebook than {}",
                    cb.describe()
                )
            })
        })
        .collect()
}

/// The dominant frame from a `documents.jsonl` `dominant` value (the none label or null is
/// `None`).
///
/// # Errors
/// A message naming the unknown label.
pub fn dominant_from_name(
    name: Option<&str>,
    cb: &Codebook,
) -> std::result::Result<Option<Label>, String> {
    match name {
        None => Ok(None),
        Some(n) => {
            let l = cb.parse(n)?;
            Ok(cb.is_frame(l).then_some(l))
        }
    }
}

/// Frame labels from `documents.jsonl` `present` names.
///
/// # Errors
/// A message naming the unknown label.
pub fn labels_from_names(
    names: &[String],
    cb: &Codebook,
) -> std::result::Result<Vec<Label>, String> {
    names.iter().map(|n| cb.parse(n)).collect()
}

/// Build a document report from an article, its paragraphs and their scores.
pub fn build_report(
    model: &FramingModel,
    article: &Article,
    paras: &[&str],
    s: &DocScores,
) -> DocReport {
    let a = &s.aggregate;
    let paragraphs: Vec<ParagraphReport> = s
        .paragraphs
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let best = (0..p.len()).fold(0, |b, c| if p[c] > p[b] { c } else { b });
            ParagraphReport {
                index: i,
                label: Label::from_index(best),
                scores: p.iter().map(|&x| round(x as f64, 4)).collect(),
                narratives: Vec::new(),
                rebutted: Vec::new(),
            }
        })
        .collect();
    let mut frames = a.present.clone();
    if let Some(d) = a.dominant.filter(|d| !frames.contains(d)) {
        frames.push(d);
        frames.sort();
    }
    let mut evidence = BTreeMap::new();
    let mut terms = BTreeMap::new();
    let mut term_lists = top_terms(model, s, &frames).into_iter();
    for &f in &frames {
        let c = f.index();
        let mut cand: Vec<(usize, f32)> = s
            .paragraphs
            .iter()
            .enumerate()
            .filter(|(_, p)| p[c] >= 0.3)
            .map(|(i, p)| (i, p[c]))
            .collect();
        cand.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        cand.truncate(EVIDENCE_PER_FRAME);
        evidence.insert(
            f,
            cand.into_iter()
                .map(|(i, sc)| Evidence {
                    index: i,
                    score: round(sc as f64, 4),
                    text: paras[i].to_string(),
                })
                .collect(),
        );
        terms.insert(f, term_lists.next().unwrap_or_default());
    }
    DocReport {
        codebook: model.codebook().clone(),
        id: article.id.clone(),
        title: article.title.clone(),
        date: article.date.clone(),
        source: article.source.clone(),
        url: article.url.clone(),
        meta: article.extra.clone(),
        shares: a.shares.iter().map(|&x| round(x, 6)).collect(),
        framed_fraction: round(a.framed_fraction, 6),
        dominant: a.dominant,
        present: a.present.clone(),
        paragraphs,
        evidence,
        terms,
        narratives: BTreeMap::new(),
        texts: paras.iter().map(|p| p.to_string()).collect(),
    }
}

/// For each frame in `frames`, the terms whose weight for that frame (relative to the mean over
/// labels) times their value in the document pushed hardest towards it: for every unigram or
/// bigram feature, the sum over the document's rows (in row order) of `value × (weight − mean
/// weight)`; the positive sums, largest first (ties by feature index), shown as words. With an
/// embedding table, a word's push also holds the exact share of the embedding blocks' logits
/// (summed over the document's paragraphs) that its table vector contributes, relative to the
/// mean over labels. Only content words ([`is_content_word`]) are summed: word pieces
/// (`##…`), stopwords, punctuation and special tokens are never reported.
///
/// The push is linear in the feature values (and pooling coefficients), so one pass over the
/// rows (and tokens) sums the values per feature and token in a per-thread table, and the
/// weights are applied once per distinct term, for every frame at once; each frame's head is
/// kept while the pushes stream by. Tokens that cannot push towards any of the frames
/// ([`FramingModel::term_labels`]) are not summed.
fn top_terms(model: &FramingModel, s: &DocScores, frames: &[Label]) -> Vec<Vec<String>> {
    use crate::embed::BLOCKS;
    if frames.is_empty() {
        return Vec::new();
    }
    /// Per-thread sums: `acc[slot]` holds a slot's summed pooling coefficients per kept
    /// embedding block and, last, its summed TF-IDF value; valid where bit `slot` of `seen`
    /// is set. `touched` lists the slots whose bit is set (cleared at the next call's start,
    /// so a document left half done leaves nothing behind).
    #[derive(Default)]
    struct Scratch {
        acc: Vec<[f32; BLOCKS + 1]>,
        seen: Vec<u64>,
        touched: Vec<u32>,
        /// `push[j * nk + f]`: the push of the j-th touched slot towards the f-th frame.
        push: Vec<f32>,
    }
    thread_local! {
        static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::new(Scratch::default());
    }
    const BIGRAM: u64 = 1 << 40;
    const TFIDF: usize = BLOCKS;
    let featurizer = model.featurizer();
    let nf = featurizer.n_features();
    // Slots: TF-IDF features `0..nf`, then the embedding table's tokens `nf..nf + rows`. With
    // a table, a word's unigram feature is summed in its token's slot, so its push is its
    // TF-IDF push plus the share of the embedding logits its table vector contributes.
    let table = model.folded_table().filter(|_| !s.tokens.is_empty());
    let rows = table.map_or(0, |k| k.rows());
    let term_slot = model.term_slots();
    let nk = frames.len();
    let nl = model.codebook().len() as f32;
    SCRATCH.with(|cell| {
        let mut guard = cell.borrow_mut();
        let sc = &mut *guard;
        let slots = nf + rows;
        if sc.acc.len() < slots {
            sc.acc.resize(slots, [0.0; BLOCKS + 1]);
            sc.seen.resize(slots.div_ceil(64), 0);
        }
        for &slot in &sc.touched {
            sc.seen[slot as usize >> 6] = 0;
        }
        sc.touched.clear();
        let add = |sc: &mut Scratch, slot: usize, b: usize, x: f32| {
            let (w, bit) = (slot >> 6, 1u64 << (slot & 63));
            if sc.seen[w] & bit == 0 {
                sc.seen[w] |= bit;
                sc.acc[slot] = [0.0; BLOCKS + 1];
                sc.touched.push(slot as u32);
            }
            sc.acc[slot][b] += x;
        };
        // Σ value per feature: its push is that sum times (weight − mean weight)
        // only word features explain (not the neighbours', document or layout blocks)
        let (uni_end, bi_start) = featurizer.word_feature_bounds();
        for row in &s.rows {
            let u = row.idx.partition_point(|&i| i < uni_end);
            let b = row.idx.partition_point(|&i| i < bi_start);
            let words = (row.idx[..u].iter().zip(&row.val[..u]))
                .chain(row.idx[b..].iter().zip(&row.val[b..]));
            for (&i, &v) in words {
                let slot = term_slot[i as usize];
                if slot != NO_TERM {
                    add(sc, slot as usize, TFIDF, v);
                }
            }
        }
        // Σ pooling coefficient per token and kept block: its push is that sum times (the
        // token's folded logits − their mean)
        if let Some(k) = table {
            let nb = k.blocks().len();
            let coefs = k.token_coefficients(&s.tokens);
            // a token that cannot push towards any of the frames is left out (its push would
            // not be positive); the others are the content tokens of the table
            let labels = model.term_labels();
            let wanted = frames.iter().fold(0u8, |m, f| {
                m | 1u8.checked_shl(f.index() as u32).unwrap_or(u8::MAX)
            });
            for (coef, ids) in coefs.chunks_exact(nb.max(1)).zip(&s.tokens) {
                for &t in ids {
                    if labels.get(t as usize).is_some_and(|&m| m & wanted != 0) {
                        for (b, &c) in coef.iter().enumerate() {
                            add(sc, nf + t as usize, b, c);
                        }
                    }
                }
            }
        }
        let Scratch {
            acc, touched, push, ..
        } = sc;
        push.clear();
        push.resize(touched.len() * nk, 0.0);
        let tfidf_push = |i: u32, x: f32, p: &mut [f32]| {
            let w = model.weight(i);
            let mean = w.iter().sum::<f32>() / nl;
            for (o, f) in p.iter_mut().zip(frames) {
                *o += x * (w[f.index()] - mean);
            }
        };
        for (&slot, p) in touched.iter().zip(push.chunks_exact_mut(nk.max(1))) {
            let x = acc[slot as usize];
            if (slot as usize) < nf {
                tfidf_push(slot, x[TFIDF], p);
                continue;
            }
            let t = slot - nf as u32;
            if x[TFIDF] != 0.0 {
                let i = featurizer
                    .unigram(t)
                    .expect("a unigram feature summed here");
                tfidf_push(i, x[TFIDF], p);
            }
            let k = table.expect("token slots need a table");
            let kt = k.token(t).expect("in range");
            for (b, kb) in kt.chunks_exact(k.labels()).enumerate() {
                let mean = kb.iter().sum::<f32>() / nl;
                for (o, f) in p.iter_mut().zip(frames) {
                    *o += x[b] * (kb[f.index()] - mean);
                }
            }
        }
        // the order among equal pushes: by feature index without a table; with one, words
        // (by token id) before bigrams (by feature index)
        let key = |slot: u32| -> u64 {
            if slot as usize >= nf {
                return (slot - nf as u32) as u64;
            }
            match featurizer.kind(slot) {
                FeatureKind::Unigram(t) if table.is_some() => t as u64,
                FeatureKind::Bigram(..) if table.is_some() => BIGRAM | slot as u64,
                _ => slot as u64,
            }
        };
        let tk = model.tokenizer();
        let term = |slot: u32| -> Option<String> {
            if slot as usize >= nf {
                return tk.id_to_token(slot - nf as u32);
            }
            match featurizer.kind(slot) {
                FeatureKind::Unigram(a) => tk.id_to_token(a),
                FeatureKind::Bigram(a, b) => {
                    Some(format!("{} {}", tk.id_to_token(a)?, tk.id_to_token(b)?))
                }
                _ => None,
            }
        };
        // Each frame's head: the positive pushes, largest first, equal pushes by key (keys are
        // distinct, so the order is total and the head is what sorting all would give). It is
        // kept sorted while the pushes stream by; a push below the head's last, when the head
        // is full, is passed over without computing its key.
        let before = |a: &(f32, u64, u32), b: &(f32, u64, u32)| {
            b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).is_lt()
        };
        (0..nk)
            .map(|f| {
                let mut head: Vec<(f32, u64, u32)> = Vec::with_capacity(TERMS_PER_FRAME + 1);
                for (j, &slot) in touched.iter().enumerate() {
                    let p = push[j * nk + f];
                    if p <= 0.0 || p.is_nan() {
                        continue;
                    }
                    if head.len() == TERMS_PER_FRAME && p < head[TERMS_PER_FRAME - 1].0 {
                        continue;
                    }
                    let c = (p, key(slot), slot);
                    let at = head.partition_point(|h| before(h, &c));
                    if at < TERMS_PER_FRAME {
                        head.insert(at, c);
                        head.truncate(TERMS_PER_FRAME);
                    }
                }
                head.iter().filter_map(|x| term(x.2)).collect()
            })
            .collect()
    })
}

pub use crate::embed::is_content_word;

/// A file-system-safe name for a document id (`docs/<name>.md`). Ids that had to be changed
/// get a short hash suffix so two ids never share a file.
pub fn safe_name(id: &str) -> String {
    let clean: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean == id && !clean.is_empty() {
        clean
    } else {
        format!("{clean}-{}", &crate::hash::sha256_hex(id.as_bytes())[..8])
    }
}

/// Render the human-readable report of one document.
pub fn render_markdown(r: &DocReport) -> String {
    let mut s = String::new();
    let title = r
        .title
        .as_deref()
        .filter(|t| !t.trim().is_empty())
        .unwrap_or(&r.id);
    s.push_str(&format!("# {}\n\n", title.trim()));
    s.push_str(&format!("- id: `{}`\n", r.id));
    if let Some(src) = &r.source {
        s.push_str(&format!("- source: {src}\n"));
    }
    if let Some(d) = &r.date {
        s.push_str(&format!("- date: {d}\n"));
    }
    let cb = &r.codebook;
    s.push_str(&format!(
        "- dominant frame: **{}**\n",
        r.dominant_name().unwrap_or("none")
    ));
    let present: Vec<&str> = r.present.iter().map(|&l| cb.name(l)).collect();
    s.push_str(&format!(
        "- frames present: {}\n",
        if present.is_empty() {
            "none".to_string()
        } else {
            present.join(", ")
        }
    ));
    s.push_str(&format!(
        "- framed fraction of the text: {:.0}%\n\n",
        r.framed_fraction * 100.0
    ));
    s.push_str("| frame | share |\n|---|---:|\n");
    for (&l, v) in cb.frames().iter().zip(&r.shares) {
        s.push_str(&format!("| {} | {:.1}% |\n", cb.name(l), v * 100.0));
    }
    for (f, ev) in &r.evidence {
        s.push_str(&format!("\n## {}\n\n", cb.name(*f)));
        if let Some(t) = r.terms.get(f).filter(|t| !t.is_empty()) {
            s.push_str(&format!(
                "Terms that pushed this frame: {}\n\n",
                t.iter()
                    .map(|x| format!("*{x}*"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        for e in ev {
            s.push_str(&format!(
                "> {}\n>\n> — paragraph {}, score {:.2}\n\n",
                e.text.replace('\n', " "),
                e.index,
                e.score
            ));
        }
    }
    crate::narratives::render_markdown_section(&r.narratives, &mut s);
    s
}

/// Counts and sums over a batch; adds up across chunks and shards.
///
/// Sums of shares and framed fractions are kept exactly, in millionths (reports round them to
/// 6 decimals), so a total never depends on how the batch was cut into chunks, shards or
/// resumed runs.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Records read (good and bad).
    pub read: u64,
    /// Documents classified.
    pub classified: u64,
    /// Records that failed.
    pub failed: u64,
    /// Paragraphs classified.
    pub paragraphs: u64,
    /// Bytes of text classified.
    pub bytes: u64,
    /// Documents per dominant label, codebook column order; documents with no dominant frame
    /// count under the none label, or in one extra last slot when the codebook has none.
    pub dominant: Vec<u64>,
    /// Sum of shares per frame ([`Codebook::frames`] order), in millionths.
    pub share_sum_e6: Vec<u64>,
    /// Documents per present frame, frame order.
    pub present: Vec<u64>,
    /// Sum of framed fractions, in millionths.
    pub framed_sum_e6: u64,
    /// The failures, in input order.
    pub failures: Vec<InputError>,
    /// Non-fatal problems (derived or duplicate ids, HTML stripped, a field of the wrong type
    /// kept under `meta` …), in input order: the document was classified.
    pub warnings: Vec<InputError>,
    /// Documents carrying each narrative (with `--narratives`), by id.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub narratives: BTreeMap<String, u64>,
    /// Files in input folders that are not a format framelens reads, in walk order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skipped: Vec<crate::corpus::SkippedFile>,
}

/// A millionth-unit integer from a value rounded to 6 decimals.
fn e6(x: f64) -> u64 {
    (x * 1e6).round().max(0.0) as u64
}

impl Summary {
    /// Count one classified document.
    pub fn add_report(&mut self, r: &DocReport, bytes: usize) {
        self.read += 1;
        self.classified += 1;
        self.paragraphs += r.paragraphs.len() as u64;
        self.bytes += bytes as u64;
        let cb = &r.codebook;
        let (k, f) = (cb.len(), cb.n_frames());
        grow(&mut self.dominant, k + usize::from(cb.none().is_none()));
        grow(&mut self.share_sum_e6, f);
        grow(&mut self.present, f);
        let slot = r.dominant.or(cb.none()).map_or(k, Label::index);
        self.dominant[slot] += 1;
        for (s, &v) in self.share_sum_e6.iter_mut().zip(&r.shares) {
            *s += e6(v);
        }
        for &l in &r.present {
            if let Some(i) = cb.frame_pos(l) {
                self.present[i] += 1;
            }
        }
        self.framed_sum_e6 += e6(r.framed_fraction);
        for id in r.narratives.keys() {
            *self.narratives.entry(id.clone()).or_default() += 1;
        }
    }

    /// Count one failed record.
    pub fn add_failure(&mut self, e: InputError) {
        self.read += 1;
        self.failed += 1;
        self.failures.push(e);
    }

    /// Record a warning (the document was still classified, or nothing was lost).
    pub fn add_warning(&mut self, w: InputError) {
        self.warnings.push(w);
    }

    /// Mean share of frame `i` ([`Codebook::frames`] order) over the classified documents.
    pub fn mean_share(&self, i: usize) -> f64 {
        self.share_sum_e6.get(i).copied().unwrap_or(0) as f64 / 1e6 / self.classified.max(1) as f64
    }

    /// Mean framed fraction over the classified documents.
    pub fn mean_framed(&self) -> f64 {
        self.framed_sum_e6 as f64 / 1e6 / self.classified.max(1) as f64
    }

    /// Every failure and warning as an `errors.jsonl` record, sorted by file, line, id,
    /// severity (errors first), kind and reason: the same input always gives the same order.
    pub fn problems(&self) -> Vec<Problem> {
        let mut v: Vec<Problem> = self
            .failures
            .iter()
            .map(|e| Problem::from_input(Severity::Error, e))
            .chain(
                self.warnings
                    .iter()
                    .map(|e| Problem::from_input(Severity::Warning, e)),
            )
            .collect();
        v.sort_by(|a, b| {
            (&a.file, a.line, &a.id, a.severity, a.kind, &a.reason)
                .cmp(&(&b.file, b.line, &b.id, b.severity, b.kind, &b.reason))
        });
        v
    }
}

impl AddAssign for Summary {
    fn add_assign(&mut self, o: Summary) {
        self.read += o.read;
        self.classified += o.classified;
        self.failed += o.failed;
        self.paragraphs += o.paragraphs;
        self.bytes += o.bytes;
        add_vec(&mut self.dominant, &o.dominant);
        add_vec(&mut self.share_sum_e6, &o.share_sum_e6);
        add_vec(&mut self.present, &o.present);
        self.framed_sum_e6 += o.framed_sum_e6;
        self.failures.extend(o.failures);
        self.warnings.extend(o.warnings);
        for (id, n) in o.narratives {
            *self.narratives.entry(id).or_default() += n;
        }
        self.skipped.extend(o.skipped);
    }
}

fn grow(v: &mut Vec<u64>, n: usize) {
    if v.len() < n {
        v.resize(n, 0);
    }
}

fn add_vec(a: &mut Vec<u64>, b: &[u64]) {
    grow(a, b.len());
    for (x, y) in a.iter_mut().zip(b) {
        *x += y;
    }
}

/// How bad a [`Problem`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The record was not classified.
    Error,
    /// The record was classified (or nothing was lost), but something was repaired.
    Warning,
}

/// One line of `errors.jsonl`: a failed record or a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// `error` (not classified) or `warning` (classified after a repair).
    pub severity: Severity,
    /// A stable code, e.g. `invalid_utf8`, `duplicate_id`.
    pub kind: InputProblem,
    /// The input file (`-` for stdin).
    pub file: String,
    /// 1-based line or CSV record, where the input has lines.
    pub line: Option<u64>,
    /// The document id, when known.
    pub id: Option<String>,
    /// What is wrong, for a person.
    pub reason: String,
}

impl Problem {
    fn from_input(severity: Severity, e: &InputError) -> Self {
        Problem {
            severity,
            kind: e.kind,
            file: e.file.clone(),
            line: e.line,
            id: e.id.clone(),
            reason: e.reason.clone(),
        }
    }
}

/// Render `errors.jsonl`: one [`Problem`] per line, in [`Summary::problems`] order.
pub fn render_errors(s: &Summary) -> String {
    let mut o = String::new();
    for p in s.problems() {
        o.push_str(&serde_json::to_string(&p).expect("problem serialises"));
        o.push('\n');
    }
    o
}

/// Render `summary.md`, with the frames of codebook `cb`.
pub fn render_summary(s: &Summary, cb: &Codebook) -> String {
    let mut o = String::from("# framelens batch summary\n\n");
    o.push_str(&format!(
        "{} records read, {} documents classified ({} paragraphs), {} failed, {} warnings.\n\n",
        s.read,
        s.classified,
        s.paragraphs,
        s.failed,
        s.warnings.len()
    ));
    let n = s.classified.max(1) as f64;
    o.push_str("## Dominant frame\n\n| frame | documents | % |\n|---|---:|---:|\n");
    let count = |i: usize| s.dominant.get(i).copied().unwrap_or(0);
    for l in cb.labels() {
        let c = count(l.index());
        o.push_str(&format!(
            "| {} | {c} | {:.1} |\n",
            cb.name(l),
            100.0 * c as f64 / n
        ));
    }
    if cb.none().is_none() {
        let c = count(cb.len());
        o.push_str(&format!(
            "| (no frame) | {c} | {:.1} |\n",
            100.0 * c as f64 / n
        ));
    }
    o.push_str(
        "\n## Mean shares\n\n| frame | mean share | documents where present |\n|---|---:|---:|\n",
    );
    for (i, &l) in cb.frames().iter().enumerate() {
        o.push_str(&format!(
            "| {} | {:.3} | {} |\n",
            cb.name(l),
            s.mean_share(i),
            s.present.get(i).copied().unwrap_or(0)
        ));
    }
    o.push_str(&format!("\nMean framed fraction: {:.3}\n", s.mean_framed()));
    crate::narratives::render_summary_section(&s.narratives, s.classified, &mut o);
    let problems = s.problems();
    let table = |o: &mut String, sev: Severity| {
        o.push_str("| file | line | id | problem | reason |\n|---|---:|---|---|---|\n");
        for p in problems.iter().filter(|p| p.severity == sev) {
            o.push_str(&format!(
                "| {} | {} | {} | {} | {} |\n",
                md_cell(&p.file),
                p.line.map(|l| l.to_string()).unwrap_or_default(),
                md_cell(p.id.as_deref().unwrap_or("")),
                p.kind,
                md_cell(&p.reason)
            ));
        }
    };
    o.push_str("\n## Failed documents\n\n");
    if s.failures.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str("Not classified (also in `errors.jsonl`):\n\n");
        table(&mut o, Severity::Error);
    }
    if !s.warnings.is_empty() {
        o.push_str("\n## Warnings\n\nClassified after a repair (also in `errors.jsonl`):\n\n");
        table(&mut o, Severity::Warning);
    }
    if !s.skipped.is_empty() {
        o.push_str(&format!(
            "\n## Skipped files\n\n{} files in the input folders are not a format framelens \
             reads (JSONL, CSV, .txt, .md, each plain, .gz or .zst) and were not read ({}):\n\n\
             | file | type |\n|---|---|\n",
            s.skipped.len(),
            crate::corpus::skipped_by_ext(&s.skipped)
        ));
        for f in &s.skipped {
            o.push_str(&format!("| {} | {} |\n", md_cell(&f.path), md_cell(&f.ext)));
        }
    }
    o
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Header of `summary.csv`: `id,date,source`, one column per frame, `dominant`.
pub fn summary_header(cb: &Codebook) -> Vec<String> {
    let mut h = vec!["id".to_string(), "date".into(), "source".into()];
    h.extend(cb.frame_names().into_iter().map(str::to_string));
    h.push("dominant".into());
    h
}

fn summary_row(r: &DocReport) -> Vec<String> {
    let mut row = vec![
        r.id.clone(),
        r.date.clone().unwrap_or_default(),
        r.source.clone().unwrap_or_default(),
    ];
    row.extend(r.shares.iter().map(f64::to_string));
    row.push(r.dominant_name().unwrap_or_default().to_string());
    row
}

/// Name of the checkpoint folder inside `--out`: sorted run files of the chunks written so
/// far and the journal of a resumable run (see [`crate::checkpoint`]).
pub const CHECKPOINT_DIR: &str = ".framelens-checkpoint";

/// Parts a chunk is cut into for serialising its documents in parallel (each into a buffer
/// of its own): a few per core, so that parts of unequal cost still balance.
const ENCODE_PARTS: usize = 16;

/// Most run files merged at once; more are merged in passes.
const MERGE_FAN_IN: usize = 128;

/// Read buffer per run file while merging: bounded, since up to [`MERGE_FAN_IN`] are open at
/// once (8 MB in all) and memory must not grow with the batch; larger than most documents'
/// lines, so a line is mostly read in one call.
const MERGE_READ_BUFFER: usize = 64 << 10;

/// Threads that render, write and, without `syncfs`, fsync the per-document Markdown files of
/// a chunk: fsync waits on the disk, not the CPU, so several run at once even on a small
/// machine; with `syncfs` the work is CPU-bound and one thread per core is enough.
fn doc_writers() -> usize {
    if CAN_SYNC_FS {
        std::thread::available_parallelism().map_or(2, |n| n.get())
    } else {
        8
    }
}

/// Writes the per-document outputs of a batch in bounded memory.
///
/// Each chunk of reports is sorted by id and spilled to a run file in the checkpoint folder
/// (`<out>/.framelens-checkpoint/`); [`ReportWriter::write_outputs`] merges the runs into
/// `documents.jsonl` and `summary.csv` and writes `summary.md` and `errors.jsonl`. Every file
/// is written atomically (temporary file, fsync, rename), and a chunk's files are on disk
/// before [`ReportWriter::add_chunk`] returns, so a run file can serve as a checkpoint.
#[derive(Debug)]
pub struct ReportWriter {
    out: PathBuf,
    tmp: PathBuf,
    runs: Vec<PathBuf>,
    doc_pool: Option<rayon::ThreadPool>,
    opts: WriterOptions,
    /// The serialisation buffers of [`ReportWriter::add_chunk`], one per part of a chunk.
    bufs: Vec<Vec<u8>>,
}

/// Remove temporary files (`.<name>.tmp<pid>`) left in `dir` by an interrupted atomic write.
pub fn remove_stale_temps(dir: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        let stale = name.starts_with('.')
            && name
                .rsplit_once(".tmp")
                .is_some_and(|(_, pid)| !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()));
        if stale {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Write a document's Markdown into `md_dir` (when given) and append its run line
/// `"<id json>\t<summary row json>\t<report json>\t<page row>\t<page detail>\n"` to `out`
/// (the page fields, see [`html::encode`], are empty without `html`).
///
/// With `sync`, the file is written atomically (temporary file, fsync, rename). Without it the
/// caller flushes the whole chunk at once ([`sync_fs`]), and the file is written in place: one
/// file-system operation instead of three. A file torn by a crash belongs to a chunk that was
/// not checkpointed, so `--resume` writes it again.
fn encode_doc(
    r: &DocReport,
    md_dir: Option<&Path>,
    sync: bool,
    opts: &WriterOptions,
    out: &mut Vec<u8>,
) -> Result<()> {
    if let Some(dir) = md_dir {
        let p = dir.join(format!("{}.md", safe_name(&r.id)));
        let md = render_markdown(r);
        if sync {
            write_atomic_with(&p, true, |w| w.write_all(md.as_bytes()))?;
        } else {
            std::fs::write(&p, md.as_bytes()).map_err(|e| Error::io(&p, e))?;
        }
    }
    let mut row = summary_row(r);
    row.extend(crate::narratives::summary_cells(
        &r.narratives,
        &opts.narrative_ids,
    ));
    serde_json::to_writer(&mut *out, &r.id).expect("string serialises");
    out.push(b'\t');
    serde_json::to_writer(&mut *out, &row).expect("row serialises");
    out.push(b'\t');
    serde_json::to_writer(&mut *out, &DocJson(r, opts.paragraphs)).expect("report serialises");
    out.push(b'\t');
    if opts.html {
        html::encode_into(r, out);
    } else {
        out.push(b'\t');
    }
    out.push(b'\n');
    Ok(())
}

/// What a [`ReportWriter`] writes besides `documents.jsonl`, `summary.csv`, `summary.md` and
/// `errors.jsonl`.
#[derive(Debug, Clone, Default)]
pub struct WriterOptions {
    /// Paragraph detail in `documents.jsonl`.
    pub paragraphs: ParagraphDetail,
    /// Write `report.html`.
    pub html: bool,
    /// The model hash, shown in `report.html`.
    pub model_hash: String,
    /// Narrative ids: one `narrative:<id>` column each in `summary.csv`.
    pub narrative_ids: Vec<String>,
}

/// Whether [`sync_fs`] flushes a whole file system (Linux `syncfs`).
const CAN_SYNC_FS: bool = cfg!(target_os = "linux");

/// Flush every written file of the file system holding `dir` to the disk, in one call
/// (Linux `syncfs(2)`); a no-op where `CAN_SYNC_FS` is false.
///
/// # Errors
/// [`Error::Io`] naming `dir` when it cannot be opened or the flush fails.
pub fn sync_fs(dir: &Path) -> Result<()> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let f = File::open(dir).map_err(|e| Error::io(dir, e))?;
        // SAFETY: `f` is an open descriptor for the duration of the call.
        if unsafe { libc::syncfs(f.as_raw_fd()) } != 0 {
            return Err(Error::io(dir, std::io::Error::last_os_error()));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = dir;
    Ok(())
}

impl ReportWriter {
    /// Prepare the output folder (created if needed) for a new batch; a checkpoint left there
    /// by an interrupted run is discarded.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or written.
    pub fn new(out: &Path, write_docs: bool) -> Result<Self> {
        let tmp = out.join(CHECKPOINT_DIR);
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        }
        Self::resume(out, write_docs, Vec::new())
    }

    /// Continue writing into `out` after the chunks whose run files (in the checkpoint folder)
    /// are `runs`; any other file in the checkpoint folder is removed.
    ///
    /// # Errors
    /// [`Error::Io`] when the folder cannot be created or written.
    pub fn resume(out: &Path, write_docs: bool, runs: Vec<PathBuf>) -> Result<Self> {
        if write_docs {
            std::fs::create_dir_all(out.join("docs")).map_err(|e| Error::io(out, e))?;
        } else {
            std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
        }
        let tmp = out.join(CHECKPOINT_DIR);
        std::fs::create_dir_all(&tmp).map_err(|e| Error::io(&tmp, e))?;
        remove_stale_temps(out);
        remove_stale_temps(&tmp);
        let doc_pool = if write_docs {
            Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(doc_writers())
                    .thread_name(|i| format!("framelens-docs-{i}"))
                    .build()
                    .map_err(|e| Error::Other(format!("cannot start writer threads: {e}")))?,
            )
        } else {
            None
        };
        Ok(ReportWriter {
            out: out.to_path_buf(),
            tmp,
            runs,
            doc_pool,
            opts: WriterOptions::default(),
            bufs: Vec::new(),
        })
    }

    /// Set what is written besides the default files (paragraph detail, `report.html`,
    /// narrative columns).
    pub fn options(mut self, opts: WriterOptions) -> Self {
        self.opts = opts;
        self
    }

    /// The checkpoint folder (`<out>/.framelens-checkpoint`).
    pub fn checkpoint_dir(&self) -> &Path {
        &self.tmp
    }

    /// The run files written so far, in chunk order.
    pub fn runs(&self) -> &[PathBuf] {
        &self.runs
    }

    /// Write the per-document Markdown files of a chunk and spill its sorted lines to a run
    /// file; returns the run file (`None` for an empty chunk). Everything is fsynced before
    /// this returns.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn add_chunk(&mut self, reports: &[DocReport]) -> Result<Option<PathBuf>> {
        use rayon::prelude::*;
        if reports.is_empty() {
            return Ok(None);
        }
        // Render and write each document's Markdown and serialise its run line in parallel.
        // Where the file system can be flushed at once (Linux `syncfs`), the Markdown files
        // are made durable by one flush after the chunk instead of one fsync each: the same
        // guarantee (they are on disk before this returns), a fraction of the disk waits.
        let docs = self.out.join("docs");
        let batch_sync = self.doc_pool.is_some() && CAN_SYNC_FS;
        let md_dir = self.doc_pool.as_ref().map(|_| docs.as_path());
        let opts = &self.opts;
        // Each part of the chunk is serialised into a buffer of its own, kept from chunk to
        // chunk: no allocation per document, and no fresh memory to fault in each chunk.
        let per = reports.len().div_ceil(ENCODE_PARTS);
        if self.bufs.len() < ENCODE_PARTS {
            self.bufs.resize_with(ENCODE_PARTS, Vec::new);
        }
        let encode = |(buf, part): (&mut Vec<u8>, &[DocReport])| -> Result<Vec<(usize, usize)>> {
            buf.clear();
            let mut ends = Vec::with_capacity(part.len());
            for r in part {
                let start = buf.len();
                encode_doc(r, md_dir, !batch_sync, opts, buf)?;
                ends.push((start, buf.len()));
            }
            Ok(ends)
        };
        let bufs = &mut self.bufs[..reports.len().div_ceil(per)];
        let spans: Vec<Vec<(usize, usize)>> = match &self.doc_pool {
            Some(pool) => pool.install(|| {
                bufs.par_iter_mut()
                    .zip(reports.par_chunks(per))
                    .map(encode)
                    .collect::<Result<_>>()
            })?,
            None => bufs
                .par_iter_mut()
                .zip(reports.par_chunks(per))
                .map(encode)
                .collect::<Result<_>>()?,
        };
        if self.doc_pool.is_some() {
            if batch_sync {
                sync_fs(&docs)?;
            }
            sync_dir(&docs)?;
        }
        // (report, part, line span), sorted by id; stable, so equal ids keep input order
        let mut lines: Vec<(&str, usize, (usize, usize))> = spans
            .iter()
            .enumerate()
            .flat_map(|(k, ends)| ends.iter().map(move |&e| (k, e)))
            .zip(reports)
            .map(|((k, e), r)| (r.id.as_str(), k, e))
            .collect();
        lines.sort_by(|a, b| a.0.cmp(b.0));
        let p = self.tmp.join(format!("run-{:06}.tsv", self.runs.len()));
        let bufs = &self.bufs;
        write_atomic_with(&p, true, |w| {
            lines
                .iter()
                .try_for_each(|&(_, k, (a, b))| w.write_all(&bufs[k][a..b]))
        })?;
        sync_dir(&self.tmp)?;
        self.runs.push(p.clone());
        Ok(Some(p))
    }

    /// Merge the runs into `documents.jsonl` and `summary.csv`, write `summary.md`,
    /// `errors.jsonl` and `codebook.toml`, and remove the checkpoint folder.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn finish(self, summary: &Summary, cb: &Codebook) -> Result<()> {
        self.write_outputs(summary, cb)?;
        self.remove_checkpoint()
    }

    /// Remove the checkpoint folder (the last step of a completed batch).
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be removed.
    pub fn remove_checkpoint(self) -> Result<()> {
        match std::fs::remove_dir_all(&self.tmp) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.tmp, e)),
            _ => Ok(()),
        }
    }

    /// Merge the runs into `documents.jsonl` and `summary.csv`, and write `summary.md`,
    /// `errors.jsonl` and the codebook of the reports (`codebook.toml`, read back by `trends`,
    /// `store` and `merge`); the checkpoint folder is kept.
    ///
    /// # Errors
    /// [`Error::Io`] naming the file that could not be written.
    pub fn write_outputs(&self, summary: &Summary, cb: &Codebook) -> Result<()> {
        let mut runs = self.runs.clone();
        let mut pass = 0;
        while runs.len() > MERGE_FAN_IN {
            let mut next = Vec::new();
            for (i, group) in runs.chunks(MERGE_FAN_IN).enumerate() {
                let p = self.tmp.join(format!("merge-{pass}-{i:06}.tsv"));
                write_atomic_with(&p, false, |w| {
                    merge_runs(group, |line| {
                        w.write_all(line.as_bytes())?;
                        w.write_all(b"\n")
                    })
                })?;
                next.push(p);
            }
            runs = next;
            pass += 1;
        }
        let docs_path = self.out.join("documents.jsonl");
        let csv_path = self.out.join("summary.csv");
        let html_path = self.out.join("report.html");
        let rows_path = self.tmp.join("report-rows.json");
        // summary.csv and report.html are written in the same pass as documents.jsonl, so no
        // document is held in memory; documents.jsonl is complete (renamed) first, as before
        let html = self.opts.html;
        let page_tmp = html_path.with_file_name(format!(".report.html.tmp{}", std::process::id()));
        let page = if html {
            let f = File::create(&page_tmp).map_err(|e| Error::io(&page_tmp, e))?;
            Some(
                html::HtmlWriter::start(
                    BufWriter::with_capacity(1 << 20, f),
                    &rows_path,
                    "framelens report",
                )
                .map_err(|e| Error::io(&html_path, e))?,
            )
        } else {
            None
        };
        // report.html is written on its own thread from batches of merged lines, so its
        // writes (the larger half of the bytes) and its fsync overlap those of the other files
        let (page_tmp, html_path) = (&page_tmp, &html_path);
        std::thread::scope(|scope| -> Result<()> {
            let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<String>>(4);
            let page_job = page.map(|mut p| {
                scope.spawn(move || -> std::io::Result<()> {
                    for batch in rx {
                        for line in &batch {
                            p.add(line.splitn(4, '\t').nth(3).unwrap_or(""))?;
                        }
                    }
                    let w = p.finish(summary, cb, &self.opts.model_hash)?;
                    let f = w.into_inner().map_err(|e| e.into_error())?;
                    f.sync_all()?;
                    std::fs::rename(page_tmp, html_path)
                })
            });
            let mut batch = Vec::with_capacity(HTML_BATCH);
            let written = write_atomic_with(&csv_path, true, |csv_out| {
                let mut cw = csv::Writer::from_writer(csv_out);
                cw.write_record(
                    summary_header(cb).into_iter().chain(
                        self.opts
                            .narrative_ids
                            .iter()
                            .map(|id| format!("narrative:{id}")),
                    ),
                )?;
                write_atomic_with(&docs_path, true, |w| {
                    merge_runs(&runs, |line| {
                        let mut it = line.splitn(4, '\t');
                        let _id = it.next();
                        // the fields are read in place unless one holds an escape
                        let row = it.next().unwrap_or("[]");
                        match serde_json::from_str::<Vec<&str>>(row) {
                            Ok(fields) => cw.write_record(&fields)?,
                            Err(_) => {
                                let fields: Vec<String> =
                                    serde_json::from_str(row).map_err(std::io::Error::other)?;
                                cw.write_record(&fields)?;
                            }
                        }
                        w.write_all(it.next().unwrap_or("").as_bytes())?;
                        w.write_all(b"\n")?;
                        if page_job.is_some() {
                            batch.push(line);
                            if batch.len() == HTML_BATCH {
                                tx.send(std::mem::take(&mut batch)).map_err(|_| {
                                    std::io::Error::other("the report.html writer stopped")
                                })?;
                                batch.reserve(HTML_BATCH);
                            }
                        }
                        Ok(())
                    })
                })
                .map_err(std::io::Error::other)?;
                cw.flush()
            });
            if !batch.is_empty() && written.is_ok() {
                // an error here is the writer's, returned by its join below
                let _ = tx.send(batch);
            }
            drop(tx);
            let page_res =
                page_job.map(|j| j.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
            if let Some(Err(e)) = page_res {
                let _ = std::fs::remove_file(page_tmp);
                // the page's own error explains a failed hand-over
                return Err(Error::io(html_path, e));
            }
            written
        })?;
        write_atomic(
            &self.out.join("summary.md"),
            render_summary(summary, cb).as_bytes(),
        )?;
        write_atomic(&self.out.join(CODEBOOK_FILE), cb.to_toml().as_bytes())?;
        write_atomic(
            &self.out.join("errors.jsonl"),
            render_errors(summary).as_bytes(),
        )?;
        sync_dir(&self.out)
    }
}

/// How many merged lines go to the `report.html` writer at once.
const HTML_BATCH: usize = 256;

/// K-way merge of sorted run files (lines `"<id json>\t<row>\t<doc>"`) by id, calling `emit`
/// with each full line (without its newline) in id order.
fn merge_runs(
    runs: &[PathBuf],
    mut emit: impl FnMut(String) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut readers = Vec::with_capacity(runs.len());
    for p in runs {
        let f = File::open(p).map_err(|e| with_path(p, e))?;
        readers.push(BufReader::with_capacity(MERGE_READ_BUFFER, f).lines());
    }
    let next =
        |r: &mut std::io::Lines<BufReader<File>>, p: &Path| -> std::io::Result<Option<RunLine>> {
            match r.next() {
                None => Ok(None),
                Some(l) => RunLine::new(l.map_err(|e| with_path(p, e))?)
                    .map(Some)
                    .map_err(|e| with_path(p, std::io::Error::other(e))),
            }
        };
    let mut heads = Vec::with_capacity(runs.len());
    for (r, p) in readers.iter_mut().zip(runs) {
        heads.push(next(r, p)?);
    }
    loop {
        let best = heads
            .iter()
            .enumerate()
            .filter_map(|(i, h)| h.as_ref().map(|h| (i, h.id())))
            .min_by(|a, b| a.1.cmp(b.1))
            .map(|x| x.0);
        let Some(i) = best else { break };
        let head = heads[i].take().expect("head present");
        emit(head.line)?;
        heads[i] = next(&mut readers[i], &runs[i])?;
    }
    Ok(())
}

/// A line of a run file and the id it is sorted by.
struct RunLine {
    line: String,
    /// The id, when its JSON string holds an escape; otherwise it is the JSON string's
    /// content, `line[1..key_end]`, read in place.
    decoded: Option<String>,
    key_end: usize,
}

impl RunLine {
    fn new(line: String) -> serde_json::Result<Self> {
        let key = line.split('\t').next().unwrap_or("");
        let plain = key.len() >= 2
            && key.starts_with('"')
            && key.ends_with('"')
            && !key[1..key.len() - 1].contains(['\\', '"']);
        let (decoded, key_end) = if plain {
            (None, key.len() - 1)
        } else {
            (Some(serde_json::from_str::<String>(key)?), 0)
        };
        Ok(RunLine {
            line,
            decoded,
            key_end,
        })
    }

    fn id(&self) -> &str {
        match &self.decoded {
            Some(id) => id,
            None => &self.line[1..self.key_end],
        }
    }
}

fn with_path(p: &Path, e: std::io::Error) -> std::io::Error {
    std::io::Error::new(e.kind(), format!("{}: {e}", p.display()))
}

/// `run.json`: what was run, on what, when, with which outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// framelens version.
    pub framelens_version: String,
    /// Model folder.
    pub model: String,
    /// Model content hash.
    pub model_hash: String,
    /// Inputs with their SHA-256 (`null` for stdin).
    pub inputs: Vec<InputInfo>,
    /// Start time (RFC 3339, UTC).
    pub started: String,
    /// End time (RFC 3339, UTC).
    pub finished: String,
    /// Records read.
    pub read: u64,
    /// Documents classified.
    pub classified: u64,
    /// Records that failed.
    pub failed: u64,
    /// Worker threads.
    pub jobs: usize,
    /// The part of a sharded batch this run processed (`classify --shard I/N`); absent for a
    /// whole batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Shard>,
    /// The narrative file detected (`classify --narratives`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narratives: Option<crate::narratives::NarrativeSetInfo>,
}

/// An input file and its checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    /// The path as given.
    pub path: String,
    /// SHA-256 of the file (of the sorted file list and contents for a folder).
    pub sha256: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_names_are_unique_and_clean() {
        assert_eq!(safe_name("abc-1.txt"), "abc-1.txt");
        let a = safe_name("dir/a b.txt");
        assert!(a.starts_with("dir_a_b.txt-"));
        assert_ne!(safe_name("a/b"), safe_name("a_b"));
        assert!(!safe_name("../x").contains('/'));
    }

    #[test]
    fn summaries_add_up() {
        let mut a = Summary {
            read: 2,
            classified: 1,
            failed: 1,
            dominant: vec![1, 0, 0, 0, 0],
            ..Default::default()
        };
        let b = Summary {
            read: 3,
            classified: 3,
            dominant: vec![0, 1, 1, 1, 0],
            ..Default::default()
        };
        a += b;
        assert_eq!(a.read, 5);
        assert_eq!(a.classified, 4);
        assert_eq!(a.dominant, [1, 1, 1, 1, 0]);
    }

    #[test]
    fn run_lines_are_keyed_by_their_decoded_id() {
        for id in [
            "plain",
            "",
            "tab\there",
            "quote\"d",
            "back\\slash",
            "line\nbreak",
            "é-ü",
        ] {
            let key = serde_json::to_string(id).unwrap();
            let l = RunLine::new(format!("{key}\t[]\t{{}}\t\t")).unwrap();
            assert_eq!(l.id(), id);
            assert_eq!(l.decoded.is_some(), key.contains('\\'), "{key}");
        }
        assert!(RunLine::new("not json\t[]".into()).is_err());
    }

    #[test]
    fn many_runs_merge_in_passes_to_one_sorted_file() {
        let d = tempfile::tempdir().unwrap();
        let mut w = ReportWriter::new(d.path(), false).unwrap();
        let n = MERGE_FAN_IN * 2 + 7;
        for i in 0..n {
            // ids in an order unlike their chunk order
            let id = format!("d{:04}", (i * 37) % n);
            let r = DocReport {
                codebook: Arc::new(Codebook::migration()),
                id,
                title: None,
                date: None,
                source: None,
                url: None,
                meta: Map::new(),
                shares: vec![0.0; 4],
                framed_fraction: 0.0,
                dominant: None,
                present: Vec::new(),
                paragraphs: Vec::new(),
                evidence: BTreeMap::new(),
                terms: BTreeMap::new(),
                narratives: BTreeMap::new(),
                texts: Vec::new(),
            };
            w.add_chunk(&[r]).unwrap();
        }
        w.finish(&Summary::default(), &Codebook::migration())
            .unwrap();
        let docs = std::fs::read_to_string(d.path().join("documents.jsonl")).unwrap();
        let ids: Vec<String> = docs
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        let want: Vec<String> = (0..n).map(|i| format!("d{i:04}")).collect();
        assert_eq!(ids, want);
        let csv = std::fs::read_to_string(d.path().join("summary.csv")).unwrap();
        assert_eq!(csv.lines().count(), n + 1);
        assert!(!d.path().join(CHECKPOINT_DIR).exists());
        assert_eq!(
            std::fs::read_to_string(d.path().join("errors.jsonl")).unwrap(),
            ""
        );
    }

    /// The explanation terms computed the straightforward way: every content token and word
    /// feature summed (no skipped tokens), every positive push sorted.
    fn reference_terms(model: &FramingModel, s: &DocScores, frames: &[Label]) -> Vec<Vec<String>> {
        let f = model.featurizer();
        let nf = f.n_features();
        let table = model.folded_table().filter(|_| !s.tokens.is_empty());
        let rows = table.map_or(0, |k| k.rows());
        let content = model.content_tokens();
        let is_content = |t: u32| content.get(t as usize).copied().unwrap_or(false);
        let nl = model.codebook().len() as f32;
        let mut acc: BTreeMap<usize, [f32; 4]> = BTreeMap::new();
        let (u, b) = f.word_feature_bounds();
        for row in &s.rows {
            for (&i, &v) in row.idx.iter().zip(&row.val) {
                if i >= u && i < b {
                    continue;
                }
                let slot = match f.kind(i) {
                    FeatureKind::Unigram(t) if is_content(t) && (t as usize) < rows => {
                        nf + t as usize
                    }
                    FeatureKind::Unigram(t) if is_content(t) => i as usize,
                    FeatureKind::Bigram(a, b) if is_content(a) && is_content(b) => i as usize,
                    _ => continue,
                };
                acc.entry(slot).or_default()[3] += v;
            }
        }
        if let Some(k) = table {
            let nb = k.blocks().len();
            let coefs = k.token_coefficients(&s.tokens);
            for (coef, ids) in coefs.chunks_exact(nb).zip(&s.tokens) {
                for &t in ids
                    .iter()
                    .filter(|&&t| (t as usize) < rows && is_content(t))
                {
                    for (b, &c) in coef.iter().enumerate() {
                        acc.entry(nf + t as usize).or_default()[b] += c;
                    }
                }
            }
        }
        let tk = model.tokenizer();
        frames
            .iter()
            .map(|fr| {
                let mut v: Vec<(f32, u64, String)> = Vec::new();
                for (&slot, x) in &acc {
                    let mut p = 0f32;
                    let tfidf = |i: u32, p: &mut f32| {
                        let w = model.weight(i);
                        let mean = w.iter().sum::<f32>() / nl;
                        *p += x[3] * (w[fr.index()] - mean);
                    };
                    let (key, term) = if slot < nf {
                        tfidf(slot as u32, &mut p);
                        match f.kind(slot as u32) {
                            FeatureKind::Unigram(t) => (
                                if table.is_some() {
                                    t as u64
                                } else {
                                    slot as u64
                                },
                                tk.id_to_token(t),
                            ),
                            FeatureKind::Bigram(a, b) => (
                                if table.is_some() {
                                    (1 << 40) | slot as u64
                                } else {
                                    slot as u64
                                },
                                Some(format!(
                                    "{} {}",
                                    tk.id_to_token(a).unwrap(),
                                    tk.id_to_token(b).unwrap()
                                )),
                            ),
                            _ => unreachable!(),
                        }
                    } else {
                        let t = (slot - nf) as u32;
                        if x[3] != 0.0 {
                            tfidf(f.unigram(t).unwrap(), &mut p);
                        }
                        let k = table.unwrap();
                        for (b, kb) in k.token(t).unwrap().chunks_exact(k.labels()).enumerate() {
                            let mean = kb.iter().sum::<f32>() / nl;
                            p += x[b] * (kb[fr.index()] - mean);
                        }
                        (t as u64, tk.id_to_token(t))
                    };
                    if p > 0.0 {
                        v.push((p, key, term.unwrap()));
                    }
                }
                v.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
                v.into_iter().take(TERMS_PER_FRAME).map(|x| x.2).collect()
            })
            .collect()
    }

    #[test]
    fn terms_equal_the_straightforward_computation() {
        let Ok((model, _)) = crate::builtin::load() else {
            eprintln!("skipped: no built-in model");
            return;
        };
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus/samples");
        let mut docs = 0;
        for e in std::fs::read_dir(&dir).unwrap() {
            let text = std::fs::read_to_string(e.unwrap().path()).unwrap();
            let paras = crate::corpus::paragraphs(&text);
            let s = model.score_document(&paras).unwrap();
            // every frame, and each alone: the skipped tokens depend on the frames asked for
            let all: Vec<Label> = (0..4).map(Label::from_index).collect();
            for frames in std::iter::once(all.clone()).chain(all.iter().map(|&f| vec![f])) {
                assert_eq!(
                    top_terms(&model, &s, &frames),
                    reference_terms(&model, &s, &frames)
                );
            }
            docs += 1;
        }
        assert!(docs >= 3);
    }

    #[test]
    fn terms_are_content_words() {
        for w in [
            "border",
            "asylum",
            "h-1b",
            "covid-19",
            "o'rourke",
            "Deportations",
        ] {
            assert!(is_content_word(w), "{w}");
        }
        for w in [
            "the", "and", "my", "his", ",", ", a", "000", "2019", "a", "##s", "[UNK]", "said", "-x",
        ] {
            assert!(!is_content_word(w), "{w}");
        }
    }

    #[test]
    fn atomic_write_leaves_no_temp_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.txt");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "hello");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
