//! Publication dates for the trends stage: the `date` string of a report → a calendar
//! [`Date`], or the reason it cannot be placed in a time bin ([`DateProblem`]).
//!
//! Input: the raw date text as given in the input (`Option<&str>`). Output:
//! `Result<Date, DateProblem>` from [`check_date`]; [`parse_date`] does the parsing alone.
//!
//! Accepted forms (case-insensitive, surrounding blanks ignored):
//!
//! | form | examples |
//! |---|---|
//! | ISO 8601 date | `2023-11-05`, `2023/11/05`, `2023-1-5` |
//! | ISO 8601 / RFC 3339 date-time | `2023-11-05T14:30:00Z`, `2023-11-05 14:30`, `2023-11-05T23:59:59.5-05:00` |
//! | RFC 2822 | `Sun, 05 Nov 2023 14:30:00 +0000`, `5 Nov 2023 14:30 GMT` |
//! | written dates | `Nov 5, 2023`, `November 5 2023`, `Sunday, November 5th, 2023`, `5 November 2023`, `Nov. 5, 2023 at 2:30 pm EST` |
//!
//! A date-time keeps the calendar day *as written*: `2023-11-05T23:30:00-05:00` is 5 November
//! (the day of publication where it was published), not converted to UTC.
//!
//! Refused, with a reason: a month or year alone (`2023-11`, `November 2023`), numeric
//! day/month orders (`11/05/2023` is 5 November in the US and 11 May elsewhere), two-digit
//! years, a weekday that contradicts the date, days that do not exist (`2023-02-30`), and any
//! text left over. Plausible dates lie between [`MIN_YEAR`]-01-01 and today; dates outside are
//! [`DateProblem::Implausible`] (the AllSides data holds a `0001-01-01`).

use time::{Date, Month, Weekday};

/// Dates before 1 January of this year are implausible for news coverage.
pub const MIN_YEAR: i32 = 1900;

/// Why a document's date cannot be placed in a time bin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DateProblem {
    /// No date, or an empty one.
    Missing,
    /// Text that is not a date framelens understands; the reason says what is wrong.
    Unparseable(String),
    /// A real calendar date before [`MIN_YEAR`] or after today.
    Implausible(Date, &'static str),
}

impl DateProblem {
    /// A stable one-word code: `missing`, `unparseable` or `implausible`.
    pub fn code(&self) -> &'static str {
        match self {
            DateProblem::Missing => "missing",
            DateProblem::Unparseable(_) => "unparseable",
            DateProblem::Implausible(..) => "implausible",
        }
    }
}

impl std::fmt::Display for DateProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DateProblem::Missing => f.write_str("missing date"),
            DateProblem::Unparseable(why) => write!(f, "unparseable date: {why}"),
            DateProblem::Implausible(d, why) => write!(f, "implausible date {d}: {why}"),
        }
    }
}

/// Compare two RFC 3339 timestamps (as in `run.json`) by the instants they name; text that is
/// not RFC 3339 sorts before any timestamp, and by its text among itself.
pub fn cmp_timestamps(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| {
        time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    };
    match (parse(a), parse(b)) {
        (Some(x), Some(y)) => x.cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Greater,
        (None, Some(_)) => std::cmp::Ordering::Less,
        (None, None) => a.cmp(b),
    }
}

/// Today's date in UTC.
pub fn today_utc() -> Date {
    time::OffsetDateTime::now_utc().date()
}

/// Parse a raw date and check that it is plausible (from [`MIN_YEAR`] to `today`).
///
/// # Errors
/// [`DateProblem::Missing`] for `None` or blank text, [`DateProblem::Unparseable`] for text
/// that is not a date, [`DateProblem::Implausible`] for a date before 1900 or after `today`.
pub fn check_date(raw: Option<&str>, today: Date) -> Result<Date, DateProblem> {
    let raw = match raw {
        Some(s) if !s.trim().is_empty() => s,
        _ => return Err(DateProblem::Missing),
    };
    let d = parse_date(raw).map_err(DateProblem::Unparseable)?;
    if d.year() < MIN_YEAR {
        return Err(DateProblem::Implausible(d, "before 1900"));
    }
    if d > today {
        return Err(DateProblem::Implausible(d, "in the future"));
    }
    Ok(d)
}

/// Parse a date in one of the accepted forms (see the module docs).
///
/// # Errors
/// A short reason, e.g. `"incomplete date: no day"`.
///
/// ```
/// use framelens::dates::parse_date;
/// let d = parse_date("Nov 5, 2023").unwrap();
/// assert_eq!(d.to_string(), "2023-11-05");
/// assert_eq!(parse_date("Sun, 05 Nov 2023 14:30:00 +0000").unwrap(), d);
/// assert!(parse_date("11/05/2023").is_err());
/// ```
pub fn parse_date(raw: &str) -> Result<Date, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("empty".into());
    }
    let b = s.as_bytes();
    if b.len() >= 5 && b[..4].iter().all(u8::is_ascii_digit) && matches!(b[4], b'-' | b'/') {
        return parse_iso(s);
    }
    if b.iter().all(u8::is_ascii_digit) {
        return Err(match b.len() {
            4 => "incomplete date: a year alone".into(),
            _ => format!("a bare number {s:?} is not a date"),
        });
    }
    if b[0].is_ascii_digit() && s.contains(['/', '.', '-']) && !s.contains(' ') {
        return Err("numeric day/month order is ambiguous (use YYYY-MM-DD)".into());
    }
    parse_written(s)
}

fn calendar(year: i32, month: u8, day: u8) -> Result<Date, String> {
    let m = Month::try_from(month).map_err(|_| format!("no month {month}"))?;
    Date::from_calendar_date(year, m, day)
        .map_err(|_| format!("no day {day} in {year:04}-{month:02}"))
}

/// Take a run of ASCII digits (at most `max`) from the front of `s`.
fn digits(s: &str, max: usize) -> (&str, &str) {
    let n = s.bytes().take(max).take_while(u8::is_ascii_digit).count();
    s.split_at(n)
}

fn parse_iso(s: &str) -> Result<Date, String> {
    let (y, rest) = digits(s, 4);
    let sep = rest.as_bytes()[0];
    let rest = &rest[1..];
    let (m, rest) = digits(rest, 2);
    if m.is_empty() {
        return Err(format!("no month in {s:?}"));
    }
    if rest.is_empty() {
        return Err("incomplete date: no day".into());
    }
    if rest.as_bytes()[0] != sep {
        return Err(format!("unexpected text {rest:?} after the month"));
    }
    let (d, rest) = digits(&rest[1..], 2);
    if d.is_empty() {
        return Err("incomplete date: no day".into());
    }
    let date = calendar(
        y.parse().expect("digits"),
        m.parse().expect("digits"),
        d.parse().expect("digits"),
    )?;
    let rest = rest.trim_end();
    if rest.is_empty() {
        return Ok(date);
    }
    let Some(time) = rest
        .strip_prefix(['T', 't'])
        .or_else(|| rest.strip_prefix(' '))
    else {
        return Err(format!("unexpected text {rest:?} after the date"));
    };
    let rest = parse_clock(time.trim_start()).map_err(|e| format!("bad time: {e}"))?;
    let zone = rest.trim();
    if zone.is_empty() || is_zone(zone) {
        Ok(date)
    } else {
        Err(format!("unexpected text {zone:?} after the time"))
    }
}

/// Parse `HH:MM[:SS[.fff]]` from the front of `s`; return what follows.
fn parse_clock(s: &str) -> Result<&str, String> {
    let (h, rest) = digits(s, 2);
    let rest = rest
        .strip_prefix(':')
        .ok_or_else(|| format!("expected HH:MM in {s:?}"))?;
    let (m, mut rest) = digits(rest, 2);
    if h.is_empty() || m.len() != 2 {
        return Err(format!("expected HH:MM in {s:?}"));
    }
    let (h, m): (u32, u32) = (h.parse().expect("digits"), m.parse().expect("digits"));
    if h > 23 || m > 59 {
        return Err(format!("no time {h:02}:{m:02}"));
    }
    if let Some(r) = rest.strip_prefix(':') {
        let (sec, r) = digits(r, 2);
        // 60 allows a leap second.
        if sec.len() != 2 || sec.parse::<u32>().expect("digits") > 60 {
            return Err(format!("bad seconds in {s:?}"));
        }
        rest = r;
        if let Some(r) = rest.strip_prefix(['.', ',']) {
            let (frac, r) = digits(r, 9);
            if frac.is_empty() {
                return Err(format!("bad fraction of a second in {s:?}"));
            }
            rest = r;
        }
    }
    Ok(rest)
}

/// A time zone: `Z`, `±HH`, `±HHMM`, `±HH:MM`, or a name RFC 2822 and US outlets use.
fn is_zone(z: &str) -> bool {
    let z = z.trim_start_matches('(').trim_end_matches(')');
    if let Some(off) = z.strip_prefix(['+', '-']) {
        let off = off.replacen(':', "", 1);
        return matches!(off.len(), 2 | 4)
            && off.bytes().all(|b| b.is_ascii_digit())
            && off[..2].parse::<u32>().expect("digits") < 24
            && off.get(2..).is_none_or(|mm| mm.is_empty() || mm < "60");
    }
    matches!(
        z.to_ascii_lowercase().as_str(),
        "z" | "ut"
            | "utc"
            | "gmt"
            | "est"
            | "edt"
            | "cst"
            | "cdt"
            | "mst"
            | "mdt"
            | "pst"
            | "pdt"
            | "et"
            | "ct"
            | "mt"
            | "pt"
            | "bst"
            | "cet"
            | "cest"
    )
}

fn month_name(w: &str) -> Option<Month> {
    use Month::*;
    let m = match w {
        "jan" | "january" => January,
        "feb" | "february" => February,
        "mar" | "march" => March,
        "apr" | "april" => April,
        "may" => May,
        "jun" | "june" => June,
        "jul" | "july" => July,
        "aug" | "august" => August,
        "sep" | "sept" | "september" => September,
        "oct" | "october" => October,
        "nov" | "november" => November,
        "dec" | "december" => December,
        _ => return None,
    };
    Some(m)
}

fn weekday_name(w: &str) -> Option<Weekday> {
    use Weekday::*;
    let d = match w {
        "mon" | "monday" => Monday,
        "tue" | "tues" | "tuesday" => Tuesday,
        "wed" | "wednesday" => Wednesday,
        "thu" | "thur" | "thurs" | "thursday" => Thursday,
        "fri" | "friday" => Friday,
        "sat" | "saturday" => Saturday,
        "sun" | "sunday" => Sunday,
        _ => return None,
    };
    Some(d)
}

/// Written dates and RFC 2822: words and numbers in any of the usual orders.
fn parse_written(s: &str) -> Result<Date, String> {
    let lower = s.to_ascii_lowercase();
    let tokens: Vec<&str> = lower
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
        .collect();
    let (mut year, mut month, mut day, mut weekday) = (None, None, None, None);
    let mut i = 0;
    while i < tokens.len() {
        let tok = tokens[i];
        i += 1;
        let word = tok.trim_end_matches('.');
        if let Some(m) = month_name(word) {
            if month.replace(m).is_some() {
                return Err(format!("two months in {s:?}"));
            }
            continue;
        }
        if let Some(w) = weekday_name(word) {
            if weekday.replace(w).is_some() {
                return Err(format!("two weekdays in {s:?}"));
            }
            continue;
        }
        if word == "at" || word == "of" || word == "the" {
            continue;
        }
        if tok.as_bytes()[0].is_ascii_digit() && tok.contains(':') {
            let rest = parse_clock(tok).map_err(|e| format!("bad time: {e}"))?;
            let rest = rest.trim_end_matches('.');
            let ampm = |x: &str| matches!(x, "am" | "pm" | "a.m" | "p.m");
            if !(rest.is_empty() || ampm(rest) || is_zone(rest)) {
                return Err(format!("unexpected text {rest:?} after the time"));
            }
            if i < tokens.len() && ampm(tokens[i].trim_end_matches('.')) {
                i += 1;
            }
            continue;
        }
        if is_zone(word) && !word.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let (num, suffix) = digits(word, 8);
        if num.is_empty() {
            return Err(format!("unexpected word {tok:?}"));
        }
        match (num.len(), suffix) {
            (4, "") => {
                if year.replace(num.parse::<i32>().expect("digits")).is_some() {
                    return Err(format!("two years in {s:?}"));
                }
            }
            (1 | 2, "" | "st" | "nd" | "rd" | "th") => {
                if day.is_some() {
                    return Err(format!("two-digit year or second day number in {s:?}"));
                }
                day = Some(num.parse::<u8>().expect("digits"));
            }
            _ => return Err(format!("unexpected {tok:?}")),
        }
    }
    let month = month.ok_or_else(|| format!("no month name in {s:?}"))?;
    let year = year.ok_or("incomplete date: no four-digit year")?;
    let day = day.ok_or("incomplete date: no day")?;
    let date = calendar(year, month as u8, day)?;
    if let Some(w) = weekday {
        if date.weekday() != w {
            return Err(format!("{date} is a {}, not a {w}", date.weekday()));
        }
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ok(s: &str) -> Date {
        parse_date(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    #[test]
    fn iso_dates_and_datetimes() {
        assert_eq!(ok("2023-11-05"), date!(2023 - 11 - 05));
        assert_eq!(ok(" 2023/11/05 "), date!(2023 - 11 - 05));
        assert_eq!(ok("2023-1-5"), date!(2023 - 01 - 05));
        assert_eq!(ok("2023-11-05T14:30:00Z"), date!(2023 - 11 - 05));
        assert_eq!(
            ok("2023-11-05t14:30:00.123456+01:00"),
            date!(2023 - 11 - 05)
        );
        assert_eq!(ok("2023-11-05 14:30"), date!(2023 - 11 - 05));
        assert_eq!(ok("2023-11-05 14:30:59 UTC"), date!(2023 - 11 - 05));
        assert_eq!(ok("2023-11-05T14:30:00-0500"), date!(2023 - 11 - 05));
        // The day as written, not converted to UTC.
        assert_eq!(ok("2023-11-05T23:30:00-05:00"), date!(2023 - 11 - 05));
        assert_eq!(ok("0001-01-01"), date!(0001 - 01 - 01));
        assert_eq!(ok("2024-02-29"), date!(2024 - 02 - 29));
    }

    #[test]
    fn rfc2822_and_written_dates() {
        let d = date!(2023 - 11 - 05);
        for s in [
            "Sun, 05 Nov 2023 14:30:00 +0000",
            "Sun, 5 Nov 2023 14:30:00 GMT",
            "5 Nov 2023 14:30 -0500",
            "Nov 5, 2023",
            "nov 5 2023",
            "November 5, 2023",
            "Nov. 5, 2023",
            "Sunday, November 5th, 2023",
            "5 November 2023",
            "November 5, 2023 at 2:30 pm EST",
            "November 5, 2023 2:30 p.m.",
            "Sept 5, 2023",
        ] {
            let want = if s.starts_with("Sept") {
                date!(2023 - 09 - 05)
            } else {
                d
            };
            assert_eq!(ok(s), want, "{s}");
        }
    }

    #[test]
    fn refused_forms_say_why() {
        for (s, why) in [
            ("2023-11", "incomplete"),
            ("2023", "year alone"),
            ("November 2023", "no day"),
            ("Nov 5", "no four-digit year"),
            ("11/05/2023", "ambiguous"),
            ("05.11.2023", "ambiguous"),
            ("2023-02-30", "no day 30"),
            ("2023-13-01", "no month 13"),
            ("2023-11-05 banana", "bad time"),
            ("2023-11-05T25:00", "no time 25:00"),
            ("2023-11-05T10:00 +99", "after the time"),
            ("Mon, 05 Nov 2023", "is a Sunday"),
            ("05 Nov 23", "two-digit year"),
            ("yesterday", "unexpected word"),
            ("1699142400", "bare number"),
            ("Nov 5, 2023 Dec", "two months"),
        ] {
            let e = parse_date(s).expect_err(s);
            assert!(e.contains(why), "{s:?}: {e:?} should mention {why:?}");
        }
    }

    #[test]
    fn timestamps_compare_as_instants() {
        use std::cmp::Ordering::*;
        // A fraction of a second sorts after the whole second, unlike the text.
        assert_eq!(
            cmp_timestamps("2026-01-01T00:00:05.5Z", "2026-01-01T00:00:05Z"),
            Greater
        );
        assert_eq!(
            cmp_timestamps("2026-01-01T01:00:00+01:00", "2026-01-01T00:00:00Z"),
            Equal
        );
        assert_eq!(cmp_timestamps("", "2026-01-01T00:00:00Z"), Less);
    }

    #[test]
    fn plausibility_window() {
        let today = date!(2026 - 11 - 20);
        assert_eq!(check_date(None, today), Err(DateProblem::Missing));
        assert_eq!(check_date(Some("  "), today), Err(DateProblem::Missing));
        assert_eq!(
            check_date(Some("1900-01-01"), today),
            Ok(date!(1900 - 01 - 01))
        );
        assert_eq!(check_date(Some("2026-11-20"), today), Ok(today));
        let e = check_date(Some("1899-12-31"), today).unwrap_err();
        assert_eq!(e.code(), "implausible");
        assert!(e.to_string().contains("before 1900"));
        let e = check_date(Some("0001-01-01"), today).unwrap_err();
        assert_eq!(e.code(), "implausible");
        let e = check_date(Some("2026-11-21"), today).unwrap_err();
        assert!(e.to_string().contains("in the future"), "{e}");
        let e = check_date(Some("someday"), today).unwrap_err();
        assert_eq!(e.code(), "unparseable");
    }
}
