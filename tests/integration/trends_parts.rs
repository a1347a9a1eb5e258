//! `trends --reports` on engine output: Parquet and JSON-lines part files (issue 15).

use crate::util::{framelens, root, stderr};

/// The same 40 documents as documents.jsonl, as Parquet parts (with a failed row and Spark's
/// `_SUCCESS`) and as JSON-lines parts give the same trend tables
/// (`tests/fixtures/trends-parts/make.py` made the fixture).
#[test]
fn issue_15_trends_read_parquet_and_json_parts_like_documents_jsonl() {
    let fixture = root().join("tests/fixtures/trends-parts");
    let tmp = tempfile::tempdir().unwrap();
    let mut tables = Vec::new();
    for folder in ["jsonl", "parquet", "json-parts"] {
        let out = tmp.path().join(folder);
        let o = framelens([
            "trends".as_ref(),
            "--reports".as_ref(),
            fixture.join(folder).as_os_str(),
            "--group".as_ref(),
            "source".as_ref(),
            "--bootstrap".as_ref(),
            "100".as_ref(),
            "--out".as_ref(),
            out.as_os_str(),
        ]);
        assert!(o.status.success(), "{folder}: {}", stderr(&o));
        let csv = std::fs::read_to_string(out.join("trends.csv")).unwrap();
        assert!(csv.lines().count() > 2, "{folder}: {csv}");
        tables.push((folder, csv));
    }
    for (folder, csv) in &tables[1..] {
        assert_eq!(csv, &tables[0].1, "{folder} differs from documents.jsonl");
    }
    // a Parquet file given directly is read as well
    let part = fixture.join("parquet/documents/part-00000.snappy.parquet");
    let out = tmp.path().join("file");
    let o = framelens([
        "trends".as_ref(),
        "--reports".as_ref(),
        part.as_os_str(),
        "--out".as_ref(),
        out.as_os_str(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}
