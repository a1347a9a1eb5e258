//! `classify` (and storing its run with `--db`) and `merge` of the shards of a batch.

use super::*;

use framelens::classify::{self, ClassifyConfig};

#[derive(Debug, Args)]
pub(super) struct ClassifyArgs {
    /// Input files or folders (`-` reads JSONL from stdin).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder for the reports.
    #[arg(long, short)]
    out: PathBuf,
    /// Model folder; default: the model built into framelens (the source's models/default).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Worker threads (output is identical for any value); default: all cores.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Documents per chunk; at most three chunks (read, classified, written) are in memory.
    #[arg(long, default_value_t = 500)]
    chunk_size: usize,
    /// Also write one Markdown report per document: `--docs md` writes docs/<id>.md (off by
    /// default; report.html shows every document).
    #[arg(long, value_name = "FORMAT", value_parser = ["md", "none"], default_value = "none")]
    docs: String,
    /// Accepted for old scripts: per-document Markdown is now off unless `--docs md`.
    #[arg(long, hide = true)]
    no_docs: bool,
    /// Do not write report.html.
    #[arg(long)]
    no_html: bool,
    /// Paragraph detail in documents.jsonl: full (index, label and every label's score),
    /// labels (index and label) or none (no `paragraphs` field).
    #[arg(long, value_name = "full|labels|none", default_value = "full")]
    paragraphs: framelens::report::ParagraphDetail,
    /// Continue an interrupted run in --out: chunks already done with the same model, inputs
    /// and settings are kept, the rest is classified (starts over when nothing matches).
    #[arg(long)]
    resume: bool,
    /// Reject a record (JSONL line, CSV row, text file) larger than this many bytes.
    #[arg(long, default_value_t = framelens::corpus::Limits::default().max_doc_bytes)]
    max_doc_bytes: usize,
    /// Reject a document with a paragraph (line) longer than this many bytes.
    #[arg(long, default_value_t = framelens::corpus::Limits::default().max_paragraph_bytes)]
    max_paragraph_bytes: usize,
    /// Also store the classified documents in this SQLite database (created if missing; one
    /// row per text and model, updated when the same text is classified again), for `trends`.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Process only part I of N of the batch (1 <= I <= N), chosen by a hash of each
    /// document's id, so N processes or machines split a batch with no coordination; merge
    /// their --out folders with `framelens merge`.
    #[arg(long, value_name = "I/N")]
    shard: Option<framelens::shard::Shard>,
    /// Detect the narratives of this TOML file in each paragraph (default: the model folder's
    /// narratives.toml, when it has one); see models/narratives/.
    #[arg(long, value_name = "FILE")]
    narratives: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(super) struct MergeArgs {
    /// Output folder for the merged reports.
    out: PathBuf,
    /// The --out folders of the shard runs, every shard of the batch once.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
}

pub(super) fn run_classify(a: ClassifyArgs, quiet: bool) -> Result<ExitCode> {
    let (model, manifest, _) = load_model(a.model.as_deref())?;
    let db = a.db;
    if db.is_some() && a.inputs.iter().any(|p| p.as_os_str() == "-") {
        bail!(
            "--db cannot store documents read from stdin (`-`): the database keys documents by \
             their text, which is read again from the inputs; save stdin to a file first"
        );
    }
    let mut cfg = ClassifyConfig::new(a.inputs, a.out);
    if let Some(j) = a.jobs {
        cfg.jobs = j;
    }
    cfg.chunk_size = a.chunk_size;
    cfg.progress = !quiet;
    if a.no_docs && a.docs == "md" {
        bail!("--no-docs and --docs md contradict each other");
    }
    if a.no_docs {
        log::info!(
            "--no-docs is the default now (docs/*.md only with --docs md); it can be dropped"
        );
    }
    cfg.write_docs = a.docs == "md";
    cfg.write_html = !a.no_html;
    cfg.paragraphs = a.paragraphs;
    cfg.resume = a.resume;
    cfg.shard = a.shard;
    cfg.limits = framelens::corpus::Limits {
        max_doc_bytes: a.max_doc_bytes,
        max_paragraph_bytes: a.max_paragraph_bytes,
    };
    cfg.narratives = load_narratives(a.narratives, a.model.as_deref(), model.codebook())?;
    let cfg = cfg.check()?;
    let t0 = std::time::Instant::now();
    let summary = classify::run(&model, &manifest, &cfg)
        .with_context(|| format!("classification into {} failed", cfg.out.display()))?;
    let secs = t0.elapsed().as_secs_f64();
    log::info!(
        "{} documents classified, {} failed, {} warnings, in {:.2} s ({:.1} MB/s); reports in {}",
        summary.classified,
        summary.failed,
        summary.warnings.len(),
        secs,
        summary.bytes as f64 / 1e6 / secs.max(1e-9),
        cfg.out.display()
    );
    let mut stored_all = true;
    if let Some(db) = db {
        stored_all = store_run(&db, &cfg.out)?;
    }
    Ok(if summary.failed > 0 || !stored_all {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The narrative set for `classify`: `--narratives FILE`, else the model folder's
/// `narratives.toml` when there is one; its `frames` must be labels of the model.
fn load_narratives(
    file: Option<PathBuf>,
    model_dir: Option<&std::path::Path>,
    codebook: &framelens::codebook::Codebook,
) -> Result<Option<std::sync::Arc<framelens::narratives::NarrativeSet>>> {
    use framelens::narratives::{NarrativeFile, NarrativeSet, MODEL_NARRATIVES_FILE};
    let path = match file {
        Some(p) => p,
        None => {
            // the built-in model ships no narratives
            let Some(p) = model_dir.map(|d| d.join(MODEL_NARRATIVES_FILE)) else {
                return Ok(None);
            };
            if !p.is_file() {
                return Ok(None);
            }
            log::info!("using the model's narratives in {}", p.display());
            p
        }
    };
    let f = NarrativeFile::from_file(&path)?;
    let labels: Vec<String> = codebook.names().into_iter().map(str::to_string).collect();
    f.check_frames(&labels)?;
    log::info!(
        "{} narratives from {}{}",
        f.narratives.len(),
        path.display(),
        if f.stance.enabled {
            ", with stance"
        } else {
            ""
        }
    );
    Ok(Some(std::sync::Arc::new(NarrativeSet::new(f))))
}

pub(super) fn run_merge(a: MergeArgs) -> Result<ExitCode> {
    let t0 = std::time::Instant::now();
    let summary = framelens::merge::merge(&a.out, &a.shards)
        .with_context(|| format!("cannot merge the shards into {}", a.out.display()))?;
    log::info!(
        "{} shards merged into {} in {:.2} s: {} documents classified, {} failed",
        a.shards.len(),
        a.out.display(),
        t0.elapsed().as_secs_f64(),
        summary.classified,
        summary.failed
    );
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Store the report folder of a finished `classify` run in the database; false when some
/// documents could not be stored (each is logged).
fn store_run(db: &Path, out: &Path) -> Result<bool> {
    use framelens::store::Store;
    let mut store =
        Store::open(db).with_context(|| format!("cannot open the database {}", db.display()))?;
    let s = store
        .ingest_report_dir(out)
        .with_context(|| format!("cannot store {} in {}", out.display(), db.display()))?;
    for m in &s.merged {
        log::warn!("same text and outlet stored once: {m}");
    }
    let counts = store.counts()?;
    log::info!(
        "database {}: {} documents added, {} updated (same text and model){}; it now holds {} \
         documents from {} runs",
        db.display(),
        s.inserted,
        s.updated,
        if s.skipped.is_empty() {
            String::new()
        } else {
            format!(", {} not stored", s.skipped.len())
        },
        counts.documents,
        counts.runs
    );
    Ok(s.skipped.is_empty())
}
