//! Scale-out: split one batch across processes or machines by id hash, and merge the parts.
//!
//! Input: a [`Shard`](crate::shard::Shard) (`classify --shard I/N`) selects the records whose shard key
//! ([`crate::shard::shard_key`]: the document id as read, before duplicate ids are renamed) hashes to part `I`
//! of `N`; every shard reads the whole input, so no coordination is needed. [`merge`] takes the
//! report folders of the `N` finished shard runs. Output: the report folder one unsharded run
//! would have written, byte for byte — `documents.jsonl`, `summary.csv`, `summary.md`,
//! `errors.jsonl` and `docs/` — plus a `run.json` that differs from a single run's only in
//! `started`/`finished` (the earliest start and latest finish of the shards) and `jobs` (the
//! shards' worker threads added up).
//!
//! Why the merge is exact: every shard sees every record, so duplicate ids are renamed the
//! same way in all of them; a record belongs to exactly one shard; each shard's
//! `documents.jsonl` and `summary.csv` are sorted by id, so a k-way merge by id gives the
//! single run's order; the batch summary is rebuilt from the merged documents and the shards'
//! `errors.jsonl` (its sums are exact integers, see [`Summary`]), and rendered by the same
//! functions a run uses.

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use crate::codebook::{Codebook, CODEBOOK_FILE};
use crate::error::{Error, InputError, Result};
use crate::fsio::{sync_dir, write_atomic, write_atomic_with};
use crate::report::{
    dominant_from_name, labels_from_names, render_errors, render_summary, shares_from_map,
    DocReport, Problem, RunInfo, Severity, Summary, CHECKPOINT_DIR,
};

/// What [`merge`] needs of a document line to rebuild the batch summary.
#[derive(Deserialize)]
struct DocFacts {
    id: String,
    shares: serde_json::Map<String, serde_json::Value>,
    framed_fraction: f64,
    dominant: Option<String>,
    present: Vec<String>,
    #[serde(default)]
    paragraphs: Vec<serde::de::IgnoredAny>,
    #[serde(default)]
    narratives: std::collections::BTreeMap<String, crate::narratives::NarrativeCount>,
}

impl DocFacts {
    /// The summary-relevant part of a report (the rest stays empty), its labels resolved in
    /// the shards' codebook.
    fn to_report(&self, cb: &Arc<Codebook>) -> std::result::Result<DocReport, String> {
        Ok(DocReport {
            codebook: cb.clone(),
            id: self.id.clone(),
            title: None,
            date: None,
            source: None,
            url: None,
            meta: Default::default(),
            shares: shares_from_map(&self.shares, cb)?,
            framed_fraction: self.framed_fraction,
            dominant: dominant_from_name(self.dominant.as_deref(), cb)?,
            present: labels_from_names(&self.present, cb)?,
            paragraphs: Vec::new(),
            evidence: Default::default(),
            terms: Default::default(),
            // the summary counts documents per narrative: the evidence is not needed
            narratives: self
                .narratives
                .iter()
                .map(|(id, c)| {
                    let hit = crate::narratives::NarrativeHit {
                        paragraphs: c.paragraphs as usize,
                        share: c.share,
                        rebutted: c.rebutted.map(|r| r as usize),
                        evidence: Vec::new(),
                    };
                    (id.clone(), hit)
                })
                .collect(),
            texts: Vec::new(),
        })
    }
}

/// One shard's folder, open for merging.
struct Part {
    dir: PathBuf,
    info: RunInfo,
    /// The codebook the shard's reports are keyed by.
    codebook: Arc<Codebook>,
    docs: std::io::Lines<BufReader<File>>,
    csv: csv::StringRecordsIntoIter<BufReader<File>>,
    /// The current document: its facts and its line.
    head: Option<(DocFacts, String)>,
    line: u64,
}

impl Part {
    fn open(dir: &Path) -> Result<Part> {
        let merr = |m: String| Error::Other(format!("{}: {m}", dir.display()));
        if !dir.is_dir() {
            return Err(merr("no such shard folder".into()));
        }
        if dir.join(CHECKPOINT_DIR).exists() {
            return Err(merr(
                "this shard run did not finish (resume it with `classify --resume` first)".into(),
            ));
        }
        let run = dir.join("run.json");
        let text = std::fs::read_to_string(&run)
            .map_err(|e| merr(format!("no run.json, not a finished classify run ({e})")))?;
        let info: RunInfo = serde_json::from_str(&text).map_err(|e| Error::Json {
            path: run.clone(),
            source: e,
        })?;
        let open = |name: &str| -> Result<BufReader<File>> {
            let p = dir.join(name);
            Ok(BufReader::with_capacity(
                1 << 16,
                File::open(&p).map_err(|e| Error::io(&p, e))?,
            ))
        };
        let docs = open("documents.jsonl")?.lines();
        let csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(open("summary.csv")?)
            .into_records();
        let mut part = Part {
            dir: dir.to_path_buf(),
            info,
            codebook: Arc::new(crate::codebook::for_report_folder(dir)?),
            docs,
            csv,
            head: None,
            line: 0,
        };
        part.advance()?;
        Ok(part)
    }

    /// Read the next document line.
    fn advance(&mut self) -> Result<()> {
        let path = self.dir.join("documents.jsonl");
        self.head = match self.docs.next() {
            None => None,
            Some(l) => {
                let l = l.map_err(|e| Error::io(&path, e))?;
                self.line += 1;
                let facts: DocFacts = serde_json::from_str(&l)
                    .map_err(|e| Error::Other(format!("{}:{}: {e}", path.display(), self.line)))?;
                Some((facts, l))
            }
        };
        Ok(())
    }

    /// The summary.csv record of the current document.
    fn csv_record(&mut self, id: &str) -> Result<csv::StringRecord> {
        let path = self.dir.join("summary.csv");
        let rec = self
            .csv
            .next()
            .ok_or_else(|| {
                Error::Other(format!(
                    "{}: ends before document {id} of documents.jsonl",
                    path.display()
                ))
            })?
            .map_err(|e| Error::Other(format!("{}: {e}", path.display())))?;
        if rec.get(0) != Some(id) {
            return Err(Error::Other(format!(
                "{}: row {:?} does not match document {id} of documents.jsonl",
                path.display(),
                rec.get(0).unwrap_or("")
            )));
        }
        Ok(rec)
    }
}

/// Check that the parts are the complete set of shards of one batch: same model, same
/// inputs, shards 1..=N each exactly once.
fn check_parts(parts: &[Part]) -> Result<()> {
    let first = &parts[0];
    let n = match first.info.shard {
        Some(s) => s.count(),
        None => {
            return Err(Error::Other(format!(
                "{}: not a shard run (run classify with --shard I/N)",
                first.dir.display()
            )))
        }
    };
    let mut seen = vec![None::<&Path>; n as usize];
    for p in parts {
        let Some(s) = p.info.shard else {
            return Err(Error::Other(format!(
                "{}: not a shard run (run classify with --shard I/N)",
                p.dir.display()
            )));
        };
        if s.count() != n {
            return Err(Error::Other(format!(
                "{} is shard {s} but {} is shard {}: they split the batch differently",
                p.dir.display(),
                first.dir.display(),
                first.info.shard.map(|s| s.to_string()).unwrap_or_default()
            )));
        }
        if p.info.model_hash != first.info.model_hash {
            return Err(Error::Other(format!(
                "{} used model {} but {} used model {}",
                p.dir.display(),
                p.info.model_hash,
                first.dir.display(),
                first.info.model_hash
            )));
        }
        if p.codebook != first.codebook {
            return Err(Error::Other(format!(
                "{} used codebook {} but {} used codebook {}",
                p.dir.display(),
                p.codebook.describe(),
                first.dir.display(),
                first.codebook.describe()
            )));
        }
        if p.info.narratives != first.info.narratives {
            let set = |i: &RunInfo| {
                i.narratives
                    .as_ref()
                    .map_or("no narratives".to_string(), |n| {
                        format!(
                            "narratives {} ({})",
                            n.file,
                            &n.sha256[..n.sha256.len().min(12)]
                        )
                    })
            };
            return Err(Error::Other(format!(
                "{} detected {} but {} detected {}",
                p.dir.display(),
                set(&p.info),
                first.dir.display(),
                set(&first.info)
            )));
        }
        let sums = |i: &RunInfo| -> Vec<Option<String>> {
            i.inputs.iter().map(|x| x.sha256.clone()).collect()
        };
        if sums(&p.info) != sums(&first.info) {
            return Err(Error::Other(format!(
                "{} and {} classified different inputs (their run.json checksums differ)",
                p.dir.display(),
                first.dir.display()
            )));
        }
        let slot = &mut seen[(s.index() - 1) as usize];
        if let Some(other) = slot {
            return Err(Error::Other(format!(
                "{} and {} are both shard {s}",
                other.display(),
                p.dir.display()
            )));
        }
        *slot = Some(&p.dir);
    }
    let missing: Vec<String> = seen
        .iter()
        .enumerate()
        .filter(|(_, s)| s.is_none())
        .map(|(i, _)| format!("{}/{n}", i + 1))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Other(format!(
            "missing shard(s) {}: merge needs every shard of the batch",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// Read a shard's `errors.jsonl` into the summary.
fn add_problems(dir: &Path, summary: &mut Summary) -> Result<()> {
    let path = dir.join("errors.jsonl");
    let f = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(Error::io(&path, e)),
    };
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(&path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let p: Problem = serde_json::from_str(&line)
            .map_err(|e| Error::Other(format!("{}:{}: {e}", path.display(), i + 1)))?;
        let e = InputError::new(p.kind, p.file, p.line, p.id, p.reason);
        match p.severity {
            Severity::Error => summary.add_failure(e),
            Severity::Warning => summary.add_warning(e),
        }
    }
    Ok(())
}

/// Copy every shard's `docs/*.md` into `out/docs`, in parallel; two shards never hold the
/// same file (ids are unique across shards).
fn copy_docs(parts: &[Part], out_docs: &Path) -> Result<u64> {
    use rayon::prelude::*;
    let mut files: Vec<(PathBuf, std::ffi::OsString)> = Vec::new();
    for p in parts {
        let docs = p.dir.join("docs");
        let rd = match std::fs::read_dir(&docs) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&docs, e)),
        };
        for e in rd {
            let e = e.map_err(|e| Error::io(&docs, e))?;
            let name = e.file_name();
            // skip temporary files of atomic writes
            if name.to_string_lossy().starts_with('.') {
                continue;
            }
            files.push((e.path(), name));
        }
    }
    files.sort_by(|a, b| a.1.cmp(&b.1));
    if let Some(w) = files.windows(2).find(|w| w[0].1 == w[1].1) {
        return Err(Error::Other(format!(
            "{} and {} have the same name: the shards overlap",
            w[0].0.display(),
            w[1].0.display()
        )));
    }
    files.par_iter().try_for_each(|(src, name)| {
        let dst = out_docs.join(name);
        std::fs::copy(src, &dst)
            .map(|_| ())
            .map_err(|e| Error::io(&dst, e))
    })?;
    sync_dir(out_docs)?;
    Ok(files.len() as u64)
}

/// Merge the report folders of the shards of one batch into `out`, which then holds exactly
/// what one unsharded `classify` run would have written (see the module docs for `run.json`).
/// Returns the batch summary.
///
/// # Errors
/// [`Error::Other`] naming the folder when a shard is missing, duplicated, unfinished, from
/// another model or input, or when two shards hold the same document; [`Error::Io`] when a
/// file cannot be read or written.
pub fn merge(out: &Path, shards: &[PathBuf]) -> Result<Summary> {
    if shards.is_empty() {
        return Err(Error::InvalidParam {
            name: "shards",
            value: "[]".into(),
            reason: "give the output folders of every shard",
        });
    }
    let out_abs = std::fs::canonicalize(out).ok();
    for s in shards {
        if out_abs.is_some() && std::fs::canonicalize(s).ok() == out_abs {
            return Err(Error::Other(format!(
                "{}: the merged output must go to a folder of its own",
                s.display()
            )));
        }
    }
    let mut parts = shards
        .iter()
        .map(|d| Part::open(d))
        .collect::<Result<Vec<_>>>()?;
    check_parts(&parts)?;
    let out_docs = out.join("docs");
    std::fs::create_dir_all(&out_docs).map_err(|e| Error::io(&out_docs, e))?;

    let mut summary = Summary::default();
    let docs_path = out.join("documents.jsonl");
    let csv_path = out.join("summary.csv");
    // summary.csv is written beside documents.jsonl in the same pass, through a temporary
    // file renamed once complete (as a run writes it: atomically, fsynced)
    let tmp = out.join(format!(".summary.csv.tmp{}", std::process::id()));
    let file = File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
    let mut cw = csv::Writer::from_writer(std::io::BufWriter::with_capacity(1 << 16, file));
    let codebook = parts[0].codebook.clone();
    let narrative_ids: Vec<String> = parts[0]
        .info
        .narratives
        .iter()
        .flat_map(|n| n.narratives.iter().map(|r| format!("narrative:{}", r.id)))
        .collect();
    cw.write_record(
        crate::report::summary_header(&codebook)
            .into_iter()
            .chain(narrative_ids),
    )
    .map_err(|e| Error::Other(format!("{}: {e}", tmp.display())))?;
    let mut failure: Option<Error> = None;
    let merged = write_atomic_with(&docs_path, true, |w| {
        loop {
            let mut best: Option<usize> = None;
            for (i, p) in parts.iter().enumerate() {
                let Some((f, _)) = &p.head else { continue };
                let Some(b) = best else {
                    best = Some(i);
                    continue;
                };
                let bid = &parts[b].head.as_ref().expect("head present").0.id;
                if f.id < *bid {
                    best = Some(i);
                } else if f.id == *bid {
                    failure = Some(Error::Other(format!(
                        "document {} is in both {} and {}: the shards overlap",
                        f.id,
                        parts[b].dir.display(),
                        p.dir.display()
                    )));
                    return Err(std::io::Error::other("the shards overlap"));
                }
            }
            let Some(i) = best else { break };
            let (facts, line) = parts[i].head.take().expect("head present");
            w.write_all(line.as_bytes())?;
            w.write_all(b"\n")?;
            match facts.to_report(&codebook) {
                Ok(r) => summary.add_report(&r, 0),
                Err(m) => {
                    failure = Some(Error::Other(format!(
                        "{}: document {}: {m}",
                        parts[i].dir.join("documents.jsonl").display(),
                        facts.id
                    )));
                    return Err(std::io::Error::other("merge failed"));
                }
            }
            // the report above carries no paragraphs: count them here
            summary.paragraphs += facts.paragraphs.len() as u64;
            let step = parts[i].csv_record(&facts.id).and_then(|rec| {
                cw.write_record(&rec)
                    .map_err(|e| Error::Other(format!("{}: {e}", tmp.display())))?;
                parts[i].advance()
            });
            if let Err(e) = step {
                failure = Some(e);
                return Err(std::io::Error::other("merge failed"));
            }
        }
        Ok(())
    });
    if let Err(e) = merged {
        let _ = std::fs::remove_file(&tmp);
        return Err(failure.take().unwrap_or(e));
    }
    let file = cw
        .into_inner()
        .map_err(|e| Error::io(&tmp, e.into_error()))?
        .into_inner()
        .map_err(|e| Error::io(&tmp, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(&tmp, e))?;
    std::fs::rename(&tmp, &csv_path).map_err(|e| Error::io(&csv_path, e))?;
    for p in &mut parts {
        if p.csv.next().is_some() {
            return Err(Error::Other(format!(
                "{}: more rows than documents.jsonl has documents",
                p.dir.join("summary.csv").display()
            )));
        }
        add_problems(&p.dir, &mut summary)?;
    }
    copy_docs(&parts, &out_docs)?;
    write_atomic(
        &out.join("summary.md"),
        render_summary(&summary, &codebook).as_bytes(),
    )?;
    write_atomic(&out.join(CODEBOOK_FILE), codebook.to_toml().as_bytes())?;
    write_atomic(
        &out.join("errors.jsonl"),
        render_errors(&summary).as_bytes(),
    )?;
    let first = &parts[0].info;
    let info = RunInfo {
        framelens_version: first.framelens_version.clone(),
        model: first.model.clone(),
        model_hash: first.model_hash.clone(),
        inputs: first.inputs.clone(),
        started: parts
            .iter()
            .map(|p| p.info.started.clone())
            .min()
            .unwrap_or_default(),
        finished: parts
            .iter()
            .map(|p| p.info.finished.clone())
            .max()
            .unwrap_or_default(),
        read: summary.read,
        classified: summary.classified,
        failed: summary.failed,
        jobs: parts.iter().map(|p| p.info.jobs).sum(),
        shard: None,
        narratives: first.narratives.clone(),
    };
    let json = serde_json::to_string_pretty(&info).expect("run info serialises");
    write_atomic(&out.join("run.json"), format!("{json}\n").as_bytes())?;
    sync_dir(out)?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::ArticleResult;
    use crate::shard::{shard_key, Shard};

    #[test]
    fn shard_parses_and_rejects_bad_values() {
        let s: Shard = "2/4".parse().unwrap();
        assert_eq!((s.index(), s.count()), (2, 4));
        assert_eq!(s.to_string(), "2/4");
        for bad in ["0/4", "5/4", "1/0", "x/2", "3", "", "1/2/3"] {
            assert!(bad.parse::<Shard>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_key_has_exactly_one_shard_and_parts_are_balanced() {
        let n = 4;
        let shards: Vec<Shard> = (1..=n).map(|i| Shard::new(i, n).unwrap()).collect();
        let mut sizes = [0usize; 4];
        for k in 0..4000 {
            let key = format!("doc-{k}");
            let owners: Vec<usize> = (0..4).filter(|&i| shards[i].contains(&key)).collect();
            assert_eq!(owners.len(), 1, "{key}");
            sizes[owners[0]] += 1;
        }
        for s in sizes {
            assert!((800..1200).contains(&s), "{sizes:?}");
        }
        // stable: a fixed key always maps to the same part
        assert_eq!(Shard::part_of("doc-0", 4), Shard::part_of("doc-0", 4));
        assert!(Shard::new(1, 1).unwrap().contains("anything"));
    }

    #[test]
    fn records_without_id_are_keyed_by_origin() {
        let e: ArticleResult = Err(InputError::new(
            crate::error::InputProblem::MalformedJson,
            "in.jsonl",
            Some(7),
            None,
            "malformed JSON",
        ));
        assert_eq!(shard_key(&e), "in.jsonl:7");
    }
}
