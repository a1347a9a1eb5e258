//! `trends.md`: the Markdown report ([`render_markdown`]).

use super::*;

/// A table of one series: period, n, and each frame's mean share with its interval.
pub(crate) fn md_series_table(o: &mut String, bins: &[Bin], frames: &[&str]) {
    o.push_str("| period | n |");
    for f in frames {
        let _ = write!(o, " {f} |");
    }
    o.push_str("\n|---|---:|");
    o.push_str(&"---|".repeat(frames.len()));
    o.push('\n');
    for b in bins {
        let _ = write!(o, "| {} | {} |", b.period, b.n);
        for f in 0..frames.len() {
            match &b.stats {
                Some(s) => {
                    let _ = write!(
                        o,
                        " {:.3} ({:.3}–{:.3}) |",
                        s[f].mean_share, s[f].low, s[f].high
                    );
                }
                None => o.push_str(" – |"),
            }
        }
        o.push('\n');
    }
}

/// Render `trends.md`. `charts` are (file stem, title) pairs of charts written beside it.
pub fn render_markdown(
    series: &TrendSeries,
    ctx: &OutputContext,
    charts: &[(String, String)],
) -> String {
    let frames = series.codebook.frame_names();
    let nf = frames.len();
    let mut o = String::from("# Frame shares over time\n\n");
    let _ = writeln!(
        o,
        "Documents from {} (model `{}`), by {}, {}. Each cell is the mean share of the frame \
         over the period's documents with its {:.0}% bootstrap interval over documents \
         ({} resamples, seed {}); `n` is the number of documents. Empty periods are kept \
         (`n` = 0, `–`).\n",
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
    if ctx.models.len() > 1 {
        o.push_str("Models in the sources (one model is used at a time; `--model-hash` chooses):\n\n| model | first used | documents | used |\n|---|---|---:|---|\n");
        for m in &ctx.models {
            let _ = writeln!(
                o,
                "| `{}` | {} | {} | {} |",
                short(&m.model_hash),
                m.first_used,
                m.documents,
                if m.chosen { "yes" } else { "" }
            );
        }
        o.push('\n');
    }
    o.push_str("## Documents\n\n| | documents |\n|---|---:|\n");
    for (label, n) in count_rows(&series.counts, ctx.duplicates) {
        let _ = writeln!(o, "| {label} | {n} |");
    }
    let _ = writeln!(
        o,
        "\n{} documents have no usable date (missing, unparseable or implausible); they are \
         listed at the end and in `{}`, and are in no period.\n",
        series.counts.undated(),
        files::EXCLUDED_CSV
    );
    if let (Some(a), Some(b)) = (series.periods.first(), series.periods.last()) {
        let empty = series.overall.iter().filter(|b| b.n == 0).count();
        let _ = writeln!(
            o,
            "Periods: {} to {} ({} {}s, {} of them with no document).\n",
            a.1,
            b.1,
            series.periods.len(),
            series.period,
            empty
        );
    }
    if !charts.is_empty() {
        o.push_str("## Charts\n\n");
        for (stem, title) in charts {
            let _ = writeln!(o, "![{title}]({stem}.png)\n\n[SVG]({stem}.svg)\n");
        }
    }
    if series.grouping != Grouping::None {
        o.push_str("## Groups over the whole range\n\n| group | n |");
        for f in &frames {
            let _ = write!(o, " {f} |");
        }
        for f in &frames {
            let _ = write!(o, " {f} present |");
        }
        o.push_str("\n|---|---:|");
        o.push_str(&"---:|".repeat(2 * nf));
        o.push('\n');
        for (g, n, mean, pres) in group_totals(series) {
            let _ = write!(o, "| {} | {n} |", md_escape(&g));
            for x in mean.iter().chain(pres.iter()) {
                let _ = write!(o, " {x:.3} |");
            }
            o.push('\n');
        }
        o.push_str("\n## All groups together\n\n");
        md_series_table(&mut o, &series.overall, &frames);
        for g in &series.groups {
            let _ = writeln!(o, "\n## {} (n = {})\n", md_escape(g), series.group_total(g));
            md_series_table(&mut o, series.group_bins(g), &frames);
        }
    } else {
        o.push_str("## By period\n\n");
        md_series_table(&mut o, &series.overall, &frames);
    }
    o.push_str("\n## Share of documents where each frame is present\n\n| period | n |");
    for f in &frames {
        let _ = write!(o, " {f} |");
    }
    o.push_str("\n|---|---:|");
    o.push_str(&"---:|".repeat(nf));
    o.push('\n');
    for b in &series.overall {
        let _ = write!(o, "| {} | {} |", b.period, b.n);
        for f in 0..nf {
            match &b.stats {
                Some(s) => {
                    let _ = write!(o, " {:.3} |", s[f].present_share);
                }
                None => o.push_str(" – |"),
            }
        }
        o.push('\n');
    }
    let _ = writeln!(
        o,
        "\n## Documents in no period ({})\n",
        series.excluded.len()
    );
    if series.excluded.is_empty() {
        o.push_str("None.\n");
    } else {
        o.push_str("| id | date as given | reason |\n|---|---|---|\n");
        for e in &series.excluded {
            let _ = writeln!(
                o,
                "| {} | {} | {} |",
                md_escape(&e.id),
                md_escape(e.date.as_deref().unwrap_or("")),
                md_escape(&e.reason.to_string())
            );
        }
    }
    o
}

pub(crate) fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace(['\n', '\r'], " ")
}
