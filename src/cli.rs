//! Command-line interface: clap structs holding raw values, turned into validated library
//! configurations, one function per subcommand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use framelens::classify::{self, ClassifyConfig};
use framelens::labels::{LabelSource, LabeledSet};
use framelens::model::{FramingModel, TrainParams};
use framelens::Label;

/// The default model folder, relative to the working directory.
const DEFAULT_MODEL: &str = "models/default";

/// framelens: which frames (humanitarian, economic, security, enforcement) does each
/// article on migration use, how much, and where?
#[derive(Debug, Parser)]
#[command(name = "framelens", version, about, long_about = None)]
struct Cli {
    /// Log only errors (no progress bar, no info messages).
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Classify articles and write per-document reports plus a batch summary.
    ///
    /// Inputs: JSONL files ({"id","text","title"?,"date"?,"source"?,"url"?}, other fields
    /// carried through), CSV files with a header naming those columns, folders of .txt/.md
    /// files (id = relative path), or `-` for JSONL on stdin. Writes documents.jsonl,
    /// docs/<id>.md, summary.csv, summary.md and run.json into --out.
    Classify(ClassifyArgs),
    /// Train a model (tokenizer, features, classifier) from labeled paragraphs.
    ///
    /// --labels takes a corpus folder (articles.jsonl + labels/paragraphs.jsonl) or a
    /// paragraph-label JSONL file carrying "text"; repeat it to combine samples.
    Train(TrainArgs),
    /// Print the label counts of labeled samples (paragraphs per label, documents, outlets, dates).
    Stats(StatsArgs),
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Labeled samples: corpus folders or paragraph-label JSONL files (repeatable).
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    /// Articles to join to label files that carry no text.
    #[arg(long)]
    articles: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ClassifyArgs {
    /// Input files or folders (`-` reads JSONL from stdin).
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder for the reports.
    #[arg(long, short)]
    out: PathBuf,
    /// Model folder.
    #[arg(long, default_value = DEFAULT_MODEL)]
    model: PathBuf,
    /// Worker threads (output is identical for any value); default: all cores.
    #[arg(long, short)]
    jobs: Option<usize>,
    /// Documents per chunk; bounds memory.
    #[arg(long, default_value_t = 2000)]
    chunk_size: usize,
    /// Do not write the per-document Markdown reports (docs/).
    #[arg(long)]
    no_docs: bool,
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Labeled samples: corpus folders or paragraph-label JSONL files (repeatable).
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    /// Articles to join to label files that carry no text.
    #[arg(long)]
    articles: Option<PathBuf>,
    /// Output model folder.
    #[arg(long, short)]
    out: PathBuf,
    /// L2 penalty of the logistic regression.
    #[arg(long)]
    alpha: Option<f32>,
    /// Solver iterations.
    #[arg(long)]
    max_iterations: Option<u64>,
    /// Seed recorded in the manifest.
    #[arg(long)]
    seed: Option<u64>,
}

/// Parse the command line and run the chosen subcommand.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let level = if cli.quiet { "error" } else { "info" };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .format_target(false)
        .init();
    match cli.command {
        Command::Classify(a) => run_classify(a, cli.quiet),
        Command::Train(a) => run_train(a),
        Command::Stats(a) => run_stats(a),
    }
}

fn run_classify(a: ClassifyArgs, quiet: bool) -> Result<ExitCode> {
    let (model, manifest) = FramingModel::load(&a.model)
        .with_context(|| format!("cannot load the model in {}", a.model.display()))?;
    let mut cfg = ClassifyConfig::new(a.inputs, a.out);
    if let Some(j) = a.jobs {
        cfg.jobs = j;
    }
    cfg.chunk_size = a.chunk_size;
    cfg.progress = !quiet;
    cfg.write_docs = !a.no_docs;
    let cfg = cfg.check()?;
    let t0 = std::time::Instant::now();
    let summary = classify::run(&model, &manifest, &cfg)
        .with_context(|| format!("classification into {} failed", cfg.out.display()))?;
    let secs = t0.elapsed().as_secs_f64();
    log::info!(
        "{} documents classified, {} failed, in {:.2} s ({:.1} MB/s); reports in {}",
        summary.classified,
        summary.failed,
        secs,
        summary.bytes as f64 / 1e6 / secs.max(1e-9),
        cfg.out.display()
    );
    Ok(if summary.failed > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Load and merge every labeled sample named on the command line.
fn load_labels(paths: &[PathBuf], articles: Option<&Path>) -> Result<LabeledSet> {
    let mut set = LabeledSet::default();
    for p in paths {
        let src = LabelSource::resolve(p, articles);
        let part = src
            .load()
            .with_context(|| format!("cannot load labels from {}", p.display()))?;
        set.extend(part)?;
    }
    if set.docs.is_empty() {
        bail!("no labeled documents found");
    }
    Ok(set)
}

fn run_train(a: TrainArgs) -> Result<ExitCode> {
    let data = load_labels(&a.labels, a.articles.as_deref())?;
    let mut params = TrainParams::default();
    if let Some(x) = a.alpha {
        params = params.alpha(x);
    }
    if let Some(x) = a.max_iterations {
        params = params.max_iterations(x);
    }
    if let Some(x) = a.seed {
        params = params.seed(x);
    }
    let counts = data.counts();
    log::info!(
        "training on {} documents, {} labeled paragraphs ({})",
        data.docs.len(),
        data.n_labeled(),
        Label::ALL
            .iter()
            .map(|l| format!("{l} {}", counts[l.index()]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let t0 = std::time::Instant::now();
    let model = params.check()?.fit(&data)?;
    let manifest = model
        .save(&a.out)
        .with_context(|| format!("cannot write the model to {}", a.out.display()))?;
    let card = framelens::model::model_card(&model, &manifest, &a.labels);
    framelens::report::write_atomic(&a.out.join("MODEL.md"), card.as_bytes())?;
    log::info!(
        "model {} written to {} in {:.1} s",
        &manifest.model_hash[..12],
        a.out.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

fn run_stats(a: StatsArgs) -> Result<ExitCode> {
    use std::collections::BTreeMap;
    use std::io::Write;
    let data = load_labels(&a.labels, a.articles.as_deref())?;
    let counts = data.counts();
    let paragraphs: usize = data.docs.iter().map(|d| d.paragraphs.len()).sum();
    let mut sources: BTreeMap<&str, usize> = BTreeMap::new();
    let mut years: BTreeMap<&str, usize> = BTreeMap::new();
    for d in &data.docs {
        *sources
            .entry(d.source.as_deref().unwrap_or("(unknown)"))
            .or_default() += 1;
        *years
            .entry(
                d.date
                    .as_deref()
                    .and_then(|x| x.get(..4))
                    .unwrap_or("(none)"),
            )
            .or_default() += 1;
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "documents\t{}", data.docs.len())?;
    writeln!(out, "paragraphs\t{paragraphs}")?;
    writeln!(out, "labeled paragraphs\t{}", data.n_labeled())?;
    for l in Label::ALL {
        writeln!(out, "label {l}\t{}", counts[l.index()])?;
    }
    for (y, n) in &years {
        writeln!(out, "year {y}\t{n}")?;
    }
    for (s, n) in &sources {
        writeln!(out, "source {s}\t{n}")?;
    }
    Ok(ExitCode::SUCCESS)
}
