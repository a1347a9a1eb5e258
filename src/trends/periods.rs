//! Time bins and groups: [`Period`] (first day, next, label) and [`Grouping`] (a document's group).

use super::*;

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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

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
}
