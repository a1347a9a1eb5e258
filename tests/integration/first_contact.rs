//! Issue 16: first contact: the built-in model from any directory, every input format in a
//! folder, content-word terms, and report.html in a real headless Chromium.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::util::{command, documents, read_jsonl, root, stderr};

fn samples() -> PathBuf {
    root().join("corpus").join("samples")
}

fn manifest_hash(dir: &Path) -> String {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["model_hash"].as_str().unwrap().to_string()
}

fn run_json(out: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap()
}

#[test]
fn issue_16_classify_from_another_directory_uses_the_built_in_model() {
    let elsewhere = tempfile::tempdir().unwrap();
    let out = elsewhere.path().join("r");
    let o = command([
        "classify".as_ref(),
        samples().as_os_str(),
        "--out".as_ref(),
        "r".as_ref(),
    ])
    .current_dir(elsewhere.path())
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!elsewhere.path().join("models").exists());
    assert_eq!(documents(&out).len(), 4);
    // the same model as the source checkout's models/default, and the same reports
    let hash = manifest_hash(&root().join("models").join("default"));
    assert_eq!(run_json(&out)["model_hash"], hash.as_str());
    let with_dir = elsewhere.path().join("r2");
    let o = command([
        "classify".as_ref(),
        samples().as_os_str(),
        "--model".as_ref(),
        root().join("models").join("default").as_os_str(),
        "--out".as_ref(),
        with_dir.as_os_str(),
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(out.join("documents.jsonl")).unwrap(),
        std::fs::read(with_dir.join("documents.jsonl")).unwrap()
    );
    // report.html by default, docs/*.md only on request
    assert!(out.join("report.html").is_file());
    assert!(!out.join("docs").exists());
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn zst(bytes: &[u8]) -> Vec<u8> {
    zstd::encode_all(bytes, 3).unwrap()
}

fn jsonl(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| {
            format!(
                "{}\n",
                serde_json::json!({"id": id, "text": format!("Border agents detained {id} at the crossing.\nFarm owners said wages rose.")})
            )
        })
        .collect()
}

fn csv(ids: &[&str]) -> String {
    let mut s = String::from("id,title,text\n");
    for id in ids {
        s.push_str(&format!(
            "{id},Title {id},\"Families fled violence, {id} said.\"\n"
        ));
    }
    s
}

fn text(id: &str) -> String {
    format!("# Headline {id}\n\nAsylum seekers waited for hearings in court.\nThe cost of shelters rose.\n")
}

#[test]
fn issue_16_a_folder_of_every_format_classifies_every_good_document_and_reports_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("in");
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let put = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
    put("a.txt", text("a").as_bytes());
    put("b.md", text("b").as_bytes());
    put("c.txt.gz", &gz(text("c").as_bytes()));
    put("d.md.zst", &zst(text("d").as_bytes()));
    put("e.jsonl", jsonl(&["e1", "e2"]).as_bytes());
    put("f.ndjson", jsonl(&["f1"]).as_bytes());
    put("g.jsonl.gz", &gz(jsonl(&["g1", "g2"]).as_bytes()));
    put("sub/h.ndjson.zst", &zst(jsonl(&["h1"]).as_bytes()));
    put("i.csv", csv(&["i1", "i2"]).as_bytes());
    put("j.csv.gz", &gz(csv(&["j1"]).as_bytes()));
    put("k.csv.zst", &zst(csv(&["k1"]).as_bytes()));
    put("l.ndjson.gz", &gz(jsonl(&["l1"]).as_bytes()));
    // skipped: not a format framelens reads
    put("notes.pdf", b"%PDF-1.4 not read");
    put("README", b"about this folder");
    put("data.json.bz2", b"BZh9");
    // bad: a truncated gzip file (many records, cut in the middle) and a corrupt one
    let many: Vec<String> = (0..400).map(|i| format!("t{i:03}")).collect();
    let big = gz(jsonl(&many.iter().map(String::as_str).collect::<Vec<_>>()).as_bytes());
    let cut = big.len() / 2;
    put("trunc.jsonl.gz", &big[..cut]);
    let mut corrupt = gz(text("x").as_bytes());
    let n = corrupt.len();
    for b in &mut corrupt[12..n - 8] {
        *b ^= 0x5a;
    }
    put("corrupt.txt.gz", &corrupt);
    put("fake.txt.gz", b"plain text, not gzip");

    let out = d.path().join("out");
    let o = command([
        "classify".as_ref(),
        dir.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .output()
    .unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    let docs = documents(&out);
    let ids: Vec<&str> = docs.iter().map(|d| d["id"].as_str().unwrap()).collect();
    let good = [
        "a.txt", "b.md", "c.txt.gz", "d.md.zst", "e1", "e2", "f1", "g1", "g2", "h1", "i1", "i2",
        "j1", "k1", "l1",
    ];
    for id in good {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // the records of the truncated file before the damage were read, none after it
    let t = ids.iter().filter(|i| i.starts_with('t')).count();
    assert!(t > 0 && t < many.len(), "{t} records of the truncated file");
    assert_eq!(ids.len(), good.len() + t);
    // each bad file is one error naming it and the byte offset
    let errors = read_jsonl(&out.join("errors.jsonl"));
    let find = |name: &str| -> Value {
        errors
            .iter()
            .find(|e| e["file"].as_str().unwrap().ends_with(name))
            .unwrap_or_else(|| panic!("no error for {name}: {errors:?}"))
            .clone()
    };
    let tr = find("trunc.jsonl.gz");
    assert_eq!(tr["kind"], "corrupt_compressed");
    assert!(
        tr["reason"]
            .as_str()
            .unwrap()
            .contains(&format!("truncated at byte {cut}")),
        "{tr}"
    );
    for name in ["corrupt.txt.gz", "fake.txt.gz"] {
        let e = find(name);
        assert_eq!(e["kind"], "corrupt_compressed", "{e}");
        assert!(e["reason"].as_str().unwrap().contains("at byte"), "{e}");
    }
    assert_eq!(
        errors.iter().filter(|e| e["severity"] == "error").count(),
        3,
        "{errors:?}"
    );
    // every skipped file is listed in summary.md and counted on stderr
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    for name in ["notes.pdf", "README", "data.json.bz2"] {
        assert!(
            summary.contains(name),
            "{name} not listed in summary.md:\n{summary}"
        );
    }
    assert!(
        err.contains("3 files skipped") && err.contains("1 .pdf") && err.contains("1 .json.bz2"),
        "{err}"
    );
}

/// Every term of every frame in a report folder.
fn all_terms(out: &Path) -> Vec<String> {
    let mut v = Vec::new();
    for d in documents(out) {
        for (_, terms) in d["terms"].as_object().unwrap() {
            v.extend(
                terms
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|t| t.as_str().unwrap().to_string()),
            );
        }
    }
    v
}

#[test]
fn issue_16_terms_are_content_words_with_and_without_embeddings() {
    let d = tempfile::tempdir().unwrap();
    let stop = [
        "the", "and", "a", "of", "to", "in", "for", "his", "my", "their", "that", "said",
    ];
    let models: [(&str, Option<PathBuf>); 2] = [
        ("default", None),
        ("embeddings", Some(crate::embeddings::table_model())),
    ];
    for (name, model) in models {
        let out = d.path().join(name);
        let mut args: Vec<std::ffi::OsString> = vec![
            "classify".into(),
            samples().into(),
            "--out".into(),
            out.clone().into(),
            "-q".into(),
        ];
        if let Some(m) = &model {
            args.extend(["--model".into(), m.clone().into()]);
        }
        let o = command(&args).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let terms = all_terms(&out);
        assert!(terms.len() >= 10, "{name}: too few terms {terms:?}");
        for t in &terms {
            for w in t.split(' ') {
                assert!(!stop.contains(&w), "{name}: stopword {w:?} in term {t:?}");
                assert!(
                    w.chars().any(char::is_alphabetic),
                    "{name}: {t:?} is no word"
                );
                assert!(
                    w.chars()
                        .all(|c| c.is_alphanumeric() || c == '-' || c == '\''),
                    "{name}: punctuation in {t:?}"
                );
            }
        }
    }
}

/// A headless Chromium, installed with apt-get when missing; `None` (with the reason printed)
/// when that is impossible.
fn chromium() -> Option<PathBuf> {
    let find = || {
        [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .iter()
        .find_map(|b| {
            Command::new("sh")
                .args(["-c", &format!("command -v {b}")])
                .output()
                .ok()
                .filter(|o| o.status.success())
                .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
        })
    };
    if let Some(p) = find() {
        return Some(p);
    }
    let apt = Command::new("sh")
        .args(["-c", "command -v apt-get"])
        .output();
    if !apt.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no Chromium and no apt-get to install it (Debian package chromium)");
        return None;
    }
    eprintln!("installing Chromium (apt-get install chromium) for the report.html test …");
    let install = Command::new("sh")
        .args([
            "-c",
            "(apt-get install -y -q --no-install-recommends chromium || \
             (apt-get update -q && apt-get install -y -q --no-install-recommends chromium)) >&2",
        ])
        .env("DEBIAN_FRONTEND", "noninteractive")
        .status();
    match (install, find()) {
        (_, Some(p)) => Some(p),
        (r, None) => {
            eprintln!(
                "skipped: Chromium could not be installed with apt-get ({r:?}; not root or no network?)"
            );
            None
        }
    }
}

/// The page as Chromium renders it, after its script ran, at `fragment`.
fn dump_dom(chrome: &Path, page: &Path, fragment: &str) -> String {
    let url = format!("file://{}#{fragment}", page.display());
    let o = Command::new(chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--dump-dom",
            &url,
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    String::from_utf8(o.stdout).unwrap()
}

/// How often `pat` occurs in the rendered page outside the page's own script (where the next
/// character is a quote of the script's string literals).
fn rendered(dom: &str, pat: &str) -> usize {
    dom.match_indices(pat)
        .filter(|(i, _)| !matches!(dom.as_bytes().get(i + pat.len()), Some(b'\'') | None))
        .count()
}

/// (documents shown by the filter, documents in the report, table rows on the page).
fn table_counts(dom: &str) -> (usize, usize, usize) {
    let attr = |name: &str| -> usize {
        let key = format!("{name}=\"");
        let at = dom
            .find(&key)
            .unwrap_or_else(|| panic!("no {name} in the rendered page"));
        let rest = &dom[at + key.len()..];
        rest[..rest.find('"').unwrap()].parse().unwrap()
    };
    (
        attr("data-shown"),
        attr("data-total"),
        rendered(dom, "<tr class=\"doc-row\" data-row=\""),
    )
}

#[test]
fn issue_16_report_html_in_headless_chromium() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("r");
    let o = command([
        "classify".as_ref(),
        samples().as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = out.join("report.html");
    let html = std::fs::read_to_string(&page).unwrap();
    // self-contained: nothing is fetched
    for bad in ["<script src", "<link ", "@import", "url(http", "src=\"http"] {
        assert!(!html.contains(bad), "report.html loads something: {bad}");
    }
    let docs = documents(&out);
    // every document is a row
    let dom = dump_dom(&chrome, &page, "");
    assert_eq!(table_counts(&dom), (docs.len(), docs.len(), docs.len()));
    // a filter narrows it: by words …
    let spy = docs
        .iter()
        .filter(|d| {
            let hay = format!("{} {}", d["id"], d["title"]).to_lowercase();
            hay.contains("spy")
        })
        .count();
    assert!(spy > 0 && spy < docs.len());
    let dom = dump_dom(&chrome, &page, "q=spy");
    assert_eq!(table_counts(&dom), (spy, docs.len(), spy));
    // … and by dominant frame
    let eco = docs.iter().filter(|d| d["dominant"] == "economic").count();
    let dom = dump_dom(&chrome, &page, "dominant=economic");
    assert_eq!(table_counts(&dom), (eco, docs.len(), eco));
    // a document view: every paragraph, highlighted in its label's colour, scores on hover
    let doc = &docs[0];
    let id = doc["id"].as_str().unwrap();
    let dom = dump_dom(&chrome, &page, &format!("doc={id}"));
    let n_paras = doc["paragraphs"].as_array().unwrap().len();
    assert_eq!(rendered(&dom, "<div class=\"para\" id=\"p"), n_paras);
    assert_eq!(rendered(&dom, "<span class=\"tip\">"), n_paras);
    let colour = |name: &str| -> String {
        let cb = std::fs::read_to_string(out.join("codebook.toml")).unwrap();
        let at = cb.find(&format!("name = \"{name}\"")).unwrap();
        let c = &cb[at..];
        let c = &c[c.find("colour = \"#").unwrap() + 11..];
        let hex = &c[..6];
        let v = u32::from_str_radix(hex, 16).unwrap();
        format!("rgba({},{},{},", v >> 16, (v >> 8) & 255, v & 255)
    };
    let framed = doc["paragraphs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["label"] != "none")
        .expect("a framed paragraph");
    let label = framed["label"].as_str().unwrap();
    assert!(
        dom.contains(&colour(label)),
        "no paragraph in the colour of {label}"
    );
    // a screenshot, for a person to look at (kept in target/)
    let shot = root().join("target").join("issue-16-report.png");
    let o = Command::new(&chrome)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1400,1000",
            &format!("--screenshot={}", shot.display()),
            &format!("file://{}", page.display()),
        ])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

#[test]
fn issue_16_report_html_stays_usable_at_10000_documents() {
    let Some(chrome) = chromium() else { return };
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("many.jsonl");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    let n = 10_000;
    for i in 0..n {
        let text = match i % 3 {
            0 => "Border agents detained the group at the crossing.\nThey were deported.",
            1 => "Farm owners said wages rose as workers left.\nCosts climbed.",
            _ => "Families fled violence and sought asylum.\nChildren slept in shelters.",
        };
        writeln!(
            f,
            "{}",
            // ids run against the input order, so a document's place in the table (id order)
            // is not its place among the page's document blocks (input order)
            serde_json::json!({"id": format!("n{:05}", n - 1 - i), "text": text, "date": "2024-05-01"})
        )
        .unwrap();
    }
    drop(f);
    let out = d.path().join("r");
    let o = command([
        "classify".as_ref(),
        input.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "-q".as_ref(),
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let page = out.join("report.html");
    let t0 = std::time::Instant::now();
    let dom = dump_dom(&chrome, &page, "page=3");
    let secs = t0.elapsed().as_secs_f64();
    // one page of 100 rows is drawn, not 10,000
    assert_eq!(table_counts(&dom), (n, n, 100));
    assert!(dom.contains(">n00200<") && !dom.contains(">n00300<"));
    assert!(secs < 30.0, "loading took {secs:.1} s");
    let dom = dump_dom(&chrome, &page, "q=n0999");
    assert_eq!(table_counts(&dom), (10, n, 10));
    // a document view shows that document's text: n00001 is input line n − 2
    // (the page's data blocks hold every text: look for a rendered paragraph)
    let firsts = [
        "Border agents detained the group at the crossing.",
        "Farm owners said wages rose as workers left.",
        "Families fled violence and sought asylum.",
    ];
    let dom = dump_dom(&chrome, &page, "doc=n00001");
    assert!(
        dom.contains("<code>n00001</code>"),
        "the view names its document"
    );
    for (k, t) in firsts.iter().enumerate() {
        let shown = dom.contains(&format!("{t}<span class=\"tip\">"));
        assert_eq!(shown, k == (n - 2) % 3, "the view shows its own text: {t}");
    }
}
