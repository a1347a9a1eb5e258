//! Reading back: the models stored, their codebooks, documents and narrative sets, and row counts.

use super::*;

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

impl Store {
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
    pub(super) fn stored_codebook(&self, model_hash: &str) -> Result<Option<Codebook>> {
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
