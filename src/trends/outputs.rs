//! The outputs: [`OutputContext`], file names, wording the reports share, [`write_outputs`].

use super::*;

/// What the outputs say about where the documents came from.
#[derive(Debug, Clone, Default)]
pub struct OutputContext {
    /// The model whose documents are aggregated.
    pub model_hash: String,
    /// Every model seen in the sources.
    pub models: Vec<ModelChoice>,
    /// The store and report folders read, as given.
    pub sources: Vec<String>,
    /// Older copies of documents dropped.
    pub duplicates: usize,
}

impl From<&Collection> for OutputContext {
    fn from(c: &Collection) -> Self {
        OutputContext {
            model_hash: c.model_hash.clone(),
            models: c.models.clone(),
            sources: c.sources.clone(),
            duplicates: c.duplicates,
        }
    }
}

/// The file names [`write_outputs`] writes.
pub mod files {
    /// The tidy table.
    pub const CSV: &str = "trends.csv";
    /// The overall series when grouped.
    pub const OVERALL_CSV: &str = "trends-overall.csv";
    /// Documents in no bin.
    pub const EXCLUDED_CSV: &str = "excluded.csv";
    /// The Markdown report.
    pub const MD: &str = "trends.md";
    /// The self-contained web page.
    pub const HTML: &str = "trends.html";
}

pub(crate) fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

pub(crate) fn grouping_phrase(g: &Grouping) -> String {
    match g {
        Grouping::None => "all documents together".into(),
        Grouping::Source => "grouped by outlet (source)".into(),
        Grouping::Field(n) => format!("grouped by meta.{n}"),
    }
}

/// The lines that describe counts, in (label, count) order.
pub(crate) fn count_rows(c: &TrendCounts, duplicates: usize) -> Vec<(&'static str, usize)> {
    let mut v = vec![
        ("documents of the chosen model", c.documents),
        ("placed in a period", c.binned),
        ("missing date", c.missing),
        ("unparseable date", c.unparseable),
        (
            "implausible date (before 1900 or in the future)",
            c.implausible,
        ),
        ("date outside --from/--to", c.out_of_range),
    ];
    if duplicates > 0 {
        v.push(("older copies of the same document dropped", duplicates));
    }
    v
}

/// Totals per group over the whole range: n, mean share and presence share of each frame.
type GroupTotal = (String, usize, Vec<f64>, Vec<f64>);

pub(super) fn group_totals(series: &TrendSeries) -> Vec<GroupTotal> {
    let nf = series.codebook.n_frames();
    let mut rows = Vec::new();
    for g in &series.groups {
        let bins = series.group_bins(g);
        let n: usize = bins.iter().map(|b| b.n).sum();
        let mut mean = vec![0.0; nf];
        let mut pres = vec![0.0; nf];
        for b in bins {
            if let Some(s) = &b.stats {
                for f in 0..nf {
                    mean[f] += s[f].mean_share * b.n as f64;
                    pres[f] += s[f].present_share * b.n as f64;
                }
            }
        }
        let d = n.max(1) as f64;
        let div = |v: Vec<f64>| v.into_iter().map(|x| x / d).collect();
        rows.push((g.clone(), n, div(mean), div(pres)));
    }
    rows
}

/// Write every output into `out` (created if needed): `trends.csv`, `trends-overall.csv`
/// (grouped runs only), `excluded.csv`, the charts as SVG and PNG, `trends.md` and
/// `trends.html`. Returns the files written.
///
/// # Errors
/// [`Error::Io`] when a file cannot be written; chart rendering errors.
pub fn write_outputs(
    series: &TrendSeries,
    ctx: &OutputContext,
    out: &Path,
) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(out).map_err(|e| Error::io(out, e))?;
    let mut written = Vec::new();
    let mut put = |name: &str, bytes: &[u8]| -> Result<()> {
        let p = out.join(name);
        write_atomic(&p, bytes)?;
        written.push(p);
        Ok(())
    };
    let frames = series.codebook.frame_names();
    put(files::CSV, render_csv(&series.bins, &frames)?.as_bytes())?;
    if series.grouping != Grouping::None {
        put(
            files::OVERALL_CSV,
            render_csv(&series.overall, &frames)?.as_bytes(),
        )?;
    }
    put(
        files::EXCLUDED_CSV,
        render_excluded_csv(&series.excluded)?.as_bytes(),
    )?;
    let charts = crate::trends::charts::render(series, &ctx.model_hash)?;
    let names = crate::trends::charts::put_charts(&charts, &mut put)?;
    put(files::MD, render_markdown(series, ctx, &names).as_bytes())?;
    put(files::HTML, render_html(series, ctx, &charts).as_bytes())?;
    Ok(written)
}
