//! Criterion benches, one per pipeline stage, so a regression shows which stage moved.
//!
//! Input: the project's own `corpus/articles.jsonl` (300 articles, ~0.9 MB of text) and the
//! shipped `models/default`; nothing is fetched. Every stage reports `Throughput::Bytes` of the
//! *article text* it covers, so the MB/s of the stages can be compared with each other and with
//! the end-to-end figure of `benches/throughput.sh`.
//!
//! Stages: `tokenize` (warm per-thread chunk cache, the steady state of a long run),
//! `tokenize_cold` (fresh cache: every distinct chunk goes through the Hugging Face encoder),
//! `tokenize_hf_encode` (plain `Tokenizer::encode` per paragraph, the reference path),
//! `featurize`, `score`, `aggregate` (document aggregates and the report with evidence and
//! terms), `narratives` (detecting the 30 storylines of `models/narratives/us-2012-2020.toml`
//! from the paragraphs' token ids; `narratives_allsides` on the first 300 AllSides articles
//! when `../shared` is there), `write` (documents.jsonl, summary.csv/md and docs/*.md into a fresh folder), and
//! `end_to_end` (`classify::run` on the corpus file, one thread).
//!
//! Run: `cargo bench --bench pipeline` (add `-- tokenize` to run one stage).

use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};

use framelens::classify::{self, ClassifyConfig};
use framelens::corpus::{read_jsonl, Article};
use framelens::features::SparseRow;
use framelens::model::{aggregate, DocScores, DocTokens, FramingModel, Manifest};
use framelens::narratives::NarrativeSet;
use framelens::report::{build_report, DocReport, ReportWriter, Summary};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

struct Fixture {
    model: FramingModel,
    manifest: Manifest,
    articles: Vec<Article>,
    bytes: u64,
}

fn fixture() -> Fixture {
    let (model, manifest) =
        FramingModel::load(&root().join("models").join("default")).expect("default model loads");
    let articles: Vec<Article> = read_jsonl(&root().join("corpus").join("articles.jsonl"))
        .expect("corpus/articles.jsonl opens")
        .collect::<Result<_, _>>()
        .expect("corpus articles are valid");
    let bytes = articles.iter().map(|a| a.text.len() as u64).sum();
    Fixture {
        model,
        manifest,
        articles,
        bytes,
    }
}

fn tokens(model: &FramingModel, a: &Article) -> DocTokens {
    DocTokens {
        paras: a
            .paragraphs()
            .iter()
            .map(|p| model.tokenizer().ids(p).expect("tokenizes"))
            .collect(),
    }
}

fn stages(c: &mut Criterion) {
    let fx = fixture();
    let m = &fx.model;
    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(fx.bytes))
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));

    g.bench_function("tokenize", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            let mut n = 0;
            for a in &fx.articles {
                for p in a.paragraphs() {
                    out.clear();
                    m.tokenizer().ids_into(p, &mut out).expect("tokenizes");
                    n += out.len();
                }
            }
            n
        })
    });
    g.bench_function("tokenize_cold", |b| {
        b.iter_batched(
            || m.tokenizer().clone(),
            |tk| {
                let mut n = 0;
                for a in &fx.articles {
                    for p in a.paragraphs() {
                        n += tk.ids(p).expect("tokenizes").len();
                    }
                }
                n
            },
            BatchSize::PerIteration,
        )
    });
    g.bench_function("tokenize_hf_encode", |b| {
        b.iter(|| {
            let mut n = 0;
            for a in &fx.articles {
                for p in a.paragraphs() {
                    n += m.tokenizer().encode_reference(p).expect("encodes").len();
                }
            }
            n
        })
    });

    let toks: Vec<DocTokens> = fx.articles.iter().map(|a| tokens(m, a)).collect();
    g.bench_function("featurize", |b| {
        b.iter(|| {
            let mut n = 0;
            for t in &toks {
                for i in 0..t.paras.len() {
                    n += m.featurizer().transform(&t.para(i)).idx.len();
                }
            }
            n
        })
    });

    let rows: Vec<Vec<SparseRow>> = toks
        .iter()
        .map(|t| {
            (0..t.paras.len())
                .map(|i| m.featurizer().transform(&t.para(i)))
                .collect()
        })
        .collect();
    g.bench_function("score", |b| {
        b.iter(|| {
            let mut s = 0f32;
            for doc in &rows {
                for r in doc {
                    s += m.predict_row(r)[0];
                }
            }
            s
        })
    });

    let scores: Vec<DocScores> = fx
        .articles
        .iter()
        .map(|a| m.score_document(&a.paragraphs()).expect("scores"))
        .collect();
    g.bench_function("aggregate", |b| {
        b.iter(|| {
            let mut n = 0;
            for (a, s) in fx.articles.iter().zip(&scores) {
                let agg = aggregate(&s.paragraphs, &s.weights, m.thresholds(), m.codebook());
                n += agg.present.len();
                n += build_report(m, a, &a.paragraphs(), s).terms.len();
            }
            n
        })
    });

    let reports: Vec<DocReport> = fx
        .articles
        .iter()
        .zip(&scores)
        .map(|(a, s)| build_report(m, a, &a.paragraphs(), s))
        .collect();
    let mut summary = Summary::default();
    for (r, a) in reports.iter().zip(&fx.articles) {
        summary.add_report(r, a.text.len());
    }
    g.bench_function("write", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                let mut w = ReportWriter::new(dir.path(), true).expect("writer");
                w.add_chunk(&reports).expect("chunk written");
                w.finish(&summary, m.codebook()).expect("finished");
                dir
            },
            BatchSize::PerIteration,
        )
    });

    // narrative detection as classify runs it: from the paragraphs' token ids, with the
    // shipped set of 30 US storylines, on the corpus and (when `../shared` is there) on the
    // first 300 AllSides articles, whose coverage those storylines are about
    let set = NarrativeSet::from_file(&root().join("models/narratives/us-2012-2020.toml"))
        .expect("shipped narratives load");
    g.bench_function("narratives", |b| {
        b.iter(|| detect_all(m, &set, &fx.articles, &toks))
    });
    let allsides = root().join("../shared/data/allsides-immigration.jsonl");
    match read_jsonl(&allsides) {
        Ok(docs) => {
            let docs: Vec<Article> = docs.filter_map(Result::ok).take(300).collect();
            let toks: Vec<DocTokens> = docs.iter().map(|a| tokens(m, a)).collect();
            g.throughput(Throughput::Bytes(
                docs.iter().map(|a| a.text.len() as u64).sum(),
            ));
            g.bench_function("narratives_allsides", |b| {
                b.iter(|| detect_all(m, &set, &docs, &toks))
            });
            g.throughput(Throughput::Bytes(fx.bytes));
        }
        Err(e) => eprintln!("skipped narratives_allsides: {}: {e}", allsides.display()),
    }

    let input = root().join("corpus").join("articles.jsonl");
    g.bench_function("end_to_end", |b| {
        b.iter_batched(
            || tempfile::tempdir().expect("temp dir"),
            |dir| {
                run_once(m, &fx.manifest, &input, dir.path());
                dir
            },
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

/// Detect the narratives of every article from its token ids; the number of paragraphs with
/// one.
fn detect_all(m: &FramingModel, set: &NarrativeSet, docs: &[Article], toks: &[DocTokens]) -> usize {
    let mut n = 0;
    for (a, t) in docs.iter().zip(toks) {
        let paras = a.paragraphs();
        let d = set.detect_classified(&paras, Some((m.tokenizer(), &t.paras)), |_| {
            String::from("none")
        });
        n += d.paragraphs.iter().filter(|p| !p.is_empty()).count();
    }
    n
}

fn run_once(m: &FramingModel, manifest: &Manifest, input: &Path, out: &Path) {
    let mut cfg = ClassifyConfig::new(vec![input.to_path_buf()], out.to_path_buf());
    cfg.jobs = 1;
    cfg.progress = false;
    let cfg = cfg.check().expect("valid config");
    let s = classify::run(m, manifest, &cfg).expect("classify runs");
    assert_eq!(s.failed, 0);
}

criterion_group!(benches, stages);
criterion_main!(benches);
