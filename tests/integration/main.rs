//! The integration suite: one test binary (see `Cargo.toml`), one module per area.

mod classify;
mod robustness;
mod eval;
mod trends;
mod util;
