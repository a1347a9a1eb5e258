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

// schema first: the docs list Store's methods in the order of these modules
mod schema;

mod ingest;
mod queries;

pub use ingest::*;
pub use queries::*;
pub use schema::*;

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
