//! The batch report people open in a browser: `report.html`.
//!
//! Input: the document reports of a batch in id order (streamed, as the report writer merges
//! its sorted runs), the batch [`Summary`] and the codebook. Output: one self-contained HTML
//! file (no network, no CDN): the batch summary with charts, a sortable and filterable table
//! of documents (paged, so 10,000 rows stay quick), and a view of each document with every
//! paragraph highlighted in its label's colour, the scores on hover, the evidence and terms.
//!
//! The data travels as JSON inside the page and is rendered by a small script: one array of
//! table rows, and one `<script type="application/json">` block per document that is parsed
//! only when the document is opened. The page honours its URL fragment, e.g.
//! `report.html#q=border&dominant=security&sort=-date&page=2&doc=ID`, so views can be linked
//! (and tested headless). The output is deterministic: no timestamps.

use std::fs::File;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::{DocReport, Summary};
use crate::codebook::Codebook;

/// Problems and skipped files listed in the page at most (all of them are in `errors.jsonl`
/// and `summary.md`).
const MAX_LISTED: usize = 1000;

const CSS: &str = include_str!("html/report.css");
const JS: &str = include_str!("html/report.js");

/// Serialise `value` as JSON onto `out`, made safe inside a `<script>` element: `<` only
/// occurs in strings, where `\u003c` means the same (only the bytes appended are rewritten,
/// and only when they hold a `<`).
fn push_script_json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) {
    let start = out.len();
    serde_json::to_writer(&mut *out, value).expect("JSON serialises");
    if out[start..].contains(&b'<') {
        let tail = out.split_off(start);
        for &b in &tail {
            if b == b'<' {
                out.extend_from_slice(b"\\u003c");
            } else {
                out.push(b);
            }
        }
    }
}

fn r3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The two page records of one document, `"<row>\t<detail>"` (JSON each, no tab inside):
/// the table row and the data of the document view.
pub fn encode(r: &DocReport) -> String {
    let mut out = Vec::new();
    encode_into(r, &mut out);
    String::from_utf8(out).expect("JSON is UTF-8")
}

/// [`encode`], appended to `out`.
pub fn encode_into(r: &DocReport, out: &mut Vec<u8>) {
    // narrative id -> paragraphs carrying it (null without narratives)
    let narratives: Option<std::collections::BTreeMap<&str, usize>> = (!r.narratives.is_empty())
        .then(|| {
            r.narratives
                .iter()
                .map(|(id, h)| (id.as_str(), h.paragraphs))
                .collect()
        });
    let row = (
        &r.id,
        &r.title,
        &r.date,
        &r.source,
        r.dominant.map_or(-1, |l| l.index() as i64),
        r.shares.iter().map(|&x| r3(x)).collect::<Vec<_>>(),
        r3(r.framed_fraction),
        r.paragraphs.len(),
        narratives,
    );
    #[derive(Serialize)]
    struct Detail<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        url: Option<&'a str>,
        /// per paragraph: label index, then the probabilities (3 decimals)
        p: Vec<Vec<f64>>,
        /// paragraph texts
        x: &'a [String],
        /// present frames (label indices)
        pr: Vec<usize>,
        /// evidence per frame: [label, [[paragraph, score]]]
        ev: Vec<(usize, Vec<(usize, f64)>)>,
        /// terms per frame: [label, [term]]
        t: Vec<(usize, &'a [String])>,
        #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
        meta: &'a serde_json::Map<String, Value>,
    }
    let d = Detail {
        url: r.url.as_deref(),
        p: r.paragraphs
            .iter()
            .map(|p| {
                std::iter::once(p.label.index() as f64)
                    .chain(p.scores.iter().map(|&x| r3(x)))
                    .collect()
            })
            .collect(),
        x: &r.texts,
        pr: r.present.iter().map(|l| l.index()).collect(),
        ev: r
            .evidence
            .iter()
            .map(|(l, v)| {
                (
                    l.index(),
                    v.iter().map(|e| (e.index, r3(e.score))).collect(),
                )
            })
            .collect(),
        t: r.terms
            .iter()
            .map(|(l, v)| (l.index(), v.as_slice()))
            .collect(),
        meta: &r.meta,
    };
    push_script_json(out, &row);
    out.push(b'\t');
    push_script_json(out, &d);
}

/// Writes `report.html` while the documents stream past in id order: each document's detail
/// goes into the page at once, its table row into a side file that is appended at the end.
pub struct HtmlWriter<W: Write> {
    w: W,
    rows_path: PathBuf,
    rows: BufWriter<File>,
    n: usize,
}

impl<W: Write> HtmlWriter<W> {
    /// Start the page; `rows_path` is a scratch file (removed by [`HtmlWriter::finish`]).
    ///
    /// # Errors
    /// An I/O error of the page or the scratch file.
    pub fn start(mut w: W, rows_path: &Path, title: &str) -> std::io::Result<Self> {
        write!(
            w,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
             <div id=\"app\"><p>Loading…</p></div>\n<div id=\"docs\" hidden>\n",
            escape(title)
        )?;
        let rows = BufWriter::with_capacity(1 << 16, File::create(rows_path)?);
        Ok(HtmlWriter {
            w,
            rows_path: rows_path.to_path_buf(),
            rows,
            n: 0,
        })
    }

    /// Add one document from its [`encode`]d records.
    ///
    /// # Errors
    /// An I/O error.
    pub fn add(&mut self, encoded: &str) -> std::io::Result<()> {
        let (row, detail) = encoded.split_once('\t').unwrap_or((encoded, "{}"));
        if self.n > 0 {
            self.rows.write_all(b",\n")?;
        }
        self.rows.write_all(row.as_bytes())?;
        writeln!(
            self.w,
            "<script type=\"application/json\" id=\"d{}\">{detail}</script>",
            self.n
        )?;
        self.n += 1;
        Ok(())
    }

    /// Finish the page (the table rows, the batch data and the script) and return the writer.
    ///
    /// # Errors
    /// An I/O error.
    pub fn finish(
        mut self,
        summary: &Summary,
        cb: &Codebook,
        model_hash: &str,
    ) -> std::io::Result<W> {
        self.rows.flush()?;
        drop(self.rows);
        self.w
            .write_all(b"</div>\n<script type=\"application/json\" id=\"rows\">[\n")?;
        let mut f = File::open(&self.rows_path)?;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                break;
            }
            self.w.write_all(&buf[..n])?;
        }
        let _ = std::fs::remove_file(&self.rows_path);
        let mut meta = Vec::new();
        push_script_json(&mut meta, &batch_meta(summary, cb, model_hash));
        self.w
            .write_all(b"\n]</script>\n<script type=\"application/json\" id=\"meta\">")?;
        self.w.write_all(&meta)?;
        write!(
            self.w,
            "</script>\n<script>\n{JS}</script>\n</body>\n</html>\n"
        )?;
        Ok(self.w)
    }
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

/// The batch data of the page: labels and colours, counts, problems, skipped files.
fn batch_meta(s: &Summary, cb: &Codebook, model_hash: &str) -> Value {
    let labels: Vec<Value> = cb
        .labels()
        .map(|l| {
            let colour = match cb.frame_pos(l) {
                Some(k) => hex(cb.frame_colour(k)),
                None => "#9e9e9e".to_string(),
            };
            serde_json::json!({
                "name": cb.name(l),
                "colour": colour,
                "frame": cb.is_frame(l),
                "description": cb.def(l).description,
            })
        })
        .collect();
    let problems: Vec<Value> = s
        .problems()
        .into_iter()
        .take(MAX_LISTED)
        .map(|p| serde_json::to_value(p).expect("problem serialises"))
        .collect();
    serde_json::json!({
        "scheme": cb.describe(),
        "model_hash": model_hash,
        "labels": labels,
        "frames": cb.frames().iter().map(|l| l.index()).collect::<Vec<_>>(),
        "none": cb.none().map(|l| l.index()),
        "read": s.read,
        "classified": s.classified,
        "failed": s.failed,
        "warnings": s.warnings.len(),
        "paragraphs": s.paragraphs,
        "dominant": s.dominant,
        "mean_shares": (0..cb.n_frames()).map(|i| r3(s.mean_share(i))).collect::<Vec<_>>(),
        "present": s.present,
        "mean_framed": r3(s.mean_framed()),
        "problems": problems,
        "n_problems": s.failures.len() + s.warnings.len(),
        "skipped": s.skipped.iter().take(MAX_LISTED).collect::<Vec<_>>(),
        "n_skipped": s.skipped.len(),
        "skipped_by_ext": crate::corpus::skipped_by_ext(&s.skipped),
    })
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The straightforward definition [`push_script_json`] is tested against.
    fn script_json(json: String) -> String {
        json.replace('<', "\\u003c")
    }

    #[test]
    fn pushed_script_json_equals_script_json() {
        for v in ["plain", "a</script><b>", "<<", ""] {
            let mut out = b"prefix".to_vec();
            push_script_json(&mut out, &(v, 1));
            let want = format!(
                "prefix{}",
                script_json(serde_json::to_string(&(v, 1)).unwrap())
            );
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }

    #[test]
    fn script_json_cannot_close_the_script() {
        let mut j = Vec::new();
        push_script_json(&mut j, "a</script><b>");
        let j = String::from_utf8(j).unwrap();
        assert!(!j.contains('<'));
        assert_eq!(serde_json::from_str::<String>(&j).unwrap(), "a</script><b>");
    }

    #[test]
    fn a_page_holds_every_document_and_its_rows() {
        let m = crate::model::tests::tiny_model();
        let d = tempfile::tempdir().unwrap();
        let mut w = HtmlWriter::start(Vec::new(), &d.path().join("rows"), "t").unwrap();
        let mut s = Summary::default();
        for id in ["a", "b<c"] {
            let a = crate::corpus::Article {
                id: id.into(),
                text: "Agents detained migrants.\nFarm wages rose.".into(),
                ..Default::default()
            };
            let r = crate::classify::classify_article(&m, &a).unwrap();
            s.add_report(&r, 10);
            w.add(&encode(&r)).unwrap();
        }
        let page = String::from_utf8(w.finish(&s, m.codebook(), "h").unwrap()).unwrap();
        assert!(page.contains("id=\"d0\"") && page.contains("id=\"d1\""));
        let rows = page.split("id=\"rows\">").nth(1).unwrap();
        let rows = rows.split("</script>").next().unwrap();
        let rows: Vec<Value> = serde_json::from_str(rows).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1][0], "b<c");
        assert!(!page.contains("http://") && !page.contains("https://"));
        assert!(!d.path().join("rows").exists());
    }
}
