//! The schema: [`MIGRATIONS`]; opening a database brings it up to date and refuses a newer one.

use super::*;

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

impl Store {
    /// Open (creating if needed) a database and bring its schema up to date.
    ///
    /// # Errors
    /// [`Error::Store`] when the file is not a database or cannot be written, or holds a
    /// schema newer than this framelens knows.
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, MIGRATIONS)
    }

    pub(super) fn open_with(path: &Path, migrations: &[Migration]) -> Result<Store> {
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
