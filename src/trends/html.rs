//! `trends.html`: the self-contained web page, charts inline ([`render_html`]).

use super::*;

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn html_series_table(o: &mut String, bins: &[Bin], frames: &[&str]) {
    o.push_str("<table><thead><tr><th>period</th><th>n</th>");
    for f in frames {
        let _ = write!(o, "<th>{}</th>", html_escape(f));
    }
    for f in frames {
        let _ = write!(o, "<th>{} present</th>", html_escape(f));
    }
    o.push_str("</tr></thead><tbody>\n");
    for b in bins {
        let _ = write!(
            o,
            "<tr{}><td>{}</td><td>{}</td>",
            if b.n == 0 { " class=\"empty\"" } else { "" },
            b.period,
            b.n
        );
        match &b.stats {
            Some(s) => {
                for st in s {
                    let _ = write!(
                        o,
                        "<td>{:.3} <small>({:.3}–{:.3})</small></td>",
                        st.mean_share, st.low, st.high
                    );
                }
                for st in s {
                    let _ = write!(o, "<td>{:.3}</td>", st.present_share);
                }
            }
            None => o.push_str(&"<td>–</td>".repeat(2 * frames.len())),
        }
        o.push_str("</tr>\n");
    }
    o.push_str("</tbody></table>\n");
}

/// Render the self-contained `trends.html`: the charts inline (SVG) and every table.
pub fn render_html(
    series: &TrendSeries,
    ctx: &OutputContext,
    charts: &[crate::trends::charts::Chart],
) -> String {
    let frames = series.codebook.frame_names();
    let mut o = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>framelens: frame shares over time</title>\n<style>\n\
         body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}\n\
         svg{max-width:100%;height:auto;display:block;margin:1em 0}\n\
         table{border-collapse:collapse;margin:1em 0;font-size:0.85em}\n\
         th,td{border:1px solid #ccc;padding:0.2em 0.5em;text-align:right}\n\
         th{background:#f2f2f2}td:first-child,th:first-child{text-align:left}\n\
         tr.empty td{color:#999}small{color:#666}code{background:#f5f5f5;padding:0 0.2em}\n\
         </style></head><body>\n<h1>Frame shares over time</h1>\n",
    );
    let _ = writeln!(
        o,
        "<p>Documents from {} (model <code>{}</code>), by {}, {}. Each cell is the mean share of \
         the frame over the period's documents with its {:.0}% bootstrap interval over documents \
         ({} resamples, seed {}); <i>n</i> is the number of documents. Empty periods are kept.</p>",
        ctx.sources
            .iter()
            .map(|s| format!("<code>{}</code>", html_escape(s)))
            .collect::<Vec<_>>()
            .join(", "),
        html_escape(short(&ctx.model_hash)),
        series.period,
        html_escape(&grouping_phrase(&series.grouping)),
        series.confidence * 100.0,
        series.bootstrap,
        series.seed
    );
    o.push_str("<h2>Documents</h2>\n<table><tbody>\n");
    for (label, n) in count_rows(&series.counts, ctx.duplicates) {
        let _ = writeln!(o, "<tr><td>{label}</td><td>{n}</td></tr>");
    }
    o.push_str("</tbody></table>\n");
    if ctx.models.len() > 1 {
        o.push_str("<p>Models in the sources (one is used at a time):</p><table><thead><tr><th>model</th><th>first used</th><th>documents</th><th>used</th></tr></thead><tbody>\n");
        for m in &ctx.models {
            let _ = writeln!(
                o,
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(short(&m.model_hash)),
                html_escape(&m.first_used),
                m.documents,
                if m.chosen { "yes" } else { "" }
            );
        }
        o.push_str("</tbody></table>\n");
    }
    for c in charts {
        let _ = writeln!(o, "<h2>{}</h2>\n{}", html_escape(&c.title), c.svg);
    }
    if series.grouping != Grouping::None {
        o.push_str(
            "<h2>Groups over the whole range</h2>\n<table><thead><tr><th>group</th><th>n</th>",
        );
        for f in &frames {
            let _ = write!(o, "<th>{}</th>", html_escape(f));
        }
        for f in &frames {
            let _ = write!(o, "<th>{} present</th>", html_escape(f));
        }
        o.push_str("</tr></thead><tbody>\n");
        for (g, n, mean, pres) in group_totals(series) {
            let _ = write!(o, "<tr><td>{}</td><td>{n}</td>", html_escape(&g));
            for x in mean.iter().chain(pres.iter()) {
                let _ = write!(o, "<td>{x:.3}</td>");
            }
            o.push_str("</tr>\n");
        }
        o.push_str("</tbody></table>\n<h2>All groups together</h2>\n");
        html_series_table(&mut o, &series.overall, &frames);
        for g in &series.groups {
            let _ = writeln!(
                o,
                "<h2>{} (n = {})</h2>",
                html_escape(g),
                series.group_total(g)
            );
            html_series_table(&mut o, series.group_bins(g), &frames);
        }
    } else {
        o.push_str("<h2>By period</h2>\n");
        html_series_table(&mut o, &series.overall, &frames);
    }
    let _ = writeln!(
        o,
        "<h2>Documents in no period ({})</h2>",
        series.excluded.len()
    );
    if !series.excluded.is_empty() {
        o.push_str("<table><thead><tr><th>id</th><th>date as given</th><th>reason</th></tr></thead><tbody>\n");
        for e in &series.excluded {
            let _ = writeln!(
                o,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                html_escape(&e.id),
                html_escape(e.date.as_deref().unwrap_or("")),
                html_escape(&e.reason.to_string())
            );
        }
        o.push_str("</tbody></table>\n");
    }
    o.push_str("</body></html>\n");
    o
}
