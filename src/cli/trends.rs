//! `trends`: frame (or narrative) shares over time from a database and/or report folders.

use super::*;

#[derive(Debug, Args)]
pub(super) struct TrendsArgs {
    /// Database written by `classify --db`.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Report folders written by `classify` (or their documents.jsonl); repeatable.
    #[arg(long)]
    reports: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
    /// Period: day, week (ISO), month, quarter or year.
    #[arg(long, default_value = "month")]
    by: String,
    /// Groups: source, none, or a metadata field carried from the input (meta.NAME or NAME,
    /// e.g. bias).
    #[arg(long, default_value = "none")]
    group: String,
    /// Use the documents of this model (a hash or a unique prefix); default: the newest model.
    #[arg(long)]
    model_hash: Option<String>,
    /// First day to include (YYYY-MM-DD); default: the earliest dated document.
    #[arg(long)]
    from: Option<String>,
    /// Last day to include (YYYY-MM-DD); default: the latest dated document.
    #[arg(long)]
    to: Option<String>,
    /// Bootstrap resamples per bin for the 95% intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Bootstrap seed (the same seed gives the same intervals).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Narratives instead of frames: per period and group, the share of the documents
    /// classified with --narratives that carry each narrative (narratives.md, narratives.csv,
    /// charts).
    #[arg(long)]
    narratives: bool,
    /// With --narratives: only these narrative ids, in this order (comma-separated or
    /// repeated); default: all, the 8 most carried drawn together.
    #[arg(
        long,
        value_delimiter = ',',
        requires = "narratives",
        value_name = "ID,..."
    )]
    narrative_ids: Vec<String>,
}

fn parse_day(flag: &str, s: Option<&str>) -> Result<Option<time::Date>> {
    s.map(|s| framelens::dates::parse_date(s).map_err(|e| anyhow::anyhow!("--{flag} {s:?}: {e}")))
        .transpose()
}

pub(super) fn run_trends(a: TrendsArgs) -> Result<ExitCode> {
    use framelens::store::Store;
    use framelens::trends::{self, Grouping, OutputContext, Period, TrendParams};
    let period: Period =
        a.by.parse()
            .map_err(|e: String| anyhow::anyhow!("--by: {e}"))?;
    let grouping: Grouping = a
        .group
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--group: {e}"))?;
    let params = TrendParams::default()
        .period(period)
        .grouping(grouping)
        .bootstrap(a.bootstrap)
        .seed(a.seed)
        .from(parse_day("from", a.from.as_deref())?)
        .to(parse_day("to", a.to.as_deref())?)
        .check()?;
    if a.db.is_none() && a.reports.is_empty() {
        bail!("give a database (--db) or report folders (--reports DIR, repeatable)");
    }
    let store = match &a.db {
        Some(p) => {
            if !p.is_file() {
                bail!(
                    "database {} does not exist (create it with `classify --db`)",
                    p.display()
                );
            }
            Some(Store::open(p).with_context(|| format!("cannot open {}", p.display()))?)
        }
        None => None,
    };
    let coll = trends::collect(
        store.as_ref().zip(a.db.as_deref()),
        &a.reports,
        a.model_hash.as_deref(),
    )?;
    if coll.models.len() > 1 {
        log::info!(
            "{} models in the sources; using {} ({} documents){}",
            coll.models.len(),
            coll.model_hash,
            coll.docs.len(),
            if a.model_hash.is_none() {
                ", the newest (choose another with --model-hash)"
            } else {
                ""
            }
        );
    }
    if a.narratives {
        use framelens::trends::narratives as nt;
        let t = nt::fit(&params, &coll, &a.narrative_ids)?;
        let written =
            nt::write_outputs(&t, &OutputContext::from(&coll), &a.out).with_context(|| {
                format!("cannot write the narrative trends into {}", a.out.display())
            })?;
        let c = &t.series.counts;
        log::info!(
            "{} narratives; {} documents checked for narratives ({} not checked, left out): {} \
             in {} {}s × {} groups, {} without a usable date, {} outside --from/--to; {} files \
             in {}",
            t.narratives.len(),
            c.documents,
            t.unchecked,
            c.binned,
            t.series.periods.len(),
            t.series.period,
            t.series.groups.len(),
            c.undated(),
            c.out_of_range,
            written.len(),
            a.out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let series = params.fit(&coll.docs, &coll.codebook)?;
    let written = trends::write_outputs(&series, &OutputContext::from(&coll), &a.out)
        .with_context(|| format!("cannot write the trends into {}", a.out.display()))?;
    let c = &series.counts;
    log::info!(
        "{} documents: {} in {} {}s × {} groups; {} without a usable date ({} missing, {} \
         unparseable, {} implausible), {} outside --from/--to; {} files in {}",
        c.documents,
        c.binned,
        series.periods.len(),
        series.period,
        series.groups.len(),
        c.undated(),
        c.missing,
        c.unparseable,
        c.implausible,
        c.out_of_range,
        written.len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}
