//! `suggest`: the paragraphs to hand-code next (active learning).

use super::*;

#[derive(Debug, Args)]
pub(super) struct SuggestArgs {
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

pub(super) fn run_suggest(a: SuggestArgs) -> Result<ExitCode> {
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
