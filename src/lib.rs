//! framelens: media-framing analysis of migration coverage.
//!
//! The pipeline, one module per stage:
//!
//! 1. [`corpus`]: files (JSONL, CSV, folders of text, stdin) → [`corpus::Article`]s.
//! 2. [`tokenize`]: paragraph text → token ids, with a Hugging Face `tokenizers` pipeline.
//! 3. [`features`]: token ids → sparse TF-IDF rows (uni- and bigrams, context, layout).
//! 4. [`model`]: a linfa multinomial logistic regression → paragraph label probabilities,
//!    aggregated to document frame shares, framed fraction, dominant and present frames.
//! 5. [`report`]: per-document reports, batch summary, run record.
//!
//! [`classify`] runs the whole batch; [`labels`] reads hand-coded samples for training;
//! [`eval`] measures a model against them (metrics, cross-validation; charts via [`eval::svg`]).
//! [`suggest`] picks the paragraphs to hand-code next (active learning).
//! [`store`] keeps classified documents across runs (SQLite); [`trends`] aggregates them by
//! period and group (dates parsed by [`dates`], charts drawn by [`trends::charts`]); both resample with
//! [`stats`]. [`narratives`] finds user-defined storylines in the same pass as classification.
//!
//! Imports point downstream, with no circles (checked by a test): [`error`], [`hash`] and
//! [`fsio`] (atomic file writes) are leaves every stage may use; [`shard`] says which records a
//! part of a batch takes; [`readback`] reads report folders back for [`store`] and [`trends`].
//! Renderers live inside the stage whose results they draw
//! ([`report::html`], [`eval::svg`], [`trends::charts`]).
//!
//! ```
//! # fn main() -> framelens::Result<()> {
//! use framelens::codebook::Codebook;
//! let codebook = Codebook::migration();
//! let label = codebook.parse("enforcement").map_err(framelens::Error::Other)?;
//! assert!(codebook.is_frame(label));
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]

pub mod builtin;
pub mod checkpoint;
pub mod classify;
pub mod codebook;
pub mod corpus;
pub mod dates;
pub mod embed;
pub mod error;
pub mod eval;
pub mod features;
pub mod fsio;
pub mod hash;
pub mod labels;
pub mod merge;
pub mod model;
pub mod narratives;
pub mod readback;
pub mod report;
pub mod shard;
pub mod stats;
pub mod store;
pub mod suggest;
pub mod tokenize;
pub mod trends;

pub use codebook::{Codebook, Label};
pub use corpus::{Article, DocId};
pub use error::{Error, InputError, InputProblem, Result};
pub use model::{FramingModel, TrainParams};
