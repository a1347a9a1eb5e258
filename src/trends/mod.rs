//! Stage 6, trends: document reports → frame shares per time period and group.
//!
//! Input: [`TrendDoc`]s, read from `documents.jsonl` report folders ([`read_report_folder`]) or
//! from the store ([`crate::store::Store::documents`]); [`collect`] gathers them for one model.
//! Output: a [`TrendSeries`] from [`TrendParams`] → [`TrendParams::check`] →
//! [`TrendValidParams::fit`]: one [`Bin`] per period × group (empty bins included), each with
//! the number of documents, the mean share of every frame, the share of documents where the
//! frame is present, and a bootstrap interval of the mean share; plus every document that could
//! not be placed in a period and why. [`write_outputs`] writes `trends.csv`, `trends.md`,
//! `trends.html`, `excluded.csv` and the charts ([`charts`]).
//!
//! Periods are calendar days, ISO weeks (Monday to Sunday, labelled `2023-W45` by ISO year),
//! months, quarters and years. The period range runs from the first to the last dated document
//! (or `from`/`to`), and every group gets every period, so empty bins are present with `n = 0`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use serde_json::Value;
use time::{Date, Month};

use crate::codebook::{Codebook, Label};
use crate::dates::{check_date, cmp_timestamps, today_utc, DateProblem};
use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::narratives::NarrativeSetInfo;
use crate::readback::{read_report_folder, ReportFolder, TrendDoc};
use crate::stats::{quantile, SplitMix64};
use crate::store::Store;

pub mod charts;
pub mod narratives;

/// The label of the single group when documents are not grouped.
pub const ALL_GROUP: &str = "all";

/// The group of a document that lacks the grouping field.
pub const MISSING_GROUP: &str = "(missing)";

/// The length of a time bin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    /// A calendar day: `2023-11-05`.
    Day,
    /// An ISO 8601 week, Monday to Sunday: `2023-W44` (labelled by ISO week-year).
    Week,
    /// A calendar month: `2023-11`.
    Month,
    /// A calendar quarter: `2023-Q4`.
    Quarter,
    /// A calendar year: `2023`.
    Year,
}

impl Period {
    /// Every period, shortest first.
    pub const ALL: [Period; 5] = [
        Period::Day,
        Period::Week,
        Period::Month,
        Period::Quarter,
        Period::Year,
    ];

    /// The lowercase name used on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "day",
            Period::Week => "week",
            Period::Month => "month",
            Period::Quarter => "quarter",
            Period::Year => "year",
        }
    }

    /// The first day of the period that contains `d`.
    pub fn start(self, d: Date) -> Date {
        let first_of = |m: Month| Date::from_calendar_date(d.year(), m, 1).expect("valid");
        match self {
            Period::Day => d,
            Period::Week => {
                let back = d.weekday().number_days_from_monday() as i64;
                d.checked_sub(time::Duration::days(back)).unwrap_or(d)
            }
            Period::Month => first_of(d.month()),
            Period::Quarter => {
                let q = (d.month() as u8 - 1) / 3;
                first_of(Month::try_from(q * 3 + 1).expect("valid month"))
            }
            Period::Year => first_of(Month::January),
        }
    }

    /// The first day of the period after the one starting on `start`.
    pub fn next(self, start: Date) -> Date {
        let add_months = |n: u8| {
            let m0 = start.month() as u8 - 1 + n;
            let year = start.year() + (m0 / 12) as i32;
            let month = Month::try_from(m0 % 12 + 1).expect("valid month");
            Date::from_calendar_date(year, month, 1).expect("valid")
        };
        match self {
            Period::Day => start.next_day().expect("date in range"),
            Period::Week => start + time::Duration::days(7),
            Period::Month => add_months(1),
            Period::Quarter => add_months(3),
            Period::Year => add_months(12),
        }
    }

    /// The label of the period starting on `start`: `2023-11-05`, `2023-W44`, `2023-11`,
    /// `2023-Q4` or `2023`.
    pub fn label(self, start: Date) -> String {
        match self {
            Period::Day => start.to_string(),
            Period::Week => {
                let (y, w, _) = start.to_iso_week_date();
                format!("{y:04}-W{w:02}")
            }
            Period::Month => format!("{:04}-{:02}", start.year(), start.month() as u8),
            Period::Quarter => {
                format!("{:04}-Q{}", start.year(), (start.month() as u8 - 1) / 3 + 1)
            }
            Period::Year => format!("{:04}", start.year()),
        }
    }
}

impl std::fmt::Display for Period {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Period {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "day" | "daily" => Ok(Period::Day),
            "week" | "weekly" | "isoweek" => Ok(Period::Week),
            "month" | "monthly" => Ok(Period::Month),
            "quarter" | "quarterly" => Ok(Period::Quarter),
            "year" | "yearly" => Ok(Period::Year),
            other => Err(format!(
                "unknown period {other:?} (expected day, week, month, quarter or year)"
            )),
        }
    }
}

/// How documents are split into groups (one line per group in the charts).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Grouping {
    /// One group, [`ALL_GROUP`].
    None,
    /// The outlet (`source`).
    Source,
    /// A field carried from the input under `meta` (e.g. `bias`).
    Field(String),
}

impl Grouping {
    /// The group a document belongs to; [`MISSING_GROUP`] when it lacks the field.
    pub fn key(&self, doc: &TrendDoc) -> String {
        let v = match self {
            Grouping::None => return ALL_GROUP.to_string(),
            Grouping::Source => doc.source.as_deref().map(str::trim).map(str::to_string),
            Grouping::Field(name) => match doc.meta.get(name) {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.trim().to_string()),
                Some(other) => Some(other.to_string()),
            },
        };
        v.filter(|s| !s.is_empty())
            .unwrap_or_else(|| MISSING_GROUP.to_string())
    }
}

impl std::fmt::Display for Grouping {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Grouping::None => f.write_str("none"),
            Grouping::Source => f.write_str("source"),
            Grouping::Field(n) => write!(f, "meta.{n}"),
        }
    }
}

impl FromStr for Grouping {
    type Err = String;
    /// `none`, `source`, `meta.FIELD` or a bare `FIELD` carried under `meta`.
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        let s = s.trim();
        match s.to_ascii_lowercase().as_str() {
            "" | "none" | "all" => return Ok(Grouping::None),
            "source" | "outlet" => return Ok(Grouping::Source),
            "id" | "date" | "title" | "url" | "text" | "shares" | "present" | "dominant" => {
                return Err(format!(
                    "cannot group by {s:?}: use source, none, or a metadata field (meta.NAME)"
                ))
            }
            _ => {}
        }
        let name = s.strip_prefix("meta.").unwrap_or(s);
        if name.is_empty() {
            return Err("empty metadata field name".into());
        }
        Ok(Grouping::Field(name.to_string()))
    }
}

/// Statistics of one frame in one bin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameStat {
    /// Mean share of the frame over the bin's documents.
    pub mean_share: f64,
    /// Fraction of the bin's documents where the frame is present.
    pub present_share: f64,
    /// Lower bound of the bootstrap interval of `mean_share`.
    pub low: f64,
    /// Upper bound of the bootstrap interval of `mean_share`.
    pub high: f64,
}

/// One period of one group.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    /// First day of the period.
    pub start: Date,
    /// Period label (`2023-11`).
    pub period: String,
    /// Group label.
    pub group: String,
    /// Documents in the bin.
    pub n: usize,
    /// Per-frame statistics (codebook frame order), `None` when the bin is empty.
    pub stats: Option<Vec<FrameStat>>,
}

/// Why a document is not in any bin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExcludeReason {
    /// Its date is missing, unparseable or implausible.
    Date(DateProblem),
    /// Its date lies outside the requested `from`/`to` range.
    OutOfRange(Date),
}

impl ExcludeReason {
    /// `missing`, `unparseable`, `implausible` or `out_of_range`.
    pub fn code(&self) -> &'static str {
        match self {
            ExcludeReason::Date(p) => p.code(),
            ExcludeReason::OutOfRange(_) => "out_of_range",
        }
    }
}

impl std::fmt::Display for ExcludeReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExcludeReason::Date(p) => p.fmt(f),
            ExcludeReason::OutOfRange(d) => write!(f, "date {d} outside the requested range"),
        }
    }
}

/// A document left out of the bins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Excluded {
    /// Document id.
    pub id: String,
    /// Its date as given.
    pub date: Option<String>,
    /// Its group.
    pub group: String,
    /// Why.
    pub reason: ExcludeReason,
}

/// How many documents went where.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrendCounts {
    /// Documents given.
    pub documents: usize,
    /// Documents placed in a bin.
    pub binned: usize,
    /// No date.
    pub missing: usize,
    /// A date that could not be parsed.
    pub unparseable: usize,
    /// A date before 1900 or in the future.
    pub implausible: usize,
    /// A date outside `from`/`to`.
    pub out_of_range: usize,
}

impl TrendCounts {
    /// Documents without a usable date (missing, unparseable or implausible).
    pub fn undated(&self) -> usize {
        self.missing + self.unparseable + self.implausible
    }
}

/// The result of the trends stage.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendSeries {
    /// The codebook of the documents: frame names, order and chart colours.
    pub codebook: Arc<Codebook>,
    /// The period length.
    pub period: Period,
    /// The grouping.
    pub grouping: Grouping,
    /// Bootstrap resamples per bin.
    pub bootstrap: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
    /// Coverage of the interval (0.95).
    pub confidence: f64,
    /// Every period of the range: (first day, label), in order.
    pub periods: Vec<(Date, String)>,
    /// Group labels, sorted.
    pub groups: Vec<String>,
    /// One bin per group × period: group-major, periods in order.
    pub bins: Vec<Bin>,
    /// One bin per period over all groups (the same as `bins` when not grouped).
    pub overall: Vec<Bin>,
    /// Documents in no bin, sorted by id.
    pub excluded: Vec<Excluded>,
    /// Counts.
    pub counts: TrendCounts,
}

impl TrendSeries {
    /// The bins of one group, periods in order.
    pub fn group_bins(&self, group: &str) -> &[Bin] {
        let np = self.periods.len();
        match self.groups.iter().position(|g| g == group) {
            Some(i) => &self.bins[i * np..(i + 1) * np],
            None => &[],
        }
    }

    /// Documents binned in one group.
    pub fn group_total(&self, group: &str) -> usize {
        self.group_bins(group).iter().map(|b| b.n).sum()
    }
}

/// Parameters of the trends stage.
///
/// | Name | Default | Purpose | Range |
/// |---|---|---|---|
/// | `period` | month | bin length | day, week, month, quarter, year |
/// | `grouping` | none | one series per group | none, source, a `meta` field |
/// | `bootstrap` | 1000 | resamples per bin for the interval | 100 ..= 1,000,000 |
/// | `seed` | 42 | bootstrap seed (the output repeats exactly) | any |
/// | `confidence` | 0.95 | interval coverage | (0, 1) |
/// | `from`, `to` | none | keep only dates in this range (inclusive) | `from` ≤ `to` |
/// | `today` | today (UTC) | dates after it are implausible | any |
///
/// # Errors
/// [`TrendParams::check`] returns [`Error::InvalidParam`] naming the value out of range.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendParams {
    period: Period,
    grouping: Grouping,
    bootstrap: usize,
    seed: u64,
    confidence: f64,
    from: Option<Date>,
    to: Option<Date>,
    today: Option<Date>,
}

impl Default for TrendParams {
    fn default() -> Self {
        TrendParams {
            period: Period::Month,
            grouping: Grouping::None,
            bootstrap: 1000,
            seed: 42,
            confidence: 0.95,
            from: None,
            to: None,
            today: None,
        }
    }
}

/// Validated [`TrendParams`]: the only kind that can [`fit`](TrendValidParams::fit).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendValidParams(TrendParams);

impl TrendParams {
    /// Bin length.
    pub fn period(mut self, p: Period) -> Self {
        self.period = p;
        self
    }
    /// Grouping.
    pub fn grouping(mut self, g: Grouping) -> Self {
        self.grouping = g;
        self
    }
    /// Bootstrap resamples per bin.
    pub fn bootstrap(mut self, b: usize) -> Self {
        self.bootstrap = b;
        self
    }
    /// Bootstrap seed.
    pub fn seed(mut self, s: u64) -> Self {
        self.seed = s;
        self
    }
    /// Interval coverage.
    pub fn confidence(mut self, c: f64) -> Self {
        self.confidence = c;
        self
    }
    /// First day kept (inclusive).
    pub fn from(mut self, d: Option<Date>) -> Self {
        self.from = d;
        self
    }
    /// Last day kept (inclusive).
    pub fn to(mut self, d: Option<Date>) -> Self {
        self.to = d;
        self
    }
    /// The day against which "in the future" is judged (default: today, UTC).
    pub fn today(mut self, d: Date) -> Self {
        self.today = Some(d);
        self
    }

    /// Validate.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for a bootstrap count outside 100 ..= 1,000,000, a confidence
    /// outside (0, 1), or `from` after `to`.
    pub fn check(self) -> Result<TrendValidParams> {
        if !(100..=1_000_000).contains(&self.bootstrap) {
            return Err(Error::InvalidParam {
                name: "bootstrap",
                value: self.bootstrap.to_string(),
                reason: "must be between 100 and 1,000,000",
            });
        }
        if !(self.confidence > 0.0 && self.confidence < 1.0) {
            return Err(Error::InvalidParam {
                name: "confidence",
                value: self.confidence.to_string(),
                reason: "must be strictly between 0 and 1",
            });
        }
        if let (Some(f), Some(t)) = (self.from, self.to) {
            if f > t {
                return Err(Error::InvalidParam {
                    name: "from",
                    value: format!("{f} (to = {t})"),
                    reason: "must not be after `to`",
                });
            }
        }
        Ok(TrendValidParams(self))
    }
}

impl TrendValidParams {
    /// Bin the documents and compute every bin's statistics.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when grouping by a metadata field that no document carries
    /// (a typo, most likely); the message lists the fields that exist.
    pub fn fit(&self, docs: &[TrendDoc], codebook: &Arc<Codebook>) -> Result<TrendSeries> {
        let frames = codebook.frames();
        let p = &self.0;
        if let Grouping::Field(name) = &p.grouping {
            if !docs.is_empty() && !docs.iter().any(|d| d.meta.contains_key(name)) {
                let fields: BTreeSet<&str> = docs
                    .iter()
                    .flat_map(|d| d.meta.keys().map(String::as_str))
                    .collect();
                return Err(Error::InvalidParam {
                    name: "group",
                    value: format!(
                        "meta.{name} (fields present: {})",
                        if fields.is_empty() {
                            "none".to_string()
                        } else {
                            fields.into_iter().collect::<Vec<_>>().join(", ")
                        }
                    ),
                    reason: "no document carries this metadata field",
                });
            }
        }
        let today = p.today.unwrap_or_else(today_utc);
        let mut order: Vec<&TrendDoc> = docs.iter().collect();
        order.sort_by(|a, b| a.id.cmp(&b.id));
        let mut counts = TrendCounts {
            documents: docs.len(),
            ..TrendCounts::default()
        };
        let mut excluded = Vec::new();
        // (period start, group) → documents.
        let mut placed: Vec<(Date, String, &TrendDoc)> = Vec::new();
        for d in order {
            let group = p.grouping.key(d);
            let reason = match check_date(d.date.as_deref(), today) {
                Ok(day) if p.from.is_some_and(|f| day < f) || p.to.is_some_and(|t| day > t) => {
                    ExcludeReason::OutOfRange(day)
                }
                Ok(day) => {
                    placed.push((p.period.start(day), group, d));
                    continue;
                }
                Err(e) => ExcludeReason::Date(e),
            };
            *match &reason {
                ExcludeReason::Date(DateProblem::Missing) => &mut counts.missing,
                ExcludeReason::Date(DateProblem::Unparseable(_)) => &mut counts.unparseable,
                ExcludeReason::Date(DateProblem::Implausible(..)) => &mut counts.implausible,
                ExcludeReason::OutOfRange(_) => &mut counts.out_of_range,
            } += 1;
            excluded.push(Excluded {
                id: d.id.clone(),
                date: d.date.clone(),
                group,
                reason,
            });
        }
        counts.binned = placed.len();

        let first = p
            .from
            .map(|f| p.period.start(f))
            .or_else(|| placed.iter().map(|x| x.0).min());
        let last =
            p.to.map(|t| p.period.start(t))
                .or_else(|| placed.iter().map(|x| x.0).max());
        let mut periods = Vec::new();
        if let (Some(mut s), Some(last)) = (first, last) {
            while s <= last {
                periods.push((s, p.period.label(s)));
                s = p.period.next(s);
            }
        }
        let groups: Vec<String> = placed
            .iter()
            .map(|x| x.1.clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();

        let mut by_bin: HashMap<(Date, &str), Vec<&TrendDoc>> = HashMap::new();
        let mut by_period: HashMap<Date, Vec<&TrendDoc>> = HashMap::new();
        for (start, group, d) in &placed {
            by_bin.entry((*start, group.as_str())).or_default().push(d);
            by_period.entry(*start).or_default().push(d);
        }
        let make = |start: Date, label: &str, group: &str, members: &[&TrendDoc]| Bin {
            start,
            period: label.to_string(),
            group: group.to_string(),
            n: members.len(),
            stats: (!members.is_empty()).then(|| {
                bin_stats(
                    members,
                    frames,
                    p.bootstrap,
                    p.confidence,
                    bin_seed(p.seed, label, group),
                )
            }),
        };
        let mut bins = Vec::with_capacity(groups.len() * periods.len());
        for g in &groups {
            for (start, label) in &periods {
                let members = by_bin
                    .get(&(*start, g.as_str()))
                    .map_or(&[][..], |v| &v[..]);
                bins.push(make(*start, label, g, members));
            }
        }
        let overall = if p.grouping == Grouping::None {
            bins.clone()
        } else {
            periods
                .iter()
                .map(|(start, label)| {
                    let members = by_period.get(start).map_or(&[][..], |v| &v[..]);
                    make(*start, label, ALL_GROUP, members)
                })
                .collect()
        };
        Ok(TrendSeries {
            codebook: codebook.clone(),
            period: p.period,
            grouping: p.grouping.clone(),
            bootstrap: p.bootstrap,
            seed: p.seed,
            confidence: p.confidence,
            periods,
            groups,
            bins,
            overall,
            excluded,
            counts,
        })
    }
}

/// The seed of one bin: the run seed mixed with the bin's labels (FNV-1a), so a bin's
/// interval does not depend on which other bins exist.
fn bin_seed(seed: u64, period: &str, group: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in period.bytes().chain([0x1f]).chain(group.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    SplitMix64::new(seed ^ h).next_u64()
}

/// Means, presence shares and percentile-bootstrap intervals over the bin's documents.
fn bin_stats(
    docs: &[&TrendDoc],
    frames: &[Label],
    b: usize,
    confidence: f64,
    seed: u64,
) -> Vec<FrameStat> {
    let nf = frames.len();
    let rows: Vec<&[f64]> = docs.iter().map(|d| d.shares.as_slice()).collect();
    let n = rows.len();
    let mean_of = |idx: &mut dyn Iterator<Item = usize>| {
        let mut s = vec![0.0; nf];
        for i in idx {
            for f in 0..nf {
                s[f] += rows[i][f];
            }
        }
        s.into_iter().map(|x| x / n as f64).collect::<Vec<f64>>()
    };
    let mean = mean_of(&mut (0..n));
    let mut rng = SplitMix64::new(seed);
    let mut boot: Vec<Vec<f64>> = (0..nf).map(|_| Vec::with_capacity(b)).collect();
    for _ in 0..b {
        let m = mean_of(&mut (0..n).map(|_| rng.below(n)));
        for f in 0..nf {
            boot[f].push(m[f]);
        }
    }
    let alpha = (1.0 - confidence) / 2.0;
    (0..nf)
        .map(|f| {
            boot[f].sort_by(f64::total_cmp);
            let present = docs.iter().filter(|d| d.is_present(frames[f])).count();
            FrameStat {
                mean_share: mean[f],
                present_share: present as f64 / n as f64,
                low: quantile(&boot[f], alpha).expect("at least 100 replicates"),
                high: quantile(&boot[f], 1.0 - alpha).expect("at least 100 replicates"),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Reading documents: report folders and the store, one model at a time.
// ---------------------------------------------------------------------------------------------

/// A model found among the sources, and whether it was used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelChoice {
    /// The model hash (`unknown` for report folders without `run.json`).
    pub model_hash: String,
    /// When the model was first used (the earliest `finished` time of its runs).
    pub first_used: String,
    /// Documents classified with it.
    pub documents: usize,
    /// Whether these are the documents the trends use.
    pub chosen: bool,
}

/// Documents of one model, gathered from a store and report folders.
#[derive(Debug, Clone)]
pub struct Collection {
    /// The model the documents come from.
    pub model_hash: String,
    /// The codebook of that model.
    pub codebook: Arc<Codebook>,
    /// The documents, sorted by id.
    pub docs: Vec<TrendDoc>,
    /// Every model seen, sorted by first use, newest last.
    pub models: Vec<ModelChoice>,
    /// Where documents were read: the store path and the report folders, as given.
    pub sources: Vec<String>,
    /// Older copies dropped: the same id, source, date and title seen again in an older run.
    pub duplicates: usize,
    /// The narrative sets the documents were checked with, in the order first met.
    pub narrative_sets: Vec<NarrativeSetInfo>,
}

/// The model hash recorded for report folders that have no `run.json`.
pub const UNKNOWN_MODEL: &str = "unknown";

/// Gather the documents of one model from a store and report folders.
///
/// Without `model`, the newest model is used: the one whose first run is the most recent
/// (a model introduced later is a newer version). `model` may be a unique prefix of a hash.
/// A document seen more than once (the same id, source, date and title, e.g. a report folder
/// that was also stored, or a text corrected and classified again) is kept once, from its
/// newest run.
///
/// # Errors
/// [`Error::InvalidParam`] when no source was given, when `model` matches no model or several,
/// and [`Error::Other`] when the sources hold no documents or the chosen documents were
/// classified with different codebooks (naming both); read errors of the sources.
pub fn collect(
    store: Option<(&Store, &Path)>,
    reports: &[PathBuf],
    model: Option<&str>,
) -> Result<Collection> {
    if store.is_none() && reports.is_empty() {
        return Err(Error::InvalidParam {
            name: "sources",
            value: "none".into(),
            reason: "give a database (--db) or report folders (--reports)",
        });
    }
    let mut sources = Vec::new();
    // model hash → (first used, documents)
    let mut models: BTreeMap<String, (String, usize)> = BTreeMap::new();
    let mut note = |hash: &str, when: &str, n: usize| {
        let e = models
            .entry(hash.to_string())
            .or_insert_with(|| (when.to_string(), 0));
        if cmp_timestamps(when, &e.0).is_lt() {
            e.0 = when.to_string();
        }
        e.1 += n;
    };
    if let Some((s, path)) = store {
        sources.push(path.display().to_string());
        for m in s.models()? {
            note(&m.model_hash, &m.first_used, m.documents as usize);
        }
    }
    let mut folders = Vec::new();
    for r in reports {
        sources.push(r.display().to_string());
        let f = read_report_folder(r)?;
        let (hash, when) = folder_model(&f);
        note(&hash, &when, f.docs.len());
        folders.push(f);
    }
    if models.is_empty() {
        return Err(Error::Other(format!(
            "no documents in {}",
            sources.join(", ")
        )));
    }
    let chosen = match model {
        Some(want) => {
            let want = want.trim().to_ascii_lowercase();
            let hits: Vec<&String> = models.keys().filter(|h| h.starts_with(&want)).collect();
            match hits.as_slice() {
                [one] if !want.is_empty() => (*one).clone(),
                _ => {
                    return Err(Error::InvalidParam {
                        name: "model_hash",
                        value: format!(
                            "{want} (models present: {})",
                            models.keys().cloned().collect::<Vec<_>>().join(", ")
                        ),
                        reason: if hits.is_empty() {
                            "matches no model in the sources"
                        } else {
                            "matches several models: give more characters"
                        },
                    })
                }
            }
        }
        None => models
            .iter()
            .max_by(|a, b| cmp_timestamps(&a.1 .0, &b.1 .0).then(a.0.cmp(b.0)))
            .map(|(h, _)| h.clone())
            .expect("not empty"),
    };
    // (run finished time, document), newest runs first.
    let mut items: Vec<(String, TrendDoc)> = Vec::new();
    // the codebook of the chosen documents, and where it was found
    let mut codebook: Option<(Codebook, String)> = None;
    let mut agree = |cb: Codebook, from: String| -> Result<()> {
        match &codebook {
            None => codebook = Some((cb, from)),
            Some((c, first)) if *c != cb => {
                return Err(Error::Other(format!(
                    "the documents use two codebooks: {} in {first} and {} in {from}; trends \
                     compare documents of one codebook only (give --model-hash or fewer sources)",
                    c.describe(),
                    cb.describe()
                )))
            }
            Some(_) => {}
        }
        Ok(())
    };
    let mut sets: Vec<NarrativeSetInfo> = Vec::new();
    if let Some((s, path)) = store {
        let docs = s.documents(&chosen)?;
        sets.extend(s.narrative_sets(&chosen)?);
        if !docs.is_empty() {
            agree(
                s.codebook(&chosen)?,
                format!("{} (model {})", path.display(), short(&chosen)),
            )?;
        }
        items.extend(docs);
    }
    for f in folders {
        let (hash, when) = folder_model(&f);
        if hash == chosen {
            agree(f.codebook, f.dir.display().to_string())?;
            sets.extend(f.narratives);
            items.extend(f.docs.into_iter().map(|d| (when.clone(), d)));
        }
    }
    let codebook = Arc::new(codebook.map_or_else(Codebook::migration, |c| c.0));
    // Newest first; the sort is stable, so among equals the store comes first, then the
    // folders in the order given.
    items.sort_by(|a, b| cmp_timestamps(&b.0, &a.0));
    let mut seen = std::collections::HashSet::new();
    let mut docs = Vec::with_capacity(items.len());
    let mut duplicates = 0;
    for (_, d) in items {
        let key = (
            d.id.clone(),
            d.source.clone(),
            d.date.clone(),
            d.title.clone(),
        );
        if seen.insert(key) {
            docs.push(d);
        } else {
            duplicates += 1;
        }
    }
    docs.sort_by(|a, b| a.id.cmp(&b.id));
    // the sets of the documents kept, each once
    let used: BTreeSet<&str> = docs
        .iter()
        .filter_map(|d| d.narratives.as_ref().map(|n| n.set.as_str()))
        .collect();
    let mut narrative_sets: Vec<NarrativeSetInfo> = Vec::new();
    for s in sets {
        if used.contains(s.sha256.as_str()) && !narrative_sets.iter().any(|x| x.sha256 == s.sha256)
        {
            narrative_sets.push(s);
        }
    }
    let mut models: Vec<ModelChoice> = models
        .into_iter()
        .map(|(h, (first_used, documents))| ModelChoice {
            chosen: h == chosen,
            model_hash: h,
            first_used,
            documents,
        })
        .collect();
    models.sort_by(|a, b| {
        cmp_timestamps(&a.first_used, &b.first_used).then(a.model_hash.cmp(&b.model_hash))
    });
    Ok(Collection {
        model_hash: chosen,
        codebook,
        docs,
        models,
        sources,
        duplicates,
        narrative_sets,
    })
}

fn folder_model(f: &ReportFolder) -> (String, String) {
    match &f.run {
        Some(r) => (r.model_hash.clone(), r.finished.clone()),
        None => (UNKNOWN_MODEL.to_string(), String::new()),
    }
}

// ---------------------------------------------------------------------------------------------
// Outputs.
// ---------------------------------------------------------------------------------------------

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

pub(crate) fn num(x: f64) -> String {
    let s = format!("{x:.6}");
    if s == "-0.000000" {
        "0.000000".into()
    } else {
        s
    }
}

/// The tidy CSV: `period,group,frame,n,mean_share,present_share,low,high`, one row per bin and
/// frame (group, then period, then frame order, named by `frames`); the statistics of empty
/// bins are blank.
pub fn render_csv(bins: &[Bin], frames: &[&str]) -> Result<String> {
    render_csv_by(bins, frames, "frame")
}

/// [`render_csv`] with another name for the label column (`narrative`).
pub fn render_csv_by(bins: &[Bin], frames: &[&str], column: &str) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Other(format!("cannot write CSV: {e}"));
    w.write_record([
        "period",
        "group",
        column,
        "n",
        "mean_share",
        "present_share",
        "low",
        "high",
    ])
    .map_err(err)?;
    for b in bins {
        for (f, frame) in frames.iter().enumerate() {
            let n = b.n.to_string();
            let (m, p, lo, hi) = match &b.stats {
                Some(s) => (
                    num(s[f].mean_share),
                    num(s[f].present_share),
                    num(s[f].low),
                    num(s[f].high),
                ),
                None => Default::default(),
            };
            w.write_record([
                b.period.as_str(),
                b.group.as_str(),
                frame,
                &n,
                &m,
                &p,
                &lo,
                &hi,
            ])
            .map_err(err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Other(format!("cannot write CSV: {e}")))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
}

/// `excluded.csv`: `id,date,group,reason_code,reason`.
pub fn render_excluded_csv(ex: &[Excluded]) -> Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let err = |e: csv::Error| Error::Other(format!("cannot write CSV: {e}"));
    w.write_record(["id", "date", "group", "reason_code", "reason"])
        .map_err(err)?;
    for e in ex {
        w.write_record([
            e.id.as_str(),
            e.date.as_deref().unwrap_or(""),
            e.group.as_str(),
            e.reason.code(),
            &e.reason.to_string(),
        ])
        .map_err(err)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| Error::Other(format!("cannot write CSV: {e}")))?;
    Ok(String::from_utf8(bytes).expect("CSV of UTF-8 strings"))
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

/// Totals per group over the whole range: n, mean share and presence share of each frame.
type GroupTotal = (String, usize, Vec<f64>, Vec<f64>);

fn group_totals(series: &TrendSeries) -> Vec<GroupTotal> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn mig() -> Arc<Codebook> {
        Arc::new(Codebook::migration())
    }

    fn doc(
        id: &str,
        date: Option<&str>,
        source: &str,
        shares: [f64; 4],
        present: &[Label],
    ) -> TrendDoc {
        TrendDoc {
            id: id.into(),
            title: None,
            date: date.map(str::to_string),
            source: Some(source.into()),
            url: None,
            meta: serde_json::Map::new(),
            shares: shares.to_vec(),
            framed_fraction: 0.5,
            dominant: None,
            present: present.to_vec(),
            narratives: None,
        }
    }

    #[test]
    fn period_starts_labels_and_steps() {
        let d = date!(2023 - 11 - 05); // a Sunday
        assert_eq!(Period::Day.label(Period::Day.start(d)), "2023-11-05");
        assert_eq!(Period::Week.start(d), date!(2023 - 10 - 30));
        assert_eq!(Period::Week.label(Period::Week.start(d)), "2023-W44");
        assert_eq!(Period::Month.label(Period::Month.start(d)), "2023-11");
        assert_eq!(Period::Quarter.start(d), date!(2023 - 10 - 01));
        assert_eq!(Period::Quarter.label(Period::Quarter.start(d)), "2023-Q4");
        assert_eq!(Period::Year.label(Period::Year.start(d)), "2023");
        // ISO week-year differs from the calendar year around New Year.
        let w = Period::Week.start(date!(2021 - 01 - 03));
        assert_eq!(w, date!(2020 - 12 - 28));
        assert_eq!(Period::Week.label(w), "2020-W53");
        assert_eq!(Period::Week.label(date!(2024 - 12 - 30)), "2025-W01");
        assert_eq!(
            Period::Month.next(date!(2023 - 12 - 01)),
            date!(2024 - 01 - 01)
        );
        assert_eq!(
            Period::Quarter.next(date!(2023 - 10 - 01)),
            date!(2024 - 01 - 01)
        );
        assert_eq!(
            Period::Year.next(date!(2023 - 01 - 01)),
            date!(2024 - 01 - 01)
        );
        assert_eq!(
            Period::Day.next(date!(2024 - 02 - 28)),
            date!(2024 - 02 - 29)
        );
        for p in Period::ALL {
            assert_eq!(p.as_str().parse::<Period>().unwrap(), p);
        }
        assert!("fortnight".parse::<Period>().is_err());
    }

    #[test]
    fn grouping_parses_and_keys() {
        assert_eq!("none".parse::<Grouping>().unwrap(), Grouping::None);
        assert_eq!("source".parse::<Grouping>().unwrap(), Grouping::Source);
        assert_eq!(
            "meta.bias".parse::<Grouping>().unwrap(),
            Grouping::Field("bias".into())
        );
        assert_eq!(
            "bias".parse::<Grouping>().unwrap(),
            Grouping::Field("bias".into())
        );
        assert!("date".parse::<Grouping>().is_err());
        let mut d = doc("a", None, " Fox ", [0.0; 4], &[]);
        assert_eq!(Grouping::Source.key(&d), "Fox");
        assert_eq!(Grouping::Field("bias".into()).key(&d), MISSING_GROUP);
        d.meta.insert("bias".into(), Value::String("right".into()));
        d.meta.insert("rank".into(), Value::from(3));
        assert_eq!(Grouping::Field("bias".into()).key(&d), "right");
        assert_eq!(Grouping::Field("rank".into()).key(&d), "3");
        assert_eq!(Grouping::None.key(&d), ALL_GROUP);
        d.source = None;
        assert_eq!(Grouping::Source.key(&d), MISSING_GROUP);
    }

    #[test]
    fn params_are_checked() {
        assert!(TrendParams::default().bootstrap(10).check().is_err());
        assert!(TrendParams::default().confidence(1.0).check().is_err());
        assert!(TrendParams::default()
            .from(Some(date!(2020 - 01 - 02)))
            .to(Some(date!(2020 - 01 - 01)))
            .check()
            .is_err());
        assert!(TrendParams::default().check().is_ok());
    }

    #[test]
    fn exact_means_presence_and_empty_bins() {
        #[allow(non_snake_case)]
        let (Humanitarian, Economic, Security, Enforcement) =
            (Label(0), Label(1), Label(2), Label(3));
        let docs = vec![
            doc(
                "a",
                Some("2023-01-10"),
                "X",
                [0.5, 0.5, 0.0, 0.0],
                &[Humanitarian, Economic],
            ),
            doc(
                "b",
                Some("2023-01-20"),
                "X",
                [0.1, 0.0, 0.3, 0.6],
                &[Enforcement],
            ),
            doc(
                "c",
                Some("2023-03-01"),
                "Y",
                [1.0, 0.0, 0.0, 0.0],
                &[Humanitarian],
            ),
            doc("d", None, "Y", [0.0, 0.0, 1.0, 0.0], &[Security]),
            doc("e", Some("0001-01-01"), "Y", [0.0; 4], &[]),
            doc("f", Some("next Tuesday"), "Y", [0.0; 4], &[]),
        ];
        let s = TrendParams::default()
            .grouping(Grouping::Source)
            .today(date!(2026 - 01 - 01))
            .check()
            .unwrap()
            .fit(&docs, &mig())
            .unwrap();
        let labels: Vec<&str> = s.periods.iter().map(|p| p.1.as_str()).collect();
        assert_eq!(labels, ["2023-01", "2023-02", "2023-03"]);
        assert_eq!(s.groups, ["X", "Y"]);
        assert_eq!(s.bins.len(), 6);
        let x = s.group_bins("X");
        assert_eq!((x[0].n, x[1].n, x[2].n), (2, 0, 0));
        assert!(x[1].stats.is_none());
        let st = x[0].stats.clone().unwrap();
        assert_eq!(st[0].mean_share, (0.5 + 0.1) / 2.0);
        assert_eq!(st[3].mean_share, 0.3);
        assert_eq!(st[0].present_share, 0.5);
        assert_eq!(st[2].present_share, 0.0);
        let y = s.group_bins("Y");
        assert_eq!((y[0].n, y[2].n), (0, 1));
        let one = y[2].stats.clone().unwrap();
        // One document: every resample is that document.
        assert_eq!(
            (one[0].low, one[0].mean_share, one[0].high),
            (1.0, 1.0, 1.0)
        );
        assert_eq!(s.overall.iter().map(|b| b.n).collect::<Vec<_>>(), [2, 0, 1]);
        assert_eq!(s.counts.binned, 3);
        assert_eq!(
            (s.counts.missing, s.counts.implausible, s.counts.unparseable),
            (1, 1, 1)
        );
        let ids: Vec<&str> = s.excluded.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["d", "e", "f"]);
    }

    #[test]
    fn intervals_contain_the_mean_and_repeat_exactly() {
        let mut rng = SplitMix64::new(7);
        let mut docs = Vec::new();
        for i in 0..400 {
            let mut a = [0.0; 4];
            // Skewed shares: mostly zero, sometimes large.
            for x in &mut a {
                let u = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
                *x = if u < 0.8 { 0.0 } else { u };
            }
            let day = 1 + (i % 28);
            let month = 1 + (i / 28) % 12;
            docs.push(doc(
                &format!("d{i:03}"),
                Some(&format!("2020-{month:02}-{day:02}")),
                if i % 3 == 0 { "A" } else { "B" },
                a,
                &[],
            ));
        }
        let fit = |seed| {
            TrendParams::default()
                .grouping(Grouping::Source)
                .seed(seed)
                .bootstrap(500)
                .check()
                .unwrap()
                .fit(&docs, &mig())
                .unwrap()
        };
        let s = fit(1);
        let mut checked = 0;
        for b in s.bins.iter().chain(&s.overall) {
            for st in b.stats.iter().flatten() {
                assert!(st.low <= st.mean_share && st.mean_share <= st.high, "{b:?}");
                checked += 1;
            }
        }
        assert!(checked > 50);
        assert_eq!(s, fit(1));
        assert_ne!(s.bins, fit(2).bins);
    }

    #[test]
    fn interval_width_matches_the_normal_approximation() {
        // 200 documents, half with share 1 and half 0: the mean is 0.5 and its standard
        // error 0.5 / sqrt(200) ≈ 0.0354, so a 95% interval is about ±0.069.
        let docs: Vec<TrendDoc> = (0..200)
            .map(|i| {
                let v = if i % 2 == 0 { 1.0 } else { 0.0 };
                doc(
                    &format!("{i}"),
                    Some("2020-05-05"),
                    "A",
                    [v, 1.0 - v, 0.0, 0.0],
                    &[],
                )
            })
            .collect();
        let s = TrendParams::default()
            .bootstrap(4000)
            .check()
            .unwrap()
            .fit(&docs, &mig())
            .unwrap();
        let st = s.overall[0].stats.clone().unwrap()[0];
        assert_eq!(st.mean_share, 0.5);
        let half = (st.high - st.low) / 2.0;
        assert!((half - 0.0693).abs() < 0.008, "half width {half}");
    }

    #[test]
    fn from_to_range_sets_empty_bins_and_excludes_outside() {
        let docs = vec![
            doc("a", Some("2019-12-31"), "X", [1.0, 0.0, 0.0, 0.0], &[]),
            doc("b", Some("2020-02-15"), "X", [1.0, 0.0, 0.0, 0.0], &[]),
        ];
        let s = TrendParams::default()
            .period(Period::Quarter)
            .from(Some(date!(2020 - 01 - 01)))
            .to(Some(date!(2020 - 12 - 31)))
            .check()
            .unwrap()
            .fit(&docs, &mig())
            .unwrap();
        let labels: Vec<&str> = s.periods.iter().map(|p| p.1.as_str()).collect();
        assert_eq!(labels, ["2020-Q1", "2020-Q2", "2020-Q3", "2020-Q4"]);
        assert_eq!(s.counts.out_of_range, 1);
        assert_eq!(s.excluded[0].reason.code(), "out_of_range");
        assert_eq!(
            s.overall.iter().map(|b| b.n).collect::<Vec<_>>(),
            [1, 0, 0, 0]
        );
    }

    #[test]
    fn unknown_meta_field_lists_the_fields() {
        let mut d = doc("a", Some("2020-01-01"), "X", [0.0; 4], &[]);
        d.meta.insert("bias".into(), Value::String("left".into()));
        let e = TrendParams::default()
            .grouping(Grouping::Field("bais".into()))
            .check()
            .unwrap()
            .fit(&[d], &mig())
            .unwrap_err();
        assert!(e.to_string().contains("fields present: bias"), "{e}");
    }

    #[test]
    fn csv_is_tidy_with_blank_statistics_for_empty_bins() {
        let docs = vec![
            doc(
                "a",
                Some("2020-01-01"),
                "X",
                [0.25, 0.25, 0.25, 0.25],
                &[Label(1)],
            ),
            doc("b", Some("2020-03-01"), "X", [0.25, 0.25, 0.25, 0.25], &[]),
        ];
        let s = TrendParams::default()
            .check()
            .unwrap()
            .fit(&docs, &mig())
            .unwrap();
        let csv = render_csv(&s.bins, &mig().frame_names()).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(
            lines[0],
            "period,group,frame,n,mean_share,present_share,low,high"
        );
        assert_eq!(lines.len(), 1 + 3 * 4);
        assert_eq!(
            lines[2],
            "2020-01,all,economic,1,0.250000,1.000000,0.250000,0.250000"
        );
        assert_eq!(lines[5], "2020-02,all,humanitarian,0,,,,");
    }
}
