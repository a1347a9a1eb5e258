//! Reading report folders back: the `documents.jsonl` lines (or Parquet / JSON-lines part
//! files, [`parts`]) and `run.json` that `classify` wrote, as [`TrendDoc`]s and [`RunFacts`].
//!
//! Input: a report folder or a documents file. Output: a [`ReportFolder`]. Both `store`
//! (which ingests report folders) and `trends` (which reads folders and the store) use it, so
//! neither imports the other to read a folder.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::codebook::{Codebook, Label};
use crate::error::{Error, Result};
use crate::narratives::{NarrativeCount, NarrativeSetInfo};
use crate::report::{dominant_from_name, labels_from_names, shares_from_map};

pub mod parts;

/// What the trends stage needs of one document report (a line of `documents.jsonl`; the
/// other fields are ignored).
#[derive(Debug, Clone, PartialEq)]
pub struct TrendDoc {
    /// Document id.
    pub id: String,
    /// Headline.
    pub title: Option<String>,
    /// Date as given in the input.
    pub date: Option<String>,
    /// Outlet.
    pub source: Option<String>,
    /// Address.
    pub url: Option<String>,
    /// Other input fields.
    pub meta: Map<String, Value>,
    /// Share of each frame in the framed text, codebook frame order.
    pub shares: Vec<f64>,
    /// Fraction of the text that is framed at all.
    pub framed_fraction: f64,
    /// Dominant frame, or `None`.
    pub dominant: Option<Label>,
    /// Frames clearly present.
    pub present: Vec<Label>,
    /// The narratives of the document, when it was checked for them.
    pub narratives: Option<DocNarratives>,
}

/// The narratives of one document: the set it was checked with and the ones it carries.
#[derive(Debug, Clone, PartialEq)]
pub struct DocNarratives {
    /// The set's identity ([`NarrativeSetInfo::sha256`]); empty until the folder's set is known.
    pub set: String,
    /// The narratives carried, by id.
    pub hits: BTreeMap<String, NarrativeCount>,
}

/// A `documents.jsonl` line as written, label names not yet resolved.
#[derive(Debug, Clone, Deserialize)]
struct TrendLine {
    id: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    date: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    meta: Map<String, Value>,
    shares: Map<String, Value>,
    framed_fraction: f64,
    dominant: Option<String>,
    present: Vec<String>,
    #[serde(default)]
    narratives: Option<BTreeMap<String, NarrativeCount>>,
}

impl TrendLine {
    fn resolve(self, cb: &Codebook) -> std::result::Result<TrendDoc, String> {
        Ok(TrendDoc {
            shares: shares_from_map(&self.shares, cb)?,
            dominant: dominant_from_name(self.dominant.as_deref(), cb)?,
            present: labels_from_names(&self.present, cb)?,
            id: self.id,
            title: self.title,
            date: self.date,
            source: self.source,
            url: self.url,
            meta: self.meta,
            framed_fraction: self.framed_fraction,
            narratives: self.narratives.map(|hits| DocNarratives {
                set: String::new(),
                hits,
            }),
        })
    }
}

impl TrendDoc {
    /// Whether frame `frame` is present.
    pub fn is_present(&self, frame: Label) -> bool {
        self.present.contains(&frame)
    }
}

/// Read the trend fields of every line of a `documents.jsonl` keyed by the frames of `cb`.
///
/// # Errors
/// [`Error::Io`] when the file cannot be read; [`Error::Other`] naming the file and line when a
/// line is not a document report of this codebook.
pub fn read_documents(path: &Path, cb: &Codebook) -> Result<Vec<TrendDoc>> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut docs = Vec::new();
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let doc: TrendLine = serde_json::from_str(&line).map_err(|e| {
            Error::Other(format!(
                "{}:{}: not a document report: {e}",
                path.display(),
                i + 1
            ))
        })?;
        let doc = doc
            .resolve(cb)
            .map_err(|e| Error::Other(format!("{}:{}: {e}", path.display(), i + 1)))?;
        docs.push(doc);
    }
    Ok(docs)
}

/// One report folder (`documents.jsonl` + `run.json`).
#[derive(Debug, Clone)]
pub struct ReportFolder {
    /// The folder.
    pub dir: PathBuf,
    /// The facts of its `run.json`, when present.
    pub run: Option<RunFacts>,
    /// The codebook of its reports (`codebook.toml`; the migration codebook without one).
    pub codebook: Codebook,
    /// Its documents.
    pub docs: Vec<TrendDoc>,
    /// The narrative set its documents were checked with, if any.
    pub narratives: Option<NarrativeSetInfo>,
}

/// Read a report folder (or a `documents.jsonl` or Parquet file directly; its folder's
/// `run.json` is used when present). The documents may also be Parquet or JSON-lines part files
/// (see [`parts`]).
///
/// # Errors
/// [`Error::Io`] when `documents.jsonl` is missing; errors of [`read_documents`] and
/// [`RunFacts::from_file`].
pub fn read_report_folder(path: &Path) -> Result<ReportFolder> {
    // documents.jsonl, or Parquet / JSON-lines part files written by Spark or Ray
    let (dir, documents) = parts::locate(path)?;
    let run_path = dir.join("run.json");
    let run = if run_path.is_file() {
        Some(RunFacts::from_file(&run_path)?)
    } else {
        None
    };
    let codebook = crate::codebook::for_report_folder(&dir)?;
    let mut docs = parts::read(&documents, &codebook)?;
    let narratives =
        attach_narrative_set(run.as_ref().and_then(|r| r.narratives.as_ref()), &mut docs);
    Ok(ReportFolder {
        dir,
        run,
        codebook,
        docs,
        narratives,
    })
}

/// Mark the documents of one report folder as checked with `set` (the folder's `run.json`
/// set): each gets [`DocNarratives`] naming it, empty when it carries none. A folder whose
/// `run.json` names no set but whose reports carry narratives gets a set inferred from the
/// ids seen ([`NarrativeSetInfo::inferred`]). Returns the set, if any.
pub fn attach_narrative_set(
    set: Option<&NarrativeSetInfo>,
    docs: &mut [TrendDoc],
) -> Option<NarrativeSetInfo> {
    let set = match set {
        Some(s) => s.clone(),
        None => {
            if !docs.iter().any(|d| d.narratives.is_some()) {
                return None;
            }
            NarrativeSetInfo::inferred(
                docs.iter()
                    .filter_map(|d| d.narratives.as_ref())
                    .flat_map(|n| n.hits.keys()),
            )
        }
    };
    for d in docs.iter_mut() {
        let n = d.narratives.get_or_insert_with(|| DocNarratives {
            set: String::new(),
            hits: BTreeMap::new(),
        });
        n.set = set.sha256.clone();
    }
    Some(set)
}

/// The facts of a `run.json` that the store keeps (other fields are kept in `run_json`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RunFacts {
    /// framelens version that classified.
    #[serde(default)]
    pub framelens_version: Option<String>,
    /// Model folder.
    #[serde(default)]
    pub model: Option<String>,
    /// Model content hash.
    pub model_hash: String,
    /// Inputs with their SHA-256.
    #[serde(default)]
    pub inputs: Vec<InputFact>,
    /// Start time (RFC 3339).
    pub started: String,
    /// End time (RFC 3339).
    pub finished: String,
    /// Records read.
    #[serde(default)]
    pub read: Option<u64>,
    /// Documents classified.
    #[serde(default)]
    pub classified: Option<u64>,
    /// Records that failed.
    #[serde(default)]
    pub failed: Option<u64>,
    /// Worker threads.
    #[serde(default)]
    pub jobs: Option<u64>,
    /// The narrative set detected, when the run had one.
    #[serde(default)]
    pub narratives: Option<NarrativeSetInfo>,
    /// The whole file, as read.
    #[serde(skip)]
    pub raw: String,
}

/// One input of a run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InputFact {
    /// Path as given to `classify`.
    pub path: String,
    /// SHA-256 of the file (a digest of the listing for folders; none for stdin).
    #[serde(default)]
    pub sha256: Option<String>,
}

impl RunFacts {
    /// Read a `run.json`.
    ///
    /// # Errors
    /// [`Error::Io`] when it cannot be read, [`Error::Json`] when it lacks `model_hash`,
    /// `started` or `finished`.
    pub fn from_file(path: &Path) -> Result<Self> {
        let raw = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let mut facts: RunFacts = serde_json::from_str(&raw).map_err(|e| Error::Json {
            path: path.to_path_buf(),
            source: e,
        })?;
        facts.raw = raw;
        Ok(facts)
    }
}
