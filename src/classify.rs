//! The batch job: inputs → classified reports, streaming in bounded chunks.
//!
//! Input: a validated [`ClassifyConfig`] and a loaded [`FramingModel`]. Output: the report
//! folder (see [`crate::report`]) and a [`Summary`]. Records are read in order, classified in
//! parallel chunk by chunk on a rayon pool of `jobs` threads, and written; the output does not
//! depend on `jobs`. A bad record is logged, counted and listed; it never stops the batch.

use std::collections::HashSet;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::corpus::{read_inputs, Article, ArticleResult};
use crate::error::{Error, InputError, Result};
use crate::model::{sha256_hex, FramingModel, Manifest};
use crate::report::{
    build_report, write_atomic, DocReport, InputInfo, ReportWriter, RunInfo, Summary,
};

/// Everything `classify` needs, validated once.
#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// Input paths (files, folders, `-`).
    pub inputs: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// Worker threads (≥ 1).
    pub jobs: usize,
    /// Documents per chunk (bounds memory).
    pub chunk_size: usize,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
    /// Write `docs/<id>.md`.
    pub write_docs: bool,
}

impl ClassifyConfig {
    /// A configuration with defaults: all cores, chunks of 2,000, progress on, docs on.
    pub fn new(inputs: Vec<PathBuf>, out: PathBuf) -> Self {
        ClassifyConfig {
            inputs,
            out,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: 2000,
            progress: true,
            write_docs: true,
        }
    }

    /// Check the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for zero jobs or chunk size or no inputs.
    pub fn check(self) -> Result<Self> {
        if self.jobs == 0 {
            return Err(Error::InvalidParam {
                name: "jobs",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if self.chunk_size == 0 {
            return Err(Error::InvalidParam {
                name: "chunk_size",
                value: "0".into(),
                reason: "must be at least 1",
            });
        }
        if self.inputs.is_empty() {
            return Err(Error::InvalidParam {
                name: "inputs",
                value: "[]".into(),
                reason: "give at least one input",
            });
        }
        Ok(self)
    }
}

/// Classify one article: validate, split, score, report.
///
/// # Errors
/// An [`InputError`] naming the article when it is empty or cannot be tokenized.
pub fn classify_article(
    model: &FramingModel,
    article: &Article,
) -> std::result::Result<DocReport, InputError> {
    article.validate()?;
    let paras = article.paragraphs();
    let scores = model.score_document(&paras).map_err(|e| InputError {
        file: article.origin.file.clone(),
        line: article.origin.line,
        id: Some(article.id.clone()),
        reason: format!("cannot tokenize: {e}"),
    })?;
    Ok(build_report(model, article, &paras, &scores))
}

/// Hash an input for `run.json`.
fn input_info(path: &Path) -> InputInfo {
    let sha = if path.as_os_str() == "-" {
        None
    } else if path.is_dir() {
        let mut files: Vec<_> = walkdir::WalkDir::new(path)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        let mut acc = String::new();
        for f in files {
            let h = std::fs::read(&f)
                .map(|b| sha256_hex(&b))
                .unwrap_or_else(|_| "unreadable".into());
            acc.push_str(&format!(
                "{}\t{h}\n",
                f.strip_prefix(path).unwrap_or(&f).display()
            ));
        }
        Some(sha256_hex(acc.as_bytes()))
    } else {
        hash_file(path)
    };
    InputInfo {
        path: path.display().to_string(),
        sha256: sha,
    }
}

fn hash_file(path: &Path) -> Option<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).ok()?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).ok()?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Some(hex::encode(h.finalize()))
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Make duplicate ids unique: the second `x` becomes `x#2`, and so on.
#[derive(Debug, Default)]
pub struct IdDeduper {
    seen: HashSet<String>,
}

impl IdDeduper {
    /// Return a unique id for `id`, and a warning when it had to be changed.
    pub fn unique(&mut self, id: &str) -> (String, Option<String>) {
        if self.seen.insert(id.to_string()) {
            return (id.to_string(), None);
        }
        let mut n = 2;
        loop {
            let cand = format!("{id}#{n}");
            if self.seen.insert(cand.clone()) {
                return (
                    cand.clone(),
                    Some(format!("duplicate id {id:?} renamed to {cand:?}")),
                );
            }
            n += 1;
        }
    }
}

/// Run the batch: read, classify, write every output. Returns the summary.
///
/// # Errors
/// Fatal errors only: the output folder cannot be written, an input path cannot be opened.
pub fn run(model: &FramingModel, manifest: &Manifest, cfg: &ClassifyConfig) -> Result<Summary> {
    let started = now_rfc3339();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .map_err(|e| Error::Other(format!("cannot start {} threads: {e}", cfg.jobs)))?;
    let mut writer = ReportWriter::new(&cfg.out, cfg.write_docs)?;
    let total_bytes: u64 = cfg
        .inputs
        .iter()
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::metadata(p).ok().map(|m| m.len()))
        .sum();
    let bar = if cfg.progress && std::io::stderr().is_terminal() {
        let b = indicatif::ProgressBar::new(total_bytes.max(1));
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} {msg}",
            )
            .expect("valid template"),
        );
        b
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut summary = Summary::default();
    let mut dedup = IdDeduper::default();
    let mut input = read_inputs(&cfg.inputs)?;
    loop {
        let chunk: Vec<ArticleResult> = input.by_ref().take(cfg.chunk_size).collect();
        if chunk.is_empty() {
            break;
        }
        let mut articles = Vec::with_capacity(chunk.len());
        for item in chunk {
            match item {
                Ok(mut a) => {
                    let (id, warn) = dedup.unique(&a.id);
                    if let Some(w) = warn {
                        log::warn!(
                            "{}{}: {w}",
                            a.origin.file,
                            a.origin.line.map(|l| format!(":{l}")).unwrap_or_default()
                        );
                        summary.warnings.push(w);
                    }
                    a.id = id;
                    articles.push(Ok(a));
                }
                Err(e) => articles.push(Err(e)),
            }
        }
        let results: Vec<std::result::Result<(DocReport, usize), InputError>> =
            pool.install(|| {
                articles
                    .par_iter()
                    .map(|a| match a {
                        Ok(a) => classify_article(model, a).map(|r| (r, a.text.len())),
                        Err(e) => Err(e.clone()),
                    })
                    .collect()
            });
        let mut reports = Vec::with_capacity(results.len());
        let mut bytes = 0u64;
        for r in results {
            match r {
                Ok((rep, n)) => {
                    summary.add_report(&rep, n);
                    bytes += n as u64;
                    reports.push(rep);
                }
                Err(e) => {
                    log::error!("{e}");
                    summary.add_failure(e);
                }
            }
        }
        writer.add_chunk(&reports)?;
        bar.inc(bytes);
        bar.set_message(format!(
            "{} docs, {} failed",
            summary.classified, summary.failed
        ));
    }
    bar.finish_and_clear();
    writer.finish(&summary)?;
    let info = RunInfo {
        framelens_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.path().display().to_string(),
        model_hash: manifest.model_hash.clone(),
        inputs: cfg.inputs.iter().map(|p| input_info(p)).collect(),
        started,
        finished: now_rfc3339(),
        read: summary.read,
        classified: summary.classified,
        failed: summary.failed,
        jobs: cfg.jobs,
    };
    let json = serde_json::to_string_pretty(&info).expect("run info serialises");
    write_atomic(&cfg.out.join("run.json"), format!("{json}\n").as_bytes())?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_suffixes() {
        let mut d = IdDeduper::default();
        assert_eq!(d.unique("a").0, "a");
        let (id, w) = d.unique("a");
        assert_eq!(id, "a#2");
        assert!(w.is_some());
        assert_eq!(d.unique("a").0, "a#3");
    }
}
