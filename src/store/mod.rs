//! The store: classified documents kept across runs in an embedded SQLite database.
//!
//! Input: a report folder written by `classify` (`documents.jsonl` + `run.json`) and the input
//! files it names, via [`Store::ingest_report_dir`]. Output: rows in the database, read back as
//! [`TrendDoc`]s for one model ([`Store::documents`]) by the trends stage.
//!
//! One row per (document content hash, model hash): classifying the same text from the same
//! outlet with the same model again updates the row (id, date, shares …) instead of adding
//! one, and a new model version adds its own rows beside the old ones. The content hash
//! ([`content_hash`]) is the SHA-256 of the outlet and the paragraphs of its text, so a wire
//! story printed by two outlets stays two documents, while a changed id or a corrected date
//! does not make a new one. Reports do not carry the text, so the ingest reads the inputs named
//! in `run.json` again, checks that files still have the SHA-256 recorded there, and matches
//! documents by id (with the same duplicate-id renaming as `classify`).
//!
//! The schema is created and migrated by framelens: the `schema_version` table records every
//! migration applied, [`MIGRATIONS`] lists them, and a database written by a newer framelens is
//! refused rather than damaged. The schema is documented in the README ("Trends").
//!
//! Any frame set fits: frame shares are rows of `document_frames` (one per document and
//! frame), and `codebooks` keeps each model's codebook. A model with no `codebooks` row was
//! stored before codebooks existed (schema 1) and uses [`Codebook::migration`]; migrating a
//! schema-1 database moves its four share columns into `document_frames`, in place, in the
//! migration's transaction.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rusqlite::{params, Connection, OptionalExtension, Transaction};
use serde_json::Value;

use crate::classify::IdDeduper;
use crate::codebook::Codebook;
use crate::corpus::{paragraphs, read_inputs};
use crate::dates::cmp_timestamps;
use crate::error::{Error, Result};
use crate::hash::sha256_hex;
use crate::narratives::{NarrativeCount, NarrativeSetInfo};
use crate::readback::{attach_narrative_set, read_documents, DocNarratives, RunFacts, TrendDoc};

/// One step of the schema.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The schema version this step leads to (1, 2, …).
    pub version: u32,
    /// What it does.
    pub description: &'static str,
    /// The SQL, run in one transaction with the version bump.
    pub sql: &'static str,
}

/// Every migration, in order. Append new steps; never edit a released one.
pub const MIGRATIONS: &[Migration] = &[MIGRATION_1, MIGRATION_2, MIGRATION_3];

const MIGRATION_1: Migration = Migration {
    version: 1,
    description: "runs and documents",
    sql: "
CREATE TABLE runs (
    run_id            INTEGER PRIMARY KEY,
    out_dir           TEXT NOT NULL,
    framelens_version TEXT,
    model             TEXT,
    model_hash        TEXT NOT NULL,
    inputs            TEXT NOT NULL,
    started           TEXT NOT NULL,
    finished          TEXT NOT NULL,
    read              INTEGER,
    classified        INTEGER,
    failed            INTEGER,
    jobs              INTEGER,
    run_json          TEXT NOT NULL,
    ingested_at       TEXT NOT NULL,
    inserted          INTEGER NOT NULL DEFAULT 0,
    updated           INTEGER NOT NULL DEFAULT 0,
    UNIQUE (out_dir, started, model_hash)
);
CREATE TABLE documents (
    content_hash    TEXT NOT NULL,
    model_hash      TEXT NOT NULL,
    id              TEXT NOT NULL,
    title           TEXT,
    date            TEXT,
    date_iso        TEXT,
    source          TEXT,
    url             TEXT,
    meta            TEXT,
    humanitarian    REAL NOT NULL,
    economic        REAL NOT NULL,
    security        REAL NOT NULL,
    enforcement     REAL NOT NULL,
    framed_fraction REAL NOT NULL,
    dominant        TEXT NOT NULL,
    present         TEXT NOT NULL,
    run_id          INTEGER NOT NULL REFERENCES runs(run_id),
    first_run_id    INTEGER NOT NULL REFERENCES runs(run_id),
    PRIMARY KEY (content_hash, model_hash)
);
CREATE INDEX documents_by_model ON documents (model_hash, date_iso);
CREATE INDEX runs_by_model ON runs (model_hash);
",
};

const MIGRATION_2: Migration = Migration {
    version: 2,
    description: "any frame set: codebooks per model, one share row per document and frame",
    sql: "
CREATE TABLE codebooks (
    model_hash TEXT PRIMARY KEY,
    scheme     TEXT NOT NULL,
    labels     TEXT NOT NULL,
    codebook   TEXT NOT NULL
);
CREATE TABLE document_frames (
    content_hash TEXT NOT NULL,
    model_hash   TEXT NOT NULL,
    frame        INTEGER NOT NULL,
    name         TEXT NOT NULL,
    share        REAL NOT NULL,
    PRIMARY KEY (content_hash, model_hash, frame),
    FOREIGN KEY (content_hash, model_hash) REFERENCES documents (content_hash, model_hash)
        ON DELETE CASCADE
);
INSERT INTO document_frames (content_hash, model_hash, frame, name, share)
    SELECT content_hash, model_hash, 0, 'humanitarian', humanitarian FROM documents;
INSERT INTO document_frames (content_hash, model_hash, frame, name, share)
    SELECT content_hash, model_hash, 1, 'economic', economic FROM documents;
INSERT INTO document_frames (content_hash, model_hash, frame, name, share)
    SELECT content_hash, model_hash, 2, 'security', security FROM documents;
INSERT INTO document_frames (content_hash, model_hash, frame, name, share)
    SELECT content_hash, model_hash, 3, 'enforcement', enforcement FROM documents;
ALTER TABLE documents DROP COLUMN humanitarian;
ALTER TABLE documents DROP COLUMN economic;
ALTER TABLE documents DROP COLUMN security;
ALTER TABLE documents DROP COLUMN enforcement;
",
};

const MIGRATION_3: Migration = Migration {
    version: 3,
    description: "narratives: the set each document was checked with, counts per narrative",
    sql: "
CREATE TABLE narrative_sets (
    sha256     TEXT PRIMARY KEY,
    file       TEXT NOT NULL,
    stance     INTEGER NOT NULL,
    narratives TEXT NOT NULL
);
ALTER TABLE documents ADD COLUMN narrative_set TEXT REFERENCES narrative_sets (sha256);
CREATE TABLE document_narratives (
    content_hash TEXT NOT NULL,
    model_hash   TEXT NOT NULL,
    narrative    TEXT NOT NULL,
    paragraphs   INTEGER NOT NULL,
    share        REAL NOT NULL,
    rebutted     INTEGER,
    PRIMARY KEY (content_hash, model_hash, narrative),
    FOREIGN KEY (content_hash, model_hash) REFERENCES documents (content_hash, model_hash)
        ON DELETE CASCADE
);
CREATE INDEX document_narratives_by_model ON document_narratives (model_hash, narrative);
",
};

/// The schema version this framelens writes.
pub fn schema_version_supported() -> u32 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// The content hash of a document: SHA-256 over its outlet and the paragraphs of its text
/// (non-blank lines, trimmed, joined by `\n`), as lowercase hex.
pub fn content_hash(source: Option<&str>, paragraphs: &[&str]) -> String {
    let mut buf = String::from("framelens-document-v1\0");
    buf.push_str(source.map(str::trim).unwrap_or(""));
    buf.push('\0');
    buf.push_str(&paragraphs.join("\n"));
    sha256_hex(buf.as_bytes())
}

/// Every document's content hash, by the id `classify` gave it.
pub type ContentIndex = HashMap<String, String>;

/// Read inputs again the way `classify` does (same readers, same duplicate-id renaming) and
/// compute every document's [`content_hash`] over its text as given (before framelens strips
/// any HTML markup), so the hash names the input, whatever the preprocessing.
///
/// # Errors
/// [`Error::InvalidParam`] for stdin (`-`), which cannot be read twice; [`Error::Io`] when an
/// input is gone.
pub fn content_index(inputs: &[PathBuf]) -> Result<ContentIndex> {
    if let Some(p) = inputs.iter().find(|p| p.as_os_str() == "-") {
        return Err(Error::InvalidParam {
            name: "inputs",
            value: p.display().to_string(),
            reason: "stdin cannot be read again to hash the documents for the database; \
                     save it to a file first",
        });
    }
    let mut index = ContentIndex::new();
    let mut dedup = IdDeduper::default();
    for item in read_inputs(inputs)? {
        let Ok(a) = item else { continue };
        let (id, _) = dedup.unique(&a.id);
        index.insert(id, content_hash(a.source.as_deref(), &paragraphs(&a.text)));
    }
    Ok(index)
}

/// What an ingest did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestSummary {
    /// The run's row id.
    pub run_id: i64,
    /// Documents added.
    pub inserted: u64,
    /// Documents already stored for this model (same content hash), updated.
    pub updated: u64,
    /// Documents of the report whose text could not be matched to the inputs (not stored).
    pub skipped: Vec<String>,
    /// Reports sharing a content hash with an earlier one of the same run (the last one kept).
    pub merged: Vec<String>,
}

/// Model hashes stored, with their use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredModel {
    /// The model hash.
    pub model_hash: String,
    /// Documents stored for it.
    pub documents: u64,
    /// Runs that used it.
    pub runs: u64,
    /// The `finished` time of its first run.
    pub first_used: String,
    /// The `finished` time of its latest run.
    pub last_used: String,
}

/// Row counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StoreCounts {
    /// Runs ingested.
    pub runs: u64,
    /// Document rows (all models).
    pub documents: u64,
}

/// An open framelens database.
#[derive(Debug)]
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

fn db_err(path: &Path) -> impl Fn(rusqlite::Error) -> Error + '_ {
    move |e| Error::Store {
        path: path.to_path_buf(),
        source: e,
    }
}

fn now_rfc3339() -> String {
    time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

impl Store {
    /// Open (creating if needed) a database and bring its schema up to date.
    ///
    /// # Errors
    /// [`Error::Store`] when the file is not a database or cannot be written, or holds a
    /// schema newer than this framelens knows.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, MIGRATIONS)
    }

    fn open_with(path: &Path, migrations: &[Migration]) -> Result<Store> {
        let err = db_err(path);
        let mut conn = Connection::open(path).map_err(&err)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(&err)?;
        conn.pragma_update(None, "foreign_keys", "ON")
            .map_err(&err)?;
        migrate(&mut conn, migrations).map_err(|e| match e {
            MigrateError::Sql(e) => err(e),
            MigrateError::TooNew { found, known } => Error::Other(format!(
                "{}: database schema version {found} is newer than this framelens supports \
                 ({known}); use a newer framelens",
                path.display()
            )),
        })?;
        Ok(Store {
            conn,
            path: path.to_path_buf(),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The schema version of the database.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error.
    pub fn schema_version(&self) -> Result<u32> {
        current_version(&self.conn).map_err(db_err(&self.path))
    }

    /// Store a report folder written by `classify`: its `run.json` as a run, and every
    /// document of its `documents.jsonl`, keyed by content hash and model hash. The inputs
    /// named in `run.json` are read again to hash each document's text.
    ///
    /// # Errors
    /// [`Error::Other`] when an input file changed since it was classified (its SHA-256 differs
    /// from `run.json`); errors of [`RunFacts::from_file`], [`read_documents`],
    /// [`content_index`] and the database.
    pub fn ingest_report_dir(&mut self, out: &Path) -> Result<IngestSummary> {
        let mut run = RunFacts::from_file(&out.join("run.json"))?;
        for input in &run.inputs {
            let p = Path::new(&input.path);
            if let Some(want) = &input.sha256 {
                if p.is_file() {
                    let have = sha256_file(p)?;
                    if &have != want {
                        return Err(Error::Other(format!(
                            "{}: changed since it was classified (SHA-256 {} in run.json, {} now); \
                             classify it again to store it",
                            p.display(),
                            &want[..want.len().min(12)],
                            &have[..12]
                        )));
                    }
                }
            }
        }
        let inputs: Vec<PathBuf> = run.inputs.iter().map(|i| PathBuf::from(&i.path)).collect();
        let index = content_index(&inputs)?;
        let codebook = crate::codebook::for_report_folder(out)?;
        let mut docs = read_documents(&out.join("documents.jsonl"), &codebook)?;
        run.narratives = attach_narrative_set(run.narratives.as_ref(), &mut docs);
        let mut keyed = Vec::with_capacity(docs.len());
        let mut skipped = Vec::new();
        for d in docs {
            match index.get(&d.id) {
                Some(hash) => keyed.push((hash.clone(), d)),
                None => skipped.push(d.id),
            }
        }
        for id in &skipped {
            log::warn!(
                "{}: document {id:?} is in no input named in run.json (it was not stored)",
                out.display()
            );
        }
        let mut s = self.ingest(&run, out, &keyed, &codebook)?;
        s.skipped = skipped;
        Ok(s)
    }

    /// Store a run and its documents (labels of codebook `cb`), each with its content hash.
    /// Re-ingesting the same run (same folder, start time and model) reuses its row.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error, [`Error::Other`] when the model is stored with
    /// another codebook; nothing is written then.
    pub fn ingest(
        &mut self,
        run: &RunFacts,
        out: &Path,
        docs: &[(String, TrendDoc)],
        cb: &Codebook,
    ) -> Result<IngestSummary> {
        let stored = self.stored_codebook(&run.model_hash)?;
        if let Some(have) = stored.as_ref().filter(|c| *c != cb) {
            return Err(Error::Other(format!(
                "{}: model {} is stored with codebook {}, but {} was classified with codebook {}",
                self.path.display(),
                run.model_hash,
                have.describe(),
                out.display(),
                cb.describe()
            )));
        }
        let err = db_err(&self.path);
        let out_dir = std::path::absolute(out)
            .unwrap_or_else(|_| out.to_path_buf())
            .display()
            .to_string();
        let tx = self.conn.transaction().map_err(&err)?;
        let run_id = upsert_run(&tx, run, &out_dir).map_err(&err)?;
        if stored.is_none() {
            tx.execute(
                "INSERT INTO codebooks (model_hash, scheme, labels, codebook) VALUES (?1, ?2, ?3, ?4)",
                params![
                    run.model_hash,
                    cb.scheme,
                    serde_json::to_string(&cb.names()).expect("names serialise"),
                    cb.to_toml()
                ],
            )
            .map_err(&err)?;
        }
        if let Some(set) = &run.narratives {
            tx.execute(
                "INSERT INTO narrative_sets (sha256, file, stance, narratives)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT (sha256) DO NOTHING",
                params![
                    set.sha256,
                    set.file,
                    set.stance,
                    serde_json::to_string(&set.narratives).expect("narratives serialise")
                ],
            )
            .map_err(&err)?;
        }
        let mut summary = IngestSummary {
            run_id,
            ..IngestSummary::default()
        };
        let mut seen: HashMap<&str, &str> = HashMap::new();
        {
            let mut exists = tx
                .prepare_cached(
                    "SELECT 1 FROM documents WHERE content_hash = ?1 AND model_hash = ?2",
                )
                .map_err(&err)?;
            let mut upsert = tx
                .prepare_cached(
                    "INSERT INTO documents (content_hash, model_hash, id, title, date, date_iso,
                        source, url, meta, framed_fraction, dominant, present, run_id,
                        first_run_id, narrative_set)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13, ?14)
                     ON CONFLICT (content_hash, model_hash) DO UPDATE SET
                        id = excluded.id, title = excluded.title, date = excluded.date,
                        date_iso = excluded.date_iso, source = excluded.source,
                        url = excluded.url, meta = excluded.meta,
                        framed_fraction = excluded.framed_fraction,
                        dominant = excluded.dominant, present = excluded.present,
                        run_id = excluded.run_id, narrative_set = excluded.narrative_set",
                )
                .map_err(&err)?;
            let mut frame = tx
                .prepare_cached(
                    "INSERT INTO document_frames (content_hash, model_hash, frame, name, share)
                     VALUES (?1, ?2, ?3, ?4, ?5)
                     ON CONFLICT (content_hash, model_hash, frame) DO UPDATE SET
                        name = excluded.name, share = excluded.share",
                )
                .map_err(&err)?;
            // the latest run's narratives replace the stored ones (none when it had no set)
            let mut clear = tx
                .prepare_cached(
                    "DELETE FROM document_narratives WHERE content_hash = ?1 AND model_hash = ?2",
                )
                .map_err(&err)?;
            let mut narrative = tx
                .prepare_cached(
                    "INSERT INTO document_narratives (content_hash, model_hash, narrative,
                        paragraphs, share, rebutted)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (content_hash, model_hash, narrative) DO UPDATE SET
                        paragraphs = excluded.paragraphs, share = excluded.share,
                        rebutted = excluded.rebutted",
                )
                .map_err(&err)?;
            let frame_names = cb.frame_names();
            for (hash, d) in docs {
                if let Some(prev) = seen.insert(hash.as_str(), d.id.as_str()) {
                    summary.merged.push(format!("{prev} = {}", d.id));
                } else if exists.exists(params![hash, run.model_hash]).map_err(&err)? {
                    summary.updated += 1;
                } else {
                    summary.inserted += 1;
                }
                let meta = (!d.meta.is_empty()).then(|| Value::Object(d.meta.clone()).to_string());
                let present: Vec<&str> = d.present.iter().map(|&l| cb.name(l)).collect();
                let present = serde_json::to_string(&present).expect("labels serialise");
                let dominant = d.dominant.or(cb.none()).map_or("", |l| cb.name(l));
                let date_iso = d
                    .date
                    .as_deref()
                    .and_then(|x| crate::dates::parse_date(x).ok())
                    .map(|x| x.to_string());
                upsert
                    .execute(params![
                        hash,
                        run.model_hash,
                        d.id,
                        d.title,
                        d.date,
                        date_iso,
                        d.source,
                        d.url,
                        meta,
                        d.framed_fraction,
                        dominant,
                        present,
                        run_id,
                        d.narratives.as_ref().map(|n| n.set.as_str())
                    ])
                    .map_err(&err)?;
                clear.execute(params![hash, run.model_hash]).map_err(&err)?;
                for (id, c) in d.narratives.iter().flat_map(|n| &n.hits) {
                    narrative
                        .execute(params![
                            hash,
                            run.model_hash,
                            id,
                            c.paragraphs as i64,
                            c.share,
                            c.rebutted.map(|r| r as i64)
                        ])
                        .map_err(&err)?;
                }
                for (i, (name, share)) in frame_names.iter().zip(&d.shares).enumerate() {
                    frame
                        .execute(params![hash, run.model_hash, i as i64, name, share])
                        .map_err(&err)?;
                }
            }
        }
        tx.execute(
            "UPDATE runs SET inserted = ?2, updated = ?3 WHERE run_id = ?1",
            params![run_id, summary.inserted as i64, summary.updated as i64],
        )
        .map_err(&err)?;
        tx.commit().map_err(&err)?;
        Ok(summary)
    }

    /// Every model with stored documents, oldest first use first.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error.
    pub fn models(&self) -> Result<Vec<StoredModel>> {
        let err = db_err(&self.path);
        let mut st = self
            .conn
            .prepare(
                "SELECT r.model_hash, r.finished,
                        (SELECT COUNT(*) FROM documents d WHERE d.model_hash = r.model_hash)
                 FROM runs r ORDER BY r.run_id",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, i64>(2)? as u64,
                ))
            })
            .map_err(&err)?;
        let mut models: Vec<StoredModel> = Vec::new();
        for row in rows {
            let (hash, finished, documents) = row.map_err(&err)?;
            match models.iter_mut().find(|m| m.model_hash == hash) {
                Some(m) => {
                    m.runs += 1;
                    if cmp_timestamps(&finished, &m.first_used).is_lt() {
                        m.first_used = finished.clone();
                    }
                    if cmp_timestamps(&finished, &m.last_used).is_gt() {
                        m.last_used = finished;
                    }
                }
                None => models.push(StoredModel {
                    model_hash: hash,
                    documents,
                    runs: 1,
                    first_used: finished.clone(),
                    last_used: finished,
                }),
            }
        }
        models.retain(|m| m.documents > 0);
        models.sort_by(|a, b| {
            cmp_timestamps(&a.first_used, &b.first_used).then(a.model_hash.cmp(&b.model_hash))
        });
        Ok(models)
    }

    /// The codebook stored for a model, if any.
    fn stored_codebook(&self, model_hash: &str) -> Result<Option<Codebook>> {
        let text: Option<String> = self
            .conn
            .query_row(
                "SELECT codebook FROM codebooks WHERE model_hash = ?1",
                [model_hash],
                |r| r.get(0),
            )
            .optional()
            .map_err(db_err(&self.path))?;
        text.map(|t| Codebook::from_toml(&t, &self.path.join(format!("codebooks[{model_hash}]"))))
            .transpose()
    }

    /// The codebook of a model's documents: the one stored with them, or the migration
    /// codebook for a model stored before codebooks existed.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error, [`Error::Codebook`] for a damaged codebook row.
    pub fn codebook(&self, model_hash: &str) -> Result<Codebook> {
        Ok(self
            .stored_codebook(model_hash)?
            .unwrap_or_else(Codebook::migration))
    }

    /// The documents of one model, each with the `finished` time of the run that last wrote
    /// it, sorted by id.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error or a row that is not valid.
    pub fn documents(&self, model_hash: &str) -> Result<Vec<(String, TrendDoc)>> {
        let err = db_err(&self.path);
        let cb = self.codebook(model_hash)?;
        let nf = cb.n_frames();
        let mut shares: HashMap<String, Vec<f64>> = HashMap::new();
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT content_hash, frame, share FROM document_frames
                     WHERE model_hash = ?1 ORDER BY content_hash, frame",
                )
                .map_err(&err)?;
            let rows = st
                .query_map([model_hash], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, f64>(2)?,
                    ))
                })
                .map_err(&err)?;
            for row in rows {
                let (h, f, v) = row.map_err(&err)?;
                let e = shares.entry(h).or_insert_with(|| vec![0.0; nf]);
                if let Some(x) = usize::try_from(f).ok().and_then(|f| e.get_mut(f)) {
                    *x = v;
                }
            }
        }
        let mut hits: HashMap<String, std::collections::BTreeMap<String, NarrativeCount>> =
            HashMap::new();
        {
            let mut st = self
                .conn
                .prepare(
                    "SELECT content_hash, narrative, paragraphs, share, rebutted
                     FROM document_narratives WHERE model_hash = ?1",
                )
                .map_err(&err)?;
            let rows = st
                .query_map([model_hash], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        NarrativeCount {
                            paragraphs: r.get::<_, i64>(2)? as u64,
                            share: r.get(3)?,
                            rebutted: r.get::<_, Option<i64>>(4)?.map(|x| x as u64),
                        },
                    ))
                })
                .map_err(&err)?;
            for row in rows {
                let (h, id, c) = row.map_err(&err)?;
                hits.entry(h).or_default().insert(id, c);
            }
        }
        let mut st = self
            .conn
            .prepare(
                "SELECT d.id, d.title, d.date, d.source, d.url, d.meta, d.content_hash,
                        d.framed_fraction, d.dominant, d.present, r.finished, d.narrative_set
                 FROM documents d JOIN runs r ON r.run_id = d.run_id
                 WHERE d.model_hash = ?1 ORDER BY d.id, d.content_hash",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([model_hash], |r| {
                let bad = |i: usize, what: String| {
                    rusqlite::Error::FromSqlConversionFailure(
                        i,
                        rusqlite::types::Type::Text,
                        what.into(),
                    )
                };
                let meta: Option<String> = r.get(5)?;
                let meta = match meta {
                    Some(m) => match serde_json::from_str::<Value>(&m) {
                        Ok(Value::Object(o)) => o,
                        _ => return Err(bad(5, format!("meta is not a JSON object: {m}"))),
                    },
                    None => serde_json::Map::new(),
                };
                let dominant: String = r.get(8)?;
                let dominant = crate::report::dominant_from_name(
                    Some(dominant.as_str()).filter(|d| !d.is_empty()),
                    &cb,
                )
                .map_err(|e| bad(8, e))?;
                let present: String = r.get(9)?;
                let present: Vec<String> =
                    serde_json::from_str(&present).map_err(|e| bad(9, format!("present: {e}")))?;
                let present =
                    crate::report::labels_from_names(&present, &cb).map_err(|e| bad(9, e))?;
                let hash: String = r.get(6)?;
                let narratives = r.get::<_, Option<String>>(11)?.map(|set| DocNarratives {
                    set,
                    hits: hits.remove(&hash).unwrap_or_default(),
                });
                Ok((
                    r.get::<_, String>(10)?,
                    TrendDoc {
                        id: r.get(0)?,
                        title: r.get(1)?,
                        date: r.get(2)?,
                        source: r.get(3)?,
                        url: r.get(4)?,
                        meta,
                        shares: shares.get(&hash).cloned().unwrap_or_else(|| vec![0.0; nf]),
                        framed_fraction: r.get(7)?,
                        dominant,
                        present,
                        narratives,
                    },
                ))
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// The narrative sets that a model's stored documents were checked with.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error or a damaged row.
    pub fn narrative_sets(&self, model_hash: &str) -> Result<Vec<NarrativeSetInfo>> {
        let err = db_err(&self.path);
        let mut st = self
            .conn
            .prepare(
                "SELECT s.sha256, s.file, s.stance, s.narratives FROM narrative_sets s
                 WHERE s.sha256 IN (SELECT DISTINCT narrative_set FROM documents
                                    WHERE model_hash = ?1)
                 ORDER BY s.sha256",
            )
            .map_err(&err)?;
        let rows = st
            .query_map([model_hash], |r| {
                let list: String = r.get(3)?;
                let narratives = serde_json::from_str(&list).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        3,
                        rusqlite::types::Type::Text,
                        format!("narratives: {e}").into(),
                    )
                })?;
                Ok(NarrativeSetInfo {
                    sha256: r.get(0)?,
                    file: r.get(1)?,
                    stance: r.get(2)?,
                    narratives,
                })
            })
            .map_err(&err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(&err)
    }

    /// How many runs and document rows the database holds.
    ///
    /// # Errors
    /// [`Error::Store`] on a database error.
    pub fn counts(&self) -> Result<StoreCounts> {
        let err = db_err(&self.path);
        let count = |sql: &str| -> Result<u64> {
            self.conn
                .query_row(sql, [], |r| r.get::<_, i64>(0))
                .map(|n| n as u64)
                .map_err(&err)
        };
        Ok(StoreCounts {
            runs: count("SELECT COUNT(*) FROM runs")?,
            documents: count("SELECT COUNT(*) FROM documents")?,
        })
    }
}

fn sha256_file(path: &Path) -> Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

fn upsert_run(tx: &Transaction<'_>, run: &RunFacts, out_dir: &str) -> rusqlite::Result<i64> {
    let existing: Option<i64> = tx
        .query_row(
            "SELECT run_id FROM runs WHERE out_dir = ?1 AND started = ?2 AND model_hash = ?3",
            params![out_dir, run.started, run.model_hash],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let inputs = serde_json::to_string(
        &run.inputs
            .iter()
            .map(|i| serde_json::json!({"path": i.path, "sha256": i.sha256}))
            .collect::<Vec<_>>(),
    )
    .expect("inputs serialise");
    let raw = if run.raw.is_empty() {
        "{}".to_string()
    } else {
        run.raw.clone()
    };
    tx.execute(
        "INSERT INTO runs (out_dir, framelens_version, model, model_hash, inputs, started,
            finished, read, classified, failed, jobs, run_json, ingested_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            out_dir,
            run.framelens_version,
            run.model,
            run.model_hash,
            inputs,
            run.started,
            run.finished,
            run.read.map(|x| x as i64),
            run.classified.map(|x| x as i64),
            run.failed.map(|x| x as i64),
            run.jobs.map(|x| x as i64),
            raw,
            now_rfc3339()
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

#[derive(Debug)]
enum MigrateError {
    Sql(rusqlite::Error),
    TooNew { found: u32, known: u32 },
}

impl From<rusqlite::Error> for MigrateError {
    fn from(e: rusqlite::Error) -> Self {
        MigrateError::Sql(e)
    }
}

fn current_version(conn: &Connection) -> rusqlite::Result<u32> {
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version')",
        [],
        |r| r.get(0),
    )?;
    if !has_table {
        return Ok(0);
    }
    conn.query_row(
        "SELECT COALESCE(MAX(version), 0) FROM schema_version",
        [],
        |r| r.get(0),
    )
}

/// Apply every migration newer than the database, each in its own transaction.
fn migrate(
    conn: &mut Connection,
    migrations: &[Migration],
) -> std::result::Result<u32, MigrateError> {
    let known = migrations.last().map_or(0, |m| m.version);
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
            version     INTEGER PRIMARY KEY,
            description TEXT NOT NULL,
            applied_at  TEXT NOT NULL
        )",
    )?;
    let found = current_version(&tx)?;
    if found > known {
        return Err(MigrateError::TooNew { found, known });
    }
    for m in migrations.iter().filter(|m| m.version > found) {
        tx.execute_batch(m.sql)?;
        tx.execute(
            "INSERT INTO schema_version (version, description, applied_at) VALUES (?1, ?2, ?3)",
            params![m.version, m.description, now_rfc3339()],
        )?;
    }
    tx.commit()?;
    Ok(known.max(found))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Label;

    fn mig() -> Codebook {
        Codebook::migration()
    }

    fn run(model: &str, started: &str) -> RunFacts {
        RunFacts {
            framelens_version: Some("test".into()),
            model: Some("models/x".into()),
            model_hash: model.into(),
            inputs: vec![],
            started: started.into(),
            finished: started.into(),
            read: Some(2),
            classified: Some(2),
            failed: Some(0),
            jobs: Some(1),
            narratives: None,
            raw: String::new(),
        }
    }

    fn doc(id: &str, date: &str, h: f64) -> TrendDoc {
        TrendDoc {
            id: id.into(),
            title: Some(format!("title {id}")),
            date: Some(date.into()),
            source: Some("Outlet".into()),
            url: None,
            meta: [("bias".to_string(), Value::from("left"))]
                .into_iter()
                .collect(),
            shares: vec![h, 1.0 - h, 0.0, 0.0],
            framed_fraction: 0.75,
            dominant: Some(Label(0)),
            present: vec![Label(0), Label(1)],
            narratives: None,
        }
    }

    #[test]
    fn content_hash_depends_on_text_and_outlet_only() {
        let a = content_hash(Some("Fox"), &["one", "two"]);
        assert_eq!(a, content_hash(Some(" Fox "), &["one", "two"]));
        assert_ne!(a, content_hash(Some("CNN"), &["one", "two"]));
        assert_ne!(a, content_hash(Some("Fox"), &["one two"]));
        assert_ne!(a, content_hash(None, &["one", "two"]));
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn schema_is_created_once_and_round_trips_documents() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let mut s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), schema_version_supported());
        let docs = vec![
            ("h1".to_string(), doc("a", "2020-01-02", 0.25)),
            ("h2".to_string(), doc("b", "Jan 3, 2020", 0.5)),
        ];
        let r = s
            .ingest(
                &run("m1", "2026-01-01T00:00:00Z"),
                dir.path(),
                &docs,
                &mig(),
            )
            .unwrap();
        assert_eq!((r.inserted, r.updated), (2, 0));
        drop(s);
        let s = Store::open(&path).unwrap();
        let back: Vec<TrendDoc> = s
            .documents("m1")
            .unwrap()
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(back, vec![docs[0].1.clone(), docs[1].1.clone()]);
        let iso: Vec<Option<String>> = s
            .conn
            .prepare("SELECT date_iso FROM documents ORDER BY id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(iso, [Some("2020-01-02".into()), Some("2020-01-03".into())]);
        let versions: i64 = s
            .conn
            .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(versions, MIGRATIONS.len() as i64);
    }

    #[test]
    fn same_text_same_model_updates_new_model_adds() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("f.db")).unwrap();
        let docs = vec![("h1".to_string(), doc("a", "2020-01-02", 0.25))];
        s.ingest(
            &run("m1", "2026-01-01T00:00:00Z"),
            dir.path(),
            &docs,
            &mig(),
        )
        .unwrap();
        // A second run over the same text, the id and shares changed.
        let again = vec![("h1".to_string(), doc("a-renamed", "2020-01-02", 0.5))];
        let r = s
            .ingest(
                &run("m1", "2026-01-02T00:00:00Z"),
                dir.path(),
                &again,
                &mig(),
            )
            .unwrap();
        assert_eq!((r.inserted, r.updated), (0, 1));
        assert_eq!(
            s.counts().unwrap(),
            StoreCounts {
                runs: 2,
                documents: 1
            }
        );
        let now = s.documents("m1").unwrap();
        assert_eq!(now[0].1.id, "a-renamed");
        assert_eq!(now[0].1.shares[0], 0.5);
        // The same run folder ingested twice reuses its run row.
        let r2 = s
            .ingest(
                &run("m1", "2026-01-02T00:00:00Z"),
                dir.path(),
                &again,
                &mig(),
            )
            .unwrap();
        assert_eq!(r2.run_id, r.run_id);
        assert_eq!(s.counts().unwrap().runs, 2);
        // A new model keeps both.
        s.ingest(
            &run("m2", "2026-01-03T00:00:00Z"),
            dir.path(),
            &docs,
            &mig(),
        )
        .unwrap();
        assert_eq!(
            s.counts().unwrap(),
            StoreCounts {
                runs: 3,
                documents: 2
            }
        );
        let models: Vec<(String, u64)> = s
            .models()
            .unwrap()
            .into_iter()
            .map(|m| (m.model_hash, m.documents))
            .collect();
        assert_eq!(models, [("m1".into(), 1), ("m2".into(), 1)]);
    }

    #[test]
    fn duplicate_texts_within_a_run_are_merged_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("f.db")).unwrap();
        let docs = vec![
            ("h1".to_string(), doc("a", "2020-01-02", 0.25)),
            ("h1".to_string(), doc("b", "2020-01-02", 0.25)),
        ];
        let r = s
            .ingest(
                &run("m1", "2026-01-01T00:00:00Z"),
                dir.path(),
                &docs,
                &mig(),
            )
            .unwrap();
        assert_eq!(r.inserted, 1);
        assert_eq!(r.merged, ["a = b"]);
        assert_eq!(s.counts().unwrap().documents, 1);
    }

    fn set(ids: &[&str]) -> NarrativeSetInfo {
        NarrativeSetInfo {
            file: "n.toml".into(),
            sha256: format!("sha-{}", ids.join("-")),
            stance: true,
            narratives: ids
                .iter()
                .map(|id| crate::narratives::NarrativeRef {
                    id: id.to_string(),
                    label: id.to_uppercase(),
                })
                .collect(),
        }
    }

    fn with_hits(mut d: TrendDoc, set: &NarrativeSetInfo, hits: &[(&str, u64, u64)]) -> TrendDoc {
        d.narratives = Some(DocNarratives {
            set: set.sha256.clone(),
            hits: hits
                .iter()
                .map(|&(id, p, r)| {
                    let c = NarrativeCount {
                        paragraphs: p,
                        share: 0.5,
                        rebutted: Some(r),
                    };
                    (id.to_string(), c)
                })
                .collect(),
        });
        d
    }

    fn narrative_rows(s: &Store) -> Vec<(String, String, i64, Option<i64>)> {
        s.conn
            .prepare(
                "SELECT content_hash, narrative, paragraphs, rebutted FROM document_narratives
                 ORDER BY content_hash, narrative",
            )
            .unwrap()
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap()
    }

    #[test]
    fn narrative_counts_are_stored_and_reingesting_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let mut s = Store::open(&path).unwrap();
        let ns = set(&["wall", "caravan"]);
        let mut r = run("m1", "2026-01-01T00:00:00Z");
        r.narratives = Some(ns.clone());
        let docs = vec![
            (
                "h1".to_string(),
                with_hits(doc("a", "2020-01-02", 0.25), &ns, &[("wall", 2, 1)]),
            ),
            (
                "h2".to_string(),
                with_hits(doc("b", "2020-01-03", 0.5), &ns, &[]),
            ),
        ];
        s.ingest(&r, dir.path(), &docs, &mig()).unwrap();
        let rows = narrative_rows(&s);
        assert_eq!(rows, [("h1".into(), "wall".into(), 2, Some(1))]);
        let back: Vec<TrendDoc> = s
            .documents("m1")
            .unwrap()
            .into_iter()
            .map(|x| x.1)
            .collect();
        assert_eq!(back, vec![docs[0].1.clone(), docs[1].1.clone()]);
        assert_eq!(s.narrative_sets("m1").unwrap(), std::slice::from_ref(&ns));
        // the same reports again: nothing added or changed
        for _ in 0..2 {
            let again = s.ingest(&r, dir.path(), &docs, &mig()).unwrap();
            assert_eq!((again.inserted, again.updated), (0, 2));
            assert_eq!(narrative_rows(&s), rows);
            assert_eq!(
                s.counts().unwrap(),
                StoreCounts {
                    runs: 1,
                    documents: 2
                }
            );
            let n: i64 = s
                .conn
                .query_row("SELECT COUNT(*) FROM narrative_sets", [], |r| r.get(0))
                .unwrap();
            assert_eq!(n, 1);
        }
        // a later run of the same text replaces the counts: a narrative gone is removed
        let mut later = run("m1", "2026-01-02T00:00:00Z");
        later.narratives = Some(ns.clone());
        let changed = vec![(
            "h1".to_string(),
            with_hits(doc("a", "2020-01-02", 0.25), &ns, &[("caravan", 1, 0)]),
        )];
        s.ingest(&later, dir.path(), &changed, &mig()).unwrap();
        assert_eq!(
            narrative_rows(&s),
            [("h1".into(), "caravan".into(), 1, Some(0))]
        );
        // and a run without narratives leaves the document unchecked
        let plain = vec![("h1".to_string(), doc("a", "2020-01-02", 0.25))];
        s.ingest(
            &run("m1", "2026-01-03T00:00:00Z"),
            dir.path(),
            &plain,
            &mig(),
        )
        .unwrap();
        assert!(narrative_rows(&s).is_empty());
        let a = &s.documents("m1").unwrap()[0].1;
        assert_eq!(a.narratives, None);
    }

    #[test]
    fn schema_1_fixture_migrates_to_narratives() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/schema1.db");
        std::fs::copy(fixture, &path).unwrap();
        let before = {
            let c = Connection::open(&path).unwrap();
            let n: i64 = c
                .query_row("SELECT COUNT(*) FROM documents", [], |r| r.get(0))
                .unwrap();
            n
        };
        let s = Store::open(&path).unwrap();
        assert_eq!(s.schema_version().unwrap(), 3);
        assert_eq!(s.counts().unwrap().documents, before as u64);
        let m = s.models().unwrap()[0].model_hash.clone();
        let docs = s.documents(&m).unwrap();
        assert_eq!(docs.len(), before as usize);
        assert!(docs.iter().all(|d| d.1.narratives.is_none()));
        assert!(s.narrative_sets(&m).unwrap().is_empty());
    }

    const V2: Migration = Migration {
        version: 2,
        description: "test: a notes table",
        sql: "CREATE TABLE notes (note TEXT);",
    };

    #[test]
    fn migrations_apply_in_order_and_only_once() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        let s = Store::open_with(&path, &MIGRATIONS[..1]).unwrap();
        assert_eq!(s.schema_version().unwrap(), 1);
        drop(s);
        let both = [MIGRATIONS[0], V2];
        let s = Store::open_with(&path, &both).unwrap();
        assert_eq!(s.schema_version().unwrap(), 2);
        s.conn
            .execute("INSERT INTO notes VALUES ('kept')", [])
            .unwrap();
        drop(s);
        // Opening again applies nothing (the notes table would clash) and keeps the data.
        let s = Store::open_with(&path, &both).unwrap();
        let n: i64 = s
            .conn
            .query_row("SELECT COUNT(*) FROM notes", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
        drop(s);
        // An older framelens refuses a newer database.
        let e = Store::open_with(&path, &MIGRATIONS[..1]).unwrap_err();
        assert!(e.to_string().contains("schema version 2 is newer"), "{e}");
    }

    #[test]
    fn not_a_database_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.db");
        std::fs::write(
            &path,
            b"this is not sqlite, just text long enough to matter....",
        )
        .unwrap();
        let e = Store::open(&path).unwrap_err();
        assert!(e.to_string().contains("f.db"), "{e}");
    }
}
