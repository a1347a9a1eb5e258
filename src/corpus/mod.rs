//! Stage 1, input: files on disk → [`Article`]s.
//!
//! Input: paths (JSONL, CSV, one `.txt`/`.md` file, a folder of any of these, or `-` for
//! JSONL on stdin), each possibly compressed with gzip or zstd ([`Compression`], recognised
//! by extension and by magic bytes). Files in a folder that are none of these are skipped and
//! listed ([`SkippedFile`]). Output: an iterator of `Result<Article, InputError>` in input order
//! ([`read_inputs_with`]). A bad record becomes an [`InputError`] naming the file, line and
//! document and saying why; it never stops the other records. [`Article::prepare`] then strips
//! HTML markup and rejects what cannot be classified (empty text, no words, size [`Limits`]).
//!
//! Bad input, by design: invalid UTF-8 is rejected (never decoded lossily, which would change
//! words silently); a record larger than [`Limits::max_doc_bytes`] is skipped without being
//! held in memory; binary files, broken links, unreadable files and folder loops are reported
//! once each; a missing id is derived from the text ([`derived_id`]) with a warning.
//!
//! A *paragraph* is a non-blank line of an article's text, trimmed; paragraphs are indexed from 0
//! in document order ([`paragraphs`]). This matches the `para` field of labeled samples.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, InputError, InputProblem, Result};

/// A document identifier, unique within a batch.
pub type DocId = String;

pub use crate::codebook::Label;

mod article;
mod compression;
mod csv_file;
mod folder;
mod html;
mod inputs;
mod jsonl;
mod record;
mod text;

pub use article::*;
pub use compression::*;
pub use csv_file::*;
pub use folder::*;
pub use html::*;
pub use inputs::*;
pub use jsonl::*;
pub use record::*;
use text::*;
