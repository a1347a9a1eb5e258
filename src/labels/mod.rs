//! Labeled samples: hand-coded paragraphs and documents → a [`LabeledSet`].
//!
//! Input: a paragraph-label file `{"id", "para", "frame", "text"?}` (JSONL), optionally joined
//! to an articles file by id, or a corpus folder holding `articles.jsonl` and
//! `labels/paragraphs.jsonl`. Output: [`LabeledSet`], one [`LabeledDoc`] per article with its
//! paragraphs in order. Invalid labels are errors naming the file and line.
//!
//! Label files come in several formats ([`read_label_file`] detects which):
//!
//! - JSONL: paragraph labels `{"id", "para", "frame", "text"?}` and document labels
//!   `{"id", "primary", "present", "sample"?, "source"?, "date"?}`, one object per line;
//! - CSV (`.csv`) with a header naming the same columns (`present` is a `;`-, `|`- or
//!   `,`-separated list or a JSON array);
//! - Label Studio JSON exports of text classification (full export: tasks with `data` and
//!   `annotations`; JSON-MIN export: flat objects), where the task data carries the article id
//!   (`doc_id`, `article_id`, `document_id` or `id`) and, for a paragraph task, `para`; the
//!   choice control is named `frame` for paragraphs, `primary` and `present` for documents;
//! - doccano exports of text classification (JSONL or JSON), `{"text", "label": [..], ..}`
//!   with the article id and `para` kept as metadata fields as above.
//!
//! [`Annotations::load`] reads any mix of these (paragraph and document labels, files and
//! folders) and joins them to articles, for evaluation.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codebook::{Label, LabelResolver};
use crate::corpus::DocId;
use crate::error::{Error, Result};

mod annotations;
mod join;
mod jsonl;
mod label_file;
mod rows;
mod set;

pub use annotations::*;
pub use join::*;
pub use jsonl::*;
pub use label_file::*;
use rows::*;
pub use set::*;

fn label_err(path: &Path, line: u64, message: impl Into<String>) -> Error {
    Error::Labels {
        path: path.to_path_buf(),
        line,
        message: message.into(),
    }
}

/// A label together with the file and 1-based line it was read from.
#[derive(Debug, Clone)]
struct Sourced<T> {
    path: PathBuf,
    line: u64,
    label: T,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codebook::Codebook;
    use std::io::Write;

    fn write(dir: &Path, name: &str, body: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::File::create(&p)
            .unwrap()
            .write_all(body.as_bytes())
            .unwrap();
        p
    }

    #[test]
    fn joins_labels_to_articles_and_names_bad_lines() {
        let dir = tempfile::tempdir().unwrap();
        let arts = write(
            dir.path(),
            "a.jsonl",
            "{\"id\":\"d1\",\"text\":\"One.\\n\\nTwo.\\nThree.\"}\n",
        );
        let good = write(dir.path(), "p.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":2,\"frame\":\"economic\",\"text\":\"Three.\"}\n");
        let set = LabelSource {
            paragraphs: good,
            articles: Some(arts.clone()),
        }
        .load(&Codebook::migration())
        .unwrap();
        assert_eq!(set.docs.len(), 1);
        assert_eq!(set.docs[0].paragraphs.len(), 3);
        assert_eq!(set.docs[0].paragraphs[2].label, Some(Label(1)));
        assert_eq!(set.docs[0].paragraphs[1].label, None);

        let missing = write(dir.path(), "m.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":7,\"frame\":\"none\"}\n");
        let e = LabelSource {
            paragraphs: missing,
            articles: Some(arts.clone()),
        }
        .load(&Codebook::migration())
        .unwrap_err();
        assert!(matches!(e, Error::Labels { line: 2, .. }), "{e}");

        let unknown = write(
            dir.path(),
            "u.jsonl",
            "{\"id\":\"d1\",\"para\":0,\"frame\":\"crime\"}\n",
        );
        let e = read_paragraph_labels(&unknown, &Codebook::migration()).unwrap_err();
        assert!(e.to_string().contains("u.jsonl:1"), "{e}");

        let dup = write(dir.path(), "d.jsonl", "{\"id\":\"d1\",\"para\":0,\"frame\":\"none\"}\n{\"id\":\"d1\",\"para\":0,\"frame\":\"economic\"}\n");
        let e = read_paragraph_labels(&dup, &Codebook::migration()).unwrap_err();
        assert!(e.to_string().contains("duplicate"), "{e}");

        let other = write(
            dir.path(),
            "o.jsonl",
            "{\"id\":\"zz\",\"para\":0,\"frame\":\"none\"}\n",
        );
        let e = LabelSource {
            paragraphs: other,
            articles: Some(arts),
        }
        .load(&Codebook::migration())
        .unwrap_err();
        assert!(e.to_string().contains("zz"), "{e}");
    }

    #[test]
    fn reads_csv_doccano_and_label_studio_rows() {
        let dir = tempfile::tempdir().unwrap();
        let csv = write(
            dir.path(),
            "d.csv",
            "id,primary,present,sample\nd1,economic,\"economic; Security\",random\nd2,none,,\n",
        );
        let f = read_label_file(&csv, &Codebook::migration()).unwrap();
        assert_eq!(f.format, LabelFormat::Csv);
        assert_eq!(f.documents.len(), 2);
        assert_eq!(f.documents[0].0, 2);
        assert_eq!(f.documents[0].1.present, vec![Label(1), Label(2)]);
        assert_eq!(f.documents[0].1.sample.as_deref(), Some("random"));
        assert!(f.documents[1].1.present.is_empty());

        let dn = write(
            dir.path(),
            "dn.jsonl",
            "{\"id\":7,\"text\":\"t\",\"label\":[\"enforcement\"],\"doc_id\":\"d1\",\"para\":\"3\"}\n{\"id\":8,\"text\":\"t\",\"label\":[\"economic\",\"security\"],\"doc_id\":\"d2\"}\n",
        );
        let e = read_label_file(&dn, &Codebook::migration())
            .unwrap_err()
            .to_string();
        assert!(e.contains("dn.jsonl:2:") && e.contains("primary"), "{e}");

        let ls = write(
            dir.path(),
            "ls.json",
            "[{\"data\":{\"doc_id\":\"d1\",\"para\":0},\"annotations\":[{\"result\":[{\"from_name\":\"frame\",\"value\":{\"choices\":[\"None\"]}}]}]},\n{\"data\":{\"doc_id\":\"d1\"},\"annotations\":[{\"result\":[{\"from_name\":\"present\",\"value\":{\"choices\":[\"Economic\"]}}]}]}]",
        );
        let e = read_label_file(&ls, &Codebook::migration())
            .unwrap_err()
            .to_string();
        assert!(e.contains("ls.json:2:") && e.contains("primary"), "{e}");
    }
}
