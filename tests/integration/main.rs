//! The integration suite: one test binary (see `Cargo.toml`), one module per area.

mod classify;
mod codebook;
mod corpus;
mod embeddings;
mod eval;
mod first_contact;
mod layout;
mod narratives;
mod robustness;
mod suggest;
mod throughput;
mod trends;
mod trends_parts;
mod util;
