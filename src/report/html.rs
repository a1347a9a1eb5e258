//! The batch report people open in a browser: `report.html`.
//!
//! Input: the document reports of a batch, the batch [`Summary`] and the codebook. Output:
//! one self-contained HTML file (no network, no CDN): the batch summary with charts, a
//! sortable and filterable table of documents (paged, so 10,000 rows stay quick), and a view
//! of each document with every paragraph highlighted in its label's colour, the scores on
//! hover, the evidence and terms.
//!
//! The data travels as JSON inside the page and is rendered by a small script: one
//! `<script type="application/json" id="d<n>">` block per document, parsed only when the
//! document is opened, then one array of table rows, each naming its document's block `n`.
//! The blocks are the bulk of the page and are written in input order as each chunk of the
//! batch is done ([`encode_into`], [`page_head`]); the rows follow in id order as the report
//! writer merges its sorted runs ([`RowsWriter`]). The page honours its URL fragment, e.g.
//! `report.html#q=border&dominant=security&sort=-date&page=2&doc=ID`, so views can be linked
//! (and tested headless). The output is deterministic: no timestamps.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use super::json::{push_decimal, push_json_str, seq};
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

/// The two page records of one document: its table row (JSON, no newline), naming its
/// document block `detail`, and the block itself, `<script type="application/json"
/// id="d<detail>">…</script>` and a newline.
pub fn encode(r: &DocReport, detail: u64) -> (String, String) {
    let (mut row, mut block) = (Vec::new(), Vec::new());
    encode_into(r, detail, &mut row, &mut block);
    let utf8 = |b: Vec<u8>| String::from_utf8(b).expect("JSON is UTF-8");
    (utf8(row), utf8(block))
}

/// [`encode`], the row appended to `row` and the block to `block`.
pub fn encode_into(r: &DocReport, detail: u64, row: &mut Vec<u8>, block: &mut Vec<u8>) {
    let narratives: Option<std::collections::BTreeMap<&str, usize>> = (!r.narratives.is_empty())
        .then(|| {
            r.narratives
                .iter()
                .map(|(id, h)| (id.as_str(), h.paragraphs))
                .collect()
        });
    let fields = (
        &r.id,
        &r.title,
        &r.date,
        &r.source,
        r.dominant.map_or(-1, |l| l.index() as i64),
        r.shares.iter().map(|&x| r3(x)).collect::<Vec<_>>(),
        r3(r.framed_fraction),
        r.paragraphs.len(),
        narratives,
        detail,
    );
    push_script_json(row, &fields);
    // (a number: the id needs no escaping)
    write!(block, "<script type=\"application/json\" id=\"d{detail}\">").expect("in memory");
    push_detail(block, r);
    block.extend_from_slice(b"</script>\n");
}

/// The data of a document's view, as JSON made safe inside a `<script>` element: `{"url",
/// "p": per paragraph its label index then its probabilities (3 decimals), "x": the paragraph
/// texts, "pr": the present frames, "ev": per frame [label, [[paragraph, score]]], "t": per
/// frame [label, [term]], "meta"}` (`url` and `meta` only when present). The same bytes as
/// serialising it with serde_json and escaping `<` ([`push_script_json`]; tested), written
/// directly ([`super::json`]): the texts are most of a page's bytes.
fn push_detail(out: &mut Vec<u8>, r: &DocReport) {
    out.push(b'{');
    if let Some(url) = &r.url {
        out.extend_from_slice(b"\"url\":");
        push_json_str::<true>(out, url);
        out.push(b',');
    }
    out.extend_from_slice(b"\"p\":");
    seq(out, b"[]", &r.paragraphs, |o, p| {
        let label = p.label.index() as f64;
        let probs = p.scores.iter().map(|&x| r3(x));
        seq(o, b"[]", std::iter::once(label).chain(probs), |o, x| {
            push_decimal(o, 3, x)
        });
    });
    out.extend_from_slice(b",\"x\":");
    seq(out, b"[]", &r.texts, |o, t| push_json_str::<true>(o, t));
    out.extend_from_slice(b",\"pr\":");
    push_script_json(
        out,
        &r.present.iter().map(|l| l.index()).collect::<Vec<_>>(),
    );
    out.extend_from_slice(b",\"ev\":");
    let ev: Vec<(usize, Vec<(usize, f64)>)> = (r.evidence.iter())
        .map(|(l, v)| {
            let v = v.iter().map(|e| (e.index, r3(e.score))).collect();
            (l.index(), v)
        })
        .collect();
    push_script_json(out, &ev);
    out.extend_from_slice(b",\"t\":");
    let t: Vec<(usize, &[String])> = (r.terms.iter())
        .map(|(l, v)| (l.index(), v.as_slice()))
        .collect();
    push_script_json(out, &t);
    if !r.meta.is_empty() {
        out.extend_from_slice(b",\"meta\":");
        push_script_json(out, &r.meta);
    }
    out.push(b'}');
}

/// The start of the page, up to where the document blocks ([`encode_into`]) are appended.
pub fn page_head(title: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n\
         <div id=\"app\"><p>Loading…</p></div>\n<div id=\"docs\" hidden>\n",
        escape(title)
    )
}

/// Ends a page whose head and document blocks are written: the table rows, streamed in id
/// order, then the batch data and the script.
pub struct RowsWriter<W: Write> {
    w: W,
    n: usize,
}

impl<W: Write> RowsWriter<W> {
    /// Close the document blocks and open the rows.
    ///
    /// # Errors
    /// An I/O error.
    pub fn start(mut w: W) -> std::io::Result<Self> {
        w.write_all(b"</div>\n<script type=\"application/json\" id=\"rows\">[\n")?;
        Ok(RowsWriter { w, n: 0 })
    }

    /// Add one document's row (its [`encode`]d row).
    ///
    /// # Errors
    /// An I/O error.
    pub fn add(&mut self, row: &str) -> std::io::Result<()> {
        if self.n > 0 {
            self.w.write_all(b",\n")?;
        }
        self.w.write_all(row.as_bytes())?;
        self.n += 1;
        Ok(())
    }

    /// Finish the page (the batch data and the script) and return the writer.
    ///
    /// # Errors
    /// An I/O error.
    pub fn finish(
        mut self,
        summary: &Summary,
        cb: &Codebook,
        model_hash: &str,
    ) -> std::io::Result<W> {
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

    /// The view data as it was defined: a struct serialised by serde_json.
    fn reference_detail(r: &DocReport) -> Vec<u8> {
        #[derive(Serialize)]
        struct Detail<'a> {
            #[serde(skip_serializing_if = "Option::is_none")]
            url: Option<&'a str>,
            p: Vec<Vec<f64>>,
            x: &'a [String],
            pr: Vec<usize>,
            ev: Vec<(usize, Vec<(usize, f64)>)>,
            t: Vec<(usize, &'a [String])>,
            #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
            meta: &'a serde_json::Map<String, Value>,
        }
        let d = Detail {
            url: r.url.as_deref(),
            p: (r.paragraphs.iter())
                .map(|p| {
                    std::iter::once(p.label.index() as f64)
                        .chain(p.scores.iter().map(|&x| r3(x)))
                        .collect()
                })
                .collect(),
            x: &r.texts,
            pr: r.present.iter().map(|l| l.index()).collect(),
            ev: (r.evidence.iter())
                .map(|(l, v)| {
                    (
                        l.index(),
                        v.iter().map(|e| (e.index, r3(e.score))).collect(),
                    )
                })
                .collect(),
            t: (r.terms.iter())
                .map(|(l, v)| (l.index(), v.as_slice()))
                .collect(),
            meta: &r.meta,
        };
        let mut out = Vec::new();
        push_script_json(&mut out, &d);
        out
    }

    #[test]
    fn view_data_is_what_serde_json_writes() {
        let m = crate::model::tests::tiny_model();
        let odd =
            "tab\there \"q\" back\\slash </script> \u{1} \u{7f} \u{1f} é 中文 \r\n\u{8}\u{c}<<";
        let texts = [
            "Agents detained migrants.\nFarm wages rose.".to_string(),
            format!("{odd}\n{odd}{odd}x\n<"),
            "short\n\n1234567\n12345678\n123456789".to_string(),
        ];
        for (k, text) in texts.iter().enumerate() {
            let a = crate::corpus::Article {
                id: format!("d{k}"),
                text: text.clone(),
                url: (k != 1).then(|| format!("https://example.org/{odd}")),
                ..Default::default()
            };
            let mut r = crate::classify::classify_article(&m, &a).unwrap();
            if k == 2 {
                r.meta.insert("tag".into(), Value::from(odd));
            }
            let mut fast = Vec::new();
            push_detail(&mut fast, &r);
            assert_eq!(
                String::from_utf8(fast).unwrap(),
                String::from_utf8(reference_detail(&r)).unwrap()
            );
        }
        // every string of the odd bytes at every alignment
        for n in 0..=odd.len() {
            for s in [odd.get(n..), odd.get(..n)].into_iter().flatten() {
                let mut fast = Vec::new();
                push_json_str::<true>(&mut fast, s);
                let mut want = Vec::new();
                push_script_json(&mut want, s);
                assert_eq!(fast, want, "{s:?}");
            }
        }
        for c in 0u8..=127 {
            let s = format!("abcdefgh{}ijklmnop{}", c as char, c as char);
            let (mut fast, mut want) = (Vec::new(), Vec::new());
            push_json_str::<true>(&mut fast, &s);
            push_script_json(&mut want, &s);
            assert_eq!(fast, want, "byte {c}");
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
        let mut page = page_head("t").into_bytes();
        let mut s = Summary::default();
        let mut rows = Vec::new();
        // the blocks in input order, the rows in id order, each naming its block
        for (n, id) in ["b<c", "a"].into_iter().enumerate() {
            let a = crate::corpus::Article {
                id: id.into(),
                text: "Agents detained migrants.\nFarm wages rose.".into(),
                ..Default::default()
            };
            let r = crate::classify::classify_article(&m, &a).unwrap();
            s.add_report(&r, 10);
            let (row, block) = encode(&r, n as u64);
            assert!(block.starts_with(&format!("<script type=\"application/json\" id=\"d{n}\">")));
            let inner = block
                .split_once('>')
                .unwrap()
                .1
                .strip_suffix("</script>\n")
                .unwrap();
            assert!(!inner.contains('<'), "{inner}");
            page.extend_from_slice(block.as_bytes());
            rows.push(row);
        }
        rows.reverse();
        let mut w = RowsWriter::start(page).unwrap();
        for r in &rows {
            w.add(r).unwrap();
        }
        let page = String::from_utf8(w.finish(&s, m.codebook(), "h").unwrap()).unwrap();
        let rows = page.split("id=\"rows\">").nth(1).unwrap();
        let rows = rows.split("</script>").next().unwrap();
        let rows: Vec<Value> = serde_json::from_str(rows).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (&rows[0][0], &rows[0][9]),
            (&Value::from("a"), &Value::from(1))
        );
        assert_eq!(
            (&rows[1][0], &rows[1][9]),
            (&Value::from("b<c"), &Value::from(0))
        );
        let block = |n: u64| {
            let tag = format!("id=\"d{n}\">");
            let b = page.split(tag.as_str()).nth(1).unwrap();
            serde_json::from_str::<Value>(b.split("</script>").next().unwrap()).unwrap()
        };
        assert_eq!(block(0)["x"][0], "Agents detained migrants.");
        assert!(page.find("id=\"d1\"").unwrap() < page.find("id=\"rows\"").unwrap());
        assert!(!page.contains("http://") && !page.contains("https://"));
    }
}
