//! [`TrendParams`], their check, and [`TrendValidParams::fit`]: documents into period × group bins.

use super::*;

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
