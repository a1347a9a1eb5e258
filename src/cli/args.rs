//! The command line: [`Cli`] and its [`Command`]s, with the help texts printed after each
//! subcommand's options.

use super::*;

/// framelens: which frames (humanitarian, economic, security, enforcement) does each
/// article on migration use, how much, and where?
#[derive(Debug, Parser)]
#[command(name = "framelens", version, about, long_about = None, after_help = START_HERE)]
pub(super) struct Cli {
    /// Log only errors (no progress bar, no info messages).
    #[arg(long, short, global = true)]
    pub(super) quiet: bool,
    #[command(subcommand)]
    pub(super) command: Option<Command>,
}

/// Printed by `framelens` without arguments (and under `framelens --help`).
pub(super) const START_HERE: &str = "\
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
pub(super) enum Command {
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
