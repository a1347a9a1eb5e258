//! Issue 6: throughput work that must not change results: the tokenizer's fast path, and
//! sharded runs merged into exactly what one run writes.

use framelens::corpus::{read_jsonl, Article};
use framelens::FramingModel;

use crate::util::{default_model, root, shared};

fn paragraphs_of(path: &std::path::Path) -> Vec<String> {
    read_jsonl(path)
        .expect("articles open")
        .filter_map(Result::ok)
        .flat_map(|a: Article| {
            a.paragraphs()
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

/// The fast path's ids equal `Tokenizer::encode` on every paragraph of the corpus (and of the
/// shared AllSides articles when present).
#[test]
fn tokenizer_fast_path_equals_encode_on_every_corpus_paragraph() {
    let (model, _) = FramingModel::load(&default_model()).expect("default model loads");
    let tk = model.tokenizer();
    assert!(
        tk.fast_path(),
        "the shipped tokenizer should use the fast path"
    );
    let mut paras = paragraphs_of(&root().join("corpus").join("articles.jsonl"));
    if let Some(s) = shared() {
        paras.extend(paragraphs_of(
            &s.join("data").join("allsides-immigration.jsonl"),
        ));
    }
    assert!(paras.len() > 3000);
    let mut out = Vec::new();
    for p in &paras {
        out.clear();
        tk.ids_into(p, &mut out).expect("tokenizes");
        assert_eq!(out, tk.encode_reference(p).expect("encodes"), "{p:?}");
    }
}

/// The straightforward definition of a frame's terms (one map per frame), as the report
/// computed them before it was optimised: the report must still list exactly these.
fn reference_terms(model: &FramingModel, s: &framelens::model::DocScores, c: usize) -> Vec<String> {
    use framelens::features::FeatureKind;
    use std::collections::BTreeMap;
    let mut contrib: BTreeMap<u32, f32> = BTreeMap::new();
    for (idx, val) in s.rows.iter() {
        for (&i, &v) in idx.iter().zip(val) {
            if matches!(
                model.featurizer().kind(i),
                FeatureKind::Unigram(_) | FeatureKind::Bigram(..)
            ) {
                let w = model.weight(i);
                let mean = w.iter().sum::<f32>() / w.len() as f32;
                *contrib.entry(i).or_default() += v * (w[c] - mean);
            }
        }
    }
    let mut v: Vec<(u32, f32)> = contrib.into_iter().filter(|(_, x)| *x > 0.0).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let word = |id: u32| {
        model
            .tokenizer()
            .id_to_token(id)
            .unwrap_or_else(|| "?".into())
    };
    v.into_iter()
        .filter_map(|(i, _)| {
            let t = match model.featurizer().kind(i) {
                FeatureKind::Unigram(a) => word(a),
                FeatureKind::Bigram(a, b) => format!("{} {}", word(a), word(b)),
                _ => return None,
            };
            // issue 16: content words only (no stopwords, numbers or punctuation)
            t.split(' ')
                .all(framelens::report::is_content_word)
                .then_some(t)
        })
        .take(framelens::report::TERMS_PER_FRAME)
        .collect()
}

#[test]
fn report_terms_equal_the_reference_definition() {
    // a TF-IDF-only model (the default model has an embedding table, whose terms also count
    // the table's push and leave out stopwords: tested in embeddings.rs)
    let v1 = root().join("tests").join("fixtures").join("model-v1");
    let (model, _) = FramingModel::load(&v1).expect("the v1 fixture model loads");
    let articles: Vec<Article> = read_jsonl(&root().join("corpus").join("articles.jsonl"))
        .expect("articles open")
        .filter_map(Result::ok)
        .collect();
    let mut checked = 0;
    for a in &articles {
        let paras = a.paragraphs();
        let s = model.score_document(&paras).expect("scores");
        let r = framelens::report::build_report(&model, a, &paras, &s);
        for (f, terms) in &r.terms {
            assert_eq!(
                terms,
                &reference_terms(&model, &s, f.index()),
                "{} {}",
                a.id,
                model.codebook().name(*f)
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} frames had terms");
}

fn read_tree(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .expect("folder lists")
        .map(|e| {
            let e = e.expect("entry");
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).expect("file reads"),
            )
        })
        .collect();
    v.sort();
    v
}

/// Issue 6: `classify --shard I/N` runs merged with `framelens merge` write exactly what one
/// run writes, including renamed duplicate ids, failed records and their errors.
#[test]
fn sharded_runs_merge_into_exactly_the_single_run() {
    use crate::util::framelens;
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    let corpus = std::fs::read_to_string(root().join("corpus").join("articles.jsonl")).unwrap();
    let lines: Vec<&str> = corpus.lines().collect();
    let mut text = lines[..60].join("\n");
    // a malformed line, duplicated ids (renamed #2, #3) and an empty text
    text.push_str("\n{oops\n");
    text.push_str(&lines[..3].join("\n"));
    text.push('\n');
    text.push_str(lines[0]);
    text.push_str("\n{\"id\":\"empty\",\"text\":\"  \"}\n");
    std::fs::write(&input, text).unwrap();
    let out = |name: &str| dir.path().join(name);
    let classify = |o: &std::path::Path, extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "classify".into(),
            input.clone().into(),
            "--out".into(),
            o.into(),
            "--quiet".into(),
            "--chunk-size".into(),
            "16".into(),
            "--docs".into(),
            "md".into(),
        ];
        args.extend(extra.iter().map(|s| s.into()));
        let r = framelens(&args);
        // 1: some records failed (each lands in one shard only)
        assert!(
            matches!(r.status.code(), Some(0 | 1)),
            "{}",
            crate::util::stderr(&r)
        );
        r.status.code()
    };
    assert_eq!(classify(&out("single"), &[]), Some(1));
    let n = 3;
    let shards: Vec<std::path::PathBuf> = (1..=n).map(|i| out(&format!("s{i}"))).collect();
    for (i, s) in shards.iter().enumerate() {
        classify(s, &["--shard", &format!("{}/{n}", i + 1), "--jobs", "1"]);
    }
    // every shard did part of the work, and together they did all of it
    let count = |d: &std::path::Path| crate::util::documents(d).len();
    assert!(shards.iter().all(|s| count(s) > 0));
    assert_eq!(
        shards.iter().map(|s| count(s)).sum::<usize>(),
        count(&out("single"))
    );
    let mut args: Vec<std::ffi::OsString> = vec!["merge".into(), out("merged").into()];
    args.extend(shards.iter().rev().map(|s| s.clone().into()));
    let r = framelens(&args);
    assert_eq!(r.status.code(), Some(1), "{}", crate::util::stderr(&r));
    for f in [
        "documents.jsonl",
        "summary.csv",
        "summary.md",
        "errors.jsonl",
    ] {
        assert_eq!(
            std::fs::read(out("single").join(f)).unwrap(),
            std::fs::read(out("merged").join(f)).unwrap(),
            "{f} differs"
        );
    }
    assert_eq!(
        read_tree(&out("single").join("docs")),
        read_tree(&out("merged").join("docs"))
    );
    let errors = std::fs::read_to_string(out("merged").join("errors.jsonl")).unwrap();
    assert!(
        errors.contains("malformed") && errors.contains("duplicate"),
        "{errors}"
    );
    // run.json: identical but for the times and the threads
    let run = |d: &std::path::Path| -> serde_json::Value {
        let mut v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(d.join("run.json")).unwrap()).unwrap();
        for k in ["started", "finished", "jobs"] {
            v.as_object_mut().unwrap().remove(k);
        }
        v
    };
    assert_eq!(run(&out("single")), run(&out("merged")));
    // an incomplete set of shards is refused
    let r = framelens([
        "merge".as_ref(),
        out("partial").as_os_str(),
        shards[0].as_os_str(),
        shards[1].as_os_str(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(crate::util::stderr(&r).contains("missing shard(s) 3/3"));
}
