//! The batch job: inputs → classified reports, streaming in bounded chunks, resumable.
//!
//! Input: a validated [`ClassifyConfig`] and a loaded [`FramingModel`]. Output: the report
//! folder (see [`crate::report`]) and a [`Summary`]. Records are read in order, prepared and
//! classified in parallel chunk by chunk on a rayon pool of `jobs` threads, and written; the
//! output does not depend on `jobs` or `chunk_size`. A bad record is logged, counted and
//! listed in `errors.jsonl`; it never stops the batch. After each chunk a checkpoint is
//! recorded ([`crate::checkpoint`]), so `resume` continues an interrupted run.

use std::io::IsTerminal;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::checkpoint::{Checkpoint, ChunkEntry, Journal, JournalHeader, JOURNAL_VERSION};
use crate::corpus::{read_inputs_logged, Article, ArticleResult, Limits, SkipLog};
use crate::error::{Error, InputError, InputProblem, Result};
use crate::fsio::write_atomic;
use crate::hash::sha256_hex;
use crate::model::{FramingModel, Manifest};
use crate::narratives::NarrativeSet;
use crate::report::{
    build_report, DocReport, InputInfo, ReportWriter, RunInfo, Summary, CHECKPOINT_DIR,
};
use crate::shard::Shard;

/// Everything `classify` needs, validated once.
#[derive(Debug, Clone)]
pub struct ClassifyConfig {
    /// Input paths (files, folders, `-`).
    pub inputs: Vec<PathBuf>,
    /// Output folder.
    pub out: PathBuf,
    /// Worker threads (≥ 1).
    pub jobs: usize,
    /// Documents per chunk (bounds memory; one checkpoint per chunk).
    pub chunk_size: usize,
    /// Show a progress bar (only honoured when stderr is a terminal).
    pub progress: bool,
    /// Write `docs/<id>.md` (opt-in: `--docs md`).
    pub write_docs: bool,
    /// Write `report.html`.
    pub write_html: bool,
    /// How much per-paragraph detail `documents.jsonl` carries.
    pub paragraphs: crate::report::ParagraphDetail,
    /// Continue an interrupted run in `out` instead of starting over.
    pub resume: bool,
    /// Size limits for records and paragraphs.
    pub limits: Limits,
    /// Process only this part of the batch (by id hash), for scale-out; see [`crate::merge`].
    pub shard: Option<Shard>,
    /// Detect these narratives in the same pass (see [`crate::narratives`]).
    pub narratives: Option<std::sync::Arc<crate::narratives::NarrativeSet>>,
}

impl ClassifyConfig {
    /// A configuration with defaults: all cores, chunks of 500, progress on, `report.html`
    /// on, no `docs/*.md`, full paragraph detail, no resume, default [`Limits`].
    pub fn new(inputs: Vec<PathBuf>, out: PathBuf) -> Self {
        ClassifyConfig {
            inputs,
            out,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            chunk_size: 500,
            progress: true,
            write_docs: false,
            write_html: true,
            paragraphs: crate::report::ParagraphDetail::Full,
            resume: false,
            limits: Limits::default(),
            shard: None,
            narratives: None,
        }
    }

    /// Check the configuration.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] for zero jobs, chunk size or limits, or no inputs.
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
        self.limits.check()?;
        Ok(self)
    }

    /// The settings that change the output, recorded in the checkpoint journal: a run can only
    /// be resumed with the same ones. (`jobs` and `chunk_size` do not change the output.)
    pub fn output_settings(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "write_docs": self.write_docs,
            "write_html": self.write_html,
            "paragraphs": self.paragraphs.to_string(),
            "max_doc_bytes": self.limits.max_doc_bytes,
            "max_paragraph_bytes": self.limits.max_paragraph_bytes,
            "shard": self.shard.map(|s| s.to_string()),
        });
        if let Some(n) = &self.narratives {
            v["narratives"] = n.file().sha256.clone().into();
        }
        v
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
    classify_with(model, article, None)
}

/// [`classify_article`], then the narratives of `narratives` (detected with the paragraphs'
/// token ids at hand, see [`crate::narratives::NarrativeSet::annotate`]).
fn classify_with(
    model: &FramingModel,
    article: &Article,
    narratives: Option<&crate::narratives::NarrativeSet>,
) -> std::result::Result<DocReport, InputError> {
    article.validate()?;
    let paras = article.paragraphs();
    let scores = model.score_document(&paras).map_err(|e| {
        InputError::new(
            InputProblem::Tokenizer,
            article.origin.file.clone(),
            article.origin.line,
            Some(article.id.clone()),
            format!("cannot tokenize: {e}"),
        )
    })?;
    let mut report = build_report(model, article, &paras, &scores);
    if let Some(n) = narratives {
        annotate(
            n,
            &paras,
            Some((model.tokenizer(), &scores.tokens)),
            &mut report,
        );
    }
    Ok(report)
}

/// Add the narratives of `set` found in a classified document to its report: each
/// paragraph's ids (and rebutted ids) and the document's hits. `paras` are the paragraphs
/// the report was built from; `tokens` as in [`NarrativeSet::detect_classified`].
pub fn annotate(
    set: &NarrativeSet,
    paras: &[&str],
    tokens: Option<(&crate::tokenize::DocTokenizer, &[Vec<u32>])>,
    report: &mut DocReport,
) {
    let d = set.detect_classified(paras, tokens, |i| {
        report
            .paragraphs
            .get(i)
            .map(|p| report.codebook.name(p.label).to_string())
            .unwrap_or_default()
    });
    for ((p, ids), reb) in report
        .paragraphs
        .iter_mut()
        .zip(d.paragraphs)
        .zip(d.rebutted)
    {
        p.narratives = ids;
        p.rebutted = reb;
    }
    report.narratives = d.documents;
}

/// The outcome for one record: its report (with the text's size) or its error, and any
/// warnings.
type Outcome = (
    std::result::Result<(DocReport, usize), InputError>,
    Vec<InputError>,
);

/// Prepare ([`Article::prepare`]) and classify one record, never panicking: a panic inside the
/// pipeline becomes an [`InputProblem::Internal`] error for this document only.
fn process(
    model: &FramingModel,
    limits: &Limits,
    narratives: Option<&crate::narratives::NarrativeSet>,
    item: ArticleResult,
) -> Outcome {
    let mut article = match item {
        Ok(a) => a,
        Err(e) => return (Err(e), Vec::new()),
    };
    let warnings = std::mem::take(&mut article.warnings);
    let (file, line, id) = (
        article.origin.file.clone(),
        article.origin.line,
        article.id.clone(),
    );
    let run = catch_unwind(AssertUnwindSafe(|| {
        let mut a = article.prepare(limits)?;
        let w = std::mem::take(&mut a.warnings);
        let bytes = a.text.len();
        let r = classify_with(model, &a, narratives)?;
        Ok((r, bytes, w))
    }));
    match run {
        Ok(Ok((r, bytes, w))) => {
            let mut warnings = warnings;
            warnings.extend(w);
            (Ok((r, bytes)), warnings)
        }
        Ok(Err(e)) => (Err(e), warnings),
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            let e = InputError::new(
                InputProblem::Internal,
                file,
                line,
                Some(id),
                format!("framelens failed on this document ({msg}); please report this bug"),
            );
            (Err(e), warnings)
        }
    }
}

/// Prepare and classify one article exactly as a `classify` batch does (HTML stripped, limits
/// checked, narratives annotated, a panic turned into an [`InputProblem::Internal`] error), for
/// callers that bring their own records, such as the Python bindings. Returns the report or the
/// error, and the warnings (repairs) made on the way.
pub fn classify_record(
    model: &FramingModel,
    limits: &Limits,
    narratives: Option<&crate::narratives::NarrativeSet>,
    article: Article,
) -> (std::result::Result<DocReport, InputError>, Vec<InputError>) {
    let (res, warnings) = process(model, limits, narratives, Ok(article));
    (res.map(|(r, _)| r), warnings)
}

/// Hash an input for `run.json` and the checkpoint journal (`None` for stdin, pipes and
/// devices, which cannot be read twice).
fn input_info(path: &Path) -> InputInfo {
    let sha = if path.as_os_str() == "-" {
        None
    } else if path.is_dir() {
        let mut files: Vec<_> = walkdir::WalkDir::new(path)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        let mut acc = String::new();
        for f in files {
            let h = hash_file(&f).unwrap_or_else(|| "unreadable".into());
            acc.push_str(&format!(
                "{}\t{h}\n",
                f.strip_prefix(path).unwrap_or(&f).display()
            ));
        }
        Some(sha256_hex(acc.as_bytes()))
    } else if std::fs::metadata(path).is_ok_and(|m| m.is_file()) {
        hash_file(path)
    } else {
        // a pipe (`<(zcat a.gz)`) or device: reading it to hash it would consume the input
        None
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

/// Hand the memory freed by a finished chunk back to the operating system, where the
/// process allocates with glibc's `malloc`.
///
/// glibc's allocator keeps freed pages in per-thread arenas, and a chunk's records are
/// allocated on the reader thread and freed on the others, so without this the resident size
/// creeps up over a long batch although the live heap stays flat. `malloc_trim` releases the
/// free pages of every arena; it takes well under a millisecond per chunk. The `framelens`
/// binary allocates with mimalloc, which returns freed memory itself (`main.rs` sets its purge
/// delay), so there the call finds little to do; it is for programs that embed the library
/// on the system allocator.
fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: `malloc_trim` only returns free memory to the system; it has no preconditions.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Make duplicate ids unique: the second `x` becomes `x#2`, and so on.
///
/// It keeps a 128-bit digest of each id seen (SHA-256, truncated) rather than the id itself:
/// about 20 bytes per document however long the ids. Two different ids share a digest with
/// probability about n²/2¹²⁹ (10⁻²⁷ for a million documents).
#[derive(Debug, Default)]
pub struct IdDeduper {
    seen: rustc_hash::FxHashSet<u128>,
}

/// The digest [`IdDeduper`] keeps of an id.
fn id_digest(id: &str) -> u128 {
    use sha2::Digest;
    let h = sha2::Sha256::digest(id.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&h[..16]);
    u128::from_le_bytes(b)
}

impl IdDeduper {
    /// Return a unique id for `id`, and a warning when it had to be changed.
    pub fn unique(&mut self, id: &str) -> (String, Option<String>) {
        if self.seen.insert(id_digest(id)) {
            return (id.to_string(), None);
        }
        let mut n = 2;
        loop {
            let cand = format!("{id}#{n}");
            if self.seen.insert(id_digest(&cand)) {
                return (
                    cand.clone(),
                    Some(format!("duplicate id {id:?} renamed to {cand:?}")),
                );
            }
            n += 1;
        }
    }

    /// Give an article a unique id; a renamed article gets an [`InputProblem::DuplicateId`]
    /// warning.
    pub fn apply(&mut self, a: &mut Article) {
        let (id, warn) = self.unique(&a.id);
        if let Some(w) = warn {
            a.warnings.push(InputError::new(
                InputProblem::DuplicateId,
                a.origin.file.clone(),
                a.origin.line,
                Some(id.clone()),
                format!("{w}; both documents are kept"),
            ));
        }
        a.id = id;
    }
}

/// Decide whether the checkpoint in `dir` can be continued; returns the journal to continue
/// from, or `None` to start over (with the reason logged).
fn resumable(dir: &Path, header: &JournalHeader, resume: bool) -> Option<Journal> {
    if !resume {
        if dir.exists() {
            log::warn!(
                "{}: discarding the checkpoint of an interrupted run (pass --resume to continue it instead)",
                dir.display()
            );
        }
        return None;
    }
    match Checkpoint::load(dir) {
        Ok(Some(j)) => match j.header.mismatch(header) {
            None => Some(j),
            Some(why) => {
                log::warn!(
                    "cannot resume the run in {}: {why}; starting over",
                    dir.display()
                );
                None
            }
        },
        Ok(None) => {
            log::info!(
                "no interrupted run to resume in {}; starting a new one",
                dir.parent().unwrap_or(dir).display()
            );
            None
        }
        Err(e) => {
            log::warn!("cannot read the checkpoint ({e}); starting over");
            None
        }
    }
}

fn location(e: &InputError) -> String {
    format!(
        "{}{}",
        e.file,
        e.line.map(|l| format!(":{l}")).unwrap_or_default()
    )
}

fn writer_options(cfg: &ClassifyConfig, manifest: &Manifest) -> crate::report::WriterOptions {
    crate::report::WriterOptions {
        paragraphs: cfg.paragraphs,
        html: cfg.write_html,
        model_hash: manifest.model_hash.clone(),
        narrative_ids: cfg.narratives.as_ref().map(|n| n.ids()).unwrap_or_default(),
    }
}

/// Run the batch: read, classify, write every output. Returns the summary of the whole batch
/// (including the part done before an interruption, when resuming).
///
/// # Errors
/// Fatal errors only: the output folder cannot be written, an input path does not exist.
pub fn run(model: &FramingModel, manifest: &Manifest, cfg: &ClassifyConfig) -> Result<Summary> {
    let started = now_rfc3339();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.jobs)
        .build()
        .map_err(|e| Error::Other(format!("cannot start {} threads: {e}", cfg.jobs)))?;
    // open the inputs first: a path that does not exist is fatal before anything is written
    let skip_log = SkipLog::default();
    let mut input = read_inputs_logged(&cfg.inputs, &cfg.limits, skip_log.clone())?;
    let mut header = JournalHeader {
        journal_version: JOURNAL_VERSION,
        framelens_version: env!("CARGO_PKG_VERSION").to_string(),
        model_hash: manifest.model_hash.clone(),
        settings: cfg.output_settings(),
        inputs: Vec::new(),
    };
    // Hashing the inputs reads them whole (0.15 s for 190 MB). A resumed run needs the hashes
    // now, to check the inputs are the ones of the interrupted run; a new run needs them only
    // in the journal's header, which the writer thread writes before its first chunk, so they
    // are computed on their own thread while the first chunk is read and classified.
    let mut hashing = None;
    if cfg.resume {
        header.inputs = cfg.inputs.iter().map(|p| input_info(p)).collect();
    } else {
        let paths = cfg.inputs.clone();
        hashing = Some(std::thread::spawn(move || {
            paths.iter().map(|p| input_info(p)).collect::<Vec<_>>()
        }));
    }
    let inputs_hashed = |hashing: Option<std::thread::JoinHandle<Vec<InputInfo>>>| {
        hashing.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
    };
    let ck_dir = cfg.out.join(CHECKPOINT_DIR);
    let journal = resumable(&ck_dir, &header, cfg.resume);
    let (mut writer, mut checkpoint, mut summary, mut chunks, mut records) = match journal {
        Some(j) => {
            let runs = j.runs(&ck_dir);
            let writer = ReportWriter::resume(&cfg.out, cfg.write_docs, runs)?
                .options(writer_options(cfg, manifest))
                .continue_page(j.chunks.last().and_then(|c| c.page))?;
            // stale temporary files of the interrupted run's per-document reports
            crate::report::remove_stale_temps(&cfg.out.join("docs"));
            let ck = Some(Checkpoint::create(&ck_dir, &header, &j.chunks)?);
            log::info!(
                "resuming: {} records in {} chunks already done with model {}",
                j.records(),
                j.chunks.len(),
                &manifest.model_hash[..12.min(manifest.model_hash.len())]
            );
            (writer, ck, j.summary(), j.chunks.len() as u64, j.records())
        }
        None => {
            let writer =
                ReportWriter::new(&cfg.out, cfg.write_docs)?.options(writer_options(cfg, manifest));
            (writer, None, Summary::default(), 0, 0)
        }
    };
    let mut dedup = IdDeduper::default();
    // skip the records already done, rebuilding the duplicate-id table as they pass
    for _ in 0..records {
        match input.next() {
            Some(Ok(mut a)) => dedup.apply(&mut a),
            Some(Err(_)) => {}
            None => break,
        }
    }
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
    // Three stages overlap, each chunk passing through them in order: a reader thread parses
    // records and renames duplicate ids; this thread classifies on the pool; a writer thread
    // writes the chunk's reports and checkpoints it. The channels hold no chunk (a hand-over
    // waits for the next stage), so at most three chunks are in memory at once.
    let (chunk_size, shard, limits) = (cfg.chunk_size, cfg.shard, cfg.limits);
    let narratives = cfg.narratives.as_deref();
    let header_w = &mut header;
    let (writer, summary) = std::thread::scope(|scope| -> Result<(ReportWriter, Summary)> {
        let (read_tx, read_rx) = std::sync::mpsc::sync_channel::<(Vec<ArticleResult>, u64)>(0);
        scope.spawn(move || loop {
            let mut chunk: Vec<ArticleResult> = input.by_ref().take(chunk_size).collect();
            if chunk.is_empty() {
                break;
            }
            let n_records = chunk.len() as u64;
            match shard {
                // every shard renames duplicate ids over the whole input (so all shards
                // agree), then keeps the records whose id as read hashes to it
                Some(shard) => chunk.retain_mut(|item| {
                    let keep = shard.takes(item);
                    if let Ok(a) = item {
                        dedup.apply(a);
                    }
                    keep
                }),
                None => {
                    for a in chunk.iter_mut().flatten() {
                        dedup.apply(a);
                    }
                }
            }
            if read_tx.send((chunk, n_records)).is_err() {
                break; // a later stage failed
            }
        });
        let (write_tx, write_rx) =
            std::sync::mpsc::sync_channel::<(Vec<DocReport>, Summary, u64)>(0);
        let bar = &bar;
        let writing = scope.spawn(move || -> Result<(ReportWriter, Summary)> {
            for (reports, part, n_records) in write_rx {
                let run = writer.add_chunk(&reports)?;
                records += n_records;
                let checkpoint = match &mut checkpoint {
                    Some(c) => c,
                    None => {
                        if let Some(inputs) = inputs_hashed(hashing.take()) {
                            header_w.inputs = inputs;
                        }
                        checkpoint.insert(Checkpoint::create(
                            writer.checkpoint_dir(),
                            header_w,
                            &[],
                        )?)
                    }
                };
                checkpoint.append(&ChunkEntry {
                    chunk: chunks,
                    records,
                    run: run
                        .as_ref()
                        .and_then(|p| p.file_name())
                        .map(|n| n.to_string_lossy().into_owned()),
                    summary: part.clone(),
                    page: writer.page_mark(),
                })?;
                chunks += 1;
                bar.inc(part.bytes);
                summary += part;
                release_free_memory();
                bar.set_message(format!(
                    "{} docs, {} failed",
                    summary.classified, summary.failed
                ));
            }
            if let Some(inputs) = inputs_hashed(hashing.take()) {
                header_w.inputs = inputs;
            }
            Ok((writer, summary))
        });
        for (chunk, n_records) in read_rx {
            let outcomes: Vec<Outcome> = pool.install(|| {
                chunk
                    .into_par_iter()
                    .map(|item| process(model, &limits, narratives, item))
                    .collect()
            });
            let mut part = Summary::default();
            let mut reports = Vec::with_capacity(outcomes.len());
            for (res, warnings) in outcomes {
                for w in warnings {
                    log::warn!("{}: {}", location(&w), w.reason);
                    part.add_warning(w);
                }
                match res {
                    Ok((rep, n)) => {
                        part.add_report(&rep, n);
                        reports.push(rep);
                    }
                    Err(e) => {
                        log::error!("{e}");
                        part.add_failure(e);
                    }
                }
            }
            if write_tx.send((reports, part, n_records)).is_err() {
                break; // the writer failed: its error is returned below
            }
        }
        drop(write_tx);
        writing
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
    })?;
    bar.finish_and_clear();
    // the input was read to its end (also the part done before a resume), so the log of
    // skipped files is complete
    let mut summary = summary;
    summary.skipped = std::mem::take(&mut *skip_log.lock().unwrap_or_else(|e| e.into_inner()));
    if !summary.skipped.is_empty() {
        log::warn!(
            "{} files skipped, not a format framelens reads ({}); listed in summary.md",
            summary.skipped.len(),
            crate::corpus::skipped_by_ext(&summary.skipped)
        );
    }
    let merging = std::time::Instant::now();
    writer.write_outputs(&summary, model.codebook())?;
    log::debug!(
        "runs merged and outputs written in {:.3} s",
        merging.elapsed().as_secs_f64()
    );
    let info = RunInfo {
        framelens_version: env!("CARGO_PKG_VERSION").to_string(),
        model: model.path().display().to_string(),
        model_hash: manifest.model_hash.clone(),
        inputs: header.inputs,
        started,
        finished: now_rfc3339(),
        read: summary.read,
        classified: summary.classified,
        failed: summary.failed,
        jobs: cfg.jobs,
        shard: cfg.shard,
        narratives: cfg.narratives.as_ref().map(|n| n.info()),
    };
    let json = serde_json::to_string_pretty(&info).expect("run info serialises");
    write_atomic(&cfg.out.join("run.json"), format!("{json}\n").as_bytes())?;
    writer.remove_checkpoint()?;
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
        let mut a = Article {
            id: "a".into(),
            ..Default::default()
        };
        d.apply(&mut a);
        assert_eq!(a.id, "a#4");
        assert_eq!(a.warnings[0].kind, InputProblem::DuplicateId);
        assert_eq!(a.warnings[0].id.as_deref(), Some("a#4"));
    }

    #[test]
    fn a_panic_fails_one_document_only() {
        let m = crate::model::tests::tiny_model();
        let a = Article {
            id: "p".into(),
            text: "Agents detained migrants.".into(),
            ..Default::default()
        };
        let (ok, w) = process(&m, &Limits::default(), None, Ok(a.clone()));
        assert!(ok.is_ok() && w.is_empty());
        // a limit of zero bytes cannot be met: an ordinary error, not a panic
        let zero = Limits {
            max_doc_bytes: 0,
            ..Limits::default()
        };
        let (e, _) = process(&m, &zero, None, Ok(a));
        assert_eq!(e.unwrap_err().kind, InputProblem::TooLarge);
    }

    #[test]
    fn output_settings_name_what_changes_the_output() {
        let c = ClassifyConfig::new(vec!["x".into()], "o".into());
        let s = c.output_settings();
        assert_eq!(s["write_docs"], false);
        assert_eq!(s["paragraphs"], "full");
        assert!(s.get("jobs").is_none());
    }
}
