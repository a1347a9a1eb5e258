//! `run.json`: [`RunInfo`] and [`InputInfo`].

use super::*;

/// `run.json`: what was run, on what, when, with which outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// framelens version.
    pub framelens_version: String,
    /// Model folder.
    pub model: String,
    /// Model content hash.
    pub model_hash: String,
    /// Inputs with their SHA-256 (`null` for stdin).
    pub inputs: Vec<InputInfo>,
    /// Start time (RFC 3339, UTC).
    pub started: String,
    /// End time (RFC 3339, UTC).
    pub finished: String,
    /// Records read.
    pub read: u64,
    /// Documents classified.
    pub classified: u64,
    /// Records that failed.
    pub failed: u64,
    /// Worker threads.
    pub jobs: usize,
    /// The part of a sharded batch this run processed (`classify --shard I/N`); absent for a
    /// whole batch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<crate::shard::Shard>,
    /// The narrative file detected (`classify --narratives`); absent without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub narratives: Option<crate::narratives::NarrativeSetInfo>,
}

/// An input file and its checksum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    /// The path as given.
    pub path: String,
    /// SHA-256 of the file (of the sorted file list and contents for a folder).
    pub sha256: Option<String>,
}
