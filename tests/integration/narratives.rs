//! Narratives (issue 14): `classify --narratives FILE` in the same pass, fields in every
//! report, errors with positions, the shipped sets, and a narrative file inside a model.

use std::path::Path;

use crate::util::*;

const NARRATIVES: &str = r#"
[[narrative]]
id = "wall"
label = "The wall"
rule = '"border wall" OR wall NEAR/3 build*'

[[narrative]]
id = "caravan"
label = "The caravan"
rule = 'caravan* AND NOT "dodge caravan"'

[[narrative]]
id = "unused"
label = "Never matched"
rule = 'zzzz'
"#;

const DOCS: &str = concat!(
    r#"{"id":"a","date":"2018-10-20","text":"A caravan of migrants from Honduras reached Mexico.\n\nThe president said he would build a wall.\n\nAgents patrol the Rio Grande."}"#,
    "\n",
    r#"{"id":"b","date":"2018-11-02","text":"Nothing about any storyline here.\n\nFarmers need workers."}"#,
    "\n",
    r#"{"id":"c","date":"2019-01-05","text":"Funding for the BORDER WALL stalled in Congress."}"#,
    "\n",
);

fn setup(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let input = dir.join("in.jsonl");
    std::fs::write(&input, DOCS).unwrap();
    let nar = dir.join("n.toml");
    std::fs::write(&nar, NARRATIVES).unwrap();
    (input, nar)
}

fn classify(input: &Path, out: &Path, extra: &[&std::ffi::OsStr]) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec![
        "classify".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ];
    args.extend_from_slice(extra);
    framelens(args)
}

#[test]
fn narratives_appear_in_every_report() {
    let d = tempfile::tempdir().unwrap();
    let (input, nar) = setup(d.path());
    let out = d.path().join("out");
    let o = classify(
        &input,
        &out,
        &[
            "--narratives".as_ref(),
            nar.as_os_str(),
            "--docs".as_ref(),
            "md".as_ref(),
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let docs = documents(&out);
    assert_eq!(docs.len(), 3);
    // report.html lists the narratives of each document
    let page = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        page.contains("\"caravan\":1"),
        "no narratives in report.html"
    );
    // paragraphs
    let a = &docs[0];
    assert_eq!(
        a["paragraphs"][0]["narratives"],
        serde_json::json!(["caravan"])
    );
    assert_eq!(
        a["paragraphs"][1]["narratives"],
        serde_json::json!(["wall"])
    );
    assert!(a["paragraphs"][2].get("narratives").is_none());
    // documents: counts, share, evidence with spans
    let w = &a["narratives"]["wall"];
    assert_eq!(w["paragraphs"], 1);
    let text = w["evidence"][0]["text"].as_str().unwrap();
    let span = &w["evidence"][0]["span"];
    let (s, e) = (
        span[0].as_u64().unwrap() as usize,
        span[1].as_u64().unwrap() as usize,
    );
    assert_eq!(&text[s..e], "build a wall");
    assert_eq!(w["evidence"][0]["index"], 1);
    let share = w["share"].as_f64().unwrap();
    assert!(share > 0.2 && share < 0.5, "{share}");
    assert!(w.get("rebutted").is_none(), "stance is off by default");
    assert!(docs[1].get("narratives").is_none());
    assert_eq!(docs[2]["narratives"]["wall"]["share"], 1.0);
    assert!(a["narratives"].get("unused").is_none());
    // summary.md, summary.csv, docs/*.md
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Narratives"), "{md}");
    assert!(md.contains("| wall | 2 | 66.7 |"), "{md}");
    assert!(md.contains("| caravan | 1 | 33.3 |"), "{md}");
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(
        lines[0].ends_with(",dominant,narrative:wall,narrative:caravan,narrative:unused"),
        "{}",
        lines[0]
    );
    assert!(lines[1].ends_with(",1,1,0"), "{}", lines[1]);
    assert!(lines[2].ends_with(",0,0,0"), "{}", lines[2]);
    let doc_md = std::fs::read_to_string(out.join("docs").join("a.md")).unwrap();
    assert!(doc_md.contains("## Narratives"), "{doc_md}");
    assert!(doc_md.contains("**build a wall**"), "{doc_md}");
    // without --narratives nothing changes
    let plain = d.path().join("plain");
    let o = classify(&input, &plain, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    for doc in documents(&plain) {
        assert!(doc.get("narratives").is_none());
    }
    let csv = std::fs::read_to_string(plain.join("summary.csv")).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",dominant"));
}

#[test]
fn stance_is_reported_when_the_file_enables_it() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"s\",\"text\":\"Claims that Mexico will build the wall are false.\\n\\nHe will build the wall.\"}\n",
    )
    .unwrap();
    let nar = d.path().join("n.toml");
    std::fs::write(&nar, format!("[stance]\nenabled = true\n{NARRATIVES}")).unwrap();
    let out = d.path().join("out");
    let o = classify(&input, &out, &["--narratives".as_ref(), nar.as_os_str()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let doc = &documents(&out)[0];
    let w = &doc["narratives"]["wall"];
    assert_eq!(w["rebutted"], 1);
    assert_eq!(w["evidence"][0]["stance"], "rebutted");
    assert_eq!(w["evidence"][1]["stance"], "asserted");
    assert_eq!(
        doc["paragraphs"][0]["rebutted"],
        serde_json::json!(["wall"])
    );
}

#[test]
fn a_bad_rule_is_fatal_and_located() {
    let d = tempfile::tempdir().unwrap();
    let (input, _) = setup(d.path());
    let nar = d.path().join("bad.toml");
    std::fs::write(
        &nar,
        "[[narrative]]\nid = \"wall\"\nlabel = \"W\"\nrule = \"wall AND (fence OR\"\n",
    )
    .unwrap();
    let o = classify(
        &input,
        &d.path().join("out"),
        &["--narratives".as_ref(), nar.as_os_str()],
    );
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(
        err.contains("bad.toml:4:27: narrative `wall`: rule column 19: expected a term"),
        "{err}"
    );
    // an unknown frame in `frames`
    std::fs::write(
        &nar,
        "[[narrative]]\nid = \"wall\"\nlabel = \"W\"\nrule = \"wall\"\nframes = [\"securty\"]\n",
    )
    .unwrap();
    let o = classify(
        &input,
        &d.path().join("out"),
        &["--narratives".as_ref(), nar.as_os_str()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown frame \"securty\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn frames_filter_uses_the_model_labels() {
    let d = tempfile::tempdir().unwrap();
    let (input, _) = setup(d.path());
    let out = d.path().join("out");
    let o = classify(&input, &out, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let label = documents(&out)[2]["paragraphs"][0]["label"]
        .as_str()
        .unwrap()
        .to_string();
    let other = LABELS.iter().find(|l| **l != label).unwrap();
    for (frame, want) in [(label.as_str(), true), (*other, false)] {
        let nar = d.path().join("f.toml");
        std::fs::write(
            &nar,
            format!("[[narrative]]\nid = \"wall\"\nlabel = \"W\"\nrule = '\"border wall\"'\nframes = [\"{frame}\"]\n"),
        )
        .unwrap();
        let out = d.path().join(format!("out-{frame}"));
        let o = classify(&input, &out, &["--narratives".as_ref(), nar.as_os_str()]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(
            documents(&out)[2].get("narratives").is_some(),
            want,
            "{frame}"
        );
    }
}

#[test]
fn a_narrative_file_inside_the_model_is_used() {
    let d = tempfile::tempdir().unwrap();
    let (input, nar) = setup(d.path());
    let model = d.path().join("model");
    std::fs::create_dir(&model).unwrap();
    for e in std::fs::read_dir(default_model()).unwrap() {
        let p = e.unwrap().path();
        std::fs::copy(&p, model.join(p.file_name().unwrap())).unwrap();
    }
    std::fs::copy(&nar, model.join("narratives.toml")).unwrap();
    let out = d.path().join("out");
    let o = classify(&input, &out, &["--model".as_ref(), model.as_os_str()]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(documents(&out)[2]["narratives"]["wall"]["paragraphs"], 1);
}

#[test]
fn shipped_narrative_sets_parse_and_run() {
    let d = tempfile::tempdir().unwrap();
    let (input, _) = setup(d.path());
    for (name, n) in [("darien.toml", 8), ("us-2012-2020.toml", 30)] {
        let f = root().join("models").join("narratives").join(name);
        let set = framelens::narratives::NarrativeFile::from_file(&f).unwrap();
        assert_eq!(set.narratives.len(), n, "{name}");
        let out = d.path().join(name);
        let o = classify(&input, &out, &["--narratives".as_ref(), f.as_os_str()]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
    }
    let docs = documents(&d.path().join("us-2012-2020.toml"));
    assert!(docs[0]["narratives"].get("caravan").is_some());
    assert!(docs[0]["narratives"].get("border-wall").is_some());
}

#[test]
fn allsides_caravan_and_travel_ban_fall_in_their_years() {
    let Some(shared) = shared() else { return };
    let d = tempfile::tempdir().unwrap();
    let input = shared.join("data").join("allsides-immigration.jsonl");
    let f = root()
        .join("models")
        .join("narratives")
        .join("us-2012-2020.toml");
    let o = classify(
        &input,
        d.path(),
        &["--narratives".as_ref(), f.as_os_str(), "--no-docs".as_ref()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let docs = documents(d.path());
    let years = |id: &str| -> Vec<String> {
        docs.iter()
            .filter(|x| x.get("narratives").is_some_and(|n| n.get(id).is_some()))
            .filter_map(|x| {
                x["date"]
                    .as_str()
                    .and_then(|s| s.get(..4))
                    .map(str::to_string)
            })
            .collect()
    };
    let caravan = years("caravan");
    let in_2018_19 = caravan
        .iter()
        .filter(|y| *y == "2018" || *y == "2019")
        .count();
    assert!(in_2018_19 * 2 > caravan.len(), "{caravan:?}");
    let ban = years("travel-ban");
    let in_2017 = ban.iter().filter(|y| *y == "2017").count();
    assert!(in_2017 * 3 > ban.len(), "{ban:?}");
}

/// `merge` of shards run with `--narratives` writes what one run writes: the narrative fields of
/// documents.jsonl, the `narrative:<id>` columns of summary.csv, the summary.md section and the
/// set in run.json; shards that detected different sets are refused.
#[test]
fn merged_shards_carry_the_narratives() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("in.jsonl");
    let corpus = std::fs::read_to_string(root().join("corpus").join("articles.jsonl")).unwrap();
    let mut text: String = corpus.lines().take(30).collect::<Vec<_>>().join("\n");
    text.push('\n');
    text.push_str(DOCS);
    std::fs::write(&input, text).unwrap();
    let set = root()
        .join("models")
        .join("narratives")
        .join("us-2012-2020.toml");
    let nar: [&std::ffi::OsStr; 3] = [
        "--narratives".as_ref(),
        set.as_os_str(),
        "--no-docs".as_ref(),
    ];
    let single = d.path().join("single");
    let o = classify(&input, &single, &nar);
    assert!(o.status.success(), "{}", stderr(&o));
    let carrying = documents(&single)
        .iter()
        .filter(|x| x.get("narratives").is_some())
        .count();
    assert!(carrying >= 2, "{carrying}");
    let shards: Vec<std::path::PathBuf> = (1..=2).map(|i| d.path().join(format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        let part = format!("{}/2", i + 1);
        let mut args = nar.to_vec();
        args.extend::<[&std::ffi::OsStr; 2]>(["--shard".as_ref(), part.as_ref()]);
        let o = classify(&input, s, &args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let merged = d.path().join("merged");
    let o = framelens([
        "merge".as_ref(),
        merged.as_os_str(),
        shards[1].as_os_str(),
        shards[0].as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "documents.jsonl",
        "summary.csv",
        "summary.md",
        "errors.jsonl",
    ] {
        assert_eq!(
            std::fs::read_to_string(single.join(f)).unwrap(),
            std::fs::read_to_string(merged.join(f)).unwrap(),
            "{f} differs"
        );
    }
    let csv = std::fs::read_to_string(merged.join("summary.csv")).unwrap();
    assert!(csv.lines().next().unwrap().contains(",narrative:caravan,"));
    let run = |dir: &Path| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join("run.json")).unwrap()).unwrap()
    };
    assert_eq!(run(&merged)["narratives"], run(&single)["narratives"]);
    assert_eq!(
        run(&merged)["narratives"]["narratives"]
            .as_array()
            .unwrap()
            .len(),
        30
    );
    // a shard without the narratives does not merge with one that had them
    let plain = d.path().join("plain2");
    let o = classify(
        &input,
        &plain,
        &["--shard".as_ref(), "2/2".as_ref(), "--no-docs".as_ref()],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let o = framelens([
        "merge".as_ref(),
        d.path().join("bad").as_os_str(),
        shards[0].as_os_str(),
        plain.as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("detected no narratives"),
        "{}",
        stderr(&o)
    );
}

/// Issue 14: `trends --narratives` gives, per period, the share of the documents checked for
/// narratives that carry each one, with intervals, tables and charts; the report folder and
/// the database give the same table, and storing the same reports twice changes nothing.
#[test]
fn trends_of_narratives_from_report_folders_and_the_database() {
    let d = tempfile::tempdir().unwrap();
    let (input, nar) = setup(d.path());
    let db = d.path().join("f.db");
    let with_db = |out: &Path| {
        let o = classify(
            &input,
            out,
            &[
                "--narratives".as_ref(),
                nar.as_os_str(),
                "--db".as_ref(),
                db.as_os_str(),
                "--no-docs".as_ref(),
            ],
        );
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let rows = |db: &Path| -> Vec<(String, String, i64)> {
        let c = rusqlite::Connection::open(db).unwrap();
        let mut st = c
            .prepare(
                "SELECT d.id, n.narrative, n.paragraphs FROM document_narratives n
                 JOIN documents d USING (content_hash, model_hash) ORDER BY d.id, n.narrative",
            )
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    };
    let r1 = d.path().join("r1");
    with_db(&r1);
    let want = [("a", "caravan", 1), ("a", "wall", 1), ("c", "wall", 1)]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c));
    assert_eq!(rows(&db), want);
    // the same text again (another run) and the same report folder again: no new rows
    with_db(&d.path().join("r2"));
    let mut store = framelens::store::Store::open(&db).unwrap();
    let s = store.ingest_report_dir(&r1).unwrap();
    assert_eq!((s.inserted, s.updated), (0, 3));
    drop(store);
    assert_eq!(rows(&db), want);

    let trends = |src: &[&std::ffi::OsStr], out: &Path| {
        let mut args: Vec<&std::ffi::OsStr> = vec!["trends".as_ref()];
        args.extend_from_slice(src);
        args.extend::<[&std::ffi::OsStr; 5]>([
            "--narratives".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
            "--quiet".as_ref(),
            "--by".as_ref(),
        ]);
        args.push("month".as_ref());
        let o = framelens(args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let (from_reports, from_db) = (d.path().join("t-r"), d.path().join("t-db"));
    trends(&["--reports".as_ref(), r1.as_os_str()], &from_reports);
    trends(&["--db".as_ref(), db.as_os_str()], &from_db);
    let csv = std::fs::read_to_string(from_reports.join("narratives.csv")).unwrap();
    assert_eq!(
        csv,
        std::fs::read_to_string(from_db.join("narratives.csv")).unwrap()
    );
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "period,group,narrative,n,mean_share,present_share,low,high"
    );
    // 2018-10: document a carries the wall and the caravan; 2018-11: b carries none;
    // 2018-12 is empty; 2019-01: c carries the wall
    let row = |p: &str, n: &str| -> String {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{p},all,{n},")))
            .unwrap()
            .to_string()
    };
    assert_eq!(
        row("2018-10", "wall"),
        "2018-10,all,wall,1,1.000000,1.000000,1.000000,1.000000"
    );
    assert_eq!(
        row("2018-11", "caravan"),
        "2018-11,all,caravan,1,0.000000,0.000000,0.000000,0.000000"
    );
    assert_eq!(row("2018-12", "wall"), "2018-12,all,wall,0,,,,");
    assert_eq!(
        row("2019-01", "unused"),
        "2019-01,all,unused,1,0.000000,0.000000,0.000000,0.000000"
    );
    let md = std::fs::read_to_string(from_db.join("narratives.md")).unwrap();
    assert!(md.contains("| wall | The wall | 2 |"), "{md}");
    for f in [
        "narratives_over_time.svg",
        "narrative_wall.png",
        "narratives.html",
    ] {
        assert!(from_db.join(f).is_file(), "{f}");
    }
    // grouped by source, and only some narratives, in the order asked
    let grouped = d.path().join("t-g");
    let o = framelens([
        "trends".as_ref(),
        "--reports".as_ref(),
        r1.as_os_str(),
        "--narratives".as_ref(),
        "--narrative-ids".as_ref(),
        "caravan,wall".as_ref(),
        "--group".as_ref(),
        "source".as_ref(),
        "--out".as_ref(),
        grouped.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(grouped.join("narratives-overall.csv")).unwrap();
    assert!(
        csv.lines()
            .nth(1)
            .unwrap()
            .starts_with("2018-10,all,caravan,"),
        "{csv}"
    );
    assert!(!csv.contains(",unused,"));
    assert!(grouped.join("narratives_by_group.svg").is_file());
    // documents classified without --narratives are not counted as carrying none
    let plain = d.path().join("plain");
    let o = classify(&input, &plain, &["--no-docs".as_ref()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = framelens([
        "trends".as_ref(),
        "--reports".as_ref(),
        plain.as_os_str(),
        "--narratives".as_ref(),
        "--out".as_ref(),
        d.path().join("t-plain").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("classify them with --narratives"),
        "{}",
        stderr(&o)
    );
}
