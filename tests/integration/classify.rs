//! Issue 2: the core pipeline on the shipped default model.

use std::path::Path;

use crate::util::{default_model, documents, framelens, root, shared, stderr};

fn check_schema(doc: &serde_json::Value) {
    for key in [
        "id",
        "title",
        "date",
        "source",
        "shares",
        "framed_fraction",
        "dominant",
        "present",
        "paragraphs",
        "evidence",
    ] {
        assert!(doc.get(key).is_some(), "missing {key} in {doc}");
    }
    let shares = doc["shares"].as_object().unwrap();
    assert_eq!(shares.len(), 4);
    let mut sum = 0.0;
    for f in ["humanitarian", "economic", "security", "enforcement"] {
        let v = shares[f].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&v), "share {f}={v}");
        sum += v;
    }
    let framed = doc["framed_fraction"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&framed));
    if framed > 0.0 {
        assert!((sum - 1.0).abs() < 1e-4, "shares sum to {sum}");
    }
    let dominant = doc["dominant"].as_str().unwrap();
    assert!([
        "humanitarian",
        "economic",
        "security",
        "enforcement",
        "none"
    ]
    .contains(&dominant));
    for p in doc["paragraphs"].as_array().unwrap() {
        let s = p["scores"].as_object().unwrap();
        assert_eq!(s.len(), 5);
        let total: f64 = s.values().map(|v| v.as_f64().unwrap()).sum();
        assert!((total - 1.0).abs() < 1e-3);
        assert!(s.contains_key(p["label"].as_str().unwrap()));
    }
    for (frame, ev) in doc["evidence"].as_object().unwrap() {
        assert!(shares.contains_key(frame));
        for e in ev.as_array().unwrap() {
            assert!(e["text"].as_str().is_some_and(|t| !t.is_empty()));
        }
    }
}

#[test]
fn classify_folder_of_text_files_writes_every_report() {
    let out = tempfile::tempdir().unwrap();
    let samples = root().join("corpus").join("samples");
    let o = framelens([
        "classify".as_ref(),
        samples.as_os_str(),
        "--out".as_ref(),
        out.path().as_os_str(),
        "--quiet".as_ref(),
        "--docs".as_ref(),
        "md".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let docs = documents(out.path());
    let n_files = std::fs::read_dir(&samples)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "txt")
        })
        .count();
    assert!(n_files >= 3);
    assert_eq!(docs.len(), n_files);
    let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "documents.jsonl is sorted by id");
    for d in &docs {
        check_schema(d);
        let md = out
            .path()
            .join("docs")
            .join(d["id"].as_str().unwrap().replace(".txt", ".txt.md"));
        assert!(md.exists(), "{} missing", md.display());
    }
    for f in ["summary.csv", "summary.md", "run.json"] {
        assert!(out.path().join(f).exists(), "{f} missing");
    }
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.path().join("run.json")).unwrap())
            .unwrap();
    assert_eq!(run["classified"], n_files as u64);
    assert_eq!(run["failed"], 0);
    assert_eq!(run["model_hash"].as_str().unwrap().len(), 64);
    let csv = std::fs::read_to_string(out.path().join("summary.csv")).unwrap();
    assert!(csv.starts_with("id,date,source,humanitarian,economic,security,enforcement,dominant\n"));
    assert_eq!(csv.lines().count(), n_files + 1);
}

#[test]
fn bad_records_are_reported_and_the_rest_classified() {
    let dir = tempfile::tempdir().unwrap();
    let jsonl = dir.path().join("in.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":\"good1\",\"text\":\"Border Patrol agents detained 40 migrants near the wall.\"}\n{\"id\": broken\n{\"id\":\"empty\",\"text\":\"   \"}\n{\"id\":\"good2\",\"text\":\"Families fled repression and feared for their lives.\"}\n",
    )
    .unwrap();
    let folder = dir.path().join("texts");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(
        folder.join("ok.txt"),
        "Smuggling fees cost each migrant thousands of dollars.\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("latin1.txt"),
        b"Caf\xe9 owners hired migrant workers.\n",
    )
    .unwrap();
    let out = dir.path().join("out");
    let o = framelens([
        "classify".as_ref(),
        jsonl.as_os_str(),
        folder.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("in.jsonl:2") && err.contains("malformed JSON"),
        "{err}"
    );
    assert!(err.contains("in.jsonl:3") && err.contains("empty"), "{err}");
    assert!(err.contains("latin1.txt") && err.contains("UTF-8"), "{err}");
    let ids: Vec<String> = documents(&out)
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, ["good1", "good2", "ok.txt"]);
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("3 failed"), "{summary}");
    assert!(summary.contains("latin1.txt") && summary.contains("malformed JSON"));
}

#[test]
fn missing_model_is_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let o = framelens([
        "classify",
        "corpus/samples",
        "--model",
        "no/such/model",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no/such/model"));
}

#[test]
fn jobs_do_not_change_output_and_allsides_has_no_failures() {
    let Some(shared) = shared() else { return };
    let input = shared.join("data").join("allsides-immigration.jsonl");
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for (dir, jobs) in [(a.path(), "1"), (b.path(), "2")] {
        let o = framelens([
            "classify".as_ref(),
            input.as_os_str(),
            "--out".as_ref(),
            dir.as_os_str(),
            "--jobs".as_ref(),
            jobs.as_ref(),
            "--quiet".as_ref(),
            "--chunk-size".as_ref(),
            "500".as_ref(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let da = std::fs::read(a.path().join("documents.jsonl")).unwrap();
    let db = std::fs::read(b.path().join("documents.jsonl")).unwrap();
    assert!(da == db, "--jobs 1 and --jobs 2 differ");
    let docs = documents(a.path());
    assert_eq!(docs.len(), 1547);
    docs.iter().for_each(check_schema);
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(a.path().join("run.json")).unwrap()).unwrap();
    assert_eq!(run["failed"], 0);
}

fn read_dir_bytes(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read(&p).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn training_twice_gives_identical_model_folders() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    for d in [a.path(), b.path()] {
        let o = framelens([
            "train".as_ref(),
            "--labels".as_ref(),
            "corpus".as_ref(),
            "--out".as_ref(),
            d.as_os_str(),
            "--quiet".as_ref(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (fa, fb) = (read_dir_bytes(a.path()), read_dir_bytes(b.path()));
    assert_eq!(
        fa.iter().map(|f| &f.0).collect::<Vec<_>>(),
        [
            "MODEL.md",
            "codebook.toml",
            "manifest.json",
            "model.json",
            "tokenizer.json"
        ]
    );
    assert!(fa == fb, "model folders differ");
}

#[test]
fn shipped_default_model_loads_and_matches_its_manifest() {
    let o = framelens([
        "classify",
        "-",
        "--out",
        tempfile::tempdir().unwrap().path().to_str().unwrap(),
        "--quiet",
    ]);
    // stdin is empty: nothing to classify, but the model must load
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(default_model().join("MODEL.md").exists());
}
