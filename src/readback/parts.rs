//! Trends input from engine output: report folders whose documents are Parquet or JSON-lines
//! part files, as Spark (`df.write.parquet`) and Ray Data (`ds.write_parquet`) write them from
//! the Python package's `classify` output.
//!
//! Input: a report folder ([`locate`]): `documents.jsonl` as written by `classify`, or a
//! `documents/` folder of part files, or part files in the folder itself, or one Parquet file.
//! Output: the same [`TrendDoc`]s as [`read_documents`] gives for `documents.jsonl`.
//!
//! A part row is either a `documents.jsonl` object (with a `shares` object) or a flat row of the
//! Python output: `id`, one number column per frame, `framed_fraction`, `dominant`, `present`
//! and optionally `title`, `date`, `source`, `url` and other columns, which become `meta`
//! fields (so `--group FIELD` works on them). Rows with a non-null `error` were not
//! classified and are skipped. Parquet is read with the `parquet` crate's row API (no Arrow);
//! only Snappy-compressed and uncompressed files are supported, the defaults of Spark and
//! pyarrow.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use parquet::file::reader::{FileReader, SerializedFileReader};
use serde_json::{Map, Value};

use super::{read_documents, TrendDoc, TrendLine};
use crate::codebook::Codebook;
use crate::error::{Error, Result};

/// Where a report folder keeps its documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Documents {
    /// A `documents.jsonl` written by `classify` (or any JSON-lines file given directly).
    Jsonl(PathBuf),
    /// Part files (Parquet or JSON lines), read in this order.
    Parts(Vec<PathBuf>),
}

/// The first bytes of a Parquet file.
const PARQUET_MAGIC: &[u8; 4] = b"PAR1";

fn is_parquet(path: &Path) -> bool {
    let mut head = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok_and(|_| &head == PARQUET_MAGIC)
}

/// Whether a file in a parts folder is a part: Parquet (by its magic bytes) or JSON lines
/// (`.json`, `.jsonl`); names starting with `_` or `.` (Spark's `_SUCCESS`, `.crc` files) are
/// not.
fn is_part(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    if name.starts_with('_') || name.starts_with('.') || !path.is_file() {
        return false;
    }
    name.ends_with(".json") || name.ends_with(".jsonl") || is_parquet(path)
}

/// The part files of a folder, sorted by name.
fn parts_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut parts: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| is_part(p))
        .collect();
    parts.sort();
    Ok(parts)
}

/// The folder whose `run.json` and `codebook.toml` describe `path`, and its documents.
///
/// For a folder: its `documents.jsonl` when present, else the part files of its `documents/`
/// folder, else its own part files (a folder written by Spark or Ray directly), else
/// `documents.jsonl` (whose absence is then reported by the reader). For a file: a Parquet
/// file is one part; anything else is read as `documents.jsonl`.
///
/// # Errors
/// [`Error::Io`] when a folder cannot be listed.
pub fn locate(path: &Path) -> Result<(PathBuf, Documents)> {
    if path.is_dir() {
        let jsonl = path.join("documents.jsonl");
        if jsonl.is_file() {
            return Ok((path.to_path_buf(), Documents::Jsonl(jsonl)));
        }
        let sub = path.join("documents");
        if sub.is_dir() {
            return Ok((path.to_path_buf(), Documents::Parts(parts_in(&sub)?)));
        }
        let own = parts_in(path)?;
        if !own.is_empty() {
            return Ok((path.to_path_buf(), Documents::Parts(own)));
        }
        return Ok((path.to_path_buf(), Documents::Jsonl(jsonl)));
    }
    let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    if is_parquet(path) {
        Ok((dir, Documents::Parts(vec![path.to_path_buf()])))
    } else {
        Ok((dir, Documents::Jsonl(path.to_path_buf())))
    }
}

/// Read the documents of a report folder, keyed by the frames of `cb`.
///
/// # Errors
/// [`Error::Io`] when a file cannot be read; [`Error::Other`] naming the file (and line or row)
/// when a record is not a document report of this codebook or a Parquet file is damaged.
pub fn read(docs: &Documents, cb: &Codebook) -> Result<Vec<TrendDoc>> {
    match docs {
        Documents::Jsonl(p) => read_documents(p, cb),
        Documents::Parts(parts) => {
            let mut out = Vec::new();
            for p in parts {
                if is_parquet(p) {
                    read_parquet(p, cb, &mut out)?;
                } else {
                    read_json_lines(p, cb, &mut out)?;
                }
            }
            Ok(out)
        }
    }
}

/// Fields of a flat row that are not carried into `meta`.
const OWN_FIELDS: &[&str] = &[
    "id",
    "title",
    "date",
    "source",
    "url",
    "framed_fraction",
    "dominant",
    "present",
    "paragraphs",
    "narratives",
    "error",
    "meta",
];

/// A text field: strings as they are, numbers as their digits, anything else absent.
fn text_field(v: Value) -> Value {
    match v {
        Value::String(_) => v,
        Value::Number(n) => Value::String(n.to_string()),
        _ => Value::Null,
    }
}

/// One part row as a document, or `None` for a row that was not classified (its `error` is
/// set).
fn row_doc(
    mut row: Map<String, Value>,
    cb: &Codebook,
) -> std::result::Result<Option<TrendDoc>, String> {
    if row.get("error").is_some_and(|e| !e.is_null()) {
        return Ok(None);
    }
    if row.get("shares").is_some_and(Value::is_object) {
        // a documents.jsonl object
        let line: TrendLine =
            serde_json::from_value(Value::Object(row)).map_err(|e| e.to_string())?;
        return line.resolve(cb).map(Some);
    }
    let mut shares = Map::new();
    for name in cb.frame_names() {
        match row.remove(name) {
            Some(v) => {
                shares.insert(name.to_string(), v);
            }
            None => {
                return Err(format!(
                    "no column for frame {name:?}: the rows were written with another codebook \
                     than {}",
                    cb.describe()
                ))
            }
        }
    }
    let mut doc = Map::new();
    for key in ["id", "title", "date", "source", "url"] {
        if let Some(v) = row.remove(key) {
            let v = text_field(v);
            if !(key == "url" && v.is_null()) {
                doc.insert(key.into(), v);
            }
        }
    }
    for key in ["framed_fraction", "dominant", "present"] {
        if let Some(v) = row.remove(key) {
            doc.insert(key.into(), v);
        }
    }
    let mut meta = match row.remove("meta") {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    for (k, v) in row {
        if !OWN_FIELDS.contains(&k.as_str()) && !v.is_null() {
            meta.insert(k, v);
        }
    }
    doc.insert("shares".into(), Value::Object(shares));
    doc.insert("meta".into(), Value::Object(meta));
    let line: TrendLine = serde_json::from_value(Value::Object(doc)).map_err(|e| e.to_string())?;
    line.resolve(cb).map(Some)
}

fn read_json_lines(path: &Path, cb: &Codebook, out: &mut Vec<TrendDoc>) -> Result<()> {
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    for (i, line) in BufReader::new(f).lines().enumerate() {
        let line = line.map_err(|e| Error::io(path, e))?;
        if line.trim().is_empty() {
            continue;
        }
        let at = |e: String| Error::Other(format!("{}:{}: {e}", path.display(), i + 1));
        let row: Map<String, Value> =
            serde_json::from_str(&line).map_err(|e| at(format!("not a document report: {e}")))?;
        if let Some(d) = row_doc(row, cb).map_err(at)? {
            out.push(d);
        }
    }
    Ok(())
}

/// A Parquet timestamp as the `parquet` crate renders it (`2022-06-14 00:00:00.000 +00:00`)
/// in RFC 3339 (`2022-06-14T00:00:00.000+00:00`), which `trends` parses; `None` for anything
/// else (a date column written as text is kept as written).
fn rfc3339(s: &str) -> Option<String> {
    let mut it = s.split(' ');
    let (date, time, offset) = (it.next()?, it.next()?, it.next()?);
    let ok = it.next().is_none()
        && date.len() == 10
        && time.as_bytes().get(2) == Some(&b':')
        && (offset.starts_with('+') || offset.starts_with('-'));
    ok.then(|| format!("{date}T{time}{offset}"))
}

fn read_parquet(path: &Path, cb: &Codebook, out: &mut Vec<TrendDoc>) -> Result<()> {
    let damaged = |e: parquet::errors::ParquetError| {
        Error::Other(format!("{}: cannot read Parquet: {e}", path.display()))
    };
    let f = File::open(path).map_err(|e| Error::io(path, e))?;
    let reader = SerializedFileReader::new(f).map_err(damaged)?;
    let rows = reader.get_row_iter(None).map_err(damaged)?;
    for (i, row) in rows.enumerate() {
        let row = row.map_err(damaged)?;
        let at = |e: String| Error::Other(format!("{}: row {}: {e}", path.display(), i + 1));
        let Value::Object(mut map) = row.to_json_value() else {
            return Err(at("not a record".into()));
        };
        if let Some(Value::String(d)) = map.get_mut("date") {
            if let Some(iso) = rfc3339(d) {
                *d = iso;
            }
        }
        if let Some(d) = row_doc(map, cb).map_err(at)? {
            out.push(d);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/trends-parts")
    }

    #[test]
    fn parquet_json_parts_and_jsonl_give_the_same_documents() {
        let cb = Codebook::migration();
        let (_, jsonl) = locate(&fixture().join("jsonl")).unwrap();
        assert!(matches!(jsonl, Documents::Jsonl(_)));
        let want = read(&jsonl, &cb).unwrap();
        assert!(want.len() > 10);
        for folder in ["parquet", "json-parts"] {
            let (dir, docs) = locate(&fixture().join(folder)).unwrap();
            assert_eq!(dir, fixture().join(folder));
            let Documents::Parts(parts) = &docs else {
                panic!("{folder}: no parts found")
            };
            assert!(!parts.is_empty());
            let mut got = read(&docs, &cb).unwrap();
            got.sort_by(|a, b| a.id.cmp(&b.id));
            assert_eq!(got.len(), want.len(), "{folder}");
            for (g, w) in got.iter().zip(&want) {
                assert_eq!(g.id, w.id);
                assert_eq!(g.shares, w.shares, "{folder} {}", g.id);
                assert_eq!(g.framed_fraction, w.framed_fraction);
                assert_eq!(g.dominant, w.dominant);
                assert_eq!(g.present, w.present);
                assert_eq!(
                    (&g.date, &g.source, &g.title),
                    (&w.date, &w.source, &w.title)
                );
                assert_eq!(
                    g.meta.get("style"),
                    w.meta.get("style"),
                    "{folder} {}",
                    g.id
                );
            }
        }
    }

    #[test]
    fn a_parquet_file_given_directly_is_one_part() {
        let dir = fixture().join("parquet/documents");
        let file = parts_in(&dir).unwrap().remove(0);
        let (d, docs) = locate(&file).unwrap();
        assert_eq!(d, dir);
        assert_eq!(docs, Documents::Parts(vec![file]));
    }

    #[test]
    fn error_rows_are_skipped_and_other_codebooks_named() {
        let cb = Codebook::migration();
        let mut row: Map<String, Value> = serde_json::from_str(
            r#"{"id":"x","humanitarian":null,"framed_fraction":null,"error":"empty_text: empty"}"#,
        )
        .unwrap();
        assert_eq!(row_doc(row.clone(), &cb).unwrap(), None);
        row.remove("error");
        let e = row_doc(row, &cb).unwrap_err();
        assert!(e.contains("\"economic\""), "{e}");
    }

    #[test]
    fn parquet_timestamps_become_rfc3339() {
        assert_eq!(
            rfc3339("2022-06-14 00:00:00.000 +00:00").as_deref(),
            Some("2022-06-14T00:00:00.000+00:00")
        );
        assert_eq!(rfc3339("2022-06-14"), None);
        assert_eq!(rfc3339("June 14, 2022"), None);
        let d = "2022-06-14T00:00:00.000+00:00";
        let today = crate::dates::today_utc();
        assert!(crate::dates::check_date(Some(d), today).is_ok(), "{d}");
    }

    #[test]
    fn a_damaged_parquet_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("part-0.parquet");
        std::fs::write(&p, b"PAR1 not really parquet").unwrap();
        let e = read(&Documents::Parts(vec![p]), &Codebook::migration()).unwrap_err();
        assert!(e.to_string().contains("part-0.parquet"), "{e}");
    }
}
