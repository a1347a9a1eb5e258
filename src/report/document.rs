//! One document's report: [`DocReport`], its `documents.jsonl` form ([`DocJson`]) and reading it back.

use super::*;

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

impl DocJson<'_> {
    /// Append the `documents.jsonl` line (without its newline) to `out`: the bytes
    /// serde_json writes for `self` (tested), written directly ([`super::json`]): the
    /// per-paragraph scores and the evidence texts are most of them.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        use super::json::{push_decimal, push_json_str, seq};
        let (this, detail) = (self.0, self.1);
        let cb = &this.codebook;
        let str_ = |out: &mut Vec<u8>, s: &str| push_json_str::<false>(out, s);
        let opt = |out: &mut Vec<u8>, s: &Option<String>| match s {
            Some(s) => str_(out, s),
            None => out.extend_from_slice(b"null"),
        };
        let key = |out: &mut Vec<u8>, k: &str| {
            out.push(b',');
            str_(out, k);
            out.push(b':');
        };
        // `[a,b]` of strings, and `{"name":value}` by label name
        let strs = |out: &mut Vec<u8>, v: &[String]| seq(out, b"[]", v, |o, s| str_(o, s));
        let by_name = |out: &mut Vec<u8>, name: &str| {
            str_(out, name);
            out.push(b':');
        };
        out.extend_from_slice(b"{\"id\":");
        str_(out, &this.id);
        key(out, "title");
        opt(out, &this.title);
        key(out, "date");
        opt(out, &this.date);
        key(out, "source");
        opt(out, &this.source);
        if let Some(u) = &this.url {
            key(out, "url");
            str_(out, u);
        }
        if !this.meta.is_empty() {
            key(out, "meta");
            serde_json::to_writer(&mut *out, &this.meta).expect("meta serialises");
        }
        key(out, "shares");
        seq(
            out,
            b"{}",
            cb.frames().iter().zip(&this.shares),
            |o, (l, &x)| {
                by_name(o, cb.name(*l));
                push_decimal(o, 6, x);
            },
        );
        key(out, "framed_fraction");
        push_decimal(out, 6, this.framed_fraction);
        key(out, "dominant");
        match this.dominant_name() {
            Some(n) => str_(out, n),
            None => out.extend_from_slice(b"null"),
        }
        key(out, "present");
        seq(out, b"[]", &this.present, |o, l| str_(o, cb.name(*l)));
        if detail != ParagraphDetail::None {
            key(out, "paragraphs");
            let names = cb.names();
            seq(out, b"[]", &this.paragraphs, |o, p| {
                write!(o, "{{\"index\":{}", p.index).expect("in memory");
                key(o, "label");
                str_(o, cb.name(p.label));
                if detail == ParagraphDetail::Full {
                    key(o, "scores");
                    seq(o, b"{}", names.iter().zip(&p.scores), |o, (n, &x)| {
                        by_name(o, n);
                        push_decimal(o, 4, x);
                    });
                }
                if !p.narratives.is_empty() {
                    key(o, "narratives");
                    strs(o, &p.narratives);
                }
                if !p.rebutted.is_empty() {
                    key(o, "rebutted");
                    strs(o, &p.rebutted);
                }
                o.push(b'}');
            });
        }
        key(out, "evidence");
        seq(out, b"{}", &this.evidence, |o, (l, v)| {
            by_name(o, cb.name(*l));
            seq(o, b"[]", v, |o, e| {
                write!(o, "{{\"index\":{},\"score\":", e.index).expect("in memory");
                push_decimal(o, 4, e.score);
                o.extend_from_slice(b",\"text\":");
                str_(o, &e.text);
                o.push(b'}');
            });
        });
        key(out, "terms");
        seq(out, b"{}", &this.terms, |o, (l, v)| {
            by_name(o, cb.name(*l));
            strs(o, v);
        });
        if !this.narratives.is_empty() {
            key(out, "narratives");
            seq(out, b"{}", &this.narratives, |o, (id, h)| {
                by_name(o, id);
                write!(o, "{{\"paragraphs\":{},\"share\":", h.paragraphs).expect("in memory");
                push_decimal(o, 6, h.share);
                if let Some(r) = h.rebutted {
                    write!(o, ",\"rebutted\":{r}").expect("in memory");
                }
                key(o, "evidence");
                seq(o, b"[]", &h.evidence, |o, e| {
                    write!(o, "{{\"index\":{},\"text\":", e.index).expect("in memory");
                    str_(o, &e.text);
                    write!(o, ",\"span\":[{},{}]", e.span[0], e.span[1]).expect("in memory");
                    if let Some(st) = &e.stance {
                        key(o, "stance");
                        serde_json::to_writer(&mut *o, st).expect("a stance serialises");
                    }
                    o.push(b'}');
                });
                o.push(b'}');
            });
        }
        out.push(b'}');
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narratives::{NarrativeEvidence, NarrativeHit, Stance};

    #[test]
    fn written_lines_are_what_serde_json_writes() {
        let m = crate::model::tests::tiny_model();
        let odd = "tab\there \"q\" back\\slash </script> \u{1} é 中文 \r\n<";
        let mut reports = Vec::new();
        for (k, text) in [
            "Agents detained migrants at the border.\nFarm wages rose as workers left.\nFamilies fled.",
            "Spies.",
        ]
        .into_iter()
        .enumerate()
        {
            let a = crate::corpus::Article {
                id: format!("{odd}{k}"),
                title: (k == 0).then(|| odd.to_string()),
                url: (k == 0).then(|| "https://example.org/a?b=1&c=<d>".to_string()),
                text: text.into(),
                ..Default::default()
            };
            let mut r = crate::classify::classify_article(&m, &a).unwrap();
            if k == 0 {
                r.meta.insert("bias".into(), Value::from(odd));
                r.meta.insert("n".into(), Value::from(1.5));
                r.paragraphs[1].narratives = vec!["wall".into(), odd.into()];
                r.paragraphs[1].rebutted = vec!["wall".into()];
                let hit = |stance: Option<Stance>| NarrativeHit {
                    paragraphs: 2,
                    share: 0.123457,
                    rebutted: stance.map(|_| 1),
                    evidence: vec![NarrativeEvidence {
                        index: 1,
                        text: odd.into(),
                        span: [3, 9],
                        stance,
                    }],
                };
                r.narratives.insert("wall".into(), hit(Some(Stance::Rebutted)));
                r.narratives.insert(odd.into(), hit(None));
                r.shares[0] = 1.0 / 3.0; // not rounded: written by serde_json
            }
            reports.push(r);
        }
        assert!(reports
            .iter()
            .any(|r| !r.evidence.is_empty() && !r.terms.is_empty()));
        for r in &reports {
            for detail in [
                ParagraphDetail::Full,
                ParagraphDetail::Labels,
                ParagraphDetail::None,
            ] {
                let mut fast = Vec::new();
                DocJson(r, detail).write_to(&mut fast);
                let want = serde_json::to_string(&DocJson(r, detail)).unwrap();
                assert_eq!(String::from_utf8(fast).unwrap(), want);
            }
        }
    }
}
