//! The CSV tables: `trends.csv`, `trends-overall.csv` and `excluded.csv`.

use super::*;

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
