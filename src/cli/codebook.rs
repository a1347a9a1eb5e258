//! `codebook init`, `codebook show` and `codebook attach`.

use super::*;

#[derive(Debug, Subcommand)]
pub(super) enum CodebookCommand {
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
pub(super) struct CodebookAttachArgs {
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
pub(super) struct CodebookInitArgs {
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
pub(super) struct CodebookShowArgs {
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

pub(super) fn run_codebook(c: CodebookCommand) -> Result<ExitCode> {
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
