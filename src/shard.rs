//! Shards: part `I` of `N` of a batch, chosen by a stable hash of each record's id, so that
//! `N` machines can classify one input and `merge` can join their report folders.
//!
//! A leaf of the output stages: `classify` (which records to take), `report` (the run record)
//! and `merge` (checking the parts) use it, and it imports only the input types.

use sha2::{Digest, Sha256};

use crate::corpus::ArticleResult;
use crate::error::{Error, Result};

/// One part of a sharded batch: part `index` (1-based) of `count`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Shard {
    index: u32,
    count: u32,
}

impl Shard {
    /// Part `index` (1 ..= `count`) of `count`.
    ///
    /// # Errors
    /// [`Error::InvalidParam`] when `count` is 0 or `index` is outside 1 ..= `count`.
    pub fn new(index: u32, count: u32) -> Result<Self> {
        if count == 0 || index == 0 || index > count {
            return Err(Error::InvalidParam {
                name: "shard",
                value: format!("{index}/{count}"),
                reason: "must be I/N with 1 <= I <= N",
            });
        }
        Ok(Shard { index, count })
    }

    /// The 1-based part number.
    pub fn index(&self) -> u32 {
        self.index
    }

    /// The number of parts.
    pub fn count(&self) -> u32 {
        self.count
    }

    /// The part (1-based) that a shard key belongs to among `count`: the first 8 bytes of the
    /// key's SHA-256, big-endian, modulo `count`, plus one. Stable across machines and
    /// versions.
    pub fn part_of(key: &str, count: u32) -> u32 {
        let h = Sha256::digest(key.as_bytes());
        let mut b = [0u8; 8];
        b.copy_from_slice(&h[..8]);
        (u64::from_be_bytes(b) % u64::from(count.max(1))) as u32 + 1
    }

    /// Whether this shard processes the record with this key.
    pub fn contains(&self, key: &str) -> bool {
        Shard::part_of(key, self.count) == self.index
    }

    /// Whether this shard processes the record (see [`shard_key`]).
    pub fn takes(&self, item: &ArticleResult) -> bool {
        self.count == 1 || self.contains(&shard_key(item))
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl std::str::FromStr for Shard {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::InvalidParam {
            name: "shard",
            value: s.to_string(),
            reason: "must be I/N with 1 <= I <= N, e.g. 2/4",
        };
        let (i, n) = s.trim().split_once('/').ok_or_else(bad)?;
        let i: u32 = i.trim().parse().map_err(|_| bad())?;
        let n: u32 = n.trim().parse().map_err(|_| bad())?;
        Shard::new(i, n).map_err(|_| bad())
    }
}

/// The key that decides a record's shard: its id as read (before a duplicate is renamed, so
/// all copies of an id fall in one shard), or `file:line` for a record whose id is unknown.
pub fn shard_key(item: &ArticleResult) -> std::borrow::Cow<'_, str> {
    match item {
        Ok(a) => std::borrow::Cow::Borrowed(a.id.as_str()),
        Err(e) => match &e.id {
            Some(id) => std::borrow::Cow::Borrowed(id.as_str()),
            None => std::borrow::Cow::Owned(format!("{}:{}", e.file, e.line.unwrap_or(0))),
        },
    }
}
