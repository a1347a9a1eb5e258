//! `train` and `stats` on labeled samples, with the options shared with `cv` (the codebook,
//! [`EmbedArgs`]).

use super::*;

#[derive(Debug, Args)]
pub(super) struct StatsArgs {
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

#[derive(Debug, Args)]
pub(super) struct TrainArgs {
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
pub(super) struct EmbedArgs {
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
    pub(super) fn apply(&self, mut params: TrainParams) -> Result<TrainParams> {
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

/// The codebook of `--codebook FILE`, or the migration codebook.
pub(super) fn load_codebook(path: Option<&Path>) -> Result<Codebook> {
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

pub(super) fn run_train(a: TrainArgs) -> Result<ExitCode> {
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

pub(super) fn run_stats(a: StatsArgs) -> Result<ExitCode> {
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
