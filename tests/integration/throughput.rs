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
    for row in &s.rows {
        for (&i, &v) in row.idx.iter().zip(&row.val) {
            if matches!(
                model.featurizer().kind(i),
                FeatureKind::Unigram(_) | FeatureKind::Bigram(..)
            ) {
                let w = model.weight(i);
                let mean = w.iter().sum::<f32>() / framelens::Label::COUNT as f32;
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
            (t.chars().any(char::is_alphanumeric) && !t.contains("[UNK]")).then_some(t)
        })
        .take(framelens::report::TERMS_PER_FRAME)
        .collect()
}

#[test]
fn report_terms_equal_the_reference_definition() {
    let (model, _) = FramingModel::load(&default_model()).expect("default model loads");
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
                "{} {f}",
                a.id
            );
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} frames had terms");
}
