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

mod bootstrap;
mod fit;
mod html;
mod markdown;
mod outputs;
mod periods;
mod series;
mod sources;
mod tables;

use bootstrap::*;
pub use fit::*;
pub use html::*;
pub use markdown::*;
pub use outputs::*;
pub use periods::*;
pub use series::*;
pub use sources::*;
pub use tables::*;

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
