//! Command-line interface: clap structs holding raw values, turned into validated library
//! configurations, one function per subcommand.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};

use framelens::eval::{cross_validate, EvalParams, EvalReport, FoldParams, FoldsInfo, Setup};
use framelens::labels::{Annotations, LabelSource, LabeledSet};
use framelens::model::{FramingModel, TrainParams};
use framelens::Codebook;

mod args;
mod classify;
mod codebook;
mod eval;
mod suggest;
mod train;
mod trends;

use args::*;
use classify::*;
use codebook::*;
use eval::*;
use suggest::*;
use train::*;
use trends::*;

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
