//! The integration suite: one test binary (see `Cargo.toml`), one module per area.

mod classify;
mod corpus;
mod eval;
mod narratives;
mod robustness;
mod throughput;
mod trends;
mod util;
