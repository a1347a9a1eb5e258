//! Narrative trends: trend documents → the share of documents carrying each narrative per
//! period and group.
//!
//! Input: a [`Collection`] (documents of one model from report folders and the store, see
//! [`crate::trends::collect`]) and validated [`TrendValidParams`]. Output: [`NarrativeTrends`],
//! whose series is an ordinary [`TrendSeries`] in which each "frame" is a narrative and each
//! document's "share" of it is 1 when the document carries it (a rule match in at least one
//! paragraph) and 0 otherwise. The bin mean is then the share of the period's documents that
//! carry the narrative, and its percentile-bootstrap interval over documents is the one the
//! frame trends compute (same resampling, same seeds per bin). [`write_outputs`] writes
//! `narratives.csv`, `narratives.md`, `narratives.html` and the charts
//! ([`crate::trends::charts::render_narratives`]).
//!
//! Only documents checked for narratives (classified with `--narratives`) are counted; the
//! others are reported, never counted as carrying nothing. Documents checked with different
//! narrative files are counted together by narrative id; the outputs list the files.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::codebook::{Codebook, Label, LabelDef, PALETTE};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::narratives::{NarrativeRef, NarrativeSetInfo};
use crate::trends::{
    count_rows, grouping_phrase, html_escape, md_escape, md_series_table, render_csv_by,
    render_excluded_csv, short, Bin, Collection, Grouping, OutputContext, TrendDoc, TrendSeries,
    TrendValidParams,
};

/// The file names [`write_outputs`] writes (besides the charts).
pub mod files {
    /// The tidy table: `period,group,narrative,n,mean_share,present_share,low,high`.
    pub const CSV: &str = "narratives.csv";
    /// The overall series when grouped.
    pub const OVERALL_CSV: &str = "narratives-overall.csv";
    /// Documents in no period.
    pub const EXCLUDED_CSV: &str = "excluded.csv";
    /// The Markdown report.
    pub const MD: &str = "narratives.md";
    /// The self-contained web page.
    pub const HTML: &str = "narratives.html";
}

/// Periods with fewer documents than this are not candidates for a narrative's peak share.
pub const PEAK_MIN_DOCUMENTS: usize = 10;

/// The most narratives drawn together in `narratives_over_time` when none are chosen: the
/// ones carried by the most documents.
pub const MAX_COMBINED: usize = 8;

/// The result of the narrative trends.
#[derive(Debug, Clone)]
pub struct NarrativeTrends {
    /// The series; its codebook's frames are the narratives (named by id), in order.
    pub series: TrendSeries,
    /// The narratives of the series, in order.
    pub narratives: Vec<NarrativeRef>,
    /// The narrative files the documents were checked with, with their document counts.
    pub sets: Vec<(NarrativeSetInfo, usize)>,
    /// Documents of the model that were not checked for narratives (left out).
    pub unchecked: usize,
    /// Whether narratives were chosen (`--narrative-ids`), rather than all of them shown.
    pub chosen: bool,
}

/// The narratives of the sets in order (the first set's file order, then ids new in later
/// sets), restricted to `only` when it is not empty.
fn narrative_list(sets: &[NarrativeSetInfo], only: &[String]) -> Result<Vec<NarrativeRef>> {
    let mut all: Vec<NarrativeRef> = Vec::new();
    for s in sets {
        for n in &s.narratives {
            if !all.iter().any(|x| x.id == n.id) {
                all.push(n.clone());
            }
        }
    }
    if only.is_empty() {
        return Ok(all);
    }
    only.iter()
        .map(|id| {
            all.iter()
                .find(|n| n.id == *id)
                .cloned()
                .ok_or_else(|| Error::InvalidParam {
                    name: "narrative_ids",
                    value: format!(
                        "{id} (narratives: {})",
                        all.iter()
                            .map(|n| n.id.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    reason: "is not a narrative of the documents' narrative files",
                })
        })
        .collect()
}

/// A codebook naming the narratives (by id), with one colour each.
fn series_codebook<'a>(
    narratives: impl Iterator<Item = (usize, &'a NarrativeRef)>,
) -> Result<Codebook> {
    let labels = narratives
        .map(|(k, n)| LabelDef {
            name: n.id.clone(),
            description: n.label.clone(),
            colour: Some(PALETTE[k % PALETTE.len()].to_string()),
        })
        .collect();
    Codebook::from_labels("narratives", labels)
}

/// Bin the documents of `coll` that were checked for narratives and compute, per bin, the
/// share of them that carry each narrative (all of the sets' narratives, or those of `only`
/// in that order).
///
/// # Errors
/// [`Error::Other`] when no document was checked for narratives; [`Error::InvalidParam`] for a
/// narrative id of `only` that no set has; errors of [`TrendValidParams::fit`].
pub fn fit(
    params: &TrendValidParams,
    coll: &Collection,
    only: &[String],
) -> Result<NarrativeTrends> {
    let narratives = narrative_list(&coll.narrative_sets, only)?;
    let checked: Vec<&TrendDoc> = coll
        .docs
        .iter()
        .filter(|d| d.narratives.is_some())
        .collect();
    if checked.is_empty() {
        return Err(Error::Other(format!(
            "none of the {} documents of model {} was checked for narratives: classify them \
             with --narratives FILE first",
            coll.docs.len(),
            short(&coll.model_hash)
        )));
    }
    let codebook = Arc::new(series_codebook(narratives.iter().enumerate())?);
    let mut per_set: HashMap<&str, usize> = HashMap::new();
    let docs: Vec<TrendDoc> = checked
        .iter()
        .map(|d| {
            let n = d.narratives.as_ref().expect("checked");
            *per_set.entry(n.set.as_str()).or_default() += 1;
            let carried: Vec<bool> = narratives
                .iter()
                .map(|x| n.hits.get(&x.id).is_some_and(|c| c.paragraphs > 0))
                .collect();
            TrendDoc {
                id: d.id.clone(),
                title: None,
                date: d.date.clone(),
                source: d.source.clone(),
                url: None,
                meta: d.meta.clone(),
                shares: carried.iter().map(|&c| f64::from(u8::from(c))).collect(),
                framed_fraction: 0.0,
                dominant: None,
                present: (0..narratives.len())
                    .filter(|&k| carried[k])
                    .map(Label::from_index)
                    .collect(),
                narratives: None,
            }
        })
        .collect();
    let series = params.fit(&docs, &codebook)?;
    let sets = coll
        .narrative_sets
        .iter()
        .map(|s| {
            (
                s.clone(),
                per_set.get(s.sha256.as_str()).copied().unwrap_or(0),
            )
        })
        .collect();
    Ok(NarrativeTrends {
        series,
        narratives,
        sets,
        unchecked: coll.docs.len() - checked.len(),
        chosen: !only.is_empty(),
    })
}

impl NarrativeTrends {
    /// Documents carrying narrative `k` over the whole range (binned documents only).
    pub fn total(&self, k: usize) -> usize {
        self.series
            .overall
            .iter()
            .filter_map(|b| b.stats.as_ref().map(|s| carriers(b, s[k].mean_share)))
            .sum()
    }

    /// The series of narrative `k` alone (same bins, its colour kept).
    pub fn single(&self, k: usize) -> Result<TrendSeries> {
        self.subset(&[k])
    }

    /// The narratives of the combined chart: the chosen ones, or the [`MAX_COMBINED`] carried
    /// by the most documents (file order kept).
    fn combined(&self) -> Vec<usize> {
        let n = self.narratives.len();
        if self.chosen || n <= MAX_COMBINED {
            return (0..n).collect();
        }
        let mut by_total: Vec<usize> = (0..n).collect();
        by_total.sort_by_key(|&k| std::cmp::Reverse(self.total(k)));
        let mut top: Vec<usize> = by_total.into_iter().take(MAX_COMBINED).collect();
        top.sort_unstable();
        top
    }

    /// The series restricted to narratives `ks` (their colours kept).
    fn subset(&self, ks: &[usize]) -> Result<TrendSeries> {
        let mut s = self.series.clone();
        s.codebook = Arc::new(series_codebook(
            ks.iter().map(|&k| (k, &self.narratives[k])),
        )?);
        let pick = |bins: &mut Vec<Bin>| {
            for b in bins {
                if let Some(st) = &mut b.stats {
                    *st = ks.iter().map(|&k| st[k]).collect();
                }
            }
        };
        pick(&mut s.bins);
        pick(&mut s.overall);
        Ok(s)
    }

    /// Per narrative, its peak periods over all groups (see [`Peaks`]).
    pub fn peaks(&self) -> Vec<Peaks> {
        (0..self.narratives.len())
            .map(|k| {
                let mut p = Peaks::default();
                for b in &self.series.overall {
                    let Some(s) = &b.stats else { continue };
                    let m = s[k].mean_share;
                    let c = carriers(b, m);
                    if b.n >= PEAK_MIN_DOCUMENTS && p.share.as_ref().is_none_or(|x| m > x.share) {
                        p.share = Some(PeakShare {
                            period: b.period.clone(),
                            share: m,
                            carrying: c,
                            n: b.n,
                        });
                    }
                    if c > 0 && p.most.as_ref().is_none_or(|x| c > x.1) {
                        p.most = Some((b.period.clone(), c));
                    }
                }
                p
            })
            .collect()
    }
}

/// The period of a narrative's highest share.
#[derive(Debug, Clone, PartialEq)]
pub struct PeakShare {
    /// The period label.
    pub period: String,
    /// The share of its documents carrying the narrative.
    pub share: f64,
    /// Its documents carrying the narrative.
    pub carrying: usize,
    /// Its documents.
    pub n: usize,
}

/// A narrative's peak periods: the highest share among periods with at least
/// [`PEAK_MIN_DOCUMENTS`] documents, and the most carrying documents, as (period, count); the
/// earliest period on a tie, `None` when there is none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Peaks {
    /// The period of the highest share.
    pub share: Option<PeakShare>,
    /// The period with the most documents carrying the narrative.
    pub most: Option<(String, usize)>,
}

/// Documents of a bin that carry a narrative whose share is `share`.
fn carriers(b: &Bin, share: f64) -> usize {
    (share * b.n as f64).round() as usize
}

/// Render `narratives.md`. `charts` are (file stem, title) pairs of charts written beside it.
pub fn render_markdown(
    t: &NarrativeTrends,
    ctx: &OutputContext,
    charts: &[(String, String)],
) -> String {
    let series = &t.series;
    let ids: Vec<&str> = t.narratives.iter().map(|n| n.id.as_str()).collect();
    let mut o = String::from("# Narratives over time\n\n");
    let _ = writeln!(
        o,
        "Documents from {} (model `{}`), by {}, {}. Each cell is the share of the period's \
         documents that carry the narrative (a rule match in at least one paragraph) with its \
         {:.0}% bootstrap interval over documents ({} resamples, seed {}); `n` is the number of \
         documents checked for narratives. Empty periods are kept (`n` = 0, `–`).\n",
        ctx.sources
            .iter()
            .map(|s| format!("`{s}`"))
            .collect::<Vec<_>>()
            .join(", "),
        short(&ctx.model_hash),
        series.period,
        grouping_phrase(&series.grouping),
        series.confidence * 100.0,
        series.bootstrap,
        series.seed
    );
    o.push_str("Narrative files:\n\n| file | SHA-256 | stance | narratives | documents |\n|---|---|---|---:|---:|\n");
    for (s, n) in &t.sets {
        let _ = writeln!(
            o,
            "| `{}` | `{}` | {} | {} | {n} |",
            md_escape(&s.file),
            short(&s.sha256),
            if s.stance { "on" } else { "off" },
            s.narratives.len()
        );
    }
    if t.sets.len() > 1 {
        o.push_str(
            "\nThe documents were checked with more than one narrative file: a narrative is \
             counted by its id, whatever its rule in each file.\n",
        );
    }
    o.push_str("\n## Documents\n\n| | documents |\n|---|---:|\n");
    let _ = writeln!(
        o,
        "| documents of the chosen model not checked for narratives (left out) | {} |",
        t.unchecked
    );
    for (label, n) in count_rows(&series.counts, ctx.duplicates) {
        let label = label.replace(
            "documents of the chosen model",
            "documents checked for narratives",
        );
        let _ = writeln!(o, "| {label} | {n} |");
    }
    let _ = writeln!(
        o,
        "\n{} documents have no usable date; they are listed in `{}` and are in no period.\n",
        series.counts.undated(),
        files::EXCLUDED_CSV
    );
    let _ = writeln!(
        o,
        "## Narratives and their peaks\n\nPeak share: the period with the highest share of \
         documents carrying the narrative, among periods with at least {PEAK_MIN_DOCUMENTS} \
         documents. Most documents: the period with the most documents carrying it.\n"
    );
    o.push_str("| narrative | label | documents | peak share | share | carrying / n | most documents | carrying |\n|---|---|---:|---|---:|---:|---|---:|\n");
    for (k, (n, peaks)) in t.narratives.iter().zip(t.peaks()).enumerate() {
        let _ = write!(o, "| {} | {} | {} |", n.id, md_escape(&n.label), t.total(k));
        match peaks.share {
            Some(p) => {
                let _ = write!(
                    o,
                    " {} | {:.3} | {} / {} |",
                    p.period, p.share, p.carrying, p.n
                );
            }
            None => o.push_str(" – | – | – |"),
        }
        match peaks.most {
            Some((p, c)) => {
                let _ = writeln!(o, " {p} | {c} |");
            }
            None => o.push_str(" – | 0 |\n"),
        }
    }
    if !charts.is_empty() {
        o.push_str("\n## Charts\n\n");
        for (stem, title) in charts {
            let _ = writeln!(o, "![{title}]({stem}.png)\n\n[SVG]({stem}.svg)\n");
        }
    }
    if series.grouping != Grouping::None {
        o.push_str("\n## All groups together\n\n");
        md_series_table(&mut o, &series.overall, &ids);
        for g in &series.groups {
            let _ = writeln!(o, "\n## {} (n = {})\n", md_escape(g), series.group_total(g));
            md_series_table(&mut o, series.group_bins(g), &ids);
        }
    } else {
        o.push_str("\n## By period\n\n");
        md_series_table(&mut o, &series.overall, &ids);
    }
    o
}

/// Render the self-contained `narratives.html`: the charts inline (SVG) and the tables.
pub fn render_html(
    t: &NarrativeTrends,
    ctx: &OutputContext,
    charts: &[crate::trends::charts::Chart],
) -> String {
    let series = &t.series;
    let mut o = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <title>framelens: narratives over time</title>\n<style>\n\
         body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n\
         svg{max-width:100%;height:auto;display:block;margin:1em 0}\n\
         table{border-collapse:collapse;margin:1em 0;font-size:0.85em}\n\
         th,td{border:1px solid #ccc;padding:0.2em 0.5em;text-align:right}\n\
         th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n\
         </style></head><body>\n<h1>Narratives over time</h1>\n",
    );
    let _ = writeln!(
        o,
        "<p>Model <code>{}</code>, by {}, {}: the share of each period's documents that carry \
         each narrative, with its {:.0}% bootstrap interval. {} documents were not checked for \
         narratives and are left out.</p>",
        html_escape(short(&ctx.model_hash)),
        series.period,
        html_escape(&grouping_phrase(&series.grouping)),
        series.confidence * 100.0,
        t.unchecked
    );
    for c in charts {
        let _ = writeln!(o, "<h2>{}</h2>\n{}", html_escape(&c.title), c.svg);
    }
    o.push_str("<h2>By period</h2>\n<table><thead><tr><th>period</th><th>n</th>");
    for n in &t.narratives {
        let _ = write!(
            o,
            "<th title=\"{}\">{}</th>",
            html_escape(&n.label),
            html_escape(&n.id)
        );
    }
    o.push_str("</tr></thead><tbody>\n");
    for b in &series.overall {
        let _ = write!(o, "<tr><td>{}</td><td>{}</td>", b.period, b.n);
        match &b.stats {
            Some(s) => {
                for st in s {
                    let _ = write!(
                        o,
                        "<td>{:.3} <small>({:.3}–{:.3})</small></td>",
                        st.mean_share, st.low, st.high
                    );
                }
            }
            None => o.push_str(&"<td>–</td>".repeat(t.narratives.len())),
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n</body></html>\n");
    o
}

/// Write every output into `out` (created if needed): `narratives.csv`,
/// `narratives-overall.csv` (grouped runs only), `excluded.csv`, the charts as SVG and PNG
/// (`narratives_over_time`, `narratives_by_group` when grouped, one `narrative_<id>` per
/// narrative), `narratives.md` and `narratives.html`. Returns the files written.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written; chart rendering errors.
pub fn write_outputs(t: &NarrativeTrends, ctx: &OutputContext, out: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = out.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    let series = &t.series;
    let ids: Vec<&str> = t.narratives.iter().map(|n| n.id.as_str()).collect();
    put(
        files::CSV,
        render_csv_by(&series.bins, &ids, "narrative")?.as_bytes(),
    )?;
    if series.grouping != Grouping::None {
        put(
            files::OVERALL_CSV,
            render_csv_by(&series.overall, &ids, "narrative")?.as_bytes(),
        )?;
    }
    put(
        files::EXCLUDED_CSV,
        render_excluded_csv(&series.excluded)?.as_bytes(),
    )?;
    let combined = t.combined();
    let note = if combined.len() < t.narratives.len() {
        format!(
            ", the {} most carried of {}",
            combined.len(),
            t.narratives.len()
        )
    } else {
        String::new()
    };
    let singles = (0..t.narratives.len())
        .map(|k| {
            let n = &t.narratives[k];
            Ok((n.id.clone(), n.label.clone(), t.single(k)?))
        })
        .collect::<Result<Vec<_>>>()?;
    let charts = crate::trends::charts::render_narratives(
        &t.subset(&combined)?,
        &ctx.model_hash,
        &note,
        &singles,
    )?;
    let names = crate::trends::charts::put_charts(&charts, &mut put)?;
    put(files::MD, render_markdown(t, ctx, &names).as_bytes())?;
    put(files::HTML, render_html(t, ctx, &charts).as_bytes())?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::narratives::NarrativeCount;
    use crate::readback::DocNarratives;
    use crate::trends::{Period, TrendParams};
    use time::macros::date;

    fn set(ids: &[&str]) -> NarrativeSetInfo {
        NarrativeSetInfo {
            file: "n.toml".into(),
            sha256: "s1".into(),
            stance: false,
            narratives: ids
                .iter()
                .map(|id| NarrativeRef {
                    id: id.to_string(),
                    label: format!("The {id}"),
                })
                .collect(),
        }
    }

    fn doc(id: usize, date: &str, source: &str, hits: Option<&[&str]>) -> TrendDoc {
        TrendDoc {
            id: format!("d{id:03}"),
            title: None,
            date: Some(date.into()),
            source: Some(source.into()),
            url: None,
            meta: Default::default(),
            shares: vec![0.25; 4],
            framed_fraction: 0.5,
            dominant: None,
            present: vec![],
            narratives: hits.map(|h| DocNarratives {
                set: "s1".into(),
                hits: h
                    .iter()
                    .map(|id| {
                        let c = NarrativeCount {
                            paragraphs: 1,
                            share: 0.2,
                            rebutted: None,
                        };
                        (id.to_string(), c)
                    })
                    .collect(),
            }),
        }
    }

    fn collection(docs: Vec<TrendDoc>) -> Collection {
        Collection {
            model_hash: "m".into(),
            codebook: Arc::new(Codebook::migration()),
            docs,
            models: vec![],
            sources: vec!["x".into()],
            duplicates: 0,
            narrative_sets: vec![set(&["wall", "caravan", "ban"])],
        }
    }

    fn params() -> TrendValidParams {
        TrendParams::default()
            .period(Period::Month)
            .today(date!(2026 - 01 - 01))
            .check()
            .unwrap()
    }

    #[test]
    fn shares_of_documents_with_intervals_and_unchecked_left_out() {
        let mut docs = Vec::new();
        // January: 4 documents, 3 carry the wall, 1 the caravan; March: 2, none carry the wall
        for (i, h) in [&["wall"][..], &["wall", "caravan"], &["wall"], &[]]
            .iter()
            .enumerate()
        {
            docs.push(doc(i, "2018-01-10", "A", Some(h)));
        }
        docs.push(doc(10, "2018-03-01", "B", Some(&["caravan"])));
        docs.push(doc(11, "2018-03-02", "B", Some(&[])));
        // not checked: never counted
        docs.push(doc(20, "2018-01-11", "A", None));
        docs.push(doc(21, "2018-01-12", "A", None));
        let t = fit(&params(), &collection(docs), &[]).unwrap();
        assert_eq!(t.unchecked, 2);
        assert_eq!(t.series.counts.documents, 6);
        let jan = &t.series.overall[0];
        assert_eq!((jan.period.as_str(), jan.n), ("2018-01", 4));
        let s = jan.stats.as_ref().unwrap();
        assert_eq!(s[0].mean_share, 0.75);
        assert_eq!(s[1].mean_share, 0.25);
        assert_eq!(s[2].mean_share, 0.0);
        assert!(s[0].low <= 0.75 && s[0].high >= 0.75 && s[0].low < s[0].high);
        assert_eq!((s[2].low, s[2].high), (0.0, 0.0));
        // February is empty, March has 2
        assert_eq!(t.series.overall[1].n, 0);
        assert!(t.series.overall[1].stats.is_none());
        assert_eq!(
            t.series.overall[2].stats.as_ref().unwrap()[1].mean_share,
            0.5
        );
        assert_eq!((t.total(0), t.total(1), t.total(2)), (3, 2, 0));
        let csv = render_csv_by(&t.series.bins, &["wall", "caravan", "ban"], "narrative").unwrap();
        assert!(
            csv.starts_with("period,group,narrative,n,mean_share"),
            "{csv}"
        );
        assert!(
            csv.contains("2018-01,all,wall,4,0.750000,0.750000,"),
            "{csv}"
        );
        // the same seed gives the same intervals
        let again = fit(&params(), &collection(t_docs()), &[]).unwrap();
        assert_eq!(
            again.series,
            fit(&params(), &collection(t_docs()), &[]).unwrap().series
        );
    }

    fn t_docs() -> Vec<TrendDoc> {
        (0..30)
            .map(|i| {
                let hits: &[&str] = if i % 3 == 0 { &["wall"] } else { &[] };
                doc(i, &format!("2018-{:02}-05", 1 + i % 4), "A", Some(hits))
            })
            .collect()
    }

    #[test]
    fn chosen_narratives_peaks_and_single_series() {
        let t = fit(
            &params(),
            &collection(t_docs()),
            &["ban".to_string(), "wall".to_string()],
        )
        .unwrap();
        let ids: Vec<&str> = t.narratives.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(ids, ["ban", "wall"]);
        assert_eq!(t.series.codebook.frame_names(), ["ban", "wall"]);
        let peaks = t.peaks();
        // nothing carried
        assert_eq!(peaks[0], Peaks::default());
        // wall: months 1..4 hold i = 0,4,8,.. / 1,5,9,.. ; i % 3 == 0 → Jan 3, Feb 2, Mar 3,
        // Apr 2; fewer than 10 documents a month, so no peak share
        assert_eq!(peaks[1].most, Some(("2018-01".to_string(), 3)));
        assert_eq!(peaks[1].share, None);
        let one = t.single(1).unwrap();
        assert_eq!(one.codebook.frame_names(), ["wall"]);
        assert_eq!(
            one.overall[0].stats.as_ref().unwrap()[0],
            t.series.overall[0].stats.as_ref().unwrap()[1]
        );
        let e = fit(&params(), &collection(t_docs()), &["nope".to_string()]).unwrap_err();
        assert!(e.to_string().contains("wall, caravan, ban"), "{e}");
    }

    #[test]
    fn no_checked_document_is_an_error() {
        let docs = vec![doc(1, "2018-01-01", "A", None)];
        let e = fit(&params(), &collection(docs), &[]).unwrap_err();
        assert!(e.to_string().contains("--narratives"), "{e}");
    }
}
