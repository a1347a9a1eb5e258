//! Crash safety for the batch job: a journal of the chunks already written, so that
//! `classify --resume` continues an interrupted run.
//!
//! Input: a [`JournalHeader`] (what the run classifies, with which model and settings) and,
//! after each chunk, a [`ChunkEntry`] (how many input records are done, the chunk's sorted run
//! file and its [`Summary`]). Output: `<out>/.framelens-checkpoint/journal.jsonl`, one JSON
//! object per line, the header first.
//!
//! The order of writes makes every prefix of the journal trustworthy: a chunk's per-document
//! files and its run file are written and fsynced first ([`crate::report::ReportWriter`]),
//! then its entry is appended to the journal and fsynced. A crash can therefore only lose the
//! chunk in progress, and at worst leave a torn last line, which [`Checkpoint::load`] drops.
//! On resume the first `records` input records are read again (to rebuild the duplicate-id
//! table) but not classified, the saved summaries are added up, and the batch goes on from
//! there; the final files are byte-identical to an uninterrupted run (except the timestamps in
//! `run.json`).

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::fsio::write_atomic;
use crate::report::{run_docs_path, InputInfo, PageMark, Summary, PAGE_FILE};

/// Version of the journal format.
pub const JOURNAL_VERSION: u32 = 3;

/// Name of the journal file inside the checkpoint folder.
pub const JOURNAL_FILE: &str = "journal.jsonl";

/// The first line of the journal: what must match for a run to be resumed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalHeader {
    /// [`JOURNAL_VERSION`].
    pub journal_version: u32,
    /// framelens version that wrote the checkpoint (its output format).
    pub framelens_version: String,
    /// Content hash of the model.
    pub model_hash: String,
    /// Settings that change the output (limits, `--no-docs` …), as a JSON object.
    pub settings: Value,
    /// The inputs with their SHA-256.
    pub inputs: Vec<InputInfo>,
}

impl JournalHeader {
    /// Why a checkpoint with header `self` cannot be continued by a run with header `now`, or
    /// `None` when it can.
    pub fn mismatch(&self, now: &JournalHeader) -> Option<String> {
        if self.journal_version != now.journal_version {
            return Some(format!(
                "it has journal version {}, this framelens writes {}",
                self.journal_version, now.journal_version
            ));
        }
        if self.framelens_version != now.framelens_version {
            return Some(format!(
                "it was written by framelens {}, this is {}",
                self.framelens_version, now.framelens_version
            ));
        }
        if self.model_hash != now.model_hash {
            return Some(format!(
                "it was classified with model {}, this run uses model {}",
                short(&self.model_hash),
                short(&now.model_hash)
            ));
        }
        if self.settings != now.settings {
            return Some(format!(
                "its settings {} differ from this run's {}",
                self.settings, now.settings
            ));
        }
        if self.inputs.len() != now.inputs.len()
            || self
                .inputs
                .iter()
                .zip(&now.inputs)
                .any(|(a, b)| a.path != b.path)
        {
            return Some("it read other inputs".into());
        }
        for (a, b) in self.inputs.iter().zip(&now.inputs) {
            if b.sha256.is_none() {
                return Some(format!(
                    "input {} (standard input or a pipe) cannot be checked to be the same",
                    b.path
                ));
            }
            if a.sha256 != b.sha256 {
                return Some(format!("input {} has changed since", b.path));
            }
        }
        None
    }
}

fn short(h: &str) -> &str {
    &h[..h.len().min(12)]
}

/// One journal line per chunk written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChunkEntry {
    /// 0-based chunk number.
    pub chunk: u64,
    /// Input records (good and bad) consumed up to and including this chunk.
    pub records: u64,
    /// The chunk's run file, relative to the checkpoint folder (`None` when no document of the
    /// chunk was classified).
    pub run: Option<String>,
    /// The chunk's counts, failures and warnings.
    pub summary: Summary,
    /// How far `report.html` in progress ([`PAGE_FILE`]) was written after this chunk (none
    /// without `report.html`, or before the first document).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageMark>,
}

/// What a loaded journal holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Journal {
    /// The header.
    pub header: JournalHeader,
    /// The chunks completed, in order (a torn or inconsistent tail is dropped).
    pub chunks: Vec<ChunkEntry>,
}

impl Journal {
    /// Input records done.
    pub fn records(&self) -> u64 {
        self.chunks.last().map_or(0, |c| c.records)
    }

    /// The sum of the chunk summaries, added in chunk order.
    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for c in &self.chunks {
            s += c.summary.clone();
        }
        s
    }

    /// The run files of the chunks, in chunk order.
    pub fn runs(&self, dir: &Path) -> Vec<PathBuf> {
        self.chunks
            .iter()
            .filter_map(|c| c.run.as_ref().map(|r| dir.join(r)))
            .collect()
    }
}

/// An open journal, appended to after each chunk.
#[derive(Debug)]
pub struct Checkpoint {
    path: PathBuf,
    file: File,
}

impl Checkpoint {
    /// Start a new journal in `dir` (replacing any old one) with `header` and the `chunks`
    /// already done (empty for a new run).
    ///
    /// # Errors
    /// [`Error::Io`] when the journal cannot be written.
    pub fn create(dir: &Path, header: &JournalHeader, chunks: &[ChunkEntry]) -> Result<Self> {
        let path = dir.join(JOURNAL_FILE);
        let mut body = line(&path, header)?;
        for c in chunks {
            body.push_str(&line(&path, c)?);
        }
        write_atomic(&path, body.as_bytes())?;
        crate::fsio::sync_dir(dir)?;
        let file = OpenOptions::new()
            .append(true)
            .open(&path)
            .map_err(|e| Error::io(&path, e))?;
        Ok(Checkpoint { path, file })
    }

    /// Record a finished chunk durably (append and fsync).
    ///
    /// # Errors
    /// [`Error::Io`] when the journal cannot be written.
    pub fn append(&mut self, entry: &ChunkEntry) -> Result<()> {
        let l = line(&self.path, entry)?;
        self.file
            .write_all(l.as_bytes())
            .and_then(|_| self.file.sync_data())
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Read the journal in `dir`: `Ok(None)` when there is none. Entries after a torn or
    /// unparsable line, entries out of order and entries whose run file is missing or whose
    /// part of the page in progress is not all there are dropped (their chunks are classified
    /// again).
    ///
    /// # Errors
    /// [`Error::Io`] when the journal exists but cannot be read; [`Error::Json`] when its
    /// header is unreadable.
    pub fn load(dir: &Path) -> Result<Option<Journal>> {
        let path = dir.join(JOURNAL_FILE);
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut lines = BufReader::new(file).lines();
        let Some(first) = lines.next() else {
            return Ok(None);
        };
        let first = first.map_err(|e| Error::io(&path, e))?;
        let header: JournalHeader = serde_json::from_str(&first).map_err(|e| Error::Json {
            path: path.clone(),
            source: e,
        })?;
        let mut chunks: Vec<ChunkEntry> = Vec::new();
        let page_len = std::fs::metadata(dir.join(PAGE_FILE)).map_or(0, |m| m.len());
        for l in lines {
            let Ok(l) = l else { break };
            let Ok(c) = serde_json::from_str::<ChunkEntry>(&l) else {
                log::warn!(
                    "{}: chunk {} was not recorded completely; it will be classified again",
                    path.display(),
                    chunks.len()
                );
                break;
            };
            let in_order = c.chunk == chunks.len() as u64
                && c.records >= chunks.last().map_or(0, |p| p.records);
            let run_ok = c.run.as_ref().is_none_or(|r| {
                !r.contains(['/', '\\'])
                    && dir.join(r).is_file()
                    && run_docs_path(&dir.join(r)).is_file()
            });
            let page_ok = c.page.is_none_or(|m| m.bytes <= page_len);
            if !in_order || !run_ok || !page_ok {
                log::warn!(
                    "{}: chunk {} is inconsistent; it and later chunks will be classified again",
                    path.display(),
                    c.chunk
                );
                break;
            }
            chunks.push(c);
        }
        Ok(Some(Journal { header, chunks }))
    }
}

fn line<T: Serialize>(path: &Path, v: &T) -> Result<String> {
    let mut s = serde_json::to_string(v).map_err(|e| Error::Json {
        path: path.to_path_buf(),
        source: e,
    })?;
    s.push('\n');
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> JournalHeader {
        JournalHeader {
            journal_version: JOURNAL_VERSION,
            framelens_version: "0".into(),
            model_hash: "m".repeat(64),
            settings: serde_json::json!({"docs": true}),
            inputs: vec![InputInfo {
                path: "a.jsonl".into(),
                sha256: Some("h".into()),
            }],
        }
    }

    fn entry(chunk: u64, records: u64, run: Option<&str>) -> ChunkEntry {
        ChunkEntry {
            chunk,
            records,
            run: run.map(str::to_string),
            page: None,
            summary: Summary {
                read: 2,
                classified: 1,
                failed: 1,
                share_sum_e6: vec![500_000, 500_000, 0, 0],
                ..Default::default()
            },
        }
    }

    #[test]
    fn journal_round_trip_and_torn_tail() {
        let d = tempfile::tempdir().unwrap();
        assert!(Checkpoint::load(d.path()).unwrap().is_none());
        std::fs::write(d.path().join("run-000000.tsv"), "").unwrap();
        std::fs::write(d.path().join("run-000000.jsonl"), "").unwrap();
        let mut c = Checkpoint::create(d.path(), &header(), &[]).unwrap();
        c.append(&entry(0, 10, Some("run-000000.tsv"))).unwrap();
        c.append(&entry(1, 20, None)).unwrap();
        // a torn third line, as after a crash mid-append
        let p = d.path().join(JOURNAL_FILE);
        let mut f = OpenOptions::new().append(true).open(&p).unwrap();
        f.write_all(b"{\"chunk\":2,\"records\":3").unwrap();
        let j = Checkpoint::load(d.path()).unwrap().unwrap();
        assert_eq!(j.header, header());
        assert_eq!(j.chunks.len(), 2);
        assert_eq!(j.records(), 20);
        assert_eq!(j.summary().read, 4);
        assert_eq!(j.summary().share_sum_e6, [1_000_000, 1_000_000, 0, 0]);
        assert_eq!(j.runs(d.path()), [d.path().join("run-000000.tsv")]);
        // rewriting keeps the good prefix only
        Checkpoint::create(d.path(), &j.header, &j.chunks).unwrap();
        assert_eq!(Checkpoint::load(d.path()).unwrap().unwrap(), j);
    }

    #[test]
    fn missing_run_file_drops_the_chunk_and_later_ones() {
        let d = tempfile::tempdir().unwrap();
        let mut c = Checkpoint::create(d.path(), &header(), &[]).unwrap();
        c.append(&entry(0, 10, Some("run-000000.tsv"))).unwrap();
        c.append(&entry(1, 20, None)).unwrap();
        let j = Checkpoint::load(d.path()).unwrap().unwrap();
        assert!(j.chunks.is_empty());
    }

    #[test]
    fn a_run_without_its_documents_file_drops_the_chunk() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("run-000000.tsv"), "").unwrap();
        let mut c = Checkpoint::create(d.path(), &header(), &[]).unwrap();
        c.append(&entry(0, 10, Some("run-000000.tsv"))).unwrap();
        assert!(Checkpoint::load(d.path())
            .unwrap()
            .unwrap()
            .chunks
            .is_empty());
        std::fs::write(d.path().join("run-000000.jsonl"), "").unwrap();
        assert_eq!(Checkpoint::load(d.path()).unwrap().unwrap().chunks.len(), 1);
    }

    #[test]
    fn a_short_page_drops_the_chunks_it_lacks() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join(PAGE_FILE), vec![b'x'; 100]).unwrap();
        let mut c = Checkpoint::create(d.path(), &header(), &[]).unwrap();
        for (k, bytes) in [60, 100, 140].into_iter().enumerate() {
            let mut e = entry(k as u64, 10 * (k as u64 + 1), None);
            e.page = Some(PageMark {
                bytes,
                docs: k as u64 + 1,
            });
            c.append(&e).unwrap();
        }
        let j = Checkpoint::load(d.path()).unwrap().unwrap();
        assert_eq!(
            j.chunks.len(),
            2,
            "the third chunk's blocks are not in the page"
        );
        assert_eq!(
            j.chunks[1].page,
            Some(PageMark {
                bytes: 100,
                docs: 2
            })
        );
        std::fs::remove_file(d.path().join(PAGE_FILE)).unwrap();
        assert!(Checkpoint::load(d.path())
            .unwrap()
            .unwrap()
            .chunks
            .is_empty());
    }

    #[test]
    fn mismatches_are_explained() {
        let h = header();
        assert_eq!(h.mismatch(&h), None);
        let mut m = h.clone();
        m.model_hash = "x".repeat(64);
        assert!(h.mismatch(&m).unwrap().contains("model"));
        let mut i = h.clone();
        i.inputs[0].sha256 = Some("other".into());
        assert!(h.mismatch(&i).unwrap().contains("changed"));
        let mut s = h.clone();
        s.settings = serde_json::json!({"docs": false});
        assert!(h.mismatch(&s).unwrap().contains("settings"));
        let mut stdin = h.clone();
        stdin.inputs[0].sha256 = None;
        assert!(h.mismatch(&stdin).unwrap().contains("standard input"));
    }
}
