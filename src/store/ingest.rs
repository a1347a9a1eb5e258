//! Storing a report folder: content hashes of the inputs, then the run and its documents (upsert).

use super::*;

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

impl Store {
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
