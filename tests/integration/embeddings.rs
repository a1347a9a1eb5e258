//! Issue 11: the embedding table shipped with the default model (format 3).

use std::path::{Path, PathBuf};

use framelens::corpus::read_jsonl;
use framelens::embed::{self, EmbeddingTable};
use framelens::features::{merge_rows, DocBlock};
use framelens::hash::sha256_hex;
use framelens::model::FramingModel;
use serde_json::{json, Value};

use crate::util::{framelens, root, stderr};

/// The files of a model folder with an embedding table.
const MODEL_FILES: [&str; 5] = [
    "model.json",
    "manifest.json",
    "tokenizer.json",
    "codebook.toml",
    embed::TABLE_FILE,
];

fn copy_model(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in MODEL_FILES {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
}

fn classify(model: &Path, input: &Path, out: &Path) -> std::process::Output {
    framelens([
        "classify".as_ref(),
        input.as_os_str(),
        "--model".as_ref(),
        model.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
        "--quiet".as_ref(),
    ])
}

/// The shipped table folder.
fn table_dir() -> PathBuf {
    root().join("models").join("embeddings")
}

/// A model with the shipped table, trained on `corpus/` once per test run (a few seconds).
pub(crate) fn table_model() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("framelens-issue11-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let o = framelens([
            "train".as_ref(),
            "--labels".as_ref(),
            root().join("corpus").as_os_str(),
            "--embeddings".as_ref(),
            table_dir().as_os_str(),
            "--max-iterations".as_ref(),
            "10".as_ref(),
            "--quiet".as_ref(),
            "--out".as_ref(),
            d.as_os_str(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        d
    })
    .clone()
}

#[test]
fn issue_11_a_model_with_the_table_covers_it_in_its_manifest() {
    let m = table_model();
    let man: Value =
        serde_json::from_slice(&std::fs::read(m.join("manifest.json")).unwrap()).unwrap();
    let bytes = std::fs::read(m.join(embed::TABLE_FILE)).unwrap();
    assert_eq!(
        bytes,
        std::fs::read(table_dir().join(embed::TABLE_FILE)).unwrap()
    );
    assert_eq!(man["embeddings_sha256"], json!(sha256_hex(&bytes)));
    assert_eq!(
        man["format_version"],
        json!(framelens::model::FORMAT_VERSION)
    );
    let t = EmbeddingTable::from_safetensors(&bytes, Path::new("t")).unwrap();
    let (model, _) = FramingModel::load(&m).unwrap();
    assert_eq!(t.rows(), model.tokenizer().vocab_size());
    assert!(
        model.tokenizer().fast_path(),
        "the WordPiece fast path is on"
    );
}

#[test]
fn issue_11_wordpiece_fast_path_equals_the_reference_on_the_corpus() {
    let tk =
        framelens::tokenize::DocTokenizer::from_file(&table_dir().join("tokenizer.json")).unwrap();
    assert!(tk.fast_path());
    for a in read_jsonl(&root().join("corpus").join("articles.jsonl")).unwrap() {
        let a = a.unwrap();
        for p in a.paragraphs() {
            assert_eq!(tk.ids(p).unwrap(), tk.encode_reference(p).unwrap(), "{p:?}");
        }
    }
}

#[test]
fn issue_11_a_corrupted_or_missing_table_is_refused_before_any_input_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"text\":\"Agents detained migrants.\"}\n",
    )
    .unwrap();
    let good = table_model();
    let corrupt = d.join("corrupt");
    copy_model(&good, &corrupt);
    let p = corrupt.join(embed::TABLE_FILE);
    let mut b = std::fs::read(&p).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0x40;
    std::fs::write(&p, &b).unwrap();
    let missing = d.join("missing");
    copy_model(&good, &missing);
    std::fs::remove_file(missing.join(embed::TABLE_FILE)).unwrap();
    let truncated = d.join("truncated");
    copy_model(&good, &truncated);
    let t = truncated.join(embed::TABLE_FILE);
    let b = std::fs::read(&t).unwrap();
    std::fs::write(&t, &b[..b.len() - 100]).unwrap();
    // the intact copy scores (so the failures below come from the table alone)
    let intact = d.join("intact");
    copy_model(&good, &intact);
    let o = classify(&intact, &input, &d.join("out-intact"));
    assert!(o.status.success(), "{}", stderr(&o));
    for (model, expect) in [
        (&corrupt, "checksum mismatch"),
        (&missing, "cannot read"),
        (&truncated, "checksum mismatch"),
    ] {
        let out = d.join(format!(
            "out-{}",
            model.file_name().unwrap().to_string_lossy()
        ));
        let o = classify(model, &input, &out);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(expect), "{expect:?} in {err}");
        assert!(err.contains(embed::TABLE_FILE), "{err}");
        assert!(!out.exists());
    }
}

/// The straightforward scoring: sparse TF-IDF row plus the dense blocks of
/// [`embed::reference_blocks`], dotted with the classifier's weights, plus intercepts.
fn reference_probs(model: &FramingModel, table: &EmbeddingTable, paras: &[&str]) -> Vec<[f32; 5]> {
    let toks: Vec<Vec<u32>> = paras
        .iter()
        .map(|p| model.tokenizer().ids(p).unwrap())
        .collect();
    let f = model.file();
    let ep = f.train_params.embeddings.as_ref().unwrap();
    let w = f.classifier.params();
    let b = f.classifier.intercept();
    let nf = model.featurizer().n_features();
    let doc = model.featurizer().doc_row(&DocBlock { paras: &toks });
    let dt = framelens::model::DocTokens {
        paras: toks.clone(),
    };
    (0..paras.len())
        .map(|i| {
            let row = merge_rows(&model.featurizer().transform(&dt.para(i)), &doc);
            let dense = embed::reference_blocks(table, ep, &toks, i);
            let mut z = [0f64; 5];
            for (c, z) in z.iter_mut().enumerate() {
                *z = (b[c] + f.intercept_adjust[c]) as f64;
                for (&j, &v) in row.idx.iter().zip(&row.val) {
                    *z += (v * w[[j as usize, c]]) as f64;
                }
                for (j, &v) in dense.iter().enumerate() {
                    *z += (v * w[[nf + j, c]]) as f64;
                }
            }
            let m = z.iter().cloned().fold(f64::MIN, f64::max);
            let e = z.map(|x| (x - m).exp());
            let s: f64 = e.iter().sum();
            e.map(|x| (x / s) as f32)
        })
        .collect()
}

#[test]
fn issue_11_folded_scoring_equals_the_dense_reference_on_the_corpus() {
    folded_scoring_equals_the_dense_reference(&table_model());
}

/// The shipped default model, whose table is keyed by its own words (`--embed-keys words`).
#[test]
fn issue_11_the_default_model_scores_as_the_dense_reference_on_the_corpus() {
    let m = root().join("models").join("default");
    let (model, _) = FramingModel::load(&m).unwrap();
    let ep = model.file().train_params.embeddings.as_ref().unwrap();
    assert_eq!(ep.keys, embed::Keys::Words);
    folded_scoring_equals_the_dense_reference(&m);
}

/// Every paragraph of `corpus/` scored by `m` (a model folder with a table) equals
/// [`reference_probs`].
fn folded_scoring_equals_the_dense_reference(m: &Path) {
    let (model, _) = FramingModel::load(m).unwrap();
    let bytes = std::fs::read(m.join(embed::TABLE_FILE)).unwrap();
    let table = EmbeddingTable::from_safetensors(&bytes, Path::new("t"))
        .unwrap()
        .standardized(model.file().embeddings_standardizer.as_ref().unwrap());
    let mut n = 0;
    for a in read_jsonl(&root().join("corpus").join("articles.jsonl")).unwrap() {
        let a = a.unwrap();
        let paras = a.paragraphs();
        let fast = model.score_document(&paras).unwrap();
        let slow = reference_probs(&model, &table, &paras);
        for (x, y) in fast.paragraphs.iter().zip(&slow) {
            for c in 0..5 {
                assert!((x[c] - y[c]).abs() < 2e-5, "{}: {x:?} vs {y:?}", a.id);
            }
        }
        n += paras.len();
    }
    assert!(n > 100, "{n} paragraphs compared");
}

fn tiny_labels(d: &Path) -> PathBuf {
    let rows = [
        (
            "d0",
            0,
            "humanitarian",
            "Families fled persecution and feared for their lives.",
        ),
        (
            "d0",
            1,
            "economic",
            "Unemployment and unpaid wages pushed workers to leave.",
        ),
        (
            "d1",
            0,
            "security",
            "Officials warned of espionage and spies at the border.",
        ),
        (
            "d1",
            1,
            "enforcement",
            "Border Patrol agents apprehended 300 migrants.",
        ),
        ("d2", 0, "none", "By Jane Doe, staff writer"),
        (
            "d2",
            1,
            "enforcement",
            "Deportation flights resumed, ICE said.",
        ),
    ];
    let text: String = rows
        .iter()
        .map(|(id, p, f, t)| json!({"id": id, "para": p, "frame": f, "text": t}).to_string() + "\n")
        .collect();
    let p = d.join("labels.jsonl");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn issue_11_training_with_a_table_is_byte_identical_and_format_1_still_loads() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels = tiny_labels(d);
    let train = |out: &Path, extra: &[&str]| {
        let mut args: Vec<std::ffi::OsString> = vec![
            "train".into(),
            "--labels".into(),
            labels.clone().into(),
            "--out".into(),
            out.into(),
            "--quiet".into(),
        ];
        args.extend(extra.iter().map(|s| s.into()));
        let o = framelens(args);
        assert!(o.status.success(), "{}", stderr(&o));
    };
    let table = table_dir();
    let t = table.to_str().unwrap();
    let (a, b) = (d.join("a"), d.join("b"));
    train(&a, &["--embeddings", t, "--embed-context-weight", "0.5"]);
    train(&b, &["--embeddings", t, "--embed-context-weight", "0.5"]);
    for f in MODEL_FILES {
        assert!(
            std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two trainings"
        );
    }
    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"x\",\"text\":\"Agents detained spies.\"}\n",
    )
    .unwrap();
    assert!(classify(&a, &input, &d.join("out-a")).status.success());

    // a model without a table, rewritten as format 1 (no codebook, no table), still scores
    let plain = d.join("plain");
    train(&plain, &[]);
    let mp = plain.join("model.json");
    let mut mj: Value = serde_json::from_slice(&std::fs::read(&mp).unwrap()).unwrap();
    mj["format_version"] = json!(1);
    let text = serde_json::to_string(&mj).unwrap();
    std::fs::write(&mp, &text).unwrap();
    let manp = plain.join("manifest.json");
    let mut man: Value = serde_json::from_slice(&std::fs::read(&manp).unwrap()).unwrap();
    let ts = sha256_hex(&std::fs::read(plain.join("tokenizer.json")).unwrap());
    let ms = sha256_hex(text.as_bytes());
    man["format_version"] = json!(1);
    man["model_sha256"] = json!(ms);
    man["model_hash"] = json!(framelens::model::model_hash(&ms, &ts, None));
    man.as_object_mut().unwrap().remove("codebook_sha256");
    std::fs::remove_file(plain.join("codebook.toml")).unwrap();
    std::fs::write(&manp, man.to_string()).unwrap();
    let o = classify(&plain, &input, &d.join("out-plain"));
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn issue_11_jobs_1_and_2_give_identical_reports_and_terms_are_content_words() {
    let dir = tempfile::tempdir().unwrap();
    let m = table_model();
    let samples = root().join("corpus").join("samples");
    let run = |jobs: &str| {
        let out = dir.path().join(format!("out-{jobs}"));
        let o = framelens([
            "classify".as_ref(),
            samples.as_os_str(),
            "--model".as_ref(),
            m.as_os_str(),
            "--out".as_ref(),
            out.as_os_str(),
            "--jobs".as_ref(),
            jobs.as_ref(),
            "--quiet".as_ref(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        out
    };
    let (a, b) = (run("1"), run("2"));
    for f in ["documents.jsonl", "summary.csv", "summary.md"] {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between --jobs 1 and --jobs 2"
        );
    }
    // the evidence terms of every document: words of two letters or more, no stopwords, no
    // word pieces, no bare numbers or punctuation
    let mut n = 0;
    for line in std::fs::read_to_string(a.join("documents.jsonl"))
        .unwrap()
        .lines()
    {
        let d: Value = serde_json::from_str(line).unwrap();
        let Some(terms) = d.get("terms").and_then(|t| t.as_object()) else {
            continue;
        };
        for list in terms.values() {
            for t in list.as_array().unwrap() {
                let t = t.as_str().unwrap();
                n += 1;
                assert!(!t.starts_with("##"), "word piece {t:?}");
                assert!(t.chars().any(char::is_alphabetic), "no letter in {t:?}");
                let words: Vec<&str> = t.split(' ').collect();
                assert!(
                    !words.iter().all(|w| embed::is_stopword(w)),
                    "stopword term {t:?}"
                );
                if words.len() == 1 {
                    assert!(!embed::is_stopword(t), "stopword term {t:?}");
                }
            }
        }
    }
    assert!(n > 0, "no evidence terms in documents.jsonl");
}

#[test]
fn issue_11_a_table_keyed_by_the_trained_words_trains_and_scores() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let labels = tiny_labels(d);
    let out = d.join("words");
    let o = framelens([
        "train".as_ref(),
        "--labels".as_ref(),
        labels.as_os_str(),
        "--embeddings".as_ref(),
        table_dir().as_os_str(),
        "--embed-keys".as_ref(),
        "words".as_ref(),
        "--max-iterations".as_ref(),
        "5".as_ref(),
        "--quiet".as_ref(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (model, _) = FramingModel::load(&out).unwrap();
    let bytes = std::fs::read(out.join(embed::TABLE_FILE)).unwrap();
    let t = EmbeddingTable::from_safetensors(&bytes, &out.join(embed::TABLE_FILE)).unwrap();
    // one row per word of the model's own (trained) tokenizer, not the table's 30,522 pieces
    assert_eq!(t.rows(), model.tokenizer().vocab_size());
    assert!(t.rows() < 1000, "{}", t.rows());
    let input = d.join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"x\",\"text\":\"Agents detained spies.\"}\n",
    )
    .unwrap();
    let o = classify(&out, &input, &d.join("o"));
    assert!(o.status.success(), "{}", stderr(&o));
}
