//! The batch summary: [`Summary`], [`Problem`]s, `summary.md`, `summary.csv` rows, `errors.jsonl`.

use super::*;

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

pub(super) fn summary_row(r: &DocReport) -> Vec<String> {
    let mut row = vec![
        r.id.clone(),
        r.date.clone().unwrap_or_default(),
        r.source.clone().unwrap_or_default(),
    ];
    row.extend(r.shares.iter().map(f64::to_string));
    row.push(r.dominant_name().unwrap_or_default().to_string());
    row
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
