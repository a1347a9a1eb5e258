//! The stage's result: a [`TrendSeries`] of [`Bin`]s, the documents left out, and the counts.

use super::*;

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
