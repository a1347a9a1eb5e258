//! Issue 7: bad input is reported and loses nothing else; bad training data and bad model
//! files fail clearly; an interrupted batch resumes to byte-identical outputs; aggregation
//! invariants hold for any input (property tests).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::util::{command, framelens, root, stderr};

const JOURNAL: &str = ".framelens-checkpoint/journal.jsonl";

fn run<I, S>(args: I) -> std::process::Output
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    framelens(args)
}

fn os(p: &Path) -> &std::ffi::OsStr {
    p.as_os_str()
}

/// Every file below `dir` (relative path → bytes).
fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut m = BTreeMap::new();
    for e in walk(dir) {
        let rel = e.strip_prefix(dir).unwrap().to_string_lossy().into_owned();
        m.insert(rel, std::fs::read(&e).unwrap());
    }
    m
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn lines_by_id(dir: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(dir.join("documents.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            (v["id"].as_str().unwrap().to_string(), l.to_string())
        })
        .collect()
}

fn problems(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("errors.jsonl"))
        .expect("errors.jsonl exists")
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// The first 100 articles of the project's own corpus, as JSONL lines.
fn good_lines() -> Vec<String> {
    let s = std::fs::read_to_string(root().join("corpus").join("articles.jsonl")).unwrap();
    let v: Vec<String> = s.lines().take(100).map(str::to_string).collect();
    assert_eq!(v.len(), 100);
    v
}

/// Write a JSONL record whose text is `n` bytes of words on one line, without holding it.
fn write_big_record(w: &mut impl Write, id: &str, n: usize) {
    write!(w, "{{\"id\":\"{id}\",\"text\":\"").unwrap();
    let block = "migrants crossed the border and agents detained them ".repeat(20_000);
    let mut left = n;
    while left > 0 {
        let k = left.min(block.len());
        w.write_all(&block.as_bytes()[..k]).unwrap();
        left -= k;
    }
    w.write_all(b"\"}\n").unwrap();
}

#[test]
fn issue_7_every_bad_case_is_reported_and_good_documents_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = good_lines();

    // the 100 good documents alone
    let alone_in = d.join("good.jsonl");
    std::fs::write(&alone_in, good.join("\n") + "\n").unwrap();
    let alone = d.join("alone");
    let o = run([
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&alone_in),
        "--out".as_ref(),
        os(&alone),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));

    // one JSONL file with the good documents and every bad record in between
    let mixed = d.join("mixed.jsonl");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&mixed).unwrap());
    let mut line = 0u64;
    let mut at: BTreeMap<&str, u64> = BTreeMap::new();
    let mut put = |w: &mut std::io::BufWriter<std::fs::File>, key: &'static str, bytes: &[u8]| {
        w.write_all(bytes).unwrap();
        w.write_all(b"\n").unwrap();
        line += 1;
        at.insert(key, line);
    };
    let enf =
        "Border Patrol agents detained 40 migrants near the wall and processed them for removal.";
    let bad: Vec<(&str, Vec<u8>)> = vec![
        ("utf8", b"{\"id\":\"bad-utf8\",\"text\":\"Caf\xe9 owners hired migrant workers.\"}".to_vec()),
        ("empty", br#"{"id":"bad-empty","text":"   \n\t  "}"#.to_vec()),
        ("punct", "{\"id\":\"bad-punct\",\"text\":\"!!! ... ??? \u{1F389}\u{1F389} \u{2014} \u{2605}\\n\u{1F600}\"}".as_bytes().to_vec()),
        ("html", format!("{{\"id\":\"html-doc\",\"text\":\"<div class=\\\"story\\\"><p>{enf}</p><p>Families feared for their lives &amp; fled.</p></div>\"}}").into_bytes()),
        ("json", br#"{"id": "bad-json", "text": "unterminated"#.to_vec()),
        ("array", br#"["not", "an", "object"]"#.to_vec()),
        ("notext", br#"{"id":"bad-notext","title":"No body"}"#.to_vec()),
        ("texttype", br#"{"id":"bad-texttype","text":42}"#.to_vec()),
        ("titletype", format!("{{\"id\":\"title-type\",\"title\":{{\"x\":1}},\"text\":\"{enf}\"}}").into_bytes()),
        ("noid", br#"{"text":"Smuggling fees cost each migrant thousands of dollars, and wages back home were unpaid."}"#.to_vec()),
        ("dup1", format!("{{\"id\":\"dup\",\"text\":\"{enf}\"}}").into_bytes()),
        ("dup2", br#"{"id":"dup","text":"Officials warned that cartels and spies threaten national security."}"#.to_vec()),
    ];
    let mut bad = bad.into_iter();
    for (i, g) in good.iter().enumerate() {
        put(&mut w, "good", g.as_bytes());
        if i % 8 == 3 {
            if let Some((k, b)) = bad.next() {
                put(&mut w, k, &b);
            }
        }
    }
    for (k, b) in bad {
        put(&mut w, k, &b);
    }
    // a 50 MB document and a 1 MB single line
    write_big_record(&mut w, "bad-huge", 50_000_000);
    line += 1;
    at.insert("huge", line);
    write_big_record(&mut w, "bad-longline", 1_000_000);
    line += 1;
    at.insert("longline", line);
    drop(w);

    // a CSV with a row of the wrong width
    let csv = d.join("rows.csv");
    std::fs::write(
        &csv,
        format!("id,title,text\ncsv-ok,Fine,\"{enf}\"\ncsv-short,only two fields\n"),
    )
    .unwrap();

    // a folder with a good file, a binary file, a non-UTF-8 file, a loop and unreadable files
    let texts = d.join("texts");
    std::fs::create_dir_all(texts.join("sub")).unwrap();
    std::fs::write(texts.join("ok.txt"), format!("{enf}\n")).unwrap();
    std::fs::write(
        texts.join("image.txt"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    )
    .unwrap();
    std::fs::write(
        texts.join("latin1.txt"),
        b"Caf\xe9 owners hired migrant workers.\n",
    )
    .unwrap();
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&texts, texts.join("sub").join("loop")).unwrap();
        std::os::unix::fs::symlink(texts.join("gone.txt"), texts.join("broken.txt")).unwrap();
    }
    // a regular file whose read fails (EIO), even for root
    #[cfg(target_os = "linux")]
    std::os::unix::fs::symlink("/proc/self/mem", texts.join("eio.txt")).unwrap();

    let out = d.join("out");
    let o = run([
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&mixed),
        os(&csv),
        os(&texts),
        "--out".as_ref(),
        os(&out),
        "--quiet".as_ref(),
        "--chunk-size".as_ref(),
        "16".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    let probs = problems(&out);
    let mixed_name = mixed.display().to_string();
    let find = |sev: &str, kind: &str, file: &str, line: Option<u64>| -> &Value {
        probs
            .iter()
            .find(|p| {
                p["severity"] == sev
                    && p["kind"] == kind
                    && p["file"].as_str().unwrap().ends_with(file)
                    && line.is_none_or(|l| p["line"] == l)
            })
            .unwrap_or_else(|| panic!("no {sev} {kind} for {file}:{line:?} in {probs:#?}"))
    };
    let reason = |p: &Value| p["reason"].as_str().unwrap().to_string();
    let l = |k: &str| Some(at[k]);
    // JSONL records, by line
    assert!(reason(find("error", "invalid_utf8", &mixed_name, l("utf8"))).contains("UTF-8"));
    assert!(reason(find("error", "empty_text", &mixed_name, l("empty"))).contains("empty"));
    assert!(reason(find("error", "no_words", &mixed_name, l("punct"))).contains("no letters"));
    assert!(
        reason(find("error", "malformed_json", &mixed_name, l("json"))).contains("malformed JSON")
    );
    assert!(reason(find("error", "not_an_object", &mixed_name, l("array"))).contains("an array"));
    let p = find("error", "missing_field", &mixed_name, l("notext"));
    assert!(reason(p).contains("\"text\"") && p["id"] == "bad-notext");
    assert!(reason(find("error", "wrong_type", &mixed_name, l("texttype"))).contains("a number"));
    let huge = reason(find("error", "too_large", &mixed_name, l("huge")));
    assert!(huge.contains("50000") && huge.contains("limit"), "{huge}");
    let p = find("error", "line_too_long", &mixed_name, l("longline"));
    assert!(reason(p).contains("paragraph 0") && p["id"] == "bad-longline");
    // repaired and classified, with a warning
    let p = find("warning", "html_stripped", &mixed_name, l("html"));
    assert_eq!(p["id"], "html-doc");
    let p = find("warning", "wrong_type", &mixed_name, l("titletype"));
    assert!(reason(p).contains("\"title\""));
    let p = find("warning", "derived_id", &mixed_name, l("noid"));
    let derived = p["id"].as_str().unwrap().to_string();
    assert!(derived.starts_with("sha256-"), "{derived}");
    let p = find("warning", "duplicate_id", &mixed_name, l("dup2"));
    assert_eq!(p["id"], "dup#2");
    // CSV and folder
    let p = find("error", "csv_columns", "rows.csv", Some(3));
    assert!(reason(p).contains("2 fields, the header has 3"));
    assert!(reason(find("error", "binary_file", "image.txt", None)).contains("binary"));
    assert!(reason(find("error", "invalid_utf8", "latin1.txt", None)).contains("UTF-8"));
    #[cfg(unix)]
    {
        assert!(reason(find("error", "directory_loop", "loop", None)).contains("loop"));
        assert!(reason(find("error", "unreadable", "broken.txt", None)).contains("broken link"));
    }
    #[cfg(target_os = "linux")]
    assert!(reason(find("error", "unreadable", "eio.txt", None)).contains("cannot read"));
    let n_errors = probs.iter().filter(|p| p["severity"] == "error").count();
    let n_warnings = probs.len() - n_errors;
    assert_eq!(n_warnings, 4);
    let expected_errors = 14 + usize::from(cfg!(target_os = "linux"));
    assert_eq!(n_errors, expected_errors, "{probs:#?}");

    // errors.jsonl is sorted: by file, line, id, severity, kind, reason
    let key = |p: &Value| {
        (
            p["file"].as_str().unwrap().to_string(),
            p["line"].as_u64(),
            p["id"].as_str().map(str::to_string),
            p["severity"].as_str().unwrap() != "error",
        )
    };
    let keys: Vec<_> = probs.iter().map(key).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "errors.jsonl is sorted");

    // the good documents are classified exactly as when given alone
    let mixed_docs = lines_by_id(&out);
    let alone_docs = lines_by_id(&alone);
    assert_eq!(alone_docs.len(), 100);
    for (id, l) in &alone_docs {
        assert_eq!(mixed_docs.get(id), Some(l), "document {id} differs");
        let md = format!("docs/{}.md", framelens::report::safe_name(id));
        assert_eq!(
            std::fs::read(out.join(&md)).unwrap(),
            std::fs::read(alone.join(&md)).unwrap(),
            "{md} differs"
        );
    }
    // and the repaired ones are classified too
    for id in [
        "html-doc",
        "title-type",
        "dup",
        "dup#2",
        "csv-ok",
        "ok.txt",
        &derived,
    ] {
        assert!(mixed_docs.contains_key(id), "{id} missing");
    }
    assert_eq!(mixed_docs.len(), 100 + 7);
    let html: Value = serde_json::from_str(&mixed_docs["html-doc"]).unwrap();
    assert_eq!(html["paragraphs"].as_array().unwrap().len(), 2);
    let title_type: Value = serde_json::from_str(&mixed_docs["title-type"]).unwrap();
    assert_eq!(title_type["meta"]["title"], json!({"x": 1}));

    // summary.md lists every failure and warning; stderr names them too
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        summary.contains(&format!("{expected_errors} failed, 4 warnings")),
        "{summary}"
    );
    for p in &probs {
        assert!(summary.contains(p["kind"].as_str().unwrap()), "{p}");
    }
    let err = stderr(&o);
    assert!(
        err.contains(&format!("mixed.jsonl:{}", at["json"])),
        "{err}"
    );
    let run_json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["failed"], expected_errors as u64);
    assert_eq!(run_json["classified"], 107);
    assert!(!out.join(".framelens-checkpoint").exists());
}

/// Build a batch of `n` short generated articles, with a few bad records and duplicate and
/// missing ids spread through it so that the summary and the id table cross any kill point.
fn generated_batch(path: &Path, n: usize) {
    let frames = [
        [
            "Families fled persecution and feared for their lives.",
            "Children went hungry on the dangerous journey, aid workers said.",
        ],
        [
            "Farm owners said migrant workers fill jobs and pay taxes.",
            "Wages rose as the labour shortage deepened.",
        ],
        [
            "Officials warned that cartels threaten national security.",
            "The hearing heard claims of spies among the arrivals.",
        ],
        [
            "Border Patrol agents detained dozens of migrants overnight.",
            "Deportation flights resumed and detention centers filled.",
        ],
    ];
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for i in 0..n {
        let a = frames[i % 4][i % 2];
        let b = frames[(i / 4) % 4][(i / 3) % 2];
        let text = format!(
            "Report number {i} from the region.\n{a}\n{b}\nMore on story {}.",
            i % 97
        );
        let rec = match i % 250 {
            17 => "{\"id\": broken".to_string(),
            41 => json!({"id": format!("e{i}"), "text": "  "}).to_string(),
            99 => json!({"text": text}).to_string(),
            // the id of a document far earlier in the batch
            123 => json!({"id": format!("doc-{:05}", i / 2), "text": text}).to_string(),
            _ => json!({"id": format!("doc-{i:05}"), "text": text, "source": "Gen"}).to_string(),
        };
        writeln!(w, "{rec}").unwrap();
    }
}

fn journal_lines(out: &Path) -> usize {
    std::fs::read_to_string(out.join(JOURNAL))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Start `classify` and SIGKILL it once the journal has at least `lines` lines.
/// Start the framelens binary in the background, stdout discarded.
fn spawn<I, S>(args: I, stderr: Stdio) -> std::process::Child
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    command(args)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .unwrap()
}

fn classify_and_kill(args: &[std::ffi::OsString], out: &Path, lines: usize) {
    let mut child = spawn(args, Stdio::null());
    let t0 = Instant::now();
    while journal_lines(out) < lines {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("classify finished ({status}) before it could be killed");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "no checkpoint appeared"
        );
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    assert!(
        !out.join("documents.jsonl").exists(),
        "the run completed before the kill: the test proves nothing"
    );
}

fn without_times(run_json: &[u8]) -> Value {
    let mut v: Value = serde_json::from_slice(run_json).unwrap();
    let m = v.as_object_mut().unwrap();
    assert!(m.remove("started").is_some() && m.remove("finished").is_some());
    v
}

#[test]
fn issue_7_killed_batch_resumes_to_identical_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("batch.jsonl");
    generated_batch(&input, 3000);
    let a = d.join("a");
    let b = d.join("b");
    let args = |out: &Path, jobs: &str, resume: bool| -> Vec<std::ffi::OsString> {
        let mut v: Vec<std::ffi::OsString> = vec![
            "classify".into(),
            "--docs".into(),
            "md".into(),
            input.clone().into(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
            "--chunk-size".into(),
            "40".into(),
            "--jobs".into(),
            jobs.into(),
        ];
        if resume {
            v.push("--resume".into());
        }
        v
    };

    // the uninterrupted run
    let o = run(args(&a, "2", false));
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));

    // killed after the header and 3 chunks are journaled
    classify_and_kill(&args(&b, "2", false), &b, 4);
    let done = journal_lines(&b);
    // a crash in the middle of appending to the journal leaves a torn line
    std::fs::OpenOptions::new()
        .append(true)
        .open(b.join(JOURNAL))
        .unwrap()
        .write_all(b"{\"chunk\":99,\"records\":12")
        .unwrap();
    // resumed, then killed again a few chunks later
    classify_and_kill(&args(&b, "1", true), &b, done + 3);
    // resumed to the end, with another number of threads
    let mut last = args(&b, "2", true);
    last.retain(|a| a != "--quiet");
    let o = run(last);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("resuming"), "{}", stderr(&o));

    let (ta, mut tb) = (tree(&a), tree(&b));
    let (ra, rb) = (
        tb.remove("run.json").unwrap(),
        ta.get("run.json").unwrap().clone(),
    );
    assert_eq!(without_times(&ra), without_times(&rb));
    let mut ta = ta;
    ta.remove("run.json");
    assert_eq!(
        ta.keys().collect::<Vec<_>>(),
        tb.keys().collect::<Vec<_>>(),
        "same files"
    );
    for (k, v) in &ta {
        assert!(tb[k] == *v, "{k} differs after resume");
    }
    assert!(ta.contains_key("documents.jsonl") && ta.contains_key("errors.jsonl"));
    let docs = ta.keys().filter(|k| k.starts_with("docs/")).count();
    assert_eq!(
        docs,
        3000 - 2 * 12,
        "one Markdown report per classified document"
    );
    let errors = String::from_utf8(ta["errors.jsonl"].clone()).unwrap();
    assert!(errors.contains("\"duplicate_id\"") && errors.contains("\"derived_id\""));
}

#[test]
fn issue_7_resume_ignores_a_checkpoint_of_another_model_or_input() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"real\",\"text\":\"Border Patrol agents detained migrants.\"}\n",
    )
    .unwrap();
    let out = d.join("out");
    let ck = out.join(".framelens-checkpoint");
    std::fs::create_dir_all(&ck).unwrap();
    let fake_doc = "{\"id\":\"fake\"}";
    // a run: its index (id, document line length, summary row, page row) and its documents
    std::fs::write(
        ck.join("run-000000.tsv"),
        format!(
            "\"fake\"\t{}\t[\"fake\",\"\",\"\",\"1\",\"0\",\"0\",\"0\",\"humanitarian\"]\t\n",
            fake_doc.len() + 1
        ),
    )
    .unwrap();
    std::fs::write(ck.join("run-000000.jsonl"), format!("{fake_doc}\n")).unwrap();
    let header = json!({
        "journal_version": framelens::checkpoint::JOURNAL_VERSION,
        "framelens_version": env!("CARGO_PKG_VERSION"),
        "model_hash": "0".repeat(64),
        "settings": {"write_docs": true, "write_html": true, "paragraphs": "full", "max_doc_bytes": 10000000, "max_paragraph_bytes": 100000},
        "inputs": [{"path": input.display().to_string(), "sha256": "0".repeat(64)}],
    });
    let entry = json!({"chunk": 0, "records": 1, "run": "run-000000.tsv", "summary": {
        "read": 1, "classified": 1, "failed": 0, "paragraphs": 1, "bytes": 1,
        "dominant": [1, 0, 0, 0, 0], "share_sum_e6": [1000000, 0, 0, 0], "present": [1, 0, 0, 0],
        "framed_sum_e6": 1000000, "failures": [], "warnings": []}});
    std::fs::write(ck.join("journal.jsonl"), format!("{header}\n{entry}\n")).unwrap();
    let o = run([
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&input),
        "--out".as_ref(),
        os(&out),
        "--resume".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot resume") && err.contains("model"),
        "{err}"
    );
    let ids: Vec<String> = lines_by_id(&out).into_keys().collect();
    assert_eq!(ids, ["real"], "the foreign checkpoint was not used");
    assert!(!ck.exists());

    // --resume with nothing to resume is an ordinary run
    let o = run([
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&input),
        "--out".as_ref(),
        os(&out),
        "--resume".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("no interrupted run"), "{}", stderr(&o));
}

/// A named pipe (as from `<(zcat articles.jsonl.gz)`) is read once, for classification: hashing
/// it for run.json or the checkpoint must not consume it.
#[cfg(unix)]
#[test]
fn issue_7_a_pipe_input_is_not_consumed_by_hashing() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("pipe.jsonl");
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => {}
        _ => {
            eprintln!("skipped: mkfifo is not available");
            return;
        }
    }
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(&fifo).unwrap();
            for i in 0..3 {
                writeln!(
                    f,
                    "{}",
                    json!({"id": format!("p{i}"), "text": "Agents detained migrants."})
                )
                .unwrap();
            }
        })
    };
    let out = dir.path().join("out");
    let o = run([
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&fifo),
        "--out".as_ref(),
        os(&out),
        "--quiet".as_ref(),
    ]);
    writer.join().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines_by_id(&out).len(), 3);
    let run_json: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
    assert_eq!(run_json["inputs"][0]["sha256"], Value::Null);
}

/// A write that fails in the middle of a batch (here one document's report path is a folder)
/// stops the run with exit code 2 and an error naming the file, without hanging the reader,
/// worker and writer threads; the chunks written before it are checkpointed, and once the
/// obstacle is gone `--resume` finishes the batch.
#[test]
fn issue_7_a_failed_write_mid_batch_stops_cleanly_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let lines: Vec<String> = (0..60)
        .map(|i| {
            json!({"id": format!("w{i:03}"), "text": "Agents detained migrants at the border.\n\nFamilies fled violence at home."})
                .to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = dir.path().join("out");
    let blocker = out.join("docs").join("w045.md");
    std::fs::create_dir_all(&blocker).unwrap();
    let args = [
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&input),
        "--out".as_ref(),
        os(&out),
        "--chunk-size".as_ref(),
        "10".as_ref(),
        "--jobs".as_ref(),
        "2".as_ref(),
        "--quiet".as_ref(),
    ];
    let mut child = spawn(args, Stdio::piped());
    let t0 = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if t0.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("classify did not stop after a failed write");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut err).unwrap();
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("w045.md"), "the error names the file: {err}");
    assert!(!out.join("documents.jsonl").exists());
    assert!(
        journal_lines(&out) >= 5,
        "the chunks before the failure are checkpointed"
    );
    std::fs::remove_dir(&blocker).unwrap();
    let mut resume: Vec<&std::ffi::OsStr> = args.to_vec();
    resume.push("--resume".as_ref());
    let o = run(&resume);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(lines_by_id(&out).len(), 60);
    assert!(blocker.is_file());
}

/// Labeled paragraphs with text for every label, as JSONL lines.
fn tiny_labels() -> Vec<String> {
    let rows = [
        (
            "d1",
            0,
            "humanitarian",
            "Families fled persecution and feared for their lives in the jungle.",
        ),
        (
            "d1",
            1,
            "humanitarian",
            "Children died of hunger on the dangerous journey, aid groups said.",
        ),
        (
            "d1",
            2,
            "economic",
            "Unemployment and unpaid wages pushed workers to leave; fees cost thousands.",
        ),
        (
            "d2",
            0,
            "economic",
            "Migrant workers fill jobs and pay taxes, a study of wages found.",
        ),
        (
            "d2",
            1,
            "security",
            "Officials warned of spies and a national security threat.",
        ),
        (
            "d2",
            2,
            "security",
            "Cartels and terrorists threaten the border, officials warned.",
        ),
        (
            "d3",
            0,
            "enforcement",
            "Border Patrol agents detained migrants and processed them for removal.",
        ),
        (
            "d3",
            1,
            "enforcement",
            "Deportation flights resumed and agents detained families, ICE said.",
        ),
        ("d3", 2, "none", "By Jane Doe, staff writer."),
        (
            "d4",
            0,
            "none",
            "The Senate vote is scheduled for Tuesday, staff said.",
        ),
        (
            "d4",
            1,
            "humanitarian",
            "Aid groups said families feared hunger on the journey.",
        ),
        (
            "d4",
            2,
            "economic",
            "Workers said wages and jobs pushed them to leave.",
        ),
    ];
    rows.iter()
        .map(|(id, p, f, t)| json!({"id": id, "para": p, "frame": f, "text": t}).to_string())
        .collect()
}

fn train(labels: &[&Path], out: &Path) -> std::process::Output {
    let mut args: Vec<&std::ffi::OsStr> = vec!["train".as_ref()];
    for l in labels {
        args.push("--labels".as_ref());
        args.push(l.as_os_str());
    }
    args.extend(["--out".as_ref(), out.as_os_str(), "--quiet".as_ref()]);
    run(args)
}

fn no_model_written(out: &Path) {
    for f in ["model.json", "manifest.json", "tokenizer.json", "MODEL.md"] {
        assert!(!out.join(f).exists(), "{f} was written");
    }
}

#[test]
fn issue_7_bad_training_data_names_file_and_line_and_writes_no_model() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let good = tiny_labels();
    let case = |name: &str, lines: &[String]| -> (PathBuf, String) {
        let p = d.join(name);
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        let out = d.join(format!("model-{name}"));
        let o = train(&[&p], &out);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", stderr(&o));
        no_model_written(&out);
        (p, stderr(&o))
    };
    // sanity: the good sample trains
    let ok = d.join("ok.jsonl");
    std::fs::write(&ok, good.join("\n") + "\n").unwrap();
    let o = train(&[&ok], &d.join("model-ok"));
    assert!(o.status.success(), "{}", stderr(&o));

    let mut unknown = good.clone();
    unknown[4] = json!({"id": "d2", "para": 1, "frame": "crime", "text": "x"}).to_string();
    let (p, err) = case("unknown.jsonl", &unknown);
    assert!(err.contains(&format!("{}:5", p.display())), "{err}");
    assert!(err.contains("crime"), "{err}");

    let mut dup = good.clone();
    dup.push(json!({"id": "d1", "para": 0, "frame": "economic", "text": "x"}).to_string());
    let (p, err) = case("duplicate.jsonl", &dup);
    assert!(err.contains(&format!("{}:13", p.display())), "{err}");
    assert!(err.contains("duplicate"), "{err}");

    let no_none: Vec<String> = good
        .iter()
        .filter(|l| !l.contains("\"none\""))
        .cloned()
        .collect();
    let (p, err) = case("no-none.jsonl", &no_none);
    assert!(err.contains("none") && err.contains("no examples"), "{err}");
    assert!(err.contains(&p.display().to_string()), "{err}");

    // labels of paragraphs that do not exist in the articles
    let corpus = d.join("corpus");
    std::fs::create_dir_all(corpus.join("labels")).unwrap();
    let mut arts = String::new();
    let mut labels = String::new();
    for doc in ["d1", "d2", "d3", "d4"] {
        let rows: Vec<Value> = good
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|v| v["id"] == doc)
            .collect();
        let text: Vec<&str> = rows.iter().map(|v| v["text"].as_str().unwrap()).collect();
        arts.push_str(&json!({"id": doc, "text": text.join("\n")}).to_string());
        arts.push('\n');
        for v in &rows {
            labels
                .push_str(&json!({"id": doc, "para": v["para"], "frame": v["frame"]}).to_string());
            labels.push('\n');
        }
    }
    labels.push_str(&json!({"id": "d2", "para": 9, "frame": "economic"}).to_string());
    labels.push('\n');
    std::fs::write(corpus.join("articles.jsonl"), arts).unwrap();
    let pfile = corpus.join("labels").join("paragraphs.jsonl");
    std::fs::write(&pfile, labels).unwrap();
    let out = d.join("model-missing-para");
    let o = train(&[&corpus], &out);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    no_model_written(&out);
    let err = stderr(&o);
    assert!(err.contains(&format!("{}:13", pfile.display())), "{err}");
    assert!(err.contains("paragraph 9"), "{err}");
}

#[test]
fn issue_7_bad_model_files_fail_before_any_document_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels = d.join("labels.jsonl");
    std::fs::write(&labels, tiny_labels().join("\n") + "\n").unwrap();
    let good = d.join("good-model");
    assert!(train(&[&labels], &good).status.success());
    // a second model with another vocabulary, for a mismatched tokenizer
    let mut other_labels = tiny_labels();
    other_labels.push(
        json!({"id": "d5", "para": 0, "frame": "none", "text": "Completely different words appear here here."})
            .to_string(),
    );
    let other_l = d.join("other.jsonl");
    std::fs::write(&other_l, other_labels.join("\n") + "\n").unwrap();
    let other = d.join("other-model");
    assert!(train(&[&other_l], &other).status.success());

    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"text\":\"Agents detained migrants.\"}\n",
    )
    .unwrap();
    let sha = |b: &[u8]| framelens::hash::sha256_hex(b);
    let read = |p: &Path| std::fs::read(p).unwrap();
    let manifest =
        |m: &Path| -> Value { serde_json::from_slice(&read(&m.join("manifest.json"))).unwrap() };
    let fix_manifest = |m: &Path| {
        let mut man = manifest(m);
        let ms = sha(&read(&m.join("model.json")));
        let ts = sha(&read(&m.join("tokenizer.json")));
        let cs = man["codebook_sha256"].as_str().map(str::to_string);
        man["model_hash"] = json!(framelens::model::model_hash(&ms, &ts, cs.as_deref()));
        man["model_sha256"] = json!(ms);
        man["tokenizer_sha256"] = json!(ts);
        std::fs::write(m.join("manifest.json"), man.to_string()).unwrap();
    };
    let copy = |name: &str| -> PathBuf {
        let m = d.join(name);
        std::fs::create_dir_all(&m).unwrap();
        for f in [
            "model.json",
            "manifest.json",
            "tokenizer.json",
            "codebook.toml",
        ] {
            std::fs::copy(good.join(f), m.join(f)).unwrap();
        }
        m
    };
    let mut cases: Vec<(PathBuf, &str)> = vec![(d.join("no-such-model"), "no such model folder")];
    let m = copy("missing-file");
    std::fs::remove_file(m.join("model.json")).unwrap();
    cases.push((m, "model.json: cannot read"));
    let m = copy("truncated");
    let b = read(&m.join("model.json"));
    std::fs::write(m.join("model.json"), &b[..b.len() / 2]).unwrap();
    cases.push((m, "checksum mismatch"));
    let m = copy("truncated-resealed");
    std::fs::write(m.join("model.json"), &b[..b.len() / 2]).unwrap();
    fix_manifest(&m);
    cases.push((m, "invalid model"));
    let m = copy("corrupted");
    let mut c = b.clone();
    let mid = c.len() / 2;
    c[mid] ^= 0x01;
    std::fs::write(m.join("model.json"), &c).unwrap();
    cases.push((m, "checksum mismatch"));
    let m = copy("bad-manifest");
    std::fs::write(m.join("manifest.json"), b"{\"format_version\": 1,").unwrap();
    cases.push((m, "invalid manifest"));
    let m = copy("future-version");
    let mut man = manifest(&m);
    man["format_version"] = json!(99);
    std::fs::write(m.join("manifest.json"), man.to_string()).unwrap();
    cases.push((m, "format version 99"));
    let m = copy("edited-codebook");
    let cb = std::fs::read_to_string(m.join("codebook.toml")).unwrap();
    std::fs::write(m.join("codebook.toml"), cb.replace("economic", "economy")).unwrap();
    cases.push((m, "codebook.toml: checksum mismatch"));
    let m = copy("missing-codebook");
    std::fs::remove_file(m.join("codebook.toml")).unwrap();
    cases.push((m, "codebook.toml: missing"));
    let m = copy("other-tokenizer");
    std::fs::copy(other.join("tokenizer.json"), m.join("tokenizer.json")).unwrap();
    cases.push((m.clone(), "checksum mismatch"));
    let m = copy("other-tokenizer-resealed");
    std::fs::copy(other.join("tokenizer.json"), m.join("tokenizer.json")).unwrap();
    fix_manifest(&m);
    cases.push((m, "not the one the model was trained with"));

    for (model, expect) in cases {
        let out = d.join(format!(
            "out-{}",
            model.file_name().unwrap().to_string_lossy()
        ));
        let o = run([
            os(Path::new("classify")),
            os(Path::new("--docs")),
            os(Path::new("md")),
            os(&input),
            "--model".as_ref(),
            os(&model),
            "--out".as_ref(),
            os(&out),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{}: {err}", model.display());
        assert!(
            err.contains(expect),
            "{}: expected {expect:?} in {err}",
            model.display()
        );
        assert!(err.contains(&model.display().to_string()), "{err}");
        assert!(
            !out.exists(),
            "{}: output written before the model was checked",
            model.display()
        );
    }
    // the untouched copy works
    let o = run([
        os(Path::new("classify")),
        os(Path::new("--docs")),
        os(Path::new("md")),
        os(&input),
        "--model".as_ref(),
        os(&good),
        "--out".as_ref(),
        os(&d.join("out-good")),
        "--quiet".as_ref(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

mod properties {
    //! Property tests of the aggregation invariants.

    use framelens::model::{aggregate, Thresholds};
    use framelens::Codebook;
    use proptest::prelude::*;

    fn cb() -> Codebook {
        Codebook::migration()
    }

    fn thresholds() -> Thresholds {
        Thresholds::from_codebook(&cb())
    }

    fn rows(p: &[[f32; 5]]) -> Vec<Vec<f32>> {
        p.iter().map(|x| x.to_vec()).collect()
    }

    fn para() -> impl Strategy<Value = ([f32; 5], f32)> {
        (prop::array::uniform5(0.0f32..1.0), 1.0f32..500.0).prop_map(|(raw, w)| {
            let s: f32 = raw.iter().sum::<f32>().max(1e-6);
            (raw.map(|x| x / s), w.floor())
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn shares_are_fractions_that_sum_to_one_when_framed(
            paras in prop::collection::vec(para(), 0..40)
        ) {
            let (p, w): (Vec<[f32; 5]>, Vec<f32>) = paras.into_iter().unzip();
            let a = aggregate(&rows(&p), &w, &thresholds(), &cb());
            for &s in &a.shares {
                prop_assert!((0.0..=1.0).contains(&s), "share {s}");
            }
            prop_assert!((0.0..=1.0).contains(&a.framed_fraction));
            let framed_mass: f64 = p.iter().zip(&w)
                .map(|(x, &w)| x[..4].iter().map(|&v| v as f64 * w as f64).sum::<f64>())
                .sum();
            if framed_mass > 0.0 {
                prop_assert!((a.shares.iter().sum::<f64>() - 1.0).abs() < 1e-9);
            } else {
                prop_assert_eq!(a.shares, [0.0; 4]);
                prop_assert_eq!(a.dominant, None);
            }
            if a.dominant.is_some() {
                prop_assert!(a.framed_fraction >= thresholds().framed_min);
            }
            for &l in &a.present {
                prop_assert!(cb().is_frame(l));
            }
        }

        #[test]
        fn shares_do_not_depend_on_paragraph_order(
            paras in prop::collection::vec(para(), 1..40),
            seed in any::<u64>()
        ) {
            let (p, w): (Vec<[f32; 5]>, Vec<f32>) = paras.iter().cloned().unzip();
            let mut shuffled = paras.clone();
            // a seeded Fisher–Yates shuffle
            let mut s = seed | 1;
            for i in (1..shuffled.len()).rev() {
                s ^= s << 13; s ^= s >> 7; s ^= s << 17;
                shuffled.swap(i, (s % (i as u64 + 1)) as usize);
            }
            let (p2, w2): (Vec<[f32; 5]>, Vec<f32>) = shuffled.into_iter().unzip();
            let t = thresholds();
            let (a, b) = (
                aggregate(&rows(&p), &w, &t, &cb()),
                aggregate(&rows(&p2), &w2, &t, &cb()),
            );
            for (x, y) in a.shares.iter().zip(&b.shares) {
                prop_assert!((x - y).abs() < 1e-9, "{x} vs {y}");
            }
            prop_assert!((a.framed_fraction - b.framed_fraction).abs() < 1e-9);
            let mut sorted = a.shares.clone();
            sorted.sort_by(|x, y| y.total_cmp(x));
            if sorted[0] - sorted[1] > 1e-9 && (a.framed_fraction - t.framed_min).abs() > 1e-9 {
                prop_assert_eq!(a.dominant, b.dominant);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(12))]

        /// The whole batch gives byte-identical outputs for any --jobs and --chunk-size.
        #[test]
        fn outputs_are_identical_for_any_jobs_and_chunk_size(
            docs in prop::collection::vec(
                prop::collection::vec(prop::sample::select(WORDS.to_vec()), 0..30),
                1..25,
            ),
            jobs in 2usize..6,
            chunk in 1usize..8,
        ) {
            let dir = tempfile::tempdir().unwrap();
            let input = dir.path().join("in.jsonl");
            let mut body = String::new();
            for (i, words) in docs.iter().enumerate() {
                let text = words.chunks(6).map(|c| c.join(" ")).collect::<Vec<_>>().join("\n");
                body.push_str(&serde_json::json!({"id": format!("d{}", i % 7), "text": text}).to_string());
                body.push('\n');
            }
            std::fs::write(&input, body).unwrap();
            let (model, manifest) = super::tiny_model_in(dir.path());
            let mut outs = Vec::new();
            for (j, c) in [(1, 1000), (jobs, chunk)] {
                let out = dir.path().join(format!("out-{j}-{c}"));
                let mut cfg = framelens::classify::ClassifyConfig::new(vec![input.clone()], out.clone());
                cfg.jobs = j;
                cfg.chunk_size = c;
                cfg.progress = false;
                let cfg = cfg.check().unwrap();
                framelens::classify::run(&model, &manifest, &cfg).unwrap();
                outs.push(out);
            }
            for f in ["documents.jsonl", "summary.csv", "summary.md", "errors.jsonl"] {
                prop_assert!(
                    std::fs::read(outs[0].join(f)).unwrap() == std::fs::read(outs[1].join(f)).unwrap(),
                    "{} differs", f
                );
            }
        }
    }

    const WORDS: [&str; 24] = [
        "families",
        "fled",
        "persecution",
        "hunger",
        "wages",
        "jobs",
        "taxes",
        "workers",
        "cartels",
        "spies",
        "threat",
        "security",
        "agents",
        "detained",
        "deportation",
        "border",
        "the",
        "and",
        "said",
        "!!!",
        "<p>",
        "&amp;",
        "🎉",
        "",
    ];
}

/// Train the tiny model into `dir` (once per folder) and load it.
fn tiny_model_in(dir: &Path) -> (framelens::FramingModel, framelens::model::Manifest) {
    let m = dir.join("tiny-model");
    if !m.join("manifest.json").exists() {
        let labels = dir.join("tiny-labels.jsonl");
        std::fs::write(&labels, tiny_labels().join("\n") + "\n").unwrap();
        let o = train(&[&labels], &m);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    framelens::FramingModel::load(&m).unwrap()
}
