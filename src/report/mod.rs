//! Stage 5, reports: scored documents → files a person or a program reads.
//!
//! Input: [`DocReport`]s (built by [`build_report`] from an article and its [`DocScores`]),
//! in any order and in chunks. Output, in the `--out` folder: `documents.jsonl` (sorted by id),
//! `docs/<id>.md`, `summary.csv`, `summary.md` and `run.json`. Memory stays bounded: each chunk
//! is sorted and spilled to a run file, and the runs are merged at the end.

pub mod html;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Deserialize, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::codebook::{Codebook, Label, CODEBOOK_FILE};
use crate::corpus::Article;
use crate::error::{Error, InputError, InputProblem, Result};
use crate::features::FeatureKind;
use crate::fsio::{sync_dir, write_atomic, write_atomic_with};
use crate::model::{DocScores, FramingModel, NO_TERM};

mod build;
mod document;
mod json;
mod markdown;
mod merge;
mod run;
mod summary;
mod writer;

pub use build::*;
pub use document::*;
pub use markdown::*;
use merge::merge_runs;
pub use merge::run_docs_path;
pub use run::*;
pub use summary::*;
pub use writer::*;

pub use crate::embed::is_content_word;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_no_temp_files() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.txt");
        write_atomic(&p, b"hello").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "hello");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
