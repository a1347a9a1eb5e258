//! Issue 12: `framelens suggest` picks what to code next.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{default_model, framelens, read_jsonl, root, stderr, LABELS};

type Key = (String, u64);

/// A pool of the first 40 corpus articles, and the default model's paragraph scores for it
/// (from `classify`, rounded to 4 decimals).
struct Fixture {
    _dir: tempfile::TempDir,
    pool: PathBuf,
    scores: BTreeMap<Key, Vec<f64>>,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let pool = dir.path().join("pool.jsonl");
    let text = std::fs::read_to_string(root().join("corpus/articles.jsonl")).unwrap();
    let lines: Vec<&str> = text.lines().take(40).collect();
    std::fs::write(&pool, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("classified");
    let o = framelens([
        "classify".as_ref(),
        pool.as_os_str(),
        "--no-docs".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut scores = BTreeMap::new();
    for d in read_jsonl(&out.join("documents.jsonl")) {
        for p in d["paragraphs"].as_array().unwrap() {
            let s: Vec<f64> = LABELS
                .iter()
                .map(|l| p["scores"][l].as_f64().unwrap())
                .collect();
            scores.insert(
                (
                    d["id"].as_str().unwrap().to_string(),
                    p["index"].as_u64().unwrap(),
                ),
                s,
            );
        }
    }
    Fixture {
        _dir: dir,
        pool,
        scores,
    }
}

fn suggest(f: &Fixture, out: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args: Vec<std::ffi::OsString> = vec![
        "suggest".into(),
        "--quiet".into(),
        "--pool".into(),
        f.pool.clone().into(),
        "--out".into(),
        out.into(),
    ];
    args.extend(extra.iter().map(Into::into));
    let o = framelens(&args);
    assert!(o.status.success(), "{extra:?}: {}", stderr(&o));
    read_jsonl(&out.join("to-code.jsonl"))
}

fn key(v: &Value) -> Key {
    (
        v["id"].as_str().unwrap().to_string(),
        v["para"].as_u64().unwrap(),
    )
}

/// The picks are exactly the top of the pool by the strategy's score: every pick scores at
/// least as well as every paragraph left out (up to the 4-decimal rounding of the reports).
fn assert_top(f: &Fixture, picks: &[Value], score: impl Fn(&[f64]) -> f64, what: &str) {
    let chosen: BTreeSet<Key> = picks.iter().map(key).collect();
    assert_eq!(
        chosen.len(),
        picks.len(),
        "{what}: a paragraph picked twice"
    );
    let worst_pick = chosen
        .iter()
        .map(|k| score(&f.scores[k]))
        .fold(f64::INFINITY, f64::min);
    let best_left = f
        .scores
        .iter()
        .filter(|(k, _)| !chosen.contains(*k))
        .map(|(_, s)| score(s))
        .fold(f64::NEG_INFINITY, f64::max);
    assert!(
        worst_pick >= best_left - 2e-4,
        "{what}: a paragraph scoring {best_left} was left for one scoring {worst_pick}"
    );
}

fn entropy(p: &[f64]) -> f64 {
    -p.iter()
        .filter(|&&x| x > 0.0)
        .map(|x| x * x.ln())
        .sum::<f64>()
}

fn neg_margin(p: &[f64]) -> f64 {
    let mut s = p.to_vec();
    s.sort_by(|a, b| b.total_cmp(a));
    -(s[0] - s[1])
}

#[test]
fn each_strategy_picks_the_documented_items() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let many = ["--n", "25", "--per-article", "1000"];
    let run = |name: &str, strategy: &str| {
        let mut a = many.to_vec();
        a.extend(["--strategy", strategy]);
        suggest(&f, &tmp.path().join(name), &a)
    };
    let picks = run("entropy", "entropy");
    assert_eq!(picks.len(), 25);
    assert_top(&f, &picks, entropy, "entropy");
    assert_top(&f, &run("margin", "margin"), neg_margin, "margin");
    for (i, frame) in LABELS.iter().enumerate().take(4) {
        let picks = run(frame, &format!("label:{frame}"));
        assert_top(&f, &picks, |p| p[i], frame);
        assert!(picks
            .iter()
            .all(|p| p["strategy"] == format!("label:{frame}")));
    }
    // random: seeded, repeatable, not the pool order, and changed by the seed
    let r1 = run("r1", "random");
    let r2 = run("r2", "random");
    assert_eq!(r1, r2);
    let mut other = many.to_vec();
    other.extend(["--strategy", "random", "--seed", "7"]);
    let r3 = suggest(&f, &tmp.path().join("r3"), &other);
    assert_ne!(
        r1.iter().map(key).collect::<BTreeSet<_>>(),
        r3.iter().map(key).collect::<BTreeSet<_>>()
    );
    let first25: BTreeSet<Key> = f.scores.keys().take(25).cloned().collect();
    assert_ne!(r1.iter().map(key).collect::<BTreeSet<_>>(), first25);
}

#[test]
fn mix_per_article_and_exclusions_are_honoured() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let picks = suggest(
        &f,
        &tmp.path().join("mix"),
        &[
            "--n",
            "30",
            "--per-article",
            "2",
            "--mix",
            "margin=0.6,label:security=0.2,random=0.2",
        ],
    );
    assert_eq!(picks.len(), 30);
    let mut by_strategy: HashMap<&str, usize> = HashMap::new();
    let mut by_article: HashMap<&str, usize> = HashMap::new();
    for p in &picks {
        *by_strategy
            .entry(p["strategy"].as_str().unwrap())
            .or_default() += 1;
        *by_article.entry(p["id"].as_str().unwrap()).or_default() += 1;
    }
    assert_eq!(by_strategy["margin"], 18);
    assert_eq!(by_strategy["label:security"], 6);
    assert_eq!(by_strategy["random"], 6);
    assert!(by_article.values().all(|&n| n <= 2), "{by_article:?}");
    assert_eq!(
        picks.iter().map(key).collect::<BTreeSet<_>>().len(),
        30,
        "no paragraph twice"
    );

    // exclude the first ten margin picks (as coded labels) and one whole article
    let margin = suggest(
        &f,
        &tmp.path().join("m1"),
        &["--n", "20", "--strategy", "margin", "--per-article", "1000"],
    );
    let coded = tmp.path().join("coded.jsonl");
    let rows: Vec<String> = margin[..10]
        .iter()
        .map(|p| json!({"id": p["id"], "para": p["para"], "frame": "none"}).to_string())
        .collect();
    std::fs::write(&coded, rows.join("\n") + "\n").unwrap();
    let banned = margin[12]["id"].as_str().unwrap().to_string();
    let list = tmp.path().join("reserved.txt");
    std::fs::write(&list, format!("# kept for evaluation\n{banned}\n")).unwrap();
    let again = suggest(
        &f,
        &tmp.path().join("m2"),
        &[
            "--n",
            "20",
            "--strategy",
            "margin",
            "--per-article",
            "1000",
            "--exclude-labels",
            coded.to_str().unwrap(),
            "--exclude-articles",
            list.to_str().unwrap(),
        ],
    );
    let excluded: BTreeSet<Key> = margin[..10].iter().map(key).collect();
    assert!(again.iter().all(|p| !excluded.contains(&key(p))));
    assert!(again.iter().all(|p| p["id"] != banned.as_str()));
    // what was 11th and 12th now comes first
    assert_eq!(key(&again[0]), key(&margin[10]));
    assert_eq!(key(&again[1]), key(&margin[11]));
}

#[test]
fn outputs_parse_and_coded_files_go_back_into_train_and_eval() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("to-code");
    let picks = suggest(&f, &out, &["--n", "60", "--strategy", "entropy"]);
    for p in &picks {
        for field in [
            "id",
            "para",
            "text",
            "title",
            "suggested",
            "scores",
            "strategy",
        ] {
            assert!(!p[field].is_null(), "{field} in {p}");
        }
        assert!(p["context"].get("previous").is_some() && p["context"].get("next").is_some());
        assert!(LABELS.contains(&p["suggested"].as_str().unwrap()));
        let sum: f64 = LABELS
            .iter()
            .map(|l| p["scores"][l].as_f64().unwrap())
            .sum();
        assert!((sum - 1.0).abs() < 1e-3);
    }
    // coders fill in `frame` (here: cycling through the labels so every label has examples)
    let coded_jsonl = tmp.path().join("coded.jsonl");
    let rows: Vec<String> = picks
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut p = p.clone();
            p["frame"] = json!(LABELS[i % 5]);
            p.to_string()
        })
        .collect();
    std::fs::write(&coded_jsonl, rows.join("\n") + "\n").unwrap();
    let model = tmp.path().join("model");
    let o = framelens([
        "train".as_ref(),
        "--quiet".as_ref(),
        "--labels".as_ref(),
        coded_jsonl.as_os_str(),
        "--articles".as_ref(),
        f.pool.as_os_str(),
        "--out".as_ref(),
        model.as_os_str(),
    ]);
    assert!(o.status.success(), "train: {}", stderr(&o));
    assert!(model.join("manifest.json").is_file());

    // the CSV, with the frame column filled in
    let mut rdr = csv::Reader::from_path(out.join("to-code.csv")).unwrap();
    let header: Vec<String> = rdr.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        &header[..5],
        ["id", "para", "frame", "suggested", "strategy"]
    );
    let recs: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), picks.len());
    let coded_csv = tmp.path().join("coded.csv");
    let mut w = csv::Writer::from_path(&coded_csv).unwrap();
    w.write_record(&header).unwrap();
    for r in &recs {
        let mut r: Vec<String> = r.iter().map(String::from).collect();
        assert!(r[2].is_empty(), "the frame column starts empty");
        r[2] = r[3].clone();
        w.write_record(&r).unwrap();
    }
    w.flush().unwrap();

    // Label Studio: the import tasks, annotated as an export would be
    let tasks: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(out.join("label-studio.json")).unwrap())
            .unwrap();
    assert_eq!(tasks.len(), picks.len());
    let exported: Vec<Value> = tasks
        .iter()
        .map(|t| {
            let pred = &t["predictions"][0];
            assert!(pred["score"].as_f64().unwrap() > 0.0);
            let mut t = t.clone();
            t["annotations"] = json!([{"result": pred["result"].clone()}]);
            t
        })
        .collect();
    let coded_ls = tmp.path().join("label-studio-export.json");
    std::fs::write(&coded_ls, serde_json::to_string(&exported).unwrap()).unwrap();
    for (name, file) in [("csv", &coded_csv), ("label studio", &coded_ls)] {
        let o = framelens([
            "eval".as_ref(),
            "--quiet".as_ref(),
            "--bootstrap".as_ref(),
            "0".as_ref(),
            "--model".as_ref(),
            default_model().as_os_str(),
            "--labels".as_ref(),
            file.as_os_str(),
            "--articles".as_ref(),
            f.pool.as_os_str(),
            "--out".as_ref(),
            tmp.path().join(name).as_os_str(),
        ]);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        let m: Value = serde_json::from_str(
            &std::fs::read_to_string(tmp.path().join(name).join("metrics.json")).unwrap(),
        )
        .unwrap();
        // the coders agreed with every suggestion: accuracy 1
        assert_eq!(
            m["paragraph"]["n"].as_u64(),
            Some(picks.len() as u64),
            "{name}"
        );
        assert_eq!(m["paragraph"]["accuracy"].as_f64(), Some(1.0), "{name}");
    }
}

#[test]
fn bad_inputs_name_the_flag_or_the_file_and_line() {
    let f = fixture();
    let tmp = tempfile::tempdir().unwrap();
    let labels = tmp.path().join("labels.jsonl");
    std::fs::write(
        &labels,
        "{\"id\":\"a\",\"para\":0,\"frame\":\"none\",\"text\":\"Hello there.\"}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let pool = f.pool.to_str().unwrap();
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["--pool", pool, "--strategy", "loudest"],
            "--strategy \"loudest\": unknown strategy".into(),
        ),
        (
            vec!["--pool", pool, "--strategy", "label:sports"],
            "--strategy \"label:sports\"".into(),
        ),
        (
            vec!["--pool", pool, "--mix", "margin=0.5,random=0.3"],
            "--mix \"margin=0.5,random=0.3\": shares sum to 0.8".into(),
        ),
        (
            vec!["--pool", pool, "--per-article", "0"],
            "--per-article".into(),
        ),
        (vec!["--pool", pool, "--n", "0"], "--n".into()),
        (
            vec!["--pool", labels.to_str().unwrap()],
            format!("{}:1: a paragraph label", labels.display()),
        ),
        (
            vec!["--pool", "no/such/pool.jsonl"],
            "no/such/pool.jsonl".into(),
        ),
        (
            vec!["--pool", pool, "--exclude-labels", "no/such/labels"],
            "no/such/labels".into(),
        ),
    ];
    for (args, needle) in cases {
        let mut a = vec!["suggest", "--out", out.to_str().unwrap()];
        a.extend(&args);
        let o = framelens(&a);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains(&needle), "{args:?}: {}", stderr(&o));
    }
    assert!(
        !out.join("to-code.jsonl").exists(),
        "nothing written on error"
    );
}
