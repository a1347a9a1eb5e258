//! Command-line interface: clap structs holding raw values, turned into validated library
//! configurations, one function per subcommand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use framelens::classify::{self, ClassifyConfig};
use framelens::eval::{cross_validate, EvalParams, EvalReport, FoldParams, FoldsInfo, Setup};
use framelens::labels::{Annotations, LabelSource, LabeledSet};
use framelens::model::{FramingModel, TrainParams};
use framelens::Codebook;

/// Load `--model DIR`, or the model built into the binary when it is not given (see
/// [`framelens::builtin`]); returns the model, its manifest and how to name it.
fn load_model(dir: Option<&Path>) -> Result<(FramingModel, framelens::model::Manifest, String)> {
    match dir {
        Some(d) => {
            let (m, man) = FramingModel::load(d)
                .with_context(|| format!("cannot load the model in {}", d.display()))?;
            Ok((m, man, d.display().to_string()))
        }
        None => {
            let (m, man) =
                framelens::builtin::load().context("cannot load the built-in default model")?;
            Ok((m, man, framelens::builtin::NAME.to_string()))
        }
    }
}

/// framelens: which frames (humanitarian, economic, security, enforcement) does each
/// article on migration use, how much, and where?
#[derive(Debug, Parser)]
#[command(name = "framelens", version, about, long_about = None, after_help = START_HERE)]
struct Cli {
    /// Log only errors (no progress bar, no info messages).
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

/// Printed by `framelens` without arguments (and under `framelens --help`).
const START_HERE: &str = "\
Start here:
  framelens classify my-articles/ --out results/
      my-articles/ may hold .jsonl, .ndjson, .csv, .txt and .md files, each also .gz or .zst.
      Open results/report.html in a browser: every document, its frames and evidence.
      results/documents.jsonl has the same per document for programs; summary.md the totals.
  framelens classify --help       every classify option (--paragraphs, --docs md, --jobs …)
  framelens eval --help           how far to trust it on your coverage (hand-coded sample)
  framelens trends --help         frame shares over time and by outlet

The default model is built into framelens; --model DIR uses another (see `framelens train`).";

const CLASSIFY_HELP: &str = "\
Example:
  framelens classify corpus/samples --out reports/
  framelens classify news.jsonl.gz exports/ --out reports/ --jobs 4 --paragraphs labels

Outputs in --out:
  report.html       open in a browser: summary, charts, a sortable and filterable table of
                    documents, each document's paragraphs in their frame's colour (--no-html: skip)
  documents.jsonl   one JSON object per document: shares, dominant and present frames,
                    paragraphs (see --paragraphs), evidence, terms
  summary.csv       id,date,source, one share column per frame, dominant
  summary.md        counts per frame, failed documents, warnings, skipped files
  errors.jsonl      every failed record and warning, with file, line and reason
  codebook.toml     the frames the model scores
  run.json          version, model hash, inputs with SHA-256, times, counts
  docs/<id>.md      one Markdown report per document, only with --docs md

Exit codes: 0 all classified, 1 some records failed (listed), 2 fatal error.";

const TRAIN_HELP: &str = "\
Example:
  framelens train --labels corpus/ --out models/mine
  framelens classify articles.jsonl --model models/mine --out reports/

Outputs in --out: model.json, tokenizer.json, codebook.toml, manifest.json (SHA-256 of each
file), MODEL.md (the model card).";

const STATS_HELP: &str = "\
Example:
  framelens stats --labels corpus/

Prints label<TAB>count lines on stdout: documents, paragraphs, labeled paragraphs, each label,
documents per year and per outlet.";

const CODEBOOK_HELP: &str = "\
Example:
  framelens codebook show
  framelens codebook init --labels my-labels/ --scheme my-scheme --out my-codebook.toml
  framelens codebook attach --model old-model/ --codebook my-codebook.toml --out new-model/";

const EVAL_HELP: &str = "\
Example:
  framelens eval --labels corpus/ --out eval/corpus/
  framelens eval --labels coded.jsonl --articles articles.jsonl --model models/mine --out ev/

Outputs in --out: metrics.json, report.md, confusion.svg, reliability.svg, predictions.jsonl;
the headline figures as name<TAB>value on stdout.";

const CV_HELP: &str = "\
Example:
  framelens cv --labels corpus/ --folds 5 --group-by source --out cv/

Outputs in --out: the outputs of `eval` (metrics.json, report.md, confusion.svg,
reliability.svg, predictions.jsonl) plus folds.csv (id,group,fold).";

const MERGE_HELP: &str = "\
Example:
  framelens classify big.jsonl --shard 1/2 --out part1/    # on one machine
  framelens classify big.jsonl --shard 2/2 --out part2/    # on another
  framelens merge all/ part1/ part2/

Outputs in OUT: documents.jsonl, summary.csv, summary.md, errors.jsonl, codebook.toml,
run.json and docs/ as one unsharded run writes them (report.html is not rebuilt).";

const TRENDS_HELP: &str = "\
Example:
  framelens classify news.jsonl --out reports/2026-11 --db framelens.db
  framelens trends --db framelens.db --by month --group source --out trends/

Outputs in --out: trends.csv, trends-overall.csv (when grouped), trends.md, trends.html,
excluded.csv, shares_over_time / present_over_time / shares_by_group as .svg and .png.";

const SUGGEST_HELP: &str = "\
Example:
  framelens suggest --pool articles.jsonl --exclude-labels coded/ --n 500 --out to-code/

Outputs in --out: to-code.jsonl, to-code.csv (fill in the frame column), label-studio.json.";

#[derive(Debug, Subcommand)]
enum Command {
    /// Classify articles and write per-document reports plus a batch summary.
    ///
    /// Inputs: JSONL files (.jsonl/.ndjson: {"id","text","title"?,"date"?,"source"?,"url"?},
    /// other fields carried through), CSV files with a header naming those columns, .txt/.md
    /// files (one article each), folders of any of these (other files are skipped and listed),
    /// each also gzip or zstd compressed (.gz, .zst), or `-` for JSONL on stdin. Writes
    /// report.html, documents.jsonl, summary.csv, summary.md, errors.jsonl and run.json into
    /// --out.
    #[command(after_help = CLASSIFY_HELP)]
    Classify(ClassifyArgs),
    /// Train a model (tokenizer, features, classifier) from labeled paragraphs.
    ///
    /// --labels takes a corpus folder (articles.jsonl + labels/paragraphs.jsonl) or a
    /// paragraph-label JSONL file carrying "text"; repeat it to combine samples.
    #[command(after_help = TRAIN_HELP)]
    Train(TrainArgs),
    /// Print the label counts of labeled samples (paragraphs per label, documents, outlets, dates).
    #[command(after_help = STATS_HELP)]
    Stats(StatsArgs),
    /// Codebooks: the frame set a model scores. `init` drafts one from label files, `show`
    /// prints a model's (or a file's).
    #[command(subcommand, after_help = CODEBOOK_HELP)]
    Codebook(CodebookCommand),
    /// Evaluate a model against hand-coded labels: paragraph and document metrics,
    /// calibration, bootstrap intervals.
    ///
    /// --labels takes paragraph labels ({"id","para","frame","text"?}), document labels
    /// ({"id","primary","present"}), CSV with those columns, Label Studio or doccano exports,
    /// or folders of them (a corpus folder joins its labels/ to its articles.jsonl). Writes
    /// metrics.json, report.md, confusion.svg, reliability.svg and predictions.jsonl into
    /// --out and prints the headline figures.
    #[command(after_help = EVAL_HELP)]
    Eval(EvalArgs),
    /// Cross-validate training on labeled samples: k folds grouped by article (default),
    /// source, year or month, never splitting a group. Writes the evaluation outputs plus
    /// folds.csv (the fold of each document) into --out.
    #[command(after_help = CV_HELP)]
    Cv(CvArgs),
    /// Merge the report folders of the shards of one batch (`classify --shard I/N`, every
    /// I from 1 to N) into OUT: documents.jsonl, summary.csv, summary.md, errors.jsonl and
    /// docs/ exactly as one unsharded run writes them (run.json: earliest start, latest
    /// finish, the shards' threads added up).
    #[command(after_help = MERGE_HELP)]
    Merge(MergeArgs),
    /// Frame shares over time: by day, ISO week, month, quarter or year, per outlet or
    /// metadata field, with bootstrap intervals.
    ///
    /// Reads documents stored by `classify --db` (one model at a time: the newest unless
    /// --model-hash) and/or report folders (--reports, documents.jsonl + run.json). Writes
    /// trends.csv (period,group,frame,n,mean_share,present_share,low,high), trends.md,
    /// trends.html, excluded.csv (documents without a usable date, and why) and charts
    /// (shares_over_time, present_over_time, shares_by_group) as SVG and PNG into --out.
    #[command(after_help = TRENDS_HELP)]
    Trends(TrendsArgs),
    /// Pick the paragraphs to hand-code next (active learning).
    ///
    /// Scores every paragraph of the pool, leaves out those already coded (--exclude-labels,
    /// any format `eval` reads) and whole articles (--exclude-articles, ids one a line), and
    /// picks --n paragraphs by a strategy or a mix of them, at most --per-article from one
    /// article. Writes to-code.jsonl, to-code.csv (fill in the `frame` column) and
    /// label-studio.json (import tasks with the model's label as a pre-annotation) into --out.
    /// Coded files go back into `train --labels` and `eval --labels` unchanged.
    ///
    #[command(after_help = SUGGEST_HELP)]
    Suggest(SuggestArgs),
}

#[derive(Debug, Args)]
struct StatsArgs {
    /// Labeled samples: corpus folders or paragraph-label JSONL files (repeatable).
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    /// Articles to join to label files that carry no text.
    #[arg(long)]
    articles: Option<PathBuf>,
    /// Codebook (TOML) the labels belong to; default: the built-in migration codebook.
    #[arg(long)]
    codebook: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum CodebookCommand {
    /// Draft a codebook from the label names found in label files (frames in order of first
    /// appearance, a label called "none" as the none label), for you to edit: describe every
    /// label, choose colours and thresholds. Prints TOML (or writes --out).
    #[command(
        after_help = "Example:\n  framelens codebook init --labels my-labels/ --scheme my-scheme --out my-codebook.toml\n\nOutput: the draft codebook (TOML) in --out, or on stdout."
    )]
    Init(CodebookInitArgs),
    /// Print the codebook of a model folder (or of a codebook file).
    #[command(
        after_help = "Example:\n  framelens codebook show                      # the built-in model's\n  framelens codebook show --model models/mine --toml\n\nOutput: the labels, descriptions, colours and thresholds on stdout."
    )]
    Show(CodebookShowArgs),
    /// Save a copy of a model with a codebook of the same labels in the same order (new
    /// descriptions, colours or version; or a codebook for a format-1 model, which has none).
    /// The weights are unchanged: the copy scores exactly as the original.
    #[command(
        after_help = "Example:\n  framelens codebook attach --model old-model/ --codebook my-codebook.toml --out new-model/\n\nOutputs in --out: the model files with the new codebook.toml and manifest.json."
    )]
    Attach(CodebookAttachArgs),
}

#[derive(Debug, Args)]
struct CodebookAttachArgs {
    /// Model folder.
    #[arg(long)]
    model: PathBuf,
    /// The codebook file.
    #[arg(long)]
    codebook: PathBuf,
    /// Output model folder (may be --model itself).
    #[arg(long, short)]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct CodebookInitArgs {
    /// Label files or folders (any format `train` and `eval` read; repeatable).
    #[arg(long, required = true, num_args = 1..)]
    labels: Vec<PathBuf>,
    /// Scheme name.
    #[arg(long, default_value = "my-scheme")]
    scheme: String,
    /// The label that means "no frame" (default: a label called none, if any).
    #[arg(long)]
    none: Option<String>,
    /// Write the draft here instead of stdout.
    #[arg(long, short)]
    out: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct CodebookShowArgs {
    /// Model folder; default: the built-in model.
    #[arg(long, conflicts_with = "file")]
    model: Option<PathBuf>,
    /// A codebook file.
    #[arg(long)]
    file: Option<PathBuf>,
    /// Print the TOML instead of the readable form.
    #[arg(long)]
    toml: bool,
}

#[derive(Debug, Args)]
struct ClassifyArgs {
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
struct MergeArgs {
    /// Output folder for the merged reports.
    out: PathBuf,
    /// The --out folders of the shard runs, every shard of the batch once.
    #[arg(required = true)]
    shards: Vec<PathBuf>,
}

#[derive(Debug, Args)]
struct TrendsArgs {
    /// Database written by `classify --db`.
    #[arg(long)]
    db: Option<PathBuf>,
    /// Report folders written by `classify` (or their documents.jsonl); repeatable.
    #[arg(long)]
    reports: Vec<PathBuf>,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
    /// Period: day, week (ISO), month, quarter or year.
    #[arg(long, default_value = "month")]
    by: String,
    /// Groups: source, none, or a metadata field carried from the input (meta.NAME or NAME,
    /// e.g. bias).
    #[arg(long, default_value = "none")]
    group: String,
    /// Use the documents of this model (a hash or a unique prefix); default: the newest model.
    #[arg(long)]
    model_hash: Option<String>,
    /// First day to include (YYYY-MM-DD); default: the earliest dated document.
    #[arg(long)]
    from: Option<String>,
    /// Last day to include (YYYY-MM-DD); default: the latest dated document.
    #[arg(long)]
    to: Option<String>,
    /// Bootstrap resamples per bin for the 95% intervals.
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Bootstrap seed (the same seed gives the same intervals).
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Narratives instead of frames: per period and group, the share of the documents
    /// classified with --narratives that carry each narrative (narratives.md, narratives.csv,
    /// charts).
    #[arg(long)]
    narratives: bool,
    /// With --narratives: only these narrative ids, in this order (comma-separated or
    /// repeated); default: all, the 8 most carried drawn together.
    #[arg(
        long,
        value_delimiter = ',',
        requires = "narratives",
        value_name = "ID,..."
    )]
    narrative_ids: Vec<String>,
}

#[derive(Debug, Args)]
struct TrainArgs {
    /// Labeled samples: corpus folders or paragraph-label JSONL files (repeatable).
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    /// Articles to join to label files that carry no text.
    #[arg(long)]
    articles: Option<PathBuf>,
    /// Codebook (TOML): the labels, their order and meaning; every label in the files must
    /// be in it and every label in it must have examples. Default: the built-in migration
    /// codebook (humanitarian, economic, security, enforcement, none).
    #[arg(long)]
    codebook: Option<PathBuf>,
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
    /// A Markdown file (e.g. development metrics) appended to the model card MODEL.md.
    #[arg(long)]
    card_notes: Option<PathBuf>,
    #[command(flatten)]
    embed: EmbedArgs,
}

/// Embedding features (see `framelens::embed`).
#[derive(Debug, Args)]
struct EmbedArgs {
    /// Add pooled static-embedding features: a folder holding embeddings.safetensors and its
    /// tokenizer.json (e.g. models/embeddings); the model then uses the table's tokenizer.
    #[arg(long)]
    embeddings: Option<PathBuf>,
    /// Pooling of token vectors: mean or sqrt_n.
    #[arg(long)]
    embed_pooling: Option<framelens::embed::Pooling>,
    /// Weight of the paragraph's pooled vector (0 ..= 10).
    #[arg(long)]
    embed_para_weight: Option<f32>,
    /// Weight of the neighbours' pooled vector (0 ..= 10).
    #[arg(long)]
    embed_context_weight: Option<f32>,
    /// Weight of the whole document's pooled vector (0 ..= 10).
    #[arg(long)]
    embed_doc_weight: Option<f32>,
    /// What the model's table is keyed by: words (the trained word tokenizer; each word's
    /// vector is the mean of its pieces') or pieces (the table's own tokenizer).
    #[arg(long)]
    embed_keys: Option<framelens::embed::Keys>,
}

impl EmbedArgs {
    /// Apply the flags to `params` (the --params file's or the defaults).
    fn apply(&self, mut params: TrainParams) -> Result<TrainParams> {
        let set = self.embed_pooling.is_some()
            || self.embed_para_weight.is_some()
            || self.embed_context_weight.is_some()
            || self.embed_doc_weight.is_some()
            || self.embed_keys.is_some();
        let mut e = match (&self.embeddings, params.embeddings.take()) {
            (Some(t), old) => framelens::embed::EmbeddingParams {
                table: t.clone(),
                ..old.unwrap_or_default()
            },
            (None, Some(old)) => old,
            (None, None) if set => bail!("the --embed-* options need --embeddings"),
            (None, None) => return Ok(params),
        };
        if let Some(x) = self.embed_pooling {
            e.pooling = x;
        }
        if let Some(x) = self.embed_para_weight {
            e.para_weight = x;
        }
        if let Some(x) = self.embed_context_weight {
            e.context_weight = x;
        }
        if let Some(x) = self.embed_doc_weight {
            e.doc_weight = x;
        }
        if let Some(x) = self.embed_keys {
            e.keys = x;
        }
        Ok(params.embeddings(Some(e)))
    }
}

#[derive(Debug, Args)]
struct SuggestArgs {
    /// Model folder; default: the model built into framelens (the source's models/default).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Articles to choose from: JSONL, CSV, folders (repeatable).
    #[arg(long, required = true)]
    pool: Vec<PathBuf>,
    /// Labels already coded: their paragraphs are not suggested (repeatable; files or folders).
    #[arg(long)]
    exclude_labels: Vec<PathBuf>,
    /// Articles never to suggest from: a text file of ids, one a line (repeatable), e.g. the
    /// articles kept for independent evaluation.
    #[arg(long)]
    exclude_articles: Vec<PathBuf>,
    /// Paragraphs to suggest.
    #[arg(long, default_value_t = 500)]
    n: usize,
    /// One strategy: entropy, margin (breaking ties), label:FRAME (most probable of that
    /// frame) or random. Ignored when --mix is given.
    #[arg(long, default_value = "margin")]
    strategy: String,
    /// A mix of strategies with shares summing to 1, e.g. margin=0.6,label:security=0.2,random=0.2.
    #[arg(long)]
    mix: Option<String>,
    /// At most this many paragraphs from one article.
    #[arg(long, default_value_t = 3)]
    per_article: usize,
    /// Seed of the random picks.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
}

fn run_suggest(a: SuggestArgs) -> Result<ExitCode> {
    use framelens::suggest::{counts_by_strategy, write_outputs, Exclusions, Mix, Pool, Strategy};
    let mix: Mix = match &a.mix {
        Some(m) => m
            .parse()
            .map_err(|e: String| anyhow::anyhow!("--mix {m:?}: {e}"))?,
        None => Mix::single(
            a.strategy
                .parse::<Strategy>()
                .map_err(|e| anyhow::anyhow!("--strategy {:?}: {e}", a.strategy))?,
        ),
    };
    let params = framelens::suggest::SuggestParams::default()
        .n(a.n)
        .mix(mix)
        .per_article(a.per_article)
        .seed(a.seed)
        .check()
        .map_err(|e| match e {
            framelens::Error::InvalidParam { name, .. } => {
                anyhow::anyhow!("--{}: {e}", name.replace('_', "-"))
            }
            e => e.into(),
        })?;
    let (model, manifest, _) = load_model(a.model.as_deref())?;
    let codebook = model.codebook().clone();
    params
        .params()
        .strategies()
        .check_labels(&codebook.names())
        .map_err(|e| match &a.mix {
            Some(m) => anyhow::anyhow!("--mix {m:?}: {e}"),
            None => anyhow::anyhow!("--strategy {:?}: {e}", a.strategy),
        })?;
    let mut exclude = Exclusions::default();
    exclude
        .add_labels(&a.exclude_labels, codebook.as_ref())
        .context("--exclude-labels")?;
    for f in &a.exclude_articles {
        exclude
            .add_article_list(f)
            .with_context(|| format!("--exclude-articles {}", f.display()))?;
    }
    let pool = Pool::score(&model, &a.pool, &exclude).context("--pool")?;
    for p in &pool.problems {
        log::warn!("skipped: {p}");
    }
    log::info!(
        "pool: {} articles ({} excluded), {} paragraphs to choose from ({} already coded)",
        pool.articles,
        pool.excluded_articles,
        pool.candidates.len(),
        pool.excluded_paragraphs
    );
    let picks = params.select(&pool);
    write_outputs(&a.out, &picks, &pool.labels, &manifest.model_hash)
        .with_context(|| format!("cannot write to {}", a.out.display()))?;
    log::info!(
        "{} paragraphs suggested ({}) into {}",
        picks.len(),
        counts_by_strategy(&picks)
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", "),
        a.out.display()
    );
    if picks.len() < a.n {
        log::warn!("the pool ran out: {} of {} suggested", picks.len(), a.n);
    }
    Ok(ExitCode::SUCCESS)
}

/// Parse the command line and run the chosen subcommand.
pub fn run() -> Result<ExitCode> {
    let cli = Cli::parse();
    let level = if cli.quiet { "error" } else { "info" };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_timestamp(None)
        .format_target(false)
        .init();
    let Some(command) = cli.command else {
        use std::io::Write;
        let mut o = std::io::stdout().lock();
        writeln!(
            o,
            "framelens {}: which frames does each news article use, how much, and where?\n\n{START_HERE}",
            env!("CARGO_PKG_VERSION")
        )?;
        return Ok(ExitCode::SUCCESS);
    };
    match command {
        Command::Classify(a) => run_classify(a, cli.quiet),
        Command::Train(a) => run_train(a),
        Command::Stats(a) => run_stats(a),
        Command::Codebook(c) => run_codebook(c),
        Command::Eval(a) => run_eval(a),
        Command::Cv(a) => run_cv(a),
        Command::Trends(a) => run_trends(a),
        Command::Merge(a) => run_merge(a),
        Command::Suggest(a) => run_suggest(a),
    }
}

fn run_classify(a: ClassifyArgs, quiet: bool) -> Result<ExitCode> {
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

fn run_merge(a: MergeArgs) -> Result<ExitCode> {
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

fn parse_day(flag: &str, s: Option<&str>) -> Result<Option<time::Date>> {
    s.map(|s| framelens::dates::parse_date(s).map_err(|e| anyhow::anyhow!("--{flag} {s:?}: {e}")))
        .transpose()
}

fn run_trends(a: TrendsArgs) -> Result<ExitCode> {
    use framelens::store::Store;
    use framelens::trends::{self, Grouping, OutputContext, Period, TrendParams};
    let period: Period =
        a.by.parse()
            .map_err(|e: String| anyhow::anyhow!("--by: {e}"))?;
    let grouping: Grouping = a
        .group
        .parse()
        .map_err(|e: String| anyhow::anyhow!("--group: {e}"))?;
    let params = TrendParams::default()
        .period(period)
        .grouping(grouping)
        .bootstrap(a.bootstrap)
        .seed(a.seed)
        .from(parse_day("from", a.from.as_deref())?)
        .to(parse_day("to", a.to.as_deref())?)
        .check()?;
    if a.db.is_none() && a.reports.is_empty() {
        bail!("give a database (--db) or report folders (--reports DIR, repeatable)");
    }
    let store = match &a.db {
        Some(p) => {
            if !p.is_file() {
                bail!(
                    "database {} does not exist (create it with `classify --db`)",
                    p.display()
                );
            }
            Some(Store::open(p).with_context(|| format!("cannot open {}", p.display()))?)
        }
        None => None,
    };
    let coll = trends::collect(
        store.as_ref().zip(a.db.as_deref()),
        &a.reports,
        a.model_hash.as_deref(),
    )?;
    if coll.models.len() > 1 {
        log::info!(
            "{} models in the sources; using {} ({} documents){}",
            coll.models.len(),
            coll.model_hash,
            coll.docs.len(),
            if a.model_hash.is_none() {
                ", the newest (choose another with --model-hash)"
            } else {
                ""
            }
        );
    }
    if a.narratives {
        use framelens::trends::narratives as nt;
        let t = nt::fit(&params, &coll, &a.narrative_ids)?;
        let written =
            nt::write_outputs(&t, &OutputContext::from(&coll), &a.out).with_context(|| {
                format!("cannot write the narrative trends into {}", a.out.display())
            })?;
        let c = &t.series.counts;
        log::info!(
            "{} narratives; {} documents checked for narratives ({} not checked, left out): {} \
             in {} {}s × {} groups, {} without a usable date, {} outside --from/--to; {} files \
             in {}",
            t.narratives.len(),
            c.documents,
            t.unchecked,
            c.binned,
            t.series.periods.len(),
            t.series.period,
            t.series.groups.len(),
            c.undated(),
            c.out_of_range,
            written.len(),
            a.out.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    let series = params.fit(&coll.docs, &coll.codebook)?;
    let written = trends::write_outputs(&series, &OutputContext::from(&coll), &a.out)
        .with_context(|| format!("cannot write the trends into {}", a.out.display()))?;
    let c = &series.counts;
    log::info!(
        "{} documents: {} in {} {}s × {} groups; {} without a usable date ({} missing, {} \
         unparseable, {} implausible), {} outside --from/--to; {} files in {}",
        c.documents,
        c.binned,
        series.periods.len(),
        series.period,
        series.groups.len(),
        c.undated(),
        c.missing,
        c.unparseable,
        c.implausible,
        c.out_of_range,
        written.len(),
        a.out.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The codebook of `--codebook FILE`, or the migration codebook.
fn load_codebook(path: Option<&Path>) -> Result<Codebook> {
    match path {
        Some(p) => Ok(Codebook::from_file(p)?),
        None => Ok(Codebook::migration()),
    }
}

/// Load and merge every labeled sample named on the command line (labels of `cb`).
fn load_labels(paths: &[PathBuf], articles: Option<&Path>, cb: &Codebook) -> Result<LabeledSet> {
    let mut set = LabeledSet::default();
    for p in paths {
        let src = LabelSource::resolve(p, articles);
        let part = src
            .load(cb)
            .with_context(|| format!("cannot load labels from {}", p.display()))?;
        set.extend(part)?;
    }
    if set.docs.is_empty() {
        bail!("no labeled documents found");
    }
    Ok(set)
}

fn run_train(a: TrainArgs) -> Result<ExitCode> {
    let cb = load_codebook(a.codebook.as_deref())?;
    let data = load_labels(&a.labels, a.articles.as_deref(), &cb)?;
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
    let params = a.embed.apply(params)?;
    let counts = data.counts(cb.len());
    log::info!(
        "training on {} documents, {} labeled paragraphs ({})",
        data.docs.len(),
        data.n_labeled(),
        cb.labels()
            .map(|l| format!("{} {}", cb.name(l), counts[l.index()]))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let t0 = std::time::Instant::now();
    let model = params.check()?.fit(&data, &cb).with_context(|| {
        format!(
            "cannot train on {}",
            a.labels
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let manifest = model
        .save(&a.out)
        .with_context(|| format!("cannot write the model to {}", a.out.display()))?;
    let notes = match &a.card_notes {
        Some(p) => Some(
            std::fs::read_to_string(p)
                .with_context(|| format!("cannot read card notes {}", p.display()))?,
        ),
        None => None,
    };
    let card = framelens::model::model_card(
        &model,
        &manifest,
        &a.labels,
        a.articles.as_deref(),
        notes.as_deref(),
    );
    framelens::fsio::write_atomic(&a.out.join("MODEL.md"), card.as_bytes())?;
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
    let cb = load_codebook(a.codebook.as_deref())?;
    let data = load_labels(&a.labels, a.articles.as_deref(), &cb)?;
    let counts = data.counts(cb.len());
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
    for l in cb.labels() {
        writeln!(out, "label {}\t{}", cb.name(l), counts[l.index()])?;
    }
    for (y, n) in &years {
        writeln!(out, "year {y}\t{n}")?;
    }
    for (s, n) in &sources {
        writeln!(out, "source {s}\t{n}")?;
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Debug, Args)]
struct EvalArgs {
    /// Model folder; default: the model built into framelens (the source's models/default).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Hand-coded labels: files or folders, paragraph and/or document labels (repeatable).
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    /// Articles to join the labels to (text, outlet, date), when the labels are not in a
    /// corpus folder.
    #[arg(long)]
    articles: Option<PathBuf>,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
    /// Seed of the bootstrap.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Bootstrap replicates (0: no intervals).
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
}

#[derive(Debug, Args)]
struct CvArgs {
    /// Hand-coded labels to cross-validate on: files or folders (repeatable).
    #[arg(long, required = true)]
    labels: Vec<PathBuf>,
    /// Articles to join the labels to, when the labels are not in a corpus folder.
    #[arg(long)]
    articles: Option<PathBuf>,
    /// Labeled samples added to the training data of every fold, never tested (repeatable).
    #[arg(long)]
    extra_train: Vec<PathBuf>,
    /// Number of folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Keep these together in one fold: article, source, year or month.
    #[arg(long, default_value = "article")]
    group_by: framelens::eval::GroupBy,
    /// Stratify the folds: deal the groups of each majority label round the folds, so every
    /// fold has about the same label mix (e.g. one-paragraph documents such as headlines).
    #[arg(long)]
    stratify: bool,
    /// Codebook (TOML) of the labels; default: the built-in migration codebook.
    #[arg(long)]
    codebook: Option<PathBuf>,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
    /// Seed of the fold assignment and the bootstrap.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Bootstrap replicates (0: no intervals).
    #[arg(long, default_value_t = 1000)]
    bootstrap: usize,
    /// Training parameters as JSON (the format of the "Parameters" block of MODEL.md);
    /// default: the built-in defaults.
    #[arg(long)]
    params: Option<PathBuf>,
    /// L2 penalty of the logistic regression (overrides --params).
    #[arg(long)]
    alpha: Option<f32>,
    /// Solver iterations (overrides --params).
    #[arg(long)]
    max_iterations: Option<u64>,
    #[command(flatten)]
    embed: EmbedArgs,
}

fn load_annotations(
    paths: &[PathBuf],
    articles: Option<&Path>,
    cb: &Codebook,
) -> Result<Annotations> {
    let a = Annotations::load(paths, articles, cb).with_context(|| {
        format!(
            "cannot load labels from {}",
            paths
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    if a.set.docs.is_empty() {
        bail!("no labeled documents found");
    }
    log::info!(
        "{} documents, {} coded paragraphs, {} document labels",
        a.set.docs.len(),
        a.set.n_labeled(),
        a.documents.len()
    );
    Ok(a)
}

fn show(p: &Path) -> String {
    p.display().to_string()
}

/// Print the headline figures (stdout: data) and where the outputs are (stderr: log).
fn print_headline(report: &EvalReport, out: &Path) -> Result<()> {
    use std::io::Write;
    let m = &report.all;
    let f = |x: Option<f64>| x.map_or_else(|| "NA".to_string(), |v| format!("{v:.4}"));
    let mut o = std::io::stdout().lock();
    writeln!(o, "documents\t{}", m.n_documents)?;
    writeln!(o, "paragraphs\t{}", m.paragraph.n)?;
    writeln!(o, "macro_f1_frames\t{}", f(m.paragraph.macro_f1_frames))?;
    writeln!(o, "micro_f1_frames\t{}", f(m.paragraph.micro_f1_frames))?;
    writeln!(o, "macro_f1_all\t{}", f(m.paragraph.macro_f1_all))?;
    writeln!(o, "accuracy\t{}", f(m.paragraph.accuracy))?;
    writeln!(
        o,
        "krippendorff_alpha\t{}",
        f(m.paragraph.krippendorff_alpha)
    )?;
    writeln!(o, "brier\t{}", f(m.calibration.brier))?;
    writeln!(o, "ece\t{}", f(m.calibration.ece))?;
    writeln!(o, "dominant_accuracy\t{}", f(m.document.dominant_accuracy))?;
    writeln!(o, "present_micro_f1\t{}", f(m.document.present_micro_f1))?;
    writeln!(o, "shares_mae\t{}", f(m.document.shares.mae))?;
    for (k, s) in &report.by_sample {
        writeln!(
            o,
            "{k}: macro_f1_frames\t{}",
            f(s.paragraph.macro_f1_frames)
        )?;
        writeln!(
            o,
            "{k}: dominant_accuracy\t{}",
            f(s.document.dominant_accuracy)
        )?;
    }
    log::info!(
        "metrics.json, report.md and charts written to {}",
        show(out)
    );
    Ok(())
}

fn run_eval(a: EvalArgs) -> Result<ExitCode> {
    let eval_params = EvalParams::default()
        .bootstrap(a.bootstrap)
        .seed(a.seed)
        .check()?;
    let (model, manifest, model_name) = load_model(a.model.as_deref())?;
    let cb = model.codebook().clone();
    let ann = load_annotations(&a.labels, a.articles.as_deref(), &cb)?;
    let preds = framelens::eval::predict(&model, &ann.set)?;
    let setup = Setup {
        command: "eval".into(),
        labels: a.labels.iter().map(|p| show(p)).collect(),
        articles: a.articles.as_deref().map(show),
        model: Some(model_name),
        model_hash: Some(manifest.model_hash.clone()),
        thresholds: Some(model.thresholds().clone()),
        eval_params: Some(eval_params.params().clone()),
        ..Setup::default()
    };
    let report = eval_params.evaluate(&preds, &ann, model.thresholds(), &cb, setup);
    framelens::eval::write_outputs(&a.out, &report, &preds, None, &cb)
        .with_context(|| format!("cannot write the evaluation to {}", a.out.display()))?;
    print_headline(&report, &a.out)?;
    Ok(ExitCode::SUCCESS)
}

fn run_cv(a: CvArgs) -> Result<ExitCode> {
    let eval_params = EvalParams::default()
        .bootstrap(a.bootstrap)
        .seed(a.seed)
        .check()?;
    let mut params = match &a.params {
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("cannot read {}", p.display()))?;
            serde_json::from_str::<TrainParams>(&text).with_context(|| {
                format!("{}: not a valid set of training parameters", p.display())
            })?
        }
        None => TrainParams::default(),
    };
    if let Some(x) = a.alpha {
        params = params.alpha(x);
    }
    if let Some(x) = a.max_iterations {
        params = params.max_iterations(x);
    }
    let params = a.embed.apply(params)?;
    let cb = load_codebook(a.codebook.as_deref())?;
    let thresholds = params
        .thresholds
        .clone()
        .unwrap_or_else(|| framelens::model::Thresholds::from_codebook(&cb));
    let train_json = serde_json::to_value(&params)?;
    let params = params.check()?;
    let folds_params = FoldParams::default()
        .k(a.folds)
        .group_by(a.group_by)
        .seed(a.seed)
        .stratify(a.stratify)
        .check()?;
    let ann = load_annotations(&a.labels, a.articles.as_deref(), &cb)?;
    let extra = if a.extra_train.is_empty() {
        None
    } else {
        let x = load_annotations(&a.extra_train, a.articles.as_deref(), &cb)?;
        if let Some(d) = x
            .set
            .docs
            .iter()
            .find(|d| ann.set.docs.binary_search_by(|e| e.id.cmp(&d.id)).is_ok())
        {
            bail!("document {} is both in --labels and in --extra-train", d.id);
        }
        Some(x.set)
    };
    let folds = folds_params.assign(&ann.set)?;
    log::info!(
        "{} folds grouped by {}{} ({} groups); training each on the other folds{}",
        a.folds,
        a.group_by,
        if a.stratify { ", stratified" } else { "" },
        folds.groups,
        if extra.is_some() {
            " plus --extra-train"
        } else {
            ""
        }
    );
    let preds = cross_validate(&params, &ann.set, extra.as_ref(), &folds, &cb, |f, secs| {
        log::info!("fold {}/{} done in {secs:.1} s", f + 1, a.folds);
    })?;
    let setup = Setup {
        command: "cv".into(),
        labels: a.labels.iter().map(|p| show(p)).collect(),
        articles: a.articles.as_deref().map(show),
        extra_train: a.extra_train.iter().map(|p| show(p)).collect(),
        train_params: Some(train_json),
        folds: Some(FoldsInfo {
            k: a.folds,
            group_by: a.group_by,
            seed: a.seed,
            stratify: a.stratify,
            groups: folds.groups,
            file: "folds.csv".into(),
        }),
        thresholds: Some(thresholds.clone()),
        eval_params: Some(eval_params.params().clone()),
        ..Setup::default()
    };
    let report = eval_params.evaluate(&preds, &ann, &thresholds, &cb, setup);
    let extra_ids: Vec<String> = extra
        .as_ref()
        .map(|x| x.docs.iter().map(|d| d.id.clone()).collect())
        .unwrap_or_default();
    framelens::eval::write_outputs(&a.out, &report, &preds, Some((&folds, &extra_ids)), &cb)
        .with_context(|| format!("cannot write the evaluation to {}", a.out.display()))?;
    print_headline(&report, &a.out)?;
    Ok(ExitCode::SUCCESS)
}

fn run_codebook(c: CodebookCommand) -> Result<ExitCode> {
    use std::io::Write;
    match c {
        CodebookCommand::Init(a) => {
            let names = framelens::labels::label_names(&a.labels).with_context(|| {
                format!(
                    "cannot read labels from {}",
                    a.labels
                        .iter()
                        .map(|p| show(p))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
            let none = a.none.clone().or_else(|| {
                names
                    .iter()
                    .find(|n| n.eq_ignore_ascii_case("none"))
                    .cloned()
            });
            // frames in order of first appearance, the none label last
            let mut ordered: Vec<String> = names
                .iter()
                .filter(|n| {
                    Some(n.to_ascii_lowercase()) != none.as_ref().map(|x| x.to_ascii_lowercase())
                })
                .cloned()
                .collect();
            if let Some(n) = &none {
                ordered.push(
                    names
                        .iter()
                        .find(|x| x.eq_ignore_ascii_case(n))
                        .cloned()
                        .unwrap_or_else(|| n.clone()),
                );
            }
            let cb = Codebook::from_names(&a.scheme, &ordered, none.as_deref())?;
            let text = format!(
                "# Codebook drafted by `framelens codebook init` from {}.\n\
                 # Label order is the model's column order. Write a description for every label,\n\
                 # optionally a colour (\"#rrggbb\"), and check the thresholds; then\n\
                 # `framelens train --codebook THIS_FILE --labels ...`.\n\n{}",
                a.labels
                    .iter()
                    .map(|p| show(p))
                    .collect::<Vec<_>>()
                    .join(", "),
                cb.to_toml()
            );
            match &a.out {
                Some(p) => {
                    framelens::fsio::write_atomic(p, text.as_bytes())?;
                    log::info!(
                        "codebook with {} labels written to {}",
                        cb.len(),
                        p.display()
                    );
                }
                None => std::io::stdout().lock().write_all(text.as_bytes())?,
            }
        }
        CodebookCommand::Show(a) => {
            let cb = match (&a.model, &a.file) {
                (_, Some(f)) => Codebook::from_file(f)?,
                (m, None) => {
                    let (model, _, _) = load_model(m.as_deref())?;
                    (**model.codebook()).clone()
                }
            };
            let text = if a.toml { cb.to_toml() } else { cb.render() };
            std::io::stdout().lock().write_all(text.as_bytes())?;
        }
        CodebookCommand::Attach(a) => {
            let cb = Codebook::from_file(&a.codebook)?;
            let (model, _) = FramingModel::load(&a.model)
                .with_context(|| format!("cannot load the model in {}", a.model.display()))?;
            let model = model.with_codebook(cb)?;
            let manifest = model
                .save(&a.out)
                .with_context(|| format!("cannot write the model to {}", a.out.display()))?;
            log::info!(
                "model {} (format {}) written to {}",
                &manifest.model_hash[..12],
                manifest.format_version,
                a.out.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
