//! Issue 13: the frame set is data carried by the model (a codebook), not code.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::util::{default_model, documents, framelens, root, shared, stderr};

fn sha256(p: &Path) -> String {
    framelens::hash::sha256_hex(
        &std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())),
    )
}

fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}

fn run(args: &[&std::ffi::OsStr]) -> std::process::Output {
    let o = framelens(args);
    assert!(
        o.status.success(),
        "framelens {:?} failed: {}",
        args,
        stderr(&o)
    );
    o
}

macro_rules! args {
    ($($a:expr),* $(,)?) => { &[$(AsRef::<std::ffi::OsStr>::as_ref(&$a)),*] };
}

/// SHA-256 of documents.jsonl and summary.csv written by framelens at commit 6eb8c57 (before
/// codebooks) with the format-1 default model, kept in `tests/fixtures/model-v1`. The
/// documents.jsonl hashes were renewed at issue 16, whose only change to that file is the
/// `terms` (content words only: no stopwords, numbers or punctuation); the summary.csv hashes
/// (every share and dominant frame) are still those of 6eb8c57.
const SAMPLES_GOLDEN: [&str; 2] = [
    "6ef9000e0dd8f1520ba5a678f906cbaf6db980f8483bc819657026c961967876",
    "1ea32fcae313fd8a53abbac7fbc89e9725f4c5ef3804bf9e92be81cc6ac9fb47",
];
const ALLSIDES_GOLDEN: [&str; 2] = [
    "d561d3f9bba6dfa2460916261541ca5323142116d6d7798a9b9c6933d2863941",
    "87cf343fef3f75208c7dc91447ab59ee57e572a67fed9de2cd771629f7e2a643",
];

fn classify_hashes(model: &Path, input: &Path, out: &Path, docs: bool) -> [String; 2] {
    let mut a: Vec<&std::ffi::OsStr> = vec![
        "classify".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ];
    if docs {
        a.push("--docs".as_ref());
        a.push("md".as_ref());
    }
    run(&a);
    [
        sha256(&out.join("documents.jsonl")),
        sha256(&out.join("summary.csv")),
    ]
}

#[test]
fn issue_13_default_model_scores_exactly_as_before_codebooks() {
    let d = tempfile::tempdir().unwrap();
    let v1 = fixtures().join("model-v1");
    // The v1 weights with the default model's codebook attached (format 2): what the
    // codebook change made of the default model before it was retrained on more labels.
    let v2 = d.path().join("model-v2");
    let o = run(args![
        "codebook",
        "attach",
        "--model",
        &v1,
        "--codebook",
        default_model().join("codebook.toml"),
        "--out",
        &v2
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let samples = root().join("corpus").join("samples");
    for (name, model) in [("v1", &v1), ("v1 with the codebook", &v2)] {
        let h = classify_hashes(model, &samples, &d.path().join(format!("s-{name}")), true);
        assert_eq!(h, SAMPLES_GOLDEN, "corpus/samples with {name}");
    }
    // the current default model is format 2 or later and carries the migration codebook
    let man: Value =
        serde_json::from_slice(&std::fs::read(default_model().join("manifest.json")).unwrap())
            .unwrap();
    assert!(man["format_version"].as_u64().unwrap() >= 2, "{man}");
    assert!(man["codebook_sha256"].is_string(), "{man}");
    let o = run(args!["codebook", "show", "--model", default_model()]);
    let shown = String::from_utf8_lossy(&o.stdout);
    for l in crate::util::LABELS {
        assert!(shown.contains(&format!(". {l}")), "{shown}");
    }
    let Some(shared) = shared() else { return };
    let allsides = shared.join("data").join("allsides-immigration.jsonl");
    if !allsides.is_file() {
        eprintln!("skipped: {} is not present", allsides.display());
        return;
    }
    for (name, model) in [("v1", &v1), ("v1 with the codebook", &v2)] {
        let h = classify_hashes(model, &allsides, &d.path().join(format!("a-{name}")), false);
        assert_eq!(h, ALLSIDES_GOLDEN, "AllSides with {name}");
    }
}

/// SHA-256 of trends.csv, trends-overall.csv, trends.md and excluded.csv written by framelens
/// at commit 6eb8c57 from `tests/fixtures/schema1.db` (then at /work/goldens/schema1.db).
const TRENDS_MONTH_SOURCE: [&str; 4] = [
    "5b4a5c8a0bcdce13939b837d83a3eca9b668a18a6e7c42a84737299847bbdc66",
    "74d85bb0969d2ce34185965b35a9be05c9c0d1eb8e26cb6510edc0e9f5641099",
    "403805aa261455ed60d4cafe09660fa3ce3a45a5b4f15cceacd67ce446033f20",
    "fd1b9f526205816067e50c439f04129d5170706e1735ea20bb156d91da5f2565",
];
const TRENDS_QUARTER: [&str; 3] = [
    "12be17011baa0b7ba1580d58b6a1223d0323cfeff57bc35d94360076e007395d",
    "a5100d9dc9e6a54deaddd665c457237cb0a4a2f0dd0b38df881dc94e35e02636",
    "fd1b9f526205816067e50c439f04129d5170706e1735ea20bb156d91da5f2565",
];

#[test]
fn issue_13_schema_1_database_migrates_in_place_with_identical_trends() {
    let d = tempfile::tempdir().unwrap();
    let db = d.path().join("schema1.db");
    std::fs::copy(fixtures().join("schema1.db"), &db).unwrap();
    // trends.md names the database: the goldens were made from this path
    let md_hash = |p: &Path| {
        let text = std::fs::read_to_string(p).unwrap();
        let text = text.replace(&db.display().to_string(), "/work/goldens/schema1.db");
        framelens::hash::sha256_hex(text.as_bytes())
    };
    let month = d.path().join("month");
    run(args![
        "trends", "--db", db, "--by", "month", "--group", "source", "--out", month, "--quiet"
    ]);
    assert_eq!(
        [
            sha256(&month.join("trends.csv")),
            sha256(&month.join("trends-overall.csv")),
            md_hash(&month.join("trends.md")),
            sha256(&month.join("excluded.csv")),
        ],
        TRENDS_MONTH_SOURCE
    );
    let quarter = d.path().join("quarter");
    run(args![
        "trends", "--db", db, "--by", "quarter", "--out", quarter, "--quiet"
    ]);
    assert_eq!(
        [
            sha256(&quarter.join("trends.csv")),
            md_hash(&quarter.join("trends.md")),
            sha256(&quarter.join("excluded.csv")),
        ],
        TRENDS_QUARTER
    );
    let s = framelens::store::Store::open(&db).unwrap();
    // migrated through schema 2 (codebooks) and 3 (narratives)
    assert_eq!(s.schema_version().unwrap(), 3);
    let m = &s.models().unwrap()[0];
    assert_eq!(
        s.codebook(&m.model_hash).unwrap(),
        framelens::Codebook::migration()
    );
}

// ---------------------------------------------------------------------------------------------
// Generated schemes: a 3-frame codebook without a none label, a 7-frame one with a none label.

/// A deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, v: &'a [String]) -> &'a str {
        &v[(self.next() % v.len() as u64) as usize]
    }
}

/// A scheme: label names (none label last when `none`), its codebook TOML and a corpus folder
/// (`articles.jsonl` + `labels/paragraphs.jsonl`) of generated text.
struct Scheme {
    names: Vec<String>,
    frames: Vec<String>,
    dir: PathBuf,
    codebook: PathBuf,
    articles: PathBuf,
}

fn scheme(root: &Path, name: &str, labels: &[&str], none: bool, docs: usize) -> Scheme {
    let dir = root.join(name);
    std::fs::create_dir_all(dir.join("labels")).unwrap();
    let names: Vec<String> = labels.iter().map(|s| s.to_string()).collect();
    let frames: Vec<String> = if none {
        names[..names.len() - 1].to_vec()
    } else {
        names.clone()
    };
    let mut toml = format!("scheme = \"{name}\"\nversion = \"1\"\n");
    if none {
        toml.push_str(&format!("none = \"{}\"\n", names.last().unwrap()));
    }
    for (i, n) in names.iter().enumerate() {
        toml.push_str(&format!(
            "\n[[labels]]\nname = \"{n}\"\ndescription = \"Passages about {n}.\"\n"
        ));
        if i == 0 {
            toml.push_str("colour = \"#112233\"\n");
        }
    }
    let codebook = dir.join("codebook.toml");
    std::fs::write(&codebook, toml).unwrap();
    // every label gets its own words; all share some filler
    let vocab: Vec<Vec<String>> = names
        .iter()
        .map(|n| {
            (0..8)
                .map(|k| format!("{n}{}", ["ka", "lo", "mi", "nu", "po", "ra", "si", "tu"][k]))
                .collect()
        })
        .collect();
    let filler: Vec<String> = ["the", "said", "today", "report", "city", "people"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15 ^ labels.len() as u64);
    let (mut arts, mut labs) = (String::new(), String::new());
    for d in 0..docs {
        let mut paras = Vec::new();
        for p in 0..4 {
            let l = (d + p * 3) % names.len();
            let mut words = Vec::new();
            for _ in 0..7 {
                words.push(rng.pick(&vocab[l]).to_string());
                if rng.next() % 3 == 0 {
                    words.push(rng.pick(&filler).to_string());
                }
            }
            paras.push(words.join(" ") + ".");
            labs.push_str(&format!(
                "{{\"id\":\"d{d:03}\",\"para\":{p},\"frame\":\"{}\"}}\n",
                names[l]
            ));
        }
        arts.push_str(
            &serde_json::json!({
                "id": format!("d{d:03}"),
                "title": format!("Story {d}"),
                "date": format!("2024-{:02}-{:02}", 1 + d % 4, 1 + d % 27),
                "source": if d % 2 == 0 { "Alpha" } else { "Beta" },
                "text": paras.join("\n"),
            })
            .to_string(),
        );
        arts.push('\n');
    }
    let articles = dir.join("articles.jsonl");
    std::fs::write(&articles, arts).unwrap();
    std::fs::write(dir.join("labels").join("paragraphs.jsonl"), labs).unwrap();
    Scheme {
        names,
        frames,
        dir,
        codebook,
        articles,
    }
}

fn keys(v: &Value) -> Vec<String> {
    v.as_object().unwrap().keys().cloned().collect()
}

/// Train, classify (with a database), eval, cv, trends from folders and from the database,
/// and a sharded run merged: every output keyed by the scheme's frames.
fn end_to_end(s: &Scheme, work: &Path) {
    let model = work.join("model");
    run(args![
        "train",
        "--codebook",
        s.codebook,
        "--labels",
        s.dir,
        "--out",
        model,
        "--quiet"
    ]);
    assert!(model.join("codebook.toml").is_file());
    let man: Value =
        serde_json::from_slice(&std::fs::read(model.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(man["format_version"], framelens::model::FORMAT_VERSION);
    assert!(man["codebook_sha256"].is_string());

    // classify
    let out = work.join("reports");
    let db = work.join("f.db");
    run(args![
        "classify", s.articles, "--model", model, "--out", out, "--db", db, "--quiet", "--docs",
        "md"
    ]);
    let docs = documents(&out);
    assert!(!docs.is_empty());
    let mut right = 0;
    for d in &docs {
        assert_eq!(keys(&d["shares"]), s.frames, "{d}");
        for p in d["paragraphs"].as_array().unwrap() {
            assert_eq!(keys(&p["scores"]), s.names);
            assert!(s.names.contains(&p["label"].as_str().unwrap().to_string()));
        }
        for k in keys(&d["evidence"]).iter().chain(&keys(&d["terms"])) {
            assert!(s.frames.contains(k), "{k}");
        }
        let dom = d["dominant"].as_str().unwrap().to_string();
        assert!(s.names.contains(&dom), "{dom}");
        // the generated paragraphs are easy: most documents get their labels right
        right += usize::from(d["present"].as_array().is_some_and(|p| !p.is_empty()));
    }
    assert!(right * 2 > docs.len());
    let csv = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let header = csv.lines().next().unwrap();
    assert_eq!(
        header,
        format!("id,date,source,{},dominant", s.frames.join(","))
    );
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    for f in &s.frames {
        assert!(md.contains(&format!("| {f} |")), "{md}");
    }
    assert!(out.join("codebook.toml").is_file());
    let doc_md = std::fs::read_to_string(out.join("docs").join("d000.md")).unwrap();
    assert!(doc_md.contains(&format!("| {} |", s.frames[0])), "{doc_md}");

    // eval (labels checked against the model's codebook)
    let ev = work.join("eval");
    run(args![
        "eval",
        "--model",
        model,
        "--labels",
        s.dir,
        "--out",
        ev,
        "--bootstrap",
        "50",
        "--quiet"
    ]);
    let m: Value =
        serde_json::from_slice(&std::fs::read(ev.join("metrics.json")).unwrap()).unwrap();
    let k = s.names.len();
    assert_eq!(m["labels"], serde_json::json!(s.names));
    let conf = m["paragraph"]["confusion"].as_array().unwrap();
    assert_eq!(conf.len(), k);
    assert!(conf.iter().all(|r| r.as_array().unwrap().len() == k));
    let per: Vec<&str> = m["paragraph"]["per_label"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["label"].as_str().unwrap())
        .collect();
    assert_eq!(per, s.names);
    assert!(
        m["paragraph"]["macro_f1_frames"].as_f64().unwrap() > 0.8,
        "{m}"
    );
    let rep = std::fs::read_to_string(ev.join("report.md")).unwrap();
    assert!(rep.contains(&format!("macro F1, {} frames", s.frames.len())));

    // cv, stratified
    let cv = work.join("cv");
    run(args![
        "cv",
        "--codebook",
        s.codebook,
        "--labels",
        s.dir,
        "--folds",
        "3",
        "--stratify",
        "--bootstrap",
        "0",
        "--out",
        cv,
        "--quiet"
    ]);
    let m: Value =
        serde_json::from_slice(&std::fs::read(cv.join("metrics.json")).unwrap()).unwrap();
    assert_eq!(m["by_fold"].as_array().unwrap().len(), 3);
    assert_eq!(m["paragraph"]["per_label"].as_array().unwrap().len(), k);
    assert_eq!(m["setup"]["folds"]["stratify"], true);

    // trends from the report folder and from the database
    for (name, src) in [("--reports", &out), ("--db", &db)] {
        let t = work.join(format!("trends{name}"));
        run(args![
            "trends",
            name,
            src,
            "--out",
            t,
            "--quiet",
            "--bootstrap",
            "100"
        ]);
        let csv = std::fs::read_to_string(t.join("trends.csv")).unwrap();
        let mut seen: Vec<String> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').nth(2).unwrap().to_string())
            .collect();
        seen.sort();
        seen.dedup();
        let mut want = s.frames.clone();
        want.sort();
        assert_eq!(seen, want, "{name}");
        let svg = std::fs::read_to_string(t.join("shares_over_time.svg")).unwrap();
        for f in &s.frames {
            assert!(svg.contains(f.as_str()), "legend lacks {f}");
        }
        assert!(
            svg.to_ascii_lowercase().contains("#112233"),
            "codebook colour"
        );
    }
    let a = std::fs::read_to_string(work.join("trends--reports").join("trends.csv")).unwrap();
    let b = std::fs::read_to_string(work.join("trends--db").join("trends.csv")).unwrap();
    assert_eq!(a, b, "report folder and database give the same trends");

    // shards merged equal one run
    let shards: Vec<PathBuf> = (1..=2).map(|i| work.join(format!("shard{i}"))).collect();
    for (i, sh) in shards.iter().enumerate() {
        run(args![
            "classify",
            s.articles,
            "--model",
            model,
            "--out",
            sh,
            "--shard",
            format!("{}/2", i + 1),
            "--quiet"
        ]);
    }
    let merged = work.join("merged");
    run(args!["merge", merged, shards[0], shards[1], "--quiet"]);
    for f in [
        "documents.jsonl",
        "summary.csv",
        "summary.md",
        "codebook.toml",
    ] {
        assert_eq!(
            std::fs::read_to_string(merged.join(f)).unwrap(),
            std::fs::read_to_string(out.join(f)).unwrap(),
            "{f}"
        );
    }
}

#[test]
fn issue_13_three_frames_without_none_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let s = scheme(d.path(), "tri", &["red", "green", "blue"], false, 24);
    end_to_end(&s, &d.path().join("work"));
}

#[test]
fn issue_13_seven_frames_with_none_end_to_end() {
    let d = tempfile::tempdir().unwrap();
    let labels = [
        "crime", "health", "law", "money", "morality", "politics", "culture", "nothing",
    ];
    let s = scheme(d.path(), "seven", &labels, true, 40);
    assert_eq!(s.frames.len(), 7);
    end_to_end(&s, &d.path().join("work"));
}

#[test]
fn issue_13_train_checks_every_label_against_the_codebook() {
    let d = tempfile::tempdir().unwrap();
    let s = scheme(d.path(), "tri", &["red", "green", "blue"], false, 6);
    // a label the codebook lacks: an error naming the file and line
    let labels = s.dir.join("labels").join("paragraphs.jsonl");
    let mut text = std::fs::read_to_string(&labels).unwrap();
    text = text.replacen("\"frame\":\"green\"", "\"frame\":\"purple\"", 1);
    let line = text.lines().position(|l| l.contains("purple")).unwrap() + 1;
    let bad = d.path().join("bad");
    std::fs::create_dir_all(bad.join("labels")).unwrap();
    std::fs::copy(&s.articles, bad.join("articles.jsonl")).unwrap();
    std::fs::write(bad.join("labels").join("paragraphs.jsonl"), &text).unwrap();
    let o = framelens(args![
        "train",
        "--codebook",
        s.codebook,
        "--labels",
        bad,
        "--out",
        d.path().join("m1")
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains(&format!("paragraphs.jsonl:{line}")) && e.contains("purple"),
        "{e}"
    );
    // a codebook label without examples: an error naming it
    let four = d.path().join("four.toml");
    let cb = std::fs::read_to_string(&s.codebook).unwrap() + "\n[[labels]]\nname = \"yellow\"\n";
    std::fs::write(&four, cb).unwrap();
    let o = framelens(args![
        "train",
        "--codebook",
        four,
        "--labels",
        s.dir,
        "--out",
        d.path().join("m2")
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("label yellow has no examples"),
        "{}",
        stderr(&o)
    );
    assert!(!d.path().join("m2").exists());
    // a bad codebook: an error naming the file and the field
    let dup = d.path().join("dup.toml");
    std::fs::write(
        &dup,
        "scheme = \"x\"\n[[labels]]\nname = \"red\"\n[[labels]]\nname = \"red\"\n",
    )
    .unwrap();
    let o = framelens(args![
        "train",
        "--codebook",
        dup,
        "--labels",
        s.dir,
        "--out",
        d.path().join("m3")
    ]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(
        e.contains("dup.toml") && e.contains("labels[1].name"),
        "{e}"
    );
}

#[test]
fn issue_13_codebook_init_drafts_from_label_files() {
    let d = tempfile::tempdir().unwrap();
    let labels = [
        "crime", "health", "law", "money", "morality", "politics", "culture", "none",
    ];
    let s = scheme(d.path(), "seven", &labels, true, 8);
    let out = d.path().join("draft.toml");
    run(args![
        "codebook", "init", "--labels", s.dir, "--scheme", "drafted", "--out", out, "--quiet"
    ]);
    let cb = framelens::Codebook::from_file(&out).unwrap();
    assert_eq!(cb.scheme, "drafted");
    let mut names: Vec<&str> = cb.names();
    assert_eq!(names.pop(), Some("none"));
    assert_eq!(cb.none().map(|l| cb.name(l)), Some("none"));
    names.sort();
    let mut want = labels[..7].to_vec();
    want.sort();
    assert_eq!(names, want);
    let o = run(args!["codebook", "show", "--file", out]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("# Codebook drafted"));
}

#[test]
fn issue_13_trends_refuse_to_mix_codebooks() {
    let d = tempfile::tempdir().unwrap();
    let a = scheme(d.path(), "tri", &["red", "green", "blue"], false, 6);
    let b = scheme(d.path(), "duo", &["up", "down", "none"], true, 6);
    let mut folders = Vec::new();
    for s in [&a, &b] {
        let model = d.path().join(format!("m-{}", s.names[0]));
        run(args![
            "train",
            "--codebook",
            s.codebook,
            "--labels",
            s.dir,
            "--out",
            model,
            "--quiet"
        ]);
        let out = d.path().join(format!("r-{}", s.names[0]));
        run(args![
            "classify",
            s.articles,
            "--model",
            model,
            "--out",
            out,
            "--quiet",
            "--no-docs"
        ]);
        // without run.json both folders count as the same (unknown) model
        std::fs::remove_file(out.join("run.json")).unwrap();
        folders.push(out);
    }
    let o = framelens(args![
        "trends",
        "--reports",
        folders[0],
        "--reports",
        folders[1],
        "--out",
        d.path().join("t")
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("two codebooks") && e.contains("tri") && e.contains("duo"),
        "{e}"
    );
}
