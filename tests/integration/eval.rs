//! Issue 4: `framelens eval` and `framelens cv` — label formats, metrics recomputed
//! independently from the predictions, grouped folds, and the shared labels.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::util::{default_model, framelens, read_jsonl, root, shared, stderr, LABELS};

fn write_jsonl(p: &Path, rows: &[Value]) {
    let mut s = String::new();
    for r in rows {
        s.push_str(&r.to_string());
        s.push('\n');
    }
    std::fs::write(p, s).unwrap();
}

/// A corpus-layout fixture from the first articles of `corpus/` whose index passes `keep`.
struct Fixture {
    dir: PathBuf,
    articles: Vec<Value>,
    paragraphs: Vec<Value>,
    documents: Vec<Value>,
}

fn fixture(dir: &Path, keep: impl Fn(usize, &Value) -> bool) -> Fixture {
    let corpus = root().join("corpus");
    let articles: Vec<Value> = read_jsonl(&corpus.join("articles.jsonl"))
        .into_iter()
        .enumerate()
        .filter(|(i, a)| keep(*i, a))
        .map(|(_, a)| a)
        .collect();
    let ids: BTreeSet<String> = articles
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect();
    let pick = |name: &str| -> Vec<Value> {
        read_jsonl(&corpus.join("labels").join(name))
            .into_iter()
            .filter(|r| ids.contains(r["id"].as_str().unwrap()))
            .collect()
    };
    let (paragraphs, documents) = (pick("paragraphs.jsonl"), pick("documents.jsonl"));
    std::fs::create_dir_all(dir.join("labels")).unwrap();
    write_jsonl(&dir.join("articles.jsonl"), &articles);
    write_jsonl(&dir.join("labels").join("paragraphs.jsonl"), &paragraphs);
    write_jsonl(&dir.join("labels").join("documents.jsonl"), &documents);
    Fixture {
        dir: dir.to_path_buf(),
        articles,
        paragraphs,
        documents,
    }
}

fn paras(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

fn metrics(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("metrics.json")).unwrap()).unwrap()
}

/// Recompute accuracy, per-label F1 and the confusion matrix from `predictions.jsonl` and
/// compare them with `metrics.json`.
fn check_against_predictions(out: &Path) {
    let m = metrics(out);
    let preds = read_jsonl(&out.join("predictions.jsonl"));
    let mut cm = [[0u64; 5]; 5];
    for d in &preds {
        for p in d["paragraphs"].as_array().unwrap() {
            let Some(g) = p["gold"].as_str() else {
                continue;
            };
            let probs: Vec<f64> = p["probs"]
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect();
            let pred = p["predicted"].as_str().unwrap();
            // the predicted label is the most probable one (probabilities are rounded)
            let best = probs.iter().cloned().fold(f64::MIN, f64::max);
            let pi = LABELS.iter().position(|l| *l == pred).unwrap();
            assert!(probs[pi] >= best - 1e-4, "{p}");
            cm[LABELS.iter().position(|l| *l == g).unwrap()][pi] += 1;
        }
    }
    let n: u64 = cm.iter().flatten().sum();
    assert_eq!(m["paragraph"]["n"], n);
    let got: Vec<Vec<u64>> = serde_json::from_value(m["paragraph"]["confusion"].clone()).unwrap();
    assert_eq!(got, cm.iter().map(|r| r.to_vec()).collect::<Vec<_>>());
    if n == 0 {
        assert!(m["paragraph"]["accuracy"].is_null());
        assert!(m["paragraph"]["macro_f1_frames"].is_null());
        return;
    }
    let correct: u64 = (0..5).map(|i| cm[i][i]).sum();
    let acc = m["paragraph"]["accuracy"].as_f64().unwrap();
    assert!((acc - correct as f64 / n as f64).abs() < 1e-12);
    let mut f1s = Vec::new();
    for (i, l) in LABELS.iter().enumerate() {
        let tp = cm[i][i] as f64;
        let support: u64 = cm[i].iter().sum();
        let predicted: u64 = cm.iter().map(|r| r[i]).sum();
        let pl = &m["paragraph"]["per_label"][i];
        assert_eq!(pl["label"], *l);
        assert_eq!(pl["support"], support);
        if support + predicted > 0 {
            let f1 = 2.0 * tp / (support + predicted) as f64;
            assert!((pl["f1"].as_f64().unwrap() - f1).abs() < 1e-12, "{l}");
            if i < 4 {
                f1s.push(f1);
            }
        } else {
            assert!(pl["f1"].is_null());
        }
    }
    let macro_f1 = f1s.iter().sum::<f64>() / f1s.len() as f64;
    assert!((m["paragraph"]["macro_f1_frames"].as_f64().unwrap() - macro_f1).abs() < 1e-12);
    let iv = &m["paragraph"]["intervals"]["macro_f1_frames"];
    if !iv.is_null() {
        let (lo, hi) = (iv["lo"].as_f64().unwrap(), iv["hi"].as_f64().unwrap());
        assert!(lo <= hi && (0.0..=1.0).contains(&lo) && (0.0..=1.0).contains(&hi));
    }
}

#[test]
fn cv_grouped_by_source_keeps_each_source_in_one_fold() {
    let tmp = tempfile::tempdir().unwrap();
    // 30 articles from the corpus; sources vary across them
    let fx = fixture(&tmp.path().join("fx"), |i, _| i % 10 == 0 || i % 10 == 1);
    let extra = fixture(&tmp.path().join("extra"), |i, _| i % 10 == 5);
    let out = tmp.path().join("cv");
    let o = framelens([
        "cv".as_ref(),
        "--labels".as_ref(),
        fx.dir.as_os_str(),
        "--extra-train".as_ref(),
        extra.dir.as_os_str(),
        "--folds".as_ref(),
        "2".as_ref(),
        "--group-by".as_ref(),
        "source".as_ref(),
        "--max-iterations".as_ref(),
        "15".as_ref(),
        "--bootstrap".as_ref(),
        "50".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("macro_f1_frames\t"), "{stdout}");
    for f in [
        "metrics.json",
        "report.md",
        "confusion.svg",
        "reliability.svg",
        "predictions.jsonl",
        "folds.csv",
    ] {
        assert!(out.join(f).exists(), "{f} missing");
    }
    // folds.csv: every labeled document once, each source in one fold, extra docs "train"
    let folds = std::fs::read_to_string(out.join("folds.csv")).unwrap();
    let mut lines = folds.lines();
    assert_eq!(lines.next(), Some("id,group,fold"));
    let source_of: BTreeMap<String, String> = fx
        .articles
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                a["source"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut fold_of_source: BTreeMap<String, String> = BTreeMap::new();
    let mut fold_of_doc: BTreeMap<String, String> = BTreeMap::new();
    let mut train_only = 0;
    for l in lines {
        let cols: Vec<&str> = l.split(',').collect();
        if cols[2] == "train" {
            train_only += 1;
            continue;
        }
        assert_eq!(source_of[cols[0]], cols[1], "group is the source");
        let prev = fold_of_source
            .entry(cols[1].to_string())
            .or_insert(cols[2].to_string());
        assert_eq!(prev, cols[2], "source {} split across folds", cols[1]);
        fold_of_doc.insert(cols[0].to_string(), cols[2].to_string());
    }
    assert_eq!(fold_of_doc.len(), fx.articles.len());
    assert_eq!(train_only, extra.articles.len());
    let used: BTreeSet<&String> = fold_of_doc.values().collect();
    assert_eq!(used.len(), 2);
    // every held-out prediction is from the fold that held it out; no extra doc is tested
    let preds = read_jsonl(&out.join("predictions.jsonl"));
    assert_eq!(preds.len(), fx.articles.len());
    for p in &preds {
        let id = p["id"].as_str().unwrap();
        assert_eq!(p["fold"].to_string(), fold_of_doc[id], "{id}");
    }
    let m = metrics(&out);
    assert_eq!(m["tool"], "framelens");
    assert_eq!(m["setup"]["folds"]["group_by"], "source");
    assert_eq!(m["by_fold"].as_array().unwrap().len(), 2);
    assert_eq!(m["document"]["n"], fx.documents.len());
    let labeled = fx.paragraphs.len() as u64;
    assert_eq!(m["paragraph"]["n"], labeled);
    check_against_predictions(&out);
}

/// The same labels written in every supported format give the same evaluation.
#[test]
fn eval_reads_every_label_format_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixture(&tmp.path().join("fx"), |i, _| i % 50 == 3);
    let arts = fx.dir.join("articles.jsonl");
    let texts: BTreeMap<String, Vec<String>> = fx
        .articles
        .iter()
        .map(|a| {
            (
                a["id"].as_str().unwrap().to_string(),
                paras(a["text"].as_str().unwrap()),
            )
        })
        .collect();
    let d = tmp.path();
    // CSV
    let mut pc = String::from("id,para,frame\n");
    for r in &fx.paragraphs {
        pc.push_str(&format!(
            "{},{},{}\n",
            r["id"].as_str().unwrap(),
            r["para"],
            r["frame"].as_str().unwrap()
        ));
    }
    std::fs::write(d.join("p.csv"), pc).unwrap();
    let mut dc = String::from("id,primary,present\n");
    for r in &fx.documents {
        let present: Vec<&str> = r["present"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        dc.push_str(&format!(
            "{},{},\"{}\"\n",
            r["id"].as_str().unwrap(),
            r["primary"].as_str().unwrap(),
            present.join(";")
        ));
    }
    std::fs::write(d.join("d.csv"), dc).unwrap();
    // Label Studio full export (plus one unannotated and one cancelled task, both skipped)
    let choice = |name: &str, labels: Vec<String>| json!({"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": labels}});
    let cap = |s: &str| {
        let mut c = s.chars();
        c.next().unwrap().to_uppercase().collect::<String>() + c.as_str()
    };
    let mut ls = Vec::new();
    for (k, r) in fx.paragraphs.iter().enumerate() {
        let id = r["id"].as_str().unwrap();
        let p = r["para"].as_u64().unwrap() as usize;
        ls.push(json!({"id": k, "data": {"doc_id": id, "para": p, "text": texts[id][p]},
            "annotations": [{"was_cancelled": false, "result": [choice("frame", vec![cap(r["frame"].as_str().unwrap())])]}]}));
    }
    for r in &fx.documents {
        let id = r["id"].as_str().unwrap();
        let present: Vec<String> = r["present"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap().to_string())
            .collect();
        ls.push(json!({"id": 9000, "data": {"doc_id": id, "text": texts[id].join("\n")},
            "annotations": [{"result": [choice("primary", vec![r["primary"].as_str().unwrap().to_string()]), choice("present", present)]}]}));
    }
    ls.push(json!({"id": 9998, "data": {"doc_id": "unlabeled", "para": 0, "text": "x"}, "annotations": []}));
    ls.push(json!({"id": 9999, "data": {"doc_id": "unlabeled", "para": 1, "text": "y"},
        "annotations": [{"was_cancelled": true, "result": [choice("frame", vec!["none".into()])]}]}));
    std::fs::write(
        d.join("ls.json"),
        serde_json::to_string_pretty(&Value::Array(ls)).unwrap(),
    )
    .unwrap();
    // doccano JSONL: paragraph rows with doc_id/para metadata, document rows with primary
    let mut dn = Vec::new();
    for (k, r) in fx.paragraphs.iter().enumerate() {
        let id = r["id"].as_str().unwrap();
        let p = r["para"].as_u64().unwrap() as usize;
        dn.push(
            json!({"id": k, "text": texts[id][p], "label": [r["frame"]], "doc_id": id, "para": p}),
        );
    }
    for r in &fx.documents {
        let id = r["id"].as_str().unwrap();
        dn.push(json!({"id": 5000, "text": "…", "label": r["present"], "doc_id": id, "primary": r["primary"]}));
    }
    write_jsonl(&d.join("doccano.jsonl"), &dn);

    let run = |name: &str, labels: &[PathBuf], articles: Option<&Path>| -> Value {
        let out = d.join(name);
        let mut args: Vec<std::ffi::OsString> =
            vec!["eval".into(), "--model".into(), default_model().into()];
        for l in labels {
            args.push("--labels".into());
            args.push(l.into());
        }
        if let Some(a) = articles {
            args.push("--articles".into());
            args.push(a.into());
        }
        args.extend([
            "--bootstrap".into(),
            "100".into(),
            "--quiet".into(),
            "--out".into(),
            out.clone().into(),
        ]);
        let o = framelens(&args);
        assert!(o.status.success(), "{name}: {}", stderr(&o));
        check_against_predictions(&out);
        let m = metrics(&out);
        json!({"paragraph": m["paragraph"], "document": m["document"], "calibration": m["calibration"]})
    };
    let base = run("corpus", std::slice::from_ref(&fx.dir), None);
    assert_eq!(base["paragraph"]["n"], fx.paragraphs.len());
    assert_eq!(base["document"]["n"], fx.documents.len());
    let csv = run("csv", &[d.join("p.csv"), d.join("d.csv")], Some(&arts));
    assert_eq!(csv, base, "CSV");
    let ls = run("ls", &[d.join("ls.json")], Some(&arts));
    assert_eq!(ls, base, "Label Studio");
    let dn = run("doccano", &[d.join("doccano.jsonl")], Some(&arts));
    assert_eq!(dn, base, "doccano");
    // document labels alone (joined to articles) give the same document metrics
    let docs_only = run(
        "docs-only",
        &[fx.dir.join("labels").join("documents.jsonl")],
        Some(&arts),
    );
    assert_eq!(
        docs_only["document"]["dominant_accuracy"],
        base["document"]["dominant_accuracy"]
    );
    assert_eq!(docs_only["paragraph"]["n"], 0);
    assert!(docs_only["paragraph"]["macro_f1_frames"].is_null());
}

#[test]
fn bad_labels_are_errors_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let fx = fixture(&tmp.path().join("fx"), |i, _| i == 0);
    let arts = fx.dir.join("articles.jsonl");
    let id = fx.articles[0]["id"].as_str().unwrap();
    let cases = [
        (
            "unknown.jsonl",
            format!("{{\"id\":\"{id}\",\"para\":0,\"frame\":\"none\"}}\n{{\"id\":\"{id}\",\"para\":1,\"frame\":\"crime\"}}\n"),
            ":2:",
            "unknown label",
        ),
        (
            "missing.jsonl",
            format!("{{\"id\":\"{id}\",\"para\":0,\"frame\":\"none\"}}\n\n{{\"id\":\"nope\",\"para\":0,\"frame\":\"none\"}}\n"),
            ":3:",
            "nope",
        ),
        (
            "dup.csv",
            format!("id,para,frame\n{id},0,none\n{id},1,economic\n{id},0,economic\n"),
            ":4:",
            "duplicate",
        ),
        (
            "dupdoc.jsonl",
            format!("{{\"id\":\"{id}\",\"primary\":\"none\",\"present\":[]}}\n{{\"id\":\"{id}\",\"primary\":\"economic\",\"present\":[\"economic\"]}}\n"),
            ":2:",
            "duplicate",
        ),
        (
            "ls.json",
            format!("[\n  {{\"data\": {{\"doc_id\": \"{id}\", \"para\": 0}},\n    \"annotations\": [{{\"result\": [{{\"from_name\": \"frame\", \"value\": {{\"choices\": [\"Crime\"]}}}}]}}]}}\n]\n"),
            ":2:",
            "unknown label",
        ),
    ];
    for (name, body, line, what) in cases {
        let p = tmp.path().join(name);
        std::fs::write(&p, body).unwrap();
        let o = framelens([
            "eval".as_ref(),
            "--labels".as_ref(),
            p.as_os_str(),
            "--articles".as_ref(),
            arts.as_os_str(),
            "--out".as_ref(),
            tmp.path().join("out").as_os_str(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let e = stderr(&o);
        assert!(e.contains(&format!("{name}{line}")), "{name}: {e}");
        assert!(e.contains(what), "{name}: {e}");
    }
    // a document label for an article that is nowhere
    let p = tmp.path().join("ghost.jsonl");
    std::fs::write(
        &p,
        "{\"id\":\"ghost\",\"primary\":\"none\",\"present\":[]}\n",
    )
    .unwrap();
    let o = framelens([
        "eval".as_ref(),
        "--labels".as_ref(),
        p.as_os_str(),
        "--out".as_ref(),
        tmp.path().join("out").as_os_str(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("ghost.jsonl:1:"), "{}", stderr(&o));
}

/// The default model (trained on corpus/ only) on the shared hand-coded coverage.
#[test]
fn eval_default_model_on_shared_labels() {
    let Some(shared) = shared() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("shared");
    let labels = shared.join("data").join("labels");
    let articles = shared.join("data").join("allsides-immigration.jsonl");
    let o = framelens([
        "eval".as_ref(),
        "--labels".as_ref(),
        labels.as_os_str(),
        "--articles".as_ref(),
        articles.as_os_str(),
        "--bootstrap".as_ref(),
        "200".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let m = metrics(&out);
    assert_eq!(m["n_documents"], 270);
    assert_eq!(m["paragraph"]["n"], 5489);
    assert_eq!(m["document"]["n"], 270);
    assert_eq!(m["by_sample"]["random"]["n_documents"], 189);
    assert_eq!(m["by_sample"]["random"]["document"]["n"], 189);
    let support: Vec<u64> = (0..5)
        .map(|i| m["paragraph"]["per_label"][i]["support"].as_u64().unwrap())
        .collect();
    assert_eq!(support, vec![499, 487, 296, 1599, 2608]);
    for k in ["macro_f1_frames", "accuracy", "krippendorff_alpha"] {
        let v = m["paragraph"][k].as_f64().unwrap();
        assert!((-1.0..=1.0).contains(&v), "{k} = {v}");
    }
    check_against_predictions(&out);
}
