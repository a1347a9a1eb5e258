//! `eval` of a model against hand-coded labels and `cv`, cross-validated training.

use super::*;

#[derive(Debug, Args)]
pub(super) struct EvalArgs {
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
pub(super) struct CvArgs {
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

pub(super) fn show(p: &Path) -> String {
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

pub(super) fn run_eval(a: EvalArgs) -> Result<ExitCode> {
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

pub(super) fn run_cv(a: CvArgs) -> Result<ExitCode> {
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
