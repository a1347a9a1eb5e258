//! Issue 5: frame shares over time, from report folders and from the database.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use framelens::store::Store;

use crate::util::{default_model, framelens, root, shared, stderr};

fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures").join("trends")
}

/// One row of trends.csv: (n, mean_share, present_share, low, high); the statistics are
/// `None` for empty bins.
type Row = (usize, Option<[f64; 4]>);

/// trends.csv (or trends-overall.csv) as (period, group, frame) → row.
fn read_trends(path: &Path) -> BTreeMap<(String, String, String), Row> {
    let mut r = csv::Reader::from_path(path).unwrap();
    assert_eq!(
        r.headers().unwrap(),
        vec![
            "period",
            "group",
            "frame",
            "n",
            "mean_share",
            "present_share",
            "low",
            "high"
        ]
    );
    let mut out = BTreeMap::new();
    for rec in r.records() {
        let rec = rec.unwrap();
        let n: usize = rec[3].parse().unwrap();
        let stats = if rec[4].is_empty() {
            assert_eq!(n, 0, "{rec:?}");
            assert!(rec[5].is_empty() && rec[6].is_empty() && rec[7].is_empty());
            None
        } else {
            let v: Vec<f64> = (4..8).map(|i| rec[i].parse().unwrap()).collect();
            Some([v[0], v[1], v[2], v[3]])
        };
        out.insert((rec[0].into(), rec[1].into(), rec[2].into()), (n, stats));
    }
    out
}

fn key(p: &str, g: &str, f: &str) -> (String, String, String) {
    (p.into(), g.into(), f.into())
}

fn trends(args: &[&str], out: &Path) {
    let mut all: Vec<&std::ffi::OsStr> = vec!["trends".as_ref(), "--quiet".as_ref()];
    all.extend(args.iter().map(|a| -> &std::ffi::OsStr { a.as_ref() }));
    all.extend(["--out".as_ref(), out.as_os_str()]);
    let o = framelens(all);
    assert!(o.status.success(), "{}", stderr(&o));
}

/// The excluded.csv rows as (id, reason_code).
fn excluded(out: &Path) -> Vec<(String, String)> {
    let mut r = csv::Reader::from_path(out.join("excluded.csv")).unwrap();
    r.records()
        .map(|x| {
            let x = x.unwrap();
            (x[0].to_string(), x[3].to_string())
        })
        .collect()
}

fn assert_bounds_ordered(rows: &BTreeMap<(String, String, String), Row>) {
    let mut checked = 0;
    for (k, (_, s)) in rows {
        if let Some([mean, present, low, high]) = s {
            assert!(low <= mean && mean <= high, "{k:?}: {low} {mean} {high}");
            assert!((0.0..=1.0).contains(present));
            checked += 1;
        }
    }
    assert!(checked > 0);
}

#[test]
fn report_folder_gives_exact_aggregates_empty_bins_and_date_edge_cases() {
    let out = tempfile::tempdir().unwrap();
    let reports = fixtures().join("reports-a");
    trends(
        &[
            "--reports",
            reports.to_str().unwrap(),
            "--by",
            "month",
            "--group",
            "bias",
        ],
        out.path(),
    );
    let rows = read_trends(&out.path().join("trends.csv"));
    // 3 months (Feb empty) × 3 groups × 4 frames; "2023-03-31T23:30-05:00" stays in March
    // (the day as written), so there is no April.
    assert_eq!(rows.len(), 3 * 3 * 4);
    let periods: std::collections::BTreeSet<&str> = rows.keys().map(|k| k.0.as_str()).collect();
    assert_eq!(
        periods.into_iter().collect::<Vec<_>>(),
        ["2023-01", "2023-02", "2023-03"]
    );
    // right, January: a01 (0.5, 0.1, 0.2, 0.2) and a02 (0.1, 0.1, 0.6, 0.2).
    assert_eq!(
        rows[&key("2023-01", "right", "humanitarian")],
        (2, Some([0.3, 0.5, 0.1, 0.5]))
    );
    assert_eq!(
        rows[&key("2023-01", "right", "security")],
        (2, Some([0.4, 0.5, 0.2, 0.6]))
    );
    // Identical values: the interval collapses onto the mean.
    assert_eq!(
        rows[&key("2023-01", "right", "enforcement")],
        (2, Some([0.2, 0.0, 0.2, 0.2]))
    );
    // left, January: a03 alone (RFC 2822 date), all shares 0.25, nothing present.
    for f in ["humanitarian", "economic", "security", "enforcement"] {
        assert_eq!(
            rows[&key("2023-01", "left", f)],
            (1, Some([0.25, 0.0, 0.25, 0.25]))
        );
    }
    assert_eq!(
        rows[&key("2023-03", "left", "enforcement")],
        (1, Some([1.0, 1.0, 1.0, 1.0]))
    );
    assert_eq!(
        rows[&key("2023-03", "center", "economic")],
        (1, Some([0.4, 1.0, 0.4, 0.4]))
    );
    // Empty bins are present with n = 0.
    for g in ["center", "left", "right"] {
        assert_eq!(rows[&key("2023-02", g, "security")], (0, None));
    }
    assert_eq!(rows[&key("2023-01", "center", "humanitarian")], (0, None));
    assert_eq!(rows[&key("2023-03", "right", "humanitarian")], (0, None));
    assert_bounds_ordered(&rows);

    let overall = read_trends(&out.path().join("trends-overall.csv"));
    let (n, s) = overall[&key("2023-01", "all", "humanitarian")];
    assert_eq!(n, 3);
    assert_eq!(s.unwrap()[0], 0.283333); // (0.5 + 0.1 + 0.25) / 3
    assert_eq!(s.unwrap()[1], 0.333333); // 1 of 3 present
    assert_eq!(overall[&key("2023-02", "all", "economic")], (0, None));
    assert_eq!(overall[&key("2023-03", "all", "humanitarian")].0, 2);
    assert_bounds_ordered(&overall);

    // Every document without a usable date is listed with its reason, none is binned.
    assert_eq!(
        excluded(out.path()),
        [
            ("a06", "missing"),
            ("a07", "missing"),
            ("a08", "implausible"),
            ("a09", "implausible"),
            ("a10", "unparseable"),
            ("a11", "unparseable"),
            ("a12", "unparseable"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let md = std::fs::read_to_string(out.path().join("trends.md")).unwrap();
    for needle in [
        "| documents of the chosen model | 12 |",
        "| placed in a period | 5 |",
        "| missing date | 2 |",
        "| unparseable date | 3 |",
        "| implausible date (before 1900 or in the future) | 2 |",
        "7 documents have no usable date",
        "| a10 | 11/05/2023 | unparseable date: numeric day/month order is ambiguous",
        "| a08 | 0001-01-01 | implausible date 0001-01-01: before 1900 |",
        "| a09 | 2999-12-31 | implausible date 2999-12-31: in the future |",
        "| a12 | 2023-02-30 | unparseable date: no day 30 in 2023-02 |",
        "| 2023-02 | 0 | – | – | – | – |",
        "![Frame shares by month and meta.bias](shares_by_group.png)",
    ] {
        assert!(md.contains(needle), "trends.md lacks {needle:?}:\n{md}");
    }
    for stem in ["shares_over_time", "present_over_time", "shares_by_group"] {
        let svg = std::fs::read_to_string(out.path().join(format!("{stem}.svg"))).unwrap();
        assert!(
            svg.contains("2023-01") && svg.contains("enforcement"),
            "{stem}"
        );
        let png = std::fs::read(out.path().join(format!("{stem}.png"))).unwrap();
        assert_eq!(&png[1..4], b"PNG");
    }
    // The page is self-contained: the charts are inline SVG, nothing is loaded from elsewhere.
    let html = std::fs::read_to_string(out.path().join("trends.html")).unwrap();
    assert_eq!(html.matches("<svg").count(), 3);
    assert!(!html.contains(".png") && !html.contains("src=") && !html.contains("href="));
    assert!(html.contains("a11") && html.contains("sometime in spring"));
}

#[test]
fn every_period_length_bins_by_the_calendar() {
    let reports = fixtures().join("reports-a");
    let reports = reports.to_str().unwrap();
    let counts = |by: &str| -> Vec<(String, usize)> {
        let out = tempfile::tempdir().unwrap();
        trends(&["--reports", reports, "--by", by], out.path());
        read_trends(&out.path().join("trends.csv"))
            .into_iter()
            .filter(|(k, _)| k.2 == "humanitarian")
            .map(|(k, v)| {
                assert_eq!(k.1, "all");
                (k.0, v.0)
            })
            .collect()
    };
    let weeks = counts("week");
    assert_eq!(weeks.len(), 13, "{weeks:?}"); // 2023-W01 .. 2023-W13
    let nonempty: Vec<(&str, usize)> = weeks
        .iter()
        .filter(|w| w.1 > 0)
        .map(|w| (w.0.as_str(), w.1))
        .collect();
    // 5 Jan (Thu), 20 Jan, 30 Jan (Mon), 1 Mar (Wed), 31 Mar (Fri).
    assert_eq!(
        nonempty,
        [
            ("2023-W01", 1),
            ("2023-W03", 1),
            ("2023-W05", 1),
            ("2023-W09", 1),
            ("2023-W13", 1)
        ]
    );
    assert_eq!(counts("quarter"), [("2023-Q1".to_string(), 5)]);
    assert_eq!(counts("year"), [("2023".to_string(), 5)]);
    let days = counts("day");
    assert_eq!(days.len(), 86); // 5 January to 31 March 2023
    assert_eq!(days.iter().map(|d| d.1).sum::<usize>(), 5);
    assert_eq!(days[0], ("2023-01-05".to_string(), 1));
    assert_eq!(days[85], ("2023-03-31".to_string(), 1));
}

#[test]
fn report_folders_use_one_model_at_a_time() {
    let a = fixtures().join("reports-a");
    let b = fixtures().join("reports-b");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let out = tempfile::tempdir().unwrap();
    trends(&["--reports", a, "--reports", b], out.path());
    let md = std::fs::read_to_string(out.path().join("trends.md")).unwrap();
    // The newest model (its first run finished last) is used by default.
    assert!(md.contains("(model `bbbb2222fixt`)"), "{md}");
    assert!(md.contains("| documents of the chosen model | 2 |"), "{md}");
    assert!(
        md.contains("| `aaaa1111fixt` | 2026-01-01T00:00:01Z | 12 |  |"),
        "{md}"
    );
    let out = tempfile::tempdir().unwrap();
    trends(
        &["--reports", a, "--reports", b, "--model-hash", "aaaa"],
        out.path(),
    );
    let md = std::fs::read_to_string(out.path().join("trends.md")).unwrap();
    assert!(
        md.contains("| documents of the chosen model | 12 |"),
        "{md}"
    );
    // The same folder twice: each document is counted once.
    let out = tempfile::tempdir().unwrap();
    trends(&["--reports", a, "--reports", a], out.path());
    let md = std::fs::read_to_string(out.path().join("trends.md")).unwrap();
    assert!(
        md.contains("| documents of the chosen model | 12 |"),
        "{md}"
    );
    assert!(
        md.contains("| older copies of the same document dropped | 12 |"),
        "{md}"
    );
    // Bad choices are clear errors.
    let out = tempfile::tempdir().unwrap();
    let o = framelens([
        "trends",
        "--reports",
        a,
        "--model-hash",
        "ffff",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("matches no model"), "{}", stderr(&o));
    let o = framelens([
        "trends",
        "--reports",
        a,
        "--group",
        "meta.bais",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fields present: bias"),
        "{}",
        stderr(&o)
    );
    let o = framelens([
        "trends",
        "--reports",
        a,
        "--by",
        "fortnight",
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown period"), "{}", stderr(&o));
}

fn classify_into_db(input: &Path, model: &Path, out: &Path, db: &Path) {
    let o = framelens([
        "classify".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
        "--no-docs".as_ref(),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

fn docs_per_model(db: &Path) -> Vec<(String, u64)> {
    Store::open(db)
        .unwrap()
        .models()
        .unwrap()
        .into_iter()
        .map(|m| (m.model_hash, m.documents))
        .collect()
}

fn model_hash(dir: &Path) -> String {
    let m: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["model_hash"].as_str().unwrap().to_string()
}

#[test]
fn database_reruns_are_idempotent_and_a_new_model_keeps_both() {
    let tmp = tempfile::tempdir().unwrap();
    let t = tmp.path();
    let db = t.join("framelens.db");
    let articles = fixtures().join("articles.jsonl");
    let default = default_model();
    let default_hash = model_hash(&default);

    classify_into_db(&articles, &default, &t.join("r1"), &db);
    let counts = Store::open(&db).unwrap().counts().unwrap();
    assert_eq!((counts.documents, counts.runs), (8, 1));
    // The same text with the same model again: rows are updated, not added.
    classify_into_db(&articles, &default, &t.join("r2"), &db);
    let counts = Store::open(&db).unwrap().counts().unwrap();
    assert_eq!((counts.documents, counts.runs), (8, 2));
    let conn = rusqlite::Connection::open(&db).unwrap();
    let latest: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM documents WHERE run_id = 2 AND first_run_id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(latest, 8);
    let version: i64 = conn
        .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version as u32, framelens::store::schema_version_supported());

    // The database and the report folder give the same trends.
    let (from_db, from_reports) = (t.join("t-db"), t.join("t-reports"));
    trends(&["--db", db.to_str().unwrap(), "--group", "bias"], &from_db);
    trends(
        &[
            "--reports",
            t.join("r2").to_str().unwrap(),
            "--group",
            "bias",
        ],
        &from_reports,
    );
    for f in ["trends.csv", "trends-overall.csv", "excluded.csv"] {
        assert_eq!(
            std::fs::read_to_string(from_db.join(f)).unwrap(),
            std::fs::read_to_string(from_reports.join(f)).unwrap(),
            "{f}"
        );
    }
    assert_eq!(
        excluded(&from_db),
        [
            ("t05", "missing"),
            ("t06", "implausible"),
            ("t07", "unparseable")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let rows = read_trends(&from_db.join("trends-overall.csv"));
    let months: Vec<(String, usize)> = rows
        .iter()
        .filter(|(k, _)| k.2 == "economic")
        .map(|(k, v)| (k.0.clone(), v.0))
        .collect();
    // t04 is dated 2022-03-28T22:45-07:00: March as written (29 March in UTC).
    assert_eq!(
        months,
        [
            ("2022-01", 1),
            ("2022-02", 1),
            ("2022-03", 2),
            ("2022-04", 1)
        ]
        .map(|(a, b)| (a.to_string(), b))
    );
    assert_bounds_ordered(&rows);

    // A new model version: its rows sit beside the old ones.
    let m2 = t.join("model-2");
    let o = framelens([
        "train".as_ref(),
        "--labels".as_ref(),
        root().join("corpus").as_os_str(),
        "--out".as_ref(),
        m2.as_os_str(),
        "--max-iterations".as_ref(),
        "3".as_ref(),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m2_hash = model_hash(&m2);
    assert_ne!(m2_hash, default_hash);
    classify_into_db(&articles, &m2, &t.join("r3"), &db);
    let mut per_model = docs_per_model(&db);
    per_model.sort();
    let mut want = vec![(default_hash.clone(), 8), (m2_hash.clone(), 8)];
    want.sort();
    assert_eq!(per_model, want);
    assert_eq!(Store::open(&db).unwrap().counts().unwrap().documents, 16);
    // trends uses the newest model unless told otherwise.
    let newest = t.join("t-newest");
    trends(&["--db", db.to_str().unwrap(), "--group", "bias"], &newest);
    let md = std::fs::read_to_string(newest.join("trends.md")).unwrap();
    assert!(
        md.contains(&format!("(model `{}`)", &m2_hash[..12])),
        "{md}"
    );
    assert!(md.contains("Models in the sources"), "{md}");
    let old = t.join("t-old");
    trends(
        &[
            "--db",
            db.to_str().unwrap(),
            "--group",
            "bias",
            "--model-hash",
            &default_hash[..12],
        ],
        &old,
    );
    assert_eq!(
        std::fs::read_to_string(old.join("trends.csv")).unwrap(),
        std::fs::read_to_string(from_db.join("trends.csv")).unwrap()
    );

    // An article whose text was corrected is a new row; trends counts it once (newest run).
    let text = std::fs::read_to_string(&articles).unwrap();
    let edited = t.join("edited.jsonl");
    std::fs::write(
        &edited,
        text.replacen("handed out blankets", "handed out blankets and soup", 1),
    )
    .unwrap();
    classify_into_db(&edited, &default, &t.join("r4"), &db);
    assert_eq!(docs_per_model(&db).iter().map(|m| m.1).sum::<u64>(), 17);
    let again = t.join("t-again");
    trends(
        &["--db", db.to_str().unwrap(), "--model-hash", &default_hash],
        &again,
    );
    let md = std::fs::read_to_string(again.join("trends.md")).unwrap();
    assert!(md.contains("| documents of the chosen model | 8 |"), "{md}");
    assert!(
        md.contains("| older copies of the same document dropped | 1 |"),
        "{md}"
    );

    // stdin cannot be stored (its text cannot be read again): refused before classifying.
    let o = framelens([
        "classify".as_ref(),
        "-".as_ref(),
        "--out".as_ref(),
        t.join("r5").as_os_str(),
        "--db".as_ref(),
        db.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("stdin"), "{}", stderr(&o));
    assert!(!t.join("r5").exists());
}

#[test]
fn trends_without_a_database_or_reports_is_an_error() {
    let out = tempfile::tempdir().unwrap();
    let o = framelens(["trends", "--out", out.path().to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--db"), "{}", stderr(&o));
    let o = framelens([
        "trends",
        "--db",
        out.path().join("missing.db").to_str().unwrap(),
        "--out",
        out.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("does not exist"), "{}", stderr(&o));
}

#[test]
fn allsides_by_month_and_bias_counts_the_undated_articles() {
    let Some(shared) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("f.db");
    let data = shared.join("data").join("allsides-immigration.jsonl");
    classify_into_db(&data, &default_model(), &tmp.path().join("r"), &db);
    assert_eq!(Store::open(&db).unwrap().counts().unwrap().documents, 1547);
    let out = tmp.path().join("t");
    trends(
        &[
            "--db",
            db.to_str().unwrap(),
            "--by",
            "month",
            "--group",
            "meta.bias",
        ],
        &out,
    );
    let ex = excluded(&out);
    let count = |code: &str| ex.iter().filter(|e| e.1 == code).count();
    // The data's README: 193 empty dates and one year-0001 date.
    assert_eq!(
        (count("missing"), count("implausible"), count("unparseable")),
        (193, 1, 0)
    );
    let rows = read_trends(&out.join("trends.csv"));
    let groups: std::collections::BTreeSet<&str> = rows.keys().map(|k| k.1.as_str()).collect();
    assert_eq!(
        groups.into_iter().collect::<Vec<_>>(),
        ["center", "left", "right"]
    );
    let binned: usize = rows
        .iter()
        .filter(|(k, _)| k.2 == "humanitarian")
        .map(|(_, v)| v.0)
        .sum();
    assert_eq!(binned, 1547 - 194);
    assert_bounds_ordered(&rows);
}
